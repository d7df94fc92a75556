"""Measured figures for the digit reader: accuracy of the saved checkpoint, model and
preprocessing latency, and the demo's round trip beside a no-op Gradio floor.

    python benchmarks/digits.py [--requests 100]

The round trips are measured through ``gradio_client`` against two servers started here:
the real demo (``python -m demos.digits``) and a no-op app with the same inputs and
outputs (a sketchpad in, a label and an image out) whose function does no work. Their
requests alternate, so both see the same load on a shared machine; the difference is
what the model, the preprocessing and the preview add.
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from learntorch.digits import load_model, normalise, plain_loader, to_mnist  # noqa: E402
from learntorch.data import image_tensors  # noqa: E402
from learntorch.train import evaluate  # noqa: E402


def percentiles(seconds: list[float]) -> str:
    ms = np.asarray(seconds) * 1000
    return f"p50 {np.percentile(ms, 50):7.2f} ms   p95 {np.percentile(ms, 95):7.2f} ms   (n={len(ms)})"


def timed(fn, repeats: int, warmup: int = 5) -> list[float]:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def drawing(path: Path) -> Path:
    """A thick, off-centre 7 on a white 280 x 280 canvas, as the sketchpad sends it."""
    canvas = Image.new("RGB", (280, 280), "white")
    ImageDraw.Draw(canvas).line([(140, 40), (262, 46), (200, 262)], fill="black", width=20, joint="curve")
    canvas.save(path)
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(args: list[str], log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, *args, "--port", str(port)], cwd=ROOT,
                               stdout=open(log, "w"), stderr=subprocess.STDOUT,
                               env=dict(os.environ, GRADIO_ANALYTICS_ENABLED="False"))
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{' '.join(args)} exited; see {log}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return process, url
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{' '.join(args)} did not start; see {log}")
            time.sleep(0.5)


def serve_floor(port: int) -> None:
    """A no-op app shaped like the demo: sketchpad in, label and 196 x 196 image out."""
    import gradio as gr
    constant_label = {str(d): 0.1 for d in range(10)}
    constant_image = Image.new("L", (196, 196))
    with gr.Blocks() as app:
        sketch = gr.Sketchpad(type="filepath", format="png", canvas_size=(280, 280), fixed_canvas=True,
                              layers=False, transforms=())
        label, image = gr.Label(num_top_classes=3), gr.Image(format="png")
        gr.Button().click(lambda _: (constant_label, constant_image), sketch, [label, image], api_name="predict")
    app.queue().launch(server_name="127.0.0.1", server_port=port)


def benchmark_accuracy() -> None:
    images, labels = image_tensors("MNIST", train=False)
    model = load_model()  # verifies the weights' SHA-256 against the card
    loss, accuracy = evaluate(model, plain_loader(images, labels), device=torch.device("cpu"))
    print(f"checkpoint test accuracy (recomputed, {len(labels)} MNIST test images): "
          f"{accuracy:.4%}  loss {loss:.4f}")


def benchmark_latency(repeats: int, picture: Path) -> None:
    model = load_model()
    one = normalise(to_mnist(picture))[None, None]  # (1, 1, 28, 28)
    default_threads = torch.get_num_threads()
    with torch.inference_mode():
        for threads in (1, default_threads):
            torch.set_num_threads(threads)
            print(f"model forward, 1 image, {threads} thread(s):   {percentiles(timed(lambda: model(one), repeats))}")
    torch.set_num_threads(default_threads)
    print(f"preprocessing, 280 x 280 drawing (to_mnist): {percentiles(timed(lambda: to_mnist(picture), repeats))}")
    photo = ROOT / "demos" / "examples" / "digits" / "five-on-grey.jpg"
    print(f"preprocessing, 640 x 480 JPEG photo:         {percentiles(timed(lambda: to_mnist(photo), repeats))}")


def benchmark_round_trip(requests: int, picture: Path, logs: Path) -> None:
    from gradio_client import Client, handle_file
    start = time.perf_counter()
    demo, demo_url = start_server(["-m", "demos.digits"], logs / "demo.log")
    started = time.perf_counter() - start
    floor, floor_url = start_server([__file__, "--serve-floor"], logs / "floor.log")
    try:
        clients = {"demo": Client(demo_url, verbose=False), "no-op floor": Client(floor_url, verbose=False)}
        file = handle_file(str(picture))
        payload = {"background": file, "layers": [], "composite": file}
        label, _ = clients["demo"].predict(payload, api_name="/predict")
        assert label["label"] == "7", label
        times = {name: [] for name in clients}
        for _ in range(3):  # warm both up (first requests load the model, open connections)
            for client in clients.values():
                client.predict(payload, api_name="/predict")
        for _ in range(requests):
            for name, client in clients.items():
                begin = time.perf_counter()
                client.predict(payload, api_name="/predict")
                times[name].append(time.perf_counter() - begin)
        print(f"demo server start to first answer: {started:.1f} s")
        for name, seconds in times.items():
            print(f"gradio_client round trip, {name:<12} {percentiles(seconds)}")
        added = np.median(times["demo"]) - np.median(times["no-op floor"])
        print(f"demo minus floor (p50): {added * 1000:+.1f} ms")
    finally:
        for process in (demo, floor):
            process.terminate()
            process.wait(timeout=15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=100, help="round trips per server")
    parser.add_argument("--repeats", type=int, default=200, help="timed calls per latency figure")
    parser.add_argument("--serve-floor", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_floor:
        serve_floor(args.port)
        return
    print(f"torch {torch.__version__}, {os.cpu_count()} CPUs, {torch.get_num_threads()} default threads, "
          f"load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as scratch:
        picture = drawing(Path(scratch) / "seven.png")
        benchmark_accuracy()
        benchmark_latency(args.repeats, picture)
        benchmark_round_trip(args.requests, picture, Path(scratch))
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
