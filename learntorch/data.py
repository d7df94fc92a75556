"""Where the course's data sets come from, checked before anything trains on them.

Each data set is looked for, in order, in

1. the folder named by ``LEARNTORCH_DATA`` (laid out as ``MNIST/raw``,
   ``FashionMNIST/raw``, ``text/sherlock-holmes-pg1661.txt``),
2. ``shared/data`` beside the checkout (``../shared/data``), when there is one,
3. the user cache (``~/.cache/learntorch``, or ``$XDG_CACHE_HOME/learntorch``),
4. a download into that cache, verified by its SHA-256, unless ``LEARNTORCH_OFFLINE=1``.

Every file is checked against the SHA-256 it is published with, so a truncated or
corrupted copy raises :class:`CorruptDataError` instead of quietly training a bad model.
scikit-learn's small tabular sets ship inside scikit-learn and need nothing of this.
"""

import hashlib
import os
import urllib.request
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import torch
from tqdm.auto import tqdm

from learntorch.paths import ROOT


class DataNotFoundError(FileNotFoundError):
    """A data set is in none of the places tried and could not be downloaded."""


class CorruptDataError(RuntimeError):
    """A data set file is present but is not the published file (truncated, edited, ...)."""


@dataclass(frozen=True)
class DataSetSpec:
    name: str
    files: dict[str, str]  # path relative to the data root -> sha256
    source: str  # where a download comes from, for messages


_IDX = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")

SPECS = {
    "MNIST": DataSetSpec("MNIST", dict(zip((f"MNIST/raw/{f}" for f in _IDX), (
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    ))), "torchvision.datasets.MNIST(download=True)"),
    "FashionMNIST": DataSetSpec("FashionMNIST", dict(zip((f"FashionMNIST/raw/{f}" for f in _IDX), (
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    ))), "torchvision.datasets.FashionMNIST(download=True)"),
    "sherlock": DataSetSpec("sherlock", {
        "text/sherlock-holmes-pg1661.txt":
            "82a6a80b83dca70111d4afb7f19c9ac12d69c8875f9d32a4b56ba3082625ca7f",
    }, "https://www.gutenberg.org/files/1661/1661-0.txt"),
}

FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


SHARED_DATA = ROOT.parent / "shared" / "data"  # a data folder beside the checkout


def candidate_roots() -> list[Path]:
    """The folders searched for data, in order."""
    roots = []
    if os.environ.get("LEARNTORCH_DATA"):
        roots.append(Path(os.environ["LEARNTORCH_DATA"]).expanduser())
    if SHARED_DATA.is_dir():
        roots.append(SHARED_DATA)
    roots.append(cache_dir())
    return roots


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "learntorch"


@cache
def _sha256(path: Path, size: int, mtime: float) -> str:  # size/mtime: re-hash an edited file
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path, expected_sha256: str) -> None:
    """Raise :class:`CorruptDataError` unless ``path`` has the expected SHA-256."""
    stat = path.stat()
    actual = _sha256(path, stat.st_size, stat.st_mtime)
    if actual != expected_sha256:
        raise CorruptDataError(
            f"{path} is corrupted or truncated ({stat.st_size:,} bytes, sha256 {actual[:12]}..., "
            f"expected {expected_sha256[:12]}...). Delete it and fetch it again "
            f"(or point LEARNTORCH_DATA at a good copy).")


def locate(name: str) -> Path:
    """The verified data root that holds every file of data set ``name``.

    Downloads into the user cache when no root has it, unless offline.
    """
    spec = SPECS[name]
    roots = candidate_roots()
    for root in roots:
        if all((root / rel).is_file() for rel in spec.files):
            for rel, sha in spec.files.items():
                verify(root / rel, sha)
            return root
    if os.environ.get("LEARNTORCH_OFFLINE", "") not in ("", "0"):
        raise _not_found(spec, roots, "downloads are off (LEARNTORCH_OFFLINE=1)")
    try:
        _download(name, cache_dir())
    except (OSError, RuntimeError) as error:  # no network, DNS failure, refused connection, ...
        # (torchvision reports a failed download from all its mirrors as a RuntimeError)
        raise _not_found(spec, roots, f"the download failed: {error}") from error
    for rel, sha in spec.files.items():
        verify(cache_dir() / rel, sha)
    return cache_dir()


def _not_found(spec: DataSetSpec, roots: list[Path], why: str) -> DataNotFoundError:
    tried = "\n".join(f"  - {root / next(iter(spec.files))}" for root in roots)
    return DataNotFoundError(
        f"Data set {spec.name!r} was not found. Looked in:\n{tried}\n"
        f"and {why} (source: {spec.source}).\n"
        f"Fix: set LEARNTORCH_DATA to a folder that holds {', '.join(spec.files)}, "
        f"or run once with network access so it is cached in {cache_dir()}.")


def _download(name: str, root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    if name in ("MNIST", "FashionMNIST"):
        import torchvision
        getattr(torchvision.datasets, name)(root, train=True, download=True)
        getattr(torchvision.datasets, name)(root, train=False, download=True)
        return
    (rel, _), = SPECS[name].files.items()
    target = root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    with urllib.request.urlopen(SPECS[name].source, timeout=30) as response, open(partial, "wb") as f, \
            tqdm(total=int(response.headers.get("Content-Length") or 0) or None, unit="B",
                 unit_scale=True, desc=f"downloading {name}") as progress:
        for block in iter(lambda: response.read(1 << 16), b""):
            f.write(block)
            progress.update(len(block))
    partial.replace(target)


def _idx_images(path: Path) -> torch.Tensor:
    raw = path.read_bytes()
    count, rows, cols = (int.from_bytes(raw[i:i + 4], "big") for i in (4, 8, 12))
    return torch.frombuffer(bytearray(raw[16:]), dtype=torch.uint8).view(count, rows, cols)


def _idx_labels(path: Path) -> torch.Tensor:
    raw = path.read_bytes()
    return torch.frombuffer(bytearray(raw[8:]), dtype=torch.uint8).long()


def image_tensors(name: str, train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """``(images, labels)`` of MNIST or Fashion-MNIST as tensors.

    images: ``uint8`` of shape (N, 28, 28), 0 = background; labels: ``int64`` of shape (N,).
    Reading the whole set into one tensor is far faster than a per-image dataset on a CPU.
    """
    folder = locate(name) / name / "raw"
    split = "train" if train else "t10k"
    return (_idx_images(folder / f"{split}-images-idx3-ubyte"),
            _idx_labels(folder / f"{split}-labels-idx1-ubyte"))


def mnist(train: bool = True, **kwargs):
    """MNIST as a ``torchvision.datasets.MNIST`` (PIL images; pass ``transform=`` as usual)."""
    import torchvision
    return torchvision.datasets.MNIST(locate("MNIST"), train=train, download=False, **kwargs)


def fashion_mnist(train: bool = True, **kwargs):
    """Fashion-MNIST as a ``torchvision.datasets.FashionMNIST``."""
    import torchvision
    return torchvision.datasets.FashionMNIST(locate("FashionMNIST"), train=train,
                                             download=False, **kwargs)


def sherlock_text() -> str:
    """*The Adventures of Sherlock Holmes* without Project Gutenberg's header and licence."""
    (rel, _), = SPECS["sherlock"].files.items()
    text = (locate("sherlock") / rel).read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    # The book runs from its title (after the volunteers' credit and a "cover" line)
    # to the "End of the Project Gutenberg EBook" line; the licence follows that.
    start = text.index("The Adventures of Sherlock Holmes", text.index("*** START OF"))
    end = text.index("End of the Project Gutenberg EBook")
    return text[start:end].strip() + "\n"


def breast_cancer():
    """scikit-learn's Wisconsin breast-cancer set (569 x 30), bundled with scikit-learn."""
    from sklearn.datasets import load_breast_cancer
    return load_breast_cancer()
