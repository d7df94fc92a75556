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
# # 6. An ANN on Fashion-MNIST, on the GPU when there is one

# %% [markdown]
# ## What you will learn
#
# - What Fashion-MNIST is and how the course splits it into training, validation and test images.
# - The steps that move training onto a GPU: checking what is available (CUDA, Apple's MPS),
#   moving the model and every batch to the device, pinned memory with `non_blocking` copies,
#   bigger batches, and mixed precision (`torch.autocast` with float16 or bfloat16, and
#   `GradScaler`).
# - The training loop `learntorch.train.fit` that every later lesson calls, line by line.
# - How to judge a classifier beyond one number: learning curves, test accuracy, a confusion
#   matrix and the images it gets wrong.
#
# ## What this assumes
#
# Lessons 4 and 5: an `nn.Module`, an optimizer, a `DataLoader`, and a training loop you
# wrote by hand. No GPU is needed: every cell runs on a CPU, and the same code uses a GPU
# when it finds one.

# %%
import time

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

from learntorch.data import FASHION_CLASSES
from learntorch.device import describe, pick_device, seed_everything
from learntorch.plots import image_grid, plot_confusion, plot_history
from learntorch.profile import pick
from learntorch.show import show_source
from learntorch.train import evaluate, fit, predict
from learntorch.mlp import make_mlp
from learntorch.splits import fashion_splits, make_loaders

seed_everything(0)
print("torch", torch.__version__)

# %% [markdown]
# ## The data
#
# Fashion-MNIST has the same format as MNIST (28x28 greyscale images, 60 000 for training,
# 10 000 for testing, 10 classes) but shows clothes instead of digits. It was made because
# MNIST had become too easy: a shirt and a T-shirt are much harder to tell apart than a 1
# and a 7, so the numbers we get here say more about a model.
#
# We need three sets of images, each with one job:
#
# - **training** images: the model learns from these;
# - **validation** images: we watch these during training to choose settings (epochs,
#   learning rate, later the whole architecture) and to notice overfitting;
# - **test** images: looked at once, at the end, to report how well the final model does on
#   images nothing was tuned on.
#
# Fashion-MNIST only ships a train and a test set, so `fashion_splits` carves 10 000
# validation images out of the 60 000 training images with a seeded shuffle: the same
# images every run, in every lesson. It also scales the pixels from 0..255 to floats with
# mean 0 and standard deviation 1, which suits the first linear layer's initial weights.

# %%
show_source(fashion_splits)

# %%
sizes = pick(smoke=dict(train_size=2_000, val_size=1_000, test_size=1_000), full=dict())
splits = fashion_splits(**sizes)
for name, dataset in splits._asdict().items():
    images, labels = dataset.tensors
    print(f"{name:>5}: images {tuple(images.shape)} {images.dtype}, labels {tuple(labels.shape)}, "
          f"per class {torch.bincount(labels, minlength=10).tolist()}")
print(f"pixel mean {splits.train.tensors[0].mean():.3f}, std {splits.train.tensors[0].std():.3f}")

# %% [markdown]
# Two examples of each class, one class per column:

# %%
train_images, train_labels = splits.train.tensors
examples = [torch.nonzero(train_labels == label)[row].item() for row in range(2) for label in range(10)]
image_grid(train_images[examples], [FASHION_CLASSES[train_labels[i]] for i in examples], columns=10)
plt.show()

# %% [markdown]
# ## Training on a GPU, step by step
#
# A GPU runs thousands of multiply-adds at once, which is exactly what the matrix products
# inside a network need. PyTorch does not use it by itself: a tensor lives on one **device**,
# an operation runs on the device of its inputs, and mixing devices in one operation is an
# error. Getting training onto a GPU therefore comes down to five steps.
#
# ### 1. Check what is available
#
# - `torch.cuda.is_available()` is true on a machine with an NVIDIA GPU and a CUDA build of
#   PyTorch (AMD GPUs use the same `cuda` name through ROCm).
# - `torch.backends.mps.is_available()` is true on a Mac with Apple silicon: **MPS** (Metal
#   Performance Shaders) is Apple's GPU programming layer, and PyTorch's `mps` device runs
#   tensors on the Mac's built-in GPU.
# - Otherwise everything runs on the CPU.
#
# The box at the top of this page says which device produced its outputs; the cell below
# asks this machine.
#
# The course's `pick_device()` asks in that order, and lets you force a choice with the
# `LEARNTORCH_DEVICE` environment variable (e.g. `cpu`, to compare speeds).

# %%
show_source(pick_device)

# %%
print("CUDA available:", torch.cuda.is_available())
print("MPS available: ", torch.backends.mps.is_available())
device = pick_device()
print("training on:   ", device, "-", describe(device))

# %% [markdown]
# ### 2. Move the model to the device
#
# `model.to(device)` moves every parameter and buffer (such as batch norm's running
# statistics) and returns the model. Move the model first and create the optimizer
# afterwards, so the optimizer is handed the parameters where they will live.

# %%
model = make_mlp([512, 256]).to(device)
print(model)
print("parameters on:", {p.device for p in model.parameters()})
print(f"{sum(p.numel() for p in model.parameters()):,} parameters")

# %% [markdown]
# The model is the fully connected network (ANN, or multi-layer perceptron) of lesson 4,
# built by `make_mlp`: it flattens each 1x28x28 image into 784 numbers, then two hidden
# layers of 512 and 256 ReLU units, then 10 outputs, one **logit** per class.
# (The options for batch norm and dropout are the subject of lesson 7.)

# %%
show_source(make_mlp)

# %% [markdown]
# ### 3 and 4. Move every batch, in training and in evaluation
#
# The data loader hands out CPU tensors, so each batch is moved inside the loop, in the
# training loop *and* in the evaluation loop (forgetting the second is a classic error:
# "Expected all tensors to be on the same device").
#
# ```python
# for inputs, targets in loader:
#     inputs = inputs.to(device, non_blocking=True)
#     targets = targets.to(device, non_blocking=True)
#     logits = model(inputs)
# ```
#
# ### 5. Keep the GPU busy
#
# A GPU is fast only when it never waits. Three habits help.
#
# **Pinned memory and `non_blocking=True`.** Ordinary (pageable) memory can be moved around
# by the operating system, so the GPU cannot read it directly: CUDA first copies a batch into
# a page-locked ("pinned") staging buffer, then sends it to the GPU. `pin_memory=True` makes
# the data loader put each batch in pinned memory straight away, which removes that extra
# copy; and a copy from pinned memory can run in the background, so
# `.to(device, non_blocking=True)` returns at once and the GPU can start on the previous
# batch's work while the next batch travels. Without a CUDA GPU pinning buys nothing (PyTorch
# warns about it), so `make_loaders` turns it on only when CUDA is there:

# %%
batch_size = 256
loaders = make_loaders(splits, batch_size=batch_size)
inputs, targets = next(iter(loaders.train))
print("pin_memory:", loaders.train.pin_memory)
print("a batch:", tuple(inputs.shape), inputs.device, "pinned:", inputs.is_pinned())
inputs = inputs.to(device, non_blocking=True)  # returns at once when pinned and CUDA
print("after .to():", inputs.device)

# %% [markdown]
# How much does pinning save? Copy the whole training set (50 000 images as float32)
# from ordinary and from pinned host memory to the device:

# %%
def copy_seconds(host_tensor, repeats=5):
    host_tensor.to(device)  # warm up: the first copy also sets up CUDA's buffers
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(repeats):
        host_tensor.to(device, non_blocking=True)
    torch.cuda.synchronize()  # the copies are asynchronous: wait for them to finish
    return (time.perf_counter() - start) / repeats


if device.type == "cuda":
    all_images = train_images.contiguous()
    for name, host_tensor in (("pageable", all_images), ("pinned", all_images.pin_memory())):
        seconds = copy_seconds(host_tensor)
        print(f"{name:>8} memory -> {describe(device)}: {all_images.nbytes / 1e6:.0f} MB in "
              f"{seconds * 1000:.1f} ms, {all_images.nbytes / seconds / 1e9:.1f} GB/s")
else:
    print(f"{describe(device)}: no CUDA GPU here, so there is no copy for pinned memory to speed up")

# %% [markdown]
# **Bigger batches.** Each batch is one round of work for the device, and every round has
# a fixed cost: Python runs the loop body, and each layer's operation is launched
# separately. A small batch pays that cost many times per epoch and, on a GPU, leaves most
# of its thousands of cores idle; a larger one (256, 512, 1024 on a big GPU) spreads the
# cost over more images and fills the device up. Let's measure how many images per second
# a training step handles at several batch sizes, on this machine's CPU and, when there is
# one, on its GPU:

# %%
def images_per_second(batch_size, on, amp_dtype=None, images=pick(smoke=256, full=16_384)):
    """Training steps of the 784-512-256-10 network on random data: images per second."""
    model = make_mlp([512, 256]).to(on)
    optimizer = torch.optim.Adam(model.parameters())
    inputs = torch.randn(batch_size, 1, 28, 28, device=on)
    targets = torch.randint(0, 10, (batch_size,), device=on)

    def step():
        with torch.autocast(on.type, dtype=amp_dtype or torch.float32, enabled=amp_dtype is not None):
            loss = F.cross_entropy(model(inputs).float(), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    step()  # warm up: the first step also loads the device's kernels
    steps = max(1, images // batch_size)
    if on.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    if on.type == "cuda":
        torch.cuda.synchronize()  # GPU work is asynchronous: wait for it before reading the clock
    return steps * batch_size / (time.perf_counter() - start)


devices = [torch.device("cpu")] + ([device] if device.type != "cpu" else [])
print("images/s  " + "".join(f"{describe(d):>32}" for d in devices))
for size in (16, 64, 256, 1024, 4096):
    print(f"batch {size:>4}" + "".join(f"{images_per_second(size, d):>32,.0f}" for d in devices))

# %% [markdown]
# Bigger batches also mean fewer optimizer steps per epoch, so past a point they need a
# larger learning rate or more epochs to learn as much; 256 is a good middle for this model.
#
# **Mixed precision.** By default every number is a 32-bit float. Modern NVIDIA GPUs do
# 16-bit matrix products several times faster, on half the memory traffic. Under
# `torch.autocast`, PyTorch runs the operations that are safe in 16 bits (matrix products,
# convolutions) in a 16-bit type and keeps the sensitive ones (sums, softmax, losses) in
# float32. There are two 16-bit formats:
#
# - **float16** has 10 bits of mantissa but only 5 of exponent: its smallest normal number
#   is about 6e-5, so the tiny gradients of a deep network can **underflow** to zero. A
#   `GradScaler` multiplies the loss by a large factor before `backward()` (so the gradients
#   are large enough to survive), divides them back before the optimizer step, and skips
#   steps whose gradients overflowed.
# - **bfloat16** keeps float32's 8 exponent bits and has only 7 of mantissa: coarser, but
#   its normal numbers reach down to about 1e-38, exactly as far as float32's. Below that
#   both formats have a few *subnormal* numbers (fewer significant bits, ever closer to
#   zero), and there float32, with its longer mantissa, reaches further: about 1e-45
#   against bfloat16's 1e-40. No gradient of a sensible network is that small, so
#   bfloat16 needs no scaler. GPUs since NVIDIA's Ampere generation (and recent CPUs)
#   support it.

# %%
for dtype in (torch.float32, torch.float16, torch.bfloat16):
    info = torch.finfo(dtype)
    smallest = torch.tensor(info.smallest_normal, dtype=dtype)
    while smallest / 2 > 0:  # halve past the normal range until the next halving gives 0
        smallest = smallest / 2
    print(f"{str(dtype):>15}: max {info.max:.3g}, smallest normal {info.smallest_normal:.3g}, "
          f"smallest subnormal {smallest.item():.3g}, step after 1.0 {info.eps:.3g}")
gradients = torch.tensor([1e-3, 1e-6, 1e-8, 1e-39])
print("gradients in float32: ", gradients.tolist())
print("gradients in float16: ", gradients.to(torch.float16).tolist())
print("... scaled by 65536:  ", (gradients * 65536).to(torch.float16).float().div(65536).tolist())
print("gradients in bfloat16:", gradients.to(torch.bfloat16).tolist())

# %% [markdown]
# One mixed-precision training step looks like this. On a CUDA GPU it uses bfloat16 when the
# GPU has it and float16 with an active scaler otherwise; on a CPU, autocast supports
# bfloat16 only, and the scaler is switched off (it is a no-op when disabled).

# %%
def mixed_precision_step(model, inputs, targets, optimizer, scaler, dtype):
    with torch.autocast(device_type=inputs.device.type, dtype=dtype):
        logits = model(inputs)  # the matrix products run in `dtype`
        loss = F.cross_entropy(logits.float(), targets)  # the loss in float32
    optimizer.zero_grad()
    scaler.scale(loss).backward()  # loss x scale, so float16 gradients do not underflow
    scaler.step(optimizer)  # unscale; skip the step if a gradient is inf/NaN
    scaler.update()  # adapt the scale for the next step
    return logits.dtype, loss


if device.type == "cuda":
    amp_dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
else:
    amp_dtype = torch.bfloat16
scaler = torch.amp.GradScaler(device.type, enabled=amp_dtype == torch.float16)
amp_model = make_mlp([512, 256]).to(device)
amp_optimizer = torch.optim.Adam(amp_model.parameters())
inputs, targets = next(iter(loaders.train))
logits_dtype, loss = mixed_precision_step(amp_model, inputs.to(device), targets.to(device),
                                          amp_optimizer, scaler, amp_dtype)
print(f"on {device}: logits computed in {logits_dtype}, loss {loss.item():.3f} ({loss.dtype}), "
      f"scaler enabled: {scaler.is_enabled()}")

# %% [markdown]
# The logits came out in the 16-bit type: autocast really did run the network's matrix
# products in it. Does it pay? Training steps at a large batch, in float32 and under
# autocast, on each device of this machine:

# %%
print(f"images/s at batch 4096 {'float32':>22} {'autocast':>12}")
for d in devices:
    low = torch.bfloat16 if d.type == "cpu" else amp_dtype
    full, mixed = images_per_second(4096, d), images_per_second(4096, d, low)
    print(f"{describe(d):<32}{full:>12,.0f} {mixed:>12,.0f} in {low}: {mixed / full:.1f} x")

# %% [markdown]
# Whether it pays depends on the hardware. A GPU's matrix units run 16-bit products
# several times faster than 32-bit ones, though a network this small keeps them busy only
# briefly in each step, so it gains less than a large model would. CPUs differ from chip
# to chip: recent server CPUs have fast bfloat16 instructions, most laptop CPUs do not,
# and there the conversions to and from 16 bits only cost time. The course's loop, `fit`,
# therefore turns mixed precision on **only on CUDA**, where it reliably pays; on other
# devices it trains in plain float32. For the training below, on this page's device:

# %%
print("mixed precision during fit():",
      f"on, in {amp_dtype}" if device.type == "cuda" else "off (no CUDA GPU here): float32")

# %% [markdown]
# ## The training loop the course keeps using
#
# Lessons 3 to 5 wrote the loop by hand. From now on the lessons call
# `learntorch.train.fit`, which is that same loop with the steps above built in. Here it is
# in full:

# %%
show_source(fit)

# %% [markdown]
# Reading it from the top:
#
# 1. **Setup.** `device` defaults to `pick_device()`; the loss to cross-entropy; the model
#    moves to the device (GPU step 2). The `GradScaler` is enabled only for float16 on CUDA.
# 2. **Each epoch** starts with `model.train()`, which switches layers such as dropout and
#    batch norm to their training behaviour (lesson 7 shows why that matters).
# 3. **Each batch** is moved to the device with `non_blocking=True` (GPU steps 3 and 5), and
#    the forward pass and loss run under `_autocast`, which is mixed precision on CUDA and a
#    no-op elsewhere. `_flatten` lets the sequence models of lessons 11 and 12 use the same
#    loop.
# 4. **The update** is the one you know: `zero_grad` (with `set_to_none=True`, which frees
#    the gradient memory instead of filling it with zeros), `backward` (through the scaler),
#    optional gradient clipping (for the recurrent networks of lessons 11 and 12), and
#    `optimizer.step` (through the scaler).
# 5. **Bookkeeping:** the loss and the number of correct predictions are summed over the
#    epoch. `loss.item()` copies one number back from the device; doing that once per batch
#    is cheap, while printing tensors inside the loop would be slow on a GPU.
# 6. **After the epoch:** the learning-rate scheduler (if any) takes a step, and
#    `evaluate` measures the validation set in `model.eval()` mode under `torch.no_grad()`
#    (no graph is built, so it is faster and uses less memory).
# 7. **Early stopping** (`patience`), used in lesson 7, keeps a copy of the best weights and
#    puts them back at the end.
#
# `fit` returns a `History` with one entry per epoch for the training and validation loss
# and accuracy.
#
# ## Training
#
# Adam with a learning rate of 1e-3, and a **cosine schedule** that lowers the learning rate
# smoothly towards zero over the run: big steps early to make progress, small steps at the
# end to settle into a good minimum instead of bouncing around it.

# %%
seed_everything(0)
model = make_mlp([512, 256])
epochs = pick(smoke=1, full=15)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
history = fit(model, loaders.train, optimizer, epochs=epochs, val_loader=loaders.val,
              scheduler=scheduler, device=device)
print(f"trained {history.epochs} epochs in {sum(history.seconds):.0f} s on {describe(device)}")

# %%
plot_history(history, "Fashion-MNIST, ANN 784-512-256-10")
plt.show()

# %% [markdown]
# Look at the two curves side by side. The training loss keeps falling epoch after epoch,
# while the validation loss soon levels off: from there on the network mostly learns
# details of its own training images that do not carry over to new ones. That gap between
# training and validation is lesson 7's subject.
#
# ## Test accuracy
#
# Now, once, the test set: 10 000 images that neither training nor any of our choices saw.

# %%
test_loss, test_acc = evaluate(model, loaders.test, device=device)
train_loss, train_acc = evaluate(model, loaders.train, device=device)
print(f"train accuracy {train_acc:.4f}")
print(f"test accuracy  {test_acc:.4f}  (test loss {test_loss:.4f})")

# %% [markdown]
# For scale: the best fully connected network in Fashion-MNIST's official benchmark table
# reaches about 0.88; convolutional networks (lesson 9) get past 0.9 more easily, and the
# best models reach about 0.96.
#
# ## Where it goes wrong
#
# One accuracy figure hides *which* mistakes the model makes. A **confusion matrix** counts,
# for every true class (row), how often each class was predicted (column); the diagonal
# holds the correct answers.

# %%
predictions, truths = predict(model, loaders.test, device=device)
plot_confusion(predictions, truths, FASHION_CLASSES, "test set")
plt.show()

# %%
confusion = torch.bincount(truths * 10 + predictions, minlength=100).reshape(10, 10)
confusion.fill_diagonal_(0)
counts, flat = confusion.flatten().topk(4)
print("most frequent mistakes (true -> predicted):")
for count, index in zip(counts.tolist(), flat.tolist()):
    print(f"  {FASHION_CLASSES[index // 10]:>12} -> {FASHION_CLASSES[index % 10]:<12} {count} times")
per_class = [(predictions[truths == c] == c).float().mean().item() for c in range(10)]
print("accuracy per class:")
for c in sorted(range(10), key=lambda c: per_class[c]):
    print(f"  {FASHION_CLASSES[c]:>12} {per_class[c]:.3f}")

# %% [markdown]
# On Fashion-MNIST the upper-body garments (T-shirt/top, pullover, coat, shirt) are where
# most errors usually are, with "Shirt" the weakest class: at 28x28 pixels in grey, a shirt,
# a pullover and a coat can have almost the same outline. Trousers, bags and sandals, with
# shapes of their own, are nearly always right. Some misclassified test images, with the
# true and the predicted label:

# %%
test_images, _ = splits.test.tensors
wrong = torch.nonzero(predictions != truths).squeeze(1)[:24]
image_grid(test_images[wrong],
           [f"true {FASHION_CLASSES[truths[i]]}\npred {FASHION_CLASSES[predictions[i]]}" for i in wrong],
           columns=8)
plt.show()

# %% [markdown]
# Several of these are hard for a person too, and a few labels are arguably wrong. A model
# that sees each image as 784 unrelated numbers has no notion of edges, collars or
# sleeves; the convolutional networks of lesson 9 do.
#
# ## Recap
#
# - Fashion-MNIST: 60 000 training and 10 000 test images of clothes; we keep 10 000 of the
#   training images apart as a validation set and touch the test set only at the end.
# - GPU training in five steps: check the device (`cuda`, `mps`, else `cpu`), move the
#   model with `.to(device)`, move every batch in both training and evaluation, then keep
#   the device busy: pinned memory with `non_blocking=True` copies, bigger batches, mixed
#   precision with `torch.autocast` (float16 plus a `GradScaler`, or bfloat16 without one).
# - `learntorch.train.fit` is the hand-written loop of earlier lessons with those steps
#   built in; it returns per-epoch training and validation metrics.
# - A confusion matrix and a look at the mistakes show which classes the model mixes up,
#   which a single accuracy figure cannot.
#
# ## Exercises
#
# Each exercise has a worked solution under it. Try it yourself first, then open the
# solution and compare.
#
# **1.** Train the same model with `torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)`
# instead of Adam. How do the curves and the test accuracy compare?

# %% tags=["solution"]
solution_epochs = pick(smoke=1, full=10)


def train_and_test(model, optimizer, data=loaders, scheduled=True, on=device):
    """fit() for solution_epochs epochs (cosine schedule unless scheduled=False); returns
    the history and the test accuracy."""
    scheduler = (torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=solution_epochs)
                 if scheduled else None)
    history = fit(model, data.train, optimizer, epochs=solution_epochs, val_loader=data.val,
                  scheduler=scheduler, device=on, verbose=False)
    return history, evaluate(model, data.test, device=on)[1]


seed_everything(0)
adam_model = make_mlp([512, 256])
adam_history, adam_test = train_and_test(adam_model, torch.optim.Adam(adam_model.parameters(), lr=1e-3))
seed_everything(0)
sgd_model = make_mlp([512, 256])
sgd_history, sgd_test = train_and_test(sgd_model, torch.optim.SGD(sgd_model.parameters(), lr=0.1,
                                                                  momentum=0.9))
for name, history_, test in (("Adam", adam_history, adam_test), ("SGD + momentum", sgd_history, sgd_test)):
    print(f"{name:<15} train loss {history_.train_loss[-1]:.4f}, validation loss "
          f"{history_.val_loss[-1]:.4f}, test accuracy {test:.4f}")
print(f"SGD minus Adam, test accuracy: {100 * (sgd_test - adam_test):+.1f} points")
plot_history(sgd_history, "SGD with momentum 0.9, lr 0.1")
plt.show()
# Compare the training losses too: the optimizer with the lower one has fitted the
# training images more closely, and the gap to its validation loss shows how much of that
# carries over to new images. Momentum SGD is sensitive to its learning rate; Adam's
# per-weight step sizes make it forgiving, which is why it is the usual first choice.

# %% [markdown]
# **2.** Remove the scheduler (pass `scheduler=None`). What happens to the validation
# curve in the last epochs?

# %% tags=["solution"]
seed_everything(0)
constant_model = make_mlp([512, 256])
constant_history, constant_test = train_and_test(
    constant_model, torch.optim.Adam(constant_model.parameters(), lr=1e-3), scheduled=False)
print("last validation losses, cosine schedule:", [round(x, 4) for x in adam_history.val_loss[-3:]])
print("last validation losses, constant rate:  ", [round(x, 4) for x in constant_history.val_loss[-3:]])
print(f"test accuracy: cosine {adam_test:.4f}, constant {constant_test:.4f}")
# With a constant learning rate the last epochs still take full-size steps, so the
# weights never settle: the validation loss keeps moving from epoch to epoch. The cosine
# schedule's shrinking steps let them settle at the end of the run. Which of the two
# ends with the lower validation loss here is printed above.

# %% [markdown]
# **3.** Try one hidden layer of 128 units, then three of 1024. Note the parameter count,
# the time per epoch and the test accuracy of each. Is the biggest model the best one?

# %% tags=["solution"]
for hidden_sizes in ([128], [512, 256], [1024, 1024, 1024]):
    seed_everything(0)
    candidate = make_mlp(hidden_sizes)
    candidate_history, candidate_test = train_and_test(candidate, torch.optim.Adam(candidate.parameters(), lr=1e-3))
    print(f"hidden {str(hidden_sizes):<20} {sum(p.numel() for p in candidate.parameters()):>9,} parameters, "
          f"{sum(candidate_history.seconds) / candidate_history.epochs:5.1f} s per epoch, lowest validation "
          f"loss {min(candidate_history.val_loss):.4f}, test accuracy {candidate_test:.4f}")
# Compare the gains with the costs: the largest network has almost thirty times the
# parameters of the smallest. A fully connected network on 784 pixels runs out of things
# it can learn well before it runs out of capacity; extra width mostly lets it fit its own
# training images more closely (lesson 7).

# %% [markdown]
# **4.** Without the normalisation in `fashion_splits` (feed `images.float() / 255`
# instead), does training get slower or worse? Why might it?

# %% tags=["solution"]
from torch.utils.data import TensorDataset

from learntorch.splits import FASHION_MEAN, FASHION_STD, Splits

# Undo the standardisation: x * std + mean is the image / 255 again, in [0, 1].
unit_splits = Splits(*(TensorDataset(part.tensors[0] * FASHION_STD + FASHION_MEAN, part.tensors[1])
                       for part in splits))
seed_everything(0)
unit_model = make_mlp([512, 256])
unit_history, unit_test = train_and_test(unit_model, torch.optim.Adam(unit_model.parameters(), lr=1e-3),
                                         data=make_loaders(unit_splits, batch_size=batch_size))
print(f"pixel mean {unit_splits.train.tensors[0].mean():.3f}, std {unit_splits.train.tensors[0].std():.3f}")
for name, history_, test in (("standardised", adam_history, adam_test), ("pixels / 255", unit_history, unit_test)):
    print(f"{name:<13} validation loss after epoch 1 {history_.val_loss[0]:.4f}, at the end "
          f"{history_.val_loss[-1]:.4f}; test accuracy {test:.4f}")
# With inputs in [0, 1] (mean 0.29), every first-layer unit gets the same positive push
# from all 784 pixels, so its output starts far from zero and the gradients of its weights
# all point the same way at first. Standardised inputs (mean 0, std 1) avoid that. Adam's
# per-weight step sizes make up for part of the difference; plain SGD suffers more.

# %% [markdown]
# **5.** If you have a GPU (Colab gives one for free), run this lesson there, then again
# with `LEARNTORCH_DEVICE=cpu`. Compare the seconds per epoch and the `images_per_second`
# table. Which batch size does the GPU need before it is clearly faster than the CPU?

# %% tags=["solution"]
# Rather than rerunning the page, time one epoch of fit() on each device of this machine.
for candidate_device in devices:
    seed_everything(0)
    timed_model = make_mlp([512, 256])
    timed = fit(timed_model, loaders.train, torch.optim.Adam(timed_model.parameters(), lr=1e-3), epochs=1,
                device=candidate_device, verbose=False)
    print(f"one epoch of fit() on {describe(candidate_device)}: {timed.seconds[0]:.1f} s")
if len(devices) > 1:
    faster = [size for size in (16, 64, 256, 1024, 4096)
              if images_per_second(size, device) > 2 * images_per_second(size, devices[0])]
    print("batch sizes at which the GPU trains more than twice as many images per second as the CPU:",
          faster or "none")
else:
    print("only a CPU here: run this cell where there is a GPU to compare")
# For a network this small, much of an epoch is the DataLoader's work on the CPU
# (indexing the dataset, collating and copying batches), which a GPU does not speed up.
# The table of images per second, on random data already on the device, shows what the
# device itself can do.

# %% [markdown]
# **6.** Show twenty training images of each class in the most confused pair above with
# `image_grid`. Could you tell them apart at 28x28? What would help a model do it?

# %% tags=["solution"]
true_class, predicted_class = divmod(flat[0].item(), 10)  # the most frequent mistake above
for label in (true_class, predicted_class):
    examples = torch.nonzero(train_labels == label).squeeze(1)[:20]
    image_grid(train_images[examples], [FASHION_CLASSES[label]] * 20, columns=10)
    plt.show()
# Many pairs are hard even for a person: the outlines are nearly the same, and what
# differs (a collar, buttons, a zip, the texture of knitwear) is a few pixels wide. A
# model that looks for such small local patterns wherever they are, a convolutional
# network, does better: lesson 9.

# %% [markdown]
# ## Next
#
# The network above fits its training images better and better while the validation
# loss stalls. [Lesson 7, overfitting and its cures](../07_overfitting/) measures that gap
# and what closes it: dropout, batch norm, weight decay and early stopping.
