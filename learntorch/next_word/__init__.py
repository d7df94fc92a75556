"""Next-word prediction on *The Adventures of Sherlock Holmes*, one job per module.

* ``data``: the book split 80 / 10 / 10 in reading order, and streams for truncated BPTT;
* ``model``: :class:`~learntorch.next_word.model.NextWordLSTM`;
* ``training``: truncated back-propagation through time, and the loss on a text;
* ``trigram``: the Kneser-Ney trigram baseline;
* ``scoring``: one rule that scores both models on the same targets;
* ``generate``: the next token's logits, sampling, and generating text;
* ``recipe``: the recipe behind ``checkpoints/next_word/``;
* ``predict``: what the demo calls (:func:`~learntorch.next_word.predict.predict_next`,
  :func:`~learntorch.next_word.predict.continue_text`).
"""
