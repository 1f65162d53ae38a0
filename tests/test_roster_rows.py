"""A roster whose count of a school's teachers disagrees with the schools table names the
roster's own rows of that school and stage, as the file numbers them (the clerk looks for them
in a roster of hundreds of rows)."""

from __future__ import annotations

from pathlib import Path

import pytest
from demo_data import DEMO_DATA

from dashboard.store.contract.violations import row_ranges
from dashboard.store.importing import stage_import
from dashboard.store.snapshots import ContractError, read_snapshot


def test_row_ranges_are_runs_in_order() -> None:
    assert row_ranges([12, 5, 6, 7]) == "5–7, 12"
    assert row_ranges([3]) == "3" and row_ranges([]) == ""


def test_a_roster_mismatch_names_the_rosters_rows_of_that_school(tmp_path: Path) -> None:
    snap = read_snapshot(DEMO_DATA / "demo-990101-2024")
    assert snap.teachers is not None
    schools = tmp_path / "学校.xlsx"
    snap.schools.to_excel(schools, index=False)
    roster = snap.teachers.reset_index(drop=True)
    school, stage = roster.loc[len(roster) // 2, ["school_id", "stage"]]
    mine = roster.index[(roster["school_id"] == school) & (roster["stage"] == stage)]
    dropped = mine[1] if len(mine) > 2 else mine[0]
    path = tmp_path / "名册.csv"
    roster.drop(index=dropped).to_csv(path, index=False)
    kept = [i for i in mine if i != dropped]
    # a csv's first data row is its row 2 (the header is row 1); rows after the dropped one
    # move up by one
    expected = row_ranges(i + 2 - (i > dropped) for i in kept)
    with pytest.raises(ContractError) as info:
        stage_import(schools, teachers_path=path, lang="zh")
    [v] = [v for v in info.value.errors if v.rule == "roster_count"]
    assert v.value == str(school)
    assert v.message("zh").endswith(f"（名册中该校该学段的行：第 {expected} 行）」")
