"""Claims lesson 9 (CNNs) makes on its page, checked cheaply."""

from dataclasses import replace

import pytest
import torch
from torch import nn

from learntorch import checkpoints
from learntorch.digits.model import DigitCNN
from learntorch.digits.predict import CHECKPOINT
from learntorch.digits.recipe import LESSON_RECIPE, train_recipe
from learntorch.paths import ROOT
from learntorch.splits import image_splits
from lesson_code import lesson_namespace

LESSON = "09_cnn"


def test_the_lessons_loop_trains_exactly_like_the_library_recipe():
    """'Identical weights mean identical training': the page's loop and train_recipe, same seed."""
    lesson = lesson_namespace(LESSON, {"model_args", "train_digit_cnn"})
    (train_x, train_y), (val_x, val_y), _ = image_splits("MNIST")
    train, val = (train_x[:256], train_y[:256]), (val_x[:200], val_y[:200])
    cpu = torch.device("cpu")
    ours, our_history = lesson["train_digit_cnn"](train, val, 2, cpu)
    theirs, their_history = train_recipe(replace(LESSON_RECIPE, epochs=2), train, val, cpu)
    assert our_history.train_loss == their_history.train_loss
    assert ours.state_dict().keys() == theirs.state_dict().keys()
    assert all(torch.equal(ours.state_dict()[key], theirs.state_dict()[key]) for key in ours.state_dict())


def test_the_lessons_model_arguments_are_the_recipes():
    lesson = lesson_namespace(LESSON, {"model_args"})
    assert LESSON_RECIPE.model_args() == {**lesson["model_args"], "widths": [32, 64], "convs_per_block": 1}


def test_parameter_counts_quoted_in_the_prose():
    model = DigitCNN()
    features = sum(p.numel() for p in model.features.parameters())
    assert round(features, -3) == 19_000                 # "about 19 thousand weights"
    second = [m for m in model.modules() if isinstance(m, nn.Conv2d)][1]
    assert second.weight.numel() == 18_432               # exercise 6: the second convolution
    assert 0.015 < 18_432 / sum(p.numel() for p in model.parameters()) < 0.025  # "about 2%"


def test_multiply_adds_of_exercise_6():
    first, second, linear = 28 * 28 * 32 * 1 * 9, 14 * 14 * 64 * 32 * 9, 3136 * 256
    assert (first, second, linear) == (225_792, 3_612_672, 802_816)
    assert second / linear == pytest.approx(4.5)


def test_a_lessons_run_folder_is_never_the_demos_checkpoint(monkeypatch):
    monkeypatch.setenv("LEARNTORCH_PROFILE", "full")
    assert checkpoints.run_folder("digits") == ROOT / "runs" / "digits"
    monkeypatch.setenv("LEARNTORCH_PROFILE", "smoke")
    assert not checkpoints.run_folder("digits").is_relative_to(checkpoints.CHECKPOINTS_DIR)


def test_the_demo_card_has_what_the_page_prints():
    card = checkpoints.load_card(CHECKPOINT)
    assert isinstance(card["device"], str) and card["device"]
    assert len(card["saved_at"][:10].split("-")) == 3
    assert card["epochs"] >= 1 and card["wall_time_s"] > 0
    assert isinstance(card["architecture"]["args"], dict)
    assert 0 < card["test_metrics"]["accuracy"] <= 1
    assert int(card["data"]["test"].split()[0]) > 0    # "N images of the MNIST test set"
