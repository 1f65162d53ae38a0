"""The township geography of the maps: an absent file, an unusable file (unreadable, not JSON,
not a FeatureCollection) and features that cannot be drawn are each said, never hidden — in the
page model (dashboard.ui.geo) and on the pages (AppTest)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from demo_data import DEMO_DATA, DEMO_GEO
from streamlit.testing.v1 import AppTest

from dashboard.i18n import t
from dashboard.ui.geo import GeoFile, geo_notices, read_geojson, townships

REPO = Path(__file__).resolve().parent.parent
COUNTY = "990101"
SQUARE = [[[113.0, 28.0], [113.1, 28.0], [113.1, 28.1], [113.0, 28.1], [113.0, 28.0]]]


def _feature(name: str, geometry: object) -> dict:
    return {"type": "Feature", "properties": {"township": name}, "geometry": geometry}


def _collection(*features: dict) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def _write(folder: Path, content: str | bytes) -> Path:
    path = folder / COUNTY / "townships.geojson"
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_an_absent_file_is_absent_not_corrupt(tmp_path: Path) -> None:
    geo = read_geojson(tmp_path / "nothing.geojson")
    assert geo.state == "absent" and geo.features == ()
    notices = geo_notices(geo, townships(geo), COUNTY, "zh")
    assert [(n.level, n.text) for n in notices] == [
        ("warning", t("app.map.no_geo", "zh", county=COUNTY))]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_corrupt_file_is_an_error_naming_the_file(tmp_path: Path, lang: str) -> None:
    path = _write(tmp_path, '{"type": "FeatureCollection", "features": [')
    geo = read_geojson(path)
    assert (geo.state, geo.problem) == ("corrupt", "not_json")
    assert geo.features == () and townships(geo).paths == {}
    [notice] = geo_notices(geo, townships(geo), COUNTY, lang)
    assert notice.level == "error"
    assert str(path) in notice.text
    assert t("app.geo.problem.not_json", lang, detail=geo.detail) in notice.text


def test_a_file_that_is_not_utf8_is_unreadable(tmp_path: Path) -> None:
    geo = read_geojson(_write(tmp_path, b"\xff\xfe\x00garbage"))
    assert (geo.state, geo.problem) == ("corrupt", "unreadable")


@pytest.mark.parametrize("data", [[1, 2, 3], {"type": "Feature", "geometry": None},
                                  {"type": "FeatureCollection", "features": {"a": 1}}])
def test_json_that_is_not_a_feature_collection_is_corrupt(tmp_path: Path, data: object) -> None:
    geo = read_geojson(_write(tmp_path, json.dumps(data)))
    assert (geo.state, geo.problem) == ("corrupt", "not_feature_collection")
    [notice] = geo_notices(geo, townships(geo), COUNTY, "en")
    assert notice.level == "error" and "FeatureCollection" in notice.text


def test_features_with_broken_geometry_are_counted_not_drawn() -> None:
    geo = GeoFile("t.geojson", "ok", (
        _feature("甲镇", {"type": "Polygon", "coordinates": SQUARE}),
        _feature("乙镇", None),                                         # no geometry
        _feature("丙镇", {"type": "Point", "coordinates": [113.0, 28.0]}),  # not drawable
        _feature("丁镇", {"type": "Polygon", "coordinates": [[["a", "b"], [1, 2], [3, 4], [1, 2]]]}),
        _feature("戊镇", {"type": "MultiPolygon", "coordinates": [[[[113.0, 28.0], [113.1]]]]}),
        "not a feature",
    ))
    found = townships(geo)
    assert list(found.paths) == ["甲镇"] and found.skipped == 5
    assert list(found.labels["township"]) == ["甲镇"]
    lons, lats = found.paths["甲镇"]
    assert len(lons) == len(lats) == 5
    notices = geo_notices(geo, found, COUNTY, "zh")
    assert [(n.level, n.text) for n in notices] == [
        ("caption", t("app.geo.skipped", "zh", n=5))]
    assert t("app.geo.skipped", "zh", n=5) == "5 个乡镇边界无法绘制（几何无效）。"


def test_multipolygons_and_holes_are_one_outline_per_township() -> None:
    hole = [[113.02, 28.02], [113.05, 28.02], [113.05, 28.05], [113.02, 28.02]]
    geo = GeoFile("t.geojson", "ok", (
        _feature("甲镇", {"type": "MultiPolygon", "coordinates": [SQUARE, [SQUARE[0], hole]]}),))
    found = townships(geo)
    lons, _ = found.paths["甲镇"]
    assert lons.count(None) == 2 and found.skipped == 0


def test_the_demo_geography_draws_every_township(demo_root: Path) -> None:
    geo = read_geojson(DEMO_GEO / COUNTY / "townships.geojson")
    found = townships(geo)
    assert geo.state == "ok" and found.skipped == 0
    assert len(found.labels) == len(geo.features) == len(found.paths)


# ----------------------------------------------------------------------------- pages


def _map_page(monkeypatch: pytest.MonkeyPatch, geo_root: Path, lang: str) -> AppTest:
    """Open the map page of the demo data with the geography under ``geo_root``."""
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("JUNHENG_DATA", str(DEMO_DATA))
    monkeypatch.setenv("JUNHENG_GEO", str(geo_root))
    at = AppTest.from_file(str(REPO / "app" / "main.py"), default_timeout=120)
    at.query_params.update({"lang": lang})
    at.run()
    at.switch_page(str(REPO / "pages" / "map.py"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_map_page_says_the_geography_file_is_corrupt(
        demo_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    path = _write(tmp_path, "not json at all")
    at = _map_page(monkeypatch, tmp_path, lang)
    reason = t("app.geo.problem.not_json", lang, detail=read_geojson(path).detail)
    assert [e.value for e in at.error] == [
        t("app.geo.corrupt", lang, county=COUNTY, path=str(path), reason=reason)]
    assert t("app.map.no_geo", lang, county=COUNTY) not in [w.value for w in at.warning]


def test_the_map_page_counts_townships_it_cannot_draw(
        demo_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    demo = json.loads((DEMO_GEO / COUNTY / "townships.geojson").read_text("utf-8"))
    demo["features"][0]["geometry"] = {"type": "Polygon", "coordinates": [[[None, None]]]}
    _write(tmp_path, json.dumps(demo, ensure_ascii=False))
    at = _map_page(monkeypatch, tmp_path, "zh")
    assert t("app.geo.skipped", "zh", n=1) in [c.value for c in at.caption]
    assert not at.error
