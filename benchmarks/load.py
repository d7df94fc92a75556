"""Concurrent clients against each demo and against Gradio's own floor, side by side:
requests, errors, latency percentiles, throughput, and the demo server's memory.

    python benchmarks/load.py [--clients 32] [--requests 10] [--demos digits fashion next_word]

For each demo two servers run on loopback: the demo (``python -m demos.NAME``) and its
floor, a no-op app with the same components launched the same way, whose function does
no work (``benchmarks/NAME.py --serve-floor``). After a warm-up, three rounds follow; in
each, ``--clients`` threads each open a ``gradio_client.Client`` and send ``--requests``
predictions, all at once, to the floor and to the demo (in turns: floor first, then demo
first, then floor first again, so that a shared machine's changing load weighs on both alike).
Figures pool the three rounds. The script exits non-zero on any error, when a demo's throughput is below
``--min-throughput`` times its floor's or its p95 latency above ``--max-p95`` times the
floor's, or when the demo server's resident memory grew by more than ``--max-growth-mb``
during round 3 (the first rounds also grow the allocator's pools; a leak keeps growing).
"""

import argparse
import tempfile
from pathlib import Path

import numpy as np
import psutil
from PIL import Image

from common import ROOT, drawn_seven, percentiles, running, sketch
from tools.crowd import crowd

ROUNDS = 3


def request_makers(scratch: Path) -> dict:
    """For each demo: ``make(index) -> send(client)`` for client ``index``.

    Every client sends its own picture, as real visitors do (the tests and
    ``bad_inputs.py`` storm the demos with one identical file).
    """
    from gradio_client import handle_file

    def own_drawing(index):
        path = drawn_seven(scratch / f"seven-{index}.png", shift=index % 20)
        file = handle_file(str(path))
        return lambda client: client.predict(sketch(file), api_name="/digits")

    def own_garment(index):
        example = sorted((ROOT / "demos" / "examples" / "fashion").glob("*.*"))[index % 3]
        picture = Image.open(example).convert("RGB")
        picture.putpixel((0, 0), (index % 256, 255, 255))  # unique bytes, same garment
        path = scratch / f"garment-{index}.png"
        picture.save(path)
        file = handle_file(str(path))
        return lambda client: client.predict(file, api_name="/fashion")

    return {
        "digits": own_drawing,
        "fashion": own_garment,
        "next_word": lambda index: lambda client: client.predict(
            "It is a capital mistake to", api_name="/next_word"),
    }


def server_memory_mb(process) -> float:
    return psutil.Process(process.pid).memory_info().rss / 2**20


class Pooled:
    """The answered requests, errors and time of several rounds against one server."""

    def __init__(self):
        self.latencies, self.errors, self.seconds = [], [], 0.0

    def add(self, outcome) -> None:
        self.latencies += outcome.latencies
        self.errors += outcome.errors
        self.seconds += outcome.seconds

    def throughput(self) -> float:
        return len(self.latencies) / self.seconds

    def p95(self) -> float:
        return float(np.percentile(self.latencies, 95))

    def row(self, name: str) -> str:
        requests = len(self.latencies) + len(self.errors)
        return (f"{name:<20} {requests:>8} {len(self.errors):>6}  {percentiles(self.latencies, (50, 95, 99)):<56} "
                f"{self.throughput():>6.1f}")


def measure(name: str, make_sender, args, logs: Path) -> tuple[Pooled, Pooled, list[float]]:
    """Three rounds against the floor and the demo; the demo's memory after each."""
    floor_script = ROOT / "benchmarks" / f"{name}.py"
    with running(["-m", f"demos.{name}"], logs / f"{name}.log") as (demo_url, demo), \
            running([str(floor_script), "--serve-floor"], logs / f"{name}-floor.log") as (floor_url, _):
        for url in (floor_url, demo_url):  # warm-up: model loaded, connections and caches made
            crowd(url, make_sender, clients=4, requests=5)
        floor, measured, memory = Pooled(), Pooled(), [server_memory_mb(demo)]
        for round_ in range(ROUNDS):
            # floor first, then demo first, ...: a shared machine's load drifts alike for both
            for pooled, url in ((floor, floor_url), (measured, demo_url))[::1 if round_ % 2 == 0 else -1]:
                pooled.add(crowd(url, make_sender, args.clients, args.requests))
            memory.append(server_memory_mb(demo))
    return floor, measured, memory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=10, help="per client and round")
    parser.add_argument("--demos", nargs="+", default=["digits", "fashion", "next_word"])
    parser.add_argument("--min-throughput", type=float, default=0.9, help="times the floor's")
    parser.add_argument("--max-p95", type=float, default=1.25, help="times the floor's")
    parser.add_argument("--max-growth-mb", type=float, default=50.0, help="during round 3")
    args = parser.parse_args()

    failures, tables = [], []
    with tempfile.TemporaryDirectory() as scratch:
        makers = request_makers(Path(scratch))
        for name in args.demos:
            floor, measured, memory = measure(name, makers[name], args, Path(scratch))
            throughput, p95 = measured.throughput() / floor.throughput(), measured.p95() / floor.p95()
            growth = memory[-1] - memory[-2]
            tables.append((name, floor, measured, throughput, p95, memory))
            if floor.errors or measured.errors:
                failures.append(f"{name}: {len(measured.errors)} errors, floor {len(floor.errors)}")
            if throughput < args.min_throughput:
                failures.append(f"{name}: throughput {throughput:.2f} x the floor's (at least {args.min_throughput})")
            if p95 > args.max_p95:
                failures.append(f"{name}: p95 {p95:.2f} x the floor's (at most {args.max_p95})")
            if growth > args.max_growth_mb:
                failures.append(f"{name}: memory grew {growth:.0f} MB during round {ROUNDS}")
            for error in sorted(set(floor.errors + measured.errors))[:5]:
                print(f"  {name} error: {error}")

    print(f"\n{args.clients} concurrent clients x {args.requests} requests, {ROUNDS} rounds per server, "
          f"loopback, {psutil.cpu_count()} CPUs, load average {psutil.getloadavg()[0]:.1f}")
    print(f"{'server':<20} {'requests':>8} {'errors':>6}  {'latency':<56} {'req/s':>6}")
    for name, floor, measured, throughput, p95, memory in tables:
        print(floor.row(f"{name} floor (no-op)"))
        print(measured.row(name))
        print(f"{'':<20} demo / floor: throughput {throughput:.2f} (>= {args.min_throughput}), "
              f"p95 {p95:.2f} (<= {args.max_p95}); demo RSS "
              f"{' -> '.join(f'{mb:.0f}' for mb in memory)} MB (warm, rounds 1-{ROUNDS})")
    print("\n" + ("\n".join(f"FAIL {failure}" for failure in failures) if failures else "all within limits"))
    raise SystemExit(1 if failures else 0)


if __name__ == "__main__":
    main()
