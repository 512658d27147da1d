"""Train one backbone under one mixing method and hand the checkpoint to every later stage.

    python -m pretrain.train --config configs/pretrain/deit_s.py --profile demo --method transmix --seed 0 \
        --out runs/deit_s/transmix/seed0/pretrain [--resume] [--set epochs=5 ...]
    tools/dist_train.sh 2 --config ... (torchrun; DDP; gloo on CPU, NCCL on GPU; NNODES, NODE_RANK, MASTER_ADDR,
        PORT for several nodes, as OpenMMLab's dist_train.sh)
    tools/slurm_train.sh PARTITION JOB GPUS --config ... (srun, one task per GPU, --launcher slurm)

Writes in ``--out``: ``config.json`` (resolved), ``metrics.jsonl`` (one line per epoch), ``checkpoint.pth`` (every
epoch, atomic, the one before kept as ``checkpoint.prev.pth``; ``--resume`` continues from it exactly, or from the
previous one when the latest is damaged), ``.lock`` (host and pid of the one process training here), and at the
end the hand-off: ``backbone.pth`` (plain tensor dict, timm key names), ``backbone.json`` and ``results.json`` (clean
top-1 / top-5 on the val set).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import logging
import math
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist

from pretrain.checkpoint import (
    RunLock,
    atomic_torch_save,
    atomic_write_bytes,
    atomic_write_json,
    load_latest_good,
    previous_path,
    save_keeping_previous,
    sha256_file,
)
from pretrain.config import load_config
from pretrain.data import build_datasets, count_bad, eval_loader, train_loader
from pretrain.mixing import MIXERS, create_mixer
from pretrain.models import ALIASES, attach_tap, create_backbone, resolve_name, token_stride

log = logging.getLogger("pretrain")
REPO = Path(__file__).resolve().parents[1]


class NonFiniteLossError(RuntimeError):
    pass


# ------------------------------------------------------------------------------------------------ setup helpers


def slurm_environment() -> None:
    """Under ``srun`` (``tools/slurm_train.sh``, one task per GPU) translate SLURM's variables into torch's, as
    MMEngine's ``slurm`` launcher does: rank, world size, local rank, and the first node of the job as master."""
    if "SLURM_PROCID" not in os.environ or "RANK" in os.environ:
        return
    os.environ["RANK"] = os.environ["SLURM_PROCID"]
    os.environ["WORLD_SIZE"] = os.environ.get("SLURM_NTASKS", "1")
    os.environ["LOCAL_RANK"] = os.environ.get("SLURM_LOCALID", "0")
    if "MASTER_ADDR" not in os.environ:
        nodes = os.environ.get("SLURM_NODELIST", "127.0.0.1")
        try:
            first = subprocess.run(["scontrol", "show", "hostname", nodes], capture_output=True, text=True,
                                   check=True).stdout.split()[0]
        except (OSError, subprocess.CalledProcessError, IndexError):
            first = nodes.split(",")[0]
        os.environ["MASTER_ADDR"] = first
    os.environ.setdefault("MASTER_PORT", os.environ.get("PORT", "29500"))


def init_distributed(device: str | None = None, launcher: str = "pytorch"):
    """``(rank, world, device)`` from torchrun's environment (``launcher='pytorch'``) or SLURM's (``'slurm'``);
    a single process without either."""
    if launcher == "slurm":
        slurm_environment()
    world, rank, local = (int(os.environ.get(k, d)) for k, d in (("WORLD_SIZE", 1), ("RANK", 0), ("LOCAL_RANK", 0)))
    if device:
        dev = torch.device(device)
    else:
        dev = torch.device(f"cuda:{local}") if torch.cuda.is_available() else torch.device("cpu")
    if dev.type == "cuda":
        torch.cuda.set_device(dev)
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if dev.type == "cuda" else "gloo")
    return rank, world, dev


def setup_logging(run_dir: Path, rank: int) -> None:
    level = logging.INFO if rank == 0 else logging.WARNING
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if rank == 0:
        handlers.append(logging.FileHandler(run_dir / "train.log"))
    logging.basicConfig(level=level, format="[%(asctime)s pretrain] %(message)s", datefmt="%H:%M:%S",
                        handlers=handlers, force=True)


def git_commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True).stdout
        return head.stdout.strip() + ("-dirty" if dirty.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def config_hash(run_cfg: dict) -> str:
    return hashlib.sha256(json.dumps(run_cfg, sort_keys=True, default=str).encode()).hexdigest()


def build_model(cfg: dict, num_classes: int) -> torch.nn.Module:
    kwargs = dict(cfg["model_kwargs"])
    kwargs.setdefault("drop_path_rate", cfg["drop_path"])
    return create_backbone(cfg["model"], num_classes=num_classes, img_size=cfg["img_size"], **kwargs)


def check_method(cfg: dict, method: str) -> None:
    """Refuse a method that cannot run on this model at this image size (MaskMix cells, TokenMix's patch grid and
    teacher) in the first seconds, before any data is read; the error names the valid choices."""
    if method not in MIXERS:
        raise KeyError(f"unknown method {method!r}; valid: {', '.join(MIXERS)}")
    probe = build_model(cfg, num_classes=2)  # only for its token stride
    MIXERS[method].check_geometry((cfg["img_size"], cfg["img_size"]), token_stride(probe),
                                  **cfg["method_kwargs"].get(method, {}))


def build_mixer(cfg: dict, method: str, model: torch.nn.Module, num_classes: int):
    if method not in MIXERS:
        raise KeyError(f"unknown method {method!r}; valid: {', '.join(MIXERS)}")
    kwargs = {"smoothing": cfg["smoothing"]}
    if "patch_size" in MIXERS[method].options():
        kwargs["patch_size"] = token_stride(model)
    kwargs.update(cfg["method_kwargs"].get(method, {}))
    return create_mixer(method, num_classes, **kwargs)


PRECISIONS = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": None}


def resolve_precision(value: str, device: torch.device) -> str:
    """``auto`` -> bf16 on CUDA, fp32 elsewhere; anything else must be one of :data:`PRECISIONS`."""
    if value == "auto":
        return "bf16" if device.type == "cuda" else "fp32"
    if value not in PRECISIONS:
        raise ValueError(f"precision must be auto, bf16, fp16 or fp32, got {value!r}")
    return value


def use_flag(value, device: torch.device) -> bool:
    return device.type == "cuda" if value == "auto" else bool(value)


def rng_state(mix_gen: torch.Generator) -> dict:
    return {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
            "mix": mix_gen.get_state()}


def set_rng_state(state: dict, mix_gen: torch.Generator) -> None:
    torch.set_rng_state(state["torch"])
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])
    if state["cuda"] is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    mix_gen.set_state(state["mix"])


def gather(obj, world: int) -> list:
    if world == 1:
        return [obj]
    out = [None] * world
    dist.all_gather_object(out, obj)
    return out


# --------------------------------------------------------------------------------------------- train and eval


def train_one_epoch(model, tap, mixer, criterion, opt, sched, ema, loader, mix_gen, epoch, cfg, state, device,
                    autocast, rank, scaler=None) -> dict:
    from tqdm import tqdm

    model.train()
    steps = len(loader) if cfg["max_steps_per_epoch"] is None else min(len(loader), cfg["max_steps_per_epoch"])
    loss_sum, n_seen, t0 = torch.zeros((), device=device), 0, time.perf_counter()
    bar = tqdm(total=steps, desc=f"epoch {epoch + 1}/{cfg['epochs']}", disable=rank != 0, mininterval=5,
               dynamic_ncols=True, file=sys.stderr)
    params = [p for g in opt.param_groups for p in g["params"]]
    for step, (x, y) in enumerate(loader):
        if step >= steps:
            break
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        if use_flag(cfg["channels_last"], device):
            x = x.contiguous(memory_format=torch.channels_last)
        batch = mixer(x, y, mix_gen)
        with autocast():
            logits = model(batch.x)
        attn, grid = (tap.attention(), tap.grid) if tap is not None else (None, None)
        target = mixer.targets(batch, logits=logits, attn=attn, grid=grid,
                               progress=(epoch + step / steps) / cfg["epochs"])
        loss = criterion(logits.float(), target)
        if not torch.isfinite(loss):
            raise NonFiniteLossError(
                f"loss is {float(loss)} at epoch {epoch + 1}, step {step + 1}: training stopped; the last good "
                f"checkpoint (end of epoch {epoch}) is kept. Lower lr, enable clip_grad or check the data.")
        opt.zero_grad(set_to_none=True)
        if scaler is not None:  # fp16: scaled loss, gradients unscaled before clipping, steps skipped on overflow
            scaler.scale(loss).backward()
            if cfg["clip_grad"]:
                scaler.unscale_(opt)
                torch.nn.utils.clip_grad_norm_(params, cfg["clip_grad"])
            scaler.step(opt)
            scaler.update()
        else:
            loss.backward()
            if cfg["clip_grad"]:
                torch.nn.utils.clip_grad_norm_(params, cfg["clip_grad"])
            opt.step()
        state["num_updates"] += 1
        sched.step_update(num_updates=state["num_updates"])
        if ema is not None:
            ema.update(model, step=state["num_updates"])
        loss_sum += loss.detach()
        n_seen += x.shape[0]
        bar.update(1)
        if step % 10 == 0:
            bar.set_postfix(loss=f"{float(loss.detach()):.3f}", lr=f"{opt.param_groups[0]['lr']:.2e}")
    bar.close()
    sched.step(epoch + 1)
    elapsed = time.perf_counter() - t0
    return {"loss": float(loss_sum) / max(steps, 1), "train_images": n_seen, "train_seconds": elapsed}


@torch.no_grad()
def evaluate(model, loader, device, autocast, world) -> dict:
    model.eval()
    c1 = torch.zeros((), device=device, dtype=torch.float64)
    c5, n = c1.clone(), c1.clone()
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        with autocast():
            logits = model(x)
        top5 = logits.float().topk(min(5, logits.shape[1]), dim=1).indices
        c1 += (top5[:, 0] == y).sum()
        c5 += (top5 == y[:, None]).any(1).sum()
        n += y.numel()
    if world > 1:
        for t in (c1, c5, n):
            dist.all_reduce(t)
    return {"top1": float(100 * c1 / n), "top5": float(100 * c5 / n), "val_images": int(n)}


def params_in_sync(model, world: int) -> bool:
    if world == 1:
        return True
    vec = torch.stack([p.detach().double().sum() for p in model.parameters()]).cpu()
    vecs = gather(vec, world)
    return all(torch.equal(v, vecs[0]) for v in vecs)


# ----------------------------------------------------------------------------------------------------- run


def run(config: str, method: str, seed: int, out: str | Path, profile: str = "demo", resume: bool = False,
        overrides=None, device: str | None = None, compile_model: bool | None = None,
        stop_after: int | None = None, launcher: str = "pytorch") -> dict:
    """Train (or continue with ``resume``) and export; ``stop_after=k`` exits cleanly after epoch k with a resumable
    checkpoint and no hand-off (for time-boxed jobs; the schedule still spans ``epochs``)."""
    rank, world, dev = init_distributed(device, launcher)
    run_dir = Path(out)
    run_dir.mkdir(parents=True, exist_ok=True)
    with RunLock(run_dir, "pretraining") if rank == 0 else contextlib.nullcontext():  # one owner per run directory
        return _train(config, method, seed, run_dir, profile, resume, overrides, compile_model, stop_after, rank,
                      world, dev)


def _train(config, method, seed, run_dir: Path, profile, resume, overrides, compile_model, stop_after, rank, world,
           dev) -> dict:
    setup_logging(run_dir, rank)

    # config --------------------------------------------------------------------------------------------------
    cfg = load_config(config, profile, overrides)
    if compile_model is not None:
        cfg["compile"] = compile_model
    if cfg["model"] not in ALIASES:
        raise KeyError(f"unknown backbone alias {cfg['model']!r}; valid: {', '.join(ALIASES)}")
    if cfg["batch_size"] % (2 * world):
        raise ValueError(f"batch_size {cfg['batch_size']} must split into even per-process batches over {world}")
    check_method(cfg, method)
    run_cfg = {"config": cfg, "method": method, "seed": seed, "world_size": world}
    ckpt_path = run_dir / "checkpoint.pth"
    if (ckpt_path.exists() or previous_path(ckpt_path).exists()) and not resume:
        raise FileExistsError(f"{ckpt_path} exists: pass --resume to continue that run, or choose another --out")
    if rank == 0:
        atomic_write_json(run_dir / "config.json", run_cfg)

    # data, model, method, optimisation -----------------------------------------------------------------------
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)
    train_ds, val_ds, classes = build_datasets(cfg, run_dir)
    num_classes = len(classes)
    model = build_model(cfg, num_classes).to(dev)
    if use_flag(cfg["channels_last"], dev):
        model = model.to(memory_format=torch.channels_last)
    mixer = build_mixer(cfg, method, model, num_classes).to(dev)
    tap = attach_tap(model, mixer.attn_source) if mixer.needs_attn and mixer.attn_source != "external" else None
    criterion = mixer.criterion()
    batch_per_rank = cfg["batch_size"] // world
    lr = cfg["lr"] * cfg["batch_size"] / cfg["base_batch"]
    import timm.optim
    import timm.scheduler
    import timm.utils

    opt = timm.optim.create_optimizer_v2(model, cfg["opt"], lr=lr, weight_decay=cfg["weight_decay"],
                                         eps=cfg["opt_eps"])
    if mixer.parameters():
        opt.add_param_group({"params": mixer.parameters(), "weight_decay": 0.0, "lr": lr})
    steps = len(train_loader(train_ds, cfg, batch_per_rank, rank, world, seed, 0))
    if cfg["max_steps_per_epoch"] is not None:
        steps = min(steps, cfg["max_steps_per_epoch"])
    sched, _ = timm.scheduler.create_scheduler_v2(
        opt, sched=cfg["sched"], num_epochs=cfg["epochs"], warmup_epochs=cfg["warmup_epochs"],
        warmup_lr=cfg["warmup_lr"], min_lr=cfg["min_lr"], step_on_epochs=False, updates_per_epoch=steps)
    ema = timm.utils.ModelEmaV3(model, decay=cfg["ema_decay"]) if cfg["ema"] else None
    train_model = model
    if cfg["compile"]:
        train_model = torch.compile(model)
    if world > 1:
        train_model = torch.nn.parallel.DistributedDataParallel(
            train_model, device_ids=[dev.index] if dev.type == "cuda" else None)
    precision = resolve_precision(cfg["precision"], dev)
    amp_dtype = PRECISIONS[precision]
    scaler = torch.amp.GradScaler(dev.type) if precision == "fp16" else None

    def autocast():
        return torch.autocast(dev.type, dtype=amp_dtype) if amp_dtype else contextlib.nullcontext()

    mix_gen = torch.Generator().manual_seed(seed * 1000 + rank)
    state = {"epoch": 0, "num_updates": 0}

    # resume ------------------------------------------------------------------------------------------------------
    if resume and (ckpt_path.exists() or previous_path(ckpt_path).exists()):
        ck, ckpt_path = load_latest_good(ckpt_path, log)  # the previous one if the latest is damaged
        if ck["config_hash"] != config_hash(run_cfg):
            raise ValueError(f"{ckpt_path} was written by a different config/method/seed/world size; "
                             f"it has {json.dumps(ck['run_cfg'], default=str)[:400]}")
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        sched.load_state_dict(ck["scheduler"])
        if ema is not None:
            ema.load_state_dict(ck["ema"])
        if scaler is not None and ck.get("scaler") is not None:
            scaler.load_state_dict(ck["scaler"])
        for p, v in zip(mixer.parameters(), ck["mixer"]):
            p.data.copy_(v)
        state = dict(ck["state"])
        set_rng_state(ck["rng"][rank], mix_gen)
        log.info("resumed from %s at epoch %d", ckpt_path, state["epoch"])
        ckpt_path = run_dir / "checkpoint.pth"
    metrics_path = run_dir / "metrics.jsonl"
    if rank == 0:
        kept = [ln for ln in (metrics_path.read_text().splitlines() if metrics_path.exists() else [])
                if ln.strip() and json.loads(ln)["epoch"] <= state["epoch"]]
        atomic_write_bytes(metrics_path, "".join(ln + "\n" for ln in kept).encode())

    log.info("%s (%s), method %s %r, seed %d, %d classes, %d train / %d val images, global batch %d on %d x %s, "
             "lr %.2e, precision %s", cfg["model"], resolve_name(cfg["model"]), method, mixer, seed, num_classes,
             len(train_ds), len(val_ds), cfg["batch_size"], world, dev, lr, precision)

    # epochs ------------------------------------------------------------------------------------------------------
    val_dl = eval_loader(val_ds, cfg, rank, world)
    ev = None
    for epoch in range(state["epoch"], cfg["epochs"]):
        loader = train_loader(train_ds, cfg, batch_per_rank, rank, world, seed, epoch)
        tr = train_one_epoch(train_model, tap, mixer, criterion, opt, sched, ema, loader, mix_gen, epoch, cfg, state,
                             dev, autocast, rank, scaler)
        ev = evaluate(model, val_dl, dev, autocast, world)
        in_sync = params_in_sync(model, world)
        state["epoch"] = epoch + 1
        row = {"epoch": epoch + 1, "loss": tr["loss"], "lr": opt.param_groups[0]["lr"], **ev,
               "images_per_s": tr["train_images"] * world / tr["train_seconds"], "world_size": world,
               "in_sync": in_sync, "bad_images": count_bad(run_dir / "bad_images.txt")}
        if ema is not None:
            row["ema_top1"] = evaluate(ema.module, val_dl, dev, autocast, world)["top1"]
        rngs = gather(rng_state(mix_gen), world)  # last: nothing may draw from the RNGs between here and resume
        if rank == 0:
            save_keeping_previous({"model": model.state_dict(), "optimizer": opt.state_dict(),
                               "scheduler": sched.state_dict(), "ema": ema.state_dict() if ema else None,
                               "scaler": scaler.state_dict() if scaler else None,
                               "mixer": [p.detach().cpu() for p in mixer.parameters()],
                               "state": dict(state), "rng": rngs, "config_hash": config_hash(run_cfg),
                               "run_cfg": run_cfg}, ckpt_path)
            with open(metrics_path, "a") as f:
                f.write(json.dumps(row) + "\n")
            log.info("epoch %d/%d: loss %.4f, top-1 %.2f, top-5 %.2f, %.1f images/s%s", epoch + 1, cfg["epochs"],
                     tr["loss"], ev["top1"], ev["top5"], row["images_per_s"], "" if in_sync else ", OUT OF SYNC")
        if not in_sync:
            raise RuntimeError("model replicas diverged across processes")
        if stop_after is not None and state["epoch"] >= stop_after and state["epoch"] < cfg["epochs"]:
            log.info("stopping after epoch %d as asked; continue with --resume", state["epoch"])
            return {"stopped_after": state["epoch"]}
    if ev is None:  # resumed a finished run: evaluate the final weights again
        ev = evaluate(model, val_dl, dev, autocast, world)

    # hand-off ----------------------------------------------------------------------------------------------------
    result = {}
    if rank == 0:
        result = export(run_dir, model, cfg, method, seed, num_classes, ev, run_cfg, mixer, precision)
    if world > 1:
        dist.barrier()
    return result


def export(run_dir: Path, model, cfg: dict, method: str, seed: int, num_classes: int, ev: dict, run_cfg: dict,
           mixer, precision: str) -> dict:
    sd = {k: v.detach().float().cpu().contiguous() if v.is_floating_point() else v.detach().cpu().contiguous()
          for k, v in model.state_dict().items()}
    atomic_torch_save(sd, run_dir / "backbone.pth")
    sha = sha256_file(run_dir / "backbone.pth")
    rows = [json.loads(ln) for ln in (run_dir / "metrics.jsonl").read_text().splitlines() if ln.strip()]
    ips = [r["images_per_s"] for r in rows]
    meta = {"alias": cfg["model"], "timm_name": resolve_name(cfg["model"]), "method": method,
            "method_config": repr(mixer), "seed": seed, "epochs": cfg["epochs"], "profile": cfg["profile"],
            "img_size": cfg["img_size"], "model_kwargs": {**cfg["model_kwargs"], "img_size": cfg["img_size"],
                                                          "num_classes": num_classes},
            "patch_size": token_stride(model), "num_classes": num_classes, "mean": cfg["mean"], "std": cfg["std"],
            "interpolation": cfg["interpolation"], "crop_pct": cfg["crop_pct"], "dataset": cfg["dataset"],
            "top1": ev["top1"], "top5": ev["top5"], "sha256": sha, "git_commit": git_commit()}
    atomic_write_json(run_dir / "backbone.json", meta)
    result = {"stage": "pretrain", "alias": cfg["model"], "method": method, "seed": seed, "top1": ev["top1"],
              "top5": ev["top5"], "val_images": ev["val_images"], "epochs": cfg["epochs"],
              "images_per_s": float(np.median(ips)) if ips else math.nan, "backbone_sha256": sha,
              "config_sha256": config_hash(run_cfg), "profile": cfg["profile"], "cpu_threads": torch.get_num_threads(),
              "precision": precision, "device": str(next(model.parameters()).device.type),
              # tools/run_all.py runs stages side by side on CPU machines: images/s then shares the cores
              "stages_side_by_side": int(os.environ.get("MIXBENCH_STAGES_SIDE_BY_SIDE", "1"))}
    atomic_write_json(run_dir / "results.json", result)
    log.info("hand-off written: %s (sha256 %s...), top-1 %.2f", run_dir / "backbone.pth", sha[:12], ev["top1"])
    return result


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", required=True, help="configs/pretrain/<alias>.py")
    ap.add_argument("--method", required=True, help=f"one of: {', '.join(MIXERS)}")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", required=True, help="run directory")
    ap.add_argument("--profile", default="demo", help="paper | demo | tiny")
    ap.add_argument("--resume", action="store_true", help="continue from <out>/checkpoint.pth if it exists")
    ap.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="override config keys")
    ap.add_argument("--device", default=None)
    ap.add_argument("--compile", action="store_true", default=None, help="torch.compile the model")
    ap.add_argument("--stop-after", type=int, default=None, metavar="K",
                    help="exit cleanly after epoch K (resumable with --resume)")
    ap.add_argument("--launcher", default="pytorch", choices=["pytorch", "slurm"],
                    help="pytorch: torchrun's environment (tools/dist_train.sh); slurm: srun's (tools/slurm_train.sh)")
    args = ap.parse_args(argv)
    try:
        run(args.config, args.method, args.seed, args.out, args.profile, args.resume, args.set, args.device,
            args.compile, args.stop_after, args.launcher)
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


if __name__ == "__main__":
    main()
