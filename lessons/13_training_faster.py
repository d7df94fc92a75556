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
# # 13. Training faster on one machine

# %% [markdown]
# ## What you will learn
#
# - How to time a training step so that the number means something, and how to read the
#   table of top operations that `torch.profiler` prints for one.
# - Five changes that often make training faster, each measured on its own against the
#   same baseline: DataLoader workers and `pin_memory`, mixed precision (`torch.autocast`
#   with bfloat16), `torch.compile` (its compile time against its step time), the
#   `channels_last` memory layout for a convolutional network, and larger batches with
#   the learning rate scaled to match.
# - How to read the resulting table of speedups, and what to try first on a GPU.
#
# ## What this assumes
#
# Lesson 5 (DataLoader workers and pinned memory), lesson 6 (devices, `torch.autocast`
# and the training loop `fit`) and lesson 9 (the digit CNN). Every cell runs on a CPU;
# on a machine with a CUDA GPU the same cells measure the GPU instead.

# %%
import logging
import math
import os
import statistics
import tempfile
import time

import torch
import torch.nn.functional as F
from torch.profiler import ProfilerActivity, profile, record_function
from torch.utils.data import DataLoader, Subset
from torchvision import transforms

from learntorch.data import mnist
from learntorch.device import describe, pick_device, seed_everything
from learntorch.digits.model import MNIST_MEAN, MNIST_STD, DigitCNN, normalise_digits
from learntorch.digits.recipe import DigitBatches, plain_loader
from learntorch.profile import pick
from learntorch.splits import image_splits
from learntorch.train import evaluate, fit

device = pick_device()
print("torch", torch.__version__, "| device:", describe(device), "|", os.cpu_count(), "CPU cores")

# %% [markdown]
# ## Measure first
#
# Speeding up code you have not measured is guesswork: the slow part is rarely where you
# expect it. So this lesson measures everything, on the digit CNN of lesson 9 training on
# real MNIST batches of 128 images. Three habits make a timing trustworthy:
#
# - **Warm up.** The first step pays one-off costs (allocating memory, choosing kernels,
#   compiling), so it is run once before the clock starts.
# - **Wait for the device.** A GPU runs its work in the background: Python queues the
#   kernels and carries on. `torch.cuda.synchronize()` waits until the queue is empty;
#   without it the clock measures only how fast Python queued the work.
# - **Repeat, take turns, take the median.** Other programs share the machine, and its load
#   changes from second to second. Timing each candidate in several rounds, the candidates
#   taking turns within each round, exposes them to the same load; the median of the rounds
#   ignores the odd slow one.

# %%
def synchronize():
    if device.type == "cuda":
        torch.cuda.synchronize()  # wait until the GPU has finished what was queued


def time_steps(candidates: dict, rounds: int = pick(smoke=2, full=5),
               steps: int = pick(smoke=1, full=5)) -> dict[str, float]:
    """Median seconds per call of each candidate function, over ``rounds`` rounds of ``steps``
    calls, the candidates taking turns within each round."""
    for run in candidates.values():  # warm up
        run()
    times = {name: [] for name in candidates}
    for _ in range(rounds):
        for name, run in candidates.items():
            synchronize()
            start = time.perf_counter()
            for _ in range(steps):
                run()
            synchronize()
            times[name].append((time.perf_counter() - start) / steps)
    return {name: statistics.median(values) for name, values in times.items()}


# %% [markdown]
# The model, its optimizer and one training step, as in lesson 6 (`fresh_model` seeds
# before it builds, so every candidate starts from the same weights). `amp_dtype` turns on
# mixed precision, used further down.

# %%
def fresh_model(**to_args):
    seed_everything(0)
    model = DigitCNN().to(device, **to_args)
    return model, torch.optim.AdamW(model.parameters(), lr=1e-3)


def training_step(model, optimizer, inputs, targets, amp_dtype=None, scaler=None):
    with torch.autocast(device.type, dtype=amp_dtype or torch.float32, enabled=amp_dtype is not None):
        loss = F.cross_entropy(model(inputs).float(), targets)
    optimizer.zero_grad(set_to_none=True)
    if scaler is None:
        loss.backward()
        optimizer.step()
    else:  # float16 on CUDA: scale the loss so that small gradients survive (lesson 6)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    return loss


(train_x, train_y), (val_x, val_y), _ = image_splits("MNIST")
batch_size = 128
inputs = normalise_digits(train_x[:batch_size].unsqueeze(1).float() / 255).to(device)  # (128, 1, 28, 28)
targets = train_y[:batch_size].to(device)
model, optimizer = fresh_model()
baseline = time_steps({"float32": lambda: training_step(model, optimizer, inputs, targets)})["float32"]
print(f"one training step, batch {batch_size}, on {describe(device)}: {baseline * 1000:.1f} ms "
      f"({batch_size / baseline:,.0f} images/s)")

# %% [markdown]
# ## Where the time goes: the profiler
#
# The profiler records every operation PyTorch runs (on the GPU too, when asked to) with
# its duration. `record_function` puts a named label around a block, so the forward pass,
# the backward pass and the optimizer step show up as rows of their own.

# %%
os.environ["KINETO_LOG_LEVEL"] = "6"  # keep the profiler library's own log lines off the page
activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
with profile(activities=activities) as profiler:
    for _ in range(pick(smoke=2, full=10)):
        with record_function("forward"):
            loss = F.cross_entropy(model(inputs), targets)
        with record_function("backward"):
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
        with record_function("optimizer step"):
            optimizer.step()
    synchronize()
sort_by = "self_device_time_total" if device.type == "cuda" else "self_cpu_time_total"
print(profiler.key_averages().table(sort_by=sort_by, row_limit=12, max_name_column_width=40))

# %% [markdown]
# Each row is one kind of operation, summed over all its calls. Two kinds of time matter:
#
# - **Self** time is spent in the operation itself. Sorting by it (as above) puts the
#   operations that really do the work at the top.
# - **Total** time also counts everything the operation called. Our labels `forward`,
#   `backward` and `optimizer step` do nothing themselves, so their self time is near
#   zero and they sit far down this table; their total time is the time of that whole
#   phase.
#
# The names are PyTorch's internal operators (`aten::...`, the library every tensor
# operation ends in). A convolution appears as `aten::convolution` and, below it, the
# kernel that runs it (`mkldnn_convolution` on a CPU, a cuDNN kernel on an NVIDIA GPU);
# its gradient as `aten::convolution_backward`; batch norm as `aten::native_batch_norm`;
# max pooling as `aten::max_pool2d_with_indices`; a `Linear` layer as `aten::addmm` or
# `aten::mm` (matrix products); ReLU's gradient as `aten::threshold_backward`. Summed up
# by phase and by kind of layer:

# %%
averages = {event.key: event for event in profiler.key_averages()}


def self_time(event):  # on a GPU, the time its kernels ran; on a CPU, the time the CPU spent
    return event.self_device_time_total if device.type == "cuda" else event.self_cpu_time_total


def phase_time(event):
    return event.device_time_total if device.type == "cuda" else event.cpu_time_total


phases = {name: phase_time(averages[name]) for name in ("forward", "backward", "optimizer step")}
for name, microseconds in phases.items():
    print(f"{name:>15}: {microseconds / sum(phases.values()):6.1%} of the step")
ranked = sorted(averages.values(), key=self_time, reverse=True)
everything = sum(self_time(event) for event in ranked)
print(f"the top operation: {ranked[0].key}, {self_time(ranked[0]) / everything:.1%} of self time")
if device.type == "cpu":  # GPU kernels have names of their own (cuDNN's, Triton's): read the table
    kinds = {"convolution": ("conv",), "batch norm": ("batch_norm",), "max pooling": ("max_pool",),
             "linear (matrix products)": ("addmm", "aten::mm")}
    for kind, fragments in kinds.items():
        share = sum(self_time(event) for event in ranked if any(f in event.key for f in fragments)) / everything
        print(f"{kind:>24}: {share:6.1%} of self time (forward and backward)")

# %% [markdown]
# Read the table from the top: the operations there are where a faster step has to come
# from, and the shares above say which layers they belong to on this device. Time in
# operations that do little arithmetic (pooling, batch norm, ReLU, the many small
# element-wise steps) is spent mostly moving data through memory; that is what fusing
# operations with `torch.compile` attacks. Time in the convolutions and matrix products
# is arithmetic, which faster number formats (mixed precision) and layouts
# (channels_last) attack. Many calls of little time each point to overhead per
# operation, which larger batches spread over more images. The profiler can also record memory (`profile_memory=True`),
# tensor shapes (`record_shapes=True`), and export a timeline for Perfetto or Chrome's
# trace viewer (`profiler.export_chrome_trace("trace.json")`).
#
# Now the changes, one at a time, each against its own baseline measured in the same
# rounds.

# %%
speedups = {}  # change -> (seconds before, seconds after), for the table at the end

# %% [markdown]
# ## 1. DataLoader workers and pinned memory
#
# So far the batch sat ready in memory. Real training reads images and augments them,
# one at a time, as torchvision's transforms do; lesson 5 showed that `num_workers`
# processes can do that work in parallel. The question here is whether it makes
# *training* faster: the workers now compete for the same CPU cores as the training
# step itself. Each image below is randomly rotated, shifted and scaled as a PIL image,
# then turned into a normalised tensor.

# %%
augment_each = transforms.Compose([
    transforms.RandomAffine(degrees=15, translate=(0.1, 0.1), scale=(0.9, 1.1)),
    transforms.ToTensor(),                          # PIL (28, 28) -> (1, 28, 28) in [0, 1]
    transforms.Normalize((MNIST_MEAN,), (MNIST_STD,)),
])
pass_images = pick(smoke=256, full=1_920)
dataset = Subset(mnist(train=True, transform=augment_each), range(pass_images))
worker_counts = sorted({0, 2, min(os.cpu_count() or 1, 8)})


def make_loader(workers: int, pin: bool = False) -> DataLoader:
    # persistent_workers: the workers start once and serve every pass (lesson 5)
    return DataLoader(dataset, batch_size=batch_size, shuffle=True, num_workers=workers,
                      persistent_workers=workers > 0, pin_memory=pin)


def one_pass(loader, model, optimizer):
    """Train on every batch of ``loader`` once."""
    for batch_inputs, batch_targets in loader:
        training_step(model, optimizer, batch_inputs.to(device, non_blocking=True),
                      batch_targets.to(device, non_blocking=True))


loaders = {f"{workers} workers": make_loader(workers) for workers in worker_counts}
if device.type == "cuda":  # pinned memory speeds up copies to a CUDA GPU only (lesson 6)
    loaders[f"{max(worker_counts)} workers, pinned"] = make_loader(max(worker_counts), pin=True)
model, optimizer = fresh_model()
pass_seconds = time_steps({name: lambda loader=loader: one_pass(loader, model, optimizer)
                           for name, loader in loaders.items()}, rounds=pick(smoke=1, full=3), steps=1)
for name, seconds in pass_seconds.items():
    print(f"{name:>18}: {seconds:6.2f} s for {pass_images} images ({pass_images / seconds:6,.0f} images/s)")
del loaders  # stops the workers

# %%
with_workers = [name for name in pass_seconds if name != "0 workers" and "pinned" not in name]
best_workers = min(with_workers, key=pass_seconds.get)  # the fastest count above 0
speedups[f"DataLoader: {best_workers} (vs 0)"] = (pass_seconds["0 workers"], pass_seconds[best_workers])
if device.type == "cuda":
    pinned = f"{max(worker_counts)} workers, pinned"
    speedups["pin_memory (vs not pinned)"] = (pass_seconds[f"{max(worker_counts)} workers"], pass_seconds[pinned])
else:
    print(f"{describe(device)}: no CUDA GPU, so no copy for pinned memory to speed up (not measured)")
print(f"{best_workers}: {pass_seconds['0 workers'] / pass_seconds[best_workers]:.2f} x the speed of "
      f"loading in the training process (above 1: faster)")

# %% [markdown]
# With 0 workers the training process augments every image itself, and the model waits
# for it. With workers, augmenting the next batches overlaps with training on this one, as
# long as there are cores to spare; on a machine with few cores the training step itself
# wants them all, and the workers take them away. Which count won on this machine is
# printed above. When the batches are already tensors in memory (as in `DigitBatches`, the
# digit recipe's loader, which augments a whole batch at once), there is nothing for
# workers to do, and `num_workers=0` is the right choice.
#
# ## 2. Mixed precision
#
# Lesson 6 introduced `torch.autocast`: matrix products and convolutions run in a 16-bit
# type, the sensitive operations stay in float32. On CUDA that is bfloat16 when the GPU
# has it (float16 with a `GradScaler` otherwise); on a CPU autocast uses bfloat16. Whether
# it pays depends on the hardware: recent server CPUs and every recent NVIDIA GPU have
# fast bfloat16 units, many laptop CPUs do not, and there the conversions cost more than
# they save.

# %%
if device.type == "cuda" and not torch.cuda.is_bf16_supported():
    amp_dtype = torch.float16
else:
    amp_dtype = torch.bfloat16
scaler = torch.amp.GradScaler(device.type) if amp_dtype == torch.float16 else None
fp32_model, fp32_optimizer = fresh_model()
amp_model, amp_optimizer = fresh_model()
seconds = time_steps({
    "float32": lambda: training_step(fp32_model, fp32_optimizer, inputs, targets),
    "autocast": lambda: training_step(amp_model, amp_optimizer, inputs, targets, amp_dtype, scaler),
})
with torch.autocast(device.type, dtype=amp_dtype):
    print("under autocast the logits come out in", amp_model(inputs).dtype)
for name, value in seconds.items():
    print(f"{name:>9}: {value * 1000:6.1f} ms per step")
speedups[f"autocast {str(amp_dtype).removeprefix('torch.')} (vs float32)"] = (seconds["float32"], seconds["autocast"])

# %% [markdown]
# Which of the two was faster on this page's device is printed above. Mixed precision also
# halves the memory that activations take, which allows larger batches on a GPU. The
# course's `fit` turns it on only on CUDA, where it reliably pays; on a CPU it is worth
# the measurement above before you rely on it.
#
# ## 3. Compiling the model
#
# In normal ("eager") mode PyTorch runs one operation at a time: each reads its inputs
# from memory, computes, and writes its result back, and Python decides what comes next.
# `torch.compile(model)` traces the model's forward pass into a graph (TorchDynamo),
# derives the backward graph from it ahead of time, and hands both to a compiler
# (TorchInductor by default) that **fuses** chains of small operations into single
# kernels: C++ with OpenMP on a CPU, Triton on a GPU. Fused kernels touch memory once
# instead of once per operation, and Python drops out of the loop.
#
# The price is paid up front: the first call compiles, which takes seconds to minutes.
# PyTorch caches compiled code on disk, so a later run of the same model compiles
# faster; to measure the cost a first run pays, the cell points that cache at a fresh
# folder.

# %%
os.environ["TORCHINDUCTOR_CACHE_DIR"] = tempfile.mkdtemp(prefix="inductor-")  # a cold cache
# A CUDA build of PyTorch on a machine without CUDA says so while compiling: not needed here.
logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)
backend = pick(smoke="eager", full="inductor")  # the smoke profile only traces (seconds)
eager_model, eager_optimizer = fresh_model()
compiled_model, compiled_optimizer = fresh_model()
compiled = torch.compile(compiled_model, backend=backend)  # same weights, shared with compiled_model


def first_call_seconds(model) -> float:
    synchronize()
    start = time.perf_counter()
    training_step(model, compiled_optimizer, inputs, targets)
    synchronize()
    return time.perf_counter() - start


compile_seconds = first_call_seconds(compiled)
seconds = time_steps({
    "eager": lambda: training_step(eager_model, eager_optimizer, inputs, targets),
    "compiled": lambda: training_step(compiled, compiled_optimizer, inputs, targets),
})
print(f"backend {backend}: the first call took {compile_seconds:.1f} s (compiling, cold cache)")
for name, value in seconds.items():
    print(f"{name:>9}: {value * 1000:6.1f} ms per step")
speedups["torch.compile, per step (vs eager)"] = (seconds["eager"], seconds["compiled"])

# %% [markdown]
# Does it pay? Compiling costs the first call's time; each later step saves the
# difference between the eager and the compiled step. Compiling again, as a second
# run of the same program would, shows what the on-disk cache saves:

# %%
saving = seconds["eager"] - seconds["compiled"]
if saving > 0:
    print(f"each compiled step saves {saving * 1000:.1f} ms: the compile time is paid back after "
          f"{compile_seconds / saving:,.0f} steps ({compile_seconds / saving / math.ceil(55_000 / batch_size):.1f} "
          f"epochs of MNIST's 55 000 training images)")
else:
    print("the compiled step was not faster here, so compiling never pays back on this device")
torch.compiler.reset()  # forget the compiled code in memory; the disk cache stays
compiled = torch.compile(compiled_model, backend=backend)
print(f"compiling again, with the cache warm: {first_call_seconds(compiled):.1f} s")

# %% [markdown]
# Whether the compiled step is faster depends on the model and the device, and the
# numbers above say it for this one: fusion speeds up chains of small operations, while
# the large convolutions and matrix products run through much the same kernels as
# before. Where compiling pays, it pays on long runs, not short experiments. Keep the
# shapes steady: a new input shape (a smaller last batch, a different sequence length) can trigger a new
# compilation (`drop_last=True` in the DataLoader avoids the odd last batch;
# `torch.compile(model, dynamic=True)` compiles once for varying sizes). `mode=
# "reduce-overhead"` (CUDA graphs, for small GPU steps) and `mode="max-autotune"`
# (tries several kernels per operation) trade more compile time for faster steps.
#
# ## 4. The channels-last memory layout
#
# A batch of images is a 4-d tensor (batch, channels, height, width), but memory is one
# long line of numbers, so the tensor also has a **layout**: the order in which its
# elements are stored. PyTorch's default, NCHW, stores each channel as a whole image,
# one after the other. **channels_last** (NHWC) stores, for each pixel, all its channels
# side by side, which is the order convolution kernels on modern CPUs (oneDNN) and on
# NVIDIA's tensor cores prefer. The shape stays the same; only the strides (how many
# elements to skip to move one step along each axis) change:

# %%
features = torch.randn(2, 32, 14, 14)  # (batch, channels, height, width)
nhwc = features.contiguous(memory_format=torch.channels_last)
print("shape", tuple(features.shape), "| strides NCHW:", features.stride(), "| channels_last:", nhwc.stride())

# %% [markdown]
# In channels_last the channel axis has stride 1: neighbouring numbers in memory are the
# channels of one pixel. To use it, convert both the model (its convolution weights) and
# the inputs; the layers pass the layout on.

# %%
nchw_model, nchw_optimizer = fresh_model()
nhwc_model, nhwc_optimizer = fresh_model(memory_format=torch.channels_last)
nhwc_inputs = inputs.contiguous(memory_format=torch.channels_last)
seconds = time_steps({
    "NCHW": lambda: training_step(nchw_model, nchw_optimizer, inputs, targets),
    "channels_last": lambda: training_step(nhwc_model, nhwc_optimizer, nhwc_inputs, targets),
})
for name, value in seconds.items():
    print(f"{name:>13}: {value * 1000:6.1f} ms per step")
speedups["channels_last (vs NCHW)"] = (seconds["NCHW"], seconds["channels_last"])

# %% [markdown]
# channels_last matters only for convolutional networks (a fully connected layer has no
# channels to reorder), and most on GPUs under mixed precision, where tensor cores read
# NHWC directly. What it changed on this device is printed above.
#
# ## 5. Larger batches, with the learning rate scaled
#
# A step has a fixed cost (Python, launching each operation) on top of its arithmetic.
# A larger batch spreads that cost over more images and so raises the images per second,
# until the device is busy anyway. On a CPU that point can come early, and a batch whose
# activations no longer fit in the processor's caches can even take longer per image.
#
# An epoch of larger batches also takes fewer steps: 8 times the batch, an eighth of the
# steps. Each step moves the weights by about the learning rate, so with the same rate
# the model travels less far per epoch. The usual fix is to raise the rate with the
# batch: for SGD, **linear scaling** (k times the batch, k times the rate, warmed up over
# the first steps); for Adam, whose steps do not grow with the gradient, the **square
# root** of k is a common starting point. Such rules keep the distance travelled per
# epoch; they cannot give back the steps themselves. Measured: the digit CNN trained with
# AdamW for the same epochs on the same images, at batch 64, and at batch 512 with the
# rate unchanged and scaled by the square root of 8.

# %%
train_images = pick(smoke=512, full=6_000)
batch_epochs = pick(smoke=1, full=2)
small_batch, big_batch, base_lr = 64, 512, 1e-3
scale = big_batch / small_batch
batch_setups = {f"batch {small_batch}, lr {base_lr:g}": (small_batch, base_lr),
                f"batch {big_batch}, lr {base_lr:g}": (big_batch, base_lr),
                f"batch {big_batch}, lr {base_lr * math.sqrt(scale):.2g} (x sqrt {scale:.0f})":
                    (big_batch, base_lr * math.sqrt(scale))}
val_loader = plain_loader(val_x[:2_000], val_y[:2_000])
batch_results = {}
for name, (size, lr) in batch_setups.items():
    model, _ = fresh_model()
    history = fit(model, DigitBatches(train_x[:train_images], train_y[:train_images], batch_size=size,
                                      augmented=False),
                  torch.optim.AdamW(model.parameters(), lr=lr), epochs=batch_epochs, device=device,
                  verbose=False)
    val_loss, val_acc = evaluate(model, val_loader, device=device)
    batch_results[name] = (sum(history.seconds), val_acc)
    steps = batch_epochs * math.ceil(train_images / size)
    print(f"{name:<32} {steps:>4} steps, {sum(history.seconds):5.1f} s "
          f"({batch_epochs * train_images / sum(history.seconds):6,.0f} images/s), validation accuracy {val_acc:.4f}")

# %%
small, big = list(batch_results)[0], list(batch_results)[1]
speedups[f"batch {big_batch} (vs {small_batch}), whole epochs"] = (batch_results[small][0], batch_results[big][0])
best_big = max(list(batch_results)[1:], key=lambda name: batch_results[name][1])
print(f"best validation accuracy at batch {big_batch}: {best_big} ({batch_results[best_big][1]:.4f}), "
      f"against {batch_results[small][1]:.4f} at batch {small_batch}")

# %% [markdown]
# The images per second show the speed; the validation accuracy shows how much each run
# learned in the same epochs. Whether the scaled rate brought batch 512 closer to batch
# 64's accuracy is printed above. With as few steps as a short run like this gives a
# large batch, every step counts, and a large rate from the very first step, before the
# weights have settled, can overshoot; recipes that train large batches for long warm
# the rate up over the first steps. Past a point a larger batch stops paying: the model
# needs more epochs to make up for the missing steps, and they take back the time the
# batch saved (exercise 5 measures that trade).
#
# ## The speedups, measured on this page's device

# %%
print(f"on {describe(device)}:")
print(f"{'change':<40} {'before':>10} {'after':>10} {'speedup':>8}")
for name, (before, after) in speedups.items():
    print(f"{name:<40} {before:>9.3f}s {after:>9.3f}s {before / after:>7.2f}x")
print(f"torch.compile's compile time: {compile_seconds:.1f} s (first call, cold cache)")
faster = [name for name, (before, after) in speedups.items() if before / after > 1.05]
print("more than 5% faster here:", "; ".join(faster) or "none")

# %% [markdown]
# A speedup above 1 means the change made that part faster on this device; below 1,
# slower. The rows are measured on separate baselines (a step, a pass through a loader,
# whole epochs), so they do not simply multiply, and on another machine they come out
# differently: that is the point of measuring. Two rules hold everywhere: change one
# thing at a time, and keep what the measurement supports.
#
# ### What to try first on a GPU
#
# On a GPU the same measurements apply, and the order to try them in is usually:
#
# 1. **Keep the GPU fed.** Watch its utilisation (`nvidia-smi`) while training. If it
#    idles, the data pipeline is the bottleneck: DataLoader workers, `pin_memory=True`
#    with `non_blocking=True` copies, or data kept on the GPU as the course's
#    `ImageBatches` does ([lesson 6](../06_fashion_ann_gpu/) walks through these).
# 2. **Mixed precision.** bfloat16 autocast on GPUs that have it (NVIDIA since Ampere),
#    float16 with a `GradScaler` on older ones: the matrix units run 16-bit products
#    much faster, and activations take half the memory.
# 3. **Larger batches** until the memory is nearly full, with the learning rate scaled
#    and warmed up.
# 4. **channels_last** for convolutional networks under mixed precision, and
#    `torch.backends.cudnn.benchmark = True` when input sizes stay fixed.
# 5. **`torch.compile`** for long runs, once everything above works.
#
# Run this page on a GPU (Colab has one) to get its table for that device.
#
# ## Recap
#
# - Time steps after a warm-up, synchronise with the GPU before reading the clock, and
#   let candidates take turns over several rounds; report the median.
# - `torch.profiler.profile` with `record_function` labels shows where a step's time goes;
#   sort the table by self time to find the operations that do the work.
# - DataLoader workers pay off when each example needs real CPU work and there are
#   cores to spare; `pin_memory` helps copies to a CUDA GPU only.
# - `torch.autocast` with bfloat16 runs the heavy products in 16 bits: a gain where the
#   hardware has fast 16-bit units, a loss where it has not.
# - `torch.compile` fuses operations into compiled kernels; its compile time must be
#   repaid by a saving per step, if the compiled step saves anything on your device.
# - `channels_last` (NHWC) is the layout convolution kernels prefer; convert model and
#   inputs.
# - Larger batches spread each step's fixed cost over more images but take fewer steps
#   per epoch; a larger learning rate (linear in the batch for SGD, about its square
#   root for Adam) is the starting point for making up the steps. Measure both the
#   images per second and what the model learns.
#
# ## Exercises
#
# Each exercise has a worked solution under it. Try it yourself first, then open the
# solution and compare.
#
# **1.** Profile the step under autocast. How much of its time goes to converting numbers
# between float32 and the 16-bit type, against the float32 step?

# %% tags=["solution"]
with profile(activities=activities) as amp_profiler:
    for _ in range(pick(smoke=2, full=10)):
        training_step(amp_model, amp_optimizer, inputs, targets, amp_dtype, scaler)
    synchronize()
amp_events = amp_profiler.key_averages()


def conversion_share(events) -> float:
    total = sum(self_time(event) for event in events)
    return sum(self_time(event) for event in events if event.key in ("aten::_to_copy", "aten::copy_")) / total


print(f"conversions (aten::_to_copy, aten::copy_): {conversion_share(profiler.key_averages()):.1%} of self "
      f"time in float32, {conversion_share(amp_events):.1%} under autocast")
# Autocast converts each weight and input to the 16-bit type before each product
# (aten::_to_copy, which writes through aten::copy_) and converts some results back:
# that bookkeeping is the price of mixed precision. It pays only when the 16-bit
# products save more than the conversions cost, which is what the step times in
# section 2 decided for this device.

# %% [markdown]
# **2.** Combine the changes that helped on this device (of mixed precision and
# channels_last) into one step. Is the combined speedup the product of the two?

# %% tags=["solution"]
helped = {"autocast": speedups[next(k for k in speedups if k.startswith("autocast"))],
          "channels_last": speedups["channels_last (vs NCHW)"]}
use_amp = helped["autocast"][0] > helped["autocast"][1]
use_nhwc = helped["channels_last"][0] > helped["channels_last"][1]
plain_model, plain_optimizer = fresh_model()
both_model, both_optimizer = fresh_model(**({"memory_format": torch.channels_last} if use_nhwc else {}))
both_inputs = nhwc_inputs if use_nhwc else inputs
seconds = time_steps({
    "baseline": lambda: training_step(plain_model, plain_optimizer, inputs, targets),
    "combined": lambda: training_step(both_model, both_optimizer, both_inputs, targets,
                                      amp_dtype if use_amp else None, scaler if use_amp else None),
})
expected = math.prod(before / after for name, (before, after) in helped.items()
                     if (name == "autocast" and use_amp) or (name == "channels_last" and use_nhwc))
print(f"combined: autocast {'on' if use_amp else 'off'}, channels_last {'on' if use_nhwc else 'off'}")
print(f"measured speedup {seconds['baseline'] / seconds['combined']:.2f} x; product of the single "
      f"speedups {expected:.2f} x")
# Speedups multiply only when they act on different parts of the step. Both changes
# act on the convolutions: when the combination falls short of the product, the two were
# partly saving the same time; when it beats the product, each made the other more
# effective, as on GPUs, whose tensor cores want 16-bit numbers in NHWC order.

# %% [markdown]
# **3.** Which of the digit CNN's two convolution layers costs more, and why? Profile
# with `record_shapes=True` and group the table by input shape; then count each layer's
# multiply-adds by hand.

# %% tags=["solution"]
with profile(activities=activities, record_shapes=True) as shape_profiler:
    for _ in range(pick(smoke=1, full=5)):
        training_step(nchw_model, nchw_optimizer, inputs, targets)
    synchronize()
per_call = {}  # weight shape -> milliseconds per forward call
for event in shape_profiler.key_averages(group_by_input_shape=True):
    if event.key == "aten::convolution":  # forward convolutions; shapes: input, weight, ...
        per_call[tuple(event.input_shapes[1])] = phase_time(event) / event.count / 1000
        print(f"input {event.input_shapes[0]}, weight {event.input_shapes[1]}: "
              f"{per_call[tuple(event.input_shapes[1])]:.2f} ms per call")
# Multiply-adds of a 3 x 3 convolution per image: output pixels x output channels x
# input channels x 9. Layer 1 sees 1 channel at 28 x 28, layer 2 32 channels at 14 x 14.
first = 28 * 28 * 32 * 1 * 9
second = 14 * 14 * 64 * 32 * 9
print(f"multiply-adds per image: layer 1 {first:,}, layer 2 {second:,} ({second / first:.0f} x); "
      f"measured time, layer 2 / layer 1: {per_call[(64, 32, 3, 3)] / per_call[(32, 1, 3, 3)]:.1f} x")
# The second layer has a quarter of the pixels but 32 times the input channels and twice
# the output channels, so 16 times the arithmetic. Whether its measured time is 16 times
# larger too (printed above) shows how well each layer uses the hardware: the first
# layer, with a single input channel, does little arithmetic per number it reads and
# writes, so memory traffic rather than arithmetic tends to set its pace.

# %% [markdown]
# **4.** The timings above used batches already in memory. How long does the augmenting
# DataLoader of section 1 take to deliver one pass without any training, and what share
# of a training pass is that?

# %% tags=["solution"]
loader = make_loader(0)
start = time.perf_counter()
for _ in loader:
    pass
loading_only = time.perf_counter() - start
print(f"loading and augmenting {pass_images} images, no training: {loading_only:.2f} s; a pass with "
      f"training took {pass_seconds['0 workers']:.2f} s ({loading_only / pass_seconds['0 workers']:.0%} of it)")
# With 0 workers the two add up: the model waits for the loader, then the loader for the
# model. The share printed is the most that workers could hide behind training (if
# they had cores of their own); the rest is the training step itself.

# %% [markdown]
# **5.** Larger batches need fewer steps per epoch. Train batch 512 with the best
# learning rate above for twice as many epochs. Does it now reach the small batch's
# accuracy, and is it still faster overall?

# %% tags=["solution"]
size, lr = batch_setups[best_big]
model, _ = fresh_model()
history = fit(model, DigitBatches(train_x[:train_images], train_y[:train_images], batch_size=size,
                                  augmented=False),
              torch.optim.AdamW(model.parameters(), lr=lr), epochs=2 * batch_epochs, device=device, verbose=False)
longer_acc = evaluate(model, val_loader, device=device)[1]
small_seconds, small_acc = batch_results[small]
print(f"batch {size}, {2 * batch_epochs} epochs: {sum(history.seconds):.1f} s, validation accuracy {longer_acc:.4f}")
print(f"batch {small_batch}, {batch_epochs} epochs: {small_seconds:.1f} s, validation accuracy {small_acc:.4f}")
# More epochs give the large batch back the steps it lacked. If it now matches the small
# batch's accuracy in less time, the larger batch was a real gain on this device; if it
# needs longer to get there, the small batch was already the faster way to a good model.

# %% [markdown]
# ## Next
#
# Everything here used one process. [Lesson 14: Many processes, many
# machines](../14_distributed/) spreads training over several processes and machines
# with PyTorch's DistributedDataParallel under `torchrun`, and runs an Optuna search
# with several workers sharing one study.
