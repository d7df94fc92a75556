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
def accuracy(ids, lengths, topics) -> float:
    model.eval()
    with torch.no_grad():
        return (model(ids, lengths).argmax(dim=1) == topics).float().mean().item()


optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
epochs = pick(smoke=30, full=100)
losses = []
start = time.perf_counter()
for epoch in range(epochs):
    model.train()
    order = torch.randperm(len(train_pairs))
    total = 0.0
    for batch_rows in order.split(16):
        logits = model(train_ids[batch_rows], train_lengths[batch_rows])
        loss = F.cross_entropy(logits, train_topics[batch_rows])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(batch_rows)
    losses.append(total / len(train_pairs))
print(f"{epochs} epochs in {time.perf_counter() - start:.1f} s; final training loss {losses[-1]:.3f}")
print(f"accuracy on the training questions: {accuracy(train_ids, train_lengths, train_topics):.0%}")
print(f"accuracy on new wordings:           {accuracy(test_ids, test_lengths, test_topics):.0%}")

plt.figure(figsize=(6, 3))
plt.plot(range(1, epochs + 1), losses)
plt.yscale("log")
plt.xlabel("epoch")
plt.ylabel("training loss (log scale)")
plt.title("Question classifier")
plt.show()

# %% [markdown]
# The training questions are learnt perfectly; the new wordings much less well. Let us look
# at every held-out question: was it answered right, how confident was the model (the softmax
# probability of the answer it picked), and did the question contain words the vocabulary
# lacks?

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
for name, norms in curves.items():
    print(f"{name:26} 1 step back {norms[1]:9.2e} | 10 back {norms[10]:9.2e} | 50 back {norms[50]:9.2e}")

plt.figure(figsize=(7, 3.5))
for name, norms in curves.items():
    plt.semilogy(norms, label=name)
plt.xlabel("time steps back from the loss")
plt.ylabel("gradient norm (log scale)")
plt.legend()
plt.title("How much of the gradient reaches earlier inputs")
plt.show()

# %% [markdown]
# The plain RNN's gradient falls by orders of magnitude within a dozen steps: whatever
# happened 20 words ago barely influences learning. Making $W_{hh}$ four times larger pushes
# the per-step factors above one and the gradient **explodes** instead, growing with every
# step back; one such gradient can throw the weights far off in a single update, which is
# why lesson 12 clips gradient norms. There is no comfortable setting in between: the factor
# depends on the weights *and* on the inputs, so even a well-tuned RNN drifts to one side.
#
# The LSTM curves preview lesson 12. An LSTM carries a separate **cell state** that is updated
# by *adding* new information, scaled by a **forget gate** $f_t$ between 0 and 1; back through
# one step the gradient along the cell is multiplied by $f_t$ alone, with no squashing
# nonlinearity. At PyTorch's default initialisation $f_t \approx 0.5$ and the gradient still
# halves every step; but when the forget gates are open (here by starting their bias at 2) the
# gradient survives all 60 steps. Gates are learnt, so a trained LSTM can decide, per feature,
# what to keep for a long time and what to forget.
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
# - Gradients through a plain RNN shrink geometrically with distance, so it cannot learn long
#   dependencies; the LSTM's gated, additive cell state is the remedy.
#
# ## Exercises
#
# 1. **Ignore padding by hand.** Without packing, pick each sentence's state at its last real
#    step from the padded `outputs` with `outputs[torch.arange(batch_size), lengths - 1]`. Check
#    that it equals `h_packed[0]`.
# 2. **One-hot inputs.** Replace the classifier's `nn.Embedding` with `F.one_hot(ids,
#    len(vocab)).float()` followed by `nn.Linear(len(vocab), 32, bias=False)`. Does it train to
#    the same accuracy? Count parameters and compare the speed.
# 3. **GRU and LSTM.** Swap `nn.RNN` for `nn.GRU`, then for `nn.LSTM` (its `h_n` is inside a
#    tuple `(h_n, c_n)`). Train each with three different seeds and compare the accuracy on new
#    wordings. Is one clearly better on questions this short?
# 4. **"I don't know".** Add a 31st topic, "I can only answer questions about PyTorch and this
#    course.", with a dozen unrelated questions (weather, sport, cooking). Do the unanswerable
#    questions above now get it? What about questions on PyTorch topics the list lacks?
# 5. **Bidirectional.** With `nn.RNN(..., bidirectional=True)`, `h_n` has two final states per
#    sentence (forward and backward). Concatenate them for the classifier and explain the new
#    shapes.
# 6. **Exploding gradients.** Replace the `tanh` with `nonlinearity="relu"` in `big_rnn` and
#    redo the gradient plot. Then train the question classifier with that RNN, with and without
#    `torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)` before each step.
