"""The import in a real browser (issue 11): upload a schools file, check it, see the preview
against the year before, create the snapshot, and find it in the sidebar's year choice."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from browser import served_app, wait_for_page
from demo_data import DEMO_DATA, DEMO_GEO

from dashboard.i18n import t
from dashboard.store.contract.spec import header_map
from dashboard.store.snapshots import list_snapshots, read_snapshot

pytestmark = pytest.mark.browser


def test_a_county_file_is_checked_previewed_and_written(tmp_path: Path, browser: Any) -> None:
    root = tmp_path / "data"
    root.mkdir()
    shutil.copytree(DEMO_DATA / "demo-990101-2023", root / "demo-990101-2023")
    bad, good = tmp_path / "有错误的学校表.csv", tmp_path / "学校.csv"
    schools = read_snapshot(DEMO_DATA / "demo-990101-2024").schools
    schools.to_csv(good, index=False)
    schools.assign(books=-1).to_csv(bad, index=False)
    with served_app(env={"JUNHENG_DATA": str(root), "JUNHENG_GEO": str(DEMO_GEO)}) as base:
        page = browser.new_page(viewport={"width": 1440, "height": 1400})
        page.goto(f"{base}/data?lang=zh")
        wait_for_page(page, t("app.page.data", "zh"))
        uploads = page.locator('[data-testid="stFileUploader"] input[type="file"]')
        uploads.first.set_input_files(str(bad))
        page.wait_for_selector(f"text={bad.name}")  # uploaded before it is checked
        page.get_by_role("button", name=t("data.upload.check", "zh")).click()
        page.wait_for_selector("text=" + t("data.upload.errors", "zh", n=len(schools))[:8])
        assert [i.id for i in list_snapshots(root)] == ["demo-990101-2023"]
        uploads.first.set_input_files(str(good))
        page.wait_for_selector(f"text={good.name}")
        page.get_by_role("button", name=t("data.upload.check", "zh")).click()
        page.wait_for_selector("text=demo-990101-2023（2023 学年）", timeout=60_000)
        page.get_by_role("button", name=t("data.upload.write", "zh")).click()
        page.wait_for_selector("text=" + t("data.upload.written", "zh", id="990101-2024")[:12])
        assert [i.id for i in list_snapshots(root)] == ["demo-990101-2023", "990101-2024"]
        page.screenshot(path=str(tmp_path / "written.png"))
        page.get_by_text(t("app.page.overview", "zh"), exact=True).first.click()
        wait_for_page(page, t("app.page.overview", "zh"))
        assert "snapshot=990101-2024" in page.url  # the new snapshot is the one opened
        assert "990101-2024" in page.inner_text('[data-testid="stMain"]')
        page.close()


def test_a_files_own_headers_are_paired_in_the_browser(tmp_path: Path, browser: Any) -> None:
    root = tmp_path / "data"
    root.mkdir()
    schools = read_snapshot(DEMO_DATA / "demo-990101-2024").schools
    zh = schools.rename(columns=header_map("schools", "zh"))
    path = tmp_path / "我县学校.csv"
    zh.rename(columns={"图书册数": "藏书量"}).to_csv(path, index=False)
    with served_app(env={"JUNHENG_DATA": str(root), "JUNHENG_GEO": str(DEMO_GEO)}) as base:
        page = browser.new_page(viewport={"width": 1440, "height": 1400})
        page.goto(f"{base}/data?lang=zh")
        wait_for_page(page, t("app.page.data", "zh"))
        page.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(
            str(path))
        page.wait_for_selector(f"text={path.name}")
        page.get_by_role("button", name=t("data.upload.check", "zh")).click()
        page.wait_for_selector("text=" + t("data.map.apply", "zh"), timeout=60_000)
        pair = page.locator('[data-testid="stSelectbox"]').filter(has_text="图书册数")
        pair.locator("input").click()
        page.keyboard.type("藏书")
        page.get_by_role("option", name="藏书量").click()
        page.get_by_role("button", name=t("data.map.apply", "zh")).click()
        page.wait_for_selector("text=" + t("data.upload.write", "zh"), timeout=60_000)
        assert (root / ".mappings" / "default.json").is_file()
        page.close()


def test_boundaries_are_uploaded_paired_stored_and_mapped(tmp_path: Path, browser: Any) -> None:
    """A zipped Gauss-Krüger Shapefile with one township spelled its own way: checked, shown
    on the preview map, the name paired in the form, stored, and drawn by the map page."""
    import geopandas as gpd
    from test_boundaries import CM114, _zipped_shapefile

    geo = tmp_path / "geo"
    shutil.copytree(DEMO_GEO, geo)
    towns = gpd.read_file(DEMO_GEO / "990101" / "townships.geojson")
    towns["township"] = towns["township"].replace({"白沙镇": "白砂"})
    path = _zipped_shapefile(towns.to_crs(CM114), tmp_path / "shp")
    with served_app(env={"JUNHENG_DATA": str(DEMO_DATA), "JUNHENG_GEO": str(geo)}) as base:
        page = browser.new_page(viewport={"width": 1440, "height": 1400})
        page.goto(f"{base}/data?lang=zh")
        wait_for_page(page, t("app.page.data", "zh"))
        page.get_by_role("tab", name=t("boundary.page.tab", "zh")).click()
        tab = page.get_by_role("tabpanel").filter(has_text=t("boundary.page.townships", "zh"))
        tab.locator('input[type="file"]').first.set_input_files(str(path))
        page.wait_for_selector(f"text={path.name}")
        page.get_by_role("button", name=t("boundary.page.check", "zh")).click()
        page.wait_for_selector("text=" + t("boundary.preview.unmatched", "zh", count=1,
                                           names="白砂"), timeout=60_000)
        page.wait_for_selector('[data-testid="stPlotlyChart"] .main-svg')
        page.screenshot(path=str(tmp_path / "boundary-check.png"), full_page=True)
        pair = page.locator('[data-testid="stSelectbox"]').filter(has_text="白砂")
        pair.locator("input").click()
        page.keyboard.type("白沙")
        page.get_by_role("option", name="白沙镇").click()
        page.get_by_role("button", name=t("boundary.page.recheck", "zh")).click()
        page.wait_for_selector("text=" + t("boundary.preview.townships", "zh", count=12,
                                           paired=12), timeout=60_000)
        page.get_by_role("button", name=t("boundary.page.write", "zh")).click()
        page.wait_for_selector("text=" + t("boundary.page.written", "zh", path="990101")[:6],
                               timeout=60_000)
        assert (geo / "990101" / "boundaries.json").is_file()
        assert len(list((geo / ".trash").iterdir())) == 1
        page.goto(f"{base}/map?lang=zh")
        wait_for_page(page, t("app.page.map", "zh"))
        page.wait_for_selector('[data-testid="stPlotlyChart"] .main-svg', timeout=60_000)
        assert "白沙镇" in page.inner_text('[data-testid="stMain"]') or page.locator(
            "text=白沙镇").count() > 0
        page.close()
