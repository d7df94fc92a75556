"""Text to numbers and back: one tokenizer and one vocabulary for lessons, training and demo.

The tokenizer lower-cases the text, keeps words whole (``holmes’s`` and ``don’t`` stay
one word) and makes every other visible character a token of its own, so punctuation is
predicted like any word. Straight quotes typed on a keyboard become the book's curly
ones, so ``"don't"`` and ``“don’t”`` give the same tokens.

A :class:`Vocabulary` numbers the tokens: index 0 is ``<pad>`` (fills short sequences up
to a common length), index 1 is ``<unk>`` (stands for every token it does not know).
"""

import json
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

PAD, UNK = "<pad>", "<unk>"

# A word is a run of letters or digits, optionally joined by apostrophes (don’t, holmes’s);
# any other character that is not a space is a token on its own (punctuation, £, emoji).
_TOKEN = re.compile(r"[^\W_]+(?:’[^\W_]+)*|\S")
_OPENING_DOUBLE = re.compile(r'(^|[\s(\[{—-])"')  # a " at the start of a quotation
_OPENING_SINGLE = re.compile(r"(^|[\s(\[{“—-])'")

# Detokenizing: no space before closing marks, none after opening marks, none around dashes.
_NO_SPACE_BEFORE = set(",.;:!?”’)]}-—")
_NO_SPACE_AFTER = set("“‘([{-—£")


def normalize(text: str) -> str:
    """Lower-case, curly quotes for straight ones, and no ``_italic_`` underscores."""
    text = _OPENING_DOUBLE.sub(r"\1“", text).replace('"', "”")
    text = _OPENING_SINGLE.sub(r"\1‘", text).replace("'", "’")
    return text.replace("_", " ").lower()


def tokenize(text: str) -> list[str]:
    """Split ``text`` into lower-case words and single punctuation marks."""
    return _TOKEN.findall(normalize(text))


def is_word(token: str) -> bool:
    """Whether a token is a word (it has a letter or digit), not punctuation or a symbol."""
    return any(ch.isalnum() for ch in token)


def last_tokens(text: str, n: int) -> tuple[list[str], bool]:
    """``tokenize(text)[-n:]``, and whether ``text`` has more than ``n`` tokens.

    Only the end of a long text is tokenized: a cut at a whitespace character never splits
    a token, so the tail's tokens are exactly the last tokens of the whole text.
    """
    tail = text[-40 * n:]  # 40 characters a token is ample; if not, the whole text is read
    if len(tail) < len(text) and (space := re.search(r"\s", tail)):
        tokens = tokenize(tail[space.end():])
        if len(tokens) >= n:
            return tokens[-n:], True
    tokens = tokenize(text)
    return tokens[-n:], len(tokens) > n


def detokenize(tokens: Iterable[str]) -> str:
    """Join tokens back into readable text (punctuation attached, no stray spaces)."""
    pieces: list[str] = []
    for token in tokens:
        if pieces and token not in _NO_SPACE_BEFORE and pieces[-1][-1] not in _NO_SPACE_AFTER:
            pieces.append(" ")
        pieces.append(token)
    return "".join(pieces)


class Vocabulary:
    """A numbered list of tokens with ``<pad>`` at 0 and ``<unk>`` at 1."""

    def __init__(self, tokens: Iterable[str]):
        words = [token for token in tokens if token not in (PAD, UNK)]
        self.itos: list[str] = [PAD, UNK, *words]  # index -> token
        self.stoi: dict[str, int] = {token: index for index, token in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            raise ValueError("a vocabulary cannot list the same token twice")

    pad_index = 0
    unk_index = 1

    @classmethod
    def build(cls, tokens: Iterable[str], min_freq: int = 1) -> "Vocabulary":
        """Every token seen at least ``min_freq`` times, most frequent first (ties alphabetical)."""
        counts = Counter(tokens)
        kept = sorted((token for token, count in counts.items() if count >= min_freq),
                      key=lambda token: (-counts[token], token))
        return cls(kept)

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def encode(self, tokens: Iterable[str]) -> list[int]:
        """Token -> index; a token the vocabulary does not know becomes ``<unk>``'s index."""
        return [self.stoi.get(token, self.unk_index) for token in tokens]

    def decode(self, indices: Iterable[int]) -> list[str]:
        """Index -> token (``int`` or a tensor's items)."""
        return [self.itos[int(index)] for index in indices]

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps({"tokens": self.itos}, ensure_ascii=False, indent=0) + "\n",
                              encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "Vocabulary":
        tokens = json.loads(Path(path).read_text(encoding="utf-8"))["tokens"]
        if tokens[:2] != [PAD, UNK]:
            raise ValueError(f"{path} is not a vocabulary: it must start with {PAD} and {UNK}")
        return cls(tokens)
