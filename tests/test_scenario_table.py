"""The 情景模拟 page's per-school change table in long form: one row per school and changed
value (now, scenario, change), schools in 学校标识码 order, every column as wide as its longest
text and the whole table beside the sidebar of a 1440-px window (eleven narrow columns of
'before → after' were cut with "…")."""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from demo_data import DEMO_SNAPSHOT
from streamlit.testing.v1 import AppTest

from dashboard.i18n import t
from dashboard.method.engine import Evaluation, evaluate
from dashboard.method.standards import scheme_ids
from dashboard.method.verdict import code_key
from dashboard.planning.scenario import MovePupils, Transfer, apply_actions
from dashboard.store.snapshots import Snapshot, read_snapshot
from dashboard.ui import scenario_results as sr
from dashboard.ui.format import fmt_value, text_ems

APP = Path(__file__).resolve().parent.parent / "app" / "main.py"

COUNTY = "990101"
RICH, POOR = "3990101001", "3990101012"  # 示范县实验小学, 青石镇中心小学 (primary)
ACTIONS = (Transfer(RICH, POOR, "primary", 3, above_degree=3, mid_title=2, backbone=2),
           MovePupils(RICH, POOR, "primary", 40))
BESIDE_SIDEBAR_PX = 978  # what a 1440-px window leaves a table beside the sidebar
COLUMNS = ("school", "stage", "indicator", "before", "after", "delta")


@cache
def scenario() -> tuple[Snapshot, Evaluation, Evaluation]:
    snapshot = read_snapshot(DEMO_SNAPSHOT)
    return snapshot, evaluate(snapshot.schools), evaluate(apply_actions(snapshot.schools, ACTIONS).schools)


@pytest.mark.parametrize("scheme", ["basic", "quality"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_one_row_per_changed_value_with_the_engine_numbers(scheme: str, lang: str) -> None:
    _, before, after = scenario()
    changes = sr.school_changes(before, after, COUNTY, 2024, scheme)
    shown = sr.school_change_rows(changes, scheme, lang)
    assert list(shown.columns) == [t(f"scenario.col.{c}", lang) for c in COLUMNS]
    expected = []  # (school, stage, indicator or None for the school rule, now, scenario)
    for unit in changes.assign(_code=code_key(changes["school_id"]),
                               _stage=changes["stage"].map({"primary": 0, "junior": 1})
                               ).sort_values(["_code", "_stage"]).to_dict("records"):
        for i in scheme_ids(scheme):
            x, y = unit[f"{i}_before"], unit[f"{i}_after"]
            if not np.isclose(x, y, rtol=1e-12, atol=1e-12) and not (np.isnan(x) and np.isnan(y)):
                expected.append((unit["school_name"], unit["stage"], i,
                                 fmt_value(x, i, lang, unit=False), fmt_value(y, i, lang, unit=False)))
        if unit["school_status_before"] != unit["school_status_after"]:
            expected.append((unit["school_name"], unit["stage"], None,
                             t(f"status.{unit['school_status_before']}", lang),
                             t(f"status.{unit['school_status_after']}", lang)))
    assert len(expected) >= 4  # two schools changed, each in several values
    rows = shown.values.tolist()
    assert len(rows) == len(expected)
    for row, (name, stage, indicator, now, then) in zip(rows, expected, strict=True):
        assert row[:2] == [name, t(f"stage.{stage}", lang)]
        assert row[3:5] == [now, then]
        if indicator is None:
            assert row[2] == t("scenario.col.school_rule", lang) and row[5] == "—"
        else:
            assert row[2].startswith(sr.indicator_label(indicator, lang))
            assert row[5] not in ("±0", "—")  # a listed value changed, however little


def test_a_change_below_the_shown_decimals_carries_its_digits() -> None:
    assert sr.value_change_text(8.73, 8.7300004, "B1") == "+0.0000004"
    assert sr.value_change_text(1 / 9.7, 1 / 9.8, "B6") == "+0.1"  # n of 1 : n, pupils per teacher
    assert sr.value_change_text(12_000.0, 10_500.0, "B3") == "-1,500"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_page_shows_every_cell_whole_beside_the_sidebar(lang: str) -> None:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params.update(lang=lang)
    at.run().switch_page(str(APP.parent.parent / "pages" / "scenario.py")).run()
    at.button(key="scn_tr_submit").click().run()  # the form's defaults: one teacher moved, unsaved  # the form's defaults: one teacher moved
    assert not at.exception, [e.value for e in at.exception]
    header = t("scenario.col.indicator", lang)
    found = [d for d in at.dataframe if header in d.value.columns
             and t("scenario.col.school", lang) in d.value.columns]
    assert len(found) == 1
    table: pd.DataFrame = found[0].value
    assert list(table.columns) == [t(f"scenario.col.{c}", lang) for c in COLUMNS]
    config = json.loads(found[0].proto.columns)
    widths = {c: config.get(c, {}).get("width", 0) for c in table.columns}
    for column in table.columns:  # the longest text of a column, in the table's 14-px type
        longest = max(text_ems(str(v)) for v in [column, *table[column]])
        assert widths[column] >= math.ceil(longest * 14), (column, widths[column])
    assert sum(widths.values()) <= BESIDE_SIDEBAR_PX


def test_a_change_is_the_difference_of_the_values_as_shown() -> None:
    """A reader subtracts the two shown values: 9.66 → 9.84 pupils per teacher is shown
    1 : 9.7 → 1 : 9.8, so its change reads +0.1 (the exact +0.18 would show as +0.2)."""
    assert sr.value_change_text(1 / 9.66, 1 / 9.84, "B6") == "+0.1"
    assert sr.value_change_text(43.14, 43.16, "B5") == "+0.1"  # books to 1 decimal: 43.1 → 43.2
    assert sr.value_change_text(3096.6, 3099.6, "B3") == "+3"
