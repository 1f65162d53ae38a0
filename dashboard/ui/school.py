"""Page model of 学校档案 (school profile): the school picker, one school's values against the
county mean and the national minimums, its school-rule verdicts, its history over the years
and where it is.  No Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pyarrow as pa

from dashboard.i18n import t
from dashboard.method.engine import Evaluation
from dashboard.method.gaps import urban_rural_class
from dashboard.method.standards import INDICATORS, STAGES, province_profile, scheme_ids
from dashboard.method.verdict import school_statuses
from dashboard.store.contract import enum_labels
from dashboard.ui.evaluation import indicator_rows, scheme_units, school_rule_size
from dashboard.ui.figures import (
    MEAN_COLOR,
    NEUTRAL,
    STATUS_COLORS,
    THRESHOLD_COLOR,
    figure,
    layout,
    school_history_figure,
)
from dashboard.ui.format import (
    DASH,
    SCHOOL_STATUS_COLOURS,
    fmt_number,
    fmt_pct,
    fmt_value,
    html_text,
    indicator_label,
    is_missing,
    unit_status_detail,
    wrap_label,
)
from dashboard.ui.frozen import frozen, frozen_table

__all__ = [
    "SchoolHead",
    "school_head",
    "ProfileView",
    "profile_view",
    "HistoryView",
    "history_view",
    "school_options",
    "default_school",
    "option_labels",
    "school_name",
    "school_stages",
    "Location",
    "school_location",
    "school_facts",
    "facts_markdown",
    "standard_minimum",
    "school_profile",
    "profile_figure",
    "no_minimum_note",
    "profile_display",
    "school_verdicts",
    "verdict_markdown",
    "school_history",
    "history_display",
]

EN_TICK_WIDTH: Final = 9  # characters of an English tick line under the profile's bars
PROFILE_COLUMNS = ["indicator", "label", "tick", "value", "value_text", "mean", "mean_text",
                   "minimum", "minimum_text", "pct_mean", "pct_minimum", "minimum_pct_mean",
                   "meets"]
FACT_STAGES = ("primary", "junior", "senior")  # pupils of a 完全中学's senior stage are facts too


def school_options(ev: Evaluation, county: str, year: int) -> pd.DataFrame:
    """Return school_id, school_name, label of every school with a unit in any scheme."""
    frames = [scheme_units(ev, s, county, year)[["school_id", "school_name", "township"]]
              for s in ev.units]
    allu = pd.concat(frames, ignore_index=True).drop_duplicates("school_id")
    allu = allu.assign(school_id=allu["school_id"].astype(str))
    allu["label"] = allu["school_name"].astype(str) + " · " + allu["township"].astype(str)
    return allu.sort_values(["township", "school_name"]).reset_index(drop=True)


def default_school(ev: Evaluation, scheme: str, county: str, year: int, stage: str) -> str | None:
    """Return the school the profile opens with: the unit meeting fewest indicators of the
    school rule in ``scheme`` and ``stage`` (the biggest such school), else the first school.
    """
    units = scheme_units(ev, scheme, county, year, stage)
    if units.empty:
        options = school_options(ev, county, year)
        return None if options.empty else str(options["school_id"].iloc[0])
    worst = units.sort_values(["school_pass", "meets", "students"], ascending=[True, True, False])
    return str(worst["school_id"].iloc[0])


def option_labels(options: pd.DataFrame) -> dict[str, str]:
    """Return school_id → label of the school picker (:func:`school_options`)."""
    return dict(zip(options["school_id"].astype(str), options["label"], strict=True))


def school_name(options: pd.DataFrame, school_id: str) -> str:
    """Return the name of ``school_id`` among the picker's options ('' when absent)."""
    hit = options[options["school_id"].astype(str) == str(school_id)]
    return str(hit["school_name"].iloc[0]) if len(hit) else ""


def school_stages(ev: Evaluation, scheme: str, school_id: str, county: str, year: int) -> list[str]:
    """Return the stages in which the school is a unit of ``scheme`` (primary first)."""
    units = scheme_units(ev, scheme, county, year)
    have = set(units.loc[units["school_id"].astype(str) == str(school_id), "stage"])
    return [s for s in STAGES if s in have]


@dataclass(frozen=True)
class Location:
    """Where a school is: WGS 84 longitude and latitude (degrees)."""

    lon: float
    lat: float


def school_location(schools: pd.DataFrame, school_id: str) -> Location | None:
    """Return the school's location from the schools table, or None when unknown."""
    hit = schools[schools["school_id"].astype(str) == str(school_id)]
    if hit.empty or is_missing(hit["longitude"].iloc[0]) or is_missing(hit["latitude"].iloc[0]):
        return None
    return Location(float(hit["longitude"].iloc[0]), float(hit["latitude"].iloc[0]))


def _num(row: pd.Series, column: str) -> float:
    value = pd.to_numeric(row.get(column), errors="coerce")
    return 0.0 if is_missing(value) else float(value)


def _per_stage(row: pd.Series, prefix: str, lang: str, stages: tuple[str, ...]) -> str:
    parts = [(s, _num(row, f"{prefix}_{s}")) for s in stages if f"{prefix}_{s}" in row.index]
    parts = [(s, v) for s, v in parts if v > 0]
    if not parts:
        return DASH
    return t("deadends.school.sep", lang).join(
        t("deadends.school.per_stage", lang, n=fmt_number(v, 0),
          stage=t("deadends.school.senior" if s == "senior" else f"stage.{s}", lang))
        for s, v in parts)


def school_facts(schools: pd.DataFrame, school_id: str, lang: str) -> list[tuple[str, str]]:
    """Return the school's basic facts as (label, text): type, 城乡 class, classes, full-time
    teachers and pupils per stage, boarders (empty when the school is not in ``schools``)."""
    hit = schools[schools["school_id"].astype(str) == str(school_id)]
    if hit.empty:
        return []
    r = hit.iloc[0]
    kind = enum_labels("school_type", lang).get(r.get("school_type"), DASH)
    code = pd.to_numeric(r.get("urban_rural_code"), errors="coerce")
    try:
        group = t(f"urban_rural.{urban_rural_class([code])[0]}", lang)
        area = t("deadends.school.urban_rural_value", lang, group=group,
                 code=enum_labels("urban_rural_code", lang).get(int(code), str(code)))
    except (ValueError, TypeError):
        area = DASH
    return [
        (t("deadends.school.fact.type", lang), kind),
        (t("deadends.school.fact.urban_rural", lang), area),
        (t("deadends.school.fact.classes", lang), _per_stage(r, "classes", lang, STAGES)),
        (t("deadends.school.fact.teachers", lang), _per_stage(r, "teachers", lang, STAGES)),
        (t("deadends.school.fact.pupils", lang), _per_stage(r, "students", lang, FACT_STAGES)),
        (t("deadends.school.fact.boarders", lang), fmt_number(_num(r, "boarders"), 0)),
    ]


def facts_markdown(facts: list[tuple[str, str]], lang: str) -> str:
    """Return the school's facts (:func:`school_facts`) as one Markdown line."""
    return t("deadends.school.fact_sep", lang).join(
        t("deadends.school.fact_line", lang, label=label, text=text) for label, text in facts)


def standard_minimum(indicator: str, scheme: str, stage: str) -> float:
    """Return the minimum a school must reach on ``indicator`` (NaN when there is none).

    Quality: the national minimum per stage.  Basic: the provincial profile's figure for the
    same per-pupil ratio (a pupils-per-teacher maximum read as teachers per pupil), where the
    profile has one.
    """
    if scheme == "quality":
        found = INDICATORS[indicator].minimum(stage)
        return np.nan if found is None else float(found)
    spec = INDICATORS[indicator]
    for rule in province_profile().indicators:
        kind, figure_ = rule.get("kind"), rule.get(stage)
        if not isinstance(figure_, int | float):
            continue
        if (kind == "ratio_min" and rule.get("numerator") == spec.numerator
                and rule.get("denominator") == "students"
                and float(rule.get("scale", 1)) == float(spec.scale)):
            return float(figure_)
        if (kind == "ratio_max" and rule.get("numerator") == "students"
                and rule.get("denominator") == spec.numerator and float(spec.scale) == 1.0
                and figure_ > 0):
            return 1.0 / float(figure_)
    return np.nan


def _profile_row(ind: str, value: float, mean: float, minimum: float, lang: str) -> dict:
    has_minimum = not is_missing(minimum)
    return {"indicator": ind, "label": indicator_label(ind, lang),
            # English ticks sit level in about 60 px each: "Sports area" beside "Equipment"
            # ran together as "Sports areaEquipment" at 11 characters a line
            "tick": wrap_label(indicator_label(ind, lang), lang, EN_TICK_WIDTH if lang == "en" else None),
            "value": value,
            "value_text": fmt_value(value, ind, lang), "mean": mean,
            "mean_text": fmt_value(mean, ind, lang), "minimum": minimum,
            "minimum_text": fmt_value(minimum, ind, lang) if has_minimum
            else t("deadends.school.no_minimum", lang),
            "pct_mean": value / mean if mean else np.nan,
            "pct_minimum": value / minimum if has_minimum else np.nan,
            "minimum_pct_mean": minimum / mean if mean and has_minimum else np.nan,
            "meets": bool(value >= minimum) if has_minimum else None}


def school_profile(ev: Evaluation, scheme: str, school_id: str, county: str, year: int,
                   stage: str, lang: str) -> pd.DataFrame:
    """Return per indicator the school's value, the county mean, the standard's minimum
    (:func:`standard_minimum`), the value as a share of the mean and of the minimum, and
    display texts.
    """
    units = scheme_units(ev, scheme, county, year, stage)
    unit = units[units["school_id"].astype(str) == str(school_id)]
    if unit.empty:
        return pd.DataFrame(columns=PROFILE_COLUMNS)
    u = unit.iloc[0]
    means = indicator_rows(ev, county, year, stage, scheme, lang).set_index("indicator")["mean"]
    rows = [_profile_row(ind, float(u[ind]), float(means.get(ind, np.nan)),
                         standard_minimum(ind, scheme, stage), lang)
            for ind in scheme_ids(scheme)]
    return pd.DataFrame(rows, columns=PROFILE_COLUMNS)


def no_minimum_note(profile: pd.DataFrame, scheme: str, lang: str) -> str:
    """Return the note naming the indicators the standard sets no minimum for ('' if none)."""
    missing = profile.loc[profile["minimum"].isna(), "indicator"] if len(profile) else []
    if len(missing) == 0:
        return ""
    names = t("deadends.school.sep", lang).join(indicator_label(i, lang) for i in missing)
    return t(f"deadends.school.no_minimum_note.{scheme}", lang, names=names)


def profile_figure(profile: pd.DataFrame, scheme: str, lang: str, school_name: str) -> go.Figure:
    """Return the school's value, the county mean and the standard's minimum of each indicator,
    as percentages of the county mean (the indicators' units differ), with a legend.

    Bars: the school (green/red where a minimum exists and is met or not); a dark tick: the
    county mean (100 %); a red tick: the minimum (quality: national; basic: provincial).
    """
    colors = [NEUTRAL if m is None or is_missing(m) else STATUS_COLORS["pass" if m else "fail"]
              for m in profile["meets"]]
    tick = {"symbol": "line-ew-open", "size": 28}
    has_min = profile["minimum"].notna()
    data = [
        {"type": "bar", "x": profile["tick"], "y": profile["pct_mean"], "marker": {"color": colors},
         "name": t("app.fig.school_value", lang),
         "customdata": profile[["label", "value_text"]].to_numpy(),
         "hovertemplate": "%{customdata[0]}<br>%{customdata[1]} · %{y:.0%}<extra></extra>"},
        {"type": "scatter", "mode": "markers", "x": profile["tick"], "y": [1.0] * len(profile),
         "name": t("deadends.school.legend.mean", lang),
         "marker": {**tick, "color": MEAN_COLOR, "line": {"width": 3, "color": MEAN_COLOR}},
         "customdata": profile[["label", "mean_text"]].to_numpy(),
         "hovertemplate": "%{customdata[0]}<br>%{customdata[1]} · 100%<extra></extra>"},
        {"type": "scatter", "mode": "markers", "x": profile.loc[has_min, "tick"],
         "y": profile.loc[has_min, "minimum_pct_mean"],
         "name": t(f"deadends.school.legend.minimum.{scheme}", lang),
         "marker": {**tick, "color": THRESHOLD_COLOR,
                    "line": {"width": 3, "color": THRESHOLD_COLOR}},
         "customdata": profile.loc[has_min, ["label", "minimum_text"]].to_numpy(),
         "hovertemplate": "%{customdata[0]}<br>%{customdata[1]} · %{y:.0%}<extra></extra>"},
    ]
    return figure(data, layout(
        t(f"deadends.school.profile_title.{scheme}", lang, school=html_text(school_name)), height=440,
        showlegend=True,
        legend={"orientation": "h", "y": -0.18, "yanchor": "top", "x": 0, "xanchor": "left"},
        # English words side by side in ~57-px slots at 1440 px: one point smaller
        xaxis={"title": {"text": None}, "tickangle": 0, "tickfont": {"size": 11 if lang == "zh" else 10}},
        yaxis={"title": {"text": t("app.fig.pct_mean_axis", lang)}, "tickformat": ".0%",
               "rangemode": "tozero"}))


def profile_display(profile: pd.DataFrame, scheme: str, lang: str) -> pd.DataFrame:
    """Return the profile as a table with units and localized headers."""
    if profile.empty:
        return pd.DataFrame()
    ids = profile["indicator"]
    out = {
        t("app.school.col.indicator", lang): [indicator_label(i, lang, short=False) for i in ids],
        t("app.school.col.value", lang): [fmt_value(v, i, lang) for v, i in zip(profile["value"], ids, strict=True)],
        t("app.school.col.mean", lang): [fmt_value(v, i, lang) for v, i in zip(profile["mean"], ids, strict=True)],
        t("app.school.col.pct_mean", lang): [fmt_pct(v) for v in profile["pct_mean"]],
    }
    header = "app.school.col.minimum" if scheme == "quality" else "deadends.school.col.minimum.basic"
    out[t(header, lang)] = list(profile["minimum_text"])
    out[t("app.school.col.meets", lang)] = [
        DASH if m is None or is_missing(m) else t("status.pass" if m else "status.fail", lang)
        for m in profile["meets"]]
    return pd.DataFrame(out)


def school_verdicts(ev: Evaluation, school_id: str, county: str, year: int,
                    lang: str) -> pd.DataFrame:
    """Return per (scheme, stage) the school-rule verdict of the school: meets, pass, failing."""
    rows = []
    for scheme in ev.units:
        units = scheme_units(ev, scheme, county, year)
        units = units[units["school_id"].astype(str) == str(school_id)]
        n = school_rule_size(scheme)
        for u, status in zip(units.itertuples(index=False), school_statuses(units), strict=True):
            rows.append({"scheme": scheme, "stage": u.stage, "meets": int(u.meets), "n": n,
                         "status": status,
                         "text": t("app.school.verdict", lang, scheme=t(f"scheme.{scheme}", lang),
                                   stage=t(f"stage.{u.stage}", lang), meets=int(u.meets), n=n,
                                   detail=unit_status_detail(u, scheme, lang))})
    return pd.DataFrame(rows, columns=["scheme", "stage", "meets", "n", "status", "text"])


def verdict_markdown(verdicts: pd.DataFrame, lang: str) -> str:
    """Return the school-rule verdicts as Markdown lines with a status badge: pass, fail,
    approximated (never shown as a pass) or missing."""
    if verdicts.empty:
        return ""
    lines = []
    for r in verdicts.itertuples(index=False):
        colour = SCHOOL_STATUS_COLOURS[r.status]
        lines.append(f"- :{colour}-badge[{t(f'status.{r.status}', lang)}] {r.text}")
    return "\n".join(lines)


def school_history(history: Evaluation | None, scheme: str, school_id: str, county: str,
                   stage: str, lang: str) -> pd.DataFrame:
    """Return per year and indicator the school's value, the county mean and their ratio."""
    cols = ["year", "indicator", "label", "value", "mean", "pct_mean"]
    if history is None:
        return pd.DataFrame(columns=cols)
    units = history.units[scheme]
    units = units[(units["county_code"].astype(str) == str(county)) & (units["stage"] == stage)
                  & (units["school_id"].astype(str) == str(school_id))]
    if units.empty:
        return pd.DataFrame(columns=cols)
    ind = history.indicators
    ind = ind[(ind["county_code"].astype(str) == str(county)) & (ind["stage"] == stage)
              & (ind["scheme"] == scheme)].set_index(["year", "indicator"])["mean"]
    rows = []
    for u in units.itertuples(index=False):
        for i in scheme_ids(scheme):
            mean = float(ind.get((u.year, i), np.nan))
            value = float(getattr(u, i))
            rows.append({"year": int(u.year), "indicator": i, "label": indicator_label(i, lang),
                         "value": value, "mean": mean,
                         "pct_mean": value / mean if mean else np.nan})
    return pd.DataFrame(rows, columns=cols).sort_values(["indicator", "year"]).reset_index(drop=True)


def history_display(hist: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Return the school's history as a year × indicator table of values with units."""
    if hist.empty:
        return pd.DataFrame()
    text = hist.assign(text=[fmt_value(v, i, lang) for v, i in zip(hist["value"], hist["indicator"], strict=True)])
    wide = text.pivot(index="label", columns="year", values="text")
    order = list(dict.fromkeys(hist["label"]))
    wide = wide.reindex(order)
    wide.index.name = t("app.school.col.indicator", lang)
    wide.columns = [t("app.school.col.year", lang, year=y) for y in wide.columns]
    return wide.reset_index()


@dataclass(frozen=True)
class SchoolHead:
    """The top of a school's page (built once per content and choice): its name, facts (as
    markdown, None without facts), school-rule verdicts (markdown) and stages in the scheme."""

    name: str
    facts: str | None
    verdicts: str
    stages: list[str]


def school_head(ev: Evaluation, schools: pd.DataFrame, options: pd.DataFrame, scheme: str,
                school_id: str, county: str, year: int, lang: str) -> SchoolHead:
    """Return the head of the page of ``school_id`` (see :class:`SchoolHead`)."""
    facts = school_facts(schools, school_id, lang)
    return SchoolHead(
        name=school_name(options, school_id), facts=facts_markdown(facts, lang) if facts else None,
        verdicts=verdict_markdown(school_verdicts(ev, school_id, county, year, lang), lang),
        stages=school_stages(ev, scheme, school_id, county, year))


@dataclass(frozen=True)
class ProfileView:
    """A school's values at one stage: the chart, the note on indicators without a minimum
    ("" when none) and the table."""

    figure: go.Figure
    note: str
    table: pd.DataFrame
    shown: pa.Table | pd.DataFrame  # the table as the page sends it (frozen_table)


def profile_view(ev: Evaluation, scheme: str, school_id: str, county: str, year: int, stage: str,
                 lang: str, name: str) -> ProfileView:
    """Return the profile of ``school_id`` at ``stage`` (see :class:`ProfileView`)."""
    profile = school_profile(ev, scheme, school_id, county, year, stage, lang)
    table = profile_display(profile, scheme, lang)
    return ProfileView(frozen(profile_figure(profile, scheme, lang, name)),
                       no_minimum_note(profile, scheme, lang), table, frozen_table(table))


@dataclass(frozen=True)
class HistoryView:
    """A school's values over the years: fewer than two years, the chart and the table (None
    when there is no year)."""

    one_year: bool
    figure: go.Figure | None
    table: pa.Table | pd.DataFrame | None  # as the page sends it (frozen_table)


def history_view(history: Evaluation | None, scheme: str, school_id: str, county: str, stage: str,
                 lang: str, name: str) -> HistoryView:
    """Return the history of ``school_id`` (see :func:`school_history`)."""
    hist = school_history(history, scheme, school_id, county, stage, lang)
    if hist.empty:
        return HistoryView(True, None, None)
    return HistoryView(hist["year"].nunique() < 2, frozen(school_history_figure(hist, lang, name)),
                       frozen_table(history_display(hist, lang)))
