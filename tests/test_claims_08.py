"""Lesson 8's claims about how Optuna behaves, checked on cheap objectives (no training).

They guard the page's explanations against a change of Optuna version: TPE's random
start, what a pruned trial's value is, when the median pruner may prune, FixedTrial,
the default importance evaluator, and what a reloaded study's seeded sampler does.
"""

import warnings

import optuna
import pytest

optuna.logging.set_verbosity(optuna.logging.WARNING)


def lesson_search_space(trial):
    """The lesson's hyperparameters, asked for in the lesson's order; a cheap made-up score."""
    n_layers = trial.suggest_int("n_layers", 1, 3)
    width = trial.suggest_int("width", 32, 512, log=True)
    dropout = trial.suggest_float("dropout", 0.0, 0.5)
    optimizer = trial.suggest_categorical("optimizer", ["SGD", "Adam", "AdamW"])
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    weight_decay = trial.suggest_float("weight_decay", 1e-6, 1e-1, log=True)
    batch_size = trial.suggest_categorical("batch_size", [64, 128, 256])
    return (n_layers + width / 512 - dropout + (optimizer == "Adam") - abs(lr - 1e-3)
            - weight_decay + batch_size / 256)


def test_tpe_starts_with_the_same_ten_random_trials_as_a_random_sampler_of_the_same_seed():
    tpe = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=0))
    tpe.optimize(lesson_search_space, n_trials=12)
    random = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0))
    random.optimize(lesson_search_space, n_trials=12)
    assert [t.params for t in tpe.trials[:10]] == [t.params for t in random.trials[:10]]
    assert [t.params for t in tpe.trials[10:]] != [t.params for t in random.trials[10:]]


def reporting(scores):
    """An objective that reports scores[trial.number] epoch by epoch, pruning when told to."""
    def objective(trial):
        for step, score in enumerate(scores[trial.number]):
            trial.report(score, step)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return scores[trial.number][-1]
    return objective


def test_median_pruner_waits_for_five_completed_trials_and_never_prunes_the_first_epoch():
    good, bad = [0.8, 0.85, 0.9], [0.1, 0.1, 0.1]
    study = optuna.create_study(direction="maximize",
                                pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1))
    study.optimize(reporting([good] * 4 + [bad] + [bad]), n_trials=6)
    states = [t.state for t in study.trials]
    # The fifth trial is as bad, but only four trials had completed when it ran.
    assert states[:5] == [optuna.trial.TrialState.COMPLETE] * 5
    pruned = study.trials[5]
    assert pruned.state == optuna.trial.TrialState.PRUNED
    assert sorted(pruned.intermediate_values) == [0, 1]  # judged after the second epoch, not the first
    # A pruned trial's value is the last score it reported.
    assert pruned.value == pruned.intermediate_values[1] == 0.1


def test_fixed_trial_returns_the_given_values():
    params = {"n_layers": 2, "width": 250, "dropout": 0.2, "optimizer": "AdamW", "lr": 1.8e-3,
              "weight_decay": 0.06, "batch_size": 64}
    trial = optuna.trial.FixedTrial(params)
    lesson_search_space(trial)
    assert trial.params == params


def test_default_importances_are_ped_anova():
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(lesson_search_space, n_trials=30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        default = optuna.importance.get_param_importances(study)
        ped_anova = optuna.importance.get_param_importances(
            study, evaluator=optuna.importance.PedAnovaImportanceEvaluator())
    assert default == pytest.approx(ped_anova)


def test_a_reloaded_study_with_a_fresh_sampler_of_the_same_seed_repeats_its_first_settings(tmp_path):
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    first = optuna.create_study(study_name="s", storage=storage, direction="maximize",
                                sampler=optuna.samplers.TPESampler(seed=0))
    first.optimize(lesson_search_space, n_trials=2)
    same_seed = optuna.create_study(study_name="s", storage=storage, direction="maximize",
                                    sampler=optuna.samplers.TPESampler(seed=0), load_if_exists=True)
    assert len(same_seed.trials) == 2
    same_seed.optimize(lesson_search_space, n_trials=2)
    params = [t.params for t in same_seed.trials]
    assert params[2:] == params[:2]  # the random start replayed
    other_seed = optuna.create_study(study_name="s", storage=storage, direction="maximize",
                                     sampler=optuna.samplers.TPESampler(seed=1), load_if_exists=True)
    other_seed.optimize(lesson_search_space, n_trials=1)
    assert other_seed.trials[-1].params not in params
