"""SharedForward: concurrent callers get their own answers, computed in shared batches."""

import threading
import time

import pytest
import torch
from torch import nn

from learntorch.shared_forward import SharedForward


class SlowDouble(nn.Module):
    """Doubles its input, slowly, and records the size of every batch it was given."""

    def __init__(self):
        super().__init__()
        self.batch_sizes = []

    def forward(self, inputs):
        self.batch_sizes.append(len(inputs))
        if (inputs < 0).any():
            raise ValueError("negative input")
        time.sleep(0.05)
        return inputs * 2


def call_together(shared, inputs):
    """Call ``shared`` with each of ``inputs`` from its own thread, all at once."""
    results = [None] * len(inputs)
    start = threading.Barrier(len(inputs))

    def call(index):
        start.wait()
        try:
            results[index] = shared(inputs[index])
        except ValueError as error:
            results[index] = error

    threads = [threading.Thread(target=call, args=(index,)) for index in range(len(inputs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_calls_share_batches_and_each_gets_its_own_answer():
    model = SlowDouble()
    inputs = [torch.full((1, 3), float(index)) for index in range(20)]
    results = call_together(SharedForward(model, max_batch=8), inputs)
    assert all(torch.equal(result, 2 * x) for result, x in zip(results, inputs))
    assert sum(model.batch_sizes) == 20 and max(model.batch_sizes) <= 8
    assert len(model.batch_sizes) < 20  # some calls shared a forward pass


def test_a_call_alone_runs_at_once():
    model = SlowDouble()
    assert torch.equal(SharedForward(model)(torch.ones(2, 3)), torch.full((2, 3), 2.0))
    assert model.batch_sizes == [2]


def test_a_failed_forward_fails_the_calls_of_its_batch_only():
    model = SlowDouble()
    shared = SharedForward(model, max_batch=8)
    first = call_together(shared, [-torch.ones(1, 3)] + [torch.ones(1, 3)] * 3)
    assert any(isinstance(result, ValueError) for result in first)
    assert torch.equal(shared(torch.ones(1, 3)), torch.full((1, 3), 2.0))  # the next call is served


@pytest.mark.parametrize("max_batch", [1, 3])
def test_no_batch_is_larger_than_max_batch(max_batch):
    model = SlowDouble()
    call_together(SharedForward(model, max_batch=max_batch), [torch.ones(1, 3)] * 7)
    assert max(model.batch_sizes) <= max_batch and sum(model.batch_sizes) == 7
