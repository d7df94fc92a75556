"""Measured figures for the next-word model: test scores recomputed from the saved checkpoint
(LSTM and Kneser-Ney trigram), the latency of one prediction, and the demo's round trip
beside a no-op Gradio floor.

    python benchmarks/next_word.py [--requests 100] [--repeats 300]

The round trips are measured through ``gradio_client`` against two servers started here:
the real demo (``python -m demos.next_word``) and a no-op app with the same shape (a
textbox in, a label out) whose function returns a constant. Their requests alternate, so
both see the same load on a shared machine; the difference is what tokenizing and the
LSTM add.
"""

import tempfile
import time
from pathlib import Path

import torch

from common import (benchmark_main, percentiles,  # also puts the project on sys.path
                    round_trips_against_floor, timed, timed_per_thread_count)
from learntorch.checkpoints import load_card
from learntorch.next_word.data import book_split
from learntorch.next_word.generate import next_token_logits
from learntorch.next_word.predict import CHECKPOINT, load_next_word, predict_next
from learntorch.next_word.scoring import compare_on_test
from learntorch.next_word.training import cpu_threads
from learntorch.next_word.trigram import KneserNeyTrigram
from learntorch.text import Vocabulary, tokenize

PHRASE = "“My dear Watson,” said Holmes, as we sat on either side of the fire in his lodgings at"


def benchmark_scores() -> None:
    model, vocab = load_next_word()  # verifies the weights' SHA-256 against the card
    card = load_card(CHECKPOINT)
    split = book_split()
    rebuilt = Vocabulary.build(split.train, min_freq=card["vocabulary"]["min_freq"])
    assert rebuilt.itos == vocab.itos, "the saved vocabulary differs from the training part's"
    train_ids, test_ids = (torch.tensor(vocab.encode(part)) for part in (split.train, split.test))
    start = time.perf_counter()
    with cpu_threads("cpu", 1):
        scores = compare_on_test(model, KneserNeyTrigram(len(vocab)).fit(train_ids.tolist()), test_ids, vocab)
    lstm = scores["lstm"]
    print(f"test part: {lstm.targets:,} targets ({lstm.unk_targets:,} <unk>, always misses; "
          f"{lstm.punctuation_targets:,} punctuation), scored in {time.perf_counter() - start:.1f} s")
    print(f"{'model':<20} {'perplexity':>10} {'top-1':>7} {'top-5':>7} {'top-1 words':>12} {'top-5 words':>12}")
    for name, s in (("LSTM (checkpoint)", lstm), ("Kneser-Ney trigram", scores["trigram"])):
        print(f"{name:<20} {s.perplexity:10.2f} {s.top1:7.4f} {s.top5:7.4f} {s.top1_words:12.4f} {s.top5_words:12.4f}")
    card_metrics = card["test_metrics"]
    same = (round(lstm.perplexity, 2) == card_metrics["perplexity"] and round(lstm.top5, 4) == card_metrics["top5"]
            and round(lstm.top1, 4) == card_metrics["top1"])
    print(f"matches the model card: {same}")


def benchmark_latency(repeats: int) -> None:
    model, vocab = load_next_word()
    ids = vocab.encode(tokenize(PHRASE))
    timed_per_thread_count(f"LSTM forward alone, {len(ids)}-token phrase",
                           lambda: next_token_logits(model, ids), repeats)
    long_text = ("The door was open and we walked in, said he. " * 2300)[:100_000]
    with cpu_threads("cpu", 1):  # the demo sets one thread when it launches
        print(f"predict_next as the demo runs it (1 thread; tokenize + forward + top 5): "
              f"{percentiles(timed(lambda: predict_next(PHRASE), repeats))}")
        print(f"predict_next on a 100 000-character text: "
              f"{percentiles(timed(lambda: predict_next(long_text), repeats))}")


def floor_app():
    """A no-op app shaped like the demo's /next_word: a textbox in, a five-entry label out."""
    import gradio as gr
    constant = {word: 0.1 for word in ("the", "a", "and", "of", "to")}
    with gr.Blocks() as app:
        phrase, label = gr.Textbox(), gr.Label(num_top_classes=5)
        gr.Button().click(lambda _: constant, phrase, label, api_name="next_word")
    return app


def benchmark_round_trip(requests: int, logs: Path) -> None:
    label = round_trips_against_floor("demos.next_word", __file__,
                                      lambda client: client.predict(PHRASE, api_name="/next_word"), requests, logs)
    print(f"demo's answer to {PHRASE!r}: {[c['label'] for c in label['confidences']]}")


def measure(args) -> None:
    benchmark_scores()
    benchmark_latency(args.repeats)
    with tempfile.TemporaryDirectory() as scratch:
        benchmark_round_trip(args.requests, Path(scratch))


if __name__ == "__main__":
    benchmark_main(__doc__, floor_app, measure, requests=100, repeats=300)
