"""The digit CNN of lesson 9: two convolution blocks and a small classifier.

MNIST digits are white ink on black in 28 x 28 pixels; the model takes them standardised
with MNIST's own mean and standard deviation (:func:`normalise_digits`).
"""

import torch
from torch import nn

CLASSES = tuple(str(digit) for digit in range(10))
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081  # mean and std of MNIST's training pixels in [0, 1]


def conv_block(in_channels: int, out_channels: int, convs: int = 1) -> list[nn.Module]:
    """``convs`` times (3 x 3 convolution -> batch norm -> ReLU), then a 2 x 2 max pool.

    padding=1 keeps a 3 x 3 convolution's output as large as its input, so only the pool
    changes the size: it halves the height and the width. bias=False because batch
    norm's own shift would cancel a bias anyway.
    """
    layers: list[nn.Module] = []
    for index in range(convs):
        layers += [nn.Conv2d(in_channels if index == 0 else out_channels, out_channels,
                             kernel_size=3, padding=1, bias=False),
                   nn.BatchNorm2d(out_channels),
                   nn.ReLU()]
    return [*layers, nn.MaxPool2d(2)]


class DigitCNN(nn.Module):
    """Two convolution blocks that extract features, then a small MLP that classifies them.

    Shapes for one 1 x 28 x 28 digit with the default ``widths=(32, 64)``:
    block 1 -> 32 x 28 x 28, pool -> 32 x 14 x 14; block 2 -> 64 x 14 x 14,
    pool -> 64 x 7 x 7; flatten -> 3136 -> hidden -> 10 logits.
    ``convs_per_block=2`` stacks a second convolution in each block (a deeper model,
    same shapes).
    """

    def __init__(self, hidden: int = 256, dropout: float = 0.25, widths: tuple[int, int] = (32, 64),
                 convs_per_block: int = 1):
        super().__init__()
        first, second = widths
        self.features = nn.Sequential(
            *conv_block(1, first, convs_per_block),       # first x 14 x 14
            *conv_block(first, second, convs_per_block),  # second x 7 x 7
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),                                  # second * 7 * 7 (3136 by default)
            nn.Dropout(dropout),
            nn.Linear(second * 7 * 7, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, len(CLASSES)),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, 1, 28, 28) -> (B, 10)
        return self.classifier(self.features(x))


def normalise_digits(images: torch.Tensor) -> torch.Tensor:
    """Pixels in [0, 1] -> the standardised values the model was trained on."""
    return (images - MNIST_MEAN) / MNIST_STD
