"""Every paper-table preset end to end on the tiny profile: ``tools/run_all.py --table KEY`` runs the stages its
columns read and the report lays the table out with a value in every cell of ours. One output folder per backbone,
so the methods tables share (the DeiT recipe, TransMix, MixPro) are trained once. About 12 minutes here: its own
tier, ``tools/test.sh -m tables`` (CI runs it after the default run)."""

import json
import os
import re
import subprocess
import sys

import pytest
import torch

from tools.tables import load_table, table_keys

pytestmark = pytest.mark.tables
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
K = 10  # classes of the tiny synthetic ImageNet


def _alias(t: dict) -> str:
    if all(":" in r for r in t["rows"]):  # every row another backbone's run (TransMix Table 7): the paper's alias
        return t["backbones"][0]
    return "pvt_t" if any(p[0] == "det" for p in t["columns"].values()) else "deit_t"


def _run(alias, key, data, out, *extra):
    cmd = [sys.executable, "-m", "tools.run_all", alias, "--profile", "tiny", "--table", key, "--data-root", str(data),
           "--out", str(out), "--jobs", "2", *extra]
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=1800,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})


def _cnn_file(path, name):
    import timm

    torch.manual_seed(0)
    torch.save(timm.create_model(name, num_classes=K).state_dict(), path)
    return path


def test_every_table_preset_runs_on_the_tiny_profile(tiny_data, tmp_path):
    out = tmp_path / "runs"
    keys = [k for k in table_keys() if not load_table(k)["missing"]]
    keys.remove("transmix-1")
    keys.insert(0, "transmix-1")  # its DeiT-recipe backbone stands in for the released checkpoints below
    handoff = out / "deit_t/deit/seed0/pretrain/backbone.pth"
    files = {"dino": handoff, "deit_pretrained": handoff, "deit_distilled": handoff, "nfnet_f6": handoff,
             "resnet101": handoff, "resnet26": None, "resnet50": None}
    for key in keys:
        t = load_table(key)
        alias = _alias(t)
        extra = []
        if t["files"]:
            for slot in t["files"]:  # real timm CNNs where the method needs a CNN (random weights: plumbing only)
                if files[slot] is None:
                    files[slot] = _cnn_file(tmp_path / f"{slot}.pth", slot)
            extra += ["--files", ",".join(f"{s}={files[s]}" for s in t["files"])]
        if any(m.split("@")[0] == "tokenmix" and "teacher=" not in m for m in t["methods"]):
            extra += ["--teacher", str(handoff)]
        proc = _run(alias, key, tiny_data, out, *extra)
        assert proc.returncode == 0, (key, proc.stdout[-3000:], proc.stderr[-3000:])
        md = (out / alias / "report" / key / "report.md").read_text()
        title = f"### {t['paper']} {t['table']} ({alias})"
        assert title in md, (key, md[:2000])
        section = md.split(title, 1)[1].split("\n\n", 2)[1]  # the table's lines
        rows = [r for r in section.splitlines() if r.startswith("| ") and "`" in r]
        assert len(rows) == len(t["rows"]), (key, section)
        for r in rows:
            cells = [c.strip() for c in r.strip("|").split("|")]
            ours = cells[1::2]  # value, paper value, value, paper value ...
            assert len(ours) == len(t["columns"]) and all(re.fullmatch(r"-?\d+\.\d+", c) for c in ours), (key, r)
        if "bench" in {p[0] for p in t["columns"].values()}:
            # each speed table its own paired stage (TransMix 8 and MixPro 2 share the folder)
            benched = [set(json.loads(f.read_text())["methods"])
                       for f in (out / alias / "bench_mixing").glob("*/results.json")]
            assert set(t["methods"]) in benched, (key, benched)
    # the tables' own stages only: a top-1 table trains and reports, it runs no transfer
    assert not (out / "deit_t/transmix@attn_source=4/seed0/transfer").exists()
    assert (out / "deit_t/tokenmix/seed0/transfer/seg_upernet/results.json").exists()
    # each table keeps its own report in the shared --out: the later tables did not overwrite the earlier ones
    for key in keys:
        t = load_table(key)
        assert f"### {t['paper']} {t['table']} (" in (out / _alias(t) / "report" / key / "report.md").read_text(), key
    assert not (out / "deit_t/report/report.md").exists()  # no table report in the plain run's place
    assert (out / "deit_t/report/transmix-1/mixed_samples.png").exists()
