"""What a visitor sends, as something the models can read, or a clear "no" (:class:`BadInput`).

Both image demos go through :func:`open_image`: it refuses a missing upload, a file
that is not an image and an image too large to be a photo, before decoding pixels,
and it lays a transparent image onto a white sheet, so every later step sees RGB. The
next-word demo raises :class:`BadInput` for text it cannot use.
"""

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

MAX_PIXELS = 25_000_000  # 25 megapixels: larger than any phone photo, far below 10000 x 10000


class BadInput(ValueError):
    """Input a demo cannot use; the message is written for the visitor."""


def open_image(source) -> Image.Image:
    """An RGB ``PIL`` image from a path, a ``PIL`` image or an array; transparency onto white."""
    if source is None:
        raise BadInput("No image received: draw something or upload a picture.")
    if isinstance(source, (str, Path)):
        try:
            with warnings.catch_warnings():  # the size is checked below, with a clearer message
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                image = Image.open(source)  # reads the header only: the size is known before decoding
        except Image.DecompressionBombError:
            raise BadInput(f"That image is far beyond the {MAX_PIXELS // 1_000_000} megapixel limit. "
                           f"Please resize it and try again.") from None
        except (UnidentifiedImageError, OSError):
            raise BadInput(f"'{Path(source).name}' is not an image this demo can read: "
                           f"upload a PNG, JPEG, WebP, GIF or BMP picture.") from None
    elif isinstance(source, np.ndarray):
        image = Image.fromarray(source)
    else:
        image = source
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise BadInput(f"That image is {width} x {height} pixels; the limit is "
                       f"{MAX_PIXELS // 1_000_000} megapixels. Please resize it and try again.")
    if width == 0 or height == 0:
        raise BadInput("That image is empty (0 pixels).")
    try:
        image.load()
    except (OSError, Image.DecompressionBombError, SyntaxError):
        raise BadInput("That image file is damaged and could not be decoded.") from None
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        sheet = Image.new("RGBA", image.size, (255, 255, 255, 255))
        return Image.alpha_composite(sheet, image.convert("RGBA")).convert("RGB")
    return image.convert("RGB")
