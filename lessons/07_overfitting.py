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
# - How to compare them fairly: a controlled experiment in which every run starts from
#   the same weights and sees the same batches, repeated with other seeds to tell real
#   effects from noise.
# - What each cure does to accuracy and to loss, when it does not help, and why.
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
from learntorch.mlp import make_mlp, weight_decay_groups
from learntorch.plots import describe, plot_history
from learntorch.profile import pick
from learntorch.show import show_source
from learntorch.splits import fashion_splits, make_loaders
from learntorch.train import evaluate, fit

device = pick_device()
print("device:", device)

# %% [markdown]
# ## Overfitting, made visible
#
# In lesson 6 the training accuracy ended above the validation accuracy. That difference,
# the **generalisation gap**, is the symptom of overfitting: the network has learned
# things that are true of its training images but not of clothes in general, down to
# memorising individual pictures. To see it clearly we make it worse on purpose, with the
# two things that feed it most: **little data** (1 000 training images instead of 50 000)
# and **a lot of capacity** (two hidden layers of 512 units, about 670 000 weights, some
# 670 per training image), trained for **many epochs** (50, in batches of 50 images: 1 000
# steps). The validation and test sets stay the same 10 000 images each as in lesson 6.

# %%
splits = fashion_splits(**pick(smoke=dict(train_size=200, val_size=500, test_size=500),
                               full=dict(train_size=1_000)))
print({name: len(part) for name, part in splits._asdict().items()})
HIDDEN = [512, 512]
EPOCHS = pick(smoke=2, full=50)
BATCH_SIZE = 50
LEARNING_RATE = 1e-3
PATIENCE = pick(smoke=1, full=5)
weights = sum(p.numel() for p in make_mlp(HIDDEN).parameters())
print(f"{weights:,} parameters, {weights / len(splits.train):,.0f} per training image")

# %% [markdown]
# ## A fair comparison
#
# To measure what a cure does, two runs must differ in that cure and in nothing else.
# Two things in a training run are random, and both must be the same in every run:
#
# - the **initial weights**, drawn from PyTorch's global random generator when the model
#   is built;
# - the **batch order**: the training `DataLoader` shuffles with its own seeded generator.
#
# The second one hides a trap. A loader's generator keeps going from one pass to the
# next, which is what training needs (a new order every epoch), but it also means that a
# loader reused for a second run continues where the first run stopped: the second run
# would see other batches. So every run gets a **fresh** loader, built with the same seed.

# %%
SEED = 0


def start(dropout=0.0, batch_norm=False, seed=SEED, hidden=HIDDEN, data=splits):
    """A new model and new loaders: the same initial weights and batch order for every cure."""
    seed_everything(seed)  # the initial weights (and then dropout's random choices)
    model = make_mlp(hidden, dropout=dropout, batch_norm=batch_norm)
    loaders = make_loaders(data, batch_size=BATCH_SIZE, seed=seed)  # a fresh shuffling generator
    return model, loaders


def first_labels(loader):
    return next(iter(loader))[1][:8].tolist()  # the labels of the first batch's first 8 images


model, loaders = start()
print("one loader, first pass :", first_labels(loaders.train))
print("same loader, next pass :", first_labels(loaders.train))
print("a fresh loader         :", first_labels(start()[1].train))

# %% [markdown]
# Dropout and batch norm add no randomly initialised weights (a batch-norm layer starts at
# scale 1 and shift 0), so the same seed gives every variant the same linear layers:

# %%
def linear_weights(model):
    return [layer.weight for layer in model if isinstance(layer, nn.Linear)]


for settings in (dict(dropout=0.5), dict(batch_norm=True), dict(dropout=0.5, batch_norm=True)):
    same = all(torch.equal(a, b) for a, b in zip(linear_weights(start()[0]),
                                                 linear_weights(start(**settings)[0])))
    print(f"{settings}: same initial weights as the plain network: {same}")

# %% [markdown]
# Every run uses the same recipe on top of that: AdamW with a learning rate of 1e-3 and a
# cosine schedule, for the same number of epochs. (AdamW with `weight_decay=0` is exactly
# Adam; the weight decay section explains the "W".) After training, the model is measured
# once more, in evaluation mode, on all three sets.

# %%
def train_variant(dropout=0.0, batch_norm=False, weight_decay=0.0, patience=None, seed=SEED,
                  curves=True, hidden=HIDDEN, data=splits, optimizer_class=torch.optim.AdamW):
    """Train one variant; return its scores, its history and the trained model.

    curves=False skips the validation pass after each epoch (and so the curves) when
    early stopping does not need it: the run is then several times cheaper.
    """
    model, loaders = start(dropout, batch_norm, seed, hidden, data)
    optimizer = optimizer_class(weight_decay_groups(model, weight_decay), lr=LEARNING_RATE)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=EPOCHS)
    watch = loaders.val if curves or patience else None
    history = fit(model, loaders.train, optimizer, epochs=EPOCHS, val_loader=watch,
                  scheduler=scheduler, patience=patience, restore_best=patience is not None,
                  device=device, verbose=False)
    (_, train_acc), (val_loss, val_acc), (_, test_acc) = (
        evaluate(model, loader, device=device) for loader in loaders)
    scores = {"train acc": train_acc, "val acc": val_acc, "test acc": test_acc,
              "gap": train_acc - val_acc, "val loss": val_loss, "epochs": history.epochs}
    return scores, history, model


results, histories, models = {}, {}, {}
results["no cure"], histories["no cure"], models["no cure"] = train_variant()
print({name: round(value, 4) for name, value in results["no cure"].items()})

# %%
plot_history(histories["no cure"], f"no cure: {len(splits.train)} training images")
plt.show()
baseline = histories["no cure"]
best_loss_epoch = 1 + min(range(baseline.epochs), key=baseline.val_loss.__getitem__)
best_acc_epoch = 1 + max(range(baseline.epochs), key=baseline.val_acc.__getitem__)
print(f"validation loss was lowest after epoch {best_loss_epoch} ({min(baseline.val_loss):.3f}) "
      f"and ended at {baseline.val_loss[-1]:.3f}")
print(f"validation accuracy was highest after epoch {best_acc_epoch} ({max(baseline.val_acc):.4f}) "
      f"and ended at {baseline.val_acc[-1]:.4f}")

# %% [markdown]
# The training accuracy climbs to (or very near) 100% while the validation accuracy
# stalls far below it: that is the gap. The validation **loss** tells the story more
# sharply: it reaches its lowest point early and then rises, even while the validation
# accuracy holds steady or still creeps up (the two lines above say when each peaked). Cross-entropy punishes confident mistakes heavily, and a network that
# has memorised its training set becomes very confident about everything, including the
# validation images it gets wrong.
#
# ## The cures
#
# There are two kinds of remedy. Some change what the network is trained on or with:
#
# - **More data.** With more images, there are fewer coincidences in the training set for
#   the network to latch onto, and memorising each image gets harder than learning what
#   the images have in common. This is the best cure when you can have it (Exercise 1
#   measures it).
# - **Data augmentation** makes more data out of the data you have: small shifts,
#   rotations, flips or crops of each image, new at every epoch, so the network never sees
#   exactly the same picture twice and must learn what survives those changes. It suits
#   convolutional networks best (lessons 9 and 10).
# - **A smaller network** has less capacity to memorise: fewer, narrower layers. The cost
#   is that a network too small cannot learn the real patterns either (underfitting;
#   Exercise 2).
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
seed_everything(0)
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

weight_matrices = [p for p in by_hand.parameters() if p.dim() > 1]  # weight matrices only
penalty = decay / 2 * sum((w ** 2).sum() for w in weight_matrices)
loss = F.cross_entropy(by_hand(inputs), targets) + penalty
sgd = torch.optim.SGD(by_hand.parameters(), lr=0.1)
sgd.zero_grad()
loss.backward()
sgd.step()
print(f"penalty {penalty.item():.4f} on {len(weight_matrices)} weight matrices; "
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
# weaker and uneven (Exercise 5 tries it). **AdamW** (*decoupled* weight decay) leaves the
# adaptive step alone and shrinks every weight directly, $w \leftarrow w - \text{lr}\,
# \lambda\, w$, so all weights decay at the same rate. That usually regularises better.
#
# The two need very different $\lambda$ values. AdamW's shrink per step is
# $\text{lr} \times \lambda$: with a learning rate of 1e-3, even $\lambda = 1$ takes only
# 0.1% off a weight per step. Values of 0.01 to 0.1 are common in runs of many thousands
# of steps; this lesson's runs are 1 000 steps long, so its weight decay run uses
# $\lambda = 5$. What that does over a whole run shows on a weight that the data never
# pushes (its gradient stays 0), under the lesson's schedule:

# %%
WEIGHT_DECAY = 5.0
steps_per_epoch = -(-len(splits.train) // BATCH_SIZE)  # ceiling division
lone_weight = torch.ones(1, requires_grad=True)
optimizer = torch.optim.AdamW([lone_weight], lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=EPOCHS)
for epoch in range(EPOCHS):
    for step in range(steps_per_epoch):
        lone_weight.grad = torch.zeros(1)  # no push from the data: only the decay acts
        optimizer.step()
    scheduler.step()
print(f"after {EPOCHS * steps_per_epoch} steps with weight_decay={WEIGHT_DECAY}, "
      f"a weight of 1.0 with no gradient is {lone_weight.item():.3f}")

# %% [markdown]
# Weights that the data keeps using are pushed back up by their gradients; the others
# fade away. That is the regularisation: only weights that earn their place stay large.
#
# ### Early stopping
#
# The simplest cure: watch the validation loss after every epoch, and stop once it has not
# improved for `patience` epochs; then put back the weights from the best epoch, since the
# last ones have already started to overfit. `fit` does this when given `patience` and
# `restore_best=True` (see its source in lesson 6): it keeps a `copy.deepcopy` of the best
# `state_dict` and loads it back at the end, and `history.best_epoch` says which epoch that
# was. It also saves the time the extra epochs would have taken.
#
# ## Each cure alone, then combined
#
# Each run below changes one thing from the "no cure" run; the last two combine them.

# %%
variants = {
    "dropout 0.5": dict(dropout=0.5),
    "batch norm": dict(batch_norm=True),
    f"weight decay {WEIGHT_DECAY:g}": dict(weight_decay=WEIGHT_DECAY),
    f"early stopping, patience {PATIENCE}": dict(patience=PATIENCE),
    "dropout + decay + early stop": dict(dropout=0.5, weight_decay=WEIGHT_DECAY, patience=PATIENCE),
    "all four": dict(dropout=0.5, batch_norm=True, weight_decay=WEIGHT_DECAY, patience=PATIENCE),
}
for name, settings in variants.items():
    results[name], histories[name], models[name] = train_variant(**settings)
    print(f"{name:>30}: {histories[name].epochs:>2} epochs, {sum(histories[name].seconds):5.1f} s")

# %%
table = pd.DataFrame(results).T
table["epochs"] = table["epochs"].astype(int)
table.round({"train acc": 4, "val acc": 4, "test acc": 4, "gap": 4, "val loss": 3})

# %% [markdown]
# Train, validation and test accuracy are all measured after training, in evaluation mode;
# `gap` is train minus validation accuracy, and `epochs` how many epochs ran. The plot
# follows the gap epoch by epoch. (It uses the training accuracy that `fit` records during
# each epoch, in train mode, so for the runs with dropout the training accuracy, and so
# the gap, is understated there: the network is being handicapped while it is measured.
# The table's gap is the fair one.)

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
describe(fig, "Generalisation gap (training minus validation accuracy, as recorded during "
         "training) per epoch for each run. Final values: " + "; ".join(
             f"{name} {history.train_acc[-1] - history.val_acc[-1]:+.3f} after {history.epochs} epochs"
             for name, history in histories.items()) + ".")
plt.show()

# %% [markdown]
# The runs are controlled, and the early-stopping run proves it: it is the "no cure" run,
# stopped. Until it stops, its curves must match the "no cure" run's epoch for epoch:

# %%
stopped = histories[f"early stopping, patience {PATIENCE}"]
same_curves = (stopped.train_loss == baseline.train_loss[:stopped.epochs]
               and stopped.val_loss == baseline.val_loss[:stopped.epochs])
print(f"early stopping ran {stopped.epochs} epochs, kept epoch {stopped.best_epoch}; "
      f"its {stopped.epochs} epochs are identical to no cure's: {same_curves}")

# %% [markdown]
# ## Which differences are real?
#
# One run of each is one draw: other initial weights and another batch order (another
# seed) would move every number in the table a little. The comparison is still fair
# between runs of the same seed, so the question is whether each cure's effect keeps its
# sign and size when the whole experiment is repeated with other seeds. The repeats skip
# the per-epoch validation pass where they can, which makes them cheaper.

# %%
SEEDS = pick(smoke=[0, 1], full=[0, 1, 2])
seed_results = {SEED: results}
for seed in SEEDS[1:]:
    seed_results[seed] = {"no cure": train_variant(seed=seed, curves=False)[0]}
    for name, settings in variants.items():
        seed_results[seed][name] = train_variant(seed=seed, curves=False, **settings)[0]


def change(metric, scale=1.0):
    """Each cure's change in `metric` against no cure of the same seed: one column per seed."""
    return pd.DataFrame({f"seed {seed}": {name: scale * (scores[metric] - runs["no cure"][metric])
                                           for name, scores in runs.items() if name != "no cure"}
                         for seed, runs in seed_results.items()})


test_points = change("test acc", scale=100)
test_points["mean"] = test_points.mean(axis=1)
print("test accuracy, change against no cure (points):")
print(test_points.round(2).to_string())
val_loss_change = change("val loss")
print("\nvalidation loss, change against no cure:")
print(val_loss_change.round(3).to_string())

# %% [markdown]
# ## Reading the results
#
# The seed tables are the ones to trust; the single-seed table above them shows the
# same runs in more detail. In this regime:
#
# - **Overfitting hurts the loss far more than the accuracy.** The no-cure run's
#   validation loss ended well above its lowest point, while its validation accuracy
#   ended close to its best (the two lines under the first plot). Memorising the training
#   set made the network overconfident (Exercise 3 measures how much), but it did not make
#   it forget what it had learned. So no cure can win much accuracy by *preventing a
#   decline*; it can only do so by making the network learn something more general.
# - **Dropout** is the only cure that raised the test accuracy with every seed, by less
#   than a point, and it lowered the validation loss too. It is also the one that changes
#   what the network learns: every unit has to be useful without the others, so the
#   network cannot store a training image in one fragile combination of units.
# - **Weight decay** lowered the validation loss by about 0.4 with every seed, while its
#   effect on the test accuracy changed sign from seed to seed: noise. It keeps the
#   weights, and so the logits, small, which makes the network less sure of itself
#   (right or wrong), without changing which class wins for most images.
# - **Early stopping** lowered the validation loss about as much, in a quarter of the
#   epochs, but cost test accuracy with every seed. That follows from what it watches: it
#   kept the epoch with the lowest validation loss, long before the validation accuracy
#   stopped rising. When accuracy is what matters, stop on accuracy, or with more
#   patience (Exercise 7).
# - **Batch normalisation** lowered the test accuracy a little with every seed and left
#   the gap where it was. Its job is faster, steadier training, and this network already
#   fits its 1 000 training images perfectly without it; the noise it adds through batch
#   statistics is a weak regulariser.
# - **Cures do not simply add up.** The two combinations include early stopping and
#   inherit its cost in accuracy with most seeds, while their validation loss ends within
#   a few hundredths of what weight decay alone gives. Dropout and weight decay keep the validation loss
#   falling for longer, so the combined run can stop much later than early stopping alone
#   (compare their epochs above), and how that turns out varies from seed to seed.
# - **Narrowing the gap is not the same as improving the model.** Early stopping has the
#   smallest gap in the table and a lower test accuracy than no cure: it narrowed the
#   gap by training less, not by generalising better.
#
# More data does what none of these could: Exercise 1 trains the same network, with no
# cure, on four times the images. And the strength of each cure (the dropout probability,
# the decay, the patience) is a hyperparameter, chosen here by hand: Exercise 4 shows what
# too much dropout or decay does, and lesson 8 searches for such settings.
#
# ## Recap
#
# - Overfitting shows as a gap between training and validation accuracy and as a
#   validation loss that rises while the training loss keeps falling.
# - Compare cures with a controlled experiment: the same initial weights and the same
#   batch order (a fresh, seeded loader per run), then repeat it with other seeds before
#   believing a difference.
# - More data, augmentation and a smaller network attack overfitting at the source;
#   dropout, batch norm, weight decay and early stopping change how training works.
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
# Each exercise has a worked solution under it. Try it yourself first, then open the
# solution and compare.
#
# **1.** Rerun the "no cure" model with four times the data (`train_size=4_000`: the same
# 1 000 images and 3 000 more). How do the gap and the test accuracy compare with every
# cure in the table?

# %% tags=["solution"]
more_data = fashion_splits(**pick(smoke=dict(train_size=800, val_size=500, test_size=500),
                                  full=dict(train_size=4_000)))
more_scores = train_variant(data=more_data, curves=False)[0]
print(f"no cure, {len(more_data.train)} images: train acc {more_scores['train acc']:.4f}, gap "
      f"{more_scores['gap']:+.4f}, test acc {more_scores['test acc']:.4f}, val loss {more_scores['val loss']:.3f}")
for name, scores in results.items():
    print(f"{name:>30}, {len(splits.train)} images: gap {scores['gap']:+.4f}, "
          f"test acc {scores['test acc']:.4f}, val loss {scores['val loss']:.3f}")
# The same network and recipe, with nothing changed but the data. Compare its test
# accuracy with the best cure's: more real examples teach the network what the classes
# have in common, which no regulariser can invent from 1 000 images. Look at its
# training accuracy and validation loss too: with no cure, the network still fits its
# 4 000 images (almost) perfectly and ends just as overconfident on new ones, so more data
# raised the accuracy without fixing the loss, the part that weight decay and early
# stopping address. (Each epoch is four times longer, so this run also took four times
# the steps.)

# %% [markdown]
# **2.** Make the network much smaller: `hidden=[64]`, one hidden layer of 64 units. Where
# does it land in the table?

# %% tags=["solution"]
small_scores, _, small_model = train_variant(hidden=[64], curves=False)
print(f"{sum(p.numel() for p in small_model.parameters()):,} parameters instead of {weights:,}")
print(f"hidden [64]: train acc {small_scores['train acc']:.4f}, gap {small_scores['gap']:+.4f}, "
      f"test acc {small_scores['test acc']:.4f}, val loss {small_scores['val loss']:.3f}")
print(f"no cure:     train acc {results['no cure']['train acc']:.4f}, gap {results['no cure']['gap']:+.4f}, "
      f"test acc {results['no cure']['test acc']:.4f}, val loss {results['no cure']['val loss']:.3f}")
# Fifty thousand weights are still fifty per training image: more than enough to learn
# 1 000 images by heart, so a smaller network alone does not remove the gap. Whether it
# loses accuracy (too little capacity) or gains some (less to overfit with) is printed above.

# %% [markdown]
# **3.** The "no cure" and "weight decay" runs end with similar validation accuracies but
# very different validation losses. For each, compute the mean probability the model gives
# its predicted class, separately for the validation images it gets right and those it
# gets wrong. What explains the difference in loss?

# %% tags=["solution"]
val_images, val_labels = splits.val.tensors


@torch.no_grad()
def confidence(model):
    model.eval()
    probabilities = F.softmax(model(val_images.to(device)), dim=1).cpu()  # (N, 10)
    top, predicted = probabilities.max(dim=1)
    right = predicted == val_labels
    # The loss only looks at the probability of the true class: -log of it, averaged.
    true_probability = probabilities[torch.arange(len(val_labels)), val_labels]
    return top[right].mean().item(), top[~right].mean().item(), (true_probability < 0.01).float().mean().item()


for name in ("no cure", f"weight decay {WEIGHT_DECAY:g}"):
    when_right, when_wrong, hopeless = confidence(models[name])
    print(f"{name:>16}: confidence {when_right:.3f} when right, {when_wrong:.3f} when wrong; "
          f"{100 * hopeless:.1f}% of images give the true class under 1% (each costs over "
          f"{-torch.log(torch.tensor(0.01)).item():.1f} in loss)")
# Accuracy only asks which class scores highest; the loss asks how much probability the
# true class got. The network trained without a cure is nearly certain even when it is
# wrong, and each confident mistake costs a large -log(p). Weight decay keeps the weights,
# and so the logits, smaller: the network hedges, its mistakes cost less, and the loss
# falls even where the accuracy does not move.

# %% [markdown]
# **4.** Try dropout 0.2 and 0.8, and weight decay 0.5 and 50. Where does regularisation
# turn into underfitting?

# %% tags=["solution"]
strengths = {"dropout": [0.2, 0.5, 0.8], "weight_decay": [0.5, WEIGHT_DECAY, 50.0]}
already_run = {("dropout", 0.5): results["dropout 0.5"],
               ("weight_decay", WEIGHT_DECAY): results[f"weight decay {WEIGHT_DECAY:g}"]}
print(f"{'':>20} {'train acc':>9} {'val acc':>8} {'val loss':>8}")
for knob, values in strengths.items():
    for value in values:
        scores = already_run.get((knob, value)) or train_variant(**{knob: value}, curves=False)[0]
        print(f"{knob + ' ' + format(value, 'g'):>20} {scores['train acc']:9.4f} "
              f"{scores['val acc']:8.4f} {scores['val loss']:8.3f}")
# Underfitting shows first in the training accuracy: once a cure is strong enough that
# the network can no longer fit its own training images, it has stopped memorising, and
# beyond that point it starts losing what it could have learned. Look for the setting
# where the training accuracy falls well below 100% and the validation accuracy falls
# with it: that is too much. The best strength is somewhere between, and finding it is a
# hyperparameter search (lesson 8).

# %% [markdown]
# **5.** Replace AdamW by `torch.optim.Adam` (coupled L2: the decay goes through Adam's
# adaptive step) and find a `weight_decay` that helps. How does it compare with AdamW's?

# %% tags=["solution"]
print(f"{'':>24} {'val acc':>8} {'val loss':>8}")
for weight_decay in (1e-4, 1e-3, 1e-2):
    scores = train_variant(weight_decay=weight_decay, optimizer_class=torch.optim.Adam, curves=False)[0]
    print(f"Adam, weight_decay {weight_decay:<6g} {scores['val acc']:8.4f} {scores['val loss']:8.3f}")
for name in ("no cure", f"weight decay {WEIGHT_DECAY:g}"):
    print(f"AdamW, {name:<17} {results[name]['val acc']:8.4f} {results[name]['val loss']:8.3f}")
# Adam's coupled decay works on a different scale: lambda * w is added to the gradient
# and then divided by the gradient's running size, so values hundreds or thousands of
# times smaller than AdamW's already act (compare the validation losses with no cure's),
# and how strongly each weight decays depends on its gradient history. Compare the best
# Adam row with AdamW's weight-decay row above.

# %% [markdown]
# **6.** Evaluate the dropout model twice on the same batch in `train()` mode, then twice
# in `eval()` mode. Which mode gives the same predictions both times?

# %% tags=["solution"]
dropout_model = models["dropout 0.5"]
batch_images = val_images[:256].to(device)
with torch.no_grad():
    for mode in ("train", "eval"):
        getattr(dropout_model, mode)()  # dropout_model.train() or dropout_model.eval()
        first, second = (dropout_model(batch_images).argmax(dim=1) for _ in range(2))
        print(f"{mode:>5} mode: {(first != second).sum().item()} of {len(batch_images)} predictions "
              f"changed between the two passes")
# In train mode every pass draws new dropout masks, so the same image can get a different
# answer each time; in eval mode dropout does nothing and the answers are fixed (the loop
# ends with the model in eval mode). Forgetting model.eval() before measuring a model
# with dropout (or batch norm) gives noisy results.

# %% [markdown]
# **7.** Early stopping here watches the validation loss. Write a loop around
# `fit(..., epochs=1)` that stops on validation *accuracy* instead, keeping the best
# weights with `copy.deepcopy(model.state_dict())`. Does it stop later, and is the test
# accuracy better?

# %% tags=["solution"]
import copy

model, loaders = start()  # the same start as every other run
optimizer = torch.optim.AdamW(weight_decay_groups(model, 0.0), lr=LEARNING_RATE)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=EPOCHS)
best_acc, best_state, best_epoch, waited = -1.0, None, 0, 0
for epoch in range(1, EPOCHS + 1):
    # The same loader, optimizer and scheduler carry over between calls, so these
    # one-epoch runs add up to exactly the no-cure run, epoch by epoch, until we stop.
    fit(model, loaders.train, optimizer, epochs=1, scheduler=scheduler, device=device, verbose=False)
    val_acc = evaluate(model, loaders.val, device=device)[1]
    if val_acc > best_acc:
        best_acc, best_state, best_epoch, waited = val_acc, copy.deepcopy(model.state_dict()), epoch, 0
    else:
        waited += 1
        if waited >= PATIENCE:
            break
model.load_state_dict(best_state)
test_acc = evaluate(model, loaders.test, device=device)[1]
by_loss = results[f"early stopping, patience {PATIENCE}"]
print(f"stopping on accuracy: ran {epoch} epochs, kept epoch {best_epoch}, test acc {test_acc:.4f}")
print(f"stopping on loss:     ran {by_loss['epochs']} epochs, kept epoch {stopped.best_epoch}, "
      f"test acc {by_loss['test acc']:.4f}")
print(f"no early stopping:    ran {EPOCHS} epochs, test acc {results['no cure']['test acc']:.4f}")

# Until it stops, the loop above repeats the no-cure run epoch for epoch, so the same rule
# can be replayed on the no-cure run's recorded validation accuracy, for other patiences:
for patience in sorted({PATIENCE, 2 * PATIENCE, 3 * PATIENCE}):
    best_so_far, kept, waited = -1.0, 0, 0
    for epoch_index, accuracy in enumerate(baseline.val_acc, start=1):
        if accuracy > best_so_far:
            best_so_far, kept, waited = accuracy, epoch_index, 0
        else:
            waited += 1
            if waited >= patience:
                break
    print(f"patience {patience:>2} on accuracy: ends after epoch {epoch_index}, keeps epoch {kept} "
          f"(validation accuracy {best_so_far:.4f})")
print("validation accuracy per epoch, no cure:", [round(a, 3) for a in baseline.val_acc[:3 * PATIENCE]])
# The validation accuracy improves in small, noisy steps, with plateaus and dips, long
# after the validation loss has turned up. So a rule that watches it needs more patience
# than one that watches the loss, or it stops at the first plateau; the replay above shows
# where each patience stops. Which criterion is right depends on what the model is for:
# the loss rewards honest probabilities, the accuracy only the final answer.

# %% [markdown]
# ## Next
#
# Every cure above has a strength to choose (the dropout probability, the weight decay,
# the patience), and so do the width, the learning rate and the batch size.
# [Lesson 8: Tuning with Optuna](../08_optuna_tuning/) searches for such settings
# systematically.
