# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 8. Hyperparameter tuning with Optuna

# %% [markdown]
# ## What you will learn
#
# - Why the settings chosen so far (layers, widths, learning rate, optimizer, batch size,
#   dropout, weight decay) need a search rather than a guess.
# - Three ways to search: grid search, random search and Bayesian optimisation (Optuna's
#   TPE sampler), compared on a toy problem.
# - How to write an Optuna objective, define a search space, run a study, and stop hopeless
#   trials early with a pruner.
# - How to read the results: the trials table, the optimisation history, parameter
#   importances and a parallel-coordinate plot.
# - How to turn the best trial into a final model and measure it honestly on the test set.
#
# ## What this assumes
#
# Lessons 6 and 7: Fashion-MNIST with its validation split, `make_mlp`, `fit`, dropout and
# weight decay.

# %%
import math
import time
import warnings

import matplotlib.pyplot as plt
import optuna
import torch
from torch.utils.data import TensorDataset

from learntorch.device import describe, pick_device, seed_everything
from learntorch.plots import plot_history
from learntorch.profile import pick
from learntorch.train import evaluate, fit
from learntorch.mlp import make_mlp, weight_decay_groups
from learntorch.splits import fashion_splits, make_loaders

optuna.logging.set_verbosity(optuna.logging.WARNING)  # no log line per trial
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
device = pick_device()
print("optuna", optuna.__version__, "| device:", describe(device))

# %% [markdown]
# ## Why tune?
#
# Look back at lesson 6: two hidden layers, of 512 and 256 units; Adam; a learning rate of
# 1e-3; batches of 256; no dropout. Each of those is a reasonable default, but none was
# *chosen*: we never tried three layers, or 128 units, or SGD. Lesson 7 added more knobs
# (the dropout probability, the weight decay) and showed that their best values depend on
# the data and on each other.
#
# These are **hyperparameters**: settings fixed before training, as opposed to the
# **parameters** (weights) that training learns. Tuning them is itself an optimisation
# problem, with two awkward features: each evaluation costs a whole training run, and there
# is no gradient to follow. So we search, training one model per **trial**, scoring it on
# the **validation** set, and keeping the best.
#
# The test set stays out of this completely. Choosing among dozens of models by their
# test accuracy would fit the choice to the test set's particular images, and the
# accuracy we then report would be flattering. The test set is used once, at the end.
#
# ## Grid, random, Bayesian
#
# - **Grid search** tries every combination of a few values per hyperparameter. Simple, but
#   the cost multiplies (5 values for each of 7 hyperparameters is 78 125 runs), and when
#   only some hyperparameters matter, most of the grid re-tests the same few values of those.
# - **Random search** draws each trial's values at random from ranges. For the same budget it
#   tries many more distinct values of each hyperparameter, which is why it usually beats a
#   grid when only a few of them matter (which is the common case).
# - **Bayesian optimisation** also starts at random but then learns from the trials so far
#   where good results are likely and samples more there. Optuna's default,
#   the **Tree-structured Parzen Estimator (TPE)**, splits the finished trials into the
#   best-scoring fraction and the rest, fits a probability density to the hyperparameter
#   values of each group, and proposes values that are likely under the "good" density and
#   unlikely under the "bad" one.
#
# To see the difference, let the three search a made-up two-hyperparameter "accuracy"
# that is cheap to compute: it has a narrow peak in `x` and hardly depends on `y`.
# Each gets 36 evaluations.

# %%
def toy_accuracy(x, y):
    return 0.9 * math.exp(-((x - 0.71) / 0.06) ** 2) + 0.05 * y


def toy_objective(trial):
    return toy_accuracy(trial.suggest_float("x", 0, 1), trial.suggest_float("y", 0, 1))


grid = [i / 5 for i in range(6)]  # 0, 0.2, ..., 1
samplers = {
    "grid (6 x 6)": optuna.samplers.GridSampler({"x": grid, "y": grid}),
    "random": optuna.samplers.RandomSampler(seed=0),
    "TPE (Bayesian)": optuna.samplers.TPESampler(seed=0),
}
xs, ys = torch.meshgrid(torch.linspace(0, 1, 200), torch.linspace(0, 1, 200), indexing="xy")
surface = 0.9 * torch.exp(-((xs - 0.71) / 0.06) ** 2) + 0.05 * ys
fig, axes = plt.subplots(1, 3, figsize=(13, 4), sharey=True)
for ax, (name, sampler) in zip(axes, samplers.items()):
    toy_study = optuna.create_study(direction="maximize", sampler=sampler)
    toy_study.optimize(toy_objective, n_trials=36)
    points = [(t.params["x"], t.params["y"]) for t in toy_study.trials]
    ax.contourf(xs, ys, surface, levels=20, cmap="viridis")
    ax.scatter(*zip(*points), c="white", edgecolors="black", s=30)
    ax.set_title(f"{name}: best {toy_study.best_value:.3f}")
    ax.set_xlabel("x (matters)")
    near_peak = sum(abs(x - 0.71) < 0.05 for x, _ in points)
    print(f"{name:>15}: best {toy_study.best_value:.3f}, "
          f"{len({round(x, 6) for x, _ in points}):>2} distinct x values, "
          f"{near_peak:>2} of 36 within 0.05 of the peak")
axes[0].set_ylabel("y (hardly matters)")
plt.show()

# %% [markdown]
# The grid spends its 36 runs on only 6 values of `x`, none of them on the peak. Random
# search tries 36 different values of `x`. TPE starts like random search (its first 10
# trials are random) and then concentrates its samples where the good results were. With
# real networks each point is a training run, so sampling cleverly pays off quickly.
#
# ## The data for the search
#
# Every trial trains a network, so the search must be cheap per trial: it trains on a
# 10 000-image subset of the training split for a few epochs, and scores each trial by its
# accuracy on the **validation** set of lessons 6 and 7. Short, small runs rank settings
# roughly the way long, full runs would, not exactly; they favour settings that learn
# fast. That is the usual price of a search on a budget.

# %%
splits = fashion_splits(**pick(smoke=dict(train_size=600, val_size=500, test_size=500), full=dict()))
SEARCH_SIZE = pick(smoke=300, full=10_000)
search_splits = splits._replace(train=TensorDataset(*(t[:SEARCH_SIZE] for t in splits.train.tensors)))
N_TRIALS = pick(smoke=3, full=36)
SEARCH_EPOCHS = pick(smoke=1, full=5)
print(f"search: {SEARCH_SIZE} training images, {len(splits.val)} validation images, "
      f"{N_TRIALS} trials of up to {SEARCH_EPOCHS} epochs")

# %% [markdown]
# ## The objective
#
# Optuna asks for one function, the **objective**: it receives a `trial`, asks it for
# hyperparameter values, builds and trains a model with them, and returns the score to
# maximise. The `trial.suggest_*` calls *are* the search space:
#
# - `suggest_int("n_layers", 1, 3)`: whole numbers in a range;
# - `suggest_int("width", 32, 512, log=True)` and `suggest_float("lr", 1e-4, 1e-1, log=True)`:
#   `log=True` samples evenly in orders of magnitude, so 1e-4 to 1e-3 gets as many tries as
#   1e-2 to 1e-1 (right for learning rates and weight decay, whose effect is multiplicative);
# - `suggest_float("dropout", 0.0, 0.5)`: evenly in a range;
# - `suggest_categorical("optimizer", [...])`: a choice from a list.
#
# All hidden layers share one width here, which keeps the space small; a search space
# could just as well ask for a width per layer.

# %%
def build_model(trial):
    n_layers = trial.suggest_int("n_layers", 1, 3)
    width = trial.suggest_int("width", 32, 512, log=True)
    dropout = trial.suggest_float("dropout", 0.0, 0.5)
    return make_mlp([width] * n_layers, dropout=dropout)


def build_optimizer(trial, model):
    name = trial.suggest_categorical("optimizer", ["SGD", "Adam", "AdamW"])
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    weight_decay = trial.suggest_float("weight_decay", 1e-6, 1e-1, log=True)
    groups = weight_decay_groups(model, weight_decay)  # decay the weights, not the biases
    if name == "SGD":
        return torch.optim.SGD(groups, lr=lr, momentum=0.9)
    return getattr(torch.optim, name)(groups, lr=lr)


# %% [markdown]
# **Pruning.** Many trials are obviously bad after an epoch or two (a learning rate that
# makes the loss explode, a network too small). After each epoch the objective reports the
# validation accuracy with `trial.report(value, step)` and asks `trial.should_prune()`.
# The `MedianPruner` answers yes when the trial's best score so far is below the median
# of the completed trials' scores at the same epoch; the objective then raises
# `optuna.TrialPruned` and the study moves on, having spent a fraction of a full trial.
# `n_startup_trials=5` prunes nothing until five trials have completed, so that there is a
# median worth comparing with; `n_warmup_steps=1` never prunes on the first epoch, which is
# too noisy to judge by.

# %%
def objective(trial):
    seed_everything(0)  # the same initial weights and batch order wherever possible
    model = build_model(trial)
    optimizer = build_optimizer(trial, model)
    batch_size = trial.suggest_categorical("batch_size", [64, 128, 256])
    loaders = make_loaders(search_splits, batch_size=batch_size)
    for epoch in range(SEARCH_EPOCHS):
        fit(model, loaders.train, optimizer, epochs=1, device=device, verbose=False)
        _, val_acc = evaluate(model, loaders.val, device=device)
        trial.report(val_acc, step=epoch)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return val_acc


# %% [markdown]
# ## The study
#
# A **study** is one optimisation run: it holds the sampler (a seeded TPE, so this page can
# be reproduced), the pruner and every trial. `direction="maximize"` because the objective
# returns an accuracy.

# %%
study = optuna.create_study(
    direction="maximize",
    sampler=optuna.samplers.TPESampler(seed=0),
    pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1),
)
start = time.perf_counter()
study.optimize(objective, n_trials=N_TRIALS)
search_seconds = time.perf_counter() - start
states = [trial.state.name for trial in study.trials]
print(f"{len(study.trials)} trials in {search_seconds:.0f} s: "
      f"{states.count('COMPLETE')} completed, {states.count('PRUNED')} pruned")
print(f"best: trial {study.best_trial.number}, validation accuracy {study.best_value:.4f}")
for name, value in study.best_params.items():
    print(f"  {name:>12} = {value:.3g}" if isinstance(value, float) else f"  {name:>12} = {value}")

# %% [markdown]
# ## Reading the results
#
# `study.trials_dataframe()` has one row per trial. Trimmed to the useful columns and
# sorted, best first:

# %%
trials = study.trials_dataframe(attrs=("number", "value", "params", "state", "duration"))
trials.columns = [column.removeprefix("params_") for column in trials.columns]
trials["seconds"] = trials.pop("duration").dt.total_seconds().round(1)
trials = trials.rename(columns={"number": "trial", "value": "val acc"}).set_index("trial")
trials.sort_values("val acc", ascending=False).head(12).style.format(
    {"val acc": "{:.4f}", "lr": "{:.2e}", "weight_decay": "{:.1e}", "dropout": "{:.2f}", "seconds": "{:.1f}"})

# %% [markdown]
# Optuna draws its standard plots with matplotlib too. They switch matplotlib to its
# "ggplot" style; drawing them inside `plt.style.context("ggplot")` keeps that change from
# leaking into the plots that follow. The **optimisation history** shows each completed
# trial's score and the best so far: the first trials are the sampler's random start, and
# later ones should cluster nearer the top as TPE learns.

# %%
with plt.style.context("ggplot"):
    optuna.visualization.matplotlib.plot_optimization_history(study)
    plt.show()

# %% [markdown]
# The **intermediate values** are what each trial reported after each epoch. Pruned trials
# are the short lines: they were stopped once they fell below the median.

# %%
with plt.style.context("ggplot"):
    ax = optuna.visualization.matplotlib.plot_intermediate_values(study)
    ax.get_legend().remove()  # one entry per trial would hide the plot
    ax.set_xlabel("epoch (step)")
    plt.show()

# %% [markdown]
# **Parameter importances** estimate which hyperparameters decided whether a trial did
# well. Optuna 5 computes them with PED-ANOVA: for each hyperparameter it compares the
# values used by the best completed trials (the top 10%) with the values used by all of
# them; the more the best trials crowd into one part of a hyperparameter's range, the more
# important it is. With a handful of completed trials this is mostly noise.

# %%
completed = sum(trial.state == optuna.trial.TrialState.COMPLETE for trial in study.trials)
if completed >= 5:
    with plt.style.context("ggplot"):
        optuna.visualization.matplotlib.plot_param_importances(study)
        plt.show()
else:
    print(f"only {completed} completed trials: too few to estimate importances")

# %% [markdown]
# The **parallel-coordinate** plot draws each completed trial as a line through its
# values on every axis, coloured by its score: look for where the best-coloured lines
# pass on each axis.

# %%
with plt.style.context("ggplot"):
    ax = optuna.visualization.matplotlib.plot_parallel_coordinate(
        study, params=["n_layers", "width", "lr", "optimizer", "dropout", "weight_decay", "batch_size"])
    ax.figure.set_size_inches(14, 5)  # one axis per hyperparameter needs room
    plt.show()

# %% [markdown]
# ## The final model
#
# The search compared settings on a subset with short runs. Now the best settings get the
# real treatment: all 50 000 training images, more epochs with a cosine learning-rate
# schedule, and the validation set used for early stopping (`patience`) only.
# Then, for the first and only time in this lesson, the test set.

# %%
best = study.best_params
seed_everything(0)
final_model = make_mlp([best["width"]] * best["n_layers"], dropout=best["dropout"])
final_optimizer = build_optimizer(optuna.trial.FixedTrial(best), final_model)
final_loaders = make_loaders(splits, batch_size=best["batch_size"])
final_epochs = pick(smoke=1, full=15)
history = fit(final_model, final_loaders.train, final_optimizer, epochs=final_epochs,
              val_loader=final_loaders.val, patience=3, restore_best=True, device=device,
              scheduler=torch.optim.lr_scheduler.CosineAnnealingLR(final_optimizer, T_max=final_epochs))
print(final_model)

# %%
plot_history(history, "best Optuna configuration, full training set")
plt.show()
test_loss, test_acc = evaluate(final_model, final_loaders.test, device=device)
print(f"kept the weights of epoch {history.best_epoch}; training took {sum(history.seconds):.0f} s")
print(f"test accuracy of the tuned ANN: {test_acc:.4f} (test loss {test_loss:.4f})")

# %% [markdown]
# `optuna.trial.FixedTrial(best)` is a stand-in trial whose `suggest_*` calls return the
# given values, so `build_optimizer` built exactly the optimizer the best trial used.
#
# Compare the test accuracy with lesson 6's hand-picked network. Where the defaults were
# already sensible, as they were there, a search like this one typically lands within a
# few tenths of a percent of them, above or below: about as much as a different random
# seed moves the result (Exercise 6 measures that). Its real value is that the settings
# are now measured choices rather than guesses, and that it finds the bad regions (the
# learning rates that diverge, the networks too small) without you having to. For a
# bigger gain on images, the architecture has to change, which is lesson 9.
#
# ## Recap
#
# - Hyperparameters are the settings chosen before training; tune them on a validation
#   set, never on the test set.
# - Grid search scales badly and wastes trials on unimportant hyperparameters; random
#   search covers each one better; Bayesian optimisation (TPE) learns where to sample.
# - With Optuna: an objective that calls `trial.suggest_int/float/categorical`, trains and
#   returns a score; `optuna.create_study(direction="maximize", sampler=TPESampler(seed=...))`;
#   `study.optimize(objective, n_trials=...)`.
# - Pruning: `trial.report(score, epoch)` plus `trial.should_prune()` with a `MedianPruner`
#   stops poor trials early.
# - Read a study with `study.trials_dataframe()` and the plots in
#   `optuna.visualization.matplotlib`, then retrain the best settings on all the training
#   data and measure the test set once.
#
# ## Exercises
#
# 1. Give the search a per-layer width (`trial.suggest_int(f"width_{i}", ...)` inside a loop
#    over `n_layers`). Does the best trial use different widths per layer?
# 2. Run the same study with `optuna.samplers.RandomSampler(seed=0)` and compare the best
#    validation accuracy after 10, 20 and 36 trials with TPE's.
# 3. Remove the pruner (`pruner=optuna.pruners.NopPruner()`). How much longer does the
#    study take, and is its best trial any better?
# 4. Add `batch_norm` as a categorical hyperparameter (`[False, True]`). Where does it rank
#    in the importances?
# 5. Save the study to a file with `storage="sqlite:///study.db"` and `study_name=...`, stop
#    it halfway, and continue it with `load_if_exists=True`.
# 6. Retrain the best configuration with three different seeds. How much does the test
#    accuracy vary? Is that more or less than the gain over lesson 6?
