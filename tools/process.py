"""Run a demo server as a child process, for the tests and the benchmarks."""

import contextlib
import functools
import http.server
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from learntorch.paths import ROOT



def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running(args: list[str], log_path: Path, timeout: float = 120.0):
    """Start ``python ARGS --port P``; yield ``(url, process)`` once it answers; stop it after."""
    port = free_port()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, *args, "--port", str(port)], cwd=ROOT,
                                   stdout=log, stderr=subprocess.STDOUT,
                                   env=dict(os.environ, GRADIO_ANALYTICS_ENABLED="False"))
        url = f"http://127.0.0.1:{port}/"
        try:
            deadline = time.monotonic() + timeout
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"{' '.join(args)} exited with {process.returncode}; see {log_path}")
                try:
                    urllib.request.urlopen(url, timeout=2)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{' '.join(args)} did not answer within {timeout:.0f} s; "
                                           f"see {log_path}") from None
                    time.sleep(0.5)
            yield url, process
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


@contextlib.contextmanager
def serving_folder(folder: Path):
    """Serve ``folder`` over HTTP on a free loopback port, in a thread; yield the base URL."""
    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):  # no line per request on the console
            pass

    class QuietServer(http.server.ThreadingHTTPServer):
        def handle_error(self, request, client_address):  # a page left mid-download: not an error
            if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
                super().handle_error(request, client_address)

    handler = functools.partial(QuietHandler, directory=str(folder))
    server = QuietServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
