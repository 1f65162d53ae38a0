"""Issue 9 point 7, dead ends: the page-model functions behind them — the drill-down's default
indicator, a transfer's default attribute mix, deltas that never read zero beside a change,
the school's facts and the standard's minimums."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest
from demo_data import DEMO_COUNTY, DEMO_SNAPSHOT

from dashboard.i18n import t
from dashboard.method.engine import Evaluation, evaluate
from dashboard.method.standards import INDICATORS, QUALITY_IDS
from dashboard.planning.scenario import apply_actions
from dashboard.store.snapshots import Snapshot, read_snapshot
from dashboard.ui import drilldown, overview, school
from dashboard.ui import scenario_page as sv
from dashboard.ui import scenario_results as sr
from dashboard.ui.evaluation import indicator_rows
from dashboard.ui.format import display_unit, fmt_delta, indicator_label

YEAR = 2024
RICH, POOR = "3990101001", "3990101012"  # 示范县实验小学, 青石镇中心小学


@cache
def demo() -> tuple[Snapshot, Evaluation]:
    snapshot = read_snapshot(DEMO_SNAPSHOT)
    return snapshot, evaluate(snapshot.schools)


# ----------------------------------------------------------------------------- default indicator


def _rows(pairs: list[tuple[str, float, str]]) -> pd.DataFrame:
    return pd.DataFrame(pairs, columns=["indicator", "cv", "status"])


def test_the_failing_indicator_of_highest_cv_decides() -> None:
    rows = _rows([("Q1", 0.7, "pass"), ("Q2", 0.51, "fail"), ("Q5", 0.6, "fail")])
    assert drilldown.verdict_indicator(rows) == "Q5"


def test_without_a_failing_indicator_the_highest_cv() -> None:
    rows = _rows([("B1", 0.3, "pass"), ("B2", 0.59, "pass"), ("B3", np.nan, "pass")])
    assert drilldown.verdict_indicator(rows) == "B2"
    assert drilldown.verdict_indicator(rows.iloc[0:0]) is None


@pytest.mark.parametrize("scheme", ["basic", "quality"])
@pytest.mark.parametrize("stage", ["primary", "junior"])
def test_default_indicator_on_the_demo_and_the_overview_link(scheme: str, stage: str) -> None:
    _, ev = demo()
    rows = indicator_rows(ev, DEMO_COUNTY, YEAR, stage, scheme, "zh")
    chosen = drilldown.default_indicator(ev, DEMO_COUNTY, YEAR, stage, scheme, "zh")
    failing = rows[rows["status"] == "fail"]
    pool = failing if len(failing) else rows
    assert chosen == pool.sort_values("cv")["indicator"].iloc[-1]
    if scheme == "quality":
        assert chosen in set(failing["indicator"])  # the demo fails quality
    assert overview.drilldown_params(ev, DEMO_COUNTY, YEAR, stage, scheme, "zh") == {"ind": chosen}


# ----------------------------------------------------------------------------- default mix


def _school(total: int, **have: int) -> pd.DataFrame:
    row = {"school_id": "S", "teachers_primary": total}
    row.update({f"teachers_{a}_primary": have.get(a, 0) for a in sv.TEACHER_ATTRS})
    return pd.DataFrame([row])


def test_default_mix_is_proportional_and_bounded() -> None:
    schools = _school(10, above_degree=10, mid_title=5, backbone=1, pe_art=0)
    assert sv.default_mix(schools, "S", "primary", 4) == {
        "above_degree": 4, "mid_title": 2, "backbone": 0, "pe_art": 0}
    # never more than the count nor than the school has; never leaves too few others to move
    schools = _school(5, above_degree=4, mid_title=1, backbone=0, pe_art=5)
    for count in range(1, 6):
        mix = sv.default_mix(schools, "S", "primary", count)
        for attr, value in mix.items():
            have = int(schools[f"teachers_{attr}_primary"].iloc[0])
            assert 0 <= value <= min(count, have)
            assert count - value <= 5 - have
    assert sv.default_mix(schools, "nowhere", "primary", 3) == dict.fromkeys(sv.TEACHER_ATTRS, 0)
    assert sv.default_mix(_school(0), "S", "primary", 3) == dict.fromkeys(sv.TEACHER_ATTRS, 0)


def test_a_transfer_of_three_by_count_is_accepted_with_the_source_mix() -> None:
    snapshot, _ = demo()
    mix = sv.default_mix(snapshot.schools, RICH, "primary", 3)
    r = snapshot.schools.set_index("school_id").loc[RICH]
    for attr, value in mix.items():
        assert value == min(3, max(0, round(r[f"teachers_{attr}_primary"] * 3 / r["teachers_primary"])))
    action = sv.Transfer(RICH, POOR, "primary", 3, **mix)
    assert sv.refusal(snapshot.schools, [action], snapshot.teachers, "zh") is None
    after = apply_actions(snapshot.schools, [action]).schools.set_index("school_id")
    for attr, value in mix.items():
        column = f"teachers_{attr}_primary"
        assert after.loc[RICH, column] == r[column] - value
    # a count alone (every attribute 0) is what was refused before
    assert sv.refusal(snapshot.schools, [sv.Transfer(RICH, POOR, "primary", 3)],
                      snapshot.teachers, "zh") is not None


# ----------------------------------------------------------------------------- deltas


@pytest.mark.parametrize(("delta", "text"), [
    (0.0, "±0"), (-0.0123, "-0.012"), (0.0006, "+0.001"), (0.0004, "+0.0004"),
    (-0.00004, "-0.00004"), (0.00000123, "+0.000001"), (0.012, "+0.012")])
def test_delta_has_the_digits_that_make_it_non_zero(delta: float, text: str) -> None:
    assert fmt_delta(delta) == text
    assert sr.delta_text(delta) == text


def test_value_changes_below_the_shown_decimals_carry_their_delta() -> None:
    snapshot, before = demo()
    after = evaluate(apply_actions(snapshot.schools, [
        sv.Transfer(RICH, POOR, "primary", 1, above_degree=1, mid_title=1, backbone=1)]).schools)
    changes = sr.school_changes(before, after, DEMO_COUNTY, YEAR, "quality")
    shown = sr.school_change_rows(changes, "quality", "zh")
    for i in QUALITY_IDS:
        for k in range(len(changes)):
            x, y = changes[f"{i}_before"].iloc[k], changes[f"{i}_after"].iloc[k]
            if x != y:  # a changed value never reads as unchanged: its change is not ±0
                label = t("app.fig.value_axis", "zh", name=indicator_label(i, "zh"),
                          unit=display_unit(i, "zh"))
                row = shown[(shown.iloc[:, 0] == changes["school_name"].iloc[k])
                            & (shown.iloc[:, 1] == t(f"stage.{changes['stage'].iloc[k]}", "zh"))
                            & (shown.iloc[:, 2] == label)]
                assert len(row) == 1 and row.iloc[0, 5] != "±0", (i, row)


# ----------------------------------------------------------------------------- school profile


def test_standard_minimum_quality_national_basic_provincial_or_none() -> None:
    for i in QUALITY_IDS:
        assert school.standard_minimum(i, "quality", "primary") == INDICATORS[i].minimum("primary")
    assert school.standard_minimum("B5", "basic", "primary") == 20.0  # books per pupil
    assert school.standard_minimum("B6", "basic", "junior") == pytest.approx(1 / 17)
    assert np.isnan(school.standard_minimum("B1", "basic", "primary"))


def test_school_facts_of_the_demo_school() -> None:
    snapshot, _ = demo()
    facts = dict(school.school_facts(snapshot.schools, RICH, "en"))
    r = snapshot.schools.set_index("school_id").loc[RICH]
    assert facts["Type"] == "Primary school"
    assert facts["Pupils"] == f"Primary {int(r['students_primary']):,}"
    assert facts["Full-time teachers"] == f"Primary {int(r['teachers_primary'])}"
    assert facts["Classes"] == f"Primary {int(r['classes_primary'])}"
    assert facts["Boarders"] == f"{int(r['boarders'])}"
    assert facts["Urban–rural class"].startswith("Urban")
    assert school.school_facts(snapshot.schools, "nowhere", "en") == []


def test_profile_figure_draws_value_mean_and_minimum() -> None:
    _, ev = demo()
    profile = school.school_profile(ev, "basic", RICH, DEMO_COUNTY, YEAR, "primary", "zh")
    fig = school.profile_figure(profile, "basic", "zh", "示范县实验小学")
    assert [d.type for d in fig.data] == ["bar", "scatter", "scatter"]
    assert list(fig.data[1].y) == [1.0] * len(profile)
    assert len(fig.data[2].x) == int(profile["minimum"].notna().sum()) > 0
    assert fig.layout.showlegend
    assert "无" in school.profile_display(profile, "basic", "zh").iloc[:, 4].tolist()


def test_facts_read_as_one_line() -> None:
    snapshot, _ = demo()
    line = school.facts_markdown(school.school_facts(snapshot.schools, RICH, "zh"), "zh")
    assert line.startswith("**学校类型**") and "**寄宿生**" in line


def test_a_transfer_starts_between_two_basic_units_and_names_a_merged_pair() -> None:
    # Under 基本均衡 a teaching point is counted with its parent: a move between them changes
    # nothing there. The form's default target is in another unit; a merged pair is named.
    schools = pd.DataFrame({
        "school_id": ["P", "TP", "Q"], "school_type": ["nine_year", "teaching_point", "primary"],
        "parent_school_id": [None, "P", None]})
    units = sv.basic_units(schools)
    assert units == {"P": "P", "TP": "P", "Q": "Q"}
    assert sv.first_other_unit(["P", "TP", "Q"], units) == 2
    assert sv.first_other_unit(["TP", "P"], units) == 1  # none other: the next school
    assert sv.first_other_unit(["P"], units) == 0
    orphan = pd.DataFrame({"school_id": ["TP"], "school_type": ["teaching_point"],
                           "parent_school_id": ["gone"]})
    assert sv.basic_units(orphan) == {"TP": "TP"}  # its parent is not there: its own unit
