"""Import a released checkpoint as a suite hand-off, so every transfer and robustness stage can evaluate it.

    python -m pretrain.import_weights --model deit_s --weights deit_small_patch16_224-cd65a155.pth --out DIR \
        [--label deit-official] [--profile paper] [--key model] [--num-classes 1000] [--trust-pickle]

Reads ``.pth``, ``.pth.tar``, ``.pt``, ``.bin`` (torch.save / pickle zip) and ``.safetensors``. Writes ``DIR/
backbone.pth`` (the file's tensors, bit-identical, dtype kept), ``DIR/backbone.json`` (the hand-off metadata, with
the source file's name and sha256 and the method ``external:<label>``) and ``DIR/results.json``.

The layouts read (each checked against the repository's model and save code, see :data:`LAYOUTS`):

- containers: ``{'model': sd}`` (facebookresearch/deit ``main.py``, whai362/PVT ``main.py``, MixPro and TokenMix,
  both built on the Swin/DeiT training code), ``{'state_dict': sd, 'state_dict_ema': sd}`` (timm ``train.py``, which
  TransMix's training script is), ``{'teacher': sd, 'student': sd}`` (facebookresearch/dino ``main_dino.py``; the
  teacher is taken, as DINO's own evaluation does), a bare state dict (timm and HF hub files, DINO's released
  backbones); ``--key`` picks another entry (``state_dict_ema``, ``student``);
- prefixes: ``module.`` (DDP), ``_orig_mod.`` (torch.compile), ``backbone.`` (DINO: the projection head ``head.*``
  beside the backbone is dropped and listed in ``backbone.json``);
- key names: timm's (``blocks.i.attn.qkv`` ...) for DeiT/ViT, CaiT, XCiT and CA-Swin, which facebookresearch/deit,
  facebookresearch/dino, TransMix, TokenMix and MixPro share; whai362/PVT ``classification/pvt.py`` names for PVT v1
  (``patch_embed{i}``, ``pos_embed{i}``, ``block{i}.{j}.attn.q/kv/sr/norm``), which ``pretrain/models/pvt.py`` keeps.

Nothing changes a tensor's value: a file whose geometry differs from the alias's (patch size, image size read from
the position embedding, classes) is refused with both named, and a file with missing, unexpected or mis-shaped keys
is refused with those keys named. Distilled DeiT files (``dist_token``, ``head_dist``) are refused: removing the
distillation token would change the position embedding.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import pickle
from pathlib import Path

import torch

from pretrain.checkpoint import atomic_torch_save, atomic_write_json, code_sha256, sha256_file

log = logging.getLogger("pretrain.import_weights")

SUFFIXES = (".pth", ".pth.tar", ".pt", ".bin", ".safetensors", ".ckpt")
# entries that hold the weights in the releases' containers, in the order they are tried
CONTAINER_KEYS = ("model", "state_dict", "teacher", "model_state", "module", "net", "student")
# prefixes that wrap every key: DDP, torch.compile
WRAPPING_PREFIXES = ("module.", "_orig_mod.")
# tensors releases carry that no forward uses, dropped (and listed in backbone.json): MixPro's ViT keeps a
# ``mask_token`` and a second classifier ``head1`` (fistyee/MixPro@53a229e models/vit.py:278, :302); thop's profiling
# buffers ``*.total_ops`` / ``*.total_params`` (TokenMix@0e17d5d main.py:363-365 strips them on resume)
UNUSED_KEYS = ("mask_token", "head1.weight", "head1.bias")
UNUSED_SUFFIXES = (".total_ops", ".total_params", "total_ops", "total_params")


class WeightsFileError(ValueError):
    """A weights file that cannot become a hand-off of the asked alias; the message names the file and the keys."""


# ------------------------------------------------------------------------------------------------- reading files


def _safe_globals() -> list:
    """``argparse.Namespace``: DeiT, DINO, PVT and timm save their ``args`` beside the weights. Any other class met is
    rebuilt as an inert stand-in (:func:`_stand_in`)."""
    import argparse as _argparse

    return [_argparse.Namespace]


def read_weights(path: str | Path, trust_pickle: bool = False):
    """The object stored in a weights file, read with torch's ``weights_only`` unpickler (tensors and containers; a
    pickled config object such as MixPro's yacs ``CfgNode`` becomes an inert stand-in, so no code of the file runs)
    unless ``trust_pickle``. Every failure names the file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"weights file {path} not found")
    if not path.name.endswith(SUFFIXES):
        raise WeightsFileError(f"{path}: unknown weights format; expected one of {', '.join(SUFFIXES)}")
    size = path.stat().st_size
    if path.suffix == ".safetensors":
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            return load_file(str(path))
        except (SafetensorError, OSError, ValueError) as e:
            raise WeightsFileError(f"{path} ({size} bytes) is not a readable safetensors file (truncated?): {e}") from e
    if trust_pickle:
        try:
            return torch.load(path, map_location="cpu", weights_only=False)
        except Exception as e:  # a damaged zip raises several types
            raise WeightsFileError(f"{path} ({size} bytes) is not a readable checkpoint (truncated or corrupt): "
                                   f"{_first_line(e)}") from e
    try:
        with torch.serialization.safe_globals(_safe_globals()):
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        if _unsupported_global(e) is None:
            raise WeightsFileError(f"{path} ({size} bytes) is not a readable checkpoint (truncated or corrupt): "
                                   f"{_first_line(e)}") from e
    except (RuntimeError, OSError, EOFError, ValueError) as e:
        raise WeightsFileError(f"{path} ({size} bytes) is not a readable checkpoint (truncated or corrupt): "
                               f"{_first_line(e)}") from e
    # a pickled config object beside the tensors (MixPro's yacs CfgNode, TokenMix's args): torch's own allow-list
    # for everything torch, an inert stand-in for the rest, so no code of the file runs
    stand_ins: list[str] = []
    try:
        obj = torch.load(path, map_location="cpu", weights_only=False, pickle_module=_restricted_pickle(stand_ins))
    except Exception as e:  # a damaged zip raises several types
        raise WeightsFileError(f"{path} ({size} bytes) is not a readable checkpoint: {_first_line(e)}") from e
    log.info("%s: %s rebuilt as inert stand-ins (no code of the file run)", path.name, ", ".join(sorted(stand_ins)))
    return obj


def _restricted_pickle(stand_ins: list[str]):
    """A ``pickle_module`` for ``torch.load`` whose unpickler resolves only torch's weights-only allow-list and
    ``argparse.Namespace``; any other class or function becomes :func:`_stand_in` (its name appended to
    ``stand_ins``)."""
    import types

    from torch._weights_only_unpickler import _get_allowed_globals

    allowed = {**_get_allowed_globals(), "argparse.Namespace": _safe_globals()[0]}

    class Unpickler(pickle.Unpickler):
        def find_class(self, module, name):
            full = f"{module}.{name}"
            if full in allowed:
                return allowed[full]
            stand_ins.append(full)
            return _stand_in(full)

    mod = types.ModuleType("mixbench_restricted_pickle")
    mod.__dict__.update({k: getattr(pickle, k) for k in dir(pickle) if not k.startswith("__")})
    mod.Unpickler = Unpickler
    return mod


def _first_line(e: BaseException) -> str:
    return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__


def _unsupported_global(e: BaseException) -> str | None:
    """The class torch's weights-only unpickler refused (``Unsupported global: GLOBAL yacs.config.CfgNode``)."""
    import re

    m = re.search(r"Unsupported global: GLOBAL ([\w.]+)", str(e))
    return m.group(1) if m else None


def _stand_in(qualname: str) -> type:
    """An inert class standing in for a pickled config object (MixPro's yacs ``CfgNode``, a training script's
    ``args``): it accepts any constructor arguments and state and runs no code of the original."""

    class StandIn(dict):
        def __init__(self, *args, **kwargs):  # noqa: D107  (whatever the original took)
            super().__init__()

        def __setstate__(self, state):
            self.__dict__.update(state if isinstance(state, dict) else {"state": state})

    StandIn.__name__ = StandIn.__qualname__ = qualname.rsplit(".", 1)[-1]
    StandIn.__module__ = qualname.rsplit(".", 1)[0]
    return StandIn


def _is_state_dict(obj) -> bool:
    return isinstance(obj, dict) and bool(obj) and all(torch.is_tensor(v) for v in obj.values())


def unwrap(obj, key: str | None = None, source: str = "file") -> tuple[dict, str | None]:
    """The state dict inside a release container: ``(state_dict, entry)`` (entry ``None`` for a bare state dict).

    Non-tensor entries beside the tensors (an ``epoch`` counter) make the dict a container, not a state dict."""
    if key is not None:
        if not isinstance(obj, dict) or key not in obj:
            have = sorted(obj) if isinstance(obj, dict) else type(obj).__name__
            raise WeightsFileError(f"{source}: no entry {key!r}; it has {have}")
        obj = obj[key]
        if not _is_state_dict(obj):
            raise WeightsFileError(f"{source}: entry {key!r} is not a dict of tensors")
        return dict(obj), key
    if _is_state_dict(obj):
        return dict(obj), None
    if isinstance(obj, dict):
        for k in CONTAINER_KEYS:
            if _is_state_dict(obj.get(k)):
                return dict(obj[k]), k
    have = sorted(obj)[:20] if isinstance(obj, dict) else type(obj).__name__
    raise WeightsFileError(f"{source}: found no state dict; top-level entries {have}; expected a dict of tensors or "
                           f"one of the entries {', '.join(CONTAINER_KEYS)} (choose one with --key)")


def strip_prefixes(sd: dict) -> tuple[dict, list[str], list[str]]:
    """Remove wrapping prefixes: ``(state_dict, stripped prefixes, dropped keys)``.

    ``module.`` / ``_orig_mod.`` are removed where every key has them. ``backbone.``: facebookresearch/dino wraps its
    ViT as ``backbone.*`` beside the projection head ``head.*`` (``utils.MultiCropWrapper``); only the backbone is
    kept, as DINO's ``utils.load_pretrained_weights`` does."""
    stripped, dropped = [], []
    changed = True
    while changed:
        changed = False
        for p in WRAPPING_PREFIXES:
            if sd and all(k.startswith(p) for k in sd):
                sd = {k[len(p):]: v for k, v in sd.items()}
                stripped.append(p)
                changed = True
        if any(k.startswith("backbone.") for k in sd):
            dropped += sorted(k for k in sd if not k.startswith("backbone."))
            sd = {k[len("backbone."):]: v for k, v in sd.items() if k.startswith("backbone.")}
            stripped.append("backbone.")
            changed = True
    unused = sorted(k for k in sd if k in UNUSED_KEYS or k.endswith(UNUSED_SUFFIXES))
    dropped += unused
    return {k: v for k, v in sd.items() if k not in unused}, stripped, dropped


# ---------------------------------------------------------------------------------------- geometry of a file


def _grid_side(n: int) -> int | None:
    side = math.isqrt(n)
    return side if side * side == n else None


def file_geometry(sd: dict) -> dict:
    """What a state dict says about its model: family, patch size, image size (from the position embedding, where
    the model has one), classes (0 without a head). Keys that name no known family give ``family: None``."""
    g: dict = {"family": None, "patch_size": None, "img_size": None, "num_classes": 0}
    if "patch_embed1.proj.weight" in sd and "pos_embed1" in sd:  # whai362/PVT v1
        p = sd["patch_embed1.proj.weight"].shape[-1]
        side = _grid_side(sd["pos_embed1"].shape[1])
        g.update(family="pvt", patch_size=p, img_size=side * p if side else None)
    elif "patch_embed.proj.weight" in sd and "pos_embed" in sd:  # timm ViT/DeiT (cls token in pos_embed), CaiT (not)
        p = sd["patch_embed.proj.weight"].shape[-1]
        n = sd["pos_embed"].shape[1]
        prefix = 0 if "blocks_token_only.0.attn.q.weight" in sd else 1 + int("dist_token" in sd)
        side = _grid_side(n - prefix)
        g.update(family="cait" if "blocks_token_only.0.attn.q.weight" in sd else "deit", patch_size=p,
                 img_size=side * p if side else None)
    elif any(k.startswith("cls_attn_blocks.") for k in sd):
        g.update(family="xcit")
    elif "ca_block.attn.q.weight" in sd:
        g.update(family="ca_swin", patch_size=sd["patch_embed.proj.weight"].shape[-1])
    for head in ("head.weight", "head.fc.weight"):
        if head in sd:
            g["num_classes"] = int(sd[head].shape[0])
    g["distilled"] = "dist_token" in sd or "head_dist.weight" in sd
    return g


def expected_geometry(alias: str, profile: str = "paper") -> dict:
    """Image size, constructor arguments and patch size of ``alias`` in its config's ``profile``."""
    from pretrain.config import load_config
    from pretrain.models import ALIASES

    if alias not in ALIASES:
        raise KeyError(f"unknown backbone alias {alias!r}; valid: {', '.join(ALIASES)}")
    cfg = load_config(Path(__file__).resolve().parents[1] / "configs/pretrain" / f"{alias}.py", profile)
    return {"img_size": cfg["img_size"], "model_kwargs": dict(cfg["model_kwargs"]), "mean": cfg["mean"],
            "std": cfg["std"], "interpolation": cfg["interpolation"], "crop_pct": cfg["crop_pct"],
            "dataset": cfg["dataset"], "config_file": cfg["config_file"]}


def check_fits(sd: dict, alias: str, exp: dict, num_classes: int, source: str) -> torch.nn.Module:
    """Build ``alias`` as the hand-off will and refuse a file that does not fit it, naming what differs."""
    from pretrain.models import FAMILY, create_backbone

    g = file_geometry(sd)
    if g["distilled"]:
        raise WeightsFileError(f"{source} is a distilled DeiT (dist_token / head_dist); {alias} has no distillation "
                               "token and dropping it would change the position embedding")
    model = create_backbone(alias, img_size=exp["img_size"], num_classes=num_classes, **exp["model_kwargs"])
    pe = getattr(model, "patch_embed1", None) or model.patch_embed  # the first (pixel) patch embedding
    want_patch = int(pe.patch_size if isinstance(pe.patch_size, int) else pe.patch_size[0])
    if g["family"] is not None and g["family"] != FAMILY[alias]:
        raise WeightsFileError(f"{source} holds a {g['family']} model, not {alias} ({FAMILY[alias]})")
    problems = []
    if g["patch_size"] is not None and g["family"] in ("deit", "cait", "pvt", "ca_swin") and \
            g["patch_size"] != want_patch:
        problems.append(f"patch size {g['patch_size']} (the alias has {want_patch})")
    if g["img_size"] is not None and g["img_size"] != exp["img_size"]:
        problems.append(f"image size {g['img_size']} px from its position embedding (the alias: {exp['img_size']})")
    if problems:
        raise WeightsFileError(f"{source} does not fit {alias} as configured in {exp['config_file']}: "
                               f"{'; '.join(problems)}")
    own = model.state_dict()
    missing = [k for k in own if k not in sd]
    unexpected = [k for k in sd if k not in own]
    shape = [f"{k}: file {tuple(sd[k].shape)} vs {alias} {tuple(v.shape)}" for k, v in own.items()
             if k in sd and tuple(sd[k].shape) != tuple(v.shape)]
    if missing or unexpected or shape:
        def few(xs):
            return f"{xs[:8]}{' ...' if len(xs) > 8 else ''} ({len(xs)})"
        raise WeightsFileError(f"{source} does not match {alias} ({type(model).__name__}): missing {few(missing)}, "
                               f"unexpected {few(unexpected)}, mis-shaped {few(shape)}")
    return model


# ----------------------------------------------------------------------------------------------- the hand-off


def load_release(path, alias: str, profile: str = "paper", key: str | None = None, num_classes: int | None = None,
                 trust_pickle: bool = False) -> tuple[dict, dict]:
    """``(state_dict, provenance)`` of a release file checked against ``alias`` (tensors untouched)."""
    path = Path(path)
    sd, entry = unwrap(read_weights(path, trust_pickle), key, str(path))
    sd, stripped, dropped = strip_prefixes(sd)
    g = file_geometry(sd)
    if num_classes is not None and num_classes != g["num_classes"]:
        raise WeightsFileError(f"{path} has a {g['num_classes']}-class head, not {num_classes} classes"
                           + (" (no head at all: a self-supervised backbone)" if g["num_classes"] == 0 else ""))
    exp = expected_geometry(alias, profile)
    from pretrain.models import token_stride

    model = check_fits(sd, alias, exp, g["num_classes"], str(path))
    prov = {"patch_size": token_stride(model), "source_file": path.name, "source_path": str(path.resolve()),
            "source_sha256": sha256_file(path),
            "source_entry": entry, "stripped_prefixes": stripped, "dropped_keys": dropped,
            "num_classes": g["num_classes"], "profile": profile, **exp}
    return sd, prov


def write_handoff(out: str | Path, sd: dict, prov: dict, alias: str, label: str, seed: int | None = None) -> dict:
    """``backbone.pth`` (tensors as in the file), ``backbone.json`` and ``results.json`` in ``out``."""
    from pretrain.models import resolve_name

    out = Path(out)
    atomic_torch_save({k: v.contiguous() for k, v in sd.items()}, out / "backbone.pth")
    sha = sha256_file(out / "backbone.pth")
    nc = prov["num_classes"]
    meta = {"alias": alias, "timm_name": resolve_name(alias), "method": f"external:{label}", "external": True,
            "method_config": f"released checkpoint {prov['source_file']}", "seed": seed, "epochs": None,
            "profile": prov["profile"], "img_size": prov["img_size"],
            "model_kwargs": {**prov["model_kwargs"], "img_size": prov["img_size"], "num_classes": nc},
            "patch_size": prov["patch_size"], "num_classes": nc, "mean": prov["mean"], "std": prov["std"],
            "interpolation": prov["interpolation"], "crop_pct": prov["crop_pct"], "dataset": prov["dataset"],
            "top1": None, "top5": None, "sha256": sha,
            **{k: prov[k] for k in ("source_file", "source_path", "source_sha256", "source_entry",
                                    "stripped_prefixes", "dropped_keys")}}
    atomic_write_json(out / "backbone.json", meta)
    result = {"stage": "import", "alias": alias, "method": meta["method"], "seed": seed, "external": True,
              "top1": None, "source_file": prov["source_file"], "source_sha256": prov["source_sha256"],
              "backbone_sha256": sha, "profile": prov["profile"], "code_sha256": code_sha256("import")}
    atomic_write_json(out / "results.json", result)
    return meta


def import_weights(weights, alias: str, out, label: str | None = None, profile: str = "paper", key: str | None = None,
                   num_classes: int | None = None, trust_pickle: bool = False, seed: int | None = None) -> dict:
    sd, prov = load_release(weights, alias, profile, key, num_classes, trust_pickle)
    label = label or Path(weights).name.split(".")[0]
    meta = write_handoff(out, sd, prov, alias, label, seed)
    log.info("imported %s (%s, sha256 %s...) as %s: %d tensors, %d classes -> %s", prov["source_file"],
             prov["source_entry"] or "bare state dict", prov["source_sha256"][:12], alias, len(sd),
             prov["num_classes"], Path(out) / "backbone.pth")
    return meta


def release_state_dict(path, key: str | None = None, trust_pickle: bool = False) -> dict:
    """The backbone state dict of a hand-off or a release file (container and prefixes removed, tensors untouched):
    for frozen models (TokenMix's teacher, Attentive-CutMix's CNN, the saliency provider) built by name."""
    path = Path(path)
    if path.name == "backbone.pth" and path.with_name("backbone.json").exists():
        from pretrain.checkpoint import read_handoff

        return read_handoff(path)[0]
    sd, _ = unwrap(read_weights(path, trust_pickle), key, str(path))
    return strip_prefixes(sd)[0]


def load_model(path, alias: str | None = None, key: str | None = None, trust_pickle: bool = False):
    """``(model, meta)`` from a hand-off, or from a release file at the file's own geometry, its alias given or found
    among the aliases of the file's family (the first whose every key and shape fits)."""
    from pretrain.models import ALIASES, FAMILY, resolve_name, token_stride

    path = Path(path)
    if path.name == "backbone.pth" and path.with_name("backbone.json").exists():
        from pretrain.checkpoint import load_backbone

        return load_backbone(path)
    sd = release_state_dict(path, key, trust_pickle)
    g = file_geometry(sd)
    candidates = [alias] if alias else [a for a in ALIASES if FAMILY[a] == g["family"]]
    errors = []
    for a in candidates:
        exp = expected_geometry(a, "paper")
        if g["img_size"] is not None:
            exp["img_size"] = g["img_size"]
        if g["patch_size"] is not None and g["family"] == "deit":
            exp["model_kwargs"]["patch_size"] = g["patch_size"]
        try:
            model = check_fits(sd, a, exp, g["num_classes"], str(path))
        except WeightsFileError as e:
            errors.append(str(e))
            continue
        model.load_state_dict(sd)
        meta = {"alias": a, "timm_name": resolve_name(a), "method": f"external:{path.stem}", "seed": None,
                "img_size": exp["img_size"], "patch_size": token_stride(model), "num_classes": g["num_classes"],
                "mean": exp["mean"], "std": exp["std"], "sha256": sha256_file(path), "source_file": path.name}
        return model.eval(), meta
    if not candidates:
        raise WeightsFileError(f"{path}: its keys name no known backbone family (first keys {list(sd)[:6]})")
    raise WeightsFileError(f"{path} fits none of {', '.join(candidates)}: " + " | ".join(errors[:2]))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="backbone alias (deit_s, deit_s14, pvt_s, ...)")
    ap.add_argument("--weights", required=True, help=f"a released checkpoint ({', '.join(SUFFIXES)})")
    ap.add_argument("--out", required=True, help="hand-off directory (backbone.pth + backbone.json)")
    ap.add_argument("--label", default=None, help="name for the report (method external:<label>; default: file stem)")
    ap.add_argument("--profile", default="paper", help="the alias config's profile whose geometry the file must fit")
    ap.add_argument("--key", default=None, help="container entry holding the weights (default: tried in order "
                                                f"{', '.join(CONTAINER_KEYS)})")
    ap.add_argument("--num-classes", type=int, default=None, help="refuse a file whose head has another count")
    ap.add_argument("--seed", type=int, default=None, help="the run's seed slot (bookkeeping only)")
    ap.add_argument("--trust-pickle", action="store_true", help="unpickle with pickle itself, running the file's code "
                                                              "(only for files you trust; rarely needed)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[%(asctime)s import_weights] %(message)s", datefmt="%H:%M:%S")
    try:
        meta = import_weights(args.weights, args.model, args.out, args.label, args.profile, args.key,
                              args.num_classes, args.trust_pickle, args.seed)
    except (WeightsFileError, FileNotFoundError, KeyError) as e:
        raise SystemExit(f"import_weights: {e}") from None
    print(json.dumps({k: meta[k] for k in ("alias", "method", "source_file", "source_sha256", "sha256")}))


if __name__ == "__main__":
    main()
