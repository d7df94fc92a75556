import contextlib
import os
import subprocess
import sys

import pytest

from learntorch.data import SHARED_DATA
from learntorch.paths import ROOT
from tools.crowd import crowd
from tools.process import running, serving_folder

# The tests read the course's data from LEARNTORCH_DATA (set by CI); a checkout beside
# ../shared/data uses that folder without being told.
if not os.environ.get("LEARNTORCH_DATA") and SHARED_DATA.is_dir():
    os.environ["LEARNTORCH_DATA"] = str(SHARED_DATA)
os.environ.setdefault("LEARNTORCH_PROGRESS", "0")
os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
ARTIFACTS = ROOT / "test-artifacts"  # logs and screenshots a failing run leaves to look at
UNDER_CI = os.environ.get("CI", "").lower() == "true"  # set by GitHub Actions and most CI services


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


def storm(url: str, send, clients: int = 16, requests: int = 3):
    """``clients`` visitors each make the same request ``requests`` times, all at the same
    moment (as a classroom does with one example file); returns a :class:`tools.crowd.Outcome`."""
    return crowd(url, lambda index: send, clients, requests)


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
