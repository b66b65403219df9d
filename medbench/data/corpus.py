"""The documents and queries of a retrieval task, as retrievers see them (no torch here).

A retrieval split's `inputs` is a :class:`RetrievalInputs`: the split's query texts, aligned with
its ids, and the one corpus every split searches. Retrievers index the corpus in `fit` and rank
it for the queries in `predict_scores`, so no model needs to know where the data came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from medbench.records.fingerprint import content_hash


@dataclass(frozen=True)
class Corpus:
    """Documents in file order: ids (unique strings), titles (may be empty) and texts."""

    ids: np.ndarray
    titles: list[str]
    texts: list[str]

    def __len__(self) -> int:
        return len(self.ids)

    def documents(self) -> list[str]:
        """Title and text of each document as one string (the BEIR convention for lexical and dense retrieval)."""
        return [f"{title} {text}" if title else text for title, text in zip(self.titles, self.texts)]

    @cached_property
    def fingerprint(self) -> str:
        """Content hash of ids, titles and texts: keys caches of anything derived from the corpus."""
        return content_hash((self.ids, self.titles, self.texts))


@dataclass(frozen=True)
class RetrievalInputs:
    """The inputs of a retrieval split: query texts (aligned with the split's ids) and the corpus."""

    texts: list[str]
    corpus: Corpus = field(repr=False)

    def __len__(self) -> int:
        return len(self.texts)
