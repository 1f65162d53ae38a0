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

import pandas as pd
import plotly.graph_objects as go

from dashboard.i18n import t
from dashboard.ui.figures import FONT_FAMILY, GROUP_COLORS, STATUS_COLORS, figure, layout

__all__ = ["township_map", "school_locator", "flow_map", "township_outlines", "map_layout",
           "SCHOOL_TRACE", "TOWNSHIP_TRACE"]

SCHOOL_TRACE: Final = "school"  # customdata[0] of school points (the selection handler reads it)
TOWNSHIP_TRACE: Final = "township"
OUTLINE: Final = "rgba(255,255,255,0.9)"
SCHOOL_DEVIATION_SCALE: Final = "RdBu"
STAGE_COLORS: Final = {"primary": "#1f5fa8", "junior": "#e08a1e"}  # teacher transfers
PUPIL_COLOR: Final = "#3b9a4b"  # pupil moves


def township_outlines(paths: dict[str, tuple[list, list]], townships: pd.DataFrame | None) -> list[dict]:
    """Return one filled line trace per township polygon (fill colour and hover from
    ``townships`` when given, else grey outlines)."""
    colors = dict(zip(townships["township"], townships["color"], strict=True)) if townships is not None else {}
    hovers = dict(zip(townships["township"], townships["hover"], strict=True)) if townships is not None else {}
    line = {"color": OUTLINE if townships is not None else "#90a4ae", "width": 1.2}
    return [{"type": "scatter", "x": lons, "y": lats, "mode": "lines", "fill": "toself",
             "fillcolor": colors.get(name, "#eceff1"), "line": line, "hoveron": "fills",
             "hoverinfo": "text", "text": hovers.get(name, name), "name": name,
             "showlegend": False, "customdata": [[TOWNSHIP_TRACE, name]] * len(lons)}
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
    """Return a marker trace of schools whose customdata is ``[SCHOOL_TRACE, school_id]``."""
    return {"type": "scatter", "x": part["lon"], "y": part["lat"], "mode": "markers",
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
                 deviation_title: str, aspect: float) -> go.Figure:
    """Return the county map: township polygons (filled by ``townships.color``, colour bar
    titled ``township_title`` with its unit) and school points sized by enrolment, coloured by
    城区/镇区/乡村 (``color_by`` 'urban_rural', one legend entry each) or by ``deviation``
    (diverging colour bar titled ``deviation_title``).  Failing schools have a red outline.

    ``paths``/``labels``: geo.townships(...).paths/.labels; ``townships``:
    mapview.township_frame (None: no fill); ``schools``: mapview.map_schools.  School points carry
    ``customdata = [SCHOOL_TRACE, school_id]``.
    """
    data = township_outlines(paths, townships)
    if townships is not None and paths:
        data.append(_colorbar_trace(townships, township_title, township_percent))
    if color_by == "urban_rural":
        for group, part in schools.groupby("group", sort=False):
            data.append(_school_points(
                part, str(part["group_label"].iloc[0]),
                {"size": part["size"], "color": GROUP_COLORS.get(str(group), "#555"),
                 "opacity": 0.9, "line": {"width": 0.8, "color": "white"}}))
    else:
        data.append(_school_points(
            schools, deviation_title,
            {"size": schools["size"], "color": schools["deviation"],
             "colorscale": SCHOOL_DEVIATION_SCALE, "cmid": 0, "opacity": 0.95,
             "line": {"width": 0.8, "color": "#455a64"}, "showscale": True,
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
        data.append({
            "type": "scatter", "x": labels["lon"], "y": labels["lat"], "mode": "text",
            "text": labels["township"],
            "textfont": {"family": FONT_FAMILY, "size": 13, "color": "#102027", "weight": "bold",
                         "shadow": "0px 0px 3px white"},
            "hoverinfo": "skip", "showlegend": False, "name": t("app.map.township_names", lang)})
    return figure(data, map_layout(
        title, 640, aspect,
        legend={"title": {"text": t("app.map.legend_schools", lang)}, "orientation": "h",
                "y": -0.01, "yanchor": "top", "x": 0, "xanchor": "left"},
        dragmode="pan", clickmode="event+select", hovermode="closest",
        margin={"l": 10, "r": 10, "t": 50, "b": 40}))


def school_locator(paths: dict[str, Any], lon: float, lat: float, name: str, lang: str,
                   aspect: float = 1.0) -> go.Figure:
    """Return a small map: grey township outlines and one school as a star."""
    data = township_outlines(paths, None)
    data.append({
        "type": "scatter", "x": [lon], "y": [lat], "mode": "markers+text", "text": [name],
        "textposition": "top center", "textfont": {"family": FONT_FAMILY, "size": 13},
        "name": name, "marker": {"symbol": "star", "size": 20, "color": STATUS_COLORS["fail"],
                                 "line": {"color": "white", "width": 1}},
        "hovertemplate": name + "<extra></extra>", "showlegend": False})
    return figure(data, map_layout(t("app.school.map_title", lang), 360, aspect))


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
            "text": labels["township"],
            "textfont": {"family": FONT_FAMILY, "size": 12, "color": "#78909c"},
            "hoverinfo": "skip", "showlegend": False, "name": t("scenario.map.townships", lang)})
    located = schools.dropna(subset=["longitude", "latitude"])
    data.append({
        "type": "scatter", "x": located["longitude"], "y": located["latitude"], "mode": "markers",
        "marker": {"size": 6, "color": "#78909c"}, "hovertext": located["school_name"],
        "hoverinfo": "text", "showlegend": False, "name": t("scenario.map.schools", lang)})
    biggest = float(lines["count"].max()) if len(lines) else 1.0
    shown: set[tuple[str, str]] = set()
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
    if len(lines):
        ends = pd.concat([
            lines[["from_name", "lon0", "lat0"]].set_axis(["name", "lon", "lat"], axis=1),
            lines[["to_name", "lon1", "lat1"]].set_axis(["name", "lon", "lat"], axis=1)],
            ignore_index=True).drop_duplicates("name")
        data.append({
            "type": "scatter", "x": ends["lon"], "y": ends["lat"], "mode": "text",
            "text": ends["name"], "textposition": "top center", "hoverinfo": "skip",
            "showlegend": False, "name": t("scenario.map.names", lang),
            "textfont": {"family": FONT_FAMILY, "size": 12, "color": "#102027",
                         "shadow": "0px 0px 3px white"}})
    return figure(data, map_layout(
        t("scenario.map.title", lang), 560, aspect,
        legend={"orientation": "h", "y": -0.01, "yanchor": "top", "x": 0, "xanchor": "left"},
        dragmode="pan", hovermode="closest", margin={"l": 10, "r": 10, "t": 50, "b": 40}))
