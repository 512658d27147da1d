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
top-1 / top-5 on the val set), and ``mixed_samples.npz`` (a few mixed training images with their area and
attention labels, for the report's picture grid: ``pretrain/samples.py``).
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
    code_sha256,
    load_latest_good,
    previous_path,
    sha256_file,
)
from pretrain.config import load_config
from pretrain.data import build_datasets, count_bad, eval_loader, train_loader
from pretrain.distributed import Layout, init_distributed, key, seed_everything
from pretrain.mixing import MIXERS, create_mixer
from pretrain.models import ALIASES, NO_CLASS_ATTENTION, attach_tap, create_backbone, resolve_name, token_stride
from pretrain.samples import write_mixed_samples

log = logging.getLogger("pretrain")
REPO = Path(__file__).resolve().parents[1]


class NonFiniteLossError(RuntimeError):
    pass


# ------------------------------------------------------------------------------------------------ setup helpers


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
    external = cfg["method_kwargs"].get(method, {}).get("attn_source") == "external"
    if cfg["model"] in NO_CLASS_ATTENTION and MIXERS[method].needs_attn and not external:
        raise ValueError(f"{method} labels by the model's class attention; {cfg['model']} has no class token (plain "
                         f"Swin): train it with a method without attention labels (deit, mixup, cutmix, ...) or use "
                         f"its class-attention variant ca_{cfg['model']}")
    probe = build_model(cfg, num_classes=2)  # only for its token stride
    MIXERS[method].check_geometry((cfg["img_size"], cfg["img_size"]), token_stride(probe),
                                  **cfg["method_kwargs"].get(method, {}))


def build_mixer(cfg: dict, method: str, model: torch.nn.Module, num_classes: int):
    if method not in MIXERS:
        raise KeyError(f"unknown method {method!r}; valid: {', '.join(MIXERS)}")
    kwargs = {"smoothing": cfg["smoothing"]}
    if "patch_size" in MIXERS[method].options():
        kwargs["patch_size"] = token_stride(model)
    if "input_mean" in MIXERS[method].options():  # the pipeline's normalisation (Attentive-CutMix undoes it)
        kwargs["input_mean"], kwargs["input_std"] = tuple(cfg["mean"]), tuple(cfg["std"])
    kwargs.update(cfg["method_kwargs"].get(method, {}))
    mixer = create_mixer(method, num_classes, **kwargs)
    if getattr(mixer, "needs_model", False):  # Puzzle-Mix: its saliency is this model's input gradient
        mixer.bind(model)
    return mixer


PRECISIONS = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": None}


def bf16_is_fast(device: torch.device) -> bool:
    """Whether bf16 autocast speeds training up on ``device``: on CUDA, and on a CPU with AMX tiles. A CPU without AMX
    runs bf16 matmuls slower than fp32 ones, AVX512-BF16 or not: on this suite's 2-core Xeon (AVX512-BF16, no AMX) a
    demo DeiT-S step (32 px, batch 64) took 2.69 s under bf16 against 1.36 s in fp32 on one thread, 1.57 against 0.87 s
    on two (2026-12-07). An earlier machine it was tuned on ran bf16 1.5-1.9x faster than fp32."""
    if device.type == "cuda":
        return True
    amx = getattr(torch.cpu, "_is_amx_tile_supported", None)  # torch >= 2.3; without it, fp32 (the safe side)
    return device.type == "cpu" and amx is not None and bool(amx())


def resolve_precision(value: str, device: torch.device) -> str:
    """``auto`` -> bf16 where it is fast (:func:`bf16_is_fast`: CUDA, a CPU with AMX), fp32 elsewhere; anything else
    must be one of :data:`PRECISIONS`."""
    if value == "auto":
        return "bf16" if bf16_is_fast(device) else "fp32"
    if value not in PRECISIONS:
        raise ValueError(f"precision must be auto, bf16, fp16 or fp32, got {value!r}")
    return value


def use_flag(value, device: torch.device) -> bool:
    return device.type == "cuda" if value == "auto" else bool(value)


def gather(obj, world: int) -> list:
    if world == 1:
        return [obj]
    out = [None] * world
    dist.all_gather_object(out, obj)
    return out


# --------------------------------------------------------------------------------------------- train and eval


def train_one_epoch(model, tap, mixer, criterion, opt, sched, ema, loader, layout: Layout, seed: int, epoch: int,
                    cfg, state, device, autocast, rank, scaler=None, stop=None) -> dict:
    """Optimizer steps ``state['step']`` .. end of epoch, each over ``layout.accum`` micro-batches whose mixing and
    model randomness are keyed by their global index. ``stop()`` true after a step ends the epoch early (a signal):
    ``state['step']`` then says where to resume."""
    from tqdm import tqdm

    model.train()
    steps = len(loader) // layout.accum + state["step"]  # the loader starts at state['step']
    if cfg["max_steps_per_epoch"] is not None:
        steps = min(steps, cfg["max_steps_per_epoch"])
    loss_sum, n_seen, t0, start = torch.zeros((), device=device), 0, time.perf_counter(), state["step"]
    carried = state.pop("loss_sum", 0.0)  # the summed step losses before a mid-epoch checkpoint (resumed epoch)
    bar = tqdm(total=steps, initial=start, desc=f"epoch {epoch + 1}/{cfg['epochs']}", disable=rank != 0,
               mininterval=5, dynamic_ncols=True, file=sys.stderr)
    params = [p for g in opt.param_groups for p in g["params"]]
    micro = iter(loader)
    for step in range(start, steps):
        opt.zero_grad(set_to_none=True)
        for a in range(layout.accum):
            x, y = next(micro)
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            if use_flag(cfg["channels_last"], device):
                x = x.contiguous(memory_format=torch.channels_last)
            g = layout.micro_index(step, a)
            seed_everything(key(seed, epoch, "model", g))  # drop path, dropout: the same for this micro-batch anywhere
            batch = mixer(x, y, torch.Generator().manual_seed(key(seed, epoch, "mix", g)))
            last = a == layout.accum - 1
            with (contextlib.nullcontext() if last or not hasattr(model, "no_sync") else model.no_sync()):
                with autocast():
                    logits = model(batch.x)
                attn, grid = (tap.attention(), tap.grid) if tap is not None else (None, None)
                target = mixer.targets(batch, logits=logits, attn=attn, grid=grid,
                                       progress=(epoch + step / steps) / cfg["epochs"])
                loss = criterion(logits.float(), target)
                if not torch.isfinite(loss):
                    raise NonFiniteLossError(
                        f"loss is {float(loss)} at epoch {epoch + 1}, step {step + 1}: training stopped; the last "
                        f"good checkpoint is kept. Lower lr, enable clip_grad or check the data.")
                scaled = loss / layout.accum  # the mean over micro-batches, as DDP's mean over processes
                (scaler.scale(scaled) if scaler is not None else scaled).backward()
            loss_sum += loss.detach() / layout.accum
            n_seen += x.shape[0]
        if scaler is not None:  # fp16: gradients unscaled before clipping, steps skipped on overflow
            if cfg["clip_grad"]:
                scaler.unscale_(opt)
                torch.nn.utils.clip_grad_norm_(params, cfg["clip_grad"])
            scaler.step(opt)
            scaler.update()
        else:
            if cfg["clip_grad"]:
                torch.nn.utils.clip_grad_norm_(params, cfg["clip_grad"])
            opt.step()
        state["num_updates"] += 1
        state["step"] = step + 1
        sched.step_update(num_updates=state["num_updates"])
        if ema is not None:
            ema.update(model, step=state["num_updates"])
        bar.update(1)
        if step % 10 == 0:
            bar.set_postfix(loss=f"{float(loss.detach()):.3f}", lr=f"{opt.param_groups[0]['lr']:.2e}")
        if stop is not None and state["step"] < steps and stop():
            break
    bar.close()
    if dist.is_initialized():  # the logged loss is the mean over every process's micro-batches
        dist.all_reduce(loss_sum)
        loss_sum /= dist.get_world_size()
    done = state["step"] >= steps
    total = carried + float(loss_sum)
    if done:
        sched.step(epoch + 1)
    else:  # a mid-epoch checkpoint carries the epoch's loss so far: the resumed epoch logs the mean of all its steps
        state["loss_sum"] = total
    elapsed = time.perf_counter() - t0
    return {"loss": total / max(state["step"], 1), "train_images": n_seen, "train_seconds": elapsed,
            "finished": done}


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


class Preemption:
    """SIGTERM / SIGUSR1 (what SLURM sends before a time limit or a preemption) ask the loop to stop after the current
    optimizer step; with several processes they agree on the step (any one asked: all stop)."""

    def __init__(self, world: int, device: torch.device):
        self.world, self.device, self.signal_name, self._flag, self._previous = world, device, None, False, {}

    def __enter__(self):
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGUSR1):
                self._previous[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc):  # the handlers before training (processes forked later must still die on SIGTERM)
        import signal

        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    def _handler(self, signum, _frame):
        import signal

        self._flag, self.signal_name = True, signal.Signals(signum).name

    def requested(self) -> bool:
        if self.world == 1:
            return self._flag
        flag = torch.tensor([float(self._flag)], device=self.device)  # NCCL reduces device tensors only
        dist.all_reduce(flag)
        if flag.item() > 0 and self.signal_name is None:
            self.signal_name = "a signal to another process"
        return flag.item() > 0


# ----------------------------------------------------------------------------------------------------- run


def run(config: str, method: str, seed: int, out: str | Path, profile: str = "demo", resume: bool = False,
        overrides=None, device: str | None = None, compile_model: bool | None = None,
        stop_after: int | None = None, launcher: str = "pytorch") -> dict:
    """Train (or continue with ``resume``) and export; ``stop_after=k`` exits cleanly after epoch k with a resumable
    checkpoint and no hand-off (for time-boxed jobs; the schedule still spans ``epochs``)."""
    code_sha256("pretrain")  # the code this process runs, read now (cached): recorded in results.json at the end
    rank, world, dev = init_distributed(device, launcher)
    run_dir = Path(out)
    run_dir.mkdir(parents=True, exist_ok=True)
    lock = RunLock(run_dir, "pretraining") if rank == 0 else contextlib.nullcontext()  # one owner per run directory
    with lock, Preemption(world, dev) as preempt:
        return _train(config, method, seed, run_dir, profile, resume, overrides, compile_model, stop_after, rank,
                      world, dev, preempt)


def _train(config, method, seed, run_dir: Path, profile, resume, overrides, compile_model, stop_after, rank, world,
           dev, preempt) -> dict:
    setup_logging(run_dir, rank)

    # config --------------------------------------------------------------------------------------------------
    cfg = load_config(config, profile, overrides)
    if compile_model is not None:
        cfg["compile"] = compile_model
    if cfg["model"] not in ALIASES:
        raise KeyError(f"unknown backbone alias {cfg['model']!r}; valid: {', '.join(ALIASES)}")
    layout = Layout.resolve(cfg["batch_size"], cfg["micro_batch"], world, rank)  # refuses a split that does not add up
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
    lr = cfg["lr"] * cfg["batch_size"] / cfg["base_batch"]
    import timm.optim
    import timm.scheduler
    import timm.utils

    opt = timm.optim.create_optimizer_v2(model, cfg["opt"], lr=lr, weight_decay=cfg["weight_decay"],
                                         eps=cfg["opt_eps"])
    if mixer.parameters():
        opt.add_param_group({"params": mixer.parameters(), "weight_decay": 0.0, "lr": lr})
    steps = len(train_ds) // layout.global_batch
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

    if getattr(mixer, "needs_model", False):  # the saliency pass under the training precision
        mixer.bind(model, autocast)

    state = {"epoch": 0, "step": 0, "num_updates": 0}  # step: optimizer steps done in the current epoch

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
        log.info("resumed from %s at epoch %d%s", ckpt_path, state["epoch"],
                 f", step {state['step']}" if state["step"] else "")
        ckpt_path = run_dir / "checkpoint.pth"
    metrics_path = run_dir / "metrics.jsonl"
    if rank == 0:
        kept = [ln for ln in (metrics_path.read_text().splitlines() if metrics_path.exists() else [])
                if ln.strip() and json.loads(ln)["epoch"] <= state["epoch"]]
        atomic_write_bytes(metrics_path, "".join(ln + "\n" for ln in kept).encode())

    log.info("%s (%s), method %s %r, seed %d, %d classes, %d train / %d val images, global batch %d on %d x %s, "
             "lr %.2e, precision %s", cfg["model"], resolve_name(cfg["model"]), method, mixer, seed, num_classes,
             len(train_ds), len(val_ds), cfg["batch_size"], world, dev, lr, precision)
    log.info("global batch %d = micro-batch %d x %d process(es) x %d accumulation step(s)", layout.global_batch,
             layout.micro_batch, world, layout.accum)

    def save(tag: str) -> None:
        if rank == 0:
            atomic_torch_save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                               "scheduler": sched.state_dict(), "ema": ema.state_dict() if ema else None,
                               "scaler": scaler.state_dict() if scaler else None,
                               "mixer": [p.detach().cpu() for p in mixer.parameters()], "state": dict(state),
                               "config_hash": config_hash(run_cfg), "run_cfg": run_cfg, "written": tag},
                              ckpt_path, keep_previous=True)

    # epochs ------------------------------------------------------------------------------------------------------
    val_dl = eval_loader(val_ds, cfg, rank, world)
    ev = None
    for epoch in range(state["epoch"], cfg["epochs"]):
        loader = train_loader(train_ds, cfg, layout, seed, epoch, state["step"])
        tr = train_one_epoch(train_model, tap, mixer, criterion, opt, sched, ema, loader, layout, seed, epoch, cfg,
                             state, dev, autocast, rank, scaler, stop=preempt.requested)
        if not tr["finished"]:  # SIGTERM / SIGUSR1 (a time limit, a preemption): exact mid-epoch checkpoint, then out
            save(f"signal, epoch {epoch + 1} step {state['step']}")
            log.info("stopped by %s at epoch %d, step %d: checkpoint written; continue with --resume",
                     preempt.signal_name, epoch + 1, state["step"])
            return {"preempted_at": {"epoch": epoch, "step": state["step"]}}
        state["step"] = 0
        ev = evaluate(model, val_dl, dev, autocast, world)
        in_sync = params_in_sync(model, world)
        state["epoch"] = epoch + 1
        row = {"epoch": epoch + 1, "loss": tr["loss"], "lr": opt.param_groups[0]["lr"], **ev,
               "images_per_s": tr["train_images"] * world / tr["train_seconds"], "world_size": world,
               "in_sync": in_sync, "bad_images": count_bad(run_dir / "bad_images.txt")}
        if ema is not None:
            row["ema_top1"] = evaluate(ema.module, val_dl, dev, autocast, world)["top1"]
        save(f"end of epoch {epoch + 1}")
        if rank == 0:
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
        result = export(run_dir, model, cfg, method, seed, num_classes, ev, run_cfg, mixer, precision, layout)
        if write_mixed_samples(run_dir / "mixed_samples.npz", model, mixer, train_ds, cfg, seed, dev):
            log.info("mixed training samples for the report's picture grid: %s", run_dir / "mixed_samples.npz")
    if world > 1:
        dist.barrier()
    return result


def export(run_dir: Path, model, cfg: dict, method: str, seed: int, num_classes: int, ev: dict, run_cfg: dict,
           mixer, precision: str, layout: Layout) -> dict:
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
              "code_sha256": code_sha256("pretrain"), "global_batch": layout.global_batch, "world_size": layout.world,
              "micro_batch": layout.micro_batch,
              "accumulation": layout.accum,
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
        result = run(args.config, args.method, args.seed, args.out, args.profile, args.resume, args.set, args.device,
                     args.compile, args.stop_after, args.launcher)
        if "preempted_at" in result:
            sys.exit(143)  # stopped by a signal, checkpoint written: an interrupted job's status, for schedulers
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


if __name__ == "__main__":
    main()
