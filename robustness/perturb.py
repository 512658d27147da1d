"""Patch dropping and shuffling in pixel space, batched on the images' device (Naseer et al., ``evaluate.py``)."""

from __future__ import annotations

import torch


def patch_grid_mask(drop: torch.Tensor, grid, size) -> torch.Tensor:
    """``(B, gh*gw)`` bool of patches to drop -> ``(B, 1, H, W)`` float keep-mask (0 where dropped)."""
    gh, gw = grid
    H, W = size
    keep = (~drop).float().view(-1, 1, gh, gw)
    return keep.repeat_interleave(H // gh, 2).repeat_interleave(W // gw, 3)


def drop_patches(x01: torch.Tensor, drop: torch.Tensor, grid) -> torch.Tensor:
    """Set the dropped patches to 0 in [0, 1] pixel space (black), before normalisation; the model still sees every
    token. ``x01`` ``(B, 3, H, W)``; ``drop`` ``(B, gh*gw)`` bool."""
    H, W = x01.shape[-2:]
    if H % grid[0] or W % grid[1]:
        raise ValueError(f"drop grid {grid} must divide the image {H}x{W}")
    return x01 * patch_grid_mask(drop.to(x01.device), grid, (H, W))


def random_drop(batch: int, n_patches: int, k: int, generator: torch.Generator) -> torch.Tensor:
    """``(B, N)`` bool with exactly ``k`` random patches per image."""
    order = torch.rand(batch, n_patches, generator=generator).argsort(1)
    return torch.zeros(batch, n_patches, dtype=torch.bool).scatter_(1, order[:, :k], True)


def as_grid(g) -> tuple[int, int]:
    """A shuffle grid as ``(rows, cols)``: ``n`` is ``n x n``; ``[2, 4]`` is 2 rows of 4 cells (Naseer et al.'s
    ``evaluate.py`` reshapes ``(B, C, h, H/h, w, W/w)``: h rows, w columns)."""
    rows, cols = (g, g) if isinstance(g, int) else tuple(g)
    if rows < 1 or cols < 1:
        raise ValueError(f"shuffle grid must be n or [rows, cols] of positive integers, got {g!r}")
    return int(rows), int(cols)


def shuffle_patches(x: torch.Tensor, grid, generator: torch.Generator) -> torch.Tensor:
    """Cut each image into a ``rows x cols`` grid (``grid``: n or ``(rows, cols)``) and permute the cells, one random
    permutation per image (Naseer et al. draw one per batch: with a fixed model this only changes which images see
    which permutation)."""
    B, C, H, W = x.shape
    rows, cols = as_grid(grid)
    if H % rows or W % cols:
        raise ValueError(f"shuffle grid {rows}x{cols} must divide the image {H}x{W}")
    ph, pw, n = H // rows, W // cols, rows * cols
    cells = x.reshape(B, C, rows, ph, cols, pw).permute(0, 2, 4, 1, 3, 5).reshape(B, n, C, ph, pw)
    perm = torch.rand(B, n, generator=generator).argsort(1).to(x.device)
    cells = torch.gather(cells, 1, perm.view(B, n, 1, 1, 1).expand_as(cells))
    return cells.reshape(B, rows, cols, C, ph, pw).permute(0, 3, 1, 4, 2, 5).reshape(B, C, H, W)
