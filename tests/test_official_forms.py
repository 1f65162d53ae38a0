"""The report's tables as the official forms lay them out (docs/outputs.md §3): the national
校际差异系数表 (STANDARDS S7–S9: 全县平均值 and 差异系数 per stage, teachers per pupil as a
decimal to 3, books to 2) and the 申报表's 表Ⅱ-2 (S5, S22: 小学 rows, then 初中 rows; headers
with the units the forms write); every figure the engine's; the 口径 in each table's note."""

from __future__ import annotations

import io
from functools import cache

import openpyxl
import pytest
from demo_data import DEMO_COUNTY, DEMO_SNAPSHOT

from dashboard.i18n import t
from dashboard.method.engine import evaluate
from dashboard.method.standards import scheme_ids
from dashboard.store.snapshots import read_snapshot
from dashboard.ui.checklist import evaluation_with_profile
from dashboard.ui.format import DASH
from dashboard.ui.present.model import Material, material
from dashboard.ui.present.tables import OfficialTable, cv_table, school_table

YEAR = 2024
STAGES = ("primary", "junior")


@cache
def county(lang: str) -> Material:
    """The demo county as the report command judges it (its profile, class and room rows)."""
    snapshot = read_snapshot(DEMO_SNAPSHOT)
    ev = evaluation_with_profile(evaluate(snapshot.schools), None, snapshot.classes,
                                 snapshot.rooms)
    return material(ev, snapshot.schools, snapshot.county, DEMO_COUNTY, YEAR, snapshot.id, lang)


def engine_row(m: Material, scheme: str, stage: str, indicator: str) -> tuple[float, float]:
    """The engine's county mean and CV of one indicator."""
    ind = m.evaluation.indicators
    row = ind[(ind["scheme"] == scheme) & (ind["stage"] == stage)
              & (ind["indicator"] == indicator)].iloc[0]
    return float(row["mean"]), float(row["cv"])


def summary_rows(table: OfficialTable, lang: str) -> list[int]:
    names = (t("forms.row.mean", lang), t("forms.row.cv", lang))
    return [k for k, r in enumerate(table.rows) if r[0].text in names]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("scheme", ["basic", "quality"])
def test_school_tables_list_primary_then_junior_each_closed_by_its_mean_and_cv(
        scheme: str, lang: str) -> None:
    m = county(lang)
    table = school_table(m, scheme, 4)
    stages = [t(f"stage.{s}", lang) for s in STAGES]
    order = [stages.index(r[1].text) for r in table.rows]
    assert order == sorted(order)  # 小学 rows, then 初中 rows (表Ⅱ-2)
    status = table.columns.index(t("present.table.schools.col.status", lang))
    ids = scheme_ids(scheme)
    end = 0
    for stage in STAGES:
        units = len(m.units(scheme, stage))
        mean, cv = table.rows[end + units], table.rows[end + units + 1]
        assert (mean[0].text, cv[0].text) == (t("forms.row.mean", lang), t("forms.row.cv", lang))
        assert mean[1].text == cv[1].text == t(f"stage.{stage}", lang)
        for k, i in enumerate(ids, start=2):
            engine_mean, engine_cv = engine_row(m, scheme, stage, i)
            shown = 1.0 / engine_mean if i == "B6" else engine_mean  # 师生比 as '1 : n'
            assert mean[k].number == pytest.approx(shown)
            assert cv[k].text == f"{engine_cv:.3f}" and cv[k].number == pytest.approx(engine_cv)
        # the summary rows claim no status of their own
        assert mean[status].text == cv[status].text == DASH
        end += units + 2
    assert end == len(table.rows)


def test_the_coefficients_table_prints_the_means_as_the_national_form() -> None:
    m = county("zh")
    table = cv_table(m, "basic", 2)
    assert "校际差异系数表" in table.title
    assert table.columns[3] == "全县平均值"
    rows = {(r[0].text, r[1].text): r for r in table.rows}
    mean, _ = engine_row(m, "basic", "primary", "B6")
    ratio = rows[("小学", "师生比")][3]
    assert ratio.number == pytest.approx(mean) and ratio.fmt == "#,##0.000"
    assert ratio.text.startswith(f"{mean:.3f}（1")  # the form's 0.064, then 1 : n
    books, _ = engine_row(m, "basic", "junior", "B5")
    assert rows[("初中", "生均图书册数")][3].text == f"{books:,.2f}"
    above, _ = engine_row(m, "basic", "junior", "B7")
    assert rows[("初中", "生均高于规定学历教师数")][3].text == f"{above:.3f}"
    area, _ = engine_row(m, "basic", "primary", "B1")
    assert rows[("小学", "生均教学及辅助用房面积")][2].text == "平方米"
    assert rows[("小学", "生均教学及辅助用房面积")][3].text == f"{area:.2f}"


def test_school_table_headers_carry_the_units_the_forms_write() -> None:
    m = county("zh")
    basic = school_table(m, "basic", 4).columns
    for header in ("生均教学及辅助用房面积（平方米）", "生均体育运动场馆面积（平方米）",
                   "生均教学仪器设备值（元）", "每百名学生拥有计算机台数（台）",
                   "生均图书册数（册）", "师生比", "生均中级及以上专业技术职务教师数"):
        assert header in basic
    quality = school_table(m, "quality", 5).columns
    assert "每百名学生拥有网络多媒体教室数（间）" in quality
    assert "每百名学生拥有县级以上骨干教师数（人）" in quality


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("scheme", ["basic", "quality"])
def test_each_table_of_a_scheme_states_its_scope(scheme: str, lang: str) -> None:
    m = county(lang)
    units = len(m.units(scheme))
    for table in (cv_table(m, scheme, 2), school_table(m, scheme, 4)):
        scope = table.note[table.note.index(t("forms.scope", lang, scope="")):]
        assert f" {units} " in scope  # '共 42 个学校（学段）'
        if lang == "zh":
            assert "。 " not in table.note  # Chinese sentences run on without a space


def test_the_workbook_keeps_the_mean_and_cv_rows_as_numbers() -> None:
    from dashboard.ui.present.workbook import build_workbook

    m = county("zh")
    book = openpyxl.load_workbook(io.BytesIO(build_workbook(m)))
    ws = book.worksheets[4]  # 表5, the schools under the quality minimums
    cv_rows = [row for row in ws.iter_rows(min_row=4) if row[0].value == "差异系数"]
    assert [row[1].value for row in cv_rows] == ["小学", "初中"]
    for row, stage in zip(cv_rows, STAGES, strict=True):
        _, cv = engine_row(m, "quality", stage, "Q2")
        assert row[3].value == pytest.approx(cv) and row[3].number_format == "0.000"
        assert row[3].font.b  # the summary rows in bold
    fills = {c.fill.fgColor.rgb for row in ws.iter_rows(min_row=4) for c in row}
    assert "FF90A4AE" in fills  # a value under its standard shaded, as in the report


def test_values_under_their_standard_are_shaded_and_the_summary_rows_bold() -> None:
    """表Ⅱ-2's 填报说明: a value below its standard on a dark background, in every output."""
    from docx import Document

    from dashboard.ui.present.html import report_html
    from dashboard.ui.present.word import SHADE, build_docx

    m = county("zh")
    table = school_table(m, "quality", 5)
    units = m.units("quality")
    below = sum(len(f) for f in units["failing"])  # every failing item is a column here
    marks = [c.mark for r in table.rows for c in r]
    assert below and marks.count("fail") == below
    assert marks.count("total") == len(summary_rows(table, "zh")) * len(table.columns)
    for k in summary_rows(table, "zh"):
        assert {c.mark for c in table.rows[k]} == {"total"}
    assert "深色背景" in table.note
    # the basic table's failing items are the provincial standard's, not its columns: unmarked
    assert "fail" not in {c.mark for r in school_table(m, "basic", 4).rows for c in r}
    assert report_html(m).count('<td class="fail">') == below
    doc = Document(io.BytesIO(build_docx(m)))
    fills = [shd.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}fill")
             for tb in doc.tables for shd in tb._tbl.iter(  # noqa: SLF001
                 "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}shd")]
    assert fills.count(SHADE["fail"]) == below


def test_english_school_tables_leave_their_texts_the_width_to_be_read() -> None:
    """English full names as headers squeezed the items' columns to a letter a line."""
    from dashboard.ui.present.word import column_widths

    m = county("en")
    for scheme in ("basic", "quality"):
        table = school_table(m, scheme, 4)
        assert "Teaching floor area (m²)" in table.columns
        widths = column_widths(table.columns, [[c.text for c in r] for r in table.rows], 1000)
        assert widths[-1] >= 100  # the last column (items) keeps a tenth of the width


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_table_ends_with_the_forms_reporting_unit_and_date(lang: str) -> None:
    from docx import Document

    from dashboard.ui.present.html import report_html
    from dashboard.ui.present.tables import official_tables
    from dashboard.ui.present.word import build_docx
    from dashboard.ui.present.workbook import build_workbook

    m = county(lang)
    tables = official_tables(m)
    footer = tables[0].footer
    assert m.county_label in footer and str(m.made.year) in footer
    assert ("填报单位" in footer) == (lang == "zh")
    assert all(tb.footer == footer for tb in tables)
    assert report_html(m).count(footer) == len(tables)
    doc = Document(io.BytesIO(build_docx(m)))
    assert [p.text.split("\n")[-1] for p in doc.paragraphs].count(footer) == len(tables)
    book = openpyxl.load_workbook(io.BytesIO(build_workbook(m)))
    for ws, tb in zip(book.worksheets, tables, strict=True):
        assert ws.cell(row=3 + len(tb.rows) + 2, column=1).value == footer


def test_the_facts_table_has_the_forms_column_names_and_a_total_row() -> None:
    from dashboard.ui.present.model import stage_facts
    from dashboard.ui.present.tables import facts_table

    m = county("zh")
    table = facts_table(m, 1)
    assert table.columns[1:] == ("学校数（个）", "在校学生数（人）", "教学班数（个）", "专任教师数（人）")
    total = table.rows[-1]
    assert total[0].text == "合计" and {c.mark for c in total} == {"total"}
    facts = stage_facts(m)
    for k, key in enumerate(("units", "students", "classes", "teachers"), start=1):
        assert total[k].number == sum(f[key] for f in facts)  # type: ignore[misc]
    assert "教职工" in table.note  # what the form asks and the data lack, said


def test_workbook_sheets_print_on_landscape_a4_one_page_wide_with_the_note_wrapped() -> None:
    """A sheet printed portrait cut each table across pages and its note at the page edge."""
    from dashboard.ui.present.workbook import build_workbook

    m = county("zh")
    book = openpyxl.load_workbook(io.BytesIO(build_workbook(m)))
    for ws in book.worksheets:
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToWidth in (None, 1)  # 1, the default, is left out
        assert ws.page_setup.fitToHeight == 0  # as many pages down as the rows need
        assert any(str(r).startswith("A2:") for r in ws.merged_cells.ranges)
        assert ws["A2"].alignment.wrap_text
    assert book.worksheets[3].row_dimensions[2].height > 15  # the long note: several lines


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_county_items_are_listed_scheme_by_scheme(lang: str) -> None:
    """The checklist puts failing items first; the table lists 基本均衡's, then 优质均衡's."""
    from dashboard.ui.present.tables import county_table

    m = county(lang)
    names = [t(f"scheme.{s}", lang) for s in ("basic", "quality")]
    shown = [names.index(r[0].text) for r in county_table(m, 6).rows]
    assert shown == sorted(shown) and set(shown) == {0, 1}
