"""Any drawing or photo -> a 28 x 28 digit that looks like MNIST's.

MNIST digits are white ink on black, their longer side scaled to 20 pixels and their
centre of mass placed at the middle of a 28 x 28 image. A model trained on them only
reads other pictures well when those go through the same steps, so the demo, the
lesson, the in-page model's port and the tests all call :func:`to_mnist`.
"""

import numpy as np
import torch
import torch.nn.functional as F

from learntorch.inputs import BadInput, open_image

WORKING_SIDE = 1024   # larger pictures are shrunk first: a digit needs no more detail
MIN_CONTRAST = 32     # grey levels (of 255) between background and ink; less is a blank
INK_THRESHOLD = 0.2   # fraction of the strongest ink below which a pixel is noise
DIGIT_BOX = 20        # MNIST scales a digit's longer side to 20 pixels ...
CANVAS = 28           # ... and centres it by mass in a 28 x 28 image
CENTRE = 14.0         # where MNIST's centres of mass sit (row, column), measured on its train set


def paper_brightness(gray: np.ndarray) -> np.ndarray:
    """The background's brightness at every pixel, estimated from the picture's border.

    A photo of paper is rarely lit evenly, so the background is modelled as a plane,
    ``a + b * row + c * column``, fitted by least squares to the border pixels. A second
    fit leaves out border pixels far from the first (ink that touches the edge).
    """
    rows, cols = np.indices(gray.shape)
    edge = np.zeros(gray.shape, dtype=bool)
    edge[[0, -1], :] = edge[:, [0, -1]] = True
    design = np.stack([np.ones(edge.sum()), rows[edge], cols[edge]], axis=1)  # (border pixels, 3)
    values = gray[edge]
    keep = np.ones(len(values), dtype=bool)
    for _ in range(2):
        coefficients, *_ = np.linalg.lstsq(design[keep], values[keep], rcond=None)
        misfit = np.abs(values - design @ coefficients)
        keep = misfit <= 3 * np.median(misfit) + 2
    return coefficients[0] + coefficients[1] * rows + coefficients[2] * cols


def ink_map(image) -> np.ndarray:
    """How much ink each pixel holds, 0 (background) to 1 (strongest ink), noise removed.

    The ink is whatever departs from the background's brightness in the direction with
    the larger extreme (darker or lighter), so a black-on-white drawing or photo and a
    white-on-black MNIST digit both come out as bright ink on zero.
    """
    gray_image = open_image(image).convert("L")
    gray_image.thumbnail((WORKING_SIDE, WORKING_SIDE))
    gray = np.asarray(gray_image, dtype=np.float32)
    difference = gray - paper_brightness(gray)               # < 0: darker than the paper
    darkest, lightest = np.percentile(difference, [0.05, 99.95])  # ignore a few stray pixels
    ink = np.clip(-difference if -darkest > lightest else difference, 0, None)
    strongest = float(ink.max())
    if strongest < MIN_CONTRAST:
        raise BadInput("The picture looks blank: draw a digit (or upload a photo of one) and try again.")
    ink /= strongest
    ink[ink < INK_THRESHOLD] = 0.0
    return ink.astype(np.float32)


def crop_to_ink(ink: np.ndarray) -> np.ndarray:
    """The smallest rectangle that holds every inked pixel."""
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    return ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def scale_to_box(ink: np.ndarray, box: int = DIGIT_BOX) -> np.ndarray:
    """Resize so the longer side is ``box`` pixels, keeping the aspect ratio (a 1 stays thin)."""
    height, width = ink.shape
    factor = box / max(height, width)
    size = (max(1, round(height * factor)), max(1, round(width * factor)))
    # antialias averages the pixels that shrink into one, as MNIST's own scaling did
    scaled = F.interpolate(torch.from_numpy(ink)[None, None], size=size, mode="bilinear",
                           antialias=True, align_corners=False)[0, 0].clamp(0, None)
    return (scaled / scaled.max()).numpy()  # thin strokes fade when shrunk: restore full ink


def centre_of_mass(ink: np.ndarray) -> tuple[float, float]:
    """The ink-weighted mean (row, column) position."""
    total = ink.sum()
    rows, cols = np.indices(ink.shape)
    return float((rows * ink).sum() / total), float((cols * ink).sum() / total)


def paste_centred(digit: np.ndarray, canvas: int = CANVAS) -> np.ndarray:
    """Place ``digit`` on a black ``canvas`` x ``canvas`` image with its centre of mass at the middle."""
    row, col = centre_of_mass(digit)
    height, width = digit.shape
    top = min(max(round(CENTRE - row), 0), canvas - height)   # stay inside the canvas
    left = min(max(round(CENTRE - col), 0), canvas - width)
    out = np.zeros((canvas, canvas), dtype=np.float32)
    out[top:top + height, left:left + width] = digit
    return out


def to_mnist_steps(image) -> dict[str, np.ndarray]:
    """Every intermediate picture of :func:`to_mnist`, in order, for showing the pipeline."""
    ink = ink_map(image)
    cropped = crop_to_ink(ink)
    scaled = scale_to_box(cropped)
    return {"ink": ink, "cropped": cropped, "scaled to 20 px": scaled,
            "centred 28 x 28": paste_centred(scaled)}


def to_mnist(image) -> torch.Tensor:
    """A drawing or photo (path, PIL image or array) as a (28, 28) MNIST-style digit in [0, 1].

    Raises :class:`BadInput` for a blank picture or a file that is not a usable image.
    """
    return torch.from_numpy(to_mnist_steps(image)["centred 28 x 28"])
