"""Page model of the 情景模拟 page, part two: what a scenario changes, without Streamlit.

Two evaluations compared (the snapshot as it is and with a scenario's actions applied): every
CV before → after with the verdicts, each school's changed values, saved scenarios side by
side, and the moves between schools as lines (drawn by :func:`dashboard.ui.maps.flow_map`).  Numbers are shown as the other pages show them
(``dashboard.ui.format``): CVs to the standards' decimals, judged on that value.  No function
changes its inputs.

>>> delta_text(-0.0123), delta_text(0.0002), delta_text(0.0)
('-0.012', '+0.0002', '±0')
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pyarrow as pa

from dashboard.i18n import t
from dashboard.method.coefficients import round_cv
from dashboard.method.engine import Evaluation
from dashboard.method.standards import INDICATORS, SCHEMES, STAGES, scheme_ids
from dashboard.method.verdict import code_key, school_statuses
from dashboard.planning.scenario import Action, MovePupils, Transfer, action_kind
from dashboard.ui import figures
from dashboard.ui.evaluation import indicator_rows, scheme_units
from dashboard.ui.format import (
    DASH,
    RATIO_DECIMALS,
    cv_d3_format,
    cv_decimals,
    display_unit,
    fmt_cv,
    fmt_delta,
    fmt_value,
    html_text,
    indicator_label,
    is_missing,
    is_ratio,
    status_of,
    text_ems,
    wrap_label,
)
from dashboard.ui.frozen import StyledTable, frozen, frozen_table, styled_table
from dashboard.ui.overview import status_cards
from dashboard.ui.scenario_page import describe_action, school_names

__all__ = [
    "MAX_COMPARED",
    "COMPOSITE",
    "delta_text",
    "cv_rows",
    "series_table",
    "coefficient_table",
    "coefficient_display",
    "coefficient_styler",
    "changed_note",
    "VerdictChange",
    "verdict_changes",
    "school_changes",
    "school_change_rows",
    "school_change_widths",
    "value_change_text",
    "compare_display",
    "compare_figure",
    "flow_lines",
    "ScenarioView",
    "scenario_view",
]

MAX_COMPARED: Final = 3  # saved scenarios compared side by side
COMPOSITE: Final = "composite"  # the indicator id of the basic composite CV in these tables
CHANGED_BACKGROUND: Final = "#fff8e1"
# the per-school table's columns fitted to their texts
TABLE_FONT_PX: Final = 14
CELL_PADDING_PX: Final = 28  # a cell's padding and border, and a margin
MIN_CHANGE_WIDTH: Final = 64
STATUS_TEXT_COLOR: Final = {"pass": "#2e7d32", "near": "#ef8f00", "fail": "#c62828"}


def delta_text(delta: float) -> str:
    """Return a change of a CV (ratio) with its sign, to the standards' decimals or as many more
    as make it non-zero ('±0' only when it is none)."""
    return fmt_delta(delta)


# ----------------------------------------------------------------------------- coefficients


def _rows_of(frame: pd.DataFrame, county: str, year: int) -> pd.DataFrame:
    return frame[(frame["county_code"].astype(str) == str(county)) & (frame["year"] == year)]


def cv_rows(ev: Evaluation, county: str, year: int, lang: str) -> pd.DataFrame:
    """Return every CV of one county and year: stage, scheme, indicator (B1–B8, Q1–Q7 and
    'composite' for the basic composite), label, cv (ratio), threshold (quality indicators
    and the composite; NaN for single basic indicators), status ('pass', 'near', 'fail', or
    'none' where no threshold applies to the row)."""
    out = []
    comps = _rows_of(ev.composites, county, year)
    for stage in STAGES:
        for scheme in SCHEMES:
            rows = indicator_rows(ev, county, year, stage, scheme, lang)
            if rows.empty:
                continue
            for r in rows.itertuples(index=False):
                quality = scheme == "quality"
                out.append({"stage": stage, "scheme": scheme, "indicator": r.indicator,
                            "label": r.label, "cv": float(r.cv),
                            "threshold": float(r.threshold) if quality else math.nan,
                            "status": status_of(r.passed, r.near) if quality else "none"})
            if scheme == "basic":
                comp = comps[comps["stage"] == stage]
                if len(comp):
                    c = comp.iloc[0]
                    out.append({"stage": stage, "scheme": scheme, "indicator": COMPOSITE,
                                "label": t("app.fig.composite", lang),
                                "cv": float(c["composite_cv"]), "threshold": float(c["threshold"]),
                                "status": status_of(c["passed"], c["near"])})
    return pd.DataFrame(out, columns=["stage", "scheme", "indicator", "label", "cv", "threshold",
                                      "status"])


def series_table(evaluations: Sequence[tuple[str, Evaluation]], county: str, year: int,
                 lang: str) -> pd.DataFrame:
    """Return :func:`cv_rows` of each (series name, evaluation), stacked with ``series``."""
    frames = [cv_rows(ev, county, year, lang).assign(series=name) for name, ev in evaluations]
    return pd.concat(frames, ignore_index=True)


def coefficient_table(before: Evaluation, after: Evaluation, county: str, year: int,
                      lang: str) -> pd.DataFrame:
    """Return every CV before and after a scenario: stage, scheme, indicator, label, threshold,
    before, after, delta (after − before), status_before, status_after and ``changed`` (the
    3-decimal value or the verdict differs).  A CV that exists on one side only is NaN on the
    other."""
    key = ["stage", "scheme", "indicator"]
    b = cv_rows(before, county, year, lang)
    a = cv_rows(after, county, year, lang)
    m = b.merge(a, on=key, how="outer", suffixes=("_before", "_after"))
    order = {k: i for i, k in enumerate(dict.fromkeys(
        [*b[key].itertuples(index=False, name=None), *a[key].itertuples(index=False, name=None)]))}
    m = m.assign(_order=[order[k] for k in m[key].itertuples(index=False, name=None)])
    m = m.sort_values("_order", kind="stable").reset_index(drop=True)
    m["label"] = m["label_before"].fillna(m["label_after"])
    m["threshold"] = m["threshold_after"].fillna(m["threshold_before"])
    m = m.rename(columns={"cv_before": "before", "cv_after": "after"})
    m["delta"] = m["after"] - m["before"]
    m["status_before"] = m["status_before"].fillna("missing")
    m["status_after"] = m["status_after"].fillna("missing")
    rounded = lambda s: round_cv(s.to_numpy(dtype=float), cv_decimals())  # noqa: E731  as shown
    rb, ra = rounded(m["before"]), rounded(m["after"])
    # a CV undefined on both sides (NaN: no such teacher anywhere) has not changed either
    same = ((rb == ra) | (np.isnan(rb) & np.isnan(ra))) & (m["status_before"] == m["status_after"]).to_numpy()
    m["changed"] = ~same
    return m[[*key, "label", "threshold", "before", "after", "delta", "status_before",
              "status_after", "changed"]].reset_index(drop=True)


def changed_note(lang: str) -> str:
    """Return the note under the coefficient table: what the shaded rows mean (the standards'
    decimals)."""
    return t("scenario.result.changed_note", lang, dp=cv_decimals())


def _status_text(status: str, lang: str) -> str:
    return DASH if status == "none" else t(f"status.{status}", lang)


def coefficient_display(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Return the coefficient table as shown: stage, scheme, indicator, CV before and after
    (3 decimals), change, threshold and both verdicts, under localized headers."""
    return pd.DataFrame({
        t("scenario.col.stage", lang): [t(f"stage.{s}", lang) for s in table["stage"]],
        t("scenario.col.scheme", lang): [t(f"scheme.{s}", lang) for s in table["scheme"]],
        t("scenario.col.indicator", lang): table["label"].to_numpy(),
        t("scenario.col.before", lang): [fmt_cv(v) for v in table["before"]],
        t("scenario.col.after", lang): [fmt_cv(v) for v in table["after"]],
        t("scenario.col.delta", lang): [delta_text(v) for v in table["delta"]],
        t("scenario.col.threshold", lang): [fmt_cv(v) for v in table["threshold"]],
        t("scenario.col.status_before", lang): [_status_text(s, lang) for s in table["status_before"]],
        t("scenario.col.status_after", lang): [_status_text(s, lang) for s in table["status_after"]],
    })


def coefficient_styler(display: pd.DataFrame, table: pd.DataFrame, lang: str) -> StyledTable:
    """Return ``display`` styled: changed rows on a light background, verdicts in colour
    (drawn with a Styler of its own each run: StyledTable)."""
    changed = table["changed"].to_numpy(dtype=bool)
    columns = {t("scenario.col.status_before", lang): table["status_before"].to_numpy(),
               t("scenario.col.status_after", lang): table["status_after"].to_numpy()}

    def paint(row: pd.Series) -> list[str]:
        i = int(row.name)  # type: ignore[arg-type]
        base = f"background-color: {CHANGED_BACKGROUND}" if changed[i] else ""
        out = []
        for column in display.columns:
            style = base
            if column in columns and columns[column][i] in STATUS_TEXT_COLOR:
                style += f"; color: {STATUS_TEXT_COLOR[columns[column][i]]}; font-weight: 600"
            out.append(style)
        return out

    return styled_table(display, lambda styler: styler.apply(paint, axis=1))


@dataclass(frozen=True)
class VerdictChange:
    """One stage × scheme verdict before and after (value: composite or largest CV, ratio)."""

    stage: str
    scheme: str
    label: str
    before: float
    after: float
    after_text: str
    delta_text: str
    status_before: str
    status_after: str
    status_text: str
    failing_units_before: int
    failing_units_after: int
    changed: bool  # the 3-decimal value or the verdict differs
    detail: str = ""  # the verdict after: which components decided it (dashboard.method.verdict)

    @property
    def moved(self) -> bool:
        """Whether the value moved at all (an arrow beside '±0' would say it did)."""
        return self.delta_text != fmt_delta(0.0)


def verdict_changes(before: Evaluation, after: Evaluation, county: str, year: int,
                    lang: str, county_table: pd.DataFrame | None = None) -> list[VerdictChange]:
    """Return the verdict of every stage × scheme present on both sides (status_cards: the
    county's verdict of CV test, school rule and the county items of ``county_table``)."""
    old = {(c.stage, c.scheme): c for c in status_cards(before, county, year, lang, county_table)}
    out = []
    for c in status_cards(after, county, year, lang, county_table):
        b = old.get((c.stage, c.scheme))
        if b is None:
            continue
        text = (c.status_text if b.status == c.status else
                t("scenario.verdict.changed", lang, before=b.status_text, after=c.status_text))
        out.append(VerdictChange(
            stage=c.stage, scheme=c.scheme, label=c.label, before=b.value, after=c.value,
            after_text=c.value_text, delta_text=delta_text(c.value - b.value),
            status_before=b.status, status_after=c.status, status_text=text,
            failing_units_before=b.failing_units, failing_units_after=c.failing_units,
            changed=b.value_text != c.value_text or b.status != c.status, detail=c.detail))
    return out


# ----------------------------------------------------------------------------- schools


def school_changes(before: Evaluation, after: Evaluation, county: str, year: int,
                   scheme: str) -> pd.DataFrame:
    """Return the units of ``scheme`` whose indicator values or school-rule verdict changed:
    unit_id, school_id, school_name, stage, ``<id>_before``/``<id>_after`` for each indicator
    (official units), school_pass_before/after and school_status_before/after (NaN where the
    unit does not exist)."""
    ids = list(scheme_ids(scheme))
    cols = ["unit_id", "school_id", "school_name", "stage", *ids, "school_pass", "school_status"]
    b, a = (scheme_units(ev, scheme, county, year) for ev in (before, after))
    b, a = (u.assign(school_status=school_statuses(u))[cols] for u in (b, a))
    m = b.merge(a, on="unit_id", how="outer", suffixes=("_before", "_after"), sort=True)
    for c in ("school_id", "school_name", "stage"):
        m[c] = m[f"{c}_before"].fillna(m[f"{c}_after"])
    moved = np.zeros(len(m), dtype=bool)
    for i in ids:
        x, y = m[f"{i}_before"].to_numpy(dtype=float), m[f"{i}_after"].to_numpy(dtype=float)
        same = np.isclose(x, y, rtol=1e-12, atol=1e-12) | (np.isnan(x) & np.isnan(y))
        moved |= ~same
    # a unit's status changed, or the unit appeared or went (its status is then NaN)
    moved |= (m["school_status_before"].fillna("") != m["school_status_after"].fillna("")).to_numpy()
    keep = ["unit_id", "school_id", "school_name", "stage",
            *[f"{i}_{side}" for i in ids for side in ("before", "after")],
            "school_pass_before", "school_pass_after", "school_status_before", "school_status_after"]
    order = {s: k for k, s in enumerate(STAGES)}
    out = m.loc[moved, keep]
    return out.sort_values(["stage", "school_name"], key=lambda s: s.map(order) if s.name == "stage"
                           else s, kind="stable").reset_index(drop=True)


def _unit_status_text(status: object, lang: str) -> str:
    """Return a unit's school-rule status as shown (— where the unit does not exist)."""
    return t(f"status.{status}", lang) if isinstance(status, str) else DASH  # NaN: no such unit


_CHANGE_COLUMNS: Final = ("school", "stage", "indicator", "before", "after", "delta")


def school_change_rows(changes: pd.DataFrame, scheme: str, lang: str) -> pd.DataFrame:
    """Return the changed units as shown, one row per unit and changed value: school, stage,
    indicator (with its unit), now, scenario and the change; the unit's school-rule verdict
    last where it changed.  Schools in 学校标识码 order, a school's primary before its junior
    unit; an indicator that did not change is not listed (long form: eleven narrow columns of
    'before → after' were cut at 1440 px)."""
    columns = [t(f"scenario.col.{c}", lang) for c in _CHANGE_COLUMNS]
    order = {s: k for k, s in enumerate(STAGES)}
    ranked = changes.assign(_code=code_key(changes["school_id"]), _stage=changes["stage"].map(order))
    rows = []
    for unit in ranked.sort_values(["_code", "_stage"], kind="stable").to_dict("records"):
        where = [str(unit["school_name"]), t(f"stage.{unit['stage']}", lang)]
        for i in scheme_ids(scheme):
            x, y = unit[f"{i}_before"], unit[f"{i}_after"]
            if not _value_changed(x, y):
                continue
            label = t("app.fig.value_axis", lang, name=indicator_label(i, lang),
                      unit=display_unit(i, lang))  # 师生比: its values read 1 : n
            rows.append([*where, label, fmt_value(x, i, lang, unit=False),
                         fmt_value(y, i, lang, unit=False), value_change_text(x, y, i)])
        bx, by = (_unit_status_text(unit[f"school_status_{side}"], lang) for side in ("before", "after"))
        if bx != by:
            rows.append([*where, t("scenario.col.school_rule", lang), bx, by, DASH])
    return pd.DataFrame(rows, columns=columns)


def _value_changed(x: object, y: object) -> bool:
    """Whether a unit's value changed, as :func:`school_changes` judges it."""
    a, b = (np.nan if is_missing(v) else float(v) for v in (x, y))  # type: ignore[arg-type]
    return not (math.isnan(a) and math.isnan(b)) and not bool(np.isclose(a, b, rtol=1e-12, atol=1e-12))


def value_change_text(before: object, after: object, indicator: str) -> str:
    """Return the change of a value as shown beside it: signed, to the indicator's decimals or
    as many more as make it non-zero; for 师生比 the change of n in '1 : n' (pupils per
    teacher); '—' when either side is missing.  Where the two values differ as shown, the
    change is their shown difference, so a row reads as a subtraction (1 : 9.66 → 1 : 9.84 is
    shown 9.7 → 9.8, change +0.1, not the exact +0.18 rounded to +0.2).

    >>> value_change_text(2357.0, 2338.0, "B3"), value_change_text(1 / 9.4, 1 / 8.8, "B6")
    ('-19', '-0.6')
    >>> value_change_text(8.73, 8.7300004, "B1"), value_change_text(None, 1.0, "B1")
    ('+0.0000004', '—')
    >>> value_change_text(1 / 9.66, 1 / 9.84, "B6")
    '+0.1'
    """
    if is_missing(before) or is_missing(after):
        return DASH
    x, y = float(before), float(after)  # type: ignore[arg-type]
    if is_ratio(indicator):
        if x <= 0 or y <= 0:
            return DASH
        x, y, decimals = 1.0 / x, 1.0 / y, RATIO_DECIMALS
    else:
        decimals = INDICATORS[indicator].decimals
    shown_x, shown_y = float(f"{x:.{decimals}f}"), float(f"{y:.{decimals}f}")
    if shown_x != shown_y:  # rounding is monotone: the same sign as the exact change
        return f"{shown_y - shown_x:+,.{decimals}f}"
    return fmt_delta(y - x, decimals)  # equal as shown: the digits that make it non-zero


def school_change_widths(shown: pd.DataFrame) -> dict[str, int]:
    """Return a pixel width for each column of :func:`school_change_rows` that holds its
    longest text whole, header or cell (text_ems in the table's 14-px type, digits and Latin
    letters counted a little wide).

    >>> school_change_widths(pd.DataFrame({"学校": ["一小"], "Now": ["1 : 9.7"]}))
    {'学校': 64, 'Now': 87}
    """
    return {c: max(MIN_CHANGE_WIDTH, math.ceil(max(text_ems(str(v), 0.6) for v in [c, *shown[c]])
                                               * TABLE_FONT_PX) + CELL_PADDING_PX)
            for c in shown.columns}


# ----------------------------------------------------------------------------- compare


def compare_display(series: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Return one row per stage × scheme × CV and one column per series (3-decimal CV, with the
    verdict where a threshold applies), from :func:`series_table`."""
    names = list(dict.fromkeys(series["series"]))
    key = ["stage", "scheme", "indicator"]
    base = series.drop_duplicates(key)[[*key, "label"]]
    out = pd.DataFrame({
        t("scenario.col.stage", lang): [t(f"stage.{s}", lang) for s in base["stage"]],
        t("scenario.col.scheme", lang): [t(f"scheme.{s}", lang) for s in base["scheme"]],
        t("scenario.col.indicator", lang): base["label"].to_numpy(),
    })
    for name in names:
        part = series[series["series"] == name].set_index(key)
        cells = []
        for k in base[key].itertuples(index=False, name=None):
            if k not in part.index:
                cells.append(DASH)
                continue
            r = part.loc[k]
            text = fmt_cv(r["cv"])
            if r["status"] != "none":
                text += t("scenario.compare.with_status", lang, status=t(f"status.{r['status']}", lang))
            cells.append(text)
        out[name] = cells
    return out


def compare_figure(series: pd.DataFrame, stage: str, scheme: str, lang: str) -> go.Figure:
    """Return grouped bars: the CVs (ratio) of one stage and scheme, one bar per series (the
    snapshot as it is first), with the threshold line (quality: each CV's; basic: the
    composite's, the composite drawn as the last group).  Values are written on the bars of
    up to two series (more would overlap; hover shows them)."""
    part = series[(series["stage"] == stage) & (series["scheme"] == scheme)]
    names = list(dict.fromkeys(part["series"]))
    colors = figures.SERIES_COLORS
    data = []
    for k, name in enumerate(names):
        rows = part[part["series"] == name]
        data.append({
            "type": "bar", "x": [wrap_label(x, lang) for x in rows["label"]],
            "y": rows["cv"], "name": html_text(name), "text": [fmt_cv(v) for v in rows["cv"]],
            "textposition": "outside" if len(names) <= 2 else "none",  # more would overlap
            "marker": {"color": colors[k % len(colors)]}, "cliponaxis": False,
            "customdata": rows["label"],
            "hovertemplate": "%{customdata}<br>" + html_text(name) + " %{y:" + cv_d3_format() + "}<extra></extra>"})
    title = t("scenario.fig.compare_title", lang, stage=t(f"stage.{stage}", lang),
              scheme=t(f"scheme.{scheme}", lang))
    thresholds = part["threshold"].dropna()
    top = float(part["cv"].max()) if len(part) else 1.0
    lines = []
    if len(thresholds):
        value = float(thresholds.iloc[0])
        key = "app.fig.threshold_each" if scheme == "quality" else "app.fig.threshold_composite"
        lines.append(figures.hline(value, t(key, lang, value=fmt_cv(value)),
                                   figures.THRESHOLD_COLOR))
        top = max(top, value)
    return figures.figure(data, figures.layout(
        title, height=420, lines=lines, barmode="group",
        xaxis={"title": {"text": None}, "tickangle": 0, "tickfont": {"size": 10.5}},
        yaxis={"title": {"text": t("app.fig.cv_axis", lang)}, "range": [0, top * 1.25],
               "tickformat": ".2f"}))


# ----------------------------------------------------------------------------- map


def flow_lines(actions: Sequence[Action], schools: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Return one line per teacher transfer or pupil move between two located schools:
    number (1-based action), kind, stage, from/to ids and names, lon0, lat0, lon1, lat1
    (WGS 84 degrees), count (head count) and hover text."""
    cols = ["number", "kind", "stage", "from_id", "to_id", "from_name", "to_name",
            "lon0", "lat0", "lon1", "lat1", "count", "hover"]
    where = schools.assign(_id=schools["school_id"].astype(str)).set_index("_id")
    names = school_names(schools)
    hover_names = {k: html_text(v) for k, v in names.items()}  # Plotly text: no markup
    rows = []
    for number, action in enumerate(actions, start=1):
        if not isinstance(action, (Transfer, MovePupils)):
            continue
        a, b = str(action.from_school_id), str(action.to_school_id)
        if a not in where.index or b not in where.index:
            continue
        p, q = where.loc[a], where.loc[b]
        if pd.isna([p["longitude"], p["latitude"], q["longitude"], q["latitude"]]).any():
            continue
        rows.append({"number": number, "kind": action_kind(action), "stage": action.stage,
                     "from_id": a, "to_id": b, "from_name": names[a], "to_name": names[b],
                     "lon0": float(p["longitude"]), "lat0": float(p["latitude"]),
                     "lon1": float(q["longitude"]), "lat1": float(q["latitude"]),
                     "count": int(action.count),
                     "hover": t("scenario.map.hover", lang, number=number,
                                action=describe_action(action, hover_names, lang))})
    return pd.DataFrame(rows, columns=cols)


# ----------------------------------------------------------------------------- the whole view


@dataclass(frozen=True, eq=False)
class ScenarioView:
    """What the page shows of a scenario's results, made once per snapshot content, actions,
    choices and language (the page caches it: a rerun that changed a widget elsewhere, a
    second screen on the same scenario, only draws it)."""

    changes: list[VerdictChange]
    coefficients: StyledTable  # the CVs before and after, styled (coefficient_styler)
    figure: go.Figure  # the CVs compared (compare_figure)
    schools: pa.Table | pd.DataFrame | None  # school_change_rows as sent; None: none changed
    school_widths: dict[str, int]
    lines: pd.DataFrame  # flow_lines


def scenario_view(before: Evaluation, after: Evaluation, actions: Sequence[Action],
                  schools: pd.DataFrame, county: str, year: int, scheme: str, stage: str,
                  lang: str, county_table: pd.DataFrame | None) -> ScenarioView:
    """Return the results of a scenario (``after``: the evaluation with ``actions`` applied)."""
    table = coefficient_table(before, after, county, year, lang)
    display = coefficient_display(table, lang)
    series = series_table([(t("scenario.series.now", lang), before),
                           (t("scenario.series.scenario", lang), after)], county, year, lang)
    moved = school_changes(before, after, county, year, scheme)
    shown = school_change_rows(moved, scheme, lang)
    return ScenarioView(
        changes=verdict_changes(before, after, county, year, lang, county_table),
        coefficients=coefficient_styler(display, table, lang),
        figure=frozen(compare_figure(series, stage, scheme, lang)),
        schools=None if moved.empty else frozen_table(shown), school_widths=school_change_widths(shown),
        lines=flow_lines(actions, schools, lang))
