"""Hostile and broken input files (issue 14): each known failure as a regression test, a
property test of number cells, and a seeded fuzz corpus through the CLI.

Every malformed file must end as the contract's error list with exit status 2: never a
traceback, an abort, a memory blow-up or a silent success; valid data in another form must
still be read.  The long run over thousands of files is ``make fuzz`` (benchmarks/fuzz.py).
"""

from __future__ import annotations

import io
import json
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from demo_data import DEMO_SNAPSHOT
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.fuzz import Case, corpus, demo_schools
from dashboard.cli import json_text, main
from dashboard.store.contract import load_schools, load_teachers
from dashboard.store.contract.cells import parse, texts
from dashboard.store.contract.limits import MAX_COLUMNS, MAX_NUMBER, MAX_ROWS
from dashboard.store.contract.plausible import bounds
from dashboard.store.contract.spec import specs

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def schools() -> pd.DataFrame:
    return demo_schools()


def _evaluate(path: Path, *args: str) -> tuple[int, str, str]:
    """Run the CLI's evaluate in this process; return (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        code = main(["evaluate", str(path), *args])
    finally:
        sys.stdout, sys.stderr = saved
    return code, out.getvalue(), err.getvalue()


def _with(schools: pd.DataFrame, column: str, value: object, row: int = 0) -> pd.DataFrame:
    frame = schools.astype({column: object})
    frame.iat[row, frame.columns.get_loc(column)] = value
    return frame


# ---- numbers beyond what int64 / float64 can hold faithfully


@pytest.mark.parametrize("value", ["99999999999999999999", "1e300", "-1e300", "inf", "nan",
                                   str(2**63 - 1), str(2**63)])
def test_huge_number_in_a_count_is_an_error_not_a_traceback(tmp_path, schools, value):
    path = tmp_path / "schools.csv"
    _with(schools, "books", value).to_csv(path, index=False)
    code, out, err = _evaluate(path, "--json", "--lang", "en")
    assert code == 2 and out == ""
    assert "books" in err and "row 2" in err
    rules = {v.rule for v in load_schools(path).errors}
    assert rules <= {"number_range", "type"} and rules


def test_int64_maximum_in_parquet_is_an_error(tmp_path, schools):
    path = tmp_path / "schools.parquet"
    schools.assign(books=np.int64(2**63 - 1)).to_parquet(path)
    result = load_schools(path, lang="en")
    assert {(v.column, v.rule) for v in result.errors} == {("books", "number_range")}
    assert "9007199254740992" in result.errors[0].message("en")


def test_overflowing_float_is_refused_before_any_json(tmp_path, schools):
    """The mean of 1e300 m² overflowed to inf and broke --json after half of it was out."""
    path = tmp_path / "schools.csv"
    schools.assign(sports_area_m2=1e300).to_csv(path, index=False)
    code, out, _ = _evaluate(path, "--json")
    assert code == 2 and out == ""


def test_json_text_has_no_inf_and_is_complete():
    text = json_text({"mean": float("inf"), "cv": float("nan"), "n": np.int64(3),
                      "rows": [np.float64(-np.inf), 1.5]})
    assert json.loads(text) == {"mean": None, "cv": None, "n": 3, "rows": [None, 1.5]}
    assert "Infinity" not in text and "NaN" not in text
    with pytest.raises(TypeError):  # a value JSON cannot hold fails before anything is written
        json_text({"x": object()})


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=30), st.floats(), st.integers(),
                          st.sampled_from(["1e300", "inf", "-0", "１２", "1,234", "9" * 25])),
                min_size=1, max_size=8))
def test_number_cells_never_raise_and_hold_only_representable_values(cells):
    spec = next(s for s in specs("schools") if s.name == "books")
    series = pd.Series(cells, dtype=object)
    parsed = parse(spec, series, texts(series))
    values = parsed.typed.dropna().astype("float64")
    assert (values.abs() <= MAX_NUMBER).all()
    problems = parsed.failed | (parsed.out_of_range if parsed.out_of_range is not None else False)
    # every non-empty cell is either a value or a problem, never both and never lost
    filled = texts(series).notna()
    assert (filled == (parsed.typed.notna() | problems)).all()
    assert not (parsed.typed.notna() & problems).any()


# ---- limits before reading


def test_stray_cell_at_xfd1048576_is_refused_without_reading(tmp_path, schools):
    from openpyxl import load_workbook

    path = tmp_path / "schools.xlsx"
    schools.to_excel(path, index=False)
    book = load_workbook(path)
    book.active["XFD1048576"] = "x"
    book.save(path)
    assert path.stat().st_size < 40_000
    result = load_schools(path, lang="en")
    assert [v.rule for v in result.errors] == ["too_large"]
    message = result.errors[0].message("en")
    assert str(MAX_ROWS) in message and "1048576" in message


def test_stray_cell_without_a_dimension_stops_streaming(tmp_path, schools):
    """A sheet without <dimension> is streamed; reading stops once past the row limit."""
    import zipfile

    from openpyxl import load_workbook

    path, bare = tmp_path / "s.xlsx", tmp_path / "schools.xlsx"
    schools.to_excel(path, index=False)
    book = load_workbook(path)
    book.active["C1048576"] = "x"
    book.save(path)
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(bare, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = data.replace(b'<dimension ref="A1:C1048576" />', b"")
                data = data.replace(b'<dimension ref="A1:AN1048576"/>', b"")
            dst.writestr(item, data)
    result = load_schools(bare, lang="en")
    assert [v.rule for v in result.errors] == ["too_large"]


def test_too_many_columns_is_refused(tmp_path, schools):
    path = tmp_path / "schools.csv"
    extra = pd.DataFrame(np.ones((len(schools), MAX_COLUMNS)), columns=[
        f"x{i}" for i in range(MAX_COLUMNS)])
    pd.concat([schools, extra], axis=1).to_csv(path, index=False)
    result = load_schools(path, lang="zh")
    assert [v.rule for v in result.errors] == ["too_large"]
    assert "列数" in result.errors[0].message("zh")


# ---- damaged Parquet: the right violation, then no abort at exit


def _bit_flipped(source: bytes, seed: int) -> bytes:
    rng = random.Random(seed)
    data = bytearray(source)
    for _ in range(rng.randint(1, 8)):
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    return bytes(data)


# Seeds whose files, read through pd.read_parquet, printed the violation and then aborted
# (status 134) in the probe of the demo's 2024 schools.parquet.
ABORTING_SEEDS = (15, 18, 20, 25)


def test_bit_flipped_parquet_exits_2_without_abort(tmp_path):
    source = (DEMO_SNAPSHOT / "schools.parquet").read_bytes()
    for seed in ABORTING_SEEDS:
        path = tmp_path / f"flip{seed}.parquet"
        path.write_bytes(_bit_flipped(source, seed))
        run = subprocess.run([sys.executable, "-m", "dashboard", "evaluate", str(path)],
                             capture_output=True, text=True, cwd=tmp_path, timeout=300)
        assert "Traceback" not in run.stderr and "terminate called" not in run.stderr
        assert run.returncode == 2, (seed, run.returncode, run.stderr[-500:])


# ---- silent successes


def test_header_only_file_is_an_error(tmp_path, schools):
    path = tmp_path / "schools.csv"
    schools.iloc[:0].to_csv(path, index=False)
    code, out, err = _evaluate(path, "--json", "--lang", "en")
    assert code == 2 and out == "" and "no data rows" in err


def test_no_pupils_anywhere_is_an_error(tmp_path, schools):
    path = tmp_path / "schools.csv"
    pupils = {c: 0 for c in schools.columns if c.startswith("students_")}
    schools.assign(**pupils).to_csv(path, index=False)
    code, out, err = _evaluate(path, "--json", "--lang", "zh")
    assert code == 2 and out == "" and "没有任何学段有在校生" in err


@pytest.mark.parametrize("column", ["teachers_primary", "books", "sports_area_m2",
                                    "computers", "building_area_m2"])
def test_absurd_value_is_a_warning_the_cli_shows(tmp_path, schools, column):
    path = tmp_path / "schools.csv"
    _with(schools, column, 10**15).to_csv(path, index=False)
    result = load_schools(path, lang="en")
    assert result.ok  # possible, so not refused ...
    assert any(v.column == column and v.rule.startswith("plausible_max")
               for v in result.warnings)  # ... but never silent
    code, _, err = _evaluate(path, "--lang", "en")
    assert code == 0 and "implausibly large" in err


def test_every_plausibility_bound_names_a_reason():
    for table in ("schools", "teachers", "county"):
        for bound in bounds(table):
            assert bound.reason.strip()
            assert bound.min is not None or bound.max is not None


def test_implausible_birth_year_warns():
    from dashboard.store.contract import validate_teachers

    roster = pd.read_parquet(DEMO_SNAPSHOT / "teachers.parquet")
    roster.loc[0, "birth_year"] = 1066
    result = validate_teachers(roster)
    assert [v.rule for v in result.warnings] == ["plausible_min_1935"]


def test_control_characters_and_long_values_are_shown_escaped(tmp_path, schools):
    path = tmp_path / "schools.csv"
    _with(schools, "students_primary", "\x1b[2J" + "9" * 5000).to_csv(path, index=False)
    (violation,) = load_schools(path).errors
    assert "\x1b" not in violation.message("en") and "\\x1b" in violation.message("en")
    assert len(violation.value or "") <= 201


# ---- encodings and forms that must still be read


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_chinese_headers_in_each_encoding_are_read(tmp_path, schools, encoding):
    from dashboard.store.contract import schools_header_map

    path = tmp_path / "schools.csv"
    path.write_bytes(schools.rename(columns=schools_header_map("zh")).to_csv(index=False)
                     .encode(encoding))
    result = load_schools(path)
    assert result.ok, [v.message("en") for v in result.errors]
    assert result.frame["school_name"].tolist() == schools["school_name"].tolist()


def test_big5_text_is_read_as_big5(tmp_path, schools):
    path = tmp_path / "schools.csv"
    names = ["臺北實驗學校"] * len(schools)
    path.write_bytes(schools.assign(school_name=names).to_csv(index=False)
                     .encode("big5", errors="replace"))
    result = load_schools(path)
    assert result.frame["school_name"].iloc[0] == "臺北實驗學校"


def test_teachers_file_with_only_a_header_is_an_error(tmp_path):
    roster = pd.read_parquet(DEMO_SNAPSHOT / "teachers.parquet")
    path = tmp_path / "teachers.csv"
    roster.iloc[:0].to_csv(path, index=False)
    assert [v.rule for v in load_teachers(path).errors] == ["no_rows"]


# ---- the seeded fuzz corpus through the CLI (the long run is `make fuzz`)

FUZZ_CASES = 60


def _fuzz_cases() -> list[Case]:
    return list(corpus(FUZZ_CASES, seed=1414, big=False))


@pytest.fixture(scope="module")
def fuzz_cases() -> list[Case]:
    return _fuzz_cases()


@pytest.mark.parametrize("index", range(FUZZ_CASES))
def test_fuzz_case_exits_0_or_2_as_its_validity_says(tmp_path, monkeypatch, fuzz_cases, index):
    case = fuzz_cases[index]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JUNHENG_DATA", str(tmp_path / "data"))
    (tmp_path / case.filename).write_bytes(case.data)
    code, out, err = _evaluate(Path(case.filename), "--json",
                               "--lang", "en" if index % 2 else "zh")
    assert code in (0, 2), case.name
    if case.expect == "invalid":
        assert code == 2 and out == "", case.name
    if case.expect == "valid":
        assert code == 0, (case.name, err[-1000:])
    if code == 0:
        json.loads(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == [case.filename], case.name
