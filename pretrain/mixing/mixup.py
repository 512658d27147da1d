"""Mixup (Zhang et al., ICLR 2018), batch mode as in timm ``timm/data/mixup.py`` (``mixup_alpha=0.8`` as DeiT).

Deliberate differences from timm: draws come from an explicit generator instead of numpy's global state.
"""

from .core import Mixer, mixup_batch


class Mixup(Mixer):
    name = "mixup"

    def __init__(self, num_classes: int, smoothing: float = 0.1, prob: float = 1.0, alpha: float = 0.8):
        super().__init__(num_classes, smoothing, prob)
        self.alpha = alpha

    def mix(self, x, y, generator):
        return mixup_batch(x, y, self.alpha, generator)
