"""The fast preview: greedy transfers, then water-filling purchases, re-checked by the engine
(no optimality claim)."""

from __future__ import annotations

import math
import time
from typing import Any

import pandas as pd

from dashboard.method.engine import Evaluation
from dashboard.method.standards import DEFAULT_PARAMS, EvalParams
from dashboard.planning.planner.check import _evaluate_plan, _rotation
from dashboard.planning.planner.counts import _teacher_cv_sum
from dashboard.planning.planner.greedy import _greedy
from dashboard.planning.planner.instance import (
    BASIC_CV_COUNT,
    BASIC_RESOURCE_COUNT,
    _Inst,
    _instance,
)
from dashboard.planning.planner.moves import Triple, _moves
from dashboard.planning.planner.purchases import (
    BASIC_EXTRA_MINIMUMS,
    _minimum_amounts,
    _resource_cv,
    _resource_setup,
    _resources_of,
    _Shop,
    _to_purchases,
)
from dashboard.planning.planner.types import (
    Plan,
    PlanConstraints,
    PlanGoal,
    PlanStatus,
    Purchase,
    integer_resources,
)
from dashboard.planning.scenario import Transfer


def _basic_target(inst: _Inst, col: str, teacher_sum: float) -> float | None:
    """Return the CV a basic resource aims at: its share of the composite's excess removed (None:
    no excess, the minimums only)."""
    cv = _resource_cv(inst.units[col].to_numpy(float), inst.P)
    excess = inst.resource_cv + teacher_sum - BASIC_CV_COUNT * inst.tau
    tau = cv - excess / BASIC_RESOURCE_COUNT if excess > 0 else None
    return None if tau is not None and tau <= 0 else tau


def _quick_purchases(inst: _Inst, moves: tuple[Transfer, ...]) -> list[Purchase]:
    """Return water-filling purchases (no cutting planes): each resource to its target and minimums."""
    pos, sids, share = _resource_setup(inst)
    ints = integer_resources()
    basic = inst.goal.scheme == "basic"
    cols = [(True, col) for _, col in _resources_of(inst)] + [(False, c) for c in BASIC_EXTRA_MINIMUMS if basic]
    shop = _Shop(inst, pos, share, _minimum_amounts(inst, pos, share, [c for _, c in cols], ints), ints)
    teacher_sum = _teacher_cv_sum(inst, moves) if basic else 0.0
    purchases: list[Purchase] = []
    for has_cv, col in cols:
        tau: float | None = None
        if has_cv:
            tau = _basic_target(inst, col, teacher_sum) if basic else inst.tau
        b = shop.buy_one(col, tau, None)
        purchases += _to_purchases(inst, sids, col, b.amounts["a"], ints)
    return purchases


def preview(snapshot_or_schools: Any, goal: PlanGoal, constraints: PlanConstraints | None = None, *,
            teachers: pd.DataFrame | None = None, params: EvalParams = DEFAULT_PARAMS,
            max_steps: int = 400, before: Evaluation | None = None) -> Plan:
    """Return a fast greedy plan (no optimality claim; gap NaN): one teacher at a time along the
    steepest descent of the violation, then water-filling purchases.  Re-checked by the engine."""
    t0 = time.perf_counter()
    cons = constraints or PlanConstraints()
    inst = _instance(snapshot_or_schools, goal, cons, teachers, params, before)
    triples: list[Triple] = []
    if goal.mode in ("transfers", "both"):
        triples = _greedy(inst, max_steps, batch=True)  # a move repeated while it pays: fewer searches
    moves = _moves(inst, triples)
    purchases = _quick_purchases(inst, moves) if goal.mode in ("budget", "both") else []
    after, check = _evaluate_plan(inst, moves, purchases, goal.mode == "transfers", (goal.scheme,), named=False)
    transfers = sum(m.count for m in moves)
    if goal.mode == "transfers":
        obj = float(transfers)
    else:
        priced = cons.cost("teacher_transfer") * transfers if goal.mode == "both" else 0.0
        obj = sum(p.cost_yuan for p in purchases) + priced
    # a greedy plan that falls short proves nothing: undecided, never infeasible; one that meets
    # the goal but breaks a constraint the greedy does not model (the rotation shares) is no plan
    status = PlanStatus.ALREADY_PASSES if not moves and not purchases and check.goal_met and check.passed else (
        PlanStatus.FEASIBLE if check.goal_met and check.passed else PlanStatus.UNDECIDED)
    return Plan(goal=goal, constraints=cons, county_code=inst.county, year=inst.year, moves=moves,
                purchases=tuple(purchases), objective=float(obj), lower_bound=math.nan,
                optimal=status.proven_optimal, gap=0.0 if status.proven_optimal else math.nan,
                status=status, method="greedy", explanation=(), rotation=_rotation(inst, moves),
                before=inst.before, after=after, check=check, seconds=time.perf_counter() - t0)
