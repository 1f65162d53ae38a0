"""Evaluation units: (school, stage) rows with apportioned resources, after the scope rules.

A unit is one school at one stage (小学部 / 初中部).  Shared physical resources of 一贯制 schools
and 完全中学 are apportioned between stages by weighted enrolment (docs/method.md §6.1):

    share_s = w_s · N_s / Σ_t w_t · N_t

with weights 1 : 1.1 (九年一贯制 小学:初中), 1 : 1.2 (完全中学 初中:高中) and 1 : 1.1 : 1.32
(十二年一贯制), or plain enrolment (all weights 1).  Teacher counts are reported by stage and are
not apportioned.

Scope (docs/method.md §6): basic — private and non-county-run schools out, teaching points merged into their
parent's primary unit; quality — teaching points under the cut-off out, private in (switch),
non-county-run out (switch).  Everything is vectorised over any number of counties and years.

>>> import pandas as pd
>>> s = pd.DataFrame({"school_id": ["a"], "school_type": ["nine_year"], "students_primary": [166],
...     "students_junior": [210], "students_senior": [0], "books": [23226]})
>>> shares = stage_shares(s)
>>> int(shares["primary"].iloc[0] * 23226)   # S6 published example: 9 711 whole books
9711
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from dashboard.method.standards import DEFAULT_PARAMS, INDICATORS, STAGES, EvalParams, scheme_ids

__all__ = [
    "SHARED_COLUMNS",
    "STAGE_COLUMNS",
    "UNIT_KEY",
    "stage_shares",
    "build_units",
    "unit_columns",
    "indicator_values",
]

# Whole-school resources apportioned between stages (units keep the same names).
SHARED_COLUMNS: Final = (
    "teaching_aux_area_m2",
    "sports_area_m2",
    "equipment_value_yuan",
    "computers",
    "books",
    "multimedia_rooms",
    "building_area_m2",
)
# Stage-reported columns: ``<name>_<stage>`` in schools, ``<name>`` in units.
STAGE_COLUMNS: Final = (
    "students",
    "classes",
    "teachers",
    "teachers_above_degree",
    "teachers_mid_title",
    "teachers_backbone",
    "teachers_pe_art",
)
# Attributes carried from the school to each of its units.
_ATTRS: Final = (
    "year",
    "county_code",
    "county_name",
    "school_id",
    "school_name",
    "township",
    "school_type",
    "parent_school_id",
    "ownership",
    "county_run",
    "urban_rural_code",
    "longitude",
    "latitude",
)
UNIT_KEY: Final = ("county_code", "year", "stage")


def _col(frame: pd.DataFrame, name: str, default: float = 0.0) -> np.ndarray:
    if name in frame.columns:
        return frame[name].fillna(default).to_numpy(dtype=float)
    return np.full(len(frame), default, dtype=float)


def stage_shares(schools: pd.DataFrame, params: EvalParams = DEFAULT_PARAMS) -> pd.DataFrame:
    """Return each school's share (0–1) of shared resources for 'primary' and 'junior'.

    The senior (高中) share is the remainder.  A school with no weighted enrolment gets 0.
    """
    a = _col(schools, "students_primary")
    b = _col(schools, "students_junior")
    c = _col(schools, "students_senior")
    stype = schools["school_type"].astype(str).to_numpy()
    if params.split_mode == "plain":
        wa = wb = wc = np.ones(len(schools))
    else:
        p9, j9 = params.split_nine_year
        jw, sw = params.split_complete_secondary
        p12, j12, s12 = params.split_twelve_year
        is_wz = stype == "complete_secondary"
        is_12 = stype == "twelve_year"
        # 小学:初中 1 : 1.1 for every school with both stages, 完全中学 初中:高中 1 : 1.2,
        # 十二年一贯制 1 : 1.1 : 1.32.
        wa = np.where(is_12, p12, p9)
        wb = np.where(is_wz, jw, np.where(is_12, j12, j9))
        wc = np.where(is_wz, sw, np.where(is_12, s12, 1.0))
    total = wa * a + wb * b + wc * c
    with np.errstate(invalid="ignore", divide="ignore"):
        share_p = np.where(total > 0, wa * a / total, 0.0)
        share_j = np.where(total > 0, wb * b / total, 0.0)
    return pd.DataFrame({"primary": share_p, "junior": share_j}, index=schools.index)


def indicator_values(units: pd.DataFrame, ids: tuple[str, ...] | list[str]) -> pd.DataFrame:
    """Return the per-unit values of indicators ``ids`` in official units (see indicators.csv).

    ``value = numerator × scale / students``; NaN where the unit has no pupils.
    """
    students = units["students"].to_numpy(dtype=float)
    out = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        for ind_id in ids:
            ind = INDICATORS[ind_id]
            num = units[ind.numerator].to_numpy(dtype=float)
            out[ind_id] = np.where(students > 0, num * ind.scale / students, np.nan)
    return pd.DataFrame(out, index=units.index)


def _raw_unit_columns(schools: pd.DataFrame, params: EvalParams) -> dict[str, np.ndarray]:
    """One row per (school, stage) with pupils at that stage, resources apportioned (columns)."""
    shares = stage_shares(schools, params)
    boarders = _col(schools, "boarders")
    dorm = _col(schools, "dorm_area_m2")
    classes_total = _col(schools, "classes_primary") + _col(schools, "classes_junior")
    av_all = _col(schools, "classes_with_av") >= classes_total
    attrs = [a for a in _ATTRS if a in schools.columns]
    attr_values = {a: schools[a].to_numpy() for a in attrs}
    school_ids = schools["school_id"].astype(str).to_numpy(dtype=object)
    parts: dict[str, list[np.ndarray]] = {}

    def add(name: str, values: np.ndarray) -> None:
        parts.setdefault(name, []).append(values)

    for stage in STAGES:
        students = _col(schools, f"students_{stage}")
        keep = students > 0
        for a in attrs:
            add(a, attr_values[a][keep])
        add("stage", np.full(int(keep.sum()), stage, dtype=object))
        add("unit_id", school_ids[keep] + (":" + stage))
        share = shares[stage].to_numpy()[keep]
        add("share", share)
        for col in STAGE_COLUMNS:
            add(col, _col(schools, f"{col}_{stage}")[keep])
        for col in SHARED_COLUMNS:
            add(col, _col(schools, col)[keep] * share)
        # School-level facts used by the provincial school rule (ratios, not apportioned).
        add("boarders", boarders[keep])
        add("dorm_area_m2", dorm[keep])
        add("av_all_classes", av_all[keep])
    return {k: np.concatenate(v) for k, v in parts.items()}


_SUMMED: Final = (*STAGE_COLUMNS, *SHARED_COLUMNS)


def _take(cols: dict[str, np.ndarray], mask_or_index: np.ndarray) -> dict[str, np.ndarray]:
    return {k: v[mask_or_index] for k, v in cols.items()}


def _merge_teaching_points(cols: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Merge teaching-point units into their parent's primary unit (basic scheme).

    A point whose parent has no primary unit in scope stays a unit of its own, so that no
    pupils are silently lost; ``merged_points`` counts what each unit absorbed.
    """
    n = len(cols["unit_id"])
    is_tp = cols["school_type"] == "teaching_point"
    cols["merged_points"] = np.zeros(n, dtype=np.int64)
    if not is_tp.any():
        return cols
    # Unit ids repeat across counties and years: look parents up within (county, year).
    scope = (pd.Series(cols["county_code"]).astype(str) + "|" + pd.Series(cols["year"]).astype(str) + "|")
    scope = scope.to_numpy(dtype=object)
    parents = scope + pd.Series(cols["parent_school_id"]).astype(str).to_numpy(dtype=object) + ":primary"
    parent_idx = pd.Index(scope + cols["unit_id"]).get_indexer(parents)
    merged = is_tp & (parent_idx >= 0)
    if not merged.any():
        return cols
    target = np.where(merged, parent_idx, np.arange(n))
    for col in _SUMMED:
        cols[col] = np.bincount(target, weights=cols[col].astype(float), minlength=n)
    cols["merged_points"] = np.bincount(target, weights=merged.astype(float), minlength=n).astype(np.int64)
    # 班班通 in every class holds only if it held in every merged part.
    lacking = np.bincount(target, weights=(~cols["av_all_classes"].astype(bool)).astype(float), minlength=n)
    cols["av_all_classes"] = lacking == 0
    return _take(cols, ~merged)


def _sorted(cols: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    keys = [pd.factorize(cols[k], sort=True)[0] for k in ("unit_id", "stage", "year", "county_code")]
    return _take(cols, np.lexsort(keys))


def unit_columns(schools: pd.DataFrame, scheme: str, params: EvalParams = DEFAULT_PARAMS) -> dict[str, np.ndarray]:
    """Return the units of ``scheme`` as a dict of equal-length arrays (see build_units)."""
    ids = scheme_ids(scheme)
    cols = _raw_unit_columns(schools, params)
    n = len(cols["unit_id"])
    private = cols["ownership"] == "private" if "ownership" in cols else np.zeros(n, bool)
    if "county_run" in cols:
        county_run = pd.Series(cols["county_run"]).fillna(True).astype(bool).to_numpy()
    else:
        county_run = np.ones(n, bool)
    is_tp = cols["school_type"] == "teaching_point"
    if scheme == "basic":
        keep = county_run & (np.ones(n, bool) if params.include_private_basic else ~private)
        if params.tp_basic == "exclude":  # 教学点…暂不纳入差异系数计算 (docs/method.md §6)
            keep &= ~is_tp
        cols = _merge_teaching_points(_take(cols, keep))
    else:
        students = cols["students"]
        tp_ok = (students >= params.tp_min_students) if params.tp_min_inclusive else (
            students > params.tp_min_students)
        keep = ~is_tp | tp_ok
        if not params.include_private_quality:
            keep &= ~private
        if not params.include_non_county_run_quality:
            keep &= county_run
        cols = _take(cols, keep)
        cols["merged_points"] = np.zeros(int(keep.sum()), dtype=np.int64)
    cols = _sorted(cols)
    students = cols["students"].astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        for ind_id in ids:
            ind = INDICATORS[ind_id]
            cols[ind_id] = np.where(students > 0, cols[ind.numerator] * ind.scale / students, np.nan)
    return cols


def build_units(
    schools: pd.DataFrame, scheme: str, params: EvalParams = DEFAULT_PARAMS
) -> pd.DataFrame:
    """Return the evaluation units of ``scheme`` with their indicator values (official units).

    One row per (school, stage) that enters the scheme's coefficients, any number of counties
    and years at once, sorted by county, year, stage and unit; columns: the school attributes,
    ``unit_id`` ("<school_id>:<stage>"), ``stage``, ``students``, teacher counts, apportioned
    resources, ``merged_points`` (teaching points merged in, basic) and one column per indicator
    of the scheme (B1–B8 or Q1–Q7).  The input is not changed.
    """
    return pd.DataFrame(unit_columns(schools, scheme, params))
