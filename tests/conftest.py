import contextlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from demos.crowd import crowd
from demos.process import ROOT, running

# The tests read the course's data from LEARNTORCH_DATA (set by the Makefile and CI);
# a checkout beside ../shared/data finds it without being told.
if not os.environ.get("LEARNTORCH_DATA") and (ROOT.parent / "shared" / "data").is_dir():
    os.environ["LEARNTORCH_DATA"] = str(ROOT.parent / "shared" / "data")
os.environ.setdefault("LEARNTORCH_PROGRESS", "0")
os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
ARTIFACTS = ROOT / "test-artifacts"  # logs and screenshots a failing run leaves to look at
UNDER_CI = os.environ.get("CI", "").lower() == "true"  # set by GitHub Actions and most CI services


def course_data() -> Path:
    """The folder named by LEARNTORCH_DATA, for tests that copy or alter the data files themselves."""
    folder = os.environ.get("LEARNTORCH_DATA")
    if not folder:
        pytest.fail("LEARNTORCH_DATA is not set: these tests copy and alter the course's data files, so "
                    "they need the folder that holds them (MNIST/raw, FashionMNIST/raw, text/). Set it to "
                    "that folder; `make test` uses ../shared/data when it exists.", pytrace=False)
    return Path(folder)


def needs_tool(present: bool, reason: str):
    """Mark tests that need a tool (a browser, ...): skipped with ``reason`` where it is missing,
    but failed under CI (CI=true), so that a run without the tool cannot pass for green."""
    if present:
        return pytest.mark.needs_tool(None)
    return pytest.mark.needs_tool(reason) if UNDER_CI else pytest.mark.skip(reason=reason)


def pytest_configure(config):
    config.addinivalue_line("markers", "needs_tool(reason): the test needs a tool; see conftest.needs_tool")


def pytest_runtest_setup(item):
    for marker in item.iter_markers("needs_tool"):
        if marker.args[0]:
            pytest.fail(f"CI=true and a tool is missing: {marker.args[0]}", pytrace=False)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """The site built with ``mkdocs build --strict`` (a warning fails it)."""
    site = tmp_path_factory.mktemp("site")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    return site


@contextlib.contextmanager
def start_demo(module: str, timeout: float = 120.0):
    """Run ``python -m module`` on a free port and yield its URL once it answers."""
    with running(["-m", module], ARTIFACTS / f"{module}.log", timeout) as (url, _):
        yield url


def pytest_xdist_make_scheduler(config, log):
    """Under ``pytest -n``, all tests of a module that starts a demo server run on one worker
    (one server per module, and one log); every other test goes to whichever worker is free.
    (pytest-xdist 3.8's ``xdist_group`` marks do not group anything under pytest 9.)"""
    from xdist.scheduler import LoadScopeScheduling

    class OneWorkerPerServer(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::")[0]
            return module if "demo" in module else nodeid

    return OneWorkerPerServer(config, log)


def storm(url: str, send, clients: int = 16, requests: int = 3):
    """``clients`` visitors each make the same request ``requests`` times, all at the same
    moment (as a classroom does with one example file); returns a :class:`demos.crowd.Outcome`."""
    return crowd(url, lambda index: send, clients, requests)


def as_photo(image: np.ndarray, path, side: int = 300, fmt: str = "PNG"):
    """A Fashion-MNIST image as a product photo: inverted (dark on white), RGB, enlarged."""
    photo = Image.fromarray(255 - image).convert("RGB").resize((side, side), Image.BICUBIC)
    photo.save(path, fmt)
    return path


def bad_upload(folder, kind: str, side: int = 280):
    """A file an image demo must refuse: "blank", "transparent", "not an image" or "huge"."""
    path = folder / f"{kind}.png"
    if kind == "blank":
        Image.new("RGB", (side, side), "white").save(path)
    elif kind == "transparent":
        Image.new("RGBA", (side, side), (0, 0, 0, 0)).save(path)
    elif kind == "not an image":
        path.write_text("these are words, not pixels\n")
    elif kind == "huge":
        Image.new("L", (10_000, 10_000), 255).save(path)  # a small PNG of 100 megapixels
    else:
        raise ValueError(f"no bad upload called {kind!r}")
    return path
