"""What the digit demo calls: read one drawing or photo with the trained checkpoint."""

from functools import cache

import numpy as np
import torch

from learntorch import checkpoints
from learntorch.digits.model import CLASSES, DigitCNN, normalise_digits
from learntorch.digits.preprocess import to_mnist

CHECKPOINT = checkpoints.CHECKPOINTS_DIR / "digits"


@cache
def demo_model() -> DigitCNN:
    """The demo's checkpoint, loaded once (its weights verified against its card)."""
    return checkpoints.load(DigitCNN, CHECKPOINT)


@torch.no_grad()
def read_digit(image, model: DigitCNN | None = None) -> tuple[dict[str, float], np.ndarray]:
    """Class probabilities for a drawing or photo, and the 28 x 28 uint8 image the model saw."""
    model = model or demo_model()
    seen = to_mnist(image)                                  # (28, 28) in [0, 1]
    logits = model(normalise_digits(seen)[None, None])      # (1, 1, 28, 28) -> (1, 10)
    probabilities = logits.softmax(dim=1)[0]
    return ({label: float(p) for label, p in zip(CLASSES, probabilities)},
            (seen * 255).round().to(torch.uint8).numpy())
