# %% [markdown]
# # 5. Dataset and DataLoader

# %% [markdown]
# ## What you will learn
#
# - Why training on **mini-batches** beats both full-batch and one-example-at-a-time
#   gradient descent, measured on Fashion-MNIST.
# - Why slicing tensors in a hand-written loop stops working for real data.
# - How to write a `Dataset` (`__init__`, `__len__`, `__getitem__`) that reads files
#   from class folders and applies a transform to every example.
# - What a `DataLoader` does: batching, shuffling, the sampler, `collate_fn`,
#   `drop_last`, `num_workers` and `pin_memory`.
# - Samplers: `SequentialSampler`, `RandomSampler`, `WeightedRandomSampler` for an
#   imbalanced set, and a batch sampler of your own.
# - How to batch sentences of different lengths with a custom `collate_fn`.
# - How much parallel loading with worker processes buys, measured.
#
# ## What this assumes
#
# Lesson 4: an `nn.Module`, a loss, an optimizer and the four-line training step.
# Lesson 4's loop stays; only the way data reaches it changes.

# %%
import copy
import multiprocessing
import re
import tempfile
import time
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import torch
from PIL import Image
from torch import nn
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import (BatchSampler, DataLoader, Dataset, RandomSampler, Sampler,
                              SequentialSampler, TensorDataset, WeightedRandomSampler,
                              default_collate)
from torchvision import datasets, transforms

from learntorch.data import FASHION_CLASSES, fashion_mnist, image_tensors, sherlock_text
from learntorch.device import describe, pick_device, seed_everything
from learntorch.plots import describe as describe_figure
from learntorch.plots import image_grid
from learntorch.profile import pick
from learntorch.tabular import breast_cancer_split

seed_everything(0)
# The models in this lesson are small: on a CPU, splitting each small multiplication across
# threads costs more in coordination than it saves (far more when other programs compete for
# the cores), so one thread is the fastest setting and keeps the timings below fair.
torch.set_num_threads(1)
print(f"torch {torch.__version__}, {describe('cpu')}")

# %% [markdown]
# ## Why mini-batches
#
# Lessons 3 and 4 computed every update from the **whole** training set: one forward
# pass over all rows, one gradient, one step per epoch. That is **batch gradient
# descent**. Its gradient is exact, but it has two flaws. Each update costs a full pass
# over the data, so a data set of 60 000 images buys one step per epoch; and the whole
# set has to go through the model at once, which must fit in memory.
#
# At the other extreme, **stochastic gradient descent** (SGD in the strict sense)
# updates after every single example: many steps per epoch, but each gradient is a
# noisy estimate from one example, and processing one example at a time wastes the
# vectorised hardware that makes tensors fast.
#
# **Mini-batch gradient descent** sits in between: average the gradient over a batch of
# $B$ examples (typically 32 to 256), then step. The average of $B$ noisy gradients is
# about $\sqrt{B}$ times less noisy than one, a batch is still a single efficient
# matrix product, and an epoch gives $N/B$ updates. (Confusingly, `torch.optim.SGD`
# is used for all three; the batch size decides which one you get.)
#
# The experiment: softmax regression (one `nn.Linear(784, 10)`) on a subset of
# Fashion-MNIST, trained three ways from the same starting weights. Each uses a
# learning rate that suits it, found by trying a few. About 20 times per epoch we stop
# the clock and measure the loss on the whole training subset.

# %%
train_images, train_labels = image_tensors("FashionMNIST", train=True)  # (60000, 28, 28) uint8
n_images = pick(smoke=400, full=6000)
X = train_images[:n_images].flatten(1).float() / 255  # (N, 28, 28) -> (N, 784), in [0, 1]
Y = train_labels[:n_images]  # (N,) class indices 0..9
print(f"X {tuple(X.shape)} {X.dtype}, Y {tuple(Y.shape)} {Y.dtype}; images per class: {torch.bincount(Y).tolist()}")

# %%
loss_fn = nn.CrossEntropyLoss()
seed_everything(0)
initial_model = nn.Linear(784, 10)


def gradient_descent(batch_size: int, learning_rate: float, epochs: int) -> list[tuple[int, float, float, float]]:
    """Train a copy of `initial_model`; log (updates, epochs seen, seconds, loss on all of X)."""
    model = copy.deepcopy(initial_model)
    optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
    updates_per_epoch = -(-len(X) // batch_size)  # ceiling division
    log_every = max(1, updates_per_epoch // 20)
    log, seconds, updates = [], 0.0, 0
    for epoch in range(epochs):
        order = torch.randperm(len(X))  # a fresh shuffle every epoch
        for start in range(0, len(X), batch_size):
            began = time.perf_counter()
            batch = order[start:start + batch_size]
            optimizer.zero_grad()
            loss_fn(model(X[batch]), Y[batch]).backward()
            optimizer.step()
            seconds += time.perf_counter() - began
            updates += 1
            seen = min(start + batch_size, len(X))  # examples seen so far in this epoch
            if updates == 1 or updates % log_every == 0 or seen == len(X):
                with torch.no_grad():  # the measurement is not part of the training time
                    log.append((updates, epoch + seen / len(X), seconds, loss_fn(model(X), Y).item()))
    return log


epochs = pick(smoke=1, full=3)
methods = {  # name: (batch size, learning rate)
    "batch (all images)": (len(X), 0.2),
    "stochastic (1 image)": (1, 0.01),
    "mini-batch (64 images)": (64, 0.1),
}
logs = {name: gradient_descent(batch_size, lr, epochs) for name, (batch_size, lr) in methods.items()}

print(f"{'method':<24}{'lr':>6}{'updates/epoch':>15}{'loss after 1 update':>21}{'train seconds':>15}{'final loss':>12}")
for name, log in logs.items():
    batch_size, lr = methods[name]
    updates, _, seconds, loss = log[-1]
    print(f"{name:<24}{lr:>6}{updates // epochs:>15}{log[0][3]:>21.4f}{seconds:>15.2f}{loss:>12.4f}")

# One loss level, and what each method needed to get there: the higher of the two small-batch final losses.
target = max(log[-1][3] for name, log in logs.items() if methods[name][0] < len(X))
print(f"\nfirst measured at or below a loss of {target:.4f}:")
for name, log in logs.items():
    reached = next((entry for entry in log if entry[3] <= target), None)
    if reached is None:
        print(f"  {name:<24} not within {epochs} epochs")
    else:
        updates, epochs_seen, seconds, _ = reached
        print(f"  {name:<24} after {updates:>5} updates, {epochs_seen:.2f} epochs, {seconds:6.2f} s of training")

# %%
fig, axes = plt.subplots(1, 3, figsize=(14, 3.8), sharey=True)
for name, log in logs.items():
    updates, epochs_seen, seconds, losses = zip(*log)
    for ax, x in zip(axes, (updates, epochs_seen, seconds)):
        ax.plot(x, losses, "o-" if len(log) < 10 else "-", ms=4, label=name)
for ax, label in zip(axes, ("updates (log scale)", "epochs (passes over the data)", "training seconds (log scale)")):
    ax.set_xlabel(label)
    ax.grid(alpha=0.3)
axes[0].set_xscale("log")
axes[2].set_xscale("log")
axes[0].set_ylabel("loss on the whole training subset")
axes[0].legend()
fig.suptitle("Loss per update, per epoch and per second")
fig.tight_layout()
describe_figure(fig, "Loss on the whole training subset for three ways of training, against updates (left, log "
                "scale), epochs (middle) and training seconds (right, log scale). "
                + "; ".join(f"{name}: {log[-1][0]} updates in {log[-1][2]:.2f} s, loss {log[0][3]:.3f} after the "
                            f"first update and {log[-1][3]:.3f} at the end" for name, log in logs.items()) + ".")
plt.show()

# %% [markdown]
# The three panels tell one story from three sides, and the printed lines put numbers on
# it. **Per update** (left, and the "loss after 1 update" column), the full batch makes
# the most of each step, since its gradient is exact, but it gets only one update per
# epoch. **Per epoch** (middle), the small batches are far ahead: they have updated
# hundreds or thousands of times while the full batch updated once or a few times.
# **Per second** (right), compare the seconds each method needed to reach the same loss
# in the last lines: single examples pay Python's and PyTorch's fixed overhead on every
# update for a tiny amount of arithmetic, while the mini-batch does a real matrix
# product per update. Mini-batches are the practical sweet spot, and they are what every
# later lesson trains with.
#
# ## Why slicing by hand falls short
#
# The loop above already makes mini-batches: it shuffles the row numbers with
# `torch.randperm` and slices them in steps of `batch_size`. For a tensor that sits in
# memory that is fine. Real data raises problems this loop has no answer for:
#
# - **Data is spread over files.** Image sets usually come as thousands of files in one
#   folder per class; text as many documents. They may not fit in memory, so each
#   example should be read when it is needed.
# - **Examples need transforms.** Decode an image, convert colour to grey, resize,
#   normalise, or augment it with a random flip that must differ every epoch.
# - **Order needs control.** Shuffling each epoch, keeping time series in order,
#   oversampling a rare class: each would be hand-written every time.
# - **Examples may not stack.** Sentences have different lengths; a batch of them
#   needs padding, not slicing.
# - **Loading should run in parallel.** Reading and transforming the next batch
#   should happen while the model trains on the current one.
#
# PyTorch splits the job between two classes. A **`Dataset`** knows what one example is
# and how to produce example number `i`. A **`DataLoader`** decides which examples go
# together, in what order, how they are merged into a batch, and by how many processes.
#
# ## A Dataset of your own
#
# `torch.utils.data.Dataset` is an abstract class: a subclass supplies three methods.
#
# - `__init__` finds the data and remembers *where* it is (file paths, say); it does not
#   have to load it.
# - `__len__` returns the number of examples; the DataLoader uses it to know how many
#   indices and batches there are.
# - `__getitem__(i)` returns example `i`, typically as `(input, label)`, reading and
#   transforming it right then.
#
# To have files to read, we write a few Fashion-MNIST test images as PNG files in the
# usual layout, `root/<class name>/<number>.png`. Each garment is tinted a random colour
# on the way, standing in for the colour photos a real shop would have; the model will
# want them in grey.

# %%
per_class = pick(smoke=8, full=40)
test_images, test_labels = image_tensors("FashionMNIST", train=False)
folder_on_disk = tempfile.TemporaryDirectory(prefix="clothes-")  # deleted when this Python process ends
root = Path(folder_on_disk.name)
colours = torch.rand(len(test_labels), 3) * 0.8 + 0.2  # one RGB tint per image, channels in [0.2, 1]
for label, name in enumerate(FASHION_CLASSES):
    folder = root / name.replace("/", "-")  # "T-shirt/top" is not a valid folder name
    folder.mkdir()
    for number, index in enumerate(torch.nonzero(test_labels == label).flatten()[:per_class].tolist()):
        tinted = test_images[index, :, :, None] * colours[index]  # (28, 28, 1) * (3,) -> (28, 28, 3)
        Image.fromarray(tinted.to(torch.uint8).numpy()).save(folder / f"{number:03}.png")
files = sorted(root.rglob("*.png"))
print(f"{len(files)} PNG files in {len(list(root.iterdir()))} class folders, e.g. {files[0].relative_to(root)}")

# %%
class ClothingFolder(Dataset):
    """Images stored as root/<class name>/<file>.png, each read only when it is asked for."""

    def __init__(self, root: Path, transform=None):
        self.classes = sorted(folder.name for folder in root.iterdir() if folder.is_dir())
        self.samples = [(path, label) for label, name in enumerate(self.classes)
                        for path in sorted((root / name).glob("*.png"))]  # paths only, no pixels yet
        self.transform = transform

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int):
        path, label = self.samples[index]
        image = Image.open(path).convert("RGB")  # read from disk now
        if self.transform is not None:
            image = self.transform(image)
        return image, label


raw = ClothingFolder(root)
print(f"{len(raw)} examples, classes: {raw.classes}")
image, label = raw[0]
print(f"raw[0]: {type(image).__name__} of size {image.size} mode {image.mode}, label {label} = {raw.classes[label]}")

# %% [markdown]
# The labels come from the sorted folder names, so they follow the folders' order, not
# the data set's original numbering: whoever builds the Dataset decides what a label
# means, and keeps `classes` beside it.
#
# A **transform** is any callable applied to each example as it is fetched.
# `torchvision.transforms.Compose` chains several: here, convert the colour image to
# grey, augment it with a random horizontal flip and a small random rotation, turn the
# PIL image into a float tensor in $[0, 1]$ of shape (1, 28, 28), and normalise it.
# Because the random parts run inside `__getitem__`, the same file comes out
# differently every time it is read: the model sees a slightly new garment each epoch.

# %%
augment = transforms.Compose([
    transforms.Grayscale(num_output_channels=1),  # (3 colour channels) -> 1 grey channel
    transforms.RandomHorizontalFlip(),
    transforms.RandomRotation(15),
    transforms.ToTensor(),  # PIL (28, 28) uint8 -> tensor (1, 28, 28) float in [0, 1]
    transforms.Normalize((0.5,), (0.5,)),  # -> roughly [-1, 1]
])
clothing = ClothingFolder(root, transform=augment)
image, label = clothing[0]
print(f"clothing[0]: tensor {tuple(image.shape)} {image.dtype}, values in [{image.min():.2f}, {image.max():.2f}], label {label}")

# %%
shown, titles = [], []
for index in (0, per_class * 3, per_class * 5, per_class * 9):  # the first file of four classes
    image, label = raw[index]
    shown.append(image)
    titles.append(raw.classes[label])
    for read in range(1, 4):
        shown.append(clothing[index][0].squeeze(0))  # (1, 28, 28) -> (28, 28)
        titles.append(f"read {read}")
image_grid(shown, titles, columns=8)
plt.show()

# %% [markdown]
# This folder-per-class layout is so common that torchvision ships the same Dataset as
# `datasets.ImageFolder`; it finds the same classes in the same order. For data that is
# already one tensor in memory, `TensorDataset(inputs, labels)` is the ready-made
# Dataset: `dataset[i]` is `(inputs[i], labels[i])`.

# %%
print("ImageFolder finds the same classes:", datasets.ImageFolder(root).classes == clothing.classes)
in_memory = TensorDataset(X, Y)
print(f"TensorDataset: {len(in_memory)} examples, in_memory[0] = (tensor {tuple(in_memory[0][0].shape)}, label {in_memory[0][1].item()})")

# %% [markdown]
# ## The DataLoader: batches and shuffling
#
# A `DataLoader` wraps a Dataset and is iterated like a list of batches. With
# `shuffle=True` it draws a new random order at the start of **every** epoch. A toy
# Dataset of the numbers 0 to 9 makes the order visible:

# %%
numbers = TensorDataset(torch.arange(10))
loader = DataLoader(numbers, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(0))
for epoch in range(1, 3):
    print(f"epoch {epoch}:", [batch.tolist() for (batch,) in loader])
print("shuffle=False:", [batch.tolist() for (batch,) in DataLoader(numbers, batch_size=4)])

# %% [markdown]
# Ten examples in batches of four leave a last batch of two. `drop_last=True` discards
# that incomplete batch; it is useful when every batch must have the same size, for
# example because a layer cannot cope with a batch of one. Batch normalisation
# (lesson 7) is such a layer: it normalises with the batch's own statistics, and one
# example has no spread.

# %%
print("drop_last=True:", [batch.tolist() for (batch,) in DataLoader(numbers, batch_size=4, drop_last=True)])
try:
    nn.BatchNorm1d(3).train()(torch.randn(1, 3))  # a "batch" holding a single example
except ValueError as error:
    print("BatchNorm1d on a batch of one:", error)

# %% [markdown]
# ### What happens inside
#
# Each epoch, the DataLoader runs a small pipeline:
#
# 1. a **sampler** yields dataset indices: in order, or shuffled when `shuffle=True`;
# 2. a **batch sampler** groups them into lists of `batch_size` indices;
# 3. for each index in a list, the Dataset's `__getitem__` fetches one example
#    (transform included);
# 4. a **collate function** merges the examples into one batch: by default it stacks
#    tensors along a new first dimension and turns Python numbers into a tensor;
# 5. the batch goes to your training loop (with workers, steps 3 and 4 run in other
#    processes; see below).
#
# The same steps, written out by hand:

# %%
index_batches = list(BatchSampler(RandomSampler(clothing, generator=torch.Generator().manual_seed(0)),
                                  batch_size=4, drop_last=False))
print(f"{len(index_batches)} index lists, the first: {index_batches[0]}")
examples = [clothing[i] for i in index_batches[0]]  # 4 x (tensor (1, 28, 28), int)
images, labels = default_collate(examples)
print(f"collated: images {tuple(images.shape)} {images.dtype}, labels {labels.tolist()} {labels.dtype}")

# %%
clothing_loader = DataLoader(clothing, batch_size=16, shuffle=True)
images, labels = next(iter(clothing_loader))
print(f"{len(clothing_loader)} batches per epoch; one batch: images {tuple(images.shape)}, labels {tuple(labels.shape)}")
print("labels:", [clothing.classes[i] for i in labels[:6].tolist()], "...")

# %% [markdown]
# ## Samplers: which examples, in what order
#
# The sampler is the part that decides the order. Two are built in and chosen for you
# by `shuffle`:
#
# - **`SequentialSampler`** yields 0, 1, 2, ... in order. It is the default with
#   `shuffle=False`: right for evaluation, and for data whose order carries meaning,
#   such as a time series cut into consecutive windows.
# - **`RandomSampler`** yields a random permutation: every example once per epoch, in
#   a new order each time. It is the default with `shuffle=True`. With
#   `replacement=True` it draws independently, so some examples repeat and some are
#   skipped.

# %%
generator = torch.Generator().manual_seed(1)
print("SequentialSampler:              ", list(SequentialSampler(range(8))))
print("RandomSampler:                  ", list(RandomSampler(range(8), generator=generator)))
print("RandomSampler(replacement=True):", list(RandomSampler(range(8), replacement=True, generator=generator)))

# %% [markdown]
# ### Oversampling a rare class with WeightedRandomSampler
#
# When one class is rare, shuffled batches hold few examples of it or none, and the
# model learns that it can mostly ignore that class. `WeightedRandomSampler` draws example `i` with
# probability proportional to a weight you give it. Weighting every example by
# $1 / \text{(size of its class)}$ makes each class equally likely per draw.
#
# To see it work, make the breast-cancer training set strongly imbalanced by keeping
# only a handful of its malignant tumours:

# %%
x_train, y_train, x_test, y_test = breast_cancer_split()
keep = torch.cat([torch.nonzero(y_train == 0).flatten(), torch.nonzero(y_train == 1).flatten()[:15]])
targets = y_train[keep].long()
imbalanced = TensorDataset(x_train[keep], targets)
class_counts = torch.bincount(targets)
print(f"imbalanced set: {class_counts[0]} benign, {class_counts[1]} malignant ({class_counts[1] / len(targets):.1%})")

weights = 1.0 / class_counts[targets].float()  # each example: 1 / size of its class
sampler = WeightedRandomSampler(weights, num_samples=len(targets), replacement=True,
                                generator=torch.Generator().manual_seed(0))
loaders = {
    "shuffle=True": DataLoader(imbalanced, batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0)),
    "WeightedRandomSampler": DataLoader(imbalanced, batch_size=32, sampler=sampler),
}
for name, loader in loaders.items():
    malignant_per_batch, malignant_rows = [], []
    for inputs, labels in loader:  # one epoch
        malignant_per_batch.append(int(labels.sum()))
        malignant_rows.append(inputs[labels == 1])
    distinct = torch.unique(torch.cat(malignant_rows), dim=0).shape[0]
    print(f"{name:<22} malignant per batch of 32: {malignant_per_batch}")
    print(f"{'':<22} {sum(malignant_per_batch)} malignant draws in the epoch, {distinct} distinct tumours among them")

# %% [markdown]
# With plain shuffling, a batch of 32 holds one or two malignant tumours on average,
# often none; with the weighted sampler about half of every batch is malignant. The
# price is visible in the last line: there are only 15 malignant tumours, so each is
# drawn many times per epoch, which invites the model to memorise them. The main alternative leaves the
# batches alone and weights the loss instead (`BCEWithLogitsLoss(pos_weight=...)`,
# `CrossEntropyLoss(weight=...)`).
#
# ## collate_fn: batching examples of different lengths
#
# The default collate function stacks tensors, which needs them all to have the same
# shape. Text breaks that rule at once. Take the sentences of *The Adventures of
# Sherlock Holmes*, turn each word into an integer id, and each example becomes a
# tensor of a different length:

# %%
text = sherlock_text().replace("\n", " ")
sentences = [re.findall(r"[a-z]+(?:['’][a-z]+)?", sentence.lower())
             for sentence in re.split(r"(?<=[.!?])[”\"]?\s+", text)]
sentences = [words for words in sentences if words]
sentences = sentences[:pick(smoke=1500, full=len(sentences))]
PAD = 0  # id 0 is reserved for padding
vocabulary = {word: index for index, word in
              enumerate(sorted({word for words in sentences for word in words}), start=1)}


class Sentences(Dataset):
    """Each example is one sentence as a 1-D tensor of word ids (lengths differ)."""

    def __init__(self, sentences: list[list[str]], vocabulary: dict[str, int]):
        self.sentences = sentences
        self.vocabulary = vocabulary

    def __len__(self) -> int:
        return len(self.sentences)

    def __getitem__(self, index: int) -> torch.Tensor:
        return torch.tensor([self.vocabulary[word] for word in self.sentences[index]])


corpus = Sentences(sentences, vocabulary)
print(f"{len(corpus)} sentences, {len(vocabulary)} distinct words")
for i in (300, 301, 302):
    print(f"  length {len(corpus[i]):>2}: {' '.join(sentences[i][:6])} ... -> {corpus[i][:6].tolist()} ...")
try:
    next(iter(DataLoader(corpus, batch_size=4)))
except RuntimeError as error:
    print("default collate:", error)

# %% [markdown]
# A custom `collate_fn` receives the list of examples that make up one batch and may
# merge them however it likes. For sequences the standard answer is **padding**:
# `pad_sequence` extends every sequence with the padding id up to the longest one in
# the batch. The true lengths go along, so that a model can ignore the padding
# (recurrent layers, for instance, can skip it with `pack_padded_sequence`).

# %%
def pad_batch(batch: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Merge sentences of different lengths into (padded ids (B, longest), lengths (B,))."""
    lengths = torch.tensor([len(sentence) for sentence in batch])
    return pad_sequence(batch, batch_first=True, padding_value=PAD), lengths


words_by_id = {index: word for word, index in vocabulary.items()} | {PAD: "<pad>"}
padded, lengths = pad_batch([corpus[i] for i in (306, 311, 304, 309)])  # what a DataLoader would pass
print(f"lengths {lengths.tolist()}, padded {tuple(padded.shape)}:\n{padded}")
for row in padded.tolist():
    print("  " + " ".join(f"{words_by_id[index]:>8}" for index in row))

sentence_loader = DataLoader(corpus, batch_size=32, shuffle=True, collate_fn=pad_batch)
padded, lengths = next(iter(sentence_loader))
print(f"a DataLoader batch: padded {tuple(padded.shape)}, lengths {tuple(lengths.shape)}")

# %% [markdown]
# Padding costs computation: every pad position still goes through the model. With
# random batches one long sentence forces the whole batch to its length. A **batch
# sampler** of your own (the `batch_sampler` argument, which replaces `batch_size`,
# `shuffle` and `sampler`) can group sentences of similar length instead. Any class with
# `__iter__` and `__len__` will do; this one sorts by length, cuts the sorted order
# into batches, and shuffles the order of the batches each epoch:

# %%
class SimilarLengthBatches(Sampler[list[int]]):
    """Batches of indices whose sentences have similar lengths, in random batch order."""

    def __init__(self, lengths: list[int], batch_size: int):
        by_length = sorted(range(len(lengths)), key=lengths.__getitem__)
        self.batches = [by_length[i:i + batch_size] for i in range(0, len(by_length), batch_size)]

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self):
        for position in torch.randperm(len(self.batches)).tolist():
            yield self.batches[position]


def padding_share(loader: DataLoader) -> float:
    """Fraction of all positions in one epoch's batches that are padding."""
    padded_positions = real_positions = 0
    for padded, lengths in loader:
        padded_positions += padded.numel()
        real_positions += lengths.sum().item()
    return 1 - real_positions / padded_positions


lengths = [len(words) for words in sentences]
random_batches = sentence_loader  # shuffled batches of 32, as above
similar_batches = DataLoader(corpus, batch_sampler=SimilarLengthBatches(lengths, 32), collate_fn=pad_batch)
print(f"sentence lengths from {min(lengths)} to {max(lengths)} words")
print(f"padding share, random batches:         {padding_share(random_batches):.1%}")
print(f"padding share, similar-length batches: {padding_share(similar_batches):.1%}")

# %% [markdown]
# The trade-off is randomness: the batches' *contents* are now the same every epoch,
# only their order changes. Practical versions sort within large random pools, which
# keeps most of the saving and most of the randomness.
#
# ## num_workers: loading in parallel
#
# So far every `__getitem__` ran in the training process itself, one after the other,
# while the model waited. With `num_workers=k` the DataLoader starts `k` **worker
# processes**. The main process hands each worker lists of indices from the batch
# sampler; a worker calls `__getitem__` for each index, applies the collate function,
# and sends the finished batch back through a queue (in shared memory). Each worker
# works a few batches ahead (`prefetch_factor`, 2 by default), and the batches come out
# in the same order as without workers. While your loop trains on one batch, the
# workers are preparing the next ones, so reading files and running transforms overlap
# with the training step instead of adding to it.
#
# Workers are separate processes, and how they start matters:
#
# - On **Linux** they are started by *fork* (the default up to Python 3.13): a copy
#   of the running process, with everything already defined in it, including classes
#   defined in this notebook.
# - On **macOS and Windows** they are started by *spawn*: a fresh Python interpreter.
#   The Dataset is pickled and sent to it, and pickle records a class only by its
#   module and name. A class defined in a notebook lives in the module `__main__`, and
#   a fresh interpreter's `__main__` is not your notebook, so unpickling fails with
#   `AttributeError: Can't get attribute 'ClothingFolder' on <module '__main__'>`.
#   The fix is to define Dataset classes in a `.py` file and import them; classes from
#   installed packages, like torchvision's, always work.
# - A **script** run under spawn is re-imported by every worker, so its top-level code
#   runs again in each one. Real training scripts therefore keep their work inside a
#   `main()` function called under `if __name__ == "__main__":`. (This lesson, run as a
#   plain script, relies on fork, Linux's start method up to Python 3.13; elsewhere,
#   run it as a notebook.)

# %%
print("start method here:", multiprocessing.get_start_method())
fashion = fashion_mnist(train=True, transform=augment)
for name, dataset in (("ClothingFolder", clothing), ("FashionMNIST", fashion)):
    cls = type(dataset)
    print(f"{name:<15} is pickled by reference to {cls.__module__}.{cls.__qualname__}")

# %% [markdown]
# ### Measured: batches per second
#
# A fair test needs a Dataset whose `__getitem__` does real work per example.
# torchvision's `FashionMNIST` does: each item is turned into a PIL image and sent
# through the transform pipeline above (grey conversion, random flip, random rotation,
# to-tensor, normalise). We time how many batches of 64 the DataLoader delivers per
# second, with nothing else running in the loop, for 0, 1 and 2 workers. The first
# batch is timed separately, since it includes starting the workers.

# %%
def loader_speed(dataset: Dataset, num_workers: int, batches: int, batch_size: int = 64) -> tuple[float, float]:
    """(seconds to the first batch, batches per second after it), over at most one epoch."""
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, num_workers=num_workers)
    batches = min(batches, len(loader) - 1)
    began = time.perf_counter()
    iterator = iter(loader)
    next(iterator)
    first = time.perf_counter() - began
    began = time.perf_counter()
    for _ in range(batches):
        next(iterator)
    rate = batches / (time.perf_counter() - began)
    del iterator  # stops the workers
    return first, rate


timed_batches = pick(smoke=8, full=150)
speeds = {workers: loader_speed(fashion, workers, timed_batches) for workers in (0, 1, 2)}
print(f"{timed_batches} batches of 64 after the first, on {multiprocessing.cpu_count()} CPU cores:")
print(f"{'num_workers':>11} | {'first batch':>11} | {'batches/s':>9} | {'images/s':>8} | {'vs 0 workers':>12}")
print(f"{'-' * 11}-+-{'-' * 11}-+-{'-' * 9}-+-{'-' * 8}-+-{'-' * 12}")
for workers, (first, rate) in speeds.items():
    print(f"{workers:>11} | {first:>9.2f} s | {rate:>9.1f} | {rate * 64:>8.0f} | {rate / speeds[0][1]:>11.2f}x")

# %% [markdown]
# Workers can help only as far as there are CPU cores free for them to run on: with two
# cores, the ideal is about twice the rate of a single process, and the last column shows
# what this machine gave. Measured figures also move with whatever else the machine is
# doing. Programs competing for the cores pull them down, and can even leave workers
# slower than none, since workers also pay for sending every batch between processes;
# on the other hand, on a busy shared machine a loader with more processes also wins a
# larger share of the CPU, which can push them past that ideal.
#
# The first-batch column shows the price of starting workers: each must start before it
# can deliver. With `persistent_workers=True` they survive from one epoch to the next and
# that cost is paid once. Too many workers cost memory (each holds its own copy of the
# Dataset) and start-up time. A common starting point is the number of CPU cores,
# adjusted by measuring as above.
#
# Workers pay off only when producing an example is real work. When the Dataset is a
# tensor already in memory, `__getitem__` is a mere index, and what workers add (every
# batch travels from a worker to the main process) can cost more than they save. The
# same measurement on `TensorDataset(X, Y)`, the first section's 6 000 images as one
# tensor:

# %%
in_memory_speeds = {workers: loader_speed(in_memory, workers, timed_batches) for workers in (0, 2)}
print(f"{'num_workers':>11} | {'first batch':>11} | {'batches/s':>9} | {'vs 0 workers':>12}")
for workers, (first, rate) in in_memory_speeds.items():
    print(f"{workers:>11} | {first:>9.3f} s | {rate:>9.0f} | {rate / in_memory_speeds[0][1]:>11.2f}x")
print(f"in memory, without workers: {in_memory_speeds[0][1] / speeds[0][1]:.0f} times the batches per second "
      "of the decoded and augmented FashionMNIST")

# %% [markdown]
# Batches of tensors in memory come far faster than decoded, augmented images, so there
# is little for workers to take over; whether two workers still beat none here is in the
# last column (on a busy machine, remember, more processes also win more CPU time). For
# such data `num_workers=0` is the simple default to start from, and measuring as above
# tells you when workers are worth it; they are made for Datasets that read files or
# transform each example.
#
# ## pin_memory: faster copies to a GPU
#
# Before a batch can go to a CUDA GPU, it has to be copied there. The copy is done by
# the GPU's DMA engine, which can only read from **pinned** (page-locked) host memory:
# memory the operating system promises not to move or swap out. Ordinary tensors live
# in *pageable* memory, so CUDA first copies them into a pinned staging buffer and
# only then to the GPU. `pin_memory=True` makes the DataLoader put each batch in pinned
# memory directly (in a background thread), which saves that extra copy and lets
# `tensor.to("cuda", non_blocking=True)` return at once and overlap the transfer with
# computation. It only matters for copies to a GPU: on a machine without one there is
# nothing to copy, and PyTorch ignores the flag with a warning.

# %%
device = pick_device()
if device.type == "cuda":
    batch = torch.randn(256, 3, 224, 224)  # one batch of 256 RGB images at 224 px, about 154 MB
    for name, host_tensor in (("pageable", batch), ("pinned", batch.pin_memory())):
        host_tensor.to(device)  # warm up
        torch.cuda.synchronize()
        began = time.perf_counter()
        for _ in range(10):
            host_tensor.to(device, non_blocking=True)
        torch.cuda.synchronize()
        seconds = (time.perf_counter() - began) / 10
        print(f"{name:<9} host memory -> {describe(device)}: {batch.nbytes / seconds / 1e9:.1f} GB/s")
else:
    print(f"device: {describe(device)}. No CUDA GPU here, so there is no copy for pinned memory to speed up.")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # show the warning even if it was shown before
        inputs, labels = next(iter(DataLoader(in_memory, batch_size=64, pin_memory=True)))
    print("DataLoader(pin_memory=True) warns:", "; ".join(str(warning.message) for warning in caught) or "nothing")
    print("the batch is in pinned memory:", inputs.is_pinned())

# %% [markdown]
# ## Lesson 4's training loop, with a DataLoader
#
# Everything comes together in a loop that looks almost like lesson 4's. The
# breast-cancer tensors go into a `TensorDataset`; the DataLoader serves shuffled
# mini-batches of 32; the four-line step now runs once per *batch*, so every epoch makes
# 15 updates instead of one. Batches are moved to the model's device inside the loop;
# on a GPU, `pin_memory=True` and `non_blocking=True` make that copy cheap.
#
# To compare with lesson 4's full-batch loop, both start from the same weights and
# train for the same number of epochs with the same optimizer settings.

# %%
def make_mlp() -> nn.Sequential:
    return nn.Sequential(nn.Linear(30, 16), nn.ReLU(), nn.Linear(16, 1), nn.Flatten(0))


on_gpu = device.type == "cuda"
train_loader = DataLoader(TensorDataset(x_train, y_train), batch_size=32, shuffle=True, pin_memory=on_gpu)
test_loader = DataLoader(TensorDataset(x_test, y_test), batch_size=256, pin_memory=on_gpu)
bce = nn.BCEWithLogitsLoss()


def train_epoch(model: nn.Module, loader: DataLoader, optimizer: torch.optim.Optimizer) -> float:
    """One pass over `loader`, one update per batch; returns the mean training loss."""
    model.train()
    total, count = 0.0, 0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device, non_blocking=True), targets.to(device, non_blocking=True)
        optimizer.zero_grad()
        loss = bce(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(targets)
        count += len(targets)
    return total / count


@torch.no_grad()
def test_accuracy(model: nn.Module, loader: DataLoader) -> float:
    model.eval()
    correct = sum(((model(inputs.to(device)) > 0).float() == targets.to(device)).sum().item()
                  for inputs, targets in loader)
    return correct / len(loader.dataset)


seed_everything(0)
initial_mlp = make_mlp()
full_loader = DataLoader(TensorDataset(x_train, y_train), batch_size=len(x_train))  # one batch: lesson 4's loop
runs = {"mini-batches of 32": (copy.deepcopy(initial_mlp).to(device), train_loader),
        "full batch": (copy.deepcopy(initial_mlp).to(device), full_loader)}
optimizers = {name: torch.optim.Adam(model.parameters(), lr=0.01) for name, (model, _) in runs.items()}
curves = {name: [] for name in runs}
mlp_epochs = pick(smoke=3, full=40)
for epoch in range(1, mlp_epochs + 1):
    for name, (model, loader) in runs.items():
        curves[name].append(train_epoch(model, loader, optimizers[name]))
    if epoch == 1 or epoch % max(1, mlp_epochs // 5) == 0:
        print(f"epoch {epoch:>2}: " + ", ".join(f"{name} {curve[-1]:.4f}" for name, curve in curves.items()))
for name, (model, loader) in runs.items():
    print(f"{name:<19} {len(loader)} updates per epoch, {len(loader) * mlp_epochs:>4} in all, "
          f"test accuracy {test_accuracy(model, test_loader):.1%}")

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
for name, losses in curves.items():
    ax.plot(range(1, mlp_epochs + 1), losses, "o-", ms=3, label=name)
ax.set_yscale("log")
ax.set_xlabel("epoch")
ax.set_ylabel("mean training loss (log scale)")
ax.set_title("Same network, same optimizer: mini-batches against the full batch")
ax.grid(alpha=0.3, which="both")
ax.legend()
describe_figure(fig, f"Mean training loss per epoch, log scale, over {mlp_epochs} epochs of Adam on the "
                "breast-cancer data: " + "; ".join(f"{name} from {losses[0]:.3f} to {losses[-1]:.4f}"
                                                   for name, losses in curves.items()) + ".")
plt.show()

# %% [markdown]
# Per epoch, the mini-batch model is far ahead, for the reason measured at the start:
# it has updated 15 times as often. (Its curve is the *average* loss over the epoch's
# batches, taken while the weights were still changing, so it slightly overstates the
# loss at the epoch's end.) From lesson 6 on, this loop lives in the course library as
# `learntorch.train.fit`, with the chores added: validation after each epoch, a
# progress bar, mixed precision on GPUs and early stopping.

# %% [markdown]
# ## Recap
#
# - Full-batch updates are exact but rare; single-example updates are many but noisy
#   and slow per example. Mini-batches give many, fairly accurate, vectorised updates.
# - A `Dataset` says what example `i` is (`__len__`, `__getitem__`), reading and
#   transforming it on demand; `TensorDataset` and `ImageFolder` are ready-made ones.
# - A `DataLoader` turns a Dataset into batches: a sampler orders the indices, a batch
#   sampler groups them, `__getitem__` fetches, `collate_fn` merges.
# - `shuffle=True` reshuffles each epoch (`RandomSampler`); `shuffle=False` keeps the
#   order (`SequentialSampler`); `WeightedRandomSampler` oversamples rare classes;
#   `batch_sampler` takes over the grouping entirely.
# - A custom `collate_fn` handles examples that do not stack, such as sentences, by
#   padding them and passing their lengths along.
# - `drop_last` drops an incomplete final batch; `num_workers` loads in parallel
#   processes (define Datasets in importable modules for spawn, guard scripts with
#   `if __name__ == "__main__":`); `pin_memory` speeds up copies to a CUDA GPU.
#
# ## Exercises
#
# Each exercise has a worked solution under it. Try it yourself first, then open the
# solution and compare.
#
# **1.** Batch size sweep. Repeat the first experiment with batch sizes 8, 32, 128 and
# 512 (scale the learning rate roughly with the batch size) and plot the loss against
# epochs and against seconds. Where is the sweet spot on your machine?

# %% tags=["solution"]
# Keep lr / batch size at the mini-batch run's 0.1 / 64: each update then moves the
# weights about as far per example as before (a common rule of thumb, "linear scaling").
sweep = {batch_size: gradient_descent(batch_size, 0.1 * batch_size / 64, epochs) for batch_size in (8, 32, 128, 512)}
fig, (epoch_ax, second_ax) = plt.subplots(1, 2, figsize=(11, 3.5), sharey=True)
for batch_size, log in sweep.items():
    _, epochs_seen, seconds, losses = zip(*log)
    epoch_ax.plot(epochs_seen, losses, label=f"batch {batch_size}")
    second_ax.plot(seconds, losses, label=f"batch {batch_size}")
epoch_ax.set_xlabel("epochs")
second_ax.set_xlabel("training seconds (log scale)")
second_ax.set_xscale("log")
epoch_ax.set_ylabel("loss on the whole training subset")
for ax in (epoch_ax, second_ax):
    ax.grid(alpha=0.3)
    ax.legend()
describe_figure(fig, "Loss against epochs (left) and training seconds (right, log scale) for batch sizes 8 to 512: "
                + "; ".join(f"batch {b}: {log[-1][2]:.2f} s, final loss {log[-1][3]:.3f}" for b, log in sweep.items()) + ".")
plt.show()
# Per second: the loss each run had reached after as much training time as the shortest run took.
time_budget = min(log[-1][2] for log in sweep.values())
print(f"{'batch size':>10}{'lr':>9}{'updates':>9}{'train seconds':>15}{'final loss':>12}"
      f"{f'loss after {time_budget:.2f} s':>22}")
for batch_size, log in sweep.items():
    updates, _, seconds, loss = log[-1]
    within_budget = [f"{entry[3]:.4f}" for entry in log if entry[2] <= time_budget]  # losses measured in time
    print(f"{batch_size:>10}{0.1 * batch_size / 64:>9.4f}{updates:>9}{seconds:>15.2f}{loss:>12.4f}"
          f"{(within_budget or ['none measured yet'])[-1]:>22}")
# Per epoch, small batches win (more updates); per second, larger batches gain until each
# update's arithmetic outweighs the fixed cost of an update. The last column is the
# practical measure, the loss reached in the same training time, and its lowest entry is
# this machine's sweet spot for this model. On a GPU the sweet spot moves to larger
# batches, since a GPU only works efficiently on large matrix products. Very large batches
# with a scaled-up rate can also become unstable, which is why the rule of thumb is only
# "roughly".

# %% [markdown]
# **2.** Transforms at work. Give `ClothingFolder` a second transform for evaluation,
# without the random flip and rotation. Why should evaluation data never be augmented
# randomly?

# %% tags=["solution"]
evaluate = transforms.Compose([
    transforms.Grayscale(num_output_channels=1),
    transforms.ToTensor(),  # PIL (28, 28) -> (1, 28, 28) in [0, 1]
    transforms.Normalize((0.5,), (0.5,)),  # the same scaling as in training: only the random parts go
])
training_view = ClothingFolder(root, transform=augment)
evaluation_view = ClothingFolder(root, transform=evaluate)  # same files, different transform
for name, dataset in (("augment", training_view), ("evaluate", evaluation_view)):
    reads = torch.stack([dataset[0][0] for _ in range(5)])  # the same file read five times: (5, 1, 28, 28)
    print(f"{name:<9} five reads of file 0 all identical: {bool((reads == reads[0]).all())}")
# Evaluation measures the model on the data as it will meet it, and a score must be
# repeatable: with random flips and rotations, the same model on the same test set would
# score differently on every run, and the images would no longer be the ones you claim to
# test on. Augmentation is a training device, a way to show the model more variety;
# everything deterministic (grey conversion, scaling, normalisation) must stay identical
# between training and evaluation, or the model sees inputs unlike those it learned from.

# %% [markdown]
# **3.** Balanced by the loss instead. Train lesson 4's MLP on the imbalanced
# breast-cancer set twice: with `WeightedRandomSampler`, and with plain shuffling and
# `BCEWithLogitsLoss(pos_weight=...)` set to the benign/malignant ratio. Compare the
# recall on the (untouched) test set.

# %% tags=["solution"]
imbalanced_float = TensorDataset(x_train[keep], targets.float())  # BCE wants float targets
ratio = (class_counts[0] / class_counts[1]).item()  # benign / malignant = 285 / 15
balancing = {
    "plain shuffling": (DataLoader(imbalanced_float, batch_size=32, shuffle=True), nn.BCEWithLogitsLoss()),
    "WeightedRandomSampler": (DataLoader(imbalanced_float, batch_size=32, sampler=sampler), nn.BCEWithLogitsLoss()),
    f"pos_weight={ratio:.0f}": (DataLoader(imbalanced_float, batch_size=32, shuffle=True),
                                nn.BCEWithLogitsLoss(pos_weight=torch.tensor(ratio))),
}
print(f"test set: {int(y_test.sum())} malignant, {int((y_test == 0).sum())} benign")
print(f"{'':<23}{'malignant draws':>16}{'recall':>8}{'precision':>11}{'accuracy':>10}")
for name, (loader, loss_function) in balancing.items():
    seed_everything(0)
    network = make_mlp()
    optimizer = torch.optim.Adam(network.parameters(), lr=0.01)
    draws = malignant_draws = 0
    for epoch in range(pick(smoke=3, full=40)):
        network.train()
        for inputs, labels in loader:
            draws, malignant_draws = draws + len(labels), malignant_draws + int(labels.sum())
            optimizer.zero_grad()
            loss_function(network(inputs), labels).backward()
            optimizer.step()
    network.eval()
    with torch.no_grad():
        predicted = (network(x_test) > 0).float()
    found = (predicted * y_test).sum().item()  # malignant tumours called malignant
    recall = found / y_test.sum().item()  # share of the malignant tumours that are found
    precision = found / max(predicted.sum().item(), 1)  # share of "malignant" calls that are right
    print(f"{name:<23}{malignant_draws / draws:>16.1%}{recall:>8.1%}{precision:>11.1%}"
          f"{(predicted == y_test).float().mean().item():>10.1%}")
# Recall is the share of malignant test tumours the model finds, the number that matters
# most when a miss is costly. Both remedies tell the model that a malignant example is
# worth about 19 benign ones: the sampler by showing each malignant tumour about 19 times
# as often, pos_weight by counting its loss 19 times. The sampler repeats the same 15
# tumours over and over (and leaves some benign ones out of an epoch); pos_weight keeps
# every epoch's data intact and scales the loss instead. Compare both with the plain run,
# and watch precision: finding more malignant tumours usually costs some false alarms.
# The first column confirms that the sampler did its job (about half of all draws
# malignant); with only 15 malignant tumours to learn from, all three models may still
# end up drawing nearly the same boundary, so identical rows are possible.

# %% [markdown]
# **4.** Bucketing with randomness. Change `SimilarLengthBatches` to shuffle all
# indices, cut them into pools of 50 batches, and sort only within each pool. Measure the
# padding share and check that batch contents now change between epochs.

# %% tags=["solution"]
class PooledSimilarLengthBatches(Sampler[list[int]]):
    """Shuffle, cut into pools of `pool_batches` batches, sort each pool by length, batch it,
    and shuffle the order of all the batches: new batch contents every epoch."""

    def __init__(self, lengths: list[int], batch_size: int, pool_batches: int = 50):
        self.lengths, self.batch_size, self.pool = lengths, batch_size, batch_size * pool_batches

    def __len__(self) -> int:
        return -(-len(self.lengths) // self.batch_size)  # at most one short batch per pool; see below

    def __iter__(self):
        order = torch.randperm(len(self.lengths)).tolist()
        batches = []
        for start in range(0, len(order), self.pool):
            pool = sorted(order[start:start + self.pool], key=self.lengths.__getitem__)
            batches += [pool[i:i + self.batch_size] for i in range(0, len(pool), self.batch_size)]
        for position in torch.randperm(len(batches)).tolist():
            yield batches[position]


pooled = PooledSimilarLengthBatches(lengths, 32)
pooled_batches = DataLoader(corpus, batch_sampler=pooled, collate_fn=pad_batch)
print(f"padding share, random batches:         {padding_share(random_batches):.1%}")
print(f"padding share, sorted batches:         {padding_share(similar_batches):.1%}")
print(f"padding share, pools of 50 batches:    {padding_share(pooled_batches):.1%}")
for name, batch_sampler in (("sorted", similar_batches.batch_sampler), ("pooled", pooled)):
    first, second = ({frozenset(batch) for batch in batch_sampler} for _ in range(2))  # two epochs
    print(f"{name}: {len(first & second)} of {len(first)} batches identical in the next epoch")
# Sorting all sentences gives the least padding but the same batches every epoch, only in
# a new order. Sorting within random pools of 50 x 32 sentences keeps most of the saving
# (a pool of 1 600 random sentences already holds many of each common length) while every
# epoch draws new pools and so new batches. Each pool can end in one short batch; since
# the pools are 1 600 sentences long, only the last one does here, so __len__ is exact.

# %% [markdown]
# **5.** Workers on your machine. Run the speed measurement with 0, 1, 2, 4 and 8
# workers and with `persistent_workers=True`. Where does adding workers stop helping, and
# how does that relate to `os.cpu_count()`?

# %% tags=["solution"]
import os

worker_counts = pick(smoke=(0, 2), full=(0, 1, 2, 4, 8))
sweep_batches = pick(smoke=4, full=60)
print(f"os.cpu_count() = {os.cpu_count()}; {sweep_batches} batches of 64 after the first")
with warnings.catch_warnings(record=True) as caught:  # keep PyTorch's warnings to show them briefly
    warnings.simplefilter("always")
    worker_speeds = {workers: loader_speed(fashion, workers, sweep_batches) for workers in worker_counts}
for message in dict.fromkeys(str(warning.message) for warning in caught):  # each distinct one once
    print("PyTorch warns:", ". ".join(message.split(". ")[:2]) + ".")
for workers, (first, rate) in worker_speeds.items():
    print(f"num_workers {workers}: first batch {first:5.2f} s, {rate:6.1f} batches/s, "
          f"{rate / worker_speeds[0][1]:.2f}x the rate without workers")

# persistent_workers: time the first batch of each of three short epochs.
short_epochs = torch.utils.data.Subset(fashion, range(64 * pick(smoke=2, full=10)))
for persistent in (False, True):
    loader = DataLoader(short_epochs, batch_size=64, shuffle=True, num_workers=2, persistent_workers=persistent)
    first_batches = []
    for epoch in range(3):
        began = time.perf_counter()
        for batch_number, _ in enumerate(loader):
            if batch_number == 0:
                first_batches.append(time.perf_counter() - began)
    del loader
    print(f"persistent_workers={persistent!s:<5}: first batch of epochs 1, 2, 3 after "
          + ", ".join(f"{seconds:.2f} s" for seconds in first_batches))
# In principle, workers help until they outnumber the cores that can run them: past
# os.cpu_count() (counting the main process, which also needs a core) they only take
# turns, and each extra one adds start-up time and memory. PyTorch says as much: it warns
# when asked for more workers than it suggests for the machine. In practice, on a machine
# shared with other programs the rates move by tens of percent from one run to the next:
# compare the rows for 0, 1 and 2 workers with the lesson's own table, measured minutes
# earlier with the same settings, before reading much into any single row. To find where
# adding workers stops helping on your machine, repeat the measurement a few times while
# nothing else runs. Without persistent_workers, every epoch starts its workers afresh
# and pays the first-batch delay again; with it, only the first epoch does.

# %% [markdown]
# **6.** Spawn for yourself. In a notebook, create the DataLoader of `ClothingFolder`
# with `num_workers=2, multiprocessing_context="spawn"` and read the error. Then move the
# class into a file `clothing.py`, import it, and try again.

# %% tags=["solution"]
import subprocess
import sys
import textwrap

# A notebook's __main__ has no file behind it, and neither has `python -c "..."`. So a
# fresh Python started with -c is a faithful stand-in for a notebook, and this lesson can
# run the experiment the same way whether it is itself a notebook or a script.
clothing_source = textwrap.dedent("""
    from pathlib import Path

    from PIL import Image
    from torch.utils.data import Dataset


    class ClothingFolder(Dataset):
        def __init__(self, root, transform=None):
            root = Path(root)
            self.classes = sorted(folder.name for folder in root.iterdir() if folder.is_dir())
            self.samples = [(path, label) for label, name in enumerate(self.classes)
                            for path in sorted((root / name).glob("*.png"))]
            self.transform = transform

        def __len__(self):
            return len(self.samples)

        def __getitem__(self, index):
            path, label = self.samples[index]
            image = Image.open(path).convert("RGB")
            return (self.transform(image) if self.transform else image), label
""")
spawn_workers = pick(smoke=1, full=2)
load_one_batch = textwrap.dedent(f"""
    from torch.utils.data import DataLoader
    from torchvision import transforms
    loader = DataLoader(ClothingFolder({str(root)!r}, transform=transforms.ToTensor()), batch_size=16,
                        num_workers={spawn_workers}, multiprocessing_context="spawn")
    try:
        images, labels = next(iter(loader))
        print("one batch:", tuple(images.shape), "from", {spawn_workers}, "spawned workers")
    except RuntimeError as error:
        print("DataLoader:", str(error).splitlines()[0])
""")
with tempfile.TemporaryDirectory(prefix="clothing-module-") as code_folder:
    (Path(code_folder) / "clothing.py").write_text(clothing_source)
    for where, header in (("defined in __main__", clothing_source),
                          ("imported from clothing.py", "from clothing import ClothingFolder\n")):
        run = subprocess.run([sys.executable, "-c", header + load_one_batch], cwd=code_folder,
                             capture_output=True, text=True, timeout=600)
        worker_error = [line for line in run.stderr.splitlines() if line.startswith("AttributeError")]
        print(f"--- class {where} ---")
        print("\n".join(run.stdout.strip().splitlines() + worker_error[:1]))
# A spawned worker is a new interpreter: it receives the Dataset pickled, and pickle stores
# a class as "module name + class name". For a class defined in the notebook that is
# __main__.ClothingFolder, and the worker's __main__ is not the notebook, so the lookup
# fails with the AttributeError above; the main process only learns that its worker died.
# Imported from clothing.py, the class is stored as clothing.ClothingFolder, which the
# worker can import (it inherits the folder on sys.path), and the batch arrives.

# %% [markdown]
# ## Next
#
# With batches, samplers and workers in hand, [Lesson 6: An ANN on Fashion-MNIST, on the
# GPU when there is one](../06_fashion_ann_gpu/) trains a real network on all 60 000
# Fashion-MNIST images with `learntorch.train.fit`, and moves the work to a GPU when there
# is one.
