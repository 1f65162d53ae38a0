"""The notes beside a plan's purchases: where the prices come from, that the amounts also
bring schools to their minimums, and why a school of several stages buys so much (a 完全中学's
43 multimedia rooms for a junior goal read as a mistake without it)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from demo_data import DEMO_DATA

from dashboard.planning.planner import PlanConstraints, PlanGoal
from dashboard.planning.planner.types import Purchase
from dashboard.store.snapshots import read_snapshot
from dashboard.ui.planner_page import purchase_notes


@pytest.fixture(scope="module")
def schools():
    return read_snapshot(DEMO_DATA / "demo-990101-2024").schools


def _plan(school_ids, keep=True):
    return SimpleNamespace(
        goal=PlanGoal("quality", "junior", "budget"), constraints=PlanConstraints(keep_minimums=keep),
        purchases=tuple(Purchase(i, "multimedia_rooms", 3, 450_000.0) for i in school_ids))


def test_a_school_of_several_stages_is_named_with_why_its_amount_is_large(schools):
    complete = schools.loc[schools["school_type"] == "complete_secondary", "school_id"].iloc[0]
    junior = schools.loc[schools["school_type"] == "junior", "school_id"].iloc[0]
    name = schools.set_index("school_id").loc[complete, "school_name"]
    notes = purchase_notes(_plan([complete, junior]), schools, "zh")
    assert len(notes) == 3 and notes[0].startswith("费用按默认参考单价估算")
    assert "达到最低标准" in notes[1]
    assert notes[2].startswith(f"{name} 有多个学段") and "初中分得的部分" in notes[2]
    junior_name = schools.set_index("school_id").loc[junior, "school_name"]
    assert junior_name not in notes[2]
    en = purchase_notes(_plan([complete]), schools, "en")
    assert en[2].startswith(f"More than one stage is taught at {name}")


def test_one_stage_schools_and_no_minimums_say_only_the_prices(schools):
    junior = schools.loc[schools["school_type"] == "junior", "school_id"].iloc[0]
    assert len(purchase_notes(_plan([junior], keep=False), schools, "zh")) == 1
    assert purchase_notes(_plan([]), schools, "zh") == []




def test_schools_without_a_senior_column_are_read_too(schools):
    """students_senior is optional in the contract: its absence counts no senior stage."""
    nine = schools.loc[(schools["students_primary"] > 0) & (schools["students_junior"] > 0),
                       "school_id"].iloc[0]
    notes = purchase_notes(_plan([nine]), schools.drop(columns=["students_senior"]), "zh")
    assert len(notes) == 3 and "有多个学段" in notes[2]
