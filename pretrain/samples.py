"""Real mixed training samples of a finished run, for the report's picture grid (TransMix Figure 5).

TransMix (Chen et al., CVPR 2022) Figure 5 shows mixed training images with the area label ``lam`` CutMix gives them
and the attention label ``lam'`` TransMix gives them, the class attention drawn over each. :func:`mixed_samples`
mixes the first images of the run's own training set (its augmentation pipeline, its method and the method's
options) once, runs the trained model on them with the class-attention tap, and writes
``mixed_samples.npz`` beside the hand-off: ``images`` ``(N, H, W, 3)`` uint8 (normalisation undone), ``region``
``(N, H, W)`` uint8 (1 = from the partner), ``attn`` ``(N, h, w)`` float32 (class-to-patch attention of the last
block, summing to 1), ``lam_area`` and ``lam_attn`` ``(N,)`` (the partner's weight by area and by attention,
:func:`pretrain.mixing.attention_lambda`), ``labels`` and ``partner_labels`` ``(N,)``, ``kind`` (the input
operation), ``classes`` (class names). The draw is keyed by the run's seed, so the same run writes the same file.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch

from pretrain.checkpoint import atomic_write_bytes
from pretrain.mixing import attention_lambda
from pretrain.models import forward_with_attention

log = logging.getLogger("pretrain")
N_SAMPLES = 8
TRIES = 32  # mixing draws tried until one pastes a region of 10-90% (the DeiT switch picks Mixup half of the time)


def class_names(dataset) -> list[str]:
    """Readable class names: ``LOC_synset_mapping.txt``'s first name per wnid beside the train folder, else the
    folder names."""
    classes = list(getattr(dataset, "classes", []))
    try:
        lines = (Path(dataset.root).parent / "LOC_synset_mapping.txt").read_text().splitlines()
        names = dict((ln.split(" ", 1) + [""])[:2] for ln in lines if ln.strip())
        return [names.get(c, c).split(",")[0].strip() or c for c in classes]
    except (OSError, AttributeError, TypeError):
        return classes


def mixed_samples(model, mixer, dataset, cfg: dict, seed: int, device, n: int = N_SAMPLES) -> dict | None:
    """The arrays of ``mixed_samples.npz`` (see the module doc), or None when this method pastes no region in
    :data:`TRIES` draws (Mixup, no mixing) or the model has no class-attention tap."""
    n = min(n, len(dataset) - len(dataset) % 2)
    if n < 2:
        return None
    torch.manual_seed(seed)  # the pipeline's random augmentation
    items = [dataset[int(i)] for i in np.linspace(0, len(dataset) - 1, n).round()]  # spread over the classes
    x = torch.stack([it[0] for it in items]).to(device)
    y = torch.as_tensor([int(it[1]) for it in items], device=device)
    batch = None  # the method's own operation first (MixPro's MaskMix rather than its DeiT-switch CutMix): stop at
    for k in range(TRIES):  # the first draw of it, else keep the first plain CutMix one
        b = mixer.mix(x, y, torch.Generator().manual_seed(seed * 1000 + k))
        if b.region is not None and 0.1 < float(b.lam.float().mean()) < 0.9:
            if b.kind not in ("cutmix", "mixup"):
                batch = b
                break
            if batch is None:
                batch = b
    if batch is None:
        return None
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            _, attn, grid = forward_with_attention(model, batch.x)
    except (TypeError, ValueError, AttributeError) as e:  # no class attention to draw
        log.info("no mixed-sample picture: %s", e)
        return None
    finally:
        model.train(was_training)
    attn = attn.float()
    attn = attn / attn.sum(1, keepdim=True).clamp_min(1e-12)
    region = batch.region if batch.region.dim() == 3 else batch.region.expand(n, *batch.region.shape)
    partner = torch.arange(n, device=device).flip(0) if batch.partner is None else batch.partner.to(device)
    mean = torch.tensor(cfg["mean"], device=device).view(1, -1, 1, 1)
    std = torch.tensor(cfg["std"], device=device).view(1, -1, 1, 1)
    img = ((batch.x.float() * std + mean).clamp(0, 1) * 255).round().byte().permute(0, 2, 3, 1)
    return {"images": img.cpu().numpy(), "region": (region > 0.5).byte().cpu().numpy(),
            "attn": attn.view(n, *grid).cpu().numpy(), "lam_area": batch.lam.float().cpu().numpy(),
            "lam_attn": attention_lambda(region, attn, grid).cpu().numpy(), "labels": y.cpu().numpy(),
            "partner_labels": y[partner].cpu().numpy(), "kind": np.array(batch.kind),
            "classes": np.array(class_names(dataset) or [str(i) for i in range(int(y.max()) + 1)])}


def write_mixed_samples(path: Path, model, mixer, dataset, cfg: dict, seed: int, device) -> bool:
    """Write ``mixed_samples.npz`` atomically; False (nothing written) when there is nothing to draw."""
    arrays = mixed_samples(model, mixer, dataset, cfg, seed, device)
    if arrays is None:
        return False
    import io

    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    atomic_write_bytes(path, buf.getvalue())
    return True
