"""Next-word prediction on *The Adventures of Sherlock Holmes*: data, models, scores, demo API.

* The book's tokens are split in three contiguous blocks: the first 80% trains, the next
  10% validates, the last 10% tests. No window of text straddles two parts.
* The vocabulary comes from the training part only; rarer tokens become ``<unk>``.
* :class:`NextWordLSTM` (embedding -> LSTM -> linear) learns by truncated
  back-propagation through time; :class:`KneserNeyTrigram` is the classical baseline.
* :func:`evaluate` scores both on exactly the same test targets with the same rules.
* :func:`train_checkpoint` is the one recipe behind ``checkpoints/next_word/``;
  :func:`predict_next` and :func:`continue_text` serve the demo.
"""

import contextlib
import functools
import math
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from learntorch import checkpoints
from learntorch.data import sherlock_text
from learntorch.device import pick_device, provenance, seed_everything
from learntorch.profile import current, is_smoke, pick
from learntorch.text import PAD, UNK, Vocabulary, detokenize, is_word, last_tokens, tokenize
from learntorch.uploads import BadInput

NAME = "next_word"
VOCAB_FILE = "vocab.json"
CONTEXT = 64  # tokens the demo reads: the end of a longer text is what predicts its next word
MAX_CHARS = 200_000  # longer input is refused before tokenizing
# The demo's predictions run on one CPU thread: for a model this small, several threads
# save little on an idle machine and stall badly on a busy one (benchmarks/next_word.py).
INFERENCE_THREADS = 1


# ---------------------------------------------------------------- data

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


# ---------------------------------------------------------------- the LSTM

class NextWordLSTM(nn.Module):
    """Token ids (batch, time) -> next-token logits (batch, time, vocabulary).

    ``tie_weights`` makes the output layer reuse the embedding matrix (a word's input
    vector is also its output vector): fewer parameters, usually a better model.
    ``dropout`` zeroes random features of the embeddings, between LSTM layers and
    before the output layer while training.
    """

    def __init__(self, vocab_size: int, embed_dim: int = 256, hidden_size: int = 256,
                 num_layers: int = 1, dropout: float = 0.0, tie_weights: bool = False):
        super().__init__()
        if tie_weights and embed_dim != hidden_size:
            raise ValueError(f"tied weights need embed_dim == hidden_size (got {embed_dim} and {hidden_size})")
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden_size, num_layers, batch_first=True,
                            dropout=dropout if num_layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(hidden_size, vocab_size)
        if tie_weights:
            self.output.weight = self.embedding.weight  # one (vocab, 256) matrix, two uses
        # Small initial vectors: nn.Embedding's N(0, 1) would start (tied) logits far too confident.
        nn.init.uniform_(self.embedding.weight, -0.1, 0.1)
        nn.init.zeros_(self.output.bias)
        self.args = dict(vocab_size=vocab_size, embed_dim=embed_dim, hidden_size=hidden_size,
                         num_layers=num_layers, dropout=dropout, tie_weights=tie_weights)

    def forward(self, ids: torch.Tensor, state=None, last_only: bool = False):
        vectors = self.dropout(self.embedding(ids))          # (batch, time, embed_dim)
        outputs, state = self.lstm(vectors, state)           # (batch, time, hidden), (h, c)
        if last_only:  # only the next word after the whole text is wanted: skip the rest
            outputs = outputs[:, -1:]                        # (batch, 1, hidden)
        return self.output(self.dropout(outputs)), state     # (batch, time or 1, vocab)


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
    """
    device = device or pick_device()
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=0)
    rows = stream_batches(train_ids, settings.batch_size).to(device)
    log, best_state = TrainLog(), None
    with cpu_threads(device, settings.cpu_threads):
        for epoch in range(1, settings.epochs + 1):
            start = time.perf_counter()
            train_loss, clipped = train_epoch(model, rows, optimizer, settings)
            val_perplexity = math.exp(mean_loss(model, val_ids))
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


# ---------------------------------------------------------------- the Kneser-Ney trigram

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


# ---------------------------------------------------------------- scoring

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


def evaluate(log_prob_blocks, targets: torch.Tensor, vocab: Vocabulary) -> Scores:
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
    return {"lstm": evaluate(lstm_blocks(), targets, vocab),
            "trigram": evaluate(trigram.log_probs(test_ids.tolist()), targets, vocab)}


# ---------------------------------------------------------------- sampling

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


# ---------------------------------------------------------------- the checkpoint recipe

@dataclass(frozen=True)
class Candidate:
    """One model size a recipe tries: arguments of :class:`NextWordLSTM` (tied weights)."""
    hidden_size: int
    num_layers: int
    dropout: float

    def model_args(self) -> dict:
        return dict(embed_dim=self.hidden_size, hidden_size=self.hidden_size,
                    num_layers=self.num_layers, dropout=self.dropout, tie_weights=True)


def default_settings(device: torch.device | None = None) -> tuple[list[Candidate], TrainSettings, int]:
    """Candidate model sizes, training settings and vocabulary min frequency for this profile.

    On a CPU, one model for 12 epochs. On a GPU an epoch takes about a second, so each
    candidate trains until its validation perplexity has not improved for 4 epochs, and
    the best candidate is kept: "as large and as long as helps". Every candidate answers
    the demo within its CPU latency budget (about 6 ms for 64 tokens on one thread,
    measured by ``benchmarks/next_word.py``).
    """
    device = torch.device(device or pick_device())
    if is_smoke():
        candidates = [Candidate(32, 1, 0.2)] + ([Candidate(32, 2, 0.2)] if device.type == "cuda" else [])
        return candidates, TrainSettings(epochs=1, batch_size=32, bptt=20), 2
    if device.type == "cuda":
        candidates = [Candidate(256, 1, 0.5), Candidate(256, 1, 0.6), Candidate(320, 1, 0.6),
                      Candidate(256, 2, 0.4), Candidate(256, 2, 0.5)]
        return candidates, TrainSettings(epochs=80, patience=4), 2
    return [Candidate(256, 1, 0.5)], TrainSettings(), 2


def train_checkpoint(folder: Path | None = None) -> dict:
    """Train the demo's next-word LSTM, score it and the trigram on the test part, save both card and weights.

    ``folder`` defaults to ``checkpoints/next_word`` in the full profile and to a fresh
    temporary directory in the smoke profile (which also uses only part of the book).
    """
    folder = Path(folder) if folder is not None else checkpoints.default_folder(NAME)
    device = pick_device()
    candidates, settings, min_freq = default_settings(device)
    with cpu_threads(device, settings.cpu_threads):
        trained_on = provenance(device)
    split = book_split()
    if is_smoke():  # a slice of each part: the recipe runs end to end in seconds
        split = Split(split.train[:10_000], split.validation[:2_000], split.test[:2_000])
    vocab = Vocabulary.build(split.train, min_freq=min_freq)
    train_ids, val_ids, test_ids = (torch.tensor(vocab.encode(part))
                                    for part in (split.train, split.validation, split.test))
    start = time.perf_counter()
    tried = []
    for candidate in candidates:
        print(f"candidate: {candidate}")
        seed_everything(0)
        model = NextWordLSTM(len(vocab), **candidate.model_args())
        log = train_language_model(model, train_ids, val_ids, settings, device)
        tried.append((min(log.val_perplexity), candidate, model, log))
    _, candidate, model, log = min(tried, key=lambda entry: entry[0])
    wall_time = time.perf_counter() - start
    model.cpu()
    trigram = KneserNeyTrigram(len(vocab)).fit(train_ids.tolist())
    with cpu_threads("cpu", settings.cpu_threads):
        scores = compare_on_test(model, trigram, test_ids, vocab)
    lstm, baseline = scores["lstm"], scores["trigram"]
    folder.mkdir(parents=True, exist_ok=True)
    vocab.save(folder / VOCAB_FILE)
    card = {
        "name": NAME,
        "task": "next-word prediction (word-level language model)",
        "architecture": {"class": "learntorch.nextword.NextWordLSTM", "args": model.args},
        "vocab_file": VOCAB_FILE,
        "vocabulary": {"size": len(vocab), "min_freq": min_freq, "built_from": "training part only",
                       "tokenizer": "learntorch.text.tokenize: lower-case words; each punctuation mark a token"},
        "data": describe_split(split),
        "test_metrics": {"perplexity": round(lstm.perplexity, 2), "top1": round(lstm.top1, 4),
                         "top5": round(lstm.top5, 4),
                         "trigram_perplexity": round(baseline.perplexity, 2),
                         "trigram_top1": round(baseline.top1, 4), "trigram_top5": round(baseline.top5, 4)},
        "evaluation": {
            "rule": "both models score the same targets, every test token from the third on; top-k "
                    "guesses exclude <unk> and <pad>, so a <unk> target is always a miss; perplexity "
                    "scores a <unk> target as the <unk> class for both models",
            "lstm": asdict(lstm),
            "baseline": {"model": "interpolated Kneser-Ney trigram fitted on the training part",
                         "discounts": [round(d, 4) for d in trigram.discounts], **asdict(baseline)}},
        "selection": {"rule": "the candidate with the lowest validation perplexity",
                      "candidates": [{**asdict(c), "val_perplexity": round(ppl, 2), "epochs": len(l.train_loss)}
                                     for ppl, c, _, l in tried]},
        "training": {**asdict(settings), "optimizer": "Adam", "best_epoch": log.best_epoch,
                     "train_loss": [round(x, 4) for x in log.train_loss],
                     "val_perplexity": [round(x, 2) for x in log.val_perplexity],
                     "clipped": [round(x, 3) for x in log.clipped],
                     "epoch_seconds": [round(x, 1) for x in log.seconds]},
        "context_at_inference": CONTEXT,
        "epochs": len(log.train_loss),
        "wall_time_s": round(wall_time, 1),
        **trained_on,
        "profile": current(),
    }
    return checkpoints.save(model, folder, card)


# ---------------------------------------------------------------- the demo's API

@functools.lru_cache(maxsize=4)
def load_model(folder: Path | None = None) -> tuple[NextWordLSTM, Vocabulary, dict]:
    """The trained model, its vocabulary and card from ``folder`` (``checkpoints/next_word``), loaded once."""
    folder = Path(folder) if folder is not None else checkpoints.CHECKPOINTS_DIR / NAME
    card = checkpoints.load_card(folder)
    try:
        vocab = Vocabulary.load(folder / card["vocab_file"])
    except (OSError, ValueError, KeyError) as error:
        raise checkpoints.CheckpointError(f"the vocabulary of {folder} cannot be read: {error}") from error
    model = NextWordLSTM(**card["architecture"]["args"])
    checkpoints.load_weights(model, folder)
    model.eval()
    return model, vocab, card


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


def predict_next(phrase: str, k: int = 5, folder: Path | None = None) -> dict[str, float]:
    """The ``k`` likeliest next tokens after ``phrase`` with their probabilities."""
    model, vocab, _ = load_model(folder)
    prompt = read_phrase(phrase, vocab)
    with cpu_threads("cpu", INFERENCE_THREADS):
        probabilities = torch.softmax(next_token_logits(model, prompt.ids), dim=0)
    probabilities[[vocab.pad_index, vocab.unk_index]] = 0.0  # never offered as a next word
    top = probabilities.topk(k)
    return {vocab.itos[index]: round(float(p), 4) for p, index in zip(top.values, top.indices.tolist())}


def continue_text(phrase: str, n_words: int = 20, temperature: float = 0.8, seed: int = 0,
                  top_k: int | None = None, folder: Path | None = None) -> str:
    """``n_words`` more tokens (punctuation marks count) after ``phrase``, as text to append to it."""
    model, vocab, _ = load_model(folder)
    prompt = read_phrase(phrase, vocab)
    with cpu_threads("cpu", INFERENCE_THREADS):
        new = generate(model, vocab, prompt.ids, int(n_words), temperature, top_k, int(seed))
    last = prompt.tokens[-1]
    return detokenize([last, *new])[len(last):]  # starts with a space unless it opens with punctuation
