"""The test suite's own rules: a missing tool cannot pass for green under CI, and CI runs the
tests before anything is deployed."""

import os
import subprocess
import sys

import yaml

from learntorch.paths import ROOT

NEEDS_A_TOOL = """
from conftest import needs_tool

@needs_tool(False, "no frobnicator at /usr/bin/frobnicator")
def test_with_the_frobnicator():
    pass
"""


def run_pytest(module, ci: str) -> subprocess.CompletedProcess:
    """pytest on ``module`` with this suite's conftest loaded as a plugin, and CI=``ci``."""
    env = dict(os.environ, CI=ci, PYTHONPATH=os.pathsep.join([str(ROOT / "tests"), str(ROOT)]))
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "conftest", "-p", "no:cacheprovider",
                           str(module)], cwd=module.parent, env=env, capture_output=True, text=True, timeout=120)


def test_a_missing_tool_skips_its_tests_but_fails_them_under_ci(tmp_path):
    module = tmp_path / "test_with_a_tool.py"
    module.write_text(NEEDS_A_TOOL)
    alone = run_pytest(module, ci="")
    assert alone.returncode == 0 and "1 skipped" in alone.stdout, alone.stdout
    under_ci = run_pytest(module, ci="true")
    assert under_ci.returncode == 1, under_ci.stdout
    assert "CI=true and a tool is missing: no frobnicator at /usr/bin/frobnicator" in under_ci.stdout


def workflow(name: str) -> dict:
    text = (ROOT / ".github" / "workflows" / name).read_text()
    return yaml.load(text, Loader=yaml.BaseLoader)  # every value a string: `on` stays "on"


def test_ci_runs_make_test_on_every_push_and_pull_request_and_deploys_only_after_it_passes():
    tests = workflow("tests.yml")
    assert {"push", "pull_request"} <= set(tests["on"])
    assert "make test" in [step.get("run") for step in tests["jobs"]["test"]["steps"]]
    for name in ("pages.yml", "space.yml"):
        deploy = workflow(name)
        assert "push" not in deploy["on"] and deploy["on"]["workflow_run"]["workflows"] == [tests["name"]]
        first_job = next(iter(deploy["jobs"].values()))
        assert "github.event.workflow_run.conclusion == 'success'" in first_job["if"]
