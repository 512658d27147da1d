"""Throughput of the patch drop/shuffle sweep against plain inference of the same model on the same images.

    python tools/bench_robustness.py --json runs/bench_robustness.json [--backbone <run>/pretrain/backbone.pth]

The images are decoded once into memory for both, so the ratio measures what the sweep adds per forward:
the saliency pass (once per image), the perturbations (batched on the device) and the bookkeeping.
``sweep_images_per_s`` counts one image per (image, sweep point) forward. Repeats alternate the two and the
medians are compared. Without ``--backbone`` a randomly initialised demo DeiT-S (32 px, patch 8) is used.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pretrain.checkpoint import atomic_write_json, load_backbone  # noqa: E402
from pretrain.models import create_backbone  # noqa: E402
from robustness.evaluate import Normalized, SweepPlan, make_saliency, sweep_batch  # noqa: E402
from robustness.run import DEFAULTS  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--backbone", default=None)
    ap.add_argument("--images", type=int, default=400)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--shuffle-grids", default="1,2,4,8")
    ap.add_argument("--device", default=None)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    dev = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if args.backbone:
        net, meta = load_backbone(args.backbone)
        img, patch, mean, std = meta["img_size"], meta["patch_size"], meta["mean"], meta["std"]
    else:
        torch.manual_seed(0)
        img, patch, mean, std = 32, 8, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
        net = create_backbone("deit_s", img_size=img, patch_size=patch, num_classes=10)
    model = Normalized(net, mean, std).to(dev).eval()
    g = torch.Generator().manual_seed(0)
    batches = [(torch.rand(args.batch, 3, img, img, generator=g).to(dev),
                torch.randint(0, 10, (args.batch,), generator=g).to(dev)) for _ in range(args.images // args.batch)]
    cfg = {**DEFAULTS, "shuffle_grids": [int(s) for s in args.shuffle_grids.split(",")]}
    plan = SweepPlan(cfg, (img // patch, img // patch))
    saliency = make_saliency(model)
    n_images = sum(x.shape[0] for x, _ in batches)

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize()

    @torch.no_grad()
    def inference():
        for x, _ in batches:
            model(x).argmax(1)

    def sweep():
        gen = torch.Generator().manual_seed(0)
        for x, y in batches:
            sweep_batch(model, saliency, x, y, plan, gen)

    inference()  # warm-up
    inf_t, sweep_t = [], []
    for _ in range(args.repeats):
        for fn, ts in ((inference, inf_t), (sweep, sweep_t)):
            sync()
            t0 = time.perf_counter()
            fn()
            sync()
            ts.append(time.perf_counter() - t0)
    inf_ips = n_images / statistics.median(inf_t)
    sweep_ips = n_images * plan.points / statistics.median(sweep_t)
    res = {"sweep_images_per_s": sweep_ips, "inference_images_per_s": inf_ips, "ratio": sweep_ips / inf_ips,
           "_meta": {"device": str(dev), "images": n_images, "sweep_points": plan.points, "img_size": img,
                     "grid": list(plan.grid), "repeats": args.repeats, "statistic": "median over repeats",
                     "backbone": args.backbone or "random demo DeiT-S (32 px, patch 8)"}}
    print(f"plain inference {inf_ips:.1f} images/s; sweep ({plan.points} points + saliency) {sweep_ips:.1f} "
          f"images/s per point; ratio {res['ratio']:.3f}")
    if args.json:
        atomic_write_json(args.json, res)


if __name__ == "__main__":
    main()
