"""The built site in a real browser: home, a lesson with a plot, search, dark mode."""

import json

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from browser import needs_chromium
from conftest import ARTIFACTS
from tools.visit import browser_page

pytestmark = needs_chromium


@pytest.fixture
def page():
    ARTIFACTS.mkdir(exist_ok=True)
    with browser_page(color_scheme="light") as page:
        yield page


def test_home_page_maps_the_course(page, site_url):
    page.goto(site_url)
    assert page.title().startswith("LearnTorch")
    lesson_links = page.locator("article a[href*='lessons/']")
    assert lesson_links.count() >= 12
    page.screenshot(path=ARTIFACTS / "site-home.png", full_page=True)


def test_a_lesson_page_shows_its_plots(page, site_url):
    page.goto(f"{site_url}lessons/09_cnn/")
    assert "About this page" in page.inner_text("article")
    plots = page.locator("article img[src^='data:image/png']")
    assert plots.count() >= 3
    plots.first.scroll_into_view_if_needed()
    assert plots.first.evaluate("img => img.complete && img.naturalWidth > 100")
    page.screenshot(path=ARTIFACTS / "site-lesson-09.png")


def test_search_finds_a_lesson(page, site_url):
    page.goto(site_url)
    search = page.locator("input.md-search__input")  # in the header on a wide window
    search.click()
    # Typed key by key: the theme searches on key-up (and again once its index is ready),
    # so a value pasted in without key events would never be searched for.
    search.press_sequentially("autograd")
    results = page.locator(".md-search-result__item")
    results.first.wait_for(timeout=60_000)  # the index is built in a web worker after load
    assert page.locator(".md-search-result__item a[href*='02_autograd']").count() >= 1
    page.screenshot(path=ARTIFACTS / "site-search.png")


def test_dark_mode_toggle(page, site_url):
    page.goto(site_url)
    scheme = "document.body.getAttribute('data-md-color-scheme')"
    assert page.evaluate(scheme) == "default"
    page.locator("form[data-md-component='palette'] label:visible").first.click()
    page.wait_for_function(f"{scheme} === 'slate'")
    page.screenshot(path=ARTIFACTS / "site-dark.png")


# Where a page may send requests besides the site itself: the Demos page asks this machine
# whether the Gradio demo app of `make serve` is running (only when the site is served
# from this machine; see docs/javascripts/live-demos.js).
LOCAL_DEMO_APP = "http://127.0.0.1:7860/"
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


def test_every_page_is_self_contained_and_renders_its_maths(page, site_url, built_site):
    """Every page of the built site, with every outside host unresolvable (see CHROMIUM_FLAGS):
    no request leaves the site, every formula is typeset, and nothing is logged as an error."""
    requests, errors = [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: message.type == "error"
            and not message.location.get("url", "").startswith(LOCAL_DEMO_APP)
            and errors.append(f"{page.url}: {message.text} ({message.location.get('url')})"))
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
    pages = sorted(path.relative_to(built_site).parent.as_posix() for path in built_site.rglob("index.html"))
    assert len(pages) >= 15
    formulas = 0
    for path in pages:
        page.goto(site_url + ("" if path == "." else path + "/"), wait_until="networkidle")
        try:  # the maths is typeset by a script once the page is shown
            page.wait_for_function(f"({LEFT_OVER_TEX_JS})({json.dumps(LEFT_OVER_TEX)}).length === 0", timeout=20_000)
        except PlaywrightTimeout:
            leftover = page.evaluate(f"({LEFT_OVER_TEX_JS})({json.dumps(LEFT_OVER_TEX)})")
            pytest.fail(f"{path}: maths left as TeX: {leftover[:5]}")
        assert page.locator(".katex-error").count() == 0, f"{path}: KaTeX could not typeset a formula"
        formulas += page.locator(".katex").count()
    outside = [url for url in requests if not url.startswith((site_url, "data:", "blob:", LOCAL_DEMO_APP))]
    assert not outside, outside[:10]
    assert formulas > 100  # the lessons' formulas were found and typeset
    assert not errors, errors[:10]


@pytest.mark.parametrize("path", ["", "lessons/06_fashion_ann_gpu/", "demos/"])
def test_a_phone_reads_the_page_without_scrolling_it_sideways(site_url, path):
    with browser_page(color_scheme="light", viewport={"width": 390, "height": 844}) as page:
        page.goto(site_url + path)
        width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"the page is {width[0]} px wide in a {width[1]} px window"
        prompts = page.locator(".jp-InputPrompt, .jp-OutputPrompt")
        assert all(not prompt.is_visible() for prompt in prompts.all()[:20])
        code = page.locator(".jp-InputArea-editor").first
        if path.startswith("lessons"):  # the code takes the width the prompts gave up
            assert code.bounding_box()["width"] > 0.7 * width[1]
        page.screenshot(path=ARTIFACTS / f"phone-{path.strip('/').replace('/', '-') or 'home'}.png",
                        full_page=False)
