# %% [markdown]
# # 10. Transfer learning
#
# The CNN of lesson 9 learned everything it knows from MNIST: every filter started as
# random numbers. That works when you have 60 000 labelled images and a task as simple
# as digits. Most real projects have neither. Transfer learning starts instead from a
# network that someone already trained on a huge, general data set, and teaches it only
# what is new about your task. This lesson takes EfficientNet-Lite0, trained on the 1.28
# million photos of ImageNet, and turns it into a Fashion-MNIST classifier, the one the
# [garment demo](../../demos/) runs.
#
# ## What you will learn
#
# - why features learned on ImageNet help on a different data set, and what the first
#   layers of a trained network actually look like;
# - why transfer learning matters: big models need a lot of data and compute;
# - how a 28 x 28 grayscale image becomes the 3-channel, larger, normalised input that
#   an ImageNet network expects;
# - the two classic recipes: a **frozen feature extractor** with a new head, and
#   **fine-tuning** the upper layers with a smaller learning rate (parameter groups);
# - how much a pretrained network buys on a small labelled budget, compared with the
#   lesson-9 CNN trained from scratch on the same images;
# - a CPU-friendly way to fine-tune: compute the frozen part once and reuse it.
#
# ## What this assumes
#
# Lesson 9 (convolutions, pooling, the `DigitCNN`), lesson 7 (validation sets, early
# stopping, weight decay) and the `fit` loop from lesson 6. The pretrained weights come
# with the course's Python packages, so nothing is downloaded.

# %%
import time
from pathlib import Path

import matplotlib.pyplot as plt
import torch
from sklearn.datasets import load_sample_image
from timm.data import ImageNetInfo
from torch import nn

from learntorch.data import FASHION_CLASSES
from learntorch.device import describe, pick_device, seed_everything
from learntorch.digits.model import DigitCNN
from learntorch.plots import image_grid, plot_confusion, plot_history
from learntorch.profile import current, pick
from learntorch.show import show_source
from learntorch.train import History, evaluate, fit, predict
from learntorch import checkpoints
from learntorch.fashion.frozen import (ActivationBatches, fashion_activations, fine_tune, frozen_recipe,
                                       make_optimizer)
from learntorch.fashion.model import (BackboneInput, FashionTransferNet, imagenet_backbone, load_by_position,
                                      normalisation, to_unit)
from learntorch.fashion.predict import classify_garment
from learntorch.fashion.preprocess import to_fashion_steps
from learntorch.fashion.recipe import NAME, train_checkpoint
from learntorch.splits import image_splits

seed_everything(0)
device = pick_device()
settings = frozen_recipe(device)
print(f"device: {describe(device)}, profile: {current()}")
print(f"backbone input: {settings.resolution} x {settings.resolution} pixels, "
      f"fine-tuned blocks: {settings.tuned_blocks}")

# %% [markdown]
# ## Why start from someone else's network
#
# Two costs make training a large vision model from scratch impractical for most tasks.
#
# **Data.** A network with millions of weights has millions of ways to memorise its
# training set. It only learns features that generalise when it sees a great variety of
# examples: ImageNet's 1.28 million labelled photos in 1 000 classes are what made
# modern vision networks work. Labelling even a few thousand images of your own is slow
# and expensive.
#
# **Compute.** Those photos are passed through the network dozens to hundreds of times
# during training. Doing that takes many GPU-days, out of reach on a laptop.
#
# Transfer learning pays neither cost twice. In the first stage (done by others) a
# network is **pretrained** on the large data set. In the second stage you take its
# layers that turn pixels into features, **freeze** them (their weights are no longer
# updated), replace the final classifier with a new one for your classes and train
# only that. When your data differs enough from ImageNet, you then **fine-tune**: let the
# upper layers adapt too, gently, while the lower ones stay frozen.
#
# ## The pretrained backbone
#
# EfficientNet-Lite0 is a small, fast ImageNet classifier built from the same pieces as
# lesson 9's CNN (convolutions, batch norm, a nonlinearity) arranged in 16 "inverted
# residual" blocks. The library `timm` builds the architecture; the ImageNet weights
# come from a separate package, stored as a state dict whose tensors have different
# names but the same order. `load_by_position` pairs them up and refuses to load
# anything unless every pair fits:

# %%
show_source(load_by_position)

# %%
backbone = imagenet_backbone()
print(f"{sum(p.numel() for p in backbone.parameters()):,} parameters, "
      f"{len(backbone.state_dict())} tensors in the state dict")
print("normalisation used in its ImageNet training: mean", normalisation()[0],
      "std", normalisation()[1])

# %% [markdown]
# A quick check that these really are ImageNet weights: a photo of a Chinese temple
# that ships with scikit-learn, resized to 224 x 224 (the resolution the network was
# trained at) and normalised the way the network's training images were.

# %%
photo = load_sample_image("china.jpg")                        # (427, 640, 3) uint8
pixels = torch.tensor(photo).permute(2, 0, 1).float() / 255   # (3, 427, 640)
side = min(pixels.shape[1:])
left = (pixels.shape[2] - side) // 2
square = pixels[:, :, left:left + side]                        # (3, 427, 427), centre crop
resized = nn.functional.interpolate(square[None], size=(224, 224), mode="bilinear",
                                    antialias=True, align_corners=False)  # (1, 3, 224, 224)
mean, std = (torch.tensor(v).view(1, 3, 1, 1) for v in normalisation())
with torch.no_grad():
    probabilities = backbone((resized - mean) / std).softmax(dim=1)[0]  # (1000,)
imagenet = ImageNetInfo()
top = probabilities.topk(5)
for p, index in zip(top.values, top.indices):
    print(f"{p:6.1%}  {imagenet.index_to_description(index.item())}")
plt.figure(figsize=(4, 3))
plt.imshow(resized[0].permute(1, 2, 0).clamp(0, 1).numpy())  # (224, 224, 3) for matplotlib
plt.axis("off")
plt.show()

# %% [markdown]
# ## What the layers learned
#
# Why would features learned on photos of temples, dogs and cars help with clothes?
# Look at the first layer: 32 filters of size 3 x 3 over the three colour channels,
# each shown below as a tiny colour image (scaled so its weights span the full range).

# %%
filters = backbone.conv_stem.weight.detach()                 # (32, 3, 3, 3)
low = filters.amin(dim=(1, 2, 3), keepdim=True)
high = filters.amax(dim=(1, 2, 3), keepdim=True)
tiles = ((filters - low) / (high - low)).permute(0, 2, 3, 1)  # (32, 3, 3, 3): filter, row, col, RGB
fig = image_grid(list(tiles.numpy()), columns=16, cmap=None)
fig.suptitle("EfficientNet-Lite0's first-layer filters (ImageNet)")
plt.show()

# %% [markdown]
# Many are small edge and gradient detectors (dark on one side, light on the other, at
# different angles) and colour-contrast detectors. Every image, whatever it shows, is
# made of edges, so such filters are useful for any vision task. Deeper layers combine
# edges into corners and textures, then into parts (a collar, a sole, a handle), and
# only the last layers become specific to ImageNet's 1 000 classes. That is why the
# lower layers transfer well and why the upper layers are the ones worth adapting.
#
# The activations tell the same story. Below, one Fashion-MNIST image passes through
# the network (its input preparation is explained in the next section): after the first
# convolution the maps still look like the garment, with different edges lit up; by
# block 11 they are coarse grids of "something of this kind is here" signals.

# %%
(train_x, train_y), (val_x, val_y), (test_x, test_y) = image_splits("FashionMNIST")
example = to_unit(test_x[:1])                                  # (1, 1, 28, 28)
prepare = BackboneInput(settings.resolution)
with torch.no_grad():
    after_stem = backbone.bn1(backbone.conv_stem(prepare(example)))
    blocks = [block for stage in backbone.blocks for block in stage]
    after_block = {}
    activation = after_stem
    for index, block in enumerate(blocks):
        activation = block(activation)
        after_block[index] = activation
for name, maps in (("first convolution", after_stem), ("block 3", after_block[3]),
                   ("block 11", after_block[11])):
    print(f"{name:>17}: {tuple(maps.shape[1:])}  (channels, height, width)")
    fig = image_grid(list(maps[0, :8].numpy()), columns=8, cmap="viridis")
    fig.suptitle(f"8 of the {maps.shape[1]} feature maps after the {name}")
    plt.show()

# %% [markdown]
# ## From a 28 x 28 grayscale image to backbone input
#
# The backbone was trained on RGB photos of 224 x 224 pixels whose values were
# normalised with its own mean and standard deviation. A Fashion-MNIST image is one
# gray channel of 28 x 28. Three steps bridge the gap:
#
# 1. **resize** the image to the chosen resolution (bilinear interpolation). Convolutions
#    work at any size, but a garment of 28 pixels is far smaller than the objects the
#    filters were trained on, and after five halvings a 28-pixel image would be a single
#    pixel. Larger inputs cost more: the work grows with the number of pixels.
# 2. **repeat** the gray channel three times, so R = G = B: a gray photo.
# 3. **normalise** with the backbone's own statistics (for this network, mean 0.5 and
#    standard deviation 0.5 per channel, so [0, 1] becomes [-1, 1]).

# %%
show_source(BackboneInput)

# %%
image = to_unit(train_x[:1])                                    # (1, 1, 28, 28) in [0, 1]
resized = nn.functional.interpolate(image, size=(settings.resolution,) * 2, mode="bilinear",
                                    align_corners=False)        # (1, 1, R, R)
rgb = resized.expand(-1, 3, -1, -1)                             # (1, 3, R, R)
backbone_input = BackboneInput(settings.resolution)(image)      # the same three steps
print("Fashion-MNIST image:", tuple(image.shape), f"values {image.min():.1f}..{image.max():.1f}")
print("resized:            ", tuple(resized.shape))
print("three channels:     ", tuple(rgb.shape))
print("normalised:         ", tuple(backbone_input.shape),
      f"values {backbone_input.min():.1f}..{backbone_input.max():.1f}")
image_grid([image[0, 0], resized[0, 0]], titles=["28 x 28", f"{settings.resolution} x "
                                                 f"{settings.resolution}"], columns=2)
plt.show()

# %% [markdown]
# ## Cutting the network in three
#
# `FashionTransferNet` keeps EfficientNet-Lite0's layers and splits them where the
# training will differ:
#
# - `lower`: the first convolution and the first blocks, **frozen**. Generic edges and
#   textures; they keep their ImageNet weights.
# - `upper`: the last few blocks, the final 1 x 1 convolution and global average
#   pooling, turning the image into 1 280 numbers. These can be **fine-tuned**.
# - `head`: ImageNet's 1 000-class classifier thrown away and replaced by a new, randomly
#   initialised linear layer with ten outputs, one per Fashion-MNIST class.

# %%
show_source(FashionTransferNet)

# %%
model = FashionTransferNet(resolution=settings.resolution, tuned_blocks=settings.tuned_blocks)
with torch.no_grad():
    x = model.prepare(to_unit(train_x[:2]))
    print(f"{'input':>8}: {tuple(x.shape)}")
    for name in ("lower", "upper", "head"):
        x = getattr(model, name)(x)
        count = sum(p.numel() for p in getattr(model, name).parameters())
        print(f"{name:>8}: {tuple(x.shape)}   {count:>9,} parameters")

# %% [markdown]
# ## Compute the frozen part once
#
# Frozen layers give the same output for an image every time, so there is no need to
# run them every epoch. Running the whole backbone on each image once, storing what
# `lower` produces, and then training only `upper` and `head` on those stored
# activations makes fine-tuning affordable on a CPU. The price is augmentation: an
# image shifted or rotated at random would need its activations computed again, every
# epoch. One augmentation stays affordable: a garment mirrored left to right is still
# the same garment, so we also store the activations of each training image's mirror
# image, and every epoch picks one of the two at random.
# Here is how much each part costs on this machine:

# %%
batch = to_unit(train_x[:64])                                   # (64, 1, 28, 28)
model.eval()
with torch.no_grad():
    model(batch)                                                # warm-up
    start = time.perf_counter()
    activations = model.lower(model.prepare(batch))
    lower_seconds = time.perf_counter() - start
    start = time.perf_counter()
    model.head(model.upper(activations))
    upper_seconds = time.perf_counter() - start
print(f"lower part: {64 / lower_seconds:7.0f} images/s   upper part + head: "
      f"{64 / upper_seconds:7.0f} images/s  (forward only, {describe(device)})")

# %% [markdown]
# Now the activations of every image (train, its mirror images, validation and test):
# the slow step of the lesson, done once. The training split is Fashion-MNIST's 60 000
# training images minus 5 000 kept apart for validation.

# %%
data = fashion_activations(settings.resolution, settings.tuned_blocks, settings.train_size,
                           settings.val_size, settings.test_size)
for split in ("train", "mirrored", "val", "test"):
    stored, labels = data[split]
    print(f"{split:>5}: {tuple(stored.shape)} {stored.dtype}, "
          f"{stored.numel() * stored.element_size() / 1e6:.0f} MB")
print(f"computed in {data['seconds']:.0f} s")

# %% [markdown]
# ## Three ways to use 1 000 labelled images
#
# Suppose only 1 000 labelled images were available. We compare three models trained
# on exactly the same images and judged on the same validation and test sets:
#
# - **(a) frozen feature extractor**: the whole backbone frozen, only the new head
#   (12 810 weights) trained on the 1 280 features it produces;
# - **(b) fine-tuning**: the upper blocks trained too, with a smaller learning rate
#   than the head's;
# - **(c) from scratch**: lesson 9's `DigitCNN`, with random initial weights.

# %%
budget = pick(smoke=len(data["train"][1]), full=1000)
small_train = tuple(part[:budget] for part in data["train"])
print(f"labelled budget: {budget} images, class counts "
      f"{torch.bincount(small_train[1], minlength=10).tolist()}")
results = {}

# %% [markdown]
# **(a) Frozen feature extractor.** With the upper part frozen too, each image's 1 280
# features never change either, so we compute them once and train the head alone:
# a linear classifier on fixed features, which takes seconds.

# %%
frozen = FashionTransferNet(resolution=settings.resolution, tuned_blocks=settings.tuned_blocks)
frozen.eval()


@torch.no_grad()
def pooled_features(stored: torch.Tensor) -> torch.Tensor:
    """The 1 280 features of each image: the frozen upper part run on stored activations."""
    return torch.cat([frozen.upper(chunk.float()) for chunk in stored.split(500)])  # (N, 1280)


features = {split: (pooled_features(data[split][0][:budget] if split == "train"
                                    else data[split][0]), data[split][1][:budget]
                    if split == "train" else data[split][1])
            for split in ("train", "val", "test")}
loader = {split: ActivationBatches(*features[split], batch_size=128, shuffle=split == "train")
          for split in features}
start = time.perf_counter()
history_a = fit(frozen.head, loader["train"], torch.optim.AdamW(frozen.head.parameters(), lr=1e-3),
                epochs=pick(smoke=2, full=60), val_loader=loader["val"], device=device,
                verbose=False)
results["(a) frozen backbone + new head"] = (
    sum(p.numel() for p in frozen.head.parameters()), time.perf_counter() - start,
    history_a.val_acc[-1], evaluate(frozen.head, loader["test"], device=device)[1])
print(f"validation accuracy after {history_a.epochs} epochs: {history_a.val_acc[-1]:.4f}")

# %% [markdown]
# **(b) Fine-tuning.** Now the upper blocks learn as well. Their weights are already
# good, while the head starts from random numbers and produces large, noisy gradients
# at first; with one learning rate for everything, those early steps could scramble
# the pretrained weights. An optimizer accepts **parameter groups**, each with its own
# settings, so the head gets a larger learning rate than the pretrained blocks:

# %%
show_source(make_optimizer)

# %%
show_source(fine_tune)

# %%
tuned = FashionTransferNet(resolution=settings.resolution, tuned_blocks=settings.tuned_blocks,
                           dropout=settings.dropout)
start = time.perf_counter()
history_b = fine_tune(tuned, small_train, data["val"], epochs=pick(smoke=1, full=10),
                      head_lr=settings.head_lr, upper_lr=settings.upper_lr, device=device,
                      verbose=False)
trainable = nn.Sequential(tuned.upper, tuned.head)
results["(b) fine-tuned upper blocks + new head"] = (
    sum(p.numel() for p in trainable.parameters()), time.perf_counter() - start,
    history_b.val_acc[history_b.best_epoch - 1], evaluate(trainable, ActivationBatches(*data["test"], batch_size=500),
                                     device=device)[1])
plot_history(history_b, "fine-tuning on the small budget")
plt.show()

# %% [markdown]
# **(c) From scratch.** Lesson 9's CNN on the same images, standardised with the mean
# and standard deviation of those training pixels.

# %%
scratch_images = to_unit(train_x[:budget])                     # (budget, 1, 28, 28)
pixel_mean, pixel_std = scratch_images.mean(), scratch_images.std()


def standardised_loader(images, labels, shuffle=False):
    inputs = (to_unit(images) - pixel_mean) / pixel_std         # (N, 1, 28, 28)
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(inputs, labels),
                                       batch_size=64 if shuffle else 1000, shuffle=shuffle)


val_size = len(data["val"][1])
scratch = DigitCNN()
start = time.perf_counter()
history_c = fit(scratch, standardised_loader(train_x[:budget], train_y[:budget], shuffle=True),
                torch.optim.AdamW(scratch.parameters(), lr=1e-3, weight_decay=0.05),
                epochs=pick(smoke=1, full=30), patience=pick(smoke=1, full=5), restore_best=True,
                val_loader=standardised_loader(val_x[:val_size], val_y[:val_size]),
                device=device, verbose=False)
test_size = len(data["test"][1])
results["(c) lesson-9 CNN from scratch"] = (
    sum(p.numel() for p in scratch.parameters()), time.perf_counter() - start,
    history_c.val_acc[history_c.best_epoch - 1],
    evaluate(scratch, standardised_loader(test_x[:test_size], test_y[:test_size]), device=device)[1])
print(f"stopped after {history_c.epochs} epochs, kept epoch {history_c.best_epoch}")

# %%
print(f"Trained on the same {budget} labelled images ({describe(device)}):\n")
print(f"| {'model':<40} | {'trained weights':>15} | {'train time':>10} | {'val acc':>7} | {'test acc':>8} |")
print(f"|{'-' * 42}|{'-' * 17}:|{'-' * 11}:|{'-' * 8}:|{'-' * 9}:|")
for name, (weights, seconds, val_acc, test_acc) in results.items():
    print(f"| {name:<40} | {weights:>15,} | {seconds:>8.0f} s | {val_acc:>7.4f} | {test_acc:>8.4f} |")

# %%
scratch_test = results["(c) lesson-9 CNN from scratch"][3]
for name, (_, _, _, test_acc) in list(results.items())[:2]:
    print(f"{name}: {100 * (test_acc - scratch_test):+.1f} points of test accuracy "
          f"compared with the CNN trained from scratch")

# %% [markdown]
# How much does pretraining buy here? Read the difference above rather than expecting a
# landslide. Fashion-MNIST's garments are 28-pixel gray silhouettes on black, nothing
# like ImageNet's colour photos, and lesson 9's CNN was designed for exactly such small
# images, so even from a thousand labels it learns useful filters of its own. The
# pretrained models start with features that already separate shapes and textures
# and only have to learn which of them mean "sandal" or "coat"; fine-tuning can also
# adapt the upper blocks from colour photos to gray garments, which the frozen extractor
# cannot. Transfer pays most when the new images resemble the pretraining images
# (photos of objects, scenes, materials), when labels are even scarcer (exercise 2),
# and when the whole network can be fine-tuned on full-size images, which is a GPU job.
# The frozen extractor is by far the cheapest: 12 810 weights, trained in seconds.
#
# ## The demo's model: fine-tuning on all the training images
#
# The demo's checkpoint uses recipe (b) on every training image, with the stored
# activations computed above and the mirror images as augmentation. On a CPU it
# fine-tunes the last few blocks for a few epochs; on a GPU the same recipe fine-tunes
# more blocks for more epochs. The settings for this run:

# %%
print(settings)

# %% [markdown]
# `train_checkpoint` is the one function that trains the demo's model, here and in
# `python -m learntorch.train fashion`. In the full profile it writes
# `checkpoints/fashion_transfer/` (weights in safetensors and a card with the data, the
# test accuracy, the device and the time); in the smoke profile a temporary folder.

# %%
folder = checkpoints.run_folder(NAME)
card = train_checkpoint(folder)
print(f"test accuracy {card['test_metrics']['accuracy']:.4f} on {card['data']['test']}")
print(f"trained for {card['epochs']} epochs, {card['wall_time_s']:.0f} s on {card['device']} in all, "
      f"of which {card['feature_caching_s']:.0f} s computing the frozen part's activations "
      f"(shared with the experiments above)")

# %%
plot_history(History(**card["history"]), "fine-tuning the demo's model")  # stored in the card
plt.show()

# %% [markdown]
# Which garments does it confuse? The saved model is loaded back (its weights checked
# against the card's SHA-256) and run on the stored test activations:

# %%
demo_model = checkpoints.load(FashionTransferNet, folder, pretrained=False)
predictions, truths = predict(nn.Sequential(demo_model.upper, demo_model.head),
                              ActivationBatches(*data["test"], batch_size=500))
plot_confusion(predictions, truths, FASHION_CLASSES, "test set")
plt.show()

# %% [markdown]
# Shirts, T-shirts, pullovers and coats are the hard classes: at 28 x 28 pixels in gray
# they differ in a collar or a button line, and many human labellers would hesitate too.
#
# ## A photo is not a Fashion-MNIST image
#
# The demo receives colour photos of any size, mostly of dark garments on light
# backgrounds. Fashion-MNIST images are the opposite: light garments on black, gray,
# 28 x 28, the garment filling the image along its longer side. Before the model sees a
# photo, `to_fashion` converts it: gray, inverted when the background is light, cropped
# to the object, padded to a square and shrunk to 28 x 28. Then the same steps as for
# any Fashion-MNIST image follow (`BackboneInput`).

# %%
steps = to_fashion_steps("demos/examples/fashion/sneaker.png")
image_grid(list(steps.values()), titles=list(steps), columns=4)
plt.show()
probabilities, _ = classify_garment("demos/examples/fashion/sneaker.png", demo_model)
for label, p in sorted(probabilities.items(), key=lambda item: -item[1])[:3]:
    print(f"{p:6.1%}  {label}")

# %% [markdown]
# The same for every drawing in the demo's example folder, with the model's first choice:

# %%
for drawing in sorted(Path("demos/examples/fashion").glob("*.png")):
    probabilities, _ = classify_garment(drawing, demo_model)
    best = max(probabilities, key=probabilities.get)
    print(f"{drawing.stem:>11}: {best} ({probabilities[best]:.0%})")

# %% [markdown]
# The sneaker is the one the model gets wrong, and the reason is worth seeing. The
# drawing is a flat silhouette: one even patch with a few lace marks. Fashion-MNIST's
# sneakers are photographs, with shading, a bright sole, seams and mesh, and those
# details are what the model learned to tell a sneaker from a sandal or an ankle boot.
# Without them it spreads its bets over the footwear classes. A model knows only the
# kind of images it was trained on; that is why the demo shows the 28 x 28 image it saw,
# and why its examples leave the sneaker out.

# %% [markdown]
# ## Recap
#
# - A network pretrained on a large data set has learned general features (edges and
#   textures low down, parts higher up); a new task can reuse them instead of paying
#   again for the data and compute they took.
# - A grayscale 28 x 28 image becomes backbone input by resizing, repeating the channel
#   three times and normalising with the backbone's own statistics.
# - **Frozen feature extractor**: freeze everything, replace the classifier, train only
#   the new head. Cheap and robust, but the features stay tuned to ImageNet.
# - **Fine-tuning**: also train the upper blocks, with a smaller learning rate than the
#   head (parameter groups), while the lower layers stay frozen.
# - Always compare with a model trained from scratch on the same labels: what
#   pretraining buys depends on how close the new images are to the pretraining ones.
# - Frozen layers need running only once per image: storing their activations makes
#   fine-tuning the upper layers feasible on a CPU, at the price of augmentation; only
#   a fixed one, such as left-right mirror images stored too, remains possible.
#
# ## Exercises
#
# 1. Set `tuned_blocks` to 1, 2 and 8 for the small-budget fine-tuning (b). How do
#    accuracy and training time change? Where do the gains stop?
# 2. Repeat the table with budgets of 100 and 10 000 images. At which budget does the
#    from-scratch CNN come closest to the pretrained models?
# 3. Train (b) with one learning rate for everything (`upper_lr = head_lr`), once at the
#    head's rate and once at the upper blocks' rate. What happens to the validation curve?
# 4. Fashion-MNIST is light-on-dark, ImageNet photos mostly are not. Invert the images
#    (`1 - image`) before `BackboneInput` in recipe (a): does the frozen extractor do
#    better or worse?
# 5. Change the resolution to 64 and to 160 pixels. Measure the images per second of
#    the lower part and the accuracy of recipe (a) at each size.
# 6. Photograph a garment on a plain background and try it in the demo. Look at the
#    image the model saw: what goes wrong with a busy background, and why?
