"""GridMix (Baek, Bang and Shim, Pattern Recognition 2021), a TransMix Table 8 comparator.

The authors released no code. ``variant="openmixup"`` (default) is OpenMixup's port, the one public implementation
(Westlake-AI/openmixup@37e1372 ``openmixup/models/augments/gridmix.py`` l.47-129, defaults from
``openmixup/models/classifiers/mixup_classification.py`` l.107-108; it cites IlyaDobrynin/GridMixup): per batch
``lam ~ Beta(alpha, alpha)``, ``n_holes`` holes along x uniform in {2..6}, a crop of ``cut_area_ratio`` U(0.5, 1)
of the image with aspect ``cut_aspect_ratio`` U(0.5, 2) at a uniform position, cut into cells of side
``ceil(crop_w / n_holes)``, one hole of side ``sqrt(1 - lam)`` of its cell (at least 1 px, at most the cell - 1)
at each cell's corner, filled from the partner (``torch.randperm`` pairing); partner weight = the hole area. Its
quirks are kept: a crop taller than the image starts at a negative row, and Python slicing then wraps those holes
to the bottom of the image (the area label counts them where they land).

``variant="grid"``: this suite's earlier GridMask-style grid, whose ranges were its own choice: ``n x n`` cells over
the whole image, ``n`` uniform in ``n_range``, one square hole of side ``ratio * cell`` per cell, ``ratio`` uniform
in ``ratio_range``, at a common random offset; flip pairing.

As in TransMix Table 8 it takes CutMix's place in the DeiT switch (Mixup otherwise; OpenMixup's GridMix configs mix
every batch). GridMix's local (per-cell) label term is not used, as in OpenMixup: the global area label is.
"""

import math

import numpy as np
import torch

from .core import MixBatch, SwitchMixer, np_rng, paste


def grid_holes(img_hw, n: int, ratio: float, offset) -> torch.Tensor:
    """``(H, W)`` 0/1 mask of one square hole per grid cell (``variant="grid"``)."""
    H, W = img_hw
    ys = torch.arange(H, dtype=torch.float32)[:, None]
    xs = torch.arange(W, dtype=torch.float32)[None, :]
    ch, cw = H / n, W / n
    in_y = ((ys - offset[0] * ch) % ch) < ratio * ch
    in_x = ((xs - offset[1] * cw) % cw) < ratio * cw
    return (in_y & in_x).float()


def openmixup_grid(img_hw, lam: float, n_holes: int, hole_aspect_ratio: float, cut_area_ratio: float,
                   cut_aspect_ratio: float, cx: float, cy: float) -> np.ndarray:
    """OpenMixup's ``rand_grid`` on explicit draws: ``(H, W)`` float mask, 1 = from the partner. Like the original it
    calls the image's height ``W`` and its width ``H`` (``size[2]``, ``size[3]``): the same for square images."""
    W, H = img_hw  # the original's names
    cut_area = int(H * W * cut_area_ratio)
    cut_w = int(np.sqrt(cut_area / cut_aspect_ratio))
    cut_h = int(cut_w * cut_aspect_ratio)
    xc1, yc1 = int((W - cut_w) * cx), int((H - cut_h) * cy)
    width, height = cut_w, cut_h
    if not 1 <= n_holes <= width // 2:
        raise ValueError(f"gridmix: n_holes must be in [1, {width // 2}] for a {width}-px crop, got {n_holes}")
    pw = math.ceil(width / n_holes)
    ph = int(pw * hole_aspect_ratio)
    ny = math.ceil(height / ph)
    ratio = np.sqrt(1 - lam)
    hw = min(max(int(pw * ratio), 1), pw - 1)
    hh = min(max(int(ph * ratio), 1), ph - 1)
    mask = np.zeros((W, H), np.float32)
    for i in range(n_holes + 1):
        for j in range(ny + 1):
            x1, y1 = min(pw * i, width), min(ph * j, height)
            x2, y2 = min(x1 + hw, width), min(y1 + hh, height)
            mask[yc1 + y1: yc1 + y2, xc1 + x1: xc1 + x2] = 1.0  # numpy slicing: negative starts wrap, as torch's
    return mask


VARIANTS = ("openmixup", "grid")


class GridMix(SwitchMixer):
    name = "gridmix"

    def __init__(self, num_classes: int, smoothing: float = 0.1, prob: float = 1.0, mixup_alpha: float = 0.8,
                 switch_prob: float = 0.5, variant: str = "openmixup", alpha: float = 1.0, n_holes=(2, 6),
                 hole_aspect_ratio=(1.0, 1.0), cut_area_ratio=(0.5, 1.0), cut_aspect_ratio=(0.5, 2.0),
                 n_range=(2, 6), ratio_range=(0.3, 0.7)):
        super().__init__(num_classes, smoothing, prob, mixup_alpha, 1.0, switch_prob)
        if variant not in VARIANTS:
            raise ValueError(f"gridmix variant must be one of {VARIANTS}, got {variant!r}")
        self.variant, self.alpha = variant, alpha
        self.n_holes, self.hole_aspect_ratio = tuple(n_holes), tuple(hole_aspect_ratio)
        self.cut_area_ratio, self.cut_aspect_ratio = tuple(cut_area_ratio), tuple(cut_aspect_ratio)
        self.n_range, self.ratio_range = tuple(n_range), tuple(ratio_range)

    def cut(self, x, y, generator) -> MixBatch:
        rng = np_rng(generator)
        partner = None
        if self.variant == "grid":
            n = int(rng.integers(self.n_range[0], self.n_range[1] + 1))
            ratio = float(rng.uniform(*self.ratio_range))
            region = grid_holes(x.shape[-2:], n, ratio, rng.uniform(0, 1, 2)).to(x.device)
        else:
            lam = float(rng.beta(self.alpha, self.alpha))
            n = int(rng.integers(self.n_holes[0], self.n_holes[1] + 1))  # random.randint: both ends included
            draws = [float(rng.uniform(*r)) for r in (self.hole_aspect_ratio, self.cut_area_ratio,
                                                       self.cut_aspect_ratio)]
            cx, cy = float(rng.random()), float(rng.random())
            region = torch.from_numpy(openmixup_grid(tuple(x.shape[-2:]), lam, n, *draws, cx, cy)).to(x.device)
            partner = torch.randperm(x.shape[0], generator=generator)
        lam = torch.full((x.shape[0],), float(region.mean()), device=x.device)
        return MixBatch(paste(x, region, partner), y, lam, "gridmix", region=region,
                        partner=None if partner is None else partner.to(y.device))
