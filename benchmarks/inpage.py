"""Measured figures for the in-page models in Chromium: the time from opening the Demos page
to each model being ready, and the latency of one prediction (preprocessing included)
through the page's API, window.learntorchDemos.

    python benchmarks/inpage.py [--loads 5] [--repeats 100] [--site SITE_DIR]

The site is built here (``mkdocs build``; ``make models`` must have run) unless --site
names a built one. Every load is in a fresh browser context, so nothing comes from a
cache: each model alone on the lesson page that ends with it, then the Demos page, where
the three load at once. Predictions run one after another on one page: a 280 x 280
drawing of a 7, a garment photo (the example t-shirt, 400 x 400) and a phrase.
"""

import argparse
import base64
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from common import ROOT, drawn_seven, percentiles  # also puts the project on sys.path
from tools.process import serving_folder
from tools.visit import browser_page

PHRASE = "“My dear Watson,” said Holmes, as we sat on either side of the fire in his lodgings at"
MODELS = ("digits", "fashion", "nextWord")
LESSON_PAGES = {"digits": "lessons/09_cnn/", "fashion": "lessons/10_transfer_learning/",
                "nextWord": "lessons/12_lstm_next_word/"}

# In the page: milliseconds from the start of the navigation to each model's `ready`.
READY_TIMES = """async (models) => {
  const times = {};
  await Promise.all(models.map(async (name) => {
    await learntorchDemos[name].ready;
    times[name] = performance.now();
  }));
  return times;
}"""

# In the page: milliseconds taken by each of `repeats` predictions of `model` on `input`.
PREDICTION_TIMES = """async ([model, input, repeats]) => {
  if (input.startsWith("data:")) {
    const image = new Image();
    image.src = input;
    await image.decode();
    input = image;
  }
  for (let i = 0; i < 5; i++) await learntorchDemos[model].predict(input);  // warm-up
  const times = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    await learntorchDemos[model].predict(input);
    times.push(performance.now() - start);
  }
  return times;
}"""


def data_url(path: Path) -> str:
    return f"data:image;base64,{base64.b64encode(path.read_bytes()).decode()}"


def measure(site: Path, loads: int, repeats: int) -> None:
    with tempfile.TemporaryDirectory() as scratch, serving_folder(site) as url, \
            browser_page() as first_page:
        browser = first_page.context.browser
        def ready_times(path: str, models) -> dict[str, list[float]]:
            seconds = {name: [] for name in models}
            for _ in range(loads):
                context = browser.new_context()  # an empty cache each time
                page = context.new_page()
                page.goto(url + path, wait_until="commit")
                page.wait_for_function("window.learntorchDemos !== undefined")
                for name, milliseconds in page.evaluate(READY_TIMES, list(models)).items():
                    seconds[name].append(milliseconds / 1000)
                context.close()
            return seconds

        for name, path in LESSON_PAGES.items():
            print(f"page load -> {name:<8} ready, alone on {path:<28} {percentiles(ready_times(path, [name])[name])}")
        for name, seconds in ready_times("demos/", MODELS).items():
            print(f"page load -> {name:<8} ready, all three on demos/{'':<17} {percentiles(seconds)}")
        page = first_page
        page.goto(url + "demos/")
        inputs = {"digits": data_url(drawn_seven(Path(scratch) / "seven.png")),
                  "fashion": data_url(ROOT / "demos" / "examples" / "fashion" / "t-shirt.png"),
                  "nextWord": PHRASE}
        for name in MODELS:
            milliseconds = page.evaluate(PREDICTION_TIMES, [name, inputs[name], repeats])
            print(f"prediction, {name:<8} (in-page)  {percentiles(np.array(milliseconds) / 1000)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loads", type=int, default=5, help="page loads, each in a fresh context")
    parser.add_argument("--repeats", type=int, default=100, help="timed predictions per model")
    parser.add_argument("--site", type=Path, help="a built site (default: build one here)")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; Chromium, onnxruntime-web "
          f"on WebAssembly, one thread")
    with tempfile.TemporaryDirectory() as scratch:
        site = args.site
        if site is None:
            site = Path(scratch) / "site"
            subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(site)],
                           cwd=ROOT, check=True, env=dict(os.environ, NO_MKDOCS_2_WARNING="1"))
        measure(site, args.loads, args.repeats)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
