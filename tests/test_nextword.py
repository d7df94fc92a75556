"""Next-word prediction: the split, the Kneser-Ney baseline, the LSTM, scoring, sampling, checkpoint."""

import math
import shutil
from fractions import Fraction

import numpy as np
import pytest
import torch

from learntorch import checkpoints
from learntorch.inputs import BadInput
from learntorch.next_word.data import book_split, chunks, split_tokens, stream_batches
from learntorch.next_word.generate import CONTEXT, generate
from learntorch.next_word.model import NextWordLSTM
from learntorch.next_word.predict import CHECKPOINT, load_next_word, predict_next, read_phrase
from learntorch.next_word.scoring import score_next_tokens
from learntorch.next_word.trigram import KneserNeyTrigram
from learntorch.text import Vocabulary

UNK, A, B, C = 1, 2, 3, 4  # ids in a five-entry vocabulary: <pad>, <unk>, a, b, c


@pytest.fixture
def tiny_trigram():
    # "a b c a b a b c": distinct trigrams abc (twice), bca, cab, aba, bab.
    return KneserNeyTrigram(vocab_size=5, discount=0.5).fit([A, B, C, A, B, A, B, C])


def test_kneser_ney_unigram_uses_continuation_counts(tiny_trigram):
    # N(. w) over the bigram types bc, ca, ab, ba: a follows 2 different tokens, b and c one each.
    # P1(w) = max(N(. w) - 1/2, 0) / 4 + (1/2 * 3 / 4) * 1/4 (uniform over <unk>, a, b, c)
    p1 = tiny_trigram.unigram
    assert p1[A] == pytest.approx(float(Fraction(3, 8) + Fraction(3, 32)))   # 15/32
    assert p1[B] == pytest.approx(float(Fraction(1, 8) + Fraction(3, 32)))   # 7/32
    assert p1[UNK] == pytest.approx(3 / 32) and p1[0] == 0.0                 # <pad> gets nothing


def test_kneser_ney_trigram_probabilities_by_hand(tiny_trigram):
    # P2(a | b): N(. b a) = 1, N(. b c) = 1, so N(. b .) = 2 with 2 types:
    #   (1 - 1/2)/2 + (1/2 * 2/2) * P1(a) = 1/4 + 1/2 * 15/32 = 31/64
    # P3(a | a b): c(a b a) = 1, c(a b c) = 2, so c(a b .) = 3 with 2 types:
    #   (1 - 1/2)/3 + (1/2 * 2/3) * 31/64 = 1/6 + 31/192 = 21/64
    # P3(c | a b): (2 - 1/2)/3 + 1/3 * P2(c | b) = 1/2 + 1/3 * (1/4 + 1/2 * 7/32) = 119/192
    assert tiny_trigram.prob(A, (A, B)) == pytest.approx(21 / 64)
    assert tiny_trigram.prob(C, (A, B)) == pytest.approx(119 / 192)
    assert tiny_trigram.prob(B, (A, B)) == pytest.approx(1 / 3 * 1 / 2 * 7 / 32)  # only through backing off
    # an unseen trigram context backs off to the bigram: P2(a | c) = 1/2 + 1/2 * 15/32
    assert tiny_trigram.prob(A, (C, C)) == pytest.approx(1 / 2 + 15 / 64)
    # an unseen bigram context backs off to the unigram
    assert tiny_trigram.prob(A, (UNK, UNK)) == pytest.approx(15 / 32)


@pytest.mark.parametrize("context", [(A, B), (B, C), (C, C), (UNK, UNK), (B, A)])
def test_kneser_ney_distributions_sum_to_one(tiny_trigram, context):
    assert tiny_trigram.distribution(context).sum() == pytest.approx(1.0)


def test_kneser_ney_estimates_discounts_from_count_of_counts():
    model = KneserNeyTrigram(vocab_size=5).fit([A, B, C, A, B, A, B, C])
    assert model.discounts[2] == pytest.approx(4 / (4 + 2 * 1))  # trigram counts: four 1s, one 2
    rng = np.random.default_rng(0)
    big = KneserNeyTrigram(vocab_size=50).fit(rng.integers(1, 50, 5000).tolist())
    for context in [(3, 4), (10, 10), (1, 49)]:
        assert big.distribution(context).sum() == pytest.approx(1.0)


def test_split_is_contiguous_and_disjoint():
    tokens = [f"t{i}" for i in range(1000)]
    split = split_tokens(tokens)
    assert (len(split.train), len(split.validation), len(split.test)) == (800, 100, 100)
    assert split.train + split.validation + split.test == tokens  # in order, nothing lost or repeated


def test_book_split_covers_the_book_in_reading_order():
    split = book_split()
    total = len(split.train) + len(split.validation) + len(split.test)
    assert total > 100_000
    assert len(split.train) == int(0.8 * total) and len(split.validation) == int(0.9 * total) - int(0.8 * total)
    assert split.train[:4] == ["the", "adventures", "of", "sherlock"]
    assert split.test[-3:] == ["considerable", "success", "."]


def test_stream_batches_and_chunks_shift_targets_by_one():
    ids = torch.arange(20)
    rows = stream_batches(ids, batch_size=3)                       # (3, 6): 2 ids dropped
    assert rows.shape == (3, 6) and rows[1].tolist() == list(range(6, 12))
    pieces = list(chunks(rows, length=4))
    assert [tuple(x.shape) for x, _ in pieces] == [(3, 4), (3, 1)]
    for inputs, targets in pieces:
        assert torch.equal(targets, inputs + 1)


def test_lstm_shapes_and_state():
    model = NextWordLSTM(vocab_size=50, embed_dim=8, hidden_size=12, num_layers=2, dropout=0.1)
    logits, (h, c) = model(torch.randint(50, (4, 7)))
    assert logits.shape == (4, 7, 50)
    assert h.shape == c.shape == (2, 4, 12)                         # (layers, batch, hidden)
    more, _ = model(torch.randint(50, (4, 3)), (h, c))               # the state carries on
    assert more.shape == (4, 3, 50)


def test_weight_tying_shares_one_matrix():
    tied = NextWordLSTM(vocab_size=50, embed_dim=16, hidden_size=16, tie_weights=True)
    untied = NextWordLSTM(vocab_size=50, embed_dim=16, hidden_size=16)
    assert tied.output.weight is tied.embedding.weight
    assert sum(p.numel() for p in untied.parameters()) - sum(p.numel() for p in tied.parameters()) == 50 * 16
    with pytest.raises(ValueError, match="embed_dim == hidden_size"):
        NextWordLSTM(vocab_size=50, embed_dim=8, hidden_size=16, tie_weights=True)


def test_scoring_counts_unk_targets_as_misses():
    vocab = Vocabulary(["a", "b", ".", "c", "d", "e"])               # ids 2..7
    # three targets: "a", <unk>, "."; the model puts most mass on <unk> every time
    log_probs = torch.full((3, 8), -10.0)
    log_probs[:, 1] = -0.1
    log_probs[0, 2] = -1.0
    log_probs[2, 3] = -2.0
    scores = score_next_tokens([log_probs], torch.tensor([2, 1, 4]), vocab)
    assert scores.top1 == pytest.approx(1 / 3)                       # "a" right; <unk> never a hit
    assert scores.top5 == pytest.approx(2 / 3)                       # "." is among the top five real tokens
    assert scores.perplexity == pytest.approx(math.exp((1.0 + 0.1 + 10.0) / 3))
    assert (scores.unk_targets, scores.punctuation_targets) == (1, 1)
    assert scores.top1_words == pytest.approx(1 / 2)                  # "a" and <unk> are word targets


def test_generation_is_seeded():
    torch.manual_seed(0)
    vocab = Vocabulary([f"w{i}" for i in range(30)])
    model = NextWordLSTM(len(vocab), 8, 8)
    first = generate(model, vocab, [2, 3, 4], 12, temperature=1.0, seed=7)
    assert first == generate(model, vocab, [2, 3, 4], 12, temperature=1.0, seed=7)
    assert first != generate(model, vocab, [2, 3, 4], 12, temperature=1.0, seed=8)
    assert "<unk>" not in first and "<pad>" not in first
    greedy = generate(model, vocab, [2, 3, 4], 5, temperature=0)
    assert greedy == generate(model, vocab, [2, 3, 4], 5, temperature=0, seed=99)  # no randomness


# ---------------------------------------------------------------- the saved checkpoint

FOLDER = CHECKPOINT


def test_checkpoint_loads_with_verified_weights():
    model, vocab = load_next_word()
    card = checkpoints.load_card(CHECKPOINT)
    assert card["sha256"] == checkpoints._sha256(FOLDER / card["weights"])
    assert len(vocab) == card["architecture"]["args"]["vocab_size"] == card["vocabulary"]["size"]
    assert (FOLDER / "model.safetensors").stat().st_size < 15_000_000
    metrics = card["test_metrics"]
    for key in ("perplexity", "top1", "top5"):
        assert isinstance(metrics[key], float) and isinstance(metrics[f"trigram_{key}"], float)
        assert metrics[key] == round(card["evaluation"]["lstm"][key], 4 if key != "perplexity" else 2)
    assert {"dataset", "train", "validation", "test"} <= set(card["data"])


def test_a_tampered_checkpoint_is_refused(tmp_path):
    copy = tmp_path / "next_word"
    shutil.copytree(FOLDER, copy)
    weights = copy / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(checkpoints.CheckpointError, match="does not match its card"):
        load_next_word(copy)


def test_checkpoint_predicts_sensible_next_words():
    assert "holmes" in predict_next("said sherlock", k=5)
    top = predict_next("I had seen little of", k=5)
    assert len(top) == 5 and all(0 < p < 1 for p in top.values())
    assert list(top.values()) == sorted(top.values(), reverse=True)


def test_long_phrases_read_only_the_last_context_window():
    _, vocab = load_next_word()
    prompt = read_phrase("the " * 10_000 + "door", vocab)
    assert len(prompt.ids) == CONTEXT and prompt.truncated
    assert prompt.ids[-1] == vocab.stoi["door"]


@pytest.mark.parametrize("phrase, message", [
    ("", "Type a phrase"), ("   ", "Type a phrase"), ("?!...", "no words"), ("😀 🙂", "no words"),
    ("你好 世界", "None of these words"), ("x" * 200_001, "the limit is")])
def test_unusable_phrases_are_refused_with_a_reason(phrase, message):
    _, vocab = load_next_word()
    with pytest.raises(BadInput, match=message):
        read_phrase(phrase, vocab)


def test_smoke_recipe_trains_into_a_temporary_folder(monkeypatch, capsys):
    from learntorch.train import main
    monkeypatch.setenv("LEARNTORCH_PROFILE", "smoke")
    before = (FOLDER / "card.json").read_text(), (FOLDER / "model.safetensors").read_bytes()
    main(["next_word"])
    assert "test_metrics" in capsys.readouterr().out
    assert ((FOLDER / "card.json").read_text(), (FOLDER / "model.safetensors").read_bytes()) == before
