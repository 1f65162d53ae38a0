"""The transfer part of a plan and its proof: the fewest transfers that reach the teacher part
of the goal, with the status of what is proven (docs/method.md §9).

Large counties (over 80 movable units): the greedy plan is the incumbent (with rotation,
completed by count-neutral moves, :mod:`.rotation`); the linear relaxation gives a proven bound
and a plan to round; the full model then runs with the incumbent as a cutoff (objective ≤
incumbent − 1): its infeasibility proves the incumbent optimal, its plan improves on it, and its
dual bound is a bound of the whole problem.  With rotation, an incumbent moving exactly the
least rotation is optimal at once: every plan moves at least that many (docs/method.md §9.5)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Final

import numpy as np

from dashboard.planning.planner.counts import (
    _base_counts,
    _counts_after,
    _net_from_triples,
    _teacher_goal_met,
)
from dashboard.planning.planner.deadline import Deadline
from dashboard.planning.planner.explanation import _explain_transfers
from dashboard.planning.planner.flows import _Flows, _Relax
from dashboard.planning.planner.greedy import _greedy, _rotation_counts, _rotation_holds, _trim
from dashboard.planning.planner.instance import _Inst
from dashboard.planning.planner.moves import Triple, _match
from dashboard.planning.planner.relaxation import _solve_lp
from dashboard.planning.planner.rotation import _fill_rotation
from dashboard.planning.planner.search import _basic_search, _single_bounds
from dashboard.planning.planner.solver import HARD_DEADLINE_VARIABLES
from dashboard.planning.planner.transfers import _solve_flows
from dashboard.planning.planner.types import PlanStatus, Shortfall
from dashboard.planning.planner.worker import prewarm

_GREEDY_FIRST_UNITS: Final = 80  # above this many movable units: greedy, relaxation, rounding first
_GREEDY_STEPS_PER_UNIT: Final = 20
_GREEDY_SHARE: Final = 0.4  # of the time left, for the greedy incumbent
_SINGLE_SHARE: Final = 0.8  # of the time left, for the single-attribute bound
_LP_SHARE: Final = 0.85  # of the time left, for the linear relaxation (its bound and plan decide most)
_MODEL_SHARE: Final = 0.25  # of the time, at least left for the full model with the cutoff
_EXPLAIN_SHARE: Final = 0.5  # of the time left after an infeasible model, for the explanation


@dataclass(frozen=True)
class _TransferResult:
    """The transfer part of a plan: status, objective (teachers), proven bound, moves, explanation."""

    status: PlanStatus
    objective: float
    bound: float
    triples: list[Triple] = field(default_factory=list)
    explanation: list[Shortfall] = field(default_factory=list)
    method: str = "milp"


def _no_transfers(status: PlanStatus, bound: float, explanation: list[Shortfall] | None = None) -> _TransferResult:
    """Return a transfer result without a plan."""
    return _TransferResult(status, math.nan, bound, [], explanation or [])


def _undecided(inst: _Inst, bound: float) -> _TransferResult:
    """Return the result of a time-out without a plan: what is known is the bound."""
    names = ",".join(inst.ind_of_name[n] for n in inst.names)
    return _no_transfers(PlanStatus.UNDECIDED, bound, [Shortfall("undecided", indicator=names)])


def _planned(inst: _Inst, status: PlanStatus, f: _Flows, bound: float, method: str = "milp") -> _TransferResult:
    """Return the plan of solved flows ``f``: its real moves, and their own count as the
    objective.  A self pair the model leaves (only in a solution not proven optimal, without
    rotation: such a pair only costs) is cancelled by the split into moves, so the plan moves
    fewer teachers than the model's objective; the count said is the plan's (its gap measured
    from it, and optimal when it meets the bound)."""
    triples = _match(inst, f)
    objective = min(f.objective, float(sum(k for *_, k in triples)))
    if objective <= bound + 1e-9:
        return _TransferResult(PlanStatus.OPTIMAL, objective, objective, triples, method=method)
    return _TransferResult(status, objective, min(bound, objective), triples, method=method)


def _greedy_incumbent(inst: _Inst, deadline: Deadline) -> tuple[list[Triple], float] | None:
    """Return the greedy plan and its transfers when it reaches the teacher goal, else None."""
    greedy = _greedy(inst, _GREEDY_STEPS_PER_UNIT * len(inst.movable), deadline, batch=True)
    if not _teacher_goal_met(inst, _counts_after(inst, *_net_from_triples(inst, greedy))):
        return None
    return _with_rotation(inst, greedy)


def _with_rotation(inst: _Inst, plan: list[Triple]) -> tuple[list[Triple], float] | None:
    """Return a plan meeting the goal, completed by count-neutral moves until the rotation rows
    hold (docs/method.md §9.5; unchanged without rotation), with its transfers; None when the
    stock or the limits leave no such completion."""
    filled = _fill_rotation(inst, plan)
    if filled is None or not _rotation_holds(inst, *_rotation_counts(inst, filled)[1:]):
        return None
    return filled, float(sum(k for *_, k in filled))


def _largest_remainder(v: np.ndarray) -> np.ndarray:
    """Return whole numbers summing to round(Σ v): the whole parts, plus one where the fractional
    parts are largest."""
    f = np.floor(v + 1e-9)
    need = int(round(float(v.sum()))) - int(f.sum())
    if need > 0:
        f[np.argsort(-(v - f))[:need]] += 1
    return f


def _rounded(inst: _Inst, lp: _Flows, deadline: Deadline) -> tuple[list[Triple], float] | None:
    """Return the plan of the linear relaxation's flows rounded per class (largest remainders),
    finished by the greedy search (each rounded move made only when every rule allows it) and
    trimmed of the moves it does not need, when it reaches the teacher goal."""
    if lp.status not in ("optimal", "feasible"):
        return None
    K = lp.out.shape[1]
    out = np.stack([_largest_remainder(lp.out[:, c]) for c in range(K)], axis=1)
    inn = np.stack([_largest_remainder(lp.inn[:, c]) for c in range(K)], axis=1)
    start = _match(inst, _Flows(lp.status, out, inn, lp.pairs, lp.objective, lp.bound))
    plan = _greedy(inst, _GREEDY_STEPS_PER_UNIT * len(inst.movable), deadline, batch=True, start=start)
    plan = _trim(inst, plan, deadline)
    if not _teacher_goal_met(inst, _counts_after(inst, *_net_from_triples(inst, plan))):
        return None
    return _with_rotation(inst, plan)  # rounding may lose a rotation move


def _quality_large(inst: _Inst, deadline: Deadline) -> _TransferResult | None:
    """Large county: greedy incumbent, the linear relaxation's proven bound and its rounded plan,
    then the model with the cutoff when time is left (docs/method.md §9.5)."""
    total = deadline.left()
    found = _greedy_incumbent(inst, deadline.share(_GREEDY_SHARE))
    if found is not None and found[1] <= inst.rotation_min:  # every plan moves at least that many (§9.4)
        return _TransferResult(PlanStatus.OPTIMAL, found[1], found[1], found[0], method="greedy+rotation")
    lp = _solve_lp(inst, _Relax(), deadline.share(_LP_SHARE))
    if lp.status == "infeasible":  # the relaxation has no solution: neither has the problem
        return _no_transfers(PlanStatus.INFEASIBLE, math.nan, _explain_transfers(inst, deadline))
    bound = math.ceil(lp.bound - 1e-6) if np.isfinite(lp.bound) else 0.0
    rounded = _rounded(inst, lp, deadline.share(_GREEDY_SHARE))
    best = min((x for x in (found, rounded) if x is not None), key=lambda x: x[1], default=None)
    if best is None:
        return None
    plan, obj = best
    method = "lp-rounded" if best is rounded else "greedy+lp"
    if bound < obj and lp.status not in ("optimal", "feasible"):  # the relaxation ran out of time
        bound = max(bound, min(_single_bounds(inst, deadline.share(_SINGLE_SHARE)), obj))
    if bound >= obj:
        return _TransferResult(PlanStatus.OPTIMAL, obj, obj, plan, method=method)
    if deadline.left() < _MODEL_SHARE * total:  # too little left to build and solve the full model
        return _TransferResult(PlanStatus.FEASIBLE, obj, bound, plan, method=method)
    f = _solve_flows(inst, _Relax(), deadline=deadline, cutoff=obj - 1)
    if f.status == "infeasible":  # no plan with fewer transfers than this one: proven
        return _TransferResult(PlanStatus.OPTIMAL, obj, obj, plan, method=method + "+milp")
    bound = max(bound, f.bound if np.isfinite(f.bound) else 0.0)
    if f.status in ("optimal", "feasible") and f.objective < obj:
        return _planned(inst, PlanStatus.FEASIBLE, f, f.objective if f.status == "optimal" else bound)
    return _TransferResult(PlanStatus.FEASIBLE, obj, min(bound, obj), plan, method=method + "+milp")


def _quality_transfers(inst: _Inst, deadline: Deadline) -> _TransferResult:
    """Quality: the exact MILP (a large county's greedy plan first as the incumbent)."""
    if len(inst.movable) > _GREEDY_FIRST_UNITS:
        found = _quality_large(inst, deadline)
        if found is not None:
            return found
    f = _solve_flows(inst, _Relax(), deadline=deadline)
    if f.status == "optimal":
        return _planned(inst, PlanStatus.OPTIMAL, f, f.objective)
    bound = f.bound if np.isfinite(f.bound) else 0.0
    if f.status == "feasible":
        return _planned(inst, PlanStatus.FEASIBLE, f, bound)
    if f.status == "timeout":
        return _undecided(inst, bound)
    return _no_transfers(PlanStatus.INFEASIBLE, math.nan, _explain_transfers(inst, deadline))


def _transfer_plan(inst: _Inst, deadline: Deadline) -> _TransferResult:
    """Return the fewest transfers that reach the teacher part of the goal (or why not)."""
    if _teacher_goal_met(inst, _base_counts(inst)) and not inst.rotation_min:
        return _TransferResult(PlanStatus.ALREADY_PASSES, 0.0, 0.0)
    if len(inst.movable) < 2:
        return _no_transfers(PlanStatus.INFEASIBLE, math.nan,
                             [Shortfall("unreachable", indicator=inst.ind_of_name[inst.names[0]])])
    M, K = len(inst.movable), len(inst.classes)
    if M * (2 * K + len(inst.names)) > HARD_DEADLINE_VARIABLES:
        prewarm()  # the solver's worker loads while the greedy plan is computed
    if inst.goal.scheme == "quality":
        return _quality_transfers(inst, deadline)
    return _basic_transfers(inst, deadline)


def _basic_transfers(inst: _Inst, deadline: Deadline) -> _TransferResult:
    """Basic: piecewise-linear relaxation for the bound, tangent models for the plans.  With
    rotation the greedy plan completed by count-neutral moves comes first, whatever the county's
    size (§9.5; the search alone found no plan on the demo within 5 s): optimal when it moves
    exactly the least rotation, else kept if the search finds none or a worse one, its bound the
    search's or the least rotation (a row of the problem)."""
    found = None
    if inst.rotation_min:
        found = _greedy_incumbent(inst, deadline.share(_GREEDY_SHARE))
        if found is not None and found[1] <= inst.rotation_min:
            return _TransferResult(PlanStatus.OPTIMAL, found[1], found[1], found[0], method="greedy+rotation")
    best, lower, infeasible = _basic_search(inst, _Relax(), deadline.share(1 - _EXPLAIN_SHARE / 2))
    if found is not None:
        bound = max(lower, float(inst.rotation_min))
        planned = _planned(inst, PlanStatus.FEASIBLE, best, bound) if best is not None else None
        if planned is None or planned.objective > found[1]:
            return _TransferResult(PlanStatus.FEASIBLE, found[1], min(bound, found[1]), found[0],
                                   method="greedy+rotation")
        return planned
    if best is None and infeasible:
        return _no_transfers(PlanStatus.INFEASIBLE, math.nan, _explain_transfers(inst, deadline))
    if best is None:  # no plan found, none proven impossible: undecided
        return _undecided(inst, lower)
    return _planned(inst, PlanStatus.FEASIBLE, best, lower)
