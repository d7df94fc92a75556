"""Training in several processes (learntorch.distributed): the recipes under torchrun, rank 0
alone writing, and a run that fails quickly and clearly when a worker dies or hangs."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
import torch

from learntorch import distributed
from learntorch.paths import ROOT
from test_lessons import checkpoint_files

TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2"]


def smoke_env(tmp_path, **extra) -> dict:
    # TMPDIR: the smoke profile's run folder is a temporary folder, so every file a rank
    # writes lands under tmp_path where the test can count them.
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    return dict(os.environ, LEARNTORCH_PROFILE="smoke", LEARNTORCH_PROGRESS="0", OMP_NUM_THREADS="1",
                TMPDIR=str(scratch), PYTHONPATH=str(ROOT), **extra)


def test_alone_is_a_world_of_one():
    world = distributed.setup()
    assert (world.size, world.rank, world.backend, world.is_main) == (1, 0, None, True)
    batches = [1, 2, 3]
    assert distributed.shard(batches) is batches
    model = torch.nn.Linear(2, 2)
    assert distributed.wrap(model, torch.device("cpu")) is model
    assert distributed.sum_across(1.5, 2) == (1.5, 2)
    assert distributed.from_main(lambda: "made here") == "made here"


def test_shards_cover_each_batch_in_equal_numbers():
    shards = [list(distributed.Shard(range(7), size=3, rank=rank)) for rank in range(3)]
    # Rounds (0 1 2) (3 4 5) (6 . .): the short last round is padded from the start.
    assert shards == [[0, 3, 6], [1, 4, 0], [2, 5, 1]]
    assert [len(distributed.Shard(range(7), 3, rank)) for rank in range(3)] == [3, 3, 3]
    assert [list(distributed.Shard(range(6), 2, rank)) for rank in range(2)] == [[0, 2, 4], [1, 3, 5]]
    assert [list(distributed.Shard([9], 2, rank)) for rank in range(2)] == [[9], [9]]  # fewer batches than processes
    assert [list(distributed.Shard([], 2, rank)) for rank in range(2)] == [[], []]


def test_backend_follows_the_device():
    assert distributed.backend_for(torch.device("cpu")) == "gloo"
    assert distributed.backend_for(torch.device("cuda")) == "nccl"


def test_digits_recipe_under_torchrun_two_processes(tmp_path):
    before = checkpoint_files()
    env = smoke_env(tmp_path)
    result = subprocess.run([*TORCHRUN, "-m", "learntorch.train", "digits"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert lines.count("distributed: world size 2, backend gloo") == 1
    assert sum(line.startswith("saved in ") for line in lines) == 1  # rank 0 alone prints
    written = sorted(path.relative_to(env["TMPDIR"]) for path in (tmp_path / "tmp").rglob("*") if path.is_file())
    assert [path.name for path in written] == ["card.json", "model.safetensors"], written
    assert len({path.parent for path in written}) == 1  # one folder, shared by both ranks
    card = json.loads((tmp_path / "tmp" / written[0]).read_text())
    assert card["distributed"] == {"world_size": 2, "backend": "gloo"}
    assert checkpoint_files() == before


def worker_pids(launcher: subprocess.Popen) -> dict[int, int]:
    """{rank: pid} of the worker processes a torchrun launcher started."""
    import psutil
    workers = {}
    for child in psutil.Process(launcher.pid).children(recursive=True):
        with contextlib.suppress(psutil.Error):
            rank = child.environ().get("RANK")
            if rank is not None and child.environ().get("TORCHELASTIC_RUN_ID") is not None:
                workers[int(rank)] = child.pid
    return workers


@contextlib.contextmanager
def launched(env, *options):
    """torchrun training the digits in two processes, its output gathered in the background."""
    launcher = subprocess.Popen([*TORCHRUN, *options, "-m", "learntorch.train", "digits"], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(launcher.stdout), daemon=True)
    reader.start()
    try:
        yield launcher, output
    finally:
        if launcher.poll() is None:
            os.killpg(launcher.pid, signal.SIGKILL)  # everything this test started
        launcher.wait()
        reader.join(timeout=10)


def wait_for_line(output: list[str], text: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not any(text in line for line in output):
        assert time.monotonic() < deadline, f"no {text!r} after {timeout} s:\n{''.join(output)[-3000:]}"
        time.sleep(0.2)


@pytest.mark.parametrize("failure", ["killed", "stuck"])
def test_a_failing_worker_ends_the_run_with_a_clear_error(tmp_path, failure):
    timeout_s = 10  # LEARNTORCH_DIST_TIMEOUT: how long a process waits for the others
    env = smoke_env(tmp_path, LEARNTORCH_DIST_TIMEOUT=str(timeout_s))
    with launched(env) as (launcher, output):
        wait_for_line(output, "candidate 1", timeout=180)  # the data are loaded: training starts
        workers = worker_pids(launcher)
        assert sorted(workers) == [0, 1], workers
        start = time.monotonic()
        if failure == "killed":  # the worker dies at once (as when the kernel kills it for memory)
            os.kill(workers[1], signal.SIGKILL)
        else:  # the worker stays alive but never answers: rank 0 must give up after timeout_s
            os.kill(workers[1], signal.SIGSTOP)
            wait_for_line(output, "closing signal SIGTERM", timeout=timeout_s + 60)  # rank 0 failed
            assert "Timed out" in "".join(output)
            # torchrun now stops the rest; it would SIGKILL the stopped worker after 30 s,
            # resuming it lets it take the SIGTERM at once.
            os.kill(workers[1], signal.SIGCONT)
        try:
            returncode = launcher.wait(timeout=timeout_s + 60)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the run still hangs {timeout_s + 60} s after a worker was {failure}:\n"
                        + "".join(output)[-3000:])
        waited = time.monotonic() - start
    text = "".join(output)
    assert returncode != 0
    # torchrun's summary names the process that failed first and how it ended.
    assert "learntorch.train FAILED" in text and "Root Cause (first observed failure)" in text, text[-3000:]
    assert waited < timeout_s + 30, f"the run took {waited:.0f} s to fail after a worker was {failure}"
