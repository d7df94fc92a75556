"""Concurrent clients against each demo: requests, errors, latency percentiles, throughput,
and the server's memory before and after.

    python benchmarks/load.py [--clients 32] [--requests 25] [--demos digits next_word fashion]

Each demo runs as its own server on loopback. After a warm-up, ``--clients`` threads each
open a ``gradio_client.Client`` and send ``--requests`` predictions, all at once. The
script exits non-zero on any error, or when the server's resident memory grew by more
than ``--max-growth-mb`` during the second of two identical rounds (the first round also
grows the allocator's pools; a leak keeps growing). The table shows the second round.
"""

import argparse
import tempfile
import threading
import time
from pathlib import Path

import psutil
from PIL import Image

from common import ROOT, drawn_seven, percentiles, running, sketch


def request_makers(scratch: Path) -> dict:
    """For each demo: its module, and ``make(index) -> send(client)`` for client ``index``.

    Every client sends its own picture, as real visitors do. (Gradio caches uploads under
    a hash of their content, and identical files uploaded at the same moment were seen to
    collide there: a half-written file, read by the other request.)
    """
    from gradio_client import handle_file

    def own_drawing(index):
        path = drawn_seven(scratch / f"seven-{index}.png", shift=index % 20)
        file = handle_file(str(path))
        return lambda client: client.predict(sketch(file), api_name="/predict")

    def own_garment(index):
        example = sorted((ROOT / "demos" / "examples" / "fashion").glob("*.*"))[index % 3]
        picture = Image.open(example).convert("RGB")
        picture.putpixel((0, 0), (index % 256, 255, 255))  # unique bytes, same garment
        path = scratch / f"garment-{index}.png"
        picture.save(path)
        file = handle_file(str(path))
        return lambda client: client.predict(file, api_name="/predict")

    return {
        "digits": ("demos.digits", own_drawing),
        "fashion": ("demos.fashion", own_garment),
        "next_word": ("demos.next_word", lambda index: lambda client: client.predict(
            "It is a capital mistake to", api_name="/predict")),
    }


def server_memory_mb(process) -> float:
    return psutil.Process(process.pid).memory_info().rss / 2**20


def hammer(url: str, make_sender, clients: int, requests: int):
    from gradio_client import Client
    latencies, errors, lock = [], [], threading.Lock()
    barrier = threading.Barrier(clients)

    def one_client(index):
        client, send = Client(url, verbose=False), make_sender(index)
        barrier.wait()  # every client connected: start together
        for _ in range(requests):
            begin = time.perf_counter()
            try:
                send(client)
                with lock:
                    latencies.append(time.perf_counter() - begin)
            except Exception as error:  # counted and shown, never hidden
                with lock:
                    errors.append(f"{type(error).__name__}: {error}"[:200])

    threads = [threading.Thread(target=one_client, args=(index,)) for index in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=25, help="per client")
    parser.add_argument("--demos", nargs="+", default=["digits", "fashion", "next_word"])
    parser.add_argument("--max-growth-mb", type=float, default=100.0)
    args = parser.parse_args()

    failed = False
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        makers = request_makers(Path(scratch))
        for name in args.demos:
            module, make_sender = makers[name]
            with running(["-m", module], Path(scratch) / f"{name}.log") as (url, process):
                hammer(url, make_sender, clients=4, requests=5)  # warm-up: model loaded, caches filled
                # Two full rounds: the first also grows the allocator's per-thread pools under
                # concurrency; a leak keeps growing in the second.
                memory, errors = [server_memory_mb(process)], []
                for _ in range(2):
                    latencies, round_errors, seconds = hammer(url, make_sender, args.clients, args.requests)
                    errors += round_errors
                    memory.append(server_memory_mb(process))
                before, after = memory[1], memory[2]
                print(f"  {name}: server RSS {' -> '.join(f'{mb:.0f} MB' for mb in memory)} "
                      f"(after warm-up, round 1, round 2)")
            total = 2 * args.clients * args.requests  # errors count over both rounds
            rows.append((name, total, len(errors), percentiles(latencies, (50, 95, 99)),
                         len(latencies) / seconds, before, after))
            if errors or after - before > args.max_growth_mb:
                failed = True
            for error in sorted(set(errors))[:5]:
                print(f"  {name} error: {error}")

    print(f"\n{args.clients} concurrent clients x {args.requests} requests per demo, two rounds, loopback, "
          f"{psutil.cpu_count()} CPUs; latency and throughput of round 2")
    print(f"{'demo':<10} {'requests':>8} {'errors':>6}  {'latency':<56} {'req/s':>6}  {'server RSS over round 2':>28}")
    for name, total, errors, latency, throughput, before, after in rows:
        print(f"{name:<10} {total:>8} {errors:>6}  {latency:<56} {throughput:>6.1f}  "
              f"{before:>9.0f} MB -> {after:.0f} MB ({after - before:+.0f})")
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
