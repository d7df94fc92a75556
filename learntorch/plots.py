"""Plots the lessons share: loss curves, confusion matrices, image grids.

Every helper also writes a text alternative for its figure (:func:`describe`), made from
the numbers it plots, so that a reader who cannot see the picture learns what it shows.
In a notebook the alternative travels with the figure's output (as its ``alt``
metadata) and the site puts it on the image.
"""

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator


def _png_with_alt(original):
    def formatter(figure: Figure):
        data = original(figure)
        alt = getattr(figure, "alt_text", None)
        if alt is None or data is None:
            return data
        data, metadata = data if isinstance(data, tuple) else (data, {})
        return data, {**(metadata or {}), "alt": alt}
    formatter.adds_alt = True
    return formatter


def describe(figure: Figure, text: str) -> Figure:
    """Attach ``text`` to ``figure`` as its text alternative and return the figure.

    Inside IPython (a notebook), the PNG of every figure with such a text carries it as
    ``alt`` metadata from then on.
    """
    figure.alt_text = text
    try:
        from IPython import get_ipython
    except ImportError:
        return figure
    shell = get_ipython()
    if shell is not None:
        png = shell.display_formatter.formatters["image/png"]
        original = png.lookup_by_type(Figure) if Figure in png.type_printers else None
        if original is not None and not getattr(original, "adds_alt", False):
            png.for_type(Figure, _png_with_alt(original))
    return figure


def _series(values) -> str:
    return f"from {values[0]:.3g} to {values[-1]:.3g}"


def plot_history(history, title: str = ""):
    """Loss and accuracy per epoch, train against validation, side by side."""
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(10, 3.5))
    epochs = range(1, history.epochs + 1)
    for ax, train, val, name in ((loss_ax, history.train_loss, history.val_loss, "loss"),
                                 (acc_ax, history.train_acc, history.val_acc, "accuracy")):
        ax.plot(epochs, train, "o-", label="train")
        if val:
            ax.plot(epochs[:len(val)], val, "o-", label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    text = (f"{title + ': ' if title else ''}loss (left) and accuracy (right) per epoch over "
            f"{history.epochs} epochs. Training loss goes {_series(history.train_loss)}, "
            f"training accuracy {_series(history.train_acc)}")
    if history.val_loss:
        lowest = int(np.argmin(history.val_loss)) + 1
        text += (f"; validation loss goes {_series(history.val_loss)} (lowest at epoch {lowest}), "
                 f"validation accuracy {_series(history.val_acc)}")
    return describe(fig, text + ".")


def plot_curves(curves: dict, title: str = "", xlabel: str = "step", ylabel: str = "loss",
                log_y: bool = False):
    """Several curves on one set of axes, e.g. the loss per step of two training runs.

    ``curves`` maps a label to its values, plotted at x = 1, 2, ...; values that are not
    finite (inf or NaN) are left out of the line and named in the text alternative.
    """
    fig, ax = plt.subplots(figsize=(8, 3.5))
    parts = []
    for label, values in curves.items():
        values = np.asarray([float(value) for value in values], dtype=float)
        finite = np.isfinite(values)
        xs = np.arange(1, len(values) + 1)
        marker = "o" if len(values) <= 30 else None  # few points (epochs): show each one
        ax.plot(xs, np.where(finite, values, np.nan), marker=marker, label=label)
        if not finite.any():
            parts.append(f"{label}: no finite value in {len(values)} {xlabel}s")
            continue
        shown = values[finite]
        lowest = int(xs[finite][np.argmin(shown)])
        part = (f"{label}: {len(values)} {xlabel}s, {_series(shown)} (lowest {shown.min():.3g} at "
                f"{xlabel} {lowest})")
        if not finite.all():
            part += (f", not finite at {int((~finite).sum())} {xlabel}s from {xlabel} "
                     f"{int(xs[~finite][0])} on")
        parts.append(part)
    if log_y:
        ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # steps and epochs are whole numbers
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    text = (f"{title + ': ' if title else ''}{ylabel} per {xlabel}"
            f"{' (logarithmic axis)' if log_y else ''}. " + "; ".join(parts) + ".")
    return describe(fig, text)


def plot_confusion(predictions: torch.Tensor, truths: torch.Tensor, classes, title: str = ""):
    """A confusion matrix: row = true class, column = predicted class, counts in cells."""
    n = len(classes)
    matrix = torch.bincount(truths * n + predictions, minlength=n * n).reshape(n, n).numpy()
    fig, ax = plt.subplots(figsize=(7, 6))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(n), classes, rotation=45, ha="right")
    ax.set_yticks(range(n), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(n):
        for j in range(n):
            ax.text(j, i, matrix[i, j], ha="center", va="center", fontsize=8,
                    color="white" if matrix[i, j] > matrix.max() / 2 else "black")
    ax.set_title(title)
    fig.tight_layout()
    off_diagonal = matrix.copy()
    np.fill_diagonal(off_diagonal, 0)
    true, predicted = np.unravel_index(off_diagonal.argmax(), matrix.shape)
    text = (f"Confusion matrix{' for the ' + title if title else ''}: rows are the true class, columns "
            f"the predicted one, over {n} classes. {np.trace(matrix):,} of {matrix.sum():,} "
            f"predictions are on the diagonal (correct). The most frequent mistake is "
            f"{classes[true]} predicted as {classes[predicted]} ({off_diagonal.max()} times).")
    return describe(fig, text)


def image_grid(images, titles=None, columns: int = 8, cmap: str = "gray"):
    """Show images (a tensor (N, H, W) or (N, 1, H, W), or a list of arrays) in a grid."""
    images = [np.asarray(image).squeeze() for image in images]
    rows = int(np.ceil(len(images) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(1.4 * columns, 1.6 * rows), squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.axis("off")
        if index < len(images):
            ax.imshow(images[index], cmap=cmap)
            if titles is not None:
                ax.set_title(titles[index], fontsize=8)
    fig.tight_layout()
    height, width = images[0].shape[:2] if images else (0, 0)
    text = f"A grid of {len(images)} images of {height} x {width} pixels"
    if titles is not None:
        shown = "; ".join(" ".join(str(title).split()) for title in titles[:12])
        text += f", titled in order: {shown}{' and more' if len(titles) > 12 else ''}"
    return describe(fig, text + ".")
