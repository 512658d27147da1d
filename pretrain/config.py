"""Pretraining configs: Python files read with MMEngine's ``Config`` (one ``_base_`` level), validated on load.

A config file sets ``model`` (a short alias), optional top-level keys shared by every profile, and ``profiles``:
``{"paper": {...}, "demo": {...}, "tiny": {...}}``. The resolved config is ``DEFAULTS`` <- file's top-level keys <-
``profiles[profile]`` <- ``--set key=value`` overrides; an unknown key anywhere raises, listing the valid ones.
"""

from __future__ import annotations

import ast
import copy
from pathlib import Path

DEFAULTS: dict = {
    # the DeiT recipe of the papers (MixPro Table 11), at ImageNet scale
    "model": None,  # short alias, e.g. "deit_s"
    "model_kwargs": {},  # extra timm constructor arguments (e.g. patch_size for a demo grid)
    "img_size": 224,
    "drop_path": 0.1,
    "dataset": "imagenet",  # a folder under the data root (configs/datasets.py)
    "data_root": None,  # None: $DATA_ROOT or data/synthetic-demo
    "train_per_class": None,  # cap on training images per class (None: all)
    "batch_size": 1024,  # global batch: micro_batch x processes x accumulation steps, on any process count
    "micro_batch": None,  # images per process per forward (None: batch_size / processes, no accumulation)
    "lr": 1e-3,  # at base_batch, scaled linearly with batch_size
    "base_batch": 1024,
    "min_lr": 1e-5,
    "warmup_lr": 1e-6,
    "warmup_epochs": 20,
    "epochs": 300,
    "sched": "cosine",
    "opt": "adamw",
    "opt_eps": 1e-8,
    "weight_decay": 0.05,
    "clip_grad": None,
    "smoothing": 0.1,
    "randaug": "rand-m9-mstd0.5-inc1",  # RandAugment(9, 0.5)
    "reprob": 0.25,  # random erasing (DeiT)
    "rrc_scale": [0.08, 1.0],  # RandomResizedCrop scale range
    "interpolation": "bicubic",
    "crop_pct": 0.875,
    "mean": [0.485, 0.456, 0.406],
    "std": [0.229, 0.224, 0.225],
    "method_kwargs": {},  # {"mixpro": {"scale": 4}, ...} per-method overrides
    "ema": False,
    "ema_decay": 0.99996,
    # autocast precision: "auto" (bf16 on CUDA and on a CPU with AMX, fp32 elsewhere: train.bf16_is_fast), "bf16",
    # "fp16" (with a gradient scaler, for GPUs without bf16 such as the papers' V100s) or "fp32"; in results.json
    "precision": "auto",
    "channels_last": "auto",  # "auto": on CUDA only
    "compile": False,
    "workers": 8,
    "eval_batch_size": 256,
    "skip_bad_images": False,  # True: skip unreadable images (counted in metrics) instead of stopping
    "max_steps_per_epoch": None,  # cap (tests)
}


def _check_keys(d: dict, where: str) -> None:
    unknown = sorted(set(d) - set(DEFAULTS))
    if unknown:
        raise KeyError(f"unknown config key(s) {unknown} in {where}; valid keys: {', '.join(DEFAULTS)}")


def parse_override(text: str) -> tuple[str, object]:
    """``key=value`` with a Python literal value (strings may be bare); ``key`` may be dotted (``a.b=v``)."""
    if "=" not in text:
        raise ValueError(f"override {text!r} must look like key=value")
    key, raw = text.split("=", 1)
    try:
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        value = raw
    return key.strip(), value


def load_config(path: str | Path, profile: str = "demo", overrides: list[str] | dict | None = None) -> dict:
    """Resolve ``path`` for ``profile`` into a plain dict of every key in :data:`DEFAULTS`."""
    from mmengine.config import Config

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"config {path} not found; configs live in configs/pretrain/<alias>.py")
    raw = Config.fromfile(str(path)).to_dict()
    profiles = raw.pop("profiles", {})
    raw.pop("_base_", None)
    _check_keys(raw, str(path))
    if profile not in profiles:
        raise KeyError(f"profile {profile!r} not in {path}; available: {', '.join(profiles) or '(none)'}")
    _check_keys(profiles[profile], f"{path} profiles[{profile!r}]")
    cfg = copy.deepcopy(DEFAULTS)
    cfg.update(copy.deepcopy(raw))
    cfg.update(copy.deepcopy(profiles[profile]))
    if isinstance(overrides, dict):
        items = list(overrides.items())
    else:
        items = [parse_override(o) for o in overrides or []]
    _check_keys({k.split(".")[0]: v for k, v in items}, "--set overrides")
    for key, value in items:  # ``a.b.c=v`` sets one entry inside a dict key (method_kwargs.tokenmix.teacher=FILE)
        *parents, leaf = key.split(".")
        node = cfg
        for p in parents:
            if not isinstance(node.get(p, {}), dict):
                raise KeyError(f"--set {key}: {p!r} is not a dict in the resolved config")
            node = node.setdefault(p, {})
        node[leaf] = value
    if not cfg["model"]:
        raise KeyError(f"{path} does not set 'model' (a backbone alias)")
    cfg["profile"] = profile
    cfg["config_file"] = str(path)
    return cfg
