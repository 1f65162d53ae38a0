"""Plotly figure builders for the pages: they take prepared tables (the page models of dashboard.ui) and texts,
and return ``go.Figure`` objects.  No Streamlit, no domain arithmetic, no LaTeX (so plotly never
asks for MathJax) and no geo/mapbox traces (they fetch from CDNs).

Every axis that carries a value names its unit; every threshold is a line with its value.

>>> import pandas as pd
>>> rows = pd.DataFrame({"indicator": ["Q1"], "label": ["骨干"], "cv": [0.3], "cv_text": ["0.300"],
...                      "threshold": [0.5], "status": ["pass"]})
>>> fig = cv_bars(rows, "quality", "primary", "zh")
>>> fig.data[0].type, fig.layout.shapes[0].y0
('bar', 0.5)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import pandas as pd
import plotly.graph_objects as go

from dashboard.i18n import t
from dashboard.method.standards import INDICATORS
from dashboard.ui.format import cv_d3_format, fmt_cv, html_text, html_texts, indicator_label

__all__ = [
    "FONT_FAMILY",
    "STATUS_COLORS",
    "GROUP_COLORS",
    "base_layout",
    "layout",
    "figure",
    "hline",
    "cv_bars",
    "trend_figure",
    "group_box",
    "theil_bars",
    "group_trend_figure",
    "drill_values",
    "contribution_bars",
    "school_profile_bars",
    "school_history_figure",
]

# CJK first so that Chinese never falls back to a font without the glyphs.
FONT_FAMILY: Final = ("Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, PingFang SC, "
                      "Microsoft YaHei, WenQuanYi Micro Hei, sans-serif")
STATUS_COLORS: Final = {"pass": "#2e7d32", "near": "#ef8f00", "fail": "#c62828",
                        "missing": "#9e9e9e"}
GROUP_COLORS: Final = {"urban": "#1f5fa8", "town": "#e08a1e", "rural": "#3b9a4b"}
NEUTRAL: Final = "#4a7ab5"
THRESHOLD_COLOR: Final = "#c62828"
MEAN_COLOR: Final = "#37474f"
SERIES_COLORS: Final = ("#1f5fa8", "#e08a1e", "#3b9a4b", "#8e44ad", "#c0392b", "#16a085",
                        "#7f8c8d", "#d35400", "#2c3e50")


_AXIS: Final = {"showline": True, "linecolor": "#bdbdbd", "gridcolor": "#eeeeee", "automargin": True}


def _merged(base: dict, extra: dict | None) -> dict:
    """Return ``base`` updated by ``extra``, nested dicts merged (neither is changed)."""
    out = dict(base)
    for key, value in (extra or {}).items():
        out[key] = _merged(out[key], value) if isinstance(value, dict) and isinstance(
            out.get(key), dict) else value
    return out


def layout(title: str | None = None, *, height: int = 380, xaxis: dict | None = None,
           yaxis: dict | None = None, lines: Sequence[tuple[dict, dict]] = (),
           **extra: Any) -> dict:
    """Return the common layout as a dict: CJK font, margins, white background, title, axes.

    ``xaxis``/``yaxis`` are merged into the common axis style, ``lines`` are :func:`hline`
    pairs (shape, annotation), ``extra`` is merged last (e.g. ``legend``, ``barmode``).
    """
    spec: dict[str, Any] = {
        "title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}} if title else None,
        "font": {"family": FONT_FAMILY, "size": 13},
        "margin": {"l": 10, "r": 10, "t": 50 if title else 20, "b": 10},
        "height": height, "plot_bgcolor": "white", "paper_bgcolor": "white",
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1},
        "hoverlabel": {"font": {"family": FONT_FAMILY}},
        "xaxis": _merged(_AXIS, xaxis),
        "yaxis": _merged({**_AXIS, "zeroline": False}, yaxis),
        "shapes": [shape for shape, _ in lines],
        "annotations": [note for _, note in lines],
    }
    return _merged(spec, extra)


def figure(data: Sequence[dict], spec: dict) -> go.Figure:
    """Return a figure built in one step from trace dicts and a layout dict.

    (Building from dicts is some 30 times faster than plotly's property-by-property API, which
    matters for a page's server time.)
    """
    return go.Figure({"data": list(data), "layout": spec})


def base_layout(fig: go.Figure, title: str | None = None, *, height: int = 380) -> go.Figure:
    """Return ``fig`` with the common layout of :func:`layout` applied (one update)."""
    fig.update_layout(layout(title, height=height))
    return fig


def hline(y: float, text: str, color: str, dash: str = "dash",
          position: str = "top right") -> tuple[dict, dict]:
    """Return (shape, annotation) of a labelled horizontal line across the plot at ``y``.

    ``position`` is "top right", "top left" or "bottom right" (where the label sits).
    """
    vertical, horizontal = position.split()
    shape = {"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": y, "y1": y,
             "line": {"color": color, "dash": dash, "width": 2}}
    note = {"text": text, "font": {"color": color, "size": 12}, "bgcolor": "rgba(255,255,255,0.8)",
            "showarrow": False, "xref": "x domain", "x": 1 if horizontal == "right" else 0,
            "xanchor": horizontal, "yref": "y", "y": y,
            "yanchor": "bottom" if vertical == "top" else "top"}
    return shape, note


def _ticks(ticks: pd.Series, lang: str) -> pd.Series:
    """Return the category ticks: Chinese wrapped ('<br>', read level), English on one line (it
    is drawn at an angle, see :func:`_tick_style`: wrapped English words still collided).

    >>> _ticks(pd.Series(["Teacher-<br>pupil ratio", "Teaching<br>floor area"]), "en").tolist()
    ['Teacher-pupil ratio', 'Teaching floor area']
    """
    if lang == "zh":
        return ticks
    # a word broken after its hyphen is joined again ("Teacher-<br>pupil" is "Teacher-pupil")
    return ticks.astype(str).str.replace("-<br>", "-", regex=False).str.replace("<br>", " ", regex=False)


def _tick_style(lang: str, size: float) -> dict:
    """Return the category axis' tick style: level Chinese, English angled so long names never
    collide however narrow the column."""
    return {"tickangle": 0 if lang == "zh" else -35, "tickfont": {"size": size}}


def cv_bars(rows: pd.DataFrame, scheme: str, stage: str, lang: str,
            composite: float | None = None, composite_text: str = "") -> go.Figure:
    """Return the CVs of one stage as bars with the threshold line (quality: each CV's limit;
    basic: the composite's limit and the composite itself as a second line).

    ``rows``: label, cv, cv_text, threshold, status (evaluation.indicator_rows).
    """
    colors = ([STATUS_COLORS.get(s, NEUTRAL) for s in rows["status"]] if scheme == "quality"
              else [NEUTRAL] * len(rows))
    ticks = _ticks(rows["tick"] if "tick" in rows.columns else rows["label"], lang)
    data = [{
        "type": "bar", "x": ticks, "y": rows["cv"], "text": rows["cv_text"],
        # values inside the bars at their base: the threshold and composite lines cross the
        # bars higher up, so no line strikes through a value
        "textposition": "inside", "insidetextanchor": "start", "textangle": 0,
        "insidetextfont": {"color": "white", "size": 11}, "constraintext": "none",
        "marker": {"color": colors}, "name": t("app.fig.cv", lang),
        "cliponaxis": False, "customdata": rows["label"], "showlegend": False,
        "hovertemplate": ("%{customdata}<br>" + t("app.fig.cv", lang) + " %{y:" + cv_d3_format()
                          + "}<extra></extra>")}]
    lines = []
    if len(rows):
        threshold = float(rows["threshold"].iloc[0])
        key = "app.fig.threshold_each" if scheme == "quality" else "app.fig.threshold_composite"
        lines.append(hline(threshold, t(key, lang, value=fmt_cv(threshold)), THRESHOLD_COLOR))
        top = max(float(rows["cv"].max()), threshold)
    else:
        top = 1.0
    if composite is not None:  # a legend entry, not an annotation: it would sit on the bars
        data.append({
            "type": "scatter", "x": [ticks.iloc[0], ticks.iloc[-1]], "y": [composite, composite],
            "mode": "lines", "line": {"color": MEAN_COLOR, "dash": "dot", "width": 2},
            "name": t("app.fig.composite_line", lang, value=composite_text), "hoverinfo": "name"})
    title = t("app.fig.cv_bars_title", lang, stage=t(f"stage.{stage}", lang),
              scheme=t(f"scheme.{scheme}", lang))
    return figure(data, layout(
        title, height=400, lines=lines, showlegend=composite is not None,
        legend={"orientation": "h", "y": -0.28, "yanchor": "top", "x": 0, "xanchor": "left"},
        xaxis={"title": {"text": None}, **_tick_style(lang, 10.5)},
        yaxis={"title": {"text": t("app.fig.cv_axis", lang)}, "range": [0, top * 1.25],
               "tickformat": ".2f"}))


def _series_line(part: pd.DataFrame, y: str, name: str, color: str, hover: str, *,
                 width: float = 1.8, marker_size: int = 6) -> dict:
    """Return one lines+markers trace of ``part[y]`` over ``part["year"]``."""
    return {"type": "scatter", "x": part["year"], "y": part[y], "mode": "lines+markers",
            "name": name, "line": {"width": width, "color": color, "dash": "solid"},
            "marker": {"size": marker_size}, "hovertemplate": hover + "<extra>" + name + "</extra>"}


_YEAR_AXIS: Final = {"dtick": 1, "tickformat": "d"}
_SIDE_LEGEND: Final = {"orientation": "v", "y": 1, "yanchor": "top", "x": 1.02, "xanchor": "left"}


def trend_figure(trend: pd.DataFrame, scheme: str, stage: str, lang: str,
                 threshold: float) -> go.Figure:
    """Return the CVs over the years as lines with the threshold line.

    ``trend``: year, series, label, cv (overview.trend_table); the basic composite is drawn bold.
    """
    data = []
    for k, (series, part) in enumerate(trend.groupby("series", sort=False)):
        bold = series == "composite"
        data.append(_series_line(
            part, "cv", str(part["label"].iloc[0]),
            MEAN_COLOR if bold else SERIES_COLORS[k % len(SERIES_COLORS)],
            "%{x}: %{y:" + cv_d3_format() + "}",
            width=4 if bold else 1.8, marker_size=8 if bold else 6))
    key = "app.fig.threshold_each" if scheme == "quality" else "app.fig.threshold_composite"
    title = t("app.fig.trend_title", lang, stage=t(f"stage.{stage}", lang),
              scheme=t(f"scheme.{scheme}", lang))
    return figure(data, layout(
        title, height=400, legend=_SIDE_LEGEND,
        lines=[hline(threshold, t(key, lang, value=fmt_cv(threshold)), THRESHOLD_COLOR)],
        xaxis={"title": {"text": t("app.fig.year_axis", lang)}, **_YEAR_AXIS},
        yaxis={"title": {"text": t("app.fig.cv_axis", lang)}, "rangemode": "tozero",
               "tickformat": ".2f"}))


def _mean_and_minimum(indicator: str, lang: str, county_mean: float, minimum: float | None,
                      mean_position: str = "top right",
                      minimum_position: str = "top right") -> list[tuple[dict, dict]]:
    """Return the county-mean line and, when given, the per-school minimum line (with units)."""
    ind = INDICATORS[indicator]
    unit = ind.unit(lang)
    lines = [hline(county_mean, t("app.fig.county_mean_line", lang,
                                  value=f"{county_mean:,.{ind.decimals}f} {unit}"),
                   MEAN_COLOR, "dot", mean_position)]
    if minimum is not None:
        lines.append(hline(minimum, t("app.fig.minimum_line", lang,
                                      value=f"{minimum:,.{ind.decimals}f} {unit}"),
                           THRESHOLD_COLOR, position=minimum_position))
    return lines


def group_box(units: pd.DataFrame, indicator: str, lang: str, county_mean: float,
              minimum: float | None = None) -> go.Figure:
    """Return the per-unit values of one indicator by 城区/镇区/乡村 (box with every unit shown),
    with the county mean and, for quality indicators, the per-school minimum.

    ``units``: group, group_label, value, hover (urban_rural.group_units).
    """
    data = []
    for group, part in units.groupby("group", sort=False, observed=True):
        color = GROUP_COLORS.get(str(group), NEUTRAL)
        data.append({
            "type": "box", "y": part["value"], "name": str(part["group_label"].iloc[0]),
            "boxpoints": "all", "jitter": 0.4, "pointpos": 0,
            "marker": {"color": color, "size": 7, "opacity": 0.8}, "line": {"color": color},
            "fillcolor": "rgba(0,0,0,0)", "hovertext": part["hover"], "hoverinfo": "text"})
    return figure(data, layout(
        # the short name: the chart has half the page's width, the long one's title was cut
        t("app.fig.group_box_title", lang, name=indicator_label(indicator, lang)), height=420,
        lines=_mean_and_minimum(indicator, lang, county_mean, minimum,
                                minimum_position="bottom right"),
        showlegend=False, yaxis={"title": {"text": _axis(indicator, lang)}, "rangemode": "tozero"}))


def _axis(indicator: str, lang: str) -> str:
    ind = INDICATORS[indicator]
    short = ind.short_zh if lang == "zh" else ind.short_en
    return t("app.fig.value_axis", lang, name=short, unit=ind.unit(lang))


def theil_bars(theil: pd.DataFrame, lang: str) -> go.Figure:
    """Return the Theil index of each indicator split into between- and within-group parts
    (stacked horizontal bars).  ``theil``: label, between, within.
    """
    data = [{"type": "bar", "y": theil["label"], "x": theil[part], "orientation": "h",
             "name": t(f"app.fig.theil_{part}", lang), "marker": {"color": color},
             "hovertemplate": "%{y}: %{x:.4f}<extra>" + t(f"app.fig.theil_{part}", lang) + "</extra>"}
            for part, color in (("between", "#c0504d"), ("within", "#9bbbd9"))]
    return figure(data, layout(
        t("app.fig.theil_title", lang), height=60 + 34 * max(len(theil), 3), barmode="stack",
        xaxis={"title": {"text": t("app.fig.theil_axis", lang)}, "tickformat": ".3f"},
        yaxis={"autorange": "reversed", "title": {"text": None}}))


def group_trend_figure(trend: pd.DataFrame, indicator: str, lang: str) -> go.Figure:
    """Return the weighted means of 城区/镇区/乡村 over the years (one line per group).

    ``trend``: year, group, group_label, mean (urban_rural.group_trend).
    """
    ind = INDICATORS[indicator]
    hover = "%{x}: %{y:,." + str(ind.decimals) + "f} " + ind.unit(lang)
    data = [_series_line(part, "mean", str(part["group_label"].iloc[0]),
                         GROUP_COLORS.get(str(group), NEUTRAL), hover, width=2.5)
            for group, part in trend.groupby("group", sort=False)]
    return figure(data, layout(
        t("app.fig.group_trend_title", lang, name=ind.name(lang)),
        xaxis={"title": {"text": t("app.fig.year_axis", lang)}, **_YEAR_AXIS},
        yaxis={"title": {"text": _axis(indicator, lang)}, "rangemode": "tozero"}))


def drill_values(drill: pd.DataFrame, indicator: str, lang: str, county_mean: float,
                 minimum: float | None = None) -> go.Figure:
    """Return every unit's value, sorted, as bars, with the county mean and the minimum.

    ``drill``: school_name, value, below, hover (drilldown.drill_units); units below the minimum
    are red.
    """
    ind = INDICATORS[indicator]
    colors = [STATUS_COLORS["fail"] if b else NEUTRAL for b in drill["below"]]
    data = [{"type": "bar", "x": html_texts(drill["school_name"]), "y": drill["value"],
             "marker": {"color": colors}, "name": ind.name(lang), "hovertext": drill["hover"],
             "hoverinfo": "text"}]
    return figure(data, layout(
        t("app.fig.drill_title", lang, name=ind.name(lang)), height=440, showlegend=False,
        bargap=0.15, lines=_mean_and_minimum(indicator, lang, county_mean, minimum, "top left"),
        xaxis={"title": {"text": None}, "tickangle": -60, "tickfont": {"size": 11}},
        yaxis={"title": {"text": _axis(indicator, lang)}, "rangemode": "tozero"}))


def contribution_bars(top: pd.DataFrame, indicator: str, lang: str) -> go.Figure:
    """Return the units' shares of the weighted variance (%) as horizontal bars, largest first.

    ``top``: school_name, share (0–1), hover (drilldown.drill_units, the largest shares).
    """
    ind = INDICATORS[indicator]
    data = [{"type": "bar", "y": html_texts(top["school_name"]), "x": top["share"], "orientation": "h",
             "marker": {"color": "#8e6bb5"}, "text": [f"{s:.0%}" for s in top["share"]],
             "textposition": "outside", "cliponaxis": False, "hovertext": top["hover"],
             "hoverinfo": "text", "name": t("app.fig.share_axis", lang)}]
    return figure(data, layout(
        t("app.fig.contribution_title", lang, name=ind.name(lang)),
        height=80 + 30 * max(len(top), 3), showlegend=False,
        xaxis={"title": {"text": t("app.fig.share_axis", lang)}, "tickformat": ".0%",
               "rangemode": "tozero"},
        yaxis={"autorange": "reversed", "title": {"text": None}}))


def school_profile_bars(profile: pd.DataFrame, scheme: str, lang: str,
                        school_name: str) -> go.Figure:
    """Return the school's indicators as a percentage of the county mean (bars), with 100 % and,
    for quality, the per-school minimum as a percentage of the mean (markers).

    ``profile``: label, pct_mean, minimum_pct_mean, value_text, meets (school.school_profile).
    """
    colors = ([STATUS_COLORS["pass"] if m else STATUS_COLORS["fail"] for m in profile["meets"]]
              if scheme == "quality" else [NEUTRAL] * len(profile))
    ticks = _ticks(profile["tick"], lang)
    data = [{"type": "bar", "x": ticks, "y": profile["pct_mean"],
             "marker": {"color": colors}, "name": t("app.fig.school_value", lang),
             "customdata": profile[["label", "value_text"]].to_numpy(),
             "hovertemplate": "%{customdata[0]}<br>%{customdata[1]} · %{y:.0%}<extra></extra>"}]
    if scheme == "quality":
        data.append({
            "type": "scatter", "x": ticks, "y": profile["minimum_pct_mean"],
            "mode": "markers", "name": t("app.fig.minimum_marker", lang),
            "marker": {"symbol": "line-ew-open", "size": 28,
                       "line": {"width": 3, "color": THRESHOLD_COLOR}},
            "hovertemplate": "%{x}<br>" + t("app.fig.minimum_marker", lang)
            + " %{y:.0%}<extra></extra>"})
    return figure(data, layout(
        t("app.fig.profile_title", lang, school=html_text(school_name)), height=420,
        lines=[hline(1.0, t("app.fig.county_mean_100", lang), MEAN_COLOR, "dot")],
        xaxis={"title": {"text": None}, **_tick_style(lang, 11)},
        yaxis={"title": {"text": t("app.fig.pct_mean_axis", lang)}, "tickformat": ".0%",
               "rangemode": "tozero"}))


def school_history_figure(hist: pd.DataFrame, lang: str, school_name: str) -> go.Figure:
    """Return the school's indicators over the years as a percentage of the county mean.

    ``hist``: year, indicator, label, pct_mean (school.school_history).
    """
    data = [_series_line(part, "pct_mean", str(part["label"].iloc[0]),
                         SERIES_COLORS[k % len(SERIES_COLORS)], "%{x}: %{y:.0%}")
            for k, (_, part) in enumerate(hist.groupby("indicator", sort=False))]
    return figure(data, layout(
        t("app.fig.school_history_title", lang, school=html_text(school_name)), height=400,
        legend=_SIDE_LEGEND, lines=[hline(1.0, t("app.fig.county_mean_100", lang), MEAN_COLOR, "dot")],
        xaxis={"title": {"text": t("app.fig.year_axis", lang)}, **_YEAR_AXIS},
        yaxis={"title": {"text": t("app.fig.pct_mean_axis", lang)}, "tickformat": ".0%",
               "rangemode": "tozero"}))
