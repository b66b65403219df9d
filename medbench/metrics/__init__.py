"""Metric functions on stored predictions: retrieval (trec_eval semantics), clinical, survival.

Numpy only, so that re-scoring a record never imports torch.
"""
