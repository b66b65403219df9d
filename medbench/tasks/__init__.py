"""Evaluation protocols: how a task kind lays out its predictions and which metrics read them."""
