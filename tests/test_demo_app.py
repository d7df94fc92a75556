"""``python -m demos``: the three demos as tabs of one app, used as a visitor would, and as a
visitor with a keyboard or a screen reader would: axe-core's WCAG 2.1 A and AA rules on every
tab, in both schemes, before and after an answer; the answers are live regions, and the
digit demo can be used without drawing, from the keyboard alone."""

import pytest
from gradio_client import Client, handle_file

from browser import needs_chromium, violations
from conftest import ARTIFACTS, start_demo
from demos.accessibility import ANSWER_CLASS
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


def answer_each_tab(page) -> None:
    open_tab(page, "Draw a digit")
    assert draw_a_one(page) == "1"
    open_tab(page, "Classify a garment")
    page.get_by_role("button", name="Example: bag").click()
    assert answer_in_view(page) == "Bag"
    open_tab(page, "Next word")
    ask_next_word(page, "I had seen little of")


def answer_in_view(page) -> str:
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=label-output-value]')]"
                           ".some((label) => label.offsetParent && label.innerText.trim())", timeout=30_000)
    return answer(page)


@needs_chromium
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_tab_passes_wcag_aa_before_and_after_an_answer(url, scheme):
    problems = {}
    with browser_page(color_scheme=scheme) as page:
        page.goto(url)
        for moment in ("before an answer", "after an answer"):
            if moment == "after an answer":
                answer_each_tab(page)
            for tab in ("Draw a digit", "Classify a garment", "Next word"):
                open_tab(page, tab)
                page.wait_for_timeout(300)  # the tab's panel is drawn
                found = violations(page)
                if found:
                    problems[f"{tab}, {moment}"] = found
    assert not problems, problems


@needs_chromium
def test_answers_are_announced_and_the_digits_are_read_from_the_keyboard(url):
    with browser_page(color_scheme="light") as page:
        page.goto(url)
        for tab, answers in (("Next word", "Most likely next word"), ("Classify a garment", "The model says"),
                             ("Draw a digit", "The model reads")):
            open_tab(page, tab)
            live = page.locator(f"[role=tabpanel]:visible .{ANSWER_CLASS}[aria-live=polite]").first
            assert answers in live.inner_text()  # the answer's own label is read with it
        assert "With a keyboard or a screen reader" in page.get_by_role("tabpanel").first.inner_text()
        page.get_by_role("tab", name="Upload").click()
        example = page.get_by_role("button", name="Example: five on grey")
        example.focus()
        page.keyboard.press("Enter")
        assert answer_in_view(page) == "5"
