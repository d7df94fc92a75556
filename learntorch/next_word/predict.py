"""What the next-word demo calls: read a visitor's phrase, predict or continue it."""

import functools
from dataclasses import dataclass
from pathlib import Path

import torch

from learntorch import checkpoints
from learntorch.inputs import BadInput
from learntorch.next_word.generate import CONTEXT, generate, next_token_logits
from learntorch.next_word.model import NextWordLSTM
from learntorch.text import Vocabulary, detokenize, is_word, last_tokens

CHECKPOINT = checkpoints.CHECKPOINTS_DIR / "next_word"
MAX_CHARS = 200_000  # longer input is refused before tokenizing


@functools.lru_cache(maxsize=4)
def load_next_word(folder: Path = CHECKPOINT) -> tuple[NextWordLSTM, Vocabulary]:
    """The trained model and its vocabulary from ``folder``, loaded once (weights verified)."""
    model = checkpoints.load(NextWordLSTM, folder)
    try:
        vocab = Vocabulary.load(Path(folder) / checkpoints.load_card(folder)["vocab_file"])
    except (OSError, ValueError, KeyError) as error:
        raise checkpoints.CheckpointError(f"the vocabulary of {folder} cannot be read: {error}") from error
    return model, vocab


@dataclass
class Prompt:
    tokens: list[str]        # the tokens the model reads: the phrase's last CONTEXT tokens
    ids: list[int]           # their ids (<unk>'s for unknown tokens)
    truncated: bool          # the phrase had more tokens than that


def read_phrase(phrase: str | None, vocab: Vocabulary) -> Prompt:
    """The end of a visitor's phrase as the model reads it, or :class:`BadInput` saying why it cannot."""
    phrase = phrase or ""
    if len(phrase) > MAX_CHARS:
        raise BadInput(f"That text has {len(phrase):,} characters; the limit is {MAX_CHARS:,}. "
                       f"Only the last {CONTEXT} words matter for the next word anyway.")
    if not phrase.strip():
        raise BadInput("Type a phrase first, for example “I had seen little of”.")
    tokens, truncated = last_tokens(phrase, CONTEXT)
    if not any(is_word(token) for token in tokens):
        raise BadInput("That has no words in it, only punctuation or symbols. "
                       "Type a few English words, for example “my dear”.")
    if not any(token in vocab and is_word(token) for token in tokens):
        raise BadInput("None of these words is in the model's vocabulary, which holds the "
                       f"{len(vocab) - 2:,} commonest words and punctuation marks of the Sherlock "
                       "Holmes stories. Try English words, for example “the door”.")
    return Prompt(tokens, vocab.encode(tokens), truncated)


def predict_next(phrase: str, k: int = 5, folder: Path = CHECKPOINT) -> dict[str, float]:
    """The ``k`` likeliest next tokens after ``phrase`` with their probabilities."""
    model, vocab = load_next_word(folder)
    prompt = read_phrase(phrase, vocab)
    probabilities = torch.softmax(next_token_logits(model, prompt.ids), dim=0)
    probabilities[[vocab.pad_index, vocab.unk_index]] = 0.0  # never offered as a next word
    top = probabilities.topk(k)
    return {vocab.itos[index]: round(float(p), 4) for p, index in zip(top.values, top.indices.tolist())}


def continue_text(phrase: str, n_words: int = 20, temperature: float = 0.8, seed: int = 0,
                  top_k: int | None = None, folder: Path = CHECKPOINT) -> str:
    """``n_words`` more tokens (punctuation marks count) after ``phrase``, as text to append to it."""
    model, vocab = load_next_word(folder)
    prompt = read_phrase(phrase, vocab)
    new = generate(model, vocab, prompt.ids, int(n_words), temperature, top_k, int(seed))
    last = prompt.tokens[-1]
    return detokenize([last, *new])[len(last):]  # starts with a space unless it opens with punctuation
