"""Using a trained LSTM: the next token's logits, choosing a token, generating text."""

import math

import torch

from learntorch.next_word.model import NextWordLSTM
from learntorch.text import Vocabulary

CONTEXT = 64  # tokens the model reads at inference: the end of a longer text is what predicts its next word


def next_token_logits(model: NextWordLSTM, ids: list[int]) -> torch.Tensor:
    """The model's logits for the token after ``ids`` (reads the last :data:`CONTEXT` ids)."""
    model.eval()
    with torch.no_grad():
        logits, _ = model(torch.tensor([ids[-CONTEXT:]]), last_only=True)  # (1, 1, vocab)
    return logits[0, -1]


def choose(logits: torch.Tensor, vocab: Vocabulary, temperature: float = 1.0, top_k: int | None = None,
           generator: torch.Generator | None = None) -> int:
    """Pick the next token: greedy at temperature 0, else sample from softmax(logits / T).

    ``top_k`` keeps only the k likeliest tokens before sampling. ``<pad>`` and ``<unk>``
    are never chosen.
    """
    logits = logits.clone().float()
    logits[[vocab.pad_index, vocab.unk_index]] = -math.inf
    if temperature <= 0:
        return int(logits.argmax())
    if top_k:
        kth = logits.topk(min(top_k, len(logits))).values[-1]
        logits[logits < kth] = -math.inf
    probabilities = torch.softmax(logits / temperature, dim=0)
    return int(torch.multinomial(probabilities, 1, generator=generator))


def generate(model: NextWordLSTM, vocab: Vocabulary, prompt: list[int], n_tokens: int,
             temperature: float = 1.0, top_k: int | None = None, seed: int = 0) -> list[str]:
    """``n_tokens`` new tokens after ``prompt``; the same seed gives the same text."""
    generator = torch.Generator().manual_seed(seed)
    ids = list(prompt)
    model.eval()
    with torch.no_grad():
        logits, state = model(torch.tensor([ids[-CONTEXT:]]))
        new = []
        for _ in range(n_tokens):
            token = choose(logits[0, -1], vocab, temperature, top_k, generator)
            new.append(token)
            logits, state = model(torch.tensor([[token]]), state)  # one step, state carried
    return vocab.decode(new)
