"""Lesson 3's preparation of the breast-cancer table, reused by the lessons after it."""

import torch
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from learntorch.data import breast_cancer

CLASSES = ("benign", "malignant")  # label 0, label 1


def breast_cancer_split(test_size: float = 0.2, seed: int = 0):
    """``(x_train, y_train, x_test, y_test)`` of the breast-cancer set, ready to train on.

    Labels are 1 = malignant, 0 = benign (scikit-learn codes them the other way round),
    so a model's output reads as "probability of malignancy". The split is stratified;
    the scaler learns its means and standard deviations from the training rows only.
    Features are float32 of shape (N, 30); labels are float32 of shape (N,).
    """
    bunch = breast_cancer()
    features, labels = bunch.data, 1 - bunch.target
    x_train, x_test, y_train, y_test = train_test_split(
        features, labels, test_size=test_size, stratify=labels, random_state=seed)
    scaler = StandardScaler().fit(x_train)

    def as_tensor(array):
        return torch.tensor(array, dtype=torch.float32)

    return (as_tensor(scaler.transform(x_train)), as_tensor(y_train),
            as_tensor(scaler.transform(x_test)), as_tensor(y_test))
