"""The planner's public types: the goal, the constraints, the plan and its parts, the errors,
the planner's constants and the default unit costs (``data/unit_costs.csv`` of dashboard.planning)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from typing import Any, Final

import pandas as pd

from dashboard.i18n import catalogue, t
from dashboard.method.engine import Evaluation
from dashboard.method.standards import DEFAULT_PARAMS, INDICATORS, STAGES, standards_table
from dashboard.planning.scenario import AddResource, Scenario, Transfer, snapshot_checksum

MODES: Final = ("transfers", "budget", "both")


class PlanStatus(StrEnum):
    """What a plan proves (docs/method.md §9).

    - ``already_passes``: the goal holds before any action (the optimum is doing nothing);
    - ``optimal``: the plan's objective equals a proven lower bound;
    - ``feasible``: a plan that passes the engine's re-check, with a proven lower bound and gap;
    - ``infeasible``: proven that no plan of this mode reaches the goal (with what binds);
    - ``undecided``: the time limit ran out before a plan was found or impossibility proven.
    A time-out is never ``infeasible``."""

    ALREADY_PASSES = "already_passes"
    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    UNDECIDED = "undecided"

    @property
    def has_plan(self) -> bool:
        """Whether a plan comes with this status."""
        return self in (PlanStatus.ALREADY_PASSES, PlanStatus.OPTIMAL, PlanStatus.FEASIBLE)

    @property
    def proven_optimal(self) -> bool:
        """Whether the plan is proven optimal."""
        return self in (PlanStatus.ALREADY_PASSES, PlanStatus.OPTIMAL)

# 中央编办、教育部、财政部 2014: 城乡统一 编制标准 小学 1:19, 初中 1:13.5 (pupils per teacher).
DEFAULT_STAFFING_NORM: Final = {"primary": 19.0, "junior": 13.5}
# 2017 G11: ≥ 10 % of eligible teachers rotate (the row's threshold, in percent) ...
ROTATION_MIN_SHARE: Final = float(standards_table().loc["G11", "primary_threshold"]) / 100
# ... and backbone teachers ≥ 20 % of those rotated (PARAM_ROTATION_BACKBONE); a teacher is
# eligible after PARAM_ROTATION_YEARS years at the same school (a practice rule, configurable)
ROTATION_BACKBONE_SHARE: Final = float(standards_table().loc["PARAM_ROTATION_BACKBONE", "primary_threshold"]) / 100
ROTATION_YEARS: Final = int(float(standards_table().loc["PARAM_ROTATION_YEARS", "primary_threshold"]))
CHECK_RESERVE_S: Final = 1.5  # of a plan's time limit, kept for the engine's re-check and the tables
AMOUNT_DP: Final = 2  # decimals of a non-integer purchase amount (m², 元)
DEFAULT_CV_MARGIN: Final = 0.0001


def half_step(round_dp: int) -> float:
    """Return half of the last rounded decimal: a CV below threshold + this rounds to a pass.

    >>> half_step(3)
    0.0005
    """
    return 0.5 * 10.0 ** -round_dp


# what a PlanError's value of this name is a catalogue key of (translated when shown)
_ERROR_TERMS: Final = {"stage": "stage.{}", "scheme": "scheme.{}", "resource": "planner.resource.{}",
                       "modes": "planner.mode.{}"}


class PlanError(ValueError):
    """A bad planner argument or input: ``kind`` (the catalogue key ``plan6.error.<kind>``) and
    the typed values it names (``params``: the argument's value, the county, ...), like
    :class:`CheckFailure`: :meth:`message` gives it in either language, ``str()`` in English.
    A stage, scheme or resource id is shown by its name in the language; lists are joined."""

    def __init__(self, kind: str, **params: Any) -> None:
        self.kind, self.params = kind, dict(params)
        super().__init__(self.message("en"))

    def message(self, lang: str = "zh") -> str:
        """Return the error in ``lang``."""
        return t(f"plan6.error.{self.kind}", lang, **{k: _error_value(k, v, lang) for k, v in self.params.items()})

    def __reduce__(self) -> tuple[Any, ...]:
        return (_plan_error, (self.kind, self.params))


def _plan_error(kind: str, params: dict[str, Any]) -> PlanError:
    """Return the PlanError of ``kind`` and ``params`` (unpickling)."""
    return PlanError(kind, **params)


def _error_value(name: str, value: Any, lang: str) -> str:
    """Return one value of a PlanError as the user reads it."""
    if isinstance(value, (list, tuple, frozenset, set)):
        return ("、" if lang == "zh" else ", ").join(_error_value(name, v, lang) for v in value)
    key = _ERROR_TERMS.get(name, "").format(value)
    if key and key in catalogue():
        return t(key, lang)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _unit_cost_table() -> pd.DataFrame:
    """Return dashboard/planning/data/unit_costs.csv (resource, cost_yuan, integer)."""
    source = resources.files("dashboard.planning") / "data" / "unit_costs.csv"
    with source.open("rb") as handle:
        return pd.read_csv(handle)


@lru_cache(maxsize=1)
def unit_costs() -> dict[str, float]:
    """Return the default unit costs in 元 per column unit (dashboard/planning/data/unit_costs.csv)."""
    frame = _unit_cost_table()
    return {str(r.resource): float(r.cost_yuan) for r in frame.itertuples(index=False)}


@lru_cache(maxsize=1)
def unit_cost_units() -> dict[str, tuple[str, str]]:
    """Return each resource's price unit as (zh, en), e.g. ('元/㎡', 'yuan per m2') (unit_costs.csv)."""
    frame = _unit_cost_table()
    return {str(r.resource): (str(r.unit_zh), str(r.unit_en)) for r in frame.itertuples(index=False)}


def integer_resources() -> frozenset[str]:
    """Return the resource columns bought in whole units (computers, books, rooms)."""
    frame = _unit_cost_table()
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
            raise PlanError("scheme", value=self.scheme)
        if self.stage not in STAGES:
            raise PlanError("stage", value=self.stage)
        if self.mode not in MODES:
            raise PlanError("mode", value=self.mode, modes=MODES)


@dataclass(frozen=True)
class PlanConstraints:
    """The rules a plan keeps.

    - ``staffing_norm``: pupils per teacher (primary 19, junior 13.5): a school keeps at least
      ceil(pupils / norm) teachers (or all it has, if it has fewer already);
    - ``keep_minimums``: the per-school rule holds (quality, docs/method.md §9.6: a unit passing
      ≥ 6 of 7 minimums with the rest ≥ 85 % keeps passing it, another unit keeps every teacher
      minimum it meets and loses no kind of teacher it lacks; basic: the province's
      pupils-per-teacher limit is kept); purchases bring every unit to the resource minimums
      (quality: by the same rule);
    - ``max_moves_per_school``: teachers moved in plus out per school (None: no limit);
    - ``locked_schools``: school ids neither giving, receiving nor buying;
    - ``max_km``: the longest transfer, great-circle km between the schools (None: any);
    - ``min_years_at_school``: with a roster, only teachers this long at the school move (and
      are counted eligible for rotation; default PARAM_ROTATION_YEARS of the standards table);
    - ``rotation``: plan toward the 2017 rotation rule (G11): teachers moved ≥ 10 % of the
      county's eligible teachers at the stage, backbone teachers ≥ 20 % of those moved (needs a
      roster; applies to the transfers of modes "transfers" and "both");
    - ``costs``: 元 per unit of each resource column and per transferred teacher (default:
      dashboard/planning/data/unit_costs.csv); ``cv_margin``: aim at threshold + half a rounding
      step − margin (the step of the default parameters' decimals: 0.0005 at 3 decimals).
    """

    staffing_norm: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_STAFFING_NORM))
    keep_minimums: bool = True
    max_moves_per_school: int | None = None
    locked_schools: frozenset[str] = frozenset()
    max_km: float | None = None
    min_years_at_school: int = ROTATION_YEARS
    rotation: bool = False
    costs: Mapping[str, float] | None = None
    cv_margin: float = DEFAULT_CV_MARGIN

    def __post_init__(self) -> None:
        for stage in STAGES:
            v = self.staffing_norm.get(stage)
            if v is None or not v > 0:
                raise PlanError("staffing_norm", stage=stage, value=v)
        if self.max_moves_per_school is not None and self.max_moves_per_school < 0:
            raise PlanError("max_moves_per_school", value=self.max_moves_per_school)
        if self.max_km is not None and not self.max_km > 0:
            raise PlanError("max_km", value=self.max_km)
        if self.min_years_at_school < 0:
            raise PlanError("min_years_at_school", value=self.min_years_at_school)
        edge = half_step(DEFAULT_PARAMS.round_dp)
        if not 0 <= self.cv_margin < edge:
            raise PlanError("cv_margin", edge=edge, value=self.cv_margin)
        if self.costs is not None:
            for k, v in self.costs.items():
                if not v > 0:
                    raise PlanError("cost", resource=k, value=v)
        object.__setattr__(self, "locked_schools", frozenset(str(s) for s in self.locked_schools))

    def cost(self, resource: str) -> float:
        """Return the unit cost of ``resource`` in 元 (configured, else the default table)."""
        table = {**unit_costs(), **(self.costs or {})}
        if resource not in table:
            raise PlanError("no_cost", resource=resource)
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
    would make ``indicator`` feasible, the least), "hire_enough" (``count`` suffice; whether fewer
    would was not decided in time), "constraint" (dropping ``constraint`` alone makes the
    goal feasible), "fixed"/"needs_transfers" (an indicator no action of this mode can change),
    "unreachable" (not even with 4096 hires), "undefined" (no teacher of the indicator's kind in
    the county: its CV has no value, and no transfer or purchase gives it one), "undecided" (the time limit ran out first; with
    ``constraint``: whether dropping that constraint helps was not decided) or "rejected" (the
    model's plan broke ``constraint`` in the engine's re-check: no plan, nothing concluded)."""

    kind: str
    indicator: str | None = None
    attribute: str | None = None
    count: int | None = None
    constraint: str | None = None
    placement: tuple[tuple[str, int], ...] = ()  # hire: (school_id, teachers) the relaxed model placed

    def message(self, lang: str = "zh") -> str:
        """Return the explanation in ``lang``."""
        attr = t(f"planner.attr.{self.attribute or 'none'}", lang) if self.kind.startswith("hire") else ""
        con = t(f"planner.constraint.{self.constraint}", lang) if self.constraint else ""
        # an undecided constraint test is named by the constraint in the indicator's place
        subject = (_indicator_names(self.indicator, lang) if self.indicator
                   else con if self.kind == "undecided" else "")
        key = {"hire_enough": "plan3.shortfall.hire_enough", "rejected": "plan5.shortfall.rejected"}.get(
            self.kind, f"planner.shortfall.{self.kind}")
        return t(key, lang, indicator=subject, attribute=attr,
                 count=self.count if self.count is not None else "", constraint=con)


def _indicator_names(ids: str, lang: str) -> str:
    """Return the short official names of comma-separated indicator ids (other words as given)."""
    sep = "、" if lang == "zh" else ", "
    return sep.join(
        (INDICATORS[i].short_zh if lang == "zh" else INDICATORS[i].short_en) if i in INDICATORS
        else i for i in ids.split(","))


@dataclass(frozen=True)
class CheckFailure:
    """One rule a plan breaks in the engine's re-check: ``kind`` (goal, locked, max_km,
    eligibility, unnamed, max_moves_per_school, staffing_norm, keep_minimums, minimum), the
    school or unit, the indicator and the figure found (a typed value, never parsed back)."""

    kind: str
    school_id: str | None = None
    indicator: str | None = None
    value: float | None = None
    to_school_id: str | None = None

    def message(self, lang: str = "zh", names: Mapping[str, str] | None = None) -> str:
        """Return the failure in ``lang``, schools by their ``names`` (school id -> name; the id
        when a name is missing)."""
        named = names or {}
        return t(f"plan2.failure.{self.kind}", lang, school=named.get(self.school_id or "", self.school_id or ""),
                 to_school=named.get(self.to_school_id or "", self.to_school_id or ""),
                 indicator=_indicator_names(self.indicator, lang) if self.indicator else "",
                 value="" if self.value is None else f"{self.value:,.1f}")

    def __str__(self) -> str:
        return self.message("en")


@dataclass(frozen=True)
class PlanCheck:
    """The engine's re-check of a plan: ``passed`` when the goal and every constraint hold."""

    goal_met: bool
    constraints_ok: bool
    failures: tuple[CheckFailure, ...] = ()

    def messages(self, lang: str = "zh", names: Mapping[str, str] | None = None) -> tuple[str, ...]:
        """Return every failure's message in ``lang`` (schools by their ``names``, see
        :meth:`CheckFailure.message`)."""
        return tuple(f.message(lang, names) for f in self.failures)

    @property
    def passed(self) -> bool:
        """Return True when the goal is met and every constraint holds."""
        return self.goal_met and self.constraints_ok


@dataclass(frozen=True, eq=False)
class Plan:
    """A plan and its proof.

    ``objective``: teachers moved (transfers), 元 (budget), or 元 with each transfer priced
    at ``teacher_transfer`` (both).  ``optimal``: proven optimal; ``gap``: (objective − lower
    bound)/objective, 0 when optimal, NaN when there is no plan.  ``status``: a
    :class:`PlanStatus`.  ``lower_bound``: proven for the problem of the mode (NaN: none).
    ``before``/``after``: engine evaluations of the county.
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
    status: PlanStatus
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
        return Scenario(name=name, snapshot_id=snapshot.id, snapshot_sha256=snapshot_checksum(snapshot),
                        note=note, actions=self.actions())
