"""Run the robustness and attention-quality suite on one pretrained backbone.

    python -m robustness.run --backbone runs/deit_s/transmix/seed0/pretrain/backbone.pth \
        --suite configs/robustness/demo.py --out runs/deit_s/transmix/seed0/robustness \
        [--saliency runs/deit_s/deit/seed0/pretrain/backbone.pth]

Writes ``results.json`` (scalars, curves, the sha256 of every input) and ``drop.png`` / ``shuffle.png``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
import time
from pathlib import Path

import torch

from pretrain.checkpoint import atomic_write_json, code_sha256, load_backbone, sha256_file

from . import data as D
from . import evaluate as E

log = logging.getLogger("robustness")

DEFAULTS = {
    "img_size": None,  # None: the backbone's training size
    "crop_pct": 0.875,
    "batch_size": 64,
    "workers": 4,
    "seed": 0,
    "max_images": None,  # cap per dataset (None: all)
    # the dropping grid: n x n cells (Naseer et al.'s evaluate.py: 14x14 cells of 16 px at 224 for every model) or
    # "model" (the backbone's own token grid: 7x7 for PVT and CA-Swin at 224)
    "drop_grid": 14,
    "random_drop_tenths": list(range(10)),  # drop k*N//10 patches, k = 0..9
    "masses": [round(0.1 * i, 1) for i in range(1, 11)],  # salient / non-salient mass 0.1..1.0
    # n (n x n) or [rows, cols]; Naseer et al.'s scripts/evaluate_shuffle.sh l.9-10: 4, 8, 16, 32, 64, 196, 256 cells
    "shuffle_grids": [[2, 2], [2, 4], [4, 4], [4, 8], [8, 8], [14, 14], [16, 16]],
    "shuffle_mean": "shuffled",  # the mean over the grids that shuffle ("all": a 1x1 grid, the clean image, too)
    "interpolation": "bilinear",  # Naseer et al. and Hendrycks: torchvision's default Resize (bicubic: timm's eval)
    "loc_geometry": "squash",  # wsolevaluation's: squash to img_size, boxes int(v * new / old); "crop": resize + crop
    "voc_geometry": "squash",  # Naseer et al.'s get_voc_dataset: image and mask squashed to voc_size; "crop"
    "calib_beta": 100,
    "loc_mass": 0.9,
    "voc_mass": 0.9,
    "voc_size": 512,
    "ignore_void": False,
    # "self", or one provider for every compared model: a hand-off backbone.pth (run_all: the baseline's) or a released
    # checkpoint in any layout pretrain.import_weights reads (Naseer et al.: DINO ViT-S/16, saliency_head 1)
    "saliency": "self",
    "saliency_head": "mean",
    "evaluators": ["drop_shuffle", "imagenet_a", "imagenet_o", "localisation", "voc"],
}


def drop_grid(value, img: int, token_stride: int) -> tuple[int, int]:
    """``(n, n)`` cells of patch dropping: ``value`` cells per side, or the model's token grid (``"model"``)."""
    n = img // token_stride if value == "model" else int(value)
    if n < 1 or img % n:
        raise ValueError(f"drop_grid {value!r}: {n} cells must divide the {img}-px image (or use 'model')")
    return n, n


def load_suite(path) -> dict:
    from mmengine.config import Config

    raw = Config.fromfile(str(path)).to_dict()
    raw.pop("_base_", None)
    unknown = sorted(set(raw) - set(DEFAULTS))
    if unknown:
        raise KeyError(f"unknown suite key(s) {unknown} in {path}; valid: {', '.join(DEFAULTS)}")
    return {**DEFAULTS, **raw, "suite_file": str(path)}


def plot(results: dict, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ds = results.get("drop_shuffle")
    if not ds:
        return
    fig, ax = plt.subplots(figsize=(5, 3.6))
    for key, label in (("random_drop", "random"), ("salient_drop", "salient"), ("non_salient_drop", "non-salient")):
        ax.plot(ds[key]["info_loss"], ds[key]["top1"], marker="o", ms=3, label=label)
    ax.set(xlabel="information loss (fraction of patches dropped)", ylabel="top-1 (%)", title="Patch dropping")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "drop.png", dpi=110)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(5, 3.6))
    ax.plot([str(p) for p in ds["shuffle"]["patches"]], ds["shuffle"]["top1"], marker="o")
    ax.set(xlabel="shuffle grid (patches)", ylabel="top-1 (%)", title="Patch shuffling")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "shuffle.png", dpi=110)
    plt.close(fig)


def run(backbone: str, suite: str, out: str, saliency: str | None = None, data_root=None, device=None,
        saliency_head=None) -> dict:
    code_sha256("robustness")  # the code this process runs, read now (cached): recorded in results.json at the end
    cfg = load_suite(suite)
    if saliency is not None:
        cfg["saliency"] = saliency
    if saliency_head is not None:
        cfg["saliency_head"] = saliency_head if saliency_head == "mean" else int(saliency_head)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    dev = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    torch.manual_seed(cfg["seed"])
    t0 = time.time()

    net, meta = load_backbone(backbone)
    model = E.Normalized(net, meta["mean"], meta["std"]).to(dev).eval()
    img = cfg["img_size"] or meta["img_size"]
    grid = drop_grid(cfg["drop_grid"], img, meta["patch_size"])
    if cfg["saliency"] == "self":
        provider, provider_desc, provider_sha = model, "self (the evaluated backbone)", meta["sha256"]
    else:
        from pretrain.import_weights import load_model  # a hand-off, or a release in any layout it reads

        pnet, pmeta = load_model(cfg["saliency"])
        provider = E.Normalized(pnet, pmeta["mean"], pmeta["std"]).to(dev).eval()
        provider_desc = f"{pmeta['alias']} {pmeta['method']} seed {pmeta['seed']} ({cfg['saliency']})"
        provider_sha = sha256_file(cfg["saliency"])
    results: dict = {"stage": "robustness", "alias": meta["alias"], "method": meta["method"], "seed": meta["seed"],
                     "img_size": img, "saliency_provider": provider_desc, "saliency_head": cfg["saliency_head"]}
    used = []
    val, classes, inet_root = D.imagenet_val(data_root)
    val = D.cap(val, cfg["max_images"], cfg["seed"])
    used += [p for p, _ in val]
    evs = cfg["evaluators"]
    if "drop_shuffle" in evs:
        log.info("patch dropping and shuffling on %d images", len(val))
        results["drop_shuffle"] = E.drop_and_shuffle(model, E.make_saliency(provider, cfg["saliency_head"]), val,
                                                     cfg, img, grid, dev)
        results["clean_top1"] = results["drop_shuffle"]["random_drop"]["top1"][0]
    if "imagenet_a" in evs:
        items, subset = D.imagenet_a(data_root, classes)
        items = D.cap(items, cfg["max_images"], cfg["seed"])
        used += [p for p, _ in items]
        log.info("ImageNet-A on %d images", len(items))
        results["imagenet_a"] = E.imagenet_a_metrics(model, items, subset, cfg, img, dev)
    if "imagenet_o" in evs:
        ood, subset = D.imagenet_o(data_root, classes)
        ood = D.cap(ood, cfg["max_images"], cfg["seed"])
        in_dist = [(p, y) for p, y in val if y in set(subset)]
        used += [p for p, _ in ood]
        log.info("ImageNet-O on %d OOD vs %d in-distribution images", len(ood), len(in_dist))
        results["imagenet_o"] = E.imagenet_o_metrics(model, ood, in_dist, subset, cfg, img, dev)
    if "localisation" in evs:
        log.info("weakly supervised localisation on %d images", len(val))
        results["localisation"] = E.localisation(model, val, inet_root, cfg, img, dev)
    if "voc" in evs:
        voc = D.cap(D.voc_val(data_root), cfg["max_images"], cfg["seed"])
        used += [p for pair in voc for p in pair]
        size = cfg["voc_size"]
        try:  # ViTs take any size through interpolated position embeddings (Naseer et al. use 512)
            vnet, _ = load_backbone(backbone, dynamic_img_size=True)
        except TypeError:
            vnet, size = net, img  # no dynamic size for this family: evaluate at the training size
        vmodel = E.Normalized(vnet, meta["mean"], meta["std"]).to(dev).eval()
        log.info("VOC Jaccard on %d images at %d px", len(voc), size)
        results["voc"] = E.voc_jaccard(vmodel, voc, cfg, size, dev)
    suite_sha = hashlib.sha256(json.dumps(cfg, sort_keys=True, default=str).encode()).hexdigest()
    results["inputs"] = {"backbone_sha256": meta["sha256"], "saliency_sha256": provider_sha,
                         "suite_sha256": suite_sha, "data_fingerprint_sha256": D.fingerprint(used)}
    results["suite"] = cfg
    results["code_sha256"] = code_sha256("robustness")
    results["seconds"] = time.time() - t0
    plot(results, out)
    atomic_write_json(out / "results.json", results)
    log.info("robustness done in %.0fs: %s", results["seconds"], out / "results.json")
    return results


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--backbone", required=True, help="<run>/pretrain/backbone.pth (backbone.json beside it)")
    ap.add_argument("--suite", required=True, help="configs/robustness/<profile>.py")
    ap.add_argument("--out", required=True)
    ap.add_argument("--saliency", default=None, help="shared saliency provider: a hand-off backbone.pth or a released "
                    "checkpoint in any layout pretrain.import_weights reads (default: the suite's)")
    ap.add_argument("--saliency-head", default=None, help="'mean' over heads or a head index from 0 (Naseer et al. "
                    "with DINO ViT-S/16: 1); default: the suite's")
    ap.add_argument("--data-root", default=None)
    ap.add_argument("--device", default=None)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[%(asctime)s robustness] %(message)s", datefmt="%H:%M:%S",
                        stream=sys.stderr)
    run(args.backbone, args.suite, args.out, args.saliency, args.data_root, args.device, args.saliency_head)


if __name__ == "__main__":
    main()
