"""The DeiT recipe (Touvron et al., ICML 2021; code facebookresearch/deit ``main.py`` -> timm ``Mixup``): per batch,
CutMix (alpha 1.0) with probability ``switch_prob`` else Mixup (alpha 0.8); label smoothing 0.1. This is the
'baseline' of every TransMix / MixPro table.

``switch_prob = 0.5`` is timm's default and what the official TransMix DeiT-S config actually ran: its YAML spells
the key ``mixup-switch-prob`` with hyphens, so the intended 0.8 was silently ignored.
"""

from .core import SwitchMixer


class DeiTMix(SwitchMixer):
    name = "deit"
