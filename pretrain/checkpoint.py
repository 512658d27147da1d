"""Checkpoint I/O: atomic writes, exact loading, hashing. Imported by transfer/ and robustness/ too."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import torch


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_json(path, obj) -> None:
    atomic_write_bytes(path, (json.dumps(obj, indent=1, sort_keys=False, default=str) + "\n").encode())


def atomic_torch_save(obj, path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        torch.save(obj, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def sha256_file(path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def load_state_dict_exact(model: torch.nn.Module, state_dict: dict, source: str = "state dict",
                          ignore: tuple[str, ...] = ()) -> None:
    """Load with an exact key check: every parameter and buffer loaded, nothing left over (MAE-style assert).

    ``ignore``: key prefixes allowed to be missing or unexpected (e.g. a classifier head being replaced)."""
    own = model.state_dict()
    missing = [k for k in own if k not in state_dict and not k.startswith(ignore)]
    unexpected = [k for k in state_dict if k not in own and not k.startswith(ignore)]
    shape = [f"{k}: {tuple(state_dict[k].shape)} vs {tuple(v.shape)}" for k, v in own.items()
             if k in state_dict and not k.startswith(ignore) and tuple(state_dict[k].shape) != tuple(v.shape)]
    if missing or unexpected or shape:
        raise KeyError(f"{source} does not match {type(model).__name__}: missing {missing[:8]}"
                       f"{' ...' if len(missing) > 8 else ''} ({len(missing)}), unexpected {unexpected[:8]}"
                       f"{' ...' if len(unexpected) > 8 else ''} ({len(unexpected)}), shape mismatches {shape[:8]}")
    model.load_state_dict({k: v for k, v in state_dict.items() if k in own}, strict=not ignore)


def load_backbone(path, **overrides):
    """Rebuild a hand-off backbone from ``backbone.pth`` and the ``backbone.json`` beside it (exact key check).

    Returns ``(model, meta)``; ``overrides`` change constructor arguments (e.g. ``dynamic_img_size=True``)."""
    import pretrain.models  # noqa: F401  (registers the suite's models)
    from pretrain.models import create_backbone

    path = Path(path)
    meta_path = path.with_name("backbone.json")
    if not path.exists():
        raise FileNotFoundError(f"backbone checkpoint {path} not found (python -m pretrain.train writes it)")
    if not meta_path.exists():
        raise FileNotFoundError(f"{meta_path} not found: the hand-off needs backbone.json beside backbone.pth")
    meta = json.loads(meta_path.read_text())
    kwargs = {**meta["model_kwargs"], **overrides}
    model = create_backbone(meta["timm_name"], **kwargs)
    load_state_dict_exact(model, torch.load(path, map_location="cpu", weights_only=True), source=str(path))
    return model.eval(), meta
