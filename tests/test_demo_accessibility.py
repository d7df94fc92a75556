"""The demo app (``python -m demos``) against WCAG 2.1 A and AA: axe-core's rules on every tab,
in both schemes, before and after an answer; the answers are live regions, and the digit
demo can be used without drawing, from the keyboard alone."""

import pytest

from browser import needs_chromium
from conftest import start_demo
from demos.accessibility import ANSWER_CLASS
from test_accessibility import violations
from tools.visit import answer, ask_next_word, browser_page, draw_a_one, open_tab

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def url():
    with start_demo("demos", timeout=180) as url:
        yield url


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
