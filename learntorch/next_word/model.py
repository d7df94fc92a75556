"""The next-word LSTM of lesson 12: embedding -> LSTM -> linear layer over the vocabulary."""

import torch
from torch import nn


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
