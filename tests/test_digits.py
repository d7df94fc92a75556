"""The digit reader's pieces: model shapes, MNIST-style preprocessing, augmentation, checkpoint."""

import json
import shutil

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from learntorch import checkpoints
from learntorch.augment import random_affine, random_thickness
from learntorch.checkpoints import CheckpointError, load_card
from learntorch.data import image_tensors
from learntorch.digits.drawing import draw_strokes as drawing
from learntorch.digits.model import CLASSES, DigitCNN, normalise_digits
from learntorch.digits.predict import CHECKPOINT, read_digit
from learntorch.digits.preprocess import centre_of_mass, to_mnist, to_mnist_steps
from learntorch.digits.recipe import NAME, DigitBatches, augment
from learntorch.inputs import BadInput


SEVEN_TOP_RIGHT = [[(150, 20), (270, 25), (215, 200)]]
ONE_LEFT = [[(40, 60), (45, 250)]]
WIDE_DASH = [[(30, 200), (250, 230)]]


def ink_box(image: np.ndarray) -> tuple[int, int]:
    rows, cols = np.flatnonzero(image.any(axis=1)), np.flatnonzero(image.any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def test_shape_arithmetic_layer_by_layer():
    model = DigitCNN().eval()
    x = torch.zeros(2, 1, 28, 28)
    shapes = []
    for layer in model.features:
        x = layer(x)
        shapes.append(tuple(x.shape[1:]))
    assert shapes == [(32, 28, 28)] * 3 + [(32, 14, 14)] + [(64, 14, 14)] * 3 + [(64, 7, 7)]
    assert model.classifier[0](x).shape == (2, 3136)
    assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 10)


@pytest.mark.parametrize("strokes", [SEVEN_TOP_RIGHT, ONE_LEFT, WIDE_DASH], ids=["seven", "one", "dash"])
def test_preprocessing_crops_scales_and_centres_by_mass(strokes):
    seen = to_mnist(drawing(strokes)).numpy()
    assert seen.shape == (28, 28) and seen.dtype == np.float32
    assert seen.min() >= 0 and seen.max() == pytest.approx(1.0)
    assert max(ink_box(seen)) == 20                       # longer side scaled to 20 pixels
    row, col = centre_of_mass(seen)
    assert abs(row - 14) <= 1 and abs(col - 14) <= 1      # where MNIST puts the centre of mass


def test_preprocessing_keeps_the_aspect_ratio():
    height, width = ink_box(to_mnist(drawing(ONE_LEFT, width=16)).numpy())
    assert height == 20 and width <= 4                    # a 1 stays thin, it is not stretched


def test_dark_on_light_and_light_on_dark_give_the_same_digit():
    dark_on_light = to_mnist(drawing(SEVEN_TOP_RIGHT))
    light_on_dark = to_mnist(drawing(SEVEN_TOP_RIGHT, ink="white", paper="black"))
    assert torch.allclose(dark_on_light, light_on_dark, atol=1e-5)


def test_unevenly_lit_photo_keeps_the_digit_large():
    rng = np.random.default_rng(0)
    strokes = np.asarray(drawing(SEVEN_TOP_RIGHT, side=280, ink="white", paper="black").convert("L"),
                         dtype=float) / 255
    light = 120 + np.linspace(-25, 25, 280)[None, :] + rng.normal(0, 4, (280, 280))  # dim, sloping
    photo = Image.fromarray((light * (1 - 0.7 * strokes)).clip(0, 255).astype(np.uint8))
    seen = to_mnist(photo).numpy()
    assert max(ink_box(seen)) == 20
    clean = to_mnist(drawing(SEVEN_TOP_RIGHT)).numpy()
    assert np.corrcoef(seen.ravel(), clean.ravel())[0, 1] > 0.9


def test_an_mnist_digit_passes_through_almost_unchanged():
    images, _ = image_tensors("MNIST", train=False)
    original = images[0].float().numpy() / 255
    seen = to_mnist(images[0].numpy()).numpy()
    assert np.corrcoef(seen.ravel(), original.ravel())[0, 1] > 0.9


@pytest.mark.parametrize("picture", [
    Image.new("RGB", (280, 280), "white"),
    Image.new("RGBA", (280, 280), (0, 0, 0, 0)),
    Image.fromarray((200 + np.random.default_rng(1).normal(0, 3, (300, 300))).astype(np.uint8)),
], ids=["white canvas", "transparent", "faint noise"])
def test_a_blank_picture_asks_for_a_digit(picture):
    with pytest.raises(BadInput, match="draw a digit"):
        to_mnist(picture)


def test_a_digit_drawn_on_transparency_is_read_as_ink():
    canvas = drawing(SEVEN_TOP_RIGHT, ink=(0, 0, 0, 255), paper=(0, 0, 0, 0), mode="RGBA")
    assert torch.allclose(to_mnist(canvas), to_mnist(drawing(SEVEN_TOP_RIGHT)), atol=1e-5)


def test_preprocess_steps_end_in_what_to_mnist_returns():
    picture = drawing(SEVEN_TOP_RIGHT)
    steps = to_mnist_steps(picture)
    assert list(steps) == ["ink", "cropped", "scaled to 20 px", "centred 28 x 28"]
    assert np.array_equal(steps["centred 28 x 28"], to_mnist(picture).numpy())


def test_augmentation_with_zero_strength_is_the_identity():
    batch = torch.rand(4, 1, 28, 28)
    same = random_affine(batch, degrees=0, scale=(1, 1), shear=0, translate=0)
    assert torch.allclose(same, batch, atol=1e-5)
    assert torch.equal(random_thickness(batch, strength=(0, 0)), batch)
    assert torch.equal(random_thickness(batch, strength=(1, 1)), F.max_pool2d(batch, 3, 1, 1))


def test_augmentation_changes_each_image_differently_and_keeps_the_range():
    images, _ = image_tensors("MNIST", train=False)
    batch = images[:64].unsqueeze(1).float() / 255
    out = augment(batch, torch.Generator().manual_seed(0))
    assert out.shape == batch.shape and out.min() >= 0 and out.max() <= 1 + 1e-6
    changes = (out - batch).abs().flatten(1).mean(dim=1)
    assert (changes > 0.01).all() and changes.std() > 0


def test_digit_batches_cover_every_image_once_per_epoch():
    images = torch.arange(10).view(10, 1, 1).expand(10, 28, 28).to(torch.uint8)
    labels = torch.arange(10)
    batches = DigitBatches(images, labels, batch_size=4, augmented=False)
    seen = torch.cat([targets for _, targets in batches])
    assert len(batches) == 3 and sorted(seen.tolist()) == list(range(10))


def test_a_recipe_run_outside_the_training_command_never_writes_the_demo_checkpoint(monkeypatch):
    monkeypatch.setenv("LEARNTORCH_PROFILE", "smoke")
    folder = checkpoints.run_folder(NAME)
    try:
        assert checkpoints.CHECKPOINTS_DIR not in folder.parents and folder != CHECKPOINT
    finally:
        shutil.rmtree(folder)
    monkeypatch.setenv("LEARNTORCH_PROFILE", "full")
    assert checkpoints.run_folder(NAME) == checkpoints.RUNS_DIR / NAME


def test_checkpoint_card_describes_the_model():
    card = load_card(CHECKPOINT)
    for key in ("name", "task", "architecture", "classes", "data", "test_metrics", "epochs",
                "wall_time_s", "device", "profile", "sha256", "torch_version", "commit"):
        assert key in card, key
    assert card["name"] == NAME and card["classes"] == list(CLASSES)
    assert card["profile"] == "full" and card["data"]["test"].startswith("10000 images")
    assert card["test_metrics"]["accuracy"] >= 0.99


def test_checkpoint_loads_verified_and_reads_mnist():
    model = checkpoints.load(DigitCNN, CHECKPOINT)
    assert not model.training
    images, labels = image_tensors("MNIST", train=False)
    with torch.no_grad():
        predictions = model(normalise_digits(images[:500].unsqueeze(1).float() / 255)).argmax(dim=1)
    assert (predictions == labels[:500]).float().mean() > 0.98


def test_a_corrupted_checkpoint_copy_is_refused(tmp_path):
    copy = tmp_path / "digit_cnn"
    shutil.copytree(CHECKPOINT, copy)
    weights = copy / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-100] ^= 0xFF  # one flipped byte inside the weights
    weights.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="does not match its card"):
        checkpoints.load(DigitCNN, copy)


def test_a_card_with_other_architecture_arguments_is_refused(tmp_path):
    copy = tmp_path / "digit_cnn"
    shutil.copytree(CHECKPOINT, copy)
    card = json.loads((copy / "card.json").read_text())
    card["architecture"]["args"]["hidden"] = 64
    (copy / "card.json").write_text(json.dumps(card))
    with pytest.raises(CheckpointError, match="does not fit"):
        checkpoints.load(DigitCNN, copy)


def test_predict_returns_probabilities_and_the_image_seen():
    probabilities, seen = read_digit(drawing(SEVEN_TOP_RIGHT), DigitCNN().eval())
    assert list(probabilities) == list(CLASSES)
    assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-5)
    assert seen.shape == (28, 28) and seen.dtype == np.uint8 and seen.max() == 255
