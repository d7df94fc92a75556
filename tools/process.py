"""Run a demo server as a child process, for the tests and the benchmarks."""

import contextlib
import functools
import http.server
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from learntorch.paths import ROOT

# Servers started here take the first free port from this one: above the ports the demos
# use by default (7860-7863), so that a running `make serve` and a test run never collide.
FIRST_PORT = 7900
# what Gradio prints once its server listens, e.g. "* Running on local URL:  http://127.0.0.1:7861"
LOCAL_URL = re.compile(r"Running on local URL:\s+(https?://[^\s,]+)")


@contextlib.contextmanager
def running(args: list[str], log_path: Path, timeout: float = 120.0, cwd: Path = ROOT, env: dict | None = None):
    """Start ``python ARGS --port 0``; yield ``(url, process)`` once it answers; stop it after.

    ``--port 0`` lets the server take the first free port from ``FIRST_PORT`` itself, so no
    other process can take it between choosing it and binding it; the address is read from
    the server's log. ``env`` (default: this process's environment) is the server's environment.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ if env is None else env, GRADIO_ANALYTICS_ENABLED="False",
               GRADIO_SERVER_PORT=str(FIRST_PORT))
    with open(log_path, "w") as log:
        # -u: unbuffered output, so the address appears in the log as soon as it is printed
        process = subprocess.Popen([sys.executable, "-u", *args, "--port", "0"], cwd=cwd,
                                   stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            url = _wait_for_url(process, log_path, timeout, " ".join(args))
            yield url, process
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_for_url(process: subprocess.Popen, log_path: Path, timeout: float, name: str) -> str:
    """The address the server printed, once it answers there."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}; see {log_path}")
        printed = LOCAL_URL.search(log_path.read_text(errors="replace"))
        if printed:
            url = printed[1].replace("0.0.0.0", "127.0.0.1").rstrip("/") + "/"
            try:
                urllib.request.urlopen(url, timeout=2)
                return url
            except OSError:
                pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not answer within {timeout:.0f} s; see {log_path}")
        time.sleep(0.5)


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
