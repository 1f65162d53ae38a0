"""The fill-in templates (issue 11): one workbook per table, opened on its data sheet with the
contract's headers; the example rows, copied into the data sheet, import without an error."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import get_column_letter

from dashboard.i18n import t
from dashboard.store.contract import load_county, load_schools, load_teachers
from dashboard.store.contract.spec import header_map, specs
from dashboard.store.templates import template_workbook, write_templates

REPO = Path(__file__).resolve().parent.parent
TABLES = ("schools", "teachers", "county")
LOADERS = {"schools": load_schools, "teachers": load_teachers, "county": load_county}


def book(table: str, lang: str) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(template_workbook(table, lang)))


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("table", TABLES)
def test_the_data_sheet_comes_first_with_the_contracts_headers_frozen(table: str, lang: str) -> None:
    wb = book(table, lang)
    assert wb.sheetnames == [t(f"template.sheet.{k}", lang) for k in
                             (table, "instructions", "examples", "codes")]
    data = wb.worksheets[0]
    headers = [c.value for c in data[1]]
    assert headers == [header_map(table, lang)[s.name] for s in specs(table)]  # type: ignore[arg-type]
    assert data.freeze_panes == "A2"
    assert data.max_row == 1  # no example row where it would be imported


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("table", TABLES)
def test_every_enumeration_has_a_drop_down_and_every_number_a_check(table: str, lang: str) -> None:
    data = book(table, lang).worksheets[0]
    by_column = {}
    for dv in data.data_validations.dataValidation:
        for cell_range in dv.sqref.ranges:
            by_column[cell_range.min_col] = dv
    for col, s in enumerate(specs(table), start=1):  # type: ignore[arg-type]
        dv = by_column.get(col)
        if s.enum is not None or s.dtype == "bool":
            assert dv is not None and dv.type == "list", s.name
            assert t("template.sheet.codes", lang) in dv.formula1
        elif s.dtype in ("int", "float"):
            assert dv is not None and dv.type == ("whole" if s.dtype == "int" else "decimal"), s.name
        else:
            assert dv is None, s.name


def test_ids_are_text_so_leading_zeros_stay() -> None:
    data = book("schools", "zh").worksheets[0]
    col = [s.name for s in specs("schools")].index("school_id") + 1
    assert data.column_dimensions[get_column_letter(col)].number_format == "@"


def test_the_instructions_name_every_column_with_its_unit_and_rule() -> None:
    sheet = book("schools", "zh")[t("template.sheet.instructions", "zh")]
    rows = {r[1]: r for r in sheet.iter_rows(values_only=True) if r[1]}
    for s in specs("schools"):
        assert s.name in rows, s.name
    assert rows["teaching_aux_area_m2"][3] == "平方米"
    assert "元" in rows["equipment_value_yuan"][3] and "万元" in rows["equipment_value_yuan"][7]
    assert "小学教学点" in rows["school_type"][6]
    assert "学校类型为 小学教学点 时必填" in rows["parent_school_id"][6]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_examples_copied_into_the_data_sheet_import_without_an_error(tmp_path: Path,
                                                                        lang: str) -> None:
    schools = None
    for table in TABLES:
        wb = book(table, lang)
        examples = list(wb[t("template.sheet.examples", lang)].iter_rows(values_only=True))
        assert len(examples) > 1
        data = wb.worksheets[0]
        index = {h: k for k, h in enumerate(examples[0])}
        for r, row in enumerate(examples[1:], start=2):
            for col, header in enumerate([c.value for c in data[1]], start=1):
                if header in index:
                    data.cell(row=r, column=col, value=row[index[header]])
        path = tmp_path / f"{table}.xlsx"
        wb.save(path)
        kwargs = {} if table == "schools" else {"schools": schools}
        result = LOADERS[table](path, lang=lang, **kwargs)
        if table == "teachers":  # a few teachers: their schools' head counts cannot agree
            assert {v.rule for v in result.violations} <= {"roster_count"}, result.violations
            continue
        assert result.ok, [str(v) for v in result.violations][:5]
        if table == "schools":
            schools = result.frame
            assert len(set(schools["school_type"])) >= 5  # a school of every type the demo has
            assert all(schools["school_id"].str.len() == 10)


def test_the_command_writes_three_templates_and_never_overwrites(tmp_path: Path) -> None:
    run = [sys.executable, "-m", "dashboard", "template", "--out", str(tmp_path)]
    done = subprocess.run(run, capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["junheng-template-classes.xlsx", "junheng-template-county_items.xlsx",
                       "junheng-template-rooms.xlsx", "junheng-template-schools.xlsx",
                       "junheng-template-teachers.xlsx"]  # classes and rooms: optional (issue 12)
    before = {p: p.read_bytes() for p in tmp_path.iterdir()}
    again = subprocess.run(run, capture_output=True, text=True, cwd=REPO)
    assert again.returncode == 2 and "junheng-template-" in again.stderr
    assert {p: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_english_templates_sit_beside_the_chinese_ones(tmp_path: Path) -> None:
    paths = write_templates(tmp_path, "en")
    assert all(p.name.endswith("-en.xlsx") for p in paths)
    frame = pd.read_excel(paths[0], sheet_name=0)
    assert list(frame.columns) == [s.name for s in specs("schools")]


def test_the_demo_county_through_its_templates_evaluates_to_the_identical_report(
        tmp_path: Path) -> None:
    """Round trip (issue 11): the demo's three tables written into the templates as a user
    would fill them, imported again, give the same tables and the same evaluation."""
    from demo_data import DEMO_SNAPSHOT

    from dashboard.method.engine import evaluate
    from dashboard.store.importing import stage_import
    from dashboard.store.snapshots import read_snapshot
    from dashboard.store.templates import filled_template

    snap = read_snapshot(DEMO_SNAPSHOT)
    paths = {}
    for table, frame in (("schools", snap.schools), ("teachers", snap.teachers),
                         ("county", snap.county)):
        paths[table] = tmp_path / f"{table}.xlsx"
        paths[table].write_bytes(filled_template(table, frame, "zh"))
    staged = stage_import(paths["schools"], teachers_path=paths["teachers"],
                          county_path=paths["county"])
    pd.testing.assert_frame_equal(staged.schools, snap.schools)
    pd.testing.assert_frame_equal(staged.teachers, snap.teachers)
    pd.testing.assert_frame_equal(staged.county, snap.county)
    before, after = evaluate(snap.schools), evaluate(staged.schools)
    pd.testing.assert_frame_equal(after.indicators, before.indicators)
    pd.testing.assert_frame_equal(after.composites, before.composites)


def test_a_formula_without_a_saved_result_is_named_as_a_formula(tmp_path: Path) -> None:
    """A workbook written by a program (openpyxl here) stores a formula without its result;
    read for values the cell is empty.  The error says it is a formula and how to get its
    result saved, not that the cell was left empty; an empty cell beside it stays 'required'."""
    from demo_data import DEMO_SNAPSHOT

    from dashboard.store.snapshots import read_snapshot
    from dashboard.store.templates import filled_template

    schools = read_snapshot(DEMO_SNAPSHOT).schools
    wb = openpyxl.load_workbook(io.BytesIO(filled_template("schools", schools, "zh")))
    ws = wb.worksheets[0]
    col = {c.value: c.column_letter for c in ws[1]}
    ws[f"{col['小学在校生数']}3"] = "=100+66"
    ws[f"{col['县区代码']}4"] = None
    path = tmp_path / "scripted.xlsx"
    wb.save(path)
    found = {(v.row, v.column): v for v in load_schools(path, lang="zh").errors}
    formula = found[(3, "小学在校生数")]
    assert (formula.rule, formula.value) == ("formula_uncached", "=100+66")
    assert "Excel 或 WPS 打开并保存" in formula.message("zh") and "=100+66" in formula.message("zh")
    assert "open and save it in Excel or WPS" in formula.message("en")
    assert found[(4, "县区代码")].rule == "not_empty"  # a truly empty cell is still reported as empty
