"""The planner: fewest teacher transfers, least-cost purchases, or both, so that a scheme passes.

One county, one year, one stage, one scheme per plan.  Everything is re-checked at the end by
the pure engine: the plan becomes actions (:mod:`dashboard.planning.scenario`), is applied with
``apply_actions`` and evaluated with ``dashboard.method.engine.evaluate``; ``Plan.check`` records it.

**Transfers (exact MILP).**  Transfers conserve every county total, so the enrolment-weighted
mean R/P of each teacher indicator is fixed and its CV limit is (STANDARDS.md §2)::

    CV² = P·Q/R² − 1 ≤ τ²   ⇔   Q = Σᵢ Cᵢ²/Pᵢ ≤ (1 + τ²)·R²/P

a separable convex quadratic in the integer counts Cᵢ.  Each term Cᵢ²/Pᵢ is bounded below by a
variable zᵢ ≥ the chord of C²/P between consecutive integers a, a+1 (added lazily around the
solution until every chord in use is the one at the solution's count): at integer points the
maximum of these chords *is* C²/P, so the linear model is exact, not an approximation.
Teachers are modelled as classes of the attributes the goal involves (basic: above-degree,
mid-title, coupled with the head count of B6; quality: above-degree, backbone, PE/arts, with
the head count for the staffing norm).  Per unit and class there are integer out/in flows; per
class, what leaves equals what arrives.  With a roster a class's stock is its eligible
teachers (≥ ``min_years_at_school`` at the school), named in the plan; without one a class is
limited by the school's per-attribute counts (marginals), exactly as ``apply_actions`` checks.
Without a distance limit any donor can serve any receiver, so per-unit flows are exact and the
moves are matched afterwards (nearest first); with ``max_km`` the flows are per allowed pair.

The basic composite is the mean of eight CVs, a sum of square roots, so the constraint
Σ sqrt(v_k) ≤ B = 8τ − Σ(resource CVs) over the teacher CV² v_k (linear in the z's) is not
convex.  A relaxation replaces sqrt by its piecewise-linear interpolation on breakpoints in
[0, B²] (below sqrt, which is concave; every passing plan has v_k ≤ B²), with binaries choosing
the segment; its optimum is a proven lower bound.  A conservative model replaces sqrt by its
tangent at the relaxation's solution (an over-estimate: whatever it finds truly passes).  The
breakpoints are refined at each solution until the two meet (proven optimal) or the rounds run
out (the plan reports the gap).

Large counties (over 120 movable units): a greedy plan is the incumbent, the fewest moves of
each attribute alone (a relaxation) the first bound, then the full model runs in the time left.

**Purchases (exact cutting planes).**  Purchases move the mean: the CV limit is the second-
order cone ‖(Rᵢ/√Pᵢ)‖ ≤ √((1+τ²)/P)·Σ Rᵢ, convex in the amounts.  Kelley's cutting-plane method
(LP/MILP with HiGHS, integer for computers, books and rooms) gives a lower bound each round;
a feasible plan comes from water-filling (raising the lowest units to a common level) and a
line search towards it, so every purchase plan is truly feasible and its gap is proven.  The
basic composite couples five resource CVs; its purchases are allocated greedily between the
indicators, with the per-school minimums' cost as the proven lower bound.

Pass/fail follows the 3-decimal rule (``round(cv, 3) ≤ threshold``); the planner aims at
``threshold + 0.0005 − margin`` (margin 0.0001 by default), a hair under the rounding edge.
"""

from __future__ import annotations

import math
import multiprocessing
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from dashboard.i18n import t
from dashboard.method.engine import Evaluation, evaluate, to_report
from dashboard.method.standards import (
    DEFAULT_PARAMS,
    INDICATORS,
    STAGES,
    EvalParams,
    cv_threshold,
    province_profile,
    scheme_ids,
)
from dashboard.method.units import stage_shares
from dashboard.planning.scenario import (
    AddResource,
    Scenario,
    Transfer,
    apply_actions,
    roster_attributes,
)

__all__ = [
    "MODES",
    "DEFAULT_STAFFING_NORM",
    "PlanGoal",
    "PlanConstraints",
    "Purchase",
    "Rotation",
    "Shortfall",
    "PlanCheck",
    "Plan",
    "PlanError",
    "unit_costs",
    "plan",
    "preview",
    "plan_to_json",
    "haversine_km",
]

MODES: Final = ("transfers", "budget", "both")
# 中央编办、教育部、财政部 2014: 城乡统一 编制标准 小学 1:19, 初中 1:13.5 (pupils per teacher).
DEFAULT_STAFFING_NORM: Final = {"primary": 19.0, "junior": 13.5}
ROTATION_MIN_SHARE: Final = 0.10  # 2017 G11: ≥ 10 % of eligible teachers rotate
ROTATION_BACKBONE_SHARE: Final = 0.20  # … and backbone teachers ≥ 20 % of those rotated
CHECK_RESERVE_S: Final = 1.5  # of a plan's time limit, kept for the engine's re-check and the tables
_TEACHER_INDICATORS: Final = {"basic": ("B6", "B7", "B8"), "quality": ("Q1", "Q2", "Q3")}
_GOAL_ATTRS: Final = {"basic": ("above_degree", "mid_title"), "quality": ("above_degree", "backbone", "pe_art")}
_ALL_ATTRS: Final = ("above_degree", "mid_title", "backbone", "pe_art")
_CHORD_WINDOW: Final = 6
_GREEDY_FIRST_UNITS: Final = 120  # above this many movable units the greedy plan is computed first
_EARTH_KM: Final = 6371.0088


class PlanError(ValueError):
    """A bad planner argument: the message names the argument, the rule and the value."""


@lru_cache(maxsize=1)
def unit_costs() -> dict[str, float]:
    """Return the default unit costs in 元 per column unit (dashboard/planning/data/unit_costs.csv)."""
    frame = pd.read_csv(Path(__file__).parent / "data" / "unit_costs.csv")
    return {str(r.resource): float(r.cost_yuan) for r in frame.itertuples(index=False)}


def _integer_resources() -> frozenset[str]:
    frame = pd.read_csv(Path(__file__).parent / "data" / "unit_costs.csv")
    return frozenset(str(r.resource) for r in frame.itertuples(index=False) if bool(r.integer))


@dataclass(frozen=True)
class PlanGoal:
    """What to plan: ``scheme`` basic|quality, ``stage`` primary|junior, ``mode``
    transfers|budget|both; ``county_code``/``year`` pick one county-year (default: the only one)."""

    scheme: str
    stage: str
    mode: str = "transfers"
    county_code: str | None = None
    year: int | None = None

    def __post_init__(self) -> None:
        if self.scheme not in ("basic", "quality"):
            raise PlanError(f"goal.scheme must be 'basic' or 'quality', got {self.scheme!r}")
        if self.stage not in STAGES:
            raise PlanError(f"goal.stage must be 'primary' or 'junior', got {self.stage!r}")
        if self.mode not in MODES:
            raise PlanError(f"goal.mode must be one of {MODES}, got {self.mode!r}")


@dataclass(frozen=True)
class PlanConstraints:
    """The rules a plan keeps.

    - ``staffing_norm``: pupils per teacher (primary 19, junior 13.5): a school keeps at least
      ceil(pupils / norm) teachers (or all it has, if it has fewer already);
    - ``keep_minimums``: a unit meeting a per-school minimum keeps meeting it, and one below it
      does not lose that kind of teacher (quality Q1–Q3; basic: the province's pupils-per-teacher
      limit); in budget mode, purchases bring every unit to the resource minimums;
    - ``max_moves_per_school``: teachers moved in plus out per school (None: no limit);
    - ``locked_schools``: school ids neither giving, receiving nor buying;
    - ``max_km``: the longest transfer, great-circle km between the schools (None: any);
    - ``min_years_at_school``: with a roster, only teachers this long at the school move;
    - ``costs``: 元 per unit of each resource column and per transferred teacher (default:
      dashboard/planning/data/unit_costs.csv); ``cv_margin``: aim at threshold + 0.0005 − margin.
    """

    staffing_norm: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_STAFFING_NORM))
    keep_minimums: bool = True
    max_moves_per_school: int | None = None
    locked_schools: frozenset[str] = frozenset()
    max_km: float | None = None
    min_years_at_school: int = 6
    costs: Mapping[str, float] | None = None
    cv_margin: float = 0.0001

    def __post_init__(self) -> None:
        for stage in STAGES:
            v = self.staffing_norm.get(stage)
            if v is None or not v > 0:
                raise PlanError(f"constraints.staffing_norm[{stage!r}] must be > 0 pupils per teacher, got {v!r}")
        if self.max_moves_per_school is not None and self.max_moves_per_school < 0:
            raise PlanError(f"constraints.max_moves_per_school must be ≥ 0, got {self.max_moves_per_school}")
        if self.max_km is not None and not self.max_km > 0:
            raise PlanError(f"constraints.max_km must be > 0 km, got {self.max_km}")
        if self.min_years_at_school < 0:
            raise PlanError(f"constraints.min_years_at_school must be ≥ 0, got {self.min_years_at_school}")
        if not 0 <= self.cv_margin < 0.0005:
            raise PlanError(f"constraints.cv_margin must be in [0, 0.0005), got {self.cv_margin}")
        if self.costs is not None:
            for k, v in self.costs.items():
                if not v > 0:
                    raise PlanError(f"constraints.costs[{k!r}] must be > 0 元, got {v!r}")
        object.__setattr__(self, "locked_schools", frozenset(str(s) for s in self.locked_schools))

    def cost(self, resource: str) -> float:
        """Return the unit cost of ``resource`` in 元 (configured, else the default table)."""
        table = {**unit_costs(), **(self.costs or {})}
        if resource not in table:
            raise PlanError(f"constraints.costs has no unit cost for {resource!r}")
        return float(table[resource])


@dataclass(frozen=True)
class Purchase:
    """Buy/build ``amount`` (column unit: m², 元, count) of ``resource`` at one school, ``cost_yuan`` 元."""

    school_id: str
    resource: str
    amount: float
    cost_yuan: float


@dataclass(frozen=True)
class Rotation:
    """The 2017 rotation figures of a plan (G11): eligible teachers (≥ N years), rotated, backbone.

    Shares are 0–1; ``None`` without a roster (eligibility unknown)."""

    eligible: int | None
    rotated: int
    backbone: int
    share: float | None
    backbone_share: float | None
    meets_share: bool | None
    meets_backbone: bool | None


@dataclass(frozen=True)
class Shortfall:
    """Why a goal is out of reach: ``kind`` "hire" (``count`` more teachers with ``attribute``
    would make ``indicator`` feasible), "constraint" (dropping ``constraint`` alone makes the
    goal feasible), "fixed"/"needs_transfers" (an indicator no action of this mode can change),
    "unreachable" (not even with 4096 hires) or "undecided" (the time limit ran out first)."""

    kind: str
    indicator: str | None = None
    attribute: str | None = None
    count: int | None = None
    constraint: str | None = None
    placement: tuple[tuple[str, int], ...] = ()  # hire: (school_id, teachers) the relaxed model placed

    def message(self, lang: str = "zh") -> str:
        """Return the explanation in ``lang``."""
        attr = t(f"planner.attr.{self.attribute or 'none'}", lang) if self.kind == "hire" else ""
        con = t(f"planner.constraint.{self.constraint}", lang) if self.constraint else ""
        return t(f"planner.shortfall.{self.kind}", lang, indicator=self.indicator or "", attribute=attr,
                 count=self.count if self.count is not None else "", constraint=con)


@dataclass(frozen=True)
class PlanCheck:
    """The engine's re-check of a plan: ``passed`` when the goal and every constraint hold."""

    goal_met: bool
    constraints_ok: bool
    failures: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """Return True when the goal is met and every constraint holds."""
        return self.goal_met and self.constraints_ok


@dataclass(frozen=True, eq=False)
class Plan:
    """A plan and its proof.

    ``objective``: teachers moved (transfers), 元 (budget), or 元 with each transfer priced
    at ``teacher_transfer`` (both).  ``optimal``: proven optimal; ``gap``: (objective − lower
    bound)/objective, 0 when optimal, NaN when there is no plan.  ``status``: already_passes,
    optimal, feasible, infeasible.  ``before``/``after``: engine evaluations of the county.
    """

    goal: PlanGoal
    constraints: PlanConstraints
    county_code: str
    year: int
    moves: tuple[Transfer, ...]
    purchases: tuple[Purchase, ...]
    objective: float
    lower_bound: float
    optimal: bool
    gap: float
    status: str
    method: str
    explanation: tuple[Shortfall, ...]
    rotation: Rotation
    before: Evaluation = field(repr=False)
    after: Evaluation = field(repr=False)
    check: PlanCheck
    seconds: float = 0.0

    @property
    def transfers(self) -> int:
        """Return the number of teachers moved."""
        return int(sum(m.count for m in self.moves))

    @property
    def cost_yuan(self) -> float:
        """Return the purchases' total cost in 元."""
        return float(sum(p.cost_yuan for p in self.purchases))

    def actions(self) -> tuple[Transfer | AddResource, ...]:
        """Return the plan as scenario actions (transfers, then purchases)."""
        adds = tuple(AddResource(p.school_id, p.resource, p.amount) for p in self.purchases)
        return (*self.moves, *adds)

    def to_scenario(self, snapshot: Any, name: str, note: str = "") -> Scenario:
        """Return the plan as a scenario on ``snapshot`` (its id and checksum)."""
        from dashboard.planning.scenario import snapshot_checksum

        return Scenario(name=name, snapshot_id=snapshot.id, snapshot_sha256=snapshot_checksum(snapshot),
                        note=note, actions=self.actions())


# ---------------------------------------------------------------------------------------- data


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


def _county_year(schools: pd.DataFrame, goal: PlanGoal) -> tuple[str, int]:
    pairs = sorted({(str(c), int(y)) for c, y in schools[["county_code", "year"]].itertuples(index=False)})
    if goal.county_code is not None or goal.year is not None:
        pairs = [p for p in pairs if (goal.county_code in (None, p[0])) and (goal.year in (None, p[1]))]
    if len(pairs) != 1:
        raise PlanError(f"goal.county_code/year must select exactly one county-year, got {len(pairs)} "
                        f"(county_code={goal.county_code!r}, year={goal.year!r})")
    return pairs[0]


def _coef(name: str, attrs: tuple[str, ...], classes: np.ndarray) -> np.ndarray:
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


def _prepare(schools_in: pd.DataFrame, goal: PlanGoal, cons: PlanConstraints,
             teachers: pd.DataFrame | None, params: EvalParams, before: Evaluation | None = None) -> _Inst:
    if "school_id" not in schools_in.columns:
        raise PlanError("schools must have a school_id column (DATA-CONTRACT §2)")
    county, year = _county_year(schools_in, goal)
    sel = (schools_in["county_code"].astype(str) == county) & (schools_in["year"].astype(int) == year)
    schools = schools_in.loc[sel].reset_index(drop=True)
    schools = schools.assign(school_id=schools["school_id"].astype(str))
    unknown = sorted(cons.locked_schools - set(schools["school_id"]))
    if unknown:
        raise PlanError(f"constraints.locked_schools names schools not in county {county} {year}: {unknown[:5]}")
    if teachers is not None:
        mine = teachers["school_id"].astype(str).isin(schools["school_id"]).to_numpy()
        if not mine.all():  # (kept as the same object otherwise: its attributes are remembered)
            teachers = teachers[mine]
    if before is None or goal.scheme not in before.units or before.params != params:
        before = evaluate(schools, params)
    else:
        before = _restrict(before, county, year)
    stage, scheme = goal.stage, goal.scheme
    units = before.units[scheme]
    units = units[units["stage"] == stage].reset_index(drop=True)
    if units.empty:
        raise PlanError(f"goal.stage {stage!r}: county {county} {year} has no {scheme} unit at this stage")
    thr = cv_threshold(scheme, stage)
    tau = thr + 0.0005 - cons.cv_margin
    P = units["students"].to_numpy(float)
    row_of = {s: i for i, s in enumerate(schools["school_id"])}
    srow = [row_of[str(s)] for s in units["school_id"]]
    sch = schools.iloc[srow].reset_index(drop=True)
    public = (sch["ownership"].astype(str) != "private").to_numpy() if "ownership" in sch else np.ones(len(sch), bool)
    county_run = sch["county_run"].fillna(True).astype(bool).to_numpy() if "county_run" in sch else np.ones(len(sch), bool)
    movable = np.flatnonzero(public & county_run & (sch["school_type"].astype(str) != "teaching_point").to_numpy()
                             & ~sch["school_id"].isin(cons.locked_schools).to_numpy())
    ms = sch.iloc[movable]
    ids = _TEACHER_INDICATORS[scheme]
    names = tuple(INDICATORS[i].numerator for i in ids)
    attrs = _GOAL_ATTRS[scheme]
    classes = np.array([[(c >> j) & 1 for j in range(len(attrs))] for c in range(2 ** len(attrs))], dtype=np.int64)
    base = {n: units[n].to_numpy(float) for n in {*names, "teachers"}}
    own_T = ms[f"teachers_{stage}"].to_numpy(float)
    own_A = {a: ms[f"teachers_{a}_{stage}"].to_numpy(float) for a in _ALL_ATTRS}
    own_P = ms[f"students_{stage}"].to_numpy(float)
    norm = float(cons.staffing_norm[stage])
    floor_T = np.minimum(own_T, np.ceil(own_P / norm - 1e-9))
    lb: dict[str, np.ndarray] = {}
    Pm = P[movable]
    for n, ind in zip(names, ids):
        cur = base[n][movable]
        lo = np.zeros(len(movable))
        if cons.keep_minimums and scheme == "quality":
            mn = INDICATORS[ind].minimum(stage)
            need = np.ceil(mn * Pm / INDICATORS[ind].scale - 1e-9)
            lo = np.where(cur >= need, need, cur)
        # a merged unit's count also holds its teaching points' teachers, which stay
        lb[n] = np.maximum(lo, cur - own_T if n == "teachers" else cur - own_A[n.removeprefix("teachers_")])
    if cons.keep_minimums and scheme == "basic":
        for rule in province_profile(params.province_profile).indicators:
            if rule.get("kind") == "ratio_max" and rule.get("numerator") == "students" \
                    and rule.get("denominator") == "teachers":
                limit = float(rule[stage])
                need = np.ceil(Pm / limit - 1e-9)
                cur = base["teachers"][movable]
                lb["teachers"] = np.maximum(lb.get("teachers", 0), np.where(cur >= need, need, cur))
    lon = ms["longitude"].to_numpy(float) if "longitude" in ms else np.full(len(ms), np.nan)
    lat = ms["latitude"].to_numpy(float) if "latitude" in ms else np.full(len(ms), np.nan)
    inst = _Inst(goal=goal, cons=cons, schools=schools, teachers=teachers, params=params, county=county,
                 year=year, tau=tau, threshold=thr, before=before, units=units, P=P, movable=movable,
                 school_of=[str(s) for s in ms["school_id"]], lon=lon, lat=lat, names=names,
                 ind_of_name=dict(zip(names, ids)), attrs=attrs, classes=classes, base=base, own_T=own_T,
                 own_A=own_A, floor_T=floor_T, lb=lb, elig=None)
    if teachers is not None and len(teachers):
        _roster_pools(inst)
    if scheme == "basic":
        ind = before.indicators
        rows = ind[(ind["scheme"] == "basic") & (ind["stage"] == stage)].set_index("indicator")
        inst.resource_cv = float(sum(rows.loc[i, "cv"] for i in ("B1", "B2", "B3", "B4", "B5")))
    return inst


_FLAGS_CACHE: dict[int, tuple[pd.DataFrame, pd.DataFrame]] = {}


def _roster_flags(roster: pd.DataFrame) -> pd.DataFrame:
    """Return ``roster_attributes(roster)`` indexed by teacher id, remembered for the same frame
    object (a page reruns with its cached snapshot; the identity check keeps this pure)."""
    hit = _FLAGS_CACHE.get(id(roster))
    if hit is not None and hit[0] is roster:
        return hit[1]
    flags = roster_attributes(roster.reset_index(drop=True))
    flags = flags.set_index(flags["teacher_id"].astype(str), drop=False)
    try:  # a small, bounded memo; concurrent sessions may race here, which only costs a recompute
        while len(_FLAGS_CACHE) >= 4:
            _FLAGS_CACHE.pop(next(iter(_FLAGS_CACHE)), None)
    except (StopIteration, RuntimeError):
        pass
    _FLAGS_CACHE[id(roster)] = (roster, flags)
    return flags


def _roster_pools(inst: _Inst) -> None:
    """Fill inst.elig and inst.pool from the roster: eligible teachers per movable unit and class,
    longest-serving first."""
    assert inst.teachers is not None
    all_flags = _roster_flags(inst.teachers)
    flags = all_flags[all_flags["stage"].astype(str) == inst.goal.stage]
    if flags.empty:
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


def haversine_km(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Return the great-circle distance in km between WGS 84 points (degrees), element-wise."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi, dl = p2 - p1, np.radians(lon2 - lon1)
    h = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * _EARTH_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


def _distances(inst: _Inst) -> np.ndarray:
    lon, lat = inst.lon, inst.lat
    return haversine_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :])


# ------------------------------------------------------------------------------ transfer MILP


@dataclass
class _Relax:
    """Which constraints to drop or which hires to allow (for explanations)."""

    drop: frozenset[str] = frozenset()
    hire: dict[str, int] = field(default_factory=dict)  # name -> teachers of that attribute hired
    only: tuple[str, ...] | None = None  # CV constraints to keep (names); None = all


@dataclass
class _Flows:
    status: str  # optimal | feasible | infeasible | timeout
    out: np.ndarray  # (M, K)
    inn: np.ndarray  # (M, K)
    pairs: list[tuple[int, int, int, int]]  # (donor m, receiver m, class, count), pair mode only
    objective: float
    bound: float
    hires: np.ndarray | None = None  # (M,) hires placed (explanations)


def _cv_caps(inst: _Inst, relax: _Relax) -> dict[str, float]:
    """Return, per count name, the cap on Σ C²/P over all units: (1+τ²)R²/P."""
    P = inst.P.sum()
    out = {}
    for n in inst.names:
        R = inst.base[n].sum() + sum(h for k, h in relax.hire.items() if k == n or n == "teachers")
        out[n] = (1 + inst.tau ** 2) * R * R / P
    return out


def _q_of(inst: _Inst, counts: dict[str, np.ndarray]) -> dict[str, float]:
    return {n: float(np.sum(counts[n] ** 2 / inst.P)) for n in inst.names}


def _solve_flows(inst: _Inst, relax: _Relax, *, basic_mode: str = "exact", v0: dict[str, float] | None = None,
                 bps: dict[str, list[float]] | None = None, time_limit: float = 20.0) -> _Flows:
    """Solve the fewest-transfers MILP (lazy chords).  basic_mode for the basic composite:
    'tangent' (conservative: sqrt replaced by its tangent at v0, an over-estimate) or 'pwl'
    (relaxation: sqrt replaced by its piecewise-linear interpolation at the breakpoints ``bps``,
    an under-estimate since sqrt is concave; segments chosen by binaries).  Quality ignores it."""
    cons = inst.cons
    M, K = len(inst.movable), len(inst.classes)
    drop = relax.drop
    use_pairs = cons.max_km is not None and "max_km" not in drop
    if use_pairs:
        dist = _distances(inst)
        ok = (dist <= cons.max_km) & ~np.eye(M, dtype=bool)
        ok &= np.isfinite(dist)
        pa, pb = np.nonzero(ok)
        nf = len(pa) * K
        # out[(m,c)] = Σ_p x[p,c] with pa[p] = m
        rows_o = (pa[:, None] * K + np.arange(K)[None, :]).ravel()
        rows_i = (pb[:, None] * K + np.arange(K)[None, :]).ravel()
        cols = np.arange(nf)
        E_out = sparse.csr_matrix((np.ones(nf), (rows_o, cols)), shape=(M * K, nf))
        E_in = sparse.csr_matrix((np.ones(nf), (rows_i, cols)), shape=(M * K, nf))
    else:
        nf = 2 * M * K
        E_out = sparse.hstack([sparse.identity(M * K), sparse.csr_matrix((M * K, M * K))]).tocsr()
        E_in = sparse.hstack([sparse.csr_matrix((M * K, M * K)), sparse.identity(M * K)]).tocsr()
    hire_name = next(iter(relax.hire), None) if relax.hire else None

    def adds(n: str) -> bool:
        """Whether a hire raises count ``n`` (a hired teacher counts in the head count too)."""
        return hire_name is not None and (n == hire_name or n == "teachers")
    nh = M if hire_name is not None else 0
    names = inst.names if relax.only is None else relax.only
    nz = M * len(names)
    use_pwl = inst.goal.scheme == "basic" and basic_mode == "pwl"
    pw_at: dict[str, tuple[int, int]] = {}  # name -> (first λ column, breakpoints)
    npw = 0
    if use_pwl:
        assert bps is not None
        for n in names:
            pw_at[n] = (nf + nh + nz + npw, len(bps[n]))
            npw += 2 * len(bps[n]) - 1
    nvar = nf + nh + nz + npw
    D = (E_in - E_out)  # (M*K, nf) net change per unit and class
    cost = np.zeros(nvar)
    cost[:nf] = np.asarray(E_out.sum(axis=0)).ravel()
    rows: list[sparse.spmatrix] = []
    lo: list[np.ndarray] = []
    hi: list[np.ndarray] = []

    def add(A, lower, upper) -> None:
        A = sparse.csr_matrix(A)
        rows.append(A)
        lo.append(np.broadcast_to(np.asarray(lower, float), (A.shape[0],)).copy())
        hi.append(np.broadcast_to(np.asarray(upper, float), (A.shape[0],)).copy())

    def pad(A, at: int = 0) -> sparse.csr_matrix:
        """Place a block of columns starting at ``at`` in a full-width matrix."""
        A = sparse.csr_matrix(A)
        parts = []
        if at:
            parts.append(sparse.csr_matrix((A.shape[0], at)))
        parts.append(A)
        rest = nvar - at - A.shape[1]
        if rest:
            parts.append(sparse.csr_matrix((A.shape[0], rest)))
        return sparse.hstack(parts).tocsr()

    # per-unit sums over classes with a coefficient vector
    def unit_sum(coef: np.ndarray, E) -> sparse.csr_matrix:
        S = sparse.kron(sparse.identity(M), sparse.csr_matrix(coef.reshape(1, -1)))
        return (S @ E).tocsr()

    if not use_pairs:  # conservation per class
        C = sparse.kron(sparse.csr_matrix(np.ones((1, M))), sparse.identity(K))
        add(pad(C @ D), 0, 0)
    # stock
    if inst.elig is not None:
        stock = inst.every if "eligibility" in drop and inst.every is not None else inst.elig
        add(pad(E_out), 0, stock.ravel())
    else:
        add(pad(unit_sum(np.ones(K), E_out)), 0, inst.own_T)
        for j, a in enumerate(inst.attrs):
            add(pad(unit_sum(inst.classes[:, j].astype(float), E_out)), 0, inst.own_A[a])
            add(pad(unit_sum(1.0 - inst.classes[:, j], E_out)), 0, inst.own_T - inst.own_A[a])
    if cons.max_moves_per_school is not None and "max_moves_per_school" not in drop:
        add(pad(unit_sum(np.ones(K), E_out + E_in)), 0, cons.max_moves_per_school)
    hcol = None
    if nh:
        hcol = nf
    # staffing floor (school level): own_T + net ≥ floor
    if "staffing_norm" not in drop:
        A = unit_sum(np.ones(K), D)
        if hcol is not None:
            A = sparse.hstack([A, sparse.identity(M)])
        add(pad(A), inst.floor_T - inst.own_T, np.inf)
    # keep minimums (unit level)
    if "keep_minimums" not in drop:
        for n in inst.names:
            A = unit_sum(_coef(n, inst.attrs, inst.classes), D)
            if hcol is not None and adds(n):
                A = sparse.hstack([A, sparse.identity(M)])
            add(pad(A), inst.lb[n] - inst.base[n][inst.movable], np.inf)
    if "teachers" not in inst.names and "staffing_norm" in drop:
        pass
    if nh:
        assert hire_name is not None
        add(pad(sparse.csr_matrix(np.ones((1, M))), nf), relax.hire[hire_name], relax.hire[hire_name])
    caps = _cv_caps(inst, relax)
    Pm = inst.P[inst.movable]
    fixed = np.ones(len(inst.P), bool)
    fixed[inst.movable] = False
    qfix = {n: float(np.sum(inst.base[n][fixed] ** 2 / inst.P[fixed])) for n in names}
    zcol = {n: nf + nh + j * M for j, n in enumerate(names)}
    # CV rows
    Ptot = inst.P.sum()
    cv_rows_at = len(rows)
    if inst.goal.scheme == "quality" or basic_mode == "exact":
        for n in names:
            A = sparse.csr_matrix((np.ones(M), (np.zeros(M, int), zcol[n] + np.arange(M))), shape=(1, nvar))
            add(A, -np.inf, caps[n] - qfix[n])
    else:
        bud = 8 * inst.tau - inst.resource_cv
        if bud <= 0:
            return _Flows("infeasible", np.zeros((M, K)), np.zeros((M, K)), [], math.inf, math.inf)
        coefs = np.zeros(nvar)
        rhs = 0.0
        for n in names:
            R = inst.base[n].sum() + sum(h for k, h in relax.hire.items() if k == n or n == "teachers")
            a = Ptot / (R * R)
            if use_pwl:
                assert bps is not None
                first, nb = pw_at[n]
                b = np.asarray(bps[n], float)
                lam = first + np.arange(nb)
                ys = first + nb + np.arange(nb - 1)
                # v_n = a·(Σz + qfix) − 1 = Σ λ_j b_j
                row = np.zeros(nvar)
                row[zcol[n]: zcol[n] + M] = a
                row[lam] = -b
                add(row.reshape(1, -1), 1 - a * qfix[n], 1 - a * qfix[n])
                row = np.zeros(nvar)
                row[lam] = 1
                add(row.reshape(1, -1), 1, 1)
                row = np.zeros(nvar)
                row[ys] = 1
                add(row.reshape(1, -1), 1, 1)
                for j in range(nb):  # λ_j ≤ y_{j−1} + y_j (SOS2 by binaries)
                    row = np.zeros(nvar)
                    row[lam[j]] = 1
                    if j > 0:
                        row[ys[j - 1]] = -1
                    if j < nb - 1:
                        row[ys[j]] = -1
                    add(row.reshape(1, -1), -np.inf, 0)
                coefs[lam] += np.sqrt(np.maximum(b, 0))
            else:
                s = math.sqrt(max((v0 or {}).get(n, 1e-6), 1e-6))
                coefs[zcol[n]: zcol[n] + M] += a / (2 * s)
                rhs += -(s + (a * qfix[n] - 1 - s * s) / (2 * s))
        add(sparse.csr_matrix(coefs.reshape(1, -1)), -np.inf, bud + rhs)
    del cv_rows_at
    # chords, lazily
    count_rows = {n: unit_sum(_coef(n, inst.attrs, inst.classes), D) for n in names}
    base_m = {n: inst.base[n][inst.movable] for n in names}
    chords: dict[str, set[tuple[int, int]]] = {n: set() for n in names}
    tangents: dict[str, list[tuple[int, int]]] = {n: [] for n in names}
    for n in names:
        b = base_m[n].astype(int)
        lo_n = inst.lb[n].astype(int)
        # the counts move towards the proportional share R·Pᵢ/P: exact chords near both ends,
        # tangents (valid under-estimators everywhere) every few teachers in between
        target = np.rint(inst.base[n].sum() * Pm / inst.P.sum()).astype(int)
        for m in range(M):
            for centre in {b[m], target[m]}:
                for av in range(max(lo_n[m], centre - _CHORD_WINDOW), centre + _CHORD_WINDOW + 1):
                    chords[n].add((m, av))
            lo_a, hi_a = sorted((b[m], target[m]))
            tangents[n].extend((m, a) for a in range(max(lo_n[m], lo_a), hi_a + 1, 3))

    def chord_rows(n: str, items) -> None:
        items = sorted(items)
        if not items:
            return
        ms = np.array([m for m, _ in items])
        a = np.array([v for _, v in items], float)
        slope = (2 * a + 1) / Pm[ms]
        # z − slope·(Σ coef D) ≥ (slope·base − (a² + a)/P)
        Acnt = count_rows[n][ms]
        if hcol is not None and adds(n):
            Acnt = sparse.hstack([Acnt, sparse.csr_matrix((np.ones(len(ms)), (np.arange(len(ms)), ms)),
                                                          shape=(len(ms), M))])
        Az = sparse.csr_matrix((np.ones(len(ms)), (np.arange(len(ms)), zcol[n] + ms)), shape=(len(ms), nvar))
        A = Az - pad(sparse.diags(slope) @ Acnt)
        add(A, slope * base_m[n][ms] - (a * a + a) / Pm[ms], np.inf)

    def tangent_rows(n: str, items) -> None:
        if not items:
            return
        ms = np.array([m for m, _ in items])
        a = np.array([v for _, v in items], float)
        slope = 2 * a / Pm[ms]
        # z ≥ (2aC − a²)/P, C = base + Σ coef D
        Acnt = count_rows[n][ms]
        if hcol is not None and adds(n):
            Acnt = sparse.hstack([Acnt, sparse.csr_matrix((np.ones(len(ms)), (np.arange(len(ms)), ms)),
                                                          shape=(len(ms), M))])
        Az = sparse.csr_matrix((np.ones(len(ms)), (np.arange(len(ms)), zcol[n] + ms)), shape=(len(ms), nvar))
        add(Az - pad(sparse.diags(slope) @ Acnt), slope * base_m[n][ms] - a * a / Pm[ms], np.inf)

    for n in names:
        chord_rows(n, chords[n])
        tangent_rows(n, tangents[n])
    integrality = np.concatenate([np.ones(nf + nh), np.zeros(nz), np.zeros(npw)])
    ub = np.full(nvar, np.inf)
    for first, nb in pw_at.values():
        integrality[first + nb: first + 2 * nb - 1] = 1
        ub[first + nb: first + 2 * nb - 1] = 1
    lbv = np.zeros(nvar)
    t0 = time.perf_counter()
    status = "infeasible"
    proven = 0.0
    for _ in range(60):
        A = sparse.vstack(rows).tocsr()
        left = time_limit - (time.perf_counter() - t0)
        if left <= 0.05:
            return _Flows("timeout", np.zeros((M, K)), np.zeros((M, K)), [], math.inf, proven)
        res = _milp(cost, constraints=LinearConstraint(A, np.concatenate(lo), np.concatenate(hi)),
                   integrality=integrality, bounds=Bounds(lbv, ub),
                   options={"time_limit": left, "mip_rel_gap": 0.0, "disp": False})
        if res.x is None:
            status = "timeout" if res.status == 1 else "infeasible"
            return _Flows(status, np.zeros((M, K)), np.zeros((M, K)), [], math.inf,
                          max(_dual_bound(res), proven))
        if res.status == 0:  # the optimum of a relaxation (fewer chords): a proven lower bound
            proven = max(proven, float(res.fun))
        x = np.round(res.x[: nf + nh])
        net = (D @ x[:nf]).reshape(M, K) if nf else np.zeros((M, K))
        new = False
        for n in names:
            cnt = base_m[n] + net @ _coef(n, inst.attrs, inst.classes)
            if nh and adds(n):
                cnt = cnt + x[nf: nf + nh]
            z = res.x[zcol[n]: zcol[n] + M]
            true = cnt ** 2 / Pm
            bad = np.flatnonzero(true > z + 1e-9 * np.maximum(1, true))
            add_items = []
            for mi in bad.tolist():
                for av in (int(cnt[mi]) - 1, int(cnt[mi])):
                    if av >= 0 and (mi, av) not in chords[n]:
                        chords[n].add((mi, av))
                        add_items.append((mi, av))
            if add_items:
                new = True
                chord_rows(n, add_items)
        if not new:
            status = "optimal" if res.status == 0 else "feasible"
            break
    out = (E_out @ x[:nf]).reshape(M, K)
    inn = (E_in @ x[:nf]).reshape(M, K)
    pairs = []
    if use_pairs:
        xv = x[:nf].reshape(len(pa), K)
        for p, c in zip(*np.nonzero(xv)):
            pairs.append((int(pa[p]), int(pb[p]), int(c), int(xv[p, c])))
    bound = max(_dual_bound(res), proven) if res.status != 0 else float(res.fun)
    return _Flows(status, out, inn, pairs, float(cost[:nf] @ x[:nf]), bound,
                  x[nf: nf + nh] if nh else None)


# Above this many variables a MILP runs in a forked child that is stopped at its time limit:
# HiGHS does not always keep to ``time_limit`` on large models (seen: 27 s against 20 s).
HARD_DEADLINE_VARIABLES: Final = 1500
_HARD_GRACE_S: Final = 0.5


def _milp_child(conn: Any, args: tuple, kwargs: dict) -> None:  # pragma: no cover - in a child
    res = milp(*args, **kwargs)
    conn.send({"x": res.x, "status": res.status, "fun": res.fun,
               "mip_dual_bound": getattr(res, "mip_dual_bound", None)})
    conn.close()


def _milp(c: np.ndarray, *, constraints: LinearConstraint, integrality: np.ndarray,
          bounds: Bounds, options: dict[str, Any]) -> Any:
    """Return scipy's milp result; a large model is solved in a forked child that is killed
    ``time_limit`` (+ a grace) seconds later, reported as a time-out without a solution."""
    kwargs = {"constraints": constraints, "integrality": integrality, "bounds": bounds,
              "options": options}
    limit = float(options.get("time_limit", math.inf))
    if len(c) <= HARD_DEADLINE_VARIABLES or not math.isfinite(limit):
        return milp(c, **kwargs)
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_milp_child, args=(child, (c,), kwargs), daemon=True)
    proc.start()
    child.close()
    try:
        if parent.poll(limit + _HARD_GRACE_S):
            out = parent.recv()
            return _MilpResult(out["x"], out["status"], out["fun"], out["mip_dual_bound"])
        return _MilpResult(None, 1, None, None)  # 1: time limit reached (scipy's code)
    except EOFError:  # the child died without an answer
        return _MilpResult(None, 4, None, None)
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
        parent.close()


@dataclass(frozen=True)
class _MilpResult:
    """The parts of scipy's OptimizeResult the planner reads, from a child process."""

    x: np.ndarray | None
    status: int
    fun: float | None
    mip_dual_bound: float | None


def _dual_bound(res: Any) -> float:
    """Return HiGHS's proven lower bound of a MILP result (0 when it reports none)."""
    b = getattr(res, "mip_dual_bound", None)
    return float(b) if b is not None and np.isfinite(b) else 0.0


def _counts_after(inst: _Inst, out: np.ndarray, inn: np.ndarray) -> dict[str, np.ndarray]:
    net = inn - out
    res = {}
    for n in {*inst.names, "teachers"}:
        c = inst.base[n].copy()
        c[inst.movable] += net @ _coef(n, inst.attrs, inst.classes)
        res[n] = c
    return res


def _teacher_goal_met(inst: _Inst, counts: dict[str, np.ndarray]) -> bool:
    """Return whether the teacher part of the goal holds for these counts (judged as the engine)."""
    P = inst.P.sum()
    cvs = {}
    for n in inst.names:
        R = counts[n].sum()
        if R <= 0:
            return False
        cvs[n] = math.sqrt(max(P * float(np.sum(counts[n] ** 2 / inst.P)) / (R * R) - 1, 0.0))
    if inst.goal.scheme == "basic":
        comp = (sum(cvs.values()) + inst.resource_cv) / 8
        return round(comp, 3) <= inst.threshold + 1e-12
    return all(round(v, 3) <= inst.threshold + 1e-12 for v in cvs.values())


def _v_of(inst: _Inst, counts: dict[str, np.ndarray]) -> dict[str, float]:
    P = inst.P.sum()
    out = {}
    for n in inst.names:
        R = counts[n].sum()
        out[n] = max(P * float(np.sum(counts[n] ** 2 / inst.P)) / (R * R) - 1, 0.0)
    return out


def _match(inst: _Inst, f: _Flows) -> list[tuple[int, int, int, int]]:
    """Return (donor, receiver, class, count) transfers; per class nearest pairs first."""
    if f.pairs:
        return f.pairs
    dist = _distances(inst)
    dist = np.where(np.isfinite(dist), dist, 0.0)
    out = []
    for c in range(len(inst.classes)):
        give = {int(m): int(v) for m, v in enumerate(f.out[:, c]) if v > 0}
        take = {int(m): int(v) for m, v in enumerate(f.inn[:, c]) if v > 0}
        if not give:
            continue
        cand = sorted((dist[a, b], a, b) for a in give for b in take if a != b)
        for _, a, b in cand:
            k = min(give[a], take[b])
            if k > 0:
                out.append((a, b, c, k))
                give[a] -= k
                take[b] -= k
        for a in list(give):  # a unit both giving and taking the same class cancels out
            if give[a] and take.get(a):
                k = min(give[a], take[a])
                give[a] -= k
                take[a] -= k
    return out


def _moves(inst: _Inst, triples: list[tuple[int, int, int, int]]) -> tuple[Transfer, ...]:
    """Turn (donor, receiver, class, count) into Transfer actions, naming roster teachers."""
    stage = inst.goal.stage
    grouped: dict[tuple[int, int], dict[str, Any]] = {}
    taken: dict[tuple[int, int], int] = {}
    for a, b, c, k in triples:
        g = grouped.setdefault((a, b), {"count": 0, "ids": [], **{x: 0 for x in _ALL_ATTRS}})
        g["count"] += k
        for j, attr in enumerate(inst.attrs):
            g[attr] += int(inst.classes[c, j]) * k
        if inst.elig is not None:
            start = taken.get((a, c), 0)
            g["ids"].extend(inst.pool[(a, c)][start: start + k])
            taken[(a, c)] = start + k
    if inst.elig is not None:
        flags = inst.flags
        assert flags is not None
        for g in grouped.values():
            sums = flags.loc[g["ids"], list(_ALL_ATTRS)].to_numpy().sum(axis=0) if g["ids"] else np.zeros(4)
            for attr, v in zip(_ALL_ATTRS, sums):
                g[attr] = int(v)
    else:  # attributes the goal does not involve: in proportion to the donor's staff
        sent: dict[int, int] = {}
        for (a, _b), g in grouped.items():
            sent[a] = sent.get(a, 0) + g["count"]
        for attr in _ALL_ATTRS:
            if attr in inst.attrs:
                continue
            for a, n in sent.items():
                T, A = inst.own_T[a], inst.own_A[attr][a]
                want = int(min(n, A, max(n - (T - A), round(n * A / T) if T else 0)))
                for (aa, _b), g in sorted(grouped.items()):
                    if aa != a:
                        continue
                    k = min(want, g["count"])
                    g[attr] = k
                    want -= k
    moves = []
    for (a, b), g in sorted(grouped.items(), key=lambda kv: (inst.school_of[kv[0][0]], inst.school_of[kv[0][1]])):
        moves.append(Transfer(inst.school_of[a], inst.school_of[b], stage, int(g["count"]),
                              above_degree=int(g["above_degree"]), mid_title=int(g["mid_title"]),
                              backbone=int(g["backbone"]), pe_art=int(g["pe_art"]), teacher_ids=tuple(g["ids"])))
    return tuple(moves)


# ------------------------------------------------------------------------------ purchases


@dataclass
class _Buy:
    status: str
    amounts: dict[str, np.ndarray]  # resource -> amount per purchasable unit
    cost: float
    bound: float


def _resource_setup(inst: _Inst) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Return (purchasable unit positions, their school ids, their stage shares)."""
    u = inst.units
    sch = inst.schools.set_index("school_id")
    srows = sch.loc[u["school_id"].astype(str)]
    ok = np.ones(len(u), bool)
    if "ownership" in srows:
        ok &= (srows["ownership"].astype(str) != "private").to_numpy()
    if "county_run" in srows:
        ok &= srows["county_run"].fillna(True).astype(bool).to_numpy()
    if inst.goal.scheme == "basic":
        ok &= (srows["school_type"].astype(str) != "teaching_point").to_numpy()
    ok &= ~u["school_id"].astype(str).isin(inst.cons.locked_schools).to_numpy()
    pos = np.flatnonzero(ok)
    shares = stage_shares(inst.schools, inst.params).set_index(inst.schools["school_id"])[inst.goal.stage]
    sh = shares.loc[u["school_id"].astype(str).iloc[pos]].to_numpy(float)
    keep = sh > 0
    return pos[keep], [str(s) for s in u["school_id"].iloc[pos[keep]]], sh[keep]


def _minimum_need(inst: _Inst, resource: str) -> np.ndarray:
    """Return each unit's required resource total (column unit) from the per-school minimums."""
    u = inst.units
    stage = inst.goal.stage
    need = np.zeros(len(u))
    if not inst.cons.keep_minimums:
        return need
    P = inst.P
    if inst.goal.scheme == "quality":
        for q in ("Q4", "Q5", "Q6", "Q7"):
            ind = INDICATORS[q]
            if ind.numerator == resource:
                need = np.maximum(need, ind.minimum(stage) * P / ind.scale)
    else:
        for rule in province_profile(inst.params.province_profile).indicators:
            if rule.get("numerator") != resource:
                continue
            if rule["kind"] == "ratio_min" and rule.get("denominator") == "students":
                need = np.maximum(need, float(rule[stage]) * P / float(rule.get("scale", 1)))
            elif rule["kind"] == "total_by_classes":
                classes = u[rule["classes"]].to_numpy(float)
                steps = rule[stage]
                amt = np.full(len(u), float(steps[-1][1]))
                for upto, amount in reversed(steps):
                    amt = np.where(classes <= upto, float(amount), amt)
                need = np.maximum(need, amt)
    return need


def _g(R: np.ndarray, P: np.ndarray, tau: float) -> tuple[float, np.ndarray]:
    """Return (g, ∂g/∂R) of g(R) = ‖R/√P‖ − √((1+τ²)/P_tot)·ΣR (≤ 0 ⇔ CV ≤ τ)."""
    y = R / np.sqrt(P)
    norm = float(np.linalg.norm(y))
    kappa = math.sqrt((1 + tau * tau) / P.sum())
    grad = (y / np.sqrt(P)) / max(norm, 1e-300) - kappa
    return norm - kappa * float(R.sum()), grad


def _buy_one(R0: np.ndarray, P: np.ndarray, pos: np.ndarray, share: np.ndarray, lb: np.ndarray,
             unit_cost: float, integer: bool, tau: float | None, *, time_limit: float = 10.0) -> _Buy:
    """Least-cost amounts a ≥ lb at the purchasable units so that CV(R0 + share·a) ≤ τ (None: no CV)."""
    n = len(pos)

    def R_of(a):
        R = R0.copy()
        R[pos] += share * a
        return R

    def feasible(a) -> bool:
        return tau is None or _g(R_of(a), P, tau)[0] <= 0

    lb = np.ceil(lb - 1e-9) if integer else lb
    if feasible(lb):
        return _Buy("optimal", {"a": lb}, unit_cost * float(lb.sum()), unit_cost * float(lb.sum()))
    # water-filling upper bound: raise the purchasable units to a common per-pupil level L
    Rl = R_of(lb)
    x = Rl / P

    def fill(L: float) -> np.ndarray:
        a = np.maximum(lb, lb + (L * P[pos] - Rl[pos]) / share)
        return np.ceil(a - 1e-9) if integer else a

    grid = np.concatenate([np.linspace(x.min(), x.max(), 40), x.max() * np.linspace(1, 4, 30)[1:]])
    ok = [L for L in grid if feasible(fill(L))]
    if not ok:
        return _Buy("infeasible", {"a": lb}, math.inf, math.inf)
    hi_L = ok[0]
    lo_L = grid[max(int(np.searchsorted(grid, hi_L)) - 1, 0)]
    for _ in range(50):
        mid = 0.5 * (lo_L + hi_L)
        if feasible(fill(mid)):
            hi_L = mid
        else:
            lo_L = mid
    best = fill(hi_L)
    ub = unit_cost * float(best.sum())
    assert tau is not None
    # Kelley cutting planes on the convex cone constraint
    cuts_A: list[np.ndarray] = []
    cuts_b: list[float] = []

    def cut(a) -> None:
        gv, gr = _g(R_of(a), P, tau)
        ga = gr[pos] * share
        cuts_A.append(ga)
        cuts_b.append(float(ga @ a) - gv)

    cut(lb)
    cut(best)
    lower = unit_cost * float(lb.sum())
    c = np.full(n, unit_cost)
    t0 = time.perf_counter()
    status = "feasible"
    for _ in range(200):
        left = time_limit - (time.perf_counter() - t0)
        if left <= 0:
            break
        res = milp(c, constraints=LinearConstraint(np.array(cuts_A), -np.inf, np.array(cuts_b)),
                   integrality=np.full(n, 1 if integer else 0), bounds=Bounds(lb, best),
                   options={"time_limit": left, "disp": False})
        if res.x is None:
            break
        a = np.ceil(res.x - 1e-6) if integer else res.x
        lower = max(lower, float(res.fun)) if res.status == 0 else lower
        if feasible(a):
            if c @ a < ub:
                best, ub = a, float(c @ a)
        else:  # line search towards the best feasible point
            lo_t, hi_t = 0.0, 1.0
            for _ in range(40):
                mid = 0.5 * (lo_t + hi_t)
                trial = res.x + mid * (best - res.x)
                trial = np.ceil(trial - 1e-9) if integer else trial
                if feasible(trial):
                    hi_t = mid
                else:
                    lo_t = mid
            trial = res.x + hi_t * (best - res.x)
            trial = np.ceil(trial - 1e-9) if integer else trial
            if feasible(trial) and c @ trial < ub:
                best, ub = trial, float(c @ trial)
            cut(res.x)
        if ub - lower <= 1e-6 * max(ub, 1.0):
            status = "optimal"
            break
    return _Buy(status, {"a": best}, ub, min(lower, ub))


def _resource_cv(R: np.ndarray, P: np.ndarray) -> float:
    mean = R.sum() / P.sum()
    if mean <= 0:
        return math.nan
    return math.sqrt(max(P.sum() * float(np.sum(R * R / P)) / (R.sum() ** 2) - 1, 0.0))


def _resources_of(inst: _Inst) -> list[tuple[str, str]]:
    """(indicator, resource column) pairs a purchase can change, for the goal's scheme."""
    ids = ("B1", "B2", "B3", "B4", "B5") if inst.goal.scheme == "basic" else ("Q4", "Q5", "Q6", "Q7")
    return [(i, INDICATORS[i].numerator) for i in ids]


def _plan_purchases(inst: _Inst, teacher_cv_sum: float | None, time_limit: float) -> tuple[_Buy, list[Purchase]]:
    """Least-cost purchases (exact for quality, greedy with a proven bound for basic)."""
    pos, sids, share = _resource_setup(inst)
    ints = _integer_resources()
    P = inst.P
    results: dict[str, np.ndarray] = {}
    cost, bound, status = 0.0, 0.0, "optimal"
    extra_min = ["building_area_m2"] if inst.goal.scheme == "basic" else []
    pairs = _resources_of(inst)
    # minimums: closed form lower bounds per purchasable unit
    lbs = {}
    for _ind, col in pairs + [(None, c) for c in extra_min]:
        R0 = inst.units[col].to_numpy(float)
        need = _minimum_need(inst, col)
        lbs[col] = np.maximum(0.0, (need[pos] - R0[pos]) / share)
        if col in ints:
            lbs[col] = np.ceil(lbs[col] - 1e-9)
    for col in extra_min:
        results[col] = lbs[col]
        c = inst.cons.cost(col) * float(lbs[col].sum())
        cost += c
        bound += c
    if inst.goal.scheme == "quality":
        for _ind, col in pairs:
            R0 = inst.units[col].to_numpy(float)
            b = _buy_one(R0, P, pos, share, lbs[col], inst.cons.cost(col), col in ints, inst.tau,
                         time_limit=time_limit / len(pairs))
            if b.status == "infeasible":
                return _Buy("infeasible", results, math.inf, math.inf), []
            results[col] = b.amounts["a"]
            cost += b.cost
            bound += b.bound
            if b.status != "optimal":
                status = "feasible"
    else:
        budget = 8 * inst.tau - (teacher_cv_sum if teacher_cv_sum is not None else 0.0)
        R0s = {col: inst.units[col].to_numpy(float) for _, col in pairs}
        amounts = {col: lbs[col].copy() for _, col in pairs}

        def cv_of(col, a):
            R = R0s[col].copy()
            R[pos] += share * a
            return _resource_cv(R, P)

        for _, col in pairs:
            c = inst.cons.cost(col) * float(amounts[col].sum())
            bound += c
        targets = {col: cv_of(col, amounts[col]) for _, col in pairs}
        for _ in range(400):
            if sum(targets.values()) <= budget:
                break
            best = None
            for _, col in pairs:  # cheapest 元 per unit of CV removed, in steps
                step = max(targets[col] * 0.03, 0.002)
                new_t = targets[col] - step
                if new_t <= 0.0005:
                    continue
                b = _buy_one(R0s[col], P, pos, share, lbs[col], inst.cons.cost(col), col in ints,
                             new_t, time_limit=0.5)
                if b.status == "infeasible":
                    continue
                prev = inst.cons.cost(col) * float(amounts[col].sum())
                rate = (b.cost - prev) / step
                if best is None or rate < best[0]:
                    best = (rate, col, new_t, b.amounts["a"])
            if best is None:
                return _Buy("infeasible", results, math.inf, math.inf), []
            _, col, new_t, a = best
            amounts[col] = np.maximum(a, amounts[col])
            targets[col] = cv_of(col, amounts[col])
        if sum(targets.values()) > budget:
            return _Buy("infeasible", results, math.inf, math.inf), []
        for _, col in pairs:
            results[col] = amounts[col]
            cost += inst.cons.cost(col) * float(amounts[col].sum())
        if cost > bound + 1e-6:
            status = "feasible"
    purchases = []
    for col, amt in results.items():
        for sid, raw in zip(sids, amt.tolist()):
            if raw > 1e-9:
                amount = float(round(raw)) if col in ints else float(round(raw, 2))
                if amount <= 0:
                    continue
                purchases.append(Purchase(sid, col, amount, amount * inst.cons.cost(col)))
    total = float(sum(p.cost_yuan for p in purchases))
    return _Buy(status, results, total, min(bound, total)), purchases


# ------------------------------------------------------------------------------ the plan


def _instance(data: Any, goal: PlanGoal, cons: PlanConstraints, teachers: pd.DataFrame | None,
              params: EvalParams, before: Evaluation | None) -> _Inst:
    """Return the prepared instance of a Snapshot or a schools DataFrame (``teachers``, when
    given, replaces the snapshot's roster)."""
    if isinstance(data, pd.DataFrame):
        schools, roster = data, None
    elif hasattr(data, "schools"):
        schools, roster = data.schools, getattr(data, "teachers", None)
    else:
        raise PlanError(f"snapshot_or_schools must be a Snapshot or a schools DataFrame, got {type(data).__name__}")
    return _prepare(schools, goal, cons, roster if teachers is None else teachers, params, before)


def _rotation(inst: _Inst, moves: Sequence[Transfer]) -> Rotation:
    rotated = sum(m.count for m in moves)
    backbone = sum(m.backbone for m in moves)
    bshare = backbone / rotated if rotated else None
    if inst.teachers is None or not len(inst.teachers):
        return Rotation(None, rotated, backbone, None, bshare, None,
                        None if bshare is None else bshare >= ROTATION_BACKBONE_SHARE)
    r = inst.teachers[inst.teachers["stage"].astype(str) == inst.goal.stage]
    eligible = int((inst.year - r["start_year_at_school"].astype(float) >= inst.cons.min_years_at_school).sum())
    share = rotated / eligible if eligible else None
    return Rotation(eligible, rotated, backbone, share, bshare,
                    None if share is None else share >= ROTATION_MIN_SHARE,
                    None if bshare is None else bshare >= ROTATION_BACKBONE_SHARE)


def _goal_met(inst: _Inst, ev: Evaluation, teachers_only: bool) -> tuple[bool, list[str]]:
    stage, scheme = inst.goal.stage, inst.goal.scheme
    fails = []
    if scheme == "basic":
        c = ev.composites[ev.composites["stage"] == stage]
        if c.empty or not bool(c["passed"].iloc[0]):
            fails.append("composite")
    else:
        ind = ev.indicators
        rows = ind[(ind["scheme"] == "quality") & (ind["stage"] == stage)]
        ids = _TEACHER_INDICATORS["quality"] if teachers_only else scheme_ids("quality")
        for r in rows.itertuples(index=False):
            if r.indicator in ids and not bool(r.passed):
                fails.append(str(r.indicator))
    return not fails, fails


def _check(inst: _Inst, moves: Sequence[Transfer], purchases: Sequence[Purchase], after: Evaluation,
           teachers_only: bool) -> PlanCheck:
    """Re-check a plan against the goal and every constraint, with the engine's evaluation."""
    ok, fails = _goal_met(inst, after, teachers_only)
    failures = [f"goal:{f}" for f in fails]
    cons, stage = inst.cons, inst.goal.stage
    sch_after = after.schools.set_index(after.schools["school_id"].astype(str))
    sch_before = inst.schools.set_index("school_id")
    per_school: dict[str, int] = {}
    dist = None
    start: dict[str, float] | None = None
    if inst.teachers is not None and len(inst.teachers):
        named = [i for m in moves for i in m.teacher_ids]
        flags = _roster_flags(inst.teachers)
        start = dict(zip(named, flags["start_year_at_school"].reindex(named).to_numpy(float)))
    for m in moves:
        for s in (m.from_school_id, m.to_school_id):
            per_school[s] = per_school.get(s, 0) + m.count
            if s in cons.locked_schools:
                failures.append(f"locked:{s}")
        if cons.max_km is not None:
            a, b = sch_before.loc[m.from_school_id], sch_before.loc[m.to_school_id]
            dist = float(haversine_km(a["longitude"], a["latitude"], b["longitude"], b["latitude"]))
            if dist > cons.max_km + 1e-9:
                failures.append(f"max_km:{m.from_school_id}->{m.to_school_id}:{dist:.1f}")
        if start is not None and any(not inst.year - start[i] >= cons.min_years_at_school for i in m.teacher_ids):
            failures.append(f"eligibility:{m.from_school_id}")
        if start is not None and len(m.teacher_ids) != m.count:
            failures.append(f"unnamed:{m.from_school_id}")
    for p in purchases:
        if p.school_id in cons.locked_schools:
            failures.append(f"locked:{p.school_id}")
    if cons.max_moves_per_school is not None:
        failures += [f"max_moves_per_school:{s}:{n}" for s, n in per_school.items() if n > cons.max_moves_per_school]
    norm = float(cons.staffing_norm[stage])
    for s in per_school:
        T0 = float(sch_before.loc[s, f"teachers_{stage}"])
        P0 = float(sch_before.loc[s, f"students_{stage}"])
        T1 = float(sch_after.loc[s, f"teachers_{stage}"])
        if T1 < min(T0, math.ceil(P0 / norm - 1e-9)):
            failures.append(f"staffing_norm:{s}:{T1:.0f}")
    if cons.keep_minimums and inst.goal.scheme == "quality":
        ub = inst.before.units["quality"]
        ua = after.units["quality"]
        ub = ub[ub["stage"] == stage].set_index("unit_id")
        ua = ua[ua["stage"] == stage].set_index("unit_id")
        for q in _TEACHER_INDICATORS["quality"]:
            mn = INDICATORS[q].minimum(stage)
            met0 = ub[q] >= mn - 1e-12
            v1 = ua[q].reindex(ub.index)
            lost = ub.index[(met0 & (v1 < mn - 1e-12)) | (~met0 & (v1 < ub[q] - 1e-12))]
            failures += [f"keep_minimums:{u}:{q}" for u in lost]
        if not teachers_only:  # purchases bring every purchasable unit to the resource minimums
            buyable = set(_resource_setup(inst)[1])
            for q in ("Q4", "Q5", "Q6", "Q7"):
                mn = INDICATORS[q].minimum(stage)
                low = ua.index[ua[q] < mn * (1 - 1e-9)]
                failures += [f"minimum:{u}:{q}" for u in low if str(ua.loc[u, "school_id"]) in buyable]
    return PlanCheck(ok, not [f for f in failures if not f.startswith("goal:")], tuple(failures))


def _evaluate_plan(inst: _Inst, moves, purchases, teachers_only: bool,
                   schemes: tuple[str, ...] = ("basic", "quality"), named: bool = True) -> tuple[Evaluation, PlanCheck]:
    """Apply the plan with ``apply_actions`` and evaluate it; ``named=False`` applies the transfers by
    their attribute counts only (the names were drawn from the roster with those very counts)."""
    applied_moves = moves if named else [replace(m, teacher_ids=()) for m in moves]
    actions = [*applied_moves, *(AddResource(p.school_id, p.resource, p.amount) for p in purchases)]
    named_ids = {i for m in applied_moves for i in m.teacher_ids}
    roster = None
    if inst.teachers is not None and named_ids:  # only the named teachers' rows are read
        roster = inst.teachers[inst.teachers["teacher_id"].astype(str).isin(named_ids)]
    applied = apply_actions(inst.schools, actions, teachers=roster)
    after = evaluate(applied.schools, inst.params, schemes=schemes)
    return after, _check(inst, moves, purchases, after, teachers_only)


def _explain_transfers(inst: _Inst, time_limit: float) -> list[Shortfall]:
    """Which constraint binds, and how many more teachers of each attribute would suffice.

    Each constraint is dropped alone and the goal re-tried; then, per failing teacher indicator,
    the least number of hires with its attribute (placed by the model, transfers allowed) is found
    by doubling and bisection.  Everything shares the ``time_limit`` (seconds)."""
    deadline = time.perf_counter() + time_limit

    def budget() -> float:
        return max(min(deadline - time.perf_counter(), time_limit / 6), 0.0)

    out: list[Shortfall] = []
    for con in ("max_km", "max_moves_per_school", "eligibility", "keep_minimums", "staffing_norm"):
        if con == "max_km" and inst.cons.max_km is None:
            continue
        if con == "max_moves_per_school" and inst.cons.max_moves_per_school is None:
            continue
        if con == "eligibility" and inst.elig is None:
            continue
        if budget() <= 0:
            break
        if _best_flows(inst, _Relax(drop=frozenset({con})), budget()) is not None:
            out.append(Shortfall("constraint", constraint=con))
    if inst.cons.locked_schools and budget() > 0:
        sub = replace(inst.cons, locked_schools=frozenset())
        try:
            inst2 = _prepare(inst.schools, inst.goal, sub, inst.teachers, inst.params)
            if _best_flows(inst2, _Relax(), budget()) is not None:
                out.append(Shortfall("constraint", constraint="locked_schools"))
        except PlanError:
            pass
    found: list[Shortfall] = []
    for n in inst.names:
        if budget() <= 0:
            break
        if inst.goal.scheme == "quality":
            alone = _solve_flows(inst, _Relax(only=(n,)), time_limit=budget())
            if alone.status in ("optimal", "feasible"):
                continue  # reachable on its own: the joint constraints bind (reported above)

        def attempt(h: int, n: str = n) -> _Flows | None:
            rel = _Relax(hire={n: h}, only=(n,) if inst.goal.scheme == "quality" else None)
            if budget() <= 0:
                return None
            if inst.goal.scheme == "quality":
                f = _solve_flows(inst, rel, time_limit=budget())
                return f if f.status in ("optimal", "feasible") else None
            return _best_flows(inst, rel, budget())

        lo, hi, hit = 0, 1, None  # lo: known not enough; hi: next to try
        while hi <= 4096 and budget() > 0:
            hit = attempt(hi)
            if hit is not None:
                break
            lo, hi = hi, hi * 2
        if hit is not None:
            while hi - lo > 1 and budget() > 0:
                mid = (lo + hi) // 2
                f = attempt(mid)
                if f is not None:
                    hi, hit = mid, f
                else:
                    lo = mid
        ind = inst.ind_of_name[n]
        if hit is None:
            found.append(Shortfall("unreachable" if budget() > 0 else "undecided", indicator=ind))
        else:
            placed = tuple((inst.school_of[m], int(k)) for m, k in enumerate(hit.hires) if k > 0) \
                if hit.hires is not None else ()
            found.append(Shortfall("hire", indicator=ind,
                                   attribute=None if n == "teachers" else n.removeprefix("teachers_"),
                                   count=hi, placement=placed))
    if inst.goal.scheme == "basic":  # alternatives: report the smallest hire
        hires = [f for f in found if f.kind == "hire"]
        found = [min(hires, key=lambda f: f.count or 0)] if hires else found[:1]
    return out + found


def _flow_counts(inst: _Inst, f: _Flows, relax: _Relax) -> dict[str, np.ndarray]:
    """Return every unit's counts after the flows (and the hires of ``relax``)."""
    counts = _counts_after(inst, f.out, f.inn)
    if f.hires is not None:
        for n in counts:
            if n in relax.hire or n == "teachers":
                counts[n][inst.movable] += f.hires
    return counts


def _basic_search(inst: _Inst, relax: _Relax, time_limit: float,
                  iters: int = 6) -> tuple[_Flows | None, float, bool]:
    """Basic composite: return (best truly passing flows or None, proven lower bound, proven infeasible).

    Lower bounds come from the piecewise-linear relaxation (breakpoints refined at each
    solution's true CV²); plans from the tangent (conservative) model at that solution."""
    bud = 8 * inst.tau - inst.resource_cv
    if bud <= 0:
        return None, math.inf, True
    U = bud * bud  # each teacher CV ≤ bud in any passing plan, so v ≤ bud²
    v_base = _v_of(inst, {n: inst.base[n] for n in {*inst.names, "teachers"}})
    bps = {n: sorted({-1.0, 0.0, *np.linspace(0, U, 9)[1:].tolist(), min(v_base[n], U)}) for n in inst.names}
    best: _Flows | None = None
    lower = 0.0
    t0 = time.perf_counter()
    for _ in range(iters):
        left = max(time_limit - (time.perf_counter() - t0), 0.5)
        f = _solve_flows(inst, relax, basic_mode="pwl", bps=bps, time_limit=left)
        if f.status == "infeasible":
            return best, (math.inf if best is None else lower), best is None
        if f.status not in ("optimal", "feasible"):
            break
        lower = max(lower, f.objective if f.status == "optimal" else f.bound)
        cnt = _flow_counts(inst, f, relax)
        if _teacher_goal_met(inst, cnt):
            if best is None or f.objective < best.objective:
                best = f
            break
        v = _v_of(inst, cnt)
        g = _solve_flows(inst, relax, basic_mode="tangent", v0=v, time_limit=left)
        if g.status in ("optimal", "feasible") and _teacher_goal_met(inst, _flow_counts(inst, g, relax)):
            if best is None or g.objective < best.objective:
                best = g
        if best is not None and best.objective <= lower + 1e-9:
            break
        for n in inst.names:
            bps[n] = sorted(set(bps[n]) | {min(v[n], U)})
    return best, lower, False


def _best_flows(inst: _Inst, relax: _Relax, time_limit: float) -> _Flows | None:
    """Return a truly feasible flow solution, or None."""
    if inst.goal.scheme == "quality":
        f = _solve_flows(inst, relax, time_limit=time_limit)
        return f if f.status in ("optimal", "feasible") else None
    return _basic_search(inst, relax, time_limit, iters=3)[0]


def _transfer_plan(inst: _Inst, time_limit: float) -> tuple[str, float, float, list, list[Shortfall]]:
    """Return (status, objective, bound, (donor, receiver, class, count) list, explanation)."""
    start = time.perf_counter()

    def rest() -> float:  # what is left of the time limit, for the explanation
        return max(time_limit - (time.perf_counter() - start), 1.0)

    base_counts = {n: inst.base[n] for n in {*inst.names, "teachers"}}
    if _teacher_goal_met(inst, base_counts):
        return "already_passes", 0.0, 0.0, [], []
    M = len(inst.movable)
    if M < 2:
        return "infeasible", math.nan, math.nan, [], [Shortfall("unreachable", indicator=inst.ind_of_name[inst.names[0]])]
    if inst.goal.scheme == "quality":
        t0 = time.perf_counter()
        greedy: list[tuple[int, int, int, int]] | None = None
        if M > _GREEDY_FIRST_UNITS:  # a large county: the greedy plan is the fallback incumbent
            greedy = _greedy(inst, 20 * M)
            cnt = _counts_after(inst, *_net_from_triples(inst, greedy))
            greedy = greedy if _teacher_goal_met(inst, cnt) else None
        if greedy is not None:
            # HiGHS does not keep to its time limit on the full model of a large county (a root LP of
            # tens of thousands of rows): the greedy plan stands, with the proven single-attribute bound
            g_obj = float(sum(k for *_, k in greedy))
            # keep ~10 % of the limit for matching, the engine's re-check and the tables
            single = _single_bounds(inst, max(0.9 * time_limit - (time.perf_counter() - t0), 1.0))
            status = "optimal" if single >= g_obj else "feasible"
            return status, g_obj, min(single, g_obj), greedy, []
        left = max(time_limit - (time.perf_counter() - t0), 1.0)
        f = _solve_flows(inst, _Relax(), time_limit=left)
        if f.status == "optimal":
            return f.status, f.objective, f.objective, _match(inst, f), []
        bound = f.bound if np.isfinite(f.bound) else 0.0
        if f.status == "feasible":
            return "feasible", f.objective, min(bound, f.objective), _match(inst, f), []
        if f.status == "timeout":
            return "timeout", math.nan, bound, [], []
        return "infeasible", math.nan, math.nan, [], _explain_transfers(inst, rest())
    # basic: piecewise-linear relaxation for the bound, tangent models for the plans
    best, lower, infeasible = _basic_search(inst, _Relax(), time_limit)
    if best is None:
        return "infeasible", math.nan, lower, [], (_explain_transfers(inst, rest()) if infeasible else [])
    status = "optimal" if best.objective <= lower + 1e-9 else "feasible"
    return status, best.objective, lower, _match(inst, best), []


def plan(snapshot_or_schools: Any, goal: PlanGoal, constraints: PlanConstraints | None = None, *,
         teachers: pd.DataFrame | None = None, params: EvalParams = DEFAULT_PARAMS,
         time_limit_s: float = 20.0, before: Evaluation | None = None) -> Plan:
    """Return the optimal (or best found, with its gap) plan for ``goal`` under ``constraints``.

    ``snapshot_or_schools`` is a Snapshot (its roster is used) or a schools DataFrame
    (``teachers`` optional).  The inputs are not changed.  ``time_limit_s`` bounds the whole
    call (the solver gets what preparation left, less a reserve for the re-check).  The plan is re-checked by the engine
    (``Plan.check``).  An infeasible goal gives ``status='infeasible'`` and ``explanation``.
    """
    t0 = time.perf_counter()
    cons = constraints or PlanConstraints()
    inst = _instance(snapshot_or_schools, goal, cons, teachers, params, before)
    moves: tuple[Transfer, ...] = ()
    purchases: list[Purchase] = []
    explanation: list[Shortfall] = []
    status, objective, lower = "optimal", 0.0, 0.0
    method = "milp"
    mode = goal.mode
    transfer_cost = cons.cost("teacher_transfer")
    def budget() -> float:  # the rest of the time limit, less what the engine's re-check takes
        return max(time_limit_s - (time.perf_counter() - t0) - CHECK_RESERVE_S, 1.0)

    if mode in ("transfers", "both"):
        st, obj, lb, triples, expl = _transfer_plan(inst, budget())
        explanation += expl
        if st in ("infeasible", "timeout") and mode == "transfers":
            status, objective, lower = st, math.nan, lb
        elif st in ("infeasible", "timeout"):
            status = "infeasible"
        else:
            moves = _moves(inst, triples)
            status = st
            objective, lower = obj, lb
        if mode == "transfers" and goal.scheme == "quality":
            fixed = [i for i in ("Q4", "Q5", "Q6", "Q7") if not _passes(inst.before, goal.stage, i)]
            explanation += [Shortfall("fixed", indicator=i) for i in fixed]
    if mode == "budget" and goal.scheme == "quality":
        fixed = [i for i in _TEACHER_INDICATORS["quality"] if not _passes(inst.before, goal.stage, i)]
        explanation += [Shortfall("needs_transfers", indicator=i) for i in fixed]
    if mode in ("budget", "both"):
        teacher_sum = None
        if goal.scheme == "basic":
            counts = _counts_after(inst, *_net_arrays(inst, moves))
            teacher_sum = sum(math.sqrt(v) for v in _v_of(inst, counts).values())
        if mode == "both" and goal.scheme == "basic" and status == "infeasible":
            teacher_sum = sum(math.sqrt(v) for v in _v_of(inst, {n: inst.base[n] for n in inst.names}).values())
            explanation = []
            status = "optimal"
        buy, purchases = _plan_purchases(inst, teacher_sum, budget())
        if buy.status == "infeasible":
            status = "infeasible"
            explanation.append(Shortfall("unreachable", indicator="budget"))
            purchases = []
        else:
            if mode == "budget":
                objective, lower = buy.cost, buy.bound
                status = "already_passes" if buy.cost == 0 and _goal_met(inst, inst.before, False)[0] else buy.status
            else:
                if status != "infeasible":
                    objective = transfer_cost * objective + buy.cost
                    lower = transfer_cost * lower + buy.bound
                    if buy.status != "optimal" or status == "feasible" or goal.scheme == "basic" and moves and purchases:
                        status = "feasible" if objective > lower + 1e-6 else "optimal"
                    elif status == "already_passes" and buy.cost > 0:
                        status = "optimal"
    teachers_only = mode == "transfers"
    after, check = _evaluate_plan(inst, moves, purchases, teachers_only)
    if status in ("optimal", "feasible", "already_passes") and not check.goal_met:
        status = "infeasible"
        known = {e.indicator for e in explanation}
        missing = [f.split(":", 1)[1] for f in check.failures if f.startswith("goal:")]
        missing = [m for m in missing if m not in known]
        if missing:
            explanation.append(Shortfall("unreachable", indicator=",".join(missing)))
    ok = status in ("optimal", "already_passes")
    if status in ("infeasible", "timeout"):
        gap = math.nan
        objective = math.nan
    else:
        gap = 0.0 if ok or objective <= 0 else max(objective - lower, 0.0) / objective
    return Plan(goal=goal, constraints=cons, county_code=inst.county, year=inst.year, moves=moves,
                purchases=tuple(purchases), objective=float(objective), lower_bound=float(lower), optimal=ok,
                gap=gap, status=status, method=method, explanation=tuple(explanation),
                rotation=_rotation(inst, moves), before=inst.before, after=after, check=check,
                seconds=time.perf_counter() - t0)


def _single_bounds(inst: _Inst, time_limit: float) -> float:
    """Return a proven lower bound on the transfers: for each teacher indicator alone, the fewest
    teachers carrying its attribute that must move (a relaxation: one attribute, two classes)."""
    best = 0.0
    deadline = time.perf_counter() + time_limit
    names = [n for n in inst.names if n != "teachers"]
    for n in names:
        attr = n.removeprefix("teachers_")
        sub = replace(inst, names=(n,), attrs=(attr,), classes=np.array([[0], [1]], dtype=np.int64),
                      elig=None if inst.elig is None else np.stack(
                          [inst.elig[:, inst.classes[:, inst.attrs.index(attr)] == b].sum(axis=1)
                           for b in (0, 1)], axis=1),
                      every=None)
        if sub.elig is not None:
            sub.every = sub.elig
        left = len(names) - names.index(n)
        f = _solve_flows(sub, _Relax(drop=frozenset({"staffing_norm", "max_km"})),
                         time_limit=max(deadline - time.perf_counter(), 0.1) / left)
        if f.status == "optimal":
            best = max(best, f.objective)
        elif np.isfinite(f.bound):
            best = max(best, f.bound)
    return best


def _net_from_triples(inst: _Inst, triples: Sequence[tuple[int, int, int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Return (out, in) per movable unit and class of (donor, receiver, class, count) moves."""
    M, K = len(inst.movable), len(inst.classes)
    out, inn = np.zeros((M, K)), np.zeros((M, K))
    for a, b, c, k in triples:
        out[a, c] += k
        inn[b, c] += k
    return out, inn


def _passes(ev: Evaluation, stage: str, indicator: str) -> bool:
    ind = ev.indicators
    r = ind[(ind["indicator"] == indicator) & (ind["stage"] == stage)]
    return bool(r["passed"].iloc[0]) if len(r) else True


def _net_arrays(inst: _Inst, moves: Sequence[Transfer]) -> tuple[np.ndarray, np.ndarray]:
    """Return (out, in) per movable unit and class implied by ``moves`` (class from counts)."""
    M, K = len(inst.movable), len(inst.classes)
    out, inn = np.zeros((M, K)), np.zeros((M, K))
    pos = {s: m for m, s in enumerate(inst.school_of)}
    for mv in moves:
        a, b = pos[mv.from_school_id], pos[mv.to_school_id]
        # attribute totals are what matter for the counts: spread them over one class each
        left = mv.count
        for j, attr in enumerate(inst.attrs):
            k = getattr(mv, attr)
            c = 1 << j
            out[a, c] += k
            inn[b, c] += k
            left -= k
        out[a, 0] += left
        inn[b, 0] += left
    return out, inn


# ------------------------------------------------------------------------------ preview


def preview(snapshot_or_schools: Any, goal: PlanGoal, constraints: PlanConstraints | None = None, *,
            teachers: pd.DataFrame | None = None, params: EvalParams = DEFAULT_PARAMS,
            max_steps: int = 400, before: Evaluation | None = None) -> Plan:
    """Return a fast greedy plan (no optimality claim; gap NaN): one teacher at a time along the
    steepest descent of the violation, then water-filling purchases.  Re-checked by the engine."""
    t0 = time.perf_counter()
    cons = constraints or PlanConstraints()
    inst = _instance(snapshot_or_schools, goal, cons, teachers, params, before)
    triples: list[tuple[int, int, int, int]] = []
    if goal.mode in ("transfers", "both"):
        triples = _greedy(inst, max_steps)
    moves = _moves(inst, triples)
    purchases: list[Purchase] = []
    if goal.mode in ("budget", "both"):
        pos, sids, share = _resource_setup(inst)
        ints = _integer_resources()
        teacher_sum = sum(math.sqrt(v) for v in _v_of(inst, _counts_after(inst, *_net_arrays(inst, moves))).values())
        per_target = inst.tau if goal.scheme == "quality" else None
        for ind, col in _resources_of(inst) + ([(None, "building_area_m2")] if goal.scheme == "basic" else []):
            R0 = inst.units[col].to_numpy(float)
            lbv = np.maximum(0.0, (_minimum_need(inst, col)[pos] - R0[pos]) / share)
            tau = per_target
            if goal.scheme == "basic" and ind is not None:
                cv = _resource_cv(R0, inst.P)
                excess = inst.resource_cv + teacher_sum - 8 * inst.tau
                tau = cv - excess / 5 if excess > 0 else None
                if tau is not None and tau <= 0:
                    tau = None
            b = _buy_one(R0, inst.P, pos, share, lbv, cons.cost(col), col in ints, tau if ind else None,
                         time_limit=0.0)
            for sid, a in zip(sids, b.amounts["a"]):
                a = float(round(a)) if col in ints else float(round(a, 2))
                if a > 0:
                    purchases.append(Purchase(sid, col, a, a * cons.cost(col)))
    after, check = _evaluate_plan(inst, moves, purchases, goal.mode == "transfers", (goal.scheme,), named=False)
    obj = float(sum(m.count for m in moves)) if goal.mode == "transfers" else (
        sum(p.cost_yuan for p in purchases) + (cons.cost("teacher_transfer") * sum(m.count for m in moves)
                                               if goal.mode == "both" else 0.0))
    status = "already_passes" if not moves and not purchases and check.goal_met else (
        "feasible" if check.goal_met else "infeasible")
    return Plan(goal=goal, constraints=cons, county_code=inst.county, year=inst.year, moves=moves,
                purchases=tuple(purchases), objective=float(obj), lower_bound=math.nan,
                optimal=status == "already_passes", gap=0.0 if status == "already_passes" else math.nan,
                status=status, method="greedy", explanation=(), rotation=_rotation(inst, moves),
                before=inst.before, after=after, check=check, seconds=time.perf_counter() - t0)


def _greedy(inst: _Inst, max_steps: int) -> list[tuple[int, int, int, int]]:
    """Greedy transfers: the single-teacher move that most lowers the weighted excess."""
    M, K = len(inst.movable), len(inst.classes)
    if M < 2:
        return []
    cons = inst.cons
    Pm = inst.P[inst.movable]
    names = inst.names
    coef = np.array([_coef(n, inst.attrs, inst.classes) for n in names])  # (k, K)
    cnt = np.array([inst.base[n][inst.movable].astype(float) for n in names])  # (k, M)
    T = inst.own_T.copy()
    stock = inst.elig.astype(float).copy() if inst.elig is not None else None
    A = np.array([inst.own_A[a].astype(float) for a in inst.attrs])  # (j, M)
    moved = np.zeros(M)
    lbs = np.array([inst.lb[n] for n in names])
    allowed = np.ones((M, M), bool) & ~np.eye(M, dtype=bool)
    if cons.max_km is not None:
        d = _distances(inst)
        allowed &= np.isfinite(d) & (d <= cons.max_km)
    P = inst.P.sum()
    fixed = np.ones(len(inst.P), bool)
    fixed[inst.movable] = False
    qfix = np.array([np.sum(inst.base[n][fixed] ** 2 / inst.P[fixed]) for n in names])
    R = np.array([inst.base[n].sum() for n in names])
    caps = (1 + inst.tau ** 2) * R * R / P
    triples: dict[tuple[int, int, int], int] = {}

    def violation(Q: np.ndarray) -> float:
        if inst.goal.scheme == "basic":
            v = np.maximum(P * Q / (R * R) - 1, 0)
            return max(float(np.sqrt(v).sum()) + inst.resource_cv - 8 * inst.tau, 0.0)
        return float(np.sum(np.maximum(Q - caps, 0) / caps))

    for _ in range(max_steps):
        Q = qfix + np.sum(cnt ** 2 / Pm, axis=1)
        V = violation(Q)
        if V <= 0:
            break
        v = np.maximum(P * Q / (R * R) - 1, 0)
        if inst.goal.scheme == "basic":
            w = P / (2 * R * R * np.maximum(np.sqrt(v), 1e-9))
        else:
            w = np.where(Q > caps, 1 / caps, 0.05 / caps)
        gain = (2 * cnt + 1) / Pm  # (k, M) ΔQ receiving one
        loss = (2 * cnt - 1) / Pm  # ΔQ giving one (subtracted)
        at_floor = T - 1 < inst.floor_T - 1e-9
        ok_recv = np.ones(M, bool)
        ok_give_all = np.ones(M, bool)
        if cons.max_moves_per_school is not None:
            ok_give_all = moved + 1 <= cons.max_moves_per_school
            ok_recv = ok_give_all.copy()

        def can_give(c: int, ok_give_all: np.ndarray = ok_give_all) -> np.ndarray:
            ok = ok_give_all & np.all((cnt - coef[:, c][:, None]) >= lbs - 1e-9, axis=0)
            if stock is not None:
                return ok & (stock[:, c] >= 1)
            for jj in range(len(inst.attrs)):
                ok = ok & ((A[jj] >= 1) if inst.classes[c, jj] else (T - A[jj] >= 1))
            return ok

        gives = [can_give(c) for c in range(K)]
        best = None  # (violation drop per teacher moved, steps)
        for c in range(K):
            wc = w * coef[:, c]
            if not wc.any() or not gives[c].any():
                continue
            score = (wc @ gain)[None, :] - (wc @ loss)[:, None]
            score = np.where(allowed & gives[c][:, None] & ok_recv[None, :], score, np.inf).ravel()
            top = np.argpartition(score, min(6, score.size - 1))[:6]
            for f in top:
                if not np.isfinite(score[f]):
                    continue
                i, j = divmod(int(f), M)
                dq = coef[:, c] * (gain[:, j] - loss[:, i])
                if not at_floor[i]:
                    Vn = violation(Q + dq)
                    if Vn < V - 1e-15 and (best is None or (V - Vn) > best[0]):
                        best = ((V - Vn), [(i, j, c)])
                    continue
                # the donor is at its staffing floor: a swap, a teacher of class c2 comes back
                if cons.max_moves_per_school is not None and (moved[i] + 2 > cons.max_moves_per_school
                                                              or moved[j] + 2 > cons.max_moves_per_school):
                    continue
                cnt2 = cnt.copy()
                cnt2[:, i] -= coef[:, c]
                cnt2[:, j] += coef[:, c]
                for c2 in range(K):
                    if c2 == c or not gives[c2][j]:
                        continue
                    if np.any(cnt2[:, j] - coef[:, c2] < lbs[:, j] - 1e-9):
                        continue
                    g2 = (2 * cnt2 + 1) / Pm
                    l2 = (2 * cnt2 - 1) / Pm
                    Vn = violation(Q + dq + coef[:, c2] * (g2[:, i] - l2[:, j]))
                    if Vn < V - 1e-15 and (best is None or (V - Vn) / 2 > best[0]):
                        best = ((V - Vn) / 2, [(i, j, c), (j, i, c2)])
        if best is None:
            break
        for i, j, c in best[1]:
            cnt[:, i] -= coef[:, c]
            cnt[:, j] += coef[:, c]
            T[i] -= 1
            T[j] += 1
            for jj in range(len(inst.attrs)):
                A[jj, i] -= inst.classes[c, jj]
                A[jj, j] += inst.classes[c, jj]
            if stock is not None:
                stock[i, c] -= 1
            moved[i] += 1
            moved[j] += 1
            triples[(i, j, c)] = triples.get((i, j, c), 0) + 1
    return [(i, j, c, k) for (i, j, c), k in triples.items()]


# ------------------------------------------------------------------------------ output


def plan_to_json(p: Plan) -> dict:
    """Return the plan as the CLI's JSON object: moves, purchases, objective, optimal, gap, after,
    plus status, explanation and rotation."""
    moves = [{"from_school_id": m.from_school_id, "to_school_id": m.to_school_id, "stage": m.stage,
              "count": m.count, "above_degree": m.above_degree, "mid_title": m.mid_title,
              "backbone": m.backbone, "pe_art": m.pe_art, "teacher_ids": list(m.teacher_ids)} for m in p.moves]
    purchases = [{"school_id": x.school_id, "resource": x.resource, "amount": x.amount,
                  "cost_yuan": x.cost_yuan} for x in p.purchases]
    gap = None if math.isnan(p.gap) else p.gap
    obj = None if math.isnan(p.objective) else p.objective
    return {"moves": moves, "purchases": purchases, "objective": obj, "optimal": p.optimal, "gap": gap,
            "after": to_report(p.after, p.county_code, p.year)}
