"""Timing helper shared by the benchmarks: repeated runs, median and spread in seconds."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def measure(fn: Callable[[], object], *, repeat: int = 7, warmup: int = 1, target_s: float | None = None) -> dict:
    """Return {median_s, min_s, max_s, runs, target_s} for ``fn`` run ``repeat`` times after warm-up."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    out = {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times), "runs": repeat}
    if target_s is not None:
        out["target_s"] = target_s
    return out
