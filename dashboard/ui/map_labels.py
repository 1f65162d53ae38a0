"""Township names placed where no school marker hides them.

A township's name sits first at a point inside its outline (geo.townships, shapely's
``representative_point``), which knows nothing of the schools: on the demo county six of twelve
names lay under a marker (the township's central school is often near its middle).  Here each
name that would touch a marker moves to the place inside its outline that keeps the most room
from every marker and from the outline, with the label's box of text in mind: the nearest such
place with a few pixels of room, else the place of most room.  A name already clear stays put,
so names do not move without need.

The drawing's scale is estimated from the map's height (a map drawn with equal axes fits its
larger extent into the plot), so a name's box and a marker's radius are measured in pixels.
No Streamlit.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from dashboard.ui.format import text_ems

__all__ = ["place_labels", "text_px"]

PLOT_PX: Final = 550  # the plot area's height of a 640-px map (title and legend margins off)
FONT_PX: Final = 13  # the township names' font size (maps.township_map)
GRID: Final = 31  # candidates per side of a township's bounding box
BOLD_LATIN_EM: Final = 0.62  # a Latin letter of the bold names, in ems
MARGIN_PX: Final = 3  # room kept between a name's box and a marker
ROOM_PX: Final = 4  # room enough around a moved name (to markers and to the outline)


def text_px(text: str, font_px: float = FONT_PX) -> float:
    """Return the width in pixels of ``text`` in bold type (format.text_ems: a CJK character
    about one em, a Latin letter about 0.62 em).

    >>> text_px("城关街道"), text_px("Tao")
    (52.0, 24.18)
    """
    return round(font_px * text_ems(text, BOLD_LATIN_EM), 2)


def _rings(path: tuple[list, list]) -> list[np.ndarray]:
    """Return the rings of a township's outline (lists of lons/lats separated by None)."""
    rings: list[np.ndarray] = []
    cur: list[tuple[float, float]] = []
    for x, y in zip(*path, strict=True):
        if x is None or y is None:
            if len(cur) >= 3:
                rings.append(np.asarray(cur, dtype=np.float64))
            cur = []
        else:
            cur.append((float(x), float(y)))
    if len(cur) >= 3:
        rings.append(np.asarray(cur, dtype=np.float64))
    return rings


def _clearance(cx: np.ndarray, cy: np.ndarray, hw: float, hh: float, mx: np.ndarray,
               my: np.ndarray, mr: np.ndarray) -> np.ndarray:
    """Return, per candidate centre, the gap (drawn units) between its box (half sizes
    ``hw``×``hh``) and the nearest marker (centres ``mx``/``my``, radii ``mr``); negative
    where they overlap, +inf without markers."""
    if not len(mx):
        return np.full(len(cx), np.inf)
    dx = np.maximum(np.abs(cx[:, None] - mx[None, :]) - hw, 0.0)
    dy = np.maximum(np.abs(cy[:, None] - my[None, :]) - hh, 0.0)
    inside = (dx == 0) & (dy == 0)  # the marker's centre lies in the box
    gap = np.hypot(dx, dy) - mr[None, :]
    return np.where(inside, -mr[None, :], gap).min(axis=1)


def place_labels(labels: pd.DataFrame, paths: dict[str, tuple[list, list]],
                 markers: pd.DataFrame, aspect: float) -> pd.DataFrame:
    """Return ``labels`` (township, lon, lat) with each name that would touch a marker moved
    inside its township's outline to the nearest point with room (else the one of most room) (markers: ``x``, ``y`` drawn
    positions in lon/lat and ``size`` diameters in px; ``aspect``: the map's y:x scale).

    >>> square = ([0, 10, 10, 0, 0], [0, 0, 10, 10, 0])
    >>> labels = pd.DataFrame({"township": ["A"], "lon": [5.0], "lat": [5.0]})
    >>> markers = pd.DataFrame({"x": [5.0], "y": [5.0], "size": [30.0]})
    >>> moved = place_labels(labels, {"A": square}, markers, 1.0).iloc[0]
    >>> (float(moved.lon), float(moved.lat)) != (5.0, 5.0)   # moved off the marker, still inside
    True
    >>> bool(0 < moved.lon < 10 and 0 < moved.lat < 10)
    True
    """
    if labels.empty or not paths:
        return labels
    from shapely import contains_xy, distance, points
    from shapely.geometry import Polygon

    xs = [float(v) for xx, _ in paths.values() for v in xx if v is not None]
    ys = [float(v) * aspect for _, yy in paths.values() for v in yy if v is not None]
    extent = max(max(xs) - min(xs), max(ys) - min(ys)) if xs else 0.0
    if not extent > 0:
        return labels
    unit = extent / PLOT_PX  # drawn units per pixel
    mx = markers["x"].astype(float).to_numpy() if len(markers) else np.zeros(0)
    my = markers["y"].astype(float).to_numpy() * aspect if len(markers) else np.zeros(0)
    mr = (markers["size"].astype(float).to_numpy() / 2 + MARGIN_PX) * unit if len(markers) else np.zeros(0)
    out = labels.copy()
    for k, row in enumerate(labels.itertuples(index=False)):
        rings = _rings(paths.get(str(row.township), ([], [])))
        if not rings:
            continue
        hw, hh = (text_px(str(row.township)) / 2 + 2) * unit, (FONT_PX / 2 + 2) * unit
        x0, y0 = float(row.lon), float(row.lat) * aspect
        here = _clearance(np.array([x0]), np.array([y0]), hw, hh, mx, my, mr)[0]
        if here > 0:
            continue  # clear where it is: keep it there
        shape = max((Polygon(np.c_[r[:, 0], r[:, 1] * aspect]) for r in rings), key=lambda p: p.area)
        if not shape.is_valid or shape.area <= 0:
            continue
        minx, miny, maxx, maxy = shape.bounds
        gx, gy = np.meshgrid(np.linspace(minx, maxx, GRID), np.linspace(miny, maxy, GRID))
        cx, cy = gx.ravel(), gy.ravel()
        keep = contains_xy(shape, cx, cy)
        if not keep.any():
            continue
        cx, cy = cx[keep], cy[keep]
        edge = distance(shape.exterior, points(cx, cy)) - hh  # room to the outline
        room = np.minimum(_clearance(cx, cy, hw, hh, mx, my, mr), edge)
        near = np.hypot(cx - x0, cy - y0)
        ample = room >= ROOM_PX * unit
        # the nearest place with room enough (a name stays near the township's middle), else
        # the place of most room
        best = int(np.argmin(np.where(ample, near, np.inf))) if ample.any() else int(np.argmax(room))
        if room[best] > here:
            out.iloc[k, out.columns.get_loc("lon")] = cx[best]
            out.iloc[k, out.columns.get_loc("lat")] = cy[best] / aspect
    return out
