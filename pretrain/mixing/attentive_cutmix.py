"""Attentive-CutMix (Walawalkar et al., ICASSP 2020; code xden2331/attentive_cutmix@55e133e), a TransMix Table 8
comparator.

A frozen external CNN (official: ImageNet ResNet-50, 46M parameters with its head) scores the partner image's
cells from its last feature map; the ``top_k`` cells (official 6) of the official 7x7 grid are pasted from the
partner into the same positions; area label ``top_k / grid^2``. It takes CutMix's place in the DeiT switch. Costs
one extra forward of the external model per mixed batch (the paper's 0.74x speed).

Checked against ``attentive_transform.py`` l.66-74: the score of a cell is the **last channel** of the layer-4 map
(``output[0][-1]``: index 2047 of the one image's 2048x7x7 map), computed on the un-normalised ``to_tensor`` input
in [0, 1]. Switches, the original's first: ``score`` ``"last_channel"`` | ``"mean"`` (the channel mean, what this
suite used before); ``cnn_input`` ``"unit"`` (the batch's normalisation ``input_mean`` / ``input_std`` undone) |
``"normalized"``.

Deliberate differences: the original never calls ``.eval()``, so its ResNet's BatchNorm runs in training mode on
a batch of one image (and updates the frozen network's running statistics at every image); here the frozen CNN is
in eval mode, with its ImageNet statistics. The feature map is average-pooled to ``grid x grid`` so any input size
works (official: 224 px and 7x7 directly); per-sample cells (official too); cells of unequal size when ``grid``
does not divide the image are rounded to pixel boundaries, and the label is the exact pasted area. The original
draws the background image uniformly from the dataset; here the partner is the flipped batch (timm's pairing).
"""

import torch
import torch.nn.functional as F

from .core import MixBatch, SwitchMixer, frozen_model, paste


class AttentiveCutMix(SwitchMixer):
    name = "attentive_cutmix"

    def __init__(self, num_classes: int, smoothing: float = 0.1, prob: float = 1.0, mixup_alpha: float = 0.8,
                 switch_prob: float = 0.5, model=None, top_k: int = 6, grid: int = 7, score: str = "last_channel",
                 cnn_input: str = "unit", input_mean=(0.485, 0.456, 0.406), input_std=(0.229, 0.224, 0.225)):
        super().__init__(num_classes, smoothing, prob, mixup_alpha, 1.0, switch_prob)
        if model is None:
            raise ValueError("attentive_cutmix needs a frozen external model: model={'model': 'resnet50', "
                             "'checkpoint': <path>} (or an nn.Module)")
        if not 1 <= top_k <= grid * grid:
            raise ValueError(f"top_k must be in [1, grid^2 = {grid * grid}], got {top_k}")
        if score not in ("last_channel", "mean"):
            raise ValueError(f"score must be 'last_channel' (official) or 'mean', got {score!r}")
        if cnn_input not in ("unit", "normalized"):
            raise ValueError(f"cnn_input must be 'unit' (official: [0, 1]) or 'normalized', got {cnn_input!r}")
        self.model, self.top_k, self.grid, self.score, self.cnn_input = model, top_k, grid, score, cnn_input
        self.input_mean, self.input_std = tuple(input_mean), tuple(input_std)
        self._net = frozen_model(model)

    def heat(self, x) -> torch.Tensor:
        """``(B, grid*grid)`` cell scores of the frozen CNN."""
        if self.cnn_input == "unit":
            mean = torch.tensor(self.input_mean, device=x.device, dtype=x.dtype).view(1, -1, 1, 1)
            std = torch.tensor(self.input_std, device=x.device, dtype=x.dtype).view(1, -1, 1, 1)
            x = x * std + mean
        with torch.no_grad():
            feats = self._net.to(x.device).forward_features(x).float()  # (B, C, h', w')
        m = feats[:, -1:] if self.score == "last_channel" else feats.mean(1, keepdim=True)
        return F.adaptive_avg_pool2d(m, self.grid).flatten(1)

    def cut(self, x, y, generator) -> MixBatch:
        B, _, H, W = x.shape
        heat = self.heat(x)
        top = heat.flip(0).topk(self.top_k, dim=1).indices  # the partner's most attended cells
        cells = torch.zeros(B, self.grid * self.grid, device=x.device).scatter_(1, top, 1.0)
        region = F.interpolate(cells.view(B, 1, self.grid, self.grid), size=(H, W), mode="nearest")[:, 0]
        lam = region.flatten(1).mean(1)
        return MixBatch(paste(x, region), y, lam, "attentive_cutmix", region=region)
