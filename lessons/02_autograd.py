# %% [markdown]
# # 2. Autograd

# %% [markdown]
# Training a network means nudging every weight in the direction that lowers the loss,
# and that direction is given by derivatives: how much the loss changes when each weight
# changes. PyTorch computes those derivatives for you. This lesson opens the box: it
# derives a few gradients by hand, checks that PyTorch's *autograd* gets the same numbers,
# shows the graph it builds to do so, and covers the switches every training loop uses
# (zeroing gradients, `no_grad`, `detach`).
#
# **What you will learn**
#
# - why derivatives are needed and why computing them by hand does not scale;
# - how `backward()` fills `.grad`, on a single function and through a small neuron,
#   checked against derivatives worked out with the chain rule;
# - the computation graph autograd records (`grad_fn`, `next_functions`);
# - why `backward()` wants a scalar, and what its `gradient` argument means;
# - that gradients **accumulate**, how to zero them, and when accumulating is useful;
# - how to switch tracking off: `requires_grad_(False)`, `detach()`, `torch.no_grad()`,
#   `torch.inference_mode()`, and which to use when;
# - how to verify gradients numerically (finite differences, `gradcheck`);
# - gradient descent with autograd, on a function whose minimum we know.
#
# **What this assumes:** lesson 1 (tensors), and the idea of a derivative as a slope.
# The chain rule is restated where it is used.

# %%
import math

import matplotlib.pyplot as plt
import torch

from learntorch.data import image_tensors
from learntorch.device import seed_everything
from learntorch.plots import describe
from learntorch.profile import pick

seed_everything(0)
torch.set_printoptions(precision=6, sci_mode=False)
print("PyTorch", torch.__version__)

# %% [markdown]
# ## Why automatic differentiation
#
# Every training step of a neural network repeats four moves:
#
# 1. **forward pass**: run the inputs through the model to get predictions;
# 2. **loss**: measure how wrong the predictions are, as one number;
# 3. **backward pass**: compute the gradient of the loss with respect to every parameter;
# 4. **update**: move each parameter a small step against its gradient.
#
# Step 3 is the hard one. The loss depends on the prediction, the prediction depends on
# the weights and biases (and on the inputs), and in a deep network each layer's output
# feeds the next. The derivative of the loss with respect to an early weight is therefore
# a long chain-rule product through every layer in between. Deriving it by hand for a
# network with millions of weights, and re-deriving it each time the architecture
# changes, is out of the question.
#
# **Autograd** does it mechanically. While the forward pass runs, PyTorch records each
# operation applied to tensors that require gradients. Each recorded operation knows its
# own local derivative; `backward()` walks the record from the loss back to the
# parameters, multiplying local derivatives together (the chain rule) and storing the
# result in each parameter's `.grad`.
#
# ## A first gradient: y = x²
#
# By hand, the derivative of `y = x²` is `dy/dx = 2x`, so at `x = 3` it is 6. With
# autograd: mark `x` as needing gradients, compute `y`, call `y.backward()`, read `x.grad`.

# %%
x = torch.tensor(3.0, requires_grad=True)
y = x ** 2
y.backward()
print("y =", y.item())
print("dy/dx by hand:   2x =", 2 * x.item())
print("dy/dx autograd: x.grad =", x.grad.item())

# %% [markdown]
# One more link in the chain: `z = sin(x²)`. The chain rule says
# `dz/dx = cos(x²) · 2x`: the outer function's derivative, evaluated at the inner value,
# times the inner function's derivative.

# %%
x = torch.tensor(3.0, requires_grad=True)
z = torch.sin(x ** 2)
z.backward()
by_hand = math.cos(3.0 ** 2) * 2 * 3.0
print(f"dz/dx by hand: {by_hand:.6f}   autograd: {x.grad.item():.6f}")

# %% [markdown]
# Gradients flow from an output back to the tensors it was *computed from*. To get
# `dx/dy` instead, `x` must be computed from `y`: here `x = √y`, whose derivative at
# `y = 9` is `1 / (2√9) = 1/6`, the reciprocal of the `dy/dx = 6` found above.

# %%
y = torch.tensor(9.0, requires_grad=True)
x = torch.sqrt(y)
x.backward()
print(f"dx/dy autograd: {y.grad.item():.6f}   1 / (dy/dx) = 1/6 = {1 / 6:.6f}")

# %% [markdown]
# ## The chain rule through a neuron
#
# Now a real case: one neuron classifying one example. The input is a single feature
# `x = 6.7` (say, a student's grade average) and the true label is `y = 0` (say, "not
# placed"). The neuron has a weight `w` and a bias `b`:
#
# - linear part: `z = w·x + b`
# - prediction: `ŷ = σ(z) = 1 / (1 + e^(−z))`, a probability
# - loss, binary cross-entropy: `L = −[y·log ŷ + (1 − y)·log(1 − ŷ)]`
#
# Each step's local derivative is simple:
#
# - `∂L/∂ŷ = −y/ŷ + (1 − y)/(1 − ŷ)`
# - `∂ŷ/∂z = ŷ(1 − ŷ)` (the sigmoid's derivative)
# - `∂z/∂w = x`, `∂z/∂b = 1`, and `∂z/∂x = w`
#
# The chain rule multiplies them along the path from `L` to each input, e.g.
# `∂L/∂w = ∂L/∂ŷ · ∂ŷ/∂z · ∂z/∂w`. The first two factors multiply out to the tidy
# `∂L/∂z = ŷ − y`, so `∂L/∂w = (ŷ − y)·x` and `∂L/∂b = ŷ − y`.
#
# First the forward pass. `retain_grad()` asks autograd to also keep the gradients of
# the intermediate results `z` and `ŷ` (normally only the leaves keep theirs), so every
# step can be compared. The input gets `requires_grad=True` too, to show that gradients
# with respect to inputs exist as well, though training only uses the parameters'.

# %%
x = torch.tensor(6.7, requires_grad=True)
y = torch.tensor(0.0)
w = torch.tensor(0.5, requires_grad=True)
b = torch.tensor(-2.0, requires_grad=True)

z = w * x + b
z.retain_grad()
y_hat = torch.sigmoid(z)
y_hat.retain_grad()
loss = -(y * torch.log(y_hat) + (1 - y) * torch.log(1 - y_hat))
print(f"z = {z.item():.4f}   ŷ = {y_hat.item():.4f}   L = {loss.item():.4f}")
print("same loss from PyTorch's own function:",
      torch.nn.functional.binary_cross_entropy(y_hat, y).item())

# %% [markdown]
# The derivatives by hand, from the formulas above, next to autograd's after one
# `loss.backward()`:

# %%
loss.backward()

with torch.no_grad():  # plain arithmetic on the values, nothing to record
    dL_dyhat = -y / y_hat + (1 - y) / (1 - y_hat)
    dyhat_dz = y_hat * (1 - y_hat)
    dL_dz = dL_dyhat * dyhat_dz
    by_hand = {"∂L/∂ŷ": dL_dyhat, "∂L/∂z": dL_dz, "∂L/∂w": dL_dz * x,
               "∂L/∂b": dL_dz * 1, "∂L/∂x": dL_dz * w}
autograd = {"∂L/∂ŷ": y_hat.grad, "∂L/∂z": z.grad, "∂L/∂w": w.grad,
            "∂L/∂b": b.grad, "∂L/∂x": x.grad}

print(f"{'':6s} {'by hand':>12s} {'autograd':>12s} {'difference':>12s}")
for name in by_hand:
    hand, auto = by_hand[name].item(), autograd[name].item()
    print(f"{name:6s} {hand:12.6f} {auto:12.6f} {hand - auto:12.2e}")
print(f"check: ŷ − y = {(y_hat - y).item():.6f}")

# %% [markdown]
# They agree to float32 rounding (about 7 significant digits). Autograd computed the
# same products we did, but without anyone writing the formulas down.
#
# ## The computation graph
#
# During the forward pass, every result that depends on a tensor requiring gradients gets
# a `grad_fn`: the backward function of the operation that produced it. Each `grad_fn`
# lists, in `next_functions`, the backward functions of that operation's inputs, so the
# graph can be walked from the loss down to the leaves. Leaves that require gradients end
# in an `AccumulateGrad` node, which adds the arriving gradient into the leaf's `.grad`.
# Tensors created by you (`x`, `w`, `b`) are leaves (`is_leaf`), results are not.

# %%
names = {id(x): "x", id(w): "w", id(b): "b"}


def print_graph(node, depth: int = 0, seen=None) -> None:
    """Walk from a grad_fn to the leaves, one line per backward function."""
    seen = set() if seen is None else seen
    label = type(node).__name__
    if hasattr(node, "variable"):  # an AccumulateGrad node: the leaf it writes into
        label += f"  -> {names.get(id(node.variable), '?')}.grad"
    elif node in seen:  # reached a second time: a value used twice
        print("    " * depth + label + "  (the same node as above: ŷ is used twice)")
        return
    seen.add(node)
    print("    " * depth + label)
    for next_node, _ in node.next_functions:
        if next_node is not None:  # None: an input that needs no gradient (y, constants)
            print_graph(next_node, depth + 1, seen)


print("loss.grad_fn is a", loss.grad_fn.name(), "node; its next_functions point to",
      [node.name() if node is not None else None for node, _ in loss.grad_fn.next_functions])
print()
print_graph(loss.grad_fn)
print()
for name, tensor in {"x": x, "w": w, "z": z, "ŷ": y_hat, "L": loss}.items():
    print(f"{name}: is_leaf={tensor.is_leaf!s:5s} requires_grad={tensor.requires_grad!s:5s} "
          f"grad_fn={type(tensor.grad_fn).__name__ if tensor.grad_fn else None}")

# %% [markdown]
# Read bottom-up, that tree is the forward computation: `w` and `x` enter a
# multiplication (`MulBackward0`), `b` is added (`AddBackward0`), the sigmoid follows,
# then the logs, products and sums of the loss formula (`RsubBackward1` is the `1 − ŷ`).
# Backward visits it top-down. The loss uses `ŷ` twice, in `log ŷ` and in `log(1 − ŷ)`,
# so two paths lead to the sigmoid node: the graph is not a tree but a directed acyclic
# graph, and the gradients arriving along both paths are added up.
#
# To save memory, a graph is freed as soon as `backward()` has used it, so a second
# `backward()` through the same graph fails. Training recomputes the forward pass every
# step anyway, which builds a fresh graph (pass `retain_graph=True` in the rare case you
# need two backward passes through one graph).

# %%
try:
    loss.backward()
except RuntimeError as error:
    print("RuntimeError:", str(error).split(". Saved")[0])

# %% [markdown]
# ## Vector outputs: backward needs a scalar
#
# A loss is one number, so "the gradient of the loss with respect to each weight" is
# well defined. If the output is a vector, each of its entries has its own gradient
# with respect to each input, a whole matrix of derivatives (the *Jacobian*), and
# `backward()` does not guess which combination you want:

# %%
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = x ** 2  # a vector: (3,)
try:
    y.backward()
except RuntimeError as error:
    print("RuntimeError:", error)

# %% [markdown]
# Either reduce to a scalar first (a loss is usually a mean or sum over examples), or pass
# `gradient=v`: backward then computes `vᵀ·J`, the gradient of the weighted sum `Σ vᵢ·yᵢ`,
# without ever building the full Jacobian. `v` of all ones is the same as `.sum()`.

# %%
y.sum().backward()
print("after y.sum().backward():            x.grad =", x.grad)

x.grad = None  # forget it before the next comparison
(x ** 2).backward(gradient=torch.ones(3))
print("after backward(gradient=ones):      x.grad =", x.grad)

x.grad = None
(x ** 2).backward(gradient=torch.tensor([1.0, 0.0, 10.0]))
print("after backward(gradient=[1, 0, 10]): x.grad =", x.grad, " = [1, 0, 10] * 2x")

print("the full Jacobian (diagonal, since yᵢ depends only on xᵢ):")
print(torch.autograd.functional.jacobian(lambda t: t ** 2, x.detach()))

# %% [markdown]
# ## Gradients accumulate
#
# `backward()` **adds** to `.grad`; it never overwrites. Run the same computation three
# times and the gradient of `x²` at 3 comes out as 6, then 12, then 18:

# %%
x = torch.tensor(3.0, requires_grad=True)
for call in range(1, 4):
    y = x ** 2  # a fresh forward pass: a fresh graph
    y.backward()
    print(f"after backward call {call}: x.grad = {x.grad.item()}")

# %% [markdown]
# In a training loop that would be a bug: each step's update must use that step's
# gradient only. So gradients are cleared before (or after) every step, with
# `x.grad.zero_()` (in place, to 0) or by setting `x.grad = None` (what an optimizer's
# `zero_grad()` does by default, lesson 4).

# %%
x.grad.zero_()
print("after x.grad.zero_():", x.grad.item())
y = x ** 2
y.backward()
print("one more backward:   ", x.grad.item(), "(the gradient of this step alone)")

# %% [markdown]
# ### When accumulating is exactly what you want
#
# Because the gradient of a sum is the sum of the gradients, accumulation lets you
# split a batch that does not fit in memory into *micro-batches*: run backward on each
# (scaled so they add up to the batch mean) and update once. The result is the gradient
# of the whole batch. Checked here on our neuron with 8 examples, processed at once and
# as 4 micro-batches of 2:

# %%
features = torch.randn(8)
labels = (torch.rand(8) > 0.5).float()
w = torch.tensor(0.5, requires_grad=True)
b = torch.tensor(-2.0, requires_grad=True)


def neuron_loss(inputs, targets):
    """Mean binary cross-entropy of the one-weight neuron over some examples."""
    return torch.nn.functional.binary_cross_entropy(torch.sigmoid(w * inputs + b), targets)


neuron_loss(features, labels).backward()
whole_batch = (w.grad.item(), b.grad.item())

w.grad, b.grad = None, None
micro_batches = 4
for inputs, targets in zip(features.chunk(micro_batches), labels.chunk(micro_batches)):
    (neuron_loss(inputs, targets) / micro_batches).backward()  # accumulates into w.grad, b.grad
accumulated = (w.grad.item(), b.grad.item())

print(f"whole batch of 8:        dL/dw = {whole_batch[0]:.6f}   dL/db = {whole_batch[1]:.6f}")
print(f"4 micro-batches of 2:    dL/dw = {accumulated[0]:.6f}   dL/db = {accumulated[1]:.6f}")

# %% [markdown]
# The same property is why a parameter used in two places (shared weights) receives the
# sum of both uses' gradients: accumulation is how autograd adds the branches of a graph.
#
# ## Switching tracking off
#
# Recording the graph costs time and memory, because every operation keeps whatever it
# needs for its backward pass (inputs, outputs, masks). When no gradient will be needed,
# tell PyTorch. There are four tools, for different situations.
#
# ### Freeze a parameter: requires_grad_(False)
#
# Switches tracking off for a leaf tensor, permanently until switched back. This is how
# parts of a model are *frozen*: in transfer learning (lesson 10) the pretrained layers
# are frozen and only a new final layer is trained. A frozen parameter gets no gradient.

# %%
layer = torch.nn.Linear(in_features=3, out_features=1)
layer.weight.requires_grad_(False)  # freeze the weights, keep training the bias
layer(torch.randn(4, 3)).sum().backward()
print("weight: requires_grad =", layer.weight.requires_grad, " grad =", layer.weight.grad)
print("bias:   requires_grad =", layer.bias.requires_grad, "  grad =", layer.bias.grad)

# %% [markdown]
# ### The same values, cut from the graph: detach()
#
# `t.detach()` returns a tensor that shares `t`'s memory but has no history and does not
# require gradients. Use it when a value leaves the differentiable world: logging a loss,
# plotting, converting to NumPy (which refuses tensors that require gradients), or using a
# prediction as a fixed target so no gradient flows through it.

# %%
prediction = torch.sigmoid(torch.tensor([0.3, -1.2], requires_grad=True) * 2)
try:
    prediction.numpy()
except RuntimeError as error:
    print("RuntimeError:", error)
detached = prediction.detach()
print("detached:", detached.numpy(), " requires_grad:", detached.requires_grad,
      " same memory:", detached.data_ptr() == prediction.data_ptr())

# %% [markdown]
# ### A block without recording: torch.no_grad()
#
# Inside `with torch.no_grad():` nothing is recorded, whatever the inputs' flags. It is
# used for evaluation and prediction (no backward pass will follow), and for the update
# step of a hand-written training loop, where changing the weights must not itself become
# part of the graph. To see what it saves, a hook counts the bytes autograd stores for the
# backward pass while a small network reads 512 MNIST digits:

# %%
images, _ = image_tensors("MNIST", False)
digits = images[:512].flatten(start_dim=1).float() / 255  # (512, 784)
network = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(),
                              torch.nn.Linear(256, 256), torch.nn.ReLU(),
                              torch.nn.Linear(256, 10))


def bytes_saved_for_backward(run) -> tuple[int, torch.Tensor]:
    """Run a forward pass; return the total size of the tensors autograd kept for backward."""
    sizes = []

    def pack(tensor):  # called for every tensor autograd saves
        sizes.append(tensor.numel() * tensor.element_size())
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        output = run()
    return sum(sizes), output


tracked_bytes, tracked = bytes_saved_for_backward(lambda: network(digits))
with torch.no_grad():
    untracked_bytes, untracked = bytes_saved_for_backward(lambda: network(digits))
print(f"with tracking:    {tracked_bytes / 1e6:.2f} MB kept for backward, "
      f"output requires_grad={tracked.requires_grad}, grad_fn={type(tracked.grad_fn).__name__}")
print(f"under no_grad():  {untracked_bytes / 1e6:.2f} MB kept for backward, "
      f"output requires_grad={untracked.requires_grad}, grad_fn={untracked.grad_fn}")
print("same predictions:", torch.equal(tracked.argmax(dim=1), untracked.argmax(dim=1)))

# %% [markdown]
# ### Stricter and a little faster: torch.inference_mode()
#
# `torch.inference_mode()` also skips the bookkeeping autograd would need later (version
# counters, view tracking). The price: tensors created inside are *inference tensors* and
# can never enter a graph that autograd records afterwards. Use it for pure prediction
# code, such as a demo server; use `no_grad()` when the results may feed training again.

# %%
with torch.inference_mode():
    inference_output = network(digits)
print("is_inference:", inference_output.is_inference())
trainable = torch.ones(10, requires_grad=True)
try:
    (inference_output * trainable).sum().backward()
except RuntimeError as error:
    print("RuntimeError:", str(error).split(". To work")[0])

# %% [markdown]
# | tool | scope | typical use |
# |---|---|---|
# | `p.requires_grad_(False)` | one leaf tensor, until switched back | freezing layers |
# | `t.detach()` | one tensor: a copy of the value without history | logging, plotting, NumPy, fixed targets |
# | `with torch.no_grad():` | everything in the block | evaluation, weight updates by hand |
# | `with torch.inference_mode():` | everything in the block, results can't be trained on later | deployed prediction |
#
# ## Checking gradients numerically
#
# How do we know autograd (or a custom backward we write one day) is right? Compare with
# the definition of the derivative. The **central difference**
# `(f(p + h) − f(p − h)) / 2h` approximates `∂f/∂p` with an error that shrinks like `h²`.
# Take a function of three inputs, nudge each one in turn, and compare with autograd.
# Everything is in float64, for a reason shown right after.

# %%
def f(a, b, c):
    return a ** 2 * torch.sin(b) + torch.exp(a * c) / b


point = torch.tensor([1.5, 0.7, -0.4], dtype=torch.float64, requires_grad=True)
f(*point).backward()


def central_difference(function, at: torch.Tensor, index: int, h: float) -> float:
    """(f(at + h·e_i) − f(at − h·e_i)) / 2h: the slope along input number `index`."""
    step = torch.zeros_like(at)
    step[index] = h
    with torch.no_grad():
        return ((function(*(at + step)) - function(*(at - step))) / (2 * h)).item()


print(f"{'input':6s} {'autograd':>14s} {'finite diff.':>14s} {'difference':>11s}")
for index, name in enumerate("abc"):
    numeric = central_difference(f, point.detach(), index, h=1e-6)
    analytic = point.grad[index].item()
    print(f"{name:6s} {analytic:14.9f} {numeric:14.9f} {analytic - numeric:11.1e}")

# %% [markdown]
# Why float64: the step `h` must be small for the approximation to be good, but the two
# function values being subtracted then agree in most of their digits, and the
# subtraction loses them (rounding error grows like `eps / h`). The error is smallest
# where the two effects balance. In float32, whose `eps` is about 1e-7, that best error
# is still large enough to hide a subtly wrong gradient; for very small `h` the two
# function values even come out identical, and the estimate is 0.

# %%
exact = point.grad[0].item()
steps = torch.logspace(-12, 0, 49).tolist()
fig, ax = plt.subplots(figsize=(7, 3.6))
summaries = []
for dtype in (torch.float32, torch.float64):
    at = point.detach().to(dtype)
    errors = [max(abs(central_difference(f, at, 0, h) - exact), 1e-16) for h in steps]
    best = min(range(len(steps)), key=errors.__getitem__)
    print(f"{str(dtype):14s} smallest error {errors[best]:.1e} at h = {steps[best]:.0e}")
    summaries.append(f"{str(dtype).removeprefix('torch.')} smallest error {errors[best]:.1e} at h = "
                     f"{steps[best]:.0e}, error {errors[0]:.1e} at h = 1e-12 and {errors[-1]:.1e} at h = 1")
    ax.plot(steps, errors, "o-", markersize=3, label=str(dtype).removeprefix("torch."))
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("step h")
ax.set_ylabel("|finite difference − autograd|")
ax.set_title("∂f/∂a by central differences: rounding (left) vs truncation (right)")
ax.grid(alpha=0.3)
ax.legend()
describe(fig, "Error of the central-difference estimate of ∂f/∂a against the step h, both axes "
              "logarithmic, h from 1e-12 to 1: " + "; ".join(summaries) + ".")
plt.show()

# %% [markdown]
# `torch.autograd.gradcheck` automates this check for every input and output (it wants
# float64 inputs, for the reason just seen). It is how PyTorch tests its own operations,
# and it catches a wrong derivative. Below, a custom operation computes `sin` but its
# hand-written backward claims the derivative of `sin` is `sin` (it is `cos`):

# %%
class SinWithWrongGradient(torch.autograd.Function):
    @staticmethod
    def forward(ctx, t):
        ctx.save_for_backward(t)
        return torch.sin(t)

    @staticmethod
    def backward(ctx, grad_output):
        (t,) = ctx.saved_tensors
        return grad_output * torch.sin(t)  # wrong on purpose: should be cos(t)


inputs = tuple((torch.rand(3, dtype=torch.float64) + 0.5).requires_grad_() for _ in range(3))  # a, b, c
print("gradcheck(f):                 ", torch.autograd.gradcheck(f, inputs))
print("gradcheck(SinWithWrongGradient):",
      torch.autograd.gradcheck(SinWithWrongGradient.apply, inputs[:1], raise_exception=False))

# %% [markdown]
# ## Gradient descent with autograd
#
# Finally, the four moves of training on the smallest possible problem: find the `x`
# that minimises `L(x) = (x − 3)²`. We know the answer is 3; the loop does not. Each
# step computes the loss (forward), calls `backward()` for `dL/dx`, moves `x` a step of
# size `learning_rate` against the gradient inside `torch.no_grad()` (the update must not
# be recorded, and `x` is a leaf that requires gradients, so it may only be changed in
# place there), and zeroes the gradient for the next step.

# %%
def gradient_descent(start: float, learning_rate: float, steps: int) -> list[float]:
    x = torch.tensor(start, requires_grad=True)
    history = [x.item()]
    for _ in range(steps):
        loss = (x - 3) ** 2  # 1. forward and 2. loss
        loss.backward()  # 3. backward: x.grad = 2(x − 3)
        with torch.no_grad():
            x -= learning_rate * x.grad  # 4. update
        x.grad.zero_()  # clear for the next step
        history.append(x.item())
    return history


steps = 30
path = gradient_descent(start=-2.0, learning_rate=0.1, steps=steps)
for step in (0, 1, 2, 5, 10, 20, 30):
    print(f"step {step:2d}: x = {path[step]:.6f}   loss = {(path[step] - 3) ** 2:.6f}")

# %% [markdown]
# The learning rate decides how the walk goes. Here the gradient is `2(x − 3)`, so one
# step multiplies the distance to 3 by `1 − 2·learning_rate`: a small rate creeps, 0.5
# jumps to the answer in one step, a rate between 0.5 and 1 overshoots and oscillates,
# and above 1 every step makes things worse.

# %%
fig, ax = plt.subplots(figsize=(8, 4))
endings = []
for learning_rate in (0.02, 0.1, 0.5, 0.85, 1.02):
    walk = gradient_descent(start=-2.0, learning_rate=learning_rate, steps=steps)
    ax.plot(walk, "o-", markersize=3, label=f"learning rate {learning_rate}")
    endings.append(f"{learning_rate}: x = {walk[-1]:.4g} after {steps} steps")
ax.axhline(3, color="black", linestyle="--", linewidth=1, label="minimum x = 3")
ax.set_ylim(-4, 10)
ax.set_xlabel("step")
ax.set_ylabel("x")
ax.set_title("Gradient descent on (x − 3)²")
ax.grid(alpha=0.3)
ax.legend(loc="upper right", fontsize=8)
describe(fig, "x over 30 steps of gradient descent on (x − 3)² from x = −2, one line per learning "
              "rate, with the minimum x = 3 dashed; " + "; ".join(endings) + ".")
plt.show()

# %% [markdown]
# ## Recap
#
# - Training needs the gradient of the loss with respect to every parameter; autograd
#   records the forward pass and applies the chain rule backwards to get them.
# - `requires_grad=True` marks what to differentiate with respect to; `loss.backward()`
#   fills `.grad` on the leaves (`retain_grad()` keeps intermediates' too). Our hand
#   derivatives through a neuron matched autograd to float32 rounding.
# - The graph is visible through `grad_fn` and `next_functions`, and is freed after
#   `backward()` unless `retain_graph=True`.
# - `backward()` needs a scalar, or a `gradient=v` to form `vᵀ·J`.
# - Gradients accumulate: zero them every training step (`grad.zero_()` or `None`);
#   accumulate on purpose to split a large batch into micro-batches.
# - `requires_grad_(False)` freezes parameters, `detach()` cuts one tensor loose,
#   `torch.no_grad()` and `torch.inference_mode()` switch recording off for a block and
#   save the memory autograd would keep.
# - Central differences and `gradcheck` (in float64) verify gradients.
# - Gradient descent is: forward, loss, backward, update under `no_grad`, zero the
#   gradient. The learning rate decides whether it creeps, converges or diverges.
#
# ## Exercises
#
# Each exercise has a worked solution under it. Try it yourself first, then open the
# solution and compare.

# %% [markdown]
# **1.** For `f(x) = x³ − 2x` compute `f'(2)` by hand and with autograd. Then compute the second
# derivative with `torch.autograd.grad(..., create_graph=True)` applied twice.

# %% tags=["solution"]
# By hand: f'(x) = 3x² − 2, so f'(2) = 10; f''(x) = 6x, so f''(2) = 12.
x = torch.tensor(2.0, requires_grad=True)
f_of_x = x ** 3 - 2 * x
# create_graph=True records the backward pass itself, so its result can be differentiated again.
(first,) = torch.autograd.grad(f_of_x, x, create_graph=True)
(second,) = torch.autograd.grad(first, x)
print(f"f'(2):  by hand {3 * 2 ** 2 - 2}, autograd {first.item()}")
print(f"f''(2): by hand {6 * 2}, autograd {second.item()}")
# Without create_graph=True the first grad() returns a plain number with no grad_fn, and
# the second grad() fails: there is no graph left to walk.

# %% [markdown]
# **2.** Change the neuron's label to `y = 1` and predict, before running, the sign of
# `∂L/∂w`. Which way will gradient descent move `w`, and why does that make sense?

# %% tags=["solution"]
# Prediction: ∂L/∂w = (ŷ − y)·x. With y = 1 and ŷ < 1, ŷ − y is negative, and x = 6.7 is
# positive, so the gradient is negative and gradient descent (w − rate · gradient)
# increases w.
x = torch.tensor(6.7)
w = torch.tensor(0.5, requires_grad=True)
b = torch.tensor(-2.0, requires_grad=True)
label = torch.tensor(1.0)
y_hat = torch.sigmoid(w * x + b)
loss = torch.nn.functional.binary_cross_entropy(y_hat, label)
loss.backward()
print(f"ŷ = {y_hat.item():.4f}, ∂L/∂w = {w.grad.item():.4f} (by hand (ŷ − 1)·x = {(y_hat.item() - 1) * 6.7:.4f})")
with torch.no_grad():
    w_after = w - 0.1 * w.grad  # one step with learning rate 0.1
    y_hat_after = torch.sigmoid(w_after * x + b)
print(f"after one step: w = {w_after.item():.4f}, ŷ = {y_hat_after.item():.4f}, "
      f"loss {loss.item():.4f} -> {torch.nn.functional.binary_cross_entropy(y_hat_after, label).item():.4f}")
# A larger w makes z = w·x + b larger for this positive x, which pushes ŷ towards the
# label 1: the step makes the neuron more confident that this example is positive.

# %% [markdown]
# **3.** Replace the hand-written loss by `binary_cross_entropy_with_logits(z, y)` and print
# the graph again. How many nodes does it have now? Why is this version preferred
# numerically when `z` is large?

# %% tags=["solution"]
def count_nodes(node, seen=None) -> int:
    """The number of distinct backward nodes reachable from `node`."""
    seen = set() if seen is None else seen
    if node is None or node in seen:
        return 0
    seen.add(node)
    return 1 + sum(count_nodes(next_node, seen) for next_node, _ in node.next_functions)


x = torch.tensor(6.7, requires_grad=True)
y = torch.tensor(0.0)
w = torch.tensor(0.5, requires_grad=True)
b = torch.tensor(-2.0, requires_grad=True)
names = {id(x): "x", id(w): "w", id(b): "b"}  # print_graph labels the leaves with these

z = w * x + b
y_hat = torch.sigmoid(z)
by_hand_loss = -(y * torch.log(y_hat) + (1 - y) * torch.log(1 - y_hat))
fused_loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
print_graph(fused_loss.grad_fn)
print(f"nodes: {count_nodes(fused_loss.grad_fn)} with the fused loss, "
      f"{count_nodes(by_hand_loss.grad_fn)} with the hand-written one; "
      f"losses {fused_loss.item():.6f} and {by_hand_loss.item():.6f}")

# Large logits: the sigmoid rounds to exactly 1.0 in float32, and the logs break.
for big_z, target in ((40.0, 0.0), (40.0, 1.0)):
    big_z, target = torch.tensor(big_z), torch.tensor(target)
    p = torch.sigmoid(big_z)
    naive = -(target * torch.log(p) + (1 - target) * torch.log(1 - p))
    fused = torch.nn.functional.binary_cross_entropy_with_logits(big_z, target)
    print(f"z = {big_z.item():.0f}, y = {target.item():.0f}: σ(z) = {p.item()}, "
          f"hand-written loss {naive.item()}, with logits {fused.item():.6g}")
# The fused loss computes log σ(z) and log(1 − σ(z)) straight from z, rewritten so that
# nothing overflows (log(1 − σ(z)) = −z − log(1 + e^(−z)) for large z). It never forms the
# rounded probability, so a confident mistake costs about z (here 40) instead of inf, and a
# confident right answer costs about 0 instead of 0 · log 0 = nan. The graph is shorter too:
# one node does the work of the sigmoid, the two logs and the arithmetic around them.

# %% [markdown]
# **4.** In the accumulation example, forget the `/ micro_batches`. By what factor is the
# gradient off? Which optimizer setting would compensate?

# %% tags=["solution"]
w = torch.tensor(0.5, requires_grad=True)
b = torch.tensor(-2.0, requires_grad=True)
for micro_inputs, micro_targets in zip(features.chunk(micro_batches), labels.chunk(micro_batches)):
    neuron_loss(micro_inputs, micro_targets).backward()  # no division this time
forgotten = (w.grad.item(), b.grad.item())
print(f"without the division: dL/dw = {forgotten[0]:.6f}, dL/db = {forgotten[1]:.6f}")
print(f"ratio to the whole-batch gradient: {forgotten[0] / whole_batch[0]:.4f}, {forgotten[1] / whole_batch[1]:.4f}")
# Each micro-batch loss is a mean over its 2 examples; adding 4 such means gives 4 times
# the mean over all 8. For plain gradient descent the update is rate x gradient, so a
# learning rate divided by micro_batches (4) makes exactly the same step. (Adam divides
# each gradient by its own running size, so it barely notices a constant factor.)

# %% [markdown]
# **5.** Time 200 forward passes of `network` on the 512 digits with tracking, under
# `no_grad()` and under `inference_mode()`. Repeat a few times; how stable are the
# differences on your machine?

# %% tags=["solution"]
import contextlib
import time

passes, repeats = pick(smoke=10, full=200), 3
modes = {"tracking": contextlib.nullcontext, "no_grad": torch.no_grad, "inference_mode": torch.inference_mode}
for repeat in range(1, repeats + 1):
    timings = []
    for name, mode in modes.items():
        start = time.perf_counter()
        with mode():
            for _ in range(passes):
                network(digits)
        timings.append(f"{name} {(time.perf_counter() - start) / passes * 1000:6.2f} ms")
    print(f"run {repeat}, per forward pass: " + " | ".join(timings))
# Compare the three columns with the spread between runs of the same column. Here the
# matrix products dominate and are identical in all three modes; what tracking adds is
# bookkeeping plus keeping the activations alive for a backward pass that never comes.
# On a busy or small machine that difference can be smaller than the noise between runs:
# the memory saving measured earlier is the reliable gain, the speed-up is a bonus.

# %% [markdown]
# **6.** Fix `SinWithWrongGradient` and show that `gradcheck` now passes. Then run gradcheck
# on the fixed version with float32 inputs and explain the outcome.

# %% tags=["solution"]
import warnings


class Sin(torch.autograd.Function):
    @staticmethod
    def forward(ctx, t):
        ctx.save_for_backward(t)
        return torch.sin(t)

    @staticmethod
    def backward(ctx, grad_output):
        (t,) = ctx.saved_tensors
        return grad_output * torch.cos(t)  # d sin(t)/dt = cos(t)


print("gradcheck(Sin), float64:", torch.autograd.gradcheck(Sin.apply, inputs[:1]))
single = inputs[0].detach().float().requires_grad_()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    passed = torch.autograd.gradcheck(Sin.apply, (single,), raise_exception=False)
print("gradcheck(Sin), float32:", passed)
for warning in caught:
    print("warning:", str(warning.message).split(". This")[0])
# The backward is now right, and in float64 gradcheck agrees. In float32 it fails anyway:
# gradcheck's finite differences use a step of 1e-6, where float32 rounding (eps about
# 1e-7) swamps the difference of the two function values, as the plot above showed. The
# numerical Jacobian is wrong, not the analytic one. Always gradcheck in float64.

# %% [markdown]
# **7.** Run gradient descent on `L(x, y) = (x − 3)² + 10·(y + 1)²` with one learning rate for
# both. Plot both coordinates over the steps. What is the largest learning rate that
# still converges, and which coordinate limits it?

# %% tags=["solution"]
def descend_2d(learning_rate: float, steps: int = 40) -> torch.Tensor:
    """Gradient descent on (x − 3)² + 10(y + 1)² from (−2, 2); returns the path, (steps + 1, 2)."""
    point = torch.tensor([-2.0, 2.0], requires_grad=True)
    path = [point.detach().clone()]
    for _ in range(steps):
        loss = (point[0] - 3) ** 2 + 10 * (point[1] + 1) ** 2
        loss.backward()  # gradient: (2(x − 3), 20(y + 1))
        with torch.no_grad():
            point -= learning_rate * point.grad
        point.grad.zero_()
        path.append(point.detach().clone())
    return torch.stack(path)


rates = (0.02, 0.05, 0.09, 0.1, 0.11)
fig, (x_ax, y_ax) = plt.subplots(1, 2, figsize=(11, 3.6))
endings = []
for learning_rate in rates:
    path = descend_2d(learning_rate)
    x_ax.plot(path[:, 0], label=f"rate {learning_rate}")
    y_ax.plot(path[:, 1], label=f"rate {learning_rate}")
    endings.append(f"rate {learning_rate}: x = {path[-1, 0]:.3g}, y = {path[-1, 1]:.3g}")
    print(f"rate {learning_rate:<5} after 40 steps: x = {path[-1, 0]:9.4f}  y = {path[-1, 1]:11.4f}")
for ax, coordinate, target in ((x_ax, "x", 3), (y_ax, "y", -1)):
    ax.axhline(target, color="black", linestyle="--", linewidth=1)
    ax.set_xlabel("step")
    ax.set_ylabel(coordinate)
    ax.grid(alpha=0.3)
y_ax.set_ylim(-6, 4)
x_ax.legend(fontsize=8)
fig.suptitle("Gradient descent on (x − 3)² + 10·(y + 1)², one learning rate for both")
describe(fig, "x (left, minimum 3) and y (right, minimum −1) over 40 steps from (−2, 2) for learning "
              "rates " + ", ".join(map(str, rates)) + "; " + "; ".join(endings) + ".")
plt.show()
# Each step multiplies x's distance to 3 by (1 − 2·rate) and y's distance to −1 by
# (1 − 20·rate). Both shrink only while each factor lies between −1 and 1: rate < 1 for
# x but rate < 0.1 for y. So y, the steep direction, limits the rate: at exactly 0.1 its
# factor is −1 and y flips between 2 and −4 for ever, above 0.1 it diverges, while x at
# that rate still creeps (factor 0.8). One learning rate for directions of very different
# curvature is slow in the flat one; optimizers such as Adam (lesson 4) scale each
# parameter's step separately.

# %% [markdown]
# ## Next
#
# With gradients in hand, a model can learn from data.
# [Lesson 3: A training pipeline from scratch](../03_training_pipeline/) loads a real data
# set, prepares it, and trains a classifier with exactly these moves: forward, loss,
# backward, update.
