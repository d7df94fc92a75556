# %% [markdown]
# # 12. LSTM next-word prediction

# %% [markdown]
# ## What you will learn
#
# - how predicting the next word turns plain text into a supervised learning problem;
# - how to split a book so that no test text leaks into training, and why the vocabulary
#   must come from the training part alone;
# - two ways to cut a text into input/target pairs (padded n-gram prefixes, and truncated
#   back-propagation through time) and why this lesson uses the second;
# - what happens inside an LSTM cell, by computing one step by hand and checking it against
#   `nn.LSTM`;
# - the training loop of truncated BPTT with gradient clipping, written out so you can change
#   it, and checked against the library's;
# - what dropout, weight tying and gradient clipping do for a language model, measured;
# - how to judge a language model: perplexity and top-1/top-5 accuracy, against a classical
#   Kneser-Ney trigram model scored on the same test words by the same rules;
# - how to generate text: greedy choice, temperature and top-k sampling.
#
# The model trained here, with the recipe's settings, is the kind behind the next-word demo; the
# page prints the demo checkpoint's own record beside this page's run.
#
# ## What this assumes
#
# Lesson 11: tokens, a vocabulary with `<pad>` and `<unk>`, embeddings, `nn.RNN` and the
# `(batch, time, features)` layout, and why plain RNNs forget. Cross-entropy and Adam from
# lessons 4-6.

# %%
import math
import re
import string
import time
from collections import Counter

import matplotlib.pyplot as plt
import torch
from torch import nn

from dataclasses import replace

import torch.nn.functional as F

from learntorch import checkpoints
from learntorch.data import sherlock_text
from learntorch.device import describe, pick_device, seed_everything
from learntorch.next_word.data import Split, book_split, chunks, stream_batches
from learntorch.next_word.generate import CONTEXT, choose, generate
from learntorch.next_word.model import NextWordLSTM
from learntorch.next_word.predict import CHECKPOINT, continue_text, load_next_word, predict_next
from learntorch.next_word.recipe import NAME, VOCAB_FILE, default_settings
from learntorch.next_word.scoring import compare_on_test, score_next_tokens
from learntorch.next_word.training import TrainLog, TrainSettings, lstm_log_probs, mean_loss, train_language_model
from learntorch.next_word.trigram import KneserNeyTrigram
from learntorch.paths import ROOT
from learntorch.plots import describe as describe_figure
from learntorch.profile import current, is_smoke, pick
from learntorch.show import show_source
from learntorch.text import Vocabulary, detokenize, tokenize

seed_everything(0)
# This lesson's models are small: on a CPU one thread avoids the cost of coordinating
# several on every small step (the library's training does the same, see `cpu_threads`).
torch.set_num_threads(1)
torch.set_printoptions(precision=4, sci_mode=False)
device = pick_device()
print("PyTorch", torch.__version__, "| training on", describe(device))

# %% [markdown]
# ## Language modelling is supervised learning in disguise
#
# A **language model** assigns a probability to the next word given the words before it:
# $P(w_t \mid w_1, \dots, w_{t-1})$. Nobody has to label anything to train one, because the
# text labels itself: every position in a book is an example whose input is the text so far
# and whose target is the word that actually comes next. One sentence yields as many
# examples as it has words.

# %%
sentence = tokenize("To Sherlock Holmes she is always the woman.")
for t in range(1, len(sentence)):
    print(f"{' '.join(sentence[:t]):>40}  ->  {sentence[t]}")

# %% [markdown]
# The network then solves an ordinary classification problem with one class per vocabulary
# entry: cross-entropy between its predicted distribution and the word that came next.
#
# ## The data: one book, split in three contiguous blocks
#
# Our text is *The Adventures of Sherlock Holmes*, about 105 000 words. The tokenizer of
# lesson 11 keeps punctuation marks as tokens, so the model also learns where sentences and
# quotations end.
#
# How to split it? Shuffling sentences or windows into train and test would be a mistake:
# neighbouring sentences share names, places and phrases, and overlapping windows share
# whole stretches of text, so the test would reward memory rather than language. We cut the
# token stream in reading order instead: the **first 80%** trains, the **next 10%** validates
# (choosing epochs and settings), the **last 10%** tests, once, at the end. Every window we
# ever build lies inside one block.

# %%
tokens = tokenize(sherlock_text())
first, second = int(len(tokens) * 0.8), int(len(tokens) * 0.9)  # where validation and test begin
split = Split(train=tokens[:first], validation=tokens[first:second], test=tokens[second:])
total = len(tokens)
print(f"{total:,} tokens; the same split as learntorch.next_word.data.book_split(): {split == book_split()}")
start = 0
for name, part in [("train", split.train), ("validation", split.validation), ("test", split.test)]:
    print(f"{name:>10}: tokens {start:>7,} to {start + len(part) - 1:>7,} ({len(part) / total:.0%})  "
          f"begins: {detokenize(part[:8])!r}")
    start += len(part)

# %% [markdown]
# The book holds twelve stories. Which of them land in which part?

# %%
text = sherlock_text()
headings = list(re.finditer(r"^ *[IVX]+\. ([A-Z][A-Z’' -]+)$", text, flags=re.MULTILINE))
story_starts = [len(tokenize(text[:heading.start()])) for heading in headings]  # in tokens
story_ends = story_starts[1:] + [total]
start = 0
for name, part in [("train", split.train), ("validation", split.validation), ("test", split.test)]:
    stop = start + len(part)
    inside = [f"{string.capwords(heading.group(1))} ({max(0, min(end, stop) - max(begin, start)) / (end - begin):.0%})"
              for heading, begin, end in zip(headings, story_starts, story_ends) if begin < stop and end > start]
    print(f"{name:>10}: " + "; ".join(inside))
    start = stop

# %% [markdown]
# (The percentages say how much of each story falls in that part.) The test part is nearly
# all of the last story: characters, places and events the model never read about, which
# makes it a fair and hard test.
#
# ## A vocabulary from the training part only
#
# The vocabulary must not peek at the test text either. We keep every token that appears at
# least twice in the training part (`min_freq=2`). A word seen once gives the model almost
# nothing to learn its vector from; turned into `<unk>`, its occurrences teach the model how
# `<unk>` behaves, which it needs, because every new text contains words it does not know.

# %%
min_freq = 2  # the recipe behind the demo uses 2 as well
if is_smoke():  # the smoke profile trains on slices of the three parts
    split = Split(split.train[:10_000], split.validation[:2_000], split.test[:2_000])
vocab = Vocabulary.build(split.train, min_freq=min_freq)
train_ids, val_ids, test_ids = (torch.tensor(vocab.encode(part)) for part in (split.train, split.validation, split.test))
counts = Counter(split.train)
print(f"{len(counts):,} different tokens in the training part; {len(vocab):,} kept (seen at least {min_freq} times)")
unknown_test = Counter(token for token in split.test if token not in vocab)
print(f"test tokens that become <unk>: {sum(unknown_test.values()):,} of {len(split.test):,} "
      f"({sum(unknown_test.values()) / len(split.test):.1%})")
print("most frequent of them:", ", ".join(token for token, _ in unknown_test.most_common(12)))
print("a test sentence as the model reads it:", " ".join(vocab.decode(test_ids[40:70])))

# %% [markdown]
# The commonest unknown test words are the last story's names and places; the rest are
# ordinary but rarer words. Keep that share in mind: the model cannot predict a word it does
# not know, and the evaluation below counts these targets as misses.
#
# ## Input/target pairs: two ways to cut the text
#
# **Option 1: n-gram prefixes padded to a fixed context.** For every position $t$, the input
# is the (up to) $C$ tokens before it, padded on the left with `<pad>` to length $C$, and
# the target is token $t$. Each example produces one prediction, and the model re-reads
# nearly the same $C$ tokens for the next position.

# %%
context = 6
words = vocab.encode(split.train[:10])
for t in range(1, 5):
    prefix = words[max(0, t - context):t]
    padded = [vocab.pad_index] * (context - len(prefix)) + prefix
    print(f"input {vocab.decode(padded)} -> target {vocab.itos[words[t]]!r}")

# %% [markdown]
# **Option 2: truncated back-propagation through time (TBPTT).** Keep the text as one stream,
# cut it into `batch_size` long rows read in parallel, and walk along them in windows of
# `bptt` steps. The target at every position is the next token, so a window of 35 inputs
# gives 35 predictions at once; the LSTM's hidden state is carried from one window into the
# next (detached from the graph), so the model's memory reaches across window borders while
# the gradient flows back at most `bptt` steps.

# %%
show_source(stream_batches)

# %%
show_source(chunks)

# %%
demo_rows = stream_batches(torch.arange(26), batch_size=2)  # stand-in ids 0..25
print("two rows of the stream (batch, time):\n", demo_rows)
for inputs, targets in chunks(demo_rows, length=5):
    print("inputs", inputs.tolist(), "-> targets", targets.tolist())
    break

# %% [markdown]
# **The choice.** With $N$ training tokens, option 1 runs the LSTM for $N \times C$ steps per
# epoch to make $N$ predictions; option 2 makes the same $N$ predictions in $N$ steps, and
# its carried state gives context longer than any fixed $C$. Option 1 does have a virtue:
# every example starts from an empty state, exactly as a user's phrase does in the demo.
# Option 2 wins here because on a CPU compute is the scarce resource, so we use TBPTT with
# `bptt = 35`, and the demo simply feeds the last 64 tokens of a phrase from an empty state
# (the model has seen empty states at the start of every epoch; a later section measures what
# the short window costs).

# %%
settings = TrainSettings()
steps_option1 = len(train_ids) * settings.bptt
print(f"LSTM steps per epoch, option 1 with C = {settings.bptt}: {steps_option1:,}")
print(f"LSTM steps per epoch, option 2 (TBPTT):      {len(train_ids):,}  ({settings.bptt}x fewer)")

# %% [markdown]
# ## Inside an LSTM cell
#
# Lesson 11 showed that a plain RNN squeezes its whole memory through `tanh(W h + ...)` at
# every step, and gradients fade. A **long short-term memory** (LSTM) cell keeps two vectors:
# the **hidden state** $h_t$ (its output) and a **cell state** $c_t$ (its memory). Four
# gates, each computed from the input $x_t$ and the previous hidden state $h_{t-1}$, decide
# what happens to the memory:
#
# | gate | formula | role |
# |---|---|---|
# | input $i_t$ | $\sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi})$ | how much new content to write |
# | forget $f_t$ | $\sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf})$ | how much old memory to keep |
# | candidate $g_t$ | $\tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg})$ | the new content itself |
# | output $o_t$ | $\sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho})$ | how much memory to show |
#
# $$c_t = f_t \odot c_{t-1} + i_t \odot g_t, \qquad h_t = o_t \odot \tanh(c_t)$$
#
# The memory is updated by *adding*, and the gradient along $c$ is multiplied only by $f_t$:
# when the forget gate stays near 1 information (and gradient) survives many steps. PyTorch
# stores the four gates' weights stacked in one matrix, in the order $i, f, g, o$. Let us
# check one step by hand.

# %%
torch.manual_seed(0)
cell = nn.LSTM(input_size=4, hidden_size=3, batch_first=True)
x = torch.randn(2, 5, 4)                                    # (batch, time, features)
outputs, (h_n, c_n) = cell(x)
print("weight_ih", tuple(cell.weight_ih_l0.shape), "= 4 gates x hidden 3, by input 4")
print("outputs", tuple(outputs.shape), "h_n", tuple(h_n.shape), "c_n", tuple(c_n.shape))

h = torch.zeros(2, 3)                                       # (batch, hidden)
c = torch.zeros(2, 3)
with torch.no_grad():
    for t in range(x.shape[1]):
        z = x[:, t] @ cell.weight_ih_l0.T + cell.bias_ih_l0 + h @ cell.weight_hh_l0.T + cell.bias_hh_l0
        i, f, g, o = z.chunk(4, dim=1)                      # each (batch, hidden)
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        c = f * c + i * g
        h = o * torch.tanh(c)
        if t == 0:
            print(f"t=0, first sentence: input gate {i[0].tolist()}\n"
                  f"                     forget gate {f[0].tolist()}")
        assert torch.allclose(h, outputs[:, t], atol=1e-6)
print("hand-computed h_t equals nn.LSTM's output at every step; final c equals c_n:",
      torch.allclose(c, c_n[0], atol=1e-6))

# %% [markdown]
# Each pass of the loop handles one time step of *every* sequence in the batch: for a batch
# of 32 sentences of 34 tokens embedded in 100 dimensions, `(32, 34, 100)`, the cell runs 34
# times, each time on a `(32, 100)` slice, starting from zero states. That is why the
# sequences of a batch must share one length. After the last step, `h` is `h_n`: a classifier
# would read only that, while a language model reads the output of every step, since every
# position has a next word to predict.
#
# ## The model
#
# Embedding -> LSTM -> a linear layer that scores every vocabulary entry, at every time step.
# Two options deserve a closer look:
#
# - **Dropout** zeroes a random half of the features of the embeddings and of the LSTM's
#   outputs during training. With over a million parameters and only 100 000 training tokens,
#   the model would otherwise memorise the book.
# - **Weight tying** reuses the embedding matrix as the output layer's weights. The input
#   vector of a word and the output vector that predicts it then are one and the same, which
#   saves `vocab x hidden` parameters and gives rare words, seen few times as targets, the
#   benefit of every time they were seen as inputs. It needs `embed_dim == hidden_size`.

# %%
show_source(NextWordLSTM)

# %%
for tie in (False, True):
    model = NextWordLSTM(len(vocab), 256, 256, tie_weights=tie)
    print(f"tie_weights={tie!s:5}: {sum(p.numel() for p in model.parameters()):,} parameters")
logits, (h, c) = model(train_ids[:70].view(2, 35))          # (batch=2, time=35)
print("logits", tuple(logits.shape), "= (batch, time, vocabulary); h", tuple(h.shape))

# %% [markdown]
# ## The training loop, with gradient clipping
#
# One epoch walks along the rows in windows of `bptt` steps. Three details make it truncated
# back-propagation through time:
#
# - the windows start at a random offset each epoch, so the cuts fall in new places;
# - the state that comes out of one window goes into the next, but **detached**: its values are
#   kept, its history is dropped, so the gradient reaches back at most `bptt` steps;
# - the loss is the cross-entropy of every position of the window at once: the logits
#   `(batch, time, vocabulary)` are flattened to `(batch * time, vocabulary)` rows.
#
# Before each update the gradient norm is **clipped**: if the gradients of all parameters, taken
# as one long vector, are longer than `clip`, they are scaled down to that length. Lesson 11
# measured how a recurrent network's gradient can explode; one huge step could undo many epochs
# of learning, and clipping caps the damage while leaving the direction unchanged.

# %%
def train_one_epoch(model: NextWordLSTM, rows: torch.Tensor, optimizer, bptt: int, clip: float):
    """One pass over ``rows`` (batch, time); returns the mean loss and the share of clipped steps."""
    model.train()
    state, total_loss, count, clipped, steps = None, 0.0, 0, 0, 0
    offset = int(torch.randint(bptt, ()).item())  # cut the windows in new places each epoch
    for inputs, targets in chunks(rows, bptt, offset):                 # each (batch, up to bptt)
        logits, state = model(inputs, state)                            # (batch, time, vocab)
        state = tuple(tensor.detach() for tensor in state)              # keep the values, drop the history
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]),    # (batch * time, vocab)
                               targets.reshape(-1))                     # (batch * time,)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        norm = nn.utils.clip_grad_norm_(model.parameters(), clip)      # the norm before clipping
        optimizer.step()
        total_loss += loss.item() * targets.numel()
        count += targets.numel()
        clipped += int(norm > clip)
        steps += 1
    return total_loss / count, clipped / steps

# %% [markdown]
# Around it, the epochs. Adam updates the weights; after each epoch the validation perplexity
# is measured (the exponential of the mean cross-entropy, defined properly further down), the
# learning rate is halved whenever it did not improve, and a copy of the best epoch's weights is
# kept and put back at the end. `TrainSettings` only holds the numbers.

# %%
def train_lm(model: NextWordLSTM, train_ids, val_ids, settings: TrainSettings, device, verbose=True) -> TrainLog:
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    halve_on_plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=0)
    rows = stream_batches(train_ids, settings.batch_size).to(device)  # (batch, time)
    log, best_weights = TrainLog(), None
    for epoch in range(1, settings.epochs + 1):
        start = time.perf_counter()
        train_loss, clipped = train_one_epoch(model, rows, optimizer, settings.bptt, settings.clip)
        val_perplexity = math.exp(mean_loss(model, val_ids))  # reads the validation part as one stream
        halve_on_plateau.step(val_perplexity)
        log.train_loss.append(train_loss)
        log.val_perplexity.append(val_perplexity)
        log.clipped.append(clipped)
        log.seconds.append(time.perf_counter() - start)
        if val_perplexity <= min(log.val_perplexity):  # the best so far: remember these weights
            log.best_epoch = epoch
            best_weights = {name: tensor.clone() for name, tensor in model.state_dict().items()}
        if verbose:
            print(f"epoch {epoch:>2}/{settings.epochs}  train perplexity {math.exp(train_loss):6.1f} | "
                  f"validation perplexity {val_perplexity:6.1f} | clipped {clipped:4.0%} of steps | "
                  f"{log.seconds[-1]:.0f} s")
    model.load_state_dict(best_weights)
    return log

# %% [markdown]
# The demo's model is trained by the library's `learntorch.next_word.training.train_language_model`
# (through `python -m learntorch.train next_word`). Is the loop above the same training? Train a
# tiny model both ways from the same seed, on the CPU, and compare the losses and every weight:

# %%
cpu = torch.device("cpu")
tiny_settings = TrainSettings(epochs=2, batch_size=8, bptt=10)
tiny_train, tiny_val = train_ids[:pick(smoke=2_000, full=5_000)], val_ids[:1_000]
logs, weights = {}, {}
for name, train_function in (("this lesson's loop", train_lm), ("train_language_model", train_language_model)):
    seed_everything(0)
    tiny = NextWordLSTM(len(vocab), 32, 32, dropout=0.5, tie_weights=True)
    logs[name] = train_function(tiny, tiny_train, tiny_val, tiny_settings, cpu, verbose=False)
    weights[name] = tiny.state_dict()
    print(f"{name:>21}: training losses {[round(x, 6) for x in logs[name].train_loss]}, "
          f"validation perplexities {[round(x, 4) for x in logs[name].val_perplexity]}")
ours, theirs = weights.values()
print("identical weights:", all(torch.equal(ours[key], theirs[key]) for key in ours) and ours.keys() == theirs.keys())

# %% [markdown]
# Same losses and same weights: the loop above *is* the recipe's training. Change it (another
# optimizer, no clipping, a different schedule) and rerun the page: this check will then say
# `False`, and everything below trains and scores your version instead.

# %% [markdown]
# ## Dropout and weight tying, measured
#
# Does each option help here? We train the four combinations with the same seed and compare
# validation perplexity (lower is better; a later section defines it). To keep this
# affordable on a CPU, these models are half the size of the recipe's CPU model (128 units
# against 256) and learn from the first 40 000 training tokens only: with so little text,
# memorising it is an easy way out, which is what the two options are meant to prevent.

# %%
compare_settings = pick(smoke=TrainSettings(epochs=1, bptt=20), full=TrainSettings(epochs=15))
compare_size = pick(smoke=32, full=128)
compare_ids = train_ids[:pick(smoke=5_000, full=40_000)]
variants = {}
for dropout in (0.0, 0.5):
    for tie in (False, True):
        seed_everything(0)
        model = NextWordLSTM(len(vocab), compare_size, compare_size, dropout=dropout, tie_weights=tie)
        log = train_lm(model, compare_ids, val_ids, compare_settings, cpu, verbose=False)
        variants[(dropout, tie)] = (sum(p.numel() for p in model.parameters()), log)

print("dropout  tied  parameters   best validation   at epoch   training        seconds")
print("                             perplexity                   perplexity then")
for (dropout, tie), (parameters, log) in variants.items():
    best = log.best_epoch - 1
    print(f"{dropout:7}  {'yes' if tie else 'no':4}  {parameters:>10,}   {log.val_perplexity[best]:15.1f}   "
          f"{log.best_epoch:8}   {math.exp(log.train_loss[best]):15.1f}   {sum(log.seconds):7.0f}")

best_of = {variant: min(log.val_perplexity) for variant, (_, log) in variants.items()}
print("\ndropout lowers the best validation perplexity: untied", best_of[(0.5, False)] < best_of[(0.0, False)],
      "| tied", best_of[(0.5, True)] < best_of[(0.0, True)])
print("tying lowers it:              without dropout", best_of[(0.0, True)] < best_of[(0.0, False)],
      "| with dropout", best_of[(0.5, True)] < best_of[(0.5, False)])

fig = plt.figure(figsize=(7, 3.5))
for (dropout, tie), (_, log) in variants.items():
    epochs = range(1, len(log.val_perplexity) + 1)
    plt.plot(epochs, log.val_perplexity, marker="o", label=f"dropout {dropout}, {'tied' if tie else 'untied'}")
plt.xlabel("epoch")
plt.ylabel("validation perplexity")
plt.title(f"{compare_size}-unit LSTMs, same data and seed")
plt.legend()
describe_figure(fig, f"Validation perplexity per epoch of four {compare_size}-unit LSTMs. " + "; ".join(
    f"dropout {dropout}, {'tied' if tie else 'untied'}: from {log.val_perplexity[0]:.0f} to "
    f"{log.val_perplexity[-1]:.0f}, lowest {min(log.val_perplexity):.1f} at epoch {log.best_epoch}"
    for (dropout, tie), (_, log) in variants.items()) + ".")
plt.show()

# %% [markdown]
# Read the table with the training perplexity in mind. A model whose training perplexity is
# far below its validation perplexity has learned much of the training text itself rather than
# the language: compare the two columns with and without dropout. Dropout makes fitting the
# training text harder, and the verdicts under the table say whether that bought a lower
# validation perplexity here, and whether tying the weights, which removes a large share of the
# parameters, did too. The recipe behind the demo uses both.
#
# ## Training the full-size model
#
# `python -m learntorch.train next_word` trains the demo's model with the candidates and
# settings that `default_settings` chooses for the device at hand:

# %%
for name, candidate_device in (("on a CPU", cpu), ("on a CUDA GPU", torch.device("cuda"))):
    candidates, recipe_settings, _ = default_settings(candidate_device)
    print(f"{name}: {len(candidates)} candidate(s), {recipe_settings.epochs} epochs at most"
          + (f", stopping after {recipe_settings.patience} without improvement" if recipe_settings.patience else ""))
    for candidate in candidates:
        print(f"   {candidate.hidden_size} units, {candidate.num_layers} layer(s), dropout {candidate.dropout}, tied")

# %% [markdown]
# This page trains the CPU's choice with the loop above, on all the training tokens: 256 units,
# tied weights, dropout 0.5, batches of 16 rows, windows of 35 steps, Adam at 3e-3, clipping at
# 0.5. The smoke profile trains a tiny model on a slice instead.

# %%
settings = pick(smoke=TrainSettings(epochs=1, batch_size=32, bptt=20),
                full=TrainSettings(epochs=12, batch_size=16, bptt=35, lr=3e-3, clip=0.5, weight_decay=1e-6))
size = pick(smoke=32, full=256)
seed_everything(0)
model = NextWordLSTM(len(vocab), embed_dim=size, hidden_size=size, dropout=0.5, tie_weights=True)
log = train_lm(model, train_ids, val_ids, settings, device)
print(f"{len(log.train_loss)} epochs in {sum(log.seconds):.0f} s on {describe(device)}; kept epoch "
      f"{log.best_epoch}; {sum(p.numel() for p in model.parameters()):,} parameters")

# %%
epochs = range(1, len(log.train_loss) + 1)
fig = plt.figure(figsize=(7, 3.5))
plt.plot(epochs, [math.exp(loss) for loss in log.train_loss], marker="o", label="training (dropout on)")
plt.plot(epochs, log.val_perplexity, marker="o", label="validation")
plt.yscale("log")
plt.xlabel("epoch")
plt.ylabel("perplexity (log scale)")
plt.title(f"{size}-unit LSTM, all training tokens")
plt.legend()
describe_figure(fig, f"Perplexity per epoch on a log scale: training from {math.exp(log.train_loss[0]):.0f} to "
                     f"{math.exp(log.train_loss[-1]):.0f}, validation from {log.val_perplexity[0]:.0f} to "
                     f"{log.val_perplexity[-1]:.0f}, lowest {min(log.val_perplexity):.1f} at epoch {log.best_epoch}.")
plt.show()
print("share of steps whose gradient was clipped, per epoch:", [f"{x:.0%}" for x in log.clipped])

# %% [markdown]
# The clipping line shows when the safety net acted: a freshly initialised model makes its
# largest errors, and so its largest gradients, in the first epoch. The kept weights are those
# of the epoch with the lowest validation perplexity.
#
# The weights, the vocabulary and a model card go into this page's own run folder. Running a
# lesson never replaces a demo's model: only `python -m learntorch.train` writes `checkpoints/`.

# %%
folder = checkpoints.run_folder(NAME)  # runs/next_word/ in the full profile; a temporary folder in the smoke one
folder.mkdir(parents=True, exist_ok=True)
vocab.save(folder / VOCAB_FILE)
page_card = checkpoints.save(model.cpu(), folder, {
    "name": NAME,
    "architecture": {"class": f"{NextWordLSTM.__module__}.{NextWordLSTM.__name__}", "args": model.args},
    "vocab_file": VOCAB_FILE,
    "epochs": len(log.train_loss),
    "wall_time_s": round(sum(log.seconds), 1),
    "device": describe(device),
    "profile": current(),
    "training": {"best_epoch": log.best_epoch, "val_perplexity": [round(x, 2) for x in log.val_perplexity]},
})
shown_folder = folder.relative_to(ROOT) if folder.is_relative_to(ROOT) else folder
print(f"saved in {shown_folder}/:", ", ".join(sorted(path.name for path in folder.iterdir())))

# %% [markdown]
# ## A classical baseline: the Kneser-Ney trigram
#
# Before neural networks, language models counted. A **trigram** model predicts a word from
# the two before it using counts from the training text: $P(w \mid u\,v) \approx c(u\,v\,w) /
# c(u\,v\,\cdot)$. Raw counts give zero probability to everything not seen in training, so
# practical models **smooth** them. **Interpolated Kneser-Ney**, the best of the classical
# recipes, does three things:
#
# 1. it subtracts a fixed **discount** $D$ (one per order, estimated from the counts) from
#    every seen count and hands the freed probability to a lower-order model (two words, then
#    one, then uniform);
# 2. its lower orders use **continuation counts**: how many *different* words precede a word,
#    not how often it occurs. A word that is frequent but only ever follows a few particular
#    words should not be a popular guess after an unfamiliar context;
# 3. a context never seen passes all its probability to the lower order.
#
# In this book "holmes" is such a word; compare it with "man" (counts from the training part):

# %%
different_predecessors = Counter(word for _, word in set(zip(split.train, split.train[1:])))
for word in ["holmes", "man", "watson", "room"]:
    print(f"{word!r:9} occurs {counts[word]:4} times, after {different_predecessors[word]:3} different tokens")

# %% [markdown]
# Our implementation follows the formulas in its docstring. It is fitted on the same training
# part, with the same vocabulary, as the LSTM.

# %%
show_source(KneserNeyTrigram)

# %%
trigram = KneserNeyTrigram(len(vocab)).fit(train_ids.tolist())
print("discounts (unigram, bigram, trigram):", [round(d, 3) for d in trigram.discounts])
for phrase in ["said sherlock", "my dear", "i had"]:
    u, v = vocab.encode(tokenize(phrase))
    distribution = torch.from_numpy(trigram.distribution((u, v)))
    top = distribution.topk(5)
    print(f"{phrase!r:16} -> " + ", ".join(f"{vocab.itos[i]} {p:.2f}" for p, i in zip(top.values, top.indices.tolist()))
          + f"   (sums to {distribution.sum():.4f})")

# %% [markdown]
# ## Scoring both models on the test part
#
# **Perplexity** is the exponential of the mean cross-entropy on the test tokens,
# $\exp\big(-\tfrac1N \sum_t \log P(w_t \mid \text{history})\big)$. A perplexity of 80 means the
# model is, on average, as unsure as if it had to pick uniformly among 80 words. Lower is
# better. **Top-k accuracy** is the share of test positions where the true next token is among
# the model's k best guesses.
#
# Both need care with `<unk>`, and we use one rule for both models:
#
# - the targets are the same for both: every test token from the third on (the trigram needs
#   two tokens of history; the LSTM reads the test part as one stream, from its start);
# - **perplexity** scores a `<unk>` target as the probability of the `<unk>` class. Both models
#   share the vocabulary, so the comparison is fair, but the absolute figure depends on the
#   vocabulary: a smaller one lumps more words into an easy `<unk>` and looks better;
# - **accuracy** never accepts `<unk>` as a guess: the k guesses are the k likeliest *real*
#   tokens, so every `<unk>` target counts as a miss. Guessing "some unknown word" is not a
#   prediction anyone could use.
#
# We also report accuracy on word targets only (leaving out punctuation marks, which are
# comparatively easy to predict). One function applies the rule to any model's log-probabilities:

# %%
show_source(score_next_tokens)

# %% [markdown]
# `compare_on_test` hands it both models' log-probabilities for the same targets: the trigram's
# from its counts, the LSTM's from reading the test part as one stream (dropping its first
# prediction, which the trigram cannot make). The LSTM is loaded back from this page's run folder.

# %%
model, vocab = load_next_word(folder)                       # the saved weights, checked by SHA-256
start = time.perf_counter()
scores = compare_on_test(model, trigram, test_ids, vocab)
print(f"scored in {time.perf_counter() - start:.1f} s; {scores['lstm'].targets:,} test targets, "
      f"{scores['lstm'].unk_targets:,} of them <unk> ({scores['lstm'].unk_targets / scores['lstm'].targets:.1%}, "
      f"always misses), {scores['lstm'].punctuation_targets:,} punctuation marks\n")
print(f"{'':20} {'perplexity':>10} {'top-1':>6} {'top-5':>6}   {'words only: top-1':>17} {'top-5':>6}")
for name, result in [("LSTM", scores["lstm"]), ("Kneser-Ney trigram", scores["trigram"])]:
    print(f"{name:20} {result.perplexity:10.1f} {result.top1:6.3f} {result.top5:6.3f}   "
          f"{result.top1_words:17.3f} {result.top5_words:6.3f}")

lstm = scores["lstm"]
print(f"\nLSTM below the trigram: perplexity {lstm.perplexity < scores['trigram'].perplexity}, "
      f"top-1 above it {lstm.top1 > scores['trigram'].top1}, top-5 above it {lstm.top5 > scores['trigram'].top5}")

# %% [markdown]
# The trigram is a strong opponent on a text this small: most of its knowledge is exact phrases,
# and a book repeats its phrases a lot. Where the LSTM beats it (the last line says on which
# measures), the edge comes from what counts cannot do: similar words share similar vectors, and
# the LSTM's memory can reach far beyond two words (who is speaking, whether a quotation is
# open). For scale, a public word-level LSTM trained on this
# book reports about 0.31 top-5 and 0.14 top-1 accuracy; it tokenises and counts differently,
# so it is a yardstick rather than a like-for-like comparison (our word-only columns are the
# closer one).
#
# ## This page's run and the demo's checkpoint
#
# The demo does not use the model trained on this page: it loads `checkpoints/next_word/`,
# written by `python -m learntorch.train next_word` on whatever machine last ran it. Its card
# records that run, scored by the same rule on the same test targets. Side by side:

# %%
demo_card = checkpoints.load_card(CHECKPOINT)
runs = {
    f"this page ({shown_folder}/)": {
        "trained on": page_card["device"], "date": page_card["saved_at"][:10],
        "epochs (kept)": f"{page_card['epochs']} ({log.best_epoch})",
        "model": f"{model.args['hidden_size']} units, {model.args['num_layers']} layer(s), dropout {model.args['dropout']}",
        "training time": f"{page_card['wall_time_s']:.0f} s",
        "test perplexity": f"{lstm.perplexity:.2f}", "test top-1 / top-5": f"{lstm.top1:.4f} / {lstm.top5:.4f}",
        "trigram perplexity": f"{scores['trigram'].perplexity:.2f}"},
    "the demo (checkpoints/next_word/)": {
        "trained on": demo_card["device"], "date": demo_card["saved_at"][:10],
        "epochs (kept)": f"{demo_card['epochs']} ({demo_card['training']['best_epoch']})",
        "model": f"{demo_card['architecture']['args']['hidden_size']} units, "
                 f"{demo_card['architecture']['args']['num_layers']} layer(s), "
                 f"dropout {demo_card['architecture']['args']['dropout']}",
        "training time": f"{demo_card['wall_time_s']:.0f} s",
        "test perplexity": f"{demo_card['test_metrics']['perplexity']:.2f}",
        "test top-1 / top-5": f"{demo_card['test_metrics']['top1']:.4f} / {demo_card['test_metrics']['top5']:.4f}",
        "trigram perplexity": f"{demo_card['test_metrics']['trigram_perplexity']:.2f}"},
}
print(f"{'':20}" + "".join(f"{name:<40}" for name in runs))
for row in next(iter(runs.values())):
    print(f"{row:20}" + "".join(f"{figures[row]:<40}" for figures in runs.values()))
if len(demo_card.get("selection", {}).get("candidates", [])) > 1:
    print(f"\nthe demo's run tried {len(demo_card['selection']['candidates'])} candidates and kept the one "
          f"with the lowest validation perplexity")

# %% [markdown]
# Two runs, each with its own record: the table says on what and when each was trained, for how
# long, and how each scored on the same test targets.
#
# ## Does the demo's short window cost accuracy?
#
# The scores above let the LSTM read the test part as one stream, its state carrying
# everything since the start. The demo cannot: it starts from an empty state and reads only
# the last 64 tokens of a phrase. Scoring the same targets that way shows what this costs.

# %%
step = 8  # every 8th test token from the 65th on: enough for a comparison, and 8 times cheaper
targets = test_ids[CONTEXT::step]
windows = torch.stack([test_ids[t - CONTEXT:t] for t in range(CONTEXT, len(test_ids), step)])  # (n, 64)


def window_blocks():                                          # a fresh state for every window
    with torch.no_grad():
        for batch in windows.split(256):
            outputs, _ = model.lstm(model.embedding(batch))   # (256, 64, hidden)
            yield torch.log_softmax(model.output(outputs[:, -1]), dim=-1)  # only the last step's guess


def stream_blocks():                                          # row r of the stream predicts token r + 1
    offset = 0
    for block in lstm_log_probs(model, test_ids):
        predicted = torch.arange(offset + 1, offset + 1 + len(block))
        yield block[(predicted >= CONTEXT) & ((predicted - CONTEXT) % step == 0)]
        offset += len(block)


print(f"{len(targets):,} targets")
reading = {}
for name, blocks in [("whole stream", stream_blocks()), (f"last {CONTEXT} tokens only", window_blocks())]:
    reading[name] = score_next_tokens(blocks, targets, vocab)
    print(f"{name:>22}: perplexity {reading[name].perplexity:6.2f}   top-1 {reading[name].top1:.3f}   "
          f"top-5 {reading[name].top5:.3f}")
stream, window = reading.values()
print(f"reading only the last {CONTEXT} tokens changes perplexity by {window.perplexity - stream.perplexity:+.2f} "
      f"({window.perplexity / stream.perplexity - 1:+.1%}) and top-5 accuracy by {100 * (window.top5 - stream.top5):+.1f} points")

# %% [markdown]
# Both lines score the same targets; the second is what a visitor of the demo gets, and the
# last line is the difference. A difference near zero means that, on this book, the LSTM makes
# little use of anything more than 64 tokens back (its state after 64 tokens read from scratch
# is about as useful as its state after the whole story), so the demo loses little by its short
# window; a large one would call for a longer window.
#
# ## Generating text: greedy, temperature and top-k
#
# To write text, predict a distribution, choose a token, append it and repeat, carrying the
# LSTM state so each step costs one cell update. How to choose matters a great deal:
#
# - **greedy**: always the likeliest token. Deterministic, and prone to loops of common
#   words, because the likeliest continuation of a common phrase is usually another common
#   phrase;
# - **sampling with a temperature** $T$: draw from $\mathrm{softmax}(z / T)$. $T < 1$ sharpens
#   the distribution towards the safe choices, $T > 1$ flattens it towards surprising ones;
# - **top-k**: sample only among the k likeliest tokens, which cuts off the long tail of
#   absurd choices while keeping variety.
#
# A seeded random generator makes each sample repeatable.

# %%
show_source(choose)

# %%
prompt = vocab.encode(tokenize("it is a capital mistake to"))
for label, temperature, top_k in [("greedy", 0, None), ("T = 0.5", 0.5, None), ("T = 1.0", 1.0, None),
                                  ("T = 1.5", 1.5, None), ("T = 1.0, top-10", 1.0, 10)]:
    text = detokenize(generate(model, vocab, prompt, 30, temperature, top_k, seed=1))
    print(f"{label:>16}: it is a capital mistake to {text}\n")

# %% [markdown]
# Compare the samples. Greedy decoding tends to circle back to the same common phrases; a
# low temperature reads smoothly but plays safe; a high temperature invents more, and loses
# the thread sooner; top-k keeps the invention among plausible words. None of them writes a
# coherent story: the model has read one book of about 100 000 words, and it shows. Large
# language models run this same loop with far bigger networks trained on far more text.
#
# ## The demo's API
#
# The demo calls two functions, which read a phrase with the same tokenizer and vocabulary,
# keep its last 64 tokens and never offer `<unk>` as a next word.

# %%
for phrase in ["I had seen little of Holmes", "“My dear Watson,” said", "The door flew open and"]:
    for whose, model_folder in (("this page", folder), ("the demo", CHECKPOINT)):
        guesses = predict_next(phrase, k=5, folder=model_folder)
        print(f"{phrase!r:32} {whose:>9}: " + ", ".join(f"{word} {p:.2f}" for word, p in guesses.items()))
phrase = "The door flew open and"
for seed in (1, 1, 2):
    print(f"seed {seed}: {phrase}{continue_text(phrase, n_words=20, temperature=0.8, seed=seed, folder=folder)}")

# %% [markdown]
# ## Recap
#
# - A language model predicts the next token; a text labels itself, so every position is a
#   training example and the task is classification over the vocabulary.
# - Split text in contiguous blocks (80/10/10 here) and build the vocabulary from the training
#   block only; rare and unseen words become `<unk>`.
# - Truncated BPTT turns a stream into `(batch, time)` rows, makes a prediction at every
#   position and carries the state across windows, detached; it costs `bptt` times less than
#   padded prefixes of the same length.
# - An LSTM cell has input, forget, candidate and output gates; its cell state is updated by
#   addition, which lets information and gradients survive many steps. `nn.LSTM` stores the
#   gates stacked in the order i, f, g, o.
# - Dropout keeps a small-data language model from memorising; weight tying shares the
#   embedding with the output layer; gradient clipping stops exploding updates.
# - The training loop is a page of visible code; from the same seed it gives the same weights
#   as the library's `train_language_model`. A lesson's run saves into `runs/`; only
#   `python -m learntorch.train` writes the demo's checkpoint, whose card records its run.
# - Perplexity and top-k accuracy need an explicit rule for `<unk>` and identical targets for
#   every model compared. A Kneser-Ney trigram is a strong baseline on small data.
# - Greedy, temperature and top-k decoding trade safety for variety; a seed makes samples repeatable.
#
# ## Exercises
#
# Each exercise has a worked solution under it. Try it yourself first, then open the
# solution and compare.

# %% [markdown]
# **1.** **Vocabulary size.** Rebuild the vocabulary with `min_freq=1` and with `min_freq=5`. How
# do the share of `<unk>` test targets, the trigram's perplexity and its top-5 accuracy change?
# Why can perplexity improve while accuracy gets worse?

# %% tags=["solution"]
print(f"{'min_freq':>8} {'vocabulary':>10} {'<unk> targets':>14} {'perplexity':>10} {'top-5':>6}")
for frequency in (1, 2, 5):
    vocab_f = Vocabulary.build(split.train, min_freq=frequency)
    train_f, test_f = torch.tensor(vocab_f.encode(split.train)), torch.tensor(vocab_f.encode(split.test))
    trigram_f = KneserNeyTrigram(len(vocab_f)).fit(train_f.tolist())
    result = score_next_tokens(trigram_f.log_probs(test_f.tolist()), test_f[2:], vocab_f)
    print(f"{frequency:>8} {len(vocab_f):>10,} {result.unk_targets / result.targets:>14.1%} "
          f"{result.perplexity:>10.1f} {result.top5:>6.3f}")
# A larger min_freq sends more words to <unk>. Perplexity scores a <unk> target by the
# probability of the <unk> class, and a class that stands for many words is common and easy
# to predict, so perplexity can fall although no more real words are predicted: the task got
# easier, not the model better. Accuracy
# counts every <unk> target as a miss, so the more targets become <unk>, the more misses
# are certain. That is why perplexities are only comparable between models that share a
# vocabulary.

# %% [markdown]
# **2.** **Padded prefixes.** Build option 1's examples for the training part with `C = 20`
# (inputs of shape `(N, 20)`, one target each) and train the same model with
# `learntorch.train.fit` on the last time step's output. Compare time per epoch and validation
# perplexity with TBPTT.

# %% tags=["solution"]
from torch.utils.data import DataLoader, TensorDataset

from learntorch.train import evaluate, fit


def padded_prefixes(ids: torch.Tensor, context: int) -> tuple[torch.Tensor, torch.Tensor]:
    """For every position t >= 1: the (up to) `context` ids before it, left-padded; target ids[t]."""
    padded = torch.cat([torch.full((context,), vocab.pad_index), ids])  # context pads, then the text
    inputs = padded.unfold(0, context, 1)[1:len(ids)]                   # (len(ids) - 1, context)
    return inputs, ids[1:]


class LastStep(nn.Module):
    """The language model, keeping only the prediction after the last input token."""
    def __init__(self, lm: NextWordLSTM):
        super().__init__()
        self.lm = lm

    def forward(self, ids):                         # (batch, context) -> (batch, vocab)
        return self.lm(ids, last_only=True)[0][:, -1]


prefix_tokens, prefix_epochs = pick(smoke=2_000, full=20_000), pick(smoke=1, full=2)
prefix_inputs, prefix_targets = padded_prefixes(train_ids[:prefix_tokens], 20)
val_inputs, val_targets = padded_prefixes(val_ids, 20)
print("inputs", tuple(prefix_inputs.shape), "targets", tuple(prefix_targets.shape))
print("first example:", vocab.decode(prefix_inputs[0].tolist())[-3:], "->", vocab.itos[prefix_targets[0]])
val_loader = DataLoader(TensorDataset(val_inputs, val_targets), batch_size=512)

seed_everything(0)
prefix_model = LastStep(NextWordLSTM(len(vocab), compare_size, compare_size, dropout=0.5, tie_weights=True))
prefix_history = fit(prefix_model, DataLoader(TensorDataset(prefix_inputs, prefix_targets), batch_size=64, shuffle=True),
                     torch.optim.Adam(prefix_model.parameters(), lr=3e-3), epochs=prefix_epochs,
                     clip_grad_norm=0.5, device=cpu, verbose=False)
seed_everything(0)
tbptt_model = NextWordLSTM(len(vocab), compare_size, compare_size, dropout=0.5, tie_weights=True)
tbptt_log = train_lm(tbptt_model, train_ids[:prefix_tokens], val_ids,
                     replace(compare_settings, epochs=prefix_epochs), cpu, verbose=False)
# Score both the same way: from an empty state, 20 tokens of context, every validation token.
for name, net, seconds in (("padded prefixes", prefix_model, prefix_history.seconds),
                           ("TBPTT", LastStep(tbptt_model), tbptt_log.seconds)):
    val_loss, _ = evaluate(net, val_loader, device=cpu)
    print(f"{name:>15}: {sum(seconds) / len(seconds):6.1f} s per epoch, validation perplexity "
          f"{math.exp(val_loss):6.1f} (20-token prefixes)")
# Both learn from the same training targets, but the padded prefixes run the LSTM over 20
# tokens for every single prediction, where TBPTT makes a prediction at every step: compare
# the seconds per epoch. They also take very different numbers of optimizer steps: the
# prefixes make one update per batch of 64 examples (about 313 per epoch here), while TBPTT
# cuts 20 000 tokens into 16 rows of 1 250 and updates once per window of 35 steps (about
# 36 per epoch). After the same number of epochs, the printed perplexities therefore compare
# two very different amounts of learning; give TBPTT more epochs for the same time and
# compare again.

# %% [markdown]
# **3.** **Longer memory.** Train the comparison model with `bptt=10` and `bptt=70`. Does
# validation perplexity change? What about the time per epoch?

# %% tags=["solution"]
memory = {35: variants[(0.5, True)][1]}  # trained above: dropout 0.5, tied, bptt 35
for bptt in (10, 70):
    seed_everything(0)
    memory_model = NextWordLSTM(len(vocab), compare_size, compare_size, dropout=0.5, tie_weights=True)
    memory[bptt] = train_lm(memory_model, compare_ids, val_ids, replace(compare_settings, bptt=bptt), cpu,
                            verbose=False)
for bptt, memory_log in sorted(memory.items()):
    print(f"bptt {bptt:>2}: best validation perplexity {min(memory_log.val_perplexity):6.1f}, "
          f"{sum(memory_log.seconds) / len(memory_log.seconds):5.1f} s per epoch")
# A shorter window means more, smaller updates per epoch and a gradient that reaches back
# fewer steps; a longer one means fewer updates, each learning from longer dependencies.
# The state is carried across windows in every case, so even bptt=10 reads context beyond
# 10 tokens at prediction time; what changes is how far back training can assign credit.

# %% [markdown]
# **4.** **Two layers.** Add `num_layers=2` (dropout then also acts between the layers). Is it
# worth the extra time on this data?

# %% tags=["solution"]
seed_everything(0)
two_layers = NextWordLSTM(len(vocab), compare_size, compare_size, num_layers=2, dropout=0.5, tie_weights=True)
two_log = train_lm(two_layers, compare_ids, val_ids, compare_settings, cpu, verbose=False)
one_parameters, one_log = variants[(0.5, True)]
for name, parameters, layer_log in (("1 layer", one_parameters, one_log),
                                    ("2 layers", sum(p.numel() for p in two_layers.parameters()), two_log)):
    print(f"{name}: {parameters:,} parameters, best validation perplexity {min(layer_log.val_perplexity):6.1f} "
          f"at epoch {layer_log.best_epoch}, {sum(layer_log.seconds):.0f} s")
# The second layer adds a second LSTM's work per token (4 x 128 x 256 multiply-adds), but
# much of each step is the output layer scoring all 3 930 words (128 x 3 930), so the time
# grows by far less than double. Whether the extra capacity pays off on 40 000 training
# tokens is what the two perplexities show; deeper models usually need more data (or more
# dropout) before they help.

# %% [markdown]
# **5.** **Interpolate.** Mix the two models: $P = \lambda P_{LSTM} + (1 - \lambda) P_{KN}$. Pick
# $\lambda$ on the validation part and report the test perplexity. Why can the mixture beat both?

# %% tags=["solution"]
def lstm_blocks(ids: torch.Tensor):
    """The LSTM's (n, vocab) log-probability blocks for every token from the third on."""
    for number, block in enumerate(lstm_log_probs(model, ids)):
        yield block[1:] if number == 0 else block  # its first row scores token 1: drop it


def of_targets(blocks, targets_: torch.Tensor) -> torch.Tensor:
    """The log-probability each block's rows give their target, block by block (saves memory)."""
    picked, done = [], 0
    for block in blocks:
        picked.append(block.gather(1, targets_[done:done + len(block), None])[:, 0])
        done += len(block)
    return torch.cat(picked)


def target_probabilities(ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Each model's probability of every token from the third on (the trigram needs two before it)."""
    return (of_targets(lstm_blocks(ids), ids[2:]).exp(),
            of_targets(trigram.log_probs(ids.tolist()), ids[2:]).exp())


def mixed_perplexity(weight: float, p_lstm: torch.Tensor, p_trigram: torch.Tensor) -> float:
    return math.exp(-torch.log(weight * p_lstm + (1 - weight) * p_trigram).mean().item())


val_lstm, val_trigram = target_probabilities(val_ids)
weights_tried = [w / 10 for w in range(11)]
best_weight = min(weights_tried, key=lambda w: mixed_perplexity(w, val_lstm, val_trigram))
print("validation perplexity by weight:",
      ", ".join(f"{w:.1f}: {mixed_perplexity(w, val_lstm, val_trigram):.1f}" for w in weights_tried))
test_lstm, test_trigram = target_probabilities(test_ids)
print(f"chosen on validation: lambda = {best_weight}; test perplexity: LSTM {mixed_perplexity(1, test_lstm, test_trigram):.2f}, "
      f"trigram {mixed_perplexity(0, test_lstm, test_trigram):.2f}, mixture {mixed_perplexity(best_weight, test_lstm, test_trigram):.2f}")
# The log of an average is at least the average of the logs (the log is concave), so the
# mixture's loss on each token is never worse than the weighted average of the two models'
# losses, and it is much better where they disagree: where one model gives the true word a
# tiny probability, the other can rescue it. The trigram is sharp on exact phrases it has
# counted; the LSTM is smoother and remembers more; their mistakes differ, so the mixture
# can beat both. The weight is chosen on validation, never on test.

# %% [markdown]
# **6.** **Where does it fail?** Collect the test positions where the true word was in the LSTM's
# top 5 but not the trigram's, and the reverse. What kinds of words are they?

# %% tags=["solution"]
def top5_hits(blocks, targets_: torch.Tensor) -> torch.Tensor:
    """Per target: is it among the 5 likeliest real tokens (the scoring rule: no <unk> guesses)?"""
    hits, done = [], 0
    for block in blocks:
        guesses = block.clone()
        guesses[:, [vocab.pad_index, vocab.unk_index]] = -math.inf
        hits.append((guesses.topk(5, dim=1).indices == targets_[done:done + len(block), None]).any(dim=1))
        done += len(block)
    return torch.cat(hits)


test_targets = test_ids[2:]
lstm_hits = top5_hits(lstm_blocks(test_ids), test_targets)
trigram_hits = top5_hits(trigram.log_probs(test_ids.tolist()), test_targets)
for name, only in (("only the LSTM", lstm_hits & ~trigram_hits), ("only the trigram", trigram_hits & ~lstm_hits)):
    words = Counter(vocab.itos[i] for i in test_targets[only].tolist())
    print(f"{name} has it in its top 5 at {only.sum().item():,} positions; the commonest targets there:")
    print("   " + ", ".join(f"{word} ({n})" for word, n in words.most_common(15)))
position = torch.nonzero(trigram_hits & ~lstm_hits)[0].item()
print("one position only the trigram gets:", " ".join(vocab.itos[i] for i in test_ids[position:position + 2].tolist()),
      "->", vocab.itos[test_targets[position]])
# Two kinds of words are worth looking for in the two lists: the second halves of fixed
# phrases the trigram has counted word for word (names, set expressions), and words that
# depend on the sentence so far (an open quotation, a verb that still needs its object)
# more than on the exact two words before them. Which model wins which kind here is what
# the lists show.

# %% [markdown]
# ## Next
#
# The model of this lesson, trained by its recipe into `checkpoints/next_word/`, runs in
# the next-word demo on the [Demos page](../../demos/): type a phrase and watch it guess.
# Lessons 9, 10 and 12 each ran for tens of minutes on a CPU (the box at the top of each
# page gives its time).
# [Lesson 13: Training faster](../13_training_faster/) profiles a training step and
# measures, one at a time, what makes it faster on one machine.
