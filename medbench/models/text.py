"""Text classification baselines for French and English notes: TF-IDF + logistic regression, and a TextCNN.

`TextCNN` (Kim, 2014) reads hashed word ids (:mod:`medbench.data.tokenize`), so it takes raw
texts and needs no vocabulary fitted anywhere: parallel convolutions of widths 1–3 over word
embeddings see words and short phrases (`douleur thoracique`), max-pooled over the note.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Optional

import torch
from torch import nn

from medbench.data.tokenize import PADDING_ID, hashed_ids


class TextCNN(nn.Module):
    """Hashed word embeddings → convolutions of several widths → max over time → linear logits."""

    def __init__(
        self,
        num_outputs: int,
        n_buckets: int = 2**14,
        embedding_dim: int = 48,
        kernel_sizes: Sequence[int] = (1, 2, 3),
        channels: int = 48,
        max_length: int = 256,
        dropout: float = 0.2,
    ) -> None:
        super().__init__()
        self.n_buckets, self.max_length, self.min_length = n_buckets, max_length, max(kernel_sizes)
        self.embedding = nn.Embedding(n_buckets, embedding_dim, padding_idx=PADDING_ID)
        self.convolutions = nn.ModuleList(nn.Conv1d(embedding_dim, channels, k) for k in kernel_sizes)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(channels * len(kernel_sizes), num_outputs)

    def token_ids(self, texts: Sequence[str]) -> torch.Tensor:
        """(batch, length) ids, padded with 0 to the longest text (at least the widest kernel)."""
        rows = [hashed_ids(text, self.n_buckets, self.max_length) for text in texts]
        length = max([self.min_length, *map(len, rows)])
        ids = torch.full((len(rows), length), PADDING_ID, dtype=torch.long)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = torch.tensor(row, dtype=torch.long)
        return ids.to(self.embedding.weight.device)

    def forward(self, texts: Sequence[str]) -> torch.Tensor:
        embedded = self.embedding(self.token_ids(texts)).transpose(1, 2)
        pooled = [torch.relu(conv(embedded)).amax(dim=2) for conv in self.convolutions]
        return self.head(self.dropout(torch.cat(pooled, dim=1)))


# Terms of a text model's vocabulary must appear in at least this many training documents: a
# rarer n-gram (a name, a date, a record number) could identify a patient once the model leaves.
MIN_DOCUMENT_FREQUENCY = 5


def tfidf_logistic_regression(
    ngram_range: Sequence[int] = (1, 2),
    min_df: int = MIN_DOCUMENT_FREQUENCY,
    sublinear_tf: bool = True,
    C: float = 10.0,
    class_weight: Optional[str] = None,
    max_iter: int = 2000,
) -> Any:
    """TF-IDF of words and word n-grams (Unicode-aware, accents kept) + L2 logistic regression.

    A scikit-learn pipeline for :class:`medbench.models.sklearn.SklearnClassifier`, built here
    because YAML cannot spell the tuple `ngram_range` that scikit-learn insists on. `min_df` (an
    integer: a number of training documents) is the k below which a term is left out of the
    vocabulary, so that the model can be shared (docs/security.md).
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(
        TfidfVectorizer(ngram_range=tuple(ngram_range), min_df=min_df, sublinear_tf=sublinear_tf),
        LogisticRegression(C=C, class_weight=class_weight, max_iter=max_iter),
    )


def vocabulary_info(estimator: Any, texts: Sequence[str]) -> Optional[dict[str, int]]:
    """`{min_document_frequency, terms, left_out}` of a fitted TF-IDF step, None without one.

    `left_out` counts the distinct terms of the training texts that are not in the vocabulary
    (seen in fewer than `min_df` documents): what the record and the export report as left out.
    If scikit-learn kept them (`stop_words_`), they are deleted: they are exactly the rare n-grams
    that must not leave.
    """
    for step in getattr(estimator, "named_steps", {}).values():
        if hasattr(step, "vocabulary_") and hasattr(step, "build_analyzer"):
            if hasattr(step, "stop_words_"):
                del step.stop_words_
            analyse = step.build_analyzer()
            seen = set()
            for text in texts:
                seen.update(analyse(text))
            min_df = step.min_df if isinstance(step.min_df, int) else 0
            return {"min_document_frequency": min_df, "terms": len(step.vocabulary_), "left_out": len(seen - set(step.vocabulary_))}
    return None
