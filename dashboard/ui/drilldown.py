"""Page model of 指标诊断 (drill-down): every unit's value of one indicator, sorted, with its share
of the weighted variance and the CV "if this school stood at the county mean"; the units
contributing most; and the units failing the school rule, for display and download.  The
indicator's key figures are :func:`dashboard.ui.evaluation.indicator_summary`.  No Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.i18n import t
from dashboard.method.engine import Evaluation
from dashboard.method.gaps import urban_rural_class
from dashboard.method.standards import INDICATORS
from dashboard.ui import figures
from dashboard.ui.evaluation import (
    IndicatorSummary,
    indicator_rows,
    indicator_summary,
    scheme_units,
    school_rule_size,
)
from dashboard.ui.format import (
    display_unit,
    failing_names,
    fmt_cv,
    fmt_number,
    fmt_pct,
    fmt_value,
    html_text,
    indicator_label,
    unit_of,
)
from dashboard.ui.frozen import frozen

__all__ = ["TOP_CONTRIBUTORS", "verdict_indicator", "default_indicator", "drill_units",
           "top_contributors", "contribution_table", "failing_table", "failing_screen_columns", "failing_formats",
           "failing_widths",
           "DrillView", "drill_view"]

# Columns of the failing table kept for the downloads only: the page shows the chosen stage,
# and the school id helps a spreadsheet, not a reader (the table then fits beside the sidebar).
_DOWNLOAD_ONLY: Final = ("id", "stage")
# Pixel widths of the failing table's columns on screen: 940 px in all, what a table has beside
# the sidebar in a 1440-px window; sized by their headers, they overflowed it and the failing
# items were cut at the window's edge.  The items' column takes the rest (short names).
_FAILING_WIDTHS: Final = {"school": 140, "township": 80, "ur": 70, "students": 70, "value": 110,
                          "meets": 90, "failing": 380}

TOP_CONTRIBUTORS: Final = 10  # units listed as contributing most to a CV


def verdict_indicator(rows: pd.DataFrame) -> str | None:
    """Return the indicator that decides the verdict among ``rows`` (as from
    :func:`dashboard.ui.evaluation.indicator_rows`): the failing one with the highest CV, else
    the one with the highest CV (None when there are no rows or no CV)."""
    rows = rows.dropna(subset=["cv"]) if "cv" in rows.columns else rows.iloc[0:0]
    if rows.empty:
        return None
    failing = rows[rows["status"] == "fail"]
    pool = failing if not failing.empty else rows
    return str(pool.sort_values("cv", ascending=False, kind="stable")["indicator"].iloc[0])


def default_indicator(ev: Evaluation, county: str, year: int, stage: str, scheme: str,
                      lang: str) -> str | None:
    """Return the indicator the drill-down opens on when none is chosen (see
    :func:`verdict_indicator`)."""
    return verdict_indicator(indicator_rows(ev, county, year, stage, scheme, lang))


def drill_units(units: pd.DataFrame, indicator: str, scheme: str, lang: str) -> pd.DataFrame:
    """Return the units sorted by value (ascending) with share of variance, CV-if-at-mean,
    below-standard flag (quality) and hover text; plus display columns for a table.
    """
    cols = ["school_id", "unit_id", "school_name", "value", "students", "share", "cvifmean",
            "below", "hover"]
    if units.empty:
        return pd.DataFrame(columns=cols)
    u = units.sort_values(indicator, kind="stable")
    below = (u[f"ratio_{indicator}"].astype(float) < 1).to_numpy() if (
        scheme == "quality" and f"ratio_{indicator}" in u.columns) else np.zeros(len(u), bool)
    out = pd.DataFrame({
        "school_id": u["school_id"].astype(str).to_numpy(), "unit_id": u["unit_id"].to_numpy(),
        "school_name": u["school_name"].to_numpy(), "value": u[indicator].astype(float).to_numpy(),
        "students": u["students"].astype(float).to_numpy(),
        "share": u[f"share_{indicator}"].astype(float).to_numpy(),
        "cvifmean": u[f"cvifmean_{indicator}"].astype(float).to_numpy(), "below": below})
    out["hover"] = [
        t("app.drill.hover", lang, school=html_text(n), value=fmt_value(v, indicator, lang),
          students=fmt_number(s, 0), share=fmt_pct(sh, 1), cv=fmt_cv(c))
        for n, v, s, sh, c in zip(out["school_name"], out["value"], out["students"],
                                  out["share"], out["cvifmean"], strict=True)]
    return out


def top_contributors(drill: pd.DataFrame, n: int = TOP_CONTRIBUTORS) -> pd.DataFrame:
    """Return the ``n`` units with the largest share of the weighted variance, largest first."""
    return drill.sort_values("share", ascending=False, kind="stable").head(n)


def contribution_table(drill: pd.DataFrame, indicator: str, lang: str,
                       n: int = TOP_CONTRIBUTORS) -> pd.DataFrame:
    """Return the ``n`` units contributing most to the CV, with localized headers."""
    top = drill.sort_values("share", ascending=False).head(n)
    return pd.DataFrame({
        t("app.drill.col.school", lang): top["school_name"].to_numpy(),
        t("app.drill.col.value", lang, unit=display_unit(indicator, lang)):
            [fmt_value(v, indicator, lang, unit=False) for v in top["value"]],
        t("app.drill.col.students", lang): [fmt_number(s, 0) for s in top["students"]],
        t("app.drill.col.share", lang): [fmt_pct(s, 1) for s in top["share"]],
        t("app.drill.col.cvifmean", lang): [fmt_cv(c) for c in top["cvifmean"]],
    })


def _failing_columns(scheme: str, indicator: str, lang: str) -> dict[str, str]:
    return {
        "school": t("app.drill.col.school", lang), "id": t("app.drill.col.school_id", lang),
        "township": t("app.drill.col.township", lang), "ur": t("app.drill.col.urban_rural", lang),
        "stage": t("app.drill.col.stage", lang), "students": t("app.drill.col.students", lang),
        "value": t("app.drill.col.indicator_value", lang, name=indicator_label(indicator, lang),
                   unit=unit_of(indicator, lang)),
        "meets": t("app.drill.col.meets", lang, n=school_rule_size(scheme)),
        "failing": t("app.drill.col.failing", lang),
    }


def failing_screen_columns(scheme: str, indicator: str, lang: str) -> list[str]:
    """Return the headers of :func:`failing_table` shown on screen (the downloads keep all)."""
    return [h for k, h in _failing_columns(scheme, indicator, lang).items() if k not in _DOWNLOAD_ONLY]


def failing_widths(scheme: str, indicator: str, lang: str) -> dict[str, int]:
    """Return the pixel width of each column of :func:`failing_table` shown on screen.

    >>> sum(failing_widths("basic", "B2", "en").values())
    940
    """
    cols = _failing_columns(scheme, indicator, lang)
    return {cols[k]: w for k, w in _FAILING_WIDTHS.items()}


def failing_formats(scheme: str, indicator: str, lang: str) -> dict[str, str]:
    """Return the number formats of :func:`failing_table`'s numeric columns on screen, as the
    contributions table shows the same figures (pupils with thousands separators, the value to
    the indicator's decimals); the downloads keep plain numbers."""
    cols = _failing_columns(scheme, indicator, lang)
    return {cols["students"]: "localized", cols["value"]: f"%.{INDICATORS[indicator].decimals}f"}


def failing_table(units: pd.DataFrame, scheme: str, indicator: str, lang: str, *,
                  short: bool = False) -> pd.DataFrame:
    """Return the units failing the school rule, with localized (Chinese) headers, for display
    and download: school, id, township, 城乡, stage, pupils, the indicator's value, met count,
    failing indicators (``short``: by their short names, for the screen; the downloads keep
    the official names).
    """
    failing = units[~units["school_pass"].astype(bool)] if not units.empty else units
    cols = _failing_columns(scheme, indicator, lang)
    if failing.empty:
        return pd.DataFrame(columns=list(cols.values()))
    failing = failing.sort_values(["meets", indicator], kind="stable")
    groups = urban_rural_class(failing["urban_rural_code"].to_numpy())
    decimals = INDICATORS[indicator].decimals
    return pd.DataFrame({
        cols["school"]: failing["school_name"].to_numpy(),
        cols["id"]: failing["school_id"].astype(str).to_numpy(),
        cols["township"]: failing["township"].to_numpy(),
        cols["ur"]: [t(f"urban_rural.{g}", lang) for g in groups],
        cols["stage"]: [t(f"stage.{s}", lang) for s in failing["stage"]],
        cols["students"]: failing["students"].astype(int).to_numpy(),
        cols["value"]: failing[indicator].astype(float).round(decimals).to_numpy(),
        cols["meets"]: failing["meets"].astype(int).to_numpy(),
        cols["failing"]: [failing_names(f, scheme, lang, short=short) for f in failing["failing"]],
    })


@dataclass(frozen=True)
class DrillView:
    """What the drill-down shows for one indicator: key figures, the values chart, the
    contributions (chart and table), the failing units (table, headers shown on screen)."""

    summary: IndicatorSummary
    values_figure: go.Figure
    contribution_figure: go.Figure
    contributions: pd.DataFrame
    failing: pd.DataFrame  # downloaded: the failing items by their official names
    failing_screen: pd.DataFrame  # shown: the same rows, the items by their short names
    failing_shown: list[str]
    failing_formats: dict[str, str]  # header -> number format on screen (the table above's)
    failing_widths: dict[str, int]  # header -> pixel width on screen (the table fits the page)
    # the county mean's card: the unit in the label, the bare figure as the value (a figure
    # with its unit, "10.94 m²/pupil", was cut to "10.94 m²/p…" in a quarter of 1440 px)
    mean_label: str = ""
    mean_value: str = ""


def drill_view(ev: Evaluation, county: str, year: int, lang: str, scheme: str, stage: str,
               indicator: str) -> DrillView:
    """Return the drill-down of ``indicator`` (see :class:`DrillView`)."""
    summary = indicator_summary(ev, county, year, stage, scheme, indicator, lang)
    assert summary is not None  # the page shows a drill-down only for a stage with units
    units = scheme_units(ev, scheme, county, year, stage)
    drill = drill_units(units, indicator, scheme, lang)
    top = top_contributors(drill)
    return DrillView(
        summary=summary,
        values_figure=frozen(figures.drill_values(drill, indicator, lang, summary.mean, summary.minimum)),
        contribution_figure=frozen(figures.contribution_bars(top, indicator, lang)),
        contributions=contribution_table(top, indicator, lang),
        failing=failing_table(units, scheme, indicator, lang),
        failing_screen=failing_table(units, scheme, indicator, lang, short=True),
        failing_shown=failing_screen_columns(scheme, indicator, lang),
        failing_formats=failing_formats(scheme, indicator, lang),
        failing_widths=failing_widths(scheme, indicator, lang),
        mean_label=t("journey.drill.mean", lang, unit=display_unit(indicator, lang)),
        mean_value=fmt_value(summary.mean, indicator, lang, unit=False))
