"""``python -m demos``: the three demos as tabs of one app, used as a visitor would."""

import pytest
from gradio_client import Client, handle_file

from browser import needs_chromium
from conftest import ARTIFACTS, start_demo
from demos.catalog import DEMOS
from learntorch.paths import ROOT
from tools.visit import answer, ask_next_word, browser_page, draw_a_one, open_tab, toasts

DIGITS, GARMENTS = (ROOT / "demos" / "examples" / name for name in ("digits", "fashion"))


@pytest.fixture(scope="module")
def url():
    with start_demo("demos", timeout=180) as url:
        yield url


def test_each_tab_explains_itself_and_links_its_lesson_and_card(url):
    config = Client(url, verbose=False).config
    texts = " ".join(str(component.get("props", {}).get("value", "")) for component in config["components"])
    for demo in DEMOS:
        assert demo.lesson_url() in texts and demo.card_url() in texts
        assert f"trained on {demo.card()['device']}" in texts


# Each demo's endpoints, named after it: the same alone (see each demo's tests) and here,
# and listed on the site's Demos page.
ENDPOINTS = {"/digits", "/digits_upload", "/fashion", "/next_word", "/next_word_tokens", "/next_word_continue"}


def test_every_demo_answers_through_the_combined_app_under_its_own_names(url):
    client = Client(url, verbose=False)
    assert set(client.view_api(print_info=False, return_format="dict")["named_endpoints"]) == ENDPOINTS
    assert client.predict(handle_file(str(DIGITS / "five-on-grey.jpg")), api_name="/digits_upload")[0]["label"] == "5"
    assert client.predict(handle_file(str(GARMENTS / "bag.png")), api_name="/fashion")[0]["label"] == "Bag"
    assert len(client.predict("I have no doubt that", api_name="/next_word")["confidences"]) == 5


def test_the_demos_page_lists_every_endpoint():
    page = (ROOT / "docs" / "demos.md").read_text()
    assert all(f"`{name}`" in page for name in ENDPOINTS)


@needs_chromium
def test_draw_a_digit_then_ask_for_the_next_word(url):
    ARTIFACTS.mkdir(exist_ok=True)
    with browser_page() as page:
        page.goto(url)
        assert draw_a_one(page).startswith("1")
        page.screenshot(path=ARTIFACTS / "demo-app-digit.png")
        assert not toasts(page)
        open_tab(page, "Next word")
        intro = page.get_by_text("Words it never saw in training").locator("visible=true").first
        assert intro.inner_text().endswith("Words it never saw in training become <unk>.")  # not an HTML tag
        word = ask_next_word(page, "It is a capital mistake to")
        page.screenshot(path=ARTIFACTS / "demo-app-next-word.png")
        assert word and not toasts(page)
        assert answer(page) == word
