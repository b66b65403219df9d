"""TF-IDF + linear classifier as plain arrays, scored by medbench's own transform: text models that travel.

ONNX cannot mimic scikit-learn's tokenizer (its probabilities differ by 0.3 and more), so a fitted
TF-IDF pipeline was never kept. Its learned state is only arrays: the vocabulary (terms in column
order), the idf weights, the classifier's coefficients and intercepts. They are written to one
`.tfidf.npz` (strings as fixed-width Unicode arrays, settings as a JSON string, so that
`np.load(allow_pickle=False)` reads it) and scored here with the same word analysis, sublinear tf,
idf, L2 norm and link (sigmoid, softmax, or one sigmoid per label) as the pipeline. A file is kept
only if it gives the pipeline's probabilities within `FAITHFUL` on the rows it was fitted on.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import numpy as np

from medbench.errors import ConfigError, DataError, RecordError
from medbench.records.record import TFIDF_CHECKPOINT_SUFFIX

log = logging.getLogger(__name__)

SUFFIX = TFIDF_CHECKPOINT_SUFFIX
FORMAT = "tfidf-arrays"
FAITHFUL = 1e-6
# What the transform reproduces of TfidfVectorizer: any other setting keeps the ONNX path.
_DEFAULTS = {"analyzer": "word", "tokenizer": None, "preprocessor": None, "stop_words": None, "strip_accents": None,
             "binary": False, "use_idf": True, "vocabulary": None}
LINKS = ("sigmoid", "softmax", "sigmoid_per_label")


@dataclass(frozen=True)
class TfidfArrays:
    """A fitted TF-IDF text classifier as arrays; `predict_proba(texts)` as the pipeline gives it."""

    terms: np.ndarray  # (n_terms,) str, in column order
    idf: np.ndarray  # (n_terms,)
    coef: np.ndarray  # (n_outputs, n_terms)
    intercept: np.ndarray  # (n_outputs,)
    token_pattern: str
    ngram_range: tuple[int, int]
    lowercase: bool
    sublinear_tf: bool
    norm: Optional[str]
    link: str  # see LINKS

    def features(self, texts: Sequence[str]) -> Any:
        """The (n, n_terms) TF-IDF matrix, sparse (CSR), as the vectorizer computes it."""
        from collections import Counter

        from scipy import sparse

        column = {term: index for index, term in enumerate(self.terms.tolist())}
        pattern = re.compile(self.token_pattern)
        low, high = self.ngram_range
        rows: list[int] = []
        columns: list[int] = []
        counts: list[float] = []
        for row, text in enumerate(texts):
            tokens = pattern.findall(text.lower() if self.lowercase else text)
            found = Counter(
                index
                for n in range(low, high + 1)
                for start in range(len(tokens) - n + 1)
                if (index := column.get(" ".join(tokens[start : start + n]))) is not None
            )
            rows += [row] * len(found)
            columns += list(found)
            counts += [float(count) for count in found.values()]
        values = np.asarray(counts, dtype=np.float64)
        if self.sublinear_tf:
            values = np.log(values) + 1.0
        values *= self.idf[np.asarray(columns, dtype=np.int64)]
        matrix = sparse.csr_matrix((values, (rows, columns)), shape=(len(texts), len(column)))
        if self.norm is not None:
            lengths = np.asarray(abs(matrix).sum(axis=1) if self.norm == "l1" else np.sqrt(matrix.multiply(matrix).sum(axis=1))).ravel()
            matrix = sparse.diags(1.0 / np.where(lengths == 0, 1.0, lengths)) @ matrix
        return matrix

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        logits = np.asarray(self.features(texts) @ self.coef.T) + self.intercept
        if self.link == "sigmoid":  # binary: one coefficient row, probability of class 1
            positive = 1.0 / (1.0 + np.exp(-logits[:, 0]))
            return np.column_stack([1.0 - positive, positive])
        if self.link == "softmax":
            shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
            return shifted / shifted.sum(axis=1, keepdims=True)
        return 1.0 / (1.0 + np.exp(-logits))

    def write(self, path: Path) -> Path:
        settings = {"format": FORMAT, "token_pattern": self.token_pattern, "ngram_range": list(self.ngram_range),
                    "lowercase": self.lowercase, "sublinear_tf": self.sublinear_tf, "norm": self.norm, "link": self.link}
        with open(path, "wb") as handle:
            np.savez(handle, terms=self.terms.astype(str), idf=self.idf, coef=self.coef, intercept=self.intercept,
                     settings=np.array(json.dumps(settings, sort_keys=True)))
        return path


def read_tfidf(path: Path) -> TfidfArrays:
    """The arrays of a `.tfidf.npz`, read without unpickling anything."""
    try:
        with np.load(path, allow_pickle=False) as arrays:
            settings = json.loads(str(arrays["settings"]))
            data = {name: arrays[name] for name in ("terms", "idf", "coef", "intercept")}
    except (OSError, ValueError, KeyError) as error:
        raise RecordError(f"{path}: not a medbench TF-IDF model ({error})") from None
    if settings.get("format") != FORMAT or settings.get("link") not in LINKS:
        raise RecordError(f"{path}: not a medbench TF-IDF model (format {settings.get('format')!r})")
    low, high = settings["ngram_range"]
    return TfidfArrays(
        terms=data["terms"], idf=data["idf"].astype(np.float64), coef=data["coef"].astype(np.float64),
        intercept=data["intercept"].astype(np.float64), token_pattern=str(settings["token_pattern"]),
        ngram_range=(int(low), int(high)), lowercase=bool(settings["lowercase"]), sublinear_tf=bool(settings["sublinear_tf"]),
        norm=settings["norm"], link=settings["link"],
    )


def tfidf_arrays(estimator: Any) -> Optional[TfidfArrays]:
    """The arrays of a fitted TfidfVectorizer → LogisticRegression pipeline (one-vs-rest too); None for anything else."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    steps = [step for _, step in getattr(estimator, "steps", [])]
    if len(steps) != 2 or type(steps[0]) is not TfidfVectorizer:
        return None
    vectorizer, classifier = steps
    if any(vectorizer.get_params()[name] != value for name, value in _DEFAULTS.items()) or vectorizer.norm not in ("l2", "l1", None):
        return None
    if isinstance(classifier, OneVsRestClassifier) and all(type(one) is LogisticRegression for one in classifier.estimators_):
        if not getattr(classifier, "multilabel_", False):
            return None
        coef = np.vstack([one.coef_ for one in classifier.estimators_])
        intercept = np.concatenate([one.intercept_ for one in classifier.estimators_])
        link = "sigmoid_per_label"
    elif type(classifier) is LogisticRegression:
        coef, intercept = classifier.coef_, classifier.intercept_
        link = "sigmoid" if coef.shape[0] == 1 else "softmax"
    else:
        return None
    terms = np.empty(len(vectorizer.vocabulary_), dtype=object)
    for term, index in vectorizer.vocabulary_.items():
        terms[index] = term
    return TfidfArrays(
        terms=terms.astype(str), idf=np.asarray(vectorizer.idf_, dtype=np.float64), coef=np.asarray(coef, dtype=np.float64),
        intercept=np.asarray(intercept, dtype=np.float64), token_pattern=vectorizer.token_pattern,
        ngram_range=tuple(vectorizer.ngram_range), lowercase=bool(vectorizer.lowercase), sublinear_tf=bool(vectorizer.sublinear_tf),
        norm=vectorizer.norm, link=link,
    )


def write_tfidf(estimator: Any, sample: Sequence[str], target: Path) -> Optional[Path]:
    """`estimator` as `target` (.tfidf.npz) if it is a TF-IDF pipeline these arrays reproduce on `sample`; else None."""
    arrays = tfidf_arrays(estimator)
    if arrays is None:
        return None
    difference = float(np.max(np.abs(arrays.predict_proba(list(sample)) - estimator.predict_proba(list(sample)))))
    if not difference <= FAITHFUL:
        log.warning("model not kept: its TF-IDF arrays differ from the fitted pipeline by %.3g; it is retrained from its config", difference)
        return None
    return arrays.write(target)


class TfidfArraysModel:
    """A TF-IDF text classifier kept as arrays (a record's or bundle's `model.tfidf.npz`), scored, never trained.

    What a partner runs on their own notes with a bundle's weights: `model=tfidf_arrays model.path=...`.
    """

    def __init__(self, path: str, task_kind: str, sha256: Optional[str] = None) -> None:
        from medbench.models.external import existing_file
        from medbench.tasks.registry import classes_of

        if classes_of(task_kind) is None:
            raise ConfigError(f"model: a TF-IDF model scores classification tasks, not task kind {task_kind!r}")
        self.path = existing_file(path, "model.path", sha256)
        self.task_kind = task_kind
        self.arrays = read_tfidf(self.path)

    def fit(self, train: Any, val: Any) -> None:
        if len(train.inputs) and not isinstance(train.inputs[0], str):
            raise DataError(f"model.path: {self.path.name} scores texts; the task's samples are not texts")

    def predict_scores(self, split: Any) -> np.ndarray:
        from medbench.models.onnx import scores_from_outputs

        return scores_from_outputs(self.arrays.predict_proba(list(split.inputs)), self.task_kind, "probabilities")

    def save(self, path: Path) -> Optional[Path]:
        from medbench.models.external import keep_copy

        return keep_copy(self.path, path, SUFFIX)

    def parameter_count(self) -> Optional[int]:
        return int(self.arrays.coef.size + self.arrays.intercept.size)
