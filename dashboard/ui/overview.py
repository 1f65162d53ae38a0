"""Page model of 总览 (overview): the verdict cards of each stage × scheme with their help
texts, the school-rule counts, the biggest reasons behind a verdict and the trend over the
years.  No Streamlit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.i18n import t
from dashboard.method.engine import Evaluation
from dashboard.method.standards import DEFAULT_PARAMS, SCHEMES, STAGES, cv_threshold, scheme_ids
from dashboard.method.verdict import Verdict, evaluation_verdicts, school_statuses, unsure_counts
from dashboard.ui import figures
from dashboard.ui.drilldown import verdict_indicator
from dashboard.ui.evaluation import composite_value, indicator_rows, rows_of, scheme_units
from dashboard.ui.format import (
    failing_names,
    fmt_cv,
    fmt_pct,
    fmt_value,
    indicator_label,
    md_text,
    status_of,
)
from dashboard.ui.frozen import frozen

__all__ = [
    # Re-exported: the overview draws one chart per stage (the pages may not import method).
    "STAGES",
    # this module's own
    "MAX_REASONS",
    "StatusCard",
    "status_cards",
    "card_help",
    "school_rule_counts",
    "MAX_FAILING_LINKS",
    "FailingLink",
    "failing_links",
    "Reason",
    "top_reasons",
    "reasons_heading",
    "trend_table",
    "drilldown_params",
    "OverviewView",
    "overview_view",
    "TrendView",
    "trend_view",
]

MAX_REASONS: Final = 3
MAX_FAILING_LINKS: Final = 5  # failing units named under the school rule; the drill-down has all


@dataclass(frozen=True)
class StatusCard:
    """One stage × scheme verdict as the overview shows it: the combined verdict
    (dashboard.method.verdict: CV test, school rule, county items) and, as its figure, the CV
    (value = composite or largest CV).  ``detail`` says which components decided the verdict,
    ``help`` how it is judged and each component's status."""

    stage: str
    scheme: str
    label: str
    value: float
    value_text: str
    threshold: float
    status: str
    status_text: str
    detail: str
    units: int
    failing_units: int
    help: str = ""
    cv_status: str = "missing"


def _card(r: pd.Series, verdict: Verdict, lang: str) -> StatusCard:
    stage, scheme = verdict.stage or "", verdict.scheme
    label = t(f"app.overview.card_{scheme}", lang, stage=t(f"stage.{stage}", lang))
    parts = "；".join if lang == "zh" else "; ".join
    components = parts(t("verdict.after.component", lang, part=t(f"verdict.part_title.{c.kind}", lang),
                         status=t(f"status.{c.status}", lang), text=md_text(c.text))
                       for c in verdict.components)
    help_text = "\n\n".join([card_help(scheme, lang), t("verdict.overview.help", lang),
                              t("verdict.overview.components", lang, parts=components)])
    return StatusCard(
        stage=stage, scheme=scheme, label=label, value=float(r["value"]),
        value_text=fmt_cv(r["value"]), threshold=float(r["threshold"]), status=verdict.status,
        status_text=t(f"status.{verdict.status}", lang), detail=md_text(verdict.text),
        units=int(r["units"]), failing_units=int(r["failing_units"]), help=help_text,
        cv_status=status_of(r["passed"], r["near"]))


def status_cards(ev: Evaluation, county: str, year: int, lang: str,
                 county_table: pd.DataFrame | None = None) -> list[StatusCard]:
    """Return the verdict cards of every stage × scheme present, stage by stage.

    Each card's status is the county's verdict (dashboard.method.verdict) with the county
    items of ``county_table`` (None: they lack data, so no card can pass)."""
    cards = []
    verdicts = rows_of(ev.verdicts, county, year)
    combined = evaluation_verdicts(ev, county, year, county=county_table, lang=lang)
    for stage in STAGES:
        for scheme in SCHEMES:
            rows = verdicts[(verdicts["stage"] == stage) & (verdicts["scheme"] == scheme)]
            if not rows.empty and (scheme, stage) in combined:
                cards.append(_card(rows.iloc[0], combined[(scheme, stage)], lang))
    return cards


def card_help(scheme: str, lang: str) -> str:
    """Return the help text of a verdict card: how ``scheme`` is judged, with the thresholds,
    the decimals and the near margin of the standards."""
    return t(f"app.overview.card_help.{scheme}", lang, n=len(scheme_ids(scheme)),
             primary=fmt_cv(cv_threshold(scheme, "primary")),
             junior=fmt_cv(cv_threshold(scheme, "junior")), dp=DEFAULT_PARAMS.round_dp,
             margin=fmt_cv(DEFAULT_PARAMS.near_margin))


def school_rule_counts(ev: Evaluation, county: str, year: int, scheme: str,
                       lang: str) -> pd.DataFrame:
    """Return per stage: units, failing units, the text '失败数 / 单位数', a note on the
    units that do not fail but cannot be said to pass either (judged only on an
    approximation, or without data; '' when there are none), and the failing units to open
    (:class:`FailingLink`, at most :data:`MAX_FAILING_LINKS`, fewest items met first) with
    ``more``, the count of failing units left unnamed."""
    rules = rows_of(ev.school_rules, county, year, scheme=scheme)
    out = []
    for stage in STAGES:
        r = rules[rules["stage"] == stage]
        if r.empty:
            continue
        status = school_statuses(r)
        failing, approximated, missing = (int((status == s).sum()) for s in ("fail", "approximated", "missing"))
        note = (t("app.overview.rule_unsure", lang, unsure=unsure_counts(approximated, missing, lang),
                  passed=len(r) - failing - approximated - missing)
                if approximated or missing else "")
        links = failing_links(r[status == "fail"], scheme, lang)
        out.append({"stage": stage, "stage_label": t(f"stage.{stage}", lang), "units": len(r),
                    "failing": failing,
                    "text": t("app.overview.rule_value", lang, failing=failing, units=len(r)),
                    "note": note, "links": links, "more": failing - len(links)})
    return pd.DataFrame(out, columns=["stage", "stage_label", "units", "failing", "text", "note",
                                      "links", "more"])


@dataclass(frozen=True)
class FailingLink:
    """A unit failing the school rule, as the overview links it: the school's name as the
    label (a link is one line: a longer label was cut), its school profile's query
    parameters, and as the tooltip the items it fails."""

    label: str
    params: tuple[tuple[str, str], ...]
    help: str


def failing_links(rows: pd.DataFrame, scheme: str, lang: str,
                  n: int = MAX_FAILING_LINKS) -> tuple[FailingLink, ...]:
    """Return links to the school profiles of the failing units ``rows`` (engine school_rules
    rows), fewest items met first, at most ``n``: the director sees which schools decide the
    school rule and opens each one (the drill-down lists them all)."""
    rows = rows.sort_values(["meets", "school_name"], kind="stable").head(n)
    return tuple(
        FailingLink(md_text(str(r.school_name)),
                    (("school", str(r.school_id)), ("sstage", str(r.stage))),
                    t("journey.overview.failing_school", lang, school=md_text(str(r.school_name)),
                      items=md_text(failing_names(r.failing, scheme, lang))))
        for r in rows.itertuples(index=False))


@dataclass(frozen=True)
class Reason:
    """One of the biggest reasons behind a verdict: an indicator or a contributing unit."""

    kind: str  # "indicator" or "unit"
    indicator: str
    text: str
    school_id: str | None = None


def _indicator_reasons(rows: pd.DataFrame, scheme: str, lang: str) -> list[Reason]:
    """The two indicators furthest over (or closest to) their threshold (``rows`` by excess)."""
    reasons = []
    for rank, r in enumerate(rows.head(2).itertuples(index=False), start=1):
        name = indicator_label(r.indicator, lang, short=False)
        n = len(scheme_ids(scheme))
        if scheme == "basic":  # 2012 judges the composite: say plainly where this CV ranks
            text = t("verdict.reason.basic", lang, name=name, cv=fmt_cv(r.cv),
                     rank=t(f"verdict.reason.rank.{rank}", lang, n=n),
                     threshold=fmt_cv(r.threshold))
        else:
            key = "app.reason.over" if r.rounded > r.threshold else "app.reason.under"
            text = t(key, lang, name=name, cv=fmt_cv(r.cv), threshold=fmt_cv(r.threshold),
                     gap=fmt_cv(abs(r.excess)), n=n)
        reasons.append(Reason("indicator", r.indicator, text))
    return reasons


def reasons_heading(cards: Sequence[StatusCard], stage: str, scheme: str, lang: str) -> str:
    """Return the heading of the reasons: 主要原因 when the stage's CV test fails or is near,
    else (the CVs pass: they are no reason for a verdict) the largest coefficients."""
    card = next((c for c in cards if c.stage == stage and c.scheme == scheme), None)
    key = ("app.overview.reasons_heading" if card is not None and card.cv_status in ("fail", "near")
           else "verdict.reasons_heading.largest")
    return t(key, lang, stage=t(f"stage.{stage}", lang), scheme=t(f"scheme.{scheme}", lang))


def top_reasons(ev: Evaluation, county: str, year: int, stage: str, scheme: str,
                lang: str, n: int = MAX_REASONS) -> list[Reason]:
    """Return the ``n`` biggest reasons: the indicators furthest over (or closest to) their
    threshold, then the units contributing most to the worst indicator's CV.
    """
    rows = indicator_rows(ev, county, year, stage, scheme, lang)
    if rows.empty:
        return []
    rows = rows.assign(excess=rows["cv"] - rows["threshold"]).sort_values("excess", ascending=False)
    reasons = _indicator_reasons(rows, scheme, lang)
    worst = str(rows["indicator"].iloc[0])
    units = scheme_units(ev, scheme, county, year, stage)
    share = f"share_{worst}"
    if share in units.columns and len(units) > 1:
        top = units.sort_values(share, ascending=False).head(max(n - len(reasons), 1))
        for u in top.itertuples(index=False):
            reasons.append(Reason("unit", worst, t(
                "app.reason.unit", lang, school=md_text(u.school_name),
                name=indicator_label(worst, lang, short=False),
                value=fmt_value(getattr(u, worst), worst, lang),
                share=fmt_pct(getattr(u, share)), cv=fmt_cv(getattr(u, f"cvifmean_{worst}"))),
                school_id=str(u.school_id)))
    return reasons[:n]


def drilldown_params(ev: Evaluation, county: str, year: int, stage: str, scheme: str,
                     lang: str) -> dict[str, str]:
    """Return the query parameters of the overview's link to the drill-down: the indicator that
    decides the verdict (the failing one with the highest CV, else the highest CV) as ``ind``."""
    indicator = verdict_indicator(indicator_rows(ev, county, year, stage, scheme, lang))
    return {} if indicator is None else {"ind": indicator}


def trend_table(history: Evaluation | None, county: str, stage: str, scheme: str,
                lang: str) -> pd.DataFrame:
    """Return year, series (indicator id or 'composite'), label, cv, threshold for a trend.

    Basic: the composite CV per year (with its threshold) and the 8 CVs; quality: the 7 CVs.
    """
    cols = ["year", "series", "label", "cv", "threshold"]
    if history is None:
        return pd.DataFrame(columns=cols)
    ind = history.indicators
    ind = ind[(ind["county_code"].astype(str) == str(county)) & (ind["stage"] == stage)
              & (ind["scheme"] == scheme)]
    thr = cv_threshold(scheme, stage)
    frames = [pd.DataFrame({
        "year": ind["year"].astype(int), "series": ind["indicator"],
        "label": [indicator_label(i, lang) for i in ind["indicator"]], "cv": ind["cv"],
        "threshold": thr if scheme == "quality" else np.nan})]
    if scheme == "basic":
        comp = history.composites
        comp = comp[(comp["county_code"].astype(str) == str(county)) & (comp["stage"] == stage)]
        frames.insert(0, pd.DataFrame({
            "year": comp["year"].astype(int), "series": "composite",
            "label": t("app.fig.composite", lang), "cv": comp["composite_cv"], "threshold": thr}))
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["series", "year"], kind="stable").reset_index(drop=True)[cols]



@dataclass(frozen=True)
class OverviewView:
    """Everything the overview shows for one county, year, language, scheme and stage, built
    once (dashboard.ui.cache.page_view) and only read by the page.

    ``charts`` holds, per stage, the CV bars (None: the stage has no units)."""

    cards: list[StatusCard]
    charts: dict[str, go.Figure | None]
    rule_counts: pd.DataFrame
    drill_params: dict[str, str]
    reasons_heading: str
    reasons: list[Reason]


def overview_view(ev: Evaluation, county: str, year: int, lang: str, scheme: str, stage: str,
                  county_table: pd.DataFrame | None) -> OverviewView:
    """Return the overview of ``county`` and ``year`` (see :class:`OverviewView`)."""
    cards = status_cards(ev, county, year, lang, county_table)
    charts: dict[str, go.Figure | None] = {}
    for s in STAGES:
        rows = indicator_rows(ev, county, year, s, scheme, lang)
        composite = composite_value(ev, county, year, s) if scheme == "basic" else None
        charts[s] = None if rows.empty else frozen(figures.cv_bars(rows, scheme, s, lang, composite,
                                                                    fmt_cv(composite)))
    return OverviewView(
        cards=cards, charts=charts, rule_counts=school_rule_counts(ev, county, year, scheme, lang),
        drill_params=drilldown_params(ev, county, year, stage, scheme, lang),
        reasons_heading=reasons_heading(cards, stage, scheme, lang),
        reasons=top_reasons(ev, county, year, stage, scheme, lang))


@dataclass(frozen=True)
class TrendView:
    """The overview's trend: its table, whether it has fewer than two years, its figure
    (None when there is no year at all)."""

    table: pd.DataFrame
    one_year: bool
    figure: go.Figure | None


def trend_view(history: Evaluation | None, county: str, stage: str, scheme: str,
               lang: str) -> TrendView:
    """Return the trend of ``county`` over the years of ``history`` (see :func:`trend_table`)."""
    trend = trend_table(history, county, stage, scheme, lang)
    fig = None if trend.empty else frozen(figures.trend_figure(trend, scheme, stage, lang,
                                                                cv_threshold(scheme, stage)))
    return TrendView(trend, trend["year"].nunique() < 2, fig)
