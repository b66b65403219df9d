"""Evaluation on top of the record: scoring a task's outputs into metrics with intervals, and paired comparison of two runs."""
