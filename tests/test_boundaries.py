"""Boundary upload (docs/data-contract.md §11): township polygons in the formats and coordinate
systems counties send, made valid, paired with the schools' townships, schools outside the
county flagged, stored atomically with the previous files kept; every bad file refused with
its name and rule, nothing written.

The demo county's own townships are the oracle: converted to a projected system and back,
every township must land where it was (centroids within 5 m).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from demo_data import DEMO_COUNTY, DEMO_GEO, DEMO_SNAPSHOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon

from dashboard.store.boundaries import (
    COUNTY_FILE,
    META_FILE,
    TOWNSHIPS_FILE,
    boundary_lines,
    saved_pairing,
    stage_boundaries,
    write_boundaries,
)
from dashboard.store.boundary_files import BoundaryError, read_boundary
from dashboard.store.snapshots import read_snapshot
from dashboard.ui.geo import read_geojson, townships

REPO = Path(__file__).resolve().parent.parent
CM114: int = 4547  # CGCS2000 / 3-degree Gauss-Kruger CM 114E (the demo county's meridian)
ZONE38: int = 4526  # the same meridian, eastings prefixed with the zone number 38


@pytest.fixture(scope="module")
def towns() -> gpd.GeoDataFrame:
    return gpd.read_file(DEMO_GEO / DEMO_COUNTY / TOWNSHIPS_FILE)


@pytest.fixture(scope="module")
def schools() -> pd.DataFrame:
    return read_snapshot(DEMO_SNAPSHOT).schools


def _zipped_shapefile(frame: gpd.GeoDataFrame, folder: Path, *, prj: bool = True,
                      cpg: bool = False, encoding: str = "gbk") -> Path:
    """Write ``frame`` as a Shapefile in ``encoding`` and zip it (without .prj / .cpg unless
    asked: the files counties send often lack them)."""
    folder.mkdir(parents=True, exist_ok=True)
    frame[["township", "geometry"]].rename(columns={"township": "XZQMC"}).to_file(
        folder / "towns.shp", encoding=encoding)
    out = folder / "towns.zip"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for part in sorted(folder.glob("towns.*")):
            keep = part.suffix in (".shp", ".shx", ".dbf") or (part.suffix == ".prj" and prj) or (
                part.suffix == ".cpg" and cpg)
            if keep and part != out:
                z.write(part, part.name)
    return out


def _centroid_gap_m(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame) -> float:
    """Return the largest distance (m) between the centroids of same-named townships."""
    pa = a.set_index("township").to_crs(CM114).centroid
    pb = b.set_index("township").to_crs(CM114).centroid
    return float(pa.distance(pb.reindex(pa.index)).max())


def test_a_projected_gbk_shapefile_lands_where_it_belongs(towns, schools, tmp_path):
    """A zipped Shapefile in CGCS2000 Gauss-Krüger (metres), GBK names without a .cpg: read,
    reprojected to WGS 84, names decoded, every township paired and within 5 m of its place."""
    path = _zipped_shapefile(towns.to_crs(CM114), tmp_path / "shp")
    staged = stage_boundaries(path, schools)
    assert staged.layer.source_crs.startswith(f"EPSG:{CM114} ")
    assert staged.name_column == "XZQMC"
    assert set(staged.townships["township"]) == set(towns["township"])
    assert staged.match.unmatched_polygons == () == staged.match.townships_without_polygon
    assert _centroid_gap_m(staged.townships, towns) < 5.0
    assert staged.outside.empty and staged.elsewhere.empty


def test_without_prj_a_zone_prefixed_shapefile_is_assumed_and_said(towns, schools, tmp_path):
    path = _zipped_shapefile(towns.to_crs(ZONE38), tmp_path / "shp", prj=False)
    staged = stage_boundaries(path, schools)
    assert [k for k, _ in staged.layer.notes] == ["boundary.note.crs_assumed"]
    assert any(f"EPSG:{ZONE38}" in line for line in boundary_lines(staged, "zh"))
    assert _centroid_gap_m(staged.townships, towns) < 5.0


def test_without_prj_plain_metres_are_refused_until_the_system_is_named(towns, schools, tmp_path):
    path = _zipped_shapefile(towns.to_crs(CM114), tmp_path / "shp", prj=False)
    with pytest.raises(BoundaryError) as err:
        stage_boundaries(path, schools, lang="en")
    assert err.value.rule == "no_crs" and "towns.zip" in str(err.value)
    assert "EPSG:4547" in str(err.value)  # the message says how to name it
    staged = stage_boundaries(path, schools, crs="EPSG:4547")
    assert _centroid_gap_m(staged.townships, towns) < 5.0


def test_a_wrong_system_puts_the_county_outside_china_and_is_refused(towns, schools, tmp_path):
    path = tmp_path / "towns.geojson"
    towns.to_file(path)
    with pytest.raises(BoundaryError) as err:
        stage_boundaries(path, schools, crs=CM114)  # degrees read as metres: near 114E, 0N
    assert err.value.rule == "outside_china"


def test_a_geopackage_with_two_polygon_layers_asks_which(towns, schools, tmp_path):
    path = tmp_path / "county.gpkg"
    towns.to_file(path, layer="乡镇")
    towns.dissolve()[["geometry"]].to_file(path, layer="县界")
    with pytest.raises(BoundaryError) as err:
        stage_boundaries(path, schools)
    assert err.value.rule == "gpkg_layer" and "乡镇" in str(err.value) and "县界" in str(err.value)
    staged = stage_boundaries(path, schools, layer="乡镇")
    assert len(staged.townships) == len(towns)


def test_names_pair_across_suffixes_and_by_the_users_choice(towns, schools, tmp_path):
    """云溪 pairs with 云溪乡 (one stem); a name the file spells its own way is listed until
    the user pairs it."""
    renamed = towns.assign(township=towns["township"].replace(
        {"云溪乡": "云溪", "城关街道": "城关街道办事处", "青石镇": "青石"}))
    renamed.loc[renamed["township"] == "白沙镇", "township"] = "白砂"
    path = tmp_path / "towns.geojson"
    renamed.to_file(path)
    staged = stage_boundaries(path, schools)
    assert staged.match.pairs["云溪"] == "云溪乡"
    assert staged.match.pairs["城关街道办事处"] == "城关街道"
    assert staged.match.unmatched_polygons == ("白砂",)
    assert staged.match.townships_without_polygon == ("白沙镇",)
    paired = stage_boundaries(path, schools, pairing={"白砂": "白沙镇"})
    assert paired.match.unmatched_polygons == ()
    assert set(paired.townships["township"]) == set(towns["township"])


def test_invalid_geometry_is_repaired_and_counted(towns, schools, tmp_path):
    x0, y0, x1, y1 = towns.geometry.iloc[0].bounds
    bowtie = Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])  # self-intersecting
    broken = towns.copy()
    broken.loc[0, "geometry"] = bowtie
    path = tmp_path / "towns.geojson"
    broken.to_file(path)
    staged = stage_boundaries(path, schools)
    assert staged.repaired == 1
    assert staged.townships.geometry.is_valid.all()


def test_schools_outside_or_in_another_township_are_flagged(towns, schools, tmp_path):
    moved = schools.copy()
    first, second = moved.index[0], moved.index[1]
    moved.loc[first, ["longitude", "latitude"]] = (100.0, 40.0)  # far outside the county
    other = towns[towns["township"] != moved.loc[second, "township"]].iloc[0]
    inside = other.geometry.representative_point()
    moved.loc[second, ["longitude", "latitude"]] = (inside.x, inside.y)
    path = tmp_path / "towns.geojson"
    towns.to_file(path)
    staged = stage_boundaries(path, moved)
    assert list(staged.outside["school_id"]) == [moved.loc[first, "school_id"]]
    assert list(staged.elsewhere["school_id"]) == [moved.loc[second, "school_id"]]
    assert staged.elsewhere["found"].iloc[0] == other["township"]
    lines = "\n".join(boundary_lines(staged, "zh"))
    assert str(moved.loc[first, "school_name"]) in lines


@pytest.mark.parametrize("case", ["bomb", "climb", "two", "not_zip", "format", "points"])
def test_hostile_or_unusable_files_are_refused_by_name(case, towns, schools, tmp_path):
    path = tmp_path / "bad.zip"
    if case == "bomb":
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("towns.shp", b"\0" * (64 << 20))  # 64 MiB of zeros packs to ~64 KB
    elif case == "climb":
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("../towns.shp", b"x")
    elif case == "two":
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("a.shp", b"x")
            z.writestr("b.shp", b"x")
    elif case == "not_zip":
        path.write_bytes(b"PK\x03\x04 not really")
    elif case == "format":
        path = tmp_path / "towns.kml"
        path.write_text("<kml/>")
    else:
        path = tmp_path / "points.geojson"
        gpd.GeoDataFrame(geometry=towns.representative_point(), crs=4326).to_file(path)
    rule = {"bomb": "zip_bomb", "climb": "zip_path", "two": "zip_shapefiles",
            "not_zip": "unreadable", "format": "format", "points": "no_polygons"}[case]
    with pytest.raises(BoundaryError) as err:
        read_boundary(path, lang="en")
    assert err.value.rule == rule
    assert str(err.value).startswith(f"file {path.name}: ")


def test_stored_boundaries_are_what_the_map_reads_and_the_old_ones_are_kept(towns, schools,
                                                                         tmp_path):
    geo = tmp_path / "geo"
    shutil.copytree(DEMO_GEO, geo)
    renamed = towns.assign(township=towns["township"].replace({"白沙镇": "白砂"}))
    path = _zipped_shapefile(renamed.to_crs(CM114), tmp_path / "shp")
    staged = stage_boundaries(path, schools, pairing={"白砂": "白沙镇"})
    folder = write_boundaries(geo, staged)
    drawn = townships(read_geojson(folder / TOWNSHIPS_FILE))
    assert set(drawn.paths) == set(towns["township"]) and drawn.skipped == 0
    assert saved_pairing(geo, DEMO_COUNTY)["白砂"] == "白沙镇"
    meta = json.loads((folder / META_FILE).read_text("utf-8"))
    assert meta["source_crs"].startswith("EPSG:4547")
    backups = list((geo / ".trash").iterdir())
    assert len(backups) == 1 and backups[0].name.startswith(f"{DEMO_COUNTY}@")
    assert (backups[0] / TOWNSHIPS_FILE).read_bytes() == (
        DEMO_GEO / DEMO_COUNTY / TOWNSHIPS_FILE).read_bytes()
    assert not [p for p in folder.iterdir() if p.name.startswith(".tmp-")]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "dashboard", *args], capture_output=True,
                          text=True, env=env, cwd=REPO, timeout=120)


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def test_the_command_line_checks_previews_and_refuses_with_status_2(towns, tmp_path):
    geo = tmp_path / "geo"
    shutil.copytree(DEMO_GEO, geo)
    before = _tree(geo)
    bad = tmp_path / "towns.zip"
    bad.write_bytes(b"not a zip")
    out = _cli("--lang", "en", "boundaries", str(bad), "--schools", str(DEMO_SNAPSHOT),
               "--geo", str(geo))
    assert out.returncode == 2 and "file towns.zip: cannot be read" in out.stderr
    good = _zipped_shapefile(towns.to_crs(CM114), tmp_path / "shp")
    out = _cli("boundaries", str(good), "--schools", str(DEMO_SNAPSHOT), "--geo", str(geo),
               "--dry-run")
    assert out.returncode == 0, out.stderr
    assert "EPSG:4547" in out.stdout and "12 个已与学校数据中的乡镇对应" in out.stdout
    assert _tree(geo) == before  # a dry run writes nothing
    out = _cli("boundaries", str(good), "--schools", str(DEMO_SNAPSHOT), "--geo", str(geo))
    assert out.returncode == 0, out.stderr
    assert _tree(geo) != before and (geo / ".trash").is_dir()


@pytest.fixture(scope="module")
def good_files(towns, tmp_path_factory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("good")
    towns.to_file(folder / "t.geojson")
    towns.to_file(folder / "t.gpkg", layer="乡镇")
    _zipped_shapefile(towns.to_crs(CM114), folder / "shp")
    return {".geojson": (folder / "t.geojson").read_bytes(),
            ".gpkg": (folder / "t.gpkg").read_bytes(),
            ".zip": (folder / "shp" / "towns.zip").read_bytes()}


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(suffix=st.sampled_from([".geojson", ".gpkg", ".zip"]), cut=st.none() | st.floats(0, 1),
       flips=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), max_size=20))
def test_a_damaged_boundary_file_is_refused_never_a_crash(good_files, tmp_path, suffix, cut,
                                                        flips):
    """Truncated or byte-flipped GeoJSON, GeoPackage and zipped Shapefiles: each is read or
    refused with a BoundaryError naming the file; nothing else escapes (GDAL included)."""
    raw = bytearray(good_files[suffix])
    for where, byte in flips:
        raw[min(int(where * len(raw)), len(raw) - 1)] = byte
    if cut is not None:
        raw = raw[: int(cut * (len(raw) - 1))]
    path = tmp_path / f"damaged{suffix}"
    path.write_bytes(bytes(raw))
    try:
        layer = read_boundary(path, layer="乡镇" if suffix == ".gpkg" else None)
    except BoundaryError as exc:
        assert str(exc).startswith(f"文件 {path.name}：")
    else:
        assert len(layer.frame) > 0 and layer.frame.crs.to_epsg() == 4326


def test_a_city_file_of_several_counties_keeps_this_countys_townships(towns, schools, tmp_path):
    """A city bureau's file holds every county's townships with their 9-digit codes: only the
    county's own are kept, and the preview says by which column."""
    other = towns.assign(township_code=towns["township_code"].str.replace("990101", "990102"),
                         township=towns["township"] + "（邻县）")
    path = tmp_path / "city.geojson"
    pd.concat([towns, other], ignore_index=True).pipe(gpd.GeoDataFrame, crs=4326).to_file(path)
    staged = stage_boundaries(path, schools)
    assert len(staged.townships) == len(towns) and not staged.match.unmatched_polygons
    assert ("boundary.note.city", {"column": "township_code", "count": str(len(towns)),
                                   "county": DEMO_COUNTY}) in staged.layer.notes


def test_a_full_disk_midway_leaves_the_old_boundaries_whole(towns, schools, tmp_path, monkeypatch):
    """The files were written one by one into the county's folder after copying it to the
    trash: a full disk at the second left new townships beside the old county outline, and a
    trash entry.  They are written as a set now: nothing changes unless all are written."""
    import errno

    from dashboard.store import boundaries as bmod
    from dashboard.store import files as fmod

    geo = tmp_path / "geo"
    shutil.copytree(DEMO_GEO, geo)
    before = {p.name: p.read_bytes() for p in (geo / DEMO_COUNTY).iterdir()}
    staged = stage_boundaries(_zipped_shapefile(towns.to_crs(CM114), tmp_path / "shp"), schools)
    real = fmod.write_atomic

    def full_at_the_outline(target, data):
        if Path(target).name == COUNTY_FILE:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(target, data)

    monkeypatch.setattr(bmod.files, "write_atomic", full_at_the_outline)
    with pytest.raises(OSError):
        write_boundaries(geo, staged)
    assert {p.name: p.read_bytes() for p in (geo / DEMO_COUNTY).iterdir()} == before
    assert not (geo / ".trash").exists()
    assert not [p for p in geo.iterdir() if p.name.startswith(".tmp-")]
    monkeypatch.setattr(bmod.files, "write_atomic", real)  # room again: the set is written
    folder = write_boundaries(geo, staged)
    assert {p.name for p in folder.iterdir()} >= {TOWNSHIPS_FILE, COUNTY_FILE, META_FILE}
    assert len(list((geo / ".trash").iterdir())) == 1
