"""The whole benchmark for one backbone, cached and resumable (the engine behind ``tools/run_all.sh``).

    tools/run_all.sh deit_s [--profile demo|paper|tiny] [--methods deit,transmix,mixpro] [--seeds 0,1,2]
                            [--data-root DIR] [--out runs] [--gpus N] [--weights deit=FILE,transmix=FILE2]

For each method and seed: pretraining, the transfer tasks of the backbone's family (DeiT: Linear and Segmenter
segmentation; PVT: Mask R-CNN), the robustness suite (salient dropping uses the baseline's backbone of the same seed
as the one saliency provider), then the report in ``<out>/<alias>/report/``. Every stage runs in its own process
(``torchrun`` with ``--gpus N > 1``) and writes ``results.json`` plus ``stage_key.json``: the sha256 of everything it
consumed. A stage whose key matches is skipped; a failing stage leaves the finished ones intact and the stages that
depend on it are skipped; running the same command again resumes (pretraining from its last epoch checkpoint,
MMEngine stages from their last checkpoint).

``--weights METHOD=FILE,...``: those methods skip pretraining; their released checkpoint (any layout
``python -m pretrain.import_weights`` reads) is imported as the hand-off and every evaluation stage runs on it. The
report marks those rows as external, with the source file and its sha256, and takes their clean top-1 from the
robustness stage's evaluation on the val set.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pretrain.checkpoint import RunLock, atomic_write_json  # noqa: E402
from pretrain.models import ALIASES, FAMILY  # noqa: E402

DEFAULT_METHODS = "deit,transmix,mixpro"
BASELINE = "deit"
SCALE = {"demo": "demo", "tiny": "tiny"}  # profile -> built-in synthetic data scale
# seconds a demo stage takes on 2 CPU cores, two at a time (the first guess of the estimate; measured ones replace it)
TYPICAL_S = {"pretrain": 400, "import": 10, "seg_linear": 120, "seg_segmenter": 150, "det_maskrcnn": 300,
             "robustness": 150}


@dataclass(eq=False)  # a stage is itself: hashed and compared by identity
class Stage:
    name: str  # pretrain | import | seg_linear | seg_segmenter | det_maskrcnn | robustness
    method: str
    seed: int
    out: Path
    cmd: list[str]
    inputs: list[Path]  # files whose content defines the stage (configs, upstream checkpoints)
    needs: list[Stage] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.name} {self.method} seed{self.seed}"


def sha_files(paths) -> str:
    """sha256 over the stage's inputs: a config file counts by its *resolved* content (MMEngine's Config with its
    ``_base_`` merged: comments and docstrings do not matter), any other file (a checkpoint) by its bytes."""
    from mmengine.config import Config

    h = hashlib.sha256()
    for p in paths:
        p = Path(p)
        h.update(str(p.name).encode())
        if not p.exists():
            h.update(b"<missing>")
        elif p.suffix == ".py":
            h.update(json.dumps(Config.fromfile(str(p)).to_dict(), sort_keys=True, default=str).encode())
        else:
            h.update(p.read_bytes())
    return h.hexdigest()


def stage_key(st: Stage) -> str:
    return hashlib.sha256(json.dumps({"cmd": st.cmd[st.cmd.index("-m"):], "inputs": sha_files(st.inputs)},
                                     sort_keys=True).encode()).hexdigest()


def is_done(st: Stage) -> bool:
    key_file, res = st.out / "stage_key.json", st.out / "results.json"
    return res.exists() and key_file.exists() and json.loads(key_file.read_text()).get("key") == stage_key(st)


def python_cmd(module: str, gpus: int) -> list[str]:
    py = sys.executable
    if gpus > 1:
        return [py, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(gpus), "-m", module]
    return [py, "-m", module]


def plan(alias: str, profile: str, methods: list[str], seeds: list[int], out: Path, gpus: int,
         weights: dict[str, Path] | None = None, num_classes: int | None = None,
         teacher: Path | None = None) -> list[Stage]:
    """Every stage of the run; ``weights``: method -> released checkpoint imported instead of pretraining, refused
    when its head does not have the data's ``num_classes``."""
    weights = weights or {}
    check_classes = ["--num-classes", str(num_classes)] if num_classes else []
    cfg = REPO / "configs/pretrain" / f"{alias}.py"
    suite = REPO / "configs/robustness" / f"{profile}.py"
    launcher = ["--launcher", "pytorch"] if gpus > 1 else []
    stages: list[Stage] = []
    pre: dict[tuple[str, int], Stage] = {}
    for seed in seeds:
        for m in methods:
            d = out / alias / m / f"seed{seed}"
            if m in weights:
                pre[(m, seed)] = Stage("import", m, seed, d / "pretrain", [
                    sys.executable, "-m", "pretrain.import_weights", "--model", alias, "--weights", str(weights[m]),
                    "--out", str(d / "pretrain"), "--label", m, "--profile", profile, "--seed", str(seed)]
                    + check_classes,
                    [Path(weights[m]), cfg])
                stages.append(pre[(m, seed)])
                continue
            extra, inputs = [], [cfg]
            if m == "tokenmix" and teacher is not None:
                extra, inputs = ["--set", f"method_kwargs.tokenmix.teacher={teacher}"], [cfg, teacher]
            st = Stage("pretrain", m, seed, d / "pretrain",
                       python_cmd("pretrain.train", gpus) + ["--config", str(cfg), "--profile", profile, "--method", m,
                                                             "--seed", str(seed), "--out", str(d / "pretrain"),
                                                             "--resume"] + extra, inputs)
            pre[(m, seed)] = st
            stages.append(st)
    for seed in seeds:
        for m in methods:
            d, p = out / alias / m / f"seed{seed}", pre[(m, seed)]
            bb = p.out / "backbone.pth"
            if FAMILY[alias] == "deit":
                for dec in ("linear", "segmenter"):
                    o = d / "transfer" / f"seg_{dec}"
                    stages.append(Stage(f"seg_{dec}", m, seed, o, python_cmd("transfer.seg", gpus) + [
                        "--backbone", str(bb), "--decoder", dec, "--profile", profile, "--out", str(o)] + launcher,
                        [bb, REPO / f"configs/transfer/seg_{profile}.py"], [p]))
            if FAMILY[alias] == "pvt":
                o = d / "transfer" / "det_maskrcnn"
                stages.append(Stage("det_maskrcnn", m, seed, o, python_cmd("transfer.det", gpus) + [
                    "--backbone", str(bb), "--profile", profile, "--out", str(o)] + launcher,
                    [bb, REPO / f"configs/transfer/det_{profile}.py"], [p]))
            provider = pre[(BASELINE if BASELINE in methods else methods[0], seed)]
            o = d / "robustness"
            stages.append(Stage("robustness", m, seed, o, [sys.executable, "-m", "robustness.run", "--backbone",
                                                           str(bb), "--suite", str(suite), "--out", str(o),
                                                           "--saliency", str(provider.out / "backbone.pth")],
                                [bb, provider.out / "backbone.pth", suite], [p, provider]))
    return stages


def fmt(s: float) -> str:
    s = int(s)
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


def default_jobs() -> int:
    """Stages side by side: 1 on a GPU machine (the device is the shared resource), 2 on a CPU-only machine with 2 or
    more cores, where two 1-thread stages train DeiT-S 1.5x faster in all than one 2-thread stage (bf16: 66 + 66
    against 90 images/s on the 2-core machine this suite is developed on)."""
    import torch

    return 1 if torch.cuda.is_available() else min(2, cpu_count())


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _die_with_parent() -> None:  # runs in the child before exec: a killed run_all takes its stages with it
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def run_stages(stages: list[Stage], env: dict, jobs: int = 1) -> list[Stage]:
    """Run the stages that are not done, up to ``jobs`` at a time in list order as their inputs finish; each stage
    gets ``cpus // jobs`` threads. Returns the stages that failed or were skipped because an input failed."""
    t0 = time.time()
    took: dict[str, list[float]] = {}
    todo = [st for st in stages if not is_done(st)]
    print(f"[run_all] {len(stages)} stages, {len(stages) - len(todo)} already done; {jobs} at a time", flush=True)
    threads = max(1, cpu_count() // jobs)
    env = {**env, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads),
           "MIXBENCH_STAGES_SIDE_BY_SIDE": str(jobs)}
    waiting, running, failed, finished = list(todo), {}, [], set()
    started = 0

    def left() -> float:
        typ = lambda name: sum(took.get(name, [TYPICAL_S[name]])) / len(took.get(name, [1]))  # noqa: E731
        now = time.time()
        return (sum(typ(st.name) for st in waiting)
                + sum(max(0.0, typ(st.name) - (now - s0)) for st, s0 in running.values())) / jobs

    try:
        while waiting or running:
            _check_signal()
            for st in [s for s in waiting if any(n in failed for n in s.needs)]:
                print(f"[run_all] skip {st.label}: an input stage failed", flush=True)
                waiting.remove(st)
                failed.append(st)
            ready = [s for s in waiting if all(n in finished or n not in todo for n in s.needs)]
            while ready and len(running) < jobs:
                st = ready.pop(0)
                waiting.remove(st)
                started += 1
                print(f"[run_all] stage {started}/{len(todo)}: {st.label} | elapsed {fmt(time.time() - t0)}, "
                      f"about {fmt(left())} left", flush=True)
                st.out.mkdir(parents=True, exist_ok=True)
                with open(st.out / "stage.log", "a") as log:
                    proc = subprocess.Popen(st.cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                            preexec_fn=_die_with_parent)
                running[proc] = (st, time.time())
            if not running:
                if waiting and not ready:
                    raise RuntimeError(f"stages wait on each other: {[s.label for s in waiting]}")
                continue
            proc = _wait_any(running)
            st, s0 = running.pop(proc)
            took.setdefault(st.name, []).append(time.time() - s0)
            if proc.returncode != 0 or not (st.out / "results.json").exists():
                print(f"[run_all] FAILED {st.label} (exit {proc.returncode}); log: {st.out / 'stage.log'}", flush=True)
                failed.append(st)
                continue
            atomic_write_json(st.out / "stage_key.json", {"key": stage_key(st), "cmd": st.cmd})
            finished.add(st)
            print(f"[run_all] done {st.label} in {fmt(time.time() - s0)}", flush=True)
    finally:
        if running:  # interrupted: stop the running stages; their checkpoints let the next run resume
            print(f"[run_all] interrupted: stopping {', '.join(st.label for st, _ in running.values())}; run the "
                  "same command again to resume", flush=True)
        for proc in running:
            proc.terminate()
        for proc in running:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
    return failed


class Interrupted(Exception):
    """SIGTERM reached run_all: raised at a known point of the scheduling loop (never inside Popen or a write)."""


_SIGNAL: dict = {"got": None}


def _on_signal(signum, _frame) -> None:
    _SIGNAL["got"] = signum


def _check_signal() -> None:
    if _SIGNAL["got"] is not None:
        raise Interrupted(signal.Signals(_SIGNAL["got"]).name)


def _wait_any(running: dict) -> subprocess.Popen:
    while True:
        _check_signal()
        for proc in running:
            if proc.poll() is not None:
                return proc
        time.sleep(0.5)


def ensure_data(profile: str, data_root: str | None) -> Path:
    if data_root:
        return Path(data_root)
    if profile not in SCALE:
        env = os.environ.get("DATA_ROOT")
        if not env:
            raise SystemExit("--profile paper needs the real datasets: pass --data-root DIR or set DATA_ROOT "
                             "(layouts: configs/datasets.py)")
        return Path(env)
    root = REPO / "data" / f"synthetic-{SCALE[profile]}"
    from tools.make_synthetic import main as make

    make(["--out", str(root), "--scale", SCALE[profile], "--seed", "0"])
    return root


def parse_weights(text: str | None, methods: list[str]) -> dict[str, Path]:
    """``deit=FILE,transmix=FILE2`` -> ``{method: path}``; every method must be one of the run's and every file must
    exist (checked before stage 1)."""
    out: dict[str, Path] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        if "=" not in item:
            raise SystemExit(f"--weights takes METHOD=FILE[,METHOD=FILE...], got {item!r}")
        m, f = (x.strip() for x in item.split("=", 1))
        if m not in methods:
            raise SystemExit(f"--weights names method {m!r}, which is not in --methods ({', '.join(methods)})")
        if not Path(f).is_file():
            raise SystemExit(f"--weights {m}={f}: file not found")
        out[m] = Path(f).resolve()
    return out


def check_teacher(alias: str, profile: str, methods: list[str], weights: dict, teacher: str | None) -> Path | None:
    """TokenMix trains against a frozen teacher: refuse at plan time, before stage 1, when it is asked for without
    one (``--teacher FILE`` or ``method_kwargs.tokenmix.teacher`` in the config)."""
    if teacher is not None:
        if not Path(teacher).is_file():
            raise SystemExit(f"--teacher {teacher}: file not found")
        return Path(teacher).resolve()
    if "tokenmix" in methods and "tokenmix" not in weights:
        from pretrain.config import load_config

        cfg = load_config(REPO / "configs/pretrain" / f"{alias}.py", profile)
        if cfg["method_kwargs"].get("tokenmix", {}).get("teacher") is None:
            raise SystemExit("tokenmix needs a frozen teacher: pass --teacher FILE (a hand-off backbone.pth or a "
                             "released checkpoint, e.g. a DeiT or any timm model file), or import TokenMix's "
                             "released weights with --weights tokenmix=FILE")
    return None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model", help=f"backbone alias: {', '.join(ALIASES)}")
    ap.add_argument("--profile", default="demo", choices=["demo", "paper", "tiny"])
    ap.add_argument("--methods", default=DEFAULT_METHODS)
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--data-root", default=None)
    ap.add_argument("--out", default="runs")
    ap.add_argument("--gpus", type=int, default=1)
    ap.add_argument("--teacher", default=None, metavar="FILE",
                    help="TokenMix's frozen teacher: a hand-off or a released checkpoint (pretrain.import_weights)")
    ap.add_argument("--weights", default=None, metavar="METHOD=FILE,...",
                    help="evaluate released checkpoints instead of pretraining those methods")
    ap.add_argument("--jobs", type=int, default=None,
                    help="stages run side by side (default: 1 with a GPU, else min(2, CPU cores))")
    args = ap.parse_args(argv)
    if args.jobs is not None and args.jobs < 1:
        raise SystemExit(f"--jobs must be 1 or more, got {args.jobs}")
    if args.model not in ALIASES:
        raise SystemExit(f"unknown backbone {args.model!r}; aliases: {', '.join(ALIASES)}")
    from pretrain.mixing import MIXERS

    methods = [m for m in args.methods.split(",") if m]
    bad = [m for m in methods if m not in MIXERS]
    if bad:
        raise SystemExit(f"unknown methods {bad}; valid: {', '.join(MIXERS)}")
    seeds = [int(s) for s in args.seeds.split(",")]
    weights = parse_weights(args.weights, methods)
    teacher = check_teacher(args.model, args.profile, methods, weights, args.teacher)
    t0 = time.time()
    root = ensure_data(args.profile, args.data_root)
    env = {**os.environ, "DATA_ROOT": str(root.resolve()), "PYTHONPATH": str(REPO)}
    out = Path(args.out).resolve()
    n_classes = None
    if weights:
        from configs.datasets import dataset_root, imagenet_classes

        n_classes = len(imagenet_classes(dataset_root("imagenet", root)))
    stages = plan(args.model, args.profile, methods, seeds, out, args.gpus, weights, n_classes, teacher)
    jobs = args.jobs or default_jobs()
    signal.signal(signal.SIGTERM, _on_signal)  # `kill` stops the running stages too (run_stages), then exit 143
    from tools.report import write_report

    with RunLock(out / args.model, "run_all"):  # a second run_all on the same --out is refused, naming this one
        try:
            failed = run_stages(stages, env, jobs)
        except Interrupted:
            return 143
        report = write_report(out / args.model, args.model, args.profile, methods, seeds, root, BASELINE)
    print(f"[run_all] report: {report} ({fmt(time.time() - t0)} in all)", flush=True)
    if failed:
        print(f"[run_all] {len(failed)} stage(s) failed or skipped: {', '.join(s.label for s in failed)}; run the "
              "same command again to retry them", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
