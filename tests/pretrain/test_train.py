"""The pretraining engine on the tiny synthetic data: hand-off, exact resume, DDP sync, bad input."""

import json
import os
import shutil
import subprocess
import sys

import pytest
import torch

from pretrain.checkpoint import sha256_file
from pretrain.data import BadImageError
from pretrain.train import NonFiniteLossError, run

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CFG = os.path.join(REPO, "configs/pretrain/deit_t.py")


def _run(out, data, method="transmix", **kw):
    overrides = {"data_root": str(data), **kw.pop("set", {})}
    return run(CFG, method, 0, out, profile="tiny", overrides=overrides, **kw)


def _weights(path):
    return torch.load(path, map_location="cpu", weights_only=True)


def test_handoff_files(tiny_data, tmp_path):
    res = _run(tmp_path / "a", tiny_data)
    out = tmp_path / "a"
    sd = _weights(out / "backbone.pth")  # plain tensors: loads with weights_only=True
    assert all(torch.is_tensor(v) for v in sd.values()) and "blocks.11.attn.qkv.weight" in sd
    meta = json.loads((out / "backbone.json").read_text())
    for k in ("alias", "timm_name", "method", "seed", "epochs", "img_size", "mean", "std", "top1", "sha256",
              "git_commit"):
        assert k in meta, k
    assert meta["alias"] == "deit_t" and meta["timm_name"] == "deit_tiny_patch16_224" and meta["method"] == "transmix"
    assert meta["sha256"] == sha256_file(out / "backbone.pth") == res["backbone_sha256"]
    results = json.loads((out / "results.json").read_text())
    assert 0 <= results["top1"] <= results["top5"] <= 100 and results["val_images"] == 40
    rows = [json.loads(ln) for ln in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2]
    assert all(r["images_per_s"] > 0 and r["loss"] > 0 and r["in_sync"] for r in rows)
    assert json.loads((out / "config.json").read_text())["config"]["img_size"] == 32
    with pytest.raises(FileExistsError, match="--resume"):
        _run(out, tiny_data)


def test_resume_is_exact(tiny_data, tmp_path):
    _run(tmp_path / "full", tiny_data, method="mixpro", set={"ema": True})
    stopped = _run(tmp_path / "cut", tiny_data, method="mixpro", set={"ema": True}, stop_after=1)
    assert stopped == {"stopped_after": 1} and not (tmp_path / "cut/backbone.pth").exists()
    _run(tmp_path / "cut", tiny_data, method="mixpro", set={"ema": True}, resume=True)
    a, b = _weights(tmp_path / "full/backbone.pth"), _weights(tmp_path / "cut/backbone.pth")
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    ca = torch.load(tmp_path / "full/checkpoint.pth", weights_only=False)
    cb = torch.load(tmp_path / "cut/checkpoint.pth", weights_only=False)
    for k in ca["ema"]:
        assert torch.equal(ca["ema"][k], cb["ema"][k]), k
    assert ca["state"] == cb["state"] == {"epoch": 2, "num_updates": 8}
    lines = (tmp_path / "cut/metrics.jsonl").read_text().splitlines()
    assert [json.loads(ln)["epoch"] for ln in lines] == [1, 2]
    with pytest.raises(ValueError, match="different config"):
        _run(tmp_path / "cut", tiny_data, method="transmix", resume=True)


def test_two_processes_stay_in_sync(tiny_data, tmp_path):
    env = {**os.environ, "DATA_ROOT": str(tiny_data), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", "-m",
           "pretrain.train", "--config", CFG, "--profile", "tiny", "--method", "transmix", "--out",
           str(tmp_path / "ddp"), "--set", "epochs=1"]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (row,) = [json.loads(ln) for ln in (tmp_path / "ddp/metrics.jsonl").read_text().splitlines()]
    assert row["world_size"] == 2 and row["in_sync"] is True and row["val_images"] == 40
    assert (tmp_path / "ddp/backbone.pth").exists()


def test_unreadable_image_is_named_or_skipped(tiny_data, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(tiny_data / "imagenet", data / "imagenet")
    bad = sorted((data / "imagenet/train").rglob("*.JPEG"))[3]
    bad.write_bytes(b"not a jpeg")
    with pytest.raises(BadImageError, match=bad.name):
        run(CFG, "none", 0, tmp_path / "stop", "tiny", overrides={"data_root": str(data),
                                                                  "max_steps_per_epoch": None, "epochs": 1})
    run(CFG, "none", 0, tmp_path / "skip", "tiny", overrides={"data_root": str(data), "max_steps_per_epoch": None,
                                                              "epochs": 1, "skip_bad_images": True})
    (row,) = [json.loads(ln) for ln in (tmp_path / "skip/metrics.jsonl").read_text().splitlines()]
    assert row["bad_images"] == 1


def test_nan_loss_stops_and_keeps_last_good_checkpoint(tiny_data, tmp_path, monkeypatch):
    from pretrain.mixing.core import Mixer

    calls = {"n": 0}
    real = Mixer.criterion

    def criterion(self):
        inner = real(self)

        def loss(logits, target):
            calls["n"] += 1
            out = inner(logits, target)
            return out * float("nan") if calls["n"] == 6 else out  # step 2 of epoch 2
        return loss

    monkeypatch.setattr(Mixer, "criterion", criterion)
    with pytest.raises(NonFiniteLossError, match="epoch 2, step 2"):
        _run(tmp_path / "nan", tiny_data, method="cutmix")
    ck = torch.load(tmp_path / "nan/checkpoint.pth", weights_only=False)
    assert ck["state"]["epoch"] == 1 and not (tmp_path / "nan/backbone.pth").exists()


def test_unknown_method_alias_and_key(tiny_data, tmp_path):
    with pytest.raises(KeyError, match="mixpro"):
        _run(tmp_path / "m", tiny_data, method="mixpr0")
    with pytest.raises(KeyError, match="warmup_epochs"):
        _run(tmp_path / "k", tiny_data, set={"warmup_epoch": 3})
    with pytest.raises(KeyError, match="deit_s"):
        _run(tmp_path / "a", tiny_data, set={"model": "deit_q"})
