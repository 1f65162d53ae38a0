"""How many schools the outputs count, and why the counts differ: the schools of the snapshot,
those each assessment takes in (its scope: teaching points merged or under the cut-off,
private or non-county-run schools out; docs/method.md §6), the units they make (school ×
stage) and the units' school-rule status (pass, fail, approximated, missing; §4.1).

Every figure is counted from the engine's units, so the sentences add up by construction:
schools = taken in + left out by reason, and units = taken in + schools counted at two stages.
No Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import pandas as pd

from dashboard.i18n import t
from dashboard.method.standards import STAGES
from dashboard.method.verdict import SCHOOL_STATUSES, code_key, school_statuses
from dashboard.ui.present.model import Material

__all__ = ["OUT_REASONS", "Scope", "scope_of", "scope_text", "school_counts",
           "counts_text", "status_order", "code_key", "in_table_order"]

# why a school of the snapshot makes no unit of its own (docs/method.md §6)
OUT_REASONS: Final = ("merged", "tp_excluded", "tp_out", "private", "non_county_run", "other")


@dataclass(frozen=True)
class Scope:
    """The schools of one assessment: ``taken`` schools with a unit, ``out`` the others by
    reason (OUT_REASONS), ``two_stages`` schools with a unit at both stages, ``units`` per
    stage."""

    scheme: str
    schools: int
    taken: int
    out: dict[str, int]
    two_stages: int
    units: dict[str, int]


def _flag(schools: pd.DataFrame, column: str, value: object, default: bool) -> pd.Series:
    if column not in schools:
        return pd.Series(default, index=schools.index)
    col = schools[column]
    return (col == value) if value is not None else col.where(col.notna(), True).astype(bool)


def scope_of(m: Material, scheme: str) -> Scope:
    """Return the scope of ``scheme``: which of the snapshot's schools make units, and why the
    others do not (the first reason that applies: private, not county-run, teaching point)."""
    schools = m.schools
    units = m.units(scheme)
    taken = set(units["school_id"].astype(str))
    ids = schools["school_id"].astype(str)
    private = _flag(schools, "ownership", "private", False)
    county_run = _flag(schools, "county_run", None, True)
    point = _flag(schools, "school_type", "teaching_point", False)
    basic_tp = ("merged" if m.evaluation.params.tp_basic == "merge" else "tp_excluded")
    tp_reason = basic_tp if scheme == "basic" else "tp_out"  # quality: under the cut-off
    out = dict.fromkeys(OUT_REASONS, 0)
    for k in schools.index[~ids.isin(taken)]:
        reason = ("private" if private[k] else "non_county_run" if not county_run[k]
                  else tp_reason if point[k] else "other")
        out[reason] += 1
    per_school = units.groupby(units["school_id"].astype(str))["stage"].nunique()
    return Scope(scheme, int(ids.nunique()), len(taken), out, int((per_school > 1).sum()),
                 {s: int((units["stage"] == s).sum()) for s in STAGES
                  if (units["stage"] == s).any()})


def scope_text(m: Material, scheme: str) -> str:
    """Return one sentence: the schools ``scheme`` takes in, those it leaves out and why, and
    the units (school × stage) they make, e.g. '基本均衡纳入 39 所学校（教学点 20 个并入所属
    中心校计算；民办学校 2 所、非县属学校 1 所不纳入）；…共 42 个学校（学段）：小学 29 个、
    初中 13 个。'"""
    lang, sc = m.lang, scope_of(m, scheme)
    sep = "、" if lang == "zh" else ", "
    params = m.evaluation.params
    cut = t("present2.scope.cut_inclusive" if params.tp_min_inclusive else "present2.scope.cut_at",
            lang, n=params.tp_min_students)
    out = [t(f"present2.scope.out.{r}", lang, n=n, cut=cut) for r, n in sc.out.items() if n]
    stages = sep.join(t("present2.scope.stage_units", lang, stage=t(f"stage.{s}", lang), n=n)
                      for s, n in sc.units.items())
    return t("present2.scope.scheme", lang, scheme=t(f"scheme.{scheme}", lang), taken=sc.taken,
             out=("；" if lang == "zh" else "; ").join(out) or t("present2.scope.none_out", lang),
             two=sc.two_stages, units=sum(sc.units.values()), stages=stages)


def school_counts(m: Material, scheme: str, stage: str | None = None) -> dict[str, int]:
    """Return the units of ``scheme`` (one stage, or all) by school-rule status
    (SCHOOL_STATUSES; a unit without a status counts by ``school_pass``)."""
    units = m.units(scheme, stage)
    status = school_statuses(units)
    return {s: int((status == s).sum()) for s in SCHOOL_STATUSES}


def status_order(units: pd.DataFrame) -> pd.Series:
    """Return each unit's rank for sorting: failing first, then approximated, missing, pass."""
    rank = {s: k for k, s in enumerate(SCHOOL_STATUSES)}
    return school_statuses(units).map(rank).astype(int)  # every unit has one of the statuses


def in_table_order(units: pd.DataFrame) -> pd.DataFrame:
    """Return ``units`` (of one stage) with ``order_`` and ``status_`` columns, in the order
    every output lists schools (the report's tables, the workbook, the deck, the sentences):
    failing first, then approximated, missing, passing; within a status by school code
    (学校标识码), as a bureau's rosters list them, not by the characters of the name, which a
    Chinese reader finds random; the name only breaks a tie."""
    out = units.assign(order_=status_order(units), status_=school_statuses(units),
                       code_=code_key(units["school_id"]) if "school_id" in units
                       else pd.Series("", index=units.index))
    return out.sort_values(["order_", "code_", "school_name"], kind="stable").drop(
        columns="code_")


def counts_text(m: Material, scheme: str, stage: str | None = None) -> str:
    """Return the units of ``scheme`` (one stage, or all) by status in one phrase, e.g.
    '42 个学校（学段）中 2 个未达标，16 个仅按近似判断，24 个达标' (statuses with no unit left
    out, except the passing ones)."""
    lang = m.lang
    n = school_counts(m, scheme, stage)
    sep = "，" if lang == "zh" else ", "
    parts = [t(f"present2.counts.{s}", lang, n=n[s]) for s in SCHOOL_STATUSES
             if n[s] or s == "pass"]
    return t("present2.counts.all", lang, total=sum(n.values()), parts=sep.join(parts))
