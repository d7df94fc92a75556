"""The tokenizer and vocabulary shared by lessons 11-12, the next-word recipe and its demo."""

import pytest

from learntorch.text import PAD, UNK, Vocabulary, detokenize, last_tokens, normalize, tokenize


def test_tokenize_splits_words_and_punctuation():
    assert tokenize("It is a capital mistake to theorize before one has data.") == [
        "it", "is", "a", "capital", "mistake", "to", "theorize", "before", "one", "has", "data", "."]
    assert tokenize("“Holmes’s hat—there!” said I, red-headed.") == [
        "“", "holmes’s", "hat", "—", "there", "!", "”", "said", "i", ",", "red", "-", "headed", "."]


def test_keyboard_quotes_become_the_books_quotes():
    assert normalize('"Don\'t," he said.') == "“don’t,” he said."
    assert tokenize('"Don\'t," he said.') == tokenize("“Don’t,” he said.")


def test_italic_underscores_are_dropped_and_spaces_ignored():
    assert tokenize("  she is always _the_   woman\n\n") == ["she", "is", "always", "the", "woman"]
    assert tokenize("") == [] and tokenize(" \t\n") == []


def test_detokenize_round_trips_normalized_text():
    text = "“My dear Watson,” said he, “it is a three-pipe problem—and I’m sure of it!” £30, (quite) so?"
    assert detokenize(tokenize(text)) == text.lower()


def test_other_scripts_and_emoji_are_tokens_too():
    assert tokenize("你好 مرحبا 😀!") == ["你好", "مرحبا", "😀", "!"]


@pytest.fixture
def vocab():
    return Vocabulary.build(tokenize("the cat sat on the mat . the cat ran ."), min_freq=2)


def test_vocabulary_keeps_frequent_tokens_with_pad_and_unk_first(vocab):
    assert vocab.itos == [PAD, UNK, "the", ".", "cat"]  # by frequency, then alphabetical
    assert (vocab.pad_index, vocab.unk_index) == (0, 1)
    assert len(vocab) == 5 and "cat" in vocab and "sat" not in vocab


def test_unknown_tokens_encode_to_unk(vocab):
    ids = vocab.encode(tokenize("The dog sat."))
    assert ids == [2, 1, 1, 3]
    assert vocab.decode(ids) == ["the", UNK, UNK, "."]


def test_vocabulary_save_load_round_trip(vocab, tmp_path):
    vocab.save(tmp_path / "vocab.json")
    again = Vocabulary.load(tmp_path / "vocab.json")
    assert again.itos == vocab.itos and again.encode(["cat", "dog"]) == [4, 1]


def test_loading_something_else_fails(tmp_path):
    (tmp_path / "v.json").write_text('{"tokens": ["a", "b"]}')
    with pytest.raises(ValueError, match="not a vocabulary"):
        Vocabulary.load(tmp_path / "v.json")
    with pytest.raises(ValueError, match="twice"):
        Vocabulary(["a", "a"])


def test_last_tokens_of_a_long_text_equal_the_end_of_its_tokens():
    text = ("“Holmes’s door—open!” said he, to Mr. Windibank's 30 £ ... " * 3000)
    for n in (1, 5, 64):
        for end in (len(text), len(text) - 7, len(text) - 13):  # cuts inside words and quotes
            assert last_tokens(text[:end], n) == (tokenize(text[:end])[-n:], True)
    assert last_tokens("a b c", 5) == (["a", "b", "c"], False)
    long_word = "x" * 5000
    assert last_tokens(f"the {long_word} door", 2) == ([long_word, "door"], True)  # falls back to it all
