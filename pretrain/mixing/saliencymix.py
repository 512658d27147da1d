"""SaliencyMix (Uddin et al., ICLR 2021; code afm-shahab-uddin/SaliencyMix), a TransMix Table 8 comparator.

Per batch, ``lam ~ Beta(1, 1)`` sets a CutMix-sized box (side ratio ``sqrt(1 - lam)``) centred on the saliency peak
of the partner image of the first sample (the official code computes one box per batch from one image), clipped to
the image and pasted from the partner at the same place; area label. It takes CutMix's place in the DeiT switch.

Deliberate difference: the official code uses OpenCV's fine-grained static saliency, which lives in
``opencv-contrib`` (not installable beside the ``opencv-python-headless`` that MMCV needs). ``saliency='spectral'``
(default) computes the spectral-residual static saliency (Hou & Zhang, CVPR 2007; OpenCV's other static saliency)
batched in torch on the images' device; ``saliency='fine_grained'`` uses OpenCV's when ``cv2.saliency`` exists.
"""

import numpy as np
import torch
import torch.nn.functional as F

from .core import MixBatch, SwitchMixer, box_mask, np_rng


def spectral_residual_saliency(x: torch.Tensor, size: int = 64) -> torch.Tensor:
    """Spectral-residual saliency of images ``(B, C, H, W)`` -> ``(B, H, W)`` in [0, 1]."""
    g = F.interpolate(x.float().mean(1, keepdim=True), size=(size, size), mode="bilinear", align_corners=False)
    spec = torch.fft.fft2(g)
    log_amp = torch.log(spec.abs() + 1e-8)
    residual = log_amp - F.avg_pool2d(log_amp, 3, 1, 1, count_include_pad=False)
    sal = torch.fft.ifft2(torch.exp(residual + 1j * torch.angle(spec))).abs() ** 2
    k = torch.tensor([1, 4, 6, 4, 1], dtype=sal.dtype, device=sal.device)
    k = (k[:, None] * k[None, :] / 256)[None, None]
    sal = F.conv2d(F.pad(sal, (2, 2, 2, 2), mode="reflect"), k)
    sal = F.interpolate(sal, size=x.shape[-2:], mode="bilinear", align_corners=False)[:, 0]
    lo, hi = sal.amin((1, 2), keepdim=True), sal.amax((1, 2), keepdim=True)
    return (sal - lo) / (hi - lo).clamp_min(1e-12)


def _fine_grained_saliency(img: torch.Tensor) -> torch.Tensor:
    import cv2
    if not hasattr(cv2, "saliency"):
        raise RuntimeError("saliency='fine_grained' needs cv2.saliency (opencv-contrib); use saliency='spectral'")
    arr = img.detach().float().cpu().permute(1, 2, 0).numpy()
    arr = ((arr - arr.min()) / max(float(arr.max() - arr.min()), 1e-12) * 255).astype(np.uint8)
    ok, sal = cv2.saliency.StaticSaliencyFineGrained_create().computeSaliency(arr)
    return torch.from_numpy(np.asarray(sal, np.float32))


class SaliencyMix(SwitchMixer):
    name = "saliencymix"

    def __init__(self, num_classes: int, smoothing: float = 0.1, prob: float = 1.0, mixup_alpha: float = 0.8,
                 cutmix_alpha: float = 1.0, switch_prob: float = 0.5, saliency: str = "spectral"):
        super().__init__(num_classes, smoothing, prob, mixup_alpha, cutmix_alpha, switch_prob)
        if saliency not in ("spectral", "fine_grained"):
            raise ValueError(f"saliency must be 'spectral' or 'fine_grained', got {saliency!r}")
        self.saliency = saliency

    def cut(self, x, y, generator) -> MixBatch:
        H, W = x.shape[-2:]
        rng = np_rng(generator)
        lam = float(rng.beta(self.cutmix_alpha, self.cutmix_alpha))
        partner = x[-1:]  # = x.flip(0)[0]
        sal = spectral_residual_saliency(partner)[0] if self.saliency == "spectral" else \
            _fine_grained_saliency(partner[0])
        cy, cx = divmod(int(sal.flatten().argmax()), W)
        ratio = np.sqrt(1.0 - lam)
        ch, cw = int(H * ratio), int(W * ratio)
        box = (int(np.clip(cy - ch // 2, 0, H)), int(np.clip(cy + ch // 2, 0, H)),
               int(np.clip(cx - cw // 2, 0, W)), int(np.clip(cx + cw // 2, 0, W)))
        xm = x.clone()
        xm[..., box[0]:box[1], box[2]:box[3]] = x.flip(0)[..., box[0]:box[1], box[2]:box[3]]
        area = (box[1] - box[0]) * (box[3] - box[2]) / (H * W)
        return MixBatch(xm, y, torch.full((x.shape[0],), area, device=x.device), "saliencymix",
                        region=box_mask(box, (H, W), x.device), box=box)
