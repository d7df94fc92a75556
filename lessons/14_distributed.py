# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 14. Many processes, many machines

# %% [markdown]
# ## What you will learn
#
# - How data parallelism works: several copies of a model, each computing gradients on its
#   own share of the batch, and an **all-reduce** that averages them. You will do the
#   all-reduce by hand with `torch.distributed`, in two CPU processes.
# - How `DistributedDataParallel` (DDP) does it for you under `torchrun`: `DistributedSampler`
#   and `set_epoch`, logging and saving on rank 0 only, and a measured check that DDP on
#   two processes trains exactly like one process with twice the batch.
# - How the same programs run on several machines (`--nnodes`, rendezvous, NCCL on GPUs),
#   and when to reach for FSDP instead of DDP.
# - How several Optuna workers share one study through a database, measured against a
#   single worker.
#
# ## What this assumes
#
# Lesson 6 (devices and the training loop `fit`), lesson 8 (Optuna) and lesson 13
# (measuring speed). Every process here runs on the CPU; the same programs use NVIDIA
# GPUs, one per process, when there are some.

# %%
import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import optuna
import torch
from safetensors.torch import load_file
from torch.utils.data import DistributedSampler

from learntorch import distributed
from learntorch.device import describe, pick_device
from learntorch.paths import ROOT
from learntorch.profile import pick
from learntorch.scaling import allreduce_by_hand, ddp_digits, tuning_worker
from learntorch.show import show_source

cores = os.cpu_count() or 1
print("torch", torch.__version__, "| optuna", optuna.__version__, "|", cores, "CPU cores |",
      "device:", describe(pick_device()))
print("torch.distributed available:", torch.distributed.is_available(),
      "| gloo:", torch.distributed.is_gloo_available(), "| NCCL:", torch.distributed.is_nccl_available())

# %% [markdown]
# ## Data parallelism
#
# A training step computes the gradient of the batch's mean loss, then updates the
# weights. Cut the batch into N equal shares and the mean loss is the mean of the N
# shares' mean losses, so its gradient is the **mean of the N shares' gradients**. That
# is data parallelism: N processes, each with a full copy of the model, each computing
# the gradient on its own share; then they average their gradients, and every process
# takes the same optimizer step with the same averaged gradient. Their copies of the
# model start equal and stay equal.
#
# Averaging across processes is a **collective** operation: every process takes part,
# and each waits until all have arrived. `torch.distributed` offers them, among others:
#
# - `all_reduce(tensor)`: every process ends with the sum (or max, min, product) of
#   everyone's tensor, in place;
# - `broadcast(tensor, src)`: every process ends with process `src`'s tensor;
# - `gather_object` / `all_gather`: collect one value per process.
#
# The processes form a **process group**. Each has a **rank** (0 to N-1) in a group of
# **world size** N. A **backend** carries the data: **gloo** between CPU processes (and
# across machines over TCP), **NCCL** between NVIDIA GPUs (over NVLink, PCIe or
# InfiniBand). Before the group can form, the processes must find each other: one of
# them listens at an agreed address and port (`MASTER_ADDR`, `MASTER_PORT`), and the
# others connect to it.
#
# **`torchrun`** (installed with PyTorch) starts the processes and tells each one who it
# is through environment variables: `RANK`, `LOCAL_RANK` (its number on this machine),
# `WORLD_SIZE`, `MASTER_ADDR` and `MASTER_PORT`. `dist.init_process_group("gloo")` reads
# them. Here is a program that does one data-parallel step by hand:

# %%
show_source(allreduce_by_hand)

# %% [markdown]
# `distributed.torchrun` runs `torchrun --standalone --nproc-per-node 2 -m MODULE` from
# this notebook and returns what the processes printed (`--standalone` lets them meet on
# a free port of this machine). It gives each process an equal share of the CPU's cores.

# %%
show_source(distributed.torchrun)

# %%
print(distributed.torchrun("learntorch.scaling.allreduce_by_hand", nproc=2))

# %% [markdown]
# Each rank computed a different gradient on its own 32 images; after the all-reduce and
# the division both hold the same numbers, and the largest difference from the gradient
# of all 64 images in one process, printed on the last line of each rank, is at the
# level of float32 rounding (the sums are added in a different order). Every process can
# now take the same optimizer step.
#
# ## DistributedDataParallel under torchrun
#
# Real training wraps the model in `torch.nn.parallel.DistributedDataParallel` instead
# of looping over the parameters. DDP:
#
# - copies rank 0's weights to every process when it is created, so all start equal;
# - registers a hook on every parameter: as `backward()` produces gradients, DDP packs
#   them into buckets of about 25 MB and all-reduces each bucket while the rest of the
#   backward pass is still running, so communication overlaps computation;
# - divides by the world size, so the result is the mean, as above.
#
# Each process also needs **its own share of the data**. `DistributedSampler` shuffles
# the dataset's indices with a seed that every process shares, then gives rank `r` the
# indices `r, r + N, r + 2N, ...` of that order (padding with a few repeats when the
# count does not divide by N). It shuffles with `seed + epoch`, so the program must call
# `sampler.set_epoch(epoch)` at the start of every epoch; without it, every epoch
# repeats the first epoch's order.
#
# Every process runs the whole program, so anything that should happen once needs a
# guard: **logging and saving happen on rank 0**. The weights are equal everywhere, so
# one copy is enough, and two processes writing one file at once could corrupt it. The
# program below trains an MLP on MNIST digits this way. Started alone, it is a world of
# one: no process group, no DDP, plain training.

# %%
show_source(ddp_digits)

# %% [markdown]
# ### The equivalence check, measured
#
# Two processes with 32 images each average their gradients, which is the gradient of
# those 64 images together. With `DistributedSampler`, rank 0's first batch holds
# positions 0, 2, ..., 62 of the shuffled order and rank 1's holds 1, 3, ..., 63:
# together, exactly the first batch of 64 that a single process gets from the same
# shuffle. So DDP on two processes at batch 32 should train exactly like one process at
# batch 64. The model has no dropout and no batch norm, whose randomness and per-process
# statistics would break the exact match (exercise 2). First, one process with the batch
# doubled, run right here in the notebook:

# %%
runs = Path(tempfile.mkdtemp(prefix="ddp-"))
train_size, epochs = pick(smoke=512, full=4096), pick(smoke=1, full=3)
common = ["--train-size", str(train_size), "--epochs", str(epochs)]
alone = ddp_digits.main(["--batch-size", "64", "--out", str(runs / "alone"), *common])
print(f"one process, batch 64: {alone['seconds']:.1f} s")

# %% [markdown]
# Then the same program under `torchrun`, two processes with 32 images each:

# %%
print(distributed.torchrun("learntorch.scaling.ddp_digits", "--batch-size", "32",
                           "--out", str(runs / "ddp"), *common, nproc=2))
ddp = json.loads((runs / "ddp" / "record.json").read_text())
print(f"two processes, batch 32 each: {ddp['seconds']:.1f} s")

# %%
print(f"{'epoch':>5} {'1 process, batch 64':>22} {'DDP, 2 x batch 32':>20} {'difference':>11}")
for epoch, (one, two) in enumerate(zip(alone["epoch_loss"], ddp["epoch_loss"]), 1):
    print(f"{epoch:>5} {one:>22.6f} {two:>20.6f} {abs(one - two):>11.1e}")
weights_alone, weights_ddp = load_file(runs / "alone" / "model.safetensors"), load_file(runs / "ddp" / "model.safetensors")
largest = max((weights_alone[name] - weights_ddp[name]).abs().max().item() for name in weights_alone)
size = max(weights_alone[name].abs().max().item() for name in weights_alone)
print(f"after training: largest difference between the two models' weights {largest:.1e} "
      f"(largest weight {size:.2f})")
print("files written by the DDP run (rank 0 only):", sorted(path.name for path in (runs / "ddp").iterdir()))

# %% [markdown]
# The two runs agree to within float32 rounding: the same numbers are summed in a
# different order (two halves, then the all-reduce), and each optimizer step carries
# those tiny differences forward, which is why the weights differ by the small amount
# printed while the losses agree to more digits. One checkpoint and one record were
# written, by rank 0.
#
# What about speed? On one CPU, two processes with one thread each do the same
# arithmetic as one process with two threads. The processes add an all-reduce after
# every step; the threads must split every small operation between them, which steps
# this small do poorly. Which of the two finished first here is printed above (on a
# machine busy with other work, processes and threads also win different shares of the
# cores). DDP is built for the case where each process has a device of its own: one
# process per GPU, so N GPUs do N times the arithmetic per step, as long as the
# all-reduce keeps up.
#
# ### The course's own training code
#
# `learntorch.train.fit` and the next-word training loop do all of this themselves when
# `torchrun` starts them: `learntorch.distributed.setup()` joins the process group (NCCL on
# CUDA, gloo otherwise, each process on the GPU of its `LOCAL_RANK`), the model is wrapped
# in DDP, and each process takes its own share of the batches:

# %%
show_source(distributed.Shard)

# %% [markdown]
# A batch iterable like the course's `ImageBatches` is not a `Dataset`, so it cannot take
# a `DistributedSampler`; instead every process walks through the same seeded batches and
# keeps every N-th one. A process with one step more than the others would wait forever
# at its gradient all-reduce, so a short last round is padded, as `DistributedSampler`
# pads its indices. Each process keeps the recipe's batch size, so the batch of all
# processes together is N times larger (section 5 of lesson 13 says what that asks of the
# learning rate). So every demo recipe also runs as
#
# ```bash
# torchrun --standalone --nproc-per-node 2 -m learntorch.train digits
# ```
#
# which prints `distributed: world size 2, backend gloo` (`nccl` on GPUs); rank 0 alone
# prints the log and writes the checkpoint and its card, which records the world size.
#
# A distributed run can also fail in new ways. If a process dies (a crash, out of memory),
# `torchrun` stops the others and ends with an error that names the rank that failed
# first and how it ended. If a process hangs instead, the others would wait at the next
# collective forever; `init_process_group(timeout=...)` bounds that wait, and the course
# sets it to 300 s (`LEARNTORCH_DIST_TIMEOUT` changes it), after which the waiting
# processes raise an error and `torchrun` ends the run.
#
# ## Beyond one machine
#
# Nothing in these programs says "one machine". On a cluster, start the same `torchrun`
# command on every machine (every **node**) and tell it how many nodes to wait for and
# where to meet:
#
# ```bash
# # on each of 2 machines with 8 GPUs each: 16 processes in all
# torchrun --nnodes 2 --nproc-per-node 8 \
#     --rdzv-backend c10d --rdzv-endpoint node0.cluster:29400 --rdzv-id digits-42 \
#     -m learntorch.train digits
# ```
#
# - `--rdzv-backend c10d --rdzv-endpoint host:port` is the **rendezvous**: the node at
#   that address hosts a small key-value store, and the others connect to it to agree on
#   who is who; `--rdzv-id` names the job, so two jobs cannot mix. Ranks are handed out when all
#   have arrived: `RANK` runs over all 16 processes, `LOCAL_RANK` from 0 to 7 on each
#   machine (so each process takes GPU `LOCAL_RANK`).
# - `--nnodes 1:4` allows between 1 and 4 nodes (an **elastic** job), and
#   `--max-restarts 3` restarts all the workers after a failure; a program that loads its
#   last checkpoint when it starts then carries on from there, so save one regularly.
# - On GPUs the backend is **NCCL**, which moves gradients over NVLink between the GPUs
#   of one machine and over InfiniBand or Ethernet between machines. `NCCL_DEBUG=INFO`
#   shows what it found; `NCCL_SOCKET_IFNAME=eth0` picks the network interface when it
#   guesses wrong. Under a scheduler such as Slurm, `srun` starts one `torchrun` per node.
#
# The rendezvous can be tried on one machine, two `torchrun` commands playing two nodes
# of one process each. This is how to check launch lines before a cluster is at hand:

# %%
def as_two_nodes(module: str) -> str:
    """Start ``module`` as two nodes of one process each, meeting by c10d rendezvous on a free
    port of this machine; return what node 0's processes printed."""
    with socket.socket() as probe:  # ask the system for a free port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = dict(os.environ, OMP_NUM_THREADS=str(max(1, cores // 2)), PYTHONPATH=str(ROOT))
    nodes = [subprocess.Popen([sys.executable, "-m", "torch.distributed.run", "--nnodes", "2",
                               "--nproc-per-node", "1", "--rdzv-backend", "c10d",
                               "--rdzv-endpoint", f"127.0.0.1:{port}", "--rdzv-id", "two-nodes",
                               "-m", module], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
             for _ in range(2)]
    outputs = [node.communicate(timeout=600)[0] for node in nodes]
    if any(node.returncode for node in nodes):
        raise RuntimeError(f"a node failed: exit codes {[node.returncode for node in nodes]}")
    return "".join(outputs)  # only rank 0 prints, on whichever node it landed


print(as_two_nodes("learntorch.scaling.allreduce_by_hand"))

# %% [markdown]
# Two launchers, each with one process, met through the rendezvous and formed a world
# of two; the gradients match as before.
#
# ### When the model does not fit: FSDP
#
# DDP keeps a full copy of everything in every process: the weights, their gradients and
# the optimizer's state. With Adam in float32 that is 16 bytes per parameter (the
# weight, its gradient and Adam's two running averages, 4 bytes each; mixed precision
# adds 16-bit working copies), so a model of one billion parameters needs 16 GB on each
# GPU before a single activation is stored. **Fully Sharded Data Parallel** (FSDP) is still data parallelism,
# but each of N processes keeps only 1/N of the weights, gradients and optimizer state.
# Before a layer runs, its full weights are gathered from all processes (all-gather) and
# freed right after; its gradients are summed and scattered back in shares
# (reduce-scatter). Memory per GPU falls by about N, for more communication per step.
# In current PyTorch you apply `torch.distributed.fsdp.fully_shard` to each large block
# of the model and then to the model itself, under the same `torchrun` launch. Use DDP
# while the model, its gradients and its optimizer state fit on one GPU (simpler, less
# traffic); reach for FSDP when they do not, or when the memory they free lets you use
# much larger batches.
#
# ## Optuna with several workers
#
# A hyperparameter search (lesson 8) parallelises more easily than training: trials are
# independent. Optuna keeps a study's trials in a **storage**; with a database as
# storage, any number of processes, on any number of machines, can work on one study.
# Each worker loads the study, asks the sampler for settings (the sampler reads every
# trial in the database, whoever ran it), runs the trial and writes the result back. A
# worker is an ordinary program:

# %%
show_source(tuning_worker.objective)

# %%
show_source(tuning_worker.main)

# %% [markdown]
# Here the database is a **SQLite** file: no server to run. SQLite lets one process write
# at a time and the others wait their turn, which a few workers on one machine manage;
# Optuna's documentation advises against it for parallel work beyond that, where a
# server database or Optuna's `JournalStorage` with a `JournalFileBackend` file serves
# better. First the study is
# created, once; then the workers start. `run_workers` starts them as separate processes
# and measures the wall time until the last one is done:

# %%
show_source(tuning_worker.run_workers)

# %% [markdown]
# The measurement: the same number of trials, once with one worker using all the cores
# and once with two workers sharing them, one core each.

# %%
optuna.logging.set_verbosity(optuna.logging.WARNING)
storage = f"sqlite:///{Path(tempfile.mkdtemp(prefix='optuna-')) / 'studies.db'}"
n_trials = pick(smoke=2, full=12)
size_options = ["--epochs", str(pick(smoke=1, full=3)), "--train-size", str(pick(smoke=512, full=5000)),
                "--val-size", str(pick(smoke=256, full=2000))]
wall_seconds, studies = {}, {}
for workers in (1, 2):
    name = f"digits-{workers}-workers"
    optuna.create_study(study_name=name, storage=storage, direction="maximize")
    wall_seconds[workers] = tuning_worker.run_workers(storage, name, workers, n_trials,
                                                      max(1, cores // workers), *size_options)
    studies[workers] = optuna.load_study(study_name=name, storage=storage)
for workers, study in studies.items():
    done = sum(trial.state == optuna.trial.TrialState.COMPLETE for trial in study.trials)
    print(f"{workers} worker(s) x {max(1, cores // workers)} thread(s): {done} trials in "
          f"{wall_seconds[workers]:5.1f} s, best validation accuracy {study.best_value:.4f}")
print(f"two workers took {wall_seconds[2] / wall_seconds[1]:.2f} x the wall time of one")

# %% [markdown]
# Two effects decide which setup finishes first, and the measurement above shows which
# won here. A trial of this small model cannot keep two threads busy (its steps are too
# small to split well), which favours two workers with one thread each. Against that,
# every worker pays to start (Python, PyTorch, the data) and the workers wait for each
# other's writes to the database, costs that a short study feels and a long one hardly
# does. On a cluster each machine, or each GPU, runs its own workers, and the trials
# per hour grow with their number as long as the database keeps up.
#
# The trials of the two-worker study, in the order the database numbered them:

# %%
table = studies[2].trials_dataframe(attrs=("number", "value", "params", "user_attrs", "duration"))
table["duration"] = table["duration"].dt.total_seconds().round(1)
table.columns = [column.removeprefix("params_").removeprefix("user_attrs_") for column in table.columns]
print(table.to_string(index=False))

# %% [markdown]
# The `worker` column shows the two workers' trials interleaved in one numbering: each
# worker asked the shared study for its next trial while the other was busy.
#
# On a cluster the database is a server that every machine can reach, such as
# PostgreSQL. Install a driver where the workers run (`pip install psycopg2-binary`),
# create the study once, then start workers on every machine with the same storage URL:
#
# ```bash
# export STORAGE=postgresql+psycopg2://optuna:PASSWORD@db.cluster:5432/optuna
# optuna create-study --storage $STORAGE --study-name digits --direction maximize
# # on every machine, as many as it has cores or GPUs for:
# python -m learntorch.scaling.tuning_worker --storage $STORAGE --study digits --worker 1 --trials 50
# ```
#
# A worker that is killed in the middle of a trial leaves it marked as running forever.
# `RDBStorage(url, heartbeat_interval=60, grace_period=120)` makes each worker record a
# heartbeat; a trial whose heartbeat has stopped is marked as failed when a worker next
# asks for a trial (and `optuna.storages.RetryHeartbeatStaleTrialCallback` can retry it).
#
# ## Recap
#
# - Data parallelism: every process holds the whole model and computes gradients on its
#   share of the batch; an all-reduce averages them, so all processes take the same
#   step. With equal shares that is exactly training on the whole batch at once.
# - `torchrun` starts the processes and passes `RANK`, `LOCAL_RANK`, `WORLD_SIZE`,
#   `MASTER_ADDR` and `MASTER_PORT`; `init_process_group` forms the group (gloo on CPUs,
#   NCCL on GPUs), with a timeout so that a hung process ends the run.
# - `DistributedDataParallel` broadcasts the starting weights and all-reduces gradients
#   in buckets during `backward()`; `DistributedSampler` gives each rank its share of the
#   examples and needs `set_epoch` every epoch. Log and save on rank 0 only.
# - DDP on two processes at batch 32 trained like one process at batch 64, to float32
#   rounding, measured above.
# - Several machines: the same command on each node with `--nnodes` and a c10d
#   rendezvous; NCCL between GPUs. FSDP shards weights, gradients and optimizer state
#   when a full copy per GPU does not fit.
# - Optuna workers in separate processes share one study through a database: SQLite on
#   one machine, a server such as PostgreSQL on a cluster; one sampler seed per worker.
#
# ## Exercises
#
# Each exercise has a worked solution under it. Try it yourself first, then open the
# solution and compare.
#
# **1.** Forget `set_epoch`: which indices does rank 0 of two get from a
# `DistributedSampler` over 12 examples in three epochs, without and with
# `sampler.set_epoch(epoch)`?

# %% tags=["solution"]
dataset = list(range(12))  # a sampler only needs the length
for calls_set_epoch in (False, True):
    # num_replicas and rank given explicitly: no process group is needed to try a sampler
    sampler = DistributedSampler(dataset, num_replicas=2, rank=0, shuffle=True, seed=0)
    orders = []
    for epoch in range(3):
        if calls_set_epoch:
            sampler.set_epoch(epoch)
        orders.append(list(sampler))
    print(f"set_epoch {'called' if calls_set_epoch else 'never called'}: {orders}")
# The sampler shuffles with seed + epoch, and its epoch stays 0 until set_epoch changes
# it: without the call every epoch repeats the first order, the model sees the same
# batches in the same order every epoch, and rank 0 never sees the examples that went
# to rank 1 in that order.

# %% [markdown]
# **2.** Batch norm breaks the exact equivalence of DDP and one process with the batch
# doubled. Show why on one `BatchNorm1d` layer in training mode: compare its output for a
# batch of 8 with its outputs for the two halves of that batch.

# %% tags=["solution"]
torch.manual_seed(0)
norm = torch.nn.BatchNorm1d(3).train()
batch = torch.randn(8, 3)
whole = norm(batch)
halves = torch.cat([norm(batch[:4]), norm(batch[4:])])  # each "process" normalises its own half
print(f"largest difference, whole batch against two halves: {(whole - halves).abs().max():.3f}")
print("means used, whole batch:", " ".join(f"{mean:+.3f}" for mean in batch.mean(0).tolist()))
print("means used, first half: ", " ".join(f"{mean:+.3f}" for mean in batch[:4].mean(0).tolist()))
# In training mode batch norm normalises with the mean and variance of the batch it is
# given. Under DDP each process gives it only its own share, so the statistics, and with
# them the outputs and gradients, differ from one process normalising the whole batch.
# (Dropout differs too: each process draws its own masks.) nn.SyncBatchNorm computes the
# statistics over all processes at the cost of a collective per layer; it runs on GPUs.
# With reasonably large shares per process, plain batch norm works well in practice.

# %% [markdown]
# **3.** How many bytes does DDP all-reduce per step for the MLP above and for the digit
# CNN of lesson 9? In a ring all-reduce each of N processes sends 2(N-1)/N times that
# amount: how much is it for 2 and for 8 processes?

# %% tags=["solution"]
from learntorch.digits.model import DigitCNN
from learntorch.mlp import make_mlp

for name, model in (("MLP 784-128-10", make_mlp([128])), ("digit CNN", DigitCNN())):
    gradient_bytes = sum(p.numel() * p.element_size() for p in model.parameters() if p.requires_grad)
    sent = {n: 2 * (n - 1) / n * gradient_bytes for n in (2, 8)}
    print(f"{name:<15} gradients {gradient_bytes / 1e6:5.2f} MB per step; each process sends "
          f"{sent[2] / 1e6:5.2f} MB with 2 processes, {sent[8] / 1e6:5.2f} MB with 8")
# A ring all-reduce passes chunks around a ring of processes: N-1 rounds to sum them
# (reduce-scatter), N-1 rounds to share the sums (all-gather), each round moving 1/N of
# the data. What each process sends therefore hardly grows with N (it tends to twice the
# gradients), which is why data parallelism scales to many GPUs, as long as the network
# carries that much in less time than a backward pass takes.

# %% [markdown]
# **4.** The course's `Shard` gives each of N processes every N-th batch. For 10 batches
# and 4 processes, which batches does each process train on, and which are repeats?

# %% tags=["solution"]
batches = list(range(10))
for rank in range(4):
    mine = list(distributed.Shard(batches, size=4, rank=rank))
    print(f"rank {rank}: batches {mine}")
# Rounds of 4: (0 1 2 3), (4 5 6 7), (8 9 . .). The last round has two batches, so ranks
# 2 and 3 take batches 0 and 1 again, like DistributedSampler's padding: every process
# takes 3 steps, and every batch is used at least once.

# %% [markdown]
# **5.** Look inside the two-worker study: how many trials did each worker run, how long
# did its trials take on average, and did the two workers ever try nearly the same
# settings?

# %% tags=["solution"]
import itertools
import math

trials = [trial for trial in studies[2].trials if trial.state == optuna.trial.TrialState.COMPLETE]
for worker in sorted({trial.user_attrs["worker"] for trial in trials}):
    own = [trial for trial in trials if trial.user_attrs["worker"] == worker]
    mean = sum(trial.duration.total_seconds() for trial in own) / len(own)
    print(f"worker {worker}: {len(own)} trials, {mean:.1f} s each on average")
pairs = [(a, b) for a, b in itertools.combinations(trials, 2) if a.user_attrs["worker"] != b.user_attrs["worker"]]
if pairs:
    def distance(a, b):  # on log scales, where both parameters were sampled
        return max(abs(math.log(a.params[key] / b.params[key])) for key in ("hidden", "lr"))
    a, b = min(pairs, key=lambda pair: distance(*pair))
    overlapped = a.datetime_start < b.datetime_complete and b.datetime_start < a.datetime_complete
    print(f"closest pair from different workers: trial {a.number} (hidden {a.params['hidden']}, "
          f"lr {a.params['lr']:.2g}) and trial {b.number} (hidden {b.params['hidden']}, lr {b.params['lr']:.2g}); "
          f"they {'ran at the same time' if overlapped else 'ran one after the other'}")
# run_workers gave each worker half of the trials. TPE draws a study's first 10 trials
# at random (its n_startup_trials) and only then models the results; each worker draws
# with its own seed, so with one shared seed the two would have drawn the same settings.
# After that, TPE reads every finished trial in the database, whoever ran it, and its
# constant liar counts the trials still running elsewhere as bad results, so a worker
# avoids proposing what another is trying at that moment. Settings close to an earlier,
# finished trial are another matter: refining near good results is what TPE is for.

# %% [markdown]
# ## Next
#
# The models are trained; the last step is to put one in front of people.
# [Lesson 15: From a trained model to a demo](../15_model_to_demo/) saves and resumes
# training, exports a model and serves it with Gradio.
