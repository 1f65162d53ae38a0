"""The engine's choice of library, measured: the weighted CVs of every county × year × stage in
Polars and DuckDB beside the numpy floor of bench_engine, and the conversion of their results
to the pandas frames the pages read.  Writes ``benchmarks/engine_options.json``.

Polars and DuckDB are not dependencies of the project (the figures show why): to rerun, put
them in a folder of their own and name it, e.g.

    .venv/bin/python -m pip install --target /tmp/optpkgs polars duckdb
    ENGINE_OPTIONS_PATH=/tmp/optpkgs .venv/bin/python -m benchmarks.engine_options
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import sys
from pathlib import Path

import pyarrow as pa

from benchmarks.bench_engine import _floor_arrays, _numpy_floor, every_table
from benchmarks.synthetic import synthetic_country
from benchmarks.timing import measure
from dashboard.method.engine import evaluate
from dashboard.method.standards import BASIC_IDS, QUALITY_IDS

OUT = Path(__file__).with_name("engine_options.json")
KEY = ["county_code", "year", "stage"]
SCHEMES = (("basic", BASIC_IDS), ("quality", QUALITY_IDS))


def run() -> dict:
    if os.environ.get("ENGINE_OPTIONS_PATH"):
        sys.path.append(os.environ["ENGINE_OPTIONS_PATH"])
    pl = importlib.import_module("polars")  # optional: see the module docstring
    duckdb = importlib.import_module("duckdb")
    country = synthetic_country()
    ev = evaluate(country)
    tables = {s: ev.units[s][[*KEY, *ids, "students"]] for s, ids in SCHEMES}
    frames = {s: pl.from_pandas(t) for s, t in tables.items()}
    arrow = {s: pa.Table.from_pandas(t, preserve_index=False) for s, t in tables.items()}

    def polars_cv() -> None:
        w = pl.col("students")
        for s, ids in SCHEMES:
            means = [((pl.col(i) * w).sum() / w.sum()).over(KEY).alias(f"m_{i}") for i in ids]
            frames[s].with_columns(means).group_by(KEY).agg([
                (((w * (pl.col(i) - pl.col(f"m_{i}")) ** 2).sum() / w.sum()).sqrt()
                 / pl.col(f"m_{i}").first()).alias(f"cv_{i}") for i in ids])

    con = duckdb.connect()
    for s, t in arrow.items():
        con.register(s, t)

    def duckdb_cv() -> None:
        for s, ids in SCHEMES:
            m = ", ".join(f"sum(students * {i}) / sum(students) AS m_{i}" for i in ids)
            v = ", ".join(f"sqrt(sum(u.students * (u.{i} - g.m_{i}) ^ 2) / sum(u.students)) / any_value(g.m_{i})"
                          for i in ids)
            con.sql(f"WITH g AS (SELECT county_code, year, stage, {m} FROM {s} GROUP BY ALL) "
                        f"SELECT u.county_code, u.year, u.stage, {v} FROM {s} u "
                        "JOIN g USING (county_code, year, stage) GROUP BY ALL").to_arrow_table()

    arrays = _floor_arrays(ev)
    results = [pa.Table.from_pandas(f, preserve_index=False) for f in (*ev.units.values(), ev.school_rules)]
    polars_results = [pl.from_arrow(t) for t in results]
    return {
        "what": "weighted CVs of the 2,844-county synthetic country (both schemes), and turning "
                "a columnar result (the units and school-rule frames) into the pandas frames the pages read",
        "numpy_floor": measure(lambda: _numpy_floor(arrays), repeat=5),
        "numpy_evaluate_whole": measure(lambda: evaluate(country), repeat=3),
        "numpy_evaluate_all_tables": measure(lambda: every_table(evaluate(country)), repeat=3),
        "polars_weighted_cv": measure(polars_cv, repeat=5),
        "duckdb_weighted_cv": measure(duckdb_cv, repeat=5),
        "arrow_to_pandas_units_and_school_rules": measure(lambda: [t.to_pandas() for t in results], repeat=3),
        "polars_to_pandas_units_and_school_rules": measure(lambda: [f.to_pandas() for f in polars_results],
                                                          repeat=3),
        "versions": {"polars": pl.__version__, "duckdb": duckdb.__version__, "pyarrow": pa.__version__,
                     "python": platform.python_version()},
        "cpus": os.cpu_count(),
        "load_average_1_5_15": os.getloadavg(),
    }


if __name__ == "__main__":
    figures = run()
    OUT.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps({k: v.get("median_s", v) if isinstance(v, dict) else v for k, v in figures.items()},
                     indent=2, ensure_ascii=False))
