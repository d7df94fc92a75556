"""One scoring rule for every next-token model: perplexity and top-k accuracy."""

import math
from dataclasses import dataclass

import torch

from learntorch.next_word.model import NextWordLSTM
from learntorch.next_word.training import lstm_log_probs
from learntorch.next_word.trigram import KneserNeyTrigram
from learntorch.text import PAD, UNK, Vocabulary, is_word


@dataclass
class Scores:
    perplexity: float
    top1: float
    top5: float
    top1_words: float        # the same, counting only targets that are words (or <unk>)
    top5_words: float
    targets: int
    unk_targets: int
    punctuation_targets: int


def score_next_tokens(log_prob_blocks, targets: torch.Tensor, vocab: Vocabulary) -> Scores:
    """Score next-token log-probabilities against ``targets`` with one rule for every model.

    * Perplexity: exp of the mean negative log-probability of every target, ``<unk>``
      targets included (scored as the ``<unk>`` class, which both models can predict).
    * Top-k accuracy: the k best *real* tokens (``<unk>`` and ``<pad>`` never count as a
      guess) contain the target. A ``<unk>`` target therefore always counts as a miss.
    """
    is_punctuation = torch.tensor([not is_word(token) and token not in (PAD, UNK) for token in vocab.itos])
    nll, hits1, hits5, words1, words5, done = 0.0, 0, 0, 0, 0, 0
    for log_probs in log_prob_blocks:
        block = targets[done:done + len(log_probs)]
        done += len(block)
        nll -= log_probs.gather(1, block[:, None]).sum().item()
        guesses = log_probs.clone()
        guesses[:, [vocab.pad_index, vocab.unk_index]] = -math.inf
        top5 = guesses.topk(5, dim=1).indices                 # (n, 5)
        hit5 = (top5 == block[:, None]).any(dim=1)
        hit1 = top5[:, 0] == block
        word = ~is_punctuation[block]
        hits1, hits5 = hits1 + hit1.sum().item(), hits5 + hit5.sum().item()
        words1, words5 = words1 + (hit1 & word).sum().item(), words5 + (hit5 & word).sum().item()
    if done != len(targets):
        raise ValueError(f"{done} predictions for {len(targets)} targets")
    n_punctuation = int(is_punctuation[targets].sum())
    n_words = len(targets) - n_punctuation
    return Scores(perplexity=math.exp(nll / len(targets)), top1=hits1 / len(targets),
                  top5=hits5 / len(targets), top1_words=words1 / n_words, top5_words=words5 / n_words,
                  targets=len(targets), unk_targets=int((targets == vocab.unk_index).sum()),
                  punctuation_targets=n_punctuation)


def compare_on_test(model: NextWordLSTM, trigram: KneserNeyTrigram, test_ids: torch.Tensor,
                    vocab: Vocabulary) -> dict[str, Scores]:
    """Both models on the same targets: every test token from the third on (the trigram needs two before it)."""
    targets = test_ids[2:]
    def lstm_blocks():  # the LSTM's first row scores test token 1, which the trigram cannot: drop it
        first = True
        for block in lstm_log_probs(model, test_ids):
            yield block[1:] if first else block
            first = False
    return {"lstm": score_next_tokens(lstm_blocks(), targets, vocab),
            "trigram": score_next_tokens(trigram.log_probs(test_ids.tolist()), targets, vocab)}
