"""Lesson 7's claims: its comparison of cures is a controlled experiment.

Every variant starts from the same initial weights and sees the same batches in the same
order, so the early-stopping run is the no-cure run, stopped; reusing a loader would give
a run other batches; AdamW's decay takes lr * weight_decay off a weight per step.

The lesson's own code is run (smoke profile) up to the cell that checks the early-stopping
run, and its functions are tested directly.
"""

import os

import jupytext
import matplotlib
import pytest
import torch
from torch import nn

from learntorch.paths import LESSONS_DIR

LESSON = LESSONS_DIR / "07_overfitting.py"
LAST_CELL = "same_curves ="  # the cell that compares the early-stopping run with no cure


@pytest.fixture(scope="module")
def lesson():
    """The lesson's namespace after running its code cells up to LAST_CELL (smoke profile)."""
    matplotlib.use("Agg")
    saved = os.environ.get("LEARNTORCH_PROFILE")
    os.environ["LEARNTORCH_PROFILE"] = "smoke"
    namespace = {"__name__": "lesson_07"}
    try:
        for cell in jupytext.read(LESSON, fmt="py:percent").cells:
            if cell.cell_type != "code":
                continue
            exec(compile(cell.source, str(LESSON), "exec"), namespace)
            if LAST_CELL in cell.source:
                return namespace
    finally:
        if saved is None:
            os.environ.pop("LEARNTORCH_PROFILE", None)
        else:
            os.environ["LEARNTORCH_PROFILE"] = saved
    raise AssertionError(f"no cell with {LAST_CELL!r} in {LESSON.name}")


def model_settings(settings):
    return {key: settings[key] for key in ("dropout", "batch_norm") if key in settings}


def linear_layers(model):
    return [layer for layer in model if isinstance(layer, nn.Linear)]


def test_every_variant_starts_from_the_same_weights(lesson):
    plain = linear_layers(lesson["start"]()[0])
    for name, settings in lesson["variants"].items():
        layers = linear_layers(lesson["start"](**model_settings(settings))[0])
        assert len(layers) == len(plain), name
        for mine, theirs in zip(layers, plain):
            assert torch.equal(mine.weight, theirs.weight) and torch.equal(mine.bias, theirs.bias), name


def test_every_variant_sees_the_same_batches_in_the_same_order(lesson):
    def batches(settings, epochs=2):
        loader = lesson["start"](**model_settings(settings))[1].train
        return [(images, labels) for _ in range(epochs) for images, labels in loader]

    reference = batches({})
    assert len(reference) > 2
    for name, settings in lesson["variants"].items():
        other = batches(settings)
        assert len(other) == len(reference), name
        assert all(torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
                   for a, b in zip(reference, other)), name


def test_a_reused_loader_shuffles_differently_and_a_fresh_one_repeats(lesson):
    loader = lesson["start"]()[1].train
    first_pass = [labels for _, labels in loader]
    second_pass = [labels for _, labels in loader]
    fresh = [labels for _, labels in lesson["start"]()[1].train]
    assert not all(torch.equal(a, b) for a, b in zip(first_pass, second_pass))
    assert all(torch.equal(a, b) for a, b in zip(first_pass, fresh))


def test_the_early_stopping_run_is_the_no_cure_run_stopped(lesson):
    histories, patience = lesson["histories"], lesson["PATIENCE"]
    stopped, baseline = histories[f"early stopping, patience {patience}"], histories["no cure"]
    assert stopped.epochs >= 1
    assert stopped.train_loss == baseline.train_loss[:stopped.epochs]
    assert stopped.train_acc == baseline.train_acc[:stopped.epochs]
    assert stopped.val_loss == baseline.val_loss[:stopped.epochs]
    assert lesson["same_curves"] is True


def test_a_run_with_dropout_repeats_exactly_with_the_same_seed(lesson):
    # Dropout draws its masks from the global generator, which start() seeds.
    first = lesson["train_variant"](dropout=0.5, curves=False)[0]
    second = lesson["train_variant"](dropout=0.5, curves=False)[0]
    assert first == second


def test_adamw_takes_lr_times_weight_decay_off_a_weight_per_step():
    weight = torch.ones(1, requires_grad=True)
    optimizer = torch.optim.AdamW([weight], lr=1e-3, weight_decay=5.0)
    weight.grad = torch.zeros(1)
    optimizer.step()
    assert weight.item() == pytest.approx(1 - 1e-3 * 5.0)
