"""Snapshot folders: round trip, atomic writes, immutability, checksums, contract on both ends."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from fixtures.contract.frames import (
    COUNTY,
    YEAR,
    valid_county,
    valid_schools,
    valid_teachers,
    with_chinese_headers,
    write_csv,
    write_xlsx,
)

from dashboard.store.contract import ContractError, validate_schools
from dashboard.store.importing import import_file_as_snapshot
from dashboard.store.snapshots import (
    SCHEMA_VERSION,
    SnapshotExistsError,
    SnapshotInfo,
    SnapshotIntegrityError,
    SnapshotValueError,
    list_snapshots,
    meta_checksum,
    read_snapshot,
    write_snapshot,
)

CREATED = "2025-01-01T00:00:00+00:00"


def write_full(root: Path, snapshot_id: str = "2024-demo") -> Path:
    return write_snapshot(root, snapshot_id, valid_schools(), valid_teachers(), valid_county(),
                          source="unit test", created=CREATED)


def folder_bytes(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.iterdir())}


def test_round_trip(tmp_path):
    path = write_full(tmp_path)
    assert path == tmp_path / "2024-demo"
    assert sorted(folder_bytes(path)) == ["county.parquet", "meta.json", "schools.parquet",
                                         "teachers.parquet"]
    snap = read_snapshot(path)
    assert snap.id == "2024-demo" and snap.path == path and snap.warnings == ()
    pd.testing.assert_frame_equal(snap.schools, validate_schools(valid_schools()).frame)
    assert snap.schools["school_id"].tolist()[0] == "3601230001"
    assert snap.teachers is not None and len(snap.teachers) == len(valid_teachers())
    assert snap.county is not None and snap.county["passed"].iat[0]
    assert snap.meta["year"] == YEAR and snap.meta["county_codes"] == [COUNTY]
    assert snap.meta["schema_version"] == SCHEMA_VERSION and snap.meta["created"] == CREATED
    assert snap.meta["source"] == "unit test"
    assert set(snap.meta["sha256"]) == {"schools.parquet", "teachers.parquet", "county.parquet"}


def test_optional_tables_may_be_left_out(tmp_path):
    path = write_snapshot(tmp_path, "s", valid_schools(), source="x", created=CREATED)
    snap = read_snapshot(path)
    assert snap.teachers is None and snap.county is None
    assert list(snap.meta["sha256"]) == ["schools.parquet"]


def test_writing_is_deterministic(tmp_path):
    a, b = write_full(tmp_path, "a"), write_full(tmp_path, "b")
    assert folder_bytes(a) == folder_bytes(b)
    assert not pq.read_schema(a / "schools.parquet").names.count("__index_level_0__")


def test_created_defaults_to_now_in_utc(tmp_path):
    path = write_snapshot(tmp_path, "s", valid_schools(), source="x")
    created = json.loads((path / "meta.json").read_text(encoding="utf-8"))["created"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", created)


def test_failure_mid_write_leaves_nothing(tmp_path, monkeypatch):
    calls = []
    real = pq.write_table

    def failing(table, where, **kwargs):
        calls.append(where)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(table, where, **kwargs)

    monkeypatch.setattr(pq, "write_table", failing)
    with pytest.raises(OSError, match="disk full"):
        write_full(tmp_path)
    assert len(calls) == 2
    assert list(tmp_path.iterdir()) == []  # neither the snapshot nor the temporary folder


def test_existing_snapshot_is_never_overwritten(tmp_path):
    path = write_full(tmp_path)
    before = folder_bytes(path)
    other = valid_schools().assign(school_name="改过的名字")
    with pytest.raises(SnapshotExistsError, match=re.escape(
            "快照 2024-demo 已存在，不会覆盖：快照写入后不可更改，更正数据请另建一个新快照")):
        write_snapshot(tmp_path, "2024-demo", other, source="correction")
    with pytest.raises(FileExistsError, match="snapshots are immutable, write a correction as a "
                                              "new snapshot"):
        write_snapshot(tmp_path, "2024-demo", other, source="correction", lang="en")
    assert folder_bytes(path) == before
    assert [p.name for p in tmp_path.iterdir()] == ["2024-demo"]


def test_tampered_file_is_refused(tmp_path):
    path = write_full(tmp_path)
    expected = json.loads((path / "meta.json").read_text(encoding="utf-8"))["sha256"]
    frame = pd.read_parquet(path / "schools.parquet")
    frame.loc[0, "students_primary"] = 9999
    frame.to_parquet(path / "schools.parquet", index=False)
    with pytest.raises(SnapshotIntegrityError, match=re.escape(
            f"快照 2024-demo 的文件 schools.parquet 校验失败（应为 sha256 "
            f"{expected['schools.parquet']}，实为 ")) as info:
        read_snapshot(path)
    assert info.value.file == "schools.parquet"
    assert info.value.expected == expected["schools.parquet"]
    assert info.value.actual is not None and info.value.actual != info.value.expected
    with pytest.raises(SnapshotIntegrityError, match=r"file schools.parquet fails its checksum"):
        read_snapshot(path, lang="en")


def test_missing_and_unlisted_files_are_refused(tmp_path):
    path = write_full(tmp_path)
    (path / "teachers.parquet").unlink()
    with pytest.raises(SnapshotIntegrityError, match=re.escape(
            "快照 2024-demo 缺少文件 teachers.parquet（meta.json 中有记录）")):
        read_snapshot(path)
    lean = write_snapshot(tmp_path, "lean", valid_schools(), source="x", created=CREATED)
    valid_county().to_parquet(lean / "county.parquet", index=False)
    with pytest.raises(SnapshotIntegrityError, match=re.escape(
            "Snapshot lean holds the file county.parquet, which meta.json does not list")):
        read_snapshot(lean, lang="en")


def test_meta_is_checked(tmp_path):
    path = write_full(tmp_path)
    meta_path = path / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta_path.write_text(json.dumps({**meta, "schema_version": 99}), encoding="utf-8")
    with pytest.raises(SnapshotIntegrityError, match=re.escape(
            "快照 2024-demo 的数据版本 99 不受支持（本程序支持版本 1）")):
        read_snapshot(path)
    meta_path.write_text("{not json", encoding="utf-8")
    with pytest.raises(SnapshotIntegrityError, match="meta.json cannot be read"):
        read_snapshot(path, lang="en")
    meta_path.unlink()
    with pytest.raises(SnapshotIntegrityError, match="缺少文件 meta.json"):
        read_snapshot(path)


def test_nothing_is_written_when_the_contract_is_broken(tmp_path):
    bad = valid_schools().astype(object)
    bad.loc[0, "students_primary"] = -3
    with pytest.raises(ContractError, match=re.escape(
            "1. 文件 schools.parquet，第 1 行，列「students_primary」：值 -3 不符合规则「不得小于 0」")):
        write_snapshot(tmp_path, "s", bad, source="x")
    roster = valid_teachers().iloc[1:]
    with pytest.raises(ContractError, match="teachers.parquet") as info:
        write_snapshot(tmp_path, "s", valid_schools(), roster, source="x")
    assert [v.rule for v in info.value.errors] == ["roster_count"]
    assert list(tmp_path.iterdir()) == []


def test_snapshot_holds_one_year(tmp_path):
    two_years = pd.concat([valid_schools(), valid_schools().assign(year=2025)], ignore_index=True)
    with pytest.raises(SnapshotValueError, match=re.escape("一个快照只能包含一个学年，学校表中有：2024, 2025")):
        write_snapshot(tmp_path, "s", two_years, source="x")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("bad_id", ["", ".hidden", "a/b", "../up", "年度"])
def test_snapshot_id_must_be_a_plain_name(tmp_path, bad_id):
    with pytest.raises(SnapshotValueError, match=re.escape(f"快照编号「{bad_id}」无效")):
        write_snapshot(tmp_path, bad_id, valid_schools(), source="x")


def test_contract_is_checked_on_reading(tmp_path):
    path = write_snapshot(tmp_path, "s", valid_schools(), source="x", created=CREATED)
    frame = pd.read_parquet(path / "schools.parquet")
    frame.loc[1, "ownership"] = "集体"
    frame.to_parquet(path / "schools.parquet", index=False)
    meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
    meta["sha256"]["schools.parquet"] = hashlib.sha256(
        (path / "schools.parquet").read_bytes()).hexdigest()
    meta["meta_sha256"] = meta_checksum(meta)  # a consistent forgery: only the contract can tell
    (path / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ContractError, match=re.escape(
            "文件 schools.parquet，第 2 行，列「ownership」：值 集体 不符合规则")):
        read_snapshot(path)


def test_list_snapshots_sorted_by_year_ignoring_temp_and_stray_folders(tmp_path):
    later = valid_schools().assign(year=2025)
    write_snapshot(tmp_path, "z-2024", valid_schools(), source="x", created=CREATED)
    write_snapshot(tmp_path, "a-2025", later, source="y", created=CREATED)
    (tmp_path / ".tmp-b-123abc").mkdir()
    (tmp_path / ".tmp-b-123abc" / "meta.json").write_text("{}", encoding="utf-8")
    (tmp_path / "notes").mkdir()
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "meta.json").write_text("{", encoding="utf-8")
    assert list_snapshots(tmp_path) == [
        SnapshotInfo("z-2024", 2024, (COUNTY,), tmp_path / "z-2024", "x", CREATED),
        SnapshotInfo("a-2025", 2025, (COUNTY,), tmp_path / "a-2025", "y", CREATED),
    ]
    assert list_snapshots(tmp_path / "absent") == []


def test_import_files_as_snapshot(tmp_path):
    data = tmp_path / "in"
    data.mkdir()
    schools = write_xlsx(with_chinese_headers(valid_schools()), data / "学校.xlsx")
    teachers = write_csv(with_chinese_headers(valid_teachers(), "teachers"), data / "教师.csv",
                         "gbk")
    county = write_csv(with_chinese_headers(valid_county(), "county"), data / "县级.csv")
    result = import_file_as_snapshot(tmp_path / "data", "2024", schools, teachers_path=teachers,
                                     county_path=county, created=CREATED)
    assert result.path == tmp_path / "data" / "2024" and result.warnings == ()
    snap = read_snapshot(result.path)
    assert snap.meta["source"] == "学校.xlsx, 教师.csv, 县级.csv"
    pd.testing.assert_frame_equal(snap.schools, validate_schools(valid_schools()).frame)


def test_import_reports_warnings_of_the_source_file(tmp_path):
    frame = valid_schools()
    frame.loc[1, "students_junior"] = 300
    path = write_csv(frame, tmp_path / "s.csv")
    result = import_file_as_snapshot(tmp_path / "data", "w", path, source="s")
    assert [(v.file, v.row, v.rule) for v in result.warnings] == [
        ("s.csv", 3, "per_teacher_max_60")]


def test_failed_import_writes_nothing_and_keeps_existing_snapshots(tmp_path):
    root = tmp_path / "data"
    existing = write_full(root)
    before = folder_bytes(existing)
    bad = valid_schools().astype(object)
    bad.loc[2, "parent_school_id"] = None
    path = write_csv(with_chinese_headers(bad), tmp_path / "bad.csv")
    roster = write_csv(valid_teachers().iloc[1:], tmp_path / "t.csv")
    with pytest.raises(ContractError, match=re.escape("共 2 处错误")) as info:
        import_file_as_snapshot(root, "2024-fix", path, teachers_path=roster, source="s")
    assert [(v.file, v.row, v.rule) for v in info.value.errors] == [
        ("bad.csv", 4, "required_when:school_type=teaching_point"),
        ("t.csv", None, "roster_count"),
    ]
    with pytest.raises(SnapshotExistsError):
        import_file_as_snapshot(root, "2024-demo", write_csv(valid_schools(), tmp_path / "ok.csv"))
    assert [p.name for p in root.iterdir()] == ["2024-demo"]
    assert folder_bytes(existing) == before
