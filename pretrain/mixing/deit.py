"""The DeiT recipe (Touvron et al., ICML 2021; code facebookresearch/deit ``main.py`` -> timm ``Mixup``): per batch,
CutMix (alpha 1.0) with probability ``switch_prob`` else Mixup (alpha 0.8); label smoothing 0.1. This is the
'baseline' of every TransMix / MixPro table.

``switch_prob = 0.5`` is timm's default and what the official TransMix DeiT-S config actually ran: its YAML spells
the key ``mixup-switch-prob`` with hyphens, so the intended 0.8 was silently ignored.
"""

from .core import SwitchMixer, check_rounding


class DeiTMix(SwitchMixer):
    name = "deit"

    def __init__(self, num_classes: int, smoothing: float = 0.1, prob: float = 1.0, mixup_alpha: float = 0.8,
                 cutmix_alpha: float = 1.0, switch_prob: float = 0.5, box_rounding: str = "floor"):
        super().__init__(num_classes, smoothing, prob, mixup_alpha, cutmix_alpha, switch_prob)
        self.box_rounding = check_rounding(box_rounding)  # the baselines of TransMix / MixPro ran timm 0.5.4 / 0.4.12
