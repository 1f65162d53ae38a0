"""Selecting what a page shows from an evaluation: one county × year (× stage) of its tables,
the snapshots of a trend stacked into one evaluation, the indicator rows of a scheme with their
statuses, and one indicator's key figures (CV, threshold, gap, county mean, minimum).

Every page reads its evaluation through these; nothing here imports streamlit, and no function
changes its inputs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from dashboard.i18n import t
from dashboard.method.engine import Evaluation, evaluate
from dashboard.method.profiles_county import with_profile
from dashboard.method.standards import (
    INDICATORS,
    SCHEMES,
    STAGES,
    EvalParams,
    cv_threshold,
    province_profile,
    scheme_ids,
)
from dashboard.store.snapshots import SnapshotInfo
from dashboard.ui.format import (
    DASH,
    fmt_cv,
    fmt_cv_signed,
    fmt_value,
    indicator_label,
    status_of,
    unit_of,
    wrap_label,
)

__all__ = [
    # Re-exported for the pages, which may not import dashboard.method: the type of the page
    # context's evaluation, the sidebar's choices, and the indicators of a scheme (pickers).
    "Evaluation",
    "SCHEMES",
    "STAGES",
    "scheme_ids",
    # this module's own
    "county_rows",
    "county_labels",
    "evaluate_like",
    "rows_of",
    "history_snapshots",
    "stack_evaluations",
    "county_name",
    "threshold",
    "school_rule_size",
    "scheme_units",
    "has_stage",
    "indicator_rows",
    "composite_value",
    "IndicatorSummary",
    "indicator_summary",
]


def county_rows(frame: pd.DataFrame, county_code: str | None) -> pd.DataFrame:
    """Return the rows of ``frame`` whose county_code is ``county_code`` (all if None)."""
    if county_code is None or "county_code" not in frame.columns:
        return frame
    return frame[frame["county_code"].astype(str) == str(county_code)]


def rows_of(frame: pd.DataFrame, county: str, year: int, **eq: object) -> pd.DataFrame:
    """Return the rows of one county and year (and ``column == value`` for each of ``eq``)."""
    mask = (frame["county_code"].astype(str) == str(county)) & (frame["year"] == year)
    for column, value in eq.items():
        mask &= frame[column] == value
    return frame[mask]


def history_snapshots(infos: Iterable[SnapshotInfo], county_code: str) -> list[SnapshotInfo]:
    """Return one snapshot per year holding ``county_code`` (the latest created), by year.

    A correction of a year is a new snapshot; the trend uses the newest one of each year.
    """
    best: dict[int, SnapshotInfo] = {}
    for info in infos:
        if county_code not in info.county_codes:
            continue
        kept = best.get(info.year)
        if kept is None or (info.created, info.id) >= (kept.created, kept.id):
            best[info.year] = info
    return [best[y] for y in sorted(best)]


def stack_evaluations(evaluations: Sequence[Evaluation]) -> Evaluation:
    """Return one Evaluation holding the rows of all ``evaluations`` (e.g. one per year).

    The parameters are those of the first; every table is concatenated in the given order.
    """
    if not evaluations:
        raise ValueError("stack_evaluations needs at least one evaluation, got none")
    first = evaluations[0]
    if len(evaluations) == 1:
        return first

    def cat(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
        return pd.concat(list(frames), ignore_index=True)

    return Evaluation(
        params=first.params,
        units={k: cat(e.units[k] for e in evaluations) for k in first.units},
        indicators=cat(e.indicators for e in evaluations),
        composites=cat(e.composites for e in evaluations),
        verdicts=cat(e.verdicts for e in evaluations),
        school_rules=cat(e.school_rules for e in evaluations),
        schools=cat(e.schools for e in evaluations))


def county_name(schools: pd.DataFrame, county: str | None, lang: str) -> str:
    """Return the county's name from its schools with its code, '示范县（990101）' in Chinese,
    'Demo County (990101)' in English; the code alone when the schools name no county."""
    names = schools["county_name"].dropna().astype(str) if "county_name" in schools else pd.Series([], dtype=str)
    if not len(names):
        return str(county or "")
    return t("app.county_label", lang, name=names.iloc[0], code=str(county))


def evaluate_like(schools: pd.DataFrame, like: Evaluation | None,
                  params: EvalParams | None = None) -> Evaluation:
    """Return the engine's evaluation of ``schools`` judged as ``like`` was: its parameters
    (profile, teaching-point scope; ``params`` instead when given) and its class and room rows,
    so that a scenario's "after" and the page's "now" are verdicts of the same rules (None:
    the defaults)."""
    if like is None:
        return evaluate(schools) if params is None else evaluate(schools, params)
    params = params or like.params
    after = evaluate(schools, params, schemes=tuple(s for s in SCHEMES if s in like.units))
    return with_profile(after, params.province_profile, classes=like.classes, rooms=like.rooms)


def county_labels(schools: pd.DataFrame, lang: str) -> dict[str, str]:
    """Return county code -> :func:`county_name` for every county of ``schools`` (a city
    snapshot's sidebar names each county, not only its code)."""
    codes = schools["county_code"].astype(str)
    return {code: county_name(schools[(codes == code).to_numpy()], code, lang)
            for code in dict.fromkeys(codes)}


def threshold(scheme: str, stage: str) -> float:
    """Return the CV threshold (ratio) of ``scheme`` and ``stage`` (see standards.cv_threshold)."""
    return cv_threshold(scheme, stage)


def school_rule_size(scheme: str) -> int:
    """Return how many items the school rule of ``scheme`` counts (quality: its indicators;
    basic: the province profile's items)."""
    return len(scheme_ids(scheme)) if scheme == "quality" else province_profile().n


def scheme_units(ev: Evaluation, scheme: str, county: str, year: int, stage: str | None = None,
                 *, failing_only: bool = False) -> pd.DataFrame:
    """Return the units of ``scheme`` for one county and year (one stage, or all)."""
    units = rows_of(ev.units[scheme], county, year)
    if stage is not None:
        units = units[units["stage"] == stage]
    if failing_only:
        units = units[~units["school_pass"].astype(bool)]
    return units


def has_stage(ev: Evaluation, scheme: str, county: str, year: int, stage: str) -> bool:
    """Return True when ``stage`` has at least one unit of ``scheme`` (else: a message)."""
    return not scheme_units(ev, scheme, county, year, stage).empty


def indicator_rows(ev: Evaluation, county: str, year: int, stage: str, scheme: str,
                   lang: str) -> pd.DataFrame:
    """Return one row per indicator of ``scheme`` with cv, rounded, threshold, status, labels.

    For the basic scheme ``threshold`` is the composite threshold (the one that applies to the
    mean of the 8 CVs) and ``status`` is that of the composite.
    """
    rows = rows_of(ev.indicators, county, year, stage=stage, scheme=scheme).copy()
    if rows.empty:
        return rows.assign(label=pd.Series(dtype=str), tick=pd.Series(dtype=str),
                           unit=pd.Series(dtype=str),
                           status=pd.Series(dtype=str), cv_text=pd.Series(dtype=str),
                           mean_text=pd.Series(dtype=str))
    order = {i: k for k, i in enumerate(scheme_ids(scheme))}
    rows = rows.sort_values("indicator", key=lambda s: s.map(order))
    if scheme == "basic":
        rows["threshold"] = cv_threshold("basic", stage)
        comp = rows_of(ev.composites, county, year, stage=stage)
        status = status_of(comp["passed"].iloc[0], comp["near"].iloc[0]) if len(comp) else "missing"
        rows["status"] = status
    else:
        rows["status"] = [status_of(p, n) for p, n in zip(rows["passed"], rows["near"], strict=True)]
    rows["label"] = [indicator_label(i, lang) for i in rows["indicator"]]
    rows["tick"] = [wrap_label(x, lang) for x in rows["label"]]
    rows["unit"] = [unit_of(i, lang) for i in rows["indicator"]]
    rows["cv_text"] = [fmt_cv(v) for v in rows["cv"]]
    rows["mean_text"] = [fmt_value(v, i, lang) for v, i in zip(rows["mean"], rows["indicator"], strict=True)]
    return rows.reset_index(drop=True)


def composite_value(ev: Evaluation, county: str, year: int, stage: str) -> float | None:
    """Return the basic composite CV (ratio) of one stage, or None when the stage has no units."""
    comp = rows_of(ev.composites, county, year, stage=stage)
    return None if comp.empty else float(comp["composite_cv"].iloc[0])


@dataclass(frozen=True)
class IndicatorSummary:
    """The key figures of one indicator × stage: CV, threshold, gap, county mean, minimum."""

    indicator: str
    cv: float
    cv_text: str
    threshold: float
    threshold_text: str
    gap: float
    gap_text: str
    status: str
    status_text: str  # the status as shown: a basic indicator's is the composite's, and says so
    mean: float
    mean_text: str
    minimum: float | None
    minimum_text: str
    units: int


def indicator_summary(ev: Evaluation, county: str, year: int, stage: str, scheme: str,
                      indicator: str, lang: str) -> IndicatorSummary | None:
    """Return the indicator's key figures (None when the stage has no units)."""
    rows = indicator_rows(ev, county, year, stage, scheme, lang)
    rows = rows[rows["indicator"] == indicator]
    if rows.empty:
        return None
    r = rows.iloc[0]
    minimum = INDICATORS[indicator].minimum(stage) if scheme == "quality" else None
    gap = float(r["cv"]) - float(r["threshold"])
    return IndicatorSummary(
        indicator=indicator, cv=float(r["cv"]), cv_text=fmt_cv(r["cv"]),
        threshold=float(r["threshold"]), threshold_text=f"≤ {fmt_cv(r['threshold'])}",
        gap=gap, gap_text=fmt_cv_signed(gap), status=str(r["status"]),
        status_text=(t(f"status.{r['status']}", lang) if scheme == "quality" else
                     t("app.drill.metric.composite_status", lang, status=t(f"status.{r['status']}", lang))),
        mean=float(r["mean"]), mean_text=fmt_value(r["mean"], indicator, lang),
        minimum=minimum, minimum_text=fmt_value(minimum, indicator, lang) if minimum else DASH,
        units=int(r["units"]))
