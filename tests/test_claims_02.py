"""What lesson 2 (autograd) says in prose, each checked on a small case."""

import warnings

import torch

from lesson_code import lesson_namespace


def test_micro_batches_accumulate_to_the_whole_batch_gradient():
    generator = torch.Generator().manual_seed(0)
    features = torch.randn(8, generator=generator)
    labels = (torch.rand(8, generator=generator) > 0.5).float()
    w = torch.tensor(0.5, requires_grad=True)

    def loss(inputs, targets):
        return torch.nn.functional.binary_cross_entropy(torch.sigmoid(w * inputs - 2), targets)

    loss(features, labels).backward()
    whole = w.grad.clone()
    w.grad = None
    for inputs, targets in zip(features.chunk(4), labels.chunk(4)):
        loss(inputs, targets).backward()  # without "/ 4": four times the whole-batch gradient
    assert torch.allclose(w.grad, 4 * whole)
    w.grad = None
    for inputs, targets in zip(features.chunk(4), labels.chunk(4)):
        (loss(inputs, targets) / 4).backward()
    assert torch.allclose(w.grad, whole)


def test_no_grad_keeps_nothing_for_backward():
    network = torch.nn.Sequential(torch.nn.Linear(20, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
    saved = []

    def pack(tensor):
        saved.append(tensor.numel())
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        network(torch.randn(5, 20))
        tracked = len(saved)
        with torch.no_grad():
            network(torch.randn(5, 20))
    assert tracked > 0 and len(saved) == tracked


def test_gradcheck_catches_a_wrong_gradient_and_needs_float64():
    lesson = lesson_namespace("02_autograd", {"Sin", "SinWithWrongGradient"})
    right, wrong = lesson["Sin"], lesson["SinWithWrongGradient"]
    point = torch.tensor([0.7, 1.1, 1.4], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(right.apply, (point,))
    assert not torch.autograd.gradcheck(wrong.apply, (point,), raise_exception=False)
    single = point.detach().float().requires_grad_()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # gradcheck warns about non-double inputs
        assert not torch.autograd.gradcheck(right.apply, (single,), raise_exception=False)


def test_loss_from_logits_stays_finite_where_the_hand_written_one_breaks():
    z = torch.tensor(40.0)
    for label, naive_result in ((0.0, float("inf")), (1.0, None)):
        y = torch.tensor(label)
        p = torch.sigmoid(z)
        assert p.item() == 1.0  # rounded in float32
        naive = -(y * torch.log(p) + (1 - y) * torch.log(1 - p))
        if naive_result is None:
            assert naive.isnan()
        else:
            assert naive.item() == naive_result
        assert torch.isfinite(torch.nn.functional.binary_cross_entropy_with_logits(z, y))


def _descend(rates: tuple[float, float], curvatures=(1.0, 10.0), steps: int = 40) -> torch.Tensor:
    """Gradient descent on sum_i c_i (p_i - m_i)^2 from (-2, 2) towards (3, -1)."""
    point = torch.tensor([-2.0, 2.0], requires_grad=True)
    minimum = torch.tensor([3.0, -1.0])
    for _ in range(steps):
        loss = (torch.tensor(curvatures) * (point - minimum) ** 2).sum()
        loss.backward()
        with torch.no_grad():
            point -= torch.tensor(rates) * point.grad
        point.grad.zero_()
    return point.detach() - minimum


def test_learning_rate_limits_match_the_one_step_factor():
    # (x − 3)²: the distance is multiplied by 1 − 2·rate each step.
    assert _descend((0.5, 0.0), steps=1)[0].abs().item() == 0.0  # 0.5 jumps to the minimum
    assert _descend((1.02, 0.0))[0].abs().item() > 5  # above 1 it diverges
    # 10·(y + 1)²: the factor is 1 − 20·rate, so y converges only below 0.1.
    assert _descend((0.09, 0.09))[1].abs().item() < 1e-3
    assert abs(_descend((0.1, 0.1))[1].abs().item() - 3.0) < 1e-4  # oscillates for ever
    assert _descend((0.11, 0.11))[1].abs().item() > 100
