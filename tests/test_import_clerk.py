"""A county clerk's own workbook, as bureaus keep them (review of the import, 30 Nov 2026):
headers with 平方米, short type names, a 小学's 初中 columns left empty or dashed, a closed
school, the same year imported twice.  Each test fails without its fix."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from demo_data import DEMO_DATA

from dashboard.store.contract import load_schools, validate_schools, validate_teachers
from dashboard.store.contract.spec import header_map
from dashboard.store.importing import free_snapshot_id, stage_import, write_staged
from dashboard.store.snapshots import SnapshotValueError, read_snapshot

REPO = Path(__file__).resolve().parent.parent
ZH = header_map("schools", "zh")


def demo() -> pd.DataFrame:
    return read_snapshot(DEMO_DATA / "demo-990101-2024").schools


def clerk_sheet(frame: pd.DataFrame, path: Path, rename: dict[str, str] | None = None) -> Path:
    """Write ``frame`` as a clerk's workbook: a merged title row, Chinese headers (with
    ``rename``), an extra 备注 column, every cell as its text."""
    book = openpyxl.Workbook()
    sheet = book.active
    heads = [(rename or {}).get(c, ZH[c]) for c in frame.columns]
    sheet.append(["某某县义务教育学校基本情况统计表"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(heads) + 1)
    sheet.append([*heads, "备注"])
    for row in frame.itertuples(index=False):
        sheet.append([None if pd.isna(v) else str(v) for v in row] + ["已核对"])
    book.save(path)
    return path


def test_areas_headed_in_square_metres_are_the_contracts_columns(tmp_path: Path) -> None:
    areas = [c for c in ZH if c.endswith("_m2")]
    rename = {c: ZH[c].replace("(㎡)", "（平方米）") for c in areas}
    path = clerk_sheet(demo(), tmp_path / "平方米.xlsx", rename)
    result = load_schools(path)
    assert not result.errors, result.errors[:3]
    pd.testing.assert_series_equal(result.frame["teaching_aux_area_m2"],
                                   demo()["teaching_aux_area_m2"])


def test_short_school_type_names_are_read_as_the_codes(tmp_path: Path) -> None:
    frame = demo()
    short = {"nine_year": "九年一贯制", "teaching_point": "教学点",
             "complete_secondary": "完中", "primary": "小学", "junior": "初级中学"}
    typed = frame.assign(school_type=frame["school_type"].map(short))
    result = load_schools(clerk_sheet(typed, tmp_path / "types.xlsx"))
    assert not result.errors, result.errors[:3]
    assert result.frame["school_type"].tolist() == frame["school_type"].tolist()


def test_an_unknown_type_is_one_error_not_a_second_one_on_its_parent() -> None:
    frame = demo().astype({"school_type": object})
    point = int(frame.index[frame["school_type"] == "teaching_point"][0])
    frame.loc[point, "school_type"] = "村小教学点"
    errors = validate_schools(frame).errors
    assert [(v.row, v.column, v.rule) for v in errors] == [(point + 1, "school_type", "enum")]


@pytest.mark.parametrize("blank", [None, "-", "—", "／"])
def test_a_primary_schools_junior_columns_may_be_left_empty(tmp_path: Path, blank) -> None:
    frame = demo().astype(object)
    primary = frame["school_type"].isin(["primary", "teaching_point"])
    junior = [c for c in frame.columns if c.endswith("_junior")]
    frame.loc[primary, junior] = blank
    result = load_schools(clerk_sheet(frame, tmp_path / "blank.xlsx"))
    assert not result.errors, result.errors[:3]
    pd.testing.assert_frame_equal(result.frame, demo())


def test_an_empty_cell_of_a_stage_the_school_has_is_still_an_error() -> None:
    frame = demo().astype(object)
    nine = int(frame.index[frame["school_type"] == "nine_year"][0])
    first = int(frame.index[frame["school_type"] == "primary"][0])
    frame.loc[nine, "students_junior"] = None
    frame.loc[first, "students_primary"] = "-"
    found = {(v.row, v.column, v.rule) for v in validate_schools(frame).errors}
    assert found == {(nine + 1, "students_junior", "not_empty"),
                     (first + 1, "students_primary", "type")}


def test_a_closed_school_is_warned_once_not_for_its_area_per_pupil() -> None:
    frame = demo()
    pupils = [c for c in frame.columns if c.startswith(("students_", "boarders"))]
    frame.loc[0, pupils] = 0
    warned = [(v.row, v.rule) for v in validate_schools(frame).warnings if v.row == 1]
    assert warned == [(1, "zero_students")]


def test_the_same_year_imported_again_gets_a_new_id_and_keeps_the_first(tmp_path: Path) -> None:
    root = tmp_path / "data"
    path = tmp_path / "schools.csv"
    demo().to_csv(path, index=False)
    staged = stage_import(path)
    first = write_staged(root, free_snapshot_id(root, staged), staged)
    assert first.name == "990101-2024"
    assert free_snapshot_id(root, staged) == "990101-2024-2"
    done = subprocess.run([sys.executable, "-m", "dashboard", "import", str(path), "--out",
                           str(root)], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in root.iterdir()) == ["990101-2024", "990101-2024-2"]
    pd.testing.assert_frame_equal(read_snapshot(root / "990101-2024-2").schools, demo())


def test_a_clerks_messy_sheet_of_two_years_imports_one_year(tmp_path: Path) -> None:
    """Full-width digits, thousands separators, spaces around names and numbers, an empty row
    in the middle, a title row, a notes column; 2023 and 2024 in one sheet."""
    frames = [read_snapshot(DEMO_DATA / f"demo-990101-{y}").schools for y in (2023, 2024)]
    both = pd.concat(frames, ignore_index=True).astype(object)
    full = str.maketrans("0123456789", "０１２３４５６７８９")
    both["students_primary"] = [str(v).translate(full) for v in both["students_primary"]]
    both["books"] = [f"{int(v):,}" for v in both["books"]]
    both["school_name"] = [f"\u3000{v}  " for v in both["school_name"]]
    path = clerk_sheet(both, tmp_path / "两年.xlsx")
    book = openpyxl.load_workbook(path)
    book.active.insert_rows(10)
    book.save(path)
    with pytest.raises(SnapshotValueError, match="2023, 2024"):
        stage_import(path)
    staged = stage_import(path, year=2024)
    pd.testing.assert_frame_equal(staged.schools, frames[1])


def test_a_rosters_everyday_degree_and_title_names_are_read_as_the_codes() -> None:
    roster = pd.DataFrame({
        "teacher_id": ["T1", "T2", "T3"], "school_id": ["1", "1", "1"],
        "stage": ["小学"] * 3, "subject": ["语文"] * 3,
        "degree": ["大专", "硕士研究生", "中专"], "title": ["副高", "正高", "中级"],
        "backbone_level": ["无"] * 3, "birth_year": [1980] * 3,
        "start_year_at_school": [2010] * 3})
    result = validate_teachers(roster)
    assert not result.errors, result.errors
    assert result.frame["degree"].tolist() == ["associate", "postgraduate", "secondary"]
    assert result.frame["title"].tolist() == ["senior", "full_senior", "intermediate"]


def test_a_warning_listed_among_the_errors_says_it_is_one(tmp_path: Path) -> None:
    """The command printed a closed school's warning in the list of errors, unmarked."""
    frame = demo().astype(object)
    pupils = [c for c in frame.columns if c.startswith(("students_", "boarders"))]
    frame.loc[0, pupils] = 0
    frame.loc[1, "books"] = -5
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    root = tmp_path / "data"
    done = subprocess.run([sys.executable, "-m", "dashboard", "import", str(path), "--out",
                           str(root)], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 2 and not root.exists()
    lines = done.stderr.splitlines()
    assert "（1 项错误）" in lines[0]
    assert lines[1] == "  提示：文件 bad.csv，第 2 行：不符合规则「各学段在校生数不宜全为 0」"
    assert lines[2] == "  文件 bad.csv，第 3 行，列「books」：值 -5 不符合规则「不得小于 0」"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_templates_print_in_landscape_and_the_instructions_one_page_wide(lang: str) -> None:
    """Printed as they were, the instructions came out as 3–4 pages of partial columns."""
    import io

    from dashboard.store.templates import TEMPLATE_FILES, template_workbook

    for table in TEMPLATE_FILES:
        book = openpyxl.load_workbook(io.BytesIO(template_workbook(table, lang)))
        data, instructions, _examples, codes = book.worksheets
        for sheet in book.worksheets[:1] + [instructions, codes]:
            assert sheet.page_setup.orientation == "landscape", (table, sheet.title)
            assert sheet.print_title_rows, (table, sheet.title)
        for sheet in (instructions, codes):
            assert sheet.sheet_properties.pageSetUpPr.fitToPage, (table, sheet.title)
            assert (sheet.page_setup.fitToWidth or 1, sheet.page_setup.fitToHeight) == (1, 0)


def test_an_import_of_one_year_warns_only_about_that_years_rows(tmp_path: Path) -> None:
    """A school closed in 2024 was warned about in the preview of the 2023 import too."""
    frames = [read_snapshot(DEMO_DATA / f"demo-990101-{y}").schools for y in (2023, 2024)]
    pupils = [c for c in frames[1].columns if c.startswith(("students_", "boarders"))]
    frames[1].loc[0, pupils] = 0
    path = clerk_sheet(pd.concat(frames, ignore_index=True), tmp_path / "两年.xlsx")
    closed_row = 2 + len(frames[0]) + 1  # title, header, the 2023 rows
    assert [(v.row, v.rule) for v in stage_import(path, year=2024).warnings] == [
        (closed_row, "zero_students")]
    assert stage_import(path, year=2023).warnings == ()


def test_a_roster_is_counted_against_the_chosen_year_of_a_two_year_workbook(
        tmp_path: Path) -> None:
    """The roster (which names no year) was compared with both years' teachers summed, so
    every school of a correct roster failed roster_count."""
    years = {y: read_snapshot(DEMO_DATA / f"demo-990101-{y}") for y in (2023, 2024)}
    schools = tmp_path / "两年.xlsx"
    pd.concat([s.schools for s in years.values()], ignore_index=True).to_excel(schools,
                                                                               index=False)
    roster = tmp_path / "名册.csv"
    assert years[2024].teachers is not None
    years[2024].teachers.to_csv(roster, index=False)
    staged = stage_import(schools, teachers_path=roster, year=2024)
    assert staged.teachers is not None and len(staged.teachers) == len(years[2024].teachers)
    with pytest.raises(SnapshotValueError, match="2023, 2024"):
        stage_import(schools, teachers_path=roster)  # which year's counts? it must be chosen


def test_the_import_commands_help_says_what_county_and_id_do() -> None:
    """import --county said 只评估该县区代码 (evaluate), the evaluate command's words."""
    done = subprocess.run([sys.executable, "-m", "dashboard", "import", "--help"],
                          capture_output=True, text=True, cwd=REPO)
    text = " ".join(done.stdout.split())
    assert "只导入该县区代码的学校" in text and "只评估" not in text
    assert "-2、-3" in text


def test_a_workbook_that_opens_on_a_cover_sheet_is_read_from_its_table(tmp_path: Path) -> None:
    """The first sheet was read, and a workbook opening on 封面 got one error per column."""
    path = clerk_sheet(demo(), tmp_path / "封面.xlsx")
    book = openpyxl.load_workbook(path)
    book.active.title = "学校情况"
    cover = book.create_sheet("封面", 0)
    cover.append(["某某县 2024 年教育事业统计"])
    cover.append(["学校名称", "填报人"])  # one contract header: fewer than the table's
    book.save(path)
    result = load_schools(path)
    assert not result.errors, result.errors[:3]
    assert {v.sheet for v in result.violations} <= {"学校情况"}
    pd.testing.assert_frame_equal(result.frame, demo())
    named = load_schools(path, sheet="封面")  # a sheet asked for is read as asked
    assert named.errors and {v.sheet for v in named.errors} == {"封面"}


def test_a_stray_cell_on_the_table_behind_a_cover_is_still_refused_unread(
        tmp_path: Path) -> None:
    """Looking for the table's sheet keeps each sheet's declared size for the limits."""
    path = tmp_path / "封面.xlsx"
    demo().to_excel(path, index=False, sheet_name="学校")
    book = openpyxl.load_workbook(path)
    book["学校"]["XFD1048576"] = "x"
    book.create_sheet("封面", 0).append(["封面"])
    book.save(path)
    result = load_schools(path, lang="en")
    assert [(v.rule, v.sheet) for v in result.errors] == [("too_large", "学校")]
    assert "1048576" in result.errors[0].message("en")


def test_a_duplicate_school_id_names_the_row_it_repeats(tmp_path: Path) -> None:
    """The error named only the second row; the clerk had to search 60 rows for the first."""
    frame = demo()
    frame.loc[5, "school_id"] = frame.loc[2, "school_id"]
    (error,) = load_schools(clerk_sheet(frame, tmp_path / "重复.xlsx")).errors
    assert (error.row, error.rule) == (5 + 3, "unique")  # a title row, the header, 1-based
    assert error.rule_text("zh").endswith("（与第 5 行重复）")
    assert error.rule_text("en").endswith(" (the same as row 5)")


def test_a_workbook_of_one_sheet_per_year_imports_the_years_sheet(tmp_path: Path) -> None:
    """With --year 2024 the first sheet (2023学年) was read and the import said there was no
    row of 2024; the data page has no sheet to choose."""
    frames = {y: read_snapshot(DEMO_DATA / f"demo-990101-{y}").schools for y in (2023, 2024)}
    path = tmp_path / "分年.xlsx"
    with pd.ExcelWriter(path) as book:
        for year, frame in frames.items():
            frame.rename(columns=ZH).to_excel(book, sheet_name=f"{year}学年", index=False)
    from dashboard.store.importing import preview, preview_lines

    for year, frame in frames.items():
        staged = stage_import(path, year=year)
        pd.testing.assert_frame_equal(staged.schools, frame)
        assert staged.schools_sheet == f"{year}学年"  # and the preview says which sheet
        lines = preview_lines(preview(tmp_path / "data", staged), "zh")
        assert f"学校表读自工作表「{year}学年」。" in lines
    with pytest.raises(SnapshotValueError):
        stage_import(path, year=2022)
    with pytest.raises(SnapshotValueError):
        stage_import(path, year=2024, sheet="2023学年")  # a sheet asked for is the one read


def test_the_summary_line_names_the_file_the_errors_are_in(tmp_path: Path) -> None:
    """Errors only in the roster were summed up under the schools file's name."""
    snapshot = read_snapshot(DEMO_DATA / "demo-990101-2024")
    assert snapshot.teachers is not None
    schools, roster = tmp_path / "学校.csv", tmp_path / "名册.csv"
    snapshot.schools.to_csv(schools, index=False)
    snapshot.teachers.iloc[1:].to_csv(roster, index=False)  # one teacher short
    done = subprocess.run([sys.executable, "-m", "dashboard", "import", str(schools),
                           "--teachers", str(roster), "--out", str(tmp_path / "data")],
                          capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 2 and not (tmp_path / "data").exists()
    assert done.stderr.splitlines()[0] == "输入数据不符合数据契约：名册.csv（1 项错误）"


@pytest.mark.parametrize("written", ["2024年", "2024学年", "2024-2025学年", "2024—2025学年度",
                                     "２０２４－２０２５"])
def test_an_academic_year_as_bureaus_write_it_is_the_year_it_starts(written: str) -> None:
    frame = demo().astype(object).assign(year=written)
    result = validate_schools(frame)
    assert not result.errors, result.errors[:2]
    assert set(result.frame["year"]) == {2024}


@pytest.mark.parametrize("written", ["2024-2026", "二〇二四", "2024年9月"])
def test_a_year_that_is_not_one_academic_year_is_still_refused(written: str) -> None:
    frame = demo().astype(object).assign(year=written)
    assert {v.rule for v in validate_schools(frame).errors} == {"type"}


def test_ticks_and_crosses_are_yes_and_no() -> None:
    """是否县属 ticked √ / × as bureaus' checklists do: read as yes / no; a mark that is
    neither is still refused."""
    frame = demo().astype({"county_run": object})
    frame.loc[0, "county_run"], frame.loc[1, "county_run"] = "√", "×"
    frame.loc[2, "county_run"], frame.loc[3, "county_run"] = "✓", "✗"
    result = validate_schools(frame)
    assert result.ok, [v.message("zh") for v in result.errors]
    assert result.frame["county_run"].iloc[:4].tolist() == [True, False, True, False]
    frame.loc[4, "county_run"] = "○"
    assert [(v.row, v.column) for v in validate_schools(frame).errors] == [(5, "county_run")]
