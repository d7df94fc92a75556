# %% [markdown]
# # 4. nn.Module and torch.optim

# %% [markdown]
# ## What you will learn
#
# - How to write a model as an `nn.Module` (`__init__` declares the layers, `forward`
#   uses them) and how to stack layers with `nn.Sequential`.
# - What `model.parameters()` and `named_parameters()` return, what an `nn.Parameter`
#   is, and how to count a model's parameters.
# - The main families in `torch.nn`: layers, activations, losses, containers, and
#   regularisation layers; and why `BCEWithLogitsLoss` is safer than a sigmoid followed
#   by `BCELoss`.
# - How `torch.optim` replaces the hand-written update: SGD, SGD with momentum, RMSprop
#   and Adam compared on one problem; weight decay, what it does to weights and biases,
#   and parameter groups that decay the weights only; learning-rate schedulers.
# - The order `zero_grad()`, `backward()`, `step()`, and why it matters.
# - `model.train()` versus `model.eval()`, and saving and loading a `state_dict`.
#
# ## What this assumes
#
# Lesson 3: the breast-cancer pipeline built by hand (logistic regression, binary
# cross-entropy, gradient descent under `torch.no_grad()`). This lesson trains on the
# same data, prepared the same way by `learntorch.tabular.breast_cancer_split`.

# %%
import copy
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import torch
from torch import nn

from learntorch.device import seed_everything
from learntorch.mlp import weight_decay_groups
from learntorch.plots import describe
from learntorch.profile import pick
from learntorch.show import show_source
from learntorch.tabular import breast_cancer_split

# Every tensor in this lesson is small: on a CPU, splitting each small multiplication across
# threads costs more in coordination than it saves, so one thread is the fastest setting.
torch.set_num_threads(1)
X_train, Y_train, X_test, Y_test = breast_cancer_split()  # scaled float32, labels 1 = malignant
n_features = X_train.shape[1]
print(f"train {tuple(X_train.shape)}, test {tuple(X_test.shape)}, {n_features} features")

# %% [markdown]
# ## torch.nn: building blocks for models
#
# In lesson 3 the model was a plain class holding two tensors, and we wrote the loss and
# the update ourselves. `torch.nn` supplies all of these as tested parts, in a few
# families:
#
# | family | examples | what they do | in this course |
# |---|---|---|---|
# | layers | `nn.Linear`, `nn.Conv2d`, `nn.Embedding`, `nn.RNN`, `nn.LSTM` | hold learnable weights and transform their input | here; lessons 9, 11, 12 |
# | activations | `nn.ReLU`, `nn.Sigmoid`, `nn.Tanh`, `nn.Softmax` | bend the signal between layers (no weights) | here |
# | containers | `nn.Sequential`, `nn.ModuleList`, `nn.ModuleDict` | group modules into one | here |
# | regularisation | `nn.Dropout`, `nn.BatchNorm1d`, `nn.BatchNorm2d` | fight overfitting, steady training | lesson 7 |
# | losses | `nn.BCEWithLogitsLoss`, `nn.CrossEntropyLoss`, `nn.NLLLoss`, `nn.MSELoss` | score predictions against targets | here |
#
# Every class in the table, the losses included, is a subclass of `nn.Module`, which
# is also the base class of your own models. A module keeps track of the parameters of everything assigned to it, moves them between
# devices with one `.to(device)`, switches between training and evaluation behaviour,
# and saves and loads its weights.
#
# ## A model as an nn.Module
#
# A module has two parts. `__init__` creates the layers and stores them as attributes
# (after calling `super().__init__()`, which sets up the bookkeeping). `forward` says
# how an input flows through them. Here is lesson 3's logistic regression again:
# `nn.Linear(30, 1)` holds the weights and the bias and computes $x W^\top + b$.
#
# Notice that `forward` returns the **logit** $z$, not the probability
# $\sigma(z)$: the loss function will apply the sigmoid itself, for a reason explained
# further down.

# %%
class LogisticRegression(nn.Module):
    def __init__(self, n_features: int):
        super().__init__()
        self.linear = nn.Linear(n_features, 1)  # weight (1, 30), bias (1,)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x).squeeze(1)  # (N, 1) -> (N,) logits


seed_everything(0)
model = LogisticRegression(n_features)
print(model)
logits = model(X_test[:4])  # call the module, not .forward(): __call__ also runs hooks
print("logits:", logits.detach(), "| probabilities:", torch.sigmoid(logits).detach())

# %% [markdown]
# ### Parameters
#
# `model.parameters()` yields every learnable tensor of the model and of all its
# sub-modules; `named_parameters()` yields them with their dotted names. Each is an
# `nn.Parameter`: a tensor subclass with `requires_grad=True` that a module
# *registers* automatically when you assign it (or a layer holding it) as an
# attribute. The two kinds here are the usual ones: **weights**, the matrices that mix
# the inputs, and **biases**, the offsets added afterwards.

# %%
for name, parameter in model.named_parameters():
    print(f"{name:<14} shape {str(tuple(parameter.shape)):<8} {type(parameter).__name__:<10} "
          f"requires_grad={parameter.requires_grad}")
print("parameters in total:", sum(parameter.numel() for parameter in model.parameters()))

# %% [markdown]
# Registration is what makes `parameters()` work, and it only happens for
# `nn.Parameter`s and sub-modules. A plain tensor stored on the module is invisible to
# the optimizer and to saving. State that must be saved but not trained (running
# averages, for instance) is registered as a **buffer**:

# %%
class Registration(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(3))  # learned
        self.register_buffer("running_mean", torch.zeros(3))  # saved, not learned
        self.forgotten = torch.zeros(3)  # plain attribute: neither


demo = Registration()
print("parameters:", [name for name, _ in demo.named_parameters()])
print("state_dict:", list(demo.state_dict()))

# %% [markdown]
# `nn.Linear` is nothing mysterious. Its output equals the matrix product we wrote in
# lesson 3, and its weights start as small random numbers, uniform in
# $\pm 1/\sqrt{\text{in\_features}}$:

# %%
W, b = model.linear.weight, model.linear.bias
by_hand = (X_test @ W.T + b).squeeze(1)  # (114, 30) @ (30, 1) -> (114, 1) -> (114,)
print("nn.Linear equals x @ W.T + b:", torch.allclose(model(X_test), by_hand))
print(f"weights in [{W.min():.3f}, {W.max():.3f}], bound 1/sqrt(30) = {n_features ** -0.5:.3f}")

# %% [markdown]
# ## A hidden layer with nn.Sequential
#
# Logistic regression draws one straight boundary. Putting a hidden layer of 16
# units with a non-linearity in between lets the model bend it. When a model is a plain
# chain of layers, `nn.Sequential` saves writing a class: it calls its children in
# order. `nn.Flatten(0)` turns the final (N, 1) into (N,) to match the labels.

# %%
def make_mlp(hidden: int = 16) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(n_features, hidden),  # (N, 30) -> (N, 16)
        nn.ReLU(),
        nn.Linear(hidden, 1),  # (N, 16) -> (N, 1)
        nn.Flatten(0),  # (N, 1) -> (N,) logits
    )


seed_everything(0)
mlp = make_mlp()
print(mlp)
for name, parameter in mlp.named_parameters():
    print(f"{name:<9} {str(tuple(parameter.shape)):<9} {parameter.numel():>4} numbers")
print("total:", sum(parameter.numel() for parameter in mlp.parameters()),
      "= 30*16 + 16 (first layer) + 16*1 + 1 (second layer)")

# %% [markdown]
# The names `0.weight`, `2.bias` come from the children's positions (the ReLU, child 1,
# has no parameters). The activations themselves are simple functions; here are the
# three classic ones. Without one of them between the two `Linear` layers, the pair
# would collapse into a single linear map and the hidden layer would add nothing.

# %%
z = torch.linspace(-4, 4, 200)
fig, ax = plt.subplots(figsize=(6, 3))
for activation in (nn.ReLU(), nn.Sigmoid(), nn.Tanh()):
    ax.plot(z, activation(z), label=type(activation).__name__)
ax.axhline(0, color="grey", lw=0.5)
ax.set_xlabel("input")
ax.set_ylabel("output")
ax.legend()
ax.set_title("Activations")
describe(fig, "ReLU, Sigmoid and Tanh on inputs from -4 to 4. ReLU is 0 for negative inputs and equals "
         f"its input above 0; Sigmoid rises from {torch.sigmoid(z[0]):.3f} to {torch.sigmoid(z[-1]):.3f}, "
         f"through 0.5 at 0; Tanh from {torch.tanh(z[0]):.3f} to {torch.tanh(z[-1]):.3f}, through 0 at 0.")
plt.show()

# %% [markdown]
# Why are the starting weights random? Lesson 3 began from zeros, and for a single
# layer that is fine. In a network, hidden units that start *identical* receive
# identical gradients and stay identical for ever: sixteen copies of one unit. Random
# initial weights break that symmetry. Here is the experiment, with every weight set to
# the same constant before training:

# %%
symmetric = make_mlp()
with torch.no_grad():
    for parameter in symmetric.parameters():
        parameter.fill_(0.1)
optimizer = torch.optim.SGD(symmetric.parameters(), lr=0.1)
steps = 30
for _ in range(steps):
    optimizer.zero_grad()
    nn.functional.binary_cross_entropy_with_logits(symmetric(X_train), Y_train).backward()
    optimizer.step()
first_layer = symmetric[0].weight  # (16, 30): one row per hidden unit
print(f"distinct hidden units after {steps} steps:", torch.unique(first_layer.detach(), dim=0).shape[0], "of 16")

# %% [markdown]
# ## Losses, and why logits are safer
#
# For two classes, PyTorch offers two routes: `nn.Sigmoid()` then `nn.BCELoss()` on
# probabilities, or `nn.BCEWithLogitsLoss()` straight on logits. On ordinary inputs they
# agree. For a confident mistake they do not. The logit-based loss uses the identity
# $-\log \sigma(z) = \log(1 + e^{-z})$ and evaluates it in a form that never
# overflows, so it needs no clamping. The probability route first rounds
# $\sigma(40)$ to exactly 1.0, and from then on the information is gone: `BCELoss` has
# to clamp $\log 0$ to $-100$, and the gradient that flows back through the saturated
# sigmoid is zero.

# %%
targets = torch.tensor([1.0, 0.0, 1.0])
print(f"{'logit':>6}{'target':>8}{'Sigmoid+BCELoss':>17}{'grad':>11}{'BCEWithLogits':>15}{'grad':>7}")
for i, logit in enumerate((2.0, 40.0, -40.0)):
    rows = []
    for use_logits in (False, True):
        z = torch.tensor([logit], requires_grad=True)
        if use_logits:
            loss = nn.BCEWithLogitsLoss()(z, targets[i:i + 1])
        else:
            loss = nn.BCELoss()(torch.sigmoid(z), targets[i:i + 1])
        loss.backward()
        rows.append((loss.item(), z.grad.item()))
    (naive, naive_grad), (safe, safe_grad) = rows
    print(f"{logit:>6}{targets[i].item():>8}{naive:>17.4f}{naive_grad:>11.2e}{safe:>15.4f}{safe_grad:>7.3f}")

# %% [markdown]
# The first row is an ordinary prediction, and both routes agree. In the second, the
# model says "malignant" with a logit of 40 for a benign tumour. The correct loss is
# 40; the sigmoid route reports 100 (the clamp), and its gradient is exactly 0, so
# gradient descent would never correct this mistake. In the third row, a malignant
# tumour called benign just as confidently, the sigmoid route gets the loss right but
# its gradient has all but vanished. The logit route gives the gradient
# $\sigma(z) - y$, of size 1 in both cases: a strong push in the right direction. That
# is why models return logits, and why the sigmoid lives inside the loss.
#
# The other losses follow the same pattern:
#
# - `nn.CrossEntropyLoss` is the multi-class version: logits of shape (N, C) and class
#   indices of shape (N,). It is `nn.LogSoftmax` followed by `nn.NLLLoss` (the negative
#   log-likelihood of the right class), fused for the same numerical reasons.
# - `nn.MSELoss`, the mean squared error, is for regression: predicting numbers, not
#   classes.

# %%
class_logits = torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]])  # 2 examples, 3 classes
classes = torch.tensor([0, 2])
print(f"CrossEntropyLoss:              {nn.CrossEntropyLoss()(class_logits, classes):.6f}")
print(f"LogSoftmax then NLLLoss:       {nn.NLLLoss()(nn.LogSoftmax(dim=1)(class_logits), classes):.6f}")
print(f"MSELoss of (2.5, 0) vs (3, 1): {nn.MSELoss()(torch.tensor([2.5, 0.0]), torch.tensor([3.0, 1.0])):.6f}"
      "  = ((0.5)² + 1²) / 2")

# %% [markdown]
# ## torch.optim: the update, done for you
#
# An optimizer is given the parameters to update (`model.parameters()`) and settings
# such as the learning rate. Then one training step is always the same four lines:
#
# 1. `optimizer.zero_grad()`: clear the gradients left by the previous step. Gradients
#    accumulate, so without this every step would use the sum of all past gradients.
#    (By default it sets each `.grad` to `None` rather than filling it with zeros,
#    which saves memory; the next `backward()` creates it afresh.) It must come before
#    `backward()`; putting it first in the loop is the usual habit.
# 2. `loss = loss_fn(model(x), y)`: the forward pass and the loss.
# 3. `loss.backward()`: fill every parameter's `.grad`.
# 4. `optimizer.step()`: update every parameter from its `.grad`. Stepping before
#    `backward()` would use stale or empty gradients.
#
# `model.train()` at the top of the loop and `model.eval()` before evaluating switch
# layers that behave differently in the two phases (more on that below). The loop is
# still full-batch, as in lesson 3: one step per epoch on all 455 rows.

# %%
loss_fn = nn.BCEWithLogitsLoss()


def train(model: nn.Module, optimizer: torch.optim.Optimizer, epochs: int, scheduler=None) -> list[float]:
    """Full-batch training; returns the training loss of every epoch."""
    losses = []
    for epoch in range(epochs):
        model.train()
        optimizer.zero_grad()  # 1. forget the previous gradients
        loss = loss_fn(model(X_train), Y_train)  # 2. forward pass and loss
        loss.backward()  # 3. gradients of the loss
        optimizer.step()  # 4. update the parameters
        if scheduler is not None:
            scheduler.step()  # once per epoch, after the optimizer
        losses.append(loss.item())
    return losses


@torch.no_grad()
def accuracy(model: nn.Module, X: torch.Tensor, Y: torch.Tensor) -> float:
    model.eval()
    predictions = (model(X) > 0).float()  # logit > 0  <=>  probability > 0.5
    return (predictions == Y).float().mean().item()


epochs = pick(smoke=20, full=500)
seed_everything(0)
logistic = LogisticRegression(n_features)
logistic_losses = train(logistic, torch.optim.SGD(logistic.parameters(), lr=0.1), epochs)
print(f"logistic regression, SGD lr 0.1, {epochs} epochs: final loss {logistic_losses[-1]:.4f}, "
      f"test accuracy {accuracy(logistic, X_test, Y_test):.1%}")

# %% [markdown]
# That is lesson 3's model and result (up to the random start), with far less code of
# our own: the layer, the loss and the update all come from PyTorch.
#
# ## Comparing optimizers
#
# Plain **SGD** takes a step of size learning-rate times gradient. Three refinements are
# common:
#
# - **Momentum** keeps a running sum of past gradients, a velocity
#   $v \leftarrow \mu v + g$, and steps along $v$. Directions that agree from step to
#   step build up speed; directions that flip sign cancel out.
# - **RMSprop** divides each parameter's step by a running root-mean-square of its own
#   gradients, so parameters with large gradients take smaller steps and vice versa.
# - **Adam** combines both: a running mean of the gradients (momentum) divided by the
#   square root of a running mean of their squares (RMSprop), with a correction for the
#   first steps. Its default learning rate, 0.001, is a robust starting point for most
#   networks.
#
# To compare them fairly, each optimizer trains a copy of the *same* initial network.

# %%
seed_everything(0)
initial_mlp = make_mlp()
optimizers = {
    "SGD lr 0.1": lambda params: torch.optim.SGD(params, lr=0.1),
    "SGD lr 0.1 momentum 0.9": lambda params: torch.optim.SGD(params, lr=0.1, momentum=0.9),
    "RMSprop lr 0.01": lambda params: torch.optim.RMSprop(params, lr=0.01),
    "Adam lr 0.01": lambda params: torch.optim.Adam(params, lr=0.01),
}
trained, curves = {}, {}
for name, make_optimizer in optimizers.items():
    network = copy.deepcopy(initial_mlp)
    curves[name] = train(network, make_optimizer(network.parameters()), epochs)
    trained[name] = network

fig, ax = plt.subplots(figsize=(7, 4))
for name, losses in curves.items():
    ax.plot(range(1, epochs + 1), losses, label=name)
ax.set_yscale("log")
ax.set_xlabel("epoch (one full-batch update)")
ax.set_ylabel("training loss (log scale)")
ax.set_title("One network, four optimizers")
ax.grid(alpha=0.3, which="both")
ax.legend()
describe(fig, f"Training loss per epoch, log scale, over {epochs} epochs for one network trained by four "
         "optimizers; final losses: " + ", ".join(f"{name} {losses[-1]:.4f}" for name, losses in curves.items()) + ".")
plt.show()

print(f"{'optimizer':<25}{'loss after 20':>14}{'final loss':>12}{'test accuracy':>15}")
for name, losses in curves.items():
    print(f"{name:<25}{losses[19]:>14.4f}{losses[-1]:>12.4f}{accuracy(trained[name], X_test, Y_test):>15.1%}")

# %% [markdown]
# Momentum and the adaptive methods drive the training loss down far faster than plain
# SGD. A lower *training* loss is not automatically a better
# *test* accuracy, though: with 114 test tumours, one tumour is almost a whole
# percentage point, and a network that drives its training loss towards zero has
# started to memorise the training rows. Lesson 7 is about exactly this.
#
# ## Weight decay
#
# Every optimizer takes a `weight_decay` argument $\lambda$. For SGD it adds $\lambda p$
# to the gradient of **every parameter the optimizer was given**, so each step also
# shrinks each of them by the factor $(1 - \eta\lambda)$: they decay towards zero unless
# the data keeps pushing them out. That is the same as adding
# $\tfrac{\lambda}{2}\sum p^2$ over all parameters to the loss, and it favours smaller,
# smoother solutions.
#
# Note the word *every*: we passed `model.parameters()`, so the biases decay as well.
# L2 regularisation as usually defined (lesson 7) penalises the **weights only, not the
# biases**. A weight decides how strongly an input moves a unit, and large weights make
# the function steep and wiggly; a bias only shifts a unit's output, which adds no such
# complexity, so shrinking it buys nothing and can cost fit. The table below tracks the
# two kinds separately.

# %%
def norm_of(model: nn.Module, kind: str) -> float:
    """L2 norm of all parameters whose name ends in `kind` ("weight" or "bias"), taken together."""
    return torch.sqrt(sum((p ** 2).sum() for name, p in model.named_parameters() if name.endswith(kind))).item()


decays = (0.0, 1e-3, 1e-2, 1e-1)
decayed_everything = {}  # weight_decay -> (trained network, final training loss)
print(f"{'weight_decay':>12}{'weight norm':>13}{'bias norm':>11}{'final loss':>12}{'test accuracy':>15}")
for decay in decays:
    network = copy.deepcopy(initial_mlp)
    losses = train(network, torch.optim.SGD(network.parameters(), lr=0.1, momentum=0.9, weight_decay=decay), epochs)
    decayed_everything[decay] = network, losses[-1]
    print(f"{decay:>12g}{norm_of(network, 'weight'):>13.3f}{norm_of(network, 'bias'):>11.3f}"
          f"{losses[-1]:>12.4f}{accuracy(network, X_test, Y_test):>15.1%}")
print(f"{'(start)':>12}{norm_of(initial_mlp, 'weight'):>13.3f}{norm_of(initial_mlp, 'bias'):>11.3f}")

# %% [markdown]
# Read the weight norm and the final loss down the table: the stronger the decay, the
# smaller the weights end up and the higher the training loss settles: the penalty
# trades fit for simplicity. The bias norm column is the catch: the stronger the decay,
# the smaller the biases end up too, because plain `weight_decay` shrinks them as well.
#
# ### Parameter groups: decay the weights, leave the biases alone
#
# An optimizer accepts, instead of one list of parameters, a list of **parameter
# groups**: dicts that each hold some `params` and their own settings (`lr`,
# `weight_decay`, ...), which override the optimizer's defaults for that group. The
# course library's `weight_decay_groups`, used from lesson 7 on, builds two groups:
# the weight matrices with the decay, and everything one-dimensional (biases, and
# batch norm's scales and shifts) with `weight_decay=0`.

# %%
show_source(weight_decay_groups)

# %% [markdown]
# To see the decay on its own, give every parameter a zero gradient and take one step:
# whatever changes, changes because of the decay. With $\eta = 0.1$ and
# $\lambda = 0.1$, a decayed parameter is multiplied by $1 - \eta\lambda = 0.99$.

# %%
def one_decay_step(groups_or_parameters, network: nn.Module) -> dict[str, float]:
    """Each parameter's norm after / before one SGD step whose data gradient is zero."""
    before = {name: p.detach().clone() for name, p in network.named_parameters()}
    optimizer = torch.optim.SGD(groups_or_parameters, lr=0.1, weight_decay=0.1)
    for p in network.parameters():
        p.grad = torch.zeros_like(p)  # no pull from the data: only the decay acts
    optimizer.step()
    return {name: (p.detach().norm() / before[name].norm()).item() for name, p in network.named_parameters()}


all_decayed, weights_decayed = copy.deepcopy(initial_mlp), copy.deepcopy(initial_mlp)
plain_ratios = one_decay_step(all_decayed.parameters(), all_decayed)
group_ratios = one_decay_step(weight_decay_groups(weights_decayed, 0.1), weights_decayed)
print(f"{'parameter':<10}{'weight_decay on all':>21}{'weight_decay_groups':>21}")
for name in plain_ratios:
    print(f"{name:<10}{plain_ratios[name]:>20.4f}x{group_ratios[name]:>20.4f}x")

# %% [markdown]
# With the groups, the weight matrices shrink by exactly 0.99 and the biases stay as
# they were. Trained for the same number of epochs, from the same start, at each
# strength of the table above:

# %%
print(f"{'':>12}{'bias norm':^24}{'final loss':^24}{'test accuracy':^24}")
print(f"{'weight_decay':>12}" + f"{'all':>11}{'weights only':>13}" * 3)
tumour_differences = []
for decay in decays[1:]:
    network = copy.deepcopy(initial_mlp)
    losses = train(network, torch.optim.SGD(weight_decay_groups(network, decay), lr=0.1, momentum=0.9), epochs)
    all_decayed, all_decayed_loss = decayed_everything[decay]
    accuracies = accuracy(all_decayed, X_test, Y_test), accuracy(network, X_test, Y_test)
    tumour_differences.append(round(abs(accuracies[0] - accuracies[1]) * len(Y_test)))
    print(f"{decay:>12g}{norm_of(all_decayed, 'bias'):>11.3f}{norm_of(network, 'bias'):>13.3f}"
          f"{all_decayed_loss:>11.4f}{losses[-1]:>13.4f}{accuracies[0]:>11.1%}{accuracies[1]:>13.1%}")
no_decay, no_decay_loss = decayed_everything[0.0]
print(f"{'0 (none)':>12}{norm_of(no_decay, 'bias'):>11.3f}{'':>13}{no_decay_loss:>11.4f}")
print(f"difference in correctly classified test tumours: at most {max(tumour_differences)} of {len(Y_test)}")

# %% [markdown]
# Left alone, the biases are free to take whatever values fit the data while the
# weight matrices are still held small: compare the two bias columns with each other
# and with the run without any decay (where the biases left alone end larger than that,
# the network is leaning on them while its weights are held small), and see how much
# training loss each version pays for the same $\lambda$. The last line gives the largest gap between the two versions'
# test accuracies, counted in tumours; with one tumour worth 0.9 points of 114, a handful is too few to
# rank them on this data set, and lesson 7 measures regularisation on a larger one. (With
# Adam, prefer `torch.optim.AdamW`, which applies the decay directly to the weights
# instead of mixing it into the adaptive gradient scaling; it takes the same parameter
# groups.)
#
# ## Learning-rate schedulers
#
# A large learning rate makes fast progress early; a small one settles precisely at the
# end. A learning-rate **scheduler** changes the optimizer's learning rate as training goes on; you
# call `scheduler.step()` once per epoch, after `optimizer.step()`. Two common shapes:
# `StepLR` multiplies the rate by `gamma` every `step_size` epochs; `CosineAnnealingLR`
# glides from the starting rate to (nearly) zero along half a cosine.

# %%
schedules = {
    "constant": lambda opt: None,
    "StepLR(step_size=epochs//3, gamma=0.1)": lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=epochs // 3, gamma=0.1),
    "CosineAnnealingLR(T_max=epochs)": lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs),
}
fig, (lr_ax, loss_ax) = plt.subplots(1, 2, figsize=(11, 3.5))
final_losses = []
for name, make_scheduler in schedules.items():
    network = copy.deepcopy(initial_mlp)
    optimizer = torch.optim.SGD(network.parameters(), lr=0.5, momentum=0.9)
    scheduler = make_scheduler(optimizer)
    learning_rates, losses = [], []
    for epoch in range(epochs):
        learning_rates.append(optimizer.param_groups[0]["lr"])  # the rate this epoch uses
        losses += train(network, optimizer, epochs=1, scheduler=scheduler)
    lr_ax.plot(range(1, epochs + 1), learning_rates, label=name)
    loss_ax.plot(range(1, epochs + 1), losses, label=name)
    final_losses.append(f"{name.split('(')[0]} {losses[-1]:.4f}")
    print(f"{name:<40} last lr {learning_rates[-1]:.2g}, final loss {losses[-1]:.4f}, "
          f"test accuracy {accuracy(network, X_test, Y_test):.1%}")
lr_ax.set_xlabel("epoch")
lr_ax.set_ylabel("learning rate")
lr_ax.set_title("Learning rate per epoch")
loss_ax.set_yscale("log")
loss_ax.set_xlabel("epoch")
loss_ax.set_ylabel("training loss (log scale)")
loss_ax.set_title("SGD lr 0.5, momentum 0.9")
for ax in (lr_ax, loss_ax):
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
fig.tight_layout()
describe(fig, f"Left: the learning rate per epoch over {epochs} epochs, constant at 0.5, or cut tenfold "
         f"every {epochs // 3} epochs by StepLR, or gliding to almost 0 along a cosine. Right: the training "
         "loss per epoch, log scale; final losses: " + ", ".join(final_losses) + ".")
plt.show()

# %% [markdown]
# Here the constant rate ends with the lowest training loss. The schedules are not
# broken: with full-batch gradient descent every gradient is exact, so a smaller step
# can only slow the descent. Schedules pay off when gradients are *noisy*, as they are
# with the mini-batches of lesson 5: a large rate then makes quick but jittery
# progress, and lowering it later lets the parameters settle into a minimum instead of
# rattling around it. That is why long mini-batch training runs almost always use one.
#
# ## model.train() and model.eval()
#
# Some layers must behave differently while learning and while predicting. `nn.Dropout`
# zeroes a random half of its inputs during training (and doubles the rest, to keep the
# average) but passes everything through at evaluation; `nn.BatchNorm` uses the
# statistics of the current batch during training and its stored running averages at
# evaluation. `model.train()` and `model.eval()` set a `training` flag on the module and
# on all its children, and such layers read it:

# %%
dropout_net = nn.Sequential(nn.Linear(4, 4), nn.Dropout(p=0.5))
x = torch.ones(1, 4)
for mode in ("train", "eval"):
    getattr(dropout_net, mode)()  # dropout_net.train() or dropout_net.eval()
    print(f"{mode} mode, same input twice:", dropout_net(x).detach(), dropout_net(x).detach(), sep="\n  ")
print("children follow the parent's flag:", [child.training for child in dropout_net])

# %% [markdown]
# Our networks have neither layer, so here the switch changes nothing, but calling it
# is a habit worth having from the first model on: forgetting `model.eval()` before
# measuring a network with dropout gives noisy, too-pessimistic scores. Note also what
# `eval()` does **not** do: it does not stop autograd from recording. For that,
# evaluate under `torch.no_grad()` (as `accuracy` above does), which saves memory and
# time.
#
# ## The results on the test set

# %%
results = {"logistic regression, SGD": logistic, **{f"MLP, {name}": net for name, net in trained.items()}}
print(f"{'model':<35}{'parameters':>11}{'train acc':>11}{'test acc':>10}")
for name, net in results.items():
    parameters = sum(p.numel() for p in net.parameters())
    print(f"{name:<35}{parameters:>11}{accuracy(net, X_train, Y_train):>11.1%}{accuracy(net, X_test, Y_test):>10.1%}")

# %% [markdown]
# ## Saving and loading a state_dict
#
# A trained model is worth keeping. The thing to save is its **`state_dict`**: an
# ordered dictionary from each parameter's and buffer's name to its tensor. Saving the
# weights rather than the whole pickled model object keeps the file independent of
# where your class happens to be defined; to load, you build the same architecture and
# pour the weights in. `torch.load(..., weights_only=True)` (the default in recent
# PyTorch) refuses to unpickle anything but tensors and plain containers, which keeps
# a file from elsewhere from running code hidden in its pickle. This lesson saves into a temporary
# folder that disappears afterwards.

# %%
best = trained["Adam lr 0.01"]
state = best.state_dict()
print({name: tuple(tensor.shape) for name, tensor in state.items()})
with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "mlp.pt"
    torch.save(state, path)
    print(f"saved {path.name}: {path.stat().st_size:,} bytes")
    restored = make_mlp()  # same architecture, fresh random weights
    restored.load_state_dict(torch.load(path, weights_only=True))  # strict: names and shapes must match
restored.eval()
best.eval()
with torch.no_grad():
    print("restored model gives identical logits:", torch.equal(restored(X_test), best(X_test)))

# %% [markdown]
# To *resume* training later, save the optimizer's `state_dict` as well: it holds
# per-parameter state such as momentum buffers or Adam's running averages, without
# which the first steps after a restart would behave differently.

# %%
adam = torch.optim.Adam(best.parameters(), lr=0.01)
adam.zero_grad()
loss_fn(best(X_train), Y_train).backward()
adam.step()
optimizer_state = adam.state_dict()
print("per-parameter state:", sorted(optimizer_state["state"][0]), "| settings:",
      {key: optimizer_state["param_groups"][0][key] for key in ("lr", "betas", "weight_decay")})

# %% [markdown]
# The course's demo models go one step further: `learntorch.checkpoints` stores the
# `state_dict` in the safetensors format (tensors only, no pickle at all) beside a
# JSON card describing the model and its test scores; lesson 9 uses it.
#
# ## Recap
#
# - A model is an `nn.Module`: layers created in `__init__`, data flow in `forward`,
#   called as `model(x)`. `nn.Sequential` chains layers without a class.
# - `parameters()` / `named_parameters()` list the registered `nn.Parameter`s (weights
#   and biases) of the model and its children; buffers are saved but not trained.
# - Models return logits; `BCEWithLogitsLoss` and `CrossEntropyLoss` apply the sigmoid
#   or softmax inside, which keeps the loss finite and its gradient alive for confident
#   mistakes.
# - One step: `optimizer.zero_grad()`, forward and loss, `loss.backward()`,
#   `optimizer.step()`; then `scheduler.step()` once per epoch.
# - Momentum and adaptive optimizers (RMSprop, Adam) converge much faster than plain
#   SGD; schedulers lower the learning rate over time.
# - `weight_decay` shrinks every parameter the optimizer holds, biases included; L2
#   regularisation proper leaves the biases alone, which parameter groups
#   (`weight_decay_groups`) arrange.
# - `model.train()` / `model.eval()` switch dropout and batch norm; `torch.no_grad()`
#   switches off autograd. Save and load the `state_dict`, loading with
#   `weights_only=True`.
#
# ## Exercises
#
# Each exercise has a worked solution under it. Try it yourself first, then open the
# solution and compare.
#
# **1.** A class instead of Sequential. Rewrite `make_mlp` as an `nn.Module` subclass
# with `self.hidden`, `self.output` and a `forward` that applies `torch.relu` between
# them. Check that it has 513 parameters and trains like the Sequential one.

# %% tags=["solution"]
class TwoLayerNet(nn.Module):
    def __init__(self, n_features: int, hidden: int = 16):
        super().__init__()
        self.hidden = nn.Linear(n_features, hidden)  # (N, 30) -> (N, 16)
        self.output = nn.Linear(hidden, 1)  # (N, 16) -> (N, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output(torch.relu(self.hidden(x))).squeeze(1)  # (N, 1) -> (N,) logits


as_class = TwoLayerNet(n_features)
print("parameters:", sum(p.numel() for p in as_class.parameters()))
# Start from the very same numbers as `initial_mlp`: only the names differ
# ("0.weight" there, "hidden.weight" here), so rename the state_dict's keys.
renamed = {"hidden.weight": "0.weight", "hidden.bias": "0.bias", "output.weight": "2.weight", "output.bias": "2.bias"}
as_class.load_state_dict({new: initial_mlp.state_dict()[old] for new, old in renamed.items()})
as_sequential = copy.deepcopy(initial_mlp)
class_losses = train(as_class, torch.optim.Adam(as_class.parameters(), lr=0.01), epochs)
sequential_losses = train(as_sequential, torch.optim.Adam(as_sequential.parameters(), lr=0.01), epochs)
print(f"final loss: class {class_losses[-1]:.6f}, Sequential {sequential_losses[-1]:.6f}; "
      f"largest difference over {epochs} epochs: {max(abs(a - b) for a, b in zip(class_losses, sequential_losses)):.1e}")
# The two models compute the same function with the same weights, so they train the
# same; any difference is rounding. Sequential saves writing the class; a class is needed
# as soon as forward does more than call layers in a row (skip connections, several
# inputs, packing sequences as in lesson 11).

# %% [markdown]
# **2.** Wider and deeper. Count the parameters of networks with hidden layers of
# (64,), (64, 64) and (256, 256) units before building them, then check with
# `sum(p.numel() ...)`. Train each with Adam and compare train and test accuracy.

# %% tags=["solution"]
def make_deep(hidden_sizes: tuple[int, ...]) -> nn.Sequential:
    layers, width = [], n_features
    for size in hidden_sizes:
        layers += [nn.Linear(width, size), nn.ReLU()]  # (N, width) -> (N, size)
        width = size
    return nn.Sequential(*layers, nn.Linear(width, 1), nn.Flatten(0))  # -> (N,) logits


def count_by_hand(hidden_sizes: tuple[int, ...]) -> int:
    # a Linear(a, b) layer holds a*b weights and b biases
    widths = (n_features, *hidden_sizes, 1)
    return sum(a * b + b for a, b in zip(widths[:-1], widths[1:]))


print(f"{'hidden layers':<14}{'by hand':>9}{'counted':>9}{'train acc':>11}{'test acc':>10}")
for hidden_sizes in ((64,), (64, 64), (256, 256)):
    seed_everything(0)
    deep = make_deep(hidden_sizes)
    train(deep, torch.optim.Adam(deep.parameters(), lr=0.01), epochs)
    print(f"{str(hidden_sizes):<14}{count_by_hand(hidden_sizes):>9,}{sum(p.numel() for p in deep.parameters()):>9,}"
          f"{accuracy(deep, X_train, Y_train):>11.1%}{accuracy(deep, X_test, Y_test):>10.1%}")
# (64,): 30*64 + 64 + 64*1 + 1 = 2,049. (64, 64) adds 64*64 + 64 = 4,160. (256, 256):
# 30*256 + 256 + 256*256 + 256 + 256 + 1 = 73,985, nearly all in the square middle layer.
# With 455 training rows, each of these networks can learn the training set by heart:
# look at the training accuracies. Whether the extra parameters buy anything shows in the
# test column, to be compared with the 513-parameter MLP trained by Adam in the results
# table above; with 114 test tumours one tumour is 0.9 points, so only a gap of several
# tumours means much.

# %% [markdown]
# **3.** Zero-gradient bug. Move `optimizer.zero_grad()` out of the loop (call it once
# before training). Plot the loss curve for SGD with momentum and explain what you see
# in terms of gradient accumulation.

# %% tags=["solution"]
def train_without_zeroing(model: nn.Module, optimizer: torch.optim.Optimizer, epochs: int) -> list[float]:
    losses = []
    optimizer.zero_grad()  # once, before training: the bug
    for epoch in range(epochs):
        loss = loss_fn(model(X_train), Y_train)
        loss.backward()  # adds this step's gradient to everything already in .grad
        optimizer.step()
        losses.append(loss.item())
    return losses


bug_epochs = pick(smoke=20, full=200)
correct, buggy = copy.deepcopy(initial_mlp), copy.deepcopy(initial_mlp)
correct_losses = train(correct, torch.optim.SGD(correct.parameters(), lr=0.1, momentum=0.9), bug_epochs)
buggy_losses = train_without_zeroing(buggy, torch.optim.SGD(buggy.parameters(), lr=0.1, momentum=0.9), bug_epochs)
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(range(1, bug_epochs + 1), correct_losses, label="zero_grad() every step")
ax.plot(range(1, bug_epochs + 1), buggy_losses, label="zero_grad() once")
ax.set_yscale("log")
ax.set_xlabel("epoch")
ax.set_ylabel("training loss (log scale)")
ax.legend()
describe(fig, f"Training loss over {bug_epochs} epochs of SGD with momentum: zeroing the gradients every "
         f"step goes from {correct_losses[0]:.3g} to {correct_losses[-1]:.3g}; zeroing them once goes from "
         f"{buggy_losses[0]:.3g} to {buggy_losses[-1]:.3g}, lowest {min(buggy_losses):.3g}.")
plt.show()
print(f"final loss: zeroed every step {correct_losses[-1]:.4g}, zeroed once {buggy_losses[-1]:.4g} "
      f"(lowest on the way {min(buggy_losses):.4g})")
# Without zeroing, .grad after step t holds the sum of all t gradients so far. Old
# gradients never leave it, so the update keeps pushing in directions that were right
# many steps ago: the sum acts like a second, never-decaying momentum on top of SGD's
# own. The steps grow, overshoot the minimum and swing back only slowly, which shows as
# a loss that stalls, oscillates or climbs instead of falling steadily.

# %% [markdown]
# **4.** Learning-rate sweep. Train the MLP with Adam at learning rates 1e-4, 1e-3,
# 1e-2 and 1e-1 and plot the four loss curves. Which one would you pick, and why is
# "lowest final training loss" not the whole answer?

# %% tags=["solution"]
fig, ax = plt.subplots(figsize=(7, 3.5))
summary = []
for lr in (1e-4, 1e-3, 1e-2, 1e-1):
    network = copy.deepcopy(initial_mlp)
    losses = train(network, torch.optim.Adam(network.parameters(), lr=lr), epochs)
    ax.plot(range(1, epochs + 1), losses, label=f"lr {lr:g}")
    summary.append((lr, losses[-1], accuracy(network, X_train, Y_train), accuracy(network, X_test, Y_test)))
ax.set_yscale("log")
ax.set_xlabel("epoch")
ax.set_ylabel("training loss (log scale)")
ax.legend()
describe(fig, f"Training loss over {epochs} epochs of Adam at four learning rates; final losses: "
         + ", ".join(f"lr {lr:g} {loss:.4f}" for lr, loss, _, _ in summary) + ".")
plt.show()
for lr, loss, train_acc, test_acc in summary:
    print(f"lr {lr:<7g} final loss {loss:.4f}, train accuracy {train_acc:.1%}, test accuracy {test_acc:.1%}")
# A rate that is too small is still descending when training stops; a large one gets
# the training loss lowest soonest, but a training loss near zero means the network is
# memorising the 455 training rows. What matters is the loss and accuracy on data the
# model has not trained on, and the choice should be made on a validation set (lesson 6
# splits one off), never on the test set, or the test score stops being an honest
# estimate. Stability matters too: a rate at the edge of diverging may work on one seed
# and blow up on the next.

# %% [markdown]
# **5.** Adam against AdamW. Train with `Adam(weight_decay=0.01)` and
# `AdamW(weight_decay=0.01)` and compare the final weight norms. Read the two update
# rules in the PyTorch documentation and explain the difference.

# %% tags=["solution"]
print(f"{'optimizer':<22}{'weight norm':>12}{'bias norm':>11}{'final loss':>12}{'test accuracy':>15}")
for name, make_optimizer in (("Adam, no decay", lambda params: torch.optim.Adam(params, lr=0.01)),
                             ("Adam(weight_decay)", lambda params: torch.optim.Adam(params, lr=0.01, weight_decay=0.01)),
                             ("AdamW(weight_decay)", lambda params: torch.optim.AdamW(params, lr=0.01, weight_decay=0.01))):
    network = copy.deepcopy(initial_mlp)
    losses = train(network, make_optimizer(network.parameters()), epochs)
    print(f"{name:<22}{norm_of(network, 'weight'):>12.3f}{norm_of(network, 'bias'):>11.3f}"
          f"{losses[-1]:>12.4f}{accuracy(network, X_test, Y_test):>15.1%}")
# Adam(weight_decay=λ) adds λw to the gradient and then divides the sum by the running
# root-mean-square of past gradients, like every gradient. So the decay each weight
# feels depends on its gradient history: a weight whose data gradient is tiny gets a
# step of about lr towards zero (the decay term dominates and is normalised to size
# one), while a weight with large gradients barely feels λw at all. AdamW ("decoupled"
# weight decay) leaves the adaptive step alone and shrinks every weight by the same
# factor, w <- w - lr * λ * w, as in SGD. Hence AdamW's decay here is gentle and uniform,
# (1 - 0.01 * 0.01) per step, while Adam's is strong on quiet weights and absent on busy
# ones; compare the weight norms above with the run without decay. Note that both also
# decay the biases, since we passed them model.parameters(): weight_decay_groups works
# with either.

# %% [markdown]
# **6.** Your own parameter. Add a learnable temperature
# `self.temperature = nn.Parameter(torch.ones(1))` to `LogisticRegression` that divides
# the logits. Check that it appears in `named_parameters()` and in the `state_dict`,
# and see what value it learns.

# %% tags=["solution"]
class TemperatureLogisticRegression(LogisticRegression):
    def __init__(self, n_features: int):
        super().__init__(n_features)
        self.temperature = nn.Parameter(torch.ones(1))  # registered: trained and saved

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x) / self.temperature  # (N,) logits, divided by one number


seed_everything(0)
tempered = TemperatureLogisticRegression(n_features)
print("named_parameters:", [name for name, _ in tempered.named_parameters()])
print("state_dict:      ", list(tempered.state_dict()))
tempered_losses = train(tempered, torch.optim.SGD(tempered.parameters(), lr=0.1), epochs)
print(f"learned temperature {tempered.temperature.item():.3f}; final loss {tempered_losses[-1]:.4f} "
      f"(plain logistic regression: {logistic_losses[-1]:.4f}); test accuracy {accuracy(tempered, X_test, Y_test):.1%}")
# Dividing the logits by T is the same as dividing the weights and the bias by T, so the
# temperature adds no new function the model could not already express: it only gives
# gradient descent a second way to scale the logits. A T below 1 sharpens the
# probabilities just as larger weights would, and these almost separable classes reward
# that: the training loss keeps falling as the logits grow. So T moves wherever it lowers
# the loss fastest, which the learned value and the two final losses above show. On a
# trained model a temperature has a better use: *calibration*, fitting only T on
# held-out data so that a predicted 80% is right about 80% of the time.

# %% [markdown]
# ## Next
#
# Every update in this lesson used all 455 training rows at once.
# [Lesson 5: Dataset and DataLoader](../05_dataset_dataloader/) splits the data into
# mini-batches and shows how PyTorch feeds them to a model: from files on disk, shuffled,
# padded and loaded in parallel.
