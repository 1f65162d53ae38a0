"""The exact planner: fewest teacher transfers, least-cost purchases, or both, so that a scheme passes.

One county, one year, one stage, one scheme per plan.  Everything is re-checked at the end by
the pure engine: the plan becomes actions (:mod:`dashboard.planning.scenario`), is applied with
``apply_actions`` and evaluated with ``dashboard.method.engine.evaluate``; ``Plan.check`` records it.
The transfer model is in :mod:`.transfers` and :mod:`.search`, the purchases in :mod:`.purchases`.

Large counties (over 120 movable units): a greedy plan is the incumbent, the fewest moves of
each attribute alone (a relaxation) the first bound, then the full model runs in the time left.

Pass/fail follows the evaluation's rounding rule (``round(cv, params.round_dp) ≤ threshold``, 3
decimals by default); the planner aims at threshold + half a rounding step − ``cv_margin``
(0.0005 − 0.0001 by default), a hair under the rounding edge.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd

from dashboard.method.engine import Evaluation
from dashboard.method.standards import DEFAULT_PARAMS, EvalParams, scheme_ids
from dashboard.planning.planner.check import _evaluate_plan, _goal_met, _passes, _rotation
from dashboard.planning.planner.counts import (
    _base_counts,
    _counts_after,
    _net_from_triples,
    _teacher_cv_sum,
    _teacher_goal_met,
    _v_of,
)
from dashboard.planning.planner.explanation import _explain_transfers
from dashboard.planning.planner.flows import _Relax
from dashboard.planning.planner.greedy import _greedy
from dashboard.planning.planner.instance import _Inst, _instance
from dashboard.planning.planner.moves import Triple, _match, _moves
from dashboard.planning.planner.purchases import _plan_purchases
from dashboard.planning.planner.search import _basic_search, _single_bounds
from dashboard.planning.planner.transfers import _solve_flows
from dashboard.planning.planner.types import (
    CHECK_RESERVE_S,
    Plan,
    PlanConstraints,
    PlanGoal,
    Purchase,
    Shortfall,
)
from dashboard.planning.scenario import Transfer

_GREEDY_FIRST_UNITS: Final = 120  # above this many movable units the greedy plan is computed first
_GREEDY_STEPS_PER_UNIT: Final = 20
_BOUND_SHARE: Final = 0.9  # of the limit for the single-attribute bound (the rest: matching, re-check)
_MIN_SOLVE_S: Final = 1.0


@dataclass(frozen=True)
class _TransferResult:
    """The transfer part of a plan: status, objective (teachers), proven bound, moves, explanation."""

    status: str
    objective: float
    bound: float
    triples: list[Triple] = field(default_factory=list)
    explanation: list[Shortfall] = field(default_factory=list)


def _no_transfers(status: str, bound: float, explanation: list[Shortfall] | None = None) -> _TransferResult:
    """Return a transfer result without a plan."""
    return _TransferResult(status, math.nan, bound, [], explanation or [])


def _large_county_greedy(inst: _Inst, time_limit: float) -> _TransferResult | None:
    """Large county: return the greedy plan with the single-attribute bound, or None when the
    county is small or the greedy plan does not pass."""
    t0 = time.perf_counter()
    M = len(inst.movable)
    if M <= _GREEDY_FIRST_UNITS:
        return None
    greedy = _greedy(inst, _GREEDY_STEPS_PER_UNIT * M)
    if not _teacher_goal_met(inst, _counts_after(inst, *_net_from_triples(inst, greedy))):
        return None
    # HiGHS does not keep to its time limit on the full model of a large county (a root LP of
    # tens of thousands of rows): the greedy plan stands, with the proven single-attribute bound
    g_obj = float(sum(k for *_, k in greedy))
    # keep ~10 % of the limit for matching, the engine's re-check and the tables
    single = _single_bounds(inst, max(_BOUND_SHARE * time_limit - (time.perf_counter() - t0), _MIN_SOLVE_S))
    status = "optimal" if single >= g_obj else "feasible"
    return _TransferResult(status, g_obj, min(single, g_obj), greedy)


def _left(deadline: float) -> float:
    """Return the seconds left until ``deadline`` (perf_counter), at least the least solve time."""
    return max(deadline - time.perf_counter(), _MIN_SOLVE_S)


def _quality_transfers(inst: _Inst, time_limit: float, deadline: float) -> _TransferResult:
    """Quality: the exact MILP (a large county's greedy plan first); the explanation gets what is
    left until ``deadline``."""
    t0 = time.perf_counter()
    found = _large_county_greedy(inst, time_limit)
    if found is not None:
        return found
    left = max(time_limit - (time.perf_counter() - t0), _MIN_SOLVE_S)
    f = _solve_flows(inst, _Relax(), time_limit=left)
    if f.status == "optimal":
        return _TransferResult(f.status, f.objective, f.objective, _match(inst, f))
    bound = f.bound if np.isfinite(f.bound) else 0.0
    if f.status == "feasible":
        return _TransferResult("feasible", f.objective, min(bound, f.objective), _match(inst, f))
    if f.status == "timeout":
        return _no_transfers("timeout", bound)
    return _no_transfers("infeasible", math.nan, _explain_transfers(inst, _left(deadline)))


def _transfer_plan(inst: _Inst, time_limit: float) -> _TransferResult:
    """Return the fewest transfers that reach the teacher part of the goal (or why not)."""
    deadline = time.perf_counter() + time_limit
    if _teacher_goal_met(inst, _base_counts(inst)):
        return _TransferResult("already_passes", 0.0, 0.0)
    if len(inst.movable) < 2:
        return _no_transfers("infeasible", math.nan,
                             [Shortfall("unreachable", indicator=inst.ind_of_name[inst.names[0]])])
    if inst.goal.scheme == "quality":
        return _quality_transfers(inst, time_limit, deadline)
    # basic: piecewise-linear relaxation for the bound, tangent models for the plans
    best, lower, infeasible = _basic_search(inst, _Relax(), time_limit)
    if best is None and infeasible:
        return _no_transfers("infeasible", lower, _explain_transfers(inst, _left(deadline)))
    if best is None:  # no plan found, none proven impossible: say it was not decided
        undecided = Shortfall("undecided", indicator=",".join(inst.ind_of_name[n] for n in inst.names))
        return _no_transfers("infeasible", lower, [undecided])
    status = "optimal" if best.objective <= lower + 1e-9 else "feasible"
    return _TransferResult(status, best.objective, lower, _match(inst, best))


@dataclass
class _Draft:
    """A plan being assembled: status, objective, proven lower bound, actions and explanation."""

    status: str = "optimal"
    objective: float = 0.0
    lower: float = 0.0
    moves: tuple[Transfer, ...] = ()
    purchases: list[Purchase] = field(default_factory=list)
    explanation: list[Shortfall] = field(default_factory=list)


@dataclass(frozen=True)
class _Budget:
    """The time a plan may take: ``start`` (perf_counter) and ``limit`` seconds."""

    start: float
    limit: float

    def left(self) -> float:
        """Return the rest of the time limit, less what the engine's re-check takes."""
        return max(self.limit - (time.perf_counter() - self.start) - CHECK_RESERVE_S, _MIN_SOLVE_S)


def _draft_transfers(inst: _Inst, draft: _Draft, budget: _Budget) -> None:
    """Plan the transfers into ``draft`` (transfers and both modes)."""
    res = _transfer_plan(inst, budget.left())
    draft.explanation += res.explanation
    if res.status in ("infeasible", "timeout") and inst.goal.mode == "transfers":
        draft.status, draft.objective, draft.lower = res.status, math.nan, res.bound
    elif res.status in ("infeasible", "timeout"):
        draft.status = "infeasible"
    else:
        draft.moves = _moves(inst, res.triples)
        draft.status = res.status
        draft.objective, draft.lower = res.objective, res.bound


def _unchangeable(inst: _Inst, draft: _Draft) -> None:
    """Explain the failing quality indicators the mode cannot change (resources by transfers,
    teachers by purchases)."""
    goal = inst.goal
    if goal.scheme != "quality":
        return
    if goal.mode == "transfers":
        fixed = [i for i in scheme_ids("quality", "resource") if not _passes(inst.before, goal.stage, i)]
        draft.explanation += [Shortfall("fixed", indicator=i) for i in fixed]
    elif goal.mode == "budget":
        fixed = [i for i in scheme_ids("quality", "teacher") if not _passes(inst.before, goal.stage, i)]
        draft.explanation += [Shortfall("needs_transfers", indicator=i) for i in fixed]


def _draft_purchases(inst: _Inst, draft: _Draft, budget: _Budget, transfer_cost: float) -> None:
    """Plan the purchases into ``draft`` (budget and both modes), on top of its transfers."""
    goal = inst.goal
    teacher_sum = _teacher_cv_sum(inst, draft.moves) if goal.scheme == "basic" else None
    if goal.mode == "both" and goal.scheme == "basic" and draft.status == "infeasible":
        # purchases alone may lower the composite enough: plan them with the teachers as they are
        teacher_sum = sum(math.sqrt(v) for v in _v_of(inst, _base_counts(inst)).values())
        draft.explanation = []
        draft.status = "optimal"
    buy, purchases = _plan_purchases(inst, teacher_sum, budget.left())
    if buy.status == "infeasible":
        draft.status = "infeasible"
        draft.explanation.append(Shortfall("unreachable", indicator="budget"))
        draft.purchases = []
        return
    draft.purchases = purchases
    if goal.mode == "budget":
        draft.objective, draft.lower = buy.cost, buy.bound
        passes = buy.cost == 0 and _goal_met(inst, inst.before, False)[0]
        draft.status = "already_passes" if passes else buy.status
    elif draft.status != "infeasible":
        draft.objective = transfer_cost * draft.objective + buy.cost
        draft.lower = transfer_cost * draft.lower + buy.bound
        mixed = goal.scheme == "basic" and draft.moves and purchases
        if buy.status != "optimal" or draft.status == "feasible" or mixed:
            draft.status = "feasible" if draft.objective > draft.lower + 1e-6 else "optimal"
        elif draft.status == "already_passes" and buy.cost > 0:
            draft.status = "optimal"


def _confirm(draft: _Draft, failures: tuple[str, ...], goal_met: bool) -> None:
    """Mark a plan the engine finds short of the goal infeasible, naming what it misses."""
    if draft.status not in ("optimal", "feasible", "already_passes") or goal_met:
        return
    draft.status = "infeasible"
    known = {e.indicator for e in draft.explanation}
    missing = [f.split(":", 1)[1] for f in failures if f.startswith("goal:")]
    missing = [m for m in missing if m not in known]
    if missing:
        draft.explanation.append(Shortfall("unreachable", indicator=",".join(missing)))


def plan(snapshot_or_schools: Any, goal: PlanGoal, constraints: PlanConstraints | None = None, *,
         teachers: pd.DataFrame | None = None, params: EvalParams = DEFAULT_PARAMS,
         time_limit_s: float = 20.0, before: Evaluation | None = None) -> Plan:
    """Return the optimal (or best found, with its gap) plan for ``goal`` under ``constraints``.

    ``snapshot_or_schools`` is a Snapshot (its roster is used) or a schools DataFrame
    (``teachers`` optional).  The inputs are not changed.  ``time_limit_s`` bounds the whole
    call (the solver gets what preparation left, less a reserve for the re-check).  The plan is re-checked by the engine
    (``Plan.check``).  An infeasible goal gives ``status='infeasible'`` and ``explanation``.
    """
    budget = _Budget(time.perf_counter(), time_limit_s)
    cons = constraints or PlanConstraints()
    inst = _instance(snapshot_or_schools, goal, cons, teachers, params, before)
    transfer_cost = cons.cost("teacher_transfer")
    draft = _Draft()
    if goal.mode in ("transfers", "both"):
        _draft_transfers(inst, draft, budget)
    _unchangeable(inst, draft)
    if goal.mode in ("budget", "both"):
        _draft_purchases(inst, draft, budget, transfer_cost)
    after, check = _evaluate_plan(inst, draft.moves, draft.purchases, goal.mode == "transfers")
    _confirm(draft, check.failures, check.goal_met)
    ok = draft.status in ("optimal", "already_passes")
    objective = draft.objective
    if draft.status in ("infeasible", "timeout"):
        gap = objective = math.nan
    else:
        gap = 0.0 if ok or objective <= 0 else max(objective - draft.lower, 0.0) / objective
    return Plan(goal=goal, constraints=cons, county_code=inst.county, year=inst.year, moves=draft.moves,
                purchases=tuple(draft.purchases), objective=float(objective), lower_bound=float(draft.lower),
                optimal=ok, gap=gap, status=draft.status, method="milp", explanation=tuple(draft.explanation),
                rotation=_rotation(inst, draft.moves), before=inst.before, after=after, check=check,
                seconds=time.perf_counter() - budget.start)
