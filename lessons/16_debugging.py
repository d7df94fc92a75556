# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 16. When training goes wrong

# %% [markdown]
# ## What you will learn
#
# - To read the error messages PyTorch gives for the most common mistakes, and to fix each
#   one: a `Linear` layer that gets the wrong shape, targets of the wrong dtype or shape for
#   `CrossEntropyLoss` and `BCEWithLogitsLoss`, a model and a batch on different devices,
#   NumPy's float64 meeting float32 weights, and batch norm given a batch of one.
# - What the mistakes that raise **no** error do to training, measured: a forgotten
#   `zero_grad()`, a model left in `train()` mode, a learning rate so high the loss becomes
#   NaN, `log(0)` in a hand-written loss, data that leaks from the training set into the
#   test set, labels shuffled apart from their images, and a learning-rate scheduler
#   stepped once per batch instead of once per epoch.
# - Tools to find them: `torch.isfinite`, `torch.autograd.detect_anomaly`, gradient norms,
#   and forward hooks.
# - A routine to run on every new model before trusting it: overfit one batch, check the
#   shapes, watch the gradient norms, look inside with hooks.
#
# ## What this assumes
#
# Lessons 2 to 7: gradients and their accumulation (lesson 2), the breast-cancer table and
# standardisation (lesson 3), modules, losses, optimizers and schedulers (lesson 4),
# Fashion-MNIST, `make_mlp` and `fit` (lesson 6), dropout and batch norm (lesson 7).
#
# Every failure on this page is real: each cell makes the mistake, and where PyTorch raises
# an exception the cell catches it and prints its type and message, exactly as PyTorch
# wrote it, so that the page still runs from top to bottom. Apart from the one cell about
# devices, everything runs on the CPU: the models are small, and the failures then look
# the same on every machine.

# %%
import hashlib
import math
import warnings

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from learntorch.data import FASHION_CLASSES, breast_cancer
from learntorch.device import seed_everything
from learntorch.mlp import make_mlp
from learntorch.plots import image_grid, plot_curves
from learntorch.profile import pick
from learntorch.splits import fashion_splits, make_loaders
from learntorch.tabular import breast_cancer_split
from learntorch.train import evaluate, fit

device = torch.device("cpu")
seed_everything(0)
print("torch", torch.__version__)


def show_error(action):
    """Run action(); print the exception it raises (its type and message) instead of stopping."""
    try:
        action()
    except Exception as error:
        print(f"{type(error).__name__}: {error}")
    else:
        print("no error")


# %% [markdown]
# The data: Fashion-MNIST as in lesson 6 (20 000 of the training images are plenty for
# the small experiments here), and one batch of it to make mistakes with.

# %%
splits = fashion_splits(train_size=pick(smoke=2_000, full=20_000))
loaders = make_loaders(splits, batch_size=128)
val_images, val_labels = splits.val.tensors
images, labels = next(iter(loaders.train))
print(f"{len(splits.train):,} training images, {len(splits.val):,} validation images")
print("one batch:", tuple(images.shape), images.dtype, "| labels", tuple(labels.shape), labels.dtype)

# %% [markdown]
# ## Part 1: errors that stop you
#
# These are the friendly bugs: PyTorch refuses to go on and says why. The skill is to read
# the message: it almost always names the two things that disagree.
#
# ### Shapes: "mat1 and mat2 shapes cannot be multiplied"
#
# A classifier for 28x28 images whose first layer expects 784 numbers, given the batch as
# it comes from the loader:

# %%
seed_everything(0)
no_flatten = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
show_error(lambda: no_flatten(images))  # images: (128, 1, 28, 28)

# %% [markdown]
# `nn.Linear` computes `input @ weight.T + bias` over the **last** dimension of its input
# and treats every other dimension as more examples. So it read the batch as
# 128 x 1 x 28 = 3 584 rows of 28 numbers each: that is `mat1`, 3584x28. `mat2` is the
# weight, transposed: 784 inputs by 256 outputs. A matrix product needs the two inner
# numbers to agree, and 28 is not 784. The fix is to flatten each image to one row of 784
# first:

# %%
seed_everything(0)
with_flatten = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
print("rows x features that reached the first layer without Flatten:",
      f"{images.shape[0] * images.shape[1] * images.shape[2]} x {images.shape[3]}")
print("output with Flatten:", tuple(with_flatten(images).shape))  # (128, 10)

# %% [markdown]
# The same message appears when one layer's width changes and the next layer is not told:

# %%
widened = nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(256, 10))
show_error(lambda: widened(images))

# %% [markdown]
# Read it as "what arrived" and "what the layer expects": 128 examples with 512 features
# each arrived at a layer built for 256 inputs. Fix the layer's `in_features` to 512, or
# let PyTorch work it out: `nn.LazyLinear(10)` learns its `in_features` from the first batch
# it sees (exercise 1 uses both).
#
# ### Losses: Long or Float targets
#
# The two classification losses want different targets:
#
# | Loss | Model output | Targets |
# |---|---|---|
# | `CrossEntropyLoss` (one class out of C) | logits `(B, C)`, float | class indices `(B,)`, **int64** (Long); or probabilities `(B, C)`, float |
# | `BCEWithLogitsLoss` (yes or no) | logits, float | same shape as the logits, **float** 0.0 or 1.0 |
#
# Labels that arrive as floats (read from a CSV file, say), or as a column instead of a
# vector, break the first:

# %%
logits = with_flatten(images)  # (128, 10)
cross_entropy = nn.CrossEntropyLoss()
print(f"int64 labels of shape {tuple(labels.shape)}: loss {cross_entropy(logits, labels).item():.4f}")
show_error(lambda: cross_entropy(logits, labels.float()))  # the same labels, as floats
show_error(lambda: cross_entropy(logits, labels.unsqueeze(1)))  # as a column, (128, 1)

# %% [markdown]
# "Multi-target not supported" means: one class per example, as a vector. The fix for both
# is `labels.long()` (and `.squeeze(1)` for the column).
#
# The binary loss is the other way round. The breast-cancer model of lesson 3 gives one
# logit per tumour; scikit-learn gives its labels as integers:

# %%
x_train, y_train, x_test, y_test = breast_cancer_split()
torch.manual_seed(0)
tumour_model = nn.Linear(30, 1)
tumour_logits = tumour_model(x_train)  # (455, 1): one column
binary_cross_entropy = nn.BCEWithLogitsLoss()
show_error(lambda: binary_cross_entropy(tumour_logits, y_train))  # (455, 1) against (455,)
tumour_logit_vector = tumour_logits.squeeze(1)  # (455, 1) -> (455,)
show_error(lambda: binary_cross_entropy(tumour_logit_vector, y_train.long()))  # integer labels
fixed = binary_cross_entropy(tumour_logit_vector, y_train)  # (455,) against (455,), both float
print(f"fixed: loss {fixed.item():.4f}")

# %% [markdown]
# The first message is a shape check that this loss makes before any arithmetic:
# `(455, 1)` logits against `(455,)` targets. The second is about casting: the loss
# computes in float and cannot put a fractional result into an integer tensor. Each fix is
# one call: `.squeeze(1)` on the logits, `.float()` on the targets. (The shape check
# matters: without it, broadcasting would silently pair every logit with every target; the
# routine at the end shows that happening in a loss written by hand.)
#
# ### Dtypes and devices: "expected all tensors to be on the same device"
#
# Every tensor in one operation must have the same dtype and sit on the same device. The
# dtype mistake happens on any machine: NumPy makes float64 arrays, and a `torch` tensor
# made from one keeps that dtype, while model weights are float32.

# %%
raw_rows = breast_cancer().data[:4]  # NumPy, float64
print("NumPy dtype:", raw_rows.dtype, "| weights:", tumour_model.weight.dtype)
show_error(lambda: tumour_model(torch.from_numpy(raw_rows)))
print("fixed:", tuple(tumour_model(torch.from_numpy(raw_rows).float()).shape))

# %% [markdown]
# "Double" is float64 and "Float" is float32. Convert once, where the data enters PyTorch
# (`torch.tensor(array, dtype=torch.float32)`, as `breast_cancer_split` does), rather than
# at every use.
#
# The device mistake is the most common one on a GPU: `model.to("cuda")` moves the
# weights, but every batch must be moved too (lesson 6). On a machine with a CUDA GPU the
# forward pass then stops with a `RuntimeError` whose message starts with
# `Expected all tensors to be on the same device, but found at least two devices,` and
# names the two, typically `cuda:0 and cpu!`. Without a GPU that exact message cannot be
# produced. The same mistake can be made with another device that every PyTorch has:
# **meta**, a device whose tensors have a shape and a dtype but no values (PyTorch uses it
# to plan large models without allocating them). The cell below uses CUDA when there is a
# GPU and meta otherwise; the first line of its output says which, and run on a GPU it
# shows the GPU message itself.

# %%
elsewhere = torch.device("cuda") if torch.cuda.is_available() else torch.device("meta")
model_elsewhere = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
model_elsewhere.to(elsewhere)
print("weights on", next(model_elsewhere.parameters()).device, "| batch on", images.device)
show_error(lambda: model_elsewhere(images))
moved = model_elsewhere(images.to(elsewhere))  # the fix: move the batch to the model's device
print("fixed:", tuple(moved.shape), "on", moved.device)

# %% [markdown]
# The wording differs from device to device, but the content is the same: a tensor on one
# device met an operation expecting another, and the message names both. The fix is a
# habit: choose `device` once, move the model once, and move every batch inside the loop
# with `inputs.to(device)` (as `fit` does); create new tensors with `device=...` (or
# `torch.zeros_like(x)`, which follows `x`). A meta output has a shape but no values,
# which is why the "fixed" line prints only its shape.
#
# ## Part 2: mistakes that raise nothing
#
# The rest of the page is about bugs that never raise: training runs, numbers come out,
# and they are wrong. To see them we need a training loop that records what happens at
# every step. This one is the loop you know, plus two records per step: the loss, and the
# **gradient norm**, the length of all the gradients taken together as one vector (how
# big a step the gradients are asking for).

# %%
def gradient_norm(model):
    """The length of all of a model's gradients, taken together as one long vector."""
    return torch.cat([p.grad.flatten() for p in model.parameters() if p.grad is not None]).norm().item()


def batches_forever(loader):
    """The loader's batches, epoch after epoch."""
    while True:
        yield from loader


def train_steps(model, optimizer, loader, steps):
    """Train for `steps` batches; return each step's loss and gradient norm."""
    model.train()
    losses, norms = [], []
    for _, (inputs, targets) in zip(range(steps), batches_forever(loader)):
        loss = F.cross_entropy(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        norms.append(gradient_norm(model))
        optimizer.step()
        losses.append(loss.item())
    return losses, norms


def accuracy(model, inputs, targets):
    """Share of correct predictions, in eval mode, without gradients."""
    model.eval()
    with torch.no_grad():
        return (model(inputs).argmax(dim=1) == targets).float().mean().item()


steps = pick(smoke=30, full=300)
print(f"{steps} steps per experiment, {len(loaders.train)} batches per epoch")

# %% [markdown]
# ### A forgotten zero_grad()
#
# Lesson 2 showed that `backward()` **adds** to `.grad`. Three backward passes on the same
# batch, with nothing emptying the gradient in between:

# %%
seed_everything(0)
model = make_mlp([256])
first_layer = model[1]  # model[0] is the Flatten
for backward_calls in (1, 2, 3):
    loss = F.cross_entropy(model(images), labels)
    loss.backward()  # adds this batch's gradient to .grad
    print(f"after {backward_calls} backward call(s): gradient norm of the first layer "
          f"{first_layer.weight.grad.norm():.4f}")

# %% [markdown]
# The same batch gives the same gradient each time, so the stored gradient grows exactly
# in proportion: one, two, three times the first. In training the batches differ, so
# without `zero_grad()` each step follows the sum of **every gradient so far**: the
# direction is dominated by old batches and the steps tend to grow. Here is that loop,
# with its one missing line, trained side by side with the correct one:

# %%
def train_steps_without_zero_grad(model, optimizer, loader, steps):
    """train_steps with one line missing: optimizer.zero_grad()."""
    model.train()
    losses = []
    for _, (inputs, targets) in zip(range(steps), batches_forever(loader)):
        loss = F.cross_entropy(model(inputs), targets)
        loss.backward()  # adds to .grad, and nothing ever empties it
        optimizer.step()
        losses.append(loss.item())
    return losses


seed_everything(0)
correct_model = make_mlp([256])
correct_losses, _ = train_steps(correct_model, torch.optim.SGD(correct_model.parameters(), lr=0.05),
                                loaders.train, steps)
seed_everything(0)
forgetful_model = make_mlp([256])
forgetful_losses = train_steps_without_zero_grad(
    forgetful_model, torch.optim.SGD(forgetful_model.parameters(), lr=0.05), loaders.train, steps)
for name, losses, trained in (("with zero_grad", correct_losses, correct_model),
                              ("without zero_grad", forgetful_losses, forgetful_model)):
    print(f"{name:<18} mean loss of the last 50 steps {sum(losses[-50:]) / len(losses[-50:]):.3f}, "
          f"validation accuracy {accuracy(trained, val_images, val_labels):.3f}")
plot_curves({"with zero_grad": correct_losses, "without zero_grad": forgetful_losses},
            title="SGD, learning rate 0.05: the same loop with and without zero_grad")
plt.show()

# %% [markdown]
# Without `zero_grad` the loss falls at first, then swings more and more wildly as the
# summed gradient grows, while the correct loop's loss keeps settling; the validation
# accuracies above show what that costs. Accumulating on purpose is a real
# technique (a big batch in several small pieces, lesson 2 and exercise 2), but then you
# choose when to zero. The rule: `zero_grad()` once per optimizer step, before
# `backward()`.
#
# ### train() and eval(): dropout and batch norm
#
# Dropout and batch norm behave differently in the two modes (lesson 7). A model with both,
# trained briefly:

# %%
seed_everything(0)
regularised = make_mlp([256], dropout=0.5, batch_norm=True)
fit(regularised, loaders.train, torch.optim.Adam(regularised.parameters(), lr=1e-3),
    epochs=pick(smoke=1, full=2), device=device, verbose=False)
print(regularised)

# %% [markdown]
# The same eight images, twice through the model, in each mode:

# %%
eight = val_images[:8]
with torch.no_grad():
    regularised.train()
    first, second = regularised(eight), regularised(eight)
    print(f"train mode: largest difference between two passes {(first - second).abs().max():.4f}")
    regularised.eval()
    first, second = regularised(eight), regularised(eight)
    print(f"eval mode:  largest difference between two passes {(first - second).abs().max():.4f}")

# %% [markdown]
# In train mode dropout zeroes a different half of the hidden units on every pass, and
# batch norm normalises with the statistics of the batch at hand, so the same images get
# different outputs. In eval mode dropout is off and batch norm uses its running averages:
# the answer is fixed. Forgetting `model.eval()` before measuring costs accuracy, and more
# so with small batches, where batch statistics are noisy:

# %%
def accuracy_in_train_mode(model, inputs, targets, batch_size):
    """Accuracy with the model (wrongly) left in train mode, in batches of batch_size."""
    model.train()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(inputs), batch_size):
            predictions = model(inputs[start:start + batch_size]).argmax(dim=1)
            correct += (predictions == targets[start:start + batch_size]).sum().item()
    return correct / len(inputs)


check_images, check_labels = val_images[:2_000], val_labels[:2_000]
saved_state = {name: value.clone() for name, value in regularised.state_dict().items()}
print(f"eval mode:                      accuracy {accuracy(regularised, check_images, check_labels):.4f}")
for batch_size in (2_000, 8):
    print(f"train mode, batches of {batch_size:>5}:  accuracy "
          f"{accuracy_in_train_mode(regularised, check_images, check_labels, batch_size):.4f}")
drift = (regularised[2].running_mean - saved_state["2.running_mean"]).abs().max()
regularised.load_state_dict(saved_state)  # put the trained statistics back
print(f"batch norm's running mean moved by up to {drift:.4f} during those train-mode passes")

# %% [markdown]
# The last line is a second, quieter bug: a forward pass in train mode **changes the
# model**, even under `torch.no_grad()`, because batch norm updates its running averages
# with every batch it sees in train mode. Evaluating in train mode quietly retunes the
# model to the evaluation data. (That is why the cell saved and restored the state.)
#
# And batch norm in train mode cannot take a batch of one: there is no spread to divide by.
# That one does raise, for instance when a single image is predicted with a model left in
# train mode:

# %%
one_image = val_images[:1]
regularised.train()
show_error(lambda: regularised(one_image))
regularised.eval()
with torch.no_grad():
    print("eval mode:", FASHION_CLASSES[regularised(one_image).argmax(dim=1).item()],
          "| true:", FASHION_CLASSES[val_labels[0].item()])

# %% [markdown]
# The same error can strike during training, when the last batch of an epoch happens to
# hold a single example; `drop_last=True` on the training `DataLoader` avoids it
# (lesson 5). The rule: `model.train()` before training, `model.eval()` before evaluating
# or predicting, as `fit` and `evaluate` do.
#
# ### NaN: a learning rate far too high
#
# When the loss turns into `nan` (not a number) or `inf`, training is over: every later
# step computes with it, and the weights fill with NaN. The commonest cause is a learning
# rate so high that each step overshoots further than the last. The same model with SGD at
# a reasonable rate and at a rate one hundred times higher:

# %%
nan_steps = pick(smoke=30, full=60)
nan_batches = [batch for _, batch in zip(range(nan_steps), batches_forever(loaders.train))]  # the same for every run
runs = {}
for lr in (0.1, 10.0):
    seed_everything(0)
    model = make_mlp([256])
    losses, norms = train_steps(model, torch.optim.SGD(model.parameters(), lr=lr), nan_batches, nan_steps)
    finite = torch.isfinite(torch.tensor(losses))  # False where the loss is inf or NaN
    first_bad = (~finite).nonzero()
    nan_weights = sum(torch.isnan(p).sum().item() for p in model.parameters())
    print(f"lr {lr:>4}: highest finite loss {max(x for x in losses if math.isfinite(x)):.3g}, "
          f"first non-finite loss at step "
          f"{first_bad[0].item() + 1 if len(first_bad) else 'none'}; "
          f"{nan_weights:,} of {sum(p.numel() for p in model.parameters()):,} weights are NaN")
    runs[f"lr {lr}"] = (losses, norms)
plot_curves({name: losses for name, (losses, _) in runs.items()}, log_y=True,
            title="SGD on Fashion-MNIST: the loss at a sane and at a far too high learning rate")
plt.show()

# %% [markdown]
# `torch.isfinite` is the test: `True` for ordinary numbers, `False` for `inf`, `-inf` and
# `nan`. On a logarithmic axis the high-rate loss climbs by orders of magnitude before the
# line stops: non-finite values cannot be drawn. The gradient norm climbs with it: each
# overshoot lands where the slope is steeper, so the next gradient and the next step are
# bigger still, a feedback loop that ends in `inf` and then `nan`:

# %%
plot_curves({name: norms for name, (_, norms) in runs.items()}, ylabel="gradient norm", log_y=True,
            title="The gradient norm per step of the same two runs")
plt.show()

# %% [markdown]
# Two defences. A check in the loop that stops at the first bad step, so you can look at
# the batch and the weights that caused it instead of discovering a NaN model hours later:

# %%
seed_everything(0)
model = make_mlp([256])
optimizer = torch.optim.SGD(model.parameters(), lr=10.0)
try:
    for step, (inputs, targets) in enumerate(nan_batches, start=1):
        loss = F.cross_entropy(model(inputs), targets)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"step {step}: the loss is {loss.item()}")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"{nan_steps} steps, every loss finite")
except FloatingPointError as error:
    print(f"FloatingPointError: {error}")

# %% [markdown]
# And the cure for the cause: a lower learning rate, or capping the step with gradient
# clipping (`torch.nn.utils.clip_grad_norm_`, which `fit` applies when given
# `clip_grad_norm`), or a warm-up that starts small. Mixed precision's `GradScaler`
# (lesson 6) does something similar on its own: it skips any step whose gradients contain
# `inf` or `nan`.
#
# ### NaN: log(0) in a loss written by hand
#
# The other common source is a function evaluated where it is undefined: `log(0)`,
# `sqrt` of a negative number, `0 / 0`. A binary cross-entropy written straight from its
# formula, `-(y log p + (1 - y) log(1 - p))` with `p = sigmoid(logit)`, is correct
# mathematics and fails in float32: for a logit of about 17 or more, `sigmoid` rounds to
# exactly 1.0, and `log(1 - p)` becomes `log(0) = -inf`. Five logits a model might give,
# the last one confident:

# %%
scores = torch.tensor([-30.0, -2.0, 0.0, 3.0, 40.0])
truth = torch.tensor([0.0, 0.0, 1.0, 1.0, 1.0])


def hand_written_bce(logits, targets):
    p = torch.sigmoid(logits)
    return -(targets * torch.log(p) + (1 - targets) * torch.log(1 - p)).mean()


print("sigmoid:      ", torch.sigmoid(scores))
print("log(1 - p):   ", torch.log(1 - torch.sigmoid(scores)))
print("hand-written: ", hand_written_bce(scores, truth))
print("built-in:     ", F.binary_cross_entropy_with_logits(scores, truth))

# %% [markdown]
# The last example is right (its target is 1), yet it poisons the mean: its term is
# `0 * log(0) = 0 * (-inf)`, which is `nan`. `BCEWithLogitsLoss` computes the same
# quantity from the logits directly, rearranged so that nothing is ever rounded to 0 and
# then logged (lesson 4): that is why the course passes logits, not probabilities, to its
# losses.
#
# In a big model you do not know which operation made the first NaN. Anomaly detection
# finds it: inside `torch.autograd.detect_anomaly()` (or after
# `torch.autograd.set_detect_anomaly(True)`, which switches it on for everything after),
# autograd records where each operation was created, checks every gradient it computes,
# and raises at the first backward function that returns NaN, with a warning that shows the
# forward line responsible. It makes everything much slower: switch it on to hunt, then
# off. Without it the backward pass just hands back a NaN gradient; with it:

# %%
scale = torch.ones(1, requires_grad=True)  # a weight, so that there is something to differentiate
hand_written_bce(scores * scale, truth).backward()
print("without anomaly detection, the gradient is", scale.grad)

scale.grad = None
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    try:
        with torch.autograd.detect_anomaly():
            loss = hand_written_bce(scores * scale, truth)
            loss.backward()
    except RuntimeError as error:
        print(f"RuntimeError: {error}")
for warning in caught:
    text = str(warning.message)
    if text.startswith("Error detected"):
        print(text.splitlines()[0])
        # The forward traceback: keep the source lines (indented), not the file paths.
        source_lines = [line.strip() for line in text.splitlines() if line.startswith("    ")]
        print("  the forward line it points to:", source_lines[-1])

# %% [markdown]
# `LogBackward0` is the backward of `torch.log`, and the warning points at the line of
# `hand_written_bce` that took the logarithm: the culprit, found without guessing.
#
# ### Data leaking between splits
#
# A test score is only honest if nothing about the test examples reached the model before
# the test. Two ways that happens without any error.
#
# **Preprocessing fitted on all the data.** Lesson 3 standardised the breast-cancer
# features with means and standard deviations of the **training rows only**. Fitting them
# on all rows lets every test row shift the numbers the model is trained with. On this
# table, measured:

# %%
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

bunch = breast_cancer()
raw_train, raw_test, label_train, label_test = train_test_split(
    bunch.data, 1 - bunch.target, test_size=0.2, stratify=1 - bunch.target, random_state=0)


def test_score(scaler):
    """Train logistic regression on the scaled training rows; accuracy and loss on the test rows."""
    def to_tensor(array):
        return torch.tensor(array, dtype=torch.float32)
    inputs, targets = to_tensor(scaler.transform(raw_train)), to_tensor(label_train)
    torch.manual_seed(0)
    model = nn.Linear(30, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(300):
        loss = F.binary_cross_entropy_with_logits(model(inputs).squeeze(1), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        test_logits = model(to_tensor(scaler.transform(raw_test))).squeeze(1)
    test_targets = to_tensor(label_test)
    return (((test_logits > 0).float() == test_targets).float().mean().item(),
            F.binary_cross_entropy_with_logits(test_logits, test_targets).item())


for name, scaler in (("training rows only", StandardScaler().fit(raw_train)),
                     ("all rows (leaky)", StandardScaler().fit(bunch.data))):
    test_accuracy, test_loss = test_score(scaler)
    print(f"scaler fitted on {name:<18}: test accuracy {test_accuracy:.4f}, test loss {test_loss:.4f}")

# %% [markdown]
# Compare the two lines: a mean and a standard deviation per feature carry little
# information about 114 test rows, so this leak is small here. It is still a leak (the
# score no longer measures what will happen on data that did not exist when you fitted
# the scaler), and it grows when the statistics are computed from few rows, or when the
# preprocessing looks at the labels (choosing features by their correlation with the
# label, exercise 4).
#
# **The same example on both sides.** Data sets assembled from several sources, scraped
# twice, or oversampled before splitting contain copies, and a random split puts one copy
# in training and another in test. Simulated with real images: a pool in which each
# Fashion-MNIST image appears twice, split 80/20 at random:

# %%
pool_size = pick(smoke=1_000, full=10_000)
train_images, train_labels = splits.train.tensors
pool_images = torch.cat([train_images[:pool_size], train_images[:pool_size]])  # each image twice
pool_labels = torch.cat([train_labels[:pool_size], train_labels[:pool_size]])
order = torch.randperm(len(pool_labels), generator=torch.Generator().manual_seed(0))
cut = int(0.8 * len(order))
leaky_train, leaky_test = order[:cut], order[cut:]


def fingerprint(image):
    """A hash of an image's exact pixel values: equal images, equal fingerprints."""
    return hashlib.sha1(image.numpy().tobytes()).hexdigest()


seen_in_training = {fingerprint(image) for image in pool_images[leaky_train]}
copies = sum(fingerprint(image) in seen_in_training for image in pool_images[leaky_test])
print(f"{len(leaky_train):,} training and {len(leaky_test):,} test images; "
      f"{copies:,} of the test images ({copies / len(leaky_test):.0%}) are also in training")

# %% [markdown]
# Fingerprinting every example (a hash of its bytes) finds exact copies quickly; near
# copies (a resized or re-encoded photo) need more, such as comparing embeddings. Now
# train on the leaky training part and score the model twice: on the leaky test part, and
# on the validation images, which it has never seen in any copy:

# %%
seed_everything(0)
leaky_model = make_mlp([256])
leaky_loader = DataLoader(TensorDataset(pool_images[leaky_train], pool_labels[leaky_train]),
                          batch_size=128, shuffle=True, generator=torch.Generator().manual_seed(0))
fit(leaky_model, leaky_loader, torch.optim.Adam(leaky_model.parameters(), lr=1e-3),
    epochs=pick(smoke=1, full=10), device=device, verbose=False)
leaky_score = accuracy(leaky_model, pool_images[leaky_test], pool_labels[leaky_test])
honest_score = accuracy(leaky_model, val_images, val_labels)
training_score = accuracy(leaky_model, pool_images[leaky_train], pool_labels[leaky_train])
print(f"training accuracy                  {training_score:.4f}")
print(f"leaky test accuracy (with copies)  {leaky_score:.4f}")
print(f"accuracy on unseen images          {honest_score:.4f}")
print(f"the leak adds {100 * (leaky_score - honest_score):+.1f} points")

# %% [markdown]
# For every test image that has a copy in training, the test measures memory, not
# generalisation, so the leaky score moves towards the training accuracy. The cure is the
# order of operations: remove duplicates (or group related examples, such as several
# photos of one patient, and split whole groups) **before** splitting, and fit every
# preprocessing step on the training part only.
#
# ### A silent bug that only the loss curve shows
#
# Shuffling the data set before training is good. Shuffling images and labels with **two
# different** permutations is a disaster that raises nothing: every image keeps a label,
# just not its own.

# %%
order = torch.randperm(len(train_labels))
right_data = TensorDataset(train_images[order], train_labels[order])  # one permutation for both
wrong_data = TensorDataset(train_images[torch.randperm(len(train_images))],
                           train_labels[torch.randperm(len(train_labels))])  # two: the bug
image_grid(wrong_data.tensors[0][:8], [FASHION_CLASSES[label] for label in wrong_data.tensors[1][:8]])
plt.show()

# %% [markdown]
# A glance at a few examples with their labels shows it at once, which is why looking at
# the data is the first debugging step of all. Training does not complain:

# %%
shuffle_epochs = pick(smoke=1, full=4)
histories = {}
for name, data in (("right", right_data), ("labels shuffled apart", wrong_data)):
    seed_everything(0)
    model = make_mlp([256])
    loader = DataLoader(data, batch_size=128, shuffle=True, generator=torch.Generator().manual_seed(0))
    histories[name] = fit(model, loader, torch.optim.Adam(model.parameters(), lr=1e-3),
                          epochs=shuffle_epochs, val_loader=loaders.val, device=device, verbose=False)
    print(f"{name:<22} training loss per epoch {[round(x, 3) for x in histories[name].train_loss]}, "
          f"final validation accuracy {histories[name].val_acc[-1]:.3f}")
print(f"loss of a model that gives every class probability 1/10: ln 10 = {math.log(10):.3f}")
plot_curves({f"{name}, {part}": getattr(history, f"{part}_loss")
             for name, history in histories.items() for part in ("train", "val")},
            xlabel="epoch", title="The same model, with labels shuffled apart from their images")
plt.show()

# %% [markdown]
# With the labels shuffled apart, no image says anything about its label, so the best a
# model can do is to predict 1/10 for every class, and its loss sits at about ln 10 while
# the correct run's falls. A loss that never leaves ln(number of classes) means the model
# learns nothing: suspect the labels, the data pipeline, or a learning rate of zero.
#
# A learning rate that falls to almost zero is the second silent bug here. A scheduler is meant to be
# stepped once per epoch (`fit` does so). `StepLR(step_size=2, gamma=0.5)` means "halve the
# rate every two epochs"; stepped after every **batch** instead, it halves the rate every
# two batches:

# %%
def train_with_step_lr(step_every_batch, epochs):
    """SGD with StepLR(step_size=2, gamma=0.5): per-epoch losses and learning rates."""
    seed_everything(0)
    model = make_mlp([256])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    epoch_losses, rates = [], []
    for _ in range(epochs):
        model.train()
        total, count = 0.0, 0
        for inputs, targets in loaders.train:
            loss = F.cross_entropy(model(inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if step_every_batch:
                scheduler.step()  # the bug: len(loaders.train) steps per epoch
            total, count = total + loss.item() * len(targets), count + len(targets)
        if not step_every_batch:
            scheduler.step()  # right: once per epoch
        epoch_losses.append(total / count)
        rates.append(optimizer.param_groups[0]["lr"])
    return epoch_losses, rates, model


schedule_epochs = pick(smoke=2, full=4)
schedules = {}
for name, per_batch in (("stepped per epoch", False), ("stepped per batch", True)):
    epoch_losses, rates, model = train_with_step_lr(per_batch, schedule_epochs)
    schedules[name] = epoch_losses
    print(f"{name}: training loss per epoch {[round(x, 4) for x in epoch_losses]}")
    print(f"{' ' * len(name)}  learning rate after each epoch {[f'{rate:.2g}' for rate in rates]}, "
          f"validation accuracy {accuracy(model, val_images, val_labels):.3f}")
print(f"{len(loaders.train)} batches per epoch: stepped per batch, StepLR halves the rate "
      f"{len(loaders.train) // 2} times in the first epoch")
plot_curves(schedules, xlabel="epoch", ylabel="training loss",
            title="StepLR(step_size=2, gamma=0.5), stepped per epoch and per batch")
plt.show()

# %% [markdown]
# Stepped per batch, the rate shrinks by a factor of two every two batches, so within the
# first epoch it falls by many orders of magnitude (the rates printed above), and the
# weights all but stop moving: compare how the two training losses change from epoch to
# epoch, and the two validation accuracies. Printing the learning rate once per epoch
# (`optimizer.param_groups[0]["lr"]`) catches this immediately.
#
# ## Part 3: a debugging routine
#
# Run these four checks on every new model, in this order, before any long training run:
# each takes seconds, and each catches a family of the bugs above.
#
# ### 1. Overfit one batch
#
# A model that works can learn **one** small batch by heart: 64 images, a few hundred steps,
# loss close to 0 and every answer right. If it cannot, no amount of data or epochs will
# help: something in the model, the loss or the loop is broken. The test is fast because it
# uses a single batch. Here it is on a correct model and on one with a classic bug, a
# `Softmax` at the end of a model trained with `CrossEntropyLoss` (which applies softmax
# itself, so the probabilities are "softmaxed" twice):

# %%
one_batch = [(images[:64], labels[:64])]  # a "loader" that always gives the same batch
overfit_steps = pick(smoke=60, full=300)
overfit = {}
for name, extra in (("correct model", []), ("softmax before CrossEntropyLoss", [nn.Softmax(dim=1)])):
    seed_everything(0)
    model = nn.Sequential(*make_mlp([256]), *extra)
    losses, _ = train_steps(model, torch.optim.Adam(model.parameters(), lr=1e-3), one_batch, overfit_steps)
    overfit[name] = losses
    print(f"{name:<32} final loss {losses[-1]:.4f}, "
          f"accuracy on the batch {accuracy(model, *one_batch[0]):.3f}")
print(f"lowest loss possible with a double softmax over 10 classes: ln(1 + 9/e) = {math.log(1 + 9 / math.e):.4f}")
plot_curves(overfit, log_y=True, title="Overfitting one batch of 64 images")
plt.show()

# %% [markdown]
# The correct model's loss keeps falling towards 0. With the extra softmax, the values that
# reach the loss are probabilities between 0 and 1, so the loss's own softmax can never
# give the right class more than e / (e + 9) and the loss stalls above ln(1 + 9/e), about
# 1.46, even when most answers are right. A loss stuck at a strange constant is the
# sign; the fix is to feed the loss raw logits.
#
# ### 2. Check shapes, and write them down
#
# Most shape bugs raise (Part 1); the dangerous ones broadcast silently. Walking one batch
# through the model layer by layer, with the expected shape written beside each step,
# takes a minute:

# %%
x = images[:32]  # (32, 1, 28, 28): batch, channel, height, width
for layer in with_flatten:
    x = layer(x)
    print(f"{type(layer).__name__:<8} -> {tuple(x.shape)}")
# Flatten -> (32, 784); Linear -> (32, 256); ReLU -> (32, 256); Linear -> (32, 10)

# %% [markdown]
# The silent case: a squared error written by hand for the one-column output of the
# tumour model. `(455, 1)` minus `(455,)` is not an error: broadcasting turns it into a
# 455 x 455 table of every prediction against every label, and its mean is a number, so
# training would run and optimise the wrong thing. An assertion on the shapes turns the
# silent bug into a loud one; `nn.MSELoss` at least warns:

# %%
predictions = torch.sigmoid(tumour_model(x_train))  # (455, 1)
difference = predictions - y_train  # (455, 1) - (455,) broadcasts to (455, 455)
print("difference:", tuple(difference.shape), "| its mean is a number:", f"{difference.pow(2).mean().item():.4f}")


def squared_error(predictions, targets):
    assert predictions.shape == targets.shape, f"shapes differ: {tuple(predictions.shape)} vs {tuple(targets.shape)}"
    return (predictions - targets).pow(2).mean()


show_error(lambda: squared_error(predictions, y_train))
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    nn.MSELoss()(predictions, y_train)
print(f"{caught[0].category.__name__}: {caught[0].message}")
print(f"fixed: {squared_error(predictions.squeeze(1), y_train).item():.4f}")

# %% [markdown]
# ### 3. Watch the gradient norms
#
# Gradients tell you whether each layer is learning. Their norm per step (recorded by
# `train_steps` above) shows an explosion building up over many steps before the loss
# turns NaN, as the learning-rate plots showed. Their norm **per layer** shows gradients that vanish on their way back to
# the first layers. Eight hidden layers with sigmoid activations against the same network
# with ReLU, one backward pass on the same batch:

# %%
def deep_network(activation, depth=8, width=128):
    layers = [nn.Flatten()]
    for index in range(depth):
        layers += [nn.Linear(784 if index == 0 else width, width), activation()]
    return nn.Sequential(*layers, nn.Linear(width, 10))


print(f"{'layer':>6} {'sigmoid':>10} {'ReLU':>10}   (gradient norm of each Linear layer's weights)")
layer_norms = {}
for activation in (nn.Sigmoid, nn.ReLU):
    seed_everything(0)
    model = deep_network(activation)
    F.cross_entropy(model(images), labels).backward()
    layer_norms[activation.__name__] = [layer.weight.grad.norm().item() for layer in model
                                        if isinstance(layer, nn.Linear)]
for index, (sigmoid_norm, relu_norm) in enumerate(zip(layer_norms["Sigmoid"], layer_norms["ReLU"]), start=1):
    print(f"{index:>6} {sigmoid_norm:>10.1e} {relu_norm:>10.1e}")

# %% [markdown]
# Read each column from the output layer (the bottom) up to the first. The sigmoid's slope
# is at most 1/4, and backpropagation multiplies by it once per layer, so its gradients
# shrink by orders of magnitude on the way back: the first layers barely learn. The ReLU
# network's gradients vary far less from layer to layer. Too small at the bottom: change the
# activation, the initialisation or add normalisation. Too large, or growing: lower the
# learning rate or clip the gradients.
#
# ### 4. Look inside with forward hooks
#
# A **forward hook** is a function that PyTorch calls every time a module has computed its
# output, with the module, its inputs and its output: a way to read the activations
# anywhere in a model without changing its code. `register_forward_hook` returns a handle;
# `handle.remove()` takes the hook off again (forgotten hooks keep running). Here a hook on
# every ReLU records what fraction of its outputs are exactly 0, and which units are 0 for
# every image, **dead** units that no longer pass anything on and, with a zero gradient,
# cannot recover:

# %%
def relu_report(model, inputs):
    """For each ReLU: share of zero outputs, and units that are zero for every input."""
    outputs = []

    def record(module, args, output):
        outputs.append(output.detach())

    handles = [layer.register_forward_hook(record) for layer in model.modules() if isinstance(layer, nn.ReLU)]
    model.eval()
    with torch.no_grad():
        model(inputs)
    for handle in handles:
        handle.remove()
    return [(output.eq(0).float().mean().item(), int(output.gt(0).sum(dim=0).eq(0).sum()), output.shape[1])
            for output in outputs]


for lr in (1e-3, 0.1):
    seed_everything(0)
    model = make_mlp([256, 256])
    train_steps(model, torch.optim.Adam(model.parameters(), lr=lr), loaders.train, steps)
    report = ", ".join(f"ReLU {index}: {zeros:.1%} zeros, {dead} of {width} units dead"
                       for index, (zeros, dead, width) in enumerate(relu_report(model, val_images[:2_000]), start=1))
    print(f"Adam, lr {lr:<6} {report}; validation accuracy {accuracy(model, val_images, val_labels):.3f}")

# %% [markdown]
# About half of a healthy ReLU layer's outputs are usually 0 for a given image, with
# different units active for different images. With Adam at a learning rate a hundred times
# too high, large updates push many units to where their input is negative for every
# image: compare the shares of zeros and the dead units above, and what they cost in
# accuracy. Hooks answer any "what is happening inside?" question the same way: activation
# means and spreads layer by layer, the first module that outputs a NaN (exercise 3),
# or the features a layer computes.
#
# ## Recap
#
# | What you see | Likely cause | Fix |
# |---|---|---|
# | `mat1 and mat2 shapes cannot be multiplied (AxB and CxD)` | B (what arrived) is not C (what the layer expects) | `nn.Flatten`, the right `in_features`, or `nn.LazyLinear` |
# | `expected target dtype to be Long or Byte, but got Float` | class labels as floats for `CrossEntropyLoss` | `labels.long()` |
# | `result type Float can't be cast to the desired output type Long` | integer targets for `BCEWithLogitsLoss` | `targets.float()` |
# | `Target size ... must be the same as input size` | `(N, 1)` logits against `(N,)` targets | `logits.squeeze(1)` |
# | `mat1 and mat2 must have the same dtype, but got Double and Float` | float64 data from NumPy | `torch.tensor(array, dtype=torch.float32)` |
# | `Expected all tensors to be on the same device` (or `Tensor on device ... is not on the expected device ...`) | model and batch on different devices | `inputs.to(device)` for every batch |
# | `Expected more than 1 value per channel when training` | batch norm in train mode with a batch of one | `model.eval()` to predict; `drop_last=True` to train |
# | a loss that swings more and more instead of settling | no `zero_grad()` | `zero_grad()` before every `backward()` |
# | noisy, lower scores; batch-norm statistics that drift | evaluating in train mode | `model.eval()` before evaluating |
# | loss `nan` or `inf` | learning rate too high, or `log(0)`, `0/0` | lower rate, clipping; losses on logits; `detect_anomaly` to find it |
# | test score close to the training score | duplicates across splits, preprocessing fitted on all data | deduplicate, then split; fit preprocessing on training data |
# | loss stuck at ln(classes) from the start | labels not matching their inputs | look at examples with their labels |
# | a training loss that stops changing | learning rate decayed to almost 0 (scheduler stepped per batch) | print the learning rate every epoch |
# | loss stuck at a strange constant | softmax before `CrossEntropyLoss` | feed logits to the loss |
#
# And the routine before any long run: overfit one batch; walk a batch through the model
# with its shapes; watch gradient norms per step and per layer; look inside with forward
# hooks when something is odd.
#
# ## Exercises
#
# Each exercise has a worked solution under it. Try it yourself first, then open the
# solution and compare.
#
# **1.** A convolutional network for 28x28 images has two 3x3 convolutions with
# `padding=1` and **one** 2x2 max-pooling, then `nn.Flatten()` and `nn.Linear(64 * 7 * 7, 10)`.
# Run it on a batch and read the error. Find the right `in_features` without doing the
# arithmetic by hand, in two ways: a dummy forward pass, and `nn.LazyLinear`.

# %% tags=["solution"]
features = nn.Sequential(
    nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(),  # (B, 32, 28, 28): padding 1 keeps 28x28
    nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),  # (B, 64, 28, 28)
    nn.MaxPool2d(2),  # (B, 64, 14, 14): only one halving, not two
    nn.Flatten(),  # (B, 64 * 14 * 14)
)
broken_cnn = nn.Sequential(*features, nn.Linear(64 * 7 * 7, 10))
show_error(lambda: broken_cnn(images[:8]))
# Way 1: push one dummy image through the feature part and read the width.
with torch.no_grad():
    width = features(torch.zeros(1, 1, 28, 28)).shape[1]
print("in_features needed:", width, "=", "64 * 14 * 14" if width == 64 * 14 * 14 else "?")
fixed_cnn = nn.Sequential(*features, nn.Linear(width, 10))
print("dummy-pass fix:", tuple(fixed_cnn(images[:8]).shape))
# Way 2: LazyLinear creates its weight at the first forward pass, from the input it gets.
lazy_cnn = nn.Sequential(*features, nn.LazyLinear(10))
print("LazyLinear fix:", tuple(lazy_cnn(images[:8]).shape), "| weight now", tuple(lazy_cnn[-1].weight.shape))
# The message said "(8x12544 and 3136x10)": 12544 = 64*14*14 features arrived, the layer
# expected 3136 = 64*7*7 (what two poolings would have left). With LazyLinear, run one
# batch before creating the optimizer, so that the optimizer sees the real weight.

# %% [markdown]
# **2.** Accumulate gradients on purpose: with the model of `train_steps`, call
# `backward()` on four batches of 32 (each loss divided by 4) before one `zero_grad()`, and
# check that the accumulated gradient equals the gradient of one batch of 128. Why divide
# by 4?

# %% tags=["solution"]
seed_everything(0)
model = make_mlp([256])
F.cross_entropy(model(images), labels).backward()  # one batch of 128
big_batch_gradient = model[1].weight.grad.clone()

model.zero_grad()
for piece in range(4):  # four batches of 32, accumulated
    part = slice(32 * piece, 32 * (piece + 1))
    (F.cross_entropy(model(images[part]), labels[part]) / 4).backward()
accumulated = model[1].weight.grad
print(f"largest difference: {(accumulated - big_batch_gradient).abs().max():.2e} "
      f"(gradient entries are up to {big_batch_gradient.abs().max():.2e})")
# The loss of a batch is a MEAN over its examples. The mean over 128 examples is the
# average of the four means over 32, i.e. (sum of the four) / 4, and the gradient of a
# sum is the sum of the gradients: so dividing each piece's loss by 4 makes the sum of
# the four gradients equal the big batch's gradient, up to float32 rounding. Without the
# division the step would be four times too big. (With batch norm the two would differ:
# its statistics depend on the batch size.)

# %% [markdown]
# **3.** Write a forward hook that raises as soon as any module outputs a value that is not
# finite, naming the module. Put it on every module of a model trained with SGD at
# learning rate 10 on the same batches as above (`nan_batches`), and find which layer
# produces the first non-finite output.

# %% tags=["solution"]
def stop_at_non_finite(name):
    def hook(module, args, output):
        if not torch.isfinite(output).all():
            bad = (~torch.isfinite(output)).sum().item()
            raise FloatingPointError(f"module {name!r} ({type(module).__name__}) output "
                                     f"{bad} non-finite values")
    return hook


seed_everything(0)
model = make_mlp([256])
handles = [module.register_forward_hook(stop_at_non_finite(name))
           for name, module in model.named_modules() if name]  # "" is the whole model
optimizer = torch.optim.SGD(model.parameters(), lr=10.0)
try:
    for step, (inputs, targets) in enumerate(nan_batches, start=1):
        loss = F.cross_entropy(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"{nan_steps} steps without a non-finite output")
except FloatingPointError as error:
    print(f"step {step}: {error}")
finally:
    for handle in handles:
        handle.remove()
print(model)
# Modules run in order, so the first hook to fire names the first layer whose output
# overflowed (the names are the indices in the model printed above). The loss check of
# the lesson could only say at which step things went wrong; the hooks also say where.

# %% [markdown]
# **4.** A leak that looks like care: make 100 examples with 1 000 features of pure noise
# and random 0/1 labels, keep the 10 features most correlated with the label, then split
# 70/30 and train logistic regression. Compare the test accuracy when the 10 features are
# chosen using all 100 rows and when they are chosen using the 70 training rows only
# (average over several draws). What accuracy should noise give?

# %% tags=["solution"]
def correlation_with(features, labels):
    """Pearson correlation of each column of features with labels."""
    centred_features = features - features.mean(dim=0)
    centred_labels = labels - labels.mean()
    return (centred_features * centred_labels[:, None]).sum(dim=0) / (
        centred_features.norm(dim=0) * centred_labels.norm())


def noise_test_accuracy(select_on_all_rows, generator):
    features = torch.randn(100, 1_000, generator=generator)
    labels = torch.randint(0, 2, (100,), generator=generator).float()
    train, test = slice(0, 70), slice(70, 100)
    rows = slice(0, 100) if select_on_all_rows else train
    chosen = correlation_with(features[rows], labels[rows]).abs().topk(10).indices
    model = nn.Linear(10, 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(200):
        loss = F.binary_cross_entropy_with_logits(model(features[train][:, chosen]).squeeze(1), labels[train])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        guesses = (model(features[test][:, chosen]).squeeze(1) > 0).float()
    return (guesses == labels[test]).float().mean().item()


draws = pick(smoke=3, full=20)
for select_on_all_rows in (True, False):
    generator = torch.Generator().manual_seed(0)  # the same draws of noise for both
    torch.manual_seed(0)
    scores = [noise_test_accuracy(select_on_all_rows, generator) for _ in range(draws)]
    print(f"features chosen on {'all rows' if select_on_all_rows else 'training rows only':<18}: "
          f"mean test accuracy over {draws} draws {sum(scores) / len(scores):.3f}")
# The data are noise, so the honest answer is 0.5: nothing can be predicted. Out of 1 000
# noise features, some correlate with the labels of any given 100 rows by chance. Chosen
# on all rows, they are the features that happen to fit the TEST rows' labels too, and
# the test score rises above chance for no real reason. Chosen on the training rows only,
# their chance fit does not carry over to the test rows, and the score falls back towards
# 0.5, which is the truth.

# %% [markdown]
# **5.** Train `make_mlp([512])` on 1 000 training images whose labels were shuffled apart
# from them, for many more epochs than above, and record the training and validation loss.
# Does the training loss stay at ln 10? What does that tell you about reading the training
# curve alone?

# %% tags=["solution"]
small_images, small_labels = train_images[:1_000], train_labels[:1_000]
random_labels = small_labels[torch.randperm(1_000, generator=torch.Generator().manual_seed(1))]
seed_everything(0)
memoriser = make_mlp([512])
memorise_loader = DataLoader(TensorDataset(small_images, random_labels), batch_size=100, shuffle=True,
                             generator=torch.Generator().manual_seed(0))
memorised = fit(memoriser, memorise_loader, torch.optim.Adam(memoriser.parameters(), lr=1e-3),
                epochs=pick(smoke=3, full=60), val_loader=loaders.val, device=device, verbose=False)
print(f"training loss: first epoch {memorised.train_loss[0]:.3f}, last {memorised.train_loss[-1]:.3f} "
      f"(training accuracy {memorised.train_acc[-1]:.3f})")
print(f"validation loss: first epoch {memorised.val_loss[0]:.3f}, last {memorised.val_loss[-1]:.3f} "
      f"(validation accuracy {memorised.val_acc[-1]:.3f})")
plot_curves({"training loss": memorised.train_loss, "validation loss": memorised.val_loss},
            xlabel="epoch", title="1 000 images with random labels")
plt.show()
# With about 400 000 weights for 1 000 images, the network can memorise arbitrary labels: the
# training loss falls (and the training accuracy climbs) although there is nothing to
# learn. The validation curve tells the truth: it does not improve, because the labels
# carry no information about new images. A falling training loss proves only that the
# loop works; whether the model learned anything general, only held-out data can say.

# %% [markdown]
# ## Next
#
# This is the last lesson for now. Go back to the [course map](../../) to revisit any
# topic, or try the models that the course trained on the [Demos page](../../demos/).
