"""What lesson 14 (many processes) claims, checked: DDP on two processes trains like one process
with the batch doubled, set_epoch changes the order, and workers share one Optuna
study."""

import json

import pytest
import torch
from safetensors.torch import load_file
from torch.utils.data import DistributedSampler

from learntorch import distributed


@pytest.fixture
def smoke_env(monkeypatch, tmp_path):
    monkeypatch.setenv("LEARNTORCH_PROFILE", "smoke")
    monkeypatch.setenv("LEARNTORCH_PROGRESS", "0")
    return tmp_path


def test_ddp_on_two_processes_trains_like_one_process_with_twice_the_batch(smoke_env):
    from learntorch.scaling import ddp_digits
    common = ["--train-size", "512", "--epochs", "2"]
    alone = ddp_digits.main(["--batch-size", "64", "--out", str(smoke_env / "alone"), *common])
    distributed.torchrun("learntorch.scaling.ddp_digits", "--batch-size", "32",
                         "--out", str(smoke_env / "ddp"), *common, nproc=2, timeout_s=300)
    ddp = json.loads((smoke_env / "ddp" / "record.json").read_text())
    assert ddp["world_size"] == 2 and alone["world_size"] == 1
    for one, two in zip(alone["epoch_loss"], ddp["epoch_loss"], strict=True):
        assert abs(one - two) < 1e-5
    weights_alone = load_file(smoke_env / "alone" / "model.safetensors")
    weights_ddp = load_file(smoke_env / "ddp" / "model.safetensors")
    assert max((weights_alone[k] - weights_ddp[k]).abs().max().item() for k in weights_alone) < 1e-4
    assert sorted(path.name for path in (smoke_env / "ddp").iterdir()) == [
        "card.json", "model.safetensors", "record.json"]


def test_without_set_epoch_every_epoch_repeats_the_first_order():
    sampler = DistributedSampler(range(12), num_replicas=2, rank=0, shuffle=True, seed=0)
    assert list(sampler) == list(sampler)
    first = list(sampler)
    sampler.set_epoch(1)
    assert list(sampler) != first and sorted(sampler) != sorted(range(12))  # half of the indices


def test_batch_norm_statistics_differ_between_halves_and_the_whole_batch():
    torch.manual_seed(0)
    norm = torch.nn.BatchNorm1d(3).train()
    batch = torch.randn(8, 3)
    assert (norm(batch) - torch.cat([norm(batch[:4]), norm(batch[4:])])).abs().max() > 0.1


def test_two_workers_share_one_study(smoke_env):
    import optuna
    from learntorch.scaling.tuning_worker import run_workers
    storage = f"sqlite:///{smoke_env / 'study.db'}"
    optuna.create_study(study_name="shared", storage=storage, direction="maximize")
    run_workers(storage, "shared", 2, 3, 1, "--epochs", "1", "--train-size", "128", "--val-size", "64")
    trials = optuna.load_study(study_name="shared", storage=storage).trials
    assert len(trials) == 3 and all(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    assert sorted(t.user_attrs["worker"] for t in trials) == [0, 0, 1]  # 3 trials: 2 + 1

