"""How the course cuts its image data sets: one seeded split, used by every lesson and recipe.

* :func:`validation_split` is the one seeded shuffle that carves a validation set out of a
  training set; :func:`image_splits` applies it to MNIST or Fashion-MNIST, so every
  lesson and every recipe that trains on a data set holds out the same images.
* :func:`fashion_splits` and :func:`make_loaders` give lessons 6-9 Fashion-MNIST as
  normalised ``TensorDataset`` s and ``DataLoader`` s, never looking at the 10 000 test
  images until the end.
"""

from typing import NamedTuple

import torch
from torch.utils.data import DataLoader, TensorDataset

from learntorch.data import image_tensors

# Mean and standard deviation of the 60 000 Fashion-MNIST training pixels (scaled to 0..1).
FASHION_MEAN, FASHION_STD = 0.2860, 0.3530
# Images held out of each training set for validation (choosing epochs and settings).
VALIDATION_SIZES = {"FashionMNIST": 10_000, "MNIST": 5_000}
SPLIT_SEED = 0


class Splits(NamedTuple):
    train: TensorDataset
    val: TensorDataset
    test: TensorDataset


class Loaders(NamedTuple):
    train: DataLoader
    val: DataLoader
    test: DataLoader


def validation_split(total: int, val_size: int, seed: int = SPLIT_SEED) -> tuple[torch.Tensor, torch.Tensor]:
    """``(train_index, val_index)``: a seeded shuffle of ``range(total)`` cut in two."""
    if not 0 < val_size < total:
        raise ValueError(f"val_size must be between 1 and {total - 1}, got {val_size}")
    order = torch.randperm(total, generator=torch.Generator().manual_seed(seed))
    return order[val_size:], order[:val_size]


def image_splits(name: str, val_size: int | None = None, seed: int = SPLIT_SEED):
    """MNIST or Fashion-MNIST as ``(train, val, test)``, each ``(uint8 images (N, 28, 28), labels (N,))``.

    The validation images (``VALIDATION_SIZES[name]`` unless told otherwise) come out of
    the official training set by :func:`validation_split`; the test set is the official one.
    """
    images, labels = image_tensors(name, train=True)
    train_index, val_index = validation_split(len(labels), val_size or VALIDATION_SIZES[name], seed)
    return ((images[train_index], labels[train_index]), (images[val_index], labels[val_index]),
            image_tensors(name, train=False))


def normalise_fashion(images: torch.Tensor) -> torch.Tensor:
    """uint8 images (N, 28, 28) -> float32 (N, 1, 28, 28) with mean 0 and std 1 over the training set."""
    return ((images.float() / 255.0 - FASHION_MEAN) / FASHION_STD).unsqueeze(1)


def fashion_splits(train_size: int | None = None, val_size: int = VALIDATION_SIZES["FashionMNIST"],
                   test_size: int | None = None, seed: int = SPLIT_SEED) -> Splits:
    """Fashion-MNIST as train / validation / test ``TensorDataset`` s of normalised images.

    The split is :func:`image_splits`'s: the same arguments always give the same images.
    ``train_size`` and ``test_size`` keep only the first images of those parts (quick runs).
    """
    (train_x, train_y), (val_x, val_y), (test_x, test_y) = image_splits("FashionMNIST", val_size, seed)
    return Splits(train=TensorDataset(normalise_fashion(train_x[:train_size]), train_y[:train_size]),
                  val=TensorDataset(normalise_fashion(val_x), val_y),
                  test=TensorDataset(normalise_fashion(test_x[:test_size]), test_y[:test_size]))


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
                    val_size: int = VALIDATION_SIZES["FashionMNIST"], test_size: int | None = None,
                    eval_batch_size: int = 1024, pin_memory: bool | None = None,
                    seed: int = SPLIT_SEED) -> Loaders:
    """Train / validation / test DataLoaders of Fashion-MNIST (see :func:`fashion_splits`)."""
    splits = fashion_splits(train_size=train_size, val_size=val_size, test_size=test_size, seed=seed)
    return make_loaders(splits, batch_size=batch_size, eval_batch_size=eval_batch_size,
                        pin_memory=pin_memory, seed=seed)
