"""The demo county's geography: its outline, the township polygons and where each school lies.

The outline and the polygons do not depend on the seed (so ``geo/990101/`` stays valid for every
seed); only the school locations are drawn.  Coordinates are WGS 84, rounded to 6 decimals.
"""

from __future__ import annotations

import json
import math
from typing import Any, Final

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPoint, Point, Polygon, mapping
from shapely.ops import voronoi_diagram

from dashboard.store.demo.facts import (
    DEMO_CITY_NAME,
    DEMO_COUNTY_CODE,
    DEMO_COUNTY_NAME,
    DEMO_COUNTY_NAME_EN,
)

__all__ = ["geography", "county_geojson", "townships_geojson", "place_schools"]

# County outline: an ellipse around (_CENTER) with radii _RADII (degrees), made irregular by a
# few fixed harmonics (k, amplitude, phase). The seats in demo_townships.csv lie within 0.73 of
# the radii; the outline never comes closer than 0.85, so every seat is well inside.
_CENTER: Final = (113.40, 28.30)
_RADII: Final = (0.40, 0.30)
_HARMONICS: Final = ((2, 0.06, 0.6), (3, 0.04, 2.1), (5, 0.03, 0.3), (7, 0.015, 4.0))
_OUTLINE_VERTICES: Final = 144
_DECIMALS: Final = 6
_PLACEMENT_TRIES: Final = 100  # batches of 32 candidate points per school


def _round_geometry(geom: Any) -> Any:
    return shapely.transform(geom, lambda xy: np.round(xy, _DECIMALS))


def geography(townships: pd.DataFrame) -> tuple[Polygon, dict[str, Any]]:
    """The county outline and the township polygons (Voronoi cells of the seats, clipped)."""
    theta = np.linspace(0.0, 2.0 * math.pi, _OUTLINE_VERTICES, endpoint=False)
    radius = np.ones_like(theta)
    for k, amplitude, phase in _HARMONICS:
        radius += amplitude * np.cos(k * theta + phase)
    lon = _CENTER[0] + _RADII[0] * radius * np.cos(theta)
    lat = _CENTER[1] + _RADII[1] * radius * np.sin(theta)
    outline = _round_geometry(shapely.orient_polygons(Polygon(np.column_stack([lon, lat]))))

    seats = [Point(x, y) for x, y in zip(townships["longitude"], townships["latitude"], strict=True)]
    cells = voronoi_diagram(MultiPoint(seats), envelope=outline.buffer(1.0))
    polygons: dict[str, Any] = {}
    for name, seat in zip(townships["township"], seats, strict=True):
        cell = next(c for c in cells.geoms if c.contains(seat))
        piece = cell.intersection(outline)
        polygons[name] = _round_geometry(shapely.orient_polygons(piece))
    return outline, polygons


def _coordinates(geom: Any) -> Any:
    """GeoJSON geometry with plain lists (so a dict equals its JSON round trip)."""
    return json.loads(json.dumps(mapping(geom)))


def county_geojson(outline: Polygon) -> dict[str, Any]:
    """The county outline as a FeatureCollection of one feature."""
    feature = {
        "type": "Feature",
        "properties": {
            "county_code": DEMO_COUNTY_CODE,
            "county_name": DEMO_COUNTY_NAME,
            "name_en": DEMO_COUNTY_NAME_EN,
            "city_name": DEMO_CITY_NAME,
            "fictional": True,
        },
        "geometry": _coordinates(outline),
    }
    return {"type": "FeatureCollection", "features": [feature]}


def townships_geojson(townships: pd.DataFrame, polygons: dict[str, Any]) -> dict[str, Any]:
    """The township polygons as a FeatureCollection, one feature per township."""
    features = [
        {
            "type": "Feature",
            "properties": {
                "township": row.township,
                "township_code": row.township_code,
                "name_en": row.name_en,
                "kind": row.kind,
                "county_code": DEMO_COUNTY_CODE,
            },
            "geometry": _coordinates(polygons[str(row.township)]),
        }
        for row in townships.itertuples(index=False)
    ]
    return {"type": "FeatureCollection", "features": features}


def place_schools(
    rng: np.random.Generator,
    base: pd.DataFrame,
    townships: pd.DataFrame,
    polygons: dict[str, Any],
) -> tuple[list[float], list[float]]:
    """A point inside its township polygon for every school, rounded to 6 decimals.

    Schools of the county town, the 镇 centres and the 乡 centres cluster around their seat;
    village schools and teaching points are spread over the township.
    """
    seats = townships.set_index("township")[["longitude", "latitude"]]
    inner = {name: poly.buffer(-0.004) for name, poly in polygons.items()}
    lons: list[float] = []
    lats: list[float] = []
    for row in base.itertuples(index=False):
        township = str(row.township)
        x, y = _place_one(rng, row, inner[township], seats.loc[township].to_numpy(dtype=float))
        lons.append(x)
        lats.append(y)
    return lons, lats


def _place_one(rng: np.random.Generator, row: Any, area: Any, seat: np.ndarray
               ) -> tuple[float, float]:
    """A point for one school in ``area``: near the seat for central schools, else spread out."""
    code = row.urban_rural_code
    near_seat = row.school_type != "teaching_point" and (
        code in (111, 112, 121, 122, 123) or (row.township_kind == "乡" and code == 210)
    )
    spread = 0.012 if code in (111, 112) else 0.02 if code == 123 else 0.005
    xmin, ymin, xmax, ymax = area.bounds
    for _ in range(_PLACEMENT_TRIES):
        if near_seat:
            xy = seat + rng.normal(0.0, spread, size=(32, 2))
        else:
            xy = rng.uniform((xmin, ymin), (xmax, ymax), size=(32, 2))
        xy = np.round(xy, _DECIMALS)
        ok = shapely.contains_xy(area, xy[:, 0], xy[:, 1])
        if not near_seat:
            ok &= np.hypot(*(xy - seat).T) > 0.03
        if ok.any():
            x, y = xy[int(np.argmax(ok))]
            return float(x), float(y)
    raise RuntimeError(f"no place found for {row.school_name} in {row.township}")
