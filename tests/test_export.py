"""The ONNX exports that run in the site's pages: current, small enough, and the same model.

onnxruntime (Python) runs each export on real test inputs and must agree with torch
running the checkpoint: every logit within 1e-4, the same top-1 on at least 99.9%.
"""

import json

import numpy as np
import onnxruntime
import pytest
import torch

from learntorch import export
from learntorch.digits.model import normalise_digits
from learntorch.digits.predict import demo_model as digit_model
from learntorch.fashion.model import to_unit
from learntorch.fashion.predict import demo_model as garment_model
from learntorch.next_word.data import book_split
from learntorch.next_word.generate import CONTEXT, next_token_logits
from learntorch.next_word.predict import load_next_word
from learntorch.data import image_tensors

pytestmark = pytest.mark.usefixtures("one_torch_thread")
MAX_DOWNLOAD = 25_000_000  # bytes of models a page may download, all three together
TOLERANCE = 1e-4
MIN_AGREEMENT = 0.999


def info(name: str) -> dict:
    return json.loads((export.OUT / f"{name}.json").read_text(encoding="utf-8"))


def session(name: str) -> onnxruntime.InferenceSession:
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    return onnxruntime.InferenceSession(export.OUT / info(name)["model"], options)


def test_exports_match_their_checkpoints():
    problems = export.stale()
    assert not problems, ("the in-page models are stale: " + "; ".join(problems)
                          + ". Run `make models` (or `python -m learntorch.export`).")


def test_models_download_at_most_25_mb():
    sizes = {name: (export.OUT / info(name)["model"]).stat().st_size for name in export.MODELS}
    assert sum(sizes.values()) <= MAX_DOWNLOAD, sizes
    assert all(info(name)["opset"] >= 18 for name in sizes)


def assert_same_model(reference: torch.Tensor, exported: np.ndarray):
    assert exported.shape == tuple(reference.shape)
    reference = reference.numpy()
    assert np.abs(exported - reference).max() <= TOLERANCE
    agreement = (exported.argmax(axis=1) == reference.argmax(axis=1)).mean()
    assert agreement >= MIN_AGREEMENT, agreement


@torch.no_grad()
def test_digit_export_matches_torch_on_mnist_test_digits():
    images = image_tensors("MNIST", train=False)[0][:2000]
    inputs = normalise_digits(images.unsqueeze(1).float() / 255)      # (N, 1, 28, 28)
    reference = digit_model()(inputs)
    assert_same_model(reference, session("digits").run(None, {"image": inputs.numpy()})[0])


@torch.no_grad()
def test_garment_export_matches_torch_on_fashion_mnist_test_images():
    images = image_tensors("FashionMNIST", train=False)[0][:500]
    inputs = to_unit(images)                                  # (N, 1, 28, 28) in [0, 1]
    model = garment_model()
    reference = torch.cat([model(batch) for batch in inputs.split(250)])
    exported = session("fashion")
    assert_same_model(reference, np.concatenate(
        [exported.run(None, {"image": batch.numpy()})[0] for batch in inputs.split(250)]))


@pytest.fixture(scope="module")
def test_windows():
    """1000 windows of the book's test part, 1 to 64 tokens long, as ids."""
    model, vocab = load_next_word()
    ids = vocab.encode(book_split().test)
    generator = np.random.default_rng(0)
    starts = generator.integers(0, len(ids) - CONTEXT, 1000)
    lengths = generator.integers(1, CONTEXT + 1, 1000)
    return model, [ids[start:start + length] for start, length in zip(starts, lengths)]


@torch.no_grad()
def test_next_word_export_matches_torch_on_the_books_test_part(test_windows):
    model, windows = test_windows
    exported = session("next_word")
    zeros = np.zeros(info("next_word")["state_shape"], dtype=np.float32)
    reference = torch.stack([next_token_logits(model, window) for window in windows])
    assert_same_model(reference, np.concatenate(
        [exported.run(["logits"], {"ids": np.array([window]), "h": zeros, "c": zeros})[0]
         for window in windows]))


@torch.no_grad()
def test_next_word_export_carries_its_state_one_step_at_a_time(test_windows):
    """A continuation feeds back one token at a time with the state: the same as torch."""
    model, windows = test_windows
    exported = session("next_word")
    for window in windows[:20]:
        state = [np.zeros(info("next_word")["state_shape"], dtype=np.float32)] * 2
        torch_state = None
        for step in (window, [5], [17], [2]):  # the prompt, then three single tokens
            logits, *state = exported.run(None, {"ids": np.array([step]), "h": state[0], "c": state[1]})
            reference, torch_state = model(torch.tensor([step]), torch_state, last_only=True)
            assert np.abs(logits - reference[:, -1].numpy()).max() <= TOLERANCE
