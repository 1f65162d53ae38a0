"""Offline maps: township polygons and school points drawn as plain ``go.Scatter`` traces in
longitude/latitude, on equal-proportion axes.

No tile server, no CDN: plotly's geo and mapbox traces fetch outlines, fonts or tiles from the
internet even with a local GeoJSON, so they are never used here (tests check the trace types).
Builders take prepared tables (dashboard.ui.geo and dashboard.ui.mapview) and return figures; no Streamlit.

>>> fig = school_locator({}, 113.4, 28.3, "城南小学", "zh")
>>> [trace.type for trace in fig.data]
['scatter']
"""

from __future__ import annotations

import math
from typing import Any, Final

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.i18n import t
from dashboard.ui.figures import FONT_FAMILY, STATUS_COLORS, figure, layout
from dashboard.ui.format import html_text, html_texts
from dashboard.ui.map_labels import place_labels

__all__ = ["township_map", "school_locator", "flow_map", "township_outlines", "map_layout",
           "deviation_bound", "spread_points", "SCHOOL_TRACE",
           "SCHOOL_GROUP_COLORS"]

SCHOOL_TRACE: Final = "school"  # customdata[0] of school points (the selection handler reads it)
OUTLINE: Final = "rgba(255,255,255,0.9)"
# School dots never share the townships' palettes (YlGnBu means, RdBu gaps): a purple–orange
# diverging scale for deviations, purple/orange/magenta for 城区/镇区/乡村, each with a dark
# outline, so a dot stands out on any fill.
SCHOOL_DEVIATION_SCALE: Final = "PuOr_r"
SCHOOL_GROUP_COLORS: Final = {"urban": "#6a3d9a", "town": "#ff7f00", "rural": "#e7298a"}
SCHOOL_OUTLINE: Final = {"width": 1.2, "color": "#263238"}
LEADER_COLOR: Final = "#263238"
STAGE_COLORS: Final = {"primary": "#1f5fa8", "junior": "#e08a1e"}  # teacher transfers
PUPIL_COLOR: Final = "#3b9a4b"  # pupil moves


DEVIATION_QUANTILE: Final = 0.95  # the school colour bar spans this quantile of |deviation|
DEVIATION_CAP: Final = 1.0  # ... but never beyond ±100 %
DEVIATION_FLOOR: Final = 0.05  # ... nor below ±5 % (a county of near-equal schools)
SPREAD: Final = 0.065  # schools closer than this share of the map's extent (the biggest dot, 30 px of ~560) are spread


def deviation_bound(deviation: pd.Series) -> float:
    """Return the symmetric bound of the school colour bar: the 95th percentile of |deviation|,
    between ±5 % and ±100 %.  A few extreme schools (−200 %) would otherwise wash out every
    other school into the scale's middle; beyond the bound a school takes the end colour, and
    its hover still gives its own deviation.

    >>> round(deviation_bound(pd.Series([0.1] * 99 + [-3.0])), 6)
    0.1
    """
    values = deviation.abs().dropna()
    if values.empty:
        return DEVIATION_CAP
    return float(min(max(values.quantile(DEVIATION_QUANTILE), DEVIATION_FLOOR), DEVIATION_CAP))


def spread_points(lon: np.ndarray, lat: np.ndarray, extent: float) -> tuple[np.ndarray, np.ndarray]:
    """Return drawing positions for points that would overlap (the county town's schools):
    every cluster of points closer than ``SPREAD × extent`` to one another is laid out evenly on a
    small circle around its centre, in the order of the points' own bearings from it; lone
    points stay where they are.  The map draws a leader line from each moved school's
    true place to its marker, so every school stays legible and clickable on one map, without
    a separate inset to read against the county.

    >>> x, y = spread_points(np.array([0.0, 0.001, 5.0]), np.array([0.0, 0.0, 5.0]), 10.0)
    >>> bool(np.hypot(x[0] - x[1], y[0] - y[1]) >= 0.65 - 1e-9), (float(x[2]), float(y[2]))
    (True, (5.0, 5.0))
    """
    n = len(lon)
    x, y = np.asarray(lon, dtype=float).copy(), np.asarray(lat, dtype=float).copy()
    gap = SPREAD * extent
    if n < 2 or not extent > 0:
        return x, y
    parent = list(range(n))

    def root(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    close = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :]) < gap
    for a, b in zip(*np.nonzero(np.triu(close, 1)), strict=True):
        parent[root(int(a))] = root(int(b))
    clusters: dict[int, list[int]] = {}
    for k in range(n):
        clusters.setdefault(root(k), []).append(k)
    for members in clusters.values():
        if len(members) < 2:
            continue
        idx = np.array(members)
        cx, cy = x[idx].mean(), y[idx].mean()
        bearings = np.arctan2(y[idx] - cy, x[idx] - cx)
        order = idx[np.argsort(bearings, kind="stable")]
        radius = gap / (2 * np.sin(np.pi / len(order)))
        steps = 2 * np.pi * np.arange(len(order)) / len(order)
        # the ring turned to the points' own bearings, so leader lines are short and never cross
        turn = np.angle(np.exp(1j * (np.sort(bearings) - steps)).sum())
        angles = turn + steps
        x[order] = cx + radius * np.cos(angles)
        y[order] = cy + radius * np.sin(angles)
    return x, y


def township_outlines(paths: dict[str, tuple[list, list]], townships: pd.DataFrame | None) -> list[dict]:
    """Return one filled line trace per township polygon (fill colour and hover from
    ``townships`` when given, else grey outlines)."""
    colors = dict(zip(townships["township"], townships["color"], strict=True)) if townships is not None else {}
    hovers = dict(zip(townships["township"], townships["hover"], strict=True)) if townships is not None else {}
    line = {"color": OUTLINE if townships is not None else "#90a4ae", "width": 1.2}
    # coordinates stay JSON lists: rounded to 6 decimals they are no longer than Plotly's base64
    # float64 arrays (measured: the map's messages 45.8 KB as lists, 46.7 KB as arrays)
    return [{"type": "scatter", "x": lons, "y": lats, "mode": "lines", "fill": "toself",
             "fillcolor": colors.get(name, "#eceff1"), "line": line, "hoveron": "fills",
             "hoverinfo": "text", "text": hovers.get(name, html_text(name)), "name": html_text(name),
             "showlegend": False}
            # no customdata: a click on an outline selects nothing (mapview.selected_school reads
            # school points only), and one [township, name] per vertex was most of the map's bytes
            for name, (lons, lats) in paths.items()]


def _colorbar_trace(townships: pd.DataFrame, title: str, percent: bool) -> dict:
    """An invisible marker trace that only draws the townships' colour bar (fills have none)."""
    attrs = townships.attrs
    return {"type": "scatter", "x": [None], "y": [None], "mode": "markers", "showlegend": False,
            "hoverinfo": "skip",
            "marker": {"colorscale": attrs["scale"], "cmin": attrs["cmin"], "cmax": attrs["cmax"],
                       "color": [attrs["cmin"]], "showscale": True,
                       "colorbar": {"title": {"text": title, "side": "right"}, "x": 1.0,
                                    "xanchor": "left", "len": 0.8, "thickness": 14,
                                    "tickformat": "+.0%" if percent else ",.2~f"}}}


def _school_points(part: pd.DataFrame, name: str, marker: dict, **extra: Any) -> dict:
    """Return a marker trace of schools whose customdata is ``[SCHOOL_TRACE, school_id]``, drawn
    at ``x``/``y`` (spread, see :func:`spread_points`) when present, else at lon/lat."""
    x, y = (part["x"], part["y"]) if "x" in part.columns else (part["lon"], part["lat"])
    return {"type": "scatter", "x": x, "y": y, "mode": "markers",
            "name": name, "marker": marker, "hovertext": part["hover"], "hoverinfo": "text",
            "customdata": [[SCHOOL_TRACE, s] for s in part["school_id"]], **extra}


def map_layout(title: str, height: int, aspect: float, **extra: Any) -> dict:
    """Return the layout of a map: hidden axes with equal proportions (``aspect``: y/x)."""
    return layout(
        title, height=height,
        xaxis={"visible": False, "showgrid": False, "constrain": "domain"},
        yaxis={"visible": False, "showgrid": False, "scaleanchor": "x", "scaleratio": aspect,
               "constrain": "domain"}, **extra)


def township_map(paths: dict[str, tuple[list, list]], townships: pd.DataFrame | None,
                 labels: pd.DataFrame, schools: pd.DataFrame, *, lang: str, title: str,
                 township_title: str, township_percent: bool, color_by: str,
                 deviation_title: str, aspect: float,
                 deviation_limit: float | None = None) -> go.Figure:
    """Return the county map: township polygons (filled by ``townships.color``, colour bar
    titled ``township_title`` with its unit) and school points sized by enrolment, coloured by
    城区/镇区/乡村 (``color_by`` 'urban_rural', one legend entry each) or by ``deviation``
    (diverging colour bar titled ``deviation_title``, clamped to ±``deviation_limit``, by
    default :func:`deviation_bound`; the title should say so).  Failing schools have a red
    outline.  Schools that would overlap are spread apart with leader lines to their true places.

    ``paths``/``labels``: geo.townships(...).paths/.labels; ``townships``:
    mapview.township_frame (None: no fill); ``schools``: mapview.map_schools.  School points carry
    ``customdata = [SCHOOL_TRACE, school_id]``.
    """
    data = township_outlines(paths, townships)
    if townships is not None and paths:
        data.append(_colorbar_trace(townships, township_title, township_percent))
    schools = _spread(schools, paths, aspect)
    data.extend(_leaders(schools, lang))
    if color_by == "urban_rural":
        for group, part in schools.groupby("group", sort=False):
            data.append(_school_points(
                part, str(part["group_label"].iloc[0]),
                {"size": part["size"], "color": SCHOOL_GROUP_COLORS.get(str(group), "#555"),
                 "opacity": 0.95, "line": SCHOOL_OUTLINE}))
    else:
        bound = deviation_bound(schools["deviation"]) if deviation_limit is None else deviation_limit
        data.append(_school_points(
            schools, deviation_title,
            {"size": schools["size"], "color": schools["deviation"].clip(-bound, bound),
             "colorscale": SCHOOL_DEVIATION_SCALE, "cmin": -bound, "cmax": bound, "opacity": 0.95,
             "line": SCHOOL_OUTLINE, "showscale": True,
             "colorbar": {"title": {"text": deviation_title, "side": "right"},
                          "tickformat": "+.0%", "x": 1.0 if not paths or townships is None else 1.16,
                          "xanchor": "left", "len": 0.8, "thickness": 14}},
            showlegend=False))
    failing = schools[~schools["school_pass"].astype(bool)]
    if len(failing):  # a red ring around each failing school, one legend entry
        data.append(_school_points(
            failing, t("app.map.failing_ring", lang),
            {"size": failing["size"] + 6, "color": "rgba(0,0,0,0)",
             "line": {"width": 2.5, "color": STATUS_COLORS["fail"]}}))
    if len(labels):  # last, so the names stay readable above fills and points
        markers = schools[["x", "y", "size"]]
        if len(failing):  # a red ring and its line are wider than the marker
            markers = pd.concat([markers, failing[["x", "y"]].assign(size=failing["size"] + 9)])
        labels = place_labels(labels, paths, markers, aspect)
        data.append({
            "type": "scatter", "x": labels["lon"], "y": labels["lat"], "mode": "text",
            "text": html_texts(labels["township"]),
            "textfont": {"family": FONT_FAMILY, "size": 13, "color": "#102027", "weight": "bold",
                         "shadow": "0px 0px 3px white"},
            "hoverinfo": "skip", "showlegend": False, "name": t("app.map.township_names", lang)})
    return figure(data, map_layout(
        title, 640, aspect,
        legend={"title": {"text": t("app.map.legend_schools", lang)}, "orientation": "h",
                "y": -0.01, "yanchor": "top", "x": 0, "xanchor": "left"},
        dragmode="pan", clickmode="event+select", hovermode="closest",
        margin={"l": 10, "r": 10, "t": 50, "b": 40}))


def _spread(schools: pd.DataFrame, paths: dict[str, tuple[list, list]], aspect: float) -> pd.DataFrame:
    """Return ``schools`` with drawing positions ``x``/``y`` (:func:`spread_points` on the drawn
    proportions: latitude × ``aspect``, extent of the townships or else of the schools)."""
    out = schools.copy()
    lon = out["lon"].astype(float).to_numpy()
    lat = out["lat"].astype(float).to_numpy() * aspect
    xs = [float(v) for xx, _ in paths.values() for v in xx if v is not None] or list(lon)
    ys = [float(v) * aspect for _, yy in paths.values() for v in yy if v is not None] or list(lat)
    extent = max(max(xs) - min(xs), max(ys) - min(ys)) if xs and ys else 0.0
    x, y = spread_points(lon, lat, extent)
    out["x"], out["y"] = x, y / aspect if aspect else y
    return out


def _leaders(schools: pd.DataFrame, lang: str) -> list[dict]:
    """Return the leader lines from each spread school's true place (a small dot) to its marker."""
    moved = schools[(schools["x"] != schools["lon"]) | (schools["y"] != schools["lat"])]
    if moved.empty:
        return []
    xs: list[float | None] = []
    ys: list[float | None] = []
    for r in moved.itertuples(index=False):
        xs += [r.lon, r.x, None]
        ys += [r.lat, r.y, None]
    name = t("layout.map.true_place", lang)
    return [{"type": "scatter", "x": xs, "y": ys, "mode": "lines", "hoverinfo": "skip",
             "line": {"color": LEADER_COLOR, "width": 1}, "showlegend": False, "name": name},
            {"type": "scatter", "x": moved["lon"], "y": moved["lat"], "mode": "markers",
             "marker": {"size": 4, "color": LEADER_COLOR}, "hoverinfo": "skip",
             "showlegend": False, "name": name}]


def school_locator(paths: dict[str, Any], lon: float, lat: float, name: str, lang: str,
                   aspect: float = 1.0) -> go.Figure:
    """Return a small map: grey township outlines and one school as a star."""
    data = township_outlines(paths, None)
    name = html_text(name)
    data.append({
        "type": "scatter", "x": [lon], "y": [lat], "mode": "markers+text", "text": [name],
        "textposition": "top center", "textfont": {"family": FONT_FAMILY, "size": 13},
        "name": name, "marker": {"symbol": "star", "size": 20, "color": STATUS_COLORS["fail"],
                                 "line": {"color": "white", "width": 1}},
        "hovertemplate": name + "<extra></extra>", "showlegend": False})
    return figure(data, map_layout(t("app.school.map_title", lang), 360, aspect))


def _arrow_head(lon0: float, lat0: float, lon1: float, lat1: float, color: str) -> dict:
    """Return an annotation drawing the head of a move's arrow at its destination: a short
    arrow over the last fifth of the line (an annotation's arrow is drawn in screen space, so
    the head keeps its size at any zoom; a scatter marker's 'arrow' symbol drew no head)."""
    return {"x": lon1, "y": lat1, "ax": lon0 + 0.8 * (lon1 - lon0), "ay": lat0 + 0.8 * (lat1 - lat0),
            "xref": "x", "yref": "y", "axref": "x", "ayref": "y", "text": "", "showarrow": True,
            "arrowhead": 2, "arrowsize": 1.4, "arrowwidth": 2.5, "arrowcolor": color, "standoff": 3}


def flow_map(paths: dict[str, tuple[list, list]], labels: pd.DataFrame, lines: pd.DataFrame,
             schools: pd.DataFrame, lang: str, aspect: float) -> go.Figure:
    """Return the moves as arrows from school to school over grey township polygons
    (``paths``/``labels``: geo.townships(...).paths/.labels, names in grey): teacher
    transfers coloured by stage, pupil moves dashed, width by head count; every located school
    a small dot, the schools involved named.  Only scatter traces (offline)."""
    data = township_outlines(paths, None)
    for trace in data:
        trace["hoverinfo"] = "skip"
    if len(labels):
        data.append({
            "type": "scatter", "x": labels["lon"], "y": labels["lat"], "mode": "text",
            "text": html_texts(labels["township"]),
            "textfont": {"family": FONT_FAMILY, "size": 12, "color": "#78909c"},
            "hoverinfo": "skip", "showlegend": False, "name": t("scenario.map.townships", lang)})
    located = schools.dropna(subset=["longitude", "latitude"])
    data.append({
        "type": "scatter", "x": located["longitude"], "y": located["latitude"], "mode": "markers",
        "marker": {"size": 6, "color": "#78909c"}, "hovertext": html_texts(located["school_name"]),
        "hoverinfo": "text", "showlegend": False, "name": t("scenario.map.schools", lang)})
    biggest = float(lines["count"].max()) if len(lines) else 1.0
    shown: set[tuple[str, str]] = set()
    heads: list[dict] = []
    for r in lines.itertuples(index=False):
        group = (r.kind, r.stage)
        color = PUPIL_COLOR if r.kind == "move_pupils" else STAGE_COLORS.get(r.stage, "#555")
        data.append({
            "type": "scatter", "x": [r.lon0, r.lon1], "y": [r.lat0, r.lat1],
            "mode": "lines+markers",
            "line": {"color": color, "width": 2 + 5 * math.sqrt(r.count / biggest),
                     "dash": "dash" if r.kind == "move_pupils" else "solid"},
            "marker": {"symbol": ["circle", "arrow"], "size": [7, 16], "angleref": "previous",
                       "color": color},
            "name": t(f"scenario.map.legend.{r.kind}", lang, stage=t(f"stage.{r.stage}", lang)),
            "legendgroup": f"{r.kind}-{r.stage}", "showlegend": group not in shown,
            "hovertext": [r.hover, r.hover], "hoverinfo": "text"})
        shown.add(group)
        heads.append(_arrow_head(r.lon0, r.lat0, r.lon1, r.lat1, color))
    if len(lines):
        ends = pd.concat([
            lines[["from_name", "lon0", "lat0"]].set_axis(["name", "lon", "lat"], axis=1),
            lines[["to_name", "lon1", "lat1"]].set_axis(["name", "lon", "lat"], axis=1)],
            ignore_index=True).drop_duplicates("name")
        data.append({
            "type": "scatter", "x": ends["lon"], "y": ends["lat"], "mode": "text",
            "text": html_texts(ends["name"]), "textposition": "top center", "hoverinfo": "skip",
            "showlegend": False, "name": t("scenario.map.names", lang),
            "textfont": {"family": FONT_FAMILY, "size": 12, "color": "#102027",
                         "shadow": "0px 0px 3px white"}})
    return figure(data, map_layout(
        t("scenario.map.title", lang), 560, aspect, annotations=heads,
        legend={"orientation": "h", "y": -0.01, "yanchor": "top", "x": 0, "xanchor": "left"},
        dragmode="pan", hovermode="closest", margin={"l": 10, "r": 10, "t": 50, "b": 40}))
