"""Planner with the rotation rule (G11) at county scale: ``python -m benchmarks planner_rotation``
(figures in benchmarks/results/planner_rotation.json; JUNHENG_BENCH_SIZES as for ``planner``)."""

from __future__ import annotations

from benchmarks.bench_planner import rotation_run


def run() -> dict:
    return rotation_run()
