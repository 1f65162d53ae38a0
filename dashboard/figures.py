"""Plotly figure builders for the pages: they take prepared tables (dashboard.views) and texts,
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

from typing import Final

import pandas as pd
import plotly.graph_objects as go

from .i18n import t
from .standards import INDICATORS

__all__ = [
    "FONT_FAMILY",
    "STATUS_COLORS",
    "GROUP_COLORS",
    "base_layout",
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


def base_layout(fig: go.Figure, title: str | None = None, *, height: int = 380) -> go.Figure:
    """Return ``fig`` with the common layout: CJK font, margins, white background, title."""
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}} if title else None,
        font={"family": FONT_FAMILY, "size": 13},
        margin={"l": 10, "r": 10, "t": 50 if title else 20, "b": 10},
        height=height, plot_bgcolor="white", paper_bgcolor="white",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1},
        hoverlabel={"font": {"family": FONT_FAMILY}},
    )
    fig.update_xaxes(showline=True, linecolor="#bdbdbd", gridcolor="#eeeeee", automargin=True)
    fig.update_yaxes(showline=True, linecolor="#bdbdbd", gridcolor="#eeeeee", automargin=True,
                     zeroline=False)
    return fig


def _hline(fig: go.Figure, y: float, text: str, color: str, dash: str = "dash",
           position: str = "top right") -> None:
    fig.add_hline(y=y, line={"color": color, "dash": dash, "width": 2},
                  annotation={"text": text, "font": {"color": color, "size": 12},
                              "bgcolor": "rgba(255,255,255,0.8)"},
                  annotation_position=position)


def cv_bars(rows: pd.DataFrame, scheme: str, stage: str, lang: str,
            composite: float | None = None, composite_text: str = "") -> go.Figure:
    """Return the CVs of one stage as bars with the threshold line (quality: each CV's limit;
    basic: the composite's limit and the composite itself as a second line).

    ``rows``: label, cv, cv_text, threshold, status (views.indicator_rows).
    """
    colors = ([STATUS_COLORS.get(s, NEUTRAL) for s in rows["status"]] if scheme == "quality"
              else [NEUTRAL] * len(rows))
    ticks = rows["tick"] if "tick" in rows.columns else rows["label"]
    fig = go.Figure(go.Bar(
        x=ticks, y=rows["cv"], text=rows["cv_text"], textposition="outside",
        marker={"color": colors}, name=t("app.fig.cv", lang), cliponaxis=False,
        customdata=rows["label"], showlegend=False,
        hovertemplate="%{customdata}<br>" + t("app.fig.cv", lang) + " %{y:.3f}<extra></extra>"))
    title = t("app.fig.cv_bars_title", lang, stage=t(f"stage.{stage}", lang),
              scheme=t(f"scheme.{scheme}", lang))
    base_layout(fig, title)
    if len(rows):
        threshold = float(rows["threshold"].iloc[0])
        key = "app.fig.threshold_each" if scheme == "quality" else "app.fig.threshold_composite"
        _hline(fig, threshold, t(key, lang, value=f"{threshold:.3f}"), THRESHOLD_COLOR)
        top = max(float(rows["cv"].max()), threshold)
    else:
        top = 1.0
    if composite is not None:  # a legend entry, not an annotation: it would sit on the bars
        fig.add_trace(go.Scatter(
            x=[ticks.iloc[0], ticks.iloc[-1]], y=[composite, composite], mode="lines",
            line={"color": MEAN_COLOR, "dash": "dot", "width": 2},
            name=t("app.fig.composite_line", lang, value=composite_text), hoverinfo="name"))
    fig.update_yaxes(title_text=t("app.fig.cv_axis", lang), range=[0, top * 1.25], tickformat=".2f")
    fig.update_xaxes(title_text=None, tickangle=0, tickfont={"size": 10.5})
    fig.update_layout(showlegend=composite is not None, height=400,
                      legend={"orientation": "h", "y": -0.28, "yanchor": "top", "x": 0,
                              "xanchor": "left"})
    return fig


def trend_figure(trend: pd.DataFrame, scheme: str, stage: str, lang: str,
                 threshold: float) -> go.Figure:
    """Return the CVs over the years as lines with the threshold line.

    ``trend``: year, series, label, cv (views.trend_table); the basic composite is drawn bold.
    """
    fig = go.Figure()
    for k, (series, part) in enumerate(trend.groupby("series", sort=False)):
        bold = series == "composite"
        fig.add_trace(go.Scatter(
            x=part["year"], y=part["cv"], mode="lines+markers", name=str(part["label"].iloc[0]),
            line={"width": 4 if bold else 1.8, "color": MEAN_COLOR if bold else SERIES_COLORS[k % len(SERIES_COLORS)],
                  "dash": "solid"},
            marker={"size": 8 if bold else 6},
            hovertemplate="%{x}: %{y:.3f}<extra>" + str(part["label"].iloc[0]) + "</extra>"))
    key = "app.fig.threshold_each" if scheme == "quality" else "app.fig.threshold_composite"
    _hline(fig, threshold, t(key, lang, value=f"{threshold:.3f}"), THRESHOLD_COLOR)
    title = t("app.fig.trend_title", lang, stage=t(f"stage.{stage}", lang),
              scheme=t(f"scheme.{scheme}", lang))
    base_layout(fig, title, height=400)
    fig.update_layout(legend={"orientation": "v", "y": 1, "yanchor": "top", "x": 1.02,
                              "xanchor": "left"})
    fig.update_xaxes(title_text=t("app.fig.year_axis", lang), dtick=1, tickformat="d")
    fig.update_yaxes(title_text=t("app.fig.cv_axis", lang), rangemode="tozero", tickformat=".2f")
    return fig


def group_box(units: pd.DataFrame, indicator: str, lang: str, county_mean: float,
              minimum: float | None = None) -> go.Figure:
    """Return the per-unit values of one indicator by 城区/镇区/乡村 (box with every unit shown),
    with the county mean and, for quality indicators, the per-school minimum.

    ``units``: group, group_label, value, hover (views.group_units).
    """
    ind = INDICATORS[indicator]
    fig = go.Figure()
    for group, part in units.groupby("group", sort=False, observed=True):
        fig.add_trace(go.Box(
            y=part["value"], name=str(part["group_label"].iloc[0]), boxpoints="all", jitter=0.4,
            pointpos=0, marker={"color": GROUP_COLORS.get(str(group), NEUTRAL), "size": 7,
                                "opacity": 0.8},
            line={"color": GROUP_COLORS.get(str(group), NEUTRAL)}, fillcolor="rgba(0,0,0,0)",
            hovertext=part["hover"], hoverinfo="text"))
    unit = ind.unit(lang)
    _hline(fig, county_mean, t("app.fig.county_mean_line", lang,
                               value=f"{county_mean:,.{ind.decimals}f} {unit}"), MEAN_COLOR, "dot")
    if minimum is not None:
        _hline(fig, minimum, t("app.fig.minimum_line", lang,
                               value=f"{minimum:,.{ind.decimals}f} {unit}"), THRESHOLD_COLOR,
               position="bottom right")
    base_layout(fig, t("app.fig.group_box_title", lang, name=ind.name(lang)), height=420)
    fig.update_layout(showlegend=False)
    fig.update_yaxes(title_text=_axis(indicator, lang), rangemode="tozero")
    return fig


def _axis(indicator: str, lang: str) -> str:
    ind = INDICATORS[indicator]
    short = ind.short_zh if lang == "zh" else ind.short_en
    return t("app.fig.value_axis", lang, name=short, unit=ind.unit(lang))


def theil_bars(theil: pd.DataFrame, lang: str) -> go.Figure:
    """Return the Theil index of each indicator split into between- and within-group parts
    (stacked horizontal bars).  ``theil``: label, between, within.
    """
    fig = go.Figure([
        go.Bar(y=theil["label"], x=theil["between"], orientation="h",
               name=t("app.fig.theil_between", lang), marker={"color": "#c0504d"},
               hovertemplate="%{y}: %{x:.4f}<extra>" + t("app.fig.theil_between", lang) + "</extra>"),
        go.Bar(y=theil["label"], x=theil["within"], orientation="h",
               name=t("app.fig.theil_within", lang), marker={"color": "#9bbbd9"},
               hovertemplate="%{y}: %{x:.4f}<extra>" + t("app.fig.theil_within", lang) + "</extra>"),
    ])
    base_layout(fig, t("app.fig.theil_title", lang), height=60 + 34 * max(len(theil), 3))
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title_text=t("app.fig.theil_axis", lang), tickformat=".3f")
    fig.update_yaxes(autorange="reversed", title_text=None)
    return fig


def group_trend_figure(trend: pd.DataFrame, indicator: str, lang: str) -> go.Figure:
    """Return the weighted means of 城区/镇区/乡村 over the years (one line per group).

    ``trend``: year, group, group_label, mean (views.group_trend).
    """
    ind = INDICATORS[indicator]
    fig = go.Figure()
    for group, part in trend.groupby("group", sort=False):
        fig.add_trace(go.Scatter(
            x=part["year"], y=part["mean"], mode="lines+markers", name=str(part["group_label"].iloc[0]),
            line={"color": GROUP_COLORS.get(str(group), NEUTRAL), "width": 2.5},
            hovertemplate="%{x}: %{y:,." + str(ind.decimals) + "f} " + ind.unit(lang)
            + "<extra>" + str(part["group_label"].iloc[0]) + "</extra>"))
    base_layout(fig, t("app.fig.group_trend_title", lang, name=ind.name(lang)))
    fig.update_xaxes(title_text=t("app.fig.year_axis", lang), dtick=1, tickformat="d")
    fig.update_yaxes(title_text=_axis(indicator, lang), rangemode="tozero")
    return fig


def drill_values(drill: pd.DataFrame, indicator: str, lang: str, county_mean: float,
                 minimum: float | None = None) -> go.Figure:
    """Return every unit's value, sorted, as bars, with the county mean and the minimum.

    ``drill``: school_name, value, below, hover (views.drill_units); units below the minimum
    are red.
    """
    ind = INDICATORS[indicator]
    colors = [STATUS_COLORS["fail"] if b else NEUTRAL for b in drill["below"]]
    fig = go.Figure(go.Bar(
        x=drill["school_name"], y=drill["value"], marker={"color": colors},
        name=ind.name(lang), hovertext=drill["hover"], hoverinfo="text"))
    unit = ind.unit(lang)
    _hline(fig, county_mean, t("app.fig.county_mean_line", lang,
                               value=f"{county_mean:,.{ind.decimals}f} {unit}"), MEAN_COLOR, "dot",
           position="top left")
    if minimum is not None:
        _hline(fig, minimum, t("app.fig.minimum_line", lang,
                               value=f"{minimum:,.{ind.decimals}f} {unit}"), THRESHOLD_COLOR)
    base_layout(fig, t("app.fig.drill_title", lang, name=ind.name(lang)), height=440)
    fig.update_layout(showlegend=False, bargap=0.15)
    fig.update_xaxes(title_text=None, tickangle=-60, tickfont={"size": 11})
    fig.update_yaxes(title_text=_axis(indicator, lang), rangemode="tozero")
    return fig


def contribution_bars(top: pd.DataFrame, indicator: str, lang: str) -> go.Figure:
    """Return the units' shares of the weighted variance (%) as horizontal bars, largest first.

    ``top``: school_name, share (0–1), hover (views.drill_units, the largest shares).
    """
    ind = INDICATORS[indicator]
    fig = go.Figure(go.Bar(
        y=top["school_name"], x=top["share"], orientation="h", marker={"color": "#8e6bb5"},
        text=[f"{s:.0%}" for s in top["share"]], textposition="outside", cliponaxis=False,
        hovertext=top["hover"], hoverinfo="text", name=t("app.fig.share_axis", lang)))
    base_layout(fig, t("app.fig.contribution_title", lang, name=ind.name(lang)),
                height=80 + 30 * max(len(top), 3))
    fig.update_layout(showlegend=False)
    fig.update_xaxes(title_text=t("app.fig.share_axis", lang), tickformat=".0%", rangemode="tozero")
    fig.update_yaxes(autorange="reversed", title_text=None)
    return fig


def school_profile_bars(profile: pd.DataFrame, scheme: str, lang: str,
                        school_name: str) -> go.Figure:
    """Return the school's indicators as a percentage of the county mean (bars), with 100 % and,
    for quality, the per-school minimum as a percentage of the mean (markers).

    ``profile``: label, pct_mean, minimum_pct_mean, value_text, meets (views.school_profile).
    """
    colors = ([STATUS_COLORS["pass"] if m else STATUS_COLORS["fail"] for m in profile["meets"]]
              if scheme == "quality" else [NEUTRAL] * len(profile))
    fig = go.Figure(go.Bar(
        x=profile["tick"], y=profile["pct_mean"], marker={"color": colors},
        name=t("app.fig.school_value", lang), customdata=profile[["label", "value_text"]],
        hovertemplate="%{customdata[0]}<br>%{customdata[1]} · %{y:.0%}<extra></extra>"))
    if scheme == "quality":
        fig.add_trace(go.Scatter(
            x=profile["tick"], y=profile["minimum_pct_mean"], mode="markers",
            name=t("app.fig.minimum_marker", lang),
            marker={"symbol": "line-ew-open", "size": 28, "line": {"width": 3, "color": THRESHOLD_COLOR}},
            hovertemplate="%{x}<br>" + t("app.fig.minimum_marker", lang) + " %{y:.0%}<extra></extra>"))
    _hline(fig, 1.0, t("app.fig.county_mean_100", lang), MEAN_COLOR, "dot")
    base_layout(fig, t("app.fig.profile_title", lang, school=school_name), height=420)
    fig.update_yaxes(title_text=t("app.fig.pct_mean_axis", lang), tickformat=".0%",
                     rangemode="tozero")
    fig.update_xaxes(title_text=None, tickangle=0, tickfont={"size": 11})
    return fig


def school_history_figure(hist: pd.DataFrame, lang: str, school_name: str) -> go.Figure:
    """Return the school's indicators over the years as a percentage of the county mean.

    ``hist``: year, indicator, label, pct_mean (views.school_history).
    """
    fig = go.Figure()
    for k, (_, part) in enumerate(hist.groupby("indicator", sort=False)):
        fig.add_trace(go.Scatter(
            x=part["year"], y=part["pct_mean"], mode="lines+markers", name=str(part["label"].iloc[0]),
            line={"color": SERIES_COLORS[k % len(SERIES_COLORS)]},
            hovertemplate="%{x}: %{y:.0%}<extra>" + str(part["label"].iloc[0]) + "</extra>"))
    _hline(fig, 1.0, t("app.fig.county_mean_100", lang), MEAN_COLOR, "dot")
    base_layout(fig, t("app.fig.school_history_title", lang, school=school_name), height=400)
    fig.update_layout(legend={"orientation": "v", "y": 1, "yanchor": "top", "x": 1.02,
                              "xanchor": "left"})
    fig.update_xaxes(title_text=t("app.fig.year_axis", lang), dtick=1, tickformat="d")
    fig.update_yaxes(title_text=t("app.fig.pct_mean_axis", lang), tickformat=".0%",
                     rangemode="tozero")
    return fig
