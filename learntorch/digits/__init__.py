"""The digit reader, one job per module.

* ``model``: :class:`~learntorch.digits.model.DigitCNN`, the CNN of lesson 9;
* ``preprocess``: :func:`~learntorch.digits.preprocess.to_mnist`, a drawing or photo made
  to look like an MNIST digit;
* ``recipe``: the augmented training batches and the recipe behind ``checkpoints/digits/``;
* ``predict``: :func:`~learntorch.digits.predict.read_digit`, what the demo calls.
"""
