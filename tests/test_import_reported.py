"""Per-pupil figures a county's sheet reports beside their totals (docs/data-contract.md §6.3):
more than 1 % apart from total ÷ pupils, beyond the figure's own rounding, is a warning naming
row, column, value and the recomputed figure; the figure itself is never stored."""

from __future__ import annotations

import pandas as pd
import pytest
from demo_data import DEMO_SNAPSHOT
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.store.contract import header_map, validate_schools
from dashboard.store.contract.reported import reported_columns
from dashboard.store.importing import stage_import
from dashboard.store.snapshots import read_snapshot

PUPILS = ["students_primary", "students_junior", "students_senior"]


@pytest.fixture(scope="module")
def schools() -> pd.DataFrame:
    return read_snapshot(DEMO_SNAPSHOT).schools


def _with_reported(schools: pd.DataFrame, decimals: int) -> pd.DataFrame:
    """The schools with Chinese headers and every per-pupil figure, as text rounded to
    ``decimals`` as a statistics report prints it."""
    pupils = schools[PUPILS].sum(axis=1)
    out = schools.rename(columns=header_map("schools", "zh")).astype(object)
    for r in reported_columns():
        value = schools[r.numerator] / pupils * r.scale
        out[r.zh] = value.map(lambda v, d=decimals: f"{v:.{d}f}")
    return out


def _reported_warnings(frame: pd.DataFrame) -> list:
    return [v for v in validate_schools(frame, file="学校.xlsx").warnings
            if v.rule == "reported_mismatch"]


@settings(max_examples=8, deadline=None)
@given(decimals=st.integers(min_value=0, max_value=4))
def test_figures_that_agree_up_to_their_rounding_never_warn(schools, decimals):
    assert _reported_warnings(_with_reported(schools, decimals)) == []


def test_a_figure_five_percent_off_is_named_with_the_recomputed_value(schools):
    frame = _with_reported(schools, 2)
    column = "生均教学及辅助用房面积(㎡)"
    good = float(frame.loc[3, column])
    frame.loc[3, column] = f"{good * 1.05:.2f}"
    found = _reported_warnings(frame)
    assert [(v.row, v.column, v.value) for v in found] == [(4, column, f"{good * 1.05:.2f}")]
    zh, en = found[0].message("zh"), found[0].message("en")
    assert f"{good:.2f}" in zh or f"{good:.1f}" in zh
    assert "第 4 行" in zh and "超过 1%" in zh and "more than 1%" in en


def test_english_headers_zero_pupils_and_text_cells(schools):
    frame = _with_reported(schools, 2).rename(
        columns={"生均图书册数": "books_per_pupil"})
    frame.loc[0, "books_per_pupil"] = "见附表"  # text: left to the reader
    frame.loc[1, "books_per_pupil"] = "9999"
    zero = frame.index[2]
    for c in ("小学在校生数", "初中在校生数"):
        frame.loc[zero, c] = 0
    frame.loc[zero, "生均校舍建筑面积(㎡)"] = "123"  # no pupils: nothing to compare
    found = _reported_warnings(frame)
    assert [(v.row, v.column) for v in found] == [(2, "books_per_pupil")]  # a frame numbers rows from 1


def test_the_import_warns_and_stores_only_the_contracts_columns(schools, tmp_path):
    frame = _with_reported(schools, 2)
    frame.loc[0, "生均图书册数"] = "1"
    path = tmp_path / "学校.csv"
    frame.to_csv(path, index=False)
    staged = stage_import(path)
    assert [v.rule for v in staged.warnings if v.rule == "reported_mismatch"] == [
        "reported_mismatch"]
    assert list(staged.schools.columns) == list(schools.columns)
