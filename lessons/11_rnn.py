# %% [markdown]
# # 11. Recurrent neural networks

# %% [markdown]
# ## What you will learn
#
# - how a sentence becomes numbers: tokens, a vocabulary with `<pad>` and `<unk>`, lists of
#   indices, and padding so that sentences of different lengths fit in one batch (with a
#   mask that remembers which positions are real);
# - what `nn.Embedding` is (a trainable lookup table) and why it beats one-hot vectors;
# - what a recurrent layer computes, by unrolling `nn.RNN` over the time steps by hand and
#   checking every hidden state against PyTorch's;
# - the `(batch, time, features)` layout that `batch_first=True` gives, and how to read the
#   last *real* step of padded sequences with `pack_padded_sequence`;
# - how to train a small question-answering model on questions about this course, and where
#   and why it fails;
# - why gradients fade (or blow up) when they travel back through many time steps, measured,
#   which is the problem the LSTM of lesson 12 was invented to solve.
#
# ## What this assumes
#
# Lessons 4-6: `nn.Module`, optimizers, a training loop, `CrossEntropyLoss`. Lesson 2's
# autograd, since we will read gradients of inputs directly.

# %%
import time

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence

from learntorch.device import seed_everything
from learntorch.plots import describe
from learntorch.profile import pick
from learntorch.qa_pairs import QA_PAIRS, TOPICS
from learntorch.show import show_source
from learntorch.text import PAD, UNK, Vocabulary, tokenize

seed_everything(0)
# Every tensor in this lesson is tiny: on a CPU, splitting each small multiplication across
# threads costs more in coordination than it saves, so one thread is the fastest setting.
torch.set_num_threads(1)
torch.set_printoptions(precision=3, sci_mode=False)
print("PyTorch", torch.__version__)

# %% [markdown]
# ## Why a network with memory
#
# The networks so far take an input of a fixed size and look at all of it at once: 784
# pixels in, ten scores out. Text does not fit that mould. A question can have three words
# or thirty, and the order carries the meaning: "the dog bit the man" and "the man bit the
# dog" use the same words. Speech, prices over time and sensor readings share both traits.
#
# A **recurrent neural network (RNN)** reads a sequence one element at a time. At each
# time step it combines the new element with a **hidden state**, a vector that summarises
# everything read so far, and produces the next hidden state. The same weights are used at
# every step, so one small layer handles sequences of any length; after the last step the
# hidden state is a fixed-size summary of the whole sequence, ready for an ordinary
# classifier.
#
# But a network multiplies numbers, and words are not numbers. Most of this lesson's first
# half is the pipeline that turns text into tensors: **tokens -> vocabulary -> indices ->
# padded batch -> embeddings**.
#
# ## Step 1: tokenising
#
# A **tokenizer** cuts text into units, the **tokens**. Ours (shared with lesson 12 and the
# next-word demo) lower-cases everything, keeps words whole, and makes each punctuation mark
# a token of its own, because "?" and "." carry information too.

# %%
show_source(tokenize)

# %%
sentences = ["What is a tensor?", "What does backward do?", "Why do we need padding?",
             "Explain the broadcasting rules."]
for sentence in sentences:
    print(f"{sentence!r:36} -> {tokenize(sentence)}")

# %% [markdown]
# ## Step 2: a vocabulary, with padding and unknown-word entries
#
# A **vocabulary** gives every known token a number. Two entries are special:
#
# - `<pad>` (index 0) is a filler. Sentences in a batch must have the same length, so shorter
#   ones are padded with it. It never stands for a real word.
# - `<unk>` (index 1) replaces any token the vocabulary does not contain: a typo, a rare
#   word, a word that was not in the training data. Without it, a new word would crash the
#   model; with it, the model sees "some word I do not know here".
#
# The vocabulary is built from the **training data only** and can drop rare tokens
# (`min_freq`). Everything else in the world maps to `<unk>`.

# %%
show_source(Vocabulary.build)

# %%
toy_vocab = Vocabulary.build(token for sentence in sentences for token in tokenize(sentence))
print(len(toy_vocab), "tokens:", toy_vocab.itos)
print(f"{PAD} is index {toy_vocab.stoi[PAD]}, {UNK} is index {toy_vocab.stoi[UNK]}")

# %% [markdown]
# ## Step 3: sentences as lists of indices
#
# Encoding replaces every token by its index; a token the vocabulary has never seen becomes
# `<unk>`'s 1. Decoding goes back. Note how "GPU" and "faster" are lost: the model will only
# know that two unknown words sat there.

# %%
question = "Why is the GPU faster?"
indices = toy_vocab.encode(tokenize(question))
print(tokenize(question))
print(indices)
print(toy_vocab.decode(indices))

# %% [markdown]
# ## Step 4: padding to a common length, and a mask
#
# Tensors are rectangles, so a batch of sentences must have one length. We append `<pad>`
# (index 0) to the shorter ones until all match the longest. Padding exists only so that
# the batch can be processed in parallel as one `(batch, time)` tensor; the model must not
# mistake it for words. The **mask** (`True` where a real token is) and the **lengths**
# record where each sentence really ends. `pad_sequence` does the padding for us.

# %%
encoded = [torch.tensor(toy_vocab.encode(tokenize(s))) for s in sentences]
lengths = torch.tensor([len(e) for e in encoded])
batch = pad_sequence(encoded, batch_first=True, padding_value=toy_vocab.pad_index)  # (batch, time)
mask = batch != toy_vocab.pad_index
print("lengths:", lengths.tolist(), "-> batch shape", tuple(batch.shape))
print(batch)
print(mask.int())

# %% [markdown]
# Padding has a cost: the model computes on the fillers too. Sorting or bucketing
# sentences by length keeps it small, and a `collate_fn` (lesson 5) is where a DataLoader
# would do this padding batch by batch.
#
# ## Step 5: embeddings
#
# An index is a name, not a quantity: word 7 is not "more" than word 3. The classic fix is a
# **one-hot** vector: as long as the vocabulary, all zeros except a 1 at the word's index.
# It works, but every pair of words is equally far apart, the vectors are as long as the
# vocabulary (50 000 words means 50 000 numbers per token), and they are almost all zeros.
#
# An **embedding** gives each word a short, dense vector of learned numbers instead.
# `nn.Embedding(num_words, dim)` is just a `(num_words, dim)` weight matrix; looking up an
# index returns that row. Training moves the rows so that words used alike get similar
# vectors. Multiplying a one-hot vector by the matrix selects the same row, so an embedding
# *is* a linear layer on one-hot inputs, computed without building the one-hot vectors.

# %%
embedding = nn.Embedding(num_embeddings=len(toy_vocab), embedding_dim=4, padding_idx=toy_vocab.pad_index)
one_hot = F.one_hot(batch, num_classes=len(toy_vocab)).float()  # (batch, time, vocab)
vectors = embedding(batch)                                       # (batch, time, 4)
print("indices", tuple(batch.shape), "-> one-hot", tuple(one_hot.shape), "-> embeddings", tuple(vectors.shape))
print("one-hot @ weight == lookup:", torch.allclose(one_hot @ embedding.weight, vectors))
print("the <pad> row stays zero:", embedding.weight[toy_vocab.pad_index].tolist())
print("'what' is", vectors[0, 0].tolist())

# %% [markdown]
# `padding_idx` pins the `<pad>` row at zero and keeps its gradient at zero, so fillers add
# nothing and are never trained.
#
# ## Step 6: a recurrent layer, unrolled by hand
#
# At time step $t$ a plain (Elman) RNN computes
#
# $$h_t = \tanh(x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh})$$
#
# from the input vector $x_t$ and the previous hidden state $h_{t-1}$, starting from
# $h_0 = 0$. $W_{ih}$ maps the input into the hidden space, $W_{hh}$ carries the past
# forward, and the same two matrices are used at every step. Drawing one copy of the cell
# per time step, each passing $h$ to the next, is called **unrolling** the network in time.
#
# With `batch_first=True`, `nn.RNN` takes a `(batch, time, features)` tensor and returns
# the hidden state at every step, `(batch, time, hidden)`, plus the final one,
# `(layers, batch, hidden)`. Let us compute the same thing with a loop.

# %%
rnn = nn.RNN(input_size=4, hidden_size=3, batch_first=True)
for name, parameter in rnn.named_parameters():
    print(f"{name:10} {tuple(parameter.shape)}")

x = vectors.detach()[:2]                      # two sentences: (batch=2, time=6, features=4)
outputs, h_last = rnn(x)
print("input", tuple(x.shape), "-> outputs", tuple(outputs.shape), "and h_n", tuple(h_last.shape))

# %%
h = torch.zeros(2, 3)                         # h_0: (batch, hidden)
by_hand = []
with torch.no_grad():
    for t in range(x.shape[1]):
        h = torch.tanh(x[:, t] @ rnn.weight_ih_l0.T + rnn.bias_ih_l0 + h @ rnn.weight_hh_l0.T + rnn.bias_hh_l0)
        by_hand.append(h)
        print(f"t={t}  token {toy_vocab.itos[batch[0, t]]!r:12} h = {h[0].tolist()}")
by_hand = torch.stack(by_hand, dim=1)         # (batch, time, hidden)
print("same as nn.RNN's outputs:", torch.allclose(by_hand, outputs, atol=1e-6))
print("h_n is the last step's output:", torch.allclose(h_last[0], outputs[:, -1]))

# %% [markdown]
# The loop matches `nn.RNN` to rounding error. Two things to notice:
#
# - Each step needs the previous one, so the steps cannot run in parallel: a long sequence
#   is slow however many cores there are. Within a step, all sentences of the batch *are*
#   processed together, which is why we padded them.
# - The first sentence has 5 tokens and one `<pad>`. The loop kept going through the padding,
#   so `h_n` is "after the padding", not "after the question mark". For a classifier that
#   reads the final state this matters.
#
# ## Reading the last real step: packed sequences
#
# `pack_padded_sequence` tells the RNN each sentence's length; it then stops each one at its
# own end, and `h_n` holds every sentence's state after its last real token.

# %%
packed = pack_padded_sequence(x, lengths[:2], batch_first=True, enforce_sorted=False)
_, h_packed = rnn(packed)
print("lengths:", lengths[:2].tolist())
print("h_n, padded run:", h_last[0, 0].tolist())
print("h_n, packed run:", h_packed[0, 0].tolist())
print("packed h_n == hand loop at the last real step:", torch.allclose(h_packed[0, 0], by_hand[0, lengths[0] - 1]))

# %% [markdown]
# ## A small question-answering model
#
# Now a real task. `learntorch.qa_pairs` holds questions about PyTorch and this course,
# each with the answer it should get; every topic is asked in five different ways.

# %%
print(len(QA_PAIRS), "question/answer pairs about", len(TOPICS), "topics, for example:")
for question, answer in QA_PAIRS[20:25]:
    print(f"  Q: {question}\n  A: {answer}")

# %% [markdown]
# Generating answers word by word is lesson 12's business. Here we treat it as
# **classification**: each of the topics is a class, the model reads a question and picks
# the class, and we print that class's answer. To find out whether the model understands
# questions or memorises them, we train on the first four wordings of every topic and keep
# the fifth aside as a test of new wordings. The vocabulary comes from the training
# questions only, exactly as it would in a real project.

# %%
answers = [answer for answer, _ in TOPICS]
train_pairs = [(q, topic) for topic, (_, qs) in enumerate(TOPICS) for q in qs[:4]]
test_pairs = [(qs[4], topic) for topic, (_, qs) in enumerate(TOPICS)]
vocab = Vocabulary.build(token for q, _ in train_pairs for token in tokenize(q))


def encode_batch(questions: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """Padded (batch, time) indices and each question's length."""
    encoded = [torch.tensor(vocab.encode(tokenize(q))) for q in questions]
    return (pad_sequence(encoded, batch_first=True, padding_value=vocab.pad_index),
            torch.tensor([len(e) for e in encoded]))


train_ids, train_lengths = encode_batch([q for q, _ in train_pairs])
train_topics = torch.tensor([topic for _, topic in train_pairs])
test_ids, test_lengths = encode_batch([q for q, _ in test_pairs])
test_topics = torch.tensor([topic for _, topic in test_pairs])
print(f"{len(train_pairs)} training and {len(test_pairs)} test questions; vocabulary of {len(vocab)} tokens")
print("training batch", tuple(train_ids.shape), "(questions, longest question in tokens)")

# %% [markdown]
# The model: embedding -> RNN -> a linear layer on the final hidden state, which summarises
# the question. Packing makes that state the one after the question's last real token.

# %%
class QuestionClassifier(nn.Module):
    def __init__(self, vocab_size: int, num_answers: int, embed_dim: int = 32, hidden_size: int = 64):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.rnn = nn.RNN(embed_dim, hidden_size, batch_first=True)
        self.classify = nn.Linear(hidden_size, num_answers)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        vectors = self.embedding(ids)                                   # (batch, time, embed)
        packed = pack_padded_sequence(vectors, lengths, batch_first=True, enforce_sorted=False)
        _, h_n = self.rnn(packed)                                       # (layers, batch, hidden)
        return self.classify(h_n[-1])                                   # (batch, answers)


model = QuestionClassifier(len(vocab), len(answers))
print(model)
print(sum(p.numel() for p in model.parameters()), "parameters")

# %% [markdown]
# The data fits in one tensor, so the loop shuffles indices itself rather than using a
# DataLoader: batches of 16 questions, Adam, cross-entropy.

# %%
def train_classifier(model: nn.Module, ids, lengths, topics, epochs: int) -> list[float]:
    """Adam on shuffled batches of 16 questions; returns the mean training loss of every epoch."""
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(topics))
        total = 0.0
        for batch_rows in order.split(16):
            logits = model(ids[batch_rows], lengths[batch_rows])
            loss = F.cross_entropy(logits, topics[batch_rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch_rows)
        losses.append(total / len(topics))
    return losses


def accuracy(model: nn.Module, ids, lengths, topics) -> float:
    model.eval()
    with torch.no_grad():
        return (model(ids, lengths).argmax(dim=1) == topics).float().mean().item()


epochs = pick(smoke=30, full=100)
start = time.perf_counter()
losses = train_classifier(model, train_ids, train_lengths, train_topics, epochs)
print(f"{epochs} epochs in {time.perf_counter() - start:.1f} s; final training loss {losses[-1]:.3f}")
print(f"accuracy on the training questions: {accuracy(model, train_ids, train_lengths, train_topics):.0%}")
print(f"accuracy on new wordings:           {accuracy(model, test_ids, test_lengths, test_topics):.0%}")

fig = plt.figure(figsize=(6, 3))
plt.plot(range(1, epochs + 1), losses)
plt.yscale("log")
plt.xlabel("epoch")
plt.ylabel("training loss (log scale)")
plt.title("Question classifier")
describe(fig, f"Training loss of the question classifier per epoch, log scale, over {epochs} epochs: "
         f"from {losses[0]:.2f} to {losses[-1]:.3f}.")
plt.show()

# %% [markdown]
# Compare the two accuracies: the training questions are learnt far better than the new
# wordings. Let us look at every held-out question: was it answered right, how confident was
# the model (the softmax probability of the answer it picked), and did the question contain
# words the vocabulary lacks?

# %%
model.eval()
with torch.no_grad():
    confidence, predicted = model(test_ids, test_lengths).softmax(dim=1).max(dim=1)
right = predicted == test_topics
has_unknown = torch.tensor([any(token not in vocab for token in tokenize(q)) for q, _ in test_pairs])
for (question, _), ok, p, unknown in zip(test_pairs, right, confidence, has_unknown):
    print(f"{'right' if ok else 'WRONG':5}  {p:4.0%}  {question}{'   [has <unk>]' if unknown else ''}")

print(f"\naccuracy, questions with only known words: {right[~has_unknown].float().mean():.0%} "
      f"of {(~has_unknown).sum()}")
print(f"accuracy, questions with unknown words:    {right[has_unknown].float().mean():.0%} of {has_unknown.sum()}")
print(f"mean confidence when right: {confidence[right].mean():.0%}, when wrong: {confidence[~right].mean():.0%}")

# %% [markdown]
# Now questions written for this page: paraphrases of topics it knows, and questions it
# cannot possibly answer. `ask` also shows what the model actually read.

# %%
def ask(question: str) -> None:
    tokens = tokenize(question)
    ids, length = encode_batch([question])
    with torch.no_grad():
        probabilities = model(ids, length).softmax(dim=1)[0]
    confidence, topic = probabilities.max(dim=0)
    read = " ".join(t if t in vocab else UNK for t in tokens)
    print(f"Q: {question}\n   reads: {read}\n   A ({confidence:.0%}): {answers[topic]}\n")


print("--- seen in training ---")
ask("What is dropout?")
print("--- paraphrased ---")
ask("What does a DataLoader return?")
ask("Tell me about the learning rate.")
ask("How can I make training stop by itself?")
ask("How do I add a filler token to short sentences?")
print("--- unanswerable ---")
ask("Who wrote the Sherlock Holmes stories?")
ask("What is the capital of France?")

# %% [markdown]
# What the experiments show:
#
# - **It matches surface patterns, it does not understand.** A question succeeds when its key
#   word *and* its frame resemble a training question. Change the frame ("Tell me about ..."
#   instead of "What is ...") or drop the key word ("make training stop by itself" for early
#   stopping) and the model has little to go on. The last few tokens weigh most in the final
#   hidden state, so a "What does X do?" question can drift towards whichever training
#   question ended the same way; the last section of this lesson measures why.
# - **Unknown words carry no meaning.** Words that were not in the training questions, like
#   "filler" or "tell", arrive as `<unk>`, and the model must make do with the rest of the
#   sentence; the two accuracies above show how much that costs on this data.
# - **It always answers, and confidence is a poor guide.** A softmax spreads probability over
#   the known answers only, so the question about France gets a PyTorch answer, and wrong
#   answers can come with high confidence. A real system needs a way to say "I don't know":
#   an explicit "none of the above" class trained on unrelated questions, or retrieval with a
#   similarity cut-off.
# - **A hundred and twenty sentences are very little data.** With four wordings per topic the
#   network can memorise them all, which is what the training loss near zero means. Models that
#   handle paraphrases learn from millions of sentences first, or start from pretrained word
#   vectors that already place "stop" near "halt".
#
# ## How far back can an RNN remember? Vanishing gradients
#
# Training adjusts the weights by back-propagating the loss. In an RNN the gradient that
# reaches an early time step has gone through the recurrence once per later step: by the
# chain rule it is multiplied by $\partial h_t / \partial h_{t-1} = \operatorname{diag}(1 -
# h_t^2)\,W_{hh}$ again and again. If these factors are mostly smaller than one, the gradient
# shrinks geometrically and early steps learn nothing (**vanishing gradients**); if larger, it
# grows geometrically and training blows up (**exploding gradients**).
#
# We can measure it. Feed a 60-step sequence through a freshly initialised RNN, take a loss
# on the last output only, and ask autograd for the gradient with respect to every input step.
# The norm at step $t$ says how much the loss can "feel" the input from $60 - t$ steps ago.

# %%
steps = 60


def gradient_by_distance(layer: nn.Module) -> torch.Tensor:
    """Norm of d(loss)/d(x_t) for each input step, ordered by distance from the last step."""
    x = torch.randn(32, steps, 16, requires_grad=True)                 # (batch, time, features)
    outputs, _ = layer(x)
    outputs[:, -1].sum().backward()                                    # a loss on the last step only
    return x.grad.norm(dim=(0, 2)).flip(0)                             # [0] = the last step


torch.manual_seed(0)
plain_rnn = nn.RNN(16, 64, batch_first=True)
big_rnn = nn.RNN(16, 64, batch_first=True)
with torch.no_grad():
    big_rnn.weight_hh_l0.mul_(4)                                       # larger recurrent weights
lstm = nn.LSTM(16, 64, batch_first=True)
open_lstm = nn.LSTM(16, 64, batch_first=True)
with torch.no_grad():
    open_lstm.bias_ih_l0[64:128] = 2.0                                 # forget gates start near 0.88

curves = {"RNN (default init)": gradient_by_distance(plain_rnn),
          "RNN, W_hh x 4": gradient_by_distance(big_rnn),
          "LSTM (default init)": gradient_by_distance(lstm),
          "LSTM, forget gates open": gradient_by_distance(open_lstm)}


def per_step_factor(norms: torch.Tensor, near: int = 1, far: int = 50) -> float:
    """The average factor by which the gradient norm changes per step back, from `near` to `far` steps back:
    norms[far] = norms[near] * factor ** (far - near)."""
    return (norms[far] / norms[near]).item() ** (1 / (far - near))


factors = {name: per_step_factor(norms) for name, norms in curves.items()}
for name, norms in curves.items():
    print(f"{name:24} 1 step back {norms[1]:8.2e} | 10 back {norms[10]:8.2e} | 50 back {norms[50]:8.2e}"
          f" | x{factors[name]:.2f} per step")

fig = plt.figure(figsize=(7, 3.5))
for name, norms in curves.items():
    plt.semilogy(norms, label=name)
plt.xlabel("time steps back from the loss")
plt.ylabel("gradient norm (log scale)")
plt.legend()
plt.title("How much of the gradient reaches earlier inputs")
describe(fig, f"Gradient norm, log scale, against the number of steps back from the loss (0 to {steps - 1}), for "
         "four freshly initialised recurrent layers. Average change per step back: "
         + ", ".join(f"{name} x{factor:.2f}" for name, factor in factors.items()) + ".")
plt.show()

# %% [markdown]
# The last column condenses each curve into one number: the average factor by which the
# gradient changes per step back, between 1 and 50 steps back. Below one the gradient
# vanishes, above one it explodes, and it is raised to the power of the distance, so a
# modest-looking factor decides everything 50 steps later.
#
# The plain RNN's gradient falls by orders of magnitude within a dozen steps: whatever
# happened 20 words ago barely influences learning. Making $W_{hh}$ four times larger pushes
# the per-step factor above one and the gradient **explodes** instead, growing geometrically
# with distance; one such gradient can throw the weights far off in a single update, which is
# why lesson 12 clips gradient norms. There is no comfortable setting in between: the factor
# depends on the weights *and* on the inputs, so even a well-tuned RNN drifts to one side.
#
# The LSTM curves preview lesson 12. An LSTM carries a separate **cell state** that is updated
# by *adding* new information, scaled by a **forget gate** $f_t$ between 0 and 1; back through
# one step the gradient along the cell is multiplied by $f_t$ alone, with no squashing
# nonlinearity. So the forget gates' values are what to look at. We compute them from the
# gate formula of lesson 12, $f_t = \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf})$,
# for every step of a random sequence, and set each LSTM's measured factor beside the plain
# RNN's:

# %%
def mean_forget_gate(layer: nn.LSTM) -> float:
    """The forget gate's average value over every step, unit and sequence of a random batch."""
    x = torch.randn(32, steps, 16)                                     # (batch, time, features)
    with torch.no_grad():
        outputs, _ = layer(x)                                          # h_1 .. h_T: (batch, time, hidden)
        previous = torch.cat([torch.zeros_like(outputs[:, :1]), outputs[:, :-1]], dim=1)  # h_0 .. h_{T-1}
        rows = slice(layer.hidden_size, 2 * layer.hidden_size)         # PyTorch stacks the gates i, f, g, o
        forget = torch.sigmoid(x @ layer.weight_ih_l0[rows].T + layer.bias_ih_l0[rows]
                               + previous @ layer.weight_hh_l0[rows].T + layer.bias_hh_l0[rows])
    return forget.mean().item()


print(f"{'':24}{'mean forget gate':>17}{'per step':>10}{'50 steps back, share of 1 step back':>37}")
for name, layer in (("RNN (default init)", None), ("LSTM (default init)", lstm), ("LSTM, forget gates open", open_lstm)):
    norms = curves[name]
    gate = "-" if layer is None else f"{mean_forget_gate(layer):.2f}"
    print(f"{name:24}{gate:>17}{'x' + format(factors[name], '.2f'):>10}{norms[50] / norms[1]:>37.1e}")

# %% [markdown]
# At PyTorch's default initialisation the forget gates sit near one half, and the default
# LSTM's gradient shrinks by the factor printed above at every step back: it does not halve
# exactly, because gradient also flows back through the hidden state and the other gates,
# but the factor stays well below one. Raised to the 49th power, such a factor leaves almost
# nothing: 50 steps back the default LSTM keeps a larger share of its gradient than the
# plain RNN, yet both shares are vanishingly small, so neither can learn from that far back.
# The LSTM's design alone is not the cure. What cures it is a forget gate that stays near 1:
# starting the forget gates' bias at 2 opens them, the factor per step comes close to one,
# and a usable share of the gradient survives all 60 steps. Gates are learnt, so a trained
# LSTM can decide, per feature, what to keep for a long time and what to forget; starting
# the forget bias above zero, as here, is a common way to give it long memory from the
# first step of training.
#
# ## Recap
#
# - Text becomes tensors in five steps: tokenize, build a vocabulary (training data only,
#   `<pad>` = 0, `<unk>` = 1), encode to indices, pad to a rectangle `(batch, time)` (keeping
#   lengths or a mask), look up embeddings `(batch, time, dim)`.
# - `nn.Embedding` is a trainable table, equivalent to a linear layer on one-hot vectors but
#   without the huge sparse inputs; `padding_idx` keeps the `<pad>` vector at zero.
# - An RNN applies $h_t = \tanh(x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh})$ at
#   every step with the same weights. With `batch_first=True` it maps `(batch, time, in)` to
#   outputs `(batch, time, hidden)` and `h_n` `(layers, batch, hidden)`.
# - Padded steps still update the state unless the sequence is packed:
#   `pack_padded_sequence` makes `h_n` the state after each sequence's real last token.
# - A question classifier trained on ~120 questions learns them by heart, matches key words in
#   new wordings, fails on paraphrases and unknown words, and answers even what it cannot know.
# - Gradients through a plain RNN shrink geometrically with distance (a factor per step below
#   one, raised to the distance), so it cannot learn long dependencies. The LSTM's gated,
#   additive cell state is the remedy only while its forget gates stay near 1: at PyTorch's
#   default initialisation they sit near one half, and its gradient vanished too.
#
# ## Exercises
#
# Each exercise has a worked solution under it. Try it yourself first, then open the
# solution and compare.
#
# **1.** Ignore padding by hand. Without packing, pick each sentence's state at its last
# real step from the padded `outputs` with `outputs[torch.arange(batch_size), lengths - 1]`.
# Check that it equals `h_packed[0]`.

# %% tags=["solution"]
# All four toy sentences this time (lengths 5, 5, 6, 5), so that the picked steps differ.
all_vectors = vectors.detach()                                          # (batch=4, time=6, features=4)
padded_outputs, _ = rnn(all_vectors)                                    # (4, 6, 3): every step, pads included
batch_size = all_vectors.shape[0]
last_real = padded_outputs[torch.arange(batch_size), lengths - 1]       # row b, step lengths[b] - 1: (4, 3)
_, h_all_packed = rnn(pack_padded_sequence(all_vectors, lengths, batch_first=True, enforce_sorted=False))
print("steps picked:", (lengths - 1).tolist())
print("picked states equal the packed h_n:", torch.allclose(last_real, h_all_packed[0], atol=1e-6))
# Indexing with two tensors pairs them up: row b of the batch, time step lengths[b] - 1.
# The padded run computes wasted steps after each sentence's end, but because a
# (one-directional) RNN only looks backwards, the state at the last real step is not
# changed by the padding that follows it. Packing saves those wasted steps and, unlike
# this trick, also works for the backward half of a bidirectional RNN (exercise 5).

# %% [markdown]
# **2.** One-hot inputs. Replace the classifier's `nn.Embedding` with `F.one_hot(ids,
# len(vocab)).float()` followed by `nn.Linear(len(vocab), 32, bias=False)`. Does it train to
# the same accuracy? Count parameters and compare the speed.

# %% tags=["solution"]
class OneHotClassifier(QuestionClassifier):
    def __init__(self, vocab_size: int, num_answers: int):
        super().__init__(vocab_size, num_answers)
        self.vocab_size = vocab_size
        self.embedding = nn.Linear(vocab_size, 32, bias=False)          # replaces the lookup table

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        one_hot = F.one_hot(ids, self.vocab_size).float()               # (batch, time) -> (batch, time, vocab)
        packed = pack_padded_sequence(self.embedding(one_hot), lengths, batch_first=True, enforce_sorted=False)
        _, h_n = self.rnn(packed)                                       # (layers, batch, hidden)
        return self.classify(h_n[-1])                                   # (batch, answers)


def train_and_score(make_model, seed: int = 0, data=(train_ids, train_lengths, train_topics)) -> tuple:
    """Build a model with `make_model()` after seeding, train it as above; (model, seconds, test accuracy)."""
    seed_everything(seed)
    candidate = make_model()
    began = time.perf_counter()
    train_classifier(candidate, *data, epochs)
    return candidate, time.perf_counter() - began, accuracy(candidate, test_ids, test_lengths, test_topics)


for name, make_model in (("nn.Embedding", lambda: QuestionClassifier(len(vocab), len(answers))),
                         ("one-hot + Linear", lambda: OneHotClassifier(len(vocab), len(answers)))):
    candidate, seconds, test_accuracy = train_and_score(make_model)
    print(f"{name:<17} {sum(p.numel() for p in candidate.parameters()):>6} parameters, "
          f"{seconds:.1f} s for {epochs} epochs, accuracy on new wordings {test_accuracy:.0%}")
# Same parameter count: the embedding table (157 x 32) and the Linear weight (32 x 157)
# hold the same numbers, and a one-hot vector times the weight selects one column, so the
# two models can compute exactly the same functions. They still start differently:
# nn.Embedding draws its rows from N(0, 1), nn.Linear from a uniform range of about
# +-1/sqrt(157) = +-0.08, and that is what makes their accuracies differ. With 157 words
# the one-hot tensor is small: compare the two training times above. With a real
# vocabulary it is not: time the first layer alone on a batch of 16 questions of 12
# tokens, with 50 000 words.
big_vocabulary = 50_000
ids = torch.randint(0, big_vocabulary, (16, 12))                        # (batch, time)
lookup, as_linear = nn.Embedding(big_vocabulary, 32), nn.Linear(big_vocabulary, 32, bias=False)
with torch.no_grad():
    for name, first_layer in (("lookup", lambda: lookup(ids)),
                              ("one-hot @ weight", lambda: as_linear(F.one_hot(ids, big_vocabulary).float()))):
        first_layer()                                                   # warm up
        began = time.perf_counter()
        for _ in range(5):
            first_layer()
        print(f"{name:<17} {(time.perf_counter() - began) / 5 * 1000:8.2f} ms per batch")
print(f"the one-hot batch alone: 16 x 12 x {big_vocabulary:,} floats = {16 * 12 * big_vocabulary * 4 / 1e6:.0f} MB")

# %% [markdown]
# **3.** GRU and LSTM. Swap `nn.RNN` for `nn.GRU`, then for `nn.LSTM` (its `h_n` is inside a
# tuple `(h_n, c_n)`). Train each with three different seeds and compare the accuracy on new
# wordings. Is one clearly better on questions this short?

# %% tags=["solution"]
class RecurrentClassifier(QuestionClassifier):
    def __init__(self, vocab_size: int, num_answers: int, layer_type=nn.RNN):
        super().__init__(vocab_size, num_answers)
        self.rnn = layer_type(32, 64, batch_first=True)                 # nn.RNN, nn.GRU or nn.LSTM

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        packed = pack_padded_sequence(self.embedding(ids), lengths, batch_first=True, enforce_sorted=False)
        _, state = self.rnn(packed)
        h_n = state[0] if isinstance(state, tuple) else state          # an LSTM returns (h_n, c_n)
        return self.classify(h_n[-1])


seeds = (0, 1, 2)
for layer_type in (nn.RNN, nn.GRU, nn.LSTM):
    runs = [train_and_score(lambda: RecurrentClassifier(len(vocab), len(answers), layer_type), seed) for seed in seeds]
    scores = [test_accuracy for _, _, test_accuracy in runs]
    print(f"{layer_type.__name__:<5} {sum(p.numel() for p in runs[0][0].parameters()):>6} parameters, "
          f"accuracy on new wordings per seed {[f'{score:.0%}' for score in scores]}, "
          f"mean {sum(scores) / len(scores):.0%}, {sum(seconds for _, seconds, _ in runs) / len(runs):.1f} s per run")
# With 30 test questions, one question is 3.3 points, so compare the gaps between the
# layer types with the spread across seeds before calling one better. These questions are
# only 3 to 12 tokens long, so the gradient has no long distance to survive; what gates
# can still do on short input is *choose what to keep*. A plain RNN rewrites its whole
# state at every token, so its final state leans on the last few tokens (the pattern seen
# in the held-out questions above); a GRU's update gate or an LSTM's forget gate can hold
# on to a key word like "dropout" while the rest of the question goes by. They pay for it
# in parameters (about two and a half times the RNN's, for the LSTM) and time. Whatever the
# layer, the ceiling is the data: four wordings per topic and the unknown words of new
# questions.

# %% [markdown]
# **4.** "I don't know". Add a 31st topic, "I can only answer questions about PyTorch and
# this course.", with a dozen unrelated questions (weather, sport, cooking). Do the
# unanswerable questions above now get it? What about questions on PyTorch topics the list
# lacks?

# %% tags=["solution"]
from textwrap import shorten

refusal = "I can only answer questions about PyTorch and this course."
unrelated = ["Will it rain tomorrow?", "Who won the football match?", "How do I bake bread?",
             "What is the weather like today?", "How long should I boil an egg?", "Who is the best tennis player?",
             "What is a good recipe for soup?", "When does the next train leave?", "Where can I buy shoes?",
             "How tall is the tallest mountain?", "What time is it in Tokyo?", "Who painted the Mona Lisa?"]
answers_31 = answers + [refusal]
pairs_31 = train_pairs + [(question, len(answers)) for question in unrelated]
vocab_31 = Vocabulary.build(token for q, _ in pairs_31 for token in tokenize(q))


def encode_with(vocabulary: Vocabulary, questions: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """encode_batch with another vocabulary."""
    encoded = [torch.tensor(vocabulary.encode(tokenize(q))) for q in questions]
    return pad_sequence(encoded, batch_first=True, padding_value=vocabulary.pad_index), torch.tensor([len(e) for e in encoded])


seed_everything(0)
model_31 = QuestionClassifier(len(vocab_31), len(answers_31))
train_classifier(model_31, *encode_with(vocab_31, [q for q, _ in pairs_31]),
                 torch.tensor([topic for _, topic in pairs_31]), epochs)
probes = {"unanswerable (from above)": ["Who wrote the Sherlock Holmes stories?", "What is the capital of France?"],
          "other off-topic questions": ["Is it going to snow?", "How do I cook pasta?", "Who is the president?"],
          "PyTorch topics the list lacks": ["What is torch.compile?", "How does mixed precision work?",
                                            "What is a transformer?"]}
model_31.eval()
refused = {}
for group, questions in probes.items():
    print(f"--- {group} ---")
    with torch.no_grad():
        probabilities = model_31(*encode_with(vocab_31, questions)).softmax(dim=1)
    for question, row in zip(questions, probabilities):
        confidence, topic = row.max(dim=0)
        verdict = "refuses" if topic == len(answers) else "answers"
        print(f"{verdict:<8} {confidence:4.0%}  {question}  ->  {shorten(answers_31[topic], 60, placeholder=' ...')}")
        refused[group] = refused.get(group, 0) + int(topic == len(answers))
print()
for group, questions in probes.items():
    print(f"{group}: {refused[group]} of {len(questions)} refused")
print(f"new wordings of the 30 topics still answered right: "
      f"{accuracy(model_31, *encode_with(vocab_31, [q for q, _ in test_pairs]), test_topics):.0%}")
# Count the refusals above. The new class learns what off-topic questions look like from
# twelve examples, which means it learns *their* words: "rain", "bake", "football".
# A new off-topic question shares few of them; its unknown words all read as the same
# <unk>, and its known frame ("what is the ... of ...?") is the frame of many PyTorch
# questions, so it can just as well land on a PyTorch answer. A PyTorch question about a
# topic the list lacks is no better off: the model cannot tell "a topic I was not taught"
# from "a topic I was taught, worded oddly". A class for "everything else" covers only
# the kinds of "else" it was shown; it needs many and varied examples, and a confidence
# threshold on top does not help much either (the wrong answers above can be confident).

# %% [markdown]
# **5.** Bidirectional. With `nn.RNN(..., bidirectional=True)`, `h_n` has two final states
# per sentence (forward and backward). Concatenate them for the classifier and explain the
# new shapes.

# %% tags=["solution"]
class BidirectionalClassifier(QuestionClassifier):
    def __init__(self, vocab_size: int, num_answers: int):
        super().__init__(vocab_size, num_answers)
        self.rnn = nn.RNN(32, 64, batch_first=True, bidirectional=True)
        self.classify = nn.Linear(2 * 64, num_answers)                  # both directions' final states

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        packed = pack_padded_sequence(self.embedding(ids), lengths, batch_first=True, enforce_sorted=False)
        _, h_n = self.rnn(packed)                                       # (2 directions, batch, 64)
        both = torch.cat([h_n[0], h_n[1]], dim=1)                       # forward, backward: (batch, 128)
        return self.classify(both)


seed_everything(0)
bidirectional = BidirectionalClassifier(len(vocab), len(answers))
outputs_bi, h_n_bi = bidirectional.rnn(bidirectional.embedding(train_ids[:4]))
print("outputs", tuple(outputs_bi.shape), "(batch, time, 2 x hidden); h_n", tuple(h_n_bi.shape),
      "(2 directions, batch, hidden)")
for name, make_model in (("one direction", lambda: QuestionClassifier(len(vocab), len(answers))),
                         ("bidirectional", lambda: BidirectionalClassifier(len(vocab), len(answers)))):
    candidate, seconds, test_accuracy = train_and_score(make_model)
    print(f"{name:<14} {sum(p.numel() for p in candidate.parameters()):>6} parameters, "
          f"accuracy on new wordings {test_accuracy:.0%}")
# The backward RNN reads each question from its last real token to its first (packing
# makes it start at the real end, not in the padding), so its final state summarises the
# question's *beginning*: "what is", "how do I", "explain". The forward state weighs the
# end most. The classifier sees both ends, twice the features, hence Linear(128, 30).
# outputs has 2 x 64 features per step: each step's forward and backward states side by
# side. Whether that helps on 30 test questions is printed above (one question is 3.3
# points; check another seed before trusting a gap of a question or two). Seeing both
# ends is not automatically better here: the opening words that the backward state
# summarises ("what is", "how do I", "explain") are shared by many topics and say little
# about which one is asked, yet they give the classifier 64 more features, and 8 000 more
# parameters, with which to memorise the four training wordings of each topic. A
# bidirectional layer pays off where both sides of a position carry information, as when
# every word of a sentence gets its own label.

# %% [markdown]
# **6.** Exploding gradients. Replace the `tanh` with `nonlinearity="relu"` in `big_rnn`
# and redo the gradient plot. Then train the question classifier with that RNN, with and
# without `torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)` before each step.

# %% tags=["solution"]
from functools import partial

torch.manual_seed(0)
relu_rnn = nn.RNN(16, 64, batch_first=True, nonlinearity="relu")
with torch.no_grad():
    relu_rnn.weight_hh_l0.mul_(4)                                       # as big_rnn, but with ReLU
relu_norms = gradient_by_distance(relu_rnn)
fig = plt.figure(figsize=(7, 3.5))
for name, norms in (("RNN tanh, W_hh x 4", curves["RNN, W_hh x 4"]), ("RNN ReLU, W_hh x 4", relu_norms)):
    plt.semilogy(norms, label=name)
plt.xlabel("time steps back from the loss")
plt.ylabel("gradient norm (log scale)")
plt.legend()
describe(fig, f"Gradient norm, log scale, against steps back, for the tanh RNN with W_hh x 4 (x"
         f"{factors['RNN, W_hh x 4']:.2f} per step) and the same with ReLU (x{per_step_factor(relu_norms):.2f} per step).")
plt.show()
print(f"ReLU, W_hh x 4: 1 step back {relu_norms[1]:.2e}, 50 back {relu_norms[50]:.2e}, "
      f"x{per_step_factor(relu_norms):.2f} per step (tanh: x{factors['RNN, W_hh x 4']:.2f})")


def train_with_clipping(make_optimizer, max_norm: float, relu_x4: bool = True) -> tuple[list[float], list[float], float]:
    """The lesson's classifier, trained like the lesson's but with clip_grad_norm_(max_norm) before each
    step; with relu_x4, its RNN uses ReLU and starts with W_hh 4x larger.
    Returns (epoch losses, gradient norms before clipping, accuracy on new wordings)."""
    seed_everything(0)
    candidate = QuestionClassifier(len(vocab), len(answers))
    if relu_x4:
        candidate.rnn = nn.RNN(32, 64, batch_first=True, nonlinearity="relu")
        with torch.no_grad():
            candidate.rnn.weight_hh_l0.mul_(4)
    optimizer = make_optimizer(candidate.parameters())
    epoch_losses, gradient_norms = [], []
    for epoch in range(epochs):
        candidate.train()
        total = 0.0
        for batch_rows in torch.randperm(len(train_topics)).split(16):
            loss = F.cross_entropy(candidate(train_ids[batch_rows], train_lengths[batch_rows]), train_topics[batch_rows])
            optimizer.zero_grad()
            loss.backward()
            # returns the norm *before* clipping; max_norm=inf measures without clipping anything
            gradient_norms.append(nn.utils.clip_grad_norm_(candidate.parameters(), max_norm).item())
            optimizer.step()
            total += loss.item() * len(batch_rows)
        epoch_losses.append(total / len(train_topics))
    return epoch_losses, gradient_norms, accuracy(candidate, test_ids, test_lengths, test_topics)


adam = partial(torch.optim.Adam, lr=3e-3)  # the lesson's optimizer: adam(params) builds one
sgd = partial(torch.optim.SGD, lr=0.1)
runs = {"tanh, as in the lesson, Adam": (adam, float("inf"), False),
        "ReLU x4, Adam": (adam, float("inf"), True),
        "ReLU x4, Adam, clipped": (adam, 1.0, True),
        "ReLU x4, SGD": (sgd, float("inf"), True),
        "ReLU x4, SGD, clipped": (sgd, 1.0, True)}
print(f"{'':<29}{'largest gradient norm':>22}{'final loss':>12}{'accuracy on new wordings':>26}")
for name, (make_optimizer, max_norm, relu_x4) in runs.items():
    epoch_losses, gradient_norms, test_accuracy = train_with_clipping(make_optimizer, max_norm, relu_x4)
    print(f"{name:<29}{max(gradient_norms):>22.3g}{epoch_losses[-1]:>12.3g}{test_accuracy:>26.0%}")
# With ReLU nothing squashes the hidden state, so the factor per step is larger than with
# tanh, whose slope is at most 1: compare the two factors printed above the table. These
# questions are only 3 to 12 tokens long, so the growth has few steps to compound, yet the
# ReLU runs' largest gradient norms stand far above the tanh model's in the first row.
# Clipping rescales the whole gradient to length 1 whenever it is longer, keeping its
# direction, so no single batch can throw the weights far (the norms in the table are
# measured before clipping, which is why the clipped runs show large ones too). A run
# wrecked by an exploding gradient would show "nan" or "inf" in the loss column; over so
# few steps, look whether any did. Here every ReLU x4 version, clipped or not, fits the
# training questions yet answers new wordings worse than the tanh model: large, erratic
# gradients make for a poor fit even when they stay finite. Over long sequences the growth
# compounds (over 50 steps, the ratio printed above the table), and there, as in lesson 12,
# clipping is what keeps one batch from wrecking the weights.

# %% [markdown]
# ## Next
#
# Above, an LSTM kept its gradient over long distances only once its forget gates were
# open. [Lesson 12: LSTM next-word prediction](../12_lstm_next_word/) opens the LSTM cell,
# checks one step by hand, and trains it to predict the next word of the Sherlock Holmes
# stories, with dropout and gradient clipping.
