"""Training-step throughput of every mixing method, interleaved in one run on the same model and data.

    python tools/bench_mixing.py --model deit_s --img 224 --batch 32 --steps 8 --json runs/bench_mixing.json

Each timed step is the full train step: mixing, forward (with the class-attention tap for the methods that use it),
targets, loss, backward and the optimizer. Methods run round-robin (the order rotates every round) so drift in the
machine's speed hits all of them alike; images/s is the batch over the *median* step time, and ratios are taken
against ``cutmix`` and ``none`` from the same run. Puzzle-Mix's step includes its saliency pass (one more forward
and backward of the model) and the per-image graph cut on the CPU. Frozen external models (Attentive-CutMix's
ResNet-50, TokenMix's teacher) have random weights here: their cost is real, their labels are not.
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
from pretrain.models import create_backbone, forward_with_attention, resolve_name, token_stride  # noqa: E402

log = logging.getLogger("bench_mixing")


def method_kwargs(name: str, patch: int, img: int, num_classes: int) -> dict:
    """Benchmark settings: MaskMix's paper scale 4 when its cell divides the image, else the largest that does."""
    if name in ("maskmix", "mixpro"):
        scale = next(s for s in (4, 2, 1) if img % (s * patch) == 0)
        return {"patch_size": patch, "scale": scale}
    if name == "tokenmix":
        return {"patch_size": patch, "teacher": {"model": "resnet50", "checkpoint": None, "allow_random": True}}
    if name == "puzzlemix":  # the block grids that tile the image (all of the original's at 224 px)
        return {"block_nums": [b for b in (2, 4, 8, 16) if img % b == 0 and (img // b) % min(2, img // b) == 0]}
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


RANDOM_MODEL_OPTIONS = ("model", "teacher", "attn_model")  # frozen external models: random weights here
REQUIRED_MODEL = {"tokenmix": "teacher", "attentive_cutmix": "model"}  # a ResNet-50 when the config names none


def config_mixers(config: str, profile: str, labels: list[str], num_classes: int, device):
    """``(model, mixers, cfg)`` built as ``pretrain.train`` builds them for ``config`` at ``profile`` (its image size,
    model options and ``method_kwargs``), for run_all labels ``NAME`` or ``NAME@key=value+...``; frozen external
    models get random weights of the same architecture."""
    from pretrain.config import load_config, parse_override
    from pretrain.train import build_mixer, build_model
    from tools.run_all import parse_method

    cfg = load_config(config, profile)
    model = build_model(cfg, num_classes).to(device).train()
    mixers = {}
    for label in labels:
        name, opts = parse_method(label)
        kw = {**cfg["method_kwargs"].get(name, {}), **{k: parse_override(f"x={v}")[1] for k, v in opts.items()}}
        if name in REQUIRED_MODEL and kw.get(REQUIRED_MODEL[name]) is None:
            kw[REQUIRED_MODEL[name]] = {"model": "resnet50"}
        for k in RANDOM_MODEL_OPTIONS:
            if k in kw and kw[k] != "saliency":
                spec = kw[k] if isinstance(kw[k], dict) else {"model": "resnet50"}
                kw[k] = {"model": spec.get("model", "resnet50"), "checkpoint": None, "allow_random": True,
                         **({"num_classes": num_classes} if k != "attn_model" else {})}
        mixers[label] = build_mixer({**cfg, "method_kwargs": {**cfg["method_kwargs"], name: kw}}, name, model,
                                    num_classes).to(device)
    return model, mixers, cfg


def run(model_name="deit_s", img=224, batch=32, steps=8, warmup=1, methods=None, device=None, bf16=False,
        num_classes=1000, seed=0, config: str | None = None, profile: str = "demo") -> dict:
    """``config``: take the model, image size and method options from a pretraining config at ``profile`` (and the
    methods as run_all labels, variants included), as tools/run_all.py's paper-table runs do."""
    import timm.optim

    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    methods = list(methods or MIXERS)
    torch.manual_seed(seed)
    if config is not None:
        model, mixers, cfg = config_mixers(config, profile, methods, num_classes, device)
        model_name, img = cfg["model"], cfg["img_size"]
        patch = token_stride(model)
    else:
        unknown = [m for m in methods if m not in MIXERS]
        if unknown:
            raise KeyError(f"unknown methods {unknown}; valid: {', '.join(MIXERS)}")
        model = create_backbone(model_name, img_size=img, num_classes=num_classes).to(device).train()
        patch = model.patch_embed.patch_size[0]
        mixers = {m: create_mixer(m, num_classes, **method_kwargs(m, patch, img, num_classes)).to(device)
                  for m in methods}
    opt = timm.optim.create_optimizer_v2(model, "adamw", lr=1e-4, weight_decay=0.05)
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, 3, img, img, generator=g).to(device)
    y = torch.randint(0, num_classes, (batch,), generator=g).to(device)
    for m in methods:
        if getattr(mixers[m], "needs_model", False):  # Puzzle-Mix's saliency pass, under the bench's precision
            mixers[m].bind(model, lambda: torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16))
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
                    "maskmix_scale": getattr(next((x for x in mixers.values() if hasattr(x, "scale")), None), "scale",
                                             None),
                    "config": config, "profile": profile if config else None,
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
    ap.add_argument("--config", default=None, help="configs/pretrain/<alias>.py: the model, image size and method "
                                                   "options of that config (methods may be run_all variants)")
    ap.add_argument("--profile", default="demo", help="with --config: its profile")
    ap.add_argument("--stage", action="store_true", help="write --json as a run_all stage result (tools/run_all.py)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[bench_mixing] %(message)s")
    if args.stage:
        from pretrain.checkpoint import code_sha256
        code = code_sha256("bench_mixing")  # the code that runs, hashed at the start
    res = run(args.model, args.img, args.batch, args.steps, args.warmup, args.methods.split(","), args.device,
              args.bf16, config=args.config, profile=args.profile)
    meta = res["_meta"]
    print(f"\n{meta['model']} @ {meta['image_size']} px, batch {meta['batch']}, {meta['steps']} interleaved rounds, "
          f"{meta['device']}")
    print(f"{'method':<18}{'images/s':>10}{'x cutmix':>10}{'x none':>10}")
    for m, r in res.items():
        if m != "_meta":
            print(f"{m:<18}{r['images_per_s']:>10.2f}{r['ratio_to_cutmix']:>10.3f}{r['ratio_to_none']:>10.3f}")
    if args.json:
        atomic_write_json(args.json, {"stage": "bench_mixing", "code_sha256": code, "meta": res.pop("_meta"),
                                      "methods": res} if args.stage else res)


if __name__ == "__main__":
    main()
