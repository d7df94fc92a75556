"""learntorch.data finds, verifies and explains the course's data sets."""

import urllib.error

import pytest
import torch

from conftest import course_data
from learntorch import data

SHARED = course_data()


@pytest.fixture
def nowhere(tmp_path, monkeypatch):
    """No data anywhere: an empty LEARNTORCH_DATA and an empty user cache."""
    monkeypatch.setenv("LEARNTORCH_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


def test_mnist_tensors_have_the_published_label_counts():
    images, labels = data.image_tensors("MNIST", train=True)
    assert images.shape == (60000, 28, 28) and images.dtype == torch.uint8
    assert torch.bincount(labels).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


def test_fashion_mnist_test_split_is_balanced_and_matches_torchvision():
    images, labels = data.image_tensors("FashionMNIST", train=False)
    assert torch.bincount(labels).tolist() == [1000] * 10
    dataset = data.fashion_mnist(train=False)
    assert torch.equal(dataset.data, images) and len(data.FASHION_CLASSES) == 10


def test_sherlock_text_has_no_gutenberg_header_or_licence():
    text = data.sherlock_text()
    assert text.startswith("The Adventures of Sherlock Holmes")
    assert "Gutenberg" not in text and "\r" not in text
    assert text.rstrip().endswith("considerable success.")


def test_breast_cancer_comes_from_scikit_learn():
    bunch = data.breast_cancer()
    assert bunch.data.shape == (569, 30)


def test_missing_data_offline_is_one_clear_error(nowhere, monkeypatch):
    monkeypatch.setenv("LEARNTORCH_OFFLINE", "1")
    with pytest.raises(data.DataNotFoundError) as caught:
        data.image_tensors("FashionMNIST", train=True)
    message = str(caught.value)
    assert "'FashionMNIST'" in message
    assert str(nowhere / "data") in message and str(nowhere / "cache") in message
    assert "LEARNTORCH_DATA" in message and "LEARNTORCH_OFFLINE" in message


def test_a_failed_download_names_the_data_set_and_the_fix(nowhere, monkeypatch):
    monkeypatch.delenv("LEARNTORCH_OFFLINE", raising=False)

    def no_network(*args, **kwargs):
        raise urllib.error.URLError("no route to host")
    monkeypatch.setattr(data.urllib.request, "urlopen", no_network)
    with pytest.raises(data.DataNotFoundError, match="(?s)'sherlock'.*the download failed.*Fix: set LEARNTORCH_DATA"):
        data.sherlock_text()
    assert not list((nowhere / "cache").rglob("*.txt")), "a failed download left a file behind"


def test_a_truncated_file_is_detected_not_trained_on(nowhere):
    root = nowhere / "data"
    for rel in data.SPECS["MNIST"].files:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).symlink_to(SHARED / rel)
    broken = root / "MNIST/raw/t10k-images-idx3-ubyte"
    broken.unlink()
    broken.write_bytes((SHARED / "MNIST/raw/t10k-images-idx3-ubyte").read_bytes()[:1_000_000])
    with pytest.raises(data.CorruptDataError, match="t10k-images-idx3-ubyte is corrupted or truncated"):
        data.image_tensors("MNIST", train=False)


def test_an_edited_text_is_detected(nowhere):
    (rel, _), = data.SPECS["sherlock"].files.items()
    target = nowhere / "data" / rel
    target.parent.mkdir(parents=True)
    target.write_bytes((SHARED / rel).read_bytes().replace(b"Watson", b"Wilson"))
    with pytest.raises(data.CorruptDataError):
        data.sherlock_text()


def test_a_failed_torchvision_download_is_the_same_clear_error(nowhere, monkeypatch):
    monkeypatch.delenv("LEARNTORCH_OFFLINE", raising=False)

    def mirrors_unreachable(name, root):
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz")
    monkeypatch.setattr(data, "_download", mirrors_unreachable)
    with pytest.raises(data.DataNotFoundError, match="(?s)'MNIST'.*the download failed"):
        data.image_tensors("MNIST", train=True)
