"""CutMix (Yun et al., ICCV 2019; code clovaai/CutMix-PyTorch), batch mode as in timm ``timm/data/mixup.py``:
``lam ~ Beta(1, 1)``, box side ratio ``sqrt(1 - lam)``, uniform centre, clipped, ``correct_lam`` (area of the
clipped box). Deliberate differences from timm: draws come from an explicit generator. ``box_rounding``: the box
end of the timm the originals pinned (``"floor"``, default) or of timm 1.0.31 (``"ceil"``); see ``core.cutmix_box``.
"""

from .core import Mixer, check_rounding, cutmix_batch


class CutMix(Mixer):
    name = "cutmix"

    def __init__(self, num_classes: int, smoothing: float = 0.1, prob: float = 1.0, alpha: float = 1.0,
                 box_rounding: str = "floor"):
        super().__init__(num_classes, smoothing, prob)
        self.alpha = alpha
        self.box_rounding = check_rounding(box_rounding)

    def mix(self, x, y, generator):
        return cutmix_batch(x, y, self.alpha, generator, self.box_rounding)
