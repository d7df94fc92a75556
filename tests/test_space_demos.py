"""The hosted demos' Space: assembled into a temporary folder, started from there with a
clean import path and environment, and driven through gradio_client."""

import importlib.metadata
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from gradio_client import Client, handle_file
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version
from PIL import Image, ImageDraw

from conftest import ARTIFACTS
from learntorch.paths import ROOT
from learntorch.text import tokenize
from tools.process import running
from tools.space import MAX_BUNDLE_MB, assemble, pins

# Only what a Space has: no course data, no home folder of ours, no PYTHON* variables
# (the interpreter runs with -E) and no user site-packages (-s).
CLEAN = {name: value for name, value in os.environ.items()
         if not name.startswith(("LEARNTORCH_", "PYTHON", "HF_")) and name not in ("HOME", "XDG_CACHE_HOME")}


@pytest.fixture(scope="module")
def space(tmp_path_factory):
    folder = tmp_path_factory.mktemp("space") / "learntorch-demos"
    assert assemble(folder) <= MAX_BUNDLE_MB
    return folder


@pytest.fixture(scope="module")
def environment(tmp_path_factory):
    return dict(CLEAN, HOME=str(tmp_path_factory.mktemp("home")), LEARNTORCH_OFFLINE="1")


# Runs the Space's app.py as the Space does, from its folder, on a Python that has only
# what requirements.txt and gradio bring: no site-packages of ours (-S: not even their .pth
# files), no user site-packages (-s), no PYTHON* variables (-E), and instead a folder of
# links to just those installed distributions. It first prints where the app's own
# modules came from.
LAUNCH = """
import importlib, json, runpy, sys
sys.path.append(sys.argv.pop(1))
from demos.catalog import DEMOS
for demo in DEMOS:
    importlib.import_module(demo.module)
print("MODULES", json.dumps({name: module.__file__ for name, module in list(sys.modules.items())
                             if name.split(".")[0] in ("learntorch", "demos")}))
sys.argv[0] = "app.py"
runpy.run_path("app.py", run_name="__main__")
"""
LOG = ARTIFACTS / "space.log"


def dependency_closure(names) -> set[str]:
    """``names`` and every distribution they require, as installed here."""
    seen, todo = set(), [canonicalize_name(name) for name in names]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        todo += [canonicalize_name(r.name) for r in map(Requirement, requires)
                 if r.marker is None or r.marker.evaluate({"extra": ""})]
    return seen


def space_site_packages(space, folder):
    """``folder`` with links to the installed distributions that the Space would install."""
    required = {line.split("==")[0] for line in (space / "requirements.txt").read_text().splitlines() if "==" in line}
    folder.mkdir()
    for name in sorted(dependency_closure(required | {"gradio"})):
        try:
            distribution = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:  # a platform-specific requirement
            continue
        for top in {file.parts[0] for file in distribution.files or []}:
            source = Path(distribution.locate_file(top))
            if top != ".." and not top.endswith(".pth") and source.exists() and not (folder / top).exists():
                (folder / top).symlink_to(source)
    return folder


@pytest.fixture(scope="module")
def client(space, environment, tmp_path_factory):
    site = space_site_packages(space, tmp_path_factory.mktemp("python") / "site-packages")
    with running(["-S", "-s", "-E", "-c", LAUNCH, str(site), "--host", "127.0.0.1"],
                 LOG, timeout=180, cwd=space, env=environment) as (url, _):
        yield Client(url, verbose=False)


def front_matter(readme: str) -> dict:
    match = re.match(r"---\n(.*?)\n---\n", readme, re.DOTALL)
    assert match, "README.md must open with YAML front matter"
    return yaml.safe_load(match[1])


def test_readme_configures_a_gradio_space_at_the_pinned_version(space):
    config = front_matter((space / "README.md").read_text())
    assert config["sdk"] == "gradio" and config["sdk_version"] == pins()["gradio"]
    assert (space / config["app_file"]).is_file()
    assert re.fullmatch(r"3\.\d+", config["python_version"]) and config["license"] == "mit"
    assert config["title"] and 0 < len(config["short_description"]) <= 60


def test_requirements_are_pinned_as_in_the_constraints_with_cpu_builds_of_torch(space):
    lines = [line for line in (space / "requirements.txt").read_text().splitlines()
             if line and not line.startswith("#")]
    assert lines[0] == "--extra-index-url https://download.pytorch.org/whl/cpu"
    for requirement in map(Requirement, lines[1:]):
        (specifier,) = requirement.specifier
        assert specifier.operator == "=="
        version = Version(specifier.version)
        assert version.public == pins()[requirement.name]
        assert version.local == ("cpu" if requirement.name in ("torch", "torchvision") else None)


def test_the_app_runs_on_its_own_code_and_requirements(client, space):
    # the server started: nothing outside requirements.txt was needed to build the app
    printed = next(line for line in LOG.read_text().splitlines() if line.startswith("MODULES "))
    ours = json.loads(printed.removeprefix("MODULES "))
    assert {"learntorch.fashion.predict", "learntorch.next_word.predict", "demos.digits", "demos.common"} <= set(ours)
    outside = {name: path for name, path in ours.items() if not path.startswith(f"{space}{os.sep}")}
    assert not outside, f"imported from outside the Space: {outside}"


def test_deploying_without_a_token_says_so_and_succeeds(space):
    result = subprocess.run([sys.executable, "-m", "tools.space", "deploy", str(space)], cwd=ROOT,
                            env={**CLEAN, "HOME": str(space.parent)}, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("::notice title=Space not deployed::No HF_TOKEN secret")


def test_all_three_demos_answer_from_the_space(client, space, tmp_path):
    assert set(client.view_api(print_info=False, return_format="dict")["named_endpoints"]) == {
        "/digits", "/digits_upload", "/fashion", "/next_word", "/next_word_tokens", "/next_word_continue"}
    drawing = tmp_path / "seven.png"
    canvas = Image.new("RGB", (280, 280), "white")
    ImageDraw.Draw(canvas).line([(60, 40), (200, 40), (110, 250)], fill="black", width=20)
    canvas.save(drawing)
    file = handle_file(str(drawing))
    label, preview = client.predict({"background": file, "layers": [], "composite": file}, api_name="/digits")
    assert label["label"] == "7" and Image.open(preview).size == (196, 196)
    examples = space / "demos" / "examples"
    assert client.predict(handle_file(str(examples / "digits" / "five-on-grey.jpg")),
                          api_name="/digits_upload")[0]["label"] == "5"
    assert client.predict(handle_file(str(examples / "fashion" / "ankle-boot.png")),
                          api_name="/fashion")[0]["label"] == "Ankle boot"
    assert "watson" in [entry["label"] for entry in client.predict("“My dear", api_name="/next_word")["confidences"]]
    continued = client.predict("It is a capital mistake to", 5, 0, 0, api_name="/next_word_continue")
    assert continued.startswith("It is a capital mistake to ")
    assert len(tokenize(continued)) == len(tokenize("It is a capital mistake to")) + 5
    assert "Traceback" not in (ARTIFACTS / "space.log").read_text()
