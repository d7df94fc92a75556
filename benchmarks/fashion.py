"""Measured figures for the garment classifier: test accuracy recomputed from the saved
checkpoint, accuracy on test images turned into photo-like uploads, the latency of one
prediction on the CPU, and the demo's round trip beside a no-op Gradio floor.

    python benchmarks/fashion.py [--photos 1000] [--requests 60] [--repeats 100]

Photo-like uploads: a Fashion-MNIST test image inverted (dark garment on white), made
RGB, resized to 300 x 300 and saved as a JPEG of quality 80, then read back through the
demo's own preprocessing (``learntorch.fashion.preprocess.to_fashion``).

The round trips are measured through ``gradio_client`` against two servers started here:
the real demo (``python -m demos.fashion``) and a no-op app with the same inputs and
outputs (an image file in, a label and an image out) whose function does no work. Their
requests alternate, so both see the same load on a shared machine; the difference is
what the preprocessing and the model add.
"""

import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from torch.utils.data import DataLoader, TensorDataset

from common import (benchmark_main, percentiles,  # also puts the project on sys.path
                    round_trips_against_floor, timed, timed_per_thread_count)
from learntorch.checkpoints import load_card
from learntorch.data import FASHION_CLASSES, image_tensors
from learntorch.fashion.model import to_unit
from learntorch.fashion.predict import CHECKPOINT, classify_garment, demo_model
from learntorch.fashion.preprocess import to_fashion
from learntorch.shared_forward import MAX_BATCH
from learntorch.train import predict
from tools.payloads import as_photo


def photo_like(image: np.ndarray) -> Image.Image:
    """A 28 x 28 Fashion-MNIST image as a visitor's photo: dark on white, RGB, 300 x 300, JPEG."""
    return as_photo(image, fmt="JPEG")


def batches(inputs: torch.Tensor, labels: torch.Tensor) -> DataLoader:
    """(N, 1, 28, 28) inputs in [0, 1] with their labels, 250 at a time."""
    return DataLoader(TensorDataset(inputs, labels), batch_size=250)


def benchmark_accuracy(model, images: torch.Tensor, labels: torch.Tensor, photos: int) -> None:
    card = load_card(CHECKPOINT)
    start = time.perf_counter()
    predicted, _ = predict(model, batches(to_unit(images), labels))
    accuracy = (predicted == labels).float().mean().item()
    print(f"checkpoint: {card['architecture']['args']}, trained on {card['device']} "
          f"({card['profile']} profile), card test accuracy {card['test_metrics']['accuracy']:.4f}")
    print(f"test accuracy recomputed from the saved weights ({len(labels)} test images, float32, "
          f"{time.perf_counter() - start:.0f} s): {accuracy:.4f}")
    subset = slice(0, photos)
    as_photos = torch.stack([to_fashion(photo_like(image.numpy())) for image in images[subset]])
    photo_predicted, _ = predict(model, batches(as_photos.unsqueeze(1), labels[subset]))  # (N, 1, 28, 28)
    plain = (predicted[subset] == labels[subset]).float().mean().item()
    photo = (photo_predicted == labels[subset]).float().mean().item()
    agree = (photo_predicted == predicted[subset]).float().mean().item()
    print(f"first {photos} test images: plain {plain:.4f}, as photo-like JPEG uploads {photo:.4f} "
          f"(same answer as plain for {agree:.1%})")


def benchmark_latency(model, repeats: int, picture: Path) -> None:
    one = to_fashion(picture)[None, None]  # (1, 1, 28, 28)
    timed_per_thread_count("model forward, 1 image", lambda: model(one), repeats)
    batch = one.repeat(MAX_BATCH, 1, 1, 1)  # what the demo's SharedForward runs under load
    timed_per_thread_count(f"model forward, a batch of {MAX_BATCH} images (not per image)",
                           lambda: model(batch), repeats)
    print(f"preprocessing, 300 x 300 JPEG (to_fashion):     "
          f"{percentiles(timed(lambda: to_fashion(picture), repeats))}")
    print(f"classify_garment(): preprocessing + model, same photo: "
          f"{percentiles(timed(lambda: classify_garment(picture, model), repeats))}")


def floor_app():
    """A no-op app shaped like the demo: an image file in, a label and a 196 x 196 image out."""
    from demos.common import as_png_file, gr
    constant_label = {name: 0.1 for name in FASHION_CLASSES}
    constant_image = as_png_file(Image.new("L", (196, 196)))
    with gr.Blocks() as app:
        photo = gr.Image(type="pil")
        label, image = gr.Label(num_top_classes=3), gr.Image(format="png")
        gr.Button().click(lambda _: (constant_label, constant_image), photo, [label, image],
                          api_name="fashion")
    return app


def benchmark_round_trip(requests: int, picture: Path, expected: str, logs: Path) -> None:
    from gradio_client import handle_file
    file = handle_file(str(picture))
    label, _ = round_trips_against_floor("demos.fashion", __file__,
                                         lambda client: client.predict(file, api_name="/fashion"),
                                         requests, logs)
    assert label["label"] == expected, label


def measure(args) -> None:
    model = demo_model()  # verifies the weights' SHA-256 against the card
    images, labels = image_tensors("FashionMNIST", train=False)
    with tempfile.TemporaryDirectory() as scratch:
        picture = Path(scratch) / "garment.jpg"
        photo_like(images[0].numpy()).save(picture)  # the first test image, as a photo
        benchmark_accuracy(model, images, labels, args.photos)
        benchmark_latency(model, args.repeats, picture)
        benchmark_round_trip(args.requests, picture, FASHION_CLASSES[labels[0]], Path(scratch))


def add_arguments(parser) -> None:
    parser.add_argument("--photos", type=int, default=1000, help="test images sent as photos")


if __name__ == "__main__":
    benchmark_main(__doc__, floor_app, measure, requests=60, repeats=100,
                   add_arguments=add_arguments)
