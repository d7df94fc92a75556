"""The digit reader: a small CNN for MNIST, the preprocessing that makes a drawing or a
photo look like an MNIST digit, and the recipe that trains the demo's checkpoint.

MNIST digits are white ink on black, their longer side scaled to 20 pixels and their
centre of mass placed at the middle of a 28 x 28 image. A model trained on them only
reads other pictures well when those go through the same steps, so the demo, the
lesson and the tests all call :func:`to_mnist` (via :func:`predict`).

    python -m learntorch.train digits      # (re)train checkpoints/digit_cnn/
"""

import time
from dataclasses import asdict, dataclass, replace
from functools import cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from learntorch.augment import random_affine, random_thickness
from learntorch.batches import ImageBatches
from learntorch.checkpoints import CHECKPOINTS_DIR, default_folder, load_card, load_weights, save
from learntorch.device import pick_device, provenance, seed_everything
from learntorch.profile import current, is_smoke, pick
from learntorch.splits import image_splits
from learntorch.train import History, evaluate, fit
from learntorch.uploads import BadInput, open_image

NAME = "digit_cnn"
CLASSES = tuple(str(digit) for digit in range(10))
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081  # mean and std of MNIST's training pixels in [0, 1]


def conv_block(in_channels: int, out_channels: int, convs: int = 1) -> list[nn.Module]:
    """``convs`` times (3 x 3 convolution -> batch norm -> ReLU), then a 2 x 2 max pool.

    padding=1 keeps a 3 x 3 convolution's output as large as its input, so only the pool
    changes the size: it halves the height and the width. bias=False because batch
    norm's own shift would cancel a bias anyway.
    """
    layers: list[nn.Module] = []
    for index in range(convs):
        layers += [nn.Conv2d(in_channels if index == 0 else out_channels, out_channels,
                             kernel_size=3, padding=1, bias=False),
                   nn.BatchNorm2d(out_channels),
                   nn.ReLU()]
    return [*layers, nn.MaxPool2d(2)]


class DigitCNN(nn.Module):
    """Two convolution blocks that extract features, then a small MLP that classifies them.

    Shapes for one 1 x 28 x 28 digit with the default ``widths=(32, 64)``:
    block 1 -> 32 x 28 x 28, pool -> 32 x 14 x 14; block 2 -> 64 x 14 x 14,
    pool -> 64 x 7 x 7; flatten -> 3136 -> hidden -> 10 logits.
    ``convs_per_block=2`` stacks a second convolution in each block (a deeper model,
    same shapes).
    """

    def __init__(self, hidden: int = 256, dropout: float = 0.25, widths: tuple[int, int] = (32, 64),
                 convs_per_block: int = 1):
        super().__init__()
        first, second = widths
        self.features = nn.Sequential(
            *conv_block(1, first, convs_per_block),       # first x 14 x 14
            *conv_block(first, second, convs_per_block),  # second x 7 x 7
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),                                  # second * 7 * 7 (3136 by default)
            nn.Dropout(dropout),
            nn.Linear(second * 7 * 7, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, len(CLASSES)),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, 1, 28, 28) -> (B, 10)
        return self.classifier(self.features(x))


def normalise(images: torch.Tensor) -> torch.Tensor:
    """Pixels in [0, 1] -> the standardised values the model was trained on."""
    return (images - MNIST_MEAN) / MNIST_STD


# ---------------------------------------------------------------------------------------
# Preprocessing: any drawing or photo -> a 28 x 28 MNIST-style digit
# ---------------------------------------------------------------------------------------

WORKING_SIDE = 1024   # larger pictures are shrunk first: a digit needs no more detail
MIN_CONTRAST = 32     # grey levels (of 255) between background and ink; less is a blank
INK_THRESHOLD = 0.2   # fraction of the strongest ink below which a pixel is noise
DIGIT_BOX = 20        # MNIST scales a digit's longer side to 20 pixels ...
CANVAS = 28           # ... and centres it by mass in a 28 x 28 image
CENTRE = 14.0         # where MNIST's centres of mass sit (row, column), measured on its train set


def paper_brightness(gray: np.ndarray) -> np.ndarray:
    """The background's brightness at every pixel, estimated from the picture's border.

    A photo of paper is rarely lit evenly, so the background is modelled as a plane,
    ``a + b * row + c * column``, fitted by least squares to the border pixels. A second
    fit leaves out border pixels far from the first (ink that touches the edge).
    """
    rows, cols = np.indices(gray.shape)
    edge = np.zeros(gray.shape, dtype=bool)
    edge[[0, -1], :] = edge[:, [0, -1]] = True
    design = np.stack([np.ones(edge.sum()), rows[edge], cols[edge]], axis=1)  # (border pixels, 3)
    values = gray[edge]
    keep = np.ones(len(values), dtype=bool)
    for _ in range(2):
        coefficients, *_ = np.linalg.lstsq(design[keep], values[keep], rcond=None)
        misfit = np.abs(values - design @ coefficients)
        keep = misfit <= 3 * np.median(misfit) + 2
    return coefficients[0] + coefficients[1] * rows + coefficients[2] * cols


def ink_map(image) -> np.ndarray:
    """How much ink each pixel holds, 0 (background) to 1 (strongest ink), noise removed.

    The ink is whatever departs from the background's brightness in the direction with
    the larger extreme (darker or lighter), so a black-on-white drawing or photo and a
    white-on-black MNIST digit both come out as bright ink on zero.
    """
    gray_image = open_image(image).convert("L")
    gray_image.thumbnail((WORKING_SIDE, WORKING_SIDE))
    gray = np.asarray(gray_image, dtype=np.float32)
    difference = gray - paper_brightness(gray)               # < 0: darker than the paper
    darkest, lightest = np.percentile(difference, [0.05, 99.95])  # ignore a few stray pixels
    ink = np.clip(-difference if -darkest > lightest else difference, 0, None)
    strongest = float(ink.max())
    if strongest < MIN_CONTRAST:
        raise BadInput("The picture looks blank: draw a digit (or upload a photo of one) and try again.")
    ink /= strongest
    ink[ink < INK_THRESHOLD] = 0.0
    return ink.astype(np.float32)


def crop_to_ink(ink: np.ndarray) -> np.ndarray:
    """The smallest rectangle that holds every inked pixel."""
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    return ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def scale_to_box(ink: np.ndarray, box: int = DIGIT_BOX) -> np.ndarray:
    """Resize so the longer side is ``box`` pixels, keeping the aspect ratio (a 1 stays thin)."""
    height, width = ink.shape
    factor = box / max(height, width)
    size = (max(1, round(height * factor)), max(1, round(width * factor)))
    # antialias averages the pixels that shrink into one, as MNIST's own scaling did
    scaled = F.interpolate(torch.from_numpy(ink)[None, None], size=size, mode="bilinear",
                           antialias=True, align_corners=False)[0, 0].clamp(0, None)
    return (scaled / scaled.max()).numpy()  # thin strokes fade when shrunk: restore full ink


def centre_of_mass(ink: np.ndarray) -> tuple[float, float]:
    """The ink-weighted mean (row, column) position."""
    total = ink.sum()
    rows, cols = np.indices(ink.shape)
    return float((rows * ink).sum() / total), float((cols * ink).sum() / total)


def paste_centred(digit: np.ndarray, canvas: int = CANVAS) -> np.ndarray:
    """Place ``digit`` on a black ``canvas`` x ``canvas`` image with its centre of mass at the middle."""
    row, col = centre_of_mass(digit)
    height, width = digit.shape
    top = min(max(round(CENTRE - row), 0), canvas - height)   # stay inside the canvas
    left = min(max(round(CENTRE - col), 0), canvas - width)
    out = np.zeros((canvas, canvas), dtype=np.float32)
    out[top:top + height, left:left + width] = digit
    return out


def preprocess_steps(image) -> dict[str, np.ndarray]:
    """Every intermediate picture of :func:`to_mnist`, in order, for showing the pipeline."""
    ink = ink_map(image)
    cropped = crop_to_ink(ink)
    scaled = scale_to_box(cropped)
    return {"ink": ink, "cropped": cropped, "scaled to 20 px": scaled,
            "centred 28 x 28": paste_centred(scaled)}


def to_mnist(image) -> torch.Tensor:
    """A drawing or photo (path, PIL image or array) as a (28, 28) MNIST-style digit in [0, 1].

    Raises :class:`BadInput` for a blank picture or a file that is not a usable image.
    """
    return torch.from_numpy(preprocess_steps(image)["centred 28 x 28"])


# ---------------------------------------------------------------------------------------
# Training batches: whole batches at once, as tensor operations
# ---------------------------------------------------------------------------------------

def augment(batch: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """The digits' training augmentation (see ``learntorch.augment``): a random affine warp
    (rotation, scale, shear, shift), then a random stroke thickness."""
    return random_thickness(random_affine(batch, generator), generator)


class DigitBatches(ImageBatches):
    """Shuffled, normalised mini-batches of MNIST-style uint8 images, augmented by
    :func:`augment` unless ``augmented=False`` (see ``learntorch.batches``)."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 128,
                 augmented: bool = True, seed: int = 0, device: torch.device | str = "cpu"):
        super().__init__(images, labels, batch_size, augment=augment if augmented else None,
                         normalise=normalise, seed=seed, device=device)


def plain_loader(images: torch.Tensor, labels: torch.Tensor, batch_size: int = 1000) -> DataLoader:
    """An unshuffled, unaugmented loader for validation and testing."""
    inputs = normalise(images.unsqueeze(1).float() / 255)  # (N, 1, 28, 28)
    return DataLoader(TensorDataset(inputs, labels), batch_size=batch_size)


# ---------------------------------------------------------------------------------------
# The demo checkpoint: one recipe for the lesson's full profile and the CLI
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Recipe:
    """Everything that decides how a digit model is trained."""
    widths: tuple[int, int]   # channels of the two convolution blocks
    convs_per_block: int
    hidden: int
    dropout: float
    epochs: int
    batch_size: int
    max_lr: float             # peak of the one-cycle learning rate
    weight_decay: float

    def model_args(self) -> dict:
        return {"hidden": self.hidden, "dropout": self.dropout, "widths": list(self.widths),
                "convs_per_block": self.convs_per_block}

    def optimizer_text(self) -> str:
        return (f"AdamW (weight decay {self.weight_decay:g}), OneCycleLR max {self.max_lr:g}, "
                f"batch {self.batch_size}")


LESSON_RECIPE = Recipe(widths=(32, 64), convs_per_block=1, hidden=256, dropout=0.25, epochs=15,
                       batch_size=128, max_lr=3e-3, weight_decay=1e-4)


def recipes(device: torch.device) -> list[Recipe]:
    """The candidates a run trains; the one that ends with the best validation accuracy is kept.

    On a CPU, the lesson's model alone (about 40 s an epoch on two cores). A GPU trains
    each candidate in about a minute, so it tries the lesson's model and two deeper,
    wider ones for longer, and keeps whichever reads the held-out validation digits best.
    """
    if device.type == "cuda":
        longer = replace(LESSON_RECIPE, epochs=40)
        candidates = [longer, replace(longer, convs_per_block=2),
                      replace(longer, widths=(64, 128), convs_per_block=2, hidden=512, dropout=0.3)]
    else:
        candidates = [LESSON_RECIPE]
    return [replace(recipe, epochs=1) for recipe in candidates] if is_smoke() else candidates


def checkpoint_folder() -> Path:
    """Where :func:`train_checkpoint` saves by default (see ``checkpoints.default_folder``)."""
    return default_folder(NAME)


def train_recipe(recipe: Recipe, train: tuple, val: tuple, device: torch.device,
                 seed: int = 0) -> tuple[DigitCNN, History]:
    """Train one :class:`DigitCNN` by ``recipe`` on uint8 ``(images, labels)`` with augmentation."""
    seed_everything(seed)
    model = DigitCNN(**recipe.model_args())
    optimizer = torch.optim.AdamW(model.parameters(), lr=recipe.max_lr, weight_decay=recipe.weight_decay)
    # fit() steps the scheduler once per epoch: warm up over the first epochs, then anneal.
    # The cycle gets one step more than there are epochs so that the last epoch still
    # learns a little instead of sitting at the cycle's near-zero end point.
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=recipe.max_lr,
                                                    total_steps=recipe.epochs + 1, pct_start=0.2)
    batches = DigitBatches(*train, batch_size=recipe.batch_size, seed=seed, device=device)
    history = fit(model, batches, optimizer, epochs=recipe.epochs, val_loader=plain_loader(*val),
                  scheduler=scheduler, device=device)
    return model, history


def train_checkpoint(folder: Path | str | None = None) -> dict:
    """Train :class:`DigitCNN` with augmentation and save it with its card; return the card.

    Each candidate of :func:`recipes` trains on MNIST's training images less the 5 000
    held out for validation (``learntorch.splits``); the candidate whose trained weights
    have the best validation accuracy is kept and only it meets the 10 000 test digits. Full profile:
    into ``checkpoints/digit_cnn/``; smoke profile: a tiny run into a fresh temporary folder
    (the real checkpoint is never touched).
    """
    folder = Path(folder) if folder is not None else checkpoint_folder()
    device = pick_device()
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # pick the fastest convolution kernels once
    train_size, val_size, test_size = pick(smoke=(1024, 1000, 1000), full=(None, None, None))
    (train_x, train_y), (val_x, val_y), (test_x, test_y) = image_splits("MNIST")
    train, val = (train_x[:train_size], train_y[:train_size]), (val_x[:val_size], val_y[:val_size])
    test_x, test_y = test_x[:test_size], test_y[:test_size]

    start = time.perf_counter()
    candidates = []
    for number, recipe in enumerate(recipes(device), 1):
        print(f"candidate {number}: {recipe}")
        model, history = train_recipe(recipe, train, val, device)
        candidates.append((history.val_acc[-1], recipe, model, history))
    best_val_acc, recipe, model, history = max(candidates, key=lambda candidate: candidate[0])
    wall_time = time.perf_counter() - start
    test_loss, test_acc = evaluate(model, plain_loader(test_x, test_y), device=device)
    card = {
        "name": NAME,
        "task": "handwritten digit classification (MNIST, 28 x 28 grayscale)",
        "architecture": {"class": f"{DigitCNN.__module__}.{DigitCNN.__name__}", "args": recipe.model_args()},
        "classes": list(CLASSES),
        "data": {"dataset": "MNIST",
                 "train": f"{len(train[1])} images of MNIST train (learntorch.splits, seed 0), "
                          f"augmented: random rotation, scale, shear, shift, stroke thickness",
                 "validation": f"{len(val[1])} images of MNIST train held out (seed 0)",
                 "test": f"{len(test_y)} images of the MNIST test set"},
        "preprocessing": f"pixels / 255, then (x - {MNIST_MEAN}) / {MNIST_STD}; pictures go "
                         f"through learntorch.digits.to_mnist first",
        "test_metrics": {"accuracy": round(test_acc, 4), "loss": round(test_loss, 4)},
        "selection": {"rule": "the candidate whose trained weights (last epoch) have the best "
                              "validation accuracy",
                      "candidates": [{"recipe": asdict(r), "val_acc": round(acc, 4)}
                                     for acc, r, _, _ in candidates]},
        "epochs": history.epochs,
        "wall_time_s": round(wall_time, 1),
        **provenance(device),
        "profile": current(),
        "optimizer": recipe.optimizer_text(),
        "history": asdict(history),
    }
    model.cpu()
    return save(model, folder, card)


def load_model(folder: Path | str | None = None) -> DigitCNN:
    """The checkpointed :class:`DigitCNN` in eval mode, its weights verified against the card."""
    folder = Path(folder) if folder is not None else CHECKPOINTS_DIR / NAME
    card = load_card(folder)
    model = DigitCNN(**card["architecture"]["args"])
    load_weights(model, folder)
    return model.eval()


@cache
def _demo_model() -> DigitCNN:
    return load_model()


@torch.no_grad()
def predict(image, model: DigitCNN | None = None) -> tuple[dict[str, float], np.ndarray]:
    """Class probabilities for a drawing or photo, and the 28 x 28 uint8 image the model saw."""
    model = model or _demo_model()
    seen = to_mnist(image)                                  # (28, 28) in [0, 1]
    logits = model(normalise(seen)[None, None])             # (1, 1, 28, 28) -> (1, 10)
    probabilities = logits.softmax(dim=1)[0]
    return ({label: float(p) for label, p in zip(CLASSES, probabilities)},
            (seen * 255).round().to(torch.uint8).numpy())
