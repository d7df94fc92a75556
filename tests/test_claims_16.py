"""What lesson 16 (when training goes wrong) says, checked: the error messages it quotes,
the silent failures it measures, and the figure helper it uses."""

import math

import matplotlib
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from learntorch.device import seed_everything
from learntorch.mlp import make_mlp
from learntorch.plots import plot_curves
from learntorch.splits import fashion_splits
from learntorch.train import fit

matplotlib.use("Agg")
CPU = torch.device("cpu")


def error_message(action) -> str:
    with pytest.raises(Exception) as caught:
        action()
    return f"{caught.type.__name__}: {caught.value}"


@pytest.fixture(scope="module")
def fashion():
    return fashion_splits(train_size=4_000)


def test_the_error_messages_the_page_quotes():
    images, labels = torch.randn(128, 1, 28, 28), torch.randint(0, 10, (128,))
    assert "mat1 and mat2 shapes cannot be multiplied (3584x28 and 784x256)" in error_message(
        lambda: nn.Linear(784, 256)(images))
    logits = torch.randn(128, 10)
    assert "expected target dtype to be Long or Byte, but got Float" in error_message(
        lambda: F.cross_entropy(logits, labels.float()))
    assert "multi-target not supported" in error_message(lambda: F.cross_entropy(logits, labels.unsqueeze(1)))
    column, targets = torch.randn(455, 1), torch.randint(0, 2, (455,))
    assert error_message(lambda: nn.BCEWithLogitsLoss()(column, targets.float())).startswith(
        "ValueError: Target size (torch.Size([455])) must be the same as input size")
    assert "result type Float can't be cast to the desired output type Long" in error_message(
        lambda: nn.BCEWithLogitsLoss()(column.squeeze(1), targets))
    assert "mat1 and mat2 must have the same dtype, but got Double and Float" in error_message(
        lambda: nn.Linear(30, 1)(torch.from_numpy(np.zeros((4, 30)))))
    on_meta = nn.Linear(784, 10).to("meta")
    assert "Tensor on device meta is not on the expected device cpu!" in error_message(
        lambda: on_meta(torch.randn(2, 784)))
    batch_norm = nn.BatchNorm1d(8).train()
    assert "Expected more than 1 value per channel when training" in error_message(
        lambda: batch_norm(torch.randn(1, 8)))


def test_backward_without_zero_grad_adds_the_same_gradient_again():
    seed_everything(0)
    model, inputs, targets = make_mlp([32]), torch.randn(16, 1, 28, 28), torch.randint(0, 10, (16,))
    norms = []
    for _ in range(3):
        F.cross_entropy(model(inputs), targets).backward()
        norms.append(model[1].weight.grad.norm().item())
    assert norms[1] == pytest.approx(2 * norms[0], rel=1e-5)
    assert norms[2] == pytest.approx(3 * norms[0], rel=1e-5)


def test_forgetting_zero_grad_costs_accuracy(fashion):
    images, labels = fashion.train.tensors
    val_images, val_labels = fashion.val.tensors
    scores = {}
    for zero in (True, False):
        seed_everything(0)
        model = make_mlp([256])
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
        loader = DataLoader(TensorDataset(images, labels), batch_size=128, shuffle=True,
                            generator=torch.Generator().manual_seed(0))
        for _ in range(10):  # 10 epochs of 32 batches: about the 300 steps of the page
            for inputs, targets in loader:
                loss = F.cross_entropy(model(inputs), targets)
                if zero:
                    optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        model.eval()
        with torch.no_grad():
            scores[zero] = (model(val_images).argmax(1) == val_labels).float().mean().item()
    assert scores[True] > scores[False] + 0.1, scores


def test_duplicates_across_the_split_raise_the_test_score(fashion):
    images, labels = fashion.train.tensors
    val_images, val_labels = fashion.val.tensors
    pool_images, pool_labels = torch.cat([images[:2_000]] * 2), torch.cat([labels[:2_000]] * 2)
    order = torch.randperm(4_000, generator=torch.Generator().manual_seed(0))
    train, test = order[:3_200], order[3_200:]
    seed_everything(0)
    model = make_mlp([256])
    loader = DataLoader(TensorDataset(pool_images[train], pool_labels[train]), batch_size=128, shuffle=True,
                        generator=torch.Generator().manual_seed(0))
    fit(model, loader, torch.optim.Adam(model.parameters(), lr=1e-3), epochs=10, device=CPU, verbose=False)
    model.eval()
    with torch.no_grad():
        leaky = (model(pool_images[test]).argmax(1) == pool_labels[test]).float().mean().item()
        honest = (model(val_images).argmax(1) == val_labels).float().mean().item()
    assert leaky > honest + 0.03, (leaky, honest)


def test_train_mode_is_random_and_retunes_batch_norm_even_without_gradients():
    seed_everything(0)
    model, inputs = make_mlp([64], dropout=0.5, batch_norm=True), torch.randn(8, 1, 28, 28)
    before = model[2].running_mean.clone()
    with torch.no_grad():
        model.train()
        assert not torch.equal(model(inputs), model(inputs))
        assert not torch.equal(model[2].running_mean, before)
        model.eval()
        assert torch.equal(model(inputs), model(inputs))


@pytest.mark.filterwarnings("ignore:Anomaly Detection has been enabled")
def test_log_of_zero_makes_the_hand_written_loss_nan_and_anomaly_mode_names_it():
    scores, truth = torch.tensor([-30.0, -2.0, 0.0, 3.0, 40.0]), torch.tensor([0.0, 0.0, 1.0, 1.0, 1.0])

    def hand_written_bce(logits, targets):
        p = torch.sigmoid(logits)
        return -(targets * torch.log(p) + (1 - targets) * torch.log(1 - p)).mean()

    assert torch.sigmoid(scores)[-1].item() == 1.0
    assert torch.sigmoid(torch.tensor(17.0)).item() == 1.0  # "for a logit of about 17 or more"
    assert torch.isnan(hand_written_bce(scores, truth))
    assert torch.isfinite(F.binary_cross_entropy_with_logits(scores, truth))
    scale = torch.ones(1, requires_grad=True)
    with pytest.warns(UserWarning, match="Error detected in LogBackward0"):
        with pytest.raises(RuntimeError, match="Function 'LogBackward0' returned nan values"):
            with torch.autograd.detect_anomaly():
                hand_written_bce(scores * scale, truth).backward()


def test_a_softmax_before_cross_entropy_cannot_go_below_ln_1_plus_9_over_e():
    floor = math.log(1 + 9 / math.e)
    logits = torch.randn(1_000, 10) * 20
    targets = torch.randint(0, 10, (1_000,))
    losses = F.cross_entropy(F.softmax(logits, dim=1), targets, reduction="none")
    assert losses.min().item() >= floor - 1e-5
    one_hot = F.one_hot(targets, 10).float() * 100  # softmax -> the exact one-hot: the best case
    assert F.cross_entropy(F.softmax(one_hot, dim=1), targets).item() == pytest.approx(floor, abs=1e-5)


def test_step_lr_stepped_every_batch_drives_the_rate_to_nothing():
    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    for _ in range(157):  # one epoch of 20 000 images in batches of 128
        optimizer.step()
        scheduler.step()
    assert optimizer.param_groups[0]["lr"] < 1e-20


def test_sigmoid_gradients_vanish_towards_the_first_layer_and_relu_ones_do_not():
    def first_to_last_ratio(activation):
        seed_everything(0)
        layers = [nn.Flatten()]
        for index in range(8):
            layers += [nn.Linear(784 if index == 0 else 128, 128), activation()]
        model = nn.Sequential(*layers, nn.Linear(128, 10))
        F.cross_entropy(model(torch.randn(128, 1, 28, 28)), torch.randint(0, 10, (128,))).backward()
        norms = [layer.weight.grad.norm().item() for layer in model if isinstance(layer, nn.Linear)]
        return norms[0] / norms[-1]

    assert first_to_last_ratio(nn.Sigmoid) < 1e-4
    assert first_to_last_ratio(nn.ReLU) > 1e-2


def test_plot_curves_describes_each_curve_and_where_it_stops_being_finite():
    figure = plot_curves({"sane": [2.3, 1.0, 0.5], "too high": [2.3, 1e30, float("inf"), float("nan")]},
                         title="two runs", log_y=True)
    text = figure.alt_text
    assert text.startswith("two runs: loss per step (logarithmic axis).")
    assert "sane: 3 steps, from 2.3 to 0.5 (lowest 0.5 at step 3)" in text
    assert "not finite at 2 steps from step 3 on" in text
    empty = plot_curves({"broken": [float("nan")]})
    assert "broken: no finite value in 1 steps" in empty.alt_text
