"""The order of the schools in every output (docs/outputs.md §3): within a stage failing units
first, then approximated, missing and passing, and within a status by school code (学校标识码),
as a bureau's rosters list them, never by the characters of the name (a Unicode order a Chinese
reader finds random) nor by the order of the rows in the data.  The report's tables, its
sentences, the workbook and the deck's schools slide agree."""

from __future__ import annotations

import io
from functools import cache

import openpyxl
import pandas as pd
from demo_data import DEMO_COUNTY, DEMO_SNAPSHOT

from dashboard.i18n import t
from dashboard.method.engine import evaluate
from dashboard.method.verdict import SCHOOL_STATUSES
from dashboard.store.snapshots import read_snapshot
from dashboard.ui.checklist import evaluation_with_profile
from dashboard.ui.present.counts import code_key
from dashboard.ui.present.model import Material, material
from dashboard.ui.present.report import report_blocks
from dashboard.ui.present.story import schools_step
from dashboard.ui.present.tables import official_tables, school_table
from dashboard.ui.present.workbook import build_workbook

YEAR = 2024


@cache
def shuffled_county() -> Material:
    """The demo county with its schools' rows reversed (a county's own file need not list them
    by code), judged as the report command judges it."""
    snapshot = read_snapshot(DEMO_SNAPSHOT)
    schools = snapshot.schools.iloc[::-1].reset_index(drop=True)
    ev = evaluation_with_profile(evaluate(schools), None, snapshot.classes, snapshot.rooms)
    return material(ev, schools, snapshot.county, DEMO_COUNTY, YEAR, snapshot.id, "zh")


def _codes(m: Material) -> dict[str, int]:
    """Each school's rank by code (the demo's names are unique)."""
    schools = m.schools.assign(key_=code_key(m.schools["school_id"])).sort_values("key_")
    return {str(n): k for k, n in enumerate(schools["school_name"])}


def _in_order(pairs: list[tuple[str, str]], codes: dict[str, int]) -> bool:
    """Whether (status text, school name) pairs run failing first, then by code."""
    rank = {t(f"status.{s}", "zh"): k for k, s in enumerate(SCHOOL_STATUSES)}
    keys = [(rank[s], codes[n]) for s, n in pairs]
    return keys == sorted(keys)


def test_code_key_orders_codes_as_numbers() -> None:
    ids = pd.Series(["100", "99", " 3990101002", "3990101001", "A7"])
    assert list(ids.iloc[code_key(ids).argsort()]) == ["99", "100", "3990101001",
                                                       " 3990101002", "A7"]


def test_the_school_tables_and_the_workbook_list_schools_by_status_then_code() -> None:
    m = shuffled_county()
    codes = _codes(m)
    book = openpyxl.load_workbook(io.BytesIO(build_workbook(m)))
    for table in official_tables(m):
        if not table.key.startswith("schools_"):
            continue
        scheme = table.key.removeprefix("schools_")
        status = table.columns.index(t("present.table.schools.col.status", "zh"))
        for stage in m.stages(scheme):
            rows = [(r[status].text, r[0].text) for r in table.rows
                    if r[1].text == t(f"stage.{stage}", "zh") and r[0].text in codes]
            assert len(rows) == len(m.units(scheme, stage)) and _in_order(rows, codes)
        names = [r[0].text for r in table.rows]
        sheet = next(ws for ws in book.worksheets if ws.cell(1, 1).value == table.title)
        column = [str(sheet.cell(k, 1).value) for k in range(4, 4 + len(names))]
        assert column == names  # the workbook in the report's order
        assert "学校标识码" in table.note  # the note states the order


def test_the_report_names_and_the_deck_list_failing_schools_by_code() -> None:
    m = shuffled_county()
    codes = _codes(m)
    texts = [b.text for b in report_blocks(m)]
    for scheme in m.schemes:
        for stage in m.stages(scheme):
            table = school_table(m, scheme, 4)
            failing = [r[0].text for r in table.rows if r[1].text == t(f"stage.{stage}", "zh")
                       and r[-2 if scheme == "quality" else -3].text == t("status.fail", "zh")]
            if failing:
                assert sorted(failing, key=codes.__getitem__) == failing
                sentence = t("present2.report.failing_units", "zh", names="、".join(failing))
                assert any(sentence in x for x in texts)
    step = schools_step(m)
    assert step.grid is not None
    rows = list(step.grid.rows)
    for where in {r[0] for r in rows}:
        assert _in_order([(r[2], r[1]) for r in rows if r[0] == where], codes)
