"""Claims lesson 12 (LSTM next-word prediction) makes on its page, checked cheaply."""

import torch

from learntorch import checkpoints
from learntorch.device import seed_everything
from learntorch.next_word.data import book_split
from learntorch.next_word.model import NextWordLSTM
from learntorch.next_word.predict import CHECKPOINT
from learntorch.next_word.recipe import default_settings
from learntorch.next_word.training import TrainSettings, train_language_model
from learntorch.paths import ROOT
from learntorch.text import Vocabulary
from lesson_code import lesson_namespace

LESSON = "12_lstm_next_word"


def test_the_lessons_tbptt_loop_trains_exactly_like_train_language_model():
    """'Same losses and same weights': the page's loop and the library's, from the same seed."""
    lesson = lesson_namespace(LESSON, {"train_one_epoch", "train_lm"})
    split = book_split()
    vocab = Vocabulary.build(split.train[:4_000], min_freq=2)
    train_ids = torch.tensor(vocab.encode(split.train[:4_000]))
    val_ids = torch.tensor(vocab.encode(split.validation[:600]))
    settings = TrainSettings(epochs=2, batch_size=8, bptt=10)
    cpu = torch.device("cpu")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the lesson does (and train_language_model on a CPU)
    try:
        results = []
        for train in (lesson["train_lm"], train_language_model):
            seed_everything(0)
            model = NextWordLSTM(len(vocab), 16, 16, dropout=0.5, tie_weights=True)
            log = train(model, train_ids, val_ids, settings, cpu, verbose=False)
            results.append((log, model.state_dict()))
    finally:
        torch.set_num_threads(threads)
    (our_log, ours), (their_log, theirs) = results
    assert our_log.train_loss == their_log.train_loss
    assert our_log.val_perplexity == their_log.val_perplexity
    assert our_log.best_epoch == their_log.best_epoch
    assert ours.keys() == theirs.keys() and all(torch.equal(ours[key], theirs[key]) for key in ours)


def test_the_split_written_in_the_lesson_is_book_split():
    split = book_split()
    total = len(split.train) + len(split.validation) + len(split.test)
    assert len(split.train) == int(total * 0.8)
    assert len(split.train) + len(split.validation) == int(total * 0.9)


def test_the_lessons_full_settings_are_the_cpu_recipes():
    candidates, settings, min_freq = default_settings(torch.device("cpu"))
    assert min_freq == 2                                 # "the recipe behind the demo uses 2 as well"
    if len(candidates) == 1 and candidates[0].hidden_size == 256:  # full profile
        assert candidates[0].dropout == 0.5 and candidates[0].num_layers == 1
        assert (settings.epochs, settings.batch_size, settings.bptt, settings.lr, settings.clip,
                settings.weight_decay) == (12, 16, 35, 3e-3, 0.5, 1e-6)


def test_a_lessons_run_folder_is_never_the_demos_checkpoint(monkeypatch):
    monkeypatch.setenv("LEARNTORCH_PROFILE", "full")
    assert checkpoints.run_folder("next_word") == ROOT / "runs" / "next_word"


def test_the_demo_card_has_what_the_page_prints():
    card = checkpoints.load_card(CHECKPOINT)
    assert isinstance(card["device"], str) and card["device"]
    assert len(card["saved_at"][:10].split("-")) == 3
    assert 1 <= card["training"]["best_epoch"] <= card["epochs"]
    args = card["architecture"]["args"]
    assert {"hidden_size", "num_layers", "dropout"} <= args.keys()
    assert {"perplexity", "top1", "top5", "trigram_perplexity"} <= card["test_metrics"].keys()
