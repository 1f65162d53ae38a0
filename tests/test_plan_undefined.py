"""A teacher indicator with no such teacher in the whole county has no CV (mean 0): the planner
says so, proven, by name (its CV formulas divided 0 by 0 and named another indicator)."""

from __future__ import annotations

import dataclasses
import warnings

import pytest
from demo_data import DEMO_SNAPSHOT

from dashboard.method.engine import evaluate
from dashboard.planning.planner import PlanGoal, PlanStatus, plan
from dashboard.store.snapshots import read_snapshot


def _without(column_prefix: str):
    snap = read_snapshot(DEMO_SNAPSHOT)
    schools = snap.schools.copy()
    for c in [c for c in schools.columns if c.startswith(column_prefix)]:
        schools[c] = 0
    return dataclasses.replace(snap, schools=schools)


@pytest.mark.parametrize(("prefix", "scheme", "indicator"), [
    ("teachers_mid_title_", "basic", "B8"), ("teachers_backbone_", "quality", "Q2")])
@pytest.mark.parametrize("mode", ["transfers", "budget", "both"])
def test_no_such_teacher_is_proven_out_of_reach_by_name(prefix, scheme, indicator, mode):
    snap = _without(prefix)
    before = evaluate(snap.schools)
    cv = before.indicators.set_index(["scheme", "stage", "indicator"])["cv"]
    assert cv.isna()[(scheme, "primary", indicator)]  # the engine: no CV (mean 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no 0/0 on the way
        p = plan(snap, PlanGoal(scheme, "primary", mode), time_limit_s=5)
    assert p.status == PlanStatus.INFEASIBLE and not p.moves and not p.purchases
    undefined = [e for e in p.explanation if e.kind == "undefined"]
    assert [e.indicator for e in undefined] == [indicator]
    assert "全县没有此类教师" in undefined[0].message("zh")
    assert "no such teachers" in undefined[0].message("en")
    assert not p.check.goal_met  # the engine agrees: the goal is not met as the county stands
