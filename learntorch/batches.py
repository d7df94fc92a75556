"""Mini-batches cut straight from image tensors: shuffled, augmented and normalised as whole batches.

For data that fits in memory (all of MNIST is 47 MB as uint8), indexing one big tensor
per batch is far faster than a per-image ``Dataset`` and ``DataLoader``, and keeping
that tensor on the GPU means no copies and no waiting for the CPU at all.
"""

import math
from collections.abc import Callable

import torch

Transform = Callable[..., torch.Tensor]


class ImageBatches:
    """``(inputs, labels)`` batches of uint8 ``images`` (N, H, W) as floats (B, 1, H, W).

    Each batch is scaled to [0, 1], then ``augment(batch, generator)`` (training only),
    then ``normalise(batch)``. With ``device``, the images are kept there and every batch
    is cut and transformed there. ``shuffle`` draws a new seeded order every epoch.
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 128, *,
                 augment: Transform | None = None, normalise: Transform | None = None,
                 shuffle: bool = True, seed: int = 0, device: torch.device | str = "cpu"):
        self.images, self.labels = images.to(device), labels.to(device)
        self.batch_size, self.shuffle = batch_size, shuffle
        self.augment, self.normalise = augment, normalise
        self.generator = torch.Generator(device=device).manual_seed(seed)

    def __len__(self) -> int:
        return math.ceil(len(self.labels) / self.batch_size)

    def __iter__(self):
        count, device = len(self.labels), self.labels.device
        order = (torch.randperm(count, generator=self.generator, device=device) if self.shuffle
                 else torch.arange(count, device=device))
        for start in range(0, count, self.batch_size):
            chosen = order[start:start + self.batch_size]
            batch = self.images[chosen].unsqueeze(1).float() / 255  # (B, 1, H, W) in [0, 1]
            if self.augment is not None:
                batch = self.augment(batch, self.generator)
            if self.normalise is not None:
                batch = self.normalise(batch)
            yield batch, self.labels[chosen]
