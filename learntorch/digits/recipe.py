"""How the digit CNN is trained: augmented batches, the recipes, and the checkpoint.

    python -m learntorch.train digits      # (re)train checkpoints/digits/
"""

import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch
from torch.utils.data import DataLoader, TensorDataset

from learntorch.augment import random_affine, random_thickness
from learntorch.batches import ImageBatches
from learntorch.checkpoints import run_folder, save
from learntorch.device import pick_device, provenance, seed_everything
from learntorch.digits.model import CLASSES, MNIST_MEAN, MNIST_STD, DigitCNN, normalise_digits
from learntorch.profile import current, is_smoke, pick
from learntorch.splits import image_splits
from learntorch.train import History, evaluate, fit

NAME = "digits"


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
                         normalise=normalise_digits, seed=seed, device=device)


def plain_loader(images: torch.Tensor, labels: torch.Tensor, batch_size: int = 1000) -> DataLoader:
    """An unshuffled, unaugmented loader for validation and testing."""
    inputs = normalise_digits(images.unsqueeze(1).float() / 255)  # (N, 1, 28, 28)
    return DataLoader(TensorDataset(inputs, labels), batch_size=batch_size)


@dataclass(frozen=True)
class DigitRecipe:
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

LESSON_RECIPE = DigitRecipe(widths=(32, 64), convs_per_block=1, hidden=256, dropout=0.25, epochs=15,
                       batch_size=128, max_lr=3e-3, weight_decay=1e-4)


def digit_recipes(device: torch.device) -> list[DigitRecipe]:
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


def train_recipe(recipe: DigitRecipe, train: tuple, val: tuple, device: torch.device,
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

    Each candidate of :func:`digit_recipes` trains on MNIST's training images less the 5 000
    held out for validation (``learntorch.splits``); the candidate whose trained weights
    have the best validation accuracy is kept and only it meets the 10 000 test digits. It
    saves into ``folder``: ``python -m learntorch.train digits`` passes ``checkpoints/digits/``;
    the default is a run folder (``learntorch.checkpoints.run_folder``).
    """
    folder = Path(folder) if folder is not None else run_folder(NAME)
    device = pick_device()
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # pick the fastest convolution kernels once
    train_size, val_size, test_size = pick(smoke=(1024, 1000, 1000), full=(None, None, None))
    (train_x, train_y), (val_x, val_y), (test_x, test_y) = image_splits("MNIST")
    train, val = (train_x[:train_size], train_y[:train_size]), (val_x[:val_size], val_y[:val_size])
    test_x, test_y = test_x[:test_size], test_y[:test_size]

    start = time.perf_counter()
    candidates = []
    for number, recipe in enumerate(digit_recipes(device), 1):
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
                         f"through learntorch.digits.preprocess.to_mnist first",
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
