"""The snapshot's class and room rows judge the basic school rule the same way on every
surface: the page context's evaluation carries them (profiles_county.with_profile), so the
overview's verdicts, the checklist and a scenario's "after" (ui.evaluation.evaluate_like) are
verdicts of the same facts; one verdict function, every page agrees (docs/method.md §5)."""

from __future__ import annotations

import pandas as pd
import pytest
from demo_data import DEMO_SNAPSHOT

from dashboard.i18n import t
from dashboard.method.engine import evaluate
from dashboard.method.profiles_county import with_profile
from dashboard.method.verdict import evaluation_verdicts
from dashboard.store.demo.classrooms import class_rows
from dashboard.store.snapshots import read_snapshot
from dashboard.ui.checklist import checklist_items
from dashboard.ui.evaluation import evaluate_like


@pytest.fixture(scope="module")
def demo():
    snap = read_snapshot(DEMO_SNAPSHOT)
    return snap, evaluate(snap.schools)


def _school_rule(verdicts, stage: str) -> str:
    v = verdicts[("basic", stage)]
    return next(c.status for c in v.components if c.kind == "school_rule")


def test_class_rows_decide_the_school_rule_on_every_surface(demo) -> None:
    snap, ev = demo
    county, year = str(snap.schools["county_code"].iloc[0]), int(snap.meta["year"])
    classes = class_rows(snap.schools)
    judged = with_profile(ev, None, classes=classes)
    assert judged.classes is classes and judged is not ev
    # class rows decide units the averages left approximated: fewer undecided units
    before = (ev.school_rules["school_status"] == "approximated").sum() if (
        "school_status" in ev.school_rules) else None
    rules = judged.school_rules[judged.school_rules["scheme"] == "basic"]
    assert (rules["school_status"] == "approximated").sum() < (before or len(rules))
    verdicts = evaluation_verdicts(judged, county, year)
    items = checklist_items(judged, snap.schools, snap.county, county, year, "zh")
    rule_items = {i.item_id: i for i in items if i.item_id == "BS_RULE"}
    assert rule_items, [i.item_id for i in items]
    # a scenario without actions is "now": the same verdicts, the same facts
    after = evaluate_like(snap.schools, judged)
    assert after.classes is classes
    again = evaluation_verdicts(after, county, year)
    for key in verdicts:
        assert again[key].status == verdicts[key].status, key
    for stage in ("primary", "junior"):
        assert _school_rule(again, stage) == _school_rule(verdicts, stage)


def test_a_class_over_the_cap_fails_its_unit_wherever_it_is_judged(demo) -> None:
    """S10 第七条 and the 2017 standard: no class over 45 (primary) / 50 (junior); the average
    can hide one.  A single 60-pupil class fails its school's unit in the verdict and in a
    scenario's after alike."""
    snap, ev = demo
    county, year = str(snap.schools["county_code"].iloc[0]), int(snap.meta["year"])
    classes = class_rows(snap.schools)
    first = classes.index[(classes["stage"] == "primary")][0]
    classes.loc[first, "pupils"] = 60
    judged = with_profile(ev, None, classes=classes)
    school = classes.loc[first, "school_id"]
    rules = judged.school_rules
    unit = rules[(rules["scheme"] == "basic") & (rules["school_id"] == school)
                 & (rules["stage"] == "primary")]
    assert not unit.empty and unit["school_status"].iloc[0] == "fail"
    after = evaluate_like(snap.schools, judged)
    same = after.school_rules
    assert same[(same["scheme"] == "basic") & (same["school_id"] == school)
                & (same["stage"] == "primary")]["school_status"].iloc[0] == "fail"
    assert pd.Series([c.status for c in evaluation_verdicts(judged, county, year)[
        ("basic", "primary")].components]).eq("fail").any()


def test_the_verdict_after_a_plan_is_judged_like_the_page(demo) -> None:
    """The planner runs under the default rules; its "after" verdict is judged as the page's
    evaluation is (profile, class rows), so planner and overview speak of the same rules."""
    from dashboard.planning.planner import PlanGoal, plan
    from dashboard.ui.planner_page import after_verdict

    snap, ev = demo
    classes = class_rows(snap.schools)
    first = classes.index[(classes["stage"] == "primary")][0]
    classes.loc[first, "pupils"] = 60  # one class over the cap: its unit fails the rule
    like = with_profile(ev, "yunnan_10", classes=classes)
    result = plan(snap, PlanGoal("basic", "primary", "budget"), time_limit_s=20)
    plain = after_verdict(result, snap.county, "zh")
    judged = after_verdict(result, snap.county, "zh", like=like)
    county, year = str(snap.schools["county_code"].iloc[0]), int(snap.meta["year"])
    now = evaluation_verdicts(like, county, year, county=snap.county)[("basic", "primary")]
    # Yunnan's list is not in the seeds: every unit's rule is 缺数据, now and after the plan
    # alike (purchases cannot supply a list), where the default rules judged most units
    school = t("verdict.part.school_rule", "zh")
    judged_rule = next(c for c in judged.components if school in c)
    plain_rule = next(c for c in plain.components if school in c)
    assert now.component("school_rule").text in judged_rule
    assert judged_rule != plain_rule
    assert judged.status != "pass"
