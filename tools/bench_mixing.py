"""Training-step throughput of every mixing method, interleaved in one run on the same model and data.

    python tools/bench_mixing.py --model deit_s --img 224 --batch 32 --steps 8 --json runs/bench_mixing.json

Each timed step is the full train step: mixing, forward (with the class-attention tap for the methods that use it),
targets, loss, backward and the optimizer. Methods run round-robin (the order rotates every round) so drift in the
machine's speed hits all of them alike; images/s is the batch over the *median* step time, and ratios are taken
against ``cutmix`` and ``none`` from the same run. Frozen external models (Attentive-CutMix's ResNet-50, TokenMix's
teacher) have random weights here: their cost is real, their labels are not.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pretrain.checkpoint import atomic_write_json  # noqa: E402
from pretrain.mixing import MIXERS, create_mixer  # noqa: E402
from pretrain.models import create_backbone, forward_with_attention, resolve_name  # noqa: E402

log = logging.getLogger("bench_mixing")


def method_kwargs(name: str, patch: int, img: int, num_classes: int) -> dict:
    """Benchmark settings: MaskMix's paper scale 4 when its cell divides the image, else the largest that does."""
    if name in ("maskmix", "mixpro"):
        scale = next(s for s in (4, 2, 1) if img % (s * patch) == 0)
        return {"patch_size": patch, "scale": scale}
    if name == "tokenmix":
        return {"patch_size": patch, "teacher": {"model": "resnet50", "checkpoint": None, "allow_random": True}}
    if name == "attentive_cutmix":
        return {"model": {"model": "resnet50", "checkpoint": None, "allow_random": True, "num_classes": num_classes}}
    return {}


def train_step(model, mixer, criterion, opt, x, y, gen, autocast):
    batch = mixer(x, y, gen)
    with autocast():
        if mixer.needs_attn and mixer.attn_source != "external":
            logits, attn, grid = forward_with_attention(model, batch.x, mixer.attn_source)
        else:
            logits, attn, grid = model(batch.x), None, None
        target = mixer.targets(batch, logits=logits, attn=attn, grid=grid, progress=0.5)
        loss = criterion(logits.float(), target)
    loss.backward()
    opt.step()
    opt.zero_grad(set_to_none=True)
    return float(loss.detach())


def run(model_name="deit_s", img=224, batch=32, steps=8, warmup=1, methods=None, device=None, bf16=False,
        num_classes=1000, seed=0) -> dict:
    import timm.optim

    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    methods = list(methods or MIXERS)
    unknown = [m for m in methods if m not in MIXERS]
    if unknown:
        raise KeyError(f"unknown methods {unknown}; valid: {', '.join(MIXERS)}")
    torch.manual_seed(seed)
    model = create_backbone(model_name, img_size=img, num_classes=num_classes).to(device).train()
    patch = model.patch_embed.patch_size[0]
    opt = timm.optim.create_optimizer_v2(model, "adamw", lr=1e-4, weight_decay=0.05)
    mixers = {m: create_mixer(m, num_classes, **method_kwargs(m, patch, img, num_classes)).to(device)
              for m in methods}
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, 3, img, img, generator=g).to(device)
    y = torch.randint(0, num_classes, (batch,), generator=g).to(device)
    gens = {m: torch.Generator().manual_seed(seed) for m in methods}
    crits = {m: mixers[m].criterion() for m in methods}

    def autocast():
        return torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16)

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()

    times: dict[str, list[float]] = {m: [] for m in methods}
    for r in range(warmup + steps):
        order = methods[r % len(methods):] + methods[: r % len(methods)]
        for m in order:
            sync()
            t0 = time.perf_counter()
            train_step(model, mixers[m], crits[m], opt, x, y, gens[m], autocast)
            sync()
            if r >= warmup:
                times[m].append(time.perf_counter() - t0)
        log.info("round %d/%d done", r + 1, warmup + steps)
    ips = {m: batch / statistics.median(times[m]) for m in methods}

    def paired_ratio(m, ref):
        """Median over rounds of t_ref / t_m within the same round: drift of the machine cancels out."""
        if ref not in times:
            return float("nan")
        return statistics.median(a / b for a, b in zip(times[ref], times[m]))

    out = {m: {"images_per_s": ips[m], "ratio_to_cutmix": paired_ratio(m, "cutmix"),
               "ratio_to_none": paired_ratio(m, "none"), "median_step_s": statistics.median(times[m]),
               "step_s": times[m]} for m in methods}
    out["_meta"] = {"device": torch.cuda.get_device_name(device) if device.type == "cuda" else
                    f"cpu ({torch.get_num_threads()} threads)", "model": resolve_name(model_name),
                    "image_size": img, "batch": batch, "steps": steps, "warmup": warmup, "bf16": bf16,
                    "torch": torch.__version__,
                    "statistic": "images/s = batch / median step time; ratios = median over rounds of the paired "
                                 "step-time ratio within a round (methods interleaved, order rotated)",
                    "maskmix_scale": method_kwargs("mixpro", patch, img, num_classes)["scale"],
                    "external_models": "resnet50 with random weights (attentive_cutmix, tokenmix teacher)"}
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="deit_s")
    ap.add_argument("--img", type=int, default=224)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=8, help="timed rounds (each runs every method once)")
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--methods", default=",".join(MIXERS))
    ap.add_argument("--device", default=None)
    ap.add_argument("--bf16", action="store_true", help="bf16 autocast")
    ap.add_argument("--json", default=None, help="write the results here")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[bench_mixing] %(message)s")
    res = run(args.model, args.img, args.batch, args.steps, args.warmup, args.methods.split(","), args.device,
              args.bf16)
    meta = res["_meta"]
    print(f"\n{meta['model']} @ {meta['image_size']} px, batch {meta['batch']}, {meta['steps']} interleaved rounds, "
          f"{meta['device']}")
    print(f"{'method':<18}{'images/s':>10}{'x cutmix':>10}{'x none':>10}")
    for m, r in res.items():
        if m != "_meta":
            print(f"{m:<18}{r['images_per_s']:>10.2f}{r['ratio_to_cutmix']:>10.3f}{r['ratio_to_none']:>10.3f}")
    if args.json:
        atomic_write_json(args.json, res)


if __name__ == "__main__":
    main()
