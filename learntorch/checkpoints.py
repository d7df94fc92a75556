"""Demo checkpoints: weights in safetensors plus a model card, never a pickle.

``checkpoints/<name>/`` holds ``model.safetensors`` and ``card.json`` (architecture
arguments, classes, data and split, test metrics, epochs, wall time, the device that
trained it, torch version, git commit and the weights' SHA-256). Loading checks the
SHA-256 first and then loads with ``strict=True``, so a corrupted or mismatched file
is an error with a clear message, not a silently wrong model.

Only ``python -m learntorch.train`` writes ``checkpoints/``. A lesson that runs a recipe
writes into ``runs/<name>/`` instead (ignored by git), so running a lesson never
replaces a demo's model.

Under ``torchrun`` only rank 0 writes; every process agrees on the folder (rank 0's).
"""

import datetime
import hashlib
import json
import os
import subprocess
import tempfile
from pathlib import Path

import torch
from safetensors.torch import load_model, save_model
from torch import nn

from learntorch import distributed
from learntorch.paths import CHECKPOINTS_DIR, ROOT, RUNS_DIR  # noqa: F401  (CHECKPOINTS_DIR: checkpoints.CHECKPOINTS_DIR)
from learntorch.profile import is_smoke

WEIGHTS = "model.safetensors"
CARD = "card.json"


class CheckpointError(RuntimeError):
    """A checkpoint is missing, corrupted, or does not fit the model built for it."""


def run_folder(name: str) -> Path:
    """Where a recipe saves its model unless told otherwise: ``runs/<name>/`` in the full
    profile, a fresh temporary folder in the smoke profile. Never ``checkpoints/``."""
    if is_smoke():  # made by rank 0 alone, so several processes share one folder
        return Path(distributed.from_main(lambda: tempfile.mkdtemp(prefix=f"{name}-")))
    return RUNS_DIR / name


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _git_commit() -> str:
    """The commit of the code that is running; ``LEARNTORCH_COMMIT`` names it for a copy of
    the code without its git history (an exported tree on another machine)."""
    if os.environ.get("LEARNTORCH_COMMIT"):
        return os.environ["LEARNTORCH_COMMIT"]
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def save(model: nn.Module, folder: Path, card: dict) -> dict:
    """Write ``model``'s weights and ``card`` (completed with provenance) into ``folder``.

    With several processes (``torchrun``) the card records their number, and only rank 0
    writes: the others return the card as given, unwritten.
    """
    current = distributed.world()
    if current.size > 1:
        card = {**card, "distributed": {"world_size": current.size, "backend": current.backend}}
        if not current.is_main:
            return card
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    weights = folder / WEIGHTS
    save_model(model, str(weights))  # handles tied weights, unlike a plain save_file
    card = {**card,
            "parameters": sum(p.numel() for p in model.parameters()),
            "torch_version": torch.__version__,
            "commit": _git_commit(),
            "saved_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "weights": WEIGHTS,
            "sha256": _sha256(weights)}
    (folder / CARD).write_text(json.dumps(card, indent=2) + "\n")
    return card


def load_card(folder: Path) -> dict:
    path = Path(folder) / CARD
    if not path.is_file():
        raise CheckpointError(f"no model card at {path}: train it with `python -m learntorch.train`")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise CheckpointError(f"{path} is not valid JSON ({error})") from error


def load(cls: type[nn.Module], folder: Path, **extra_args) -> nn.Module:
    """A ``cls`` built with the arguments on ``folder``'s card (plus ``extra_args``), its
    verified weights loaded, in eval mode."""
    card = load_card(folder)
    model = cls(**card["architecture"]["args"], **extra_args)
    load_weights(model, folder)
    return model.eval()


def load_weights(model: nn.Module, folder: Path) -> dict:
    """Load ``folder``'s verified weights into ``model`` (strictly) and return its card."""
    folder = Path(folder)
    card = load_card(folder)
    weights = folder / card.get("weights", WEIGHTS)
    if not weights.is_file():
        raise CheckpointError(f"weights file {weights} is missing")
    actual = _sha256(weights)
    if actual != card.get("sha256"):
        raise CheckpointError(f"{weights} does not match its card (sha256 {actual[:12]}..., card says "
                              f"{str(card.get('sha256'))[:12]}...): the file is corrupted or was "
                              f"replaced; retrain it with `python -m learntorch.train`.")
    try:
        load_model(model, str(weights), strict=True, device="cpu")
    except (RuntimeError, ValueError, OSError) as error:
        raise CheckpointError(f"{weights} does not fit {type(model).__name__}: {error}") from error
    return card
