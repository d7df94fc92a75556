"""A photo -> a 28 x 28 image that looks like Fashion-MNIST's: gray, the garment light on
black, cropped and centred. The demo, the lesson and the in-page model's port all use
:func:`to_fashion`.
"""

import numpy as np
import torch
import torch.nn.functional as F

from learntorch.inputs import BadInput, open_image

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


def to_fashion_steps(image) -> dict[str, np.ndarray]:
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
    return torch.from_numpy(to_fashion_steps(image)["28 x 28"])
