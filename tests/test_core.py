"""The library's shared pieces: profiles, devices, the training loop, checkpoints, uploads."""

import json

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from learntorch import checkpoints, profile, seed_everything
from learntorch.device import pick_device
from learntorch.train import evaluate, fit
from learntorch.inputs import MAX_PIXELS, BadInput, open_image


def test_profile_switch(monkeypatch):
    monkeypatch.setenv("LEARNTORCH_PROFILE", "smoke")
    assert profile.pick(smoke=1, full=2) == 1
    monkeypatch.setenv("LEARNTORCH_PROFILE", "full")
    assert profile.pick(smoke=1, full=2) == 2
    monkeypatch.setenv("LEARNTORCH_PROFILE", "quick")
    with pytest.raises(ValueError, match="smoke, full"):
        profile.current()


def test_device_override(monkeypatch):
    monkeypatch.setenv("LEARNTORCH_DEVICE", "cpu")
    assert pick_device() == torch.device("cpu")
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            pick_device("cuda")


def _blobs(n=256):
    seed_everything(0)
    features = torch.randn(n, 2)
    labels = (features[:, 0] + features[:, 1] > 0).long()
    return DataLoader(TensorDataset(features, labels), batch_size=32, shuffle=True)


def test_fit_learns_a_separable_problem():
    loader = _blobs()
    model = nn.Linear(2, 2)
    before = evaluate(model, loader)[1]
    history = fit(model, loader, torch.optim.SGD(model.parameters(), lr=0.5), epochs=5,
                  val_loader=loader, device=torch.device("cpu"), verbose=False)
    assert history.epochs == 5 and history.train_loss[-1] < history.train_loss[0]
    assert history.val_acc[-1] > max(before, 0.9)


def test_early_stopping_keeps_the_best_weights():
    loader = _blobs()
    model = nn.Linear(2, 2)
    # A learning rate this large makes validation loss bounce, so patience runs out.
    history = fit(model, loader, torch.optim.SGD(model.parameters(), lr=50.0), epochs=30,
                  val_loader=loader, device=torch.device("cpu"), patience=2, restore_best=True,
                  verbose=False)
    assert history.epochs < 30
    assert evaluate(model, loader)[0] == pytest.approx(min(history.val_loss), rel=1e-5)


def test_restore_best_without_early_stopping_runs_every_epoch_and_keeps_the_best():
    loader = _blobs()
    model = nn.Linear(2, 2)
    history = fit(model, loader, torch.optim.SGD(model.parameters(), lr=50.0), epochs=6,
                  val_loader=loader, device=torch.device("cpu"), restore_best=True, verbose=False)
    assert history.epochs == 6
    assert history.val_loss[history.best_epoch - 1] == min(history.val_loss)
    assert evaluate(model, loader)[0] == pytest.approx(min(history.val_loss), rel=1e-5)


def test_early_stopping_alone_keeps_the_last_weights():
    loader = _blobs()
    model = nn.Linear(2, 2)
    history = fit(model, loader, torch.optim.SGD(model.parameters(), lr=50.0), epochs=30,
                  val_loader=loader, device=torch.device("cpu"), patience=2, verbose=False)
    assert evaluate(model, loader)[0] == pytest.approx(history.val_loss[-1], rel=1e-5)


@pytest.mark.parametrize("option", [dict(patience=2), dict(restore_best=True)])
def test_options_that_judge_by_validation_loss_need_a_validation_loader(option):
    model = nn.Linear(2, 2)
    with pytest.raises(ValueError, match="val_loader"):
        fit(model, _blobs(), torch.optim.SGD(model.parameters(), lr=0.1), epochs=1,
            device=torch.device("cpu"), verbose=False, **option)


def test_checkpoint_round_trip_and_corruption(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    card = checkpoints.save(model, tmp_path, {"name": "tiny"})
    assert len(card["sha256"]) == 64 and card["parameters"] == 26
    restored = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    checkpoints.load_weights(restored, tmp_path)
    assert torch.equal(restored[0].weight, model[0].weight)

    with pytest.raises(checkpoints.CheckpointError, match="does not fit"):
        checkpoints.load_weights(nn.Linear(3, 2), tmp_path)
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-7] + b"garbage")
    with pytest.raises(checkpoints.CheckpointError, match="corrupted"):
        checkpoints.load_weights(restored, tmp_path)
    (tmp_path / "card.json").write_text("{not json")
    with pytest.raises(checkpoints.CheckpointError, match="not valid JSON"):
        checkpoints.load_card(tmp_path)


def test_tied_weights_survive_a_checkpoint(tmp_path):
    embedding, output = nn.Embedding(5, 3), nn.Linear(3, 5)
    output.weight = embedding.weight
    model = nn.ModuleDict({"embedding": embedding, "output": output})
    checkpoints.save(model, tmp_path, {})
    fresh_embedding, fresh_output = nn.Embedding(5, 3), nn.Linear(3, 5)
    fresh_output.weight = fresh_embedding.weight
    fresh = nn.ModuleDict({"embedding": fresh_embedding, "output": fresh_output})
    checkpoints.load_weights(fresh, tmp_path)
    assert torch.equal(fresh["output"].weight, model["embedding"].weight)
    assert fresh["output"].weight is fresh["embedding"].weight


def test_open_image_refuses_bad_uploads(tmp_path):
    with pytest.raises(BadInput, match="No image"):
        open_image(None)
    text = tmp_path / "notes.png"
    text.write_text("this is not a picture")
    with pytest.raises(BadInput, match="not an image"):
        open_image(text)
    huge = tmp_path / "huge.png"
    Image.new("L", (10000, 10000)).save(huge)
    with pytest.raises(BadInput, match="10000 x 10000"):
        open_image(huge)
    assert 10000 * 10000 > MAX_PIXELS


def test_open_image_puts_transparency_on_white(tmp_path):
    rgba = np.zeros((10, 10, 4), dtype=np.uint8)
    rgba[4:6, 4:6] = (0, 0, 0, 255)  # a black dot on a transparent sheet
    path = tmp_path / "dot.png"
    Image.fromarray(rgba, "RGBA").save(path)
    image = np.asarray(open_image(path))
    assert image.shape == (10, 10, 3)
    assert image[0, 0].tolist() == [255, 255, 255] and image[5, 5].tolist() == [0, 0, 0]


def test_card_is_json_with_provenance(tmp_path):
    checkpoints.save(nn.Linear(1, 1), tmp_path, {"name": "x"})
    card = json.loads((tmp_path / "card.json").read_text())
    assert {"torch_version", "commit", "saved_at", "sha256", "weights"} <= card.keys()
