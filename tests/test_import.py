"""A county's own files in (issue 11): check everything, keep the year and counties asked for,
preview against the year before, write a new immutable snapshot; nothing written on error."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from demo_data import DEMO_DATA, DEMO_SNAPSHOT

from dashboard.store.compare import compare_schools
from dashboard.store.contract import ContractError
from dashboard.store.importing import default_snapshot_id, preview, stage_import, write_staged
from dashboard.store.snapshots import SnapshotValueError, list_snapshots, read_snapshot

REPO = Path(__file__).resolve().parent.parent


def demo(year: int) -> pd.DataFrame:
    return read_snapshot(DEMO_DATA / f"demo-990101-{year}").schools


def root_with(tmp_path: Path, *years: int) -> Path:
    """A data folder holding the demo snapshots of ``years``."""
    root = tmp_path / "data"
    root.mkdir()
    for year in years:
        shutil.copytree(DEMO_DATA / f"demo-990101-{year}", root / f"demo-990101-{year}")
    return root


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dashboard", *args], capture_output=True,
                          text=True, cwd=REPO)


def test_a_years_file_becomes_a_snapshot_equal_to_it_with_a_preview(tmp_path: Path) -> None:
    root = root_with(tmp_path, 2023)
    path = tmp_path / "schools.csv"
    demo(2024).to_csv(path, index=False)
    staged = stage_import(path)
    assert (staged.year, staged.county_codes) == (2024, ("990101",))
    pv = preview(root, staged)
    assert pv.previous is not None and pv.previous.id == "demo-990101-2023"
    assert pv.pupils["primary"] == int(demo(2024)["students_primary"].sum())
    assert pv.diff is not None and pv.diff.added.empty and pv.diff.gone.empty
    written = write_staged(root, default_snapshot_id(staged), staged)
    assert written.name == "990101-2024"
    pd.testing.assert_frame_equal(read_snapshot(written).schools, demo(2024))
    assert read_snapshot(written).meta["source"] == "schools.csv"


def test_a_city_workbook_of_two_counties_and_years_keeps_what_is_asked(tmp_path: Path) -> None:
    other = demo(2024).assign(county_code="990102", county_name="邻县")
    both = pd.concat([demo(2023), demo(2024), other], ignore_index=True)
    path = tmp_path / "city.xlsx"
    both.to_excel(path, index=False)
    with pytest.raises(SnapshotValueError, match="2023, 2024"):
        stage_import(path)  # several years: one must be chosen
    staged = stage_import(path, year=2024)
    assert staged.county_codes == ("990101", "990102")
    assert default_snapshot_id(staged) == "990101-plus1-2024"
    one = stage_import(path, year=2024, county="990102")
    assert one.county_codes == ("990102",) and len(one.schools) == len(other)
    with pytest.raises(SnapshotValueError):
        stage_import(path, year=2019)


def test_every_error_of_every_file_is_listed_and_nothing_is_written(tmp_path: Path) -> None:
    root = root_with(tmp_path, 2023)
    bad = demo(2024).astype({"students_primary": object})
    bad.loc[0, "students_primary"] = "many"
    bad.loc[3, "books"] = -5
    path = tmp_path / "bad.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(ContractError) as info:
        stage_import(path)
    assert {v.column for v in info.value.errors} >= {"students_primary", "books"}
    before = sorted(p.name for p in root.iterdir())
    done = cli("import", str(path), "--out", str(root))
    assert done.returncode == 2
    assert "bad.csv" in done.stderr and "many" in done.stderr
    assert sorted(p.name for p in root.iterdir()) == before


def test_the_command_previews_then_writes_and_never_overwrites(tmp_path: Path) -> None:
    root = root_with(tmp_path, 2023)
    path = tmp_path / "schools.csv"
    demo(2024).to_csv(path, index=False)
    dry = cli("import", str(path), "--out", str(root), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "demo-990101-2023" in dry.stdout and "--dry-run" in dry.stdout
    assert [i.id for i in list_snapshots(root)] == ["demo-990101-2023"]
    done = cli("--lang", "en", "import", str(path), "--out", str(root), "--id", "ours-2024")
    assert done.returncode == 0, done.stderr
    assert "Snapshot written" in done.stdout
    again = cli("import", str(path), "--out", str(root), "--id", "ours-2024")
    assert again.returncode == 2
    listed = cli("snapshots", "--root", str(root))
    assert "ours-2024" in listed.stdout and "schools.csv" in listed.stdout


def test_compare_names_added_gone_and_each_change() -> None:
    before, after = demo(2023), demo(2024).copy()
    after = after[after["school_id"] != after["school_id"].iloc[-1]]
    extra = after.iloc[[0]].assign(school_id="3990101999", school_name="新建学校")
    after = pd.concat([after, extra], ignore_index=True)
    d = compare_schools(before, after)
    assert list(d.added["school_id"]) == ["3990101999"]
    assert list(d.gone["school_id"]) == [before["school_id"].iloc[-1]]
    row = d.changes[(d.changes["school_id"] == before["school_id"].iloc[0])
                    & (d.changes["column"] == "students_primary")]
    b, a = before["students_primary"].iloc[0], after["students_primary"].iloc[0]
    assert (row["before"].item(), row["after"].item(), row["delta"].item()) == (b, a, a - b)
    assert compare_schools(before, before).changes.empty


def test_compare_on_the_command_line_reads_as_a_person_writes(tmp_path: Path) -> None:
    root = root_with(tmp_path, 2023, 2024)
    done = cli("compare", "demo-990101-2023", "demo-990101-2024", "--root", str(root))
    assert done.returncode == 0, done.stderr
    assert "小学在校生数" in done.stdout and ".0 →" not in done.stdout
    assert DEMO_SNAPSHOT.is_dir()


def test_a_header_in_wan_yuan_is_converted_to_yuan(tmp_path: Path) -> None:
    """教学仪器设备资产值（万元） is what many statistics tables print: its numbers become 元."""
    from dashboard.store.contract import load_schools
    from dashboard.store.contract.spec import header_map

    schools = demo(2024)
    zh = schools.rename(columns=header_map("schools", "zh"))
    wan = zh.rename(columns={"教学仪器设备资产值(元)": "教学仪器设备资产值（万元）"})
    wan["教学仪器设备资产值（万元）"] = schools["equipment_value_yuan"] / 10_000
    path = tmp_path / "wan.csv"
    wan.to_csv(path, index=False)
    result = load_schools(path)
    assert result.ok, result.violations
    pd.testing.assert_series_equal(result.frame["equipment_value_yuan"],
                                   schools["equipment_value_yuan"], check_exact=False, rtol=1e-12)
    # 万元 on a column that is not in 元 is no contract column: the column stays missing
    other = zh.rename(columns={"图书册数": "图书册数（万元）"})
    other.to_csv(path, index=False)
    assert [(v.column, v.rule) for v in load_schools(path).errors] == [("图书册数", "required")]


def test_class_and_room_rows_are_imported_stored_and_read_back(tmp_path) -> None:
    """The optional class and room rows (data contract §4a) go through the import like the
    other tables: checked against the schools, previewed, stored in the snapshot with their
    checksums, read back unchanged; a row of an unknown school is an error naming it."""
    from dashboard.store.demo.classrooms import class_rows, room_rows
    from dashboard.store.importing import preview, preview_lines, stage_import, write_staged
    from dashboard.store.snapshots import read_snapshot

    schools = read_snapshot(DEMO_SNAPSHOT).schools
    paths = {"schools": tmp_path / "schools.csv", "classes": tmp_path / "classes.csv",
             "rooms": tmp_path / "rooms.csv"}
    schools.to_csv(paths["schools"], index=False)
    classes, rooms = class_rows(schools), room_rows(schools)
    classes.to_csv(paths["classes"], index=False)
    rooms.to_csv(paths["rooms"], index=False)
    staged = stage_import(paths["schools"], classes_path=paths["classes"],
                          rooms_path=paths["rooms"])
    lines = preview_lines(preview(tmp_path / "data", staged, "zh"), "zh")
    assert any(f"班级 {len(classes)} 行" in line for line in lines)
    snap = read_snapshot(write_staged(tmp_path / "data", "s-2024", staged))
    assert snap.classes is not None and snap.rooms is not None
    assert len(snap.classes) == len(classes) and len(snap.rooms) == len(rooms)
    assert {"classes.parquet", "rooms.parquet"} <= set(snap.meta["sha256"])
    classes.assign(school_id="9999999999").to_csv(paths["classes"], index=False)
    with pytest.raises(ContractError) as err:
        stage_import(paths["schools"], classes_path=paths["classes"])
    assert {v.file for v in err.value.errors} == {"classes.csv"}
