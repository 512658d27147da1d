"""Processes, gradient accumulation and random streams that do not depend on the process layout.

The recipe's batch is global (pretraining 1024): ``micro_batch`` images per process per forward, ``world`` processes
and ``accum`` accumulation steps multiply to it on any GPU count, or the run refuses with the numbers. Every
random draw of a training step is keyed by the **global micro-batch index** ``g = step * world * accum + a * world +
rank`` (the a-th accumulation step of a rank): which images micro-batch ``g`` holds (one permutation per epoch,
sliced by ``g``), each image's augmentation (seeded from its position in the epoch), the mixing draws and the model's
own randomness (drop path, dropout). One process with 2 accumulation steps and 2 processes with 1 therefore compute
the same micro-batches; the gradient is their mean either way. There is no random state to carry either: a run
stopped mid-epoch resumes from ``(epoch, step)`` alone.
"""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist


def slurm_environment() -> None:
    """Under ``srun`` (``tools/slurm_train.sh``, one task per GPU) translate SLURM's variables into torch's, as
    MMEngine's ``slurm`` launcher does: rank, world size, local rank, and the first node of the job as master."""
    if "SLURM_PROCID" not in os.environ or "RANK" in os.environ:
        return
    os.environ["RANK"] = os.environ["SLURM_PROCID"]
    os.environ["WORLD_SIZE"] = os.environ.get("SLURM_NTASKS", "1")
    os.environ["LOCAL_RANK"] = os.environ.get("SLURM_LOCALID", "0")
    if "MASTER_ADDR" not in os.environ:
        nodes = os.environ.get("SLURM_NODELIST", "127.0.0.1")
        try:
            first = subprocess.run(["scontrol", "show", "hostname", nodes], capture_output=True, text=True,
                                   check=True).stdout.split()[0]
        except (OSError, subprocess.CalledProcessError, IndexError):
            first = nodes.split(",")[0]
        os.environ["MASTER_ADDR"] = first
    os.environ.setdefault("MASTER_PORT", os.environ.get("PORT", "29500"))


def init_distributed(device: str | None = None, launcher: str = "pytorch"):
    """``(rank, world, device)`` from torchrun's environment (``launcher='pytorch'``) or SLURM's (``'slurm'``);
    a single process without either."""
    if launcher == "slurm":
        slurm_environment()
    world, rank, local = (int(os.environ.get(k, d)) for k, d in (("WORLD_SIZE", 1), ("RANK", 0), ("LOCAL_RANK", 0)))
    if device:
        dev = torch.device(device)
    else:
        dev = torch.device(f"cuda:{local}") if torch.cuda.is_available() else torch.device("cpu")
    if dev.type == "cuda":
        torch.cuda.set_device(dev)
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if dev.type == "cuda" else "gloo")
    return rank, world, dev


@dataclass(frozen=True)
class Layout:
    """How the global batch is split: ``micro_batch`` x ``world`` x ``accum`` = ``global_batch``."""

    global_batch: int
    micro_batch: int
    world: int
    rank: int

    @classmethod
    def resolve(cls, global_batch: int, micro_batch: int | None, world: int, rank: int) -> Layout:
        micro = micro_batch or global_batch // world
        if micro < 2 or micro % 2 or global_batch % (micro * world):
            per = global_batch // world if global_batch % world == 0 else None
            valid = [m for m in range(2, (per or 0) + 1, 2) if per % m == 0][-4:] if per else []
            raise ValueError(f"global batch {global_batch} does not split into even micro-batches of {micro} on "
                             f"{world} process(es): micro_batch x processes x accumulation steps must equal it"
                             + (f"; micro_batch can be {', '.join(map(str, valid))}" if valid else
                                f"; choose a process count that divides {global_batch}"))
        return cls(global_batch, micro, world, rank)

    @property
    def accum(self) -> int:
        return self.global_batch // (self.micro_batch * self.world)

    @property
    def micro_per_step(self) -> int:
        return self.world * self.accum

    def micro_index(self, step: int, a: int) -> int:
        """Global index of this rank's ``a``-th micro-batch of optimizer step ``step`` (within the epoch)."""
        return step * self.micro_per_step + a * self.world + self.rank


def key(*parts) -> int:
    """A 63-bit seed from any parts (run seed, epoch, stream name, index), the same on every process."""
    return int.from_bytes(hashlib.sha256(repr(parts).encode()).digest()[:8], "little") >> 1


def seed_everything(k: int) -> None:
    """Python, numpy and torch (every device) RNGs from one key."""
    random.seed(k)
    np.random.seed(k % 2**32)
    torch.manual_seed(k)


class MicroBatchSampler(torch.utils.data.Sampler):
    """This rank's micro-batches of one epoch, from ``start_step`` on, as lists of ``(image index, sample key)``.

    One permutation per ``(seed, epoch)``; global micro-batch ``g`` holds positions ``g*m .. g*m+m-1`` of it; the
    incomplete last global batch is dropped, so every rank runs the same number of steps."""

    def __init__(self, n: int, layout: Layout, seed: int, epoch: int, start_step: int = 0):
        self.n, self.layout, self.seed, self.epoch, self.start = n, layout, seed, epoch, start_step
        self.steps = n // layout.global_batch
        if self.steps == 0:
            raise ValueError(f"{n} training images are fewer than one global batch ({layout.global_batch})")

    def __iter__(self):
        m = self.layout.micro_batch
        perm = torch.randperm(self.n, generator=torch.Generator().manual_seed(key(self.seed, self.epoch, "order")))
        for step in range(self.start, self.steps):
            for a in range(self.layout.accum):
                g = self.layout.micro_index(step, a)
                yield [(int(perm[p]), key(self.seed, self.epoch, "sample", p)) for p in range(g * m, g * m + m)]

    def __len__(self):
        return (self.steps - self.start) * self.layout.accum


class KeyedDataset(torch.utils.data.Dataset):
    """Serves ``(index, key)``: each image's augmentation draws come from its own key, not from the worker's RNG."""

    def __init__(self, ds):
        self.ds = ds

    def __len__(self):
        return len(self.ds)

    def __getitem__(self, item):
        index, k = item
        seed_everything(k)
        return self.ds[index]
