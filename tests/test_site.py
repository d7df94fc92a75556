"""The site builds strictly from the stored notebooks and publishes every lesson."""

from learntorch.paths import ROOT
from tools.notebooks import lesson_files


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
