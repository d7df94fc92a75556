"""Every lesson runs top to bottom in a real Jupyter kernel, in the smoke profile, and
leaves the demos' checkpoints as it found them."""

import hashlib

import pytest

from learntorch.paths import CHECKPOINTS_DIR
from tools.notebooks import execute, lesson_files, read_lesson


def checkpoint_files() -> dict[str, str]:
    return {str(path.relative_to(CHECKPOINTS_DIR)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(CHECKPOINTS_DIR.rglob("*")) if path.is_file()}


@pytest.mark.parametrize("lesson", lesson_files(), ids=lambda path: path.stem)
def test_lesson_runs_in_smoke_profile(lesson):
    notebook = read_lesson(lesson)
    before = checkpoint_files()
    execute(notebook, profile="smoke", timeout=240)  # raises on the first failing cell
    assert checkpoint_files() == before, f"{lesson.name} changed checkpoints/"
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code_cells, f"{lesson.name} has no code"
    silent = [cell.source.splitlines()[0] for cell in code_cells if not cell.outputs]
    assert len(silent) < len(code_cells), f"{lesson.name} produced no output at all"
    errors = [output for cell in code_cells for output in cell.outputs
              if output.output_type == "error"]
    assert not errors


def test_lessons_are_found():
    assert len(lesson_files()) >= 5
