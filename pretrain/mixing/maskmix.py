"""MaskMix (Zhao et al., "MixPro", ICLR 2023; code fistyee/MixPro ``utils.py`` / ``main.py``) with the area label.

The image is cut into cells of ``P_mask = scale * patch_size`` pixels (``scale`` in {1, 2, 4, 7}, paper default 4);
per batch ``r ~ Beta(beta, beta)`` and every sample keeps ``ceil(S * r)`` of its ``S`` cells at its own random
positions, the rest coming from the partner, so every model patch comes from one image only. The label weight is the
exact cell fraction. Batch split as the official training script: MaskMix with probability ``maskmix_prob`` (0.5),
else the DeiT Mixup/CutMix switch. This method is MixPro without PAL (the 'MaskMix' ablation row). ``pairing``:
the official ``torch.randperm`` partner per batch (default) or timm's ``flip(0)``.
"""

import math

import torch

from .core import MixBatch, SwitchMixer, coin, maskmix_mask, np_rng, paste

PAIRINGS = ("randperm", "flip")


def maskmix_batch(x, y, cell: int, beta: float, generator: torch.Generator, pairing: str = "randperm") -> MixBatch:
    """``pairing``: ``"randperm"`` (fistyee/MixPro@53a229e ``main.py`` l.196: ``index = torch.randperm(B)`` per batch;
    a sample may draw itself) or ``"flip"`` (timm's ``x.flip(0)``)."""
    H, W = x.shape[-2:]
    if H % cell or W % cell:
        raise ValueError(f"MaskMix cell {cell} px (scale x patch size) must divide the image {H}x{W}")
    S = (H // cell) * (W // cell)
    n_keep = math.ceil(S * float(np_rng(generator).beta(beta, beta)))
    keep = maskmix_mask(x.shape[0], (H, W), cell, n_keep, generator).to(x.device)
    region = 1 - keep  # 1 = from the partner
    partner = torch.randperm(x.shape[0], generator=generator) if pairing == "randperm" else None
    return MixBatch(paste(x, region, partner), y, torch.full((x.shape[0],), 1 - n_keep / S, device=x.device),
                    "maskmix", region=region, partner=None if partner is None else partner.to(y.device))


class MaskMix(SwitchMixer):
    name = "maskmix"

    def __init__(self, num_classes: int, smoothing: float = 0.1, prob: float = 1.0, mixup_alpha: float = 0.8,
                 cutmix_alpha: float = 1.0, switch_prob: float = 0.5, scale: int = 4, patch_size: int = 16,
                 beta: float = 1.0, maskmix_prob: float = 0.5, pairing: str = "randperm"):
        super().__init__(num_classes, smoothing, prob, mixup_alpha, cutmix_alpha, switch_prob)
        if scale < 1:
            raise ValueError(f"MaskMix scale must be >= 1 (paper: 1, 2, 4, 7), got {scale}")
        if pairing not in PAIRINGS:
            raise ValueError(f"pairing must be 'randperm' (fistyee/MixPro) or 'flip' (timm), got {pairing!r}")
        self.scale, self.patch_size, self.beta, self.maskmix_prob = scale, patch_size, beta, maskmix_prob
        self.pairing = pairing

    @classmethod
    def check_geometry(cls, img_size, token_stride: int, **options) -> None:
        scale = options.get("scale", cls.default("scale"))
        p = options.get("patch_size", token_stride)
        H, W = img_size
        if H % (scale * p) or W % (scale * p):
            valid = [s for s in range(1, min(H, W) // p + 1) if H % (s * p) == 0 and W % (s * p) == 0]
            raise ValueError(f"{cls.name}: scale {scale} x token stride {p} = {scale * p}-px cells do not divide the "
                             f"{H}x{W} image; valid scales for this model and size: {', '.join(map(str, valid))} "
                             f"(set method_kwargs.{cls.name}.scale)")

    @property
    def cell(self) -> int:
        return self.scale * self.patch_size

    def mix(self, x, y, generator):
        if coin(generator, self.maskmix_prob):
            return maskmix_batch(x, y, self.cell, self.beta, generator, self.pairing)
        return super().mix(x, y, generator)
