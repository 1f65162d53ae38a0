"""Engine benchmarks: the demo county and a synthetic country, each beside a numpy floor.

The floor is a plain numpy single pass over the same per-unit arrays (values, enrolments, group
codes): weighted means and CVs by ``np.bincount``, no units built, no scope rules, no tables.
Targets (issue 15): the demo under 10 ms; the country under 1 s and within 5 × its floor
(``x_floor`` is the ratio of the medians).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.synthetic import synthetic_country
from benchmarks.timing import measure
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


def run() -> dict:
    figures: dict[str, dict] = {}
    if DEMO.exists():
        demo = pd.read_parquet(DEMO)
        ev = evaluate(demo)
        fig = measure(lambda: evaluate(demo), repeat=31, target_s=0.010)
        arrays = _floor_arrays(ev)
        floor = measure(lambda: _numpy_floor(arrays), repeat=31)
        fig.update(floor_median_s=floor["median_s"], x_floor=fig["median_s"] / floor["median_s"], schools=len(demo),
                   units={k: len(v) for k, v in ev.units.items()})
        figures["evaluate_demo_county"] = fig
    country = synthetic_country()
    ev = evaluate(country)
    arrays = _floor_arrays(ev)
    fig = measure(lambda: evaluate(country), repeat=5, target_s=1.0)
    floor = measure(lambda: _numpy_floor(arrays), repeat=5)
    fig.update(floor_median_s=floor["median_s"], x_floor=fig["median_s"] / floor["median_s"], target_x_floor=5.0,
               counties=int(country["county_code"].nunique()),
               schools=len(country), units={k: len(v) for k, v in ev.units.items()},
               county_stage_groups=int(len(ev.composites)))
    figures["evaluate_country_2844_counties"] = fig
    figures["build_demo_county"] = measure(lambda: build_demo(11), repeat=3, target_s=2.0)
    return {"figures": figures}
