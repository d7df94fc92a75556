"""Every page of the built site, visited once in Chromium with every outside host unresolvable
(see CHROMIUM_FLAGS): nothing is requested from another host, every formula is typeset,
nothing is logged as an error, and axe-core finds no serious or critical WCAG 2.1 A or AA
problem, in the light scheme and again after the reader switches to the dark one."""

import json
import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from browser import needs_chromium, violations
from learntorch.paths import ROOT
from tools.notebooks import lesson_files
from tools.visit import browser_page

pytestmark = needs_chromium

# One test per page, so that the test workers share them
PAGES = [".", "about", "demos"] + [f"lessons/{lesson.stem}" for lesson in lesson_files()]
# Where a page may send requests besides the site itself: the Demos page asks this machine
# whether the Gradio demo app of `make serve` is running (only when the site is served
# from this machine), and Hugging Face whether the hosted app runs (see live-demos.js).
# Offline, both questions fail with a console error of their own.
DEMOS_PAGE_ASKS = ("http://127.0.0.1:7860/", "https://huggingface.co/api/spaces/")
FORMULA = re.compile(r"\$[^$\s][^$\n]*\$")  # inline maths in a page's source
LEFT_OVER_TEX = r"\$[^$\s][^$]*\$|\\\(|\\\[|\$\$"  # maths delimiters still in the text
LEFT_OVER_TEX_JS = """(pattern) => {
    const text = [];
    for (const cell of document.querySelectorAll("article .jp-RenderedMarkdown, article .md-typeset > p")) {
      const copy = cell.cloneNode(true);
      copy.querySelectorAll("code, pre, .katex").forEach((node) => node.remove());
      text.push(copy.textContent);
    }
    return text.join("\\n").match(new RegExp(pattern, "g")) || [];
}"""
SCHEME = "document.body.getAttribute('data-md-color-scheme')"


def source_has_formulas(path: str) -> bool:
    """Whether the page's source writes maths outside code: a lesson's Markdown comments, or
    a Markdown page."""
    if path.startswith("lessons/"):
        text = (ROOT / f"{path}.py").read_text()
        prose = "\n".join(line for line in text.splitlines() if line.startswith("# ") and "`" not in line)
    else:
        prose = (ROOT / "docs" / ("index.md" if path == "." else f"{path}.md")).read_text()
    return bool(FORMULA.search(prose))


@pytest.fixture(scope="module")
def browser():
    with browser_page(color_scheme="light") as page:
        yield page.context.browser


def test_the_pages_checked_are_every_page_of_the_site(built_site):
    built = sorted(path.relative_to(built_site).parent.as_posix() for path in built_site.rglob("index.html"))
    assert sorted(PAGES) == built
    assert sum(source_has_formulas(path) for path in PAGES) >= 5  # the maths check has formulas to see


@pytest.mark.parametrize("path", PAGES)
def test_the_page_is_self_contained_typeset_and_accessible(browser, site_url, path):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="light")
    page = context.new_page()
    requests, errors = [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: message.type == "error"
            and not message.location.get("url", "").startswith(DEMOS_PAGE_ASKS)
            and errors.append(f"{message.text} ({message.location.get('url')})"))
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(site_url + ("" if path == "." else path + "/"), wait_until="networkidle")
        try:  # the maths is typeset by a script once the page is shown
            page.wait_for_function(f"({LEFT_OVER_TEX_JS})({json.dumps(LEFT_OVER_TEX)}).length === 0", timeout=20_000)
        except PlaywrightTimeout:
            pytest.fail(f"maths left as TeX: {page.evaluate(f'({LEFT_OVER_TEX_JS})({json.dumps(LEFT_OVER_TEX)})')[:5]}")
        assert page.locator(".katex-error").count() == 0, "KaTeX could not typeset a formula"
        if source_has_formulas(path):
            assert page.locator(".katex").count() > 0, "the page's formulas were not found"
        page.evaluate("document.fonts.ready.then(() => new Promise(requestAnimationFrame))")
        problems = {}
        for scheme in ("default", "slate"):  # light, then dark, switched as a reader does
            if page.evaluate(SCHEME) != scheme:
                page.locator("form[data-md-component='palette'] label:visible").first.click()
                page.wait_for_function(f"{SCHEME} === '{scheme}'")
            if found := violations(page):
                problems[scheme] = found
        outside = [url for url in requests if not url.startswith((site_url, "data:", "blob:"))
                   and not (path == "demos" and url.startswith(DEMOS_PAGE_ASKS))]
        assert not outside, outside[:10]
        assert not errors, errors[:10]
        assert not problems, json.dumps(problems, indent=1)[:6000]
    finally:
        context.close()
