"""The garment demo as a script sees it: a running server driven through gradio_client with
Fashion-MNIST test images dressed up as product photos, the examples, and bad input."""

import re

import numpy as np
import pytest
import torch
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from conftest import ARTIFACTS, start_demo, storm
from learntorch.data import FASHION_CLASSES, image_tensors
from learntorch.fashion.model import to_unit
from learntorch.fashion.predict import demo_model
from tools.payloads import as_photo, bad_upload


@pytest.fixture(scope="module")
def client():
    with start_demo("demos.fashion") as url:
        yield Client(url, verbose=False)


@pytest.fixture(scope="module")
def correctly_classified():
    """Two test images per class that the checkpoint gets right as plain Fashion-MNIST input."""
    images, labels = image_tensors("FashionMNIST", train=False)
    images, labels = images[:500], labels[:500]
    with torch.no_grad():
        predicted = demo_model()(to_unit(images)).argmax(dim=1)
    chosen = []
    for label in range(10):
        right = torch.nonzero((labels == label) & (predicted == label)).flatten()[:2]
        chosen += [(images[i].numpy(), label) for i in right.tolist()]
    assert len(chosen) == 20, "the checkpoint misses whole classes of the first 500 test images"
    return chosen


def test_endpoints_are_named_after_the_demo(client):
    # the same names as in the combined app (tests/test_demo_app.py)
    assert set(client.view_api(print_info=False, return_format="dict")["named_endpoints"]) == {"/fashion"}


def test_test_images_sent_as_photos_get_their_class(client, correctly_classified, tmp_path):
    for index, (image, label) in enumerate(correctly_classified):
        answer, preview = client.predict(handle_file(str(as_photo(image, tmp_path / f"{index}.png"))),
                                         api_name="/fashion")
        assert answer["label"] == FASHION_CLASSES[label], (index, answer)
        assert len(answer["confidences"]) == 3
    seen = np.asarray(Image.open(preview).convert("L"))
    assert seen.shape == (196, 196) and seen.max() > 200  # the garment is light on black, enlarged


EXAMPLES = {"t-shirt.png": "T-shirt/top", "trousers.png": "Trouser", "bag.png": "Bag",
            "dress.png": "Dress", "ankle-boot.png": "Ankle boot"}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_examples_are_recognised(client, name):
    from demos.fashion import EXAMPLE_FILES, EXAMPLES as FOLDER
    assert set(EXAMPLE_FILES) == set(EXAMPLES)
    answer, _ = client.predict(handle_file(str(FOLDER / name)), api_name="/fashion")
    assert answer["label"] == EXAMPLES[name], answer


def test_one_file_sent_by_many_visitors_at_once_is_read_every_time(client, correctly_classified, tmp_path):
    # Identical files arriving together once collided in Gradio's cache of converted
    # pictures, and some visitors were told that a valid image is not an image.
    image, label = correctly_classified[0]
    photo = tmp_path / "x.png"
    Image.open(as_photo(image, photo)).convert("L").save(photo)  # grayscale: converted on upload
    outcome = storm(client.src, lambda visitor: visitor.predict(handle_file(str(photo)), api_name="/fashion"))
    assert outcome.errors == []
    assert [answer["label"] for answer, _ in outcome.answers] == [FASHION_CLASSES[label]] * 48


EXPECTED = {
    "blank": "looks blank: upload a photo of one garment",
    "transparent": "looks blank: upload a photo of one garment",
    "not an image": "is not an image this demo can read",
    "huge": "10000 x 10000 pixels; the limit is 25 megapixels",
}


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_bad_input_gets_a_clear_message(client, tmp_path, kind):
    with pytest.raises(AppError, match=re.escape(EXPECTED[kind])):
        client.predict(handle_file(str(bad_upload(tmp_path, kind, side=300))), api_name="/fashion")


def test_nothing_sent_gets_a_clear_message(client):
    with pytest.raises(AppError, match="No picture received"):
        client.predict(None, api_name="/fashion")


def test_server_survives_bad_input_without_tracebacks(client, tmp_path, correctly_classified):
    for kind in EXPECTED:  # the server answers the next request after every bad one
        with pytest.raises(AppError):
            client.predict(handle_file(str(bad_upload(tmp_path, kind, side=300))), api_name="/fashion")
    image, label = correctly_classified[0]
    answer, _ = client.predict(handle_file(str(as_photo(image, tmp_path / "ok.png"))),
                               api_name="/fashion")
    assert answer["label"] == FASHION_CLASSES[label]
    log = (ARTIFACTS / "demos.fashion.log").read_text()
    assert "Traceback" not in log, log[-3000:]
