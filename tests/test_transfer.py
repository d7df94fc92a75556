"""learntorch.fashion: the ImageNet weights, the backbone input, the split model, fine-tuning,
the photo preprocessing and the checkpoint recipe."""

import numpy as np
import pytest
import timm
import torch
import torch.nn.functional as F
from PIL import Image
from sklearn.datasets import load_sample_image
from timm.data import ImageNetInfo

from learntorch import checkpoints
from learntorch.data import image_tensors
from learntorch.fashion.frozen import ActivationBatches, fine_tune, frozen_activations, make_optimizer
from learntorch.fashion.model import (ARCHITECTURE, BackboneInput, FashionTransferNet, WeightMappingError,
                                      imagenet_backbone, load_by_position, pretrained_weights_file, to_unit)
from learntorch.fashion.predict import classify_garment
from learntorch.fashion.preprocess import to_fashion, to_fashion_steps
from learntorch.fashion.recipe import train_checkpoint
from learntorch.inputs import BadInput
from tools.payloads import as_photo


@pytest.fixture(scope="module")
def pretrained_file():
    return torch.load(pretrained_weights_file(), map_location="cpu", weights_only=True)


@pytest.fixture(scope="module")
def backbone():
    return imagenet_backbone()


@pytest.fixture(scope="module")
def net():
    return FashionTransferNet(resolution=64, tuned_blocks=4).eval()


def test_the_file_maps_onto_timm_by_position_tensor_for_tensor(pretrained_file):
    model = timm.create_model(ARCHITECTURE, pretrained=False)
    pairs = load_by_position(model, pretrained_file)
    assert len(pairs) == len(pretrained_file) == len(model.state_dict()) == 296
    assert pairs[0] == ("_conv_stem.weight", "conv_stem.weight")
    assert pairs[-1] == ("_fc.bias", "classifier.bias")
    loaded = model.state_dict()
    for source_name, target_name in pairs:
        assert torch.equal(loaded[target_name], pretrained_file[source_name]), target_name


def test_a_mapping_that_does_not_fit_is_refused(pretrained_file):
    model = timm.create_model(ARCHITECTURE, pretrained=False)
    items = list(pretrained_file.items())
    with pytest.raises(WeightMappingError, match="295 tensors.*has 296"):
        load_by_position(model, dict(items[:-1]))
    # a batch norm's weight and bias have the same shape: swapping them must still be caught
    swapped = dict(items[:1] + [(items[2][0], items[1][1]), (items[1][0], items[2][1])] + items[3:])
    with pytest.raises(WeightMappingError, match="tensor 1: _bn0.bias"):
        load_by_position(model, swapped)
    wrong_shape = dict(items)
    wrong_shape["_fc.weight"] = torch.zeros(10, 1280)
    with pytest.raises(WeightMappingError, match=r"_fc.weight \(10, 1280\) does not fit classifier.weight"):
        load_by_position(model, wrong_shape)


def imagenet_top(model, photo: np.ndarray, k: int = 3) -> list[str]:
    """The ``k`` likeliest ImageNet classes for a photo, centre-cropped and resized to 224."""
    config = model.pretrained_cfg
    side = min(photo.shape[:2])
    top, left = (photo.shape[0] - side) // 2, (photo.shape[1] - side) // 2
    square = Image.fromarray(photo[top:top + side, left:left + side]).resize((224, 224), Image.BICUBIC)
    pixels = torch.tensor(np.asarray(square)).permute(2, 0, 1).float() / 255  # (3, 224, 224)
    mean, std = (torch.tensor(config[key]).view(3, 1, 1) for key in ("mean", "std"))
    with torch.no_grad():
        logits = model(((pixels - mean) / std)[None])
    info = ImageNetInfo()
    return [info.index_to_description(i) for i in logits[0].topk(k).indices.tolist()]


BUILDINGS = ("church", "bell cote", "palace", "monastery", "dome", "stupa")


def test_the_weights_are_imagenet_ones(backbone):
    assert backbone.pretrained_cfg["mean"] == (0.5, 0.5, 0.5)
    assert backbone.pretrained_cfg["std"] == (0.5, 0.5, 0.5)
    top3 = imagenet_top(backbone, load_sample_image("china.jpg"))
    assert any(building in name for name in top3 for building in BUILDINGS), top3


def test_random_weights_do_not_see_a_building():
    torch.manual_seed(0)
    top3 = imagenet_top(timm.create_model(ARCHITECTURE, pretrained=False).eval(),
                        load_sample_image("china.jpg"))
    assert not any(building in name for name in top3 for building in BUILDINGS), top3


def test_backbone_input_is_resized_gray_rgb_normalised_like_imagenet():
    images = torch.zeros(2, 1, 28, 28)
    images[1, 0, :, 14:] = 1.0  # right half white
    out = BackboneInput(112)(images)
    assert out.shape == (2, 3, 112, 112)
    assert torch.equal(out[:, 0], out[:, 1]) and torch.equal(out[:, 1], out[:, 2])
    assert torch.all(out[0] == -1.0)  # black -> (0 - 0.5) / 0.5
    assert torch.all(out[1, :, :, -50:] == 1.0) and torch.all(out[1, :, :, :50] == -1.0)


def test_the_model_is_the_backbone_cut_in_three(net, backbone):
    x = torch.rand(2, 1, 28, 28)
    lower = net.lower(net.prepare(x))
    assert lower.shape == (2, 192, 2, 2)  # the input of the fourth block from the top, at 64 px
    features = net.upper(lower)
    assert features.shape == (2, 1280)
    assert net.head(features).shape == (2, 10)
    counted = sum(p.numel() for part in (net.lower, net.upper) for p in part.parameters())
    imagenet_classifier = sum(p.numel() for p in backbone.classifier.parameters())
    assert counted == sum(p.numel() for p in backbone.parameters()) - imagenet_classifier
    # the pretrained part computes what the ImageNet backbone computes
    with torch.no_grad():
        expected = backbone.forward_head(backbone.forward_features(net.prepare(x)), pre_logits=True)
        assert torch.allclose(net.upper(lower), expected, atol=1e-5)
    with pytest.raises(ValueError, match="tuned_blocks"):
        FashionTransferNet(tuned_blocks=17, pretrained=False)


def test_frozen_activations_are_the_lower_part_in_float16(net):
    images = torch.randint(0, 256, (5, 28, 28), dtype=torch.uint8)
    stored = frozen_activations(net, images, batch_size=2, device=torch.device("cpu"))
    assert stored.dtype == torch.float16 and stored.shape == (5, 192, 2, 2)
    with torch.no_grad():
        direct = net.lower(net.prepare(to_unit(images)))
    assert torch.allclose(stored.float(), direct, atol=2e-2, rtol=1e-2)


def test_fine_tuning_trains_upper_and_head_only_with_smaller_upper_rate():
    torch.manual_seed(0)
    model = FashionTransferNet(resolution=64, tuned_blocks=1)
    optimizer = make_optimizer(model, head_lr=1e-2, upper_lr=1e-3, weight_decay=0.0)
    head_group, upper_group = optimizer.param_groups
    assert head_group["lr"] == 1e-2 and upper_group["lr"] == 1e-3
    assert {id(p) for p in head_group["params"]} == {id(p) for p in model.head.parameters()}
    lower_before = [p.clone() for p in model.lower.parameters()]
    upper_before = [p.clone() for p in model.upper.parameters()]
    activations = torch.randn(16, 192, 2, 2).half()
    labels = torch.arange(16) % 10
    history = fine_tune(model, (activations, labels), (activations, labels), epochs=2,
                                 device=torch.device("cpu"), verbose=False)
    assert history.epochs == 2
    assert all(torch.equal(a, b) for a, b in zip(lower_before, model.lower.parameters()))
    assert not all(torch.equal(a, b) for a, b in zip(upper_before, model.upper.parameters()))
    assert not any(p.requires_grad for p in model.lower.parameters())


def test_mirrored_batches_mix_each_image_with_its_mirror_image():
    activations = torch.zeros(400, 1, 1, 1).half()            # every original is 0,
    mirrored = torch.ones(400, 1, 1, 1).half()                # every mirror image is 1
    labels = torch.arange(400)
    epoch = [(batch.flatten(), batch_labels) for batch, batch_labels in
             ActivationBatches(activations, labels, batch_size=64, shuffle=True,
                                        mirrored=mirrored)]
    seen = torch.cat([batch_labels for _, batch_labels in epoch])
    assert sorted(seen.tolist()) == list(range(400))          # each image once per epoch
    share = torch.cat([values for values, _ in epoch]).mean().item()
    assert 0.4 < share < 0.6                                  # about half of them mirrored
    with pytest.raises(ValueError, match="do not match"):
        ActivationBatches(activations, labels, mirrored=mirrored[:10])


# --------------------------------------------------------------------------------------
# A photo -> a Fashion-MNIST-style image
# --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def test_images():
    return image_tensors("FashionMNIST", train=False)


def blur(image: np.ndarray) -> np.ndarray:
    return F.avg_pool2d(torch.as_tensor(image, dtype=torch.float32)[None, None], 3, 1, 1)[0, 0].numpy()


def test_a_rendered_test_image_comes_back_as_itself(test_images, tmp_path):
    images, _ = test_images
    for index in range(20):
        original = images[index].numpy()
        seen = to_fashion(as_photo(original, tmp_path / f"{index}.png")).numpy()
        assert seen.shape == (28, 28) and seen.min() >= 0 and seen.max() <= 1
        # resampling to 300 px and back moves edges by up to a pixel, so compare the two
        # images after a 3 x 3 blur: the garment must come back where it was, light on black
        difference = np.abs(seen - original / 255).mean()
        correlation = np.corrcoef(blur(seen).ravel(), blur(original / 255).ravel())[0, 1]
        assert difference < 0.15 and correlation > 0.85, (index, difference, correlation)


def test_a_dark_background_is_kept_and_a_light_one_inverted(tmp_path):
    dark = Image.new("RGB", (100, 100), (10, 10, 10))
    dark.paste((200, 200, 200), (30, 20, 70, 80))
    light = Image.new("RGB", (100, 100), (250, 250, 250))
    light.paste((40, 40, 40), (30, 20, 70, 80))
    for picture in (dark, light):
        seen = to_fashion(picture).numpy()
        assert seen[14, 14] > 0.9  # the object is light ...
        assert seen[14, 0] < 0.05 and seen[14, -1] < 0.05  # ... on black


def test_the_object_is_cropped_centred_and_fills_its_longer_side():
    picture = Image.new("RGB", (400, 300), "white")
    picture.paste((200, 30, 30), (20, 200, 220, 250))  # a wide red bar near the bottom left
    steps = to_fashion_steps(picture)
    assert steps["cropped"].shape == (50, 200)
    seen = steps["28 x 28"]
    columns = np.flatnonzero(seen.max(axis=0) > 0.5)
    rows = np.flatnonzero(seen.max(axis=1) > 0.5)
    assert columns[0] == 0 and columns[-1] == 27  # fills the width
    assert abs((rows[0] + rows[-1]) / 2 - 13.5) <= 1  # centred vertically


@pytest.mark.parametrize("picture, message", [
    (Image.new("RGB", (200, 200), "white"), "looks blank"),
    (Image.new("RGBA", (200, 200), (0, 0, 0, 0)), "looks blank"),
    (None, "No image received"),
])
def test_unusable_pictures_are_refused_with_a_message(picture, message):
    with pytest.raises(BadInput, match=message):
        to_fashion(picture)


def test_the_smoke_recipe_saves_a_checkpoint_that_loads_back(tmp_path, monkeypatch):
    monkeypatch.setenv("LEARNTORCH_PROFILE", "smoke")
    card = train_checkpoint(tmp_path)
    for key in ("name", "task", "architecture", "classes", "data", "test_metrics", "epochs",
                "wall_time_s", "device", "profile", "resolution", "sha256"):
        assert key in card, key
    assert card["profile"] == "smoke" and card["resolution"] == card["architecture"]["args"]["resolution"]
    model = checkpoints.load(FashionTransferNet, tmp_path, pretrained=False)
    square = Image.new("RGB", (120, 120), "white")
    square.paste((90, 50, 30), (20, 20, 100, 100))  # a brown square on white
    probabilities, seen = classify_garment(square, model)
    assert list(probabilities) == list(card["classes"])
    assert abs(sum(probabilities.values()) - 1) < 1e-4
    assert seen.shape == (28, 28) and seen.dtype == np.uint8

