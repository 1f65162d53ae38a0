"""The steps of a presentation: what each slide of the deck and each step of the presentation
mode says (title, lines, a chart's data, a table, the map, the speaker notes with the exact
figures).  The deck (dashboard.ui.present.deck) and the page's presentation mode draw the same
steps.  No Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Final

import numpy as np
import pandas as pd

from dashboard.i18n import t
from dashboard.method.gaps import URBAN_RURAL_CLASSES, group_table
from dashboard.method.standards import cv_threshold, scheme_ids
from dashboard.ui.checklist import scope_text
from dashboard.ui.evaluation import indicator_rows
from dashboard.ui.format import (
    DASH,
    failing_names,
    fmt_cv,
    fmt_pct,
    fmt_value,
    indicator_label,
)
from dashboard.ui.overview import trend_table
from dashboard.ui.present.counts import counts_text, in_table_order
from dashboard.ui.present.model import Material, failing_items, sentences
from dashboard.ui.scenario_results import verdict_changes

__all__ = ["Chart", "Grid", "Step", "steps", "EXACT_DP", "TOP_SCHOOLS", "MAX_ROWS"]

EXACT_DP: Final = 6  # decimals of a CV in the speaker notes (the slides show the standards')
TOP_SCHOOLS: Final = 3  # schools named per failing indicator (largest share of its variance)
MAX_ROWS: Final = 10  # table rows on one slide; the notes say how many more there are
NEXT_LINES: Final = 12  # next steps on one slide (the demo has 11; a 16:9 slide and the projector hold 12)


@dataclass(frozen=True)
class Chart:
    """A chart's data: categories, named series of values (None: no value), its kind
    ('bar' or 'line'), the number format of its values and its axis title."""

    title: str
    categories: tuple[str, ...]
    series: tuple[tuple[str, tuple[float | None, ...]], ...]
    kind: str = "bar"
    number_format: str = "0.000"
    axis_title: str = ""
    category_title: str = ""
    threshold: str = ""  # the name of the series drawn as the threshold (its own style)


@dataclass(frozen=True)
class Grid:
    """A small table of texts (header row first)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Step:
    """One slide / one step of the presentation mode."""

    key: str
    title: str
    lines: tuple[str, ...] = ()
    bullets: tuple[str, ...] = ()
    after_bullets: str = ""  # e.g. how many more were left out
    after_grid: str = ""  # how many rows of the table were left out (said on the slide)
    charts: tuple[Chart, ...] = ()
    grid: Grid | None = None
    image: bytes | None = field(default=None, repr=False)
    notes: tuple[str, ...] = ()


def _exact(x: object) -> str:
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return DASH
    return DASH if not np.isfinite(v) else f"{v:.{EXACT_DP}f}"


def _tr(m: Material, key: str, **fields: object) -> str:
    return t(key, m.lang, **fields)


def _where(m: Material, scheme: str, stage: str) -> str:
    return _tr(m, "present.where", scheme=_tr(m, f"scheme.{scheme}"), stage=_tr(m, f"stage.{stage}"))


def title_step(m: Material) -> Step:
    """The title slide."""
    return Step("title", _tr(m, "present.deck.title", county=m.county_label, year=m.year),
                (_tr(m, "present.deck.subtitle", snapshot=m.snapshot_id,
                     made=m.made.isoformat()),),
                notes=(_tr(m, "present.notes.title", county=m.county_label, year=m.year,
                           snapshot=m.snapshot_id),))


def verdict_step(m: Material) -> Step:
    """The verdict of each stage × scheme with its reasons."""
    rows, notes = [], []
    for scheme in m.schemes:
        for stage in m.stages(scheme):
            v = m.verdicts.get((scheme, stage))
            if v is None:
                continue
            parts = [f"· {_tr(m, f'verdict.part.{c.kind}')}（{_tr(m, f'status.{c.status}')}）：{c.text}"
                     if m.lang == "zh" else
                     f"· {_tr(m, f'verdict.part.{c.kind}')} ({_tr(m, f'status.{c.status}')}): {c.text}"
                     for c in v.components if c.status != "pass"]
            rows.append((_where(m, scheme, stage), _tr(m, f"status.{v.status}"),
                         "\n".join(parts or [v.text])))  # what failed, else the headline
            notes += [_tr(m, "present2.deck.verdict_overall", where=_where(m, scheme, stage),
                          status=_tr(m, f"status.{v.status}"))]
            notes += [f"  · {_tr(m, f'verdict.part.{c.kind}')}（{_tr(m, f'status.{c.status}')}）：{c.text}"
                      if m.lang == "zh" else
                      f"  · {_tr(m, f'verdict.part.{c.kind}')} ({_tr(m, f'status.{c.status}')}): {c.text}"
                      for c in v.components]
    notes += scope_text(m.evaluation, None, m.lang)  # the scope the verdicts were made with
    cols = tuple(_tr(m, f"present.table.verdicts.col.{c}") for c in ("where", "status", "reason"))
    return Step("verdicts", _tr(m, "present.deck.verdicts"), grid=Grid(cols, tuple(rows)),
                notes=tuple(notes))


def cv_step(m: Material, scheme: str) -> Step:
    """The coefficients of one scheme against their thresholds, one chart per stage."""
    charts, notes = [], []
    cv_name, thr_name = _tr(m, "present.series.cv"), _tr(m, "present.series.threshold")
    for stage in m.stages(scheme):
        rows = indicator_rows(m.evaluation, m.county_code, m.year, stage, scheme, m.lang)
        cats = [str(x) for x in rows["label"]]
        cvs: list[float | None] = [float(x) for x in rows["cv"]]
        thr: list[float | None] = ([float(x) for x in rows["threshold"]] if scheme == "quality"
                                   else [None] * len(cats))
        notes.append(_where(m, scheme, stage))
        notes += [_tr(m, "present.notes.cv", name=r.label, cv=_exact(r.cv), shown=fmt_cv(r.cv),
                      threshold=fmt_cv(r.threshold) if scheme == "quality" else DASH,
                      mean=fmt_value(r.mean, r.indicator, m.lang))
                  for r in rows.itertuples(index=False)]
        if scheme == "basic":
            comp = m.evaluation.composites
            c = comp[(comp["county_code"].astype(str) == m.county_code) & (comp["year"] == m.year)
                     & (comp["stage"] == stage)]
            if len(c):
                cats.append(_tr(m, "app.fig.composite"))
                cvs.append(float(c["composite_cv"].iloc[0]))
                thr.append(float(c["threshold"].iloc[0]))
                notes.append(_tr(m, "present.notes.composite", cv=_exact(cvs[-1]),
                                 shown=fmt_cv(cvs[-1]), threshold=fmt_cv(thr[-1])))
        charts.append(Chart(_tr(m, f"stage.{stage}"), tuple(cats),
                            ((cv_name, tuple(cvs)), (thr_name, tuple(thr))),
                            axis_title=_tr(m, "present.series.cv"),
                            category_title=_tr(m, "present2.deck.axis.indicator"),
                            threshold=thr_name))
    return Step(f"cv_{scheme}", _tr(m, "present.deck.cv", scheme=_tr(m, f"scheme.{scheme}")),
                (_tr(m, f"present.deck.cv_note.{scheme}"),), charts=tuple(charts),
                notes=tuple(notes))


def map_step(m: Material, shown: bool) -> Step | None:
    """The gap map of the focus indicator (its image drawn by the caller; None when not
    ``shown``)."""
    if not shown:
        return None
    scheme, stage = m.focus
    indicator = deciding_indicator(m)
    return Step("map", _tr(m, "present.deck.map", name=indicator_label(indicator, m.lang),
                           where=_where(m, scheme, stage)),
                (_tr(m, "present.deck.map_note"),), image=m.map_png,
                notes=(_tr(m, "present.notes.map", name=indicator_label(indicator, m.lang, short=False),
                           where=_where(m, scheme, stage)),))


def deciding_indicator(m: Material) -> str:
    """The indicator the focus stage × scheme turns on: its highest CV over the threshold (the
    failing one furthest over), else its highest CV."""
    scheme, stage = m.focus
    rows = indicator_rows(m.evaluation, m.county_code, m.year, stage, scheme, m.lang)
    if rows.empty:
        return scheme_ids(scheme)[0]
    return str(rows.sort_values("cv", ascending=False)["indicator"].iloc[0])


def _drivers(m: Material, scheme: str, stage: str, indicator: str) -> tuple[str, list[str]]:
    """The schools that drive an indicator's CV (largest share of its weighted variance)."""
    units = m.units(scheme, stage)
    share = f"share_{indicator}"
    if units.empty or share not in units:
        return DASH, []
    top = units.sort_values(share, ascending=False).head(TOP_SCHOOLS)
    short = [f"{u.school_name}（{fmt_pct(getattr(u, share))}）" if m.lang == "zh"
             else f"{u.school_name} ({fmt_pct(getattr(u, share))})" for u in top.itertuples(index=False)]
    notes = [_tr(m, "present.notes.driver", school=u.school_name,
                 value=fmt_value(getattr(u, indicator), indicator, m.lang),
                 share=fmt_pct(getattr(u, share), 1), cv=_exact(getattr(u, f"cvifmean_{indicator}")))
             for u in top.itertuples(index=False)]
    return ("、" if m.lang == "zh" else "; ").join(short), notes


def failing_step(m: Material) -> Step:
    """The failing (or, when none fails, the highest) coefficients and the schools driving them."""
    rows, notes = [], []
    for scheme in m.schemes:
        for stage in m.stages(scheme):
            ind = indicator_rows(m.evaluation, m.county_code, m.year, stage, scheme, m.lang)
            if scheme == "quality":
                picked = ind[ind["status"] == "fail"]
            else:  # 2012 judges the composite: when it fails, its largest CVs are the reason
                picked = ind.sort_values("cv", ascending=False).head(2) if (
                    ind["status"] == "fail").any() else ind.iloc[0:0]
            for r in picked.itertuples(index=False):
                names, why = _drivers(m, scheme, stage, r.indicator)
                rows.append((_where(m, scheme, stage), r.label, fmt_cv(r.cv),
                             fmt_cv(r.threshold), names))
                notes += [f"{_where(m, scheme, stage)} {r.label}：{_exact(r.cv)}", *why]
    cols = tuple(_tr(m, f"present.deck.failing.col.{c}")
                 for c in ("where", "indicator", "cv", "threshold", "schools"))
    lines = () if rows else (_tr(m, "present.deck.failing.none"),)
    more = _more(m, len(rows))
    return Step("failing", _tr(m, "present.deck.failing_title"), lines,
                grid=Grid(cols, tuple(rows[:MAX_ROWS])) if rows else None, after_grid=more,
                notes=(*notes, more) if more else tuple(notes))


def _more(m: Material, rows: int) -> str:
    """Return what the slide says of the rows left out of its table ('' when none is)."""
    return _tr(m, "present2.deck.more_rows", n=rows - MAX_ROWS) if rows > MAX_ROWS else ""


def schools_step(m: Material) -> Step:
    """The schools the school rule does not pass: per scheme and stage how many fail, are
    judged only on an approximation, lack data and pass (the counts of the report's tables),
    and a table of the units that do not pass, failing ones first."""
    rows, lines, notes = [], [], []
    sep = "；" if m.lang == "zh" else "; "
    for scheme in m.schemes:
        for stage in m.stages(scheme):
            counts = counts_text(m, scheme, stage)
            lines.append(_tr(m, "present2.deck.schools_line", where=_where(m, scheme, stage),
                             counts=counts))
            units = in_table_order(m.units(scheme, stage))  # by status, then school code
            for u in units[units["status_"] != "pass"].itertuples(index=False):
                why = failing_names(u.failing, scheme, m.lang) or DASH
                approx = failing_names(getattr(u, "approximated", ()), scheme, m.lang)
                if u.status_ != "fail" and approx:
                    why += sep + _tr(m, "present2.deck.schools.approximated", items=approx)
                rows.append((u.order_, _where(m, scheme, stage), str(u.school_name),
                             _tr(m, f"status.{u.status_}"), why))
    rows.sort(key=lambda r: r[0])  # failing first, then approximated and missing
    grid_rows = [r[1:] for r in rows]
    notes = [*lines, *(f"{r[0]} {r[1]}：{r[2]}（{r[3]}）" if m.lang == "zh" else
                       f"{r[0]}, {r[1]}: {r[2]} ({r[3]})" for r in grid_rows)]
    cols = (*(_tr(m, f"present.deck.schools.col.{c}") for c in ("where", "school")),
            _tr(m, "present2.deck.schools.col.status"), _tr(m, "present.deck.schools.col.failing"))
    more = ("" if m.lang == "zh" else " ").join(x for x in (
        _tr(m, "outputs.deck.schools_order"),
        _tr(m, "outputs.deck.schools_more", n=len(grid_rows) - MAX_ROWS)
        if len(grid_rows) > MAX_ROWS else "") if x) if grid_rows else ""
    if not grid_rows:
        lines.append(_tr(m, "present.deck.schools.none"))
    return Step("schools", _tr(m, "present.deck.schools_title"), tuple(lines),
                grid=Grid(cols, tuple(grid_rows[:MAX_ROWS])) if grid_rows else None,
                after_grid=more, notes=tuple(notes))


def urban_rural_step(m: Material) -> Step:
    """The urban–rural comparison of the focus scheme and stage: each group's weighted mean as
    a share of the county mean, per indicator."""
    scheme, stage = m.focus
    units = m.units(scheme, stage)
    ids = list(scheme_ids(scheme))
    table = group_table(units, ids, by="urban_rural") if not units.empty else pd.DataFrame()
    county = indicator_rows(m.evaluation, m.county_code, m.year, stage, scheme, m.lang)
    means = dict(zip(county["indicator"], county["mean"], strict=True))
    series, notes = [], []
    for g in URBAN_RURAL_CLASSES:
        vals: list[float | None] = []
        for i in ids:
            sub = table[(table["indicator"] == i) & (table["group"] == g)] if len(table) else table
            mean = float(sub["mean"].iloc[0]) if len(sub) else float("nan")
            ok = np.isfinite(mean) and means.get(i)
            vals.append(mean / float(means[i]) if ok else None)
            if np.isfinite(mean):
                notes.append(_tr(m, "present.notes.group", group=_tr(m, f"urban_rural.{g}"),
                                 name=indicator_label(i, m.lang), value=fmt_value(mean, i, m.lang),
                                 county=fmt_value(means.get(i), i, m.lang)))
        series.append((_tr(m, f"urban_rural.{g}"), tuple(vals)))
    chart = Chart(_where(m, scheme, stage), tuple(indicator_label(i, m.lang) for i in ids),
                  tuple(series), number_format="0%", axis_title=_tr(m, "present.series.vs_county"),
                  category_title=_tr(m, "present2.deck.axis.indicator"))
    return Step("urban_rural", _tr(m, "present.deck.urban_rural", where=_where(m, scheme, stage)),
                (_tr(m, "present.deck.urban_rural_note"),), charts=(chart,), notes=tuple(notes))


def trend_step(m: Material) -> Step:
    """The coefficients of the focus scheme and stage over the years with a snapshot."""
    scheme, stage = m.focus
    trend = trend_table(m.history, m.county_code, stage, scheme, m.lang)
    years = sorted(int(y) for y in trend["year"].unique())
    if scheme == "basic":
        trend = trend[trend["series"] == "composite"]
    series = []
    for label, part in trend.groupby("label", sort=False):
        by_year = dict(zip(part["year"].astype(int), part["cv"].astype(float), strict=True))
        series.append((str(label), tuple(by_year.get(y) for y in years)))
    thr = cv_threshold(scheme, stage)
    series.append((_tr(m, "present.series.threshold"), tuple(thr for _ in years)))
    notes = [f"{r.label} {r.year}：{_exact(r.cv)}" if m.lang == "zh" else
             f"{r.label} {r.year}: {_exact(r.cv)}" for r in trend.itertuples(index=False)]
    lines = (_tr(m, "present.deck.trend_one_year"),) if len(years) < 2 else ()
    chart = Chart(_where(m, scheme, stage), tuple(str(y) for y in years), tuple(series),
                  kind="line", axis_title=_tr(m, "present.series.cv"),
                  category_title=_tr(m, "present2.deck.axis.year"),
                  threshold=_tr(m, "present.series.threshold"))
    return Step("trend", _tr(m, "present.deck.trend", where=_where(m, scheme, stage)), lines,
                charts=(chart,) if years else (), notes=tuple(notes))


def scenario_step(m: Material) -> Step | None:
    """A scenario before → after: its moves and each stage × scheme verdict."""
    s = m.scenario
    if s is None:
        return None
    changes = verdict_changes(m.evaluation, s.after, m.county_code, m.year, m.lang,
                              m.county_table)
    rows = tuple((c.label, f"{fmt_cv(c.before)} → {c.after_text}", c.status_text)
                 for c in changes)
    cols = tuple(_tr(m, f"present.deck.scenario.col.{c}") for c in ("where", "cv", "status"))
    notes = [_tr(m, "present.notes.scenario", label=c.label, before=_exact(c.before),
                 after=_exact(c.after), detail=c.detail) for c in changes]
    more = _tr(m, "present.notes.more_rows", n=len(s.moves) - 4) if len(s.moves) > 4 else ""
    return Step("scenario", _tr(m, "present.deck.scenario_title", name=s.name),
                (s.note,) if s.note else (), bullets=s.moves[:4], after_bullets=more,
                grid=Grid(cols, rows),
                notes=(*s.moves, *notes))


def next_step(m: Material) -> Step:
    """Next steps: one line per failing or missing checklist item (what to reach)."""
    items = failing_items(m)
    # the school rule in the counts of the schools slide (fail, approximated, pass)
    lines = [_tr(m, "present2.next.school_rule" if i.group == "school_rule" and i.status == "fail"
                 else f"present.next.{i.status}", item=i.name_zh if m.lang == "zh" else i.name_en,
                 value=i.value or DASH, target=i.target or DASH,
                 counts=counts_text(m, i.scheme) if i.group == "school_rule" else "")
             for i in items]
    more = _tr(m, "present.notes.more_rows", n=len(lines) - NEXT_LINES) if len(lines) > NEXT_LINES else ""
    return Step("next", _tr(m, "present.deck.next"), bullets=tuple(lines[:NEXT_LINES]),
                after_bullets=more if lines else _tr(m, "present.next.none"),
                notes=tuple(sentences(f"{i.name_zh}：{i.evidence}" if m.lang == "zh" else
                                      f"{i.name_en}: {i.evidence}", m.lang) for i in items))


def steps(m: Material, map_slide: bool | None = None) -> list[Step]:
    """Return the steps of the presentation in order: the map when ``map_slide`` (default:
    when the material has its image), the scenario when there is one."""
    shown = m.map_png is not None if map_slide is None else map_slide
    out: list[Step | None] = [title_step(m), verdict_step(m),
                              *(cv_step(m, s) for s in m.schemes), map_step(m, shown),
                              failing_step(m),
                              schools_step(m), urban_rural_step(m), trend_step(m),
                              scenario_step(m), next_step(m)]
    return [_sentenced(s, m.lang) for s in out if s is not None]


def _sentenced(step: Step, lang: str) -> Step:
    """Return ``step`` with every English sentence of its texts begun with a capital (reasons,
    evidence and details made elsewhere may begin in lower case)."""
    if lang != "en":
        return step

    def each(texts: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(sentences(x, lang) for x in texts)

    grid = step.grid and Grid(step.grid.columns, tuple(
        tuple(sentences(x, lang, first=False) for x in r) for r in step.grid.rows))
    return replace(step, title=sentences(step.title, lang), lines=each(step.lines),
                   bullets=each(step.bullets), after_bullets=sentences(step.after_bullets, lang),
                   after_grid=sentences(step.after_grid, lang), grid=grid, notes=each(step.notes))
