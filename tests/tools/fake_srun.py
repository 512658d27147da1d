#!/usr/bin/env python3
"""A stand-in for SLURM's ``srun`` on one machine (tests only): ``srun [-p P] --ntasks=N [--opt=value ...] CMD ...``
starts N copies of CMD with srun's task variables (``SLURM_PROCID``, ``SLURM_NTASKS``, ``SLURM_LOCALID``,
``SLURM_NODELIST``, ``SLURM_JOB_NAME``), waits for all and exits with the worst status. Every call is appended to
``$FAKE_SRUN_LOG`` (one JSON line: the options and the command) so a test can check what was asked for."""

import json
import os
import subprocess
import sys


def main(argv: list[str]) -> int:
    opts, i = {}, 0
    while i < len(argv) and argv[i].startswith("-"):
        if argv[i] == "-p":
            opts["partition"], i = argv[i + 1], i + 2
            continue
        key, _, value = argv[i].lstrip("-").partition("=")
        opts[key], i = value, i + 1
    cmd = argv[i:]
    if not cmd:
        print("fake srun: no command", file=sys.stderr)
        return 2
    if os.environ.get("FAKE_SRUN_LOG"):
        with open(os.environ["FAKE_SRUN_LOG"], "a") as f:
            f.write(json.dumps({"opts": opts, "cmd": cmd, "master_port": os.environ.get("MASTER_PORT")}) + "\n")
    n = int(opts.get("ntasks", 1))
    procs = [subprocess.Popen(cmd, env={**os.environ, "SLURM_PROCID": str(r), "SLURM_NTASKS": str(n),
                                        "SLURM_LOCALID": str(r), "SLURM_NODELIST": "127.0.0.1",
                                        "SLURM_JOB_NAME": opts.get("job-name", "job")}) for r in range(n)]
    return max(p.wait() for p in procs)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
