"""What the tests and the benchmarks send to the demos: photos, sketches and bad uploads."""

import io

import numpy as np
from PIL import Image


def as_photo(image: np.ndarray, path=None, side: int = 300, fmt: str = "PNG", quality: int = 80):
    """A Fashion-MNIST image as a product photo: inverted (dark on white), RGB, enlarged to
    ``side`` pixels and saved as ``fmt`` (a JPEG with ``quality``). Saved to ``path`` and the
    path returned; without a path, the decoded image comes back from memory."""
    photo = Image.fromarray(255 - image).convert("RGB").resize((side, side), Image.BICUBIC)
    options = {"quality": quality} if fmt == "JPEG" else {}
    if path is not None:
        photo.save(path, fmt, **options)
        return path
    buffer = io.BytesIO()
    photo.save(buffer, fmt, **options)
    buffer.seek(0)
    return Image.open(buffer)


def sketch(file) -> dict:
    """The sketchpad value the digit demo's drawing endpoint takes, with ``file`` (from
    ``gradio_client.handle_file``, or None) as the drawing."""
    return {"background": file, "layers": [], "composite": file}


def bad_upload(folder, kind: str, side: int = 280):
    """A file an image demo must refuse: "blank", "transparent", "not an image" or "huge"."""
    path = folder / f"{kind}.png"
    if kind == "blank":
        Image.new("RGB", (side, side), "white").save(path)
    elif kind == "transparent":
        Image.new("RGBA", (side, side), (0, 0, 0, 0)).save(path)
    elif kind == "not an image":
        path.write_text("these are words, not pixels\n")
    elif kind == "huge":
        Image.new("L", (10_000, 10_000), 255).save(path)  # a small PNG of 100 megapixels
    else:
        raise ValueError(f"no bad upload called {kind!r}")
    return path
