import contextlib
import os
import subprocess
import sys

import pytest

from learntorch.data import SHARED_DATA
from learntorch.paths import ROOT
from tools.process import running, serving_folder

# The tests read the course's data from LEARNTORCH_DATA (set by CI); a checkout beside
# ../shared/data uses that folder without being told.
if not os.environ.get("LEARNTORCH_DATA") and SHARED_DATA.is_dir():
    os.environ["LEARNTORCH_DATA"] = str(SHARED_DATA)
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


@pytest.fixture(scope="session")
def site_url(built_site):
    """The built site, served over HTTP on this machine."""
    with serving_folder(built_site) as url:
        yield url


@pytest.fixture
def one_torch_thread():
    """torch on one CPU thread, as the demos run: on a busy machine two threads wait on each
    other, and a prediction can take many times longer."""
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


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
