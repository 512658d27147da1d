"""No mixing: plain label-smoothed targets (the 'baseline (no CutMix)' row's input side without Mixup either)."""

from .core import Mixer


class NoMix(Mixer):
    name = "none"

    def __init__(self, num_classes: int, smoothing: float = 0.1):
        super().__init__(num_classes, smoothing, prob=0.0)
