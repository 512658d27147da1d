"""Write ``puzzlemix_reference.npz``: what the ORIGINAL Puzzle-Mix computes on fixed inputs, for
``tests/pretrain/test_puzzlemix.py``. Not run by the tests (it needs the original code and gco-wrapper):

    git clone https://github.com/snu-mllab/PuzzleMix /tmp/PuzzleMix && git -C /tmp/PuzzleMix checkout e2dbf3a
    python -m venv /tmp/pm && /tmp/pm/bin/pip install torch numpy gco-wrapper==3.0.9
    /tmp/pm/bin/python tests/data/make_puzzlemix_reference.py /tmp/PuzzleMix tests/data/puzzlemix_reference.npz

It imports ``imagenet/mixup.py`` (the 300-epoch ImageNet run's code) unchanged, maps its hard-coded CUDA calls to the
CPU when there is no GPU, records the transport plans it computes, and calls its ``mixup_graph`` for block grids 2, 4,
8 and 16 with the ImageNet run's settings (beta 1.2, gamma 0.5, eta 0.2, neighbourhood 2, 3 labels, transport with
eps 0.8). Inputs are stored as bytes (pixels and saliency levels) so the test rebuilds them bit for bit: six 32x32
images with smooth structure and noise, a saliency with one blob per image, partners [3, 0, 4, 1, 5, 2] (no sample
paired with itself), a different ``lam`` per grid (asymmetric priors).
"""

import importlib.util
import sys

import numpy as np
import torch

LAMS = {2: 0.3, 4: 0.7, 8: 0.4, 16: 0.55}
PERM = [3, 0, 4, 1, 5, 2]
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
HP = dict(beta=1.2, gamma=0.5, eta=0.2, neigh_size=2, n_labels=3, transport=True, t_eps=0.8)


def inputs(pixels: np.ndarray, sal_levels: np.ndarray):
    """The float inputs from the stored bytes (the test does the same)."""
    mean = torch.tensor(MEAN).reshape(1, 3, 1, 1)
    std = torch.tensor(STD).reshape(1, 3, 1, 1)
    images = (torch.from_numpy(pixels).float() / 255 - mean) / std
    return images, torch.from_numpy(sal_levels).float() / 255, mean, std


def main(repo: str, out: str) -> None:
    if not torch.cuda.is_available():  # imagenet/mixup.py calls .cuda() at import and uses device='cuda'
        torch.Tensor.cuda = lambda self, *a, **k: self
        zeros, tensor = torch.zeros, torch.tensor
        cpu = lambda k: {**k, "device": "cpu"} if str(k.get("device", "")).startswith("cuda") else k  # noqa: E731
        torch.zeros = lambda *a, **k: zeros(*a, **cpu(k))
        torch.tensor = lambda *a, **k: tensor(*a, **cpu(k))
    spec = importlib.util.spec_from_file_location("pm_imagenet_mixup", f"{repo}/imagenet/mixup.py")
    M = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(M)
    plans, masks = [], []  # recorded as they pass (the functions themselves run unchanged)
    transport, cut = M.mask_transport, M.graphcut_multi
    M.mask_transport = lambda mask, grad_pool, eps=0.01: plans.append(transport(mask, grad_pool, eps)) or plans[-1]
    M.graphcut_multi = lambda *a, **k: masks.append(cut(*a, **k)) or masks[-1]

    rng = np.random.default_rng(0)
    B, H = 6, 32
    yy, xx = np.meshgrid(np.arange(H) / (H - 1), np.arange(H) / (H - 1), indexing="ij")
    smooth = np.stack([xx, yy, (xx + yy) / 2])[None] * np.array([1.0, 0.5, 0.25, 0.75, 0.9, 0.4])[:, None, None, None]
    pixels = np.clip((0.5 * rng.random((B, 3, H, H)) + 0.5 * smooth) * 255, 0, 255).round().astype(np.uint8)
    sal = rng.random((B, H, H)) ** 4
    for b, (cy, cx) in enumerate([(8, 8), (24, 20), (10, 25), (20, 6), (16, 16), (28, 28)]):
        sal[b] += 3.0 * np.exp(-((yy * (H - 1) - cy) ** 2 + (xx * (H - 1) - cx) ** 2) / (2 * 4.0 ** 2))
    sal_levels = np.clip(sal / sal.max() * 255, 0, 255).round().astype(np.uint8)
    images, saliency, mean, std = inputs(pixels, sal_levels)
    perm = torch.tensor(PERM)
    save = dict(pixels=pixels, sal_levels=sal_levels, perm=np.array(PERM), hparams=np.array(repr(HP)),
                commit=np.array("snu-mllab/PuzzleMix@e2dbf3a2371026411d5741d129f46bf3eb3d3465 imagenet/mixup.py"))
    for bn, lam in LAMS.items():
        plans.clear()
        masks.clear()
        with torch.no_grad():
            mixed, ratio = M.mixup_graph(images.clone(), saliency.clone(), perm, block_num=bn, alpha=lam, mean=mean,
                                         std=std, mp=None, dataset="imagenet", **HP)
        src = [np.where(p.sum(1) > 0, p.argmax(1), -1).astype(np.int16) for p in (pl.cpu().numpy() for pl in plans)]
        bs = H // bn
        save[f"bn{bn}_lam"] = np.float64(lam)
        save[f"bn{bn}_mask"] = np.stack(masks).astype(np.float32)  # (B, bn, bn), 1 = own image
        save[f"bn{bn}_ratio"] = ratio.numpy()
        save[f"bn{bn}_src_self"], save[f"bn{bn}_src_partner"] = src
        save[f"bn{bn}_mixed_sum"] = mixed.double().sum((1, 2, 3)).numpy()
        save[f"bn{bn}_mixed_corner"] = mixed[:, :, ::bs, ::bs].numpy()  # one pixel per block
        print(f"block_num {bn:2d}: ratio {np.round(ratio.numpy(), 4)}")
    np.savez_compressed(out, **save)
    print("wrote", out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
