"""The fully connected network (ANN) of lessons 6-8, and weight decay for its weights only."""

from torch import nn


def make_mlp(hidden_sizes, dropout: float = 0.0, batch_norm: bool = False,
             in_features: int = 28 * 28, num_classes: int = 10) -> nn.Sequential:
    """A fully connected classifier: Flatten, then per hidden layer
    ``Linear -> [BatchNorm1d] -> ReLU -> [Dropout]``, then a final ``Linear`` to the logits.

    Batch norm sits between the linear layer and its activation (it normalises what the
    activation receives); dropout follows the activation (it silences whole outputs).
    The output layer gets neither.
    """
    layers: list[nn.Module] = [nn.Flatten()]  # (B, 1, 28, 28) -> (B, 784)
    width = in_features
    for hidden in hidden_sizes:
        layers.append(nn.Linear(width, hidden))
        if batch_norm:
            layers.append(nn.BatchNorm1d(hidden))
        layers.append(nn.ReLU())
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = hidden
    layers.append(nn.Linear(width, num_classes))
    return nn.Sequential(*layers)


def weight_decay_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Optimizer parameter groups that decay the weight matrices only.

    Biases and batch-norm scales/shifts (every parameter with one dimension) get
    ``weight_decay=0``: they shift or rescale activations rather than make the
    function more complex, and shrinking them towards 0 only hurts.
    """
    decayed = [p for p in model.parameters() if p.requires_grad and p.dim() > 1]
    exempt = [p for p in model.parameters() if p.requires_grad and p.dim() <= 1]
    return [{"params": decayed, "weight_decay": weight_decay},
            {"params": exempt, "weight_decay": 0.0}]
