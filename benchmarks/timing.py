"""Timing helper shared by the benchmarks: repeated runs, median and spread in seconds."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def summary(times: list[float], target_s: float | None = None) -> dict:
    """Return {median_s, min_s, max_s, runs, target_s (when given)} of timings in seconds."""
    out = {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times),
           "runs": len(times)}
    if target_s is not None:
        out["target_s"] = target_s
    return out


def measure(fn: Callable[[], object], *, repeat: int = 7, warmup: int = 1, target_s: float | None = None) -> dict:
    """Return {median_s, min_s, max_s, runs, target_s} for ``fn`` run ``repeat`` times after warm-up."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return summary(times, target_s)


def measure_paired(fn: Callable[[], object], floor: Callable[[], object], *, repeat: int = 7,
                   warmup: int = 1, target_s: float | None = None) -> dict:
    """Time ``fn`` and ``floor`` alternately, ``repeat`` pairs after warm-up, and return
    ``measure``'s figures of ``fn`` with ``floor_median_s``, ``x_floor`` (the ratio of the
    medians) and ``x_floor_pairs`` (each pair's ratio).

    Each ratio compares two timings taken a moment apart: this machine's speed changes within
    minutes (``host_speed``), and two blocks timed one after the other can straddle a change."""
    for _ in range(warmup):
        floor()
        fn()
    times, floors = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        floor()
        t1 = time.perf_counter()
        fn()
        t2 = time.perf_counter()
        floors.append(t1 - t0)
        times.append(t2 - t1)
    floor_median = statistics.median(floors)
    return {**summary(times, target_s), "floor_median_s": floor_median,
            "x_floor": statistics.median(times) / floor_median,
            "x_floor_pairs": [round(a / b, 3) for a, b in zip(times, floors, strict=True)]}


def host_speed(rounds: int = 5) -> dict:
    """Return how fast this machine runs fixed work right now, to read the figures beside it.

    The machine is a shared virtual one whose speed changes from hour to hour (the same code
    measured 1.5–2.4 × slower in one afternoon than the morning before, issue 15): the page
    reruns are Python-bound (Streamlit), the demo's evaluation is mostly numpy's call overhead.
    Each figure is the best of ``rounds``:

    - ``python_loop_ms``: ``sum(i * i for i in range(10_000))`` (the interpreter alone);
    - ``numpy_call_us``: one ``np.add.reduce`` of 100 floats (numpy's per-call overhead).
    """
    import numpy as np

    def best(fn: Callable[[], object], number: int) -> float:
        out = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            out.append((time.perf_counter() - t0) / number)
        return min(out)

    values = np.ones(100)
    return {"python_loop_ms": best(lambda: sum(i * i for i in range(10_000)), 50) * 1e3,
            "numpy_call_us": best(lambda: np.add.reduce(values), 2_000) * 1e6}
