"""What the Fashion-MNIST lessons (6-8) share: the data splits and the fully connected network.

* :func:`fashion_splits` reads Fashion-MNIST once and cuts a fixed, seeded validation set
  out of its 60 000 training images, so every lesson tunes and stops on the same images
  and never looks at the 10 000 test images until the end.
* :func:`fashion_loaders` wraps those splits in DataLoaders.
* :func:`make_mlp` builds the ANN, optionally with batch norm and dropout in the places
  the overfitting lesson argues for; :func:`weight_decay_groups` gives an optimizer
  weight decay for the weights only.
"""

from typing import NamedTuple

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from learntorch.data import image_tensors

# Mean and standard deviation of the 60 000 Fashion-MNIST training pixels (scaled to 0..1).
FASHION_MEAN, FASHION_STD = 0.2860, 0.3530
VALIDATION_SIZE = 10_000
SPLIT_SEED = 0


class Splits(NamedTuple):
    train: TensorDataset
    val: TensorDataset
    test: TensorDataset


class Loaders(NamedTuple):
    train: DataLoader
    val: DataLoader
    test: DataLoader


def normalise(images: torch.Tensor) -> torch.Tensor:
    """uint8 images (N, 28, 28) -> float32 (N, 1, 28, 28) with mean 0 and std 1 over the training set."""
    return ((images.float() / 255.0 - FASHION_MEAN) / FASHION_STD).unsqueeze(1)


def validation_split(total: int, val_size: int, seed: int = SPLIT_SEED) -> tuple[torch.Tensor, torch.Tensor]:
    """``(train_index, val_index)``: a seeded shuffle of ``range(total)`` cut in two."""
    if not 0 < val_size < total:
        raise ValueError(f"val_size must be between 1 and {total - 1}, got {val_size}")
    order = torch.randperm(total, generator=torch.Generator().manual_seed(seed))
    return order[val_size:], order[:val_size]


def fashion_splits(train_size: int | None = None, val_size: int = VALIDATION_SIZE,
                   test_size: int | None = None, seed: int = SPLIT_SEED) -> Splits:
    """Fashion-MNIST as train / validation / test ``TensorDataset`` s of normalised images.

    The validation images are the first ``val_size`` of a permutation of the 60 000 training
    images drawn with ``seed``; the training set is the rest (the first ``train_size`` of it
    when given, for quick runs). The same arguments always give the same images.
    ``test_size`` keeps only the first images of the official test set (smoke runs).
    """
    images, labels = image_tensors("FashionMNIST", train=True)
    train_index, val_index = validation_split(len(labels), val_size, seed)
    if train_size is not None:
        train_index = train_index[:train_size]
    test_images, test_labels = image_tensors("FashionMNIST", train=False)
    test_images, test_labels = test_images[:test_size], test_labels[:test_size]
    return Splits(train=TensorDataset(normalise(images[train_index]), labels[train_index]),
                  val=TensorDataset(normalise(images[val_index]), labels[val_index]),
                  test=TensorDataset(normalise(test_images), test_labels))


def make_loaders(splits: Splits, batch_size: int = 128, eval_batch_size: int = 1024,
                 pin_memory: bool | None = None, seed: int = 0) -> Loaders:
    """DataLoaders over ``splits``: the training one shuffles (seeded), the others do not.

    ``pin_memory`` defaults to "is there a CUDA GPU": page-locked batches copy to a GPU
    faster and can copy while it computes; without a GPU pinning would only cost time.
    """
    if pin_memory is None:
        pin_memory = torch.cuda.is_available()
    shuffle_generator = torch.Generator().manual_seed(seed)
    return Loaders(
        train=DataLoader(splits.train, batch_size=batch_size, shuffle=True,
                         generator=shuffle_generator, pin_memory=pin_memory),
        val=DataLoader(splits.val, batch_size=eval_batch_size, pin_memory=pin_memory),
        test=DataLoader(splits.test, batch_size=eval_batch_size, pin_memory=pin_memory))


def fashion_loaders(batch_size: int = 128, *, train_size: int | None = None,
                    val_size: int = VALIDATION_SIZE, test_size: int | None = None,
                    eval_batch_size: int = 1024, pin_memory: bool | None = None,
                    seed: int = SPLIT_SEED) -> Loaders:
    """Train / validation / test DataLoaders of Fashion-MNIST (see :func:`fashion_splits`)."""
    splits = fashion_splits(train_size=train_size, val_size=val_size, test_size=test_size, seed=seed)
    return make_loaders(splits, batch_size=batch_size, eval_batch_size=eval_batch_size,
                        pin_memory=pin_memory, seed=seed)


def make_mlp(hidden_sizes, dropout: float = 0.0, batch_norm: bool = False,
             in_features: int = 28 * 28, num_classes: int = 10) -> nn.Sequential:
    """A fully connected classifier: Flatten, then per hidden layer
    ``Linear -> [BatchNorm1d] -> ReLU -> [Dropout]``, then a final ``Linear`` to the logits.

    Batch norm sits between the linear layer and its activation (it normalises what the
    activation receives); dropout follows the activation (it silences whole outputs).
    The output layer gets neither.
    """
    layers: list[nn.Module] = [nn.Flatten()]  # (B, 1, 28, 28) -> (B, 784)
    width = in_features
    for hidden in hidden_sizes:
        layers.append(nn.Linear(width, hidden))
        if batch_norm:
            layers.append(nn.BatchNorm1d(hidden))
        layers.append(nn.ReLU())
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = hidden
    layers.append(nn.Linear(width, num_classes))
    return nn.Sequential(*layers)


def weight_decay_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Optimizer parameter groups that decay the weight matrices only.

    Biases and batch-norm scales/shifts (every parameter with one dimension) get
    ``weight_decay=0``: they shift or rescale activations rather than make the
    function more complex, and shrinking them towards 0 only hurts.
    """
    decayed = [p for p in model.parameters() if p.requires_grad and p.dim() > 1]
    exempt = [p for p in model.parameters() if p.requires_grad and p.dim() <= 1]
    return [{"params": decayed, "weight_decay": weight_decay},
            {"params": exempt, "weight_decay": 0.0}]
