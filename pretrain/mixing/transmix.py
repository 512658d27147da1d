"""TransMix (Chen et al., CVPR 2022; code Beckschen/TransMix ``transmix.py``).

Input side: exactly the DeiT recipe (CutMix / Mixup switch). Label side, on CutMix batches only: the partner's
weight is re-assigned per sample from the class attention of the last block, taken from the same forward pass on the
mixed batch: ``lam_attn = sum(A*m)/sum(A)`` with ``m`` the box sampled at each patch's top-left pixel.

Deliberate differences from the official code, each a switch:
- ``lam_mode``: ``"mean"`` (official: ``(lam_area + lam_attn) / 2``, paper section 4.1) or ``"attn"`` (paper Eq. 7);
- ``attn_source``: last block (official) / block d / rollout / external frozen provider (paper Tables 6 and 9);
- no ``.cuda()``: the mask lives on the attention's device;
- ``box_rounding``: ``"floor"`` (the box of timm 0.5.4, which TransMix pins) or ``"ceil"`` (timm 1.0.31's).
"""

from .core import AttentionAware, SwitchMixer, check_rounding, mix_targets, transmix_lambda


class TransMix(AttentionAware, SwitchMixer):
    name = "transmix"

    def __init__(self, num_classes: int, smoothing: float = 0.1, prob: float = 1.0, mixup_alpha: float = 0.8,
                 cutmix_alpha: float = 1.0, switch_prob: float = 0.5, lam_mode: str = "mean",
                 attn_source="last", attn_model=None, box_rounding: str = "floor"):
        super().__init__(num_classes, smoothing, prob, mixup_alpha, cutmix_alpha, switch_prob)
        self.box_rounding = check_rounding(box_rounding)  # TransMix pins timm 0.5.4 (requirements.txt): "floor"
        if lam_mode not in ("mean", "attn"):
            raise ValueError(f"lam_mode must be 'mean' (official code) or 'attn' (paper Eq. 7), got {lam_mode!r}")
        self.lam_mode = lam_mode
        self._init_attention(attn_source, attn_model)

    def targets(self, batch, logits=None, attn=None, grid=None, progress=0.0):
        lam = batch.lam
        if batch.kind == "cutmix":
            attn, grid = self._attention(batch, attn, grid)
            lam = transmix_lambda(batch.box, tuple(batch.x.shape[-2:]), attn, grid, self.lam_mode)
        return mix_targets(batch.y, lam, self.num_classes, self.smoothing)
