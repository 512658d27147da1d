"""The whole benchmark for one backbone, cached and resumable (the engine behind ``tools/run_all.sh``).

    tools/run_all.sh deit_s [--profile demo|paper|tiny] [--methods deit,transmix,mixpro] [--seeds 0,1,2]
                            [--data-root DIR] [--out runs] [--gpus N] [--weights deit=FILE,transmix=FILE2]
                            [--nnodes N --node-rank R --master-addr HOST --master-port P] [--launcher slurm]
                            [--table transmix-9 | --table list]

For each method and seed: pretraining, the transfer tasks of the backbone's family (DeiT: Linear and Segmenter
segmentation; PVT: Mask R-CNN), the robustness suite (salient dropping uses the baseline's backbone of the same seed
as the one saliency provider), then the report in ``<out>/<alias>/report/`` (``report/<table key>/`` with ``--table``,
so each table run into one ``--out`` keeps its own). Every stage runs in its own process
(``torchrun`` with ``--gpus N > 1``) and writes ``results.json`` plus ``stage_key.json``: the sha256 of everything it
consumed. A stage whose key matches is skipped; a failing stage leaves the finished ones intact and the stages that
depend on it are skipped; running the same command again resumes (pretraining from its last epoch checkpoint,
MMEngine stages from their last checkpoint).

``--weights METHOD=FILE,...``: those methods skip pretraining; their released checkpoint (any layout
``python -m pretrain.import_weights`` reads) is imported as the hand-off and every evaluation stage runs on it. The
report marks those rows as external, with the source file and its sha256, and takes their clean top-1 from the
robustness stage's evaluation on the val set.

Training stages (pretraining, segmentation, detection) run on ``--gpus`` processes per node under ``torchrun``, as
OpenMMLab's ``tools/dist_train.sh``; the other stages (import, robustness, report) are one process. Several nodes:
the same command on every node with ``--nnodes N --node-rank R --master-addr HOST`` (or ``NNODES``, ``NODE_RANK``,
``MASTER_ADDR``, ``PORT`` as dist_train.sh reads them) and ``--out`` on a shared filesystem. The nodes start the
training stages in the same order, one at a time, each stage on its own port (``--master-port`` + its place in the
plan); node 0 alone runs the one-process stages, records what is done and writes the report, the other nodes take
part in the training stages only. SLURM: ``--launcher slurm`` starts every stage as an ``srun`` job step, as
OpenMMLab's ``tools/slurm_train.sh`` does (``--gpus`` tasks in all, ``GPUS_PER_NODE`` (default min(gpus, 8)) per node,
``CPUS_PER_TASK``, ``SRUN_ARGS``; ``--partition`` when run_all runs outside an allocation); pretraining reads srun's
variables (``--launcher slurm``) and the transfer stages use MMEngine's ``slurm`` launcher.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
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
from pretrain.models import ALIASES, FAMILY, NO_CLASS_ATTENTION  # noqa: E402

DEFAULT_METHODS = "deit,transmix,mixpro"
BASELINE = "deit"
SCALE = {"demo": "demo", "tiny": "tiny"}  # profile -> built-in synthetic data scale
# seconds a demo stage takes on 2 CPU cores, two at a time (the first guess of the estimate; measured ones replace it):
# a DeiT-S pretraining ~10.5 min a pair, PVT-S's Mask R-CNN (the only detection backbone) 57 min a pair (2026-12-07)
TYPICAL_S = {"pretrain": 630, "import": 10, "seg_linear": 120, "seg_segmenter": 150, "det_maskrcnn": 3400,
             "robustness": 150, "bench_mixing": 120, "seg_upernet": 200}
# stages on every process of every node
TRAINING = ("pretrain", "seg_linear", "seg_segmenter", "seg_upernet", "det_maskrcnn")


@dataclass(eq=False)  # a stage is itself: hashed and compared by identity
class Stage:
    name: str  # pretrain | import | seg_linear | seg_segmenter | seg_upernet | det_maskrcnn | robustness | bench_mixing
    method: str
    seed: int
    out: Path
    cmd: list[str]
    inputs: list[Path]  # files whose content defines the stage (configs, upstream checkpoints)
    needs: list[Stage] = field(default_factory=list)
    env: dict = field(default_factory=dict)  # per-stage environment (the SLURM job step's MASTER_PORT)
    alias: str = ""  # the backbone, named in the label when a table's run trains several (``plan``'s ``named``)

    @property
    def distributed(self) -> bool:  # a training stage: every node takes part
        return self.name in TRAINING

    @property
    def label(self) -> str:
        return f"{self.name} {self.method} seed{self.seed}" + (f" ({self.alias})" if self.alias else "")


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


def module_args(cmd: list[str]) -> list[str]:
    """``-m MODULE ARGS`` of a stage's command without how it was launched (torchrun, srun, ``--launcher``): the
    recipe's global batch is the same on any process count, so a finished stage stays done on another layout."""
    i = len(cmd) - 1 - cmd[::-1].index("-m")
    args = cmd[i:]
    if "--launcher" in args:
        j = args.index("--launcher")
        args = args[:j] + args[j + 2:]
    return args


def stage_key(st: Stage) -> str:
    return hashlib.sha256(json.dumps({"cmd": module_args(st.cmd), "inputs": sha_files(st.inputs)},
                                     sort_keys=True).encode()).hexdigest()


def is_done(st: Stage) -> bool:
    key_file, res = st.out / "stage_key.json", st.out / "results.json"
    return res.exists() and key_file.exists() and json.loads(key_file.read_text()).get("key") == stage_key(st)


def is_stale(st: Stage) -> bool:
    """A finished stage whose ``results.json`` was written by other code than this checkout's (its recorded
    ``code_sha256``; none recorded: older than the hash)."""
    from pretrain.checkpoint import code_sha256

    res = json.loads((st.out / "results.json").read_text())
    return res.get("code_sha256") != code_sha256(st.name)


@dataclass(frozen=True)
class Launch:
    """How the stages start: ``gpus`` processes per node under torchrun on ``nnodes`` nodes (``launcher='pytorch'``),
    or ``gpus`` srun tasks in all (``'slurm'``)."""

    gpus: int = 1
    nnodes: int = 1
    node_rank: int = 0
    master_addr: str = "127.0.0.1"
    master_port: int = 29500
    launcher: str = "pytorch"
    partition: str | None = None

    @property
    def processes(self) -> int:
        return self.gpus if self.launcher == "slurm" else self.gpus * self.nnodes

    def cmd(self, module: str, name: str, index: int) -> tuple[list[str], dict]:
        """``(command, environment)`` of the ``index``-th stage of the plan, a ``name`` stage running ``module``."""
        py = sys.executable
        if self.launcher == "slurm":
            tasks = self.gpus if name in TRAINING else 1
            per_node = int(os.environ.get("GPUS_PER_NODE", min(tasks, 8)))
            srun = ["srun"] + (["-p", self.partition] if self.partition else []) + [
                f"--job-name=mixbench-{name}", f"--ntasks={tasks}", f"--ntasks-per-node={min(tasks, per_node)}",
                f"--cpus-per-task={os.environ.get('CPUS_PER_TASK', '5')}", "--kill-on-bad-exit=1"]
            if per_node > 0:
                srun.append(f"--gres=gpu:{min(tasks, per_node)}")
            srun += os.environ.get("SRUN_ARGS", "").split()
            flag = ["--launcher", "slurm"] if name in TRAINING else []
            return srun + [py, "-u", "-m", module] + flag, {"MASTER_PORT": str(self.master_port + index)}
        if name not in TRAINING or self.processes == 1:
            return [py, "-m", module], {}
        if self.nnodes == 1:
            run = ["--standalone"]
        else:  # every node starts the same stages in the same order: the stage's place in the plan is its port
            run = [f"--nnodes={self.nnodes}", f"--node_rank={self.node_rank}", f"--master_addr={self.master_addr}",
                   f"--master_port={self.master_port + index}"]
        return [py, "-m", "torch.distributed.run", *run, "--nproc_per_node", str(self.gpus), "-m", module,
                "--launcher", "pytorch"], {}


def plan(alias: str, profile: str, methods: list[str], seeds: list[int], out: Path, launch: Launch | int = 1,
         weights: dict[str, Path] | None = None, num_classes: int | None = None,
         teacher: Path | dict | None = None, saliency: tuple[Path, str | None] | None = None,
         only: set[str] | None = None, files: dict | None = None, first_index: int = 0,
         named: bool = False) -> list[Stage]:
    """Every stage of the run, launched as ``launch`` says (an int: that many processes on this node); ``weights``:
    method -> released checkpoint imported instead of pretraining, refused when its head does not have the data's
    ``num_classes``; ``saliency``: ``(file, head)`` of the one saliency provider for salient dropping (default: the
    baseline's backbone of the same seed); ``only``: the evaluation stages to plan (``seg_linear``,
    ``seg_segmenter``, ``seg_upernet``, ``det_maskrcnn``, ``robustness``, ``bench_mixing``; None: the backbone's
    standard ones, without ADE20K UperNet and the speed stage; pretraining is always planned),
    e.g. what a paper table's columns read (:func:`table_stages`); ``files``: a table's checkpoint slots
    (``tools.tables.parse_files``): a method option whose value is a slot name takes that file; ``first_index``: the
    place of the first stage in the whole run (several backbones' plans in one run: the ports stay distinct);
    ``named``: the stages' labels name the backbone (those several backbones' plans)."""
    files = files or {}
    weights = weights or {}
    launch = launch if isinstance(launch, Launch) else Launch(gpus=launch)
    check_classes = ["--num-classes", str(num_classes)] if num_classes else []
    cfg = REPO / "configs/pretrain" / f"{alias}.py"
    suite = REPO / "configs/robustness" / f"{profile}.py"
    stages: list[Stage] = []
    pre: dict[tuple[str, int], Stage] = {}
    for seed in seeds:
        for m in methods:
            d = out / alias / m / f"seed{seed}"
            if m in weights:
                pre[(m, seed)] = Stage("import", m, seed, d / "pretrain", [
                    "-m", "pretrain.import_weights", "--model", alias, "--weights", str(weights[m]),
                    "--out", str(d / "pretrain"), "--label", m, "--profile", profile, "--seed", str(seed)]
                    + check_classes,
                    [Path(weights[m]), cfg])
                stages.append(pre[(m, seed)])
                continue
            name, opts = parse_method(m)
            opts = {k: files.get(v, v) for k, v in opts.items()}
            sets = [f"method_kwargs.{name}.{k}={v}" for k, v in opts.items()]
            inputs = [cfg] + [Path(v["checkpoint"] if isinstance(v, dict) else v) for k, v in opts.items()
                              if isinstance(v, (dict, Path))]
            if name == "tokenmix" and teacher is not None and "teacher" not in opts:
                file = Path(teacher["checkpoint"]) if isinstance(teacher, dict) else teacher
                sets, inputs = sets + [f"method_kwargs.tokenmix.teacher={teacher}"], inputs + [file]
            st = Stage("pretrain", m, seed, d / "pretrain",
                       ["-m", "pretrain.train", "--config", str(cfg), "--profile", profile, "--method", name,
                        "--seed", str(seed), "--out", str(d / "pretrain"), "--resume"]
                       + (["--set", *sets] if sets else []), inputs)
            pre[(m, seed)] = st
            stages.append(st)
    for seed in seeds:
        for m in methods:
            d, p = out / alias / m / f"seed{seed}", pre[(m, seed)]
            bb = p.out / "backbone.pth"
            if FAMILY[alias] == "deit":
                for dec in ("linear", "segmenter"):
                    if only is not None and f"seg_{dec}" not in only:
                        continue
                    o = d / "transfer" / f"seg_{dec}"
                    stages.append(Stage(f"seg_{dec}", m, seed, o, [
                        "-m", "transfer.seg", "--backbone", str(bb), "--decoder", dec, "--profile", profile, "--out",
                        str(o)], [bb, REPO / f"configs/transfer/seg_{profile}.py"], [p]))
            if FAMILY[alias] == "deit" and only is not None and "seg_upernet" in only:  # ADE20K: a table's
                o = d / "transfer" / "seg_upernet"
                stages.append(Stage("seg_upernet", m, seed, o, [
                    "-m", "transfer.seg", "--backbone", str(bb), "--decoder", "upernet", "--profile", profile,
                    "--out", str(o)], [bb, REPO / f"configs/transfer/ade20k_{profile}.py"], [p]))
            if FAMILY[alias] == "pvt" and (only is None or "det_maskrcnn" in only):
                o = d / "transfer" / "det_maskrcnn"
                stages.append(Stage("det_maskrcnn", m, seed, o, [
                    "-m", "transfer.det", "--backbone", str(bb), "--profile", profile, "--out", str(o)],
                    [bb, REPO / f"configs/transfer/det_{profile}.py"], [p]))
            if (only is not None and "robustness" not in only) or alias in NO_CLASS_ATTENTION:
                continue  # plain Swin: no class token for the attention metrics (run_all says so at start)
            provider = pre[(BASELINE if BASELINE in methods else methods[0], seed)]
            sal, needs = (saliency[0], [p]) if saliency else (provider.out / "backbone.pth", [p, provider])
            head = ["--saliency-head", saliency[1]] if saliency and saliency[1] is not None else []
            o = d / "robustness"
            stages.append(Stage("robustness", m, seed, o, ["-m", "robustness.run", "--backbone", str(bb), "--suite",
                                                           str(suite), "--out", str(o), "--saliency", str(sal)] + head,
                                [bb, sal, suite], needs))
    if only is not None and "bench_mixing" in only:  # a paper table's speed column: every method paired, one process
        trained = [m for m in methods if m not in weights]
        # one folder per method set: two tables' speed columns (TransMix Table 8, MixPro Table 2) pair different
        # methods and must not overwrite each other's stage in a shared --out
        o = out / alias / "bench_mixing" / hashlib.sha256(",".join(trained).encode()).hexdigest()[:12]
        stages.append(Stage("bench_mixing", "all", seeds[0], o, [
            "-m", "tools.bench_mixing", "--config", str(cfg), "--profile", profile, "--methods", ",".join(trained),
            "--steps", "2" if profile == "tiny" else "8", "--json", str(o / "results.json"), "--stage"], [cfg]))
    for i, st in enumerate(stages):  # "-m MODULE ARGS" -> the launcher's command (the stage's place: its port)
        head, st.env = launch.cmd(st.cmd[1], st.name, first_index + i)
        st.cmd = head + st.cmd[2:]
    if named:  # a table whose rows train several backbones under one --out: say which one each stage is
        for st in stages:
            st.alias = alias
    return stages


# a results path's first key (tools/report.py) -> the stage that writes it
EVAL_STAGES = {"seg_linear": "seg_linear", "seg_segmenter": "seg_segmenter", "seg_upernet": "seg_upernet",
               "det": "det_maskrcnn", "robustness": "robustness", "bench": "bench_mixing"}
STANDARD_STAGES = {"seg_linear", "seg_segmenter", "det_maskrcnn", "robustness"}  # plan(only=None): per family


def table_other_backbones(table: dict) -> dict[str, list[str]]:
    """Rows of a table read from other backbones' runs (``ALIAS:LABEL``, e.g. TransMix Table 7's Swin rows):
    alias -> the method labels to run on it, under the same ``--out``."""
    out: dict[str, list[str]] = {}
    for row in table["rows"]:
        alias, sep, label = row.partition(":")
        if sep:
            out.setdefault(alias, []).append(label)
    return out


def table_stages(table: dict) -> set[str]:
    """The evaluation stages a paper table's columns read (a top-1 table needs pretraining only)."""
    return {EVAL_STAGES[path[0]] for path in table["columns"].values() if path[0] in EVAL_STAGES}


def fmt(s: float) -> str:
    s = int(s)
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


def default_jobs() -> int:
    """Stages side by side: 1 on a GPU machine (the device is the shared resource), 2 on a CPU-only machine with 2 or
    more cores, where two 1-thread stages train DeiT-S faster in all than one 2-thread stage (demo geometry, batch 64:
    bf16 66 + 66 against 90 images/s on an earlier 2-core machine; fp32 41 + 41 in two demo runs against 74 for the
    2-thread step alone on the 2-core machine of 2026-12-07, where bf16 is slow)."""
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


def run_stages(stages: list[Stage], env: dict, jobs: int = 1, node_rank: int = 0,
               rerun: set | frozenset = frozenset()) -> list[Stage]:
    """Run the stages that are not done, up to ``jobs`` at a time in list order as their inputs finish; each stage
    gets ``cpus // n`` threads, ``n`` the stages that run side by side when it starts (up to ``jobs``: a stage that
    starts alone, with nothing else ready, takes all the cores; nothing else can start before it ends; a stage whose
    twin is about to end waits for it, ``_wait_for_twin``). Returns the stages that failed or were skipped because
    an input failed.
    ``node_rank`` > 0: a node other than node 0 of a multi-node run: it takes part in the training stages only (its
    log: ``stage.node<R>.log``), and node 0 (whose global rank 0 writes ``results.json``) records them as done."""
    worker = node_rank > 0
    log_name = f"stage.node{node_rank}.log" if worker else "stage.log"
    t0 = time.time()
    took: dict[str, list[float]] = {}
    todo: list[Stage] = []
    for st in stages:  # not done, asked for again (``rerun``), or downstream of a stage that runs (checked again
        # when its inputs are there: an upstream stage that writes the same bytes leaves it done)
        if (st in rerun or not is_done(st) or any(n in todo for n in st.needs)) and (st.distributed or not worker):
            todo.append(st)
    if worker:
        stages = [st for st in stages if st.distributed]
    print(f"[run_all] {len(stages)} stages, {len(stages) - len(todo)} already done; {jobs} at a time", flush=True)
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
            side = max(1, min(jobs, len(running) + len(ready)))  # stages running once these have started
            threads = str(max(1, cpu_count() // side))
            side_env = {"OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads,
                        "MIXBENCH_STAGES_SIDE_BY_SIDE": str(side)}
            ended = any(p.poll() is not None for p in running)  # a twin that ended in _wait_for_twin: reap it
            while ready and len(running) < jobs and not ended:  # first, so its own next stages count in ``side``
                st = ready.pop(0)
                waiting.remove(st)
                if st not in rerun and st.needs and is_done(st):  # its inputs came out the same: nothing to do
                    print(f"[run_all] {st.label}: inputs unchanged, already done", flush=True)
                    finished.add(st)
                    continue
                started += 1
                st.out.mkdir(parents=True, exist_ok=True)
                with open(st.out / log_name, "a") as log:
                    proc = subprocess.Popen(st.cmd, cwd=REPO, env={**env, **side_env, **st.env}, stdout=log,
                                            stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
                running[proc] = (st, time.time())
                print(f"[run_all] stage {started}/{len(todo)}: {st.label} | elapsed {fmt(time.time() - t0)}, "
                      f"about {fmt(left())} left", flush=True)  # after it joins ``running``: its own time counts
            if not running:
                if waiting and not ready:
                    raise RuntimeError(f"stages wait on each other: {[s.label for s in waiting]}")
                continue
            proc = _wait_any(running)
            st, s0 = running.pop(proc)
            took.setdefault(st.name, []).append(time.time() - s0)
            if proc.returncode != 0 or not (worker or (st.out / "results.json").exists()):
                print(f"[run_all] FAILED {st.label} (exit {proc.returncode}); log: {st.out / log_name}", flush=True)
                failed.append(st)
                continue
            if not worker:
                atomic_write_json(st.out / "stage_key.json", {"key": stage_key(st), "cmd": st.cmd})
            finished.add(st)
            print(f"[run_all] done {st.label} in {fmt(time.time() - s0)}", flush=True)
            _wait_for_twin(running, st, s0)
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


TWIN_GRACE = (0.03, 120.0)  # the wait for a twin: this fraction of the finished stage's time, at most these seconds


def _wait_for_twin(running: dict, st: Stage, s0: float) -> None:
    """Stages that started together on the same work (a pair of pretrainings) end seconds apart. A stage started
    in those seconds would run on one core to its end (its threads are set at start) while the other core idles once
    the twin is done: on the demo a lone third pretraining took 9m13s on one thread against 5-6 min on two. So wait
    for a running twin (same stage, started within 5 s of the finished one) a little: ``TWIN_GRACE``."""
    now = time.time()
    deadline = now + min(TWIN_GRACE[1], TWIN_GRACE[0] * (now - s0))
    twins = [p for p, (o, s1) in running.items() if o.name == st.name and abs(s1 - s0) < 5.0]
    if twins:
        _wait_any(twins, deadline)


def _wait_any(procs, deadline: float = math.inf) -> subprocess.Popen | None:
    """The first of ``procs`` to end; None once ``deadline`` (``time.time()``) has passed with all still running."""
    while True:
        _check_signal()
        for proc in procs:
            if proc.poll() is not None:
                return proc
        if time.time() >= deadline:
            return None
        time.sleep(0.5)


def ensure_data(profile: str, data_root: str | None, wait_s: float = 0) -> Path:
    """The data root; for the built-in profiles the synthetic data is generated here, or (``wait_s`` > 0: a node other
    than node 0, which generates it) waited for."""
    if data_root:
        return Path(data_root)
    if profile not in SCALE:
        env = os.environ.get("DATA_ROOT")
        if not env:
            raise SystemExit("--profile paper needs the real datasets: pass --data-root DIR or set DATA_ROOT "
                             "(layouts: configs/datasets.py)")
        return Path(env)
    root = REPO / "data" / f"synthetic-{SCALE[profile]}"
    from tools.make_synthetic import STAMP, generator_sha
    from tools.make_synthetic import main as make

    if wait_s <= 0:
        make(["--out", str(root), "--scale", SCALE[profile], "--seed", "0"])
        return root
    print(f"[run_all] waiting for node 0 to write {root}", flush=True)
    deadline = time.time() + wait_s
    while time.time() < deadline:
        stamp = root / STAMP
        if stamp.exists() and json.loads(stamp.read_text()).get("generator_sha256") == generator_sha():
            return root
        time.sleep(2)
    raise SystemExit(f"node 0 did not write {root} within {wait_s:.0f} s (is --out/the repository on a shared "
                     "filesystem?)")


def parse_method(label: str) -> tuple[str, dict[str, str]]:
    """A method of the run: ``NAME`` or a variant ``NAME@key=value+key=value`` (the method's own options, as
    ``method_kwargs.NAME.key=value``; e.g. ``transmix@attn_source=rollout``, the paper tables' ablation rows). The
    label names the run's directory and its row in the report."""
    from pretrain.mixing import MIXERS

    name, _, rest = label.partition("@")
    if name not in MIXERS:
        raise SystemExit(f"unknown method {name!r} in {label!r}; valid: {', '.join(MIXERS)}")
    opts: dict[str, str] = {}
    for item in filter(None, rest.split("+")):
        key, eq, value = item.partition("=")
        if not eq or key not in MIXERS[name].options():
            raise SystemExit(f"{label!r}: {item!r} is not KEY=VALUE with KEY an option of {name} "
                             f"({', '.join(MIXERS[name].options())})")
        opts[key] = value
    if rest and not opts:
        raise SystemExit(f"{label!r}: write a variant as {name}@key=value[+key=value]")
    return name, opts


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


def check_teacher(alias: str, profile: str, methods: list[str], weights: dict,
                  teacher: str | None) -> Path | dict | None:
    """TokenMix trains against a frozen teacher: refuse at plan time, before stage 1, when it is asked for without
    one (``--teacher FILE``, ``--teacher TIMM_NAME:FILE`` for any timm model's weights, e.g. ``resnet101:r101.pth``,
    or ``method_kwargs.tokenmix.teacher`` in the config)."""
    if teacher is not None:
        name, sep, file = teacher.partition(":")
        if sep and not Path(teacher).is_file():  # TIMM_NAME:FILE
            import timm

            import pretrain.models  # noqa: F401  (this suite's models)
            if not timm.is_model(name) and name not in ALIASES:
                raise SystemExit(f"--teacher {teacher}: {name!r} is no timm model or alias (TIMM_NAME:FILE)")
            if not Path(file).is_file():
                raise SystemExit(f"--teacher {teacher}: file {file} not found")
            return {"model": name, "checkpoint": str(Path(file).resolve())}
        if not Path(teacher).is_file():
            raise SystemExit(f"--teacher {teacher}: file not found")
        return Path(teacher).resolve()
    if any(parse_method(m)[0] == "tokenmix" and m not in weights and parse_method(m)[1].get("teacher") is None
           for m in methods):  # a variant's own teacher: a table's checkpoint slot or "saliency"
        from pretrain.config import load_config

        cfg = load_config(REPO / "configs/pretrain" / f"{alias}.py", profile)
        if cfg["method_kwargs"].get("tokenmix", {}).get("teacher") is None:
            raise SystemExit("tokenmix needs a frozen teacher: pass --teacher FILE (a hand-off backbone.pth or a "
                             "released checkpoint, e.g. a DeiT or any timm model file), or import TokenMix's "
                             "released weights with --weights tokenmix=FILE")
    return None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model", nargs="?", help=f"backbone alias: {', '.join(ALIASES)}")
    ap.add_argument("--profile", default="demo", choices=["demo", "paper", "tiny"])
    ap.add_argument("--methods", default=None, help=f"comma-separated, NAME or NAME@key=value+key=value (default "
                                                    f"{DEFAULT_METHODS})")
    ap.add_argument("--table", default=None, metavar="KEY|list",
                    help="run the methods of one of the papers' tables and lay it out as the paper does; "
                         "'list' prints them (configs/tables/); only the stages its columns read are run")
    ap.add_argument("--files", default=None, metavar="SLOT=FILE,...",
                    help="with --table: the checkpoints its rows need (--table list names each table's slots)")
    ap.add_argument("--all-stages", action="store_true",
                    help="with --table: also run the backbone's usual evaluation stages, not only the table's")
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--data-root", default=None)
    ap.add_argument("--out", default="runs")
    ap.add_argument("--gpus", type=int, default=1,
                    help="processes per node of a training stage (with --launcher slurm: srun tasks in all)")
    ap.add_argument("--nnodes", type=int, default=int(os.environ.get("NNODES", 1)))
    ap.add_argument("--node-rank", type=int, default=int(os.environ.get("NODE_RANK", 0)))
    ap.add_argument("--master-addr", default=os.environ.get("MASTER_ADDR", "127.0.0.1"))
    ap.add_argument("--master-port", type=int, default=int(os.environ.get("PORT", 29500)),
                    help="the first training stage's port; stage i of the plan uses this + i")
    ap.add_argument("--launcher", default="pytorch", choices=["pytorch", "slurm"],
                    help="pytorch: torchrun on this node (and --nnodes); slurm: every stage an srun job step")
    ap.add_argument("--partition", default=None, help="--launcher slurm: srun -p PARTITION")
    ap.add_argument("--teacher", default=None, metavar="FILE|TIMM_NAME:FILE",
                    help="TokenMix's frozen teacher: a hand-off or a released checkpoint (pretrain.import_weights), "
                         "or any timm model's weights as NAME:FILE (e.g. resnet101:resnet101.pth)")
    ap.add_argument("--saliency", default=None, metavar="FILE[:HEAD]",
                    help="one saliency provider for salient dropping instead of the baseline's backbone: a released "
                         "checkpoint (e.g. DINO's dino_deitsmall16_pretrain.pth:1, Naseer et al.'s: head 1)")
    ap.add_argument("--weights", default=None, metavar="METHOD=FILE,...",
                    help="evaluate released checkpoints instead of pretraining those methods")
    ap.add_argument("--rerun-stale", action="store_true",
                    help="re-run finished stages whose results other code produced (listed at start-up)")
    ap.add_argument("--jobs", type=int, default=None,
                    help="stages run side by side (default: 1 with a GPU, else min(2, CPU cores))")
    args = ap.parse_args(argv)
    from tools.tables import list_tables, load_table, parse_files

    if args.table == "list":
        print(list_tables())
        return 0
    table = load_table(args.table) if args.table else None
    if args.model is None:
        ap.error("the backbone alias is required (or --table list)")
    if table is not None:
        if args.methods is not None:
            raise SystemExit(f"--table {args.table} sets the methods ({', '.join(table['methods'])}); drop --methods")
        if table["missing"]:
            raise SystemExit(f"--table {args.table} cannot run yet: it needs {table['missing']}")
        if args.model not in table["backbones"]:
            print(f"[run_all] note: {table['paper']} {table['table']} ran {', '.join(table['backbones'])}; on "
                  f"{args.model} there are no published numbers to compare with", flush=True)
        args.methods = ",".join(table["methods"])
    elif args.methods is None:
        args.methods = DEFAULT_METHODS
    if args.jobs is not None and args.jobs < 1:
        raise SystemExit(f"--jobs must be 1 or more, got {args.jobs}")
    if args.gpus < 1 or args.nnodes < 1 or not 0 <= args.node_rank < args.nnodes:
        raise SystemExit(f"--gpus {args.gpus} --nnodes {args.nnodes} --node-rank {args.node_rank}: need gpus >= 1, "
                         "nnodes >= 1 and 0 <= node-rank < nnodes")
    if args.launcher == "slurm" and args.nnodes > 1:
        raise SystemExit("--launcher slurm spreads --gpus tasks over the allocation's nodes (GPUS_PER_NODE each): "
                         "run it once, without --nnodes")
    if args.nnodes > 1 and (args.jobs or 1) > 1:
        raise SystemExit(f"--jobs {args.jobs} with --nnodes {args.nnodes}: the nodes must start the training stages "
                         "in the same order, one at a time")
    if args.model not in ALIASES:
        raise SystemExit(f"unknown backbone {args.model!r}; aliases: {', '.join(ALIASES)}")
    if args.model in NO_CLASS_ATTENTION:
        print(f"[run_all] note: {args.model} has no class token: no robustness stage (its attention metrics need one)",
              flush=True)

    methods = [m for m in args.methods.split(",") if m]
    for m in methods:
        parse_method(m)  # refuses unknown methods and options before anything runs
    if len(set(methods)) != len(methods):
        raise SystemExit(f"--methods lists a method twice: {args.methods}")
    seeds = [int(s) for s in args.seeds.split(",")]
    weights = parse_weights(args.weights, methods)
    files = parse_files(args.files, table)
    teacher = check_teacher(args.model, args.profile, methods, weights, args.teacher)
    saliency = None
    if args.saliency:
        f, _, head = args.saliency.partition(":") if not Path(args.saliency).is_file() else (args.saliency, "", "")
        if not Path(f).is_file():
            raise SystemExit(f"--saliency {args.saliency}: file {f} not found")
        if head and head != "mean" and not head.isdigit():
            raise SystemExit(f"--saliency {args.saliency}: the head is 'mean' or an index from 0, got {head!r}")
        saliency = (Path(f).resolve(), head or None)
    t0 = time.time()
    worker = args.node_rank > 0
    root = ensure_data(args.profile, args.data_root, wait_s=3600 if worker else 0)
    env = {**os.environ, "DATA_ROOT": str(root.resolve()), "PYTHONPATH": str(REPO)}
    out = Path(args.out).resolve()
    n_classes = None
    if weights:
        from configs.datasets import dataset_root, imagenet_classes

        n_classes = len(imagenet_classes(dataset_root("imagenet", root)))
    launch = Launch(args.gpus, args.nnodes, args.node_rank, args.master_addr, args.master_port, args.launcher,
                    args.partition)
    only = None if table is None else table_stages(table) | (STANDARD_STAGES if args.all_stages else set())
    others = table_other_backbones(table) if table is not None else {}  # "ALIAS:LABEL" rows
    stages = plan(args.model, args.profile, methods, seeds, out, launch, weights, n_classes, teacher, saliency, only,
                  files, named=bool(others))
    for other, labels in others.items():
        stages += plan(other, args.profile, labels, seeds, out, launch, None, None, teacher, None, only, files,
                       first_index=len(stages), named=True)
    jobs = args.jobs or (1 if args.nnodes > 1 or args.launcher == "slurm" else default_jobs())
    stale = [st for st in stages if is_done(st) and is_stale(st)]
    if stale:
        print(f"[run_all] {len(stale)} finished stage(s) were produced by other code than this checkout's: "
              f"{', '.join(st.label for st in stale)}; "
              + ("re-running them (--rerun-stale)" if args.rerun_stale else
                 "kept (the report marks them); --rerun-stale re-runs them"), flush=True)
    rerun = frozenset(stale) if args.rerun_stale else frozenset()
    signal.signal(signal.SIGTERM, _on_signal)  # `kill` stops the running stages too (run_stages), then exit 143
    if worker:  # node R > 0: the training stages only; node 0 holds the run, records the stages and reports
        try:
            failed = run_stages(stages, env, jobs, args.node_rank, rerun)
        except Interrupted:
            return 143
        print(f"[run_all] node {args.node_rank}: training stages finished ({fmt(time.time() - t0)}); node 0 writes "
              "the report", flush=True)
        return 1 if failed else 0
    from tools.report import write_report

    with RunLock(out / args.model, "run_all"):  # a second run_all on the same --out is refused, naming this one
        try:
            failed = run_stages(stages, env, jobs, rerun=rerun)
        except Interrupted:
            return 143
        report = write_report(out / args.model, args.model, args.profile, methods, seeds, root, BASELINE, table,
                              planned={st.name for st in stages})
    print(f"[run_all] report: {report} ({fmt(time.time() - t0)} in all)", flush=True)
    if failed:
        print(f"[run_all] {len(failed)} stage(s) failed or skipped: {', '.join(s.label for s in failed)}; run the "
              "same command again to retry them", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
