"""Save a training run part-way and resume it exactly where it stopped (lesson 15).

A run is more than its weights. To continue as if it had never stopped, the file must
also hold the optimizer's state (Adam's running averages), the scheduler's and the
gradient scaler's, how many epochs are done, and the state of every random number
generator the run draws from: Python's, NumPy's, torch's on the CPU and on each CUDA
device, and any ``torch.Generator`` of its own (a DataLoader's shuffling one, say).

The file is written with ``torch.save`` and read back with ``weights_only=True``: it
holds only tensors, numbers, strings, lists and dicts, so loading it runs no code.
"""

import os
import random
from pathlib import Path

import numpy as np
import torch


def rng_states() -> dict:
    """The state of every global random number generator, in types ``weights_only`` accepts."""
    kind, key, position, has_gauss, gauss = np.random.get_state()
    states = {"python": random.getstate(),
              "numpy": [kind, key.tolist(), position, has_gauss, gauss],  # a list, not an ndarray
              "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()  # one per GPU
    return states


def set_rng_states(states: dict) -> None:
    """Put back what :func:`rng_states` returned."""
    python_version, python_state, python_gauss = states["python"]
    random.setstate((python_version, tuple(python_state), python_gauss))
    kind, key, position, has_gauss, gauss = states["numpy"]
    np.random.set_state((kind, np.array(key, dtype=np.uint32), position, has_gauss, gauss))
    torch.set_rng_state(states["torch"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"][:torch.cuda.device_count()])


def save_run(path, *, model, optimizer, epoch: int, scheduler=None, scaler=None,
             generators: dict[str, torch.Generator] | None = None, **extra) -> Path:
    """Write everything needed to resume after ``epoch`` epochs into ``path``.

    ``generators`` names the run's own ``torch.Generator`` s; ``extra`` holds anything
    else plain (a history of losses, say). The file is replaced atomically, so a crash
    while saving leaves the previous one intact.
    """
    path = Path(path)
    state = {"epoch": epoch,
             "model": model.state_dict(),
             "optimizer": optimizer.state_dict(),
             "scheduler": scheduler.state_dict() if scheduler is not None else None,
             "scaler": scaler.state_dict() if scaler is not None else None,
             "rng": rng_states(),
             "generators": {name: g.get_state() for name, g in (generators or {}).items()},
             "extra": extra}
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    torch.save(state, partial)
    os.replace(partial, path)  # atomic: readers see the old file or the new one, never half of it
    return path


def load_run(path, *, model, optimizer, scheduler=None, scaler=None,
             generators: dict[str, torch.Generator] | None = None) -> dict:
    """Restore a run saved by :func:`save_run` into freshly built objects; return the saved
    dict (``["epoch"]`` epochs are done, ``["extra"]`` holds the extras).

    Everything is read onto the CPU (RNG states must live there); ``load_state_dict``
    then copies the weights and the optimizer's state to wherever the model is.
    """
    state = torch.load(path, map_location="cpu", weights_only=True)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    for name, target in (("scheduler", scheduler), ("scaler", scaler)):
        if (target is None) != (state[name] is None):
            raise ValueError(f"{path}: a {name} was {'not ' if state[name] is None else ''}saved, "
                             f"but one was {'' if target is not None else 'not '}given")
        if target is not None:
            target.load_state_dict(state[name])
    generators = generators or {}
    if set(generators) != set(state["generators"]):
        raise ValueError(f"{path}: saved generators {sorted(state['generators'])}, given {sorted(generators)}")
    for name, generator in generators.items():
        generator.set_state(state["generators"][name])
    set_rng_states(state["rng"])
    return state
