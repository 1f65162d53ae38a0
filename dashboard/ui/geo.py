"""A county's township geography as the maps use it, with every failure said out loud.

:func:`read_geojson` tells "there is no geography file" (``absent``) from "the file is there but
unusable" (``corrupt``: unreadable, not JSON, not a GeoJSON FeatureCollection);
:func:`townships` turns the features into outlines and label points and counts the features it
could not draw (no geometry, not a (Multi)Polygon, broken coordinates), so the page can say so.
:func:`geo_notice` is the page's message about either.  Nothing here imports streamlit.

>>> geo = parse_geojson({"type": "FeatureCollection", "features": [
...     {"type": "Feature", "properties": {"township": "甲镇"},
...      "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}},
...     {"type": "Feature", "properties": {"township": "乙镇"}, "geometry": None}]}, "t.geojson")
>>> found = townships(geo)
>>> list(found.paths), found.skipped
(['甲镇'], 1)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import pandas as pd

from dashboard.i18n import t
from dashboard.store import files
from dashboard.ui.format import md_text

__all__ = [
    "GeoState",
    "GeoFile",
    "read_geojson",
    "parse_geojson",
    "Townships",
    "townships",
    "GeoNotice",
    "geo_notices",
    "map_aspect",
    "latitudes",
]

GeoState = Literal["ok", "absent", "corrupt"]
# why a present file is unusable (catalogue keys app.geo.problem.<reason>)
GEO_PROBLEMS: Final = ("unreadable", "not_json", "not_feature_collection")
# Read limits, checked before parsing: a county's township outlines are a few MB at most and
# nest 7 levels (collection, features, feature, geometry, polygons, rings, positions).
MAX_GEOJSON_BYTES: Final = 64 * 1024 * 1024
MAX_GEOJSON_DEPTH: Final = 16

Path2D = tuple[list[float | None], list[float | None]]


@dataclass(frozen=True)
class GeoFile:
    """The townships GeoJSON of a county as read: its features, or why there are none.

    ``state`` is 'ok' (``features`` as in the file, possibly none), 'absent' (no file) or
    'corrupt' (``problem`` is one of GEO_PROBLEMS and ``detail`` the technical reason).
    """

    path: str
    state: GeoState
    features: tuple[dict[str, Any], ...] = ()
    problem: str = ""
    detail: str = ""

    @classmethod
    def absent(cls, path: str | Path = "") -> GeoFile:
        """Return the GeoFile of a county without a geography file."""
        return cls(str(path), "absent")


def parse_geojson(data: object, path: str | Path) -> GeoFile:
    """Return the GeoFile of already decoded JSON ``data`` read from ``path``."""
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(
            data.get("features"), list):
        kind = data.get("type") if isinstance(data, dict) else type(data).__name__
        return GeoFile(str(path), "corrupt", problem="not_feature_collection", detail=str(kind))
    return GeoFile(str(path), "ok", tuple(data["features"]))


def read_geojson(path: str | Path) -> GeoFile:
    """Return the GeoJSON FeatureCollection at ``path``: 'absent' when there is no file,
    'corrupt' when it cannot be read or is not a FeatureCollection (never an exception)."""
    p = Path(path)
    files.clean_leftovers(p.parent)  # temporary files of a killed write (files.write_atomic)
    if not p.exists():
        return GeoFile.absent(p)
    try:
        data = files.read_json_bounded(p, max_bytes=MAX_GEOJSON_BYTES,
                                       max_depth=MAX_GEOJSON_DEPTH)
    except files.JsonFileError as exc:
        problem = "unreadable" if exc.reason in ("unreadable", "not_text", "too_large") \
            else "not_json"
        return GeoFile(str(p), "corrupt", problem=problem, detail=exc.detail)
    return parse_geojson(data, p)


@dataclass(frozen=True, eq=False)
class Townships:
    """The drawable townships of a GeoFile.

    ``paths``: township → (lons, lats) outlines, rings separated by None; ``labels``: township,
    lon, lat of a point inside each outline; ``skipped``: features that could not be drawn.
    """

    paths: dict[str, Path2D] = field(default_factory=dict)
    labels: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["township", "lon", "lat"]))
    skipped: int = 0


class _BadGeometry(ValueError):
    """A feature's geometry is missing, of another type, or has broken coordinates."""


def _position(p: object) -> tuple[float, float]:
    if not isinstance(p, (list, tuple)) or len(p) < 2:
        raise _BadGeometry(f"a position must be [lon, lat], got {p!r}")
    lon, lat = p[0], p[1]
    if isinstance(lon, bool) or isinstance(lat, bool) or not isinstance(lon, (int, float)) \
            or not isinstance(lat, (int, float)) or not (math.isfinite(lon) and math.isfinite(lat)):
        raise _BadGeometry(f"a position must hold two finite numbers, got {p!r}")
    return float(lon), float(lat)


def _rings(geometry: object) -> list[list[tuple[float, float]]]:
    """Return the rings of a Polygon or MultiPolygon geometry; raise _BadGeometry otherwise."""
    if not isinstance(geometry, dict):
        raise _BadGeometry("no geometry")
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    if kind not in ("Polygon", "MultiPolygon") or not isinstance(coords, list) or not coords:
        raise _BadGeometry(f"not a Polygon or MultiPolygon with coordinates: {kind!r}")
    polygons = [coords] if kind == "Polygon" else coords
    rings = []
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            raise _BadGeometry("a polygon must be a list of rings")
        for ring in polygon:
            if not isinstance(ring, list) or len(ring) < 4:
                raise _BadGeometry("a ring needs at least 4 positions")
            rings.append([_position(p) for p in ring])
    return rings


def _label_point(geometry: dict[str, Any]) -> tuple[float, float]:
    """Return a point inside the geometry (for the township's name)."""
    from shapely.errors import ShapelyError
    from shapely.geometry import shape

    try:
        point = shape(geometry).representative_point()
    except (ShapelyError, ValueError, TypeError, AttributeError, KeyError) as exc:
        raise _BadGeometry(str(exc)) from exc
    if point.is_empty:
        raise _BadGeometry("empty geometry")
    return float(point.x), float(point.y)


def _name(feature: dict[str, Any]) -> str:
    props = feature.get("properties") or {}
    return str(props.get("township", props.get("name", ""))) if isinstance(props, dict) else ""


def townships(geo: GeoFile | None) -> Townships:
    """Return the outlines and label points of the townships of ``geo``, counting in
    ``skipped`` every feature that cannot be drawn (it is left out, not guessed).

    Polygons and MultiPolygons are read (outer rings; holes are drawn as rings too); features
    of one township name are drawn as one outline.
    """
    if geo is None or geo.state != "ok":
        return Townships()
    paths: dict[str, Path2D] = {}
    labels: list[dict[str, Any]] = []
    skipped = 0
    for feature in geo.features:
        try:
            if not isinstance(feature, dict):
                raise _BadGeometry("a feature must be an object")
            rings = _rings(feature.get("geometry"))
            lon, lat = _label_point(feature["geometry"])
        except _BadGeometry:
            skipped += 1
            continue
        name = _name(feature)
        lons, lats = paths.setdefault(name, ([], []))
        for ring in rings:
            if lons:
                lons.append(None)
                lats.append(None)
            lons.extend(p[0] for p in ring)
            lats.extend(p[1] for p in ring)
        labels.append({"township": name, "lon": lon, "lat": lat})
    return Townships(paths, pd.DataFrame(labels, columns=["township", "lon", "lat"]), skipped)


@dataclass(frozen=True)
class GeoNotice:
    """A message about the geography for the page: ``level`` 'warning', 'error' or 'caption'."""

    level: str
    text: str


def geo_notices(geo: GeoFile, found: Townships, county: str | None, lang: str, *,
                absent_level: str = "warning") -> list[GeoNotice]:
    """Return what the page says about its geography: no file (at ``absent_level``), an
    unusable file (an error naming the file and why), and features that could not be drawn."""
    out = []
    if geo.state == "absent" or (geo.state == "ok" and not geo.features):
        out.append(GeoNotice(absent_level, t("app.map.no_geo", lang, county=md_text(county))))
    elif geo.state == "corrupt":
        reason = t(f"app.geo.problem.{geo.problem}", lang, detail=md_text(geo.detail, 300))
        out.append(GeoNotice("error", t("app.geo.corrupt", lang, county=md_text(county),
                                        path=md_text(geo.path),
                                        reason=reason)))
    if found.skipped:
        out.append(GeoNotice("caption", t("app.geo.skipped", lang, n=found.skipped)))
    return out


def latitudes(*frames: pd.DataFrame) -> list[float]:
    """Return every finite latitude of the frames' ``lat`` columns (for the map's aspect)."""
    out: list[float] = []
    for frame in frames:
        if "lat" in frame.columns:
            out.extend(float(v) for v in frame["lat"].dropna())
    return out


def map_aspect(latitudes: Iterable[float]) -> float:
    """Return the y:x scale ratio that draws lon/lat with true proportions (1 / cos latitude).

    >>> round(map_aspect([60.0]), 3)
    2.0
    """
    lat = [x for x in latitudes if x is not None and math.isfinite(x)]
    if not lat:
        return 1.0
    return 1.0 / max(math.cos(math.radians(sum(lat) / len(lat))), 0.1)
