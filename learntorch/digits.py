"""The digit reader: a small CNN for MNIST, the preprocessing that makes a drawing or a
photo look like an MNIST digit, and the recipe that trains the demo's checkpoint.

MNIST digits are white ink on black, their longer side scaled to 20 pixels and their
centre of mass placed at the middle of a 28 x 28 image. A model trained on them only
reads other pictures well when those go through the same steps, so the demo, the
lesson and the tests all call :func:`to_mnist` (via :func:`predict`).

    python -m learntorch.train digits      # (re)train checkpoints/digit_cnn/
"""

import math
import time
from dataclasses import asdict
from functools import cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from learntorch.checkpoints import CHECKPOINTS_DIR, default_folder, load_card, load_weights, save
from learntorch.data import image_tensors
from learntorch.device import describe, pick_device, seed_everything
from learntorch.profile import current, pick
from learntorch.train import evaluate, fit
from learntorch.uploads import BadInput, open_image

NAME = "digit_cnn"
CLASSES = tuple(str(digit) for digit in range(10))
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081  # mean and std of MNIST's training pixels in [0, 1]


class DigitCNN(nn.Module):
    """Two convolution blocks that extract features, then a small MLP that classifies them.

    Shapes for one 1 x 28 x 28 digit: conv -> 32 x 28 x 28, pool -> 32 x 14 x 14,
    conv -> 64 x 14 x 14, pool -> 64 x 7 x 7, flatten -> 3136 -> hidden -> 10 logits.
    """

    def __init__(self, hidden: int = 256, dropout: float = 0.25):
        super().__init__()
        self.features = nn.Sequential(
            # padding=1 keeps a 3 x 3 convolution's output as large as its input;
            # bias=False because batch norm's own shift would cancel a bias anyway.
            nn.Conv2d(1, 32, kernel_size=3, padding=1, bias=False),   # 32 x 28 x 28
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.MaxPool2d(2),                                           # 32 x 14 x 14
            nn.Conv2d(32, 64, kernel_size=3, padding=1, bias=False),  # 64 x 14 x 14
            nn.BatchNorm2d(64),
            nn.ReLU(),
            nn.MaxPool2d(2),                                           # 64 x 7 x 7
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),                                              # 64 * 7 * 7 = 3136
            nn.Dropout(dropout),
            nn.Linear(64 * 7 * 7, hidden),
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
# Augmentation: whole batches at once, as tensor operations
# ---------------------------------------------------------------------------------------

def random_affine(batch: torch.Tensor, generator: torch.Generator | None = None, *,
                  degrees: float = 12.0, scale: tuple[float, float] = (0.9, 1.1),
                  shear: float = 0.25, translate: float = 0.1) -> torch.Tensor:
    """Rotate, scale, shear and shift every image of ``batch`` (B, 1, H, W) by its own random amount."""
    n = batch.shape[0]

    def uniform(low, high):
        return low + (high - low) * torch.rand(n, generator=generator)

    angle = torch.deg2rad(uniform(-degrees, degrees))
    zoom = uniform(*scale)
    slant = uniform(-shear, shear)
    cos, sin = torch.cos(angle), torch.sin(angle)
    # rotation @ shear, divided by the zoom: theta maps each output position to the input
    # position it samples from, so dividing by the zoom makes the digit larger when zoom > 1
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0], theta[:, 0, 1] = cos / zoom, (cos * slant - sin) / zoom
    theta[:, 1, 0], theta[:, 1, 1] = sin / zoom, (sin * slant + cos) / zoom
    theta[:, :, 2] = torch.stack([uniform(-translate, translate), uniform(-translate, translate)], dim=1)
    grid = F.affine_grid(theta, list(batch.shape), align_corners=False)
    return F.grid_sample(batch, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def random_thickness(batch: torch.Tensor, generator: torch.Generator | None = None,
                     strength: tuple[float, float] = (-0.4, 0.8)) -> torch.Tensor:
    """Thicken or thin each image's strokes by a random amount (bright ink on black).

    A 3 x 3 max pool spreads ink to its neighbours (dilation); the same pool applied to
    the negated image shrinks it (erosion). Each image is blended towards one or the
    other: a strength of +1 is a full dilation, -1 a full erosion, 0 leaves it as it is.
    """
    n = batch.shape[0]
    low, high = strength
    amount = (low + (high - low) * torch.rand(n, generator=generator)).view(n, 1, 1, 1)
    dilated = F.max_pool2d(batch, 3, stride=1, padding=1)
    eroded = -F.max_pool2d(-batch, 3, stride=1, padding=1)
    target = torch.where(amount > 0, dilated, eroded)
    return batch + amount.abs() * (target - batch)


def augment(batch: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """The training augmentation: a random affine warp, then a random stroke thickness."""
    return random_thickness(random_affine(batch, generator), generator)


class DigitBatches:
    """Shuffled, optionally augmented, normalised mini-batches of MNIST-style uint8 images.

    Works on whole batches as tensor operations: far faster on a CPU than transforming
    images one by one in a ``Dataset``.
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 128,
                 augmented: bool = True, seed: int = 0):
        self.images, self.labels = images, labels
        self.batch_size, self.augmented = batch_size, augmented
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return math.ceil(len(self.labels) / self.batch_size)

    def __iter__(self):
        order = torch.randperm(len(self.labels), generator=self.generator)
        for start in range(0, len(order), self.batch_size):
            chosen = order[start:start + self.batch_size]
            batch = self.images[chosen].unsqueeze(1).float() / 255  # (B, 1, 28, 28) in [0, 1]
            if self.augmented:
                batch = augment(batch, self.generator)
            yield normalise(batch), self.labels[chosen]


def plain_loader(images: torch.Tensor, labels: torch.Tensor, batch_size: int = 1000) -> DataLoader:
    """An unshuffled, unaugmented loader for validation and testing."""
    inputs = normalise(images.unsqueeze(1).float() / 255)  # (N, 1, 28, 28)
    return DataLoader(TensorDataset(inputs, labels), batch_size=batch_size)


# ---------------------------------------------------------------------------------------
# The demo checkpoint: one recipe for the lesson's full profile and the CLI
# ---------------------------------------------------------------------------------------

def split_mnist(validation: int = 5000, seed: int = 0):
    """MNIST's 60 000 training digits split into train and validation, plus its 10 000 test digits."""
    images, labels = image_tensors("MNIST", train=True)
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))
    val_idx, train_idx = order[:validation], order[validation:]
    test_images, test_labels = image_tensors("MNIST", train=False)
    return ((images[train_idx], labels[train_idx]), (images[val_idx], labels[val_idx]),
            (test_images, test_labels))


def checkpoint_folder() -> Path:
    """Where :func:`train_checkpoint` saves by default (see ``checkpoints.default_folder``)."""
    return default_folder(NAME)


def train_checkpoint(folder: Path | str | None = None) -> dict:
    """Train :class:`DigitCNN` with augmentation and save it with its card; return the card.

    Full profile: 55 000 / 5 000 train / validation split, 15 epochs, AdamW with a
    one-cycle learning rate, into ``checkpoints/digit_cnn/``. Smoke profile: a tiny run
    into a fresh temporary folder (the real checkpoint is never touched).
    """
    folder = Path(folder) if folder is not None else checkpoint_folder()
    seed_everything(0)
    device = pick_device()
    epochs = pick(smoke=1, full=15)
    train_size, val_size, test_size = pick(smoke=(1024, 1000, 1000), full=(55_000, 5000, 10_000))
    (train_x, train_y), (val_x, val_y), (test_x, test_y) = split_mnist()
    train_x, train_y = train_x[:train_size], train_y[:train_size]
    val_x, val_y = val_x[:val_size], val_y[:val_size]
    test_x, test_y = test_x[:test_size], test_y[:test_size]

    args = {"hidden": 256, "dropout": 0.25}
    model = DigitCNN(**args)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    # fit() steps the scheduler once per epoch: warm up over the first epochs, then anneal.
    # The cycle gets one step more than there are epochs so that the last epoch still
    # learns a little instead of sitting at the cycle's near-zero end point.
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=epochs + 1,
                                                    pct_start=0.2)
    start = time.perf_counter()
    history = fit(model, DigitBatches(train_x, train_y, batch_size=128), optimizer, epochs=epochs,
                  val_loader=plain_loader(val_x, val_y), scheduler=scheduler, device=device)
    wall_time = time.perf_counter() - start
    test_loss, test_acc = evaluate(model, plain_loader(test_x, test_y), device=device)
    card = {
        "name": NAME,
        "task": "handwritten digit classification (MNIST, 28 x 28 grayscale)",
        "architecture": {"class": f"{DigitCNN.__module__}.{DigitCNN.__name__}", "args": args},
        "classes": list(CLASSES),
        "data": {"dataset": "MNIST",
                 "train": f"{len(train_y)} images of MNIST train (random split, seed 0), "
                          f"augmented: random rotation, scale, shear, shift, stroke thickness",
                 "validation": f"{len(val_y)} images of MNIST train held out (seed 0)",
                 "test": f"{len(test_y)} images of the MNIST test set"},
        "preprocessing": f"pixels / 255, then (x - {MNIST_MEAN}) / {MNIST_STD}; pictures go "
                         f"through learntorch.digits.to_mnist first",
        "test_metrics": {"accuracy": round(test_acc, 4), "loss": round(test_loss, 4)},
        "epochs": history.epochs,
        "wall_time_s": round(wall_time, 1),
        "device": describe(device),
        "profile": current(),
        "optimizer": "AdamW (weight decay 1e-4), OneCycleLR max 3e-3, batch 128",
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
