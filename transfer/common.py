"""What the segmentation and detection launchers share: backbone hand-off, MMEngine config and runner plumbing."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from pretrain.checkpoint import code_sha256, sha256_file

REPO = Path(__file__).resolve().parents[1]


def read_meta(backbone: str | Path) -> dict:
    """``backbone.json`` of a hand-off, after checking ``backbone.pth`` against its recorded sha256 (at start-up)."""
    from pretrain.checkpoint import read_handoff

    return read_handoff(backbone)[1]


def load_profile_config(task: str, profile: str):
    """``configs/transfer/<task>_<profile>.py`` through MMEngine's Config (one ``_base_`` level)."""
    from mmengine.config import Config

    path = REPO / "configs" / "transfer" / f"{task}_{profile}.py"
    if not path.exists():
        have = sorted(p.stem.split("_", 1)[1] for p in path.parent.glob(f"{task}_*.py"))
        raise FileNotFoundError(f"no {task} config for profile {profile!r} ({path}); available: {', '.join(have)}")
    return Config.fromfile(str(path)), path


def allow_mmengine_resume() -> None:
    """MMEngine 0.10.7 calls ``torch.load`` without ``weights_only``; torch >= 2.6 then refuses its own resume
    checkpoints (they pickle a ``HistoryBuffer`` and numpy state). These files are written by this very run, so
    restore the old default for this process only."""
    os.environ.setdefault("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")


def register_bf16_optim_wrapper() -> None:
    """``BF16OptimWrapper``: MMEngine's ``OptimWrapper`` with the forward under bf16 autocast on any device. MMEngine's
    own ``AmpOptimWrapper`` asserts a GPU (0.10.7); bf16 keeps fp32's exponent range, so no loss scaling is needed.
    The demo profiles ask for it where bf16 is fast (:func:`apply_precision`); the paper profiles keep fp32."""
    from contextlib import contextmanager

    import torch
    from mmengine.optim import OptimWrapper
    from mmengine.registry import OPTIM_WRAPPERS

    if "BF16OptimWrapper" in OPTIM_WRAPPERS.module_dict:
        return

    @OPTIM_WRAPPERS.register_module()
    class BF16OptimWrapper(OptimWrapper):
        @contextmanager
        def optim_context(self, model):
            device = next(model.parameters()).device.type
            with super().optim_context(model), torch.autocast(device_type=device, dtype=torch.bfloat16):
                yield


def apply_precision(cfg, device) -> str:
    """A config's ``precision``: ``"auto"`` (the demo and tiny profiles) keeps its bf16 autocast (``BF16OptimWrapper``
    and the ``TestLoop``'s autocast) where bf16 is fast (``pretrain.train.bf16_is_fast``: CUDA, a CPU with AMX) and
    turns both off elsewhere (plain ``OptimWrapper``, fp32); ``"bf16"`` keeps them anywhere. A config without the key
    (the paper profiles) runs as written. Returns what runs: ``"bf16"`` or ``"fp32"``."""
    from pretrain.train import bf16_is_fast

    value = cfg.get("precision")
    if value not in (None, "auto", "bf16"):
        raise ValueError(f"config key precision: 'auto' or 'bf16' (or no key), got {value!r}")
    if value == "auto" and not bf16_is_fast(device):
        if cfg.optim_wrapper.get("type") == "BF16OptimWrapper":
            cfg.optim_wrapper.type = "OptimWrapper"
        if cfg.get("test_cfg"):
            cfg.test_cfg.fp16 = False
    return "bf16" if cfg.optim_wrapper.get("type") == "BF16OptimWrapper" else "fp32"


def config_sha(cfg) -> str:
    return hashlib.sha256(cfg.pretty_text.encode()).hexdigest()


def finish(out: Path, result: dict, backbone: str | Path, cfg) -> dict:
    from pretrain.checkpoint import atomic_write_json

    result = {**result, "backbone_sha256": sha256_file(backbone), "config_sha256": config_sha(cfg),
              "code_sha256": code_sha256(result["stage"])}
    atomic_write_json(out / "results.json", result)
    return result


def last_checkpoint(work_dir: Path) -> bool:
    return (work_dir / "last_checkpoint").exists()


def world_size(launcher: str) -> int:
    """Processes of this run: torchrun's ``WORLD_SIZE`` (``pytorch``), srun's ``SLURM_NTASKS`` (``slurm``), else 1."""
    if launcher == "pytorch":
        return int(os.environ.get("WORLD_SIZE", "1"))
    if launcher == "slurm":
        return int(os.environ.get("SLURM_NTASKS", "1"))
    return 1


def join_process_group(cfg, launcher: str) -> None:
    """Multi-process runs without a GPU (gloo): MMEngine 0.10.7's ``pytorch`` and ``slurm`` launchers call
    ``torch.cuda.set_device`` and its model wrapper passes ``device_ids=[LOCAL_RANK]``, both of which fail on a CPU.
    So on a CPU join the process group here (torchrun's or srun's environment, as ``pretrain.train`` does; the
    Runner then skips its own ``init_dist``) and wrap with ``device_ids=None``, MMEngine's wrapper otherwise as its
    default (``broadcast_buffers=False``). With a GPU MMEngine's own launchers run unchanged (NCCL)."""
    import torch

    if launcher == "none" or torch.cuda.is_available():
        return
    from pretrain.distributed import init_distributed

    init_distributed("cpu", launcher)
    cfg.model_wrapper_cfg = dict(type="MMDistributedDataParallel", device_ids=None, broadcast_buffers=False,
                                 find_unused_parameters=cfg.get("find_unused_parameters", False))


def apply_global_batch(cfg, launcher: str) -> int:
    """Keep the recipe's global batch (``global_batch_size`` in the paper configs: 16, the papers' 8 GPUs x 2) on any
    process count: per-process batch x processes x MMEngine's ``accumulative_counts`` must equal it, or this refuses
    with the numbers. MMEngine counts every accumulated iteration, so the iteration-based loop length, intervals and
    schedules are stretched by the accumulation: the optimizer steps and the lr schedule stay the recipe's.
    Returns the accumulation count."""
    glob = cfg.get("global_batch_size")
    if not glob:
        return 1
    world, per = world_size(launcher), cfg.train_dataloader.batch_size
    if glob % (per * world):
        raise ValueError(f"global batch {glob} is not per-process batch {per} x {world} process(es) x a whole number "
                         "of accumulation steps: change train_dataloader.batch_size (--cfg-options) or the process "
                         "count")
    acc = glob // (per * world)
    if acc > 1:
        cfg.optim_wrapper.accumulative_counts = acc
        for sch in cfg.param_scheduler:
            if not sch.get("by_epoch", True):
                sch.begin, sch.end = sch.get("begin", 0) * acc, sch.end * acc
        if cfg.train_cfg.type == "IterBasedTrainLoop":
            cfg.train_cfg.max_iters *= acc
            cfg.train_cfg.val_interval *= acc
            if not cfg.default_hooks.checkpoint.get("by_epoch", True):
                cfg.default_hooks.checkpoint.interval *= acc
    return acc
