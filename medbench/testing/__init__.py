"""Helpers for tests and benchmarks: synthetic run records and entries written through the real code paths."""
