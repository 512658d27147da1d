"""tools/run_all.py on the tiny profile: every stage of a PVT (detection path), two at a time, the report, caching,
killing and resuming."""

import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run_all(out, data, *extra, methods=("--table", "transmix-1", "--all-stages")):
    cmd = [sys.executable, "-m", "tools.run_all", "pvt_t", "--profile", "tiny", *methods,
           "--data-root", str(data), "--out", str(out), "--jobs", "2", *extra]
    t0 = time.time()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=900,
                          env={**os.environ, "OMP_NUM_THREADS": "2"})
    return proc, time.time() - t0


def _procs_mentioning(text: str) -> list[str]:
    found = []
    for cmdline in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            with open(cmdline, "rb") as f:
                args = f.read().decode(errors="replace")
        except OSError:
            continue
        if text in args:
            found.append(args.replace("\0", " "))
    return found


def test_run_all_tiny_pvt(tiny_data, tmp_path):
    out = tmp_path / "runs"
    root = out / "pvt_t"
    # killed mid-way (after the first finished stage, once a stage started after it): the running stages stop with
    # it ...
    cmd = [sys.executable, "-m", "tools.run_all", "pvt_t", "--profile", "tiny", "--table", "transmix-1", "--all-stages",
           "--data-root", str(tiny_data), "--out", str(out), "--jobs", "2"]  # TransMix Table 1: deit, transmix
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "OMP_NUM_THREADS": "2"})
    seen, first_done = [], None
    for line in proc.stdout:
        seen.append(line)
        if line.startswith("[run_all] done ") and first_done is None:
            first_done = line.split("done ", 1)[1].split(" in ")[0]
        if line.startswith("[run_all] stage ") and first_done is not None:
            break  # (the twin of the first stage may end too before the next starts: _wait_for_twin)
    assert proc.poll() is None, "".join(seen)
    before = seen[:next(i for i, ln in enumerate(seen) if ln.startswith("[run_all] done "))]
    assert sum(ln.startswith("[run_all] stage ") for ln in before) == 2  # two stages side by side
    proc.send_signal(signal.SIGTERM)
    rest, _ = proc.communicate(timeout=120)
    assert proc.returncode != 0 and "[run_all] interrupted: stopping " in rest
    time.sleep(1)
    assert _procs_mentioning(str(out)) == []
    # ... and the same command finishes the rest, keeping what was done
    proc, _ = _run_all(out, tiny_data)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    done_before = int(re.search(r"6 stages, (\d) already done", proc.stdout).group(1))
    assert 1 <= done_before < 6 and f"done {first_done}" not in proc.stdout
    assert "about" in proc.stdout and "elapsed" in proc.stdout
    for m in ("deit", "transmix"):
        for stage in ("pretrain", "transfer/det_maskrcnn", "robustness"):
            assert (root / m / "seed0" / stage / "results.json").exists(), (m, stage)
    rep = root / "report/transmix-1"  # a table's report in its own folder
    md = (rep / "report.md").read_text()
    for title in ("Classification", "Detection and instance segmentation", "Robustness", "Attention quality",
                  "Protocol and deviations", "configs/transfer/det_tiny.py"):
        assert title in md, title
    # the paper's table first, in its layout: our top-1 beside the published one (TransMix Table 1, PVT-T)
    assert md.index("### TransMix (CVPR'22) Table 1 (pvt_t)") < md.index("### Classification")
    top1 = json.loads((root / "transmix/seed0/pretrain/results.json").read_text())["top1"]
    assert f"| + TransMix (`transmix`) | {top1:.1f} | 75.5 |" in md
    assert "deit seed 0" in md  # the saliency provider is the baseline's backbone
    pre = json.loads((root / "deit/seed0/pretrain/results.json").read_text())
    assert pre["stages_side_by_side"] == 2 and pre["cpu_threads"] == max(1, len(os.sched_getaffinity(0)) // 2)
    assert "measured while 2 stages ran side by side" in md and "pretraining ran 2 stage(s) at a time" in md
    html = (rep / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 3 and "<table>" in html  # 2 curves, the mixed samples
    assert "![mixed_samples.png](mixed_samples.png)" in md and (rep / "mixed_samples.png").exists()
    csv = (rep / "results.csv").read_text().splitlines()
    assert csv[0] == "method,seed,stage,metric,value" and any(",det,box_AP," in ln for ln in csv)
    row = next(ln for ln in md.splitlines() if ln.startswith("| transmix |"))
    assert "[" in row  # paired bootstrap interval against the baseline

    # a second run skips everything
    det_key = json.loads((root / "deit/seed0/transfer/det_maskrcnn/stage_key.json").read_text())
    proc, took = _run_all(out, tiny_data)
    assert proc.returncode == 0 and "6 stages, 6 already done" in proc.stdout
    assert took < 60
    assert json.loads((root / "deit/seed0/transfer/det_maskrcnn/stage_key.json").read_text()) == det_key


def test_failed_stage_keeps_the_others(tiny_data, tmp_path):
    out = tmp_path / "runs"
    # an unreadable training image breaks pretraining for every method: nothing downstream runs, exit status 1
    data = tmp_path / "data"
    shutil.copytree(tiny_data, data)
    next((data / "imagenet/train").rglob("*.JPEG")).write_bytes(b"broken")
    proc, _ = _run_all(out, data, methods=("--methods", "deit"))
    assert proc.returncode == 1 and "FAILED pretrain deit seed0" in proc.stdout
    assert "skip det_maskrcnn deit seed0" in proc.stdout
    assert "unreadable image" in (out / "pvt_t/deit/seed0/pretrain/stage.log").read_text()


def test_run_all_evaluates_a_released_checkpoint(tiny_data, tmp_path):
    """``--weights deit=FILE``: the timm-layout file of a DeiT-T is imported instead of pretrained, every evaluation
    stage runs on it, and the report marks the row as external with the file's sha256."""
    import torch

    from configs.datasets import imagenet_classes
    from pretrain.checkpoint import sha256_file
    from pretrain.models import create_backbone

    n = len(imagenet_classes(tiny_data / "imagenet"))
    torch.manual_seed(0)
    sd = create_backbone("deit_t", img_size=32, patch_size=8, num_classes=n).state_dict()
    torch.save({"state_dict": sd, "epoch": 1}, tmp_path / "released.pth.tar")  # timm train.py's container
    out = tmp_path / "runs"
    cmd = [sys.executable, "-m", "tools.run_all", "deit_t", "--profile", "tiny", "--methods", "deit", "--data-root",
           str(tiny_data), "--out", str(out), "--jobs", "2"]
    bad = subprocess.run(cmd + ["--weights", "transmix=" + str(tmp_path / "released.pth.tar")], cwd=REPO,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "not in --methods" in bad.stderr and not out.exists()
    proc = subprocess.run(cmd + ["--weights", "deit=" + str(tmp_path / "released.pth.tar")], cwd=REPO,
                          capture_output=True, text=True, timeout=900, env={**os.environ, "OMP_NUM_THREADS": "2"})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "stage 1/4: import deit seed0" in proc.stdout and "pretrain deit" not in proc.stdout
    run = out / "deit_t/deit/seed0"
    meta = json.loads((run / "pretrain/backbone.json").read_text())
    assert meta["method"] == "external:deit" and meta["source_sha256"] == sha256_file(tmp_path / "released.pth.tar")
    for stage in ("transfer/seg_linear", "transfer/seg_segmenter"):
        assert json.loads((run / stage / "results.json").read_text())["backbone_sha256"] == meta["sha256"]
    rob = json.loads((run / "robustness/results.json").read_text())
    assert rob["inputs"]["backbone_sha256"] == meta["sha256"]
    md = (out / "deit_t/report/report.md").read_text()
    clean = rob["clean_top1"]
    row = next(ln for ln in md.splitlines() if ln.startswith("| deit (external) |") and "%" not in ln)
    assert f"| {clean:.1f} |" in row  # top-1 from the robustness stage's clean evaluation
    assert f"released checkpoint released.pth.tar (sha256 {meta['source_sha256']})" in md
    assert "produced by other code than this checkout's (kept from an earlier run; `run_all --rerun-stale` re-runs " \
           "them): none" in md

    # results written by other code (here: a robustness result whose recorded code hash is not this checkout's)
    # are listed and kept, marked in the report, and re-run only when asked
    rob["code_sha256"] = "0" * 64
    (run / "robustness/results.json").write_text(json.dumps(rob))
    cmd += ["--weights", "deit=" + str(tmp_path / "released.pth.tar")]
    again = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=900)
    assert again.returncode == 0 and "4 stages, 4 already done" in again.stdout, again.stdout[-2000:]
    assert "1 finished stage(s) were produced by other code than this checkout's: robustness deit seed0" in \
        again.stdout and "kept" in again.stdout
    assert "re-runs them): deit seed0: robustness" in (out / "deit_t/report/report.md").read_text()
    rerun = subprocess.run(cmd + ["--rerun-stale"], cwd=REPO, capture_output=True, text=True, timeout=900)
    assert rerun.returncode == 0 and "stage 1/1: robustness deit seed0" in rerun.stdout, rerun.stdout[-2000:]
    assert json.loads((run / "robustness/results.json").read_text())["code_sha256"] != "0" * 64
    assert "re-runs them): none" in (out / "deit_t/report/report.md").read_text()


def test_training_stages_launch_on_two_nodes_and_under_slurm(tmp_path):
    """The same plan on one process, on node 1 of two nodes of 8 GPUs (torchrun, a port per stage) and under SLURM
    (srun job steps): the training stages change launcher only, the one-process stages stay one process, and a
    stage's cache key does not depend on the layout (the recipe's global batch is the same on any)."""
    from tools.run_all import Launch, module_args, plan, stage_key

    args = ("pvt_t", "tiny", ["deit", "transmix"], [0], tmp_path)
    one = plan(*args, 1)
    nodes = plan(*args, Launch(gpus=8, nnodes=2, node_rank=1, master_addr="node0", master_port=29500))
    slurm = plan(*args, Launch(gpus=16, launcher="slurm", partition="gpu"))
    assert [s.name for s in one] == [s.name for s in nodes] == [s.name for s in slurm]
    assert {s.name for s in one if s.distributed} == {"pretrain", "det_maskrcnn"}
    for i, (a, b, c) in enumerate(zip(one, nodes, slurm)):
        assert a.cmd[:2] == [sys.executable, "-m"] and "--launcher" not in a.cmd
        assert module_args(a.cmd) == module_args(b.cmd) == module_args(c.cmd)
        assert stage_key(a) == stage_key(b) == stage_key(c)
        assert c.env == {"MASTER_PORT": str(29500 + i)} and c.cmd[:3] == ["srun", "-p", "gpu"]
        if a.distributed:
            assert b.cmd[1:3] == ["-m", "torch.distributed.run"] and b.cmd[-2:] != ["--launcher", "pytorch"]
            for flag in ("--nnodes=2", "--node_rank=1", "--master_addr=node0", f"--master_port={29500 + i}"):
                assert flag in b.cmd, flag
            assert b.cmd[b.cmd.index("--nproc_per_node") + 1] == "8"
            assert b.cmd[b.cmd.index("--launcher") + 1] == "pytorch"
            for flag in ("--ntasks=16", "--ntasks-per-node=8", "--gres=gpu:8", "--kill-on-bad-exit=1"):
                assert flag in c.cmd, flag
            assert c.cmd[c.cmd.index("--launcher") + 1] == "slurm"
        else:
            assert b.cmd == a.cmd and "--ntasks=1" in c.cmd and "--launcher" not in c.cmd
    dino = tmp_path / "dino_deitsmall16_pretrain.pth"
    rob = [s for s in plan(*args, 1, saliency=(dino, "1")) if s.name == "robustness"]
    for st in rob:  # Naseer et al.'s provider: DINO ViT-S/16, head 1, for every method; no wait on the baseline
        assert st.cmd[st.cmd.index("--saliency") + 1] == str(dino) and st.cmd[-2:] == ["--saliency-head", "1"]
        assert [n.name for n in st.needs] == ["pretrain"] and dino in st.inputs
    bad = subprocess.run([sys.executable, "-m", "tools.run_all", "pvt_t", "--nnodes", "2", "--jobs", "2"], cwd=REPO,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "in the same order" in bad.stderr


@pytest.mark.cluster
def test_run_all_on_two_nodes(tiny_data, tmp_path):
    """Two "nodes" on this machine (gloo, 127.0.0.1, one process each): both take part in pretraining and the two
    segmentation stages (MMEngine's pytorch launcher on CPU), node 0 alone runs robustness and the report."""
    from tests.helpers import free_port

    port = int(free_port())  # the base port; the stages use base + their place in the plan
    out = tmp_path / "runs"
    cmd = [sys.executable, "-m", "tools.run_all", "deit_t", "--profile", "tiny", "--methods", "deit", "--data-root",
           str(tiny_data), "--out", str(out), "--nnodes", "2", "--master-port", str(port)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    nodes = [subprocess.Popen(cmd + ["--node-rank", str(r)], cwd=REPO, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, env=env) for r in (0, 1)]
    logs = [p.communicate(timeout=1200)[0] for p in nodes]
    assert [p.returncode for p in nodes] == [0, 0], logs[0][-3000:] + logs[1][-3000:]
    assert "node 1: training stages finished" in logs[1] and "robustness" not in logs[1]
    assert "4 stages, 0 already done" in logs[0] and "3 stages, 0 already done" in logs[1]
    run = out / "deit_t/deit/seed0"
    pre = json.loads((run / "pretrain/results.json").read_text())
    assert pre["world_size"] == 2 and pre["global_batch"] == pre["micro_batch"] * 2 * pre["accumulation"]
    for stage in ("pretrain", "transfer/seg_linear", "transfer/seg_segmenter"):
        assert (run / stage / "stage_key.json").exists() and (run / stage / "stage.node1.log").exists(), stage
    for dec in ("linear", "segmenter"):
        assert json.loads((run / f"transfer/seg_{dec}/results.json").read_text())["world_size"] == 2
    assert not (run / "robustness/stage.node1.log").exists() and (run / "robustness/results.json").exists()
    assert (out / "deit_t/report/report.md").exists()


def test_table_presets_and_method_variants(tmp_path, monkeypatch):
    """Every preset loads and names runnable methods; a variant NAME@key=value pretrains NAME with that option in its
    own directory; bad variants and --methods with --table are refused before anything runs."""
    import ast

    import pretrain.train as T
    from pretrain.config import load_config
    from pretrain.train import check_method
    from tools.run_all import main, parse_method, plan
    from tools.tables import load_table, table_keys

    real_build, probes = T.build_model, {}

    def build_model(cfg, num_classes):  # check_method's probe for the token stride: one per geometry
        key = (cfg["model"], cfg["img_size"], repr(cfg["model_kwargs"]), num_classes)
        if key not in probes:
            probes[key] = real_build(cfg, num_classes)
        return probes[key]

    monkeypatch.setattr(T, "build_model", build_model)
    keys = table_keys()
    assert set(keys) == {f"transmix-{i}" for i in range(1, 10)} | {f"mixpro-{i}" for i in range(1, 11)} | {
        "mixpro-fig5", "tokenmix-imagenet", "tokenmix-ade20k", "tokenmix-teacher"}
    for key in keys:
        t = load_table(key)
        assert t["rows"] and not t["missing"], key  # every table runs
        for row in t["rows"]:  # every variant starts on the demo geometry of its backbone
            alias, _, m = row.rpartition(":")
            name, opts = parse_method(m)
            cfg = load_config(REPO + f"/configs/pretrain/{alias or t['backbones'][0]}.py", "demo")
            opts = {k: ast.literal_eval(v) if v[:1].isdigit() else v for k, v in opts.items()}  # as --set parses
            if name == "tokenmix":  # its teacher comes from run_all --teacher FILE (refused at plan time without)
                (tmp_path / "teacher.pth").touch()
                opts["teacher"] = str(tmp_path / "teacher.pth")
            kwargs = {**cfg["method_kwargs"].get(name, {}), **opts}
            check_method({**cfg, "method_kwargs": {**cfg["method_kwargs"], name: kwargs}}, name)
    listing = subprocess.run([sys.executable, "-m", "tools.run_all", "--table", "list"], cwd=REPO,
                             capture_output=True, text=True, timeout=120)
    assert listing.returncode == 0 and all(k in listing.stdout for k in keys)
    assert parse_method("transmix@attn_source=rollout+lam_mode=attn") == (
        "transmix", {"attn_source": "rollout", "lam_mode": "attn"})
    st = plan("deit_t", "tiny", ["transmix@attn_source=rollout"], [0], tmp_path)[0]
    assert st.out == tmp_path / "deit_t/transmix@attn_source=rollout/seed0/pretrain"
    assert st.cmd[st.cmd.index("--method") + 1] == "transmix"
    assert st.cmd[st.cmd.index("--set") + 1:] == ["method_kwargs.transmix.attn_source=rollout"]
    # a table plans the stages its columns read, and the rows of other backbones (ports stay distinct)
    from tools.run_all import Launch, table_other_backbones, table_stages

    assert table_stages(load_table("transmix-9")) == set()
    assert table_stages(load_table("transmix-8")) == {"bench_mixing"}
    assert table_stages(load_table("tokenmix-ade20k")) == {"seg_upernet"}
    t7 = load_table("transmix-7")
    assert table_other_backbones(t7) == {"swin_t": ["deit"], "ca_swin_t": ["deit", "transmix"], "swin_s": ["deit"],
                                         "ca_swin_s": ["deit", "transmix"]}
    launch = Launch(gpus=2, nnodes=2, node_rank=0, master_port=29500)
    stages = []
    for alias, labels in table_other_backbones(t7).items():
        stages += plan(alias, "tiny", labels, [0], tmp_path, launch, only=set(), first_index=len(stages), named=True)
    assert [s.name for s in stages] == ["pretrain"] * 6  # a top-1 table: no transfer, no robustness
    assert [s.label for s in stages][:2] == ["pretrain deit seed0 (swin_t)", "pretrain deit seed0 (ca_swin_t)"]
    assert st.label == "pretrain transmix@attn_source=rollout seed0"  # one backbone: the label does not name it
    ports = [next(a for a in s.cmd if a.startswith("--master_port=")) for s in stages]
    assert len(set(ports)) == 6
    from tools.run_all import check_teacher

    (tmp_path / "r26.pth").touch()
    spec = check_teacher("deit_t", "tiny", ["tokenmix"], {}, f"resnet26:{tmp_path}/r26.pth")
    assert spec == {"model": "resnet26", "checkpoint": str(tmp_path / "r26.pth")}
    st = plan("deit_t", "tiny", ["tokenmix"], [0], tmp_path, teacher=spec)[0]
    assert st.cmd[-1] == f"method_kwargs.tokenmix.teacher={spec}" and tmp_path / "r26.pth" in st.inputs
    with pytest.raises(SystemExit, match="no timm model"):
        check_teacher("deit_t", "tiny", ["tokenmix"], {}, f"resnet999:{tmp_path}/r26.pth")
    st8 = plan("deit_t", "tiny", load_table("transmix-8")["methods"], [0], tmp_path, only={"bench_mixing"})
    assert [s.name for s in st8].count("bench_mixing") == 1 and len(st8) == 8
    for bad, msg in ((["--methods", "transmix@attn=4"], "not KEY=VALUE with KEY an option of transmix"),
                     (["--methods", "mixup2"], "unknown method 'mixup2'"),
                     (["--table", "transmix-9", "--methods", "deit"], "drop --methods"),
                     (["--table", "nope"], "no table 'nope'"),
                     (["--table", "transmix-6"], "needs --files dino=FILE,deit_pretrained=FILE,deit_distilled=FILE"),
                     (["--table", "transmix-9", "--files", "dino=x.pth"], "declares no checkpoint slots"),
                     (["--table", "transmix-8", "--files", "resnet50=/nonexistent.pth"], "file not found")):
        with pytest.raises(SystemExit) as refused:  # in-process: refused before anything runs
            main(["deit_t", *bad, "--out", str(tmp_path / "x")])
        assert msg in str(refused.value), (bad, str(refused.value)[-500:])
    assert not (tmp_path / "x").exists()


def test_a_stage_that_starts_alone_takes_every_core(tmp_path, monkeypatch):
    """Two at a time: a stage with nothing beside it gets both cores, the ones that start together one each."""
    from tools import run_all

    monkeypatch.setattr(run_all, "cpu_count", lambda: 2)
    (tmp_path / "threads_probe.py").write_text(
        "import json, os, sys\njson.dump({k: os.environ[k] for k in ('OMP_NUM_THREADS', "
        "'MIXBENCH_STAGES_SIDE_BY_SIDE')}, open(sys.argv[1], 'w'))\n")

    def stage(name, needs=()):
        out = tmp_path / name
        return run_all.Stage("robustness", name, 0, out, [sys.executable, "-m", "threads_probe",
                                                            str(out / "results.json")], [], list(needs),
                             env={"PYTHONPATH": str(tmp_path)})

    first = stage("first")
    after = [stage("a", [first]), stage("b", [first])]
    lone = stage("lone", after)
    assert run_all.run_stages([first, *after, lone], dict(os.environ), jobs=2) == []
    got = {s.method: json.loads((s.out / "results.json").read_text()) for s in [first, *after, lone]}
    assert got == {"first": {"OMP_NUM_THREADS": "2", "MIXBENCH_STAGES_SIDE_BY_SIDE": "1"},
                   "a": {"OMP_NUM_THREADS": "1", "MIXBENCH_STAGES_SIDE_BY_SIDE": "2"},
                   "b": {"OMP_NUM_THREADS": "1", "MIXBENCH_STAGES_SIDE_BY_SIDE": "2"},
                   "lone": {"OMP_NUM_THREADS": "2", "MIXBENCH_STAGES_SIDE_BY_SIDE": "1"}}


def test_a_stage_waits_a_little_for_the_twin_of_the_one_it_follows(tmp_path, monkeypatch):
    """A pair started together ends seconds apart: the stage that follows the first to end waits for the other
    (``TWIN_GRACE``) and then gets both cores, instead of one core for its whole run; with no grace it gets one."""
    from tools import run_all

    monkeypatch.setattr(run_all, "cpu_count", lambda: 2)
    (tmp_path / "twin_probe.py").write_text(
        "import json, os, sys, time\njson.dump({k: os.environ[k] for k in ('OMP_NUM_THREADS', "
        "'MIXBENCH_STAGES_SIDE_BY_SIDE')}, open(sys.argv[1], 'w'))\ntime.sleep(float(sys.argv[2]))\n")

    def stage(root, name, sleep, needs=()):
        out = root / name
        cmd = [sys.executable, "-m", "twin_probe", str(out / "results.json"), str(sleep)]
        return run_all.Stage("robustness", name, 0, out, cmd, [], list(needs), env={"PYTHONPATH": str(tmp_path)})

    for grace, threads in (((100.0, 30.0), "2"), ((0.0, 0.0), "1")):
        monkeypatch.setattr(run_all, "TWIN_GRACE", grace)
        root = tmp_path / str(grace[0])
        a, b = stage(root, "a", 0), stage(root, "b", 2)  # twins: started together, b ends 2 s after a
        after = stage(root, "after_a", 0, [a])
        assert run_all.run_stages([a, b, after], dict(os.environ), jobs=2) == []
        got = json.loads((after.out / "results.json").read_text())
        assert got == {"OMP_NUM_THREADS": threads, "MIXBENCH_STAGES_SIDE_BY_SIDE": str(3 - int(threads))}, grace


def test_the_time_left_counts_the_stage_being_started(tmp_path, capsys):
    """The estimate printed as a stage starts includes that stage (``TYPICAL_S`` until one of its kind has run):
    one robustness stage alone, 150 s, then a second one after it, timed by the first (seconds)."""
    from tools import run_all

    (tmp_path / "done_probe.py").write_text("import pathlib, sys\npathlib.Path(sys.argv[1]).write_text('{}')\n")

    def stage(name, needs=()):
        out = tmp_path / name
        cmd = [sys.executable, "-m", "done_probe", str(out / "results.json")]
        return run_all.Stage("robustness", name, 0, out, cmd, [], list(needs), env={"PYTHONPATH": str(tmp_path)})

    first = stage("first")
    assert run_all.run_stages([first, stage("second", [first])], dict(os.environ), jobs=1) == []
    left = [line.rsplit("about ", 1)[1] for line in capsys.readouterr().out.splitlines() if "about " in line]
    assert left[0] in ("5m00s left", "4m59s left") and left[1].startswith("0m"), left
