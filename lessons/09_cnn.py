# %% [markdown]
# # 9. Convolutional neural networks

# %% [markdown]
# ## What you will learn
#
# - why pictures call for a different kind of layer than the fully connected ones of lessons 6-8;
# - what a convolution computes, by writing one by hand and checking it against `F.conv2d`;
# - how kernel size, padding and stride decide the size of the output, and the formula for it;
# - what max and average pooling do, again by hand first;
# - how a CNN splits into a feature extractor and a classifier, and how the tensor's shape
#   changes from 1 x 28 x 28 to 3136 numbers on the way;
# - how to train the course's digit CNN with data augmentation, and what it has learned;
# - how to turn a digit drawn on a large white canvas into the kind of image MNIST contains,
#   so the same model reads it (this is what the digit demo does).
#
# ## What this assumes
#
# Lessons 4-7: `nn.Module`, the training loop behind `learntorch.train.fit`, dropout and
# batch normalisation. Tensors of shape `(batch, channels, height, width)` should look familiar
# from lesson 1.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw
from torch import nn

from learntorch import pick, seed_everything
from learntorch.data import image_tensors
from learntorch import checkpoints
from learntorch.digits.model import CLASSES, DigitCNN, normalise_digits
from learntorch.digits.predict import read_digit
from learntorch.digits.preprocess import ink_map, to_mnist_steps
from learntorch.digits.recipe import NAME, augment, plain_loader, train_checkpoint
from learntorch.plots import image_grid, plot_confusion, plot_history
from learntorch.show import show_source
from learntorch.train import History
from learntorch.train import predict as predict_loader

seed_everything(0)
test_images, test_labels = image_tensors("MNIST", train=False)  # uint8 (10000, 28, 28), int64 (10000,)
print(test_images.shape, test_images.dtype, test_labels[:10].tolist())

# %% [markdown]
# ## Why convolutions?
#
# The network of lesson 6 began by flattening each 28 x 28 image into a row of 784 numbers.
# From then on, pixel (3, 4) and pixel (3, 5) were just two unrelated inputs: the layer had to
# *learn* that neighbouring pixels belong together, separately for every place in the image.
# Three facts about pictures suggest something better:
#
# 1. **Grid structure.** Pixels live on a 2-D grid, and what matters is mostly local: an edge,
#    a corner, the end of a stroke is visible in a small neighbourhood.
# 2. **The same pattern can appear anywhere.** A vertical stroke is a vertical stroke whether
#    it is on the left or the right of a digit. A detector learned in one place should be
#    reused everywhere.
# 3. **Parts make wholes.** Strokes combine into loops and crossings, which combine into digits.
#
# A convolutional layer builds these in. It slides a small filter (for example 3 x 3) over the
# image and computes the same weighted sum at every position: the filter looks only at a
# neighbourhood (*local connectivity*) and the same few weights are used at every position
# (*weight sharing*). Stacking such layers lets later ones see larger and more abstract patterns.
#
# Weight sharing shows most plainly in the parameter count:

# %%
mlp_layer = nn.Linear(28 * 28, 128)          # one hidden layer of a fully connected network
conv_layer = nn.Conv2d(1, 32, kernel_size=3)  # 32 filters of 3 x 3


def count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


print(f"Linear 784 -> 128:         {count(mlp_layer):>9,} parameters")
print(f"Conv2d 1 -> 32, 3 x 3:     {count(conv_layer):>9,} parameters")
print(f"Linear on a 224x224 RGB photo -> 128: {count(nn.Linear(3 * 224 * 224, 128)):,} parameters")
print(f"Conv2d 3 -> 32, 3 x 3 on the same photo: {count(nn.Conv2d(3, 32, 3)):,} parameters")

# %% [markdown]
# The convolution's cost does not depend on the image size at all: its 32 filters of nine
# weights (plus a bias each) are applied at every position. The fully connected layer needs
# a weight per pixel per unit, and grows with the image.
#
# ## A convolution by hand
#
# Take one real test digit and a classic edge detector, the *Sobel* kernel. Its left column is
# negative and its right column positive, so it responds where the brightness rises from left
# to right: the left edges of white strokes.
#
# What deep-learning libraries call convolution is, strictly, a **cross-correlation**: the
# kernel is laid on the image as it is (a mathematician's convolution would flip it first).
# Since the kernels are learned, the flip makes no difference, and we follow PyTorch. For an
# image $x$ and a $k \times k$ kernel $w$, output pixel $(i, j)$ is
#
# $$y_{i,j} = \sum_{a=0}^{k-1} \sum_{b=0}^{k-1} w_{a,b}\, x_{i+a,\, j+b}.$$

# %%
digit = test_images[0].float() / 255  # (28, 28), values in [0, 1]
sobel_x = torch.tensor([[-1.0, 0.0, 1.0],
                        [-2.0, 0.0, 2.0],
                        [-1.0, 0.0, 1.0]])  # brightness rising to the right -> positive


def cross_correlate(image: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """Slide ``kernel`` over ``image`` (no padding, stride 1), one output pixel at a time."""
    k = kernel.shape[0]
    height, width = image.shape[0] - k + 1, image.shape[1] - k + 1
    out = torch.zeros(height, width)
    for i in range(height):
        for j in range(width):
            out[i, j] = (image[i:i + k, j:j + k] * kernel).sum()
    return out


by_hand = cross_correlate(digit, sobel_x)  # (26, 26): a 3 x 3 window fits 26 times across 28
by_torch = F.conv2d(digit[None, None], sobel_x[None, None])[0, 0]  # (1,1,28,28) * (1,1,3,3) -> (1,1,26,26)
print("by hand:", tuple(by_hand.shape), " F.conv2d:", tuple(by_torch.shape),
      " largest difference:", (by_hand - by_torch).abs().max().item())

# %% [markdown]
# Python loops are slow. Libraries first cut the image into every 3 x 3 patch (`unfold`, also
# known as *im2col*) and then do one matrix product: each patch, flattened to 9 numbers, is
# multiplied by the flattened kernel. That turns convolution into the operation hardware is
# best at.

# %%
patches = F.unfold(digit[None, None], kernel_size=3)  # (1, 9, 676): 676 = 26 * 26 patches of 9 pixels
by_unfold = (sobel_x.reshape(1, 9) @ patches).reshape(26, 26)  # (1, 9) @ (1, 9, 676) -> (1, 1, 676)
print("patches:", tuple(patches.shape), " largest difference from F.conv2d:",
      (by_unfold - by_torch).abs().max().item())

sobel_y = sobel_x.T  # brightness rising downwards
fig, axes = plt.subplots(1, 3, figsize=(9, 3))
for ax, image, title in zip(axes, (digit, by_torch, F.conv2d(digit[None, None], sobel_y[None, None])[0, 0]),
                            ("the digit", "vertical edges (sobel_x)", "horizontal edges (sobel_y)")):
    ax.imshow(image, cmap="gray" if title == "the digit" else "RdBu_r")
    ax.set_title(title)
    ax.axis("off")
plt.show()

# %% [markdown]
# Red marks where the image brightens in the kernel's direction, blue where it darkens: each
# stroke of the 7 gets a red and a blue edge. A CNN *learns* its kernels instead of being given
# them, and early layers typically end up with edge and blob detectors much like these.
#
# ## Padding, stride and the output-size formula
#
# Without help, a 3 x 3 kernel shrinks a 28 x 28 image to 26 x 26, because it only fits where
# all nine of its cells are over the image. Two settings control the output size:
#
# - **padding** $p$ adds $p$ rings of zeros around the image first; with a 3 x 3 kernel,
#   `padding=1` keeps the size unchanged (*same* padding), so pixels at the border count as
#   much as those in the middle;
# - **stride** $s$ moves the kernel $s$ pixels at a time; `stride=2` roughly halves each side.
#
# For an input of side $n$, kernel $k$, padding $p$ and stride $s$ the output side is
#
# $$n_\text{out} = \left\lfloor \frac{n + 2p - k}{s} \right\rfloor + 1.$$
#
# The table checks the formula against real layers:

# %%
def output_side(n: int, kernel: int, padding: int, stride: int) -> int:
    return (n + 2 * padding - kernel) // stride + 1


print(f"{'kernel':>6} {'padding':>7} {'stride':>6} | {'formula':>7} {'Conv2d':>6}")
x = torch.zeros(1, 1, 28, 28)
for kernel, padding, stride in [(3, 0, 1), (3, 1, 1), (5, 0, 1), (5, 2, 1), (3, 1, 2), (5, 0, 2), (7, 3, 3)]:
    actual = nn.Conv2d(1, 1, kernel, stride=stride, padding=padding)(x).shape[-1]
    expected = output_side(28, kernel, padding, stride)
    assert actual == expected
    print(f"{kernel:>6} {padding:>7} {stride:>6} | {expected:>7} {actual:>6}")

# %% [markdown]
# ## Pooling by hand
#
# A pooling layer summarises each small window by one number and has no weights at all.
# **Max pooling** keeps the strongest response in each 2 x 2 window, **average pooling** the
# mean. With a 2 x 2 window and stride 2 each side halves, so the next layer has four times
# fewer positions to process, and every one of its 3 x 3 windows now covers a 6 x 6 patch of
# the original picture. Max pooling also makes the output indifferent to a shift of a pixel
# within each window.
#
# Splitting the 28 x 28 grid into 14 x 14 blocks of 2 x 2 is a reshape; pooling is then a
# max or a mean over each block:

# %%
blocks = digit.reshape(14, 2, 14, 2)  # (row block, row in block, column block, column in block)
max_by_hand = blocks.amax(dim=(1, 3))  # (14, 14)
avg_by_hand = blocks.mean(dim=(1, 3))  # (14, 14)
max_torch = F.max_pool2d(digit[None, None], kernel_size=2)[0, 0]  # stride defaults to the kernel size
avg_torch = F.avg_pool2d(digit[None, None], kernel_size=2)[0, 0]
print("max pool matches:", torch.equal(max_by_hand, max_torch),
      "| average pool matches:", torch.allclose(avg_by_hand, avg_torch))

fig, axes = plt.subplots(1, 3, figsize=(9, 3))
for ax, image, title in zip(axes, (digit, max_torch, avg_torch), ("28 x 28", "max pool 14 x 14", "average pool 14 x 14")):
    ax.imshow(image, cmap="gray")
    ax.set_title(title)
    ax.axis("off")
plt.show()

# %% [markdown]
# Max pooling keeps strokes bright and sharp; average pooling blurs them. Max pooling is the
# usual choice between convolution blocks because a feature map's large values mean "pattern
# found here" and are what should survive.
#
# ## The digit CNN: feature extraction, then classification
#
# A CNN has two parts:
#
# - the **feature extractor**: blocks of convolution -> batch norm -> ReLU -> pooling. Each
#   block turns the image into more channels (more kinds of pattern) at a lower resolution;
# - the **classifier**: the final feature maps flattened into one vector and fed to a small
#   fully connected network, like the ones of lessons 6-7, which outputs one logit per class.
#
# The course's digit model lives in `learntorch.digits`, because the demo uses it too:

# %%
show_source(DigitCNN)

# %% [markdown]
# The only number we had to work out ourselves is the classifier's input size, 3136. Follow one
# digit through the feature extractor: a 3 x 3 convolution with `padding=1` keeps 28 x 28 and
# makes 32 channels; pooling halves it to 14 x 14; the second convolution makes 64 channels at
# 14 x 14; pooling halves it again to 7 x 7; and 64 x 7 x 7 = 3136. Rather than trust the
# arithmetic, pass a tensor through layer by layer and check every shape:

# %%
model = DigitCNN()
expected_shapes = [(1, 32, 28, 28), (1, 32, 28, 28), (1, 32, 28, 28), (1, 32, 14, 14),
                   (1, 64, 14, 14), (1, 64, 14, 14), (1, 64, 14, 14), (1, 64, 7, 7)]
x = torch.zeros(1, 1, 28, 28)  # a batch of one grayscale 28 x 28 image
print(f"{'input':<12} {tuple(x.shape)}")
for layer, expected in zip(model.features, expected_shapes):
    x = layer(x)
    assert tuple(x.shape) == expected, (layer, x.shape)
    print(f"{type(layer).__name__:<12} {tuple(x.shape)}")
x = model.classifier[0](x)  # nn.Flatten
assert tuple(x.shape) == (1, 3136)
print(f"{'Flatten':<12} {tuple(x.shape)}  = 64 * 7 * 7")
print(f"{'logits':<12} {tuple(model(torch.zeros(1, 1, 28, 28)).shape)}")

# %%
print(f"feature extractor: {count(model.features):>8,} parameters")
print(f"classifier:        {count(model.classifier):>8,} parameters")

# %% [markdown]
# The two convolution layers, which do the looking, hold about 19 thousand weights; the first
# linear layer of the classifier holds most of the rest. That imbalance is typical of small CNNs,
# and it is why larger ones shrink the feature maps further (or average them away entirely)
# before classifying.
#
# ## Data augmentation
#
# MNIST digits were written on paper, scanned and normalised carefully. The demo's visitors draw
# with a mouse: their digits are tilted, squashed and drawn with strokes thicker or thinner than
# MNIST's. To make the model robust to that, each training batch is randomly distorted:
#
# - a random **affine** warp per image: rotation, zoom, shear and a small shift. One 2 x 3
#   matrix per image describes it; `F.affine_grid` and `F.grid_sample` apply all of them to the
#   whole batch at once;
# - a random **stroke thickness**: a 3 x 3 max pool with stride 1 spreads ink to its neighbours
#   (dilation), the same pool on the negated image shrinks it (erosion).
#
# Working on whole batches as tensor operations keeps this fast on a CPU, where transforming
# images one at a time in a `Dataset` would cost more than the training step itself.

# %%
show_source(augment)

# %%
originals = test_images[:8].unsqueeze(1).float() / 255  # (8, 1, 28, 28)
generator = torch.Generator().manual_seed(0)
versions = [originals] + [augment(originals, generator) for _ in range(3)]
image_grid(torch.cat(versions), titles=["original"] * 8 + ["augmented"] * 24, columns=8)
plt.show()

# %% [markdown]
# Every epoch sees a new random version of every digit, so the model cannot memorise pixels and
# has to learn what makes a 4 a 4. The cost is that training accuracy (on distorted digits)
# stays below validation accuracy (on clean ones) for a while: do not read that as a bug.
#
# ## Training the demo's checkpoint
#
# One function trains the model the demo uses, `train_checkpoint`: it splits MNIST's 60 000
# training digits into 55 000 for training and 5 000 for validation, trains with AdamW and a
# one-cycle learning rate (a short warm-up, then a long decay), measures accuracy on the 10 000
# test digits that were never used for any decision, and saves the weights with a model card.
# The command `python -m learntorch.train digits` calls the same function.

# %%
show_source(train_checkpoint)

# %% [markdown]
# In the full profile this writes `checkpoints/digit_cnn/`, the demo's model; in the smoke
# profile it trains briefly on a few thousand digits into a temporary folder.

# %%
folder = checkpoints.run_folder(NAME)  # full profile: runs/digits/; smoke: a temporary folder
card = train_checkpoint(folder)
print(f"{card['epochs']} epochs in {card['wall_time_s']:.0f} s on {card['device']}")
print(f"test accuracy {card['test_metrics']['accuracy']:.2%} ({card['data']['test']})")

# %%
history = History(**card["history"])
plot_history(history, title="DigitCNN on MNIST")
plt.show()

# %% [markdown]
# ## Test accuracy, recomputed from the saved weights
#
# The card says how well the model did; a good habit is to check by loading the saved file
# (`load_model` verifies its SHA-256 against the card first) and evaluating again. For
# reference, PyTorch's own MNIST example CNN reaches about 99.2%.

# %%
trained = checkpoints.load(DigitCNN, folder)
test_count = pick(smoke=1000, full=10_000)
predictions, truths = predict_loader(trained, plain_loader(test_images[:test_count], test_labels[:test_count]))
accuracy = (predictions == truths).float().mean().item()
print(f"recomputed accuracy on {test_count} test digits: {accuracy:.2%} "
      f"({(predictions != truths).sum().item()} mistakes)")

# %%
plot_confusion(predictions, truths, CLASSES, title="MNIST test set")
plt.show()

# %% [markdown]
# Most of the few mistakes are digits a person could misread too:

# %%
wrong = torch.nonzero(predictions != truths).flatten()[:16]
image_grid(test_images[wrong], titles=[f"true {truths[i]}, said {predictions[i]}" for i in wrong.tolist()],
           columns=8)
plt.show()

# %% [markdown]
# ## What the network has learned
#
# The first layer's 32 filters are 3 x 3 images. Plotted with red for positive and blue for
# negative weights, many are edge detectors at various angles, like the Sobel kernels above,
# and some respond to blobs of ink:

# %%
filters = trained.features[0].weight.detach()[:, 0]  # (32, 1, 3, 3) -> (32, 3, 3)
fig, axes = plt.subplots(4, 8, figsize=(10, 5.5))
for index, (ax, kernel) in enumerate(zip(axes.flat, filters)):
    limit = kernel.abs().max()  # one symmetric scale per filter: white = 0, red > 0, blue < 0
    ax.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax.set_title(f"filter {index}", fontsize=8)
    ax.axis("off")
plt.show()

# %% [markdown]
# Passing one digit through the first block (convolution, batch norm, ReLU) shows what each
# filter found where: every one of the 32 feature maps highlights different edges of the same 7.

# %%
one_digit = normalise_digits(test_images[:1].unsqueeze(1).float() / 255)  # (1, 1, 28, 28)
with torch.no_grad():
    first_block = trained.features[:3](one_digit)[0]    # (32, 28, 28) after ReLU
    second_block = trained.features[:7](one_digit)[0]   # (64, 14, 14) after ReLU
image_grid(first_block, titles=[f"map {i}" for i in range(32)], columns=8)
plt.show()

# %% [markdown]
# The second block's 64 maps are coarser (14 x 14) and harder to name: they combine the first
# block's edges into larger parts of strokes. The first 16:

# %%
image_grid(second_block[:16], titles=[f"map {i}" for i in range(16)], columns=8)
plt.show()

# %% [markdown]
# ## Reading a digit drawn by hand
#
# The demo gives visitors a 280 x 280 white canvas and a black brush. Their digits look nothing
# like MNIST's: black on white, ten times larger, often off-centre, with thick strokes. Drawing
# two such digits here with PIL lets us follow what happens to them:

# %%
def draw(strokes, width: int) -> Image.Image:
    """Black pen lines on a white 280 x 280 canvas, like the demo's sketchpad."""
    canvas = Image.new("RGB", (280, 280), "white")
    pen = ImageDraw.Draw(canvas)
    for stroke in strokes:
        pen.line(stroke, fill="black", width=width, joint="curve")
    return canvas


seven = draw([[(140, 40), (262, 46), (200, 262)]], width=26)                # thick, pushed to the right
four = draw([[(70, 20), (35, 130), (150, 130)], [(125, 55), (118, 200)]], width=14)  # top left
fig, axes = plt.subplots(1, 2, figsize=(6, 3))
for ax, image in zip(axes, (seven, four)):
    ax.imshow(image)
    ax.set_xticks([])  # keep the frame: the canvas is white on a white page
    ax.set_yticks([])
plt.show()

# %% [markdown]
# Fed to the network as they are (merely shrunk to 28 x 28), these would be nothing like the
# training data. `learntorch.digits.to_mnist` redoes what the makers of MNIST did to their scans:
#
# 1. **grayscale and ink**: estimate the paper's brightness from the picture's border (as a
#    gently sloping plane, because photos are rarely lit evenly); the ink is whatever departs
#    from it, in the direction (darker or lighter) that goes further, so black-on-white drawings
#    and white-on-black images both come out as bright ink on black. Faint pixels (noise, JPEG
#    artefacts) are set to zero, and a picture with no ink at all is refused;
# 2. **crop** to the ink's bounding box;
# 3. **scale** so the longer side is 20 pixels, keeping the aspect ratio (a 1 stays thin);
# 4. **centre** it in a 28 x 28 image by its centre of mass, as MNIST did.

# %%
show_source(ink_map)

# %%
show_source(to_mnist_steps)

# %%
for drawing in (seven, four):
    steps = to_mnist_steps(drawing)
    image_grid([np.asarray(drawing.convert("L")), *steps.values()],
               titles=["drawn", *[f"{step}\n{tuple(image.shape)}" for step, image in steps.items()]], columns=5)
    plt.show()

# %% [markdown]
# Only now, after normalising with MNIST's mean and standard deviation, does the model see it.
# `predict` runs all of this and returns the class probabilities and the 28 x 28 image it saw:

# %%
for name, drawing in (("seven", seven), ("four", four)):
    start = time.perf_counter()
    probabilities, seen = read_digit(drawing, trained)
    milliseconds = 1000 * (time.perf_counter() - start)
    top3 = sorted(probabilities.items(), key=lambda item: -item[1])[:3]
    print(f"{name}: " + ", ".join(f"{label} {p:.1%}" for label, p in top3) + f"  ({milliseconds:.0f} ms)")

# %% [markdown]
# The same preprocessing and model run the demo: start it with
#
# ```
# python -m demos.digits
# ```
#
# and open <http://127.0.0.1:7861>. Click the brush, draw a digit, and the demo shows its
# three best guesses next to the 28 x 28 image the model actually saw. It also accepts a photo
# of a digit written on paper.
#
# ## Recap
#
# - Convolutional layers look at small neighbourhoods and reuse the same weights everywhere, so
#   they need far fewer parameters than fully connected layers and find a pattern wherever it is.
# - PyTorch's "convolution" is a cross-correlation; `unfold` plus a matrix product computes it.
# - Output side = floor((n + 2p - k) / s) + 1; `padding=1` keeps a 3 x 3 convolution's size,
#   a 2 x 2 pool with stride 2 halves it.
# - Max pooling keeps the strongest response in each window and has no weights.
# - A CNN = feature extractor (conv -> norm -> ReLU -> pool blocks) + classifier (flatten ->
#   fully connected layers). For the digit CNN: 1x28x28 -> 32x28x28 -> 32x14x14 -> 64x14x14 ->
#   64x7x7 -> 3136 -> 10.
# - Augmentation done on whole batches (affine warps, dilation and erosion) makes the model read
#   digits that look unlike its training data, and costs little on a CPU.
# - A model only works on inputs prepared like its training data: a drawing must be made to look
#   like an MNIST digit before the network sees it.
#
# ## Exercises
#
# 1. **No padding.** Rebuild the feature extractor with `padding=0` in both convolutions. Work
#    out each shape with the formula, then check by passing a tensor through. What input size
#    must the first linear layer have now?
# 2. **Strided convolutions instead of pooling.** Replace each `nn.MaxPool2d(2)` by giving the
#    convolution before it `stride=2`. Do the shapes still end at 64 x 7 x 7? Train for two
#    epochs (use `DigitBatches` and `fit` on a 10 000-image subset) and compare accuracy and time
#    per epoch with the original.
# 3. **Your own kernel.** Write a 3 x 3 kernel that responds to strokes running from bottom left
#    to top right, apply it to the test digits 0-7 with `F.conv2d`, and plot the results.
# 4. **Augmentation matters.** Train two small models for two epochs on 10 000 digits, one with
#    `DigitBatches(..., augmented=False)` and one with augmentation. Compare their accuracy on the
#    clean test set, and their predictions for `seven` and `four` drawn with `width=6` and
#    `width=40`.
# 5. **Skip the preprocessing.** Shrink `seven` straight to 28 x 28 with
#    `seven.convert("L").resize((28, 28))`, invert it, normalise it and classify it with
#    `trained`. How confident is the model now, and why?
# 6. **Count the work.** For each convolution of `DigitCNN`, count the multiply-adds for one image
#    (output positions x output channels x input channels x 9). Which layer costs the most, and
#    how does it compare with the first linear layer?
