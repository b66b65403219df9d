"""Networks for feature vectors (patient records, cytology features)."""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn


class MLP(nn.Sequential):
    """Fully connected layers with ReLU and dropout, ending in `num_outputs` logits."""

    def __init__(self, in_features: int, num_outputs: int, hidden_sizes: Sequence[int] = (64, 32), dropout: float = 0.1):
        layers: list[nn.Module] = []
        width = in_features
        for hidden in hidden_sizes:
            layers += [nn.Linear(width, hidden), nn.ReLU(), nn.Dropout(dropout)]
            width = hidden
        layers.append(nn.Linear(width, num_outputs))
        super().__init__(*layers)
