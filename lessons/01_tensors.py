# %% [markdown]
# # 1. Tensors

# %% [markdown]
# Everything a neural network touches is a tensor: the images and sentences it reads,
# the weights it learns, the gradients that tell it how to change, the loss that
# scores it. Before building any model it pays to be fluent with this one data
# structure: how to make tensors, what their shapes mean, how many bytes they cost and
# how to bend them into the shape the next layer expects.
#
# **What you will learn**
#
# - what a tensor is, and what it adds to a NumPy array (GPUs, automatic gradients);
# - tensors of rank 0 to 5, each with the real data it typically holds: a loss, a word
#   embedding, a grayscale digit, a colour photo, a batch of photos, a batch of video clips;
# - the ways to create tensors, and how a tensor can share memory with a NumPy array;
# - every data type PyTorch offers, from `float64` down to 8-bit floats and quantized
#   integers, what each costs in memory and what it loses in precision;
# - arithmetic, matrix multiplication and reductions;
# - in-place operations: the memory they save and the bugs they can cause;
# - reshaping: `view`, `reshape`, `flatten`, `permute`, `transpose`, `squeeze`, `unsqueeze`;
# - broadcasting, worked through on the per-channel normalisation of an image batch;
# - moving tensors to a GPU when there is one.
#
# **What this assumes:** Python, and a first acquaintance with NumPy arrays (indexing,
# `shape`). No machine learning yet.

# %%
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_sample_image

from learntorch.data import image_tensors
from learntorch.device import describe, pick_device, seed_everything
from learntorch.plots import describe as describe_figure, image_grid
from learntorch.profile import pick

seed_everything(0)
torch.set_printoptions(precision=4, sci_mode=False)
print("PyTorch", torch.__version__)

# %% [markdown]
# ## What a tensor is, and why not just use NumPy
#
# A tensor is an n-dimensional array of numbers that all share one data type, stored in
# one block of memory, plus a little bookkeeping: its **shape** (how many entries along
# each axis), its **dtype** (what kind of number each entry is) and its **device** (which
# processor's memory holds it). The number of axes is the tensor's **rank** (PyTorch calls
# it `ndim`).
#
# NumPy arrays already look like this. PyTorch tensors add three things deep learning needs:
#
# 1. **They run on accelerators.** The same code runs on a CPU, an NVIDIA GPU (CUDA) or an
#    Apple GPU (MPS); a GPU performs the huge matrix products of a network many times faster.
# 2. **They remember how they were computed.** A tensor created with `requires_grad=True`
#    records every operation applied to it, so PyTorch can later compute derivatives
#    automatically. That is *autograd*, the subject of the next lesson, and it is what
#    makes training possible.
# 3. **One structure for all data.** Pixels, audio samples, word indices, model weights,
#    gradients and the loss are all tensors, so one library of fast operations serves
#    the whole pipeline.
#
# The learnable part of a network is nothing but tensors. Here is a layer that maps a
# flattened 28x28 image to 10 class scores: its weights and biases are two tensors.

# %%
layer = torch.nn.Linear(in_features=28 * 28, out_features=10)
for name, parameter in layer.named_parameters():
    print(f"{name:6s} shape={tuple(parameter.shape)}  dtype={parameter.dtype}  "
          f"device={parameter.device}  requires_grad={parameter.requires_grad}")

# %% [markdown]
# ## Ranks 0 to 5, with real data
#
# ### Rank 0: a scalar, such as a loss
#
# A single number. The loss a network minimises is the classic example: the whole
# batch's error boiled down to one value. Below, a classifier's scores (*logits*) for two
# images over three classes are compared with the true classes; `cross_entropy` returns a
# tensor with no axes at all.

# %%
logits = torch.tensor([[2.0, 0.5, -1.0],
                       [0.1, 0.3, 2.2]])
true_classes = torch.tensor([0, 2])
loss = torch.nn.functional.cross_entropy(logits, true_classes)
print("loss:", loss)
print("ndim:", loss.ndim, " shape:", loss.shape, " as a Python float:", loss.item())

# %% [markdown]
# ### Rank 1: a vector, such as a word embedding
#
# A list of numbers. In language models every word of the vocabulary is mapped to a
# vector of learned numbers, its *embedding*; words used in similar ways end up with
# similar vectors (lesson 11 builds one). An embedding table is a matrix with one row per
# word; looking a word up returns a row, a rank-1 tensor. This table is still untrained,
# so its numbers are random, but the shapes are the real ones.

# %%
vocabulary = ["the", "cat", "sat", "on", "mat"]
embeddings = torch.nn.Embedding(num_embeddings=len(vocabulary), embedding_dim=8)
cat_vector = embeddings.weight[vocabulary.index("cat")].detach()
print("embedding of 'cat':", cat_vector)
print("ndim:", cat_vector.ndim, " shape:", cat_vector.shape)

# %% [markdown]
# ### Rank 2: a matrix, such as a grayscale image
#
# A grid of numbers: rows and columns. A grayscale image is exactly that, one brightness
# value per pixel. Here is the first handwritten digit of the MNIST test set, 28 rows by
# 28 columns of bytes from 0 (black) to 255 (white).

# %%
test_images, test_labels = image_tensors("MNIST", False)  # (10000, 28, 28) uint8, (10000,) int64
digit = test_images[0]  # (28, 28)
print("label:", test_labels[0].item(), " ndim:", digit.ndim, " shape:", digit.shape,
      " dtype:", digit.dtype)
print("pixels in rows 7-16, columns 14-21 (the red box), where the stroke turns:")
print(digit[7:17, 14:22])

fig, ax = plt.subplots(figsize=(3, 3))
ax.imshow(digit, cmap="gray")
ax.add_patch(plt.Rectangle((13.5, 6.5), 8, 10, fill=False, edgecolor="red"))
ax.set_title(f"MNIST test image 0: a {test_labels[0].item()}")
ax.axis("off")
describe_figure(fig, f"MNIST test image 0, a handwritten {test_labels[0].item()}: 28 x 28 grayscale pixels, "
                     "white stroke on black, with a red box around rows 7-16, columns 14-21.")
plt.show()

# %% [markdown]
# ### Rank 3: a colour image
#
# A colour image stores three brightness values per pixel (red, green, blue), so it needs
# a third axis. Which axis comes first is a *convention*, and two are common:
#
# - image files, Pillow, NumPy and matplotlib use **(height, width, channels)**, "HWC":
#   rows first, because an image is stored row by row;
# - PyTorch's layers (and torchvision's transforms) expect **(channels, height, width)**,
#   "CHW", channels first, so that each channel is one contiguous 2D plane.
#
# You will also see shapes written as *width x height x channels* (as in "a 256x256 RGB
# image has shape [256, 256, 3]"). For a square image the numbers agree, but for any
# other image the array really has the height first. The photo below (shipped with
# scikit-learn) is 640 pixels wide and 427 tall: its array is 427 x 640 x 3.

# %%
china_hwc = torch.tensor(load_sample_image("china.jpg"))  # (427, 640, 3) uint8, as stored in the file
china = china_hwc.permute(2, 0, 1)  # (3, 427, 640): channels first, the layout PyTorch layers expect
print("as read from the file (H, W, C):", tuple(china_hwc.shape))
print("for PyTorch           (C, H, W):", tuple(china.shape))

fig, axes = plt.subplots(1, 4, figsize=(14, 2.6))
axes[0].imshow(china_hwc)
axes[0].set_title("RGB photo")
for ax, channel, name in zip(axes[1:], china, ("red", "green", "blue")):
    ax.imshow(channel, cmap="gray")  # each channel is a (427, 640) matrix
    ax.set_title(f"{name} channel")
for ax in axes:
    ax.axis("off")
describe_figure(fig, f"scikit-learn's sample photo china.jpg ({china.shape[2]} x {china.shape[1]} pixels), "
                     "then its red, green and blue channels, each shown as a grayscale image.")
plt.show()

# %% [markdown]
# ### Rank 4: a batch of images
#
# Networks process many examples at once: it keeps the hardware busy and averages the
# gradient over more data. Stacking images along a new first axis gives a batch of shape
# **(batch, channels, height, width)**, "NCHW". Here are 32 random 128x128 crops of the
# photo, the shape a CNN would receive.

# %%
crop = 128
tops = torch.randint(0, china.shape[1] - crop, (32,))
lefts = torch.randint(0, china.shape[2] - crop, (32,))
image_batch = torch.stack([china[:, top:top + crop, left:left + crop]
                           for top, left in zip(tops, lefts)])  # (32, 3, 128, 128)
print("image batch:", tuple(image_batch.shape), image_batch.dtype)
image_grid(image_batch[:8].permute(0, 2, 3, 1), columns=8)  # matplotlib wants (H, W, C)
plt.show()

# %% [markdown]
# ### Rank 5: a batch of video clips
#
# A video clip is a sequence of frames, each frame an image, so a batch of clips has five
# axes. Below, 10 clips of 16 frames are cut from the photo by sliding a 64x64 window
# across it, like a camera panning: shape **(clips, frames, channels, height, width)**.
# Video models often want the channels before the frames, (N, C, T, H, W), which is
# one `permute` away.

# %%
small_china = torch.nn.functional.interpolate(china[None].float(), size=(160, 240), antialias=True,
                                              mode="bilinear")[0]  # (3, 160, 240)
clips, frames, size, step = 10, 16, 64, 4


def panning_clip(top: int, left: int) -> torch.Tensor:
    """16 frames of a 64x64 window moving right by 4 pixels per frame: (16, 3, 64, 64)."""
    return torch.stack([small_china[:, top:top + size, left + step * t:left + step * t + size]
                        for t in range(frames)])


video_batch = torch.stack([panning_clip(top=8 * c, left=10 * c) for c in range(clips)])  # (10, 16, 3, 64, 64)
print("video batch (N, T, C, H, W):", tuple(video_batch.shape))
print("same, channels before time (N, C, T, H, W):", tuple(video_batch.permute(0, 2, 1, 3, 4).shape))

first_clip = (video_batch[0].permute(0, 2, 3, 1) / 255).clamp(0, 1)  # (16, 64, 64, 3) for display
image_grid(first_clip, titles=[f"frame {t}" for t in range(frames)], columns=8)
plt.show()

# %% [markdown]
# The six tensors side by side. `numel()` counts the entries; memory is entries times
# bytes per entry.

# %%
examples = {"loss (scalar)": loss, "word embedding": cat_vector, "grayscale digit": digit,
            "RGB photo": china, "image batch": image_batch, "video batch": video_batch}
print(f"{'example':16s} {'rank':>4s}  {'shape':22s} {'entries':>10s} {'dtype':>14s} {'bytes':>10s}")
for name, tensor in examples.items():
    print(f"{name:16s} {tensor.ndim:4d}  {str(tuple(tensor.shape)):22s} {tensor.numel():10,d} "
          f"{str(tensor.dtype):>14s} {tensor.numel() * tensor.element_size():10,d}")

# %% [markdown]
# ## Creating tensors
#
# From Python data with `torch.tensor` (the dtype is inferred: integers become `int64`,
# decimals `float32`), or filled by a recipe: `zeros`, `ones`, `full`, `rand` (uniform on
# [0, 1)), `randn` (standard normal), `arange` (a range), `linspace` (evenly spaced),
# `eye` (identity). The `*_like` variants copy another tensor's shape and dtype.

# %%
print(torch.tensor([1, 2, 3]).dtype, torch.tensor([1.0, 2.0]).dtype, torch.tensor([True, False]).dtype)
print("zeros:   ", torch.zeros(2, 3))
print("ones:    ", torch.ones(2, 3, dtype=torch.int32))
print("full:    ", torch.full((2, 2), 7.5))
print("rand:    ", torch.rand(2, 3))
print("randn:   ", torch.randn(2, 3))
print("arange:  ", torch.arange(0, 10, 2))
print("linspace:", torch.linspace(0, 1, 5))
print("eye:     ", torch.eye(3))
print("zeros_like(digit):", torch.zeros_like(digit).shape, torch.zeros_like(digit).dtype)

# %% [markdown]
# ### From NumPy, with and without shared memory
#
# `torch.from_numpy(array)` wraps the array's memory without copying: a change through
# either name is visible through the other, and `tensor.numpy()` goes back the same way
# (for CPU tensors). `torch.tensor(array)` always copies. We can see whether two tensors
# share memory by comparing the address of their first byte, `data_ptr()`.

# %%
array = np.array([1.0, 2.0, 3.0], dtype=np.float32)
shared = torch.from_numpy(array)
copied = torch.tensor(array)
array[0] = 100.0  # change the NumPy array only
print("numpy array:     ", array)
print("from_numpy (view):", shared, " same memory:", shared.data_ptr() == array.ctypes.data)
print("torch.tensor(copy):", copied, " same memory:", copied.data_ptr() == array.ctypes.data)

# %% [markdown]
# ## Data types
#
# Every tensor has one dtype. Choosing it trades **memory and speed** against
# **range and precision**: a network's weights in 16 bits take half the memory of 32 bits,
# and GPUs multiply 16- and 8-bit numbers much faster, but each value is stored less exactly.
#
# ### Floating point: float64, float32, float16, bfloat16, float8
#
# A floating-point number stores a sign, an *exponent* (how large: its range) and a
# *mantissa* (its significant digits: its precision).
#
# - `float32` is PyTorch's default and the standard for training.
# - `float64` ("double") keeps about 16 significant digits; useful for numerical checks
#   (lesson 2 uses it to verify gradients), rarely worth its memory for training.
# - `float16` ("half") keeps about 3 digits and overflows beyond 65504.
# - `bfloat16` ("brain float") keeps float32's 8-bit exponent, so its range is float32's,
#   but has only 7 mantissa bits (about 2-3 digits). It rarely overflows, which makes it
#   the easier 16-bit type for mixed-precision training on recent GPUs and TPUs.
# - The 8-bit floats trade even more: `float8_e4m3fn` (4 exponent bits, 3 mantissa bits,
#   no infinity, largest value 448) is usually used for weights and activations, and
#   `float8_e5m2` (5 exponent bits, 2 mantissa bits) has more range and less precision,
#   which suits gradients.
#
# `torch.finfo` reports each type's properties: `eps` is the gap between 1 and the next
# representable number (the relative precision), `max` the largest finite value.

# %%
float_types = [torch.float64, torch.float32, torch.float16, torch.bfloat16,
               torch.float8_e4m3fn, torch.float8_e5m2]
print(f"{'dtype':20s} {'bits':>4s} {'eps (precision)':>16s} {'max':>12s} {'smallest normal':>16s}")
for dtype in float_types:
    info = torch.finfo(dtype)
    print(f"{str(dtype):20s} {info.bits:4d} {info.eps:16.3g} {info.max:12.4g} {info.smallest_normal:16.3g}")

# %% [markdown]
# What does that do to actual numbers? Each value below is stored in every type and read
# back. Look at the last two rows: 0.00001 is below the smallest number `float8_e4m3fn`
# can hold, and 70000 is above the largest finite `float16` and `float8_e5m2`.

# %%
values = torch.tensor([0.1, 1 / 3, 3.14159265, 1000.5, 0.00001, 70000.0], dtype=torch.float64)
print(f"{'float64 value':>14s}" + "".join(f"{str(d).removeprefix('torch.'):>15s}" for d in float_types[1:]))
for value in values:
    stored = [value.to(dtype).item() for dtype in float_types[1:]]
    print(f"{value.item():14.8g}" + "".join(f"{s:15.8g}" for s in stored))

# %% [markdown]
# Too large a value is where the types differ most. `float16` and `float8_e5m2` have an
# infinity and overflow to it. `float8_e4m3fn` has none (the "fn" means *finite*, no
# infinities); what a conversion to it does with 70000 depends on the library, so look
# at what this PyTorch does:

# %%
too_large = torch.tensor(70000.0)
for dtype in (torch.float16, torch.float8_e5m2, torch.float8_e4m3fn):
    print(f"70000 stored as {str(dtype).removeprefix('torch.'):14s} -> {too_large.to(dtype).item():g}"
          f"   (largest finite value: {torch.finfo(dtype).max:g})")
print("and 0.00001 as float8_e4m3fn ->", torch.tensor(0.00001).to(torch.float8_e4m3fn).item())

# %% [markdown]
# This PyTorch *saturates*: a value beyond `float8_e4m3fn`'s range comes back as its
# largest value, 448 (so does 1000.5 in the table). Other libraries turn it into NaN
# ("not a number") instead, so code that converts to 8-bit floats scales its values into
# range first rather than relying on either behaviour.

# %% [markdown]
# Now over a wide range of magnitudes: many values between 10^-10 and 10^6 are stored in
# each low-precision type, and the plot shows the **worst** relative error among the
# values in each narrow band (one band = a quarter of a power of ten). Each curve is flat,
# at about half its `eps` (never above it), inside the range its exponent covers; it
# climbs where numbers become too small to keep all their bits (the *subnormal* range)
# and hits 100% where they underflow to zero or overflow to infinity. `float8_e4m3fn`,
# which has no infinity, instead climbs towards 100% above 448, where every value comes
# back as 448 (more on that below). float32's own error, about 6e-8, would sit far below
# this plot.

# %%
bands, values_per_band = 16 * 4, pick(smoke=64, full=512)
magnitudes = torch.logspace(-10, 6, bands * values_per_band)  # float32 reference values
band_centres = magnitudes.view(bands, values_per_band)[:, values_per_band // 2]
fig, ax = plt.subplots(figsize=(8, 3.8))
summaries = []
for dtype in float_types[2:]:
    stored = magnitudes.to(dtype).float()
    relative_error = ((stored - magnitudes).abs() / magnitudes).nan_to_num(nan=1.0).clamp(max=1.0)
    worst_per_band = relative_error.view(bands, values_per_band).amax(dim=1)  # (64,)
    name = str(dtype).removeprefix("torch.")
    ax.plot(band_centres, worst_per_band, label=name)
    info = torch.finfo(dtype)
    normal = (band_centres > 2 * info.smallest_normal) & (band_centres < info.max / 2)
    lost = band_centres[worst_per_band >= 1]  # bands where some value became 0 or inf
    summary = (f"{name} between {worst_per_band[normal].min():.2g} and {worst_per_band[normal].max():.2g} "
               f"in its normal range (half its eps: {info.eps / 2:.2g})")
    if (lost < 1).any():
        summary += f", 100% from {lost[lost < 1].max():.0e} down"
    if (lost > 1).any():
        summary += f", 100% from {lost[lost > 1].min():.0e} up"
    elif worst_per_band[-1] > 0.5:  # no infinity to overflow to: saturated at its largest value
        summary += f", climbing to {worst_per_band[-1]:.4f} at 1e6"
    summaries.append(summary)
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("value (stored exactly in float32)")
ax.set_ylabel("worst relative error")
ax.set_title("Precision and range of 16- and 8-bit floats")
ax.grid(alpha=0.3)
ax.legend(loc="center left")
describe_figure(fig, "Worst relative error of values from 1e-10 to 1e6 stored in each type, per quarter "
                     "decade, log-log: " + "; ".join(summaries) + ".")
plt.show()

# %% [markdown]
# The 8-bit floats are mainly a *storage and matrix-multiply* format: recent data-centre
# GPUs multiply float8 matrices in hardware and accumulate the sums in higher precision.
# On a CPU, PyTorch can store and convert them, but ordinary arithmetic on them is
# not implemented:

# %%
weights_fp8 = torch.tensor([0.5, -1.25, 3.0]).to(torch.float8_e4m3fn)
print("stored:", weights_fp8, " bytes per entry:", weights_fp8.element_size())
try:
    print(weights_fp8 * 2)
except (RuntimeError, NotImplementedError) as error:
    print(f"{type(error).__name__}: {error}")
print("convert first, then compute:", weights_fp8.float() * 2)

# %% [markdown]
# ### Integers, unsigned bytes and booleans
#
# - `int64` ("long") is the default integer: class labels, indices, counts. Loss functions
#   expect class targets as `int64`.
# - `int32`, `int16` and `int8` hold smaller ranges in less memory; `int8` is the
#   workhorse of quantized inference.
# - `uint8` holds 0 to 255, exactly one byte per pixel channel: images are stored this way
#   (the MNIST digit and the photo above are `uint8`).
# - `bool` holds `True`/`False`, typically a mask that selects entries.
#
# Integers do not saturate: going past the range wraps around, a classic bug when doing
# arithmetic on raw `uint8` pixels. Convert to float before computing.

# %%
print("int8 127 + 1      =", (torch.tensor([127], dtype=torch.int8) + 1).item())
print("uint8 pixel 250 + 10 =", (torch.tensor([250], dtype=torch.uint8) + 10).item(), "(wrapped around)")
pixel = torch.tensor([250], dtype=torch.uint8).float()  # convert first
print("as float: 250 + 10 =", (pixel + 10).item(),
      " clamped to the pixel range 0..255:", (pixel + 10).clamp(0, 255).item())
for dtype in (torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8):
    info = torch.iinfo(dtype)
    print(f"{str(dtype):12s} range {info.min:>26,d} .. {info.max:,d}")

ink = digit > 128  # bool mask: which pixels are bright
print("mask dtype:", ink.dtype, " bright pixels:", ink.sum().item(), "of", ink.numel())
print("mean brightness of the bright pixels:", digit[ink].float().mean().item())

# %% [markdown]
# ### Complex numbers
#
# `complex64` (two float32: real and imaginary part) and `complex128` (two float64) appear
# in signal processing. The Fourier transform of a real signal is complex; its magnitude
# tells which frequencies the signal contains. A one-second signal made of a 5 Hz and a
# 12 Hz wave:

# %%
sample_rate = 100
seconds = torch.arange(sample_rate) / sample_rate
signal = torch.sin(2 * torch.pi * 5 * seconds) + 0.5 * torch.sin(2 * torch.pi * 12 * seconds)
spectrum = torch.fft.rfft(signal)
print("spectrum dtype:", spectrum.dtype, " entry for 5 Hz:", spectrum[5])
print("from float64 input:", torch.fft.rfft(signal.double()).dtype)
print("strongest frequencies (Hz):", spectrum.abs().topk(2).indices.tolist())

# %% [markdown]
# ### Quantized integers: qint8 and quint8
#
# A quantized tensor stores each value as an 8-bit integer `q` plus two numbers shared by
# the whole tensor, a `scale` and a `zero_point`, and represents
# `value = (q - zero_point) * scale`. With `qint8` (q in -128..127) a symmetric range
# around 0 suits weights; with `quint8` (q in 0..255) and a zero point of 0, the
# non-negative outputs of a ReLU fit without wasting half the codes. Every value is
# rounded to the nearest multiple of `scale`, so the error is at most `scale / 2` as long
# as values stay inside the representable range.
#
# PyTorch 2.14 still supports these dtypes but marks the functions that create them as
# deprecated (quantization is developed further in PyTorch's separate `torchao` library);
# the warning it prints is caught and shown below.

# %%
weights = torch.randn(6) * 0.5
scale = weights.abs().max().item() / 127  # use the full int8 range for these weights
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    quantized = torch.quantize_per_tensor(weights, scale=scale, zero_point=0, dtype=torch.qint8)
for warning in caught:
    print("PyTorch warns:", str(warning.message).split(". Please")[0])
print("original:     ", weights)
print("stored ints:  ", quantized.int_repr())
print("dequantized:  ", quantized.dequantize())
error = (quantized.dequantize() - weights).abs().max().item()
print(f"scale = {scale:.5f}; largest error = {error:.5f} (at most scale/2 = {scale / 2:.5f})")

activations = torch.relu(torch.randn(6))
activations_q = torch.quantize_per_tensor(activations, scale=activations.max().item() / 255,
                                          zero_point=0, dtype=torch.quint8)
print("quint8 codes for ReLU outputs:", activations_q.int_repr())

# %% [markdown]
# ### What each dtype costs
#
# `element_size()` is the bytes per entry. The same 1000x1000 tensor in every type:

# %%
uses = {
    torch.float64: "precise numerics, gradient checks",
    torch.float32: "default: training and inference",
    torch.float16: "mixed-precision training on GPUs",
    torch.bfloat16: "mixed precision with float32's range",
    torch.float8_e4m3fn: "weights/activations on new GPUs",
    torch.float8_e5m2: "gradients on new GPUs",
    torch.int64: "labels, indices",
    torch.int32: "indices, counts",
    torch.int16: "audio samples",
    torch.int8: "quantized arithmetic",
    torch.uint8: "image pixels 0..255",
    torch.bool: "masks",
    torch.complex64: "signal processing (FFT)",
    torch.complex128: "precise signal processing",
    torch.qint8: "quantized weights",
    torch.quint8: "quantized activations",
}
print(f"{'dtype':22s} {'bytes/entry':>11s} {'1000x1000 in MB':>16s}   typical use")
for dtype, use in uses.items():
    if dtype in (torch.qint8, torch.quint8):
        tensor = torch.quantize_per_tensor(torch.zeros(1000, 1000), scale=1.0, zero_point=0, dtype=dtype)
    else:
        tensor = torch.zeros(1000, 1000, dtype=dtype)
    megabytes = tensor.numel() * tensor.element_size() / 1e6
    print(f"{str(dtype):22s} {tensor.element_size():11d} {megabytes:16.0f}   {use}")

# %% [markdown]
# ## Maths on tensors
#
# Arithmetic operators and functions such as `exp` or `sqrt` act **element by element**
# (the shapes must match, or be broadcastable: see below). Comparisons give `bool` tensors.

# %%
a = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
b = torch.tensor([[10.0, 20.0], [30.0, 40.0]])
print("a + b:\n", a + b)
print("a * b (element-wise):\n", a * b)
print("exp(a):\n", a.exp())
print("a > 2:\n", a > 2)

# %% [markdown]
# ### Matrix multiplication
#
# `a @ b` (or `torch.matmul`) is the matrix product: an (n, k) matrix times a (k, m) matrix
# gives (n, m), each entry a dot product of a row with a column. It is the heart of every
# layer: a linear layer computes `inputs @ weight.T + bias` for a whole batch at once.
# Do not confuse it with `*`, which multiplies entry by entry.

# %%
print("a @ b:\n", a @ b)
batch_inputs = test_images[:4].flatten(start_dim=1).float() / 255  # (4, 784): 4 images as rows
scores = batch_inputs @ layer.weight.T + layer.bias  # (4, 784) @ (784, 10) + (10,) -> (4, 10)
print("scores shape:", tuple(scores.shape), " same as layer(batch):",
      torch.allclose(scores, layer(batch_inputs)))

# %% [markdown]
# ### Reductions
#
# A reduction summarises many entries into fewer: `sum`, `mean`, `std`, `max`, `min`,
# `argmax` (the position of the maximum). Without arguments they reduce everything to a
# scalar; `dim=` says which axis to collapse, and `keepdim=True` keeps it with size 1.
# Two real uses: the average photo colour per channel, and the "mean digit" of each class
# (a boolean mask picks the class, `mean(dim=0)` averages over its images).

# %%
china_float = china.float() / 255  # (3, 427, 640) in [0, 1]
print("mean of everything:", china_float.mean())
print("mean per channel (R, G, B):", china_float.mean(dim=(1, 2)))  # (3,)
print("keepdim shape:", tuple(china_float.mean(dim=(1, 2), keepdim=True).shape))  # (3, 1, 1)
print("class with the highest score per image (argmax; the layer is untrained):", scores.argmax(dim=1))

mean_digits = torch.stack([test_images[test_labels == k].float().mean(dim=0)
                           for k in range(10)])  # (10, 28, 28)
image_grid(mean_digits, titles=[f"mean {k}" for k in range(10)], columns=10)
plt.show()

# %% [markdown]
# ## In-place operations
#
# An ordinary operation returns a **new** tensor in freshly allocated memory. For a large
# tensor that costs memory (and the time to allocate and fill it). An **in-place**
# operation writes its result into the tensor it was called on. By convention its name
# ends with an underscore: `relu` makes a new tensor, `relu_` overwrites; `add` versus
# `add_`, `mul` versus `mul_`, and so on. The address of the data, `data_ptr()`, shows
# which is which.

# %%
m = torch.randn(1000, 1000)
address = m.data_ptr()
megabytes = m.numel() * m.element_size() / 1e6

out_of_place = torch.relu(m)
print(f"torch.relu(m): new memory? {out_of_place.data_ptr() != address}"
      f"  (a second {megabytes:.0f} MB buffer)")
m.relu_()  # the same as torch.relu_(m)
print("m.relu_():     same memory?", m.data_ptr() == address, " negatives left:", (m < 0).sum().item())
m.add_(1.0).mul_(0.5)  # in-place ops return the tensor, so they chain
print("m.add_(1).mul_(0.5): same memory?", m.data_ptr() == address, " min now:", m.min().item())

# %% [markdown]
# ### When in-place operations bite
#
# Saving memory comes at the price of destroying the old values, and sometimes something
# else still needed them.
#
# **1. A leaf tensor that requires gradients.** A model's parameters are the starting
# points ("leaves") of autograd's record. Changing one in place inside the recorded
# computation would make that record wrong, so PyTorch refuses (lesson 2 shows how weight
# updates avoid this with `torch.no_grad()`).

# %%
weight = torch.ones(3, requires_grad=True)
try:
    weight.add_(1.0)
except RuntimeError as error:
    print("RuntimeError:", error)

# %% [markdown]
# **2. A value that autograd saved for the backward pass.** The derivative of the sigmoid
# is computed from its output, so autograd keeps that output. Overwriting it in place
# goes unnoticed until `backward()`, which then fails (each tensor carries a version
# counter for exactly this check).

# %%
x = torch.ones(3, requires_grad=True)
y = torch.sigmoid(x)  # autograd saves y to compute the derivative later
y.mul_(2)  # ... and this overwrites it
try:
    y.sum().backward()
except RuntimeError as error:
    print("RuntimeError:", str(error).split(". Hint")[0])

# %% [markdown]
# **3. Aliasing.** Indexing, slicing, `view` and `from_numpy` return tensors that share
# memory with the original. An in-place change through one name silently changes the
# other. Here "normalise the first image" also changes the data set; `.clone()` makes an
# independent copy.

# %%
dataset = test_images[:3].float()  # (3, 28, 28) float copy of three digits
first = dataset[0]  # a view into dataset, not a copy
print("shares memory with the data set:", first.data_ptr() == dataset.data_ptr())
first.div_(255)
print("data set's first image max after first.div_(255):", dataset[0].max().item())

second = dataset[1].clone()  # an independent copy
second.div_(255)
print("data set's second image max after clone().div_(255):", dataset[1].max().item())

# %% [markdown]
# Rule of thumb: use in-place operations for large intermediate buffers you own
# (activations inside `torch.no_grad()`, preprocessing), and prefer the ordinary
# operations on anything autograd is tracking or anything that may be shared.

# %% [markdown]
# ## Reshaping
#
# Layers demand particular shapes: a linear layer wants (batch, features), a convolution
# (batch, channels, height, width). Reshaping changes how the same numbers are arranged
# along axes; the number of entries never changes.
#
# ### view and reshape, and contiguity
#
# A tensor's entries sit in one flat block of memory; its **strides** say how many entries
# to skip to move one step along each axis. `view` reinterprets that block with a new shape
# and never copies, which only works when the layout allows it. `transpose` and `permute`
# only swap strides, leaving a *non-contiguous* tensor whose rows are no longer consecutive
# in memory, and `view` on it fails. `reshape` does the same as `view` when it can and
# copies when it must.

# %%
grid = torch.arange(12).view(3, 4)  # (12,) -> (3, 4)
print(grid, " strides:", grid.stride(), " contiguous:", grid.is_contiguous())
print("view(4, 3) shares memory:", grid.view(4, 3).data_ptr() == grid.data_ptr())
print("view(2, -1) infers the -1:", tuple(grid.view(2, -1).shape))

flipped = grid.T  # (4, 3): same memory, strides swapped
print("transposed strides:", flipped.stride(), " contiguous:", flipped.is_contiguous())
try:
    flipped.view(12)
except RuntimeError as error:
    print("view on it fails:", str(error).split(". Use")[0])
flat = flipped.reshape(12)  # works, by copying
print("reshape works:", flat, " copied:", flat.data_ptr() != grid.data_ptr())

# %% [markdown]
# ### flatten
#
# `flatten()` turns everything into one axis; `flatten(start_dim=1)` keeps the batch axis
# and flattens each example, which is how images are fed to a fully connected layer.

# %%
print("image batch:            ", tuple(image_batch.shape))  # (32, 3, 128, 128)
print("flatten():              ", tuple(image_batch.flatten().shape))  # (1572864,)
print("flatten(start_dim=1):   ", tuple(image_batch.flatten(start_dim=1).shape))  # (32, 49152)

# %% [markdown]
# ### permute and transpose
#
# `permute` reorders all axes at once: you list, for each new position, which old axis
# goes there. Converting an image from a file's (H, W, C) to PyTorch's (C, H, W) is
# `permute(2, 0, 1)`, and back is `permute(1, 2, 0)`. `transpose(i, j)` swaps exactly two
# axes (`.T` reverses the axes of a matrix).

# %%
print("file layout HWC:     ", tuple(china_hwc.shape))
print("permute(2, 0, 1):    ", tuple(china_hwc.permute(2, 0, 1).shape))  # (3, 427, 640)
print("and back (1, 2, 0):  ", tuple(china.permute(1, 2, 0).shape))  # (427, 640, 3)
print("round trip is exact: ", torch.equal(china.permute(1, 2, 0), china_hwc))
print("transpose(1, 2):     ", tuple(china.transpose(1, 2).shape))  # (3, 640, 427): height and width swapped
print("batch to NHWC:       ", tuple(image_batch.permute(0, 2, 3, 1).shape))  # (32, 128, 128, 3)

# %% [markdown]
# ### squeeze and unsqueeze
#
# `unsqueeze(dim)` inserts an axis of size 1; `squeeze(dim)` removes one (without `dim`,
# every size-1 axis). The everyday case: a model trained on batches expects
# (batch, channels, height, width), but you want a prediction for **one** image. Give it a
# batch of one, then drop the batch axis from the answer. Indexing with `None` does the
# same as `unsqueeze`.

# %%
one_digit = digit.float() / 255  # (28, 28)
as_batch = one_digit.unsqueeze(0).unsqueeze(0)  # (1, 1, 28, 28): batch of 1, 1 channel
print("one image:", tuple(one_digit.shape), "-> model input:", tuple(as_batch.shape),
      " same as [None, None]:", tuple(one_digit[None, None].shape))
class_scores = layer(as_batch.flatten(start_dim=1))  # (1, 10)
print("model output:", tuple(class_scores.shape), "-> squeeze(0):", tuple(class_scores.squeeze(0).shape))

# %% [markdown]
# A pitfall: a bare `squeeze()` also removes the batch axis when the batch happens to
# hold one example. Name the axis.

# %%
single_batch = torch.zeros(1, 1, 28, 28)
print("squeeze():  ", tuple(single_batch.squeeze().shape), " <- batch axis gone too")
print("squeeze(1): ", tuple(single_batch.squeeze(1).shape), " <- only the channel axis")

# %% [markdown]
# ## Broadcasting
#
# Element-wise operations between tensors of different shapes work when the shapes are
# **broadcastable**. PyTorch (like NumPy) compares the shapes from the **last** axis
# backwards:
#
# 1. if one tensor has fewer axes, size-1 axes are added on its left;
# 2. two sizes are compatible if they are equal or one of them is 1;
# 3. a size-1 axis is stretched to match the other, without copying any memory.
#
# Adding a column (3, 1) and a row (1, 4) therefore gives a (3, 4) table of every sum.

# %%
column = torch.tensor([[0], [10], [20]])  # (3, 1)
row = torch.tensor([[1, 2, 3, 4]])  # (1, 4)
print(column + row)  # (3, 4)

# %% [markdown]
# ### Worked example: normalising an image batch per channel
#
# Networks train better on inputs centred on 0 with unit spread, and colour channels
# differ, so each channel is normalised with its own mean and standard deviation:
# `(batch - mean[c]) / std[c]`. The statistics are computed over the batch, height and
# width, leaving one number per channel: shape (3,).
#
# Subtracting a (3,) tensor from a (32, 3, 128, 128) batch does **not** work: lined up
# from the right, the 3 meets the width, 128.

# %%
batch_float = image_batch.float() / 255  # (32, 3, 128, 128)
channel_mean = batch_float.mean(dim=(0, 2, 3))  # (3,)
channel_std = batch_float.std(dim=(0, 2, 3))  # (3,)
print("per-channel mean:", channel_mean, " std:", channel_std)
try:
    batch_float - channel_mean
except RuntimeError as error:
    print("RuntimeError:", error)

# %% [markdown]
# Reshaping the statistics to (3, 1, 1) fixes it: aligned from the right that is
# (1, 3, 1, 1) against (32, 3, 128, 128), so the channel axes meet and everything else is
# stretched. Afterwards each channel has mean 0 and standard deviation 1.

# %%
mean_c11 = channel_mean.view(3, 1, 1)  # (3,) -> (3, 1, 1)
std_c11 = channel_std.view(3, 1, 1)
normalised = (batch_float - mean_c11) / std_c11  # (32, 3, 128, 128)
print("normalised shape:", tuple(normalised.shape))
print("mean per channel now:", normalised.mean(dim=(0, 2, 3)))
print("std per channel now: ", normalised.std(dim=(0, 2, 3)))
stretched = mean_c11.expand_as(batch_float)
print("stretched without copying: strides", stretched.stride(),
      " memory:", stretched.data_ptr() == channel_mean.data_ptr())

# %% [markdown]
# The same thing with `keepdim=True`, which keeps the reduced axes as size 1 so the
# result broadcasts straight back (torchvision's `transforms.Normalize(mean, std)` does
# this for you):

# %%
mean_kept = batch_float.mean(dim=(0, 2, 3), keepdim=True)  # (1, 3, 1, 1)
std_kept = batch_float.std(dim=(0, 2, 3), keepdim=True)
print("keepdim shape:", tuple(mean_kept.shape),
      " same result:", torch.allclose((batch_float - mean_kept) / std_kept, normalised))

# %% [markdown]
# ## Moving tensors to the GPU
#
# Tensors are created on the CPU unless told otherwise. `pick_device()` (from this
# course's library) chooses CUDA, then Apple's MPS, then the CPU; `.to(device)` returns a
# copy on that device (or the tensor itself if it is already there), and `device=` creates
# a tensor directly on it. All tensors in one operation must be on the same device, and
# NumPy and matplotlib need CPU tensors, so results come back with `.cpu()`.

# %%
device = pick_device()
print("device:", device, "-", describe(device))
batch_on_device = normalised.to(device)
noise = torch.randn(3, 1, 1, device=device)  # created directly on the device
result = (batch_on_device + noise).mean(dim=(0, 2, 3))
print("result lives on:", result.device, "->", result.cpu().device, result.cpu().numpy())

# %% [markdown]
# The reason to move: large matrix products. Timing one on the CPU and, when present, the
# GPU (on a GPU, `torch.cuda.synchronize` waits for the asynchronous work to finish):


# %%
def seconds_per_matmul(n: int, device: torch.device, repeats: int = 3) -> float:
    first, second = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    first @ second  # warm-up
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(repeats):
        first @ second
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / repeats


n = pick(smoke=256, full=2048)
for candidate in dict.fromkeys([torch.device("cpu"), device]):  # the CPU, and the GPU if there is one
    seconds = seconds_per_matmul(n, candidate)
    print(f"{n}x{n} @ {n}x{n} on {describe(candidate)}: {seconds * 1000:.1f} ms "
          f"({2 * n ** 3 / seconds / 1e9:.0f} GFLOP/s)")

# %% [markdown]
# ## Recap
#
# - A tensor is a typed, n-dimensional array with a shape, a dtype and a device; unlike a
#   NumPy array it can live on a GPU and can record operations for autograd.
# - Rank = number of axes: a loss is rank 0, an embedding rank 1, a grayscale image rank 2,
#   a colour image rank 3 (C, H, W in PyTorch; H, W, C in files), a batch of images rank 4,
#   a batch of videos rank 5.
# - `torch.from_numpy` and `.numpy()` share memory; `torch.tensor` copies.
# - float32 is the default; float16/bfloat16 halve memory (bfloat16 keeps float32's range);
#   float8 quarters it for storage and GPU matrix units; quantized int8 stores values as
#   integers plus a scale and zero point. Less memory always means coarser numbers.
# - Operations are element-wise, `@` is the matrix product, reductions collapse the axes
#   named by `dim`.
# - In-place operations (`relu_`, `add_`) reuse memory but can break autograd and change
#   every tensor that shares the memory.
# - `view` needs a compatible (usually contiguous) layout, `reshape` copies when it must;
#   `permute` and `transpose` reorder axes; `unsqueeze(0)` makes a batch of one.
# - Broadcasting aligns shapes from the right and stretches size-1 axes for free.
# - `.to(pick_device())` moves work to the GPU; `.cpu()` brings results back.
#
# ## Exercises
#
# Each exercise has a worked solution under it. Try it yourself first, then open the
# solution and compare.

# %% [markdown]
# **1.** A batch of 64 grayscale 28x28 digits is to be fed to a CNN. Build it from
# `test_images` in the layout the CNN expects and print its shape. How many bytes does
# it take as `uint8`, as `float32` and as `bfloat16`?

# %% tags=["solution"]
# A CNN wants (batch, channels, height, width); grayscale means one channel, so the
# channel axis is inserted with unsqueeze(1).
digit_batch = test_images[:64].unsqueeze(1)  # (64, 28, 28) -> (64, 1, 28, 28)
print("shape:", tuple(digit_batch.shape))
for dtype in (torch.uint8, torch.float32, torch.bfloat16):
    converted = digit_batch.to(dtype)
    print(f"{str(dtype):15s} {converted.element_size()} byte(s) x {converted.numel():,} entries "
          f"= {converted.numel() * converted.element_size():,} bytes")
# The entries are the same 50,176 numbers each time; only the bytes per entry change
# (1, 4 and 2), so float32 costs four times the uint8 file data and bfloat16 twice.

# %% [markdown]
# **2.** Load `load_sample_image("flower.jpg")`, convert it to (C, H, W), and show only its
# green channel. Then show the image with its red and blue channels swapped, using
# indexing with a list of channel numbers.

# %% tags=["solution"]
flower = torch.tensor(load_sample_image("flower.jpg")).permute(2, 0, 1)  # (H, W, C) -> (C, H, W)
print("flower (C, H, W):", tuple(flower.shape))
green = flower[1]  # (H, W): channel 1 of (red, green, blue)
swapped = flower[[2, 1, 0]]  # a list index picks channels in that order: blue, green, red
print("red of the swapped image is the original blue:", torch.equal(swapped[0], flower[2]))
image_grid([green, swapped.permute(1, 2, 0)],  # matplotlib wants (H, W, C) for colour
           titles=["green channel", "red and blue swapped"], columns=2)
plt.show()
# Indexing with a list copies the chosen channels into a new tensor in the listed order,
# so the same trick reorders RGB to BGR (the order OpenCV uses).

# %% [markdown]
# **3.** Find the smallest positive integer that `float16` cannot store exactly, and the one
# for `bfloat16`. (Hint: try `torch.arange(3000.).to(dtype).float()` and compare.)
# Explain the difference with `torch.finfo`.

# %% tags=["solution"]
integers = torch.arange(3000.0)  # 0, 1, ..., 2999, all exact in float32
for dtype in (torch.float16, torch.bfloat16):
    round_trip = integers.to(dtype).float()
    first_miss = int(integers[round_trip != integers][0])
    eps = torch.finfo(dtype).eps
    print(f"{str(dtype):15s} first integer not stored exactly: {first_miss} (stored as "
          f"{round_trip[first_miss].item():g}); eps = {eps:g} = 2^{torch.log2(torch.tensor(eps)).item():g}")
# eps = 2^-m, where m is the number of stored mantissa bits (10 for float16, 7 for
# bfloat16). Between 2^k and 2^(k+1) the gap between neighbouring numbers is 2^k * eps,
# so the gap reaches 2 at 2^(m+1): float16 stores every integer up to 2048 and then only
# even ones (2049 rounds to 2048); bfloat16 stops at 256 (257 rounds to 256).

# %% [markdown]
# **4.** Quantize `torch.linspace(-1, 1, 11)` to `qint8` with scale 0.1 and then with scale
# 0.001. What happens to values outside the range a scale can represent?

# %% tags=["solution"]
ramp = torch.linspace(-1, 1, 11)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # the deprecation warning shown above
    for scale in (0.1, 0.001):
        ramp_q = torch.quantize_per_tensor(ramp, scale=scale, zero_point=0, dtype=torch.qint8)
        print(f"scale {scale}: representable {-128 * scale:g} .. {127 * scale:g}")
        print("  codes:      ", ramp_q.int_repr().tolist())
        print("  dequantized:", [round(v, 4) for v in ramp_q.dequantize().tolist()])
# With scale 0.1 the codes -10 .. 10 fit easily in -128 .. 127 and every value comes back
# (to float32 rounding). With scale 0.001 the range is only -0.128 .. 0.127: values
# outside it are clamped to the end codes -128 and 127, an error far above scale / 2.
# Choosing the scale is a trade: small steps for precision, enough range for the largest
# value.

# %% [markdown]
# **5.** Given `t = torch.arange(24).view(2, 3, 4)`, predict before running: which of
# `t.permute(2, 0, 1).view(-1)`, `t.permute(2, 0, 1).reshape(-1)` and
# `t.transpose(0, 1).contiguous().view(-1)` work, and which share memory with `t`?

# %% tags=["solution"]
t = torch.arange(24).view(2, 3, 4)
attempts = {"t.permute(2, 0, 1).view(-1)": lambda: t.permute(2, 0, 1).view(-1),
            "t.permute(2, 0, 1).reshape(-1)": lambda: t.permute(2, 0, 1).reshape(-1),
            "t.transpose(0, 1).contiguous().view(-1)": lambda: t.transpose(0, 1).contiguous().view(-1)}
for code, attempt in attempts.items():
    try:
        flat_t = attempt()
        print(f"{code:40s} works; shares memory with t: {flat_t.data_ptr() == t.data_ptr()}")
    except RuntimeError as error:
        print(f"{code:40s} fails: {str(error).split(' (')[0]}")
# permute leaves a non-contiguous tensor (strides reordered), so view cannot flatten it.
# reshape copies when it must, and here it must. contiguous() copies into a fresh
# contiguous block first, after which view works on that copy. Both working versions
# therefore hold their own memory.

# %% [markdown]
# **6.** Normalise the MNIST test set with one mean and one standard deviation over all its
# pixels, and check the result. Then compute the mean image of all digits and subtract
# it from every image with broadcasting; what shapes meet?

# %% tags=["solution"]
pixels = test_images.float() / 255  # (10000, 28, 28) in [0, 1]
mean, std = pixels.mean(), pixels.std()  # two scalars over all 7.84 million pixels
standardised = (pixels - mean) / std
print(f"mean {mean:.4f}, std {std:.4f} -> after: mean {standardised.mean():.4f}, std {standardised.std():.4f}")

mean_image = pixels.mean(dim=0)  # (28, 28): the average of all 10 000 digits
centred = pixels - mean_image  # (10000, 28, 28) - (28, 28)
print("shapes:", tuple(pixels.shape), "-", tuple(mean_image.shape), "->", tuple(centred.shape))
print(f"largest per-pixel mean after centring: {centred.mean(dim=0).abs().max():.1e}")
# Aligned from the right, (28, 28) meets the last two axes of (10000, 28, 28); the
# missing first axis counts as size 1 and is stretched over the 10 000 images. Scalars
# broadcast against anything, which is why the first normalisation needed no reshaping.

# %% [markdown]
# **7.** Write `a = torch.zeros(3); b = a; b += 1` and `c = torch.zeros(3); d = c; d = d + 1`.
# Print `a` and `c` and explain the difference with `data_ptr()`.

# %% tags=["solution"]
a = torch.zeros(3)
b = a
b += 1  # in place: writes into the memory that a and b both name
c = torch.zeros(3)
d = c
d = d + 1  # a new tensor in new memory; the name d now points there, c is untouched
print("a:", a, " a and b share memory:", a.data_ptr() == b.data_ptr())
print("c:", c, " c and d share memory:", c.data_ptr() == d.data_ptr())
# `b = a` copies no data: both names refer to one tensor. `+=` is the in-place add_,
# so a changes too. `d + 1` allocates a result and rebinds the name d to it.

# %% [markdown]
# ## Next
#
# Tensors can record how they were computed. [Lesson 2: Autograd](../02_autograd/) uses
# that record to compute gradients: by hand first, then with `backward()`.
