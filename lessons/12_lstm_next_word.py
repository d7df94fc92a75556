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
# - what dropout, weight tying and gradient clipping do for a language model, measured;
# - how to judge a language model: perplexity and top-1/top-5 accuracy, against a classical
#   Kneser-Ney trigram model scored on the same test words by the same rules;
# - how to generate text: greedy choice, temperature and top-k sampling.
#
# The model trained here is the one behind the next-word demo.
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

from learntorch import checkpoints
from learntorch.data import sherlock_text
from learntorch.device import seed_everything
from learntorch.next_word.data import Split, book_split, chunks, split_tokens, stream_batches
from learntorch.next_word.generate import CONTEXT, choose, generate
from learntorch.next_word.model import NextWordLSTM
from learntorch.next_word.predict import continue_text, load_next_word, predict_next
from learntorch.next_word.recipe import NAME, default_settings, train_checkpoint
from learntorch.next_word.scoring import compare_on_test, score_next_tokens
from learntorch.next_word.training import TrainSettings, lstm_log_probs, train_epoch, train_language_model
from learntorch.next_word.trigram import KneserNeyTrigram
from learntorch.profile import is_smoke, pick
from learntorch.show import show_source
from learntorch.text import Vocabulary, detokenize, tokenize

seed_everything(0)
# This lesson's models are small: on a CPU one thread avoids the cost of coordinating
# several on every small step (the training recipe does the same, see `cpu_threads`).
torch.set_num_threads(1)
torch.set_printoptions(precision=4, sci_mode=False)
print("PyTorch", torch.__version__)

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
show_source(split_tokens)

# %%
split = book_split()
total = len(split.train) + len(split.validation) + len(split.test)
print(f"{total:,} tokens")
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
_, _, min_freq = default_settings()
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
# (the model has seen empty states at the start of every epoch, and 64 tokens are plenty).

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
# One epoch walks over the rows in windows of `bptt` steps. Before each update the gradient
# norm is **clipped**: if the gradients of all parameters, taken as one long vector, are longer
# than `clip`, they are scaled down to that length. Lesson 11 measured how a recurrent
# network's gradient can explode; one huge step could undo many epochs of learning, and
# clipping caps the damage while leaving the direction unchanged.

# %%
show_source(train_epoch)

# %% [markdown]
# ## Dropout and weight tying, measured
#
# Does each option help here? We train the four combinations with the same seed and compare
# validation perplexity (lower is better; a later section defines it). To keep this
# affordable on a CPU, these models are half the demo's size (128 units) and learn from the
# first 40 000 training tokens only, where overfitting shows up within a few epochs.

# %%
compare_settings = pick(smoke=TrainSettings(epochs=1, bptt=20), full=TrainSettings(epochs=15))
compare_size = pick(smoke=32, full=128)
compare_ids = train_ids[:pick(smoke=5_000, full=40_000)]
variants = {}
for dropout in (0.0, 0.5):
    for tie in (False, True):
        seed_everything(0)
        model = NextWordLSTM(len(vocab), compare_size, compare_size, dropout=dropout, tie_weights=tie)
        log = train_language_model(model, compare_ids, val_ids, compare_settings, torch.device("cpu"), verbose=False)
        variants[(dropout, tie)] = (sum(p.numel() for p in model.parameters()), log)

print("dropout  tied  parameters   best validation   at epoch   training        seconds")
print("                             perplexity                   perplexity then")
for (dropout, tie), (parameters, log) in variants.items():
    best = log.best_epoch - 1
    print(f"{dropout:7}  {'yes' if tie else 'no':4}  {parameters:>10,}   {log.val_perplexity[best]:15.1f}   "
          f"{log.best_epoch:8}   {math.exp(log.train_loss[best]):15.1f}   {sum(log.seconds):7.0f}")

plt.figure(figsize=(7, 3.5))
for (dropout, tie), (_, log) in variants.items():
    epochs = range(1, len(log.val_perplexity) + 1)
    plt.plot(epochs, log.val_perplexity, marker="o", label=f"dropout {dropout}, {'tied' if tie else 'untied'}")
plt.xlabel("epoch")
plt.ylabel("validation perplexity")
plt.title(f"{compare_size}-unit LSTMs, same data and seed")
plt.legend()
plt.show()

# %% [markdown]
# Read the table with the training perplexity in mind. Without dropout the model soon fits
# its training text far better than the validation text, and validation perplexity stalls
# while training perplexity keeps falling: it is memorising. Dropout learns more slowly but
# keeps the two closer, and validation keeps improving for longer. Tying the weights removes
# a large share of the parameters and, on this little data, helps with or without dropout.
# The demo's model uses both (at 256 units, on all the training data).
#
# ## Training the demo's model
#
# The recipe below is the one code path behind `checkpoints/next_word/`: this lesson's full
# profile and `python -m learntorch.train nextword` both call it. It builds the split and the
# vocabulary as above, trains with the settings below (keeping the epoch with the best
# validation perplexity, and halving the learning rate whenever validation stops improving),
# scores the model and the trigram baseline on the test part, and saves weights, vocabulary
# and a model card. The smoke profile trains a tiny model on a slice into a temporary folder.

# %%
show_source(train_language_model)

# %%
show_source(default_settings)

# %%
folder = checkpoints.run_folder(NAME)
card = train_checkpoint(folder)
training = card["training"]
print(f"{card['epochs']} epochs in {card['wall_time_s']:.0f} s on {card['device']}; "
      f"kept epoch {training['best_epoch']}; {card['parameters']:,} parameters")

# %%
epochs = range(1, card["epochs"] + 1)
plt.figure(figsize=(7, 3.5))
plt.plot(epochs, [math.exp(loss) for loss in training["train_loss"]], marker="o", label="training (dropout on)")
plt.plot(epochs, training["val_perplexity"], marker="o", label="validation")
plt.yscale("log")
plt.xlabel("epoch")
plt.ylabel("perplexity (log scale)")
plt.title("The demo's LSTM")
plt.legend()
plt.show()
print("share of steps whose gradient was clipped, per epoch:", [f"{x:.0%}" for x in training["clipped"]])

# %% [markdown]
# Clipping is a safety net rather than a brake: it acts mostly in the first epoch, when the
# freshly initialised model makes its largest errors, and rarely afterwards. The kept weights
# are those of the epoch with the lowest validation perplexity.

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
# comparatively easy to predict).

# %%
show_source(score_next_tokens)

# %%
show_source(compare_on_test)

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
print(f"\nsame figures as the model card: {round(lstm.perplexity, 2) == card['test_metrics']['perplexity']}")
print(f"LSTM perplexity below the trigram's: {lstm.perplexity < scores['trigram'].perplexity}; "
      f"top-5 >= 0.40: {lstm.top5 >= 0.40}; top-1 >= 0.20: {lstm.top1 >= 0.20}")

# %% [markdown]
# These figures are recomputed from the saved checkpoint, and the model card stores the same.
# The trigram is a strong opponent on a text this small: most of its knowledge is exact phrases,
# and a book repeats its phrases a lot. The LSTM's edge comes from what counts cannot do:
# similar words share similar vectors, and its memory reaches far beyond two words (who is
# speaking, whether a quotation is open). For scale, a public word-level LSTM trained on this
# book reports about 0.31 top-5 and 0.14 top-1 accuracy; it tokenises and counts differently,
# so it is a yardstick rather than a like-for-like comparison (our word-only columns are the
# closer one).
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
for name, blocks in [("whole stream", stream_blocks()), (f"last {CONTEXT} tokens only", window_blocks())]:
    result = score_next_tokens(blocks, targets, vocab)
    print(f"{name:>22}: perplexity {result.perplexity:6.1f}   top-1 {result.top1:.3f}   top-5 {result.top5:.3f}")

# %% [markdown]
# Both lines score the same targets. The second is what a visitor of the demo gets; its
# distance from the first is the price of starting from an empty state with a short window.
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
    guesses = predict_next(phrase, k=5, folder=folder)
    print(f"{phrase!r:32} -> " + ", ".join(f"{word} {p:.2f}" for word, p in guesses.items()))
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
#   position and carries the state across windows; it costs `bptt` times less than padded
#   prefixes of the same length.
# - An LSTM cell has input, forget, candidate and output gates; its cell state is updated by
#   addition, which lets information and gradients survive many steps. `nn.LSTM` stores the
#   gates stacked in the order i, f, g, o.
# - Dropout keeps a small-data language model from memorising; weight tying shares the
#   embedding with the output layer; gradient clipping stops exploding updates.
# - Perplexity and top-k accuracy need an explicit rule for `<unk>` and identical targets for
#   every model compared. A Kneser-Ney trigram is a strong baseline on small data.
# - Greedy, temperature and top-k decoding trade safety for variety; a seed makes samples repeatable.
#
# ## Exercises
#
# 1. **Vocabulary size.** Rebuild the vocabulary with `min_freq=1` and with `min_freq=5`. How do the
#    share of `<unk>` test targets, the trigram's perplexity and its top-5 accuracy change? Why can
#    perplexity improve while accuracy gets worse?
# 2. **Padded prefixes.** Build option 1's examples for the training part with `C = 20` (inputs of
#    shape `(N, 20)`, one target each) and train the same model with `learntorch.train.fit` on the
#    last time step's output. Compare time per epoch and validation perplexity with TBPTT.
# 3. **Longer memory.** Train the comparison model with `bptt=10` and `bptt=70`. Does validation
#    perplexity change? What about the time per epoch?
# 4. **Two layers.** Add `num_layers=2` (dropout then also acts between the layers). Is it worth the
#    extra time on this data?
# 5. **Interpolate.** Mix the two models: $P = \lambda P_{LSTM} + (1 - \lambda) P_{KN}$. Pick
#    $\lambda$ on the validation part and report the test perplexity. Why can the mixture beat both?
# 6. **Where does it fail?** Collect the test positions where the true word was in the LSTM's top 5
#    but not the trigram's, and the reverse. What kinds of words are they?
