"""TokenMix (Liu et al., ECCV 2022; code Sense-X/TokenMix@0e17d5d ``tokenmix.py``).

A token-level mask on the patch grid (BEiT-style block masking with aspect ratio in [0.3, 1/0.3], or uniform random)
takes a fixed number of tokens from the partner (official: ``int(0.5 * N) + 14`` of N = 196). Labels come from a
frozen teacher's class-activation map on the *unmixed* images: per image, the map of its ground-truth class,
normalised over the grid; ``s_a`` = the sample's mass on its visible tokens, ``s_b`` = the partner's mass on the
pasted tokens; trained with binary cross-entropy. Official split: TokenMix with probability ``tokenmix_prob`` (0.5),
else Mixup.

Checked against ``tokenmix.py`` l.166-209 (``generate_mask``) and l.329-358 (the target); switches, the original's
first:
- ``mask_scope``: ``"batch"`` (one mask for the whole batch, l.305-327) | ``"sample"`` (one per sample);
- ``block_fill``: ``"official"`` (blocks of 1 token or more, each side strictly shorter than the grid, positions
  anywhere inside it; 10 attempts per block, and the loop stops short after 10 failures: 108-112 of 112 tokens) |
  ``"exact"`` (blocks of at least 4 tokens, topped up with random tokens to exactly the target count);
- ``target_smoothing``: ``"official"`` (label smoothing kept, subtractively: every class ``s/K``, then
  ``t[y_a] += s_a - s/2`` and ``t[y_b] += s_b - s/2``; l.347-353) | ``"none"`` (``s_a`` on class a, ``s_b`` on b).

Deliberate differences from the official code:
- the official code reads precomputed NFNet-F6 maps (TokenLabeling's per-location logits with the classifier bias,
  the ground-truth class kept where it is among a location's top 5); this suite computes the teacher map online
  from any frozen checkpoint (``teacher``) as a ReLU class-activation map, in one teacher forward per batch (the
  partner's map is the flipped batch's);
- ``mix_fraction``: the official count ``int(0.5 * 196) + 14 = 112`` is generalised to ``round(N * 112 / 196)`` so
  smaller grids (the demo's) keep the same fraction; identical at N = 196;
- Mixup batches keep label smoothing (``smoothing``), as the official ``mixup_target``.

``teacher="saliency"`` (TokenMix's teacher ablation, its 'saliency' row; the paper does not say which saliency, the
official repository's only saliency code is an unused OpenCV fine-grained detector, ``tokenmix.py`` l.127-150): the
class-agnostic spectral-residual saliency of each image (``saliencymix.spectral_residual_saliency``), area-pooled to
the token grid and normalised, in place of the teacher's class map.
"""

import math
from pathlib import Path

import torch
import torch.nn.functional as F

from .core import MixBatch, Mixer, coin, frozen_model, mixup_batch, np_rng, paste


def block_token_mask(grid, n_mix: int, generator: torch.Generator, min_block: int = 4) -> torch.Tensor:
    """``block_fill="exact"``: a BEiT ``MaskingGenerator``-style mask ``(h, w)`` with exactly ``n_mix`` ones (1 = token
    from the partner): blocks of at least ``min_block`` tokens, then random tokens up to the count."""
    h, w = grid
    rng = np_rng(generator)
    mask = torch.zeros(h, w)
    for _ in range(100):
        left = n_mix - int(mask.sum())
        if left < min(min_block, n_mix) or left <= 0:
            break
        area = rng.uniform(min(min_block, left), left)
        aspect = math.exp(rng.uniform(math.log(0.3), math.log(1 / 0.3)))
        bh, bw = int(round(math.sqrt(area * aspect))), int(round(math.sqrt(area / aspect)))
        if not (1 <= bh <= h and 1 <= bw <= w):
            continue
        top, lft = int(rng.integers(0, h - bh + 1)), int(rng.integers(0, w - bw + 1))
        block = mask[top:top + bh, lft:lft + bw]
        if int(mask.sum()) + int((block == 0).sum()) <= n_mix:
            block.fill_(1.0)
    free = (mask.view(-1) == 0).nonzero().squeeze(1)
    need = n_mix - int(mask.sum())
    if need > 0:
        pick = free[torch.randperm(len(free), generator=generator)[:need]]
        mask.view(-1)[pick] = 1.0
    return mask


def official_block_mask(grid, n_mix: int, rng) -> torch.Tensor:
    """``block_fill="official"``: TokenMix's ``generate_mask`` (l.166-209) on a numpy-style ``rng`` (``uniform``,
    ``integers``): blocks of ``uniform(1, left)`` tokens with log-uniform aspect in [0.3, 1/0.3], kept when both
    sides are shorter than the grid's and they add 1..left new tokens; 10 attempts per block; 10 failures end the
    mask short of ``n_mix``."""
    h, w = grid
    mask = torch.zeros(h, w)
    count = 0
    while count < n_mix:
        left = min(n_mix - count, h * w)
        delta = 0
        for _ in range(10):
            area = rng.uniform(1, left)
            aspect = math.exp(rng.uniform(math.log(0.3), math.log(1 / 0.3)))
            bh, bw = int(round(math.sqrt(area * aspect))), int(round(math.sqrt(area / aspect)))
            if bw < w and bh < h:
                top, lft = int(rng.integers(0, h - bh + 1)), int(rng.integers(0, w - bw + 1))
                block = mask[top:top + bh, lft:lft + bw]
                new = bh * bw - int(block.sum())
                if 0 < new <= left:
                    block.fill_(1.0)
                    delta = new
                if delta > 0:
                    break
        if delta == 0:
            break
        count += delta
    return mask


def class_activation_map(teacher: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, grid) -> torch.Tensor:
    """The teacher's map of class ``y`` on ``grid``, non-negative and summing to 1 per image: ``(B, h*w)``.

    CNNs: feature map ``(B, C, h', w')`` times the classifier's class row (Zhou et al., CAM). Token models: the patch
    tokens times the class row."""
    with torch.no_grad():
        feats = teacher.forward_features(x)
        weight = teacher.get_classifier().weight  # (K, C)
        if feats.dim() == 3:  # (B, N, C) tokens -> (B, C, h', w')
            feats = feats[:, getattr(teacher, "num_prefix_tokens", 0):]
            s = int(math.isqrt(feats.shape[1]))
            feats = feats.transpose(1, 2).reshape(feats.shape[0], -1, s, s)
        cam = torch.einsum("bchw,bc->bhw", feats.float(), weight[y].float()).relu()
        cam = F.interpolate(cam[:, None], size=tuple(grid), mode="bilinear", align_corners=False)[:, 0].relu()
        cam = cam.flatten(1)
        total = cam.sum(1, keepdim=True)
        uniform = torch.full_like(cam, 1.0 / cam.shape[1])
        return torch.where(total > 0, cam / total.clamp_min(1e-12), uniform)


def saliency_token_map(x: torch.Tensor, grid) -> torch.Tensor:
    """``teacher="saliency"``: spectral-residual saliency area-pooled to ``grid``, summing to 1: ``(B, h*w)``."""
    from .saliencymix import spectral_residual_saliency

    sal = F.adaptive_avg_pool2d(spectral_residual_saliency(x)[:, None], tuple(grid)).flatten(1)
    total = sal.sum(1, keepdim=True)
    return torch.where(total > 0, sal / total.clamp_min(1e-12), torch.full_like(sal, 1.0 / sal.shape[1]))


class TokenMix(Mixer):
    name = "tokenmix"
    loss = "bce"

    def __init__(self, num_classes: int, smoothing: float = 0.1, prob: float = 1.0, teacher=None,
                 patch_size: int = 16, mask_type: str = "block", mix_fraction: float = 112 / 196,
                 tokenmix_prob: float = 0.5, mixup_alpha: float = 0.8, mask_scope: str = "batch",
                 block_fill: str = "official", target_smoothing: str = "official"):
        super().__init__(num_classes, smoothing, prob)
        for key, value, valid in (("mask_scope", mask_scope, ("batch", "sample")),
                                  ("block_fill", block_fill, ("official", "exact")),
                                  ("target_smoothing", target_smoothing, ("official", "none"))):
            if value not in valid:
                raise ValueError(f"tokenmix {key} must be one of {valid} (the first is the original's), got {value!r}")
        self.mask_scope, self.block_fill, self.target_smoothing = mask_scope, block_fill, target_smoothing
        if teacher is None:
            raise ValueError("tokenmix needs a frozen teacher: a checkpoint path (hand-off or release), "
                             "{'model': <timm name>, 'checkpoint': <path>} or an nn.Module")
        if mask_type not in ("block", "random"):
            raise ValueError(f"mask_type must be 'block' or 'random', got {mask_type!r}")
        self.teacher = teacher
        self._teacher = None if teacher == "saliency" else frozen_model(teacher, num_classes)
        if self._teacher is not None and getattr(self._teacher.get_classifier(), "weight", None) is None:
            raise ValueError(f"tokenmix teacher {teacher!r} has no classifier head (a self-supervised backbone such as "
                             "DINO's?): its class-activation maps need one")
        self.patch_size, self.mask_type, self.mix_fraction = patch_size, mask_type, mix_fraction
        self.tokenmix_prob, self.mixup_alpha = tokenmix_prob, mixup_alpha

    @classmethod
    def check_geometry(cls, img_size, token_stride: int, **options) -> None:
        p = options.get("patch_size", token_stride)
        if img_size[0] % p or img_size[1] % p:
            raise ValueError(f"tokenmix: patch size {p} must divide the {img_size[0]}x{img_size[1]} image")
        teacher = options.get("teacher")
        if teacher is None:
            raise ValueError("tokenmix needs a frozen teacher: set method_kwargs.tokenmix.teacher to a checkpoint file "
                             "(a hand-off backbone.pth or a release in any layout pretrain.import_weights reads), e.g. "
                             "--set method_kwargs.tokenmix.teacher=FILE, or run_all --teacher FILE")
        if isinstance(teacher, (str, Path)) and teacher != "saliency" and not Path(teacher).is_file():
            raise FileNotFoundError(f"tokenmix teacher {teacher} not found")

    def mix(self, x, y, generator) -> MixBatch:
        if not coin(generator, self.tokenmix_prob):
            return mixup_batch(x, y, self.mixup_alpha, generator)
        B, _, H, W = x.shape
        p = self.patch_size
        if H % p or W % p:
            raise ValueError(f"patch size {p} must divide the image {H}x{W}")
        grid = (H // p, W // p)
        n = grid[0] * grid[1]
        n_mix = min(n, max(1, round(n * self.mix_fraction)))
        masks = 1 if self.mask_scope == "batch" else B
        if self.mask_type == "random":
            order = torch.rand(masks, n, generator=generator).argsort(1)
            tok = torch.zeros(masks, n).scatter_(1, order[:, :n_mix], 1.0).view(masks, *grid)
        elif self.block_fill == "official":
            tok = torch.stack([official_block_mask(grid, n_mix, np_rng(generator)) for _ in range(masks)])
        else:
            tok = torch.stack([block_token_mask(grid, n_mix, generator) for _ in range(masks)])
        tok = tok.expand(B, *grid).to(x.device)
        cam = saliency_token_map(x, grid) if self._teacher is None else \
            class_activation_map(self._teacher.to(x.device), x, y, grid)  # (B, n) on the unmixed images
        t = tok.flatten(1)
        s_a = (cam * (1 - t)).sum(1)
        s_b = (cam.flip(0) * t).sum(1)
        region = tok.repeat_interleave(p, 1).repeat_interleave(p, 2)
        return MixBatch(paste(x, region), y, t.mean(1), "tokenmix", region=region, extra={"s_a": s_a, "s_b": s_b})

    def targets(self, batch, logits=None, attn=None, grid=None, progress=0.0):
        if batch.kind != "tokenmix":
            return super().targets(batch)
        y = batch.y
        s = self.smoothing if self.target_smoothing == "official" else 0.0
        t = torch.full((y.shape[0], self.num_classes), s / self.num_classes, device=y.device)
        t.scatter_add_(1, y[:, None], batch.extra["s_a"][:, None].to(t) - s / 2)
        t.scatter_add_(1, y.flip(0)[:, None], batch.extra["s_b"][:, None].to(t) - s / 2)
        return t
