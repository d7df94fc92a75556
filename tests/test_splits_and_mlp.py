"""learntorch.splits (the seeded split, Fashion-MNIST's splits and loaders) and learntorch.mlp (the ANN of lessons 6-8)."""

import pytest
import torch
from torch import nn

from learntorch.data import image_tensors
from learntorch.mlp import make_mlp, weight_decay_groups
from learntorch.splits import (VALIDATION_SIZES, fashion_loaders, fashion_splits, image_splits,
                               make_loaders, normalise_fashion, validation_split)

VALIDATION_SIZE = VALIDATION_SIZES["FashionMNIST"]


@pytest.fixture(scope="module")
def splits():
    return fashion_splits()


def test_validation_split_is_a_disjoint_seeded_partition():
    train_index, val_index = validation_split(60_000, 10_000, seed=0)
    assert len(train_index) == 50_000 and len(val_index) == 10_000
    assert set(train_index.tolist()).isdisjoint(val_index.tolist())
    assert torch.equal(torch.cat([train_index, val_index]).sort().values, torch.arange(60_000))
    again_train, again_val = validation_split(60_000, 10_000, seed=0)
    assert torch.equal(again_train, train_index) and torch.equal(again_val, val_index)
    _, other_val = validation_split(60_000, 10_000, seed=1)
    assert not torch.equal(other_val, val_index)


@pytest.mark.parametrize("val_size", [0, 60_000, -5])
def test_validation_split_rejects_impossible_sizes(val_size):
    with pytest.raises(ValueError, match="val_size"):
        validation_split(60_000, val_size)


def test_image_splits_cut_the_same_validation_images_for_every_user():
    (train_x, train_y), (val_x, val_y), (test_x, test_y) = image_splits("MNIST")
    assert (len(train_y), len(val_y), len(test_y)) == (55_000, 5_000, 10_000)
    raw_images, raw_labels = image_tensors("MNIST", train=True)
    train_index, val_index = validation_split(60_000, 5_000)
    assert torch.equal(val_x, raw_images[val_index]) and torch.equal(train_y, raw_labels[train_index])
    assert val_x.dtype == torch.uint8 and val_x.shape[1:] == (28, 28)


def test_default_splits_have_the_documented_sizes_and_types(splits):
    assert [len(part) for part in splits] == [60_000 - VALIDATION_SIZE, VALIDATION_SIZE, 10_000]
    for part in splits:
        images, labels = part.tensors
        assert images.dtype == torch.float32 and images.shape[1:] == (1, 28, 28)
        assert labels.dtype == torch.int64 and labels.min() >= 0 and labels.max() <= 9


def test_splits_hold_the_right_images_with_their_labels(splits):
    raw_images, raw_labels = image_tensors("FashionMNIST", train=True)
    train_index, val_index = validation_split(60_000, VALIDATION_SIZE)
    assert torch.equal(splits.val.tensors[0], normalise_fashion(raw_images[val_index]))
    assert torch.equal(splits.val.tensors[1], raw_labels[val_index])
    assert torch.equal(splits.train.tensors[1], raw_labels[train_index])
    test_images, test_labels = image_tensors("FashionMNIST", train=False)
    assert torch.equal(splits.test.tensors[0], normalise_fashion(test_images))
    assert torch.equal(splits.test.tensors[1], test_labels)


def test_training_images_are_standardised(splits):
    images = splits.train.tensors[0]
    assert abs(images.mean().item()) < 0.01 and abs(images.std().item() - 1) < 0.01


def test_subsets_are_prefixes_of_the_full_splits(splits):
    small = fashion_splits(train_size=1_000, test_size=200)
    assert [len(part) for part in small] == [1_000, VALIDATION_SIZE, 200]
    assert torch.equal(small.train.tensors[0], splits.train.tensors[0][:1_000])
    assert torch.equal(small.val.tensors[1], splits.val.tensors[1])  # same validation images


def test_loaders_batch_shapes_and_shuffling():
    loaders = fashion_loaders(batch_size=64, train_size=512, val_size=300, test_size=300,
                              eval_batch_size=100)
    inputs, targets = next(iter(loaders.train))
    assert inputs.shape == (64, 1, 28, 28) and targets.shape == (64,)
    assert [len(batch[1]) for batch in loaders.val] == [100, 100, 100]
    ordered = loaders.train.dataset.tensors[1][:64]
    assert not torch.equal(targets, ordered)  # the training loader shuffles
    assert torch.equal(next(iter(loaders.val))[1], loaders.val.dataset.tensors[1][:100])
    first_epoch = torch.cat([t for _, t in loaders.train])
    assert torch.equal(first_epoch.sort().values, loaders.train.dataset.tensors[1].sort().values)


def test_loader_shuffling_is_seeded():
    splits = fashion_splits(train_size=256, val_size=100, test_size=100)
    first = next(iter(make_loaders(splits, batch_size=32, seed=3).train))[1]
    again = next(iter(make_loaders(splits, batch_size=32, seed=3).train))[1]
    other = next(iter(make_loaders(splits, batch_size=32, seed=4).train))[1]
    assert torch.equal(first, again) and not torch.equal(first, other)


def test_pin_memory_only_with_cuda():
    splits = fashion_splits(train_size=64, val_size=64, test_size=64)
    assert make_loaders(splits).train.pin_memory == torch.cuda.is_available()
    assert make_loaders(splits, pin_memory=False).val.pin_memory is False


def test_plain_mlp_layers_and_parameter_count():
    model = make_mlp([512, 256])
    assert [type(layer) for layer in model] == [nn.Flatten, nn.Linear, nn.ReLU, nn.Linear, nn.ReLU,
                                                nn.Linear]
    expected = (784 * 512 + 512) + (512 * 256 + 256) + (256 * 10 + 10)
    assert sum(p.numel() for p in model.parameters()) == expected
    assert model(torch.randn(5, 1, 28, 28)).shape == (5, 10)


def test_batch_norm_goes_before_and_dropout_after_the_activation():
    model = make_mlp([32, 16], dropout=0.3, batch_norm=True)
    kinds = [type(layer) for layer in model]
    hidden_block = [nn.Linear, nn.BatchNorm1d, nn.ReLU, nn.Dropout]
    assert kinds == [nn.Flatten, *hidden_block, *hidden_block, nn.Linear]
    assert [layer.num_features for layer in model if isinstance(layer, nn.BatchNorm1d)] == [32, 16]
    assert all(layer.p == 0.3 for layer in model if isinstance(layer, nn.Dropout))
    assert model[-1].out_features == 10  # the output layer has neither


def test_dropout_is_random_in_train_mode_and_off_in_eval_mode():
    model = make_mlp([64], dropout=0.5)
    inputs = torch.randn(8, 1, 28, 28)
    model.train()
    assert not torch.equal(model(inputs), model(inputs))
    model.eval()
    with torch.no_grad():
        assert torch.equal(model(inputs), model(inputs))
        without_dropout = nn.Sequential(*(layer for layer in model if not isinstance(layer, nn.Dropout)))
        assert torch.equal(without_dropout(inputs), model(inputs))


def test_batch_norm_uses_batch_statistics_in_train_mode_and_running_ones_in_eval_mode():
    torch.manual_seed(0)
    model = make_mlp([16], batch_norm=True)
    norm = model[2]
    inputs = torch.randn(64, 1, 28, 28) * 3 + 2
    model.train()
    normalised = model[:3](inputs)  # Flatten, Linear, BatchNorm1d
    assert torch.allclose(normalised.mean(0), torch.zeros(16), atol=1e-5)
    assert torch.allclose(normalised.var(0, unbiased=False), torch.ones(16), atol=1e-3)
    assert not torch.equal(norm.running_mean, torch.zeros(16))  # updated by the batch
    before = norm.running_mean.clone()
    model.eval()
    with torch.no_grad():
        single = model(inputs[:1])  # eval mode handles a batch of one
        assert torch.allclose(single, model(inputs)[:1], atol=1e-5)  # batch-independent
    assert torch.equal(norm.running_mean, before)  # eval mode does not update statistics
    model.train()
    with pytest.raises(ValueError):
        model(inputs[:1])


def test_weight_decay_groups_exempt_biases_and_batch_norm():
    model = make_mlp([32, 16], batch_norm=True)
    decayed, exempt = weight_decay_groups(model, 0.01)
    assert decayed["weight_decay"] == 0.01 and exempt["weight_decay"] == 0.0
    linears = [layer for layer in model if isinstance(layer, nn.Linear)]
    assert {id(p) for p in decayed["params"]} == {id(layer.weight) for layer in linears}
    all_ids = [id(p) for p in model.parameters()]
    assert sorted(all_ids) == sorted(id(p) for p in decayed["params"] + exempt["params"])
    optimizer = torch.optim.SGD(weight_decay_groups(model, 0.5), lr=1.0)
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    biases = [layer.bias.detach().clone() for layer in linears]
    weights = [layer.weight.detach().clone() for layer in linears]
    optimizer.step()  # a zero gradient: only weight decay moves anything
    for layer, bias, weight in zip(linears, biases, weights):
        assert torch.equal(layer.bias, bias)
        assert torch.allclose(layer.weight, weight * 0.5)
