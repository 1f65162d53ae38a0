"""Import times (issue 11): a county workbook of about 300 schools (target under 3 s) and a
city workbook of 15 counties, each filled into the schools template as a user would and read
back through the import's own staging (every file loaded and checked, year and counties kept);
and the demo's township boundaries as a zipped Gauss-Krüger Shapefile through the boundary check.

The workbooks are made from the demo county: its 62 schools repeated with new ids (a teaching
point keeps a parent of its own copy) for the 300-school county, and the same county under 15
county codes for the city.
"""

from __future__ import annotations

import tempfile
from functools import partial
from pathlib import Path

import pandas as pd

from benchmarks.timing import measure
from dashboard.store.boundaries import stage_boundaries
from dashboard.store.demo import build_demo
from dashboard.store.importing import stage_import
from dashboard.store.templates import filled_template

TARGET_S = 3.0


def _copies(schools: pd.DataFrame, n: int) -> pd.DataFrame:
    """Return ``n`` copies of a county's schools with distinct ids (parents follow)."""
    parts = []
    for k in range(n):
        part = schools.copy()
        suffix = f"{k:02d}"
        part["school_id"] = part["school_id"] + suffix
        part["parent_school_id"] = part["parent_school_id"].map(
            lambda p, s=suffix: None if p is None or pd.isna(p) else f"{p}{s}")
        part["school_name"] = part["school_name"] + f"（{k + 1}）"
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def _city(schools: pd.DataFrame, counties: int) -> pd.DataFrame:
    """Return the county under ``counties`` county codes (a city bureau's workbook)."""
    return pd.concat([schools.assign(county_code=f"{990101 + k}", county_name=f"示范县{k + 1}")
                      for k in range(counties)], ignore_index=True)


def run() -> dict:
    schools = build_demo().schools[2024]
    county = _copies(schools, 5)
    city = _city(schools, 15)
    figures: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="junheng-bench-import-") as tmp:
        for name, frame in ((f"county_{len(county)}_schools_xlsx", county),
                            (f"city_15_counties_{len(city)}_schools_xlsx", city)):
            path = Path(tmp) / f"{name}.xlsx"
            path.write_bytes(filled_template("schools", frame, "zh"))
            staged = stage_import(path)  # once, to prove the workbook imports without an error
            assert len(staged.schools) == len(frame)
            figures[name] = measure(partial(stage_import, path), repeat=3, warmup=0,
                                    target_s=TARGET_S if name.startswith("county") else None)
        figures.update(_boundaries(Path(tmp), schools))
    return {"figures": figures}


def _boundaries(tmp: Path, schools: pd.DataFrame) -> dict[str, object]:
    """Time a county's township Shapefile (Gauss-Krüger, zipped, GBK) through the boundary
    check: read, reproject, repair, pair names, place the schools, simplify."""
    import zipfile

    import geopandas as gpd

    from dashboard.store.demo import write_demo

    write_demo(tmp / "data", tmp / "geo")
    towns = gpd.read_file(tmp / "geo" / "990101" / "townships.geojson").to_crs(4547)[
        ["township", "geometry"]]
    towns.to_file(tmp / "towns.shp", encoding="gbk")
    archive = tmp / "towns.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for part in (".shp", ".shx", ".dbf", ".prj"):
            z.write(tmp / f"towns{part}", f"towns{part}")
    staged = stage_boundaries(archive, schools)
    assert len(staged.match.pairs) == len(towns)
    return {f"boundaries_{len(towns)}_townships_shapefile": measure(
        lambda: stage_boundaries(archive, schools), repeat=5, warmup=1, target_s=2.0)}
