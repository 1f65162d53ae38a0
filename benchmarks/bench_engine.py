"""Engine benchmarks: the demo county and a synthetic country, each beside a numpy floor.

The floor is a plain numpy single pass over the same per-unit arrays (values, enrolments, group
codes): weighted means and CVs by ``np.bincount``, no units built, no scope rules, no tables.
Targets (issue 15): the demo under 10 ms; the country under 1 s and within 5 × its floor
(``x_floor`` is the ratio of the medians).  ``evaluate`` and its floor are timed in turns, one
of each at a time (``timing.measure_paired``, each pair's ratio in ``x_floor_pairs``): this
machine changes speed within minutes, and the two timed one block after the other (as before
2026-11-30 21:20) could straddle a change, which moved the ratio by up to a fifth.

``evaluate`` makes what a verdict needs (units' numbers and school rule, indicators,
composites, verdicts) and leaves the explanatory columns and tables to their first read
(docs/method.md §8): the headline figures time ``evaluate`` itself; beside them,
``evaluate_country_all_tables`` times ``evaluate`` and the first read of every lazy frame of
every county (both units frames and the school-rule frame: all the old eager call made) and
``evaluate_demo_all_tables`` the same for the demo.

Beside the headline figures, for the country: the time of each stage of ``evaluate`` (its
functions timed in place, one run at a time), the process's CPU time, page faults and the time
to free a result (the headline figure includes it: ``measure`` drops each result before it
reads the clock), the cost of the output's memory alone (every column of every frame copied
once: what any engine would spend to hand the same frames over) and two pyarrow figures for
the choice of engine (its group-by of the floor's first pass, and turning Arrow tables into the
pandas frames the pages read). ``benchmarks/engine_options.py`` adds Polars and DuckDB
(``benchmarks/engine_options.json``).
"""

from __future__ import annotations

import os
import resource
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from benchmarks.synthetic import synthetic_country
from benchmarks.timing import measure, measure_paired
from dashboard.method import engine
from dashboard.method.engine import evaluate
from dashboard.method.standards import BASIC_IDS, QUALITY_IDS
from dashboard.store.demo import build_demo

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo-990101-2024" / "schools.parquet"


def _floor_arrays(ev) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, int]]:
    out = []
    for scheme, ids in (("basic", BASIC_IDS), ("quality", QUALITY_IDS)):
        u = ev.units[scheme]
        codes, uniq = pd.MultiIndex.from_frame(u[["county_code", "year", "stage"]]).factorize()
        out.append((u[list(ids)].to_numpy(dtype=float), u["students"].to_numpy(dtype=float), codes, len(uniq)))
    return out


def _numpy_floor(arrays) -> None:
    for x, w, g, k in arrays:
        sw = np.bincount(g, weights=w, minlength=k)
        for j in range(x.shape[1]):
            m = np.bincount(g, weights=w * x[:, j], minlength=k) / sw
            d = x[:, j] - m[g]
            np.sqrt(np.bincount(g, weights=w * d * d, minlength=k) / sw) / m


def every_table(ev) -> list[pd.DataFrame]:
    """Return every frame of ``ev``, the ones made on first read made now (what the old eager
    ``evaluate`` returned)."""
    return [*(ev.units[k] for k in ev.units), ev.indicators, ev.composites, ev.verdicts, ev.school_rules]


def _beside_floor(fig: dict, floor: dict) -> dict:
    fig.update(floor_median_s=floor["median_s"], x_floor=fig["median_s"] / floor["median_s"])
    return fig


def run() -> dict:
    # the machine is shared: its load beside the figures says how far to trust them
    figures: dict[str, object] = {"load_average_1_5_15_at_start": os.getloadavg()}
    if DEMO.exists():
        demo = pd.read_parquet(DEMO)
        ev = evaluate(demo)
        arrays = _floor_arrays(ev)
        fig = measure_paired(lambda: evaluate(demo), lambda: _numpy_floor(arrays), repeat=31,
                             target_s=0.010)
        floor = {"median_s": fig["floor_median_s"]}
        fig.update(schools=len(demo), units={k: len(v) for k, v in ev.units.items()})
        figures["evaluate_demo_county"] = fig
        figures["evaluate_demo_all_tables"] = _beside_floor(
            measure(lambda: every_table(evaluate(demo)), repeat=31), floor)
    country = synthetic_country()
    ev = evaluate(country)
    arrays = _floor_arrays(ev)
    fig = measure_paired(lambda: evaluate(country), lambda: _numpy_floor(arrays), repeat=7,
                         target_s=1.0)
    floor = {"median_s": fig["floor_median_s"]}
    fig.update(
        target_x_floor=5.0, counties=int(country["county_code"].nunique()), schools=len(country),
        units={k: len(v) for k, v in ev.units.items()}, county_stage_groups=int(len(ev.composites)))
    figures["evaluate_country_2844_counties"] = fig
    figures["evaluate_country_all_tables"] = _beside_floor(
        measure(lambda: every_table(evaluate(country)), repeat=5), floor)
    figures["evaluate_country_stages"] = _stages(country)
    figures["evaluate_country_process"] = _process(country)
    frames = every_table(ev)
    figures["country_outputs"] = {
        "columns": sum(f.shape[1] for f in frames),
        "mb": sum(int(f.memory_usage(index=False, deep=False).sum()) for f in frames) / 1e6,
        "copy_every_column": measure(lambda: [[f[c].to_numpy().copy() for c in f.columns] for f in frames],
                                     repeat=5),
    }
    figures["engine_options"] = _options(ev, arrays)
    figures["build_demo_county"] = measure(lambda: build_demo(11), repeat=3, target_s=2.0)
    figures["load_average_1_5_15_at_end"] = os.getloadavg()
    return {"figures": figures}


# the functions of engine.evaluate timed in place, by stage (the school-rule frame's _stacked
# and the contributions run only when the lazy frames are first read: not in evaluate).  The
# indicators' values are made as the statistics read them (units.scheme_units_streamed), so
# "indicator_stats" holds the making of the numerators and values the rules do not read
_STAGES = {"raw_units": ("raw_units",), "scheme_units": ("scheme_units_streamed",),
           "indicator_stats": ("indicator_group_stats",),
           "school_rules": ("quality_rule_columns", "judge_unit_columns"),
           "tables": ("_indicator_table", "_stacked", "_composites", "_verdicts")}


def _stages(schools: pd.DataFrame, repeat: int = 5) -> dict:
    """Return the median seconds of each stage of evaluate over ``repeat`` runs (the result
    freed outside the clock); ``rest`` is what lies between them (group codes, the indicator
    table's arrays).  ``lazy_tables_s``: the first read of every lazy frame afterwards (text
    columns, contributions, unit frames, the school-rule frame)."""
    spent: dict[str, float] = {}
    saved = {name: getattr(engine, name) for names in _STAGES.values() for name in names}

    def timed(stage: str, fn):
        def run(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[stage] = spent.get(stage, 0.0) + time.perf_counter() - t0
        return run

    runs = []
    try:
        for stage, names in _STAGES.items():
            for name in names:
                setattr(engine, name, timed(stage, saved[name]))
        for _ in range(repeat + 1):  # the first run warms up
            spent.clear()
            t0 = time.perf_counter()
            ev = engine.evaluate(schools)
            t1 = time.perf_counter()
            runs.append({"total": t1 - t0, **spent})
            every_table(ev)
            runs[-1]["lazy_tables"] = time.perf_counter() - t1
            del ev  # freed outside the clock (see _process)
    finally:
        for name, fn in saved.items():
            setattr(engine, name, fn)
    runs = runs[1:]
    out = {f"{k}_s": statistics.median(r.get(k, 0.0) for r in runs) for k in ("total", *_STAGES)}
    out["rest_s"] = statistics.median(r["total"] - sum(r.get(k, 0.0) for k in _STAGES) for r in runs)
    out["lazy_tables_s"] = statistics.median(r["lazy_tables"] for r in runs)
    return out


def _process(schools: pd.DataFrame, repeat: int = 5) -> dict:
    """Return the medians of one evaluation's user and system CPU seconds and minor page faults
    (fresh memory the kernel hands over), and of freeing its result."""
    rows = []
    for _ in range(repeat):
        r0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        ev = evaluate(schools)
        t1 = time.perf_counter()
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        del ev
        rows.append((t1 - t0, r1.ru_utime - r0.ru_utime, r1.ru_stime - r0.ru_stime,
                     r1.ru_minflt - r0.ru_minflt, time.perf_counter() - t1))
    med = [statistics.median(r[i] for r in rows) for i in range(5)]
    return {"wall_s": med[0], "user_s": med[1], "sys_s": med[2], "minor_faults": int(med[3]),
            "free_result_s": med[4]}


def _options(ev, arrays) -> dict:
    """Return pyarrow's figures beside the numpy floor: its group-by of the floor's first pass
    (Σ students and Σ students × value per group, both schemes) and the conversion of the
    units and school-rule frames from Arrow tables to pandas (what a columnar engine's result
    costs before a page can read it)."""
    key = ["county_code", "year", "stage"]
    tables = []
    for scheme, ids in (("basic", BASIC_IDS), ("quality", QUALITY_IDS)):
        u = ev.units[scheme]
        tables.append((pa.Table.from_pandas(u[[*key, "students", *ids]], preserve_index=False), ids))

    def arrow_first_pass() -> None:
        for t, ids in tables:
            w = t["students"]
            cols = {"w": w, **{f"wx_{i}": pc.multiply(t[i], w) for i in ids}}  # type: ignore[attr-defined]
            pa.table({**{k: t[k] for k in key}, **cols}).group_by(key).aggregate([(c, "sum") for c in cols])

    arrow = [pa.Table.from_pandas(f, preserve_index=False)
             for f in (*ev.units.values(), ev.school_rules)]
    return {"numpy_floor": measure(lambda: _numpy_floor(arrays), repeat=5),
            "pyarrow_group_by_first_pass": measure(arrow_first_pass, repeat=5),
            "arrow_to_pandas_units_and_school_rules": measure(lambda: [t.to_pandas() for t in arrow],
                                                               repeat=3),
            "polars_duckdb": "benchmarks/engine_options.json (python -m benchmarks.engine_options)"}
