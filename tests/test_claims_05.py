"""Claims lesson 5 (Dataset and DataLoader) makes in its prose, checked cheaply."""

import warnings

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader, TensorDataset, WeightedRandomSampler


@pytest.mark.skipif(torch.cuda.is_available(), reason="the claim is about machines without a GPU")
def test_pin_memory_without_a_gpu_warns_and_pins_nothing():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        (batch,) = next(iter(DataLoader(TensorDataset(torch.arange(10.0)), batch_size=4, pin_memory=True)))
    assert any("pin_memory" in str(warning.message) for warning in caught)
    assert not batch.is_pinned()


def test_shuffle_draws_a_new_order_every_epoch_and_drop_last_drops_the_short_batch():
    numbers = TensorDataset(torch.arange(10))
    loader = DataLoader(numbers, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(0))
    first, second = ([batch.tolist() for (batch,) in loader] for _ in range(2))
    assert first != second
    assert sorted(sum(first, [])) == list(range(10))
    assert [len(batch) for (batch,) in DataLoader(numbers, batch_size=4, drop_last=True)] == [4, 4]


def test_batch_norm_refuses_a_training_batch_of_one():
    with pytest.raises(ValueError):
        nn.BatchNorm1d(3).train()(torch.randn(1, 3))


def test_weighted_sampler_with_inverse_class_sizes_balances_the_classes():
    labels = torch.cat([torch.zeros(285, dtype=torch.long), torch.ones(15, dtype=torch.long)])
    weights = 1.0 / torch.bincount(labels)[labels].float()
    sampler = WeightedRandomSampler(weights, num_samples=3000, replacement=True,
                                    generator=torch.Generator().manual_seed(0))
    share = labels[list(sampler)].float().mean().item()
    assert 0.45 < share < 0.55


def test_default_collate_refuses_different_lengths_and_padding_fixes_it():
    sentences = [torch.tensor([3, 4, 5]), torch.tensor([6, 7])]
    with pytest.raises(RuntimeError):
        next(iter(DataLoader(sentences, batch_size=2)))
    padded = next(iter(DataLoader(sentences, batch_size=2,
                                  collate_fn=lambda batch: pad_sequence(batch, batch_first=True))))
    assert padded.tolist() == [[3, 4, 5], [6, 7, 0]]


def test_the_cpu_description_counts_threads_in_good_english():
    from learntorch.device import describe

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        assert describe("cpu").startswith("cpu (1 thread,")
        torch.set_num_threads(2)
        assert describe("cpu").startswith("cpu (2 threads,")
    finally:
        torch.set_num_threads(before)
