"""Thresholded class attention: DINO's mass rule, masks on the pixel grid, boxes from masks."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def mass_mask(attn: torch.Tensor, mass: float) -> torch.Tensor:
    """DINO's rule (facebookresearch/dino ``visualize_attention.py``): sort ascending, normalise to sum 1, cumulative
    sum, keep where ``cumsum > 1 - mass`` -- the smallest set of top patches holding at least ``mass`` of the
    attention. ``(B, N)`` -> ``(B, N)`` bool in the original patch order."""
    if attn.dim() != 2:
        raise ValueError(f"attn must be (B, N), got {tuple(attn.shape)}")
    if not 0.0 <= mass <= 1.0:
        raise ValueError(f"mass must be in [0, 1], got {mass}")
    val, idx = torch.sort(attn.float(), dim=1)
    val = val / val.sum(1, keepdim=True)
    keep_sorted = val.cumsum(1) > (1 - mass)
    return torch.zeros_like(keep_sorted).scatter_(1, idx, keep_sorted)


def grid_to_pixels(mask: torch.Tensor, grid, size) -> torch.Tensor:
    """``(B, h*w)`` patch mask -> ``(B, H, W)`` bool by nearest upsampling."""
    m = mask.float().reshape(-1, 1, *grid)
    return F.interpolate(m, size=tuple(size), mode="nearest")[:, 0] > 0.5


def box_from_mask(mask: np.ndarray, largest_component: bool = True):
    """One tight box ``(x0, y0, x1, y1)`` (inclusive) around the foreground: the largest 8-connected component
    (wsolevaluation's choice) or all foreground pixels. ``None`` for an empty mask."""
    if not mask.any():
        return None
    if largest_component:
        from scipy.ndimage import label
        lab, n = label(mask, structure=np.ones((3, 3)))
        if n > 1:
            sizes = np.bincount(lab.ravel())[1:]
            mask = lab == (int(np.argmax(sizes)) + 1)
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())
