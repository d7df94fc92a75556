"""``python -m demos``: the three demos as tabs of one app, used as a visitor would."""

import pytest
from gradio_client import Client

from browser import needs_chromium
from conftest import ARTIFACTS, start_demo
from demos.catalog import DEMOS
from tools.visit import answer, ask_next_word, browser_page, draw_a_one, open_tab, toasts


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


def test_every_demo_answers_through_the_combined_app(url):
    client = Client(url, verbose=False)
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    # Gradio keeps each demo's endpoints, numbering repeated names: /predict, /predict_1, ...
    assert sum(name.startswith("/predict") and "upload" not in name for name in endpoints) == len(DEMOS)
    phrase_endpoint = next(name for name, info in endpoints.items() if name.startswith("/predict")
                           and [p["label"] for p in info["parameters"]] == ["Your phrase"])
    top = client.predict("I have no doubt that", api_name=phrase_endpoint)
    assert len(top["confidences"]) == 5


@needs_chromium
def test_draw_a_digit_then_ask_for_the_next_word(url):
    ARTIFACTS.mkdir(exist_ok=True)
    with browser_page() as page:
        page.goto(url)
        assert draw_a_one(page).startswith("1")
        page.screenshot(path=ARTIFACTS / "demo-app-digit.png")
        assert not toasts(page)
        open_tab(page, "Next word")
        word = ask_next_word(page, "It is a capital mistake to")
        page.screenshot(path=ARTIFACTS / "demo-app-next-word.png")
        assert word and not toasts(page)
        assert answer(page) == word
