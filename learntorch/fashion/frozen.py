"""Transfer learning on a CPU: freeze the lower blocks, store their activations once, and
fine-tune the upper blocks and the head on those (lesson 10's recipes).

:func:`frozen_activations` runs the frozen part once per image; :func:`fine_tune` then
trains the upper part and the head on the stored activations, which on a CPU is many
times cheaper than running the whole network every epoch.
"""

import math
import time
from dataclasses import dataclass
from functools import cache

import torch
from torch import nn

from learntorch.device import pick_device
from learntorch.fashion.model import FashionTransferNet, to_unit
from learntorch.profile import is_smoke
from learntorch.splits import image_splits
from learntorch.train import History, fit


@torch.no_grad()
def frozen_activations(model: FashionTransferNet, images: torch.Tensor, batch_size: int = 250,
                       device: torch.device | None = None) -> torch.Tensor:
    """What ``model.lower`` makes of uint8 ``images`` (N, 28, 28), as float16 on the CPU.

    The lower part never changes during fine-tuning, so its output can be computed once
    and reused every epoch. float16 halves the memory and is plenty for activations.
    """
    device = device or pick_device()
    lower = nn.Sequential(model.prepare, model.lower).to(device).eval()
    lower.to(memory_format=torch.channels_last)  # the layout the CPU's convolution kernels prefer
    batches = [lower(to_unit(images[start:start + batch_size]).to(device)).half().cpu()
               for start in range(0, len(images), batch_size)]
    return torch.cat(batches).contiguous()


@cache
def fashion_activations(resolution: int, tuned_blocks: int, train_size: int | None = None,
                        val_size: int | None = None, test_size: int | None = None) -> dict:
    """Frozen-part activations and labels of every split, computed once per process.

    Returns ``{"train": (activations, labels), "mirrored": ..., "val": ..., "test": ...,
    "seconds": s}``, where ``"mirrored"`` holds the training images flipped left to
    right, in the same order: the one augmentation that stored activations allow. The
    frozen part holds ImageNet weights that nothing here changes, so the lesson's
    experiments and :func:`train_checkpoint` can share the result.
    """
    model = FashionTransferNet(resolution=resolution, tuned_blocks=tuned_blocks)
    start = time.perf_counter()
    (train_x, train_y), (val_x, val_y), (test_x, test_y) = image_splits("FashionMNIST")
    result = {
        "train": (train_x[:train_size], train_y[:train_size]),
        "mirrored": (train_x[:train_size].flip(-1), train_y[:train_size]),  # flip the width axis
        "val": (val_x[:val_size], val_y[:val_size]),
        "test": (test_x[:test_size], test_y[:test_size]),
    }
    result = {name: (frozen_activations(model, images), labels)
              for name, (images, labels) in result.items()}
    result["seconds"] = time.perf_counter() - start
    return result


class ActivationBatches:
    """Mini-batches of stored float16 activations, as float32, shuffled if asked.

    With ``mirrored`` (the activations of the same images flipped left to right), each
    image appears in each epoch either as itself or as its mirror image, chosen at random.
    Works on whole batches by indexing, far faster on a CPU than a per-item ``Dataset``.
    """

    def __init__(self, activations: torch.Tensor, labels: torch.Tensor, batch_size: int = 128,
                 shuffle: bool = False, seed: int = 0, mirrored: torch.Tensor | None = None):
        if mirrored is not None and mirrored.shape != activations.shape:
            raise ValueError(f"mirrored activations {tuple(mirrored.shape)} do not match "
                             f"{tuple(activations.shape)}")
        self.activations, self.labels, self.mirrored = activations, labels, mirrored
        self.batch_size, self.shuffle = batch_size, shuffle
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return math.ceil(len(self.labels) / self.batch_size)

    def __iter__(self):
        order = (torch.randperm(len(self.labels), generator=self.generator) if self.shuffle
                 else torch.arange(len(self.labels)))
        for start in range(0, len(order), self.batch_size):
            chosen = order[start:start + self.batch_size]
            batch = self.activations[chosen]
            if self.mirrored is not None:
                flip = torch.rand(len(chosen), generator=self.generator) < 0.5  # (B,)
                batch = torch.where(flip.view(-1, 1, 1, 1), self.mirrored[chosen], batch)
            yield batch.float(), self.labels[chosen]


def make_optimizer(model: FashionTransferNet, head_lr: float, upper_lr: float,
                   weight_decay: float) -> torch.optim.Optimizer:
    """AdamW with two parameter groups: the new head learns at ``head_lr``, the pretrained
    upper blocks at the smaller ``upper_lr`` so that one noisy step cannot wreck what
    ImageNet taught them. The frozen lower part is not given to the optimizer at all."""
    return torch.optim.AdamW([
        {"params": model.head.parameters(), "lr": head_lr},
        {"params": model.upper.parameters(), "lr": upper_lr},
    ], weight_decay=weight_decay)


def fine_tune(model: FashionTransferNet, train: tuple, val: tuple, *, epochs: int,
              mirrored: torch.Tensor | None = None, head_lr: float = 2e-3,
              upper_lr: float = 5e-4, weight_decay: float = 0.05,
              label_smoothing: float = 0.1, batch_size: int = 128, device=None,
              verbose: bool = True) -> History:
    """Train ``model.upper`` and ``model.head`` on stored activations ``(activations, labels)``.

    The learning rates follow a cosine curve from their starting values towards zero over
    the epochs; the weights of the epoch with the lowest validation loss are kept.
    ``mirrored``, the activations of the training images flipped left to right, makes
    every epoch see a random half of the images mirrored (see :class:`ActivationBatches`).
    """
    device = device or pick_device()
    for parameter in model.lower.parameters():
        parameter.requires_grad_(False)
    trainable = nn.Sequential(model.upper, model.head)  # the same modules, not copies
    optimizer = make_optimizer(model, head_lr, upper_lr, weight_decay)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs + 1)
    batches = ActivationBatches(*train, batch_size=batch_size, shuffle=True, mirrored=mirrored)
    return fit(trainable, batches, optimizer, epochs=epochs,
               val_loader=ActivationBatches(*val, batch_size=500),
               loss_fn=nn.CrossEntropyLoss(label_smoothing=label_smoothing),
               scheduler=scheduler, device=device, restore_best=True, verbose=verbose)


@dataclass(frozen=True)
class FrozenRecipe:
    """Everything that decides how the demo's checkpoint is trained."""
    resolution: int         # side of the square image the backbone sees
    tuned_blocks: int       # pretrained blocks fine-tuned (counted from the top)
    dropout: float
    epochs: int
    mirror: bool            # train on left-right mirror images too (random half per epoch)
    head_lr: float
    upper_lr: float
    weight_decay: float
    label_smoothing: float
    batch_size: int
    train_size: int | None  # None: all of the split
    val_size: int | None
    test_size: int | None


def frozen_recipe(device: torch.device | None = None) -> FrozenRecipe:
    """The training settings for this profile and device.

    On a CPU the recipe is sized to train in about half an hour on two cores; a GPU
    fine-tunes twice as many blocks for more epochs in less time.
    """
    device = device or pick_device()
    common = dict(mirror=True, dropout=0.3, head_lr=2e-3, upper_lr=5e-4, weight_decay=0.05,
                  label_smoothing=0.1, batch_size=128)
    if is_smoke():
        return FrozenRecipe(resolution=64, tuned_blocks=4, epochs=1, train_size=48, val_size=32,
                      test_size=64, **common)
    if device.type == "cuda":
        return FrozenRecipe(resolution=112, tuned_blocks=8, epochs=8, train_size=None, val_size=None,
                      test_size=None, **common)
    return FrozenRecipe(resolution=112, tuned_blocks=4, epochs=6, train_size=None, val_size=None,
                  test_size=None, **common)
