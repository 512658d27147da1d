"""What the segmentation and detection launchers share: backbone hand-off, MMEngine config and runner plumbing."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from pretrain.checkpoint import sha256_file

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
    The demo profiles use it on CPU, where bf16 matmuls are 1.5x faster on one thread; the paper profiles keep fp32."""
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


def config_sha(cfg) -> str:
    return hashlib.sha256(cfg.pretty_text.encode()).hexdigest()


def finish(out: Path, result: dict, backbone: str | Path, cfg) -> dict:
    from pretrain.checkpoint import atomic_write_json

    result = {**result, "backbone_sha256": sha256_file(backbone), "config_sha256": config_sha(cfg)}
    atomic_write_json(out / "results.json", result)
    return result


def last_checkpoint(work_dir: Path) -> bool:
    return (work_dir / "last_checkpoint").exists()
