"""A county's boundaries in: township polygons (and, if given, the county outline) read with
geopandas, made valid, brought to WGS 84, their names paired with the schools' townships,
the schools outside the county found, simplified for the browser and stored under
``geo/<county>/`` where the map reads them.  docs/data-contract.md §11.

:func:`stage_boundaries` does all the checking and raises :class:`BoundaryError` on a file that
cannot be used; nothing is written until :func:`write_boundaries`.  The county's previous
boundary files are first copied to ``geo/.trash/<county>@<UTC time>/``, then each file is
replaced atomically, so a reader sees the old files or the new ones, never half of either.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import geopandas as gpd
import pandas as pd
from shapely import union_all

from dashboard.i18n import DEFAULT_LANG, t
from dashboard.store import files
from dashboard.store.boundary_files import BoundaryError, BoundaryLayer, read_boundary
from dashboard.store.township_names import TownshipMatch, match_score, match_townships

__all__ = ["StagedBoundaries", "stage_boundaries", "write_boundaries", "boundary_lines",
           "saved_pairing", "TOWNSHIPS_FILE", "COUNTY_FILE", "META_FILE"]

TOWNSHIPS_FILE: Final = "townships.geojson"
COUNTY_FILE: Final = "county.geojson"
META_FILE: Final = "boundaries.json"
TRASH_DIR: Final = ".trash"
# The browser needs no detail finer than a few pixels: the tolerance is this share of the
# county's larger extent (about 20 m on a 60 km county), coordinates kept to 1e-6 degree.
SIMPLIFY_SHARE: Final = 1 / 3000
PRECISION: Final = 1e-6
# Columns whose name says "township name", preferred when several columns pair equally well.
NAME_HINTS: Final = ("township", "乡镇", "乡镇名称", "乡镇(街道)", "name", "NAME", "XZQMC", "名称")


@dataclass(frozen=True, eq=False)
class StagedBoundaries:
    """Checked boundaries of one county, ready to be written.

    ``townships`` has columns township (the schools' name where paired, else the file's),
    name_source (as in the file) and geometry, simplified, in WGS 84; ``outline`` one row.
    ``outside`` lists the schools whose coordinates lie outside the county and ``elsewhere``
    those inside it but in another township's polygon (school_id, school_name, township,
    found); ``no_point`` counts schools without coordinates.
    """

    county_code: str
    county_name: str
    townships: gpd.GeoDataFrame
    outline: gpd.GeoDataFrame
    outline_given: bool
    layer: BoundaryLayer
    name_column: str
    name_columns: tuple[str, ...]
    match: TownshipMatch
    repaired: int
    outside: pd.DataFrame
    elsewhere: pd.DataFrame
    no_point: int


def _name_columns(frame: gpd.GeoDataFrame, townships: list[str]) -> list[str]:
    """Return the text columns, the best pairing (then a telling name) first."""
    cols = [c for c in frame.columns if c != frame.geometry.name
            and frame[c].map(lambda v: isinstance(v, str)).any()]

    def rank(col: str) -> tuple[int, int]:
        hint = NAME_HINTS.index(col) if col in NAME_HINTS else len(NAME_HINTS)
        return -match_score(frame[col], townships), hint

    return sorted(cols, key=rank)


def _polygons(frame: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, int]:
    """Return the frame made valid (polygonal parts only, dissolved by name_source) and how
    many geometries had to be repaired."""
    invalid = ~frame.geometry.is_valid
    frame = frame.set_geometry(frame.geometry.make_valid())
    parts = frame.explode(index_parts=False)
    parts = parts[parts.geometry.geom_type == "Polygon"]
    merged = parts.dissolve(by="name_source", as_index=False, sort=False)
    return merged[["name_source", "geometry"]], int(invalid.sum())


def _simplified(frame: gpd.GeoDataFrame) -> gpd.GeoSeries:
    x0, y0, x1, y1 = frame.total_bounds
    tolerance = max(x1 - x0, y1 - y0) * SIMPLIFY_SHARE
    return frame.geometry.simplify(tolerance, preserve_topology=True).set_precision(PRECISION)


def _school_points(schools: pd.DataFrame) -> tuple[gpd.GeoDataFrame, int]:
    located = schools["longitude"].notna() & schools["latitude"].notna()
    chosen = schools[located.to_numpy()]
    points = gpd.GeoDataFrame(
        chosen[["school_id", "school_name", "township"]].reset_index(drop=True),
        geometry=gpd.points_from_xy(chosen["longitude"].astype(float),
                                    chosen["latitude"].astype(float)), crs=4326)
    return points, int((~located).sum())


def _placement(points: gpd.GeoDataFrame, outline: object, towns: gpd.GeoDataFrame
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (schools outside the outline, schools inside it but in another township)."""
    columns = ["school_id", "school_name", "township", "found"]
    inside = points.geometry.intersects(outline)  # within, or on the boundary line
    outside = points[~inside.to_numpy()].assign(found="")[columns]
    joined = gpd.sjoin(points[inside.to_numpy()], towns[["township", "geometry"]],
                       how="left", predicate="intersects", lsuffix="school", rsuffix="polygon")
    found = joined.groupby(level=0)["township_polygon"].agg(
        lambda s: "、".join(sorted(str(v) for v in s.dropna())))
    chosen = points[inside.to_numpy()].assign(found=found.reindex(
        points[inside.to_numpy()].index).fillna(""))
    mismatch = chosen.apply(lambda r: r["township"] not in r["found"].split("、"), axis=1)
    elsewhere = chosen[mismatch.to_numpy() & chosen["township"].isin(towns["township"]).to_numpy()]
    return (pd.DataFrame(outside).reset_index(drop=True),
            pd.DataFrame(elsewhere[columns]).reset_index(drop=True))


def _county_rows(frame: gpd.GeoDataFrame, code: str) -> tuple[gpd.GeoDataFrame, str | None]:
    """Return the features of county ``code`` in a file of several counties (a city's): those
    whose values in a code column (县区代码 or 乡镇代码, which starts with it) start with the
    code, where such a column also holds other counties; else the frame as it is."""
    for col in frame.columns:
        if col == frame.geometry.name:
            continue
        text = frame[col].map(lambda v: str(v).strip() if v is not None else "")
        if not text.str.fullmatch(r"\d{6,12}").all():
            continue
        ours = text.str.startswith(code)
        if ours.any() and not ours.all():
            return frame[ours.to_numpy()].reset_index(drop=True), str(col)
    return frame, None


def _county_schools(schools: pd.DataFrame, county_code: str | None, file: str,
                    lang: str) -> pd.DataFrame:
    codes = sorted({str(c) for c in schools["county_code"]})
    if county_code is None and len(codes) == 1:
        county_code = codes[0]
    if county_code is None or county_code not in codes:
        raise BoundaryError(file, "county", lang, county=county_code or "—",
                            counties="、".join(codes))
    return schools[(schools["county_code"].astype(str) == county_code).to_numpy()]


def stage_boundaries(townships_path: str | Path, schools: pd.DataFrame, *,
                     county_code: str | None = None, outline_path: str | Path | None = None,
                     name_column: str | None = None, crs: str | int | None = None,
                     layer: str | None = None, pairing: Mapping[str, str] | None = None,
                     lang: str = DEFAULT_LANG) -> StagedBoundaries:
    """Return a county's checked boundaries from a township file (and an outline file), its
    township names paired with ``schools``' townships (``pairing`` first), or raise
    :class:`BoundaryError`.  ``name_column`` defaults to the column that pairs best."""
    read = read_boundary(townships_path, layer=layer, crs=crs, lang=lang)
    county = _county_schools(schools, county_code, read.file, lang)
    code = str(county["county_code"].iloc[0])
    towns_named = sorted({str(x) for x in county["township"]})
    mine, code_column = _county_rows(read.frame, code)
    if code_column is not None:
        read = replace(read, frame=mine, notes=(*read.notes, ("boundary.note.city", {
            "column": code_column, "count": str(len(mine)), "county": code})))
    candidates = _name_columns(read.frame, towns_named)
    column = name_column or (candidates[0] if candidates else None)
    if column is None or column not in candidates:
        raise BoundaryError(read.file, "name_column", lang, column=column or "—",
                            columns="、".join(candidates) or "—")
    frame = read.frame.assign(name_source=read.frame[column].map(
        lambda v: str(v).strip() if isinstance(v, str) and v.strip() else ""))
    frame = frame[(frame["name_source"] != "").to_numpy()]
    if frame.empty:
        raise BoundaryError(read.file, "no_names", lang, column=column)
    polygons, repaired = _polygons(frame)
    match = match_townships(polygons["name_source"], towns_named, pairing)
    polygons["township"] = polygons["name_source"].map(lambda n: match.pairs.get(n, n))
    if outline_path is not None:
        outline_read = read_boundary(outline_path, crs=crs, lang=lang)
        shape = union_all(outline_read.frame.geometry.make_valid().to_numpy())
    else:
        shape = union_all(polygons.geometry.to_numpy())
    points, no_point = _school_points(county)
    outside, elsewhere = _placement(points, shape, polygons)
    outline = gpd.GeoDataFrame({"county_code": [code]}, geometry=[shape], crs=4326)
    simplified = polygons.set_geometry(_simplified(polygons))
    return StagedBoundaries(
        code, str(county["county_name"].iloc[0]),
        simplified[["township", "name_source", "geometry"]].assign(county_code=code),
        outline.set_geometry(_simplified(outline)), outline_path is not None, read, column,
        tuple(candidates), match, repaired, outside, elsewhere, no_point)


def _feature_collection(frame: gpd.GeoDataFrame) -> bytes:
    data = json.loads(frame.to_json(drop_id=True))
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def saved_pairing(geo_root: str | Path, county_code: str) -> dict[str, str]:
    """Return the polygon-name pairing stored with a county's boundaries (empty if none)."""
    path = Path(geo_root) / county_code / META_FILE
    try:
        pairs = files.read_json_bounded(path).get("pairs", {})
    except (files.JsonFileError, OSError, AttributeError):
        return {}
    return {str(k): str(v) for k, v in pairs.items()} if isinstance(pairs, dict) else {}


def write_boundaries(geo_root: str | Path, staged: StagedBoundaries) -> Path:
    """Store ``staged`` under ``geo_root/<county>/`` and return that folder; the previous
    boundaries move to ``geo_root/.trash/<county>@<UTC time>/``.

    The files are written as a set: into a temporary folder beside the county's (a copy of the
    old one, so that any other file of it stays), which then takes its place by renaming.  A
    failure before that (a full disk, a read-only folder) leaves the old boundaries as they
    were and no temporary folder behind (new township outlines never sit beside an old county
    outline)."""
    root = Path(geo_root)
    folder = root / staged.county_code
    root.mkdir(parents=True, exist_ok=True)
    outline = staged.outline.assign(county_name=staged.county_name)
    meta = {
        "county_code": staged.county_code, "source": staged.layer.file,
        "layer": staged.layer.layer, "source_crs": staged.layer.source_crs,
        "name_column": staged.name_column, "pairs": staged.match.pairs,
        "outline_given": staged.outline_given, "repaired": staged.repaired,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    payload = {TOWNSHIPS_FILE: _feature_collection(staged.townships),
               COUNTY_FILE: _feature_collection(outline),
               META_FILE: json.dumps(meta, ensure_ascii=False, indent=1).encode("utf-8")}
    with files.locked(root):  # one writer of boundaries at a time
        new = root / f"{files.TEMP_PREFIX}{staged.county_code}-{os.getpid()}"
        shutil.rmtree(new, ignore_errors=True)
        try:
            if folder.is_dir():
                shutil.copytree(folder, new)
            else:
                new.mkdir()
            for name, data in payload.items():
                files.write_atomic(new / name, data)
        except BaseException:
            shutil.rmtree(new, ignore_errors=True)
            raise
        _swap_in(root, folder, new, staged.county_code)
    return folder


def _swap_in(root: Path, folder: Path, new: Path, county: str) -> None:
    """Move ``folder`` (if it holds anything) to the trash and ``new`` into its place; put the
    old one back if the second rename fails."""
    old: Path | None = None
    try:
        if folder.is_dir() and any(folder.iterdir()):
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
            old = root / TRASH_DIR / f"{county}@{stamp}"
            old.parent.mkdir(parents=True, exist_ok=True)
            folder.rename(old)
        elif folder.is_dir():
            folder.rmdir()
        new.rename(folder)
    except BaseException:
        if old is not None and old.is_dir() and not folder.exists():
            old.rename(folder)
        shutil.rmtree(new, ignore_errors=True)
        raise


def boundary_lines(staged: StagedBoundaries, lang: str) -> list[str]:
    """Return what the staged boundaries hold, one sentence each (page and command line)."""
    m = staged.match
    lines = [t("boundary.preview.source", lang, file=staged.layer.file,
               crs=staged.layer.source_crs, column=staged.name_column),
             t("boundary.preview.townships", lang, count=len(staged.townships),
               paired=len(m.pairs))]
    lines += [t(key, lang, **params) for key, params in staged.layer.notes]
    if staged.repaired:
        lines.append(t("boundary.preview.repaired", lang, count=staged.repaired))
    if m.unmatched_polygons:
        lines.append(t("boundary.preview.unmatched", lang, count=len(m.unmatched_polygons),
                       names="、".join(m.unmatched_polygons)))
    if m.townships_without_polygon:
        lines.append(t("boundary.preview.without", lang, count=len(m.townships_without_polygon),
                       names="、".join(m.townships_without_polygon)))
    if not staged.outline_given:
        lines.append(t("boundary.preview.outline_union", lang))
    for key, frame in (("outside", staged.outside), ("elsewhere", staged.elsewhere)):
        if len(frame):
            lines.append(t(f"boundary.preview.{key}", lang, count=len(frame),
                           names="、".join(frame["school_name"].astype(str))))
    if staged.no_point:
        lines.append(t("boundary.preview.no_point", lang, count=staged.no_point))
    return lines
