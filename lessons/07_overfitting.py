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
# # 7. Overfitting and its cures, measured

# %% [markdown]
# ## What you will learn
#
# - How to see overfitting: the gap between training and validation accuracy, and a
#   validation loss that turns back up.
# - Four cures, what each one does inside the network and where it goes:
#   **dropout** (after the activation), **batch normalisation** (after the linear layer,
#   before the activation), **L2 regularisation / weight decay** (on weights, not biases),
#   and **early stopping** (keep the best epoch's weights).
# - Why `model.train()` and `model.eval()` matter for dropout and batch norm.
# - How much each cure helps on its own and combined, measured side by side in one table.
# - Why more data, a smaller network and data augmentation help too.
#
# ## What this assumes
#
# Lesson 6: Fashion-MNIST, the validation split, `make_mlp` and the training loop `fit`.

# %%
import matplotlib.pyplot as plt
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from learntorch.device import pick_device, seed_everything
from learntorch.plots import plot_history
from learntorch.profile import pick
from learntorch.show import show_source
from learntorch.train import evaluate, fit
from learntorch.mlp import make_mlp, weight_decay_groups
from learntorch.splits import fashion_loaders

device = pick_device()
print("device:", device)

# %% [markdown]
# ## Overfitting, made visible
#
# In lesson 6 the training accuracy ended above the validation accuracy. That difference,
# the **generalisation gap**, is the symptom of overfitting: the network has learned
# things that are true of its training images but not of clothes in general, down to
# memorising individual pictures. To see it clearly we make it worse on purpose, with the
# two things that feed it most: **little data** (3 000 training images instead of 50 000)
# and **a lot of capacity** (two hidden layers of 512 units, about 670 000 weights, more
# than 200 per training image), trained for **many epochs** (30, twice lesson 6's).
# The validation set stays the same 10 000 images as in lesson 6.

# %%
loaders = fashion_loaders(batch_size=128, **pick(
    smoke=dict(train_size=300, val_size=500, test_size=500),
    full=dict(train_size=3_000)))
print({name: len(loader.dataset) for name, loader in loaders._asdict().items()})
HIDDEN = [512, 512]
EPOCHS = pick(smoke=2, full=30)
PATIENCE = pick(smoke=1, full=5)
print(f"{sum(p.numel() for p in make_mlp(HIDDEN).parameters()):,} parameters")

# %% [markdown]
# Every run in this lesson uses the same recipe, so that the only difference between two
# runs is the cure being tested: the same seed (same initial weights, same batch order),
# AdamW with a learning rate of 1e-3 and a cosine schedule, the same number of epochs.
# AdamW with `weight_decay=0` is exactly Adam; the weight decay section explains the "W".
# After training, the model is measured once more in evaluation mode on all three sets.

# %%
def train_variant(dropout=0.0, batch_norm=False, weight_decay=0.0, patience=None):
    seed_everything(0)
    model = make_mlp(HIDDEN, dropout=dropout, batch_norm=batch_norm)
    optimizer = torch.optim.AdamW(weight_decay_groups(model, weight_decay), lr=1e-3)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=EPOCHS)
    history = fit(model, loaders.train, optimizer, epochs=EPOCHS, val_loader=loaders.val,
                  scheduler=scheduler, patience=patience, restore_best=patience is not None,
                  device=device, verbose=False)
    (_, train_acc), (val_loss, val_acc), (_, test_acc) = (
        evaluate(model, loader, device=device) for loader in loaders)
    scores = {"train acc": train_acc, "val acc": val_acc, "test acc": test_acc,
              "gap": train_acc - val_acc, "val loss": val_loss, "epochs run": history.epochs}
    return scores, history


results, histories = {}, {}
results["no cure"], histories["no cure"] = train_variant()
print({name: round(value, 4) for name, value in results["no cure"].items()})

# %%
plot_history(histories["no cure"], f"no cure: {len(loaders.train.dataset)} training images")
plt.show()
baseline = histories["no cure"]
best_loss_epoch = 1 + min(range(baseline.epochs), key=baseline.val_loss.__getitem__)
best_acc_epoch = 1 + max(range(baseline.epochs), key=baseline.val_acc.__getitem__)
print(f"validation loss was lowest after epoch {best_loss_epoch} ({min(baseline.val_loss):.3f}) "
      f"and ended at {baseline.val_loss[-1]:.3f}")
print(f"validation accuracy was highest after epoch {best_acc_epoch} ({max(baseline.val_acc):.4f})")

# %% [markdown]
# The training accuracy climbs towards 100% while the validation accuracy stalls far below
# it. The validation **loss** tells the story more sharply: after a few epochs it turns
# around and rises, even while the validation accuracy holds steady or still creeps up.
# Cross-entropy punishes
# confident mistakes heavily, and a network that has memorised its training set becomes
# very confident about everything, including the validation images it gets wrong.
#
# ## The cures
#
# There are two kinds of remedy. Some change what the network is trained on or with:
#
# - **More data.** With more images, there are fewer coincidences in the training set for
#   the network to latch onto, and memorising each image gets harder than learning what
#   the images have in common. This is the best cure when you can have it: compare lesson
#   6's gap, with 50 000 training images, to the one above.
# - **Data augmentation** makes more data out of the data you have: small shifts,
#   rotations, flips or crops of each image, new at every epoch, so the network never sees
#   exactly the same picture twice and must learn what survives those changes. It suits
#   convolutional networks best (lessons 9 and 10).
# - **A smaller network** has less capacity to memorise: fewer, narrower layers. The cost
#   is that a network too small cannot learn the real patterns either (underfitting).
#
# The others keep the data and the architecture and change how training works. Those are
# the four we measure: dropout, batch normalisation, L2 regularisation (weight decay) and
# early stopping.
#
# ### Dropout
#
# During training, a dropout layer sets each of its inputs to zero with probability `p`,
# a new random choice for every example and every batch. No unit can rely on a particular
# other unit being there, so the network cannot build fragile conspiracies of units that
# fit individual training images; it has to spread what it knows over many units. It
# behaves somewhat like training a huge family of thinner networks that share weights, and
# averaging them at test time.
#
# At evaluation time dropout must switch off, or predictions would be random. To keep the
# scale of the activations the same in both modes, PyTorch divides the surviving values by
# `1 - p` during training ("inverted dropout"), so in evaluation mode the layer does nothing.

# %%
dropout = nn.Dropout(p=0.5)
activations = torch.ones(2, 8)
dropout.train()  # what model.train() does to every layer
print("train mode:\n", dropout(activations))
dropout.eval()  # what model.eval() does
print("eval mode:\n", dropout(activations))

# %% [markdown]
# In train mode about half the values are zeroed and the rest are doubled (1 / (1 - 0.5)),
# so the mean stays about 1. In eval mode the input passes through unchanged. This is why
# `fit` calls `model.train()` before each epoch and `evaluate` calls `model.eval()`.
#
# Dropout goes in the **hidden** layers, **after** the activation: it silences a unit's
# output, which is what the next layer reads. (With ReLU, dropping before the activation
# happens to give the same result, since ReLU(0) = 0 and ReLU(2x) = 2 ReLU(x); with an
# activation such as the sigmoid, where sigmoid(0) = 0.5, only dropout after it really
# switches a unit off.) Not on the output layer: that would randomly erase class scores.
# `make_mlp` places it so:

# %%
print(make_mlp([512, 512], dropout=0.5))

# %% [markdown]
# ### Batch normalisation
#
# Each layer learns to work with the outputs of the layer before it, but those outputs
# change all the time, because the earlier layer's weights keep changing; every layer
# is chasing a moving target (the original paper calls this *internal covariate shift*).
# A batch-norm layer steadies that: for each feature, it subtracts the mean and divides by
# the standard deviation **over the current mini-batch**, then applies a learnable scale
# `gamma` (`weight`) and shift `beta` (`bias`), so the network can still choose whatever
# mean and spread suits the next layer.
#
# Its main benefit is faster, more stable training (it tolerates larger learning rates).
# It also regularises a little, as a side effect: an example's output depends on which
# other examples share its batch, a small random perturbation similar in spirit to dropout.
#
# At evaluation time there is no batch to average over (a single image must get a single,
# deterministic answer), so during training the layer keeps **running averages** of the
# means and variances it saw, and in evaluation mode it uses those instead.

# %%
seed_everything(0)
batch_norm = nn.BatchNorm1d(3)  # 3 features
# A batch of 64 examples whose features have very different means and spreads.
batch = torch.randn(64, 3) * torch.tensor([1.0, 5.0, 0.1]) + torch.tensor([10.0, -3.0, 0.5])
batch_norm.train()
out = batch_norm(batch)
print("input  mean", batch.mean(0), "std", batch.std(0))
print("output mean", out.mean(0).detach(), "std", out.std(0).detach())
print("learnable gamma", batch_norm.weight.data, "beta", batch_norm.bias.data)
print("running mean after 1 batch ", batch_norm.running_mean, "(momentum 0.1: 10% of the way)")

# %%
for _ in range(50):  # more training batches from the same distribution
    batch_norm(torch.randn(64, 3) * torch.tensor([1.0, 5.0, 0.1]) + torch.tensor([10.0, -3.0, 0.5]))
print("running mean after 51 batches", batch_norm.running_mean)
print("running var  after 51 batches", batch_norm.running_var)
batch_norm.eval()
example = torch.tensor([[10.0, -3.0, 0.5]])  # one example, exactly at the means
print("eval mode, one example ->", batch_norm(example).detach())
batch_norm.train()
try:
    batch_norm(example)
except ValueError as error:
    print("train mode, one example -> ValueError:", error)

# %% [markdown]
# In train mode the output of every feature has mean 0 and standard deviation 1 whatever
# came in. In eval mode the layer normalises with its running statistics, so it can handle
# a single example (and gives the same answer for it whatever else is in the batch); in
# train mode a single example has no spread to divide by.
#
# Batch norm goes **after the linear layer and before the activation**, in the hidden
# layers only: it normalises exactly what the ReLU receives, so the ReLU's threshold at 0
# falls in a sensible place. The linear layer's own bias becomes redundant there (the
# mean is subtracted anyway, and `beta` takes its role), which is why convolutional
# networks often write `bias=False` before a batch norm.

# %%
print(make_mlp([512, 512], batch_norm=True, dropout=0.5))

# %% [markdown]
# ### L2 regularisation and weight decay
#
# L2 regularisation adds a penalty for large weights to the loss:
#
# $$\text{loss} = \text{cross-entropy} + \frac{\lambda}{2} \sum_i w_i^2$$
#
# To lower it, the network must fit the data with small weights, which means smooth
# functions that change little when an input changes a little: no single pixel can get a
# huge weight just because it happens to separate a few training images. The strength
# $\lambda$ is a hyperparameter; too much and the network underfits.
#
# The penalty's gradient is $\lambda w_i$, so each gradient-descent step becomes
# $w_i \leftarrow w_i - \text{lr}\,(g_i + \lambda w_i)$: besides following the data's
# gradient $g_i$, every weight **decays** a little towards zero. That is why optimizers
# offer it as a `weight_decay` argument.
#
# It is applied to the **weights only, not the biases** (nor batch norm's `gamma` and
# `beta`): a bias shifts a unit's output and does not make the function any more complex,
# so shrinking it only gets in the way. There are two ways to write it, and for plain SGD
# they are the same thing. First by hand, with the penalty in the loss:

# %%
decay = 0.1
seed_everything(0)
by_hand = make_mlp([16], batch_norm=True)
with_groups = make_mlp([16], batch_norm=True)
with_groups.load_state_dict(by_hand.state_dict())  # identical starting weights
inputs, targets = torch.randn(32, 1, 28, 28), torch.randint(0, 10, (32,))

weights = [p for p in by_hand.parameters() if p.dim() > 1]  # weight matrices only
penalty = decay / 2 * sum((w ** 2).sum() for w in weights)
loss = F.cross_entropy(by_hand(inputs), targets) + penalty
sgd = torch.optim.SGD(by_hand.parameters(), lr=0.1)
sgd.zero_grad()
loss.backward()
sgd.step()
print(f"penalty {penalty.item():.4f} on {len(weights)} weight matrices; "
      f"{sum(p.dim() <= 1 for p in by_hand.parameters())} bias / batch-norm tensors left out")

# %% [markdown]
# Second, through the optimizer, with **parameter groups**: an optimizer accepts a list of
# groups, each a dict with its own `params` and settings. `weight_decay_groups` puts the
# weight matrices in a group with weight decay and everything one-dimensional (biases,
# batch norm's `gamma` and `beta`) in a group with `weight_decay=0`:

# %%
show_source(weight_decay_groups)

# %%
sgd = torch.optim.SGD(weight_decay_groups(with_groups, decay), lr=0.1)
sgd.zero_grad()
F.cross_entropy(with_groups(inputs), targets).backward()
sgd.step()
difference = max((a - b).abs().max().item()
                 for a, b in zip(by_hand.parameters(), with_groups.parameters()))
print(f"largest difference between the two models after one step: {difference:.1e}")

# %% [markdown]
# The same update, up to rounding. The optimizer route is cheaper (no extra term in the
# graph) and is what people use.
#
# **Adam and AdamW.** With Adam the two are no longer the same. `Adam(weight_decay=...)`
# adds $\lambda w$ to the gradient (this is called *coupled* L2), and Adam then divides
# every gradient by a running estimate of its own size. The decay term is divided too, so
# weights with large, noisy gradients hardly decay at all, and the regularisation is
# weaker and uneven. **AdamW** (*decoupled* weight decay) leaves the adaptive step alone and
# shrinks every weight directly, $w \leftarrow w - \text{lr}\,\lambda\, w$, so all weights
# decay at the same rate. That usually regularises better. The two need very different
# $\lambda$ values: AdamW's decay per step is $\text{lr} \times \lambda$, so with a learning
# rate of 1e-3 even $\lambda = 0.5$ shrinks each weight by only 0.05% per step. Values of
# 0.01 to 0.1 are common for long training runs; this lesson's runs are short, so it uses
# 0.5. This lesson uses AdamW throughout.
#
# ### Early stopping
#
# The simplest cure: watch the validation loss after every epoch, and stop once it has not
# improved for `patience` epochs; then put back the weights from the best epoch, since the
# last ones have already started to overfit. `fit` does this when given `patience` (see its
# source in lesson 6): it keeps a `copy.deepcopy` of the best `state_dict` and loads it
# back at the end, and `history.best_epoch` says which epoch that was. It also saves the
# time the extra epochs would have taken.
#
# ## Each cure alone, then combined
#
# Each run below changes one thing from the "no cure" run; the last two combine them.

# %%
variants = {
    "dropout 0.5": dict(dropout=0.5),
    "batch norm": dict(batch_norm=True),
    "weight decay 0.5": dict(weight_decay=0.5),
    f"early stopping, patience {PATIENCE}": dict(patience=PATIENCE),
    "dropout + decay + early stop": dict(dropout=0.5, weight_decay=0.5, patience=PATIENCE),
    "all four": dict(dropout=0.5, batch_norm=True, weight_decay=0.5, patience=PATIENCE),
}
for name, settings in variants.items():
    results[name], histories[name] = train_variant(**settings)
    print(f"{name:>30}: {sum(histories[name].seconds):5.1f} s, {histories[name].epochs} epochs")

# %%
table = pd.DataFrame(results).T
table["epochs run"] = table["epochs run"].astype(int)
table.style.format({"train acc": "{:.4f}", "val acc": "{:.4f}", "test acc": "{:.4f}",
                    "gap": "{:+.4f}", "val loss": "{:.3f}"}).background_gradient(
    subset=["gap", "val loss"], cmap="Reds")

# %% [markdown]
# Train, validation and test accuracy are all measured after training, in evaluation mode;
# `gap` is train minus validation accuracy. The plot follows the gap epoch by epoch. (It
# uses the training accuracy that `fit` records during each epoch, in train mode, so for
# the runs with dropout the training accuracy, and so the gap, is understated there: the
# network is being handicapped while it is measured. The table's gap is the fair one.)

# %%
fig, ax = plt.subplots(figsize=(9, 4.5))
for name, history in histories.items():
    gap = [train - val for train, val in zip(history.train_acc, history.val_acc)]
    ax.plot(range(1, history.epochs + 1), gap, "o-" if name == "no cure" else ".-",
            label=name, linewidth=2.5 if name == "no cure" else 1.5, markersize=4)
ax.set_xlabel("epoch")
ax.set_ylabel("train accuracy − validation accuracy")
ax.set_title("Generalisation gap per epoch (lines end where early stopping stopped)")
ax.axhline(0, color="gray", linewidth=0.8)
ax.grid(alpha=0.3)
ax.legend(fontsize=8)
plt.show()

# %%
base = results["no cure"]
for name, scores in results.items():
    if name != "no cure":
        print(f"{name:>30}: gap {scores['gap'] - base['gap']:+.3f}, "
              f"val acc {scores['val acc'] - base['val acc']:+.4f}, "
              f"val loss {scores['val loss'] - base['val loss']:+.3f} (vs no cure)")

# %% [markdown]
# ## Reading the results
#
# The lines above compare each run with the "no cure" run. A few things to look for, and
# why they come out the way they do:
#
# - **Narrowing the gap is not the same as improving the model.** A cure that lowers the
#   training accuracy narrows the gap without the validation accuracy gaining anything. What
#   we want is the validation accuracy (and loss) to improve; the gap tells us how much room
#   regularisation still has.
# - **Validation loss reacts more than validation accuracy.** The regularised runs are less
#   over-confident, which the loss sees at once, while the accuracy only moves when a
#   prediction actually flips.
# - **Early stopping** watches the validation *loss*, which (as the first plot showed)
#   turns up many epochs before the validation accuracy stops improving. It therefore
#   stops early and keeps the epoch with its run's lowest validation loss: a small gap, in
#   a fraction of the time, but possibly at a cost in accuracy. Combined with dropout and
#   weight decay, which keep the validation loss falling for longer, it stops later.
#   Stopping on accuracy, or with more patience, trades the other way.
# - **Batch normalisation** is first of all a training accelerator. On a tiny training set
#   it mostly helps the network fit that set faster, so do not expect it to close the gap;
#   its benefits show up in deeper networks and larger data. It is also known to combine
#   awkwardly with dropout: dropout changes the variance of the activations between
#   training and evaluation, which batch norm's running statistics then get wrong. Compare
#   the two combined rows.
# - **Cures do not simply add up.** Each one attacks the same problem, and too much
#   regularisation underfits. How strong each should be (the dropout probability, the
#   decay, the patience) is a hyperparameter like any other, which is what lesson 8 tunes.
#
# All the runs use the same seed, but differences of a few tenths of a percent are within
# what another seed or another 3 000 images would change; Exercise 3 measures that.
#
# ## Recap
#
# - Overfitting shows as a gap between training and validation accuracy and as a
#   validation loss that rises while the training loss keeps falling.
# - More data, augmentation and a smaller network attack it at the source; dropout, batch
#   norm, weight decay and early stopping change how training works.
# - Dropout: after the activation, hidden layers only; zeroes and rescales in train mode,
#   does nothing in eval mode.
# - Batch norm: after the linear layer, before the activation; normalises with the batch's
#   statistics in train mode and with running averages in eval mode; learnable
#   `gamma`/`beta`.
# - L2 / weight decay: a penalty on the weights only, written into the loss or given to the
#   optimizer through parameter groups; AdamW decouples it from Adam's adaptive step.
# - Early stopping: stop after `patience` epochs without a better validation loss and keep
#   the best weights.
# - `model.train()` / `model.eval()` switch dropout and batch norm between their two
#   behaviours; forgetting `eval()` gives random, batch-dependent predictions.
#
# ## Exercises
#
# 1. Rerun the "no cure" model with `train_size=12_000` (four times the data). How do the
#    gap and the validation accuracy change compared with every cure in the table?
# 2. Make the network smaller: `HIDDEN = [64]`. Where does it land in the table?
# 3. Change the seed in `train_variant` to 1 and 2 and rerun the table. Which differences
#    survive the change of seed, and which were noise?
# 4. Try dropout 0.2 and 0.8, and weight decay 0.05 and 2.0. Plot validation accuracy
#    against the strength: where does regularisation turn into underfitting?
# 5. Replace AdamW by `torch.optim.Adam(weight_decay_groups(model, wd))` and find a `wd`
#    that helps. How does it compare with AdamW's best?
# 6. Evaluate the dropout model twice on the same batch in `train()` mode and in `eval()`
#    mode. Which gives the same predictions both times?
# 7. Early stopping here watches the validation loss. Write a loop around
#    `fit(..., epochs=1)` that stops on validation *accuracy* instead, keeping the best
#    weights with `copy.deepcopy(model.state_dict())`. Does it stop later, and is the test
#    accuracy better?
