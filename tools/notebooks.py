"""Lessons -> executed notebooks -> site pages.

A lesson is a jupytext "percent" script (``lessons/NN_topic.py``). This module turns
one into a notebook, executes it in a real Jupyter kernel under a chosen profile, and
stores it under ``docs/lessons/`` with two cells added in front: when and where its
outputs were produced, with download and Colab links, and an install cell for Colab.

    python -m tools.notebooks            # every lesson, full profile
    python -m tools.notebooks 09 12      # only lessons 09 and 12
    python -m tools.notebooks --refresh  # added cells and prose only, executing nothing
"""

import argparse
import datetime
import os
import sys
import time
from pathlib import Path

import jupytext
import nbformat
import torch
from nbclient import NotebookClient

from learntorch.device import describe, pick_device
from learntorch.paths import LESSONS_DIR, ROOT
from tools import colab

NOTEBOOKS_DIR = ROOT / "docs" / "lessons"
ADDED_TAG = "added-by-learntorch"  # marks the cells this module adds to a stored notebook


def lesson_files() -> list[Path]:
    """Every lesson, in course order."""
    return sorted(LESSONS_DIR.glob("[0-9][0-9]_*.py"))


def read_lesson(path: Path) -> nbformat.NotebookNode:
    notebook = jupytext.read(path, fmt="py:percent")
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    return notebook


def execute(notebook: nbformat.NotebookNode, profile: str, timeout: int = 3600) -> float:
    """Run every cell in a fresh kernel (in place); return the wall time in seconds."""
    # OMP_WAIT_POLICY=passive: idle OpenMP threads sleep instead of spinning, which keeps
    # small training steps fast on a busy machine; it changes speed, never results.
    # LEARNTORCH_PROGRESS=0: no progress bars in the stored outputs.
    env = dict(os.environ, LEARNTORCH_PROFILE=profile, OMP_WAIT_POLICY="passive", LEARNTORCH_PROGRESS="0",
               MPLBACKEND="module://matplotlib_inline.backend_inline")
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT)}})
    start = time.perf_counter()
    client.execute(env=env)
    return time.perf_counter() - start


def lesson_cells(notebook: nbformat.NotebookNode) -> list[tuple[str, str, list[str]]]:
    """The (type, source, tags) of a notebook's own cells, without the ones added here."""
    return [(cell.cell_type, cell.source.strip(), cell.metadata.get("tags", [])) for cell in notebook.cells
            if ADDED_TAG not in cell.metadata.get("tags", [])]


def stored_notebook_path(lesson: Path) -> Path:
    return NOTEBOOKS_DIR / f"{lesson.stem}.ipynb"


def run_record(profile: str, seconds: float) -> dict:
    """When, where and how a lesson's outputs were produced (kept in the notebook's metadata)."""
    return {"device": describe(pick_device()), "date": datetime.date.today().isoformat(),
            "profile": profile, "seconds": round(seconds, 1), "torch": torch.__version__}


def _added_cells(lesson: Path, run: dict) -> list[nbformat.NotebookNode]:
    stem = lesson.stem
    colab_link = (f"https://colab.research.google.com/github/{colab.REPO_URL.split('github.com/')[1]}"
                  f"/blob/main/docs/lessons/{stem}.ipynb")
    # HTML, not Markdown admonition syntax: notebook cells are rendered by nbconvert,
    # and these classes are the site theme's own "info" box.
    run_info = nbformat.v4.new_markdown_cell(
        f'<div class="admonition info"><p class="admonition-title">About this page</p>\n'
        f"<p>Outputs produced on <strong>{run['device']}</strong> on {run['date']} in the "
        f"<strong>{run['profile']}</strong> profile; the whole lesson ran in "
        f"<strong>{run['seconds']:.0f} s</strong> (torch {run['torch']}).</p>\n"
        f'<p><a href="{stem}.ipynb">Download the notebook</a> · '
        f'<a href="{stem}.py">Download the script</a> · '
        f'<a href="{colab_link}">Open in Colab</a></p></div>')
    colab_setup = nbformat.v4.new_code_cell(colab.install_cell(lesson))
    for cell, cell_id in ((run_info, "about-this-page"), (colab_setup, "colab-setup")):
        cell.id = cell_id  # fixed ids: rebuilding these cells changes nothing that stays the same
        cell.metadata["tags"] = [ADDED_TAG]
    return [run_info, colab_setup]


def dress(notebook: nbformat.NotebookNode, lesson: Path, run: dict) -> nbformat.NotebookNode:
    """The executed lesson with the cells this module adds after its title, and its run record."""
    title, *rest = [cell for cell in notebook.cells if ADDED_TAG not in cell.metadata.get("tags", [])]
    notebook.cells = [title, *_added_cells(lesson, run), *rest]
    notebook.metadata.update(colab.notebook_metadata(lesson), learntorch=run)
    return notebook


def render(lesson: Path, profile: str = "full") -> Path:
    """Execute ``lesson`` and store it, with its run information, for the site."""
    notebook = read_lesson(lesson)
    seconds = execute(notebook, profile)
    target = stored_notebook_path(lesson)
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(dress(notebook, lesson, run_record(profile, seconds)), target)
    print(f"{lesson.name}: {seconds:.1f} s in the {profile} profile -> {target.relative_to(ROOT)}")
    return target


def refresh(lesson: Path) -> Path:
    """Rebuild the added cells of ``lesson``'s stored notebook, and take its Markdown from the
    lesson, without executing anything. Only prose may have changed: if any code cell
    differs, the outputs would be stale, and the lesson must be rendered instead."""
    target = stored_notebook_path(lesson)
    notebook = nbformat.read(target, as_version=4)
    stored = [cell for cell in notebook.cells if ADDED_TAG not in cell.metadata.get("tags", [])]
    current = read_lesson(lesson).cells
    code = [(cell.source.strip(), cell.metadata.get("tags", [])) for cell in current if cell.cell_type == "code"]
    if (len(stored) != len(current) or [cell.cell_type for cell in stored] != [cell.cell_type for cell in current]
            or code != [(cell.source.strip(), cell.metadata.get("tags", [])) for cell in stored
                        if cell.cell_type == "code"]):
        sys.exit(f"{lesson.name}: its code changed since it was executed; render it instead")
    for old, new in zip(stored, current):
        if old.cell_type == "markdown":
            old.source = new.source
    nbformat.write(dress(notebook, lesson, notebook.metadata["learntorch"]), target)
    return target


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lessons", nargs="*", help="lesson numbers or names (default: all)")
    parser.add_argument("--profile", default=os.environ.get("LEARNTORCH_PROFILE", "full"))
    parser.add_argument("--refresh", action="store_true",
                        help="only rebuild the added cells and the prose of the stored notebooks (executes nothing)")
    args = parser.parse_args(argv)
    chosen = [path for path in lesson_files()
              if not args.lessons or any(path.stem.startswith(key) for key in args.lessons)]
    if not chosen:
        sys.exit(f"no lesson matches {args.lessons}")
    for lesson in chosen:
        refresh(lesson) if args.refresh else render(lesson, args.profile)


if __name__ == "__main__":
    main()
