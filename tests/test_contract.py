"""The data contract: every kind of violation with its exact message, file formats, headers."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from fixtures.contract.frames import (
    COUNTY,
    NINE_YEAR_ID,
    PRIMARY_ID,
    TEACHING_POINT_ID,
    as_text,
    valid_county,
    valid_schools,
    valid_teachers,
    with_chinese_headers,
    write_csv,
    write_xlsx,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.store.contract import (
    COUNTY_COLUMNS,
    SCHOOL_COLUMNS,
    TEACHER_COLUMNS,
    ContractError,
    LoadResult,
    Violation,
    enum_labels,
    header_map,
    load_county,
    load_schools,
    load_teachers,
    schools_header_map,
    validate_county,
    validate_schools,
    validate_teachers,
)

SCHOOL_TYPES_ZH = "小学、初中、九年一贯制学校、十二年一贯制学校、完全中学、小学教学点"
SCHOOL_TYPES_EN = "primary, junior, nine_year, twelve_year, complete_secondary, teaching_point"


def changed(**cells: tuple[int, object] | list[tuple[int, object]]) -> pd.DataFrame:
    """Return the valid schools with cells changed: ``column=(row, value)`` or a list of them."""
    frame = valid_schools().astype(object)
    for column, change in cells.items():
        for row, value in change if isinstance(change, list) else [change]:
            frame.loc[row, column] = value
    return frame


def only(result: LoadResult) -> Violation:
    assert len(result.violations) == 1, [v.message("en") for v in result.violations]
    return result.violations[0]


def messages(result: LoadResult, lang: str) -> list[str]:
    return [v.message(lang) for v in result.violations]


# ---------------------------------------------------------------- the declaration


def test_schools_columns_follow_the_contract_with_stage_expansion():
    assert SCHOOL_COLUMNS[:6] == ("year", "county_code", "county_name", "school_id",
                                  "school_name", "township")
    assert "students_primary" in SCHOOL_COLUMNS and "students_junior" in SCHOOL_COLUMNS
    assert "teachers_pe_art_junior" in SCHOOL_COLUMNS and "{s}" not in "".join(SCHOOL_COLUMNS)
    assert len(SCHOOL_COLUMNS) == len(set(SCHOOL_COLUMNS)) == 40


def test_header_maps_give_chinese_headers_with_stage_prefix():
    zh = schools_header_map("zh")
    assert list(zh) == list(SCHOOL_COLUMNS)
    assert zh["students_primary"] == "小学在校生数"
    assert zh["teachers_above_degree_junior"] == "初中高于规定学历专任教师数"
    assert zh["teachers_pe_art_primary"] == "小学体育艺术(音乐、美术)专任教师数"
    assert zh["students_senior"] == "高中在校生数"
    assert schools_header_map("en") == {c: c for c in SCHOOL_COLUMNS}
    assert len(set(zh.values())) == len(zh)
    assert header_map("teachers", "zh")["degree"] == "最高学历"
    assert list(header_map("county", "en")) == list(COUNTY_COLUMNS)
    assert TEACHER_COLUMNS[0] == "teacher_id"
    with pytest.raises(ValueError, match="lang must be 'zh' or 'en', got 'fr'"):
        header_map("schools", "fr")


def test_enum_labels_in_both_languages():
    assert enum_labels("school_type", "zh")["nine_year"] == "九年一贯制学校"
    assert enum_labels("ownership", "en") == {"public": "Public", "private": "Private"}
    assert list(enum_labels("urban_rural_code", "zh")) == [111, 112, 121, 122, 123, 210, 220]
    assert enum_labels("degree", "zh")["secondary"] == "中专/高中及以下"
    assert "G13" in enum_labels("county_item", "zh") and "B1" not in enum_labels("county_item")


def test_domain_modules_do_not_import_streamlit():
    code = ("import sys, dashboard.store.contract, dashboard.store.snapshots; "
            "print('streamlit' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------- a valid table


def test_valid_schools_have_no_violation_and_canonical_dtypes():
    result = validate_schools(valid_schools())
    assert result.ok and result.violations == () and result.errors == result.warnings == ()
    frame = result.frame
    assert list(frame.columns) == list(SCHOOL_COLUMNS)
    assert frame["school_id"].tolist() == [PRIMARY_ID, NINE_YEAR_ID, TEACHING_POINT_ID]
    assert frame["county_code"].tolist() == [COUNTY] * 3
    assert frame["year"].dtype == np.int64 and frame["students_primary"].dtype == np.int64
    assert frame["urban_rural_code"].dtype == np.int64
    assert frame["county_run"].dtype == bool
    assert frame["teaching_aux_area_m2"].dtype == np.float64
    assert frame["parent_school_id"].tolist() == [None, None, PRIMARY_ID]


def test_validation_does_not_change_its_input():
    frame = changed(students_primary=(0, -3))
    before = frame.copy()
    validate_schools(frame)
    pd.testing.assert_frame_equal(frame, before)


def test_text_cells_and_typed_cells_give_the_same_frame():
    typed = validate_schools(valid_schools()).frame
    from_text = validate_schools(as_text(valid_schools())).frame
    pd.testing.assert_frame_equal(typed, from_text)


def test_optional_columns_may_be_absent():
    frame = valid_schools().drop(columns=["students_senior", "longitude", "latitude"])
    frame = frame.assign(parent_school_id=[None, None, PRIMARY_ID])
    result = validate_schools(frame)
    assert result.ok
    assert result.frame["students_senior"].tolist() == [0, 0, 0]
    assert result.frame["longitude"].isna().all()


# ---------------------------------------------------------------- each kind of violation


def test_negative_count():
    v = only(validate_schools(changed(students_primary=(1, -3)), file="schools.xlsx",
                              sheet="Sheet1", header_rows=1))
    assert (v.row, v.column, v.value, v.rule, v.severity) == (
        3, "students_primary", "-3", "min_0", "error")
    assert v.message("zh") == ("文件 schools.xlsx，工作表 Sheet1，第 3 行，列「students_primary」："
                               "值 -3 不符合规则「不得小于 0」")
    assert v.message("en") == ('File schools.xlsx, sheet Sheet1, row 3, column "students_primary": '
                               'value -3 breaks the rule "must not be less than 0"')


def test_message_of_the_contract_example():
    v = Violation("schools.xlsx", "Sheet1", 5, "小学在校生数", "-3", "min_0", "error")
    assert v.message("zh") == ("文件 schools.xlsx，工作表 Sheet1，第 5 行，列「小学在校生数」："
                               "值 -3 不符合规则「不得小于 0」")
    assert v.message("en") == ('File schools.xlsx, sheet Sheet1, row 5, column "小学在校生数": '
                               'value -3 breaks the rule "must not be less than 0"')


def test_value_outside_enum():
    v = only(validate_schools(changed(school_type=(1, "高中"))))
    assert (v.row, v.rule) == (2, "enum")
    assert v.message("zh") == (f"文件 schools，第 2 行，列「school_type」：值 高中 不符合规则"
                               f"「须为以下之一：{SCHOOL_TYPES_ZH}」")
    assert v.message("en") == (f'File schools, row 2, column "school_type": value 高中 breaks the '
                               f'rule "must be one of: {SCHOOL_TYPES_EN}"')


def test_enum_accepts_chinese_labels_and_codes():
    frame = changed(school_type=[(0, "小学"), (1, "九年一贯制学校")], ownership=(2, "公办"),
                    urban_rural_code=(0, "主城区"))
    result = validate_schools(frame)
    assert result.ok
    assert result.frame["school_type"].tolist() == ["primary", "nine_year", "teaching_point"]
    assert result.frame["urban_rural_code"].tolist() == [111, 210, 220]


def test_bad_urban_rural_code():
    v = only(validate_schools(changed(urban_rural_code=(0, 113))))
    assert v.message("zh") == ("文件 schools，第 1 行，列「urban_rural_code」：值 113 不符合规则"
                               "「须为以下之一：111 主城区、112 城乡结合区、121 镇中心区、122 镇乡结合区、"
                               "123 特殊区域、210 乡中心区、220 村庄」")
    assert v.message("en") == ('File schools, row 1, column "urban_rural_code": value 113 breaks the '
                               'rule "must be one of: 111, 112, 121, 122, 123, 210, 220"')


def test_county_code_must_be_six_digits():
    v = only(validate_schools(changed(county_code=(1, "36012"))))
    assert v.message("zh") == "文件 schools，第 2 行，列「county_code」：值 36012 不符合规则「须为 6 位数字」"
    assert v.message("en") == ('File schools, row 2, column "county_code": value 36012 breaks the '
                               'rule "must be 6 digits"')


def test_duplicate_school_id_within_year_and_county():
    frame = pd.concat([valid_schools(), valid_schools().iloc[[1]]], ignore_index=True)
    v = only(validate_schools(frame))
    assert (v.row, v.value, v.rule) == (4, NINE_YEAR_ID, "unique")
    assert v.message("zh") == (f"文件 schools，第 4 行，列「school_id」：值 {NINE_YEAR_ID} 不符合规则"
                               "「同一year、county_code内不得重复（与第 2 行重复）」")
    assert v.message("en") == (f'File schools, row 4, column "school_id": value {NINE_YEAR_ID} breaks '
                               'the rule "must be unique within the same year, county_code (the same as '
                               'row 2)"')


def test_same_school_id_in_another_county_or_year_is_fine():
    other = valid_schools().assign(county_code="360124")
    later = valid_schools().assign(year=2025)
    assert validate_schools(pd.concat([valid_schools(), other, later], ignore_index=True)).ok


def test_qualified_teachers_above_teachers():
    v = only(validate_schools(changed(teachers_above_degree_junior=(1, 9))))
    assert v.rule == "le:teachers_junior"
    assert v.message("zh") == ("文件 schools，第 2 行，列「teachers_above_degree_junior」：值 9 不符合规则"
                               "「不得大于 teachers_junior（本行为 4）」")
    assert v.message("en") == ('File schools, row 2, column "teachers_above_degree_junior": value 9 '
                               'breaks the rule "must not exceed teachers_junior (4 in this row)"')


def test_classes_with_av_above_all_classes():
    v = only(validate_schools(changed(classes_with_av=(1, 13))))
    assert v.rule == "le:classes_primary+classes_junior"
    assert v.message("en") == ('File schools, row 2, column "classes_with_av": value 13 breaks the '
                               'rule "must not exceed classes_primary + classes_junior (12 in this row)"')


def test_missing_column():
    result = validate_schools(valid_schools().drop(columns=["books"]))
    v = only(result)
    assert (v.row, v.column, v.value, v.rule) == (None, "books", None, "required")
    assert v.message("zh") == "文件 schools，列「books」：不符合规则「表中须有此列」"
    assert v.message("en") == 'File schools, column "books": breaks the rule "the table must have this column"'


def test_missing_column_is_named_in_the_language_of_the_file_headers():
    frame = with_chinese_headers(valid_schools()).drop(columns=["图书册数"])
    assert only(validate_schools(frame)).column == "图书册数"


def test_teaching_point_without_parent():
    v = only(validate_schools(changed(parent_school_id=(2, None))))
    assert v.rule == "required_when:school_type=teaching_point"
    assert v.message("zh") == ("文件 schools，第 3 行，列「parent_school_id」：不符合规则"
                               "「school_type为小学教学点时必填」")
    assert v.message("en") == ('File schools, row 3, column "parent_school_id": breaks the rule '
                               '"required when school_type is teaching_point"')


def test_teaching_point_with_unknown_parent():
    v = only(validate_schools(changed(parent_school_id=(2, "3601239999"))))
    assert v.message("zh") == ("文件 schools，第 3 行，列「parent_school_id」：值 3601239999 不符合规则"
                               "「须为同一学年、同一县区中已列出的学校（非教学点）的学校标识码」")
    assert v.message("en") == ('File schools, row 3, column "parent_school_id": value 3601239999 '
                               'breaks the rule "must be the ID of a school (not a teaching point) '
                               'listed for the same year and county"')


def test_parent_must_be_of_the_same_county_and_a_school_not_a_teaching_point():
    other_county = changed(county_code=(0, "360124"))
    assert [v.rule for v in validate_schools(other_county).violations] == ["parent_exists"]
    self_parent = changed(parent_school_id=(2, TEACHING_POINT_ID))
    assert [v.rule for v in validate_schools(self_parent).violations] == ["parent_exists"]


def test_parent_only_for_teaching_points():
    v = only(validate_schools(changed(parent_school_id=(1, PRIMARY_ID))))
    assert v.message("zh") == (f"文件 schools，第 2 行，列「parent_school_id」：值 {PRIMARY_ID} 不符合规则"
                               "「仅当school_type为小学教学点时填写，否则须为空」")


def test_senior_pupils_only_in_twelve_year_and_complete_secondary():
    v = only(validate_schools(changed(students_senior=(1, 50))))
    assert v.message("zh") == ("文件 schools，第 2 行，列「students_senior」：值 50 不符合规则"
                               "「仅当school_type为十二年一贯制学校、完全中学时可大于 0」")
    assert v.message("en") == ('File schools, row 2, column "students_senior": value 50 breaks the '
                               'rule "may be above 0 only when school_type is twelve_year or '
                               'complete_secondary"')
    assert validate_schools(changed(students_senior=(1, 50),
                                    school_type=(1, "twelve_year"))).ok


@pytest.mark.parametrize(("column", "value", "rule", "zh"), [
    ("longitude", 150, "max_136", "不得大于 136"),
    ("longitude", 20.5, "min_73", "不得小于 73"),
    ("latitude", 60, "max_54", "不得大于 54"),
    ("year", 1999, "min_2000", "不得小于 2000"),
])
def test_coordinates_and_year_in_plausible_range(column, value, rule, zh):
    v = only(validate_schools(changed(**{column: (1, value)})))
    assert (v.row, v.rule, v.rule_text("zh")) == (2, rule, zh)


def test_bad_boolean():
    v = only(validate_schools(changed(county_run=(0, "maybe"))))
    assert v.message("zh") == ("文件 schools，第 1 行，列「county_run」：值 maybe 不符合规则"
                               "「须为 是/否、true/false、1/0 或 yes/no」")
    assert v.message("en") == ('File schools, row 1, column "county_run": value maybe breaks the '
                               'rule "must be 是/否, true/false, 1/0 or yes/no"')


@pytest.mark.parametrize(("text", "expected"), [
    ("是", True), ("否", False), ("1", True), ("0", False), ("true", True), ("false", False),
    ("True", True), ("FALSE", False), ("yes", True), ("No", False), (" 是 ", True),
])
def test_booleans_accept_words_in_both_languages(text, expected):
    result = validate_schools(changed(county_run=(0, text)))
    assert result.ok and result.frame["county_run"].iat[0] is np.bool_(expected)


@pytest.mark.parametrize(("value", "zh"), [("abc", "须为整数"), ("3.5", "须为整数")])
def test_unparseable_count(value, zh):
    v = only(validate_schools(changed(books=(0, value))))
    assert (v.rule, v.value, v.rule_text("zh"), v.rule_text("en")) == (
        "type", value, zh, "must be a whole number")


def test_unparseable_area_and_empty_required_cell():
    result = validate_schools(changed(sports_area_m2=(0, "大约三千"), school_name=(1, " ")))
    assert messages(result, "zh") == [
        "文件 schools，第 1 行，列「sports_area_m2」：值 大约三千 不符合规则「须为数字」",
        "文件 schools，第 2 行，列「school_name」：不符合规则「必填，不得为空」",
    ]
    assert messages(result, "en")[1] == ('File schools, row 2, column "school_name": breaks the '
                                         'rule "required, must not be empty"')


def test_numbers_accept_thousands_separators_and_full_width_digits():
    result = validate_schools(changed(books=(0, "12,000"), computers=(0, "４０")))
    assert result.ok and result.frame.loc[0, ["books", "computers"]].tolist() == [12000, 40]


def test_duplicate_column():
    frame = valid_schools().assign(学年=2024)
    v = only(validate_schools(frame))
    assert v.message("zh") == "文件 schools，列「学年」：不符合规则「同一列只能出现一次，已有「year」」"


def test_all_violations_are_reported_at_once():
    frame = changed(students_junior=(1, -1), ownership=(0, "集体"), county_run=(2, "也许"))
    result = validate_schools(frame)
    assert [(v.row, v.column, v.rule) for v in result.violations] == [
        (1, "ownership", "enum"), (2, "students_junior", "min_0"), (3, "county_run", "type"),
    ]
    assert not result.ok and len(result.errors) == 3


def test_violations_of_every_row_and_column_in_one_pass():
    frame = valid_schools().astype(object)
    frame[["books", "computers"]] = -1
    result = validate_schools(frame)
    assert len(result.errors) == 6
    assert {(v.row, v.column) for v in result.errors} == {
        (r, c) for r in (1, 2, 3) for c in ("books", "computers")}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sets(st.tuples(st.integers(0, 2), st.sampled_from(
    ["books", "computers", "boarders", "music_rooms", "sports_area_m2"])), max_size=8))
def test_property_each_negative_cell_is_one_violation(cells):
    frame = valid_schools().astype(object)
    for row, column in cells:
        frame.loc[row, column] = -7
    result = validate_schools(frame)
    assert {(v.row - 1, v.column) for v in result.errors} == cells
    assert all(v.rule == "min_0" and v.value == "-7" for v in result.errors)


@settings(max_examples=20, deadline=None)
@given(st.permutations(range(3)))
def test_property_row_order_does_not_change_what_is_found(order):
    frame = changed(books=(0, -1), school_type=(1, "高中"))
    found = validate_schools(frame).violations
    shuffled = validate_schools(frame.iloc[list(order)]).violations
    assert sorted((v.column, v.value, v.rule) for v in found) == sorted(
        (v.column, v.value, v.rule) for v in shuffled)


# ---------------------------------------------------------------- warnings


def test_warnings_do_not_block():
    frame = changed(teaching_aux_area_m2=(0, 13000.0), students_junior=(1, 300))
    result = validate_schools(frame)
    assert result.ok and result.errors == ()
    assert messages(result, "zh") == [
        "文件 schools，第 1 行，列「teaching_aux_area_m2」：值 13000 不符合规则"
        "「按全校在校生计，生均不宜超过 60（本行为 65.0）」",
        "文件 schools，第 2 行，列「students_junior」：值 300 不符合规则「生师比不宜超过 60（本行为 75.0）」",
    ]
    assert messages(result, "en")[1] == ('File schools, row 2, column "students_junior": value 300 '
                                         'breaks the rule "should not exceed 60 pupils per teacher '
                                         '(75.0 in this row)"')
    assert all(v.severity == "warning" for v in result.violations)
    assert result.frame["students_junior"].tolist() == [0, 300, 0]


def test_warning_for_pupils_without_teachers():
    frame = changed(teachers_primary=(2, 0), teachers_above_degree_primary=(2, 0))
    assert [v.rule_text("zh") for v in validate_schools(frame).warnings] == [
        "生师比不宜超过 60（本行为 ∞）"]


def test_warning_for_a_school_without_pupils():
    result = validate_schools(changed(students_primary=(2, 0)))
    # one warning: its floor area per pupil is not warned as "∞" besides (the same fact)
    assert result.ok and [v.severity for v in result.violations] == ["warning"]
    (pupils,) = result.violations
    assert pupils.message("zh") == "文件 schools，第 3 行：不符合规则「各学段在校生数不宜全为 0」"
    assert pupils.message("en") == ('File schools, row 3: breaks the rule "should have pupils in '
                                    'at least one stage"')


def test_contract_error_lists_every_error_numbered():
    result = validate_schools(changed(students_primary=(0, -3), county_run=(1, "maybe")))
    with pytest.raises(ContractError, match=re.escape(
            "数据不符合约定，共 2 处错误，请改正后重新导入：\n"
            "1. 文件 schools，第 1 行，列「students_primary」：值 -3 不符合规则「不得小于 0」\n"
            "2. 文件 schools，第 2 行，列「county_run」：值 maybe 不符合规则")) as info:
        result.raise_for_errors()
    assert info.value.errors == result.errors
    with pytest.raises(ContractError, match=r"^The data break the contract in 2 places"):
        result.raise_for_errors("en")
    assert validate_schools(valid_schools()).raise_for_errors().ok


# ---------------------------------------------------------------- files


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_with_chinese_headers_in_any_encoding(tmp_path, encoding):
    frame = with_chinese_headers(changed(students_primary=(2, -3)))
    path = write_csv(frame, tmp_path / "学校.csv", encoding)
    result = load_schools(path)
    v = only(result)
    assert v.message("zh") == "文件 学校.csv，第 4 行，列「小学在校生数」：值 -3 不符合规则「不得小于 0」"
    assert v.message("en") == ('File 学校.csv, row 4, column "小学在校生数": value -3 breaks the rule '
                               '"must not be less than 0"')
    assert result.frame["school_name"].tolist() == ["城关小学", "河西九年一贯制学校", "石岭教学点"]


def test_csv_keeps_ids_and_codes_as_text_with_leading_zeros(tmp_path):
    frame = valid_schools().assign(county_code="012345", school_id=["0123450001", "0123450002",
                                                                     "0123450003"],
                                   parent_school_id=[None, None, "0123450001"])
    result = load_schools(write_csv(frame, tmp_path / "s.csv"))
    assert result.ok
    assert result.frame["county_code"].tolist() == ["012345"] * 3
    assert result.frame["school_id"].iat[0] == "0123450001"


def test_valid_csv_loads_to_the_canonical_frame(tmp_path):
    path = write_csv(with_chinese_headers(valid_schools()), tmp_path / "s.csv", "gbk")
    result = load_schools(path)
    assert result.ok
    pd.testing.assert_frame_equal(result.frame, validate_schools(valid_schools()).frame)


def test_mixed_english_and_chinese_headers(tmp_path):
    frame = valid_schools().rename(columns={"students_primary": "小学在校生数", "year": "学年"})
    assert load_schools(write_csv(frame, tmp_path / "s.csv")).ok


def test_xlsx_with_sheet_name_and_row_numbers(tmp_path):
    extra = valid_schools().iloc[[0]].assign(school_id="3601230004", school_name="新建小学")
    frame = pd.concat([valid_schools(), extra], ignore_index=True)
    frame.loc[3, "students_primary"] = -3
    path = write_xlsx(with_chinese_headers(frame), tmp_path / "schools.xlsx", sheet="Sheet1")
    v = only(load_schools(path))
    assert v.message("zh") == ("文件 schools.xlsx，工作表 Sheet1，第 5 行，列「小学在校生数」："
                               "值 -3 不符合规则「不得小于 0」")
    assert v.message("en") == ('File schools.xlsx, sheet Sheet1, row 5, column "小学在校生数": '
                               'value -3 breaks the rule "must not be less than 0"')
    assert (v.sheet, v.row) == ("Sheet1", 5)


def test_xlsx_named_sheet_title_rows_and_blank_rows_keep_row_numbers(tmp_path):
    from openpyxl import Workbook

    table = as_text(with_chinese_headers(changed(books=(2, "很多"))))
    book = Workbook()
    book.active.title = "说明"
    sheet = book.create_sheet("学校表")
    sheet.append(["2024 学年学校基本情况"])  # a title row above the header
    sheet.append(list(table.columns))
    for i, row in enumerate(table.itertuples(index=False)):
        if i == 2:
            sheet.append([])  # a blank row
        sheet.append(list(row))
    book.save(tmp_path / "s.xlsx")
    result = load_schools(tmp_path / "s.xlsx", sheet="学校表")
    assert messages(result, "zh") == [
        "文件 s.xlsx，工作表 学校表，第 6 行，列「图书册数」：值 很多 不符合规则「须为整数」"]
    v = only(load_schools(tmp_path / "s.xlsx", sheet="汇总"))
    assert v.message("zh") == ("文件 s.xlsx，工作表 汇总：不符合规则"
                               "「文件中没有这个工作表，现有工作表：说明、学校表」")
    assert v.rule_text("en") == "the file has no such sheet; its sheets are: 说明, 学校表"


def test_parquet_rows_are_numbered_from_one(tmp_path):
    path = tmp_path / "schools.parquet"
    changed(books=(0, -1)).astype({"books": "int64"}).to_parquet(path, index=False)
    v = only(load_schools(path))
    assert (v.file, v.sheet, v.row) == ("schools.parquet", None, 1)


def test_unsupported_file_format(tmp_path):
    path = tmp_path / "schools.txt"
    path.write_text("x")
    v = only(load_schools(path))
    assert v.message("zh") == ("文件 schools.txt：不符合规则「仅支持 .xlsx、.csv 和 .parquet 文件"
                               "（.xls、.et 等请在 Excel 或 WPS 中“另存为” .xlsx）」")
    assert v.message("en") == ('File schools.txt: breaks the rule "only .xlsx, .csv and .parquet '
                               'files can be read (save an .xls or .et file as .xlsx in Excel or '
                               'WPS)"')
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_schools(tmp_path / "absent.csv")


# ---------------------------------------------------------------- teachers and county


def test_valid_teachers_against_schools():
    schools = validate_schools(valid_schools()).frame
    result = validate_teachers(valid_teachers(), schools)
    assert result.ok and list(result.frame.columns) == list(TEACHER_COLUMNS)
    assert result.frame["birth_year"].dtype == np.int64


def test_teachers_accept_chinese_labels(tmp_path):
    roster = valid_teachers().assign(degree="本科", title="中级", backbone_level="县级", stage="小学")
    roster = roster.assign(stage=valid_teachers()["stage"].map({"primary": "小学", "junior": "初中"}))
    path = write_csv(with_chinese_headers(roster, "teachers"), tmp_path / "t.csv", "gbk")
    result = load_teachers(path, schools=valid_schools())
    assert result.ok
    assert set(result.frame["degree"]) == {"bachelor"} and set(result.frame["stage"]) == {
        "primary", "junior"}


def test_roster_must_agree_with_school_counts():
    roster = valid_teachers().iloc[1:]
    v = only(validate_teachers(roster, valid_schools()))
    assert v.message("zh") == (f"文件 teachers，列「school_id」：值 {PRIMARY_ID} 不符合规则"
                               "「教师名册中该校小学教师 3 人，与学校表中小学专任教师数 4 不一致"
                               "（名册中该校该学段的行：第 1–3 行）」")
    assert v.message("en") == (f'File teachers, column "school_id": value {PRIMARY_ID} breaks the '
                               'rule "the roster lists 3 primary teachers at this school, the '
                               "schools table 4 (the roster's rows of this school and stage: 1–3)\"")


def test_teacher_school_must_exist_and_ids_be_unique():
    roster = valid_teachers().astype(object)
    roster.loc[0, "school_id"] = "9999999999"
    roster.loc[2, "teacher_id"] = roster.loc[1, "teacher_id"]
    result = validate_teachers(roster, valid_schools())
    rules = [(v.row, v.rule) for v in result.violations]
    assert (1, "school_exists") in rules and (3, "unique") in rules
    assert ("roster_count" in {v.rule for v in result.violations})
    school = next(v for v in result.violations if v.rule == "school_exists")
    assert school.rule_text("zh") == "须为学校表中已列出的学校标识码"
    unique = next(v for v in result.violations if v.rule == "unique")
    assert unique.rule_text("en") == "must be unique (the same as row 2)"  # the row repeated


def test_teachers_without_schools_check_only_their_own_columns():
    roster = valid_teachers().iloc[1:].assign(degree="其他")
    assert {v.rule for v in validate_teachers(roster).violations} == {"enum"}


def test_valid_county_items():
    result = validate_county(valid_county(), valid_schools())
    assert result.ok and list(result.frame.columns) == list(COUNTY_COLUMNS)
    assert result.frame["passed"].tolist()[0] is True and pd.isna(result.frame["passed"].iat[1])
    assert result.frame["value"].tolist() == [None, "6500", "100", "96"]


def test_county_items_must_be_known_unique_and_of_a_listed_county(tmp_path):
    items = valid_county().astype(object)
    items.loc[0, "item_id"] = "B1"
    items.loc[3, "stage"] = "primary"
    items.loc[1, "county_code"] = "360999"
    result = validate_county(items, valid_schools())
    assert [(v.row, v.rule) for v in result.violations] == [
        (1, "enum"), (2, "in_schools"), (4, "unique")]
    assert result.violations[1].message("zh") == (
        "文件 county，第 2 行，列「county_code」：值 360999 不符合规则「学校表中须有该县区该学年的学校」")
    assert result.violations[0].rule_text("en").startswith("must be one of: B_GOV_SCORE, ")


def test_county_file_with_chinese_headers_and_boolean_words(tmp_path):
    items = valid_county().assign(passed=["是", None, None, None])
    path = write_csv(with_chinese_headers(items, "county"), tmp_path / "县级.csv")
    result = load_county(path)
    assert result.ok and result.frame["passed"].iat[0]
