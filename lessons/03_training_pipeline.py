# %% [markdown]
# # 3. A training pipeline from scratch

# %% [markdown]
# ## What you will learn
#
# - The four stages every supervised training job goes through: load the data,
#   prepare it, train a model, evaluate it.
# - How to look at a new table before training on it, and why the split must be
#   **stratified** and the scaler fitted on the **training part only**.
# - How to turn NumPy arrays into tensors of the right dtype and shape.
# - Logistic regression written by hand: weights and a bias as plain tensors, a
#   forward pass through the sigmoid, and binary cross-entropy with its `log(0)` trap.
# - The training step itself: forward, loss, `backward()`, an update under
#   `torch.no_grad()`, and zeroing the gradients, repeated for many epochs.
# - How to judge the result: accuracy, the confusion counts, precision and recall.
#
# ## What this assumes
#
# Lesson 1 (tensors, dtypes, shapes) and lesson 2 (autograd: `requires_grad`,
# `backward()`, gradient accumulation, `torch.no_grad()`). No `torch.nn` yet: that is
# lesson 4, which rebuilds this pipeline with PyTorch's ready-made parts. Doing it by
# hand first shows what those parts do for you.

# %% [markdown]
# ## The plan
#
# Almost every training job, from this small table to a language model, has the same
# skeleton:
#
# 1. **Load** the data set.
# 2. **Prepare** it: split off a test set, scale numeric columns, encode labels,
#    convert everything to tensors.
# 3. **Train**: build a model, then repeat *forward pass, loss, backward pass,
#    parameter update* until the loss stops falling.
# 4. **Evaluate** the trained model on data it never saw.
#
# The task: the Wisconsin breast-cancer data set, 569 tumour biopsies, each described by
# 30 numbers measured on a microscope image of its cells (radius, texture, smoothness,
# ...), and labelled benign or malignant. The model must predict the label from the 30
# measurements.

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.metrics import precision_score, recall_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from learntorch.data import breast_cancer
from learntorch.device import seed_everything
from learntorch.profile import pick
from learntorch.show import show_source
from learntorch.tabular import breast_cancer_split

seed_everything(0)
print(f"torch {torch.__version__}")

# %% [markdown]
# ## Step 1: load the data and look at it
#
# scikit-learn ships this data set, so nothing is downloaded. It codes the labels as
# 0 = malignant and 1 = benign; we flip them so that **1 means malignant**. The model
# will then output "the probability that this tumour is malignant", and the usual
# words for a medical test (a *positive* finds the disease) keep their meaning.

# %%
bunch = breast_cancer()
features = bunch.data  # (569, 30) NumPy float64
labels = 1 - bunch.target  # (569,) 1 = malignant, 0 = benign
print("features:", features.shape, features.dtype)
print("labels:  ", labels.shape, labels.dtype)
for value, name in enumerate(("benign", "malignant")):
    count = (labels == value).sum()
    print(f"label {value} = {name:<9}: {count} tumours ({count / len(labels):.1%})")

# %% [markdown]
# The classes are unbalanced, roughly 63 / 37. That gives the first number any model
# must beat: a "model" that always answers *benign* is right for every benign tumour.

# %%
majority_accuracy = (labels == 0).mean()
print(f"always predicting benign: {majority_accuracy:.1%} accuracy, and it misses every malignant tumour")

# %% [markdown]
# Next, the columns. Their scales differ wildly: areas in the hundreds or thousands,
# smoothness and fractal dimension in hundredths. Keep that in mind for step 2.

# %%
print(f"{'feature':<24}{'min':>10}{'mean':>10}{'max':>10}")
for column in (0, 3, 4, 9, 23, 27):
    values = features[:, column]
    print(f"{bunch.feature_names[column]:<24}{values.min():>10.3f}{values.mean():>10.3f}{values.max():>10.3f}")

# %% [markdown]
# A picture of two of the 30 columns already shows that the classes are largely
# separable: malignant tumours tend to be bigger and to have more concave points on
# their outline. A straight line would split most of this plot, which is why a
# *linear* model is a sensible first try.

# %%
radius, concave = list(bunch.feature_names).index("worst radius"), list(bunch.feature_names).index("worst concave points")
fig, ax = plt.subplots(figsize=(6, 4))
for value, name, colour in ((0, "benign", "tab:blue"), (1, "malignant", "tab:red")):
    rows = labels == value
    ax.scatter(features[rows, radius], features[rows, concave], s=10, alpha=0.6, c=colour, label=name)
ax.set_xlabel("worst radius")
ax.set_ylabel("worst concave points")
ax.legend()
ax.set_title("Two of the 30 measurements, coloured by label")
plt.show()

# %% [markdown]
# ## Step 2: split, then scale
#
# ### A stratified train/test split
#
# The test set is the stand-in for future patients: we train without it and only look
# at it at the end. With 569 rows and a 63/37 balance, a purely random 20 % split could
# by chance hold noticeably more or fewer malignant cases than the whole set.
# `stratify=labels` makes both parts keep the original class proportions, so the test
# score measures the model and not the luck of the draw.

# %%
x_train, x_test, y_train, y_test = train_test_split(
    features, labels, test_size=0.2, stratify=labels, random_state=0)
for name, part in (("train", y_train), ("test", y_test)):
    print(f"{name:<5}: {len(part)} rows, {part.mean():.1%} malignant")

# %% [markdown]
# ### Standardisation, fitted on the training part only
#
# Gradient descent uses one learning rate for every weight. If one input is in the
# thousands and another in the hundredths, the gradients of their weights differ by
# the same factor: a step that suits one column is far too large or far too small for
# the other, and training either diverges or crawls. Standardising each column to mean
# 0 and standard deviation 1 puts all 30 inputs on the same footing:
# $x' = (x - \mu) / \sigma$.
#
# The means $\mu$ and standard deviations $\sigma$ are *learned from data*, so they
# belong to training. Computing them on all 569 rows would let the test rows influence
# the preparation of the training data. That is **data leakage**: information from
# the test set slips into the model, and the test score becomes an optimistic guess
# instead of an honest one. A deployed model meets one new patient at a time and can
# only use statistics from the data it was trained on, so the evaluation must do the
# same: `fit` on the training rows, then `transform` both parts with those statistics.

# %%
scaler = StandardScaler().fit(x_train)  # learns 30 means and 30 standard deviations
x_train_scaled = scaler.transform(x_train)
x_test_scaled = scaler.transform(x_test)
for name, part in (("train", x_train_scaled), ("test", x_test_scaled)):
    print(f"{name:<5}: column means in [{part.mean(axis=0).min():+.3f}, {part.mean(axis=0).max():+.3f}], "
          f"standard deviations in [{part.std(axis=0).min():.3f}, {part.std(axis=0).max():.3f}]")

# %% [markdown]
# The training columns are exactly centred and of unit spread; the test columns are only
# close to it, because they were scaled with the training statistics. That small
# mismatch is expected: it is what new data looks like.
#
# ## Step 3: from NumPy to tensors
#
# NumPy computes in float64 by default; PyTorch's parameters are float32 by default,
# and most operations refuse to mix the two:

# %%
try:
    torch.ones(2, 3, dtype=torch.float64) @ torch.ones(3, dtype=torch.float32)
except RuntimeError as error:
    print("RuntimeError:", error)

# %% [markdown]
# So the features become float32. The labels become float32 too, although they are
# 0 and 1: the loss will compare them with probabilities, arithmetic that needs
# floating point. `torch.from_numpy` shares memory with the array; `.float()` then
# makes a float32 copy.

# %%
X_train = torch.from_numpy(x_train_scaled).float()  # (455, 30)
X_test = torch.from_numpy(x_test_scaled).float()  # (114, 30)
Y_train = torch.from_numpy(y_train).float()  # (455,)
Y_test = torch.from_numpy(y_test).float()  # (114,)
for name, tensor in (("X_train", X_train), ("Y_train", Y_train), ("X_test", X_test), ("Y_test", Y_test)):
    print(f"{name:<8}{str(tuple(tensor.shape)):<11}{tensor.dtype}")

# %% [markdown]
# ## Step 4: the model
#
# **Logistic regression** is the simplest classifier that learns: one weight per input
# and a bias. For one tumour $x$ (30 numbers) it computes a score, the *logit*
# $z = x \cdot w + b$, and squashes it into a probability with the sigmoid
# $\sigma(z) = 1 / (1 + e^{-z})$, which maps any real number into $(0, 1)$. For a whole
# batch $X$ of shape (N, 30) the same thing is one matrix-vector product.
#
# The weights and the bias are ordinary tensors with `requires_grad=True`, so autograd
# records every operation on them and can later tell us how the loss changes with each.
# Starting from zeros is fine here (every tumour then gets probability 0.5); lesson 4
# explains why networks with hidden layers need random starting weights instead.

# %%
class LogisticRegression:
    """p(malignant | x) = sigmoid(x . w + b), with the parameters as plain tensors."""

    def __init__(self, n_features: int):
        self.weights = torch.zeros(n_features, requires_grad=True)  # (30,)
        self.bias = torch.zeros(1, requires_grad=True)  # (1,)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = x @ self.weights + self.bias  # (N, 30) @ (30,) -> (N,)
        return torch.sigmoid(logits)  # (N,), each in (0, 1)

    def parameters(self) -> list[torch.Tensor]:
        return [self.weights, self.bias]


model = LogisticRegression(X_train.shape[1])
probabilities = model.forward(X_train)
print("output shape:", tuple(probabilities.shape), "| first five:", probabilities[:5].tolist())
print("parameters:", sum(p.numel() for p in model.parameters()), "numbers")

# %% [markdown]
# ## Step 5: the loss, binary cross-entropy
#
# The loss turns "how wrong is the model" into one number. For a probability $p$ and a
# label $y \in \{0, 1\}$, **binary cross-entropy** is
#
# $$\ell(p, y) = -\big[\, y \log p + (1 - y) \log(1 - p) \,\big],$$
#
# averaged over the batch. Only one of the two terms is alive for each example: for a
# malignant tumour ($y = 1$) the loss is $-\log p$, small when $p$ is near 1 and
# growing without limit as $p \to 0$. A confident mistake is punished hard; that is
# what pushes the model to be right.
#
# Written directly, the formula breaks in float32. The sigmoid of a large logit rounds
# to exactly 1.0 (and of a very negative one to exactly 0.0), and then a logarithm
# receives 0:

# %%
y = torch.tensor([1.0, 0.0, 1.0])
p = torch.sigmoid(torch.tensor([20.0, 20.0, -120.0]))  # right and sure, wrong and sure, wrong and sure
print("p =", p.tolist(), "<- 1.0 and 0.0 exactly")
naive = -(y * torch.log(p) + (1 - y) * torch.log(1 - p))
print("naive loss per example:", naive.tolist())

# %% [markdown]
# Confident mistakes give `inf`, and, worse, the *correct* confident prediction gives
# `nan`: its unused term is $0 \cdot \log 0 = 0 \cdot (-\infty)$, which is undefined.
# One `nan` in a mean makes the whole loss `nan`, its gradients `nan`, and after one
# update every weight is `nan`. The usual fix is to **clamp** the probability into
# $[\epsilon, 1 - \epsilon]$ before taking logarithms. (Lesson 4 shows the better fix:
# compute the loss from the logit directly.)

# %%
def binary_cross_entropy(probabilities: torch.Tensor, targets: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """Mean binary cross-entropy; clamping keeps log() away from 0."""
    p = probabilities.clamp(eps, 1 - eps)
    return -(targets * torch.log(p) + (1 - targets) * torch.log(1 - p)).mean()


print("clamped loss per example:", [round(binary_cross_entropy(p[i:i + 1], y[i:i + 1]).item(), 3) for i in range(3)])
check = torch.tensor([0.9, 0.2, 0.6])
print(f"ours {binary_cross_entropy(check, y):.6f} vs torch.nn.functional {torch.nn.functional.binary_cross_entropy(check, y):.6f}")

# %% [markdown]
# ## Step 6: one training step, slowly
#
# Before looping, take a single step and look at each part.
#
# **Forward and loss.** At the start every probability is 0.5, so the loss is
# $-\log 0.5 = \log 2 \approx 0.693$ whatever the labels are.

# %%
model = LogisticRegression(X_train.shape[1])
loss = binary_cross_entropy(model.forward(X_train), Y_train)
print(f"loss before training: {loss.item():.4f} (log 2 = {np.log(2):.4f})")

# %% [markdown]
# **Backward.** `loss.backward()` fills `.grad` of every tensor that has
# `requires_grad=True` with $\partial \text{loss} / \partial \text{parameter}$, of the
# parameter's own shape. For sigmoid plus cross-entropy the chain rule collapses to a
# neat formula, $\nabla_w = X^\top (p - y) / N$ and $\nabla_b = \text{mean}(p - y)$,
# so we can check autograd against it.

# %%
loss.backward()
print("weights.grad:", tuple(model.weights.grad.shape), "| bias.grad:", tuple(model.bias.grad.shape))
with torch.no_grad():
    error = model.forward(X_train) - Y_train  # (455,)
    by_hand = X_train.T @ error / len(Y_train)  # (30, 455) @ (455,) -> (30,)
print("largest difference from the formula:", (model.weights.grad - by_hand).abs().max().item())

# %% [markdown]
# **Update.** Gradient descent moves each parameter a small step *against* its gradient:
# $w \leftarrow w - \eta \, \nabla_w$, with learning rate $\eta$. The update must happen
# inside `torch.no_grad()`: it is bookkeeping, not part of the model's computation, and
# autograd must neither record it nor allow an in-place change of a leaf tensor it is
# tracking.
#
# **Zeroing.** Gradients *accumulate*: the next `backward()` adds to `.grad` instead of
# replacing it (lesson 2). Unless they are zeroed after each update, every step would
# use the sum of all past gradients.

# %%
learning_rate = 0.1
with torch.no_grad():
    for parameter in model.parameters():
        parameter -= learning_rate * parameter.grad
        parameter.grad.zero_()
loss = binary_cross_entropy(model.forward(X_train), Y_train)
print(f"loss after one step: {loss.item():.4f}")

# %% [markdown]
# ## Step 7: the training loop
#
# Training is that step, repeated. One pass over the training data is an **epoch**;
# here each epoch is exactly one step, because every step uses all 455 training rows.
# We also record the test loss after each epoch, computed under `torch.no_grad()`
# because nothing will be learned from it: it only tells us whether what the model
# learns carries over to unseen tumours.

# %%
def train(model: LogisticRegression, epochs: int, learning_rate: float) -> tuple[list[float], list[float]]:
    """Full-batch gradient descent; returns the train and test loss after every epoch."""
    train_losses, test_losses = [], []
    for epoch in range(1, epochs + 1):
        loss = binary_cross_entropy(model.forward(X_train), Y_train)  # forward + loss
        loss.backward()  # gradients of the loss into .grad
        with torch.no_grad():
            test_loss = binary_cross_entropy(model.forward(X_test), Y_test)  # same weights as `loss`
            for parameter in model.parameters():
                parameter -= learning_rate * parameter.grad  # one step downhill
                parameter.grad.zero_()  # forget this step's gradient
        train_losses.append(loss.item())
        test_losses.append(test_loss.item())
        if epoch == 1 or epoch % (epochs // 5) == 0:
            print(f"epoch {epoch:>4}/{epochs}: train loss {loss.item():.4f}, test loss {test_loss.item():.4f}")
    return train_losses, test_losses


seed_everything(0)
epochs = pick(smoke=200, full=1000)
model = LogisticRegression(X_train.shape[1])
train_losses, test_losses = train(model, epochs, learning_rate=0.1)

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(range(1, epochs + 1), train_losses, label="train")
ax.plot(range(1, epochs + 1), test_losses, label="test")
ax.set_xscale("log")
ax.set_xlabel("epoch (= one update, log scale)")
ax.set_ylabel("binary cross-entropy")
ax.set_title("Logistic regression, full-batch gradient descent")
ax.grid(alpha=0.3)
ax.legend()
plt.show()

# %% [markdown]
# The loss drops fast in the first few dozen updates and then creeps. The test loss
# falls along with the training loss and stays a little above it, as it should for
# data the model never trained on: with 31 parameters and 455 examples, this model has
# little room to memorise the training rows.
#
# ## Step 8: evaluate on the test set
#
# The model outputs probabilities; a decision needs a **threshold**. At 0.5 a tumour is
# called malignant when the model thinks that more likely than not. **Accuracy** is the
# share of test tumours labelled correctly.

# %%
with torch.no_grad():
    test_probabilities = model.forward(X_test)
    train_accuracy = ((model.forward(X_train) >= 0.5).float() == Y_train).float().mean().item()
predictions = (test_probabilities >= 0.5).float()
test_accuracy = (predictions == Y_test).float().mean().item()
print(f"train accuracy {train_accuracy:.1%} | test accuracy {test_accuracy:.1%} "
      f"| always-benign baseline {majority_accuracy:.1%}")

# %% [markdown]
# Accuracy hides *which* mistakes were made, and in this task they are not equal: a
# missed cancer (a **false negative**) is far worse than a false alarm (a **false
# positive**) that a second test will clear. The four **confusion counts** separate
# them, and two ratios summarise them:
#
# - **precision** = TP / (TP + FP): of the tumours called malignant, the share that were;
# - **recall** (sensitivity) = TP / (TP + FN): of the malignant tumours, the share found.

# %%
def confusion_counts(predictions: torch.Tensor, targets: torch.Tensor) -> dict[str, int]:
    return {"TP": int(((predictions == 1) & (targets == 1)).sum()),
            "FP": int(((predictions == 1) & (targets == 0)).sum()),
            "FN": int(((predictions == 0) & (targets == 1)).sum()),
            "TN": int(((predictions == 0) & (targets == 0)).sum())}


counts = confusion_counts(predictions, Y_test)
print(f"{'':>18}{'predicted malignant':>21}{'predicted benign':>18}")
print(f"{'truly malignant':>18}{counts['TP']:>16} TP{counts['FN']:>15} FN")
print(f"{'truly benign':>18}{counts['FP']:>16} FP{counts['TN']:>15} TN")
precision = counts["TP"] / max(counts["TP"] + counts["FP"], 1)
recall = counts["TP"] / max(counts["TP"] + counts["FN"], 1)
print(f"\nprecision {precision:.3f}, recall {recall:.3f} "
      f"(scikit-learn agrees: {precision_score(Y_test, predictions):.3f}, {recall_score(Y_test, predictions):.3f})")

# %% [markdown]
# The threshold is a choice, not part of the model. Lowering it calls more tumours
# malignant: recall rises (fewer cancers missed) and precision usually falls (more false
# alarms). A screening test would pick its threshold from such a table, computed on a
# separate validation set, since choosing it on the test set would make the test set
# part of training again.

# %%
print(f"{'threshold':>9}{'precision':>11}{'recall':>8}{'missed malignant':>18}{'false alarms':>14}")
for threshold in (0.9, 0.5, 0.3, 0.1):
    counts = confusion_counts((test_probabilities >= threshold).float(), Y_test)
    precision = counts["TP"] / max(counts["TP"] + counts["FP"], 1)
    recall = counts["TP"] / max(counts["TP"] + counts["FN"], 1)
    print(f"{threshold:>9}{precision:>11.3f}{recall:>8.3f}{counts['FN']:>18}{counts['FP']:>14}")

# %% [markdown]
# ## What kind of gradient descent was this?
#
# Every update above used **all** 455 training rows: forward over the full table,
# one loss, one gradient, one step. That is **full-batch** (or simply *batch*)
# gradient descent. It gives the exact gradient of the training loss, and on a
# table this small it is fast. But it scales badly: with 60 000 images, each single
# update would have to push all 60 000 through the model, and a whole epoch would buy
# just one step. Lesson 5 shows the remedy, updating after each small **mini-batch**,
# and the `Dataset` and `DataLoader` classes that serve those batches.

# %%
print(f"{epochs} epochs x 1 update per epoch = {epochs} updates, each computed from {len(X_train)} rows")

# %% [markdown]
# ## The same preparation, packaged
#
# Lessons 4 and 5 train on this same data. Rather than repeat steps 1 to 3, they call
# `breast_cancer_split` from the course library, which does exactly what we did here:

# %%
show_source(breast_cancer_split)

# %%
packaged = breast_cancer_split()
print("identical to the tensors built in this lesson:",
      all(torch.equal(a, b) for a, b in zip(packaged, (X_train, Y_train, X_test, Y_test))))

# %% [markdown]
# ## Recap
#
# - A training pipeline is load, prepare, train, evaluate. Most of the care goes into
#   *prepare*: a stratified split, a scaler fitted only on the training rows (anything
#   else leaks test information), and tensors of the right dtype (float32) and shape.
# - Logistic regression is a weight vector and a bias: logits $Xw + b$, then a sigmoid.
# - Binary cross-entropy punishes confident mistakes hard; written naively it produces
#   `inf` and `nan` once a probability rounds to 0 or 1, so clamp it (or, better, use
#   logits, lesson 4).
# - A training step: forward, loss, `backward()`, update under `torch.no_grad()`, zero
#   the gradients. An epoch here was one such step on all the data: full-batch
#   gradient descent.
# - Accuracy alone is not enough: look at the confusion counts, precision and recall,
#   and remember that the threshold trades one kind of error for the other.
#
# ## Exercises
#
# 1. **Leak on purpose.** Fit the `StandardScaler` on all 569 rows instead of the
#    training rows, retrain and compare the test accuracy. The difference is small on
#    this data; explain why the procedure is still wrong, and describe a data set where
#    the leak would matter more (think of a feature whose range drifts over time).
# 2. **Skip scaling.** Train on the raw `x_train` (as float32) with learning rate 0.1.
#    What happens to the loss? Find a learning rate that trains at all, and compare how
#    many epochs it needs to reach the loss the scaled version reaches.
# 3. **Learning rates.** Train for 300 epochs with learning rates 0.01, 0.1, 1 and 10
#    and plot the four training-loss curves on one axis. Which is too slow, which
#    overshoots, and does any diverge?
# 4. **No clamping needed.** Rewrite the model to return logits and compute the loss as
#    `-(y * F.logsigmoid(z) + (1 - y) * F.logsigmoid(-z)).mean()` with
#    `F = torch.nn.functional`. Check that it matches the clamped loss on ordinary
#    inputs and stays finite for logits of ±200.
# 5. **Gradient by hand.** Write $\nabla_b$ from step 6 as code and check it against
#    `model.bias.grad` after one `backward()`.
# 6. **A validation set.** Split the training rows once more (stratified, 80/20) into
#    train and validation, choose the smallest threshold whose validation recall is
#    1.0, and only then report precision and recall on the test set.
