"""Claims lesson 4 (nn.Module and torch.optim) makes in its prose, checked cheaply."""

import copy

import pytest
import torch
from torch import nn

from learntorch.mlp import weight_decay_groups


def small_mlp() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(30, 16), nn.ReLU(), nn.Linear(16, 1), nn.Flatten(0))


def one_step_with_zero_gradient(model: nn.Module, parameters, lr=0.1, decay=0.1) -> dict[str, float]:
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    optimizer = torch.optim.SGD(parameters, lr=lr, weight_decay=decay)
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    optimizer.step()
    return {name: (p.detach().norm() / before[name].norm()).item() for name, p in model.named_parameters()}


def test_plain_weight_decay_shrinks_the_biases_too():
    model = small_mlp()
    ratios = one_step_with_zero_gradient(model, model.parameters())
    assert all(ratio == pytest.approx(0.99, abs=1e-6) for ratio in ratios.values()), ratios


def test_parameter_groups_decay_the_weights_and_leave_the_biases_alone():
    model = small_mlp()
    ratios = one_step_with_zero_gradient(model, weight_decay_groups(model, 0.1))
    for name, ratio in ratios.items():
        expected = 1.0 if name.endswith("bias") else 0.99
        assert ratio == pytest.approx(expected, abs=1e-6), (name, ratio)


def test_sgd_weight_decay_equals_an_l2_penalty_on_every_parameter():
    """The page: weight_decay=λ is the same as adding λ/2 Σp² over all parameters to the loss."""
    decay = 0.05
    torch.manual_seed(1)
    inputs, targets = torch.randn(64, 30), torch.randint(0, 2, (64,)).float()
    with_decay, with_penalty = small_mlp(), small_mlp()
    decay_optimizer = torch.optim.SGD(with_decay.parameters(), lr=0.1, momentum=0.9, weight_decay=decay)
    penalty_optimizer = torch.optim.SGD(with_penalty.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.BCEWithLogitsLoss()
    for _ in range(5):
        decay_optimizer.zero_grad()
        loss_fn(with_decay(inputs), targets).backward()
        decay_optimizer.step()
        penalty_optimizer.zero_grad()
        penalty = decay / 2 * sum((p ** 2).sum() for p in with_penalty.parameters())
        (loss_fn(with_penalty(inputs), targets) + penalty).backward()
        penalty_optimizer.step()
    for a, b in zip(with_decay.parameters(), with_penalty.parameters()):
        assert torch.allclose(a, b, atol=1e-6)


def test_sigmoid_then_bce_loses_the_gradient_of_a_confident_mistake():
    logit, target = torch.tensor([40.0], requires_grad=True), torch.tensor([0.0])
    naive = nn.BCELoss()(torch.sigmoid(logit), target)
    naive.backward()
    assert naive.item() == pytest.approx(100.0) and logit.grad.item() == 0.0
    logit.grad = None
    safe = nn.BCEWithLogitsLoss()(logit, target)
    safe.backward()
    assert safe.item() == pytest.approx(40.0) and logit.grad.item() == pytest.approx(1.0)


def test_identical_hidden_units_stay_identical():
    model = small_mlp()
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(0.1)
    torch.manual_seed(2)
    inputs, targets = torch.randn(100, 30), torch.randint(0, 2, (100,)).float()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(10):
        optimizer.zero_grad()
        nn.functional.binary_cross_entropy_with_logits(model(inputs), targets).backward()
        optimizer.step()
    assert torch.unique(model[0].weight.detach(), dim=0).shape[0] == 1


def test_state_dict_round_trip_restores_identical_outputs(tmp_path):
    model = small_mlp()
    torch.save(model.state_dict(), tmp_path / "mlp.pt")
    restored = copy.deepcopy(model)
    with torch.no_grad():
        for p in restored.parameters():
            p.zero_()
    restored.load_state_dict(torch.load(tmp_path / "mlp.pt", weights_only=True))
    inputs = torch.randn(8, 30)
    assert torch.equal(restored(inputs), model(inputs))
