"""The garment classifier (transfer learning), one job per module.

* ``model``: the ImageNet-pretrained EfficientNet-Lite0 and
  :class:`~learntorch.fashion.model.FashionTransferNet`;
* ``preprocess``: :func:`~learntorch.fashion.preprocess.to_fashion`, a photo made to look
  like Fashion-MNIST;
* ``frozen``: fine-tuning on stored activations of a frozen lower part (a CPU's recipe);
* ``end_to_end``: fine-tuning every layer on augmented images (a GPU's recipe);
* ``recipe``: the recipe behind ``checkpoints/fashion/``;
* ``predict``: :func:`~learntorch.fashion.predict.classify_garment`, what the demo calls.
"""
