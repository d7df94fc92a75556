import contextlib
import os
import subprocess
import sys

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


def pytest_collection_modifyitems(items):
    """Under ``pytest -n`` keep each module that starts a server on one worker (one server),
    and every test of the built site on one worker (one ``mkdocs build``)."""
    for item in items:
        if "demo" in item.module.__name__:
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))
        elif "built_site" in item.fixturenames:
            item.add_marker(pytest.mark.xdist_group("built-site"))


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
