"""The 数据管理 page (issue 11): templates, an upload checked and previewed before it is
written, the snapshots with their comparison, delete to the trash and restore."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from demo_data import DEMO_DATA, DEMO_GEO
from streamlit.testing.v1 import AppTest

from dashboard.i18n import t
from dashboard.store.importing import preview_lines, write_staged
from dashboard.store.snapshots import list_snapshots, read_snapshot
from dashboard.store.trash import list_trash, move_to_trash, restore
from dashboard.ui import data_page as dp
from pages.common import SIDEBAR_KEYS

REPO = Path(__file__).resolve().parent.parent
TIMEOUT = 120


@pytest.fixture
def data_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data folder of its own with the demo's 2023 and 2024 snapshots, served to the app."""
    root = tmp_path / "data"
    root.mkdir()
    for year in (2023, 2024):
        shutil.copytree(DEMO_DATA / f"demo-990101-{year}", root / f"demo-990101-{year}")
    monkeypatch.setenv("JUNHENG_DATA", str(root))
    monkeypatch.setenv("JUNHENG_GEO", str(DEMO_GEO))
    return root


def open_data_page(lang: str = "zh", tab: str | None = None) -> AppTest:
    """Open the data page, then the tab ``snapshots`` or ``templates`` (drawn only when open)."""
    at = AppTest.from_file(str(REPO / "app" / "main.py"), default_timeout=TIMEOUT)
    at.query_params.update({"lang": lang})
    at.run()
    at.switch_page(str(REPO / "pages" / "data.py"))
    at.run()
    if tab is not None:
        open_data_tab(at, tab, lang)
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_data_tab(at: AppTest, tab: str, lang: str = "zh") -> AppTest:
    """Open one of the page's lazy tabs, as a click on it does."""
    at.session_state["data_tab"] = t(f"data.tab.{tab}", lang)
    return at.run()


def csv_bytes(frame: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    return buf.getvalue().encode("utf-8")


def test_an_upload_is_previewed_against_the_year_before(data_root: Path) -> None:
    schools = read_snapshot(data_root / "demo-990101-2024").schools
    shutil.rmtree(data_root / "demo-990101-2024")
    result = dp.stage_uploads(data_root, [dp.Upload("schools", "我县学校.csv", csv_bytes(schools))],
                              None, None, "zh")
    assert result.preview is not None, result.message
    lines = preview_lines(result.preview, "zh")
    assert "2024 学年" in lines[0] and "demo-990101-2023" in lines[1]
    assert [i.id for i in list_snapshots(data_root)] == ["demo-990101-2023"]  # nothing written
    assert not any("已有数据快照" in x for x in lines)


def test_an_upload_of_a_year_already_stored_says_so(data_root: Path) -> None:
    """The year's snapshot stays and a new one is added: the preview says which is kept and
    which the pages will open (it said nothing, and a new session opened the old one)."""
    schools = read_snapshot(data_root / "demo-990101-2024").schools
    result = dp.stage_uploads(data_root, [dp.Upload("schools", "更正.csv", csv_bytes(schools))],
                              None, None, "zh")
    assert result.preview is not None, result.message
    lines = preview_lines(result.preview, "zh")
    assert t("import.same_year", "zh", year=2024, ids="demo-990101-2024") in lines
    assert "already has the snapshot demo-990101-2024" in " ".join(preview_lines(result.preview, "en"))
    # written under a name that sorts first, the new snapshot is still the one a new session opens
    write_staged(data_root, "0-990101-2024", result.preview.staged, "zh", created="2030-01-01T00:00:00+00:00")
    at = open_data_page()
    assert at.sidebar.selectbox(key=SIDEBAR_KEYS["snapshot"]).value == "0-990101-2024"


def test_an_upload_with_errors_lists_every_one_by_the_users_file_name(data_root: Path) -> None:
    schools = read_snapshot(data_root / "demo-990101-2024").schools.astype({"books": object})
    schools.loc[[2, 5], "books"] = ["很多", "-3"]
    upload = dp.Upload("schools", "../../学校.csv", csv_bytes(schools))
    result = dp.stage_uploads(data_root, [upload], None, None, "en")
    assert result.preview is None and len(result.violations) == 2
    table = dp.violation_table(result.violations, "en")
    assert set(table["File"]) == {"学校.csv"}
    assert list(table["Row"]) == ["4", "7"] and list(table["Value"]) == ["很多", "-3"]
    no_schools = dp.stage_uploads(data_root, [dp.Upload("teachers", "t.csv", b"x")], None, None, "zh")
    assert no_schools.message == t("data.upload.need_schools", "zh")


def test_a_deleted_snapshot_goes_to_the_trash_and_comes_back(data_root: Path) -> None:
    entry = move_to_trash(data_root, "demo-990101-2023")
    assert [i.id for i in list_snapshots(data_root)] == ["demo-990101-2024"]
    assert [e.snapshot_id for e in list_trash(data_root)] == ["demo-990101-2023"]
    restored = restore(data_root, entry)
    assert read_snapshot(restored).meta["year"] == 2023 and list_trash(data_root) == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_page_offers_templates_snapshots_and_a_comparison(data_root: Path, lang: str) -> None:
    at = open_data_page(lang)
    assert at.title[0].value == t("app.page.data", lang)
    assert [tab.label for tab in at.tabs] == [
        t("data.tab.import", lang), t("data.tab.snapshots", lang), t("boundary.page.tab", lang),
        t("data.tab.templates", lang)]
    # the snapshots' and the templates' tabs run only when open; import and boundary always
    assert not at.dataframe and not at.get("download_button")
    assert {"data_check", "geo_check"} & {b.key for b in at.button} == {"data_check"}
    assert "geo_up_towns" in {u.key for u in at.get("file_uploader")}
    open_data_tab(at, "snapshots", lang)
    assert not at.get("download_button") and "data_check" in {b.key for b in at.button}
    shown = [d.value for d in at.dataframe]
    ids = [frame[t("data.col.id", lang)].tolist() for frame in shown
           if t("data.col.id", lang) in frame.columns]
    assert ids == [["demo-990101-2023", "demo-990101-2024"]]
    changes = [f for f in shown if t("data.col.what", lang) in f.columns]
    assert len(changes) == 1 and len(changes[0]) > 0
    open_data_tab(at, "templates", lang)
    assert len(at.get("download_button")) == 5 and not at.dataframe


def test_deleting_on_the_page_needs_a_confirmation_and_can_be_undone(data_root: Path) -> None:
    at = open_data_page(tab="snapshots")
    at.selectbox(key="data_delete").set_value("demo-990101-2023").run()
    assert not [b for b in at.button if b.key == "data_delete_go"]  # not before confirming
    at.checkbox(key="data_delete_ok").check().run()
    at.button(key="data_delete_go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert [i.id for i in list_snapshots(data_root)] == ["demo-990101-2024"]
    assert t("data.delete.done", "zh", id="demo-990101-2023") in [s.value for s in at.success]
    at.button(key="data_restore_go").click().run()
    assert [i.id for i in list_snapshots(data_root)] == ["demo-990101-2023", "demo-990101-2024"]


def test_the_page_works_without_any_snapshot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUNHENG_DATA", str(tmp_path / "empty"))
    monkeypatch.setenv("JUNHENG_GEO", str(DEMO_GEO))
    at = open_data_page(tab="templates")
    assert at.title[0].value == t("app.page.data", "zh")
    assert len(at.get("download_button")) == 5  # schools, teachers, county; classes, rooms (issue 12)


def test_the_users_file_comes_back_with_each_error_marked_where_it_is(data_root: Path,
                                                                     tmp_path: Path) -> None:
    import openpyxl

    schools = read_snapshot(data_root / "demo-990101-2024").schools.astype({"books": object})
    schools.loc[4, "books"] = "很多"
    schools.loc[9, "classes_primary"] = -2  # also breaks 班班通 classes ≤ classes
    # an XLSX with a title row above the header and a second sheet left untouched
    path = tmp_path / "县里的表.xlsx"
    with pd.ExcelWriter(path) as writer:
        schools.to_excel(writer, sheet_name="学校", startrow=1, index=False)
        pd.DataFrame({"x": [1]}).to_excel(writer, sheet_name="备注", index=False)
    result = dp.stage_uploads(data_root, [dp.Upload("schools", path.name, path.read_bytes())],
                              None, None, "zh")
    assert result.preview is None and [name for name, _ in result.marked] == ["县里的表-errors.xlsx"]
    book = openpyxl.load_workbook(io.BytesIO(result.marked[0][1]))
    assert book.sheetnames == ["学校", "备注"]
    sheet = book["学校"]
    header = {c.value: c.column for c in sheet[2]}
    marked = {(c.row, c.column) for row in sheet.iter_rows() for c in row if c.comment}
    # header in row 2: the 5th data row is row 7, the 10th row 12
    assert marked == {(7, header["books"]), (12, header["classes_primary"]),
                      (12, header["classes_with_av"])}
    assert "-2" in sheet.cell(row=12, column=header["classes_primary"]).comment.text
    assert sheet.cell(row=7, column=header["books"]).fill.start_color.rgb.endswith("FFC7CE")


def test_a_csv_comes_back_as_a_workbook_of_text_cells_never_formulas(data_root: Path,
                                                                    tmp_path: Path) -> None:
    import openpyxl

    schools = read_snapshot(data_root / "demo-990101-2024").schools.astype({"school_name": object})
    schools.loc[0, "school_name"] = "=cmd|' /C calc'!A0"
    schools.loc[1, "boarders"] = -1
    data = csv_bytes(schools)
    result = dp.stage_uploads(data_root, [dp.Upload("schools", "s.csv", data)], None, None, "en")
    book = openpyxl.load_workbook(io.BytesIO(result.marked[0][1]))
    sheet = book.worksheets[0]
    assert sheet.cell(row=2, column=1 + list(schools.columns).index("school_name")).data_type == "s"
    col = 1 + list(schools.columns).index("boarders")
    assert sheet.cell(row=3, column=col).comment is not None


def renamed(schools: pd.DataFrame) -> pd.DataFrame:
    """The schools as a county's own sheet names two columns: its headers, not the contract's."""
    from dashboard.store.contract.spec import header_map

    zh = schools.rename(columns=header_map("schools", "zh"))
    return zh.rename(columns={"小学在校生数": "在校学生数（小学部）", "图书册数": "藏书量"})


def test_a_files_own_headers_are_paired_once_and_offered_again(data_root: Path) -> None:
    from dashboard.store.mappings import load_mappings, save_mappings

    data = csv_bytes(renamed(read_snapshot(data_root / "demo-990101-2024").schools))
    upload = [dp.Upload("schools", "我县.csv", data)]
    first = dp.stage_uploads(data_root, upload, None, "990101", "zh")
    assert first.preview is None
    [u] = first.unmapped
    assert set(u.missing) == {"students_primary", "books"}
    assert {"在校学生数（小学部）", "藏书量"} <= set(u.unknown)
    save_mappings(data_root, "990101", {"schools": {"在校学生数（小学部）": "students_primary",
                                                    "藏书量": "books"}})
    again = dp.stage_uploads(data_root, upload, None, "990101", "zh")
    assert again.preview is not None, again.message
    pd.testing.assert_frame_equal(again.preview.staged.schools,
                                  read_snapshot(data_root / "demo-990101-2024").schools)
    assert load_mappings(data_root, "990102") == {}  # per county
    other = dp.stage_uploads(data_root, upload, None, "990102", "zh")
    assert other.preview is None  # another county's files: its own mapping, none yet


def test_a_damaged_or_foreign_mapping_file_reads_as_none(data_root: Path) -> None:
    from dashboard.store.mappings import MAPPING_DIR, load_mappings, mapping_key, save_mappings

    folder = data_root / MAPPING_DIR
    folder.mkdir()
    (folder / "default.json").write_text("[" * 10_000)
    assert load_mappings(data_root, None) == {}
    (folder / "default.json").write_text('{"schools": {"x": "no_such_column", "y": 3}}')
    assert load_mappings(data_root, None) == {"schools": {}}
    assert mapping_key("../../etc") == "default"
    path = save_mappings(data_root, "../../etc", {"schools": {"藏书量": "books"}})
    assert path.parent == folder and load_mappings(data_root, None)["schools"] == {"藏书量": "books"}


def test_the_list_shows_size_and_whether_the_checksums_hold(data_root: Path) -> None:
    at = open_data_page("en", tab="snapshots")
    shown = next(d.value for d in at.dataframe if t("data.col.checksum", "en") in d.value.columns)
    assert list(shown[t("data.col.checksum", "en")]) == [t("data.checksum.ok", "en")] * 2
    assert all(s.endswith("KB") or s.endswith("MB") for s in shown[t("data.col.size", "en")])
    # a snapshot file altered after writing: the list says so (the stamp sees the change)
    victim = data_root / "demo-990101-2023" / "schools.parquet"
    victim.write_bytes(victim.read_bytes()[:-40] + b"\0" * 40)
    at = open_data_page("en", tab="snapshots")
    shown = next(d.value for d in at.dataframe if t("data.col.checksum", "en") in d.value.columns)
    states = dict(zip(shown[t("data.col.id", "en")], shown[t("data.col.checksum", "en")],
                      strict=True))
    assert states["demo-990101-2023"] == t("data.checksum.bad", "en")
    assert states["demo-990101-2024"] == t("data.checksum.ok", "en")


def _uploader(at: AppTest, key: str):
    return next(u for u in at.get("file_uploader") if u.key == key)


def test_an_upload_with_its_own_headers_is_paired_and_written_in_the_page(data_root: Path) -> None:
    """AppTest drives the uploader (Streamlit ≥ 1.67): a schools file naming 图书册数 its own
    way is checked, its header paired in the form, previewed and written as a snapshot."""
    from dashboard.store.contract import header_map

    schools = read_snapshot(DEMO_DATA / "demo-990101-2024").schools
    frame = schools.rename(columns=header_map("schools", "zh")).rename(columns={"图书册数": "藏书量"})
    at = open_data_page()
    _uploader(at, "data_up_schools").upload("我县学校.csv", frame.to_csv(index=False).encode(),
                                            "text/csv")
    at.run()
    at.button(key="data_check").click().run()
    assert not at.exception, [e.value for e in at.exception]
    pair = next(s for s in at.selectbox if s.key == "data_map_schools_books")
    pair.set_value("藏书量")
    next(b for b in at.button if b.label == t("data.map.apply", "zh")).click().run()
    assert not at.exception, [e.value for e in at.exception]
    at.button(key="data_write").click().run()
    assert not at.exception, [e.value for e in at.exception]
    written = [i for i in list_snapshots(data_root) if i.id == "990101-2024"]
    assert written and (data_root / ".mappings" / "default.json").is_file()
    assert read_snapshot(written[0].path).schools["books"].tolist() == schools["books"].tolist()


def test_boundaries_are_checked_and_stored_in_the_page(data_root: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import geopandas as gpd

    geo = tmp_path / "geo"
    shutil.copytree(DEMO_GEO, geo)
    monkeypatch.setenv("JUNHENG_GEO", str(geo))
    towns = gpd.read_file(geo / "990101" / "townships.geojson")
    at = open_data_page("en")
    _uploader(at, "geo_up_towns").upload("towns.geojson", towns.to_crs(4547).to_json().encode())
    at.run()
    at.button(key="geo_check").click().run()
    assert not at.exception, [e.value for e in at.exception]
    shown = [e.value for e in at.text]
    assert any("EPSG:4547" in s for s in shown)
    assert t("boundary.preview.townships", "en", count=12, paired=12) in shown
    at.button(key="geo_write").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert (geo / "990101" / "boundaries.json").is_file() and (geo / ".trash").is_dir()


def test_every_schools_column_has_words_and_chinese_is_the_contracts_header() -> None:
    """The comparison and the pairing form show columns in words in English too (never the
    file's canonical name), and the Chinese is the contract's own header."""
    from dashboard.store.contract import header_map

    zh = header_map("schools", "zh")
    for name in zh:
        assert dp.column_label("schools", name, "zh") == zh[name]
        english = dp.column_label("schools", name, "en")
        assert english != name and not re.search(r"[\u4e00-\u9fff]", english.replace(
            "班班通", "")), name


def test_a_new_check_offers_its_own_id_and_a_write_refreshes_the_comparison(
        data_root: Path) -> None:
    """The name box kept the first check's id while the user checked another file, and the
    comparison kept its stale choice after a write; the delete box said "Choose an option"."""
    years = {y: read_snapshot(data_root / f"demo-990101-{y}").schools for y in (2023, 2024)}
    at = open_data_page(tab="snapshots")  # the import tab is drawn beside it
    assert next(s for s in at.selectbox if s.key == "data_delete").placeholder == t(
        "data.delete.placeholder", "zh")
    def box(kind, label):
        return next(w for w in getattr(at, kind) if w.label == t(label, "zh"))

    box("selectbox", "data.compare.after").set_value("demo-990101-2023").run()
    for year, expected in ((2024, "990101-2024"), (2023, "990101-2023")):
        _uploader(at, "data_up_schools").upload(f"{year}.csv", csv_bytes(years[year]), "text/csv")
        at.run()
        at.button(key="data_check").click().run()
        assert box("text_input", "data.upload.id").value == expected
    at.button(key="data_write").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "990101-2023" in {i.id for i in list_snapshots(data_root)}
    after = box("selectbox", "data.compare.after")
    assert after.value == after.options[-1] != "demo-990101-2023"


def test_the_trash_shows_when_a_snapshot_was_deleted_in_beijing_time(data_root: Path) -> None:
    """The trash showed the stored UTC time (2026-11-30T02:01:00+00:00) beside the snapshots'
    Beijing times: eight hours off what the clerk saw on the clock."""
    from datetime import datetime, timedelta

    entry = move_to_trash(data_root, "demo-990101-2023")
    beijing = (datetime.fromisoformat(entry.deleted) + timedelta(hours=8)).strftime(
        "%Y-%m-%d %H:%M")
    table = dp.trash_table(list_trash(data_root), "zh")
    assert table[t("data.col.deleted", "zh")].tolist() == [beijing]
    assert "北京时间" in t("data.col.deleted", "zh")
    assert dp.trash_label(entry) == f"demo-990101-2023 · {beijing}"
