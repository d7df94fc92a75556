"""Every bad input the three demos must handle, sent to the running demos: a table of
input, demo, response and pass/fail.

    python benchmarks/bad_inputs.py [--demos digits fashion next_word]

"message" rows pass when the demo answers with its own clear message (a ``gr.Error``
that is not the catch-all apology); "answer" rows pass when it answers normally
(e.g. unknown words are read as ``<unk>`` and still get next-word guesses).
Exits non-zero when any row fails.
"""

import argparse
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from common import drawn_seven, running, sketch
from demos.common import APOLOGY


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
}


def send(client, demo: str, value):
    from gradio_client import handle_file
    if demo == "digits":
        file = None if value is None else handle_file(str(value))
        return client.predict(sketch(file), api_name="/predict")
    if demo == "fashion":
        return client.predict(handle_file(str(value)), api_name="/predict")
    return client.predict(value, api_name="/predict")


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
        images = image_cases(Path(scratch))
        cases = {"digits": {"empty canvas (nothing drawn)": ("message", None), **images,
                            "a 7 drawn on a transparent PNG": ("answer", seven_on_transparent(Path(scratch)))},
                 "fashion": images,
                 "next_word": TEXT_CASES}
        for demo in args.demos:
            with running(["-m", f"demos.{demo}"], Path(scratch) / f"{demo}.log") as (url, _):
                client = Client(url, verbose=False)
                for name, (expected, value) in cases[demo].items():
                    try:
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
