"""MaskMix (Zhao et al., "MixPro", ICLR 2023; code fistyee/MixPro ``utils.py`` / ``main.py``) with the area label.

The image is cut into cells of ``P_mask = scale * patch_size`` pixels (``scale`` in {1, 2, 4, 7}, paper default 4);
per batch ``r ~ Beta(beta, beta)`` and every sample keeps ``ceil(S * r)`` of its ``S`` cells at its own random
positions, the rest coming from the partner, so every model patch comes from one image only. The label weight is the
exact cell fraction. Batch split as the official training script: MaskMix with probability ``maskmix_prob`` (0.5),
else the DeiT Mixup/CutMix switch. This method is MixPro without PAL (the 'MaskMix' ablation row). ``pairing``:
the official ``torch.randperm`` partner per batch (default) or timm's ``flip(0)``.

The MixPro paper's ablations as switches (MixPro Tables 7-9; the official code has none of them, fistyee/MixPro@53a229e
in all 43 commits, so each is this suite's reading of the paper's words, the default being the official MaskMix):

- ``mask_strategy`` (Table 7): ``"random"`` (official: ``ceil(S r)`` kept cells at random positions; "random" and
  "random-4x" are scale 1 and scale 4), ``"region"`` (the partner's cells form one rectangle of the cell grid, side
  ratio ``sqrt(1 - ceil(S r) / S)`` rounded to whole cells, placed uniformly inside the image: a CutMix box aligned
  to cells) or ``"block"`` (BEiT's block-wise masking on the cell grid, blocks of aspect ratio in [0.3, 1/0.3], topped
  up to exactly ``S - ceil(S r)`` partner cells: :func:`pretrain.mixing.tokenmix.block_token_mask`);
- ``cell_offset`` (Table 8, approach B: cells misaligned with the patches): the cell grid shifted by this many pixels
  down and right (cells cut at the image border), so a cell border runs through patches; 0: aligned (official);
- ``scale`` below 1 (Table 8, approach C: cells smaller than a patch), e.g. 0.5: 8-px cells on 16-px patches;
- ``shuffle`` (Table 9, noisy patterns): after mixing, the patch-sized tiles taken from the partner (``"pasted"``),
  those kept from the sample itself (``"canvas"``) or both (``"both"``, each set among itself) are permuted at random
  positions within their own set, per sample; the mask and the label do not change. ``"none"``: official.

When cells are not whole patches (B, C), the label stays the exact pixel fraction per sample.
"""

import math

import torch
import torch.nn.functional as F

from .core import MixBatch, SwitchMixer, coin, maskmix_mask, np_rng, paste

PAIRINGS = ("randperm", "flip")
MASK_STRATEGIES = ("random", "region", "block")
SHUFFLES = ("none", "pasted", "canvas", "both")


def region_cells(batch_size: int, grid, n_paste: int, generator: torch.Generator) -> torch.Tensor:
    """``(B, gh, gw)`` 0/1 partner masks, each one rectangle of cells: side ratio ``sqrt(n_paste / S)`` rounded to
    whole cells (at least one cell when ``n_paste > 0``), uniform position inside the grid."""
    gh, gw = grid
    out = torch.zeros(batch_size, gh, gw)
    if n_paste <= 0:
        return out
    ratio = math.sqrt(n_paste / (gh * gw))
    bh, bw = min(gh, max(1, round(gh * ratio))), min(gw, max(1, round(gw * ratio)))
    tops = torch.randint(0, gh - bh + 1, (batch_size,), generator=generator)
    lefts = torch.randint(0, gw - bw + 1, (batch_size,), generator=generator)
    for i in range(batch_size):
        out[i, tops[i]:tops[i] + bh, lefts[i]:lefts[i] + bw] = 1.0
    return out


def cell_keep_mask(batch_size: int, img_hw, cell: int, n_keep_of, strategy: str, offset: int,
                   generator: torch.Generator) -> torch.Tensor:
    """``(B, H, W)`` 0/1 mask, 1 = kept from the sample itself, on a grid of ``cell``-px cells shifted by ``offset``
    px (the grid then has one more row and column, cut at the borders); ``n_keep_of(S)`` kept cells of the ``S``."""
    H, W = img_hw
    gh, gw = (H + cell - 1) // cell + (offset > 0), (W + cell - 1) // cell + (offset > 0)
    S = gh * gw
    n_keep = n_keep_of(S)
    if strategy == "random":
        keep = maskmix_mask(batch_size, (gh, gw), 1, n_keep, generator)
    elif strategy == "region":
        keep = 1 - region_cells(batch_size, (gh, gw), S - n_keep, generator)
    else:
        from .tokenmix import block_token_mask
        keep = 1 - torch.stack([block_token_mask((gh, gw), S - n_keep, generator) for _ in range(batch_size)])
    full = keep.repeat_interleave(cell, 1).repeat_interleave(cell, 2)
    start = (cell - offset) % cell if offset else 0
    return full[:, start:start + H, start:start + W].contiguous()


def shuffle_tiles(x: torch.Tensor, region: torch.Tensor, tile: int, which: str,
                  generator: torch.Generator) -> torch.Tensor:
    """Permute ``tile``-px tiles of each mixed image within the partner's tiles (``pasted``), the sample's own
    (``canvas``) or each set separately (``both``); ``region`` ``(B, H, W)`` must be constant on every tile."""
    B, C, H, W = x.shape
    gh, gw = H // tile, W // tile
    tiles = F.unfold(x, tile, stride=tile)  # (B, C*t*t, N)
    from_partner = region[:, ::tile, ::tile].reshape(B, -1) > 0.5  # (B, N)
    sets = {"pasted": (True,), "canvas": (False,), "both": (True, False)}[which]
    idx = torch.arange(gh * gw).expand(B, -1).clone()
    for i in range(B):
        for side in sets:
            pos = (from_partner[i].cpu() == side).nonzero().squeeze(1)
            idx[i, pos] = pos[torch.randperm(len(pos), generator=generator)]
    idx = idx.to(x.device)
    out = tiles.gather(2, idx[:, None, :].expand(-1, tiles.shape[1], -1))
    return F.fold(out, (H, W), tile, stride=tile)


def maskmix_batch(x, y, cell: int, beta: float, generator: torch.Generator, pairing: str = "randperm",
                  strategy: str = "random", offset: int = 0, shuffle: str = "none", tile: int = 16) -> MixBatch:
    """``pairing``: ``"randperm"`` (fistyee/MixPro@53a229e ``main.py`` l.196: ``index = torch.randperm(B)`` per batch;
    a sample may draw itself) or ``"flip"`` (timm's ``x.flip(0)``). ``strategy``, ``offset``, ``shuffle``: the
    MixPro ablations (module doc); ``tile``: the patch size the shuffles move."""
    H, W = x.shape[-2:]
    r = float(np_rng(generator).beta(beta, beta))
    if strategy == "random" and not offset:  # the official mask, draw for draw
        if H % cell or W % cell:
            raise ValueError(f"MaskMix cell {cell} px (scale x patch size) must divide the image {H}x{W}")
        S = (H // cell) * (W // cell)
        n_keep = math.ceil(S * r)
        keep = maskmix_mask(x.shape[0], (H, W), cell, n_keep, generator).to(x.device)
        lam = torch.full((x.shape[0],), 1 - n_keep / S, device=x.device)
    else:
        keep = cell_keep_mask(x.shape[0], (H, W), cell, lambda S: math.ceil(S * r), strategy, offset,
                              generator).to(x.device)
        lam = 1 - keep.flatten(1).mean(1)  # the exact pixel fraction per sample
    region = 1 - keep  # 1 = from the partner
    partner = torch.randperm(x.shape[0], generator=generator) if pairing == "randperm" else None
    xm = paste(x, region, partner)
    if shuffle != "none":
        xm = shuffle_tiles(xm, region, tile, shuffle, generator)
    return MixBatch(xm, y, lam, "maskmix", region=region,
                    partner=None if partner is None else partner.to(y.device))


class MaskMix(SwitchMixer):
    name = "maskmix"

    def __init__(self, num_classes: int, smoothing: float = 0.1, prob: float = 1.0, mixup_alpha: float = 0.8,
                 cutmix_alpha: float = 1.0, switch_prob: float = 0.5, scale: float = 4, patch_size: int = 16,
                 beta: float = 1.0, maskmix_prob: float = 0.5, pairing: str = "randperm",
                 mask_strategy: str = "random", cell_offset: int = 0, shuffle: str = "none"):
        super().__init__(num_classes, smoothing, prob, mixup_alpha, cutmix_alpha, switch_prob)
        if scale <= 0 or (scale * patch_size) != int(scale * patch_size):
            raise ValueError(f"MaskMix scale x patch size must be a whole number of pixels (paper: scale 1, 2, 4, 7; "
                             f"Table 8 C: below 1), got scale {scale} x {patch_size}")
        if pairing not in PAIRINGS:
            raise ValueError(f"pairing must be 'randperm' (fistyee/MixPro) or 'flip' (timm), got {pairing!r}")
        for key, value, valid in (("mask_strategy", mask_strategy, MASK_STRATEGIES), ("shuffle", shuffle, SHUFFLES)):
            if value not in valid:
                raise ValueError(f"{key} must be one of {valid} (the first is the official), got {value!r}")
        cell = int(scale * patch_size)
        if not 0 <= cell_offset < cell:
            raise ValueError(f"cell_offset must be in [0, cell = {cell}) px, got {cell_offset}")
        if shuffle != "none" and (cell % patch_size or cell_offset % patch_size):
            raise ValueError("shuffle moves whole patches: it needs cells of whole patches (scale >= 1, an integer) "
                             "and a cell_offset that is a multiple of the patch size")
        self.scale, self.patch_size, self.beta, self.maskmix_prob = scale, patch_size, beta, maskmix_prob
        self.pairing, self.mask_strategy, self.cell_offset, self.shuffle = pairing, mask_strategy, cell_offset, shuffle

    @classmethod
    def check_geometry(cls, img_size, token_stride: int, **options) -> None:
        scale = options.get("scale", cls.default("scale"))
        p = options.get("patch_size", token_stride)
        offset = options.get("cell_offset", 0)
        strategy = options.get("mask_strategy", "random")
        H, W = img_size
        cell = scale * p
        if cell != int(cell):
            raise ValueError(f"{cls.name}: scale {scale} x token stride {p} is not a whole number of pixels")
        if (strategy == "random" and not offset) and (H % cell or W % cell):
            valid = [s for s in range(1, min(H, W) // p + 1) if H % (s * p) == 0 and W % (s * p) == 0]
            raise ValueError(f"{cls.name}: scale {scale} x token stride {p} = {int(cell)}-px cells do not divide the "
                             f"{H}x{W} image; valid scales for this model and size: {', '.join(map(str, valid))} "
                             f"(set method_kwargs.{cls.name}.scale)")

    @property
    def cell(self) -> int:
        return int(self.scale * self.patch_size)

    @property
    def aligned(self) -> bool:
        """Every model patch lies in one cell (the official geometry): a patch's top-left pixel tells its owner."""
        return self.cell % self.patch_size == 0 and self.cell_offset % self.patch_size == 0

    def mix(self, x, y, generator):
        if coin(generator, self.maskmix_prob):
            return maskmix_batch(x, y, self.cell, self.beta, generator, self.pairing, self.mask_strategy,
                                 self.cell_offset, self.shuffle, self.patch_size)
        return super().mix(x, y, generator)
