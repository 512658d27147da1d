"""Attentive-CutMix (Walawalkar et al., ICASSP 2020; code xden2331/attentive_cutmix), a TransMix Table 8 comparator.

A frozen external CNN (official: ImageNet ResNet-50, 46M parameters with its head) scores the partner image's
cells from its last feature map (channel mean, official 7x7 grid); the ``top_k`` cells (official 6) are pasted from
the partner into the same positions; area label ``top_k / grid^2``. It takes CutMix's place in the DeiT switch.
Costs one extra forward of the external model per mixed batch (the paper's 0.74x speed).

Deliberate differences: the feature map is average-pooled to ``grid x grid`` so any input size works (official:
224 px and 7x7 directly); per-sample cells (official too); cells of unequal size when ``grid`` does not divide the
image are rounded to pixel boundaries, and the label is the exact pasted area.
"""

import torch
import torch.nn.functional as F

from .core import MixBatch, SwitchMixer, frozen_model, paste


class AttentiveCutMix(SwitchMixer):
    name = "attentive_cutmix"

    def __init__(self, num_classes: int, smoothing: float = 0.1, prob: float = 1.0, mixup_alpha: float = 0.8,
                 switch_prob: float = 0.5, model=None, top_k: int = 6, grid: int = 7):
        super().__init__(num_classes, smoothing, prob, mixup_alpha, 1.0, switch_prob)
        if model is None:
            raise ValueError("attentive_cutmix needs a frozen external model: model={'model': 'resnet50', "
                             "'checkpoint': <path>} (or an nn.Module)")
        if not 1 <= top_k <= grid * grid:
            raise ValueError(f"top_k must be in [1, grid^2 = {grid * grid}], got {top_k}")
        self.model, self.top_k, self.grid = model, top_k, grid
        self._net = frozen_model(model)

    def cut(self, x, y, generator) -> MixBatch:
        B, _, H, W = x.shape
        with torch.no_grad():
            feats = self._net.to(x.device).forward_features(x)  # (B, C, h', w')
            heat = F.adaptive_avg_pool2d(feats.float().mean(1, keepdim=True), self.grid).flatten(1)  # (B, g*g)
        top = heat.flip(0).topk(self.top_k, dim=1).indices  # the partner's most attended cells
        cells = torch.zeros(B, self.grid * self.grid, device=x.device).scatter_(1, top, 1.0)
        region = F.interpolate(cells.view(B, 1, self.grid, self.grid), size=(H, W), mode="nearest")[:, 0]
        lam = region.flatten(1).mean(1)
        return MixBatch(paste(x, region), y, lam, "attentive_cutmix", region=region)
