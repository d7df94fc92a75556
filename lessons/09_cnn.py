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
# - whether a CNN beats lesson 6's fully connected network on Fashion-MNIST when both get the
#   same training budget;
# - how to train the course's digit CNN with data augmentation, in a loop you can change and
#   rerun, and what the trained network has learned;
# - how to turn a digit drawn on a large white canvas into the kind of image MNIST contains,
#   so the same model reads it (this is what the digit demo does).
#
# ## What this assumes
#
# Lessons 4-7: `nn.Module`, the training loop `learntorch.train.fit` of lesson 6, dropout and
# batch normalisation. Tensors of shape `(batch, channels, height, width)` should look familiar
# from lesson 1.

# %%
import time
from dataclasses import asdict, replace

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw
from torch import nn

from learntorch import checkpoints, pick, seed_everything
from learntorch.data import FASHION_CLASSES, image_tensors
from learntorch.device import describe, pick_device
from learntorch.digits.model import CLASSES, DigitCNN, conv_block, normalise_digits
from learntorch.digits.predict import CHECKPOINT, read_digit
from learntorch.digits.preprocess import ink_map, to_mnist_steps
from learntorch.digits.recipe import (LESSON_RECIPE, NAME, DigitBatches, augment, digit_recipes,
                                      plain_loader, train_recipe)
from learntorch.mlp import make_mlp
from learntorch.paths import ROOT
from learntorch.plots import describe as describe_figure
from learntorch.plots import image_grid, plot_confusion, plot_history
from learntorch.profile import current
from learntorch.show import show_source
from learntorch.splits import fashion_splits, image_splits, make_loaders
from learntorch.train import evaluate, fit
from learntorch.train import predict as predict_loader

seed_everything(0)
device = pick_device()
print("training on:", describe(device))
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
describe_figure(fig, "Three panels: the test digit 7; its response to sobel_x, red along the left edges "
                     "of its strokes and blue along the right edges; and its response to sobel_y, red "
                     "along the top edges and blue along the bottom edges.")
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
describe_figure(fig, "The test digit 7 at 28 x 28, then max pooled to 14 x 14 (strokes stay bright "
                     "and sharp) and average pooled to 14 x 14 (strokes blurred and dimmer).")
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
# Each block comes from `conv_block`, which stacks the four layers named above:

# %%
show_source(conv_block)

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
# ## Does it beat the fully connected network?
#
# Lesson 6 trained a fully connected network (784-512-256-10) on Fashion-MNIST and left it
# confusing shirts, pullovers and coats, whose differences are a few pixels of collar, button or
# seam. Lessons 6 and 8 promised that a network which looks for small local patterns would do
# better. Time to check, fairly: both networks get the same data (lesson 6's split: 50 000
# training, 10 000 validation and the 10 000 test images, standardised the same way), the same
# batches of 256 and the same optimizer, Adam at a learning rate of 1e-3 with a cosine schedule.
# Only the number of epochs is smaller than lesson 6's 15: on a CPU a CNN epoch costs several
# times an ANN epoch (the table below prints the seconds per epoch on this page's device), so
# both get the budget printed below.
#
# The CNN is the digit model above, unchanged: nothing in its layers is specific to digits.

# %%
fashion_sizes = pick(smoke=dict(train_size=2_000, val_size=1_000, test_size=1_000), full=dict())
fashion = make_loaders(fashion_splits(**fashion_sizes), batch_size=256)  # lesson 6's split and batch size
budget_epochs = pick(smoke=1, full=5)
print(f"budget for both: {budget_epochs} epochs of Adam (lr 1e-3, cosine schedule), batches of 256, "
      f"{len(fashion.train.dataset):,} training images")


def train_on_fashion(net: nn.Module):
    """Lesson 6's optimizer and schedule, for budget_epochs epochs; returns the History."""
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=budget_epochs)
    return fit(net, fashion.train, optimizer, epochs=budget_epochs, val_loader=fashion.val,
               scheduler=scheduler, device=device)


contenders = {}
for name, build in (("ANN 784-512-256-10", lambda: make_mlp([512, 256])), ("CNN (DigitCNN)", DigitCNN)):
    print(name)
    seed_everything(0)
    net = build()
    fashion_history = train_on_fashion(net)
    fashion_predictions, fashion_truths = predict_loader(net, fashion.test)
    contenders[name] = (count(net), fashion_history, fashion_predictions)

# %%
print(f"{'':20} {'parameters':>10} {'s/epoch':>8} {'val acc':>8} {'test acc':>9}")
test_accuracy_of = {}
for name, (parameters, fashion_history, fashion_predictions) in contenders.items():
    test_accuracy_of[name] = (fashion_predictions == fashion_truths).float().mean().item()
    print(f"{name:20} {parameters:>10,} {sum(fashion_history.seconds) / fashion_history.epochs:>8.1f} "
          f"{fashion_history.val_acc[-1]:>8.4f} {test_accuracy_of[name]:>9.4f}")
ann_accuracy, cnn_accuracy = test_accuracy_of.values()
print(f"CNN minus ANN on the {len(fashion_truths):,} test images: {100 * (cnn_accuracy - ann_accuracy):+.1f} "
      f"points, {round((cnn_accuracy - ann_accuracy) * len(fashion_truths)):+,} images read correctly")

fig, ax = plt.subplots(figsize=(6, 3.5))
for name, (_, fashion_history, _) in contenders.items():
    ax.plot(range(1, fashion_history.epochs + 1), fashion_history.val_acc, "o-", label=name)
ax.set_xlabel("epoch")
ax.set_ylabel("validation accuracy")
ax.set_title("Fashion-MNIST, same budget")
ax.grid(alpha=0.3)
ax.legend()
describe_figure(fig, "Validation accuracy per epoch on Fashion-MNIST. " + "; ".join(
    f"{name}: from {h.val_acc[0]:.3f} after epoch 1 to {h.val_acc[-1]:.3f} after epoch {h.epochs}"
    for name, (_, h, _) in contenders.items()) + ".")
plt.show()

# %% [markdown]
# The line under the table is the answer, measured on test images neither network was tuned on.
# The CNN also has more parameters, but almost all of them sit in its classifier, a fully
# connected network like the ANN; the part that differs in kind, its two convolutions, holds
# about 19 thousand. Where does the difference come from? Per class, on the same test images:

# %%
(_, _, ann_predictions), (_, _, cnn_predictions) = contenders.values()
print(f"{'class':>12} {'ANN':>6} {'CNN':>6} {'change':>7}")
for label in range(10):
    is_label = fashion_truths == label
    ann_class = (ann_predictions[is_label] == label).float().mean().item()
    cnn_class = (cnn_predictions[is_label] == label).float().mean().item()
    print(f"{FASHION_CLASSES[label]:>12} {ann_class:6.3f} {cnn_class:6.3f} {100 * (cnn_class - ann_class):+6.1f}")

# %% [markdown]
# Compare the upper-body garments (T-shirt/top, pullover, coat, shirt) with the classes that
# have shapes of their own (trouser, bag, sandal): the table shows, class by class, where
# looking for local patterns changed the most.
#
# ## Data augmentation
#
# Back to digits, and to the demo. MNIST digits were written on paper, scanned and normalised
# carefully. The demo's visitors draw with a mouse: their digits are tilted, squashed and drawn
# with strokes thicker or thinner than MNIST's. To make the model robust to that, each training
# batch is randomly distorted:
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
# can stay below validation accuracy (on clean ones) for a while: do not read that as a bug.
#
# ## Training the digit CNN
#
# MNIST's 60 000 training digits are split by `learntorch.splits` (the course's one seeded
# split) into 55 000 for training and 5 000 for validation; the 10 000 test digits are kept for
# the end.

# %%
(train_x, train_y), (val_x, val_y), (test_x, test_y) = image_splits("MNIST")  # uint8 (N, 28, 28), labels (N,)
train_size, val_size, test_size = pick(smoke=(1024, 1000, 1000), full=(None, None, None))
train, val = (train_x[:train_size], train_y[:train_size]), (val_x[:val_size], val_y[:val_size])
test_x, test_y = test_x[:test_size], test_y[:test_size]
print(f"training {len(train[1]):,}, validation {len(val[1]):,}, test {len(test_y):,} digits")

# %% [markdown]
# Here is the whole training, written out so that you can change any part of it and run it
# again:
#
# - the model, `DigitCNN`, with the arguments in `model_args`;
# - **AdamW**: Adam with weight decay applied directly to the weights (lesson 7);
# - a **one-cycle** learning rate: it climbs to its peak over the first 20% of the run and then
#   anneals towards zero, so early epochs make fast progress and the last ones settle;
# - `DigitBatches`: shuffled batches of 128 cut straight from the uint8 tensor, scaled to [0, 1],
#   distorted by `augment` (anew every epoch) and normalised with MNIST's mean and standard
#   deviation;
# - `fit`, lesson 6's loop, which validates on clean digits after every epoch.

# %%
model_args = {"hidden": 256, "dropout": 0.25}  # DigitCNN's arguments


def train_digit_cnn(train, val, epochs: int, device: torch.device, seed: int = 0):
    """Train a DigitCNN on uint8 (images, labels) with augmentation; return it and its History."""
    seed_everything(seed)  # the same seed: the same initial weights, batch order and distortions
    model = DigitCNN(**model_args)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    # fit() steps the scheduler once per epoch. One step more than there are epochs keeps the
    # last epoch learning a little instead of sitting at the cycle's near-zero end point.
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=epochs + 1,
                                                    pct_start=0.2)
    batches = DigitBatches(*train, batch_size=128, seed=seed, device=device)  # augmented
    history = fit(model, batches, optimizer, epochs=epochs, val_loader=plain_loader(*val),
                  scheduler=scheduler, device=device)
    return model, history

# %% [markdown]
# The demo's model is trained by the library's recipe, `learntorch.digits.recipe.train_recipe`,
# which the command `python -m learntorch.train digits` calls. Is the loop above the same
# training? Run both on the same few digits with the same seed, on the CPU (so that no GPU
# kernel adds run-to-run noise), and compare every weight:

# %%
cpu = torch.device("cpu")
tiny_train = (train[0][:pick(smoke=256, full=2048)], train[1][:pick(smoke=256, full=2048)])
tiny_val = (val[0][:500], val[1][:500])
tiny_epochs = 2
print("the loop above:")
ours, _ = train_digit_cnn(tiny_train, tiny_val, tiny_epochs, cpu)
print("the library's recipe:", replace(LESSON_RECIPE, epochs=tiny_epochs))
theirs, _ = train_recipe(replace(LESSON_RECIPE, epochs=tiny_epochs), tiny_train, tiny_val, cpu)
same = all(name_a == name_b and torch.equal(a, b) for (name_a, a), (name_b, b)
           in zip(ours.state_dict().items(), theirs.state_dict().items()))
print(f"identical weights after {tiny_epochs} epochs on {len(tiny_train[1]):,} digits: {same}")

# %% [markdown]
# Identical weights mean identical training. Change the loop (another learning rate, no
# augmentation, a wider model) and this check will say `False`: from then on you are training
# your own variant, and the rest of the page uses it.
#
# The recipe's command does not always train just this one model. It trains every candidate
# that `digit_recipes` lists for the device at hand, and keeps the one with the best validation
# accuracy:

# %%
for name, candidate_device in (("on a CPU", cpu), ("on a CUDA GPU", torch.device("cuda"))):
    print(f"{name}:")
    for recipe in digit_recipes(candidate_device):
        print(f"  widths {recipe.widths}, {recipe.convs_per_block} conv per block, hidden {recipe.hidden}, "
              f"{recipe.epochs} epochs")

# %% [markdown]
# This page trains the loop above on all 55 000 training digits, for fewer epochs than the
# recipe's CPU run, to keep the page affordable on a CPU:

# %%
digit_epochs = pick(smoke=1, full=5)
model, history = train_digit_cnn(train, val, digit_epochs, device)
print(f"{history.epochs} epochs (the recipe's CPU run: {LESSON_RECIPE.epochs}) in {sum(history.seconds):.0f} s "
      f"on {describe(device)}")

# %%
plot_history(history, title="DigitCNN on MNIST")
plt.show()

# %% [markdown]
# ## Saving the run, and testing it
#
# The test digits are used now, once. The weights are then saved with a model card, as the
# demo's checkpoint is, but into this page's own run folder: running a lesson never replaces a
# demo's model (only `python -m learntorch.train` writes `checkpoints/`).

# %%
test_loss, test_accuracy = evaluate(model, plain_loader(test_x, test_y), device=device)
folder = checkpoints.run_folder(NAME)  # runs/digits/ in the full profile; a temporary folder in the smoke one
page_card = checkpoints.save(model.cpu(), folder, {
    "name": NAME,
    "architecture": {"class": f"{DigitCNN.__module__}.{DigitCNN.__name__}", "args": model_args},
    "classes": list(CLASSES),
    "data": {"train": f"{len(train[1])} MNIST training digits, augmented",
             "test": f"{len(test_y)} MNIST test digits"},
    "test_metrics": {"accuracy": round(test_accuracy, 4), "loss": round(test_loss, 4)},
    "epochs": history.epochs,
    "wall_time_s": round(sum(history.seconds), 1),
    "device": describe(device),
    "profile": current(),
    "history": asdict(history),
})
shown_folder = folder.relative_to(ROOT) if folder.is_relative_to(ROOT) else folder
print(f"test accuracy {test_accuracy:.2%}; weights and card saved in {shown_folder}/")

# %% [markdown]
# A good habit is to check a saved model by loading it back (`checkpoints.load` verifies the
# file's SHA-256 against the card first) and evaluating it again. For reference, PyTorch's own
# MNIST example CNN reaches about 99.2%.

# %%
trained = checkpoints.load(DigitCNN, folder)
predictions, truths = predict_loader(trained, plain_loader(test_x, test_y))
accuracy = (predictions == truths).float().mean().item()
print(f"recomputed accuracy on {len(truths):,} test digits: {accuracy:.2%} "
      f"({(predictions != truths).sum().item()} mistakes); the card says {page_card['test_metrics']['accuracy']:.2%}")

# %%
plot_confusion(predictions, truths, CLASSES, title="MNIST test set")
plt.show()

# %% [markdown]
# The first 16 mistakes, with what the model said: some are digits a person could misread too,
# others are plain errors.

# %%
wrong = torch.nonzero(predictions != truths).flatten()[:16]
image_grid(test_x[wrong], titles=[f"true {truths[i]}, said {predictions[i]}" for i in wrong.tolist()],
           columns=8)
plt.show()

# %% [markdown]
# ## This page's run and the demo's checkpoint
#
# The demo does not use the model trained above: it loads `checkpoints/digits/`, written by
# `python -m learntorch.train digits`, on whatever machine last ran that command. Its card says
# which run that was. Side by side with this page's run:

# %%
demo_card = checkpoints.load_card(CHECKPOINT)
cards = {f"this page ({shown_folder}/)": page_card, "the demo (checkpoints/digits/)": demo_card}
rows = {
    "trained on": lambda card: card["device"],
    "date": lambda card: card["saved_at"][:10],
    "epochs": lambda card: card["epochs"],
    "candidates tried": lambda card: len(card.get("selection", {}).get("candidates", [])) or 1,
    "model arguments": lambda card: ", ".join(f"{k}={v}" for k, v in card["architecture"]["args"].items()),
    "wall time": lambda card: f"{card['wall_time_s']:.0f} s",
    "test accuracy": lambda card: f"{card['test_metrics']['accuracy']:.2%} on {int(card['data']['test'].split()[0]):,} digits",
}
print(f"{'':18}" + "".join(f"{name:<42}" for name in cards))
for row, read in rows.items():
    print(f"{row:18}" + "".join(f"{str(read(card)):<42}" for card in cards.values()))

# %% [markdown]
# They are two different runs: the table says on what, when, for how long, and how well each
# did on the same MNIST test set.
#
# ## What the network has learned
#
# The first layer's 32 filters are 3 x 3 images. Plotted with red for positive and blue for
# negative weights, several look like edge detectors at various angles (a side or a corner of
# one colour against the other), much like the Sobel kernels above:

# %%
filters = trained.features[0].weight.detach()[:, 0]  # (32, 1, 3, 3) -> (32, 3, 3)
fig, axes = plt.subplots(4, 8, figsize=(10, 5.5))
for index, (ax, kernel) in enumerate(zip(axes.flat, filters)):
    limit = kernel.abs().max()  # one symmetric scale per filter: white = 0, red > 0, blue < 0
    ax.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax.set_title(f"filter {index}", fontsize=8)
    ax.axis("off")
describe_figure(fig, f"The 32 trained 3 x 3 filters of the first convolution, red for positive and blue for "
                     f"negative weights; the weights range from {filters.min():.2f} to {filters.max():.2f}.")
plt.show()

# %% [markdown]
# Passing one digit through the first block (convolution, batch norm, ReLU) shows what each
# filter found where: each of the 32 feature maps highlights its own parts of the same 7.

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


seven_strokes = [[(140, 40), (262, 46), (200, 262)]]                  # pushed to the right
four_strokes = [[(70, 20), (35, 130), (150, 130)], [(125, 55), (118, 200)]]  # top left
seven, four = draw(seven_strokes, width=26), draw(four_strokes, width=14)
fig, axes = plt.subplots(1, 2, figsize=(6, 3))
for ax, image in zip(axes, (seven, four)):
    ax.imshow(image)
    ax.set_xticks([])  # keep the frame: the canvas is white on a white page
    ax.set_yticks([])
describe_figure(fig, "Two digits drawn with black lines on white 280 x 280 canvases: a thick 7 pushed "
                     "to the right, and a thinner 4 in the top left corner.")
plt.show()

# %% [markdown]
# Fed to the network as they are (merely shrunk to 28 x 28), these would be nothing like the
# training data. `learntorch.digits.preprocess.to_mnist` redoes what the makers of MNIST did to
# their scans:
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
# `read_digit` runs all of this and returns the class probabilities and the 28 x 28 image the
# model saw. Here it reads both drawings with this page's model and with the demo's checkpoint:

# %%
def top3(probabilities: dict) -> str:
    return ", ".join(f"{label} {p:.1%}" for label, p in sorted(probabilities.items(), key=lambda item: -item[1])[:3])


for name, drawing in (("seven", seven), ("four", four)):
    start = time.perf_counter()
    probabilities, seen = read_digit(drawing, trained)
    milliseconds = 1000 * (time.perf_counter() - start)
    print(f"{name}: this page's model {top3(probabilities)} ({milliseconds:.0f} ms) | "
          f"the demo's {top3(read_digit(drawing)[0])}")

# %% [markdown]
# The demo runs this same preprocessing with the checkpoint whose card is printed above: start
# it with
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
# - With lesson 6's optimizer and the same number of epochs, the CNN and the fully connected
#   network were compared on the same Fashion-MNIST test images; the gap is printed above.
# - Augmentation done on whole batches (affine warps, dilation and erosion) shows the model
#   digits unlike its training data, and costs little on a CPU.
# - The training loop is a few visible lines (model, AdamW, one-cycle schedule, augmented
#   batches, `fit`); run with the same seed, it gives the same weights as the library's recipe.
# - A lesson's run saves into `runs/`; only `python -m learntorch.train` writes a demo's
#   checkpoint, and its card records where and how it was trained.
# - A model only works on inputs prepared like its training data: a drawing must be made to look
#   like an MNIST digit before the network sees it.
#
# ## Exercises
#
# Each exercise has a worked solution under it. Try it yourself first, then open the
# solution and compare.

# %% [markdown]
# **1.** **No padding.** Rebuild the feature extractor with `padding=0` in both convolutions.
# Work out each shape with the formula, then check by passing a tensor through. What input size
# must the first linear layer have now?

# %% tags=["solution"]
# By the formula: a 3 x 3 convolution without padding loses one pixel on each side, and a
# 2 x 2 pool halves (rounding down): 28 -> 26 -> 13 -> 11 -> 5.
side = 28
for step in ("conv", "pool", "conv", "pool"):
    side = output_side(side, kernel=3, padding=0, stride=1) if step == "conv" else side // 2
    print(f"after {step}: {side} x {side}")
unpadded = nn.Sequential(
    nn.Conv2d(1, 32, kernel_size=3, padding=0, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(32, 64, kernel_size=3, padding=0, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2))
out = unpadded(torch.zeros(1, 1, 28, 28))  # (1, 64, 5, 5)
print("measured:", tuple(out.shape), "-> the first linear layer needs", out[0].numel(), "inputs (64 * 5 * 5)")
# 1600 instead of 3136: the borders are lost at every convolution, and the odd size 13 loses
# its last row and column to the pool. Without padding, ink near the border is also seen by
# fewer windows than ink in the middle.

# %% [markdown]
# **2.** **Strided convolutions instead of pooling.** Replace each `nn.MaxPool2d(2)` by giving
# the convolution before it `stride=2`. Do the shapes still end at 64 x 7 x 7? Train it for two
# epochs on 10 000 training digits and compare its accuracy and time per epoch with the original.

# %% tags=["solution"]
brief_epochs, brief_size = pick(smoke=1, full=2), pick(smoke=512, full=10_000)


def train_briefly(net: nn.Module, augmented: bool = True):
    """The lesson's optimizer and schedule for brief_epochs epochs on brief_size training digits;
    returns the History and the test accuracy."""
    optimizer = torch.optim.AdamW(net.parameters(), lr=3e-3, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=brief_epochs + 1,
                                                    pct_start=0.2)
    batches = DigitBatches(train[0][:brief_size], train[1][:brief_size], augmented=augmented, device=device)
    brief_history = fit(net, batches, optimizer, epochs=brief_epochs, val_loader=plain_loader(*val),
                        scheduler=scheduler, device=device, verbose=False)
    return brief_history, evaluate(net, plain_loader(test_x, test_y), device=device)[1]


seed_everything(0)
pooled = DigitCNN(**model_args)
seed_everything(0)
strided = DigitCNN(**model_args)
strided.features = nn.Sequential(  # the same classifier; the convolutions now halve the size themselves
    nn.Conv2d(1, 32, kernel_size=3, stride=2, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),   # 32 x 14 x 14
    nn.Conv2d(32, 64, kernel_size=3, stride=2, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU())  # 64 x 7 x 7
print("strided features:", tuple(strided.features(torch.zeros(1, 1, 28, 28)).shape))  # floor((28 + 2 - 3) / 2) + 1 = 14, then 7
brief_results = {}
for name, net in (("max pooling", pooled), ("stride 2", strided)):
    brief_history, brief_test = train_briefly(net)
    brief_results[name] = brief_test
    print(f"{name:12} {sum(brief_history.seconds) / brief_history.epochs:5.1f} s per epoch, validation accuracy "
          f"{brief_history.val_acc[-1]:.4f}, test accuracy {brief_test:.4f}")
# Yes: stride 2 with padding 1 gives floor((n + 2 - 3) / 2) + 1, which halves 28 and 14.
# A strided convolution computes only every other position, so the second convolution
# works on a 7 x 7 grid instead of 14 x 14: about four times fewer multiply-adds there (the
# seconds per epoch show what that saves on this page's device). What it gives up is max pooling's "keep the strongest
# response nearby"; the two accuracies above say whether that cost anything after this
# short a run.

# %% [markdown]
# **3.** **Your own kernel.** Write a 3 x 3 kernel that responds to strokes running from bottom
# left to top right, apply it to the test digits 0-7 with `F.conv2d`, and plot the results.

# %% tags=["solution"]
# A stroke from bottom left to top right lights up the anti-diagonal of a 3 x 3 window.
# Positive weights there and negative ones elsewhere reward exactly that; the weights sum to
# zero, so a flat patch (all ink or all background) gives 0.
rising = torch.tensor([[-1.0, -1.0, 2.0],
                       [-1.0, 2.0, -1.0],
                       [2.0, -1.0, -1.0]])
first_of_each = [torch.nonzero(test_labels == label)[0].item() for label in range(8)]  # one 0, one 1, ... one 7
digits = test_images[first_of_each].unsqueeze(1).float() / 255  # (8, 1, 28, 28)
responses = F.conv2d(digits, rising[None, None], padding=1)[:, 0]  # (8, 28, 28)
image_grid(torch.cat([digits[:, 0], responses.clamp(min=0)]),
           titles=[f"digit {label}" for label in range(8)] + ["response"] * 8, columns=8)
plt.show()
for label, response in enumerate(responses):
    print(f"digit {label}: strongest response {response.max():.2f}, "
          f"{(response > 1.5).sum().item():3} pixels above 1.5")
# The bright pixels in the response maps sit on the parts of each digit that run like "/",
# such as the downstroke of a 7. A trained first layer has filters of this kind among its 32,
# learned rather than written.

# %% [markdown]
# **4.** **Does augmentation matter?** Train a small model for two epochs on 10 000 digits without
# augmentation (`DigitBatches(..., augmented=False)`) and compare it with one trained with
# augmentation: their accuracy on the clean test set, and their predictions for `seven` and
# `four` drawn with `width=6` and `width=40`.

# %% tags=["solution"]
seed_everything(0)
plain = DigitCNN(**model_args)
plain_history, plain_test = train_briefly(plain, augmented=False)
print(f"test accuracy: augmented {brief_results['max pooling']:.4f}, not augmented {plain_test:.4f}")
# `pooled` from the previous solution is the augmented model, trained the same way.
for strokes, label in ((seven_strokes, "7"), (four_strokes, "4")):
    for width in (6, 40):
        drawing = draw(strokes, width=width)
        answers = []
        for name, net in (("augmented", pooled), ("not augmented", plain)):
            probabilities, _ = read_digit(drawing, net.cpu().eval())
            best = max(probabilities, key=probabilities.get)
            answers.append(f"{name} says {best} ({probabilities[best]:.0%})")
        print(f"a {label} drawn {width:>2} px wide: " + "; ".join(answers))
# The clean test accuracies show what augmentation does on digits like the training ones.
# The hand drawings are where it is meant to help: strokes far thinner or thicker than
# MNIST's scanned pen strokes, which only the augmented model has seen (as eroded and
# dilated digits). The predictions above show how each model copes with them. If both read
# all four, remember that to_mnist scales every drawing into a 20-pixel box, which evens out
# much of the stroke width before the model sees it; the demo's visitors, with their tilted,
# squashed and photographed digits, give augmentation more to do.

# %% [markdown]
# **5.** **Skip the preprocessing.** Shrink `seven` straight to 28 x 28 with
# `seven.convert("L").resize((28, 28))`, invert it, normalise it and classify it with
# `trained`. How confident is the model now, and why?

# %% tags=["solution"]
shrunk = torch.tensor(np.asarray(seven.convert("L").resize((28, 28))), dtype=torch.float32) / 255  # (28, 28)
inverted = 1 - shrunk  # white ink on black, as in MNIST
with torch.no_grad():
    raw_probabilities = trained(normalise_digits(inverted)[None, None]).softmax(dim=1)[0]  # (1, 1, 28, 28) -> (10,)
print("without preprocessing:", top3(dict(zip(CLASSES, raw_probabilities.tolist()))))
print("with preprocessing:   ", top3(read_digit(seven, trained)[0]))
image_grid([inverted, read_digit(seven, trained)[1]], titles=["shrunk only", "to_mnist"], columns=2)
plt.show()
# Shrunk as it is, the 7 sits against the right edge and runs from top to bottom of the frame,
# while every MNIST digit fits a 20 x 20 box centred by its mass. The network has hardly ever
# seen ink that close to the border, so whatever it answers, it answers about an input
# outside its experience: a right answer is partly luck, and the probability it prints is no
# measure of how far to trust it. After to_mnist, the digit is where MNIST digits are, and
# the answer rests on what the network learned.

# %% [markdown]
# **6.** **Count the work.** For each convolution of `DigitCNN`, count the multiply-adds for one
# image (output positions x output channels x input channels x 9). Which layer costs the most,
# and how does it compare with the first linear layer?

# %% tags=["solution"]
work = {}  # layer name -> multiply-adds for one image


def count_work(name):
    def hook(layer, inputs, output):
        if isinstance(layer, nn.Conv2d):  # each output value sums in_channels x 3 x 3 products
            positions = output.shape[-2] * output.shape[-1]
            work[name] = positions * layer.out_channels * layer.in_channels * 9
        else:  # nn.Linear: one product per weight
            work[name] = layer.in_features * layer.out_features
    return hook


counted = DigitCNN().eval()
hooks = [layer.register_forward_hook(count_work(f"{name} {type(layer).__name__}"))
         for name, layer in counted.named_modules() if isinstance(layer, (nn.Conv2d, nn.Linear))]
counted(torch.zeros(1, 1, 28, 28))
for hook in hooks:
    hook.remove()
for name, multiply_adds in work.items():
    print(f"{name:<24} {multiply_adds:>10,}")
print(f"{'total':<24} {sum(work.values()):>10,}")
# By hand: first conv 28*28 * 32 * 1 * 9 = 225,792; second conv 14*14 * 64 * 32 * 9 = 3,612,672;
# first linear 3136 * 256 = 802,816. The second convolution holds 18,432 weights, about 2% of
# the model's, yet does most of the arithmetic (each weight is used at 196 positions), about
# 4.5 times the first linear layer's. Parameters and compute are different budgets.

# %% [markdown]
# ## Next
#
# The digit CNN learned every filter from scratch. [Lesson 10: Transfer learning](../10_transfer_learning/)
# starts from a network already trained on a million photos and adapts it to Fashion-MNIST, first
# as a frozen feature extractor, then by fine-tuning.
