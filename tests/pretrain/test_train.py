"""The pretraining engine on the tiny synthetic data: hand-off, exact resume, DDP sync, bad input."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

from pretrain.checkpoint import sha256_file
from pretrain.data import BadImageError
from pretrain.train import NonFiniteLossError, run
from tests.helpers import free_port

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
    # TransMix Figure 5's material: real mixed training images, their area and attention labels, the attention
    z = np.load(out / "mixed_samples.npz")
    n = len(z["images"])
    assert z["images"].shape == (n, 32, 32, 3) and z["images"].dtype == np.uint8 and n == 8
    assert str(z["kind"]) == "cutmix" and z["region"].shape == (n, 32, 32)
    np.testing.assert_allclose(z["lam_area"], z["region"].reshape(n, -1).mean(1), atol=1e-6)
    assert 0.1 < z["lam_area"].mean() < 0.9 and ((0 <= z["lam_attn"]) & (z["lam_attn"] <= 1)).all()
    np.testing.assert_allclose(z["attn"].reshape(n, -1).sum(1), 1, atol=1e-5)
    assert len(set(z["labels"].tolist())) > 1 and set(z["classes"][z["labels"]]) <= set(z["classes"])
    from tools.report import mixed_sample_grid

    (tmp_path / "r/transmix/seed0").mkdir(parents=True)
    (tmp_path / "r/transmix/seed0/pretrain").symlink_to(out)
    name, png = mixed_sample_grid(tmp_path / "r", ["transmix", "deit"], [0])
    assert name == "mixed_samples.png" and png[:8] == b"\x89PNG\r\n\x1a\n"
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
    assert ca["state"] == cb["state"] == {"epoch": 2, "step": 0, "num_updates": 8}
    lines = (tmp_path / "cut/metrics.jsonl").read_text().splitlines()
    assert [json.loads(ln)["epoch"] for ln in lines] == [1, 2]
    with pytest.raises(ValueError, match="different config"):
        _run(tmp_path / "cut", tiny_data, method="transmix", resume=True)


def test_two_processes_two_nodes_and_slurm_give_the_same_weights(tiny_data, tmp_path):
    """tools/dist_train.sh on one node with 2 processes, on two 'nodes' of 1 (NNODES / NODE_RANK / MASTER_ADDR /
    PORT, as OpenMMLab's launcher), and two SLURM tasks (--launcher slurm, srun's variables): bit-identical weights."""
    args = ["--config", CFG, "--profile", "tiny", "--method", "transmix", "--set", "epochs=1"]
    env = {**os.environ, "DATA_ROOT": str(tiny_data), "OMP_NUM_THREADS": "1", "PYTHON": sys.executable,
           "MASTER_ADDR": "127.0.0.1"}
    launcher = os.path.join(REPO, "tools/dist_train.sh")
    one = subprocess.run([launcher, "2", *args, "--out", str(tmp_path / "one")], cwd=REPO, capture_output=True,
                         text=True, timeout=600, env={**env, "PORT": free_port()})
    assert one.returncode == 0, one.stderr[-3000:]
    (row,) = [json.loads(ln) for ln in (tmp_path / "one/metrics.jsonl").read_text().splitlines()]
    assert row["world_size"] == 2 and row["in_sync"] is True and row["val_images"] == 40
    port = free_port()
    nodes = [subprocess.Popen([launcher, "1", *args, "--out", str(tmp_path / "two")], cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env={**env, "NNODES": "2", "NODE_RANK": str(r), "PORT": port}) for r in (0, 1)]
    port = free_port()
    tasks = [subprocess.Popen([sys.executable, "-m", "pretrain.train", *args, "--out", str(tmp_path / "slurm"),
                               "--launcher", "slurm"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, env={**env, "SLURM_PROCID": str(r), "SLURM_NTASKS": "2", "SLURM_LOCALID": "0",
                                              "SLURM_NODELIST": "127.0.0.1", "MASTER_PORT": port})
             for r in (0, 1)]
    for p in nodes + tasks:
        out, _ = p.communicate(timeout=600)
        assert p.returncode == 0, out[-3000:]
    ref = _weights(tmp_path / "one/backbone.pth")
    for other in ("two", "slurm"):
        got = _weights(tmp_path / other / "backbone.pth")
        assert all(torch.equal(ref[k], got[k]) for k in ref), other
        assert json.loads((tmp_path / other / "metrics.jsonl").read_text().splitlines()[0])["world_size"] == 2


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


def _on_loss_call(monkeypatch, n: int, action):
    """Apply ``action`` to the loss of the ``n``-th criterion call (4 steps per epoch); returns the undo."""
    from pretrain.mixing.core import Mixer

    calls = {"n": 0}
    real = Mixer.criterion

    def criterion(self):
        inner = real(self)

        def loss(logits, target):
            calls["n"] += 1
            out = inner(logits, target)
            return action(out) if calls["n"] == n else out
        return loss

    monkeypatch.setattr(Mixer, "criterion", criterion)
    return lambda: monkeypatch.setattr(Mixer, "criterion", real)


def test_nan_loss_stops_and_keeps_last_good_checkpoint(tiny_data, tmp_path, monkeypatch):
    _on_loss_call(monkeypatch, 6, lambda out: out * float("nan"))  # step 2 of epoch 2
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


def test_damaged_latest_checkpoint_falls_back_to_the_previous(tiny_data, tmp_path):
    """The epoch-2 checkpoint truncated (as by a full disk): --resume names it, resumes from the epoch-1 one kept
    beside it, and ends with the same weights as the uninterrupted run."""
    _run(tmp_path / "full", tiny_data, method="deit", set={"epochs": 3})
    _run(tmp_path / "cut", tiny_data, method="deit", set={"epochs": 3}, stop_after=2)
    ck = tmp_path / "cut/checkpoint.pth"
    assert (tmp_path / "cut/checkpoint.prev.pth").exists()
    ck.write_bytes(ck.read_bytes()[:5000])
    _run(tmp_path / "cut", tiny_data, method="deit", set={"epochs": 3}, resume=True)
    log = (tmp_path / "cut/train.log").read_text()
    assert "checkpoint.pth is unreadable" in log and "resumed from" in log and "checkpoint.prev.pth at epoch 1" in log
    a, b = _weights(tmp_path / "full/backbone.pth"), _weights(tmp_path / "cut/backbone.pth")
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_one_owner_per_run_directory(tiny_data, tmp_path):
    import socket

    from pretrain.checkpoint import RunLock

    out = tmp_path / "run"
    out.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (out / ".lock").write_text(json.dumps({"host": socket.gethostname(), "pid": holder.pid, "started": "t0"}))
        with pytest.raises(RuntimeError, match=rf"in use by another pretraining: pid {holder.pid} on this host"):
            _run(out, tiny_data)
        (out / ".lock").write_text(json.dumps({"host": "node17", "pid": 1, "started": "t0"}))
        with pytest.raises(RuntimeError, match="pid 1 on host node17.*remove"):
            _run(out, tiny_data)
    finally:
        holder.kill()
        holder.wait()
    # a lock left by a dead process on this host does not block the run (nor a resume)
    (out / ".lock").write_text(json.dumps({"host": socket.gethostname(), "pid": holder.pid, "started": "t0"}))
    _run(out, tiny_data, method="deit")
    assert not (out / ".lock").exists() and (out / "backbone.pth").exists()
    with RunLock(out, "x"), pytest.raises(RuntimeError, match="in use"), RunLock(out, "y"):
        pass


def test_sigterm_mid_epoch_then_resume_is_exact(tiny_data, tmp_path, monkeypatch):
    """SIGTERM (a SLURM time limit) during step 2 of epoch 2: the run finishes that optimizer step, writes an exact
    mid-epoch checkpoint and returns; --resume continues from step 2 to the same weights as an uninterrupted run."""
    import signal

    _run(tmp_path / "full", tiny_data, method="transmix", set={"ema": True})
    undo = _on_loss_call(monkeypatch, 6, lambda out: os.kill(os.getpid(), signal.SIGTERM) or out)  # epoch 2, step 2
    out = _run(tmp_path / "cut", tiny_data, method="transmix", set={"ema": True})
    undo()
    assert out == {"preempted_at": {"epoch": 1, "step": 2}}
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # restored: later forked processes die on SIGTERM
    ck = torch.load(tmp_path / "cut/checkpoint.pth", weights_only=False)
    loss_so_far = ck["state"].pop("loss_sum")  # the epoch's summed step losses before the cut
    assert ck["state"] == {"epoch": 1, "step": 2, "num_updates": 6} and "signal" in ck["written"] and loss_so_far > 0
    assert "stopped by SIGTERM at epoch 2, step 2" in (tmp_path / "cut/train.log").read_text()
    _run(tmp_path / "cut", tiny_data, method="transmix", set={"ema": True}, resume=True)
    a, b = _weights(tmp_path / "full/backbone.pth"), _weights(tmp_path / "cut/backbone.pth")
    assert all(torch.equal(a[k], b[k]) for k in a)
    lines = [json.loads(ln) for ln in (tmp_path / "cut/metrics.jsonl").read_text().splitlines()]
    full = [json.loads(ln) for ln in (tmp_path / "full/metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in lines] == [1, 2]
    for a_row, b_row in zip(full, lines):  # the resumed epoch logs the mean over all its steps, not only the last ones
        assert abs(a_row["loss"] - b_row["loss"]) < 1e-6 and a_row["top1"] == b_row["top1"]


def test_same_weights_whatever_the_process_layout(tiny_data, tmp_path):
    """Global batch 8: 1 process x micro-batch 4 x 2 accumulation steps, and 2 processes (gloo) x 4 x 1. Data order,
    augmentation, mixing draws and drop path are keyed by the global micro-batch, and the gradient is the mean of
    the two micro-batch gradients either way: (g0 + g1) / 2 by DDP, g0 / 2 + g1 / 2 by accumulation, equal in
    floating point because halving is exact. So the tolerance is zero, with one thread per process on both sides
    (for accumulation counts that are powers of two; other counts round once per step, ~1e-7 relative). A different
    thread count alone changes the matrix products' summation order: ~1e-9 absolute after these 4 steps."""
    env = {**os.environ, "DATA_ROOT": str(tiny_data), "OMP_NUM_THREADS": "1", "PYTHON": sys.executable}
    for n, out, extra in (("1", "accum", ["micro_batch=4"]), ("2", "ddp", [])):
        proc = subprocess.run([os.path.join(REPO, "tools/dist_train.sh"), n, "--config", CFG, "--profile", "tiny",
                               "--method", "mixpro", "--set", "epochs=1", *extra, "--out", str(tmp_path / out)],
                              cwd=REPO, env={**env, "PORT": free_port()}, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-3000:]
    assert "micro-batch 4 x 1 process(es) x 2 accumulation step(s)" in (tmp_path / "accum/train.log").read_text()
    a, b = _weights(tmp_path / "accum/backbone.pth"), _weights(tmp_path / "ddp/backbone.pth")
    assert all(torch.equal(a[k], b[k]) for k in a)
    la, lb = (json.loads((tmp_path / d / "metrics.jsonl").read_text())["loss"] for d in ("accum", "ddp"))
    assert abs(la - lb) < 1e-5  # the logged loss is the mean over all micro-batches in both
    with pytest.raises(ValueError, match="micro_batch can be 2, 4, 8"):
        _run(tmp_path / "bad", tiny_data, set={"micro_batch": 6})
