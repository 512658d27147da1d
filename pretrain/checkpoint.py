"""Checkpoint I/O: atomic writes, exact loading, hashing. Imported by transfer/ and robustness/ too."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
# stage (its results.json "stage", run_all's stage name) -> the packages whose code it runs (configs/*.py besides
# datasets.py are the stage's inputs, keyed separately)
STAGE_CODE = {"pretrain": ("pretrain",), "import": ("pretrain",), "seg_linear": ("transfer", "pretrain"),
              "seg_segmenter": ("transfer", "pretrain"), "seg_upernet": ("transfer", "pretrain"),
              "det_maskrcnn": ("transfer", "pretrain"),
              "robustness": ("robustness", "pretrain"), "bench_mixing": ("pretrain", "tools/bench_mixing.py")}


@functools.cache
def code_sha256(stage: str) -> str:
    """sha256 of the source ``stage`` runs (``STAGE_CODE``: its packages' ``*.py`` and
    ``configs/datasets.py``), recorded in every ``results.json`` as ``code_sha256``: ``run_all`` lists the finished
    stages that other code produced (``--rerun-stale`` re-runs them) and the report marks them. Cached per process:
    a stage calls it when it starts, so an edit during a long run does not pass for the code that ran."""
    files = sorted(f for pkg in STAGE_CODE[stage]
                   for f in ([REPO / pkg] if pkg.endswith(".py") else (REPO / pkg).rglob("*.py")))
    h = hashlib.sha256()
    for f in files + [REPO / "configs" / "datasets.py"]:
        h.update(f.relative_to(REPO).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


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


def atomic_torch_save(obj, path, keep_previous: bool = False) -> None:
    """``torch.save`` to a temporary file, then renamed over ``path``. ``keep_previous``: the file it replaces is kept
    as ``<name>.prev<suffix>`` (training checkpoints: a latest one damaged later leaves the one before it)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        torch.save(obj, tmp)
        if keep_previous and path.exists():
            os.replace(path, previous_path(path))
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


def read_handoff(path) -> tuple[dict, dict]:
    """``(state_dict, meta)`` of a hand-off ``backbone.pth`` with its ``backbone.json``, after checking the file's
    sha256 against the one recorded there: a truncated, changed or unreadable file is named, never half-loaded."""
    path = Path(path)
    meta_path = path.with_name("backbone.json")
    if not path.exists():
        raise FileNotFoundError(f"backbone checkpoint {path} not found (python -m pretrain.train or "
                                "python -m pretrain.import_weights writes it)")
    if not meta_path.exists():
        raise FileNotFoundError(f"{meta_path} not found: the hand-off needs backbone.json beside backbone.pth "
                                "(a released checkpoint goes through python -m pretrain.import_weights first)")
    try:
        meta = json.loads(meta_path.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{meta_path} is not valid JSON ({e}): write it again (pretrain.train, import_weights)") from e
    sha = sha256_file(path)
    if meta.get("sha256") and sha != meta["sha256"]:
        raise ValueError(f"{path} ({path.stat().st_size} bytes, sha256 {sha[:12]}...) is not the file {meta_path} "
                         f"describes (sha256 {meta['sha256'][:12]}...): truncated or changed since it was written")
    try:
        sd = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises RuntimeError, OSError, UnpicklingError ... for a damaged zip
        raise ValueError(f"{path} ({path.stat().st_size} bytes) is unreadable as a checkpoint: "
                         f"{str(e).splitlines()[0] if str(e) else type(e).__name__}") from e
    return sd, meta


def load_backbone(path, **overrides):
    """Rebuild a hand-off backbone from ``backbone.pth`` and the ``backbone.json`` beside it (sha256 and exact key
    checks). Returns ``(model, meta)``; ``overrides`` change constructor arguments (``dynamic_img_size=True``)."""
    import pretrain.models  # noqa: F401  (registers the suite's models)
    from pretrain.models import create_backbone

    sd, meta = read_handoff(path)
    kwargs = {**meta["model_kwargs"], **overrides}
    model = create_backbone(meta["timm_name"], **kwargs)
    load_state_dict_exact(model, sd, source=str(path))
    return model.eval(), meta


# ------------------------------------------------------------------------- training checkpoints with a fallback


def previous_path(path) -> Path:
    path = Path(path)
    return path.with_name(path.stem + ".prev" + path.suffix)


def load_latest_good(path, log=None) -> tuple[dict, Path]:
    """The latest readable training checkpoint: ``path``, or its previous one when ``path`` is truncated or corrupt
    (named in the log). Our own files hold RNG states, hence ``weights_only=False``."""
    path = Path(path)
    errors = []
    for p in (path, previous_path(path)):
        if not p.exists():
            continue
        try:
            return torch.load(p, map_location="cpu", weights_only=False), p
        except Exception as e:  # a damaged zip raises several types
            msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            errors.append(f"{p} ({p.stat().st_size} bytes): {msg}")
            if log is not None:
                log.warning("checkpoint %s is unreadable (%s); falling back to the previous one", p, msg)
    raise ValueError("no readable checkpoint to resume from: " + "; ".join(errors or [f"{path} not found"]))


# ------------------------------------------------------------------------------------- one owner per run directory


class RunLock:
    """An exclusive claim on a run directory: ``<dir>/.lock`` holding host, pid and start time, created atomically.

    A second run on the same directory (two ``run_all`` on one ``--out``, a requeued job meeting its running twin)
    is refused, naming the holder. A lock left by a dead process on this host is taken over; one from another host
    cannot be checked and is refused with the command that clears it."""

    def __init__(self, directory, what: str = "run"):
        self.path = Path(directory) / ".lock"
        self.what = what
        self.held = False

    def __enter__(self):
        import socket

        self.path.parent.mkdir(parents=True, exist_ok=True)
        me = {"host": socket.gethostname(), "pid": os.getpid(), "started": time.strftime("%Y-%m-%d %H:%M:%S")}
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = self._holder()
                if holder.get("host") == me["host"] and not _alive(holder.get("pid", -1)):
                    self.path.unlink(missing_ok=True)  # left by a dead process on this host
                    continue
                where = "this host" if holder.get("host") == me["host"] else f"host {holder.get('host')}"
                raise RuntimeError(
                    f"{self.path.parent} is in use by another {self.what}: pid {holder.get('pid')} on {where}, "
                    f"started {holder.get('started')} ({self.path}). Wait for it, use another --out, or if that "
                    f"process is gone, remove {self.path}") from None
            with os.fdopen(fd, "w") as f:
                json.dump(me, f)
            self.held = True
            return self
        raise RuntimeError(f"could not take {self.path}")

    def _holder(self) -> dict:
        try:
            return json.loads(self.path.read_text())
        except (OSError, json.JSONDecodeError):
            return {}

    def __exit__(self, *exc):
        if self.held and self._holder().get("pid") == os.getpid():
            self.path.unlink(missing_ok=True)
        self.held = False


def _alive(pid: int) -> bool:
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError, TypeError):
        return True
    return True
