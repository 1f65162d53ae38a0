"""The prepared instance of a plan: one county-year, one stage, one scheme, with the movable
units, the teacher classes, the per-unit lower bounds and the roster's pools of eligible teachers."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd

from dashboard.method.compliance import QUALITY_MIN_MET, QUALITY_REST_FRACTION
from dashboard.method.engine import Evaluation, evaluate
from dashboard.method.standards import (
    INDICATORS,
    EvalParams,
    cv_threshold,
    province_profile,
    scheme_ids,
    teacher_attributes,
)
from dashboard.planning.planner.types import (
    ROTATION_MIN_SHARE,
    PlanConstraints,
    PlanError,
    PlanGoal,
    half_step,
)
from dashboard.planning.scenario import roster_attributes

TEACHER_ATTRS: Final = teacher_attributes()  # every attribute a Transfer carries
BASIC_CV_COUNT: Final = len(scheme_ids("basic"))  # the basic composite is the mean of these CVs
BASIC_RESOURCE_COUNT: Final = len(scheme_ids("basic", "resource"))
_EARTH_KM: Final = 6371.0088
_FLAGS_MEMO_SIZE: Final = 4


@dataclass
class _Inst:
    """One county-year-stage-scheme instance (internal)."""

    goal: PlanGoal
    cons: PlanConstraints
    schools: pd.DataFrame
    teachers: pd.DataFrame | None
    params: EvalParams
    county: str
    year: int
    tau: float  # the target CV (composite for basic)
    threshold: float
    before: Evaluation
    units: pd.DataFrame  # scheme units at the stage
    P: np.ndarray
    movable: np.ndarray  # unit positions of movable units
    school_of: list[str]  # school id of each movable unit
    lon: np.ndarray
    lat: np.ndarray
    names: tuple[str, ...]  # counts entering the teacher CV constraints (unit columns)
    ind_of_name: dict[str, str]
    attrs: tuple[str, ...]
    classes: np.ndarray  # (K, len(attrs)) 0/1
    base: dict[str, np.ndarray]  # unit counts per name (all units) + "teachers"
    own_T: np.ndarray  # movable school's own teachers at the stage
    own_A: dict[str, np.ndarray]
    floor_T: np.ndarray  # staffing floor of each movable school
    lb: dict[str, np.ndarray]  # lower bound of each movable unit's count (keep minimums)
    elig: np.ndarray | None  # (M, K) eligible roster teachers per class
    pool: dict[tuple[int, int], list[str]] = field(default_factory=dict)
    resource_cv: float = 0.0  # basic: Σ of the five resource CVs (fixed under transfers)
    flags: pd.DataFrame | None = None  # roster attributes of the stage's teachers, by teacher id
    every: np.ndarray | None = None  # (M, K) all roster teachers per class (eligible or not)
    rotation_min: int = 0  # rotation constraints: least teachers moved (0: none asked)
    # the per-school rule (quality, docs/method.md §9.6): teacher minimums each movable unit may
    # leave at 85 % (0: none; a unit passing the rule with every resource minimum met: one) ...
    relief: np.ndarray | None = None
    rule_full: dict[str, np.ndarray] = field(default_factory=dict)  # ... the count when kept
    rule_low: dict[str, np.ndarray] = field(default_factory=dict)  # ... and when left at 85 %


def _county_year(schools: pd.DataFrame, goal: PlanGoal) -> tuple[str, int]:
    """Return the one (county, year) of ``schools`` the goal selects."""
    pairs = sorted({(str(c), int(y)) for c, y in schools[["county_code", "year"]].itertuples(index=False)})
    if goal.county_code is not None or goal.year is not None:
        pairs = [p for p in pairs if (goal.county_code in (None, p[0])) and (goal.year in (None, p[1]))]
    if len(pairs) != 1:
        raise PlanError("scope", n=len(pairs), pairs=[f"{c} {y}" for c, y in pairs[:5]])
    return pairs[0]


def _coef(name: str, attrs: tuple[str, ...], classes: np.ndarray) -> np.ndarray:
    """Return how much one teacher of each class adds to count ``name``."""
    if name == "teachers":
        return np.ones(len(classes))
    return classes[:, attrs.index(name.removeprefix("teachers_"))].astype(float)


def _restrict(ev: Evaluation, county: str, year: int) -> Evaluation:
    """Return ``ev`` cut down to one county-year (frames filtered, nothing recomputed)."""
    if ev.county_years() == [(county, year)]:
        return ev

    def sel(df: pd.DataFrame) -> pd.DataFrame:
        if df.empty:
            return df
        return df[(df["county_code"].astype(str) == county) & (df["year"].astype(int) == year)].reset_index(drop=True)

    return Evaluation(ev.params, {k: sel(v) for k, v in ev.units.items()}, sel(ev.indicators), sel(ev.composites),
                      sel(ev.verdicts), sel(ev.school_rules), sel(ev.schools))


def plannable(frame: pd.DataFrame, school_ids: pd.Series, cons: PlanConstraints, *,
              teaching_points: bool) -> np.ndarray:
    """Return a mask of the rows a plan may change: public, county-run, not locked (and not a
    teaching point unless ``teaching_points``); ``school_ids`` are the rows' school ids."""
    ok = np.ones(len(frame), bool)
    if "ownership" in frame:
        ok &= (frame["ownership"].astype(str) != "private").to_numpy()
    if "county_run" in frame:
        ok &= frame["county_run"].fillna(True).astype(bool).to_numpy()
    if not teaching_points:
        ok &= (frame["school_type"].astype(str) != "teaching_point").to_numpy()
    ok &= ~school_ids.astype(str).isin(cons.locked_schools).to_numpy()
    return ok


def _county_schools(schools_in: pd.DataFrame, goal: PlanGoal, cons: PlanConstraints,
                    teachers: pd.DataFrame | None) -> tuple[str, int, pd.DataFrame, pd.DataFrame | None]:
    """Return (county, year, its schools with str ids, its roster teachers) after the checks."""
    if "school_id" not in schools_in.columns:
        raise PlanError("no_school_id")
    county, year = _county_year(schools_in, goal)
    sel = (schools_in["county_code"].astype(str) == county) & (schools_in["year"].astype(int) == year)
    schools = schools_in.loc[sel].reset_index(drop=True)
    schools = schools.assign(school_id=schools["school_id"].astype(str))
    unknown = sorted(cons.locked_schools - set(schools["school_id"]))
    if unknown:
        raise PlanError("locked_unknown", county=county, year=year, schools=unknown[:5])
    if teachers is not None:
        mine = teachers["school_id"].astype(str).isin(schools["school_id"]).to_numpy()
        if not mine.all():  # (kept as the same object otherwise: its attributes are remembered)
            teachers = teachers[mine]
    return county, year, schools, teachers


def _stage_units(schools: pd.DataFrame, goal: PlanGoal, params: EvalParams, before: Evaluation | None,
                 county: str, year: int) -> tuple[Evaluation, pd.DataFrame]:
    """Return (the county's evaluation, reused when it fits, and its scheme units at the stage)."""
    if before is None or goal.scheme not in before.units or before.params != params:
        before = evaluate(schools, params)
    else:
        before = _restrict(before, county, year)
    units = before.units[goal.scheme]
    units = units[units["stage"] == goal.stage].reset_index(drop=True)
    if units.empty:
        raise PlanError("no_unit", county=county, year=year, stage=goal.stage, scheme=goal.scheme)
    return before, units


def _lower_bounds(cons: PlanConstraints, goal: PlanGoal, params: EvalParams, ind_of_name: dict[str, str],
                  base: dict[str, np.ndarray], movable: np.ndarray, Pm: np.ndarray, own_T: np.ndarray,
                  own_A: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Return the least count of each name at each movable unit (own staff only moves; minimums kept)."""
    stage = goal.stage
    lb: dict[str, np.ndarray] = {}
    for n, ind in ind_of_name.items():
        cur = base[n][movable]
        lo = np.zeros(len(movable))
        if cons.keep_minimums and goal.scheme == "quality":
            mn = INDICATORS[ind].minimum(stage)
            need = np.ceil(mn * Pm / INDICATORS[ind].scale - 1e-9)
            lo = np.where(cur >= need, need, cur)
        # a merged unit's count also holds its teaching points' teachers, which stay
        lb[n] = np.maximum(lo, cur - own_T if n == "teachers" else cur - own_A[n.removeprefix("teachers_")])
    if cons.keep_minimums and goal.scheme == "basic":  # (quality: relieved by _rule_relief)
        for rule in province_profile(params.province_profile).indicators:
            if rule.get("kind") == "ratio_max" and rule.get("numerator") == "students" \
                    and rule.get("denominator") == "teachers":
                limit = float(rule[stage])
                need = np.ceil(Pm / limit - 1e-9)
                cur = base["teachers"][movable]
                lb["teachers"] = np.maximum(lb.get("teachers", 0), np.where(cur >= need, need, cur))
    return lb


def rule_allowance(units: pd.DataFrame) -> np.ndarray:
    """Return, per quality unit, how many teacher minimums it may leave at 85 % and still pass
    the per-school rule (≥ QUALITY_MIN_MET of the 7 minimums, the rest ≥ 85 %), resources as they
    are: 0 for a unit failing the rule now (it keeps every teacher minimum it meets)."""
    ids = scheme_ids("quality")
    res_missed = sum((units[f"ratio_{q}"].to_numpy(float) < 1 - 1e-12).astype(int)
                     for q in scheme_ids("quality", "resource"))
    allow = np.maximum(len(ids) - QUALITY_MIN_MET - res_missed, 0)
    return np.where(units["school_pass"].fillna(False).astype(bool).to_numpy(), allow, 0)


def _rule_relief(inst: _Inst) -> None:
    """Fill the per-school rule's relief of the movable units (docs/method.md §9.6)."""
    units = inst.units.iloc[inst.movable]
    inst.relief = rule_allowance(units)
    if not inst.relief.any():
        inst.relief = None
        return
    Pm = inst.P[inst.movable]
    for n, ind in inst.ind_of_name.items():
        spec = INDICATORS[ind]
        need = np.ceil(spec.minimum(inst.goal.stage) * Pm / spec.scale - 1e-9)
        low = np.ceil(QUALITY_REST_FRACTION * spec.minimum(inst.goal.stage) * Pm / spec.scale - 1e-9)
        cur = inst.base[n][inst.movable]
        stays = cur - (inst.own_T if n == "teachers" else inst.own_A[n.removeprefix("teachers_")])
        inst.rule_full[n] = np.maximum(need, stays)
        inst.rule_low[n] = np.maximum(np.minimum(low, cur), stays)


def _classes(attrs: Sequence[str]) -> np.ndarray:
    """Return every 0/1 combination of ``attrs`` (class c has attribute j when bit j of c is set)."""
    return np.array([[(c >> j) & 1 for j in range(len(attrs))] for c in range(2 ** len(attrs))], dtype=np.int64)


def _prepare(schools_in: pd.DataFrame, goal: PlanGoal, cons: PlanConstraints,
             teachers: pd.DataFrame | None, params: EvalParams, before: Evaluation | None = None) -> _Inst:
    """Return the instance of ``goal`` on its county-year of ``schools_in`` (the inputs are not changed)."""
    county, year, schools, teachers = _county_schools(schools_in, goal, cons, teachers)
    before, units = _stage_units(schools, goal, params, before, county, year)
    stage = goal.stage
    thr = cv_threshold(goal.scheme, stage)
    P = units["students"].to_numpy(float)
    row_of = {s: i for i, s in enumerate(schools["school_id"])}
    sch = schools.iloc[[row_of[str(s)] for s in units["school_id"]]].reset_index(drop=True)
    movable = np.flatnonzero(plannable(sch, sch["school_id"], cons, teaching_points=False))
    ms = sch.iloc[movable]
    ids = scheme_ids(goal.scheme, "teacher")
    names = tuple(INDICATORS[i].numerator for i in ids)
    attrs = tuple(n.removeprefix("teachers_") for n in names if n != "teachers")
    if cons.rotation and "backbone" not in attrs:  # the backbone share of the rotated is counted
        attrs = (*attrs, "backbone")
    base = {n: units[n].to_numpy(float) for n in {*names, "teachers"}}
    own_T = ms[f"teachers_{stage}"].to_numpy(float)
    own_A = {a: ms[f"teachers_{a}_{stage}"].to_numpy(float) for a in TEACHER_ATTRS}
    own_P = ms[f"students_{stage}"].to_numpy(float)
    floor_T = np.minimum(own_T, np.ceil(own_P / float(cons.staffing_norm[stage]) - 1e-9))
    ind_of_name = dict(zip(names, ids))
    lb = _lower_bounds(cons, goal, params, ind_of_name, base, movable, P[movable], own_T, own_A)
    lon = ms["longitude"].to_numpy(float) if "longitude" in ms else np.full(len(ms), np.nan)
    lat = ms["latitude"].to_numpy(float) if "latitude" in ms else np.full(len(ms), np.nan)
    inst = _Inst(goal=goal, cons=cons, schools=schools, teachers=teachers, params=params, county=county,
                 year=year, tau=thr + half_step(params.round_dp) - cons.cv_margin, threshold=thr,
                 before=before, units=units, P=P, movable=movable,
                 school_of=[str(s) for s in ms["school_id"]], lon=lon, lat=lat, names=names,
                 ind_of_name=ind_of_name, attrs=attrs, classes=_classes(attrs), base=base, own_T=own_T,
                 own_A=own_A, floor_T=floor_T, lb=lb, elig=None)
    if cons.keep_minimums and goal.scheme == "quality":
        _rule_relief(inst)
    if teachers is not None and len(teachers):
        _roster_pools(inst)
    if cons.rotation:
        inst.rotation_min = _rotation_min(inst)
    if goal.scheme == "basic":
        ind = before.indicators
        rows = ind[(ind["scheme"] == "basic") & (ind["stage"] == stage)].set_index("indicator")
        inst.resource_cv = float(sum(rows.loc[i, "cv"] for i in scheme_ids("basic", "resource")))
    return inst


def _instance(data: Any, goal: PlanGoal, cons: PlanConstraints, teachers: pd.DataFrame | None,
              params: EvalParams, before: Evaluation | None) -> _Inst:
    """Return the prepared instance of a Snapshot or a schools DataFrame (``teachers``, when
    given, replaces the snapshot's roster)."""
    if isinstance(data, pd.DataFrame):
        schools, roster = data, None
    elif hasattr(data, "schools"):
        schools, roster = data.schools, getattr(data, "teachers", None)
    else:
        raise PlanError("input", value=type(data).__name__)
    return _prepare(schools, goal, cons, roster if teachers is None else teachers, params, before)


# ------------------------------------------------------------------------------ the roster


class _FlagsMemo:
    """The roster attributes of the last few roster frames, keyed by the frame object.

    A page reruns with its cached snapshot, so the same frame comes back; the identity check
    (the frame is kept with its flags) keeps this pure.  Sessions run in threads: a lock keeps
    the bounded dict consistent, so no eviction can race another."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: dict[int, tuple[pd.DataFrame, pd.DataFrame]] = {}
        self._lock = threading.Lock()

    def get(self, roster: pd.DataFrame) -> pd.DataFrame | None:
        """Return the remembered flags of this very frame, or None."""
        with self._lock:
            hit = self._items.get(id(roster))
        return hit[1] if hit is not None and hit[0] is roster else None

    def put(self, roster: pd.DataFrame, flags: pd.DataFrame) -> None:
        """Remember ``flags`` for ``roster``, forgetting the oldest entries beyond the size."""
        with self._lock:
            self._items.pop(id(roster), None)
            while len(self._items) >= self._size:
                del self._items[next(iter(self._items))]
            self._items[id(roster)] = (roster, flags)


_FLAGS_MEMO: Final = _FlagsMemo(_FLAGS_MEMO_SIZE)


def _roster_flags(roster: pd.DataFrame) -> pd.DataFrame:
    """Return ``roster_attributes(roster)`` indexed by teacher id, remembered for the same frame
    object (a page reruns with its cached snapshot; the identity check keeps this pure)."""
    hit = _FLAGS_MEMO.get(roster)
    if hit is not None:
        return hit
    flags = roster_attributes(roster.reset_index(drop=True))
    flags = flags.set_index(flags["teacher_id"].astype(str), drop=False)
    _FLAGS_MEMO.put(roster, flags)
    return flags


def _roster_pools(inst: _Inst) -> None:
    """Fill inst.elig and inst.pool from the roster: eligible teachers per movable unit and class,
    longest-serving first."""
    assert inst.teachers is not None
    all_flags = _roster_flags(inst.teachers)
    flags = all_flags[all_flags["stage"].astype(str) == inst.goal.stage]
    if flags.empty:  # no roster teacher at this stage: the schools' counts (marginals) limit the moves
        return
    inst.flags = flags
    M, K = len(inst.school_of), len(inst.classes)
    m = pd.Index(inst.school_of).get_indexer(flags["school_id"].astype(str))
    keep = m >= 0
    start = flags["start_year_at_school"].to_numpy(float)
    ok = keep & (inst.year - start >= inst.cons.min_years_at_school)
    code = np.zeros(len(flags), dtype=np.int64)
    for j, a in enumerate(inst.attrs):
        code += flags[a].to_numpy(np.int64) << j
    every = np.zeros((M, K), dtype=np.int64)
    np.add.at(every, (m[keep], code[keep]), 1)
    elig = np.zeros((M, K), dtype=np.int64)
    np.add.at(elig, (m[ok], code[ok]), 1)
    tids = flags["teacher_id"].astype(str).to_numpy()
    order = np.lexsort((tids, start))
    order = order[ok[order]]
    for t_id, mm, cc in zip(tids[order].tolist(), m[order].tolist(), code[order].tolist()):
        inst.pool.setdefault((mm, cc), []).append(t_id)
    inst.elig = elig
    inst.every = every


def eligible_count(inst: _Inst) -> int | None:
    """Return the county's roster teachers at the stage eligible to rotate (None: no roster)."""
    if inst.teachers is None or not len(inst.teachers):
        return None
    r = inst.teachers[inst.teachers["stage"].astype(str) == inst.goal.stage]
    return int((inst.year - r["start_year_at_school"].astype(float) >= inst.cons.min_years_at_school).sum())


def _rotation_min(inst: _Inst) -> int:
    """Return the least teachers a plan under the rotation constraints moves (10 % of eligible)."""
    eligible = eligible_count(inst)
    if eligible is None:
        raise PlanError("rotation_roster")
    return int(np.ceil(ROTATION_MIN_SHARE * eligible - 1e-9))


# ------------------------------------------------------------------------------ distances


def haversine_km(lon1: float | np.ndarray, lat1: float | np.ndarray, lon2: float | np.ndarray,
                 lat2: float | np.ndarray) -> np.ndarray:
    """Return the great-circle distance in km between WGS 84 points (degrees), element-wise."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi, dl = p2 - p1, np.radians(lon2 - lon1)
    h = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * _EARTH_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


def _distances(inst: _Inst) -> np.ndarray:
    """Return the (M, M) km between the movable units' schools."""
    lon, lat = inst.lon, inst.lat
    return haversine_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
