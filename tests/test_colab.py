"""Every lesson opens in Colab without breaking the runtime: its install cell keeps the
torch, torchvision, numpy and pillow that are there, and its notebook asks for a GPU when
the lesson wants one."""

import json
import subprocess
import sys

import nbformat
import pytest

from learntorch.paths import ROOT
from tools import colab
from tools.notebooks import ADDED_TAG, lesson_files, stored_notebook_path


@pytest.mark.parametrize("lesson", [lesson_files()[0], ROOT / "lessons" / "08_optuna_tuning.py"],
                         ids=lambda path: path.stem)
def test_installing_a_lesson_here_would_replace_none_of_the_runtime_s_own_packages(lesson, tmp_path):
    # The same requirement as the cell's, from this checkout instead of the repository's URL:
    # this environment already holds versions within the ranges, as a Colab runtime does.
    report = tmp_path / "report.json"
    subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--no-build-isolation",
                    "--report", str(report), colab.requirement(lesson, source=ROOT.as_uri())],
                   check=True, capture_output=True, text=True, cwd=tmp_path)
    would_install = {item["metadata"]["name"].lower() for item in json.loads(report.read_text())["install"]}
    assert "learntorch" in would_install
    assert not would_install & set(colab.PROTECTED), would_install


@pytest.mark.parametrize("lesson", lesson_files(), ids=lambda path: path.stem)
def test_each_stored_notebook_carries_its_colab_cell_and_metadata(lesson):
    notebook = nbformat.read(stored_notebook_path(lesson), as_version=4)
    cell = next(cell for cell in notebook.cells if cell.id == "colab-setup")
    assert ADDED_TAG in cell.metadata["tags"] and cell.source == colab.install_cell(lesson)
    compile(cell.source, lesson.name, "exec")
    assert f'"{colab.requirement(lesson)}"' in cell.source and "gradio" not in cell.source
    assert (notebook.metadata.get("accelerator") == "GPU") == (int(lesson.stem[:2]) >= 6)
    assert "colab" in notebook.metadata
