"""The recipe behind ``checkpoints/next_word/``: the candidates, training, scores and card.

    python -m learntorch.train next_word      # (re)train checkpoints/next_word/
"""

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from learntorch import checkpoints, distributed
from learntorch.device import pick_device, provenance, seed_everything
from learntorch.next_word.data import Split, book_split, describe_split
from learntorch.next_word.generate import CONTEXT
from learntorch.next_word.model import NextWordLSTM
from learntorch.next_word.scoring import compare_on_test
from learntorch.next_word.training import TrainSettings, cpu_threads, train_language_model
from learntorch.next_word.trigram import KneserNeyTrigram
from learntorch.profile import current, is_smoke
from learntorch.text import Vocabulary

NAME = "next_word"
VOCAB_FILE = "vocab.json"


@dataclass(frozen=True)
class Candidate:
    """One model size a recipe tries: arguments of :class:`NextWordLSTM` (tied weights)."""
    hidden_size: int
    num_layers: int
    dropout: float

    def model_args(self) -> dict:
        return dict(embed_dim=self.hidden_size, hidden_size=self.hidden_size,
                    num_layers=self.num_layers, dropout=self.dropout, tie_weights=True)


def default_settings(device: torch.device | None = None) -> tuple[list[Candidate], TrainSettings, int]:
    """Candidate model sizes, training settings and vocabulary min frequency for this profile.

    On a CPU, one model for 12 epochs. On a GPU an epoch takes about a second, so each
    candidate trains until its validation perplexity has not improved for 4 epochs, and
    the best candidate is kept: "as large and as long as helps". Every candidate answers
    the demo within its CPU latency budget (about 6 ms for 64 tokens on one thread,
    measured by ``benchmarks/next_word.py``).
    """
    device = torch.device(device or pick_device())
    if is_smoke():
        candidates = [Candidate(32, 1, 0.2)] + ([Candidate(32, 2, 0.2)] if device.type == "cuda" else [])
        return candidates, TrainSettings(epochs=1, batch_size=32, bptt=20), 2
    if device.type == "cuda":
        candidates = [Candidate(256, 1, 0.5), Candidate(256, 1, 0.6), Candidate(320, 1, 0.6),
                      Candidate(256, 2, 0.4), Candidate(256, 2, 0.5)]
        return candidates, TrainSettings(epochs=80, patience=4), 2
    return [Candidate(256, 1, 0.5)], TrainSettings(), 2


def train_checkpoint(folder: Path | None = None) -> dict:
    """Train the demo's next-word LSTM, score it and the trigram on the test part, save both card and weights.

    ``folder`` defaults to ``checkpoints/next_word`` in the full profile and to a fresh
    temporary directory in the smoke profile (which also uses only part of the book).
    """
    folder = Path(folder) if folder is not None else checkpoints.run_folder(NAME)
    device = pick_device()
    candidates, settings, min_freq = default_settings(device)
    with cpu_threads(device, settings.cpu_threads):
        trained_on = provenance(device)
    split = book_split()
    if is_smoke():  # a slice of each part: the recipe runs end to end in seconds
        split = Split(split.train[:10_000], split.validation[:2_000], split.test[:2_000])
    vocab = Vocabulary.build(split.train, min_freq=min_freq)
    train_ids, val_ids, test_ids = (torch.tensor(vocab.encode(part))
                                    for part in (split.train, split.validation, split.test))
    start = time.perf_counter()
    tried = []
    for candidate in candidates:
        print(f"candidate: {candidate}")
        seed_everything(0)
        model = NextWordLSTM(len(vocab), **candidate.model_args())
        log = train_language_model(model, train_ids, val_ids, settings, device)
        tried.append((min(log.val_perplexity), candidate, model, log))
    _, candidate, model, log = min(tried, key=lambda entry: entry[0])
    wall_time = time.perf_counter() - start
    model.cpu()
    trigram = KneserNeyTrigram(len(vocab)).fit(train_ids.tolist())
    with cpu_threads("cpu", settings.cpu_threads):
        scores = compare_on_test(model, trigram, test_ids, vocab)
    lstm, baseline = scores["lstm"], scores["trigram"]
    if distributed.is_main():  # under torchrun, rank 0 alone writes the checkpoint
        folder.mkdir(parents=True, exist_ok=True)
        vocab.save(folder / VOCAB_FILE)
    card = {
        "name": NAME,
        "task": "next-word prediction (word-level language model)",
        "architecture": {"class": f"{NextWordLSTM.__module__}.{NextWordLSTM.__name__}", "args": model.args},
        "vocab_file": VOCAB_FILE,
        "vocabulary": {"size": len(vocab), "min_freq": min_freq, "built_from": "training part only",
                       "tokenizer": "learntorch.text.tokenize: lower-case words; each punctuation mark a token"},
        "data": describe_split(split),
        "test_metrics": {"perplexity": round(lstm.perplexity, 2), "top1": round(lstm.top1, 4),
                         "top5": round(lstm.top5, 4),
                         "trigram_perplexity": round(baseline.perplexity, 2),
                         "trigram_top1": round(baseline.top1, 4), "trigram_top5": round(baseline.top5, 4)},
        "evaluation": {
            "rule": "both models score the same targets, every test token from the third on; top-k "
                    "guesses exclude <unk> and <pad>, so a <unk> target is always a miss; perplexity "
                    "scores a <unk> target as the <unk> class for both models",
            "lstm": asdict(lstm),
            "baseline": {"model": "interpolated Kneser-Ney trigram fitted on the training part",
                         "discounts": [round(d, 4) for d in trigram.discounts], **asdict(baseline)}},
        "selection": {"rule": "the candidate with the lowest validation perplexity",
                      "candidates": [{**asdict(c), "val_perplexity": round(ppl, 2), "epochs": len(l.train_loss)}
                                     for ppl, c, _, l in tried]},
        "training": {**asdict(settings), "optimizer": "Adam", "best_epoch": log.best_epoch,
                     "train_loss": [round(x, 4) for x in log.train_loss],
                     "val_perplexity": [round(x, 2) for x in log.val_perplexity],
                     "clipped": [round(x, 3) for x in log.clipped],
                     "epoch_seconds": [round(x, 1) for x in log.seconds]},
        "context_at_inference": CONTEXT,
        "epochs": len(log.train_loss),
        "wall_time_s": round(wall_time, 1),
        **trained_on,
        "profile": current(),
    }
    return checkpoints.save(model, folder, card)
