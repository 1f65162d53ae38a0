"""Evaluate counties: units, coefficients, verdicts and school rules in one vectorised pass.

``evaluate(schools)`` takes a schools table of any number of counties and years (one snapshot,
a province, the whole country) and returns an ``Evaluation``; ``to_report`` turns one county of it
into the JSON report of docs/data-contract.md §5.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd

from dashboard.method.coefficients import group_stats, judge, unit_contributions
from dashboard.method.compliance import basic_school_rule, quality_school_rule
from dashboard.method.standards import (
    DEFAULT_PARAMS,
    SCHEMES,
    STAGES,
    EvalParams,
    cv_threshold,
    scheme_ids,
)
from dashboard.method.units import UNIT_KEY, unit_columns

__all__ = ["Evaluation", "evaluate", "to_report", "REPORT_SCHEMES"]

REPORT_SCHEMES: Final = ("basic", "quality")
_KEY: Final = list(UNIT_KEY)


@dataclass(frozen=True)
class Evaluation:
    """The evaluation of every county × year × stage in a schools table.

    - ``units[scheme]``: one row per unit in scope (see units.build_units) with its indicator
      values, ``share_<id>`` (its share of the weighted variance, 0–1), ``cvifmean_<id>`` (the CV
      if it stood at the county mean), ``meets``/``school_pass``/``failing`` (school rule).
    - ``indicators``: county_code, year, stage, scheme, indicator, units, students, mean (official
      unit), cv, rounded, threshold (quality only, NaN for basic), passed, near (quality only).
    - ``composites``: county_code, year, stage, composite_cv (mean of B1–B8), rounded, threshold,
      passed, near.
    - ``verdicts``: county_code, year, stage, scheme, value (composite or the largest CV),
      threshold, passed, near, failing_indicators, units, failing_units.
    - ``school_rules``: the school-rule columns of both schemes stacked, with scheme.
    """

    params: EvalParams
    units: dict[str, pd.DataFrame]
    indicators: pd.DataFrame
    composites: pd.DataFrame
    verdicts: pd.DataFrame
    school_rules: pd.DataFrame
    schools: pd.DataFrame = field(repr=False)
    # the optional class and room rows the basic school rule was judged with (data contract
    # §4a; profiles_county.with_profile attaches them), so every verdict made from this
    # evaluation sees the same facts
    classes: pd.DataFrame | None = field(default=None, repr=False)
    rooms: pd.DataFrame | None = field(default=None, repr=False)

    def county_years(self) -> list[tuple[str, int]]:
        """Return the (county_code, year) pairs present, sorted."""
        pairs = self.schools[["county_code", "year"]].drop_duplicates()
        return sorted((str(c), int(y)) for c, y in pairs.itertuples(index=False))


def _thresholds(stage: np.ndarray, scheme: str) -> np.ndarray:
    return np.where(stage == "primary", cv_threshold(scheme, "primary"), cv_threshold(scheme, "junior"))


def _group_codes(cols: dict[str, np.ndarray]) -> tuple[np.ndarray, pd.DataFrame]:
    """Return (integer group code per unit, the groups as a county_code/year/stage frame).

    Codes follow the sorted order of (county_code, year, stage); built from per-key factorize
    codes rather than tuples, which keeps a country of units fast.
    """
    parts = [pd.factorize(cols[k], sort=True) for k in _KEY]
    key = np.zeros(len(cols["unit_id"]), dtype=np.int64)
    for codes_k, uniq_k in parts:
        key = key * len(uniq_k) + codes_k
    codes, uniq_key = pd.factorize(key, sort=True)
    base = {}
    rest = np.asarray(uniq_key, dtype=np.int64)
    for name, (_, uniq_k) in reversed(list(zip(_KEY, parts))):
        base[name] = np.asarray(uniq_k)[rest % len(uniq_k)] if len(uniq_k) else np.asarray(uniq_k)
        rest = rest // max(len(uniq_k), 1)
    return codes.astype(np.int64), pd.DataFrame({k: base[k] for k in _KEY})


@dataclass(frozen=True)
class _SchemeResult:
    """One scheme's tables and its per-group arrays (groups: sorted county × year × stage)."""

    units: pd.DataFrame
    table: pd.DataFrame  # the indicator rows, indicator-major
    groups: pd.DataFrame  # county_code, year, stage of each group
    cv: np.ndarray  # groups × indicators
    passed: np.ndarray | None  # groups × indicators (quality only)
    near: np.ndarray | None
    unit_count: np.ndarray  # units per group
    failing_units: np.ndarray  # units failing the school rule per group


def _scheme_tables(schools: pd.DataFrame, scheme: str, params: EvalParams) -> _SchemeResult:
    """Return the units (with contributions and school rule) and the indicator table of one
    scheme, with the per-group arrays the composites and verdicts are made of."""
    ids = list(scheme_ids(scheme))
    cols = unit_columns(schools, scheme, params)
    n = len(cols["unit_id"])
    codes, base = _group_codes(cols)
    values = np.column_stack([cols[i] for i in ids]) if n else np.zeros((0, len(ids)))
    weights = cols["students"].astype(float)
    stats = group_stats(values, weights, codes, len(base))
    share, cv_if = unit_contributions(values, weights, codes, stats)
    for j, ind in enumerate(ids):
        cols[f"share_{ind}"] = share[:, j]
        cols[f"cvifmean_{ind}"] = cv_if[:, j]
    rule = (quality_school_rule(cols) if scheme == "quality"
            else basic_school_rule(cols, params.province_profile))
    for c in rule.columns:
        if c != "unit_id":
            cols[c] = rule[c].to_numpy()
    units = pd.DataFrame(cols)
    k, g = len(ids), len(base)
    cv = stats.cv.T.reshape(-1)  # indicator-major: all groups of ids[0], then ids[1], …
    cols_t: dict[str, object] = {key: np.tile(base[key].to_numpy(), k) for key in _KEY}
    cols_t.update(
        scheme=np.full(k * g, scheme, dtype=object), indicator=np.repeat(np.array(ids, dtype=object), g),
        units=stats.count.T.reshape(-1).astype(int), students=stats.weight.T.reshape(-1),
        mean=stats.mean.T.reshape(-1), cv=cv, rounded=np.round(cv, params.round_dp),
    )
    passed = near = None
    if scheme == "quality":
        thr = _thresholds(cols_t["stage"], "quality")  # type: ignore[arg-type]
        passed, near = judge(cv, thr, params.round_dp, params.near_margin)
        cols_t.update(threshold=thr, passed=passed, near=near)
        passed, near = passed.reshape(k, g).T, near.reshape(k, g).T
    else:
        cols_t.update(threshold=np.full(k * g, np.nan), passed=pd.NA, near=pd.NA)
    failing = ~np.asarray(cols["school_pass"], dtype=bool)
    return _SchemeResult(
        units=units, table=pd.DataFrame(cols_t), groups=base, cv=stats.cv, passed=passed,
        near=near, unit_count=np.bincount(codes, minlength=g).astype(np.int64),
        failing_units=np.bincount(codes, weights=failing, minlength=g).astype(np.int64))


def evaluate(
    schools: pd.DataFrame,
    params: EvalParams = DEFAULT_PARAMS,
    schemes: tuple[str, ...] = SCHEMES,
) -> Evaluation:
    """Return the full evaluation of every county, year and stage in ``schools``.

    ``schools`` follows docs/data-contract.md §2 (canonical column names); it is not changed.
    """
    results = {scheme: _scheme_tables(schools, scheme, params) for scheme in schemes}
    keep = [*_KEY, "unit_id", "school_id", "school_name", "students", "meets", "school_pass", "failing",
            "school_status"]
    indicators = pd.concat([r.table for r in results.values()], ignore_index=True)
    indicators = indicators.sort_values([*_KEY, "scheme", "indicator"], kind="stable").reset_index(drop=True)
    school_rules = pd.concat([r.units[keep].assign(scheme=s) for s, r in results.items()],
                             ignore_index=True)
    comp = _composites(results["basic"], params) if "basic" in results else _composites(None, params)
    verdicts = _verdicts(comp, results.get("basic"), results.get("quality"))
    return Evaluation(params, {s: r.units for s, r in results.items()}, indicators, comp, verdicts,
                      school_rules, schools)


def _composites(basic: _SchemeResult | None, params: EvalParams) -> pd.DataFrame:
    """Return the basic composite CV (mean of B1–B8) per county × year × stage, judged."""
    cols = [*_KEY, "composite_cv", "threshold", "rounded", "passed", "near"]
    if basic is None or basic.groups.empty:
        return pd.DataFrame(columns=cols)
    # A composite needs all 8 CVs: a missing one (mean 0, e.g. no books at all) leaves it NaN.
    complete = np.isfinite(basic.cv).all(axis=1)
    with np.errstate(invalid="ignore"):
        composite = np.where(complete, np.nanmean(np.where(complete[:, None], basic.cv, 0.0), axis=1),
                             np.nan)
    threshold = _thresholds(basic.groups["stage"].to_numpy(), "basic")
    passed, near = judge(composite, threshold, params.round_dp, params.near_margin)
    comp = basic.groups.copy()
    comp["composite_cv"] = composite
    comp["threshold"] = threshold
    comp["rounded"] = np.round(composite, params.round_dp)
    comp["passed"], comp["near"] = passed, near
    return comp[cols]


def _verdicts(comp: pd.DataFrame, basic: _SchemeResult | None,
              quality: _SchemeResult | None) -> pd.DataFrame:
    cols = [*_KEY, "scheme", "value", "threshold", "passed", "near", "failing_indicators", "units",
            "failing_units"]
    frames = []
    if basic is not None and len(comp):
        b = comp[[*_KEY, "composite_cv", "threshold", "passed", "near"]].rename(
            columns={"composite_cv": "value"})
        b["scheme"] = "basic"
        b["failing_indicators"] = (~b["passed"]).astype(int)
        b["units"], b["failing_units"] = basic.unit_count, basic.failing_units
        frames.append(b)
    if quality is not None and len(quality.groups):
        assert quality.passed is not None and quality.near is not None
        q = quality.groups.copy()
        q["scheme"] = "quality"
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN group: NaN, as groupby max
            q["value"] = np.nanmax(quality.cv, axis=1)
        q["threshold"] = _thresholds(q["stage"].to_numpy(), "quality")
        q["failing_indicators"] = (~quality.passed).sum(axis=1).astype(np.int64)
        q["passed"] = q["failing_indicators"] == 0
        q["near"] = quality.near.any(axis=1)
        q["units"], q["failing_units"] = quality.unit_count, quality.failing_units
        frames.append(q)
    if not frames:
        return pd.DataFrame(columns=cols)
    out = pd.concat([f[cols] for f in frames], ignore_index=True)
    return out.sort_values([*_KEY, "scheme"], kind="stable").reset_index(drop=True)


def _f(x) -> float | None:
    """JSON number: unrounded float, None for NaN."""
    x = float(x)
    return None if np.isnan(x) else x


def to_report(ev: Evaluation, county_code: str, year: int, schemes: tuple[str, ...] = REPORT_SCHEMES) -> dict:
    """Return the evaluation report of one county and year (docs/data-contract.md §5) as a JSON-ready dict.

    Numbers are unrounded floats; ``pass`` applies the 3-decimal rule.  A stage with no unit in
    any scheme is left out of ``stages``.
    """
    if (county_code, year) not in ev.county_years():
        raise KeyError(f"county {county_code} has no data for year {year}; present: {ev.county_years()}")
    stages: dict[str, dict] = {}
    sel = lambda df: df[(df["county_code"] == county_code) & (df["year"] == year)]  # noqa: E731
    ind = sel(ev.indicators)
    comp = sel(ev.composites)
    for stage in STAGES:
        out_stage: dict[str, dict] = {}
        for scheme in schemes:
            units = sel(ev.units[scheme])
            units = units[units["stage"] == stage]
            if units.empty:
                continue
            ids = list(scheme_ids(scheme))
            rows = ind[(ind["scheme"] == scheme) & (ind["stage"] == stage)].set_index("indicator")
            unit_list = []
            for u in units.itertuples(index=False):
                d = {"unit_id": u.unit_id, "school_id": str(u.school_id), "students": int(u.students),
                     "values": {i: _f(getattr(u, i)) for i in ids}}
                if scheme == "quality":
                    d["meets"] = int(u.meets)
                    d["school_pass"] = bool(u.school_pass)
                unit_list.append(d)
            if scheme == "basic":
                c = comp[comp["stage"] == stage].iloc[0]
                out_stage["basic"] = {
                    "indicators": {i: {"mean": _f(rows.loc[i, "mean"]), "cv": _f(rows.loc[i, "cv"])} for i in ids},
                    "composite_cv": _f(c["composite_cv"]),
                    "threshold": float(c["threshold"]),
                    "pass": bool(c["passed"]),
                    "units": unit_list,
                }
            else:
                out_stage["quality"] = {
                    "indicators": {
                        i: {"mean": _f(rows.loc[i, "mean"]), "cv": _f(rows.loc[i, "cv"]),
                            "threshold": float(rows.loc[i, "threshold"]), "pass": bool(rows.loc[i, "passed"])}
                        for i in ids
                    },
                    "pass": bool(rows["passed"].astype(bool).all()),
                    "units": unit_list,
                }
        if out_stage:
            stages[stage] = out_stage
    return {"county_code": county_code, "year": int(year), "params": ev.params.as_dict(), "stages": stages}
