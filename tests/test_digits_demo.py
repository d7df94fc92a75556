"""The digit demo as a script sees it: a running server, driven through gradio_client
with drawings made here, and every kind of bad input."""

import math
import re

import numpy as np
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from conftest import ARTIFACTS, start_demo, storm
from learntorch.digits.drawing import draw_strokes
from tools.payloads import bad_upload, sketch


@pytest.fixture(scope="module")
def client():
    with start_demo("demos.digits") as url:
        yield Client(url, verbose=False)


def arc(cx, cy, rx, ry, start, stop, steps=24):
    """Points along an ellipse from angle ``start`` to ``stop`` (degrees, clockwise on screen)."""
    return [(cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
            for a in np.linspace(start, stop, steps)]


# Digits as a visitor draws them with a mouse: a few strokes of a 20-pixel pen, not centred.
STROKES = {
    "0": [arc(150, 140, 70, 105, 0, 360)],
    "1": [[(120, 70), (150, 40), (150, 250)]],
    "2": [arc(140, 95, 60, 55, 200, 380) + [(80, 240), (215, 240)]],
    "3": [arc(135, 85, 55, 50, 210, 450), arc(135, 190, 65, 58, 270, 510)],
    "4": [[(120, 30), (70, 170), (200, 170)], [(170, 90), (165, 260)]],
    "7": [[(60, 40), (200, 40), (110, 250)]],
}


def draw(strokes, path, **style):
    draw_strokes(strokes, **style).save(path)
    return handle_file(str(path))


def test_endpoints_are_named_after_the_demo(client):
    # the same names as in the combined app (tests/test_demo_app.py)
    assert set(client.view_api(print_info=False, return_format="dict")["named_endpoints"]) == {"/digits", "/digits_upload"}


@pytest.mark.parametrize("digit", sorted(STROKES))
def test_drawn_digits_are_read(client, tmp_path, digit):
    label, preview = client.predict(sketch(draw(STROKES[digit], tmp_path / f"{digit}.png")), api_name="/digits")
    assert label["label"] == digit, label
    assert len(label["confidences"]) == 3 and label["confidences"][0]["label"] == digit
    seen = np.asarray(Image.open(preview).convert("L"))
    assert seen.shape == (196, 196) and seen.max() == 255 and seen[0].max() < 128  # ink inside, dark frame


def test_upload_endpoint_reads_a_photo(client):
    from demos.digits import EXAMPLES
    label, _ = client.predict(handle_file(str(EXAMPLES / "five-on-grey.jpg")), api_name="/digits_upload")
    assert label["label"] == "5", label


def test_a_digit_on_a_transparent_background_is_read(client, tmp_path):
    path = draw(STROKES["7"], tmp_path / "seven.png", mode="RGBA", paper=(0, 0, 0, 0), ink=(0, 0, 0, 255))
    label, _ = client.predict(sketch(path), api_name="/digits")
    assert label["label"] == "7", label


def test_one_file_sent_by_many_visitors_at_once_is_read_every_time(client, tmp_path):
    # Identical files arriving together once collided in Gradio's cache of converted
    # pictures, and some visitors were told that a valid image is not an image.
    drawing = draw(STROKES["7"], tmp_path / "x.png")  # RGB, as the sketchpad sends it
    scan = tmp_path / "scan.png"
    Image.open(tmp_path / "x.png").convert("L").save(scan)  # a grayscale scan: converted on upload
    outcome = storm(client.src, lambda visitor: (visitor.predict(sketch(drawing), api_name="/digits")[0],
                                                 visitor.predict(handle_file(str(scan)), api_name="/digits_upload")[0]))
    assert outcome.errors == []
    assert [(drawn["label"], scanned["label"]) for drawn, scanned in outcome.answers] == [("7", "7")] * 48


EXPECTED = {
    "blank": "looks blank: draw a digit",
    "transparent": "looks blank: draw a digit",
    "not an image": "is not an image this demo can read",
    "huge": "10000 x 10000 pixels; the limit is 25 megapixels",
}


@pytest.mark.parametrize("kind", list(EXPECTED))
@pytest.mark.parametrize("endpoint", ["/digits", "/digits_upload"])
def test_bad_input_gets_a_clear_message(client, tmp_path, kind, endpoint):
    path = bad_upload(tmp_path, kind)
    payload = sketch(handle_file(str(path))) if endpoint == "/digits" else handle_file(str(path))
    with pytest.raises(AppError, match=re.escape(EXPECTED[kind])):
        client.predict(payload, api_name=endpoint)


def test_nothing_sent_gets_a_clear_message(client):
    with pytest.raises(AppError, match="canvas is empty: draw a digit"):
        client.predict({"background": None, "layers": [], "composite": None}, api_name="/digits")
    with pytest.raises(AppError, match="No picture received"):
        client.predict(None, api_name="/digits_upload")


def test_server_survives_bad_input_without_tracebacks(client, tmp_path):
    for kind in EXPECTED:  # the server answers the next request after every bad one
        with pytest.raises(AppError):
            client.predict(sketch(handle_file(str(bad_upload(tmp_path, kind)))), api_name="/digits")
    label, _ = client.predict(sketch(draw(STROKES["1"], tmp_path / "one.png")), api_name="/digits")
    assert label["label"] == "1"
    log = (ARTIFACTS / "demos.digits.log").read_text()
    assert "Traceback" not in log, log[-3000:]
