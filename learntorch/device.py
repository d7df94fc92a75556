"""Where tensors live and how runs are made repeatable."""

import os
import platform
import random

import numpy as np
import torch


def pick_device(name: str | None = None) -> torch.device:
    """The best device here: CUDA, then Apple's MPS, then the CPU.

    ``name`` (or the ``LEARNTORCH_DEVICE`` environment variable) overrides the choice,
    e.g. ``"cpu"`` to compare speeds on a machine that has a GPU.
    """
    name = name or os.environ.get("LEARNTORCH_DEVICE")
    if name:
        device = torch.device(name)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(f"device {name!r} asked for, but CUDA is not available here")
        if device.type == "mps" and not torch.backends.mps.is_available():
            raise RuntimeError(f"device {name!r} asked for, but MPS is not available here")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def describe(device: torch.device | str) -> str:
    """A human name for a device: the GPU's model, or the CPU and its thread count."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    if device.type == "mps":
        return f"Apple MPS ({platform.machine()})"
    threads = torch.get_num_threads()
    return f"cpu ({threads} thread{'' if threads == 1 else 's'}, {platform.machine()})"


def provenance(device: torch.device | str) -> dict:
    """What a model card records about the device that trained a model."""
    device = torch.device(device)
    record = {"device": describe(device)}
    if device.type == "cuda":
        record["cuda_version"] = torch.version.cuda
    return record


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and PyTorch (all devices) so a run can be repeated."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
