"""Offline maps: township polygons and school points drawn as plain ``go.Scatter`` traces in
longitude/latitude, on equal-proportion axes.

No tile server, no CDN: plotly's geo and mapbox traces fetch outlines, fonts or tiles from the
internet even with a local GeoJSON, so they are never used here (tests check the trace types).
Builders take prepared tables (dashboard.views) and return figures; no Streamlit.

>>> fig = school_locator({}, 113.4, 28.3, "城南小学", "zh")
>>> [trace.type for trace in fig.data]
['scatter']
"""

from __future__ import annotations

from typing import Any, Final

import pandas as pd
import plotly.graph_objects as go

from .figures import FONT_FAMILY, GROUP_COLORS, STATUS_COLORS, base_layout
from .i18n import t

__all__ = ["township_map", "school_locator", "SCHOOL_TRACE", "TOWNSHIP_TRACE"]

SCHOOL_TRACE: Final = "school"  # customdata[0] of school points (the selection handler reads it)
TOWNSHIP_TRACE: Final = "township"
OUTLINE: Final = "rgba(255,255,255,0.9)"
SCHOOL_DEVIATION_SCALE: Final = "RdBu"


def _polygons(fig: go.Figure, paths: dict[str, tuple[list, list]],
              townships: pd.DataFrame | None) -> None:
    colors = dict(zip(townships["township"], townships["color"], strict=True)) if townships is not None else {}
    hovers = dict(zip(townships["township"], townships["hover"], strict=True)) if townships is not None else {}
    for name, (lons, lats) in paths.items():
        fig.add_trace(go.Scatter(
            x=lons, y=lats, mode="lines", fill="toself", fillcolor=colors.get(name, "#eceff1"),
            line={"color": OUTLINE if townships is not None else "#90a4ae", "width": 1.2},
            hoveron="fills", hoverinfo="text", text=hovers.get(name, name), name=name,
            showlegend=False, customdata=[[TOWNSHIP_TRACE, name]] * len(lons)))


def _colorbar_trace(townships: pd.DataFrame, title: str, percent: bool) -> go.Scatter:
    """An invisible marker trace that only draws the townships' colour bar (fills have none)."""
    attrs = townships.attrs
    return go.Scatter(
        x=[None], y=[None], mode="markers", showlegend=False, hoverinfo="skip",
        marker={"colorscale": attrs["scale"], "cmin": attrs["cmin"], "cmax": attrs["cmax"],
                "color": [attrs["cmin"]], "showscale": True,
                "colorbar": {"title": {"text": title, "side": "right"}, "x": 1.0, "xanchor": "left",
                             "len": 0.8, "thickness": 14,
                             "tickformat": "+.0%" if percent else ",.2~f"}})


def township_map(paths: dict[str, tuple[list, list]], townships: pd.DataFrame | None,
                 labels: pd.DataFrame, schools: pd.DataFrame, *, lang: str, title: str,
                 township_title: str, township_percent: bool, color_by: str,
                 deviation_title: str, aspect: float) -> go.Figure:
    """Return the county map: township polygons (filled by ``townships.color``, colour bar
    titled ``township_title`` with its unit) and school points sized by enrolment, coloured by
    城区/镇区/乡村 (``color_by`` 'urban_rural', one legend entry each) or by ``deviation``
    (diverging colour bar titled ``deviation_title``).  Failing schools have a red outline.

    ``paths``: views.polygon_paths; ``townships``: views.township_frame (None: no fill);
    ``labels``: views.township_labels; ``schools``: views.map_schools.  School points carry
    ``customdata = [SCHOOL_TRACE, school_id]``.
    """
    fig = go.Figure()
    _polygons(fig, paths, townships)
    if townships is not None and paths:
        fig.add_trace(_colorbar_trace(townships, township_title, township_percent))
    if color_by == "urban_rural":
        for group, part in schools.groupby("group", sort=False):
            fig.add_trace(go.Scatter(
                x=part["lon"], y=part["lat"], mode="markers", name=str(part["group_label"].iloc[0]),
                marker={"size": part["size"], "color": GROUP_COLORS.get(str(group), "#555"),
                        "opacity": 0.9, "line": {"width": 0.8, "color": "white"}},
                hovertext=part["hover"], hoverinfo="text",
                customdata=[[SCHOOL_TRACE, s] for s in part["school_id"]]))
    else:
        fig.add_trace(go.Scatter(
            x=schools["lon"], y=schools["lat"], mode="markers", name=deviation_title,
            marker={"size": schools["size"], "color": schools["deviation"],
                    "colorscale": SCHOOL_DEVIATION_SCALE, "cmid": 0, "opacity": 0.95,
                    "line": {"width": 0.8, "color": "#455a64"}, "showscale": True,
                    "colorbar": {"title": {"text": deviation_title, "side": "right"},
                                 "tickformat": "+.0%", "x": 1.0 if not paths or townships is None else 1.16,
                                 "xanchor": "left", "len": 0.8, "thickness": 14}},
            hovertext=schools["hover"], hoverinfo="text", showlegend=False,
            customdata=[[SCHOOL_TRACE, s] for s in schools["school_id"]]))
    failing = schools[~schools["school_pass"].astype(bool)]
    if len(failing):  # a red ring around each failing school, one legend entry
        fig.add_trace(go.Scatter(
            x=failing["lon"], y=failing["lat"], mode="markers", name=t("app.map.failing_ring", lang),
            marker={"size": failing["size"] + 6, "color": "rgba(0,0,0,0)",
                    "line": {"width": 2.5, "color": STATUS_COLORS["fail"]}},
            hovertext=failing["hover"], hoverinfo="text",
            customdata=[[SCHOOL_TRACE, s] for s in failing["school_id"]]))
    if len(labels):  # last, so the names stay readable above fills and points
        fig.add_trace(go.Scatter(
            x=labels["lon"], y=labels["lat"], mode="text", text=labels["township"],
            textfont={"family": FONT_FAMILY, "size": 13, "color": "#102027", "weight": "bold",
                      "shadow": "0px 0px 3px white"},
            hoverinfo="skip", showlegend=False, name=t("app.map.township_names", lang)))
    base_layout(fig, title, height=640)
    fig.update_layout(
        legend={"title": {"text": t("app.map.legend_schools", lang)}, "orientation": "h",
                "y": -0.01, "yanchor": "top", "x": 0, "xanchor": "left"},
        dragmode="pan", clickmode="event+select", hovermode="closest",
        margin={"l": 10, "r": 10, "t": 50, "b": 40})
    fig.update_xaxes(visible=False, showgrid=False, constrain="domain")
    fig.update_yaxes(visible=False, showgrid=False, scaleanchor="x", scaleratio=aspect,
                     constrain="domain")
    return fig


def school_locator(paths: dict[str, Any], lon: float, lat: float, name: str, lang: str,
                   aspect: float = 1.0) -> go.Figure:
    """Return a small map: grey township outlines and one school as a star."""
    fig = go.Figure()
    _polygons(fig, paths, None)
    fig.add_trace(go.Scatter(
        x=[lon], y=[lat], mode="markers+text", text=[name], textposition="top center",
        textfont={"family": FONT_FAMILY, "size": 13}, name=name,
        marker={"symbol": "star", "size": 20, "color": STATUS_COLORS["fail"],
                "line": {"color": "white", "width": 1}},
        hovertemplate=name + "<extra></extra>", showlegend=False))
    base_layout(fig, t("app.school.map_title", lang), height=360)
    fig.update_xaxes(visible=False, showgrid=False, constrain="domain")
    fig.update_yaxes(visible=False, showgrid=False, scaleanchor="x", scaleratio=aspect,
                     constrain="domain")
    return fig
