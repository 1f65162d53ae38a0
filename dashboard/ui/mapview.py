"""Page model of 地图 (map): the townships coloured by an indicator (weighted mean or gap to the
county mean) and the school points (size by enrolment, group or deviation, hover texts), and
the school a click selected.  The outlines come from :mod:`dashboard.ui.geo`; the figure from
:mod:`dashboard.ui.maps`.  No Streamlit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from dashboard.i18n import t
from dashboard.method.engine import Evaluation
from dashboard.method.gaps import group_table, urban_rural_class
from dashboard.method.verdict import school_statuses
from dashboard.ui import maps
from dashboard.ui.evaluation import indicator_summary, scheme_units
from dashboard.ui.format import (
    fmt_number,
    fmt_pct,
    fmt_value,
    indicator_label,
    is_missing,
    unit_of,
)
from dashboard.ui.format import html_text as plotly_text  # names in hover texts: no markup
from dashboard.ui.frozen import frozen
from dashboard.ui.geo import Townships, latitudes, map_aspect
from dashboard.ui.maps import SCHOOL_TRACE

__all__ = [
    "SEQUENTIAL_SCALE",
    "DIVERGING_SCALE",
    "MAP_FILLS",
    "SCHOOL_COLORINGS",
    "fill_scale",
    "township_frame",
    "map_schools",
    "selected_school",
    "MapView",
    "map_view",
]

SEQUENTIAL_SCALE: Final = "YlGnBu"  # township means
DIVERGING_SCALE: Final = "RdBu"  # gaps and deviations: red below, blue above
FILL_RANGE: Final = {SEQUENTIAL_SCALE: (0.05, 0.75), DIVERGING_SCALE: (0.1, 0.9)}
MAP_FILLS: Final = ("mean", "gap")  # what colours the townships
SCHOOL_COLORINGS: Final = ("urban_rural", "deviation")  # what colours the school points


def fill_scale(scale: str) -> list[list[object]]:
    """Return the part of ``scale`` used for township fills (light enough to read names on)."""
    lo, hi = FILL_RANGE.get(scale, (0.0, 1.0))
    steps = [k / 10 for k in range(11)]
    return [[s, c] for s, c in zip(steps, sample_colorscale(scale, [lo + (hi - lo) * x for x in steps]),
                                   strict=True)]


def _colors(values: pd.Series, scale: str, vmin: float, vmax: float) -> list[str]:
    span = vmax - vmin
    lo, hi = FILL_RANGE.get(scale, (0.0, 1.0))
    pos = ((values - vmin) / span).clip(0, 1) if span > 0 else values * 0 + 0.5
    pos = lo + (hi - lo) * pos
    out = ["#d9d9d9"] * len(values)
    ok = pos.notna().to_numpy()
    if ok.any():
        sampled = sample_colorscale(scale, pos[ok].to_list())
        for k, c in zip(np.flatnonzero(ok), sampled, strict=True):
            out[k] = c
    return out


def _township_hover(frame: pd.DataFrame, indicator: str, lang: str) -> list[str]:
    hover = []
    for r in frame.itertuples(index=False):
        if is_missing(r.mean):
            hover.append(t("app.map.hover_township_empty", lang, township=plotly_text(r.township)))
        else:
            hover.append(t("app.map.hover_township", lang, township=plotly_text(r.township),
                           name=indicator_label(indicator, lang), value=fmt_value(r.mean, indicator, lang),
                           gap=fmt_pct(r.gap, 0, signed=True), units=int(r.units),
                           students=fmt_number(r.students, 0)))
    return hover


def township_frame(units: pd.DataFrame, indicator: str, mode: str, lang: str,
                   county_mean: float, townships: Iterable[str] = ()) -> pd.DataFrame:
    """Return per township: value (mode 'mean': weighted mean in the indicator's unit; 'gap':
    relative gap to the county mean, ratio), color, hover text, with colour-scale bounds.

    Townships of the geography without units get a grey fill and a 'no units' hover text.
    Attributes ``cmin``/``cmax``/``scale`` (in ``.attrs``) describe the colour bar.
    """
    names = sorted(set(townships) | set(units["township"].astype(str)))
    frame = pd.DataFrame({"township": names})
    if units.empty:
        stats = pd.DataFrame({"township": pd.Series(dtype=str), "mean": pd.Series(dtype=float),
                              "units": pd.Series(dtype=float), "students": pd.Series(dtype=float)})
    else:
        table = group_table(units, [indicator], by="township")
        stats = table.rename(columns={"group": "township"})[["township", "mean", "units", "students"]]
    frame = frame.merge(stats, on="township", how="left")
    frame["gap"] = frame["mean"] / county_mean - 1 if not is_missing(county_mean) and county_mean else np.nan
    if mode == "gap":
        frame["value"] = frame["gap"]
        bound = float(np.nanmax(np.abs(frame["gap"]))) if frame["gap"].notna().any() else 1.0
        cmin, cmax, scale = -bound, bound, DIVERGING_SCALE
    else:
        frame["value"] = frame["mean"]
        ok = frame["mean"].dropna()
        cmin, cmax = (float(ok.min()), float(ok.max())) if len(ok) else (0.0, 1.0)
        scale = SEQUENTIAL_SCALE
    frame["color"] = _colors(frame["value"], scale, cmin, cmax)
    frame["hover"] = _township_hover(frame, indicator, lang)
    frame.attrs.update(cmin=cmin, cmax=cmax, scale=fill_scale(scale), county_mean=county_mean)
    return frame


def map_schools(units: pd.DataFrame, indicator: str, scheme: str, lang: str,
                county_mean: float) -> pd.DataFrame:
    """Return the school points of a map: lon, lat, size (px), group or deviation, hover text.

    ``group`` is urban/town/rural; ``deviation`` (ratio − 1) is against the national minimum
    for quality indicators and against ``county_mean`` for basic ones (they have no per-school
    minimum).
    """
    cols = ["school_id", "unit_id", "school_name", "township", "lon", "lat", "students", "size",
            "group", "group_label", "deviation", "value", "hover", "school_pass"]
    if units.empty:
        return pd.DataFrame(columns=cols)
    u = units.dropna(subset=["longitude", "latitude"])
    p = u["students"].astype(float)
    value = u[indicator].astype(float)
    if scheme == "quality" and f"ratio_{indicator}" in u.columns:
        deviation = u[f"ratio_{indicator}"].astype(float) - 1
        reference = t("app.map.vs_standard", lang)
    else:
        deviation = value / county_mean - 1
        reference = t("app.map.vs_mean", lang)
    group = urban_rural_class(u["urban_rural_code"].to_numpy())
    size = 8 + 22 * np.sqrt(p / p.max()) if p.max() > 0 else p * 0 + 10
    verdict = [t(f"status.{s}", lang) for s in school_statuses(u)]
    hover = [
        t("app.map.hover_school", lang, school=plotly_text(r.school_name),
          township=plotly_text(r.township),
          group=t(f"urban_rural.{g}", lang), students=fmt_number(r.students, 0),
          name=indicator_label(indicator, lang), value=fmt_value(v, indicator, lang),
          deviation=fmt_pct(d, 0, signed=True), reference=reference, verdict=ok,
          stage=t(f"stage.{r.stage}", lang))
        for r, g, v, d, ok in zip(u.itertuples(index=False), group, value, deviation, verdict,
                                  strict=True)
    ]
    return pd.DataFrame({
        "school_id": u["school_id"].astype(str).to_numpy(), "unit_id": u["unit_id"].to_numpy(),
        "school_name": u["school_name"].to_numpy(), "township": u["township"].to_numpy(),
        "lon": u["longitude"].astype(float).to_numpy(), "lat": u["latitude"].astype(float).to_numpy(),
        "students": p.to_numpy(), "size": np.asarray(size, dtype=float), "group": group,
        "group_label": [t(f"urban_rural.{g}", lang) for g in group],
        "deviation": deviation.to_numpy(), "value": value.to_numpy(), "hover": hover,
        "school_pass": u["school_pass"].astype(bool).to_numpy(),
    }, columns=cols)


def selected_school(event: Any) -> str | None:
    """Return the school id of the first selected school point of a plotly chart event.

    ``event`` is Streamlit's selection state (``{"selection": {"points": [...]}}``); school
    points carry ``customdata = [SCHOOL_TRACE, school_id]`` (see maps.township_map).

    >>> selected_school({"selection": {"points": [{"customdata": ["school", "3990101004"]}]}})
    '3990101004'
    >>> selected_school({"selection": {"points": [{"customdata": ["township", "城关街道"]}]}})
    """
    try:
        points = event["selection"]["points"]
    except (KeyError, TypeError):
        return None
    for point in points or []:
        data = point.get("customdata") if isinstance(point, dict) else None
        if isinstance(data, (list, tuple)) and len(data) == 2 and data[0] == SCHOOL_TRACE:
            return str(data[1])
    return None


@dataclass(frozen=True)
class MapView:
    """What the map page shows for one choice: the figure and whether any school has a point."""

    figure: go.Figure
    no_points: bool


def map_view(ev: Evaluation, county: str, year: int, lang: str, scheme: str, stage: str,
             indicator: str, fill: str, color_by: str, failing_only: bool,
             towns: Townships) -> MapView:
    """Return the map of one indicator: townships filled by ``fill`` (see MAP_FILLS), schools
    coloured by ``color_by`` (see SCHOOL_COLORINGS), only the failing ones if ``failing_only``."""
    summary = indicator_summary(ev, county, year, stage, scheme, indicator, lang)
    assert summary is not None  # the page shows a map only for a stage with units
    units = scheme_units(ev, scheme, county, year, stage)
    shown = units[~units["school_pass"].astype(bool)] if failing_only else units
    points = map_schools(shown, indicator, scheme, lang, summary.mean)
    townships = (township_frame(units, indicator, fill, lang, summary.mean, towns.paths)
                 if towns.paths else None)
    bound = maps.deviation_bound(points["deviation"])  # the school colour bar's ± limit
    fig = maps.township_map(
        towns.paths, townships, towns.labels, points, lang=lang, color_by=color_by,
        title=t("app.map.title", lang, name=indicator_label(indicator, lang, short=False),
                stage=t(f"stage.{stage}", lang), mean=summary.mean_text, cv=summary.cv_text),
        township_title=t(f"app.map.colorbar.{fill}", lang, unit=unit_of(indicator, lang)),
        township_percent=fill == "gap",
        deviation_title=t("layout.map.deviation_clamped", lang,
                          title=t(f"app.map.deviation_title.{scheme}", lang),
                          bound=fmt_pct(bound, 0)),
        aspect=map_aspect(latitudes(points, towns.labels)), deviation_limit=bound)
    return MapView(frozen(fig), points.empty)
