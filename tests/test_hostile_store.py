"""Damaged data on disk (issue 14): meta.json and scenario files that are deep, binary or
tampered, leftovers of killed writes, scenario names too long for a file name, and the demo's
check and repair.  Each case was first reproduced against the code before the fix."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from demo_data import DEMO_DATA, DEMO_GEO
from fixtures.contract.frames import valid_schools

from dashboard.cli import main as cli_main
from dashboard.i18n import t
from dashboard.planning.scenario import Scenario, ScenarioError, ScenarioStore
from dashboard.store import files
from dashboard.store.demo.check import check_demo, repair_demo
from dashboard.store.snapshots import (
    SnapshotIntegrityError,
    list_snapshots,
    meta_checksum,
    read_snapshot,
    scan_snapshots,
    write_snapshot,
)

REPO = Path(__file__).resolve().parent.parent
CREATED = "2025-01-01T00:00:00+00:00"
DEEP = "[" * 100_000  # RecursionError in json.loads before the fix


def snapshot(root: Path, snapshot_id: str = "s-2024") -> Path:
    return write_snapshot(root, snapshot_id, valid_schools(), source="test", created=CREATED)


# ------------------------------------------------------------------ meta.json


def test_bounded_json_refuses_depth_and_size_before_parsing(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text(DEEP, encoding="utf-8")
    with pytest.raises(files.JsonFileError) as info:
        files.read_json_bounded(deep)
    assert info.value.reason == "too_deep"
    big = tmp_path / "big.json"
    big.write_bytes(b" " * 101)
    with pytest.raises(files.JsonFileError, match="too_large"):
        files.read_json_bounded(big, max_bytes=100)
    binary = tmp_path / "bin.json"
    binary.write_bytes(bytes(range(256)))
    with pytest.raises(files.JsonFileError, match="not_text"):
        files.read_json_bounded(binary)
    # brackets inside strings are no nesting
    assert files.json_depth('{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}') == 1


def test_a_deeply_nested_meta_json_is_a_damaged_snapshot_not_a_crash(tmp_path: Path) -> None:
    good, bad = snapshot(tmp_path, "good"), snapshot(tmp_path, "bad")
    (bad / "meta.json").write_text(DEEP, encoding="utf-8")
    assert [s.id for s in list_snapshots(tmp_path)] == ["good"]
    found, damaged = scan_snapshots(tmp_path, lang="en")
    assert [s.path for s in found] == [good]
    assert [d.id for d in damaged] == ["bad"]
    assert "nested too deeply" in damaged[0].message
    with pytest.raises(SnapshotIntegrityError, match="嵌套层数过多"):
        read_snapshot(bad)


def test_the_cli_reports_a_deep_meta_json_with_status_2(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture) -> None:
    bad = snapshot(tmp_path)
    (bad / "meta.json").write_text(DEEP, encoding="utf-8")
    assert cli_main(["evaluate", str(bad), "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert "meta.json" in err and "Traceback" not in err


@pytest.mark.parametrize("field, value", [("year", 2030), ("county_codes", ["999999"]),
                                          ("source", "forged"), ("created", "2030-01-01")])
def test_every_trusted_field_of_meta_json_is_covered_by_its_checksum(tmp_path: Path, field: str,
                                                                     value: object) -> None:
    path = snapshot(tmp_path)
    meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
    assert meta["meta_sha256"] == meta_checksum(meta)
    (path / "meta.json").write_text(json.dumps({**meta, field: value}), encoding="utf-8")
    with pytest.raises(SnapshotIntegrityError, match="meta.json 校验失败"):
        read_snapshot(path)
    assert list_snapshots(tmp_path) == []
    assert "checksum" in scan_snapshots(tmp_path, lang="en")[1][0].message


def test_an_old_meta_json_without_its_checksum_is_checked_against_the_table(tmp_path: Path) -> None:
    path = snapshot(tmp_path)
    meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
    del meta["meta_sha256"]  # as written before the checksum existed: still readable
    (path / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    assert read_snapshot(path).meta["year"] == meta["year"]
    (path / "meta.json").write_text(json.dumps({**meta, "year": 2030}), encoding="utf-8")
    with pytest.raises(SnapshotIntegrityError, match="与学校表不一致"):
        read_snapshot(path)


@pytest.mark.parametrize("text", ["[]", '{"year": true}', '{"schema_version": 1, "year": "x", '
                                  '"county_codes": [], "sha256": {}}', "\ud800".encode(
                                      "utf-8", "surrogatepass").decode("latin-1")])
def test_malformed_meta_json_is_listed_as_damaged(tmp_path: Path, text: str) -> None:
    path = snapshot(tmp_path)
    (path / "meta.json").write_text(text, encoding="latin-1")
    assert list_snapshots(tmp_path) == []
    assert [d.id for d in scan_snapshots(tmp_path)[1]] == [path.name]


# ------------------------------------------------------------------ pages


@pytest.fixture()
def demo_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    shutil.copytree(DEMO_DATA, data)
    monkeypatch.setenv("JUNHENG_DATA", str(data))
    monkeypatch.setenv("JUNHENG_GEO", str(DEMO_GEO))
    return data


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_tampered_older_year_is_said_and_the_trend_keeps_the_other_years(
        demo_copy: Path, lang: str) -> None:
    from test_app_pages import open_page

    older = demo_copy / "demo-990101-2022"
    with (older / "schools.parquet").open("ab") as f:
        f.write(b"tampered")
    for page in ("overview", "school", "urban_rural") if lang == "zh" else ("overview",):
        at = open_page(page, lang=lang)
        assert not at.exception, (page, at.exception)
        warnings = [w.value for w in at.warning]
        said = [w for w in warnings if "demo\\-990101\\-2022" in w or "demo-990101-2022" in w]
        assert said, (page, warnings)
        assert said[0].startswith(t("store.damaged_year", lang, year=2022, id="",
                                    detail="")[:5]), said
        assert "schools.parquet" in said[0]
        assert not at.error, (page, [e.value for e in at.error])


def test_a_damaged_meta_json_is_said_on_every_page(demo_copy: Path) -> None:
    from test_app_pages import open_page

    (demo_copy / "demo-990101-2023" / "meta.json").write_text(DEEP, encoding="utf-8")
    at = open_page("overview", lang="en")
    said = [w.value for w in at.warning if "demo\\-990101\\-2023" in w.value
            or "demo-990101-2023" in w.value]
    assert said and "nested too deeply" in said[0], [w.value for w in at.warning]
    for page in ("overview", "map", "checklist"):
        at = open_page(page, lang="en")
        assert not at.exception, (page, at.exception)
        assert not at.error, (page, [e.value for e in at.error])


# ------------------------------------------------------------------ scenarios


def test_damaged_scenario_files_are_listed_as_damaged_never_raised(tmp_path: Path) -> None:
    store = ScenarioStore(tmp_path)
    store.save(Scenario("ok", "s", "x"))
    (tmp_path / "binary.json").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "deep.json").write_text(DEEP, encoding="utf-8")
    (tmp_path / "array.json").write_text("[1, 2]", encoding="utf-8")
    (tmp_path / "huge.json").write_bytes(b" " * (5 * 1024 * 1024))
    (tmp_path / "actions.json").write_text(json.dumps(
        {"name": "a", "snapshot_id": "s", "snapshot_sha256": "x", "actions": [7, None]}),
        encoding="utf-8")
    assert store.names() == ["ok"]
    found, damaged = store.scan()
    assert [i.name for i in found] == ["ok"]
    assert [d.name for d in damaged] == ["actions", "array", "binary", "deep", "huge"]
    for d in damaged:
        assert d.error.rule == "damaged_file"
        assert "damaged" in d.error.message("en") and "已损坏" in d.error.message("zh")
        with pytest.raises(ScenarioError) as info:
            store.load(d.name)
        assert info.value.rule == "damaged_file"
    # the reason inside speaks the message's language too (it nested Chinese in English)
    english = next(d for d in damaged if d.name == "actions").error.message("en")
    assert not re.search(r"[\u4e00-\u9fff]", english), english


@pytest.mark.parametrize("name, ok", [("𝐀" * 62, True), ("𝐀" * 63, False), ("𝐀" * 64, False),
                                      ("汉" * 64, True), ("a" * 64, True)])
def test_scenario_names_are_checked_by_the_bytes_of_their_file_name(tmp_path: Path, name: str,
                                                                   ok: bool) -> None:
    store = ScenarioStore(tmp_path)
    if ok:
        assert store.save(Scenario(name, "s", "x")).name == f"{name}.json"
        assert store.load(name).name == name
        return
    with pytest.raises(ScenarioError) as info:  # was OSError: File name too long
        store.save(Scenario(name, "s", "x"))
    assert info.value.rule == "name_too_long"
    assert "255" in info.value.message("en") and "字节" in info.value.message("zh")
    assert list(tmp_path.iterdir()) == []


def test_the_planner_page_says_a_too_long_name_without_an_exception_box() -> None:
    from test_app_pages import open_page

    at = open_page("planner", stage="primary", scheme="quality")  # a plan with moves
    assert not at.button(key="planner_save").disabled
    at.text_input(key="planner_scenario_name").set_value("𝐀" * 64)
    at.button(key="planner_save").click().run()
    assert not at.exception
    assert any("255" in e.value for e in at.error), [e.value for e in at.error]


# ------------------------------------------------------------------ leftovers of killed writes

WRITER = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    kind, root, ready = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])

    def hang(*args, **kwargs):
        ready.write_text("ready")
        time.sleep(120)

    if kind == "snapshot":
        import pyarrow.parquet as pq
        sys.path.insert(0, TESTS_DIR)
        from fixtures.contract.frames import valid_schools
        from dashboard.store import snapshots
        real = pq.write_table
        def half(table, where, **kw):
            Path(where).write_bytes(b"PAR1 half a table")
            hang()
        snapshots.pq.write_table = half
        snapshots.write_snapshot(root, "s-2024", valid_schools(), source="x")
    elif kind == "scenario":
        from dashboard.planning.scenario import Scenario, ScenarioStore
        os.fsync = hang
        ScenarioStore(root).save(Scenario("killed", "s", "x"))
    else:
        from dashboard.store import files
        os.fsync = hang
        files.write_atomic(root / "990101" / "townships.geojson", b'{"type": "Feature')
""").replace("TESTS_DIR", repr(str(Path(__file__).parent)))


def _start_writer(kind: str, root: Path, tmp_path: Path) -> subprocess.Popen:
    ready = tmp_path / f"ready-{kind}"
    ready.unlink(missing_ok=True)
    proc = subprocess.Popen([sys.executable, "-c", WRITER, kind, str(root), str(ready)],
                            cwd=REPO)
    deadline = time.monotonic() + 60
    while not ready.exists():
        assert proc.poll() is None, f"the {kind} writer ended early"
        assert time.monotonic() < deadline, f"the {kind} writer never got mid-write"
        time.sleep(0.05)
    return proc


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(files.TEMP_PREFIX))


@pytest.mark.parametrize("kind", ["snapshot", "scenario", "boundary"])
def test_kill_9_mid_write_leaves_nothing_read_and_the_next_start_cleans_up(
        tmp_path: Path, kind: str) -> None:
    root = tmp_path / kind
    root.mkdir()
    folder = root / "990101" if kind == "boundary" else root
    proc = _start_writer(kind, root, tmp_path)
    try:
        left = _leftovers(folder)
        assert len(left) == 1
        # a live write is never touched, however old its temporary name looks
        os.utime(folder / left[0], (0, 0))
        assert files.clean_leftovers(folder, grace_s=0) == []
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert _leftovers(folder) == left  # the killed write left its temporary name
    # a fresh leftover may be a write that is just starting: kept for the grace period
    os.utime(folder / left[0])
    if kind == "snapshot":
        assert scan_snapshots(root, clean=False) == ([], [])  # nothing half-written is read
    elif kind == "scenario":
        assert ScenarioStore(root).scan() == ([], [])
    else:
        from dashboard.ui.geo import read_geojson

        assert read_geojson(folder / "townships.geojson").state == "absent"
    assert files.clean_leftovers(folder) == [] and _leftovers(folder) == left
    os.utime(folder / left[0], (0, 0))  # older than the grace period, and unlocked
    if kind == "snapshot":
        list_snapshots(root)  # the next start of the app lists the snapshots
    elif kind == "scenario":
        ScenarioStore(root).list()
    else:
        from dashboard.ui.geo import read_geojson

        read_geojson(folder / "townships.geojson")
    assert _leftovers(folder) == []


def test_clean_leftovers_touches_only_our_own_temporary_names(tmp_path: Path) -> None:
    for name in ("keep.json", ".hidden", "tmp-x", ".tmpx"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    (tmp_path / ".tmp-gone").mkdir()
    os.symlink(tmp_path / "keep.json", tmp_path / ".tmp-link")
    for p in tmp_path.iterdir():
        os.utime(p, (0, 0), follow_symlinks=False)
    assert [p.name for p in files.clean_leftovers(tmp_path, grace_s=0)] == [".tmp-gone"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".hidden", ".tmp-link", ".tmpx", "keep.json", "tmp-x"]


# ------------------------------------------------------------------ the demo's check and repair


def test_make_data_rebuilds_a_zero_byte_boundary_and_a_damaged_snapshot(tmp_path: Path) -> None:
    data, geo = tmp_path / "data", tmp_path / "geo"
    shutil.copytree(DEMO_DATA, data)
    shutil.copytree(DEMO_GEO, geo)
    assert check_demo(data, geo) == []
    townships = geo / "990101" / "townships.geojson"
    good = townships.read_bytes()
    townships.write_bytes(b"")
    (data / "demo-990101-2023" / "meta.json").write_text(DEEP, encoding="utf-8")
    found = check_demo(data, geo, "en")
    assert sorted(p.path.name for p in found) == ["demo-990101-2023", "townships.geojson"]
    repair_demo(data, geo, "en", out=open(os.devnull, "w"))  # noqa: SIM115
    assert townships.read_bytes() == good
    assert read_snapshot(data / "demo-990101-2023").meta["year"] == 2023
    assert [p.name for p in data.iterdir() if p.name.startswith(".damaged-")]  # kept aside
    assert check_demo(data, geo) == []
    before = {p: p.stat().st_mtime_ns for p in [townships, *data.glob("*/meta.json")]}
    assert repair_demo(data, geo, out=open(os.devnull, "w")) == []  # noqa: SIM115
    assert before == {p: p.stat().st_mtime_ns for p in before}  # idempotent: nothing written


def test_the_demo_check_command_exits_1_when_something_is_missing(tmp_path: Path) -> None:
    run = [sys.executable, "-m", "dashboard.store.demo", "--check", "--out", str(tmp_path)]
    result = subprocess.run(run, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "townships.geojson" in result.stdout


def test_a_first_run_says_it_builds_the_demo_not_that_it_is_damaged(tmp_path: Path) -> None:
    """A fresh install printed "示范数据缺失或损坏" for every year and every boundary file."""
    said = io.StringIO()
    repair_demo(tmp_path / "data", tmp_path / "geo", "zh", out=said)
    text = said.getvalue()
    assert text.startswith("首次运行：正在生成示范数据") and "损坏" not in text
    assert check_demo(tmp_path / "data", tmp_path / "geo") == []
    # a damaged part of a demo that exists is still said as damaged
    (tmp_path / "geo" / "990101" / "townships.geojson").write_bytes(b"")
    said = io.StringIO()
    repair_demo(tmp_path / "data", tmp_path / "geo", "zh", out=said)
    assert "首次运行" not in said.getvalue() and "示范数据缺失或损坏" in said.getvalue()
