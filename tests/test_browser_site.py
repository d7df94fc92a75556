"""The built site in a real browser: home, a lesson with a plot, search, dark mode."""

import pytest

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


# The Demos page's order: the app on this machine, the hosted app, the in-page models, screenshots.
HOST = "https://learntorch-demos.hf.space"
STATE = "document.getElementById('live-demos').dataset.showing"


def open_demos_page(page, site_url, stage: str, in_page_models: bool) -> str:
    """The Demos page with no local app, the hosted app in ``stage``, and the in-page
    models there or not; returns which way the page shows the demos."""
    page.route("http://127.0.0.1:7860/**", lambda route: route.abort())
    page.route("https://huggingface.co/api/spaces/**", lambda route: route.fulfill(
        json={"id": "learntorch/demos", "host": HOST, "runtime": {"stage": stage}}))
    page.route(f"{HOST}/**", lambda route: route.fulfill(body="<h1>hosted demos</h1>", content_type="text/html"))
    page.add_init_script("window.learntorchDemos = {}" if in_page_models else
                         "Object.defineProperty(window, 'learntorchDemos', {get() {}, set(value) {}})")
    page.goto(f"{site_url}demos/")
    page.wait_for_function(STATE, timeout=20_000)
    return page.evaluate(STATE)


def test_demos_page_embeds_the_hosted_app_when_it_runs(page, site_url):
    assert open_demos_page(page, site_url, "RUNNING", in_page_models=True) == "space"
    assert page.locator("#live-demos iframe").get_attribute("src") == f"{HOST}/"
    assert page.frame_locator("#live-demos iframe").locator("h1").inner_text() == "hosted demos"
    assert page.locator("#live-demos a[href='https://huggingface.co/spaces/learntorch/demos']").is_visible()
    assert page.locator(".demo-screenshot").first.is_hidden()
    assert page.locator(".inpage-demo").first.is_visible()  # the in-page demos stay below


@pytest.mark.parametrize("in_page_models, showing", [(True, "in-page"), (False, "screenshots")])
def test_demos_page_falls_back_when_the_hosted_app_sleeps(page, site_url, in_page_models, showing):
    assert open_demos_page(page, site_url, "SLEEPING", in_page_models) == showing
    assert page.locator("#live-demos").is_hidden()
    assert page.locator("article a[href='https://huggingface.co/spaces/learntorch/demos']").count() >= 1
    screenshots, in_page = page.locator(".demo-screenshot"), page.locator(".inpage-demo")
    assert screenshots.count() == in_page.count() == 3
    if showing == "screenshots":  # the screenshots take the place of the in-page demos
        assert all(shot.is_visible() for shot in screenshots.all())
        assert all(demo.is_hidden() for demo in in_page.all())
    else:
        assert all(shot.is_hidden() for shot in screenshots.all())
        assert all(demo.is_visible() for demo in in_page.all())
