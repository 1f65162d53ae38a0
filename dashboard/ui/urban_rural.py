"""Page model of 城乡差距 (urban–rural): per indicator the weighted means of 城区/镇区/乡村, their
ratios, each group's CV and the Theil split; per-unit values by group; the groups' means over
the years.  No Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.i18n import t
from dashboard.method.engine import Evaluation
from dashboard.method.gaps import (
    URBAN_RURAL_CLASSES,
    group_ratios,
    group_table,
    theil_table,
    urban_rural_class,
)
from dashboard.method.standards import scheme_ids
from dashboard.ui import figures
from dashboard.ui.evaluation import indicator_summary
from dashboard.ui.format import (
    display_unit,
    fmt_cv,
    fmt_number,
    fmt_pct,
    fmt_value,
    html_text,
    indicator_label,
)
from dashboard.ui.frozen import frozen

__all__ = ["urban_rural_table", "table_parts", "TABLE_PARTS", "theil_frame", "group_units", "group_trend",
           "UrbanRuralCharts", "urban_rural_charts", "GroupTrendView", "group_trend_view"]

RATIO_NUMERATORS = ("urban", "town")  # each set against 乡村 (rural)
THEIL_DECIMALS = 4


def _group_row(ind: str, sub: pd.DataFrame, ratios: dict[str, pd.Series], theil: pd.DataFrame,
               lang: str) -> dict[str, object]:
    """One indicator's row of the urban–rural table (``sub``: its group_table rows by group)."""
    g = {c: t(f"urban_rural.{c}", lang) for c in URBAN_RURAL_CLASSES}
    row: dict[str, object] = {t("app.ur.col.indicator", lang): t(  # 师生比's means read 1 : n
        "app.fig.value_axis", lang, name=indicator_label(ind, lang), unit=display_unit(ind, lang))}
    for c in URBAN_RURAL_CLASSES:
        mean = sub["mean"].get(c, np.nan) if c in sub.index else np.nan
        row[t("app.ur.col.mean", lang, group=g[c])] = fmt_value(mean, ind, lang, unit=False)
    for num in RATIO_NUMERATORS:
        r = ratios[num].get(ind, np.nan)
        row[t("app.ur.col.ratio", lang, a=g[num], b=g["rural"])] = fmt_number(r, 2)
    for c in URBAN_RURAL_CLASSES:
        cv = sub["cv"].get(c, np.nan) if c in sub.index else np.nan
        row[t("app.ur.col.cv", lang, group=g[c])] = fmt_cv(cv)
    th = theil.loc[ind] if ind in theil.index else None
    row[t("app.ur.col.theil", lang)] = fmt_number(th["theil"] if th is not None else np.nan,
                                                  THEIL_DECIMALS)
    row[t("app.ur.col.between_share", lang)] = fmt_pct(
        th["between_share"] if th is not None else np.nan, 0)
    return row


def urban_rural_table(units: pd.DataFrame, scheme: str, lang: str) -> pd.DataFrame:
    """Return per indicator: weighted mean of 城区/镇区/乡村 (with unit), ratios to 乡村, each
    group's CV and the Theil index with its between/within split, under localized headers.
    """
    ids = list(scheme_ids(scheme))
    if units.empty:
        return pd.DataFrame()
    table = group_table(units, ids)
    ratios = {num: group_ratios(table, num, "rural").set_index("indicator")["ratio"]
              for num in RATIO_NUMERATORS}
    theil = theil_table(units, ids).set_index("indicator")
    return pd.DataFrame([
        _group_row(ind, table[table["indicator"] == ind].set_index("group"), ratios, theil, lang)
        for ind in ids])


TABLE_PARTS = ("means", "spread")  # the urban–rural table in two tabs: each fits the page


def table_parts(frame: pd.DataFrame) -> dict[str, list[str]]:
    """Return the columns of each part of :func:`urban_rural_table` (the indicator first in
    both): 'means' the groups' means and ratios, 'spread' their CVs and the Theil split.  All
    eleven side by side overflowed a 1440-px window.

    >>> table_parts(pd.DataFrame(columns=list("abcdefghijk")))["spread"]
    ['a', 'g', 'h', 'i', 'j', 'k']
    """
    cols = list(frame.columns)
    split = 1 + len(URBAN_RURAL_CLASSES) + len(RATIO_NUMERATORS)
    return {"means": cols[:split], "spread": cols[:1] + cols[split:]}


def theil_frame(units: pd.DataFrame, scheme: str, lang: str) -> pd.DataFrame:
    """Return per indicator: label, theil, between, within, between_share (城区/镇区/乡村)."""
    cols = ["indicator", "label", "theil", "between", "within", "between_share"]
    if units.empty:
        return pd.DataFrame(columns=cols)
    th = theil_table(units, list(scheme_ids(scheme)))
    return th.assign(label=[indicator_label(i, lang) for i in th["indicator"]])[cols].reset_index(drop=True)


def group_units(units: pd.DataFrame, indicator: str, lang: str) -> pd.DataFrame:
    """Return per unit: group (urban/town/rural), group label, value, students, name, hover."""
    cols = ["group", "group_label", "value", "students", "school_name", "hover"]
    if units.empty:
        return pd.DataFrame(columns=cols)
    group = urban_rural_class(units["urban_rural_code"].to_numpy())
    out = pd.DataFrame({
        "group": pd.Categorical(group, categories=URBAN_RURAL_CLASSES, ordered=True),
        "group_label": [t(f"urban_rural.{g}", lang) for g in group],
        "value": units[indicator].astype(float).to_numpy(),
        "students": units["students"].astype(float).to_numpy(),
        "school_name": units["school_name"].to_numpy(),
    })
    out["hover"] = [f"{html_text(n)}<br>{fmt_value(v, indicator, lang)} · {fmt_number(s, 0)} "
                    f"{t('app.unit.pupils', lang)}"
                    for n, v, s in zip(out["school_name"], out["value"], out["students"], strict=True)]
    return out.sort_values("group", kind="stable").reset_index(drop=True)


def group_trend(history: Evaluation | None, scheme: str, county: str, stage: str,
                indicator: str, lang: str) -> pd.DataFrame:
    """Return year, group, group_label, mean (weighted, indicator unit) over the years."""
    cols = ["year", "group", "group_label", "mean"]
    if history is None:
        return pd.DataFrame(columns=cols)
    units = history.units[scheme]
    units = units[(units["county_code"].astype(str) == str(county)) & (units["stage"] == stage)]
    if units.empty:
        return pd.DataFrame(columns=cols)
    table = group_table(units, [indicator])
    table = table[table["units"] > 0]
    return pd.DataFrame({
        "year": table["year"].astype(int), "group": table["group"].astype(str),
        "group_label": [t(f"urban_rural.{g}", lang) for g in table["group"].astype(str)],
        "mean": table["mean"]}).reset_index(drop=True)


@dataclass(frozen=True)
class UrbanRuralCharts:
    """The page's two charts of one indicator: the values by group and the Theil split."""

    box: go.Figure
    theil: go.Figure


def urban_rural_charts(ev: Evaluation, units: pd.DataFrame, county: str, year: int, stage: str,
                       scheme: str, indicator: str, lang: str) -> UrbanRuralCharts:
    """Return the charts of ``indicator`` over ``units`` (one county, year and stage), built once
    for a cached view (dashboard.ui.cache.page_view)."""
    summary = indicator_summary(ev, county, year, stage, scheme, indicator, lang)
    assert summary is not None  # the page draws charts only for a stage with units
    box = figures.group_box(group_units(units, indicator, lang), indicator, lang, summary.mean,
                            summary.minimum)
    return UrbanRuralCharts(frozen(box), frozen(figures.theil_bars(theil_frame(units, scheme, lang), lang)))


@dataclass(frozen=True)
class GroupTrendView:
    """The groups' means over the years: the table, fewer than two years, the figure (None: no year)."""

    table: pd.DataFrame
    one_year: bool
    figure: go.Figure | None


def group_trend_view(history: Evaluation | None, scheme: str, county: str, stage: str,
                     indicator: str, lang: str) -> GroupTrendView:
    """Return the trend of the groups' means (see :func:`group_trend`) with its figure."""
    trend = group_trend(history, scheme, county, stage, indicator, lang)
    fig = None if trend.empty else frozen(figures.group_trend_figure(trend, indicator, lang))
    return GroupTrendView(trend, trend["year"].nunique() < 2, fig)
