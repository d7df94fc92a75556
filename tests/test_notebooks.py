"""The site's stored notebooks are current: same cells as their lessons, full-profile outputs."""

import nbformat
import pytest

from tools.notebooks import (ADDED_TAG, lesson_cells, lesson_files, read_lesson,
                                  stored_notebook_path)


@pytest.mark.parametrize("lesson", lesson_files(), ids=lambda path: path.stem)
def test_stored_notebook_matches_its_lesson(lesson):
    stored = stored_notebook_path(lesson)
    assert stored.is_file(), f"no stored notebook for {lesson.name}: run `make notebooks LESSONS={lesson.stem[:2]}`"
    notebook = nbformat.read(stored, as_version=4)
    assert lesson_cells(notebook) == lesson_cells(read_lesson(lesson)), (
        f"{stored.name} is stale: {lesson.name} changed since it was executed; "
        f"run `make notebooks LESSONS={lesson.stem[:2]}`")
    run_info = [cell.source for cell in notebook.cells if ADDED_TAG in cell.metadata.get("tags", [])]
    assert any("<strong>full</strong> profile" in source for source in run_info)
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert outputs and not [output for output in outputs if output.output_type == "error"]
