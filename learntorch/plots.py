"""Plots the lessons share: loss curves, confusion matrices, image grids."""

import matplotlib.pyplot as plt
import numpy as np
import torch


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
    return fig


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
    return fig


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
    return fig
