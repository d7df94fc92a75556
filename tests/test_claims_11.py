"""Claims lesson 11 (recurrent neural networks) makes in its prose, checked cheaply."""

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

STEPS = 60


def gradient_by_distance(layer: nn.Module) -> torch.Tensor:
    x = torch.randn(32, STEPS, 16, requires_grad=True)
    outputs, _ = layer(x)
    outputs[:, -1].sum().backward()
    return x.grad.norm(dim=(0, 2)).flip(0)


def per_step_factor(norms: torch.Tensor, near: int = 1, far: int = 50) -> float:
    return (norms[far] / norms[near]).item() ** (1 / (far - near))


def mean_forget_gate(layer: nn.LSTM) -> float:
    x = torch.randn(32, STEPS, 16)
    with torch.no_grad():
        outputs, _ = layer(x)
        previous = torch.cat([torch.zeros_like(outputs[:, :1]), outputs[:, :-1]], dim=1)
        rows = slice(layer.hidden_size, 2 * layer.hidden_size)
        forget = torch.sigmoid(x @ layer.weight_ih_l0[rows].T + layer.bias_ih_l0[rows]
                               + previous @ layer.weight_hh_l0[rows].T + layer.bias_hh_l0[rows])
    return forget.mean().item()


def test_embedding_is_a_linear_layer_on_one_hot_vectors_and_padding_stays_zero():
    torch.manual_seed(0)
    embedding = nn.Embedding(10, 4, padding_idx=0)
    ids = torch.tensor([[3, 1, 0], [2, 0, 0]])
    assert torch.allclose(F.one_hot(ids, 10).float() @ embedding.weight, embedding(ids))
    embedding(ids).sum().backward()
    assert embedding.weight[0].abs().sum() == 0 and embedding.weight.grad[0].abs().sum() == 0


def test_packing_gives_the_state_after_each_sequences_last_real_step():
    torch.manual_seed(0)
    rnn = nn.RNN(4, 3, batch_first=True)
    x, lengths = torch.randn(3, 6, 4), torch.tensor([6, 2, 4])
    outputs, _ = rnn(x)
    _, h_packed = rnn(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))
    assert torch.allclose(outputs[torch.arange(3), lengths - 1], h_packed[0], atol=1e-6)


def test_default_lstm_forgets_geometrically_and_open_forget_gates_remember():
    """The page: default forget gates sit near one half and the default LSTM's gradient
    vanishes geometrically (a factor per step well below one, not far above the plain
    RNN's); forget gates opened by a bias of 2 keep a usable share 50 steps back."""
    torch.manual_seed(0)
    plain = nn.RNN(16, 64, batch_first=True)
    lstm = nn.LSTM(16, 64, batch_first=True)
    opened = nn.LSTM(16, 64, batch_first=True)
    with torch.no_grad():
        opened.bias_ih_l0[64:128] = 2.0
    plain_norms, lstm_norms, open_norms = (gradient_by_distance(layer) for layer in (plain, lstm, opened))
    assert 0.45 < mean_forget_gate(lstm) < 0.55
    assert mean_forget_gate(opened) > 0.8
    assert per_step_factor(plain_norms) < per_step_factor(lstm_norms) < 0.8
    assert (lstm_norms[50] / lstm_norms[1]).item() < 1e-6
    assert per_step_factor(open_norms) > 0.9
    assert (open_norms[50] / open_norms[1]).item() > 1e-2


def test_larger_recurrent_weights_make_the_gradient_explode():
    torch.manual_seed(0)
    big = nn.RNN(16, 64, batch_first=True)
    with torch.no_grad():
        big.weight_hh_l0.mul_(4)
    assert per_step_factor(gradient_by_distance(big)) > 1.0
