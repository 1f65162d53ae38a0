"""Issue 11's "done when", as a new user would do it: a county of 40 schools that is not the
demo (青山县, 360123) fills the three templates, makes five typical mistakes, gets every one of
them pointed out on the first try (row and column as in the workbook), fixes them, imports, and
sees its county on every page."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from demo_data import DEMO_GEO, DEMO_SNAPSHOT
from streamlit.testing.v1 import AppTest

from dashboard.store.contract import ContractError
from dashboard.store.importing import stage_import, write_staged
from dashboard.store.snapshots import read_snapshot
from dashboard.store.templates import filled_template

REPO = Path(__file__).resolve().parent.parent
CODE, NAME, N = "360123", "青山县", 40
PAGES = ("overview", "map", "urban_rural", "drilldown", "school", "checklist", "scenario",
         "planner", "present", "data")


def _county() -> dict[str, pd.DataFrame]:
    """40 schools of the demo as another county: new codes, ids and name."""
    demo = read_snapshot(DEMO_SNAPSHOT)
    s = demo.schools.sort_values("school_id")
    kept = s[s["school_type"] != "teaching_point"].head(N - 4)
    points = s[(s["school_type"] == "teaching_point") & s["parent_school_id"].isin(kept["school_id"])]
    schools = pd.concat([kept, points.head(N - len(kept))]).reset_index(drop=True)
    assert len(schools) == N

    def new_id(old: object) -> object:
        return None if old is None or pd.isna(old) else "36" + str(old)[2:]

    schools = schools.assign(county_code=CODE, county_name=NAME,
                             school_id=schools["school_id"].map(new_id),
                             parent_school_id=schools["parent_school_id"].map(new_id))
    assert demo.teachers is not None and demo.county is not None
    teachers = demo.teachers[demo.teachers["school_id"].map(new_id).isin(schools["school_id"])]
    teachers = teachers.assign(school_id=teachers["school_id"].map(new_id))
    county = demo.county.assign(county_code=CODE)
    return {"schools": schools, "teachers": teachers, "county": county}


def _header_row(sheet, header: str) -> int:
    for row in range(1, 10):
        if any(c.value == header for c in sheet[row]):
            return row
    raise AssertionError(f"no header {header!r}")


def _with_mistakes(data: bytes) -> tuple[bytes, set[tuple[int, str]], set[str]]:
    """Return the schools workbook with five typical mistakes, where each one is, and the two
    ids a copied id touches (the copied one, the one it overwrote)."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    top = _header_row(sheet, "学校标识码")
    col = {c.value: c.column for c in sheet[top]}
    mistakes = {5: ("小学在校生数", -12), 9: ("学校类型", "完小"), 14: ("学校标识码", None),
                21: ("图书册数", "约一万"), 30: ("县区代码", "36012")}
    for k, (header, value) in mistakes.items():
        row = top + k
        if value is None:  # a copied row: the id of the row above, twice
            value = sheet.cell(row - 1, col[header]).value
            touched = {str(value), str(sheet.cell(row, col[header]).value)}
        sheet.cell(row, col[header]).value = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), {(top + k, header) for k, (header, _) in mistakes.items()}, touched


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tables = _county()
    folder = tmp_path_factory.mktemp("qingshan")
    paths = {t: folder / f"{t}.xlsx" for t in tables}
    for table, frame in tables.items():
        paths[table].write_bytes(filled_template(table, frame, "zh"))  # type: ignore[arg-type]
    good = paths["schools"].read_bytes()
    bad, where, touched = _with_mistakes(good)
    paths["schools"].write_bytes(bad)
    with pytest.raises(ContractError) as err:
        stage_import(paths["schools"], teachers_path=paths["teachers"],
                     county_path=paths["county"])
    found = {(v.row, v.column) for v in err.value.errors}
    assert where <= found, where - found  # every mistake pointed out on the first try
    # the roster's own errors follow from the copied id alone: the school whose id was
    # overwritten is unknown to the roster, the duplicated one counts other teachers
    assert {v.value for v in err.value.errors if v.file != "schools.xlsx"} <= touched
    paths["schools"].write_bytes(good)
    root = folder / "data"
    staged = stage_import(paths["schools"], teachers_path=paths["teachers"],
                          county_path=paths["county"])
    write_staged(root, f"{CODE}-2024", staged)
    return root


@pytest.mark.parametrize("page", PAGES)
def test_the_new_county_is_shown_on_every_page(imported: Path, page: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUNHENG_DATA", str(imported))
    monkeypatch.setenv("JUNHENG_GEO", str(DEMO_GEO))  # no boundaries of its own: said, not fatal
    at = AppTest.from_file(str(REPO / "app" / "main.py"), default_timeout=120)
    at.query_params.update({"lang": "zh"})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    # every page names the county: under the year in the sidebar (AppTest sees the sidebar
    # until it switches page), and the overview, checklist, scenario and present captions too
    assert f"{NAME}（{CODE}）" in [str(c.value) for c in at.sidebar.caption]
    if page != "overview":
        at.switch_page(str(REPO / "pages" / f"{page}.py"))
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    texts = " ".join(str(getattr(e, "value", "")) for kind in ("caption", "markdown", "text", "title", "subheader",
                                               "info", "warning") for e in at.get(kind))
    assert "示范县（990101）" not in texts  # nothing of the demo county leaks in
    if page in ("overview", "checklist", "scenario", "present"):
        assert f"{NAME}（{CODE}）" in texts
