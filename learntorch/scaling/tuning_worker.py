"""One worker of an Optuna study kept in a database (lesson 14). Start as many as you like, on one
machine or on many: they share the study's trials through its storage.

    optuna create-study --storage sqlite:///study.db --study-name digits --direction maximize
    python -m learntorch.scaling.tuning_worker --storage sqlite:///study.db --study digits --trials 6
"""

import argparse
import os
import subprocess
import sys
import time

import optuna
import torch
from torch.utils.data import DataLoader, TensorDataset

from learntorch.digits.model import normalise_digits
from learntorch.mlp import make_mlp
from learntorch.paths import ROOT
from learntorch.splits import image_splits
from learntorch.train import fit


def digit_data(train_size: int, val_size: int) -> tuple[DataLoader, DataLoader]:
    (train_x, train_y), (val_x, val_y), _ = image_splits("MNIST")

    def as_inputs(images):
        return normalise_digits(images.unsqueeze(1).float() / 255)  # (N, 1, 28, 28)

    train = TensorDataset(as_inputs(train_x[:train_size]), train_y[:train_size])
    val = TensorDataset(as_inputs(val_x[:val_size]), val_y[:val_size])
    return DataLoader(train, batch_size=128, shuffle=True), DataLoader(val, batch_size=1000)


def objective(trial: optuna.Trial, data: tuple[DataLoader, DataLoader], epochs: int, worker: int) -> float:
    """Validation accuracy of an MLP whose width and learning rate the trial chooses."""
    trial.set_user_attr("worker", worker)  # which worker ran it, to look at afterwards
    hidden = trial.suggest_int("hidden", 16, 512, log=True)
    lr = trial.suggest_float("lr", 1e-4, 3e-2, log=True)
    torch.manual_seed(trial.number)
    model = make_mlp([hidden])
    history = fit(model, data[0], torch.optim.Adam(model.parameters(), lr=lr), epochs=epochs,
                  val_loader=data[1], verbose=False)
    return history.val_acc[-1]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storage", required=True, help="database URL, e.g. sqlite:///study.db")
    parser.add_argument("--study", required=True, help="the study's name (created beforehand)")
    parser.add_argument("--trials", type=int, required=True, help="trials this worker runs")
    parser.add_argument("--worker", type=int, default=0, help="this worker's number, also its sampler's seed")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for this worker")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--train-size", type=int, default=5000)
    parser.add_argument("--val-size", type=int, default=2000)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # SQLite lets one process write at a time: wait up to a minute for the others' writes.
    engine = {"connect_args": {"timeout": 60}} if args.storage.startswith("sqlite") else {}
    storage = optuna.storages.RDBStorage(args.storage, engine_kwargs=engine)
    # Each worker samples with its own seed: with one seed they would all propose the same
    # first trials. TPE's constant liar (on by default) steers each worker away from the
    # settings that the others are trying at that moment.
    study = optuna.load_study(study_name=args.study, storage=storage,
                              sampler=optuna.samplers.TPESampler(seed=args.worker))
    data = digit_data(args.train_size, args.val_size)
    study.optimize(lambda trial: objective(trial, data, args.epochs, args.worker), n_trials=args.trials)


def run_workers(storage: str, study: str, workers: int, trials: int, threads: int, *options: str) -> float:
    """Start ``workers`` worker processes that share ``trials`` trials of ``study``, wait for
    them, and return the wall time in seconds."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    start = time.perf_counter()
    processes = [subprocess.Popen([sys.executable, "-m", "learntorch.scaling.tuning_worker",
                                   "--storage", storage, "--study", study, "--worker", str(worker),
                                   "--trials", str(trials // workers + (worker < trials % workers)),
                                   "--threads", str(threads), *options], cwd=ROOT, env=env)
                 for worker in range(workers)]
    failed = [process.args for process in processes if process.wait() != 0]
    if failed:
        raise RuntimeError(f"{len(failed)} of {workers} workers failed: {failed[0]}")
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
