"""What the benchmark scripts share: timing, percentiles, demo servers, sample requests."""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np


sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout: tools, demos

from learntorch.paths import ROOT  # noqa: E402,F401  (shared with the scripts)
from learntorch.digits.drawing import draw_strokes  # noqa: E402
from tools.payloads import sketch  # noqa: E402,F401  (shared with the scripts)
from tools.process import running  # noqa: E402


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
    draw_strokes([[(140 - shift, 40), (262 - shift, 46), (200 - shift, 262)]]).save(path)
    return path


def timed_per_thread_count(label: str, fn, repeats: int) -> None:
    """Print the latency of ``fn`` with one CPU thread and with torch's default count."""
    import torch
    default_threads = torch.get_num_threads()
    try:
        with torch.inference_mode():
            for threads in sorted({1, default_threads}):
                torch.set_num_threads(threads)
                print(f"{label}, {threads} thread(s): {percentiles(timed(fn, repeats))}")
    finally:
        torch.set_num_threads(default_threads)


def round_trips_against_floor(demo_module: str, floor_script: str, send, requests: int, logs: Path):
    """Time ``send(client)`` against the demo and against a no-op app shaped like it.

    ``floor_script --serve-floor --port P`` must serve the no-op app (see :func:`benchmark_main`). Requests to the two
    servers alternate, so both see the same load on a shared machine; the difference of
    their medians is what the model and its preprocessing add. Returns the demo's first answer.
    """
    from gradio_client import Client
    start = time.perf_counter()
    with running(["-m", demo_module], logs / "demo.log") as (demo_url, _), \
            running([floor_script, "--serve-floor"], logs / "floor.log") as (floor_url, _):
        started = time.perf_counter() - start
        clients = {"demo": Client(demo_url, verbose=False), "no-op floor": Client(floor_url, verbose=False)}
        first_answer = send(clients["demo"])
        for _ in range(3):  # warm both up (the first requests load the model, open connections)
            for client in clients.values():
                send(client)
        times = {name: [] for name in clients}
        for _ in range(requests):
            for name, client in clients.items():
                begin = time.perf_counter()
                send(client)
                times[name].append(time.perf_counter() - begin)
    print(f"both servers started and answered in {started:.1f} s")
    for name, seconds in times.items():
        print(f"gradio_client round trip, {name:<12} {percentiles(seconds)}")
    added = np.median(times["demo"]) - np.median(times["no-op floor"])
    print(f"demo minus floor (p50): {added * 1000:+.1f} ms")
    return first_answer


def benchmark_main(description: str, floor_app, measure, *, requests: int, repeats: int,
                   add_arguments=None) -> None:
    """The command line of a demo's benchmark script.

    ``script --serve-floor --port P`` serves ``floor_app()``, the script's no-op app shaped
    like its demo, on port P (for :func:`round_trips_against_floor`). Otherwise ``measure(args)`` runs between two
    lines giving the machine and its load, with the course's data found beside a checkout.
    ``add_arguments(parser)`` may add the script's own options.
    """
    parser = argparse.ArgumentParser(description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=requests, help="round trips per server")
    parser.add_argument("--repeats", type=int, default=repeats, help="timed calls per latency figure")
    if add_arguments:
        add_arguments(parser)
    parser.add_argument("--serve-floor", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_floor:  # launched as the demos are, so that only the work done differs
        from demos.common import launch
        launch(floor_app(), argparse.Namespace(host="127.0.0.1", port=args.port))
        return
    import torch
    print(f"torch {torch.__version__}, {os.cpu_count()} CPUs, {torch.get_num_threads()} default "
          f"threads, load average {os.getloadavg()[0]:.1f}")
    measure(args)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
