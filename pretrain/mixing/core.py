"""Shared pieces of every mixing method: the batch record, label targets and the four public pure functions.

Conventions (``../shared/PROTOCOLS.md``): the partner of sample ``i`` is ``x.flip(0)[i]`` (timm's pairing; MaskMix /
MixPro: ``x[randperm][i]`` as fistyee/MixPro, recorded in ``MixBatch.partner``); ``lam`` is
always the weight of the *partner's* label, one value per sample; targets are per-sample soft vectors
``(1 - lam_i) * y_i + lam_i * y_partner(i)`` built from label-smoothed one-hots (``off = s/K``, ``on = 1 - s + off``).

Every random draw comes from an explicit ``torch.Generator`` so a method is a pure function of (inputs, generator).
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F


@dataclass
class MixBatch:
    """What the mixing step hands to the forward pass and later to :meth:`Mixer.targets`.

    ``x``: mixed images ``(B, C, H, W)``; ``y``: integer labels ``(B,)``; ``lam``: area weight of the partner label
    ``(B,)``; ``kind``: which input operation ran (``none``, ``mixup``, ``cutmix``, ``maskmix``, ...);
    ``region``: ``(B, H, W)`` 1 where the pixel comes from the partner (None for Mixup / no mixing);
    ``box``: the CutMix box ``(y_lo, y_hi, x_lo, x_hi)`` when there is one; ``partner``: the partner index of each
    sample ``(B,)`` when it is not ``flip(0)`` (MaskMix's and GridMix's ``randperm``); ``extra``: method-specific
    tensors.
    """

    x: torch.Tensor
    y: torch.Tensor
    lam: torch.Tensor
    kind: str = "none"
    region: torch.Tensor | None = None
    box: tuple[int, int, int, int] | None = None
    partner: torch.Tensor | None = None
    extra: dict = field(default_factory=dict)


# ------------------------------------------------------------------------------------------------ label targets


def smooth_one_hot(y: torch.Tensor, num_classes: int, smoothing: float = 0.1) -> torch.Tensor:
    """timm's ``one_hot`` with ``off = s/K``, ``on = 1 - s + off``: ``(B,)`` -> ``(B, K)`` float32."""
    off = smoothing / num_classes
    return torch.full((y.shape[0], num_classes), off, device=y.device).scatter_(1, y[:, None], 1.0 - smoothing + off)


def mix_targets(y: torch.Tensor, lam: torch.Tensor, num_classes: int, smoothing: float = 0.1,
                partner: torch.Tensor | None = None) -> torch.Tensor:
    """Per-sample soft targets ``(1 - lam_i) * y_i + lam_i * y_partner(i)``; ``lam`` ``(B,)`` weighs the partner;
    ``partner``: the partner index of each sample (None: ``flip(0)``, timm's pairing)."""
    y1 = smooth_one_hot(y, num_classes, smoothing)
    lam = lam.to(y1).reshape(-1, 1)
    return (1 - lam) * y1 + lam * (y1.flip(0) if partner is None else y1[partner.to(y1.device)])


# ----------------------------------------------------------------------------------------- randomness helpers


def np_rng(generator: torch.Generator) -> np.random.Generator:
    """A numpy stream drawn from the torch generator (for scalar draws torch cannot seed: Beta, integers)."""
    return np.random.default_rng(int(torch.randint(0, 2**62, (1,), generator=generator)))


def coin(generator: torch.Generator, p: float) -> bool:
    """True with probability ``p`` (draws from the generator even when p is 0 or 1, so streams stay aligned)."""
    return bool(torch.rand((), generator=generator) < p)


BOX_ROUNDING = ("floor", "ceil")


def cutmix_box(img_hw: tuple[int, int], lam: float, rng: np.random.Generator,
               rounding: str = "floor") -> tuple[int, int, int, int]:
    """timm's ``rand_bbox``: side ratio ``sqrt(1 - lam)``, uniform centre, clipped; ``(y_lo, y_hi, x_lo, x_hi)``.

    Same formula as ``timm.data.mixup.rand_bbox`` but on an explicit generator (timm's draws from numpy's global one).
    ``rounding``: where the box ends, ``"floor"`` ``c + cut // 2`` (timm 0.4.12 and 0.5.4 ``mixup.py`` l.47-50, the
    versions TransMix, TokenMix (0.5.4) and MixPro (0.4.12) pin, and timm up to 1.0.29) or ``"ceil"``
    ``c + (cut + 1) // 2`` (timm 1.0.31, the installed one: a box of exactly ``cut`` when unclipped, 0.15% more area
    on average at 224 px).
    """
    check_rounding(rounding)
    h, w = img_hw
    ratio = math.sqrt(1 - lam)
    cut_h, cut_w = int(h * ratio), int(w * ratio)
    cy, cx = int(rng.integers(0, h)), int(rng.integers(0, w))
    up_h, up_w = (cut_h // 2, cut_w // 2) if rounding == "floor" else ((cut_h + 1) // 2, (cut_w + 1) // 2)
    yl, yh = int(np.clip(cy - cut_h // 2, 0, h)), int(np.clip(cy + up_h, 0, h))
    xl, xh = int(np.clip(cx - cut_w // 2, 0, w)), int(np.clip(cx + up_w, 0, w))
    return yl, yh, xl, xh


def snap_box(box: tuple[int, int, int, int], img_hw: tuple[int, int], step: int) -> tuple[int, int, int, int]:
    """Each edge of ``(y_lo, y_hi, x_lo, x_hi)`` moved to the nearest multiple of ``step`` px (halves up), within the
    image: a box of whole patches (MixPro Table 8, approach A)."""
    h, w = img_hw
    snap = lambda v, n: min(n, (v + step // 2) // step * step)  # noqa: E731
    return snap(box[0], h), snap(box[1], h), snap(box[2], w), snap(box[3], w)


def check_rounding(rounding: str) -> str:
    if rounding not in BOX_ROUNDING:
        raise ValueError(f"box_rounding must be 'floor' (timm 0.4.12/0.5.4, the originals) or 'ceil' (timm 1.0.31), "
                         f"got {rounding!r}")
    return rounding


def box_mask(box: tuple[int, int, int, int], img_hw: tuple[int, int], device=None) -> torch.Tensor:
    """``(H, W)`` float mask, 1 inside the half-open box ``(y_lo, y_hi, x_lo, x_hi)``."""
    m = torch.zeros(img_hw, device=device)
    m[box[0]:box[1], box[2]:box[3]] = 1.0
    return m


def paste(x: torch.Tensor, region: torch.Tensor, partner: torch.Tensor | None = None) -> torch.Tensor:
    """``x`` where ``region`` is 0, the partner (``x.flip(0)``, or ``x[partner]``) where it is 1; region ``(H,W)`` or
    ``(B,H,W)``."""
    m = region.to(x.dtype)
    m = m[None, None] if m.dim() == 2 else m[:, None]
    return x * (1 - m) + (x.flip(0) if partner is None else x[partner.to(x.device)]) * m


# ----------------------------------------------------------------------------------------- public pure functions


def _patch_mask(region_mask: torch.Tensor, grid: tuple[int, int]) -> torch.Tensor:
    """Sample a pixel mask at each patch's top-left pixel (nearest ``nn.Upsample(size=grid)``): ``(B|1, h*w)``."""
    m = region_mask if region_mask.dim() == 3 else region_mask[None]
    H, W = m.shape[-2:]
    h, w = grid
    iy = torch.div(torch.arange(h, device=m.device) * H, h, rounding_mode="floor")
    ix = torch.div(torch.arange(w, device=m.device) * W, w, rounding_mode="floor")
    return m[:, iy][:, :, ix].reshape(m.shape[0], h * w)


def _patch_fraction(region_mask: torch.Tensor, grid: tuple[int, int]) -> torch.Tensor:
    """The share of each patch's pixels where the mask is 1 (area pooling; the grid must divide the mask):
    ``(B|1, h*w)``."""
    m = region_mask if region_mask.dim() == 3 else region_mask[None]
    H, W = m.shape[-2:]
    if H % grid[0] or W % grid[1]:
        raise ValueError(f"the {grid[0]}x{grid[1]} patch grid does not divide the {H}x{W} mask")
    return F.avg_pool2d(m[:, None].float(), (H // grid[0], W // grid[1]))[:, 0].flatten(1)


def attention_lambda(region_mask: torch.Tensor, attn: torch.Tensor, grid: tuple[int, int],
                     coverage: str = "top_left") -> torch.Tensor:
    """Attention weight of the partner region: ``(B,)`` ``sum(attn * m) / sum(attn)``.

    ``region_mask``: ``(H, W)`` or ``(B, H, W)``, 1 where the pixel comes from the partner; ``attn``: ``(B, h*w)``
    class-to-patch attention (need not sum to 1: it is renormalised, as in TransMix's ``transmix_label``);
    ``grid = (h, w)``. ``coverage="top_left"``: a patch counts as the partner's iff its top-left pixel does
    (TransMix's nearest upsampling); ``"fraction"``: it counts by the share of its pixels that do (for masks not
    aligned with the patches; identical on aligned ones).
    """
    if attn.dim() != 2 or attn.shape[1] != grid[0] * grid[1]:
        raise ValueError(f"attn must be (B, h*w) = (B, {grid[0] * grid[1]}), got {tuple(attn.shape)}")
    if coverage not in ("top_left", "fraction"):
        raise ValueError(f"coverage must be 'top_left' or 'fraction', got {coverage!r}")
    a = attn.float()
    m = (_patch_mask if coverage == "top_left" else _patch_fraction)(region_mask, grid).to(a)
    return (a * m).sum(1) / a.sum(1).clamp_min(torch.finfo(a.dtype).tiny)


def transmix_lambda(box, img_hw, attn: torch.Tensor, grid, mode: str = "mean") -> torch.Tensor:
    """TransMix's per-sample partner weight for a pasted half-open pixel box ``(y_lo, y_hi, x_lo, x_hi)``.

    ``mode="mean"`` (official code, Beckschen/TransMix ``transmix.py``): ``(lam_area + lam_attn) / 2``;
    ``mode="attn"`` (paper Eq. 7): ``lam_attn`` alone. Returns ``(B,)``.
    """
    if mode not in ("mean", "attn"):
        raise ValueError(f"lam_mode must be 'mean' (official code) or 'attn' (paper Eq. 7), got {mode!r}")
    H, W = img_hw
    lam_attn = attention_lambda(box_mask(box, img_hw, attn.device), attn, grid)
    if mode == "attn":
        return lam_attn
    area = (box[1] - box[0]) * (box[3] - box[2]) / (H * W)
    return (area + lam_attn) / 2


def maskmix_mask(batch_size: int, img_hw, cell: int, n_keep: int, generator: torch.Generator) -> torch.Tensor:
    """MaskMix mask ``(B, H, W)`` of 0/1 (float32), 1 = pixel kept from the sample itself.

    The image is cut into ``cell x cell`` cells; each sample keeps exactly ``n_keep`` of them at its own random
    positions (fistyee/MixPro ``utils.py``: a per-sample random permutation of the cells). ``H`` and ``W`` must be
    divisible by ``cell`` (unequal cells would make the kept area differ from ``n_keep / S``).
    """
    H, W = img_hw
    if H % cell or W % cell:
        raise ValueError(f"MaskMix cell {cell} px must divide the image {H}x{W} (use a scale whose cell divides it)")
    gh, gw = H // cell, W // cell
    if not 0 <= n_keep <= gh * gw:
        raise ValueError(f"n_keep must be in [0, {gh * gw}], got {n_keep}")
    order = torch.rand(batch_size, gh * gw, generator=generator).argsort(1)  # (B, S) random cell order
    keep = torch.zeros(batch_size, gh * gw).scatter_(1, order[:, :n_keep], 1.0)
    return keep.view(batch_size, gh, gw).repeat_interleave(cell, 1).repeat_interleave(cell, 2)


def pal_alpha(probs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """PAL's per-sample alpha: cosine similarity of softmax outputs ``(B, K)`` and mixed targets ``(B, K)`` -> ``(B,)``.

    Both are non-negative, so alpha lies in [0, 1] (MixPro, Zhao et al. ICLR 2023, Eq. 5).
    """
    return F.cosine_similarity(probs.float(), target.float(), dim=1, eps=1e-8)


def pal_cosine_alpha(logits: torch.Tensor | None, area_target: torch.Tensor, detach: bool = True) -> torch.Tensor:
    """PAL's alpha from the logits of the forward pass on the mixed batch and that batch's area-mixed (smoothed)
    target: :func:`pal_alpha` of the softmax, detached by default (OpenMixup's port; fistyee/MixPro keeps the
    gradient)."""
    if logits is None:
        raise ValueError("PAL's alpha needs the logits of the forward pass")
    a = pal_alpha(logits.float().softmax(1), area_target)
    return a.detach() if detach else a


def pal_lambda(alpha: torch.Tensor, lam_attn: torch.Tensor, lam_area: torch.Tensor) -> torch.Tensor:
    """PAL's partner weight ``alpha * lam_attn + (1 - alpha) * lam_area`` (MixPro Eq. 4), per sample ``(B,)``."""
    return alpha * lam_attn + (1 - alpha) * lam_area.to(alpha)


# ---------------------------------------------------------------------------------------------------- base class


class Mixer:
    """One mixing method. ``batch = mixer(x, y, generator)``; ``target = mixer.targets(batch, logits, attn, grid)``.

    Subclasses set ``name``, ``needs_attn`` (the forward must return class attention), ``loss`` (``soft_ce`` or
    ``bce``) and take their hyper-parameters as keyword arguments (unknown keys raise, listing the valid ones).
    """

    name = "base"
    needs_attn = False
    loss = "soft_ce"
    attn_source = "last"

    def __init__(self, num_classes: int, smoothing: float = 0.1, prob: float = 1.0):
        if num_classes < 2:
            raise ValueError(f"num_classes must be >= 2, got {num_classes}")
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f"prob must be in [0, 1], got {prob}")
        self.num_classes, self.smoothing, self.prob = num_classes, smoothing, prob

    # the two steps -------------------------------------------------------------------------------------------
    def __call__(self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator) -> MixBatch:
        if x.shape[0] % 2:
            raise ValueError(f"batch size must be even for flip pairing, got {x.shape[0]} (drop the last batch)")
        if not coin(generator, self.prob):
            return MixBatch(x, y, torch.zeros(x.shape[0], device=x.device))
        return self.mix(x, y, generator)

    def mix(self, x, y, generator) -> MixBatch:  # overridden
        return MixBatch(x, y, torch.zeros(x.shape[0], device=x.device))

    def targets(self, batch: MixBatch, logits=None, attn=None, grid=None, progress: float = 0.0) -> torch.Tensor:
        """Soft targets ``(B, K)`` for this batch; attention-aware methods use ``attn`` ``(B, h*w)`` on ``grid``."""
        return mix_targets(batch.y, batch.lam, self.num_classes, self.smoothing, batch.partner)

    def parameters(self) -> list[torch.nn.Parameter]:
        """Learnable parameters of the method itself (PAL's learnable alpha); add them to the optimizer."""
        return []

    def to(self, device) -> Mixer:
        return self

    def criterion(self) -> torch.nn.Module:
        from timm.loss import BinaryCrossEntropy, SoftTargetCrossEntropy
        return BinaryCrossEntropy(smoothing=0.0) if self.loss == "bce" else SoftTargetCrossEntropy()

    @classmethod
    def options(cls) -> list[str]:
        keys = []
        for k in reversed(cls.__mro__):
            if "__init__" in k.__dict__:
                keys += [p for p in inspect.signature(k.__init__).parameters if p not in ("self", "kwargs")]
        return sorted(set(keys) - {"num_classes"})

    @classmethod
    def default(cls, name: str):
        """The constructor default of option ``name``."""
        for k in cls.__mro__:
            if "__init__" in k.__dict__:
                p = inspect.signature(k.__init__).parameters.get(name)
                if p is not None:
                    return p.default
        raise KeyError(name)

    @classmethod
    def check_geometry(cls, img_size: tuple[int, int], token_stride: int, **options) -> None:
        """Refuse, before any data is read, options that cannot work on this model and image size (overridden by the
        methods that cut the image into tokens or cells)."""

    def __repr__(self) -> str:
        opts = {k: getattr(self, k) for k in self.options() if hasattr(self, k)}
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in opts.items())})"


# -------------------------------------------------------------------------------------- frozen external models


def frozen_model(spec, num_classes: int | None = None) -> torch.nn.Module:
    """A frozen model for a method that needs one (Attentive-CutMix's CNN, TokenMix's teacher, an external
    attention provider). ``spec`` is an ``nn.Module``; a path (a hand-off ``backbone.pth`` or a released checkpoint
    in any layout ``python -m pretrain.import_weights`` reads, its backbone found from its keys); or a dict
    ``{"model": <timm name or alias>, "checkpoint": <such a path>}``. ``"checkpoint": None`` with ``"allow_random":
    True`` keeps random weights (benchmarks and tests only: the method then runs at its true cost but its labels carry
    no knowledge)."""
    from pretrain import import_weights as W

    if isinstance(spec, torch.nn.Module):
        model = spec
    elif isinstance(spec, (str, Path)):
        model = W.load_model(spec)[0]
    else:
        if not isinstance(spec, dict) or "model" not in spec:
            raise ValueError(f"expected a module, a checkpoint path or {{'model': name, 'checkpoint': path}}, got "
                             f"{spec!r}")
        unknown = set(spec) - {"model", "checkpoint", "allow_random", "num_classes"}
        if unknown:
            raise ValueError(f"unknown keys {sorted(unknown)} in frozen model spec; valid: model, checkpoint, "
                             "allow_random, num_classes")
        import timm

        import pretrain.models  # noqa: F401  (registers this suite's models with timm)
        from pretrain.models import resolve_name

        classes = spec.get("num_classes", num_classes)
        kwargs = {} if classes is None else {"num_classes": classes}
        model = timm.create_model(resolve_name(spec["model"]), pretrained=False, **kwargs)
        ckpt = spec.get("checkpoint")
        if ckpt is None and not spec.get("allow_random"):
            raise ValueError(f"frozen model {spec['model']!r} needs a 'checkpoint' (a hand-off or a released "
                             "checkpoint); set allow_random=True only for benchmarks")
        if ckpt is not None:
            from pretrain.checkpoint import load_state_dict_exact
            sd = W.release_state_dict(ckpt)
            head = next((k for k, p in model.named_parameters() if p is getattr(model.get_classifier(), "weight", 0)),
                        None)
            if classes is None and head in sd and sd[head].shape[0] != model.get_classifier().weight.shape[0]:
                # no class count asked for (the head is not used: Attentive-CutMix's features): the file's own
                model = timm.create_model(resolve_name(spec["model"]), pretrained=False, num_classes=sd[head].shape[0])
            load_state_dict_exact(model, sd, source=str(ckpt))
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


class SwitchMixer(Mixer):
    """The DeiT recipe's switch (timm ``Mixup`` with ``switch_prob``): per batch, the cut-style operation
    :meth:`cut` with probability ``switch_prob``, else Mixup with ``Beta(mixup_alpha, mixup_alpha)``."""

    def __init__(self, num_classes: int, smoothing: float = 0.1, prob: float = 1.0, mixup_alpha: float = 0.8,
                 cutmix_alpha: float = 1.0, switch_prob: float = 0.5):
        super().__init__(num_classes, smoothing, prob)
        self.mixup_alpha, self.cutmix_alpha, self.switch_prob = mixup_alpha, cutmix_alpha, switch_prob

    def mix(self, x, y, generator) -> MixBatch:
        if coin(generator, self.switch_prob):
            return self.cut(x, y, generator)
        return mixup_batch(x, y, self.mixup_alpha, generator)

    box_rounding = "floor"  # the originals' timm (cutmix_box); DeiTMix and TransMix take it as an option
    box_snap = 0  # px; > 0 snaps the CutMix box to that grid (TransMix's align_box)

    def cut(self, x, y, generator) -> MixBatch:
        return cutmix_batch(x, y, self.cutmix_alpha, generator, self.box_rounding, self.box_snap)


def mixup_batch(x: torch.Tensor, y: torch.Tensor, alpha: float, generator: torch.Generator) -> MixBatch:
    """timm's batch Mixup: ``x = lam*x + (1-lam)*x.flip(0)``, ``lam ~ Beta(alpha, alpha)``; partner weight 1-lam."""
    lam_self = float(np_rng(generator).beta(alpha, alpha))
    xm = x.mul(lam_self).add_(x.flip(0), alpha=1 - lam_self)
    return MixBatch(xm, y, torch.full((x.shape[0],), 1 - lam_self, device=x.device), "mixup")


def cutmix_batch(x: torch.Tensor, y: torch.Tensor, alpha: float, generator: torch.Generator,
                 rounding: str = "floor", snap: int = 0) -> MixBatch:
    """timm's batch CutMix with ``correct_lam``: one box per batch, partner weight = clipped box area / image area.
    ``snap`` > 0: the drawn box's edges are moved to the nearest multiple of ``snap`` px first (:func:`snap_box`)."""
    H, W = x.shape[-2:]
    rng = np_rng(generator)
    box = cutmix_box((H, W), float(rng.beta(alpha, alpha)), rng, rounding)
    if snap:
        box = snap_box(box, (H, W), snap)
    yl, yh, xl, xh = box
    xm = x.clone()
    xm[..., yl:yh, xl:xh] = x.flip(0)[..., yl:yh, xl:xh]
    area = (yh - yl) * (xh - xl) / (H * W)
    return MixBatch(xm, y, torch.full((x.shape[0],), area, device=x.device), "cutmix",
                    region=box_mask(box, (H, W), x.device), box=box)


class AttentionAware:
    """Attention source switch shared by TransMix and MixPro (TransMix Tables 6 and 9).

    ``attn_source``: ``"last"`` (default: the last block's class row), an int ``d`` (block ``d``, 1-based),
    ``"rollout"`` (attention rollout over all blocks) -- these three come from the trained model's own forward pass
    on the mixed batch, read by the model's attention tap -- or ``"external"``: a frozen provider ``attn_model``
    (e.g. a DINO or pretrained DeiT checkpoint) run on the same mixed batch.
    """

    needs_attn = True

    def _init_attention(self, attn_source, attn_model):
        ok = attn_source in ("last", "rollout", "external") or (isinstance(attn_source, int) and attn_source >= 1)
        if not ok:
            raise ValueError(f"attn_source must be 'last', 'rollout', 'external' or a block number >= 1, "
                             f"got {attn_source!r}")
        if (attn_source == "external") != (attn_model is not None):
            raise ValueError("attn_model (a frozen provider spec) is required with, and only with, "
                             "attn_source='external'")
        self.attn_source = attn_source
        self.attn_model = attn_model
        self._provider = frozen_model(attn_model) if attn_model is not None else None

    def _attention(self, batch: MixBatch, attn, grid):
        if self._provider is not None:
            from pretrain.models.attention import forward_with_attention
            self._provider.to(batch.x.device)
            with torch.no_grad():
                _, attn, grid = forward_with_attention(self._provider, batch.x)
        if attn is None or grid is None:
            raise ValueError(f"{self.name} needs the class attention (B, h*w) and its grid from the forward pass on "
                             "the mixed batch (targets(batch, logits=..., attn=..., grid=...))")
        return attn, grid
