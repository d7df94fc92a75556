"""Every bad input the three demos must handle, sent to the running demos: a table of
input, demo, response and pass/fail.

    python benchmarks/bad_inputs.py [--demos digits fashion next_word]

"message" rows pass when the demo answers with its own clear message (a ``gr.Error``
that is not the catch-all apology); "answer" rows pass when it answers normally
(e.g. unknown words are read as ``<unk>`` and still get next-word guesses); "together"
rows send one file from 16 visitors at once, 3 times each, and pass when all 48 requests
get the right answer. Exits non-zero when any row fails.
"""

import argparse
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from common import ROOT, drawn_seven, running, sketch
from demos.common import APOLOGY
from tools.crowd import crowd

ENDPOINTS = {"digits": "/digits", "fashion": "/fashion", "next_word": "/next_word"}


@dataclass
class Together:
    """One file sent by ``clients`` visitors at the same moment, ``requests`` times each."""
    file: Path
    expected: str  # the label every request must get
    endpoint: str | None = None  # default: the demo's own endpoint
    clients: int = 16
    requests: int = 3


def image_cases(scratch: Path) -> dict[str, tuple[str, Path]]:
    """name -> (expected, file) for both image demos."""
    not_an_image = scratch / "notes.png"
    not_an_image.write_text("these are notes, not a picture")
    huge = scratch / "huge.png"
    Image.new("L", (10000, 10000), 255).save(huge)
    blank = scratch / "blank.png"
    Image.new("RGB", (280, 280), "white").save(blank)
    clear = scratch / "transparent.png"
    Image.new("RGBA", (280, 280), (0, 0, 0, 0)).save(clear)
    return {"non-image file (text named .png)": ("message", not_an_image),
            "10000 x 10000 image": ("message", huge),
            "blank white image": ("message", blank),
            "fully transparent PNG": ("message", clear)}


def grayscale(picture: Path, path: Path) -> Path:
    """``picture`` saved as a grayscale PNG (Gradio converts such uploads to RGB itself)."""
    Image.open(picture).convert("L").save(path)
    return path


def seven_on_transparent(scratch: Path) -> Path:
    """A drawn 7 whose paper is transparent: the digit demo must still read it."""
    ink_on_clear = scratch / "seven-on-transparent.png"
    seven = np.asarray(Image.open(drawn_seven(scratch / "seven.png")).convert("L"))
    rgba = np.zeros((*seven.shape, 4), dtype=np.uint8)
    rgba[..., 3] = 255 - seven  # the ink is opaque black, the rest transparent
    Image.fromarray(rgba, "RGBA").save(ink_on_clear)
    return ink_on_clear


TEXT_CASES = {
    "empty text": ("message", ""),
    "punctuation only": ("message", "?!... ,;"),
    "unknown words": ("answer", "the zorglub quantum blockchain"),
    "100 000 characters": ("answer", "the hound of the baskervilles " * 3334),
    "emoji only": ("message", "🔍🕵️‍♂️🎻"),
    "emoji among words": ("answer", "my dear 🕵️ watson said"),
    "Chinese": ("message", "福尔摩斯先生说"),
    "Arabic": ("message", "قال شارلوك هولمز"),
    "HTML tags and a literal <unk>": ("answer", "<unk> said <b>Holmes</b> to"),
}


def send(client, demo: str, value, endpoint: str | None = None):
    from gradio_client import handle_file
    endpoint = endpoint or ENDPOINTS[demo]
    if endpoint == "/digits":
        return client.predict(sketch(None if value is None else handle_file(str(value))), api_name=endpoint)
    if demo in ("digits", "fashion"):
        return client.predict(handle_file(str(value)), api_name=endpoint)
    return client.predict(value, api_name=endpoint)


def send_together(url: str, demo: str, case: Together) -> tuple[str, str]:
    """(what came back, a summary) for one file sent by many visitors at once."""
    outcome = crowd(url, lambda index: lambda client: send(client, demo, case.file, case.endpoint),
                    case.clients, case.requests)
    labels = [answer[0]["label"] for answer in outcome.answers]
    wrong = sum(label != case.expected for label in labels)
    got = "together" if not outcome.errors and not wrong else "errors"
    first_error = f"; first error: {outcome.errors[0]}" if outcome.errors else ""
    return got, (f"{len(labels)} of {case.clients * case.requests} answered, {wrong} not {case.expected!r}, "
                 f"{len(outcome.errors)} errors{first_error}")


def summarise(response) -> str:
    label = response[0] if isinstance(response, (list, tuple)) else response
    if isinstance(label, dict) and "label" in label:
        return f"answer: {label['label']!r}"
    return f"answer: {str(response)[:60]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--demos", nargs="+", default=["digits", "fashion", "next_word"])
    args = parser.parse_args()
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        images = image_cases(scratch)
        seven = drawn_seven(scratch / "x.png")
        bag = grayscale(ROOT / "demos" / "examples" / "fashion" / "bag.png", scratch / "bag.png")
        cases = {"digits": {"empty canvas (nothing drawn)": ("message", None), **images,
                            "a 7 drawn on a transparent PNG": ("answer", seven_on_transparent(scratch)),
                            "one drawing from 16 visitors at once": ("together", Together(seven, "7")),
                            "one grayscale scan from 16 visitors at once":
                                ("together", Together(grayscale(seven, scratch / "scan.png"), "7", "/digits_upload"))},
                 "fashion": {**images, "one grayscale photo from 16 visitors at once": ("together", Together(bag, "Bag"))},
                 "next_word": TEXT_CASES}
        for demo in args.demos:
            with running(["-m", f"demos.{demo}"], scratch / f"{demo}.log") as (url, _):
                client = Client(url, verbose=False)
                for name, (expected, value) in cases[demo].items():
                    try:
                        if isinstance(value, Together):
                            got, response = send_together(url, demo, value)
                        else:
                            got, response = "answer", summarise(send(client, demo, value))
                    except AppError as error:
                        message = str(error)
                        got = "apology" if APOLOGY in message or not message.strip() else "message"
                        response = f"message: {message}"
                    except Exception as error:  # a crash of the client call itself: always a failure
                        got, response = "crash", f"{type(error).__name__}: {error}"
                    rows.append((name, demo, response.replace("\n", " ")[:110], got == expected))

    width = max(len(row[0]) for row in rows)
    print(f"{'input':<{width}}  {'demo':<9}  {'result':<4}  response")
    for name, demo, response, passed in rows:
        print(f"{name:<{width}}  {demo:<9}  {'pass' if passed else 'FAIL':<4}  {response}")
    failures = sum(not row[3] for row in rows)
    print(f"\n{len(rows) - failures} passed, {failures} failed")
    raise SystemExit(1 if failures else 0)


if __name__ == "__main__":
    main()
