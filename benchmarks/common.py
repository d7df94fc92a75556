"""What the benchmark scripts share: timing, percentiles, demo servers, sample requests."""

import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from demos.process import running  # noqa: E402,F401  (re-exported for the scripts)


def percentiles(seconds, points=(50, 95)) -> str:
    ms = np.asarray(seconds) * 1000
    figures = "   ".join(f"p{p} {np.percentile(ms, p):7.2f} ms" for p in points)
    return f"{figures}   (n={len(ms)})"


def timed(fn, repeats: int, warmup: int = 5) -> list[float]:
    """Seconds taken by each of ``repeats`` calls of ``fn``, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def drawn_seven(path: Path, shift: int = 0) -> Path:
    """A thick, off-centre 7 on a white 280 x 280 canvas, as the sketchpad sends it."""
    canvas = Image.new("RGB", (280, 280), "white")
    stroke = [(140 - shift, 40), (262 - shift, 46), (200 - shift, 262)]
    ImageDraw.Draw(canvas).line(stroke, fill="black", width=20, joint="curve")
    canvas.save(path)
    return path
