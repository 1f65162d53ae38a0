"""What ``evaluate`` leaves to first read, and what it makes then.

``evaluate`` makes the numbers a verdict reads; the unit columns no indicator or school rule
reads, the rules' per-item values and states, the quality ratios and the rules' text columns
are made on first read (docs/method.md §8).  These tests pin which are left and check that,
once read, they are the rules' own columns computed on the finished unit frame.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks.synthetic import synthetic_country
from dashboard.method.compliance import quality_school_rule
from dashboard.method.engine import evaluate
from dashboard.method.profiles_school import judge_units


def test_evaluate_makes_what_the_verdicts_read_and_leaves_the_rest():
    ev = evaluate(synthetic_country(6, seed=2))
    basic, quality = ev.units.columns("basic"), ev.units.columns("quality")  # type: ignore[attr-defined]
    for name in ("value_BS1", "state_BS9", "school_status", "failing", "uncertain", "approximated",
                 "teachers_backbone", "multimedia_rooms"):
        assert not basic.made(name), name
    for name in ("ratio_Q1", "school_status", "failing", "books", "classes", "boarders", "av_all_classes"):
        assert not quality.made(name), name
    # what a verdict keeps: the weights and each unit's school rule
    for name in ("students", "share", "school_pass", "meets"):
        assert basic.made(name) and quality.made(name), name
    # what the statistics and the basic rule read as they judged, then let go of (made again
    # on the next read: the same bits, tests/test_engine_lazy.py)
    for name in ("B1", "B8", "classes", "building_area_m2", "av_all_classes"):
        assert not basic.made(name), name
    for name in ("Q1", "Q7"):
        assert not quality.made(name), name
    assert ev.units["basic"]["B1"].notna().any() and basic.made("B1")


def _same(got: pd.Series, want: pd.Series) -> None:
    g, w = got.to_numpy(), want.to_numpy()
    assert g.dtype == w.dtype, got.name
    if g.dtype.kind in "biuf":
        assert g.tobytes() == w.tobytes(), got.name
    else:
        assert g.tolist() == w.tolist(), got.name


def test_the_rule_columns_made_later_are_the_rules_own_on_the_frame():
    ev = evaluate(synthetic_country(8, seed=6))
    basic = ev.units["basic"]
    rule = judge_units(basic, ev.params.province_profile)
    assert len(rule.columns) > 10
    for col in rule.columns:
        _same(basic[col], rule[col])
    quality = ev.units["quality"]
    rule = quality_school_rule(quality)
    for col in rule.columns:
        _same(quality[col], rule[col])
    assert np.isfinite(quality["ratio_Q1"].to_numpy()).any()
