"""Measured figures for the digit reader: accuracy of the saved checkpoint, model and
preprocessing latency, and the demo's round trip beside a no-op Gradio floor.

    python benchmarks/digits.py [--requests 100]

The round trips are measured through ``gradio_client`` against two servers started here:
the real demo (``python -m demos.digits``) and a no-op app with the same inputs and
outputs (a sketchpad in, a label and an image out) whose function does no work. Their
requests alternate, so both see the same load on a shared machine; the difference is
what the model, the preprocessing and the preview add.
"""

import tempfile
from pathlib import Path

import torch
from PIL import Image

from common import (ROOT, benchmark_main, drawn_seven, percentiles,  # also puts the project on sys.path
                    round_trips_against_floor, sketch, timed, timed_per_thread_count)
from learntorch.data import image_tensors
from learntorch import checkpoints
from learntorch.digits.model import DigitCNN, normalise_digits
from learntorch.digits.predict import CHECKPOINT
from learntorch.digits.preprocess import to_mnist
from learntorch.digits.recipe import plain_loader
from learntorch.train import evaluate


def floor_app():
    """A no-op app shaped like the demo: sketchpad in, label and 196 x 196 image out."""
    from demos.common import as_png_file, gr
    constant_label = {str(d): 0.1 for d in range(10)}
    constant_image = as_png_file(Image.new("L", (196, 196)))
    with gr.Blocks() as app:
        drawing = gr.Sketchpad(type="pil", format="png", canvas_size=(280, 280), fixed_canvas=True,
                              layers=False, transforms=())
        label, image = gr.Label(num_top_classes=3), gr.Image(format="png")
        gr.Button().click(lambda _: (constant_label, constant_image), drawing, [label, image],
                          api_name="digits")
    return app


def benchmark_accuracy(model) -> None:
    images, labels = image_tensors("MNIST", train=False)
    loss, accuracy = evaluate(model, plain_loader(images, labels), device=torch.device("cpu"))
    print(f"checkpoint test accuracy (recomputed, {len(labels)} MNIST test images): "
          f"{accuracy:.4%}  loss {loss:.4f}")


def benchmark_latency(model, repeats: int, picture: Path) -> None:
    one = normalise_digits(to_mnist(picture))[None, None]  # (1, 1, 28, 28)
    timed_per_thread_count("model forward, 1 image", lambda: model(one), repeats)
    print(f"preprocessing, 280 x 280 drawing (to_mnist): {percentiles(timed(lambda: to_mnist(picture), repeats))}")
    photo = ROOT / "demos" / "examples" / "digits" / "five-on-grey.jpg"
    print(f"preprocessing, 640 x 480 JPEG photo:         {percentiles(timed(lambda: to_mnist(photo), repeats))}")


def benchmark_round_trip(requests: int, picture: Path, logs: Path) -> None:
    from gradio_client import handle_file
    file = handle_file(str(picture))
    payload = sketch(file)
    label, _ = round_trips_against_floor("demos.digits", __file__,
                                         lambda client: client.predict(payload, api_name="/digits"), requests, logs)
    print(f"demo's answer to a drawn 7: {label['label']}")


def measure(args) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        picture = drawn_seven(Path(scratch) / "seven.png")
        model = checkpoints.load(DigitCNN, CHECKPOINT)  # verifies the weights' SHA-256 against the card
        benchmark_accuracy(model)
        benchmark_latency(model, args.repeats, picture)
        benchmark_round_trip(args.requests, picture, Path(scratch))


if __name__ == "__main__":
    benchmark_main(__doc__, floor_app, measure, requests=100, repeats=200)
