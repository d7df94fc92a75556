import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The tests read the course's data from LEARNTORCH_DATA (set by the Makefile and CI);
# a checkout beside ../shared/data finds it without being told.
if not os.environ.get("LEARNTORCH_DATA") and (ROOT.parent / "shared" / "data").is_dir():
    os.environ["LEARNTORCH_DATA"] = str(ROOT.parent / "shared" / "data")
os.environ.setdefault("LEARNTORCH_PROGRESS", "0")
os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
ARTIFACTS = ROOT / "test-artifacts"  # logs and screenshots a failing run leaves to look at


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """The site built with ``mkdocs build --strict`` (a warning fails it)."""
    site = tmp_path_factory.mktemp("site")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    return site


def free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_demo(module: str, timeout: float = 90.0):
    """Context manager: run ``python -m module --port P`` and yield its URL once it answers."""
    import contextlib
    import time
    import urllib.request

    @contextlib.contextmanager
    def running():
        port = free_port()
        ARTIFACTS.mkdir(exist_ok=True)
        log = open(ARTIFACTS / f"{module}.log", "w")
        process = subprocess.Popen([sys.executable, "-m", module, "--port", str(port)], cwd=ROOT,
                                   stdout=log, stderr=subprocess.STDOUT,
                                   env=dict(os.environ, GRADIO_ANALYTICS_ENABLED="False"))
        url = f"http://127.0.0.1:{port}/"
        try:
            deadline = time.monotonic() + timeout
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"{module} exited with {process.returncode}; see {log.name}")
                try:
                    urllib.request.urlopen(url, timeout=2)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{module} did not answer within {timeout} s; see {log.name}")
                    time.sleep(0.5)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
            log.close()
    return running()
