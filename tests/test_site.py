"""The site builds strictly from the stored notebooks and publishes every lesson."""

from html.parser import HTMLParser

import nbformat

from learntorch.paths import ROOT
from tools.notebooks import lesson_files, stored_notebook_path


def test_every_lesson_has_a_page_a_notebook_and_a_script(built_site):
    for lesson in lesson_files():
        page = built_site / "lessons" / lesson.stem / "index.html"
        assert page.is_file(), f"no page for {lesson.name}"
        assert (page.parent / f"{lesson.stem}.ipynb").is_file()
        assert (page.parent / lesson.name).read_text() == lesson.read_text()
        html = page.read_text()
        assert "About this page" in html and "Open in Colab" in html


def test_every_lesson_is_in_the_navigation():
    config = (ROOT / "mkdocs.yml").read_text()
    for lesson in lesson_files():
        assert f"lessons/{lesson.stem}.ipynb" in config, f"{lesson.name} is missing from mkdocs.yml's nav"


def test_worked_solutions_and_the_colab_setup_are_folded(built_site):
    for lesson in lesson_files():
        notebook = nbformat.read(stored_notebook_path(lesson), as_version=4)
        solutions = sum("solution" in cell.metadata.get("tags", []) for cell in notebook.cells)
        html = (built_site / "lessons" / lesson.stem / "index.html").read_text()
        assert html.count('<details class="solution"><summary>Solution</summary>') == solutions, lesson.name
        assert html.count('<details class="colab-setup">') == 1, lesson.name


class _Nesting(HTMLParser):
    """Counts <div> and <details> end tags that do not close the innermost open one."""

    def __init__(self):
        super().__init__()
        self.open, self.mismatched = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("div", "details"):
            self.open.append(tag)

    def handle_endtag(self, tag):
        if tag in ("div", "details"):
            if self.open and self.open[-1] == tag:
                self.open.pop()
            else:
                self.mismatched += 1


def test_folding_keeps_every_lesson_page_well_nested(built_site):
    for lesson in lesson_files():
        nesting = _Nesting()
        nesting.feed((built_site / "lessons" / lesson.stem / "index.html").read_text())
        assert nesting.mismatched == 0 and not nesting.open, lesson.name
