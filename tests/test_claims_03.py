"""What lesson 3 (a training pipeline) claims about its evaluation, checked by running its cells.

The lesson says the decision threshold is chosen on the validation set and that the test
set is consulted only once, at the end. If that is true, replacing the test rows with
noise (and flipping their labels) changes neither the trained weights nor the threshold.
"""

import jupytext
import matplotlib
import numpy as np
import pytest
import sklearn.model_selection
import torch

from learntorch.paths import LESSONS_DIR

LESSON = LESSONS_DIR / "03_training_pipeline.py"


def run_lesson_until(name: str) -> dict:
    """Execute lesson 3's code cells in order until one defines ``name``; return the namespace."""
    matplotlib.use("Agg")
    namespace = {"__name__": "lesson_03"}
    for cell in jupytext.read(LESSON, fmt="py:percent").cells:
        if cell.cell_type == "code":
            exec(compile(cell.source, str(LESSON), "exec"), namespace)
            if name in namespace:
                return namespace
    raise AssertionError(f"lesson 3 never defines {name}")


@pytest.fixture(scope="module")
def runs():
    """The lesson up to its chosen threshold, once as written and once with a poisoned test set."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LEARNTORCH_PROFILE", "smoke")
        honest = run_lesson_until("chosen_threshold")

        original = sklearn.model_selection.train_test_split
        cuts = []

        def split_with_noise_for_a_test_set(features, labels, **options):
            x_kept, x_held, y_kept, y_held = original(features, labels, **options)
            if not cuts:  # the first cut is the test set's: make it noise with flipped labels
                noise = np.random.default_rng(0).normal(x_held.mean(0), 5 * x_held.std(0), x_held.shape)
                x_held, y_held = noise, 1 - y_held
            cuts.append(options)
            return x_kept, x_held, y_kept, y_held

        patch.setattr(sklearn.model_selection, "train_test_split", split_with_noise_for_a_test_set)
        poisoned = run_lesson_until("chosen_threshold")
    assert len(cuts) == 2, "lesson 3 should cut twice: test set, then validation set"
    return honest, poisoned


def test_the_three_parts_are_disjoint_and_stratified(runs):
    honest, _ = runs
    sizes = [len(honest[name]) for name in ("Y_train", "Y_val", "Y_test")]
    assert sizes == [364, 91, 114]
    rates = [honest[name].mean().item() for name in ("Y_train", "Y_val", "Y_test")]
    assert max(rates) - min(rates) < 0.01  # each part keeps the 37 % malignant share
    rows = [{tuple(row) for row in honest[name]} for name in ("x_train", "x_val", "x_test")]
    assert not (rows[0] & rows[1] or rows[0] & rows[2] or rows[1] & rows[2])


def test_the_test_set_changes_neither_the_model_nor_the_threshold(runs):
    honest, poisoned = runs
    assert not torch.equal(honest["Y_test"], poisoned["Y_test"])  # the poison did reach the lesson
    for parameter in ("weights", "bias"):
        assert torch.equal(getattr(honest["model"], parameter), getattr(poisoned["model"], parameter))
    assert torch.equal(honest["val_probabilities"], poisoned["val_probabilities"])
    assert honest["chosen_threshold"] == poisoned["chosen_threshold"]


def test_the_threshold_is_the_highest_that_meets_the_recall_target_on_validation(runs):
    honest, _ = runs
    probabilities, targets = honest["val_probabilities"], honest["Y_val"]
    threshold, target = honest["chosen_threshold"], honest["target_recall"]

    def recall(at: float) -> float:
        found = ((probabilities >= at) & (targets == 1)).sum().item()
        return found / targets.sum().item()

    assert recall(threshold) >= target
    assert threshold == 0.99 or recall(round(threshold + 0.01, 2)) < target
