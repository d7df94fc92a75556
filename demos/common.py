"""What every demo shares: command-line options, visitor-facing errors, a guarded launch."""

import argparse
import atexit
import functools
import hashlib
import io
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home from a local demo
import gradio as gr  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from demos.accessibility import ANSWER_CLASS, CSS, HEAD  # noqa: E402
from learntorch.inputs import BadInput, open_image  # noqa: E402

MAX_UPLOAD = "10mb"
APOLOGY = "Sorry, this input could not be processed"  # the answer to an unexpected error
log = logging.getLogger("demos")
_IMAGES = Path(tempfile.mkdtemp(prefix="learntorch-demo-images-"))
atexit.register(shutil.rmtree, _IMAGES, ignore_errors=True)


def as_png_file(image) -> str:
    """Save a PIL image as a PNG file and return its path, for an image output.

    Gradio stores a returned PIL image under a hash of its bytes without an atomic write,
    so two requests answering the same picture at the same moment could hand a client a
    half-written file. A file path is copied into Gradio's cache atomically instead.
    """
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    data = buffer.getvalue()
    path = _IMAGES / f"{hashlib.sha256(data).hexdigest()[:32]}.png"
    if not path.exists():
        partial = path.with_suffix(f".{os.getpid()}-{threading.get_ident()}.part")
        partial.write_bytes(data)
        os.replace(partial, path)  # atomic: readers see no file or the whole file
    return str(path)


PREVIEW_SIDE = 196  # a model's 28 x 28 input, each pixel shown as a 7 x 7 block


def enlarged_preview(seen) -> str:
    """The 28 x 28 uint8 image a model saw, enlarged with square pixels, as a PNG file."""
    image = Image.fromarray(seen).resize((PREVIEW_SIDE, PREVIEW_SIDE), Image.Resampling.NEAREST)
    return as_png_file(image)


def label_and_preview(label_text: str) -> tuple[gr.Label, gr.Image]:
    """An image demo's two outputs: the three likeliest classes and the enlarged input.

    They are created unrendered, so that examples can name them before the layout places
    them (call ``.render()`` where they belong).
    """
    return (gr.Label(num_top_classes=3, label=label_text, elem_classes=[ANSWER_CLASS], render=False),
            gr.Image(label="What the model saw (28 x 28, enlarged)", format="png",
                     interactive=False, height=PREVIEW_SIDE + 60, render=False))


def friendly_errors(predict):
    """Show a :class:`BadInput` as its message, and any other failure as a short apology."""
    @functools.wraps(predict)
    def wrapper(*args, **kwargs):
        try:
            return predict(*args, **kwargs)
        except BadInput as error:
            raise gr.Error(str(error), print_exception=False) from None
        except gr.Error:
            raise
        except Exception as error:  # the server keeps running; the log has the details
            log.exception("prediction failed")
            raise gr.Error(f"{APOLOGY} ({type(error).__name__}).",
                           print_exception=False) from None
    return wrapper


def checked_before_decoding(component: gr.components.Component) -> gr.components.Component:
    """Make ``component`` refuse a non-image, damaged or huge upload with a visitor-facing message.

    Gradio decodes an upload (in the component's ``preprocess``) before the predict function
    runs, and reports an undecodable file as an internal error. Running every uploaded file
    through :func:`learntorch.inputs.open_image` first turns those cases into a clear
    ``gr.Error``, and stops a 10 000 x 10 000 picture before it is decoded.

    The component must hand the demo a decoded picture (``type="pil"``). With
    ``type="filepath"`` Gradio re-saves a converted picture (every sketch, and any upload
    that is not RGB) into its cache under a hash of the picture's bytes, overwriting the
    file in place: when visitors send the same picture at the same moment, one request
    truncates the file while another reads it, and a valid image reads as "not an image".
    """
    if component.type != "pil":
        raise ValueError(f"{type(component).__name__} must use type='pil' (see checked_before_decoding)")
    preprocess = component.preprocess

    @functools.wraps(preprocess)
    def checked(payload):
        files = [payload] if hasattr(payload, "path") else [
            getattr(payload, "background", None), getattr(payload, "composite", None),
            *(getattr(payload, "layers", None) or [])]
        for path in {file.path for file in files if file is not None and file.path}:
            try:
                open_image(path)
            except BadInput as error:
                raise gr.Error(str(error), print_exception=False) from None
        return preprocess(payload)

    component.preprocess = checked
    return component


def parse_args(description: str, port: int, host: str = "127.0.0.1") -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=port,
                        help=f"port to listen on (default {port}; 0: the first free one from 7860)")
    parser.add_argument("--host", default=host,
                        help=f"address to bind (default: {host})")
    return parser.parse_args()


def launch(app: gr.Blocks, args: argparse.Namespace) -> None:
    # One CPU thread per prediction: the server answers several requests at once, and these
    # small models run slower, not faster, when their threads compete for a busy CPU
    # (benchmarks/digits.py prints both). Set here, not on import, so that a process which
    # only imports a demo's module (a test, a benchmark) keeps its own thread count.
    torch.set_num_threads(1)
    # Stopped by a signal (the tests, a process manager) the server exits as on Ctrl-C,
    # so that atexit removes its temporary pictures.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    app.queue(default_concurrency_limit=4).launch(
        server_name=args.host, server_port=args.port or None, max_file_size=MAX_UPLOAD, show_error=True,
        css=CSS, head=HEAD)
