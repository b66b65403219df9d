"""A sequence baseline for patient timelines: a GRU over code tokens and the time before the prediction.

Its input is the (batch, length, 2) tensor of :func:`medbench.data.timeline.features.token_sequences`:
channel 0 the token id (0 padding, 1 unknown code), channel 1 log1p(days before the prediction
time). Each step embeds the token, appends the time, and the GRU's last state gives
`num_outputs` logits. It is a `net`: `ClassifierModule` trains it for binary and next-event tasks,
`DeepSurvModule` on the Cox likelihood for time-to-event tasks.
"""

from __future__ import annotations

import torch
from torch import nn


class CodeGRU(nn.Module):
    def __init__(self, vocab_size: int, num_outputs: int, embedding_dim: int = 32, hidden_size: int = 64, dropout: float = 0.1) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
        self.gru = nn.GRU(embedding_dim + 1, hidden_size, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, num_outputs)

    def forward(self, sequences: torch.Tensor) -> torch.Tensor:
        tokens = sequences[..., 0].long()
        steps = torch.cat([self.embedding(tokens), sequences[..., 1:2]], dim=-1)
        _, last = self.gru(steps)
        return self.head(self.dropout(last[-1]))
