"""The book as training data: split in reading order, and cut into streams for truncated BPTT.

The book's tokens are split in three contiguous blocks: the first 80% trains, the next
10% validates, the last 10% tests. No window of text straddles two parts.
"""

from collections.abc import Iterator
from dataclasses import dataclass

import torch

from learntorch.data import sherlock_text
from learntorch.text import tokenize


@dataclass
class Split:
    train: list[str]
    validation: list[str]
    test: list[str]


def split_tokens(tokens: list[str], train: float = 0.8, validation: float = 0.1) -> Split:
    """Three contiguous blocks: the first ``train`` share, the next ``validation``, the rest."""
    first = int(len(tokens) * train)
    second = int(len(tokens) * (train + validation))
    return Split(tokens[:first], tokens[first:second], tokens[second:])


def book_split() -> Split:
    """The book's tokens, split 80 / 10 / 10 in reading order."""
    return split_tokens(tokenize(sherlock_text()))


def describe_split(split: Split) -> dict:
    total = len(split.train) + len(split.validation) + len(split.test)
    def part(name, tokens, start):
        return (f"{name}: tokens {start:,}-{start + len(tokens) - 1:,} of {total:,} "
                f"({len(tokens) / total:.0%}, contiguous)")
    return {"dataset": "The Adventures of Sherlock Holmes (Project Gutenberg #1661), word-level tokens",
            "train": part("first block", split.train, 0),
            "validation": part("middle block", split.validation, len(split.train)),
            "test": part("last block", split.test, len(split.train) + len(split.validation))}


def stream_batches(ids: torch.Tensor, batch_size: int) -> torch.Tensor:
    """Cut one long stream of ids into ``batch_size`` rows that are read in parallel.

    Row ``r`` holds the ``r``-th consecutive slice of the text, so walking along the
    columns continues every row's own text: the LSTM's state can be carried from one
    chunk to the next (truncated back-propagation through time).
    """
    columns = len(ids) // batch_size
    return ids[: columns * batch_size].view(batch_size, columns)  # (batch, time)


def chunks(rows: torch.Tensor, length: int, offset: int = 0) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """(inputs, targets) windows of ``length`` steps along the time axis; targets are one step ahead."""
    for start in range(offset, rows.shape[1] - 1, length):
        stop = min(start + length, rows.shape[1] - 1)
        yield rows[:, start:stop], rows[:, start + 1:stop + 1]
