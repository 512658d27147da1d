"""The papers' tables as presets: ``tools/run_all.sh deit_s --table transmix-9`` runs the methods a table compares
(variants included, ``NAME@key=value``) on that backbone, and the report lays the table out as the paper does, the
published numbers beside ours. ``--table list`` prints every table with what it needs.

A preset is ``configs/tables/<key>.py``: ``paper``, ``table``, ``caption``, ``backbones`` (those the paper ran),
``methods`` (run_all method labels), ``rows`` (label -> the paper's row name), ``columns`` (title -> a results path
``[stage, key, ...]``), ``published`` (alias -> label -> one number per column, None where the paper has none),
``cost`` (what it takes at paper scale and on the demo here) and ``missing`` (what the suite lacks to run it; empty
when it runs).
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PRESETS = REPO / "configs" / "tables"
KEYS = ("paper", "table", "caption", "backbones", "methods", "rows", "columns", "published", "cost", "missing")


def table_keys() -> list[str]:
    return sorted(p.stem for p in PRESETS.glob("*.py") if not p.stem.startswith("_"))


def load_table(key: str) -> dict:
    from mmengine.config import Config

    path = PRESETS / f"{key}.py"
    if not path.exists():
        raise SystemExit(f"no table {key!r}; `--table list` shows them: {', '.join(table_keys())}")
    cfg = {"methods": [], "rows": {}, "columns": {}, "published": {}, "missing": "",  # a table not runnable yet
           **Config.fromfile(str(path)).to_dict()}                                     # names only what it lacks
    missing = [k for k in KEYS if k not in cfg]
    if missing:
        raise KeyError(f"{path}: missing {', '.join(missing)}")
    unknown = sorted(set(cfg) - set(KEYS) - {"_base_"})
    if unknown:
        raise KeyError(f"{path}: unknown keys {unknown}; valid: {', '.join(KEYS)}")
    extra = sorted(set(cfg["rows"]) - set(cfg["methods"]))
    if extra:
        raise KeyError(f"{path}: rows name methods the table does not run: {extra}")
    for alias, by_row in cfg["published"].items():
        for label, values in by_row.items():
            if len(values) != len(cfg["columns"]):
                raise ValueError(f"{path}: published[{alias!r}][{label!r}] has {len(values)} values for "
                                 f"{len(cfg['columns'])} columns")
    return {**cfg, "key": key}


def list_tables() -> str:
    lines = []
    for key in table_keys():
        t = load_table(key)
        status = "runs" if not t["missing"] else f"NOT YET: needs {t['missing']}"
        lines += [f"{key:18s} {t['paper']} {t['table']}: {t['caption']}",
                  f"{'':18s} backbones {', '.join(t['backbones'])}; methods {', '.join(t['methods'])}",
                  f"{'':18s} {t['cost']}; {status}"]
    return "\n".join(lines)

