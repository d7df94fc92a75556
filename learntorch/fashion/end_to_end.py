"""Transfer learning on a GPU: every layer fine-tuned on full-size inputs, with the
training images augmented afresh each epoch."""

from dataclasses import dataclass

import torch
from torch import nn

from learntorch.augment import random_affine, random_mirror
from learntorch.batches import ImageBatches
from learntorch.fashion.model import FashionTransferNet
from learntorch.profile import is_smoke
from learntorch.train import History, fit


def augment_garments(batch: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """A random half mirrored left to right, then a small random shift and zoom (no rotation
    or shear: garments are photographed upright and square-on)."""
    batch = random_mirror(batch, generator)
    return random_affine(batch, generator, degrees=0.0, scale=(0.9, 1.1), shear=0.0, translate=0.08)


@dataclass(frozen=True)
class EndToEndRecipe:
    """The GPU recipe: the whole network fine-tuned on full-size (224 x 224) inputs."""
    resolution: int = 224
    dropout: float = 0.3
    epochs: int = 15
    head_lr: float = 2e-3       # the new head learns fast ...
    backbone_lr: float = 5e-4   # ... the pretrained layers more gently
    weight_decay: float = 0.05
    label_smoothing: float = 0.1
    batch_size: int = 256
    train_size: int | None = None  # None: all of the split
    val_size: int | None = None
    test_size: int | None = None

    def optimizer_text(self) -> str:
        return (f"AdamW (weight decay {self.weight_decay:g}): head lr {self.head_lr:g}, every "
                f"pretrained layer {self.backbone_lr:g}; one-cycle schedule, batch {self.batch_size}")


def end_to_end_recipe() -> EndToEndRecipe:
    if is_smoke():
        return EndToEndRecipe(resolution=64, epochs=1, batch_size=32, train_size=64, val_size=32,
                              test_size=64)
    return EndToEndRecipe()


def fine_tune_end_to_end(model: FashionTransferNet, train: tuple, val: tuple,
                         settings: EndToEndRecipe, device: torch.device) -> History:
    """Train every weight of ``model`` on uint8 ``(images, labels)``, augmented each epoch.

    The head and the pretrained layers get their own learning rates (``make_optimizer``'s
    idea, with the frozen part thawed); each rises over the first epochs and then decays
    (one cycle). The weights of the epoch with the lowest validation loss are kept.
    """
    for parameter in model.parameters():
        parameter.requires_grad_(True)
    pretrained = [p for name, p in model.named_parameters() if not name.startswith("head.")]
    optimizer = torch.optim.AdamW([
        {"params": model.head.parameters(), "lr": settings.head_lr},
        {"params": pretrained, "lr": settings.backbone_lr},
    ], weight_decay=settings.weight_decay)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=[settings.head_lr, settings.backbone_lr],
        total_steps=settings.epochs + 1, pct_start=0.15)  # stepped once per epoch by fit()
    model.to(device, memory_format=torch.channels_last)  # the layout fast GPU convolutions prefer
    batches = ImageBatches(*train, settings.batch_size, augment=augment_garments, device=device)
    val_batches = ImageBatches(*val, 500, shuffle=False, device=device)
    return fit(model, batches, optimizer, epochs=settings.epochs, val_loader=val_batches,
               loss_fn=nn.CrossEntropyLoss(label_smoothing=settings.label_smoothing),
               scheduler=scheduler, device=device, restore_best=True)
