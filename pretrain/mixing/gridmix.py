"""GridMix (Baek, Bang and Shim, Pattern Recognition 2021), a TransMix Table 8 comparator.

A regular grid of square holes (GridMask-style: ``n x n`` cells per image side, ``n`` uniform in ``n_range``; one
square hole of side ``ratio * cell`` per cell, ``ratio`` uniform in ``ratio_range``, at a common random offset) is
filled from the partner; the partner weight is the exact hole area ``holes / HW`` (i.e. ``lam = 1 - holes/HW``).
As in TransMix Table 8 it takes CutMix's place in the DeiT switch (Mixup otherwise).
Deliberate difference: GridMix's local (per-cell) label term is not used; the global area label is.
"""

import torch

from .core import MixBatch, SwitchMixer, np_rng, paste


def grid_holes(img_hw, n: int, ratio: float, offset) -> torch.Tensor:
    """``(H, W)`` 0/1 mask of one square hole per grid cell."""
    H, W = img_hw
    ys = torch.arange(H, dtype=torch.float32)[:, None]
    xs = torch.arange(W, dtype=torch.float32)[None, :]
    ch, cw = H / n, W / n
    in_y = ((ys - offset[0] * ch) % ch) < ratio * ch
    in_x = ((xs - offset[1] * cw) % cw) < ratio * cw
    return (in_y & in_x).float()


class GridMix(SwitchMixer):
    name = "gridmix"

    def __init__(self, num_classes: int, smoothing: float = 0.1, prob: float = 1.0, mixup_alpha: float = 0.8,
                 switch_prob: float = 0.5, n_range=(2, 6), ratio_range=(0.3, 0.7)):
        super().__init__(num_classes, smoothing, prob, mixup_alpha, 1.0, switch_prob)
        self.n_range, self.ratio_range = tuple(n_range), tuple(ratio_range)

    def cut(self, x, y, generator) -> MixBatch:
        rng = np_rng(generator)
        n = int(rng.integers(self.n_range[0], self.n_range[1] + 1))
        ratio = float(rng.uniform(*self.ratio_range))
        region = grid_holes(x.shape[-2:], n, ratio, rng.uniform(0, 1, 2)).to(x.device)
        lam = torch.full((x.shape[0],), float(region.mean()), device=x.device)
        return MixBatch(paste(x, region), y, lam, "gridmix", region=region)
