"""What the garment demo calls: name the garment in one photo with the trained checkpoint."""

from functools import cache

import numpy as np
import torch

from learntorch import checkpoints
from learntorch.data import FASHION_CLASSES
from learntorch.fashion.model import FashionTransferNet
from learntorch.fashion.preprocess import to_fashion
from learntorch.shared_forward import SharedForward

CHECKPOINT = checkpoints.CHECKPOINTS_DIR / "fashion"


@cache
def demo_model() -> FashionTransferNet:
    """The demo's checkpoint, loaded once (its weights verified against its card)."""
    return checkpoints.load(FashionTransferNet, CHECKPOINT, pretrained=False)


@cache
def shared_demo_model() -> SharedForward:
    """The demo's model, shared by the requests that arrive together (one forward pass)."""
    return SharedForward(demo_model())


@torch.no_grad()
def classify_garment(image, model: FashionTransferNet | SharedForward | None = None) -> tuple[dict[str, float], np.ndarray]:
    """Class probabilities for a photo, and the 28 x 28 uint8 image the model saw."""
    model = model or shared_demo_model()
    seen = to_fashion(image)                                    # (28, 28) in [0, 1]
    probabilities = model(seen[None, None]).softmax(dim=1)[0]   # (1, 1, 28, 28) -> (10,)
    return ({label: float(p) for label, p in zip(FASHION_CLASSES, probabilities)},
            (seen * 255).round().to(torch.uint8).numpy())
