"""MixPro = MaskMix + Progressive Attention Labeling (Zhao et al., ICLR 2023; code fistyee/MixPro ``main.py``).

On MaskMix batches (probability ``maskmix_prob``, 0.5 as in the official script; other batches take the DeiT
Mixup/CutMix switch with their ordinary labels), the partner's weight is, per sample,
``lam = alpha * lam_attn + (1 - alpha) * lam_area`` where ``lam_attn`` is the last block's class attention over the
cell mask (sampled at each patch's top-left pixel, exact since cells are whole patches), and PAL's ``alpha`` is the
cosine similarity between the softmax output and the area-mixed target of the same forward pass.

Switches, with the official behaviour named:
- ``alpha_strategy``: ``cosine`` (PAL), ``equal`` (0.5), ``linear`` (t/T), ``parabolic`` ((t/T)^2), ``learnable``
  (a scalar ``sigmoid(a)``; add :meth:`parameters` to the optimizer) -- MixPro Table 10;
- ``detach_alpha``: default True (OpenMixup's port); the official code lets the gradient flow through alpha (False);
- ``pal_smoothing``: default True (keep label smoothing); the official code drops smoothing from the loss target of
  PAL batches (False: ``lam*CE(y) + (1-lam)*CE(y[index])``, ``main.py`` l.288, l.310) while its alpha is computed
  against the smoothed area target (l.304-306) -- alpha is so here with either setting;
- ``pairing``: ``randperm`` (official: ``torch.randperm`` partner per batch) or ``flip`` (timm's);
- ``attn_source``: as TransMix (last block default); ``scale``, ``beta``: MaskMix's grid and Beta parameter;
- ``mask_strategy``, ``cell_offset``, ``scale`` < 1, ``shuffle``: MixPro Tables 7-9 (``maskmix.py``).
"""

import torch

from .core import AttentionAware, attention_lambda, mix_targets, pal_cosine_alpha, pal_lambda
from .maskmix import MaskMix

ALPHA_STRATEGIES = ("cosine", "equal", "linear", "parabolic", "learnable")


class MixPro(AttentionAware, MaskMix):
    name = "mixpro"

    def __init__(self, num_classes: int, smoothing: float = 0.1, prob: float = 1.0, mixup_alpha: float = 0.8,
                 cutmix_alpha: float = 1.0, switch_prob: float = 0.5, scale: float = 4, patch_size: int = 16,
                 beta: float = 1.0, maskmix_prob: float = 0.5, alpha_strategy: str = "cosine",
                 detach_alpha: bool = True, pal_smoothing: bool = True, attn_source="last", attn_model=None,
                 pairing: str = "randperm", mask_strategy: str = "random", cell_offset: int = 0,
                 shuffle: str = "none"):
        super().__init__(num_classes, smoothing, prob, mixup_alpha, cutmix_alpha, switch_prob, scale, patch_size,
                         beta, maskmix_prob, pairing, mask_strategy, cell_offset, shuffle)
        if alpha_strategy not in ALPHA_STRATEGIES:
            raise ValueError(f"alpha_strategy must be one of {ALPHA_STRATEGIES}, got {alpha_strategy!r}")
        self.alpha_strategy, self.detach_alpha, self.pal_smoothing = alpha_strategy, detach_alpha, pal_smoothing
        self.alpha_logit = torch.nn.Parameter(torch.zeros(())) if alpha_strategy == "learnable" else None
        self._init_attention(attn_source, attn_model)

    def parameters(self):
        return [] if self.alpha_logit is None else [self.alpha_logit]

    def to(self, device):
        if self.alpha_logit is not None:
            self.alpha_logit.data = self.alpha_logit.data.to(device)
        return self

    def alpha(self, logits, area_target, progress: float) -> torch.Tensor:
        """``(B,)`` alpha of the chosen strategy; ``progress`` = t/T in [0, 1]."""
        B = area_target.shape[0]
        if self.alpha_strategy == "cosine":
            return pal_cosine_alpha(logits, area_target, self.detach_alpha)
        if self.alpha_strategy == "learnable":
            return torch.sigmoid(self.alpha_logit.to(area_target.device)).expand(B)
        value = {"equal": 0.5, "linear": progress, "parabolic": progress ** 2}[self.alpha_strategy]
        return torch.full((B,), float(value), device=area_target.device)

    def targets(self, batch, logits=None, attn=None, grid=None, progress=0.0):
        partner = batch.partner
        if batch.kind != "maskmix":
            return mix_targets(batch.y, batch.lam, self.num_classes, self.smoothing, partner)
        attn, grid = self._attention(batch, attn, grid)
        # alpha against the smoothed area target whatever pal_smoothing says (fistyee/MixPro@53a229e main.py
        # l.304-306: the mixed target of utils.py l.55, smoothing 0.1); pal_smoothing only sets the loss target
        area_target = mix_targets(batch.y, batch.lam, self.num_classes, self.smoothing, partner)
        alpha = self.alpha(logits, area_target, progress)
        # cells of whole patches (official): a patch's top-left pixel tells its owner; cells misaligned with or
        # smaller than the patches (MixPro Table 8 B, C): the share of each patch's pixels from the partner
        lam_attn = attention_lambda(batch.region, attn, grid, "top_left" if self.aligned else "fraction")
        lam = pal_lambda(alpha, lam_attn, batch.lam)
        return mix_targets(batch.y, lam, self.num_classes, self.smoothing if self.pal_smoothing else 0.0, partner)
