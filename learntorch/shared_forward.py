"""One forward pass for the predictions of several visitors at once.

A demo server answers several requests at the same time, each in its own thread. A
convolutional network runs faster per image on a batch than on one image at a time
(EfficientNet-Lite0 at 112 x 112 pixels on one CPU thread: about twice as fast per image
in batches of 8). :class:`SharedForward` lets those threads share the model: while one
of them runs it, the others leave their inputs in a queue, and the next one to take the
model runs everything queued, up to ``max_batch`` inputs, as one batch. A request that
arrives alone runs at once, without waiting for company.
"""

import threading

import torch
from torch import nn

MAX_BATCH = 8  # inputs per forward pass; larger batches gain little more per image


class _Request:
    def __init__(self, inputs: torch.Tensor):
        self.inputs = inputs
        self.outputs: torch.Tensor | None = None
        self.error: BaseException | None = None
        self.done = False


class SharedForward:
    """Call it like ``model``, from any number of threads: ``(n, ...) -> model's (n, ...)``."""

    def __init__(self, model: nn.Module, max_batch: int = MAX_BATCH):
        self.model, self.max_batch = model, max_batch
        self._queue: list[_Request] = []
        self._queue_lock = threading.Lock()  # guards the queue, held for a moment only
        self._model_lock = threading.Lock()  # one forward pass at a time

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        mine = _Request(inputs)
        with self._queue_lock:
            self._queue.append(mine)
        while not mine.done:
            with self._model_lock:
                if not mine.done:
                    self._run_queued()
        if mine.error is not None:
            raise mine.error
        return mine.outputs

    def _run_queued(self) -> None:
        with self._queue_lock:
            batch, self._queue = self._queue[:self.max_batch], self._queue[self.max_batch:]
        try:
            with torch.no_grad():
                outputs = self.model(torch.cat([request.inputs for request in batch]))
            for request, part in zip(batch, outputs.split([len(request.inputs) for request in batch])):
                request.outputs = part
        except Exception as error:  # every request of the batch sees the failure
            for request in batch:
                request.error = error
        for request in batch:
            request.done = True
