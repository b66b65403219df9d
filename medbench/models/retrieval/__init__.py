"""Retrievers: rank a corpus for each query (BM25, dense bi-encoders, a partner's TREC run)."""
