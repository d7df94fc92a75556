"""The next-word demo as a visitor or a script sees it: a running server driven through
gradio_client, with good phrases, every kind of bad input, and seeded continuations."""

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from conftest import start_demo
from learntorch.next_word.generate import CONTEXT
from learntorch.next_word.predict import MAX_CHARS
from learntorch.text import tokenize


@pytest.fixture(scope="module")
def client():
    with start_demo("demos.next_word") as url:
        yield Client(url, verbose=False)


def top_words(label: dict) -> list[str]:
    return [entry["label"] for entry in label["confidences"]]


def test_endpoints_are_named_after_the_demo(client):
    # the same names as in the combined app (tests/test_demo_app.py)
    assert set(client.view_api(print_info=False, return_format="dict")["named_endpoints"]) == {"/next_word", "/next_word_tokens", "/next_word_continue"}


def test_predict_returns_five_ranked_words(client):
    label = client.predict("I had seen little of", api_name="/next_word")
    confidences = [entry["confidence"] for entry in label["confidences"]]
    assert len(confidences) == 5 and label["label"] == top_words(label)[0]
    assert confidences == sorted(confidences, reverse=True) and 0 < sum(confidences) <= 1
    assert "<unk>" not in top_words(label) and "<pad>" not in top_words(label)


def test_predict_knows_the_book(client):
    assert top_words(client.predict("said Sherlock", api_name="/next_word"))[0] == "holmes"
    assert "watson" in top_words(client.predict("“My dear", api_name="/next_word"))


def test_tokenisation_shows_unknown_words(client):
    highlighted, note = client.predict("I had seen the GPU yesterday", api_name="/next_word_tokens")
    read = [(entry["token"].strip(), entry["class_or_confidence"]) for entry in highlighted]
    assert read == [("i", None), ("had", None), ("seen", None), ("the", None), ("gpu", "<unk>"),
                    ("yesterday", None)]
    assert "gpu" in note and "<unk>" in note
    label = client.predict("I had seen the GPU yesterday", api_name="/next_word")
    assert len(label["confidences"]) == 5  # unknown words do not stop a prediction


@pytest.mark.parametrize("phrase, message", [
    ("", "Type a phrase first"),
    ("   \n\t", "Type a phrase first"),
    ("?!... ,;", "no words in it, only punctuation"),
    ("😀🎉👍", "no words in it, only punctuation"),
    ("你好，世界", "None of these words is in the model's vocabulary"),
    ("مرحبا بالعالم", "None of these words is in the model's vocabulary"),
    ("x" * (MAX_CHARS + 1), "the limit is 200,000"),
])
def test_unusable_phrases_get_a_clear_message(client, phrase, message):
    with pytest.raises(AppError, match=message):
        client.predict(phrase, api_name="/next_word")
    with pytest.raises(AppError, match=message):
        client.predict(phrase, 10, 0.8, 0, api_name="/next_word_continue")


def test_emoji_and_other_scripts_among_english_words_become_unk(client):
    phrase = "Holmes 😀 looked at 你好 the"
    highlighted, note = client.predict(phrase, api_name="/next_word_tokens")
    assert [entry["token"].strip() for entry in highlighted if entry["class_or_confidence"] == "<unk>"] == ["😀", "你好"]
    assert len(client.predict(phrase, api_name="/next_word")["confidences"]) == 5


def test_a_100_000_character_text_is_read_from_its_last_window(client):
    ending = "I had seen little of"
    filler = "The door was open and we walked in, said he. "
    text = (filler * (100_000 // len(filler) + 1))[:100_000 - len(ending) - 1] + " " + ending
    assert len(text) == 100_000
    last_window = " ".join(tokenize(text)[-CONTEXT:])
    assert client.predict(text, api_name="/next_word") == client.predict(last_window, api_name="/next_word")
    highlighted, note = client.predict(text, api_name="/next_word_tokens")
    assert len(highlighted) == CONTEXT and f"reads only its last {CONTEXT} tokens" in note


def test_continuation_is_reproducible_with_a_seed(client):
    first = client.predict("It is a capital mistake to", 20, 1.0, 7, api_name="/next_word_continue")
    again = client.predict("It is a capital mistake to", 20, 1.0, 7, api_name="/next_word_continue")
    other = client.predict("It is a capital mistake to", 20, 1.0, 8, api_name="/next_word_continue")
    assert first == again != other
    assert first.startswith("It is a capital mistake to ")
    added = tokenize(first)[len(tokenize("It is a capital mistake to")):]
    assert len(added) == 20 and "<unk>" not in added


def test_temperature_zero_is_greedy_whatever_the_seed(client):
    greedy = client.predict("The door flew open and", 12, 0, 1, api_name="/next_word_continue")
    assert greedy == client.predict("The door flew open and", 12, 0, 999, api_name="/next_word_continue")
    first_word = tokenize(greedy)[len(tokenize("The door flew open and"))]
    assert first_word == client.predict("The door flew open and", api_name="/next_word")["label"]


@pytest.mark.parametrize("words, temperature, seed, message", [
    (0, 0.8, 0, "greater than|less than|between 1 and"),
    (10, -1, 0, "greater than|less than|temperature"),
    (10, 0.8, -5, "greater than|less than|seed"),
])
def test_continuation_settings_out_of_range_are_refused(client, words, temperature, seed, message):
    with pytest.raises(AppError, match=message):
        client.predict("The door", words, temperature, seed, api_name="/next_word_continue")
