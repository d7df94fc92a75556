"""Training the LSTM by truncated back-propagation through time, and measuring its loss."""

import contextlib
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from learntorch import distributed
from learntorch.device import pick_device
from learntorch.next_word.data import chunks, stream_batches
from learntorch.next_word.model import NextWordLSTM


def _detach(state):
    return tuple(tensor.detach() for tensor in state)


@dataclass
class TrainSettings:
    epochs: int = 12
    batch_size: int = 16
    bptt: int = 35
    lr: float = 3e-3
    clip: float = 0.5
    weight_decay: float = 1e-6
    cpu_threads: int | None = 1  # see cpu_threads()
    patience: int | None = None  # stop after this many epochs without a better validation perplexity


@contextlib.contextmanager
def cpu_threads(device: torch.device, threads: int | None):
    """Use ``threads`` CPU threads inside the block (on the CPU only), then restore the setting.

    This LSTM's matrices are small, and each of its many small steps makes the threads
    wait for one another; on a busy machine that waiting costs more than the second
    core gains, so training measured several times faster on one thread.
    """
    before = torch.get_num_threads()
    if threads and torch.device(device).type == "cpu":
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@dataclass
class TrainLog:
    train_loss: list[float] = field(default_factory=list)
    val_perplexity: list[float] = field(default_factory=list)
    clipped: list[float] = field(default_factory=list)  # share of steps whose gradient was clipped
    seconds: list[float] = field(default_factory=list)
    best_epoch: int = 0


def train_epoch(model: NextWordLSTM, rows: torch.Tensor, optimizer: torch.optim.Optimizer,
                settings: TrainSettings) -> tuple[float, float]:
    """One pass over ``rows`` (batch, time) in windows of ``settings.bptt`` steps.

    The LSTM's state flows from each window into the next, but the graph is cut between
    windows, so gradients reach back at most ``bptt`` steps (truncated BPTT). Returns the
    mean loss and the share of steps whose gradient norm was clipped.
    """
    model.train()
    state, total, count, clipped, steps = None, 0.0, 0, 0, 0
    offset = int(torch.randint(settings.bptt, ()).item())  # cut the windows in new places each epoch
    for inputs, targets in chunks(rows, settings.bptt, offset):
        logits, state = model(inputs, state)                 # (batch, bptt, vocab)
        state = _detach(state)                               # keep the values, drop the history
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        norm = nn.utils.clip_grad_norm_(model.parameters(), settings.clip)
        optimizer.step()
        total += loss.item() * targets.numel()
        count += targets.numel()
        clipped += int(norm > settings.clip)
        steps += 1
    return total / count, clipped / steps


def train_language_model(model: NextWordLSTM, train_ids: torch.Tensor, val_ids: torch.Tensor,
                         settings: TrainSettings, device=None, verbose: bool = True) -> TrainLog:
    """Train with Adam and truncated BPTT; keep the epoch with the best validation perplexity.

    The learning rate halves whenever validation perplexity stops improving; with
    ``settings.patience``, training stops once it has not improved for that many epochs.

    Under ``torchrun`` (``learntorch.distributed``) the text is cut into ``batch_size`` streams
    per process, each process reads its own streams through a ``DistributedDataParallel``
    copy of the model, and only rank 0 prints. Alone, nothing of that changes anything.
    """
    device = device or pick_device()
    model.to(device)
    trainer = distributed.wrap(model, device)  # the model itself when alone
    world = distributed.world()
    verbose = verbose and world.is_main
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=0)
    rows = stream_batches(train_ids, settings.batch_size * world.size)  # (streams, time)
    rows = rows.chunk(world.size)[world.rank].to(device)  # this process's batch_size streams
    log, best_state = TrainLog(), None
    with cpu_threads(device, settings.cpu_threads):
        for epoch in range(1, settings.epochs + 1):
            start = time.perf_counter()
            train_loss, clipped = train_epoch(trainer, rows, optimizer, settings)
            train_loss, clipped = distributed.mean_across(train_loss, clipped)  # over all processes
            # Every process scores the whole validation text; averaged, all of them take the
            # same learning-rate and stopping decisions.
            (val_loss,) = distributed.mean_across(mean_loss(model, val_ids))
            val_perplexity = math.exp(val_loss)
            scheduler.step(val_perplexity)
            log.train_loss.append(train_loss)
            log.val_perplexity.append(val_perplexity)
            log.clipped.append(clipped)
            log.seconds.append(time.perf_counter() - start)
            if val_perplexity <= min(log.val_perplexity):
                log.best_epoch = epoch
                best_state = {key: value.clone() for key, value in model.state_dict().items()}
            if verbose:
                print(f"epoch {epoch:>2}/{settings.epochs}  train perplexity {math.exp(train_loss):6.1f} | "
                      f"validation perplexity {val_perplexity:6.1f} | clipped {clipped:4.0%} of steps | "
                      f"{log.seconds[-1]:.0f} s")
            if settings.patience is not None and epoch - log.best_epoch >= settings.patience:
                if verbose:
                    print(f"early stop: no better validation perplexity for {settings.patience} epochs")
                break
    model.load_state_dict(best_state)
    return log


@torch.no_grad()
def lstm_log_probs(model: NextWordLSTM, ids: torch.Tensor, window: int = 512) -> Iterator[torch.Tensor]:
    """Log-probabilities of the token after each position, reading ``ids`` as one text.

    Yields (n, vocab) blocks; row ``t`` scores position ``t + 1`` given everything before it.
    """
    model.eval()
    device = next(model.parameters()).device
    state = None
    stream = ids.to(device)[None]  # (1, time): a single reader keeps the whole history
    for inputs, _ in chunks(stream, window):
        logits, state = model(inputs, state)
        yield torch.log_softmax(logits[0].float(), dim=-1).cpu()


def mean_loss(model: NextWordLSTM, ids: torch.Tensor) -> float:
    """Mean cross-entropy of every next token in ``ids`` (its exp is the perplexity)."""
    total, done = 0.0, 1
    for log_probs in lstm_log_probs(model, ids):
        targets = ids[done:done + len(log_probs)]
        total -= log_probs.gather(1, targets[:, None]).sum().item()
        done += len(log_probs)
    return total / (done - 1)
