"""Metrics on stored predictions, found by name through :mod:`medbench.metrics.registry`.

One module per task kind registers its metrics (binary, multiclass, multilabel, retrieval with
trec_eval semantics; survival from its owner). Numpy, scipy, pandas and pyarrow only, so that
re-scoring a record never imports torch.
"""
