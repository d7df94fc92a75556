"""The classical baseline: an interpolated Kneser-Ney trigram model."""

from collections import Counter, defaultdict
from collections.abc import Iterator

import numpy as np
import torch


class KneserNeyTrigram:
    """Interpolated Kneser-Ney trigram model over a vocabulary of token ids.

    P3(w | u v) = max(c(u v w) - D3, 0) / c(u v ·) + D3 · N(u v ·) / c(u v ·) · P2(w | v)
    P2(w | v)   = max(N(· v w) - D2, 0) / N(· v ·) + D2 · N(v ·)' / N(· v ·) · P1(w)
    P1(w)       = max(N(· w) - D1, 0) / N(· ·)     + D1 · N(·)' / N(· ·) · 1 / |V|

    ``c`` counts occurrences; ``N(· v w)`` counts the different tokens seen before ``v w``
    (a "continuation" count: how many contexts a word completes, not how often it
    occurs); ``N(u v ·)``, ``N(v ·)'`` and ``N(·)'`` count the different tokens that
    follow a context, i.e. how many entries were discounted. A context never seen
    passes its whole mass to the next lower order. |V| excludes ``<pad>``.
    Discounts default to ``n1 / (n1 + 2 n2)`` per order (n1, n2: entries counted once, twice).
    """

    def __init__(self, vocab_size: int, discount: float | None = None, pad_index: int = 0):
        self.vocab_size, self.fixed_discount, self.pad_index = vocab_size, discount, pad_index

    @staticmethod
    def _estimate_discount(counts) -> float:
        n1 = sum(1 for count in counts if count == 1)
        n2 = sum(1 for count in counts if count == 2)
        return n1 / (n1 + 2 * n2) if n1 else 0.5

    @staticmethod
    def _table(pairs: dict) -> dict:
        # context -> (followers as an index array, their counts, total count)
        table = {}
        for context, followers in pairs.items():
            ids = np.fromiter(followers.keys(), dtype=np.int64, count=len(followers))
            counts = np.fromiter(followers.values(), dtype=np.float64, count=len(followers))
            table[context] = (ids, counts, counts.sum())
        return table

    def fit(self, ids: list[int]) -> "KneserNeyTrigram":
        trigrams = Counter(zip(ids, ids[1:], ids[2:]))               # c(u v w)
        continuation2 = Counter((v, w) for _, v, w in trigrams)      # N(· v w): distinct u before v w
        continuation1 = Counter(w for _, w in continuation2)         # N(· w): distinct v before w
        by_context3, by_context2 = defaultdict(dict), defaultdict(dict)
        for (u, v, w), count in trigrams.items():
            by_context3[(u, v)][w] = count
        for (v, w), count in continuation2.items():
            by_context2[v][w] = count
        fixed = self.fixed_discount
        self.discounts = tuple(fixed if fixed is not None else self._estimate_discount(counts.values())
                               for counts in (continuation1, continuation2, trigrams))
        self.context3, self.context2 = self._table(by_context3), self._table(by_context2)
        d1 = self.discounts[0]
        total1 = sum(continuation1.values())
        uniform = np.full(self.vocab_size, 1.0 / (self.vocab_size - 1))
        uniform[self.pad_index] = 0.0
        unigram = np.zeros(self.vocab_size)
        for w, count in continuation1.items():
            unigram[w] = (count - d1) / total1
        self.unigram = unigram + d1 * len(continuation1) / total1 * uniform  # P1 over the vocabulary
        return self

    @staticmethod
    def _interpolate(lower: np.ndarray, entry, discount: float) -> np.ndarray:
        if entry is None:
            return lower
        ids, counts, total = entry
        mixed = lower * (discount * len(ids) / total)
        mixed[ids] += (counts - discount) / total
        return mixed

    def distribution(self, context: tuple[int, int]) -> np.ndarray:
        """P(w | u v) for every w of the vocabulary (sums to 1)."""
        u, v = context
        bigram = self._interpolate(self.unigram.copy(), self.context2.get(v), self.discounts[1])
        return self._interpolate(bigram, self.context3.get((u, v)), self.discounts[2])

    def prob(self, word: int, context: tuple[int, int]) -> float:
        return float(self.distribution(context)[word])

    def log_probs(self, ids: list[int], block: int = 512) -> Iterator[torch.Tensor]:
        """Log-probabilities for every position from the third on, in (n, vocab) blocks."""
        rows = []
        for t in range(2, len(ids)):
            rows.append(self.distribution((ids[t - 2], ids[t - 1])))
            if len(rows) == block or t == len(ids) - 1:
                with np.errstate(divide="ignore"):  # log 0 = -inf for <pad>, which never occurs
                    yield torch.from_numpy(np.log(np.stack(rows))).float()
                rows = []
