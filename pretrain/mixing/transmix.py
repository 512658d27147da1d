"""TransMix (Chen et al., CVPR 2022; code Beckschen/TransMix ``transmix.py``).

Input side: exactly the DeiT recipe (CutMix / Mixup switch). Label side, on CutMix batches only: the partner's
weight is re-assigned per sample from the class attention of the last block, taken from the same forward pass on the
mixed batch: ``lam_attn = sum(A*m)/sum(A)`` with ``m`` the box sampled at each patch's top-left pixel.

Deliberate differences from the official code, each a switch:
- ``lam_mode``: ``"mean"`` (official: ``(lam_area + lam_attn) / 2``, paper section 4.1), ``"attn"`` (paper Eq. 7) or
  ``"pal"`` (MixPro Table 6's "CutMix + TransMix + PAL" row: MixPro's PAL weight ``alpha * lam_attn + (1 - alpha) *
  lam_area``, alpha the cosine similarity of the softmax output and the smoothed area target, detached);
- ``attn_source``: last block (official) / block d / rollout / external frozen provider (paper Tables 6 and 9);
- no ``.cuda()``: the mask lives on the attention's device;
- ``box_rounding``: ``"floor"`` (the box of timm 0.5.4, which TransMix pins) or ``"ceil"`` (timm 1.0.31's);
- ``align_box`` (MixPro Table 8, approach A: TransMix with the box aligned to patch borders): False (official); True
  rounds each edge of the CutMix box to the nearest patch border (``patch_size`` px), the area label then being the
  snapped box's area, so every patch comes from one image.
"""

from .core import (
    AttentionAware,
    SwitchMixer,
    check_rounding,
    mix_targets,
    pal_cosine_alpha,
    pal_lambda,
    transmix_lambda,
)


class TransMix(AttentionAware, SwitchMixer):
    name = "transmix"

    def __init__(self, num_classes: int, smoothing: float = 0.1, prob: float = 1.0, mixup_alpha: float = 0.8,
                 cutmix_alpha: float = 1.0, switch_prob: float = 0.5, lam_mode: str = "mean",
                 attn_source="last", attn_model=None, box_rounding: str = "floor", align_box: bool = False,
                 patch_size: int = 16):
        super().__init__(num_classes, smoothing, prob, mixup_alpha, cutmix_alpha, switch_prob)
        self.box_rounding = check_rounding(box_rounding)  # TransMix pins timm 0.5.4 (requirements.txt): "floor"
        self.align_box, self.patch_size = bool(align_box), patch_size
        self.box_snap = patch_size if self.align_box else 0  # one box drawn, snapped, pasted (core.cutmix_batch)
        if lam_mode not in ("mean", "attn", "pal"):
            raise ValueError(f"lam_mode must be 'mean' (official code), 'attn' (paper Eq. 7) or 'pal' (MixPro's PAL "
                             f"weight), got {lam_mode!r}")
        self.lam_mode = lam_mode
        self._init_attention(attn_source, attn_model)

    def targets(self, batch, logits=None, attn=None, grid=None, progress=0.0):
        lam = batch.lam
        if batch.kind == "cutmix":
            attn, grid = self._attention(batch, attn, grid)
            if self.lam_mode == "pal":
                area_target = mix_targets(batch.y, batch.lam, self.num_classes, self.smoothing)
                lam_attn = transmix_lambda(batch.box, tuple(batch.x.shape[-2:]), attn, grid, "attn")
                lam = pal_lambda(pal_cosine_alpha(logits, area_target), lam_attn, batch.lam)
            else:
                lam = transmix_lambda(batch.box, tuple(batch.x.shape[-2:]), attn, grid, self.lam_mode)
        return mix_targets(batch.y, lam, self.num_classes, self.smoothing)
