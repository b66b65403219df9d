"""Timing shared by the benchmark scripts (run as `python benchmarks/<script>.py`, so this folder is on the path)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def clock(function: Callable[[], T], repeat: int = 1) -> tuple[float, T]:
    """Best wall time of `repeat` calls of `function`, and the last call's result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result  # type: ignore[return-value]
