"""The papers' tables as presets: ``tools/run_all.sh deit_s --table transmix-9`` runs the methods a table compares
(variants included, ``NAME@key=value``) on that backbone, and the report lays the table out as the paper does, the
published numbers beside ours. ``--table list`` prints every table with what it needs.

A preset is ``configs/tables/<key>.py``: ``paper``, ``table``, ``caption``, ``backbones`` (those the paper ran),
``methods`` (run_all method labels), ``rows`` (label -> the paper's row name; a row ``ALIAS:LABEL`` is read from
that backbone's run of that method, which the table's run plans too, e.g. TransMix Table 7's Swin rows), ``columns``
(title -> a results path ``[stage, key, ...]``), ``published`` (alias -> row -> one number per column, None where
the paper has none; every number the report prints beside ours comes from here, :func:`published`), ``cost`` (what
it takes at paper scale and on the demo here), ``missing`` (what the suite lacks to run it; empty when it runs) and
``files`` (checkpoint slots: ``name -> {"what": ..., "model": timm name (optional)}``; a method
option whose value is a slot name, e.g. ``transmix@attn_source=external+attn_model=dino``, takes the file given as
``run_all --files dino=FILE``, built as that timm model when the slot names one).
"""

from __future__ import annotations

import functools
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PRESETS = REPO / "configs" / "tables"
KEYS = ("paper", "table", "caption", "backbones", "methods", "rows", "columns", "published", "cost", "missing",
        "files")


def table_keys() -> list[str]:
    return sorted(p.stem for p in PRESETS.glob("*.py") if not p.stem.startswith("_"))


def load_table(key: str) -> dict:
    from mmengine.config import Config

    path = PRESETS / f"{key}.py"
    if not path.exists():
        raise SystemExit(f"no table {key!r}; `--table list` shows them: {', '.join(table_keys())}")
    cfg = {"methods": [], "rows": {}, "columns": {}, "published": {}, "missing": "",  # a table not runnable yet
           "files": {}, **Config.fromfile(str(path)).to_dict()}                        # names only what it lacks
    missing = [k for k in KEYS if k not in cfg]
    if missing:
        raise KeyError(f"{path}: missing {', '.join(missing)}")
    cfg = {k: v for k, v in cfg.items() if not k.startswith("_")}  # the preset's own helper names (``_numbers``)
    unknown = sorted(set(cfg) - set(KEYS))
    if unknown:
        raise KeyError(f"{path}: unknown keys {unknown}; valid: {', '.join(KEYS)}")
    extra = sorted(r for r in set(cfg["rows"]) - set(cfg["methods"]) if ":" not in r)
    if extra:
        raise KeyError(f"{path}: rows name methods the table does not run: {extra}")
    from pretrain.models import ALIASES
    other = sorted({r.split(":")[0] for r in cfg["rows"] if ":" in r} - set(ALIASES))
    if other:
        raise KeyError(f"{path}: rows ALIAS:LABEL name unknown backbones {other}; aliases: {', '.join(ALIASES)}")
    for alias, by_row in cfg["published"].items():
        for label, values in by_row.items():
            if len(values) != len(cfg["columns"]):
                raise ValueError(f"{path}: published[{alias!r}][{label!r}] has {len(values)} values for "
                                 f"{len(cfg['columns'])} columns")
    for slot, spec in cfg["files"].items():
        if not isinstance(spec, dict) or "what" not in spec or set(spec) - {"what", "model"}:
            raise ValueError(f"{path}: files[{slot!r}] must be {{'what': description, 'model': timm name (optional)}}")
    return {**cfg, "key": key}


def list_tables() -> str:
    lines = []
    for key in table_keys():
        t = load_table(key)
        status = "runs" if not t["missing"] else f"NOT YET: needs {t['missing']}"
        lines += [f"{key:18s} {t['paper']} {t['table']}: {t['caption']}",
                  f"{'':18s} backbones {', '.join(t['backbones'])}; rows {', '.join(t['rows'])}",
                  f"{'':18s} {t['cost']}; {status}"]
        if t["files"]:
            lines.append(f"{'':18s} needs --files " + ",".join(f"{k}=FILE" for k in t["files"]) + ": "
                         + "; ".join(f"{k}: {v['what']}" for k, v in t["files"].items()))
    return "\n".join(lines)


def parse_files(text: str | None, table: dict | None) -> dict[str, object]:
    """``run_all --files dino=FILE,...`` -> ``{slot: what a method option takes}``: the file's absolute path, or
    ``{"model": name, "checkpoint": path}`` for a slot that names a timm model (unless the file is a suite hand-off,
    ``backbone.pth`` beside its ``backbone.json``, which names its own). Every slot of the table must be
    given and exist (checked before stage 1); a slot the table does not declare is refused."""
    slots = (table or {}).get("files", {})
    given: dict[str, Path] = {}
    for item in filter(None, (text or "").split(",")):
        name, eq, f = (x.strip() for x in item.partition("="))
        if not eq:
            raise SystemExit(f"--files takes SLOT=FILE[,SLOT=FILE...], got {item!r}")
        if name not in slots:
            raise SystemExit(f"--files {name}=...: " + (f"the table's slots are {', '.join(slots)}" if slots else
                                                         "this run declares no checkpoint slots (a --table's files)"))
        if not Path(f).is_file():
            raise SystemExit(f"--files {name}={f}: file not found")
        given[name] = Path(f).resolve()
    lacking = [k for k in slots if k not in given]
    if lacking:
        raise SystemExit(f"--table {table['key']} needs --files " + ",".join(f"{k}=FILE" for k in lacking) + " ("
                         + "; ".join(f"{k}: {slots[k]['what']}" for k in lacking) + ")")
    handoff = lambda p: p.name == "backbone.pth" and p.with_name("backbone.json").exists()  # noqa: E731
    return {k: {"model": slots[k]["model"], "checkpoint": str(p)} if "model" in slots[k] and not handoff(p) else p
            for k, p in given.items()}  # a suite hand-off carries its own architecture


def _slot_free_label(row: str, t: dict) -> str | None:
    """``NAME`` for a row ``NAME@k=SLOT+...`` whose every option is a checkpoint slot (the method as a user runs it
    with that file, e.g. ``attentive_cutmix@model=resnet50``), else None."""
    name, sep, rest = row.partition("@")
    if not sep:
        return None
    values = [item.partition("=")[2] for item in rest.split("+")]
    return name if values and all(v in t["files"] for v in values) else None


@functools.cache
def published_index() -> dict[tuple[str, str, tuple[str, ...]], float]:
    """Every published number of every preset, the one source the report reads: ``(alias, method label, results
    path) -> value``. A row ``ALIAS:LABEL`` counts for that alias; a row whose options are only checkpoint slots also
    counts for its bare method. Two presets giving one cell different numbers raise, naming both."""
    index: dict[tuple, tuple[float, str]] = {}
    for key in table_keys():
        t = load_table(key)
        paths = [tuple(p) for p in t["columns"].values()]
        for alias, by_row in t["published"].items():
            for row, values in by_row.items():
                other, sep, label = row.rpartition(":")
                cells = [(other or alias, label)]
                if _slot_free_label(label, t):
                    cells.append((other or alias, _slot_free_label(label, t)))
                for path, v in zip(paths, values):
                    for a, lab in ([] if v is None else cells):
                        k = (a, lab, path)
                        if k in index and index[k][0] != v:
                            raise ValueError(f"published numbers disagree for {k}: {index[k][1]} gives {index[k][0]}, "
                                             f"{key} gives {v}")
                        index.setdefault(k, (v, key))
    return {k: v for k, (v, _) in index.items()}


def published(alias: str, method: str, *path: str) -> float | None:
    """The published number of ``method`` on ``alias`` at results path ``path`` (``"pretrain", "top1"``), or None."""
    return published_index().get((alias, method, tuple(path)))
