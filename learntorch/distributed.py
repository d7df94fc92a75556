"""Several processes training one model: what the course's training code needs under ``torchrun``.

``torchrun --nproc-per-node N ...`` starts N copies of a program and tells each, through
environment variables, who it is: ``RANK`` (0 to N-1 over every machine), ``LOCAL_RANK`` (its
number on this machine, which picks its GPU), ``WORLD_SIZE`` (how many processes in all) and
``MASTER_ADDR`` / ``MASTER_PORT`` (where they meet). :func:`setup` reads them and joins the
process group; without them it does nothing, so the same code still runs alone, unchanged.

    torchrun --standalone --nproc-per-node 2 -m learntorch.train digits

Under it, :func:`learntorch.train.fit` wraps the model in ``DistributedDataParallel`` and
gives each process its own share of the batches (:func:`shard`); only rank 0 prints and
writes files (:func:`is_main`).
"""

import contextlib
import datetime
import math
import os
import subprocess
import sys
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

from learntorch.device import pick_device
from learntorch.paths import ROOT

# How long a process waits for the others at a collective operation (an all-reduce, a
# barrier) before it gives up with an error. A stuck process then ends the run instead of
# hanging it forever; LEARNTORCH_DIST_TIMEOUT (seconds) changes it.
TIMEOUT_S = 300.0


@dataclass(frozen=True)
class World:
    """The processes of one run: how many, which one this is, and how they talk."""
    size: int = 1
    rank: int = 0
    local_rank: int = 0
    backend: str | None = None  # None when the process runs alone

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def launched_by_torchrun() -> bool:
    return "RANK" in os.environ and "WORLD_SIZE" in os.environ


def backend_for(device: torch.device) -> str:
    """NCCL talks between NVIDIA GPUs directly; gloo between CPU processes (and anywhere else)."""
    return "nccl" if device.type == "cuda" else "gloo"


def setup(timeout_s: float | None = None) -> World:
    """Join the process group that ``torchrun`` prepared and return this process's :class:`World`.

    The backend follows the device (:func:`backend_for`); on CUDA each process takes the GPU
    numbered by its ``LOCAL_RANK``. A process started without ``torchrun`` is a world of one
    and nothing is set up.
    """
    if not launched_by_torchrun():
        return World()
    if not dist.is_initialized():
        device = pick_device()
        if device.type == "cuda":
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))  # one GPU per process
        timeout_s = timeout_s or float(os.environ.get("LEARNTORCH_DIST_TIMEOUT", TIMEOUT_S))
        # RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT are read from the environment.
        dist.init_process_group(backend_for(device), timeout=datetime.timedelta(seconds=timeout_s))
    return world()


def world() -> World:
    """This process's :class:`World` (a world of one unless :func:`setup` joined a group)."""
    if not (dist.is_available() and dist.is_initialized()):
        return World()
    return World(size=dist.get_world_size(), rank=dist.get_rank(),
                 local_rank=int(os.environ.get("LOCAL_RANK", 0)), backend=dist.get_backend())


def is_main() -> bool:
    """True in rank 0 (and in a process that runs alone): the one that logs and saves."""
    return world().is_main


def cleanup() -> None:
    """Leave the process group (at the end of a run)."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


class Shard:
    """This process's share of ``batches``: batch ``rank``, ``rank + size``, ``rank + 2 size``, ...

    Every process goes through the same batches in the same order (same seed) and keeps one
    in each round of ``size``, so together they cover each batch once. Every process must
    take the same number of steps (one with a step more would wait forever at that step's
    gradient all-reduce), so when the last round is short, the processes left without a
    batch take one again from the start of the epoch, as ``DistributedSampler`` pads its
    indices.
    """

    def __init__(self, batches, size: int, rank: int):
        self.batches, self.size, self.rank = batches, size, rank

    def __len__(self) -> int:
        return math.ceil(len(self.batches) / self.size)

    def __iter__(self):
        first = []  # the epoch's first batches, kept to pad a short last round
        index = -1
        for index, batch in enumerate(self.batches):
            if index < self.rank:
                first.append(batch)
            if index % self.size == self.rank:
                yield batch
        count = index + 1
        short = count % self.size  # batches in the last round, 0 if it was complete
        if short and self.rank >= short:
            yield first[self.rank - short]  # the padded place (count + rank - short) wraps round


def shard(batches):
    """``batches`` itself in a process that runs alone, else this process's :class:`Shard`."""
    current = world()
    return batches if current.size == 1 else Shard(batches, current.size, current.rank)


def wrap(model: nn.Module, device: torch.device) -> nn.Module:
    """``model`` wrapped in ``DistributedDataParallel`` when there are several processes.

    DDP copies rank 0's weights to every process once, then averages the gradients of all
    processes during each ``backward()``, so every optimizer step is the same everywhere.
    Alone, the model itself is returned.
    """
    if world().size == 1:
        return model
    device = torch.device(device)
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return nn.parallel.DistributedDataParallel(model, device_ids=[index])
    return nn.parallel.DistributedDataParallel(model)


def _collective_device() -> torch.device:
    # NCCL moves only GPU tensors; gloo takes CPU tensors.
    return torch.device("cuda", torch.cuda.current_device()) if world().backend == "nccl" else torch.device("cpu")


def sum_across(*numbers: float) -> tuple[float, ...]:
    """Each number summed over every process (the numbers themselves when alone)."""
    if world().size == 1:
        return numbers
    totals = torch.tensor(numbers, dtype=torch.float64, device=_collective_device())
    dist.all_reduce(totals, op=dist.ReduceOp.SUM)
    return tuple(totals.tolist())


def mean_across(*numbers: float) -> tuple[float, ...]:
    """Each number averaged over every process, so that all of them act on the same value."""
    size = world().size
    return numbers if size == 1 else tuple(total / size for total in sum_across(*numbers))


def from_main(make):
    """``make()`` run in rank 0 only, its (picklable) result handed to every process."""
    if world().size == 1:
        return make()
    box = [make() if is_main() else None]
    dist.broadcast_object_list(box, src=0)
    return box[0]


@contextlib.contextmanager
def quiet_unless_main():
    """Inside the block, only rank 0's prints reach the output (errors still do from all)."""
    if is_main():
        yield
        return
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        yield


def torchrun(module: str, *args: str, nproc: int = 2, timeout_s: float = 600,
             threads: int | None = None) -> str:
    """Run ``torchrun --standalone --nproc-per-node nproc -m module args`` and return its output.

    ``--standalone`` lets the processes meet on a free local port. Each process gets
    ``threads`` CPU threads (by default the cores shared out), so that ``nproc`` processes
    do not fight over the same cores. A failed run raises with the end of its output.
    """
    threads = threads or max(1, (os.cpu_count() or 1) // nproc)
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               f"--nproc-per-node={nproc}", "-m", module, *args]
    env = dict(os.environ, OMP_NUM_THREADS=str(threads),
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout_s)
    output = result.stdout + result.stderr
    if result.returncode != 0:
        raise RuntimeError(f"torchrun exited with {result.returncode}:\n{output[-4000:]}")
    return result.stdout
