"""Page models: the tables and texts the pages show, prepared without Streamlit.

Everything a page needs beyond calling the engine lives here as pure pandas: choosing among
options, selecting one county × year × stage of an evaluation, sorting and filtering units,
formatting numbers with their units and precision, colours of map polygons, and the bytes of
CSV/XLSX downloads with Chinese headers.  Nothing here imports streamlit, and no function
changes its inputs.

>>> pick("junior", ("primary", "junior"), "primary")
'junior'
>>> pick("x", ("primary", "junior"), "primary")
'primary'
>>> fmt_value(10.5014, "Q5", "zh")
'10.50 m²/生'
>>> fmt_cv(0.48427)
'0.484'
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import numpy as np
import pandas as pd
from plotly.colors import sample_colorscale

from dashboard.i18n import t
from dashboard.method.compliance import ChecklistItem
from dashboard.method.engine import Evaluation
from dashboard.method.gaps import (
    URBAN_RURAL_CLASSES,
    group_ratios,
    group_table,
    theil_table,
    urban_rural_class,
)
from dashboard.method.standards import (
    INDICATORS,
    STAGES,
    cv_threshold,
    province_profile,
    scheme_ids,
    standards_table,
)
from dashboard.store.snapshots import SnapshotInfo

__all__ = [
    "MAX_ERRORS_SHOWN",
    "CV_DECIMALS",
    "SEQUENTIAL_SCALE",
    "DIVERGING_SCALE",
    "pick",
    "county_rows",
    "history_snapshots",
    "stack_evaluations",
    "fmt_number",
    "fmt_value",
    "fmt_cv",
    "fmt_pct",
    "indicator_label",
    "axis_title",
    "wrap_label",
    "default_school",
    "status_of",
    "county_name",
    "threshold",
    "StatusCard",
    "status_cards",
    "indicator_rows",
    "composite_value",
    "school_rule_counts",
    "Reason",
    "top_reasons",
    "trend_table",
    "scheme_units",
    "has_stage",
    "township_frame",
    "polygon_paths",
    "township_labels",
    "map_schools",
    "map_aspect",
    "latitudes",
    "selected_school",
    "unit_of",
    "urban_rural_table",
    "theil_frame",
    "group_units",
    "group_trend",
    "drill_units",
    "contribution_table",
    "profile_display",
    "history_display",
    "drill_summary",
    "DrillSummary",
    "failing_table",
    "to_csv_bytes",
    "to_xlsx_bytes",
    "school_options",
    "school_profile",
    "school_verdicts",
    "school_history",
    "verdict_markdown",
    "fill_scale",
    "checklist_frame",
    "checklist_counts",
    "checklist_columns",
    "checklist_styler",
    "checklist_widths",
    "table_height",
    "top_contributors",
    "option_labels",
    "school_name",
    "school_stages",
    "school_location",
    "Location",
]

MAX_ERRORS_SHOWN: Final = 50  # contract violations listed on a page (the count says the rest)
CV_DECIMALS: Final = 3  # CVs are shown and judged to 3 decimals (STANDARDS.md §2)
SEQUENTIAL_SCALE: Final = "YlGnBu"  # township means
DIVERGING_SCALE: Final = "RdBu"  # gaps and deviations: red below, blue above
MAX_REASONS: Final = 3
DASH: Final = "—"

T = TypeVar("T")


# ----------------------------------------------------------------------------- choices


def pick(requested: object, options: Sequence[T], default: T) -> T:
    """Return the option whose text equals ``requested``, else ``default`` (URL → choice)."""
    if requested is not None:
        for option in options:
            if str(option) == str(requested):
                return option
    return default


def county_rows(frame: pd.DataFrame, county_code: str | None) -> pd.DataFrame:
    """Return the rows of ``frame`` whose county_code is ``county_code`` (all if None)."""
    if county_code is None or "county_code" not in frame.columns:
        return frame
    return frame[frame["county_code"].astype(str) == str(county_code)]


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


# ----------------------------------------------------------------------------- formatting


def _missing(value: object) -> bool:
    try:
        return value is None or bool(pd.isna(value)) or not math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True


def fmt_number(value: object, decimals: int) -> str:
    """Return ``value`` with ``decimals`` decimals and thousands separators ('—' if missing).

    >>> fmt_number(3495.41, 0), fmt_number(float("nan"), 2)
    ('3,495', '—')
    """
    if _missing(value):
        return DASH
    return f"{float(value):,.{decimals}f}"  # type: ignore[arg-type]


def fmt_value(value: object, indicator: str, lang: str, *, unit: bool = True) -> str:
    """Return an indicator value at its precision with its unit, e.g. '10.50 m²/生'."""
    ind = INDICATORS[indicator]
    text = fmt_number(value, ind.decimals)
    return f"{text} {ind.unit(lang)}" if unit and text != DASH else text


def fmt_cv(value: object) -> str:
    """Return a CV (ratio) to 3 decimals, e.g. '0.484' ('—' if missing)."""
    return fmt_number(value, CV_DECIMALS)


def fmt_pct(value: object, decimals: int = 0, *, signed: bool = False) -> str:
    """Return a ratio as a percentage, e.g. 0.231 → '23%' (signed: '+23%').

    >>> fmt_pct(0.231), fmt_pct(-0.05, 1, signed=True)
    ('23%', '-5.0%')
    """
    if _missing(value):
        return DASH
    return f"{float(value) * 100:{'+' if signed else ''}.{decimals}f}%"  # type: ignore[arg-type]


def indicator_label(indicator: str, lang: str, *, short: bool = True) -> str:
    """Return the indicator's (short) name in ``lang``."""
    ind = INDICATORS[indicator]
    if short:
        return ind.short_zh if lang == "zh" else ind.short_en
    return ind.name(lang)


def wrap_label(text: str, lang: str, width: int | None = None) -> str:
    """Return ``text`` broken into lines of about ``width`` characters with '<br>' (tick labels).

    >>> wrap_label("生均教学及辅助用房", "zh", 5)
    '生均教学及<br>辅助用房'
    >>> wrap_label("Teaching floor area", "en", 10)
    'Teaching<br>floor area'
    """
    if lang == "zh":
        width = width or 4
        return "<br>".join(text[k:k + width] for k in range(0, len(text), width))
    width = width or 12
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def axis_title(indicator: str, lang: str) -> str:
    """Return '<short name>（<unit>）', the axis title of an indicator's values."""
    return t("app.fig.value_axis", lang, name=indicator_label(indicator, lang),
             unit=INDICATORS[indicator].unit(lang))


def status_of(passed: object, near: object = False) -> str:
    """Return 'pass', 'fail', 'near' (passes within 0.005 of the threshold) or 'missing'.

    >>> status_of(True, False), status_of(True, True), status_of(False, True), status_of(None)
    ('pass', 'near', 'fail', 'missing')
    """
    if passed is None or passed is pd.NA or (isinstance(passed, float) and math.isnan(passed)):
        return "missing"
    if not bool(passed):
        return "fail"
    return "near" if (near is not None and near is not pd.NA and bool(near)) else "pass"


# ----------------------------------------------------------------------------- overview


def county_name(schools: pd.DataFrame, county: str | None) -> str:
    """Return the county's name from its schools ('' codes only), e.g. '示范县（990101）'."""
    names = schools["county_name"].dropna().astype(str) if "county_name" in schools else pd.Series([], dtype=str)
    return f"{names.iloc[0]}（{county}）" if len(names) else str(county or "")


def threshold(scheme: str, stage: str) -> float:
    """Return the CV threshold (ratio) of ``scheme`` and ``stage`` (see standards.cv_threshold)."""
    return cv_threshold(scheme, stage)


def _sel(frame: pd.DataFrame, county: str, year: int, **eq: object) -> pd.DataFrame:
    mask = (frame["county_code"].astype(str) == str(county)) & (frame["year"] == year)
    for column, value in eq.items():
        mask &= frame[column] == value
    return frame[mask]


@dataclass(frozen=True)
class StatusCard:
    """One stage × scheme verdict as the overview shows it (value = composite or largest CV)."""

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


def status_cards(ev: Evaluation, county: str, year: int, lang: str) -> list[StatusCard]:
    """Return the verdict cards of every stage × scheme present, stage by stage."""
    cards = []
    verdicts = _sel(ev.verdicts, county, year)
    for stage in STAGES:
        for scheme in ("basic", "quality"):
            rows = verdicts[(verdicts["stage"] == stage) & (verdicts["scheme"] == scheme)]
            if rows.empty:
                continue
            r = rows.iloc[0]
            status = status_of(r["passed"], r["near"])
            if scheme == "basic":
                label = t("app.overview.card_basic", lang, stage=t(f"stage.{stage}", lang))
                detail = t("app.overview.detail_basic", lang, threshold=fmt_cv(r["threshold"]))
            else:
                label = t("app.overview.card_quality", lang, stage=t(f"stage.{stage}", lang))
                detail = t("app.overview.detail_quality", lang, threshold=fmt_cv(r["threshold"]),
                           failing=int(r["failing_indicators"]), n=len(scheme_ids("quality")))
            cards.append(StatusCard(
                stage=stage, scheme=scheme, label=label, value=float(r["value"]),
                value_text=fmt_cv(r["value"]), threshold=float(r["threshold"]), status=status,
                status_text=t(f"status.{status}", lang), detail=detail, units=int(r["units"]),
                failing_units=int(r["failing_units"])))
    return cards


def indicator_rows(ev: Evaluation, county: str, year: int, stage: str, scheme: str,
                   lang: str) -> pd.DataFrame:
    """Return one row per indicator of ``scheme`` with cv, rounded, threshold, status, labels.

    For the basic scheme ``threshold`` is the composite threshold (the one that applies to the
    mean of the 8 CVs) and ``status`` is that of the composite.
    """
    rows = _sel(ev.indicators, county, year, stage=stage, scheme=scheme).copy()
    if rows.empty:
        return rows.assign(label=pd.Series(dtype=str), tick=pd.Series(dtype=str),
                           unit=pd.Series(dtype=str),
                           status=pd.Series(dtype=str), cv_text=pd.Series(dtype=str),
                           mean_text=pd.Series(dtype=str))
    order = {i: k for k, i in enumerate(scheme_ids(scheme))}
    rows = rows.sort_values("indicator", key=lambda s: s.map(order))
    if scheme == "basic":
        rows["threshold"] = cv_threshold("basic", stage)
        comp = _sel(ev.composites, county, year, stage=stage)
        status = status_of(comp["passed"].iloc[0], comp["near"].iloc[0]) if len(comp) else "missing"
        rows["status"] = status
    else:
        rows["status"] = [status_of(p, n) for p, n in zip(rows["passed"], rows["near"], strict=True)]
    rows["label"] = [indicator_label(i, lang) for i in rows["indicator"]]
    rows["tick"] = [wrap_label(x, lang) for x in rows["label"]]
    rows["unit"] = [INDICATORS[i].unit(lang) for i in rows["indicator"]]
    rows["cv_text"] = [fmt_cv(v) for v in rows["cv"]]
    rows["mean_text"] = [fmt_value(v, i, lang) for v, i in zip(rows["mean"], rows["indicator"], strict=True)]
    return rows.reset_index(drop=True)


def composite_value(ev: Evaluation, county: str, year: int, stage: str) -> float | None:
    """Return the basic composite CV (ratio) of one stage, or None when the stage has no units."""
    comp = _sel(ev.composites, county, year, stage=stage)
    return None if comp.empty else float(comp["composite_cv"].iloc[0])


def school_rule_counts(ev: Evaluation, county: str, year: int, scheme: str,
                       lang: str) -> pd.DataFrame:
    """Return per stage: units, failing units and the text '失败数 / 单位数'."""
    rules = _sel(ev.school_rules, county, year, scheme=scheme)
    out = []
    for stage in STAGES:
        r = rules[rules["stage"] == stage]
        if r.empty:
            continue
        failing = int((~r["school_pass"].astype(bool)).sum())
        out.append({"stage": stage, "stage_label": t(f"stage.{stage}", lang), "units": len(r),
                    "failing": failing,
                    "text": t("app.overview.rule_value", lang, failing=failing, units=len(r))})
    return pd.DataFrame(out, columns=["stage", "stage_label", "units", "failing", "text"])


@dataclass(frozen=True)
class Reason:
    """One of the biggest reasons behind a verdict: an indicator or a contributing unit."""

    kind: str  # "indicator" or "unit"
    indicator: str
    text: str
    school_id: str | None = None


def top_reasons(ev: Evaluation, county: str, year: int, stage: str, scheme: str,
                lang: str, n: int = MAX_REASONS) -> list[Reason]:
    """Return the ``n`` biggest reasons: the indicators furthest over (or closest to) their
    threshold, then the units contributing most to the worst indicator's CV.
    """
    rows = indicator_rows(ev, county, year, stage, scheme, lang)
    if rows.empty:
        return []
    rows = rows.assign(excess=rows["cv"] - rows["threshold"]).sort_values("excess", ascending=False)
    reasons: list[Reason] = []
    for r in rows.head(2).itertuples(index=False):
        name = indicator_label(r.indicator, lang, short=False)
        if scheme == "basic":
            key = "app.reason.basic"
        elif r.rounded > r.threshold:
            key = "app.reason.over"
        else:
            key = "app.reason.under"
        reasons.append(Reason("indicator", r.indicator, t(
            key, lang, name=name, cv=fmt_cv(r.cv), threshold=fmt_cv(r.threshold),
            gap=fmt_cv(abs(r.excess)))))
    worst = str(rows["indicator"].iloc[0])
    units = scheme_units(ev, scheme, county, year, stage)
    share = f"share_{worst}"
    if share in units.columns and len(units) > 1:
        top = units.sort_values(share, ascending=False).head(max(n - len(reasons), 1))
        for u in top.itertuples(index=False):
            reasons.append(Reason("unit", worst, t(
                "app.reason.unit", lang, school=u.school_name,
                name=indicator_label(worst, lang, short=False),
                value=fmt_value(getattr(u, worst), worst, lang),
                share=fmt_pct(getattr(u, share)), cv=fmt_cv(getattr(u, f"cvifmean_{worst}"))),
                school_id=str(u.school_id)))
    return reasons[:n]


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


# ----------------------------------------------------------------------------- units, map


def scheme_units(ev: Evaluation, scheme: str, county: str, year: int, stage: str | None = None,
                 *, failing_only: bool = False) -> pd.DataFrame:
    """Return the units of ``scheme`` for one county and year (one stage, or all)."""
    units = _sel(ev.units[scheme], county, year)
    if stage is not None:
        units = units[units["stage"] == stage]
    if failing_only:
        units = units[~units["school_pass"].astype(bool)]
    return units


def has_stage(ev: Evaluation, scheme: str, county: str, year: int, stage: str) -> bool:
    """Return True when ``stage`` has at least one unit of ``scheme`` (else: a message)."""
    return not scheme_units(ev, scheme, county, year, stage).empty


FILL_RANGE: Final = {SEQUENTIAL_SCALE: (0.05, 0.75), DIVERGING_SCALE: (0.1, 0.9)}


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
    frame["gap"] = frame["mean"] / county_mean - 1 if not _missing(county_mean) and county_mean else np.nan
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
    hover = []
    for r in frame.itertuples(index=False):
        if _missing(r.mean):
            hover.append(t("app.map.hover_township_empty", lang, township=r.township))
        else:
            hover.append(t("app.map.hover_township", lang, township=r.township,
                           name=indicator_label(indicator, lang), value=fmt_value(r.mean, indicator, lang),
                           gap=fmt_pct(r.gap, 0, signed=True), units=int(r.units),
                           students=fmt_number(r.students, 0)))
    frame["hover"] = hover
    frame.attrs.update(cmin=cmin, cmax=cmax, scale=fill_scale(scale), county_mean=county_mean)
    return frame


def polygon_paths(geo: dict[str, Any] | None) -> dict[str, tuple[list[float | None], list[float | None]]]:
    """Return township → (lons, lats) outlines of a GeoJSON, rings separated by None.

    Polygons and MultiPolygons are read (outer rings; holes are drawn as rings too).
    """
    paths: dict[str, tuple[list[float | None], list[float | None]]] = {}
    if not geo:
        return paths
    for feature in geo.get("features", []):
        props = feature.get("properties") or {}
        geom = feature.get("geometry") or {}
        name = str(props.get("township", props.get("name", "")))
        kind, coords = geom.get("type"), geom.get("coordinates") or []
        polygons = [coords] if kind == "Polygon" else coords if kind == "MultiPolygon" else []
        lons, lats = paths.setdefault(name, ([], []))
        for polygon in polygons:
            for ring in polygon:
                if lons:
                    lons.append(None)
                    lats.append(None)
                lons.extend(float(p[0]) for p in ring)
                lats.extend(float(p[1]) for p in ring)
    return paths


def township_labels(geo: dict[str, Any] | None) -> pd.DataFrame:
    """Return township, lon, lat: a point inside each township polygon, for its name label."""
    from shapely.geometry import shape

    rows = []
    for feature in (geo or {}).get("features", []):
        props = feature.get("properties") or {}
        try:
            point = shape(feature["geometry"]).representative_point()
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
        rows.append({"township": str(props.get("township", props.get("name", ""))),
                     "lon": point.x, "lat": point.y})
    return pd.DataFrame(rows, columns=["township", "lon", "lat"])


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
    verdict = [t("status.pass" if ok else "status.fail", lang) for ok in u["school_pass"].astype(bool)]
    hover = [
        t("app.map.hover_school", lang, school=r.school_name, township=r.township,
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


def latitudes(*frames: pd.DataFrame) -> list[float]:
    """Return every finite latitude of the frames' ``lat`` columns (for the map's aspect)."""
    out: list[float] = []
    for frame in frames:
        if "lat" in frame.columns:
            out.extend(float(v) for v in frame["lat"].dropna())
    return out


def selected_school(event: Any) -> str | None:
    """Return the school id of the first selected school point of a plotly chart event.

    ``event`` is Streamlit's selection state (``{"selection": {"points": [...]}}``); school
    points carry ``customdata = ["school", school_id]`` (see maps.township_map).

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
        if isinstance(data, (list, tuple)) and len(data) == 2 and data[0] == "school":
            return str(data[1])
    return None


def unit_of(indicator: str, lang: str) -> str:
    """Return the display unit of ``indicator`` in ``lang`` (e.g. 'm²/生')."""
    return INDICATORS[indicator].unit(lang)


def map_aspect(latitudes: Iterable[float]) -> float:
    """Return the y:x scale ratio that draws lon/lat with true proportions (1 / cos latitude).

    >>> round(map_aspect([60.0]), 3)
    2.0
    """
    lat = [x for x in latitudes if x is not None and math.isfinite(x)]
    if not lat:
        return 1.0
    return 1.0 / max(math.cos(math.radians(sum(lat) / len(lat))), 0.1)


# ----------------------------------------------------------------------------- urban-rural


def urban_rural_table(units: pd.DataFrame, scheme: str, lang: str) -> pd.DataFrame:
    """Return per indicator: weighted mean of 城区/镇区/乡村 (with unit), ratios to 乡村, each
    group's CV and the Theil index with its between/within split, under localized headers.
    """
    ids = list(scheme_ids(scheme))
    if units.empty:
        return pd.DataFrame()
    table = group_table(units, ids)
    ratios = {num: group_ratios(table, num, "rural").set_index("indicator")["ratio"]
              for num in ("urban", "town")}
    theil = theil_table(units, ids).set_index("indicator")
    rows = []
    g = {c: t(f"urban_rural.{c}", lang) for c in URBAN_RURAL_CLASSES}
    for ind in ids:
        sub = table[table["indicator"] == ind].set_index("group")
        row: dict[str, object] = {t("app.ur.col.indicator", lang): axis_title(ind, lang)}
        for c in URBAN_RURAL_CLASSES:
            mean = sub["mean"].get(c, np.nan) if c in sub.index else np.nan
            row[t("app.ur.col.mean", lang, group=g[c])] = fmt_value(mean, ind, lang, unit=False)
        for num in ("urban", "town"):
            r = ratios[num].get(ind, np.nan)
            row[t("app.ur.col.ratio", lang, a=g[num], b=g["rural"])] = fmt_number(r, 2)
        for c in URBAN_RURAL_CLASSES:
            cv = sub["cv"].get(c, np.nan) if c in sub.index else np.nan
            row[t("app.ur.col.cv", lang, group=g[c])] = fmt_cv(cv)
        th = theil.loc[ind] if ind in theil.index else None
        row[t("app.ur.col.theil", lang)] = fmt_number(th["theil"] if th is not None else np.nan, 4)
        row[t("app.ur.col.between_share", lang)] = fmt_pct(
            th["between_share"] if th is not None else np.nan, 0)
        rows.append(row)
    return pd.DataFrame(rows)


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
    out["hover"] = [f"{n}<br>{fmt_value(v, indicator, lang)} · {fmt_number(s, 0)} "
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


# ----------------------------------------------------------------------------- drill-down


@dataclass(frozen=True)
class DrillSummary:
    """The key figures of one indicator × stage: CV, threshold, gap, county mean, minimum."""

    indicator: str
    cv: float
    cv_text: str
    threshold: float
    threshold_text: str
    gap: float
    gap_text: str
    status: str
    mean: float
    mean_text: str
    minimum: float | None
    minimum_text: str
    units: int


def drill_summary(ev: Evaluation, county: str, year: int, stage: str, scheme: str,
                  indicator: str, lang: str) -> DrillSummary | None:
    """Return the indicator's key figures (None when the stage has no units)."""
    rows = indicator_rows(ev, county, year, stage, scheme, lang)
    rows = rows[rows["indicator"] == indicator]
    if rows.empty:
        return None
    r = rows.iloc[0]
    minimum = INDICATORS[indicator].minimum(stage) if scheme == "quality" else None
    gap = float(r["cv"]) - float(r["threshold"])
    return DrillSummary(
        indicator=indicator, cv=float(r["cv"]), cv_text=fmt_cv(r["cv"]),
        threshold=float(r["threshold"]), threshold_text=f"≤ {fmt_cv(r['threshold'])}",
        gap=gap, gap_text=f"{gap:+.{CV_DECIMALS}f}", status=str(r["status"]),
        mean=float(r["mean"]), mean_text=fmt_value(r["mean"], indicator, lang),
        minimum=minimum, minimum_text=fmt_value(minimum, indicator, lang) if minimum else DASH,
        units=int(r["units"]))


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
        t("app.drill.hover", lang, school=n, value=fmt_value(v, indicator, lang),
          students=fmt_number(s, 0), share=fmt_pct(sh, 1), cv=fmt_cv(c))
        for n, v, s, sh, c in zip(out["school_name"], out["value"], out["students"],
                                  out["share"], out["cvifmean"], strict=True)]
    return out


def top_contributors(drill: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """Return the ``n`` units with the largest share of the weighted variance, largest first."""
    return drill.sort_values("share", ascending=False, kind="stable").head(n)


def contribution_table(drill: pd.DataFrame, indicator: str, lang: str, n: int = 10) -> pd.DataFrame:
    """Return the ``n`` units contributing most to the CV, with localized headers."""
    top = drill.sort_values("share", ascending=False).head(n)
    return pd.DataFrame({
        t("app.drill.col.school", lang): top["school_name"].to_numpy(),
        t("app.drill.col.value", lang, unit=INDICATORS[indicator].unit(lang)):
            [fmt_value(v, indicator, lang, unit=False) for v in top["value"]],
        t("app.drill.col.students", lang): [fmt_number(s, 0) for s in top["students"]],
        t("app.drill.col.share", lang): [fmt_pct(s, 1) for s in top["share"]],
        t("app.drill.col.cvifmean", lang): [fmt_cv(c) for c in top["cvifmean"]],
    })


def _failing_names(failing: object, scheme: str, lang: str) -> str:
    ids = tuple(failing) if isinstance(failing, (tuple, list, np.ndarray)) else ()
    if scheme == "quality":
        names = [indicator_label(i, lang) for i in ids]
    else:
        std = standards_table()
        col = "chinese_name" if lang == "zh" else "english_name"
        names = [str(std.loc[i, col]) if i in std.index else str(i) for i in ids]
    return ("、" if lang == "zh" else "; ").join(names)


def failing_table(units: pd.DataFrame, scheme: str, indicator: str, lang: str) -> pd.DataFrame:
    """Return the units failing the school rule, with localized (Chinese) headers, for display
    and download: school, id, township, 城乡, stage, pupils, the indicator's value, met count,
    failing indicators.
    """
    failing = units[~units["school_pass"].astype(bool)] if not units.empty else units
    n = len(scheme_ids(scheme)) if scheme == "quality" else province_profile().n
    ind = INDICATORS[indicator]
    cols = {
        "school": t("app.drill.col.school", lang), "id": t("app.drill.col.school_id", lang),
        "township": t("app.drill.col.township", lang), "ur": t("app.drill.col.urban_rural", lang),
        "stage": t("app.drill.col.stage", lang), "students": t("app.drill.col.students", lang),
        "value": t("app.drill.col.indicator_value", lang, name=indicator_label(indicator, lang),
                   unit=ind.unit(lang)),
        "meets": t("app.drill.col.meets", lang, n=n), "failing": t("app.drill.col.failing", lang),
    }
    if failing.empty:
        return pd.DataFrame(columns=list(cols.values()))
    failing = failing.sort_values(["meets", indicator], kind="stable")
    groups = urban_rural_class(failing["urban_rural_code"].to_numpy())
    return pd.DataFrame({
        cols["school"]: failing["school_name"].to_numpy(),
        cols["id"]: failing["school_id"].astype(str).to_numpy(),
        cols["township"]: failing["township"].to_numpy(),
        cols["ur"]: [t(f"urban_rural.{g}", lang) for g in groups],
        cols["stage"]: [t(f"stage.{s}", lang) for s in failing["stage"]],
        cols["students"]: failing["students"].astype(int).to_numpy(),
        cols["value"]: failing[indicator].astype(float).round(ind.decimals).to_numpy(),
        cols["meets"]: failing["meets"].astype(int).to_numpy(),
        cols["failing"]: [_failing_names(f, scheme, lang) for f in failing["failing"]],
    })


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """Return ``frame`` as CSV bytes in UTF-8 with a BOM (so Excel opens Chinese correctly).

    >>> to_csv_bytes(pd.DataFrame({"学校": ["城南小学"]}))[:3] == b"\\xef\\xbb\\xbf"
    True
    """
    return frame.to_csv(index=False).encode("utf-8-sig")


def to_xlsx_bytes(frame: pd.DataFrame, sheet: str = "Sheet1") -> bytes:
    """Return ``frame`` as the bytes of an XLSX workbook (one sheet, headers as given)."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, sheet_name=sheet[:31] or "Sheet1", index=False)
        ws = writer.sheets[sheet[:31] or "Sheet1"]
        for k, column in enumerate(frame.columns, start=1):
            width = max([len(str(column))] + [len(str(v)) for v in frame.iloc[:, k - 1]]) + 2
            ws.column_dimensions[ws.cell(row=1, column=k).column_letter].width = min(width * 1.6, 60)
    return buffer.getvalue()


# ----------------------------------------------------------------------------- school profile


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
    """Return school_id → label of the school picker (views.school_options)."""
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
    if hit.empty or _missing(hit["longitude"].iloc[0]) or _missing(hit["latitude"].iloc[0]):
        return None
    return Location(float(hit["longitude"].iloc[0]), float(hit["latitude"].iloc[0]))


def school_profile(ev: Evaluation, scheme: str, school_id: str, county: str, year: int,
                   stage: str, lang: str) -> pd.DataFrame:
    """Return per indicator the school's value, the county mean, the minimum (quality), the
    value as a share of the mean and of the minimum, and display texts.
    """
    units = scheme_units(ev, scheme, county, year, stage)
    unit = units[units["school_id"].astype(str) == str(school_id)]
    cols = ["indicator", "label", "tick", "value", "value_text", "mean", "minimum", "pct_mean",
            "pct_minimum", "minimum_pct_mean", "meets"]
    if unit.empty:
        return pd.DataFrame(columns=cols)
    u = unit.iloc[0]
    means = indicator_rows(ev, county, year, stage, scheme, lang).set_index("indicator")["mean"]
    rows = []
    for ind in scheme_ids(scheme):
        value = float(u[ind])
        mean = float(means.get(ind, np.nan))
        minimum = INDICATORS[ind].minimum(stage) if scheme == "quality" else np.nan
        rows.append({"indicator": ind, "label": indicator_label(ind, lang),
                     "tick": wrap_label(indicator_label(ind, lang), lang), "value": value,
                     "value_text": fmt_value(value, ind, lang), "mean": mean, "minimum": minimum,
                     "pct_mean": value / mean if mean else np.nan,
                     "pct_minimum": value / minimum if not _missing(minimum) else np.nan,
                     "minimum_pct_mean": minimum / mean if mean and not _missing(minimum) else np.nan,
                     "meets": bool(value >= minimum) if not _missing(minimum) else None})
    return pd.DataFrame(rows, columns=cols)


def profile_display(profile: pd.DataFrame, scheme: str, lang: str) -> pd.DataFrame:
    """Return the profile as a table with units and localized headers."""
    if profile.empty:
        return pd.DataFrame()
    out = {
        t("app.school.col.indicator", lang): [indicator_label(i, lang, short=False) for i in profile["indicator"]],
        t("app.school.col.value", lang): [fmt_value(v, i, lang) for v, i in zip(profile["value"], profile["indicator"], strict=True)],
        t("app.school.col.mean", lang): [fmt_value(v, i, lang) for v, i in zip(profile["mean"], profile["indicator"], strict=True)],
        t("app.school.col.pct_mean", lang): [fmt_pct(v) for v in profile["pct_mean"]],
    }
    if scheme == "quality":
        out[t("app.school.col.minimum", lang)] = [
            fmt_value(v, i, lang) for v, i in zip(profile["minimum"], profile["indicator"], strict=True)]
        out[t("app.school.col.meets", lang)] = [
            t("status.pass" if m else "status.fail", lang) for m in profile["meets"]]
    return pd.DataFrame(out)


def school_verdicts(ev: Evaluation, school_id: str, county: str, year: int,
                    lang: str) -> pd.DataFrame:
    """Return per (scheme, stage) the school-rule verdict of the school: meets, pass, failing."""
    rows = []
    for scheme in ev.units:
        units = scheme_units(ev, scheme, county, year)
        units = units[units["school_id"].astype(str) == str(school_id)]
        n = len(scheme_ids(scheme)) if scheme == "quality" else province_profile().n
        for u in units.itertuples(index=False):
            rows.append({"scheme": scheme, "stage": u.stage, "meets": int(u.meets), "n": n,
                         "school_pass": bool(u.school_pass),
                         "text": t("app.school.verdict", lang, scheme=t(f"scheme.{scheme}", lang),
                                   stage=t(f"stage.{u.stage}", lang), meets=int(u.meets), n=n,
                                   status=t("status.pass" if u.school_pass else "status.fail", lang),
                                   failing=_failing_names(u.failing, scheme, lang) or DASH)})
    return pd.DataFrame(rows, columns=["scheme", "stage", "meets", "n", "school_pass", "text"])


def verdict_markdown(verdicts: pd.DataFrame, lang: str) -> str:
    """Return the school-rule verdicts as Markdown lines with a green or red status badge."""
    if verdicts.empty:
        return ""
    lines = []
    for r in verdicts.itertuples(index=False):
        colour = "green" if r.school_pass else "red"
        status = t("status.pass" if r.school_pass else "status.fail", lang)
        lines.append(f"- :{colour}-badge[{status}] {r.text}")
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


# ----------------------------------------------------------------------------- checklist

_GROUP_ORDER: Final = ("verdict", "cv", "school_rule", "government", "quality", "satisfaction",
                       "veto", "prerequisite")


def checklist_frame(items: Sequence[ChecklistItem], lang: str, *,
                    problems_only: bool = False) -> pd.DataFrame:
    """Return the checklist (failures first, as given) with localized headers and labels.

    The hidden column ``status`` keeps the code (pass/fail/missing) for styling.
    """
    rows = []
    for it in items:
        if problems_only and it.status == "pass":
            continue
        rows.append({
            "status": it.status,
            t("app.check.col.scheme", lang): t(f"scheme.{it.scheme}", lang),
            t("app.check.col.group", lang): t(f"app.check.group.{it.group}", lang),
            t("app.check.col.item", lang): it.name_zh if lang == "zh" else it.name_en,
            t("app.check.col.status", lang): t(f"status.{it.status}", lang),
            t("app.check.col.value", lang): it.value,
            t("app.check.col.target", lang): it.target,
            t("app.check.col.evidence", lang): it.evidence,
        })
    columns = ["status"] + [t(f"app.check.col.{c}", lang) for c in
                            ("scheme", "group", "item", "status", "value", "target", "evidence")]
    return pd.DataFrame(rows, columns=columns)


STATUS_BACKGROUND: Final = {"pass": "#e8f5e9", "fail": "#ffebee", "missing": "#fff8e1"}


def checklist_columns(lang: str) -> list[str]:
    """Return the visible columns of the checklist table (the status code is hidden)."""
    return [t(f"app.check.col.{c}", lang) for c in
            ("status", "scheme", "group", "item", "value", "target", "evidence")]


def checklist_widths(lang: str) -> dict[str, str]:
    """Return the width ('small'/'medium'/'large') of each visible checklist column."""
    widths = {"status": "small", "scheme": "small", "group": "small", "item": "large",
              "value": "small", "target": "small", "evidence": "large"}
    return {t(f"app.check.col.{c}", lang): w for c, w in widths.items()}


def checklist_styler(frame: pd.DataFrame) -> Any:
    """Return a pandas Styler colouring each checklist row's status cell by its status."""
    status_col = frame.columns[4]  # the localized status column (after status, scheme, group, item)

    def colour(row: pd.Series) -> list[str]:
        bg = STATUS_BACKGROUND.get(str(row["status"]), "")
        return [f"background-color: {bg}" if c == status_col and bg else "" for c in row.index]

    return frame.style.apply(colour, axis=1)


def table_height(frame: pd.DataFrame, row_px: int = 35, max_rows: int = 30) -> int:
    """Return a table height (px) showing up to ``max_rows`` rows without inner scrolling."""
    return row_px * (min(len(frame), max_rows) + 1) + 3


def checklist_counts(items: Sequence[ChecklistItem]) -> pd.DataFrame:
    """Return per scheme the number of items passing, failing and missing (verdicts excluded),
    and the scheme's overall status.
    """
    out = []
    for scheme in ("basic", "quality"):
        parts = [i for i in items if i.scheme == scheme and i.group != "verdict"]
        verdict = next((i.status for i in items if i.scheme == scheme and i.group == "verdict"),
                       "missing")
        out.append({"scheme": scheme, "passed": sum(i.status == "pass" for i in parts),
                    "failed": sum(i.status == "fail" for i in parts),
                    "missing": sum(i.status == "missing" for i in parts), "total": len(parts),
                    "verdict": verdict})
    return pd.DataFrame(out)
