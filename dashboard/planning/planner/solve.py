"""The exact planner: fewest teacher transfers, least-cost purchases, or both, so that a scheme passes.

One county, one year, one stage, one scheme per plan.  Everything is re-checked at the end by
the pure engine: the plan becomes actions (:mod:`dashboard.planning.scenario`), is applied with
``apply_actions`` and evaluated with ``dashboard.method.engine.evaluate``; ``Plan.check`` records it.
The transfer model is in :mod:`.transfers` and :mod:`.search`, the purchases in :mod:`.purchases`,
the mode "both" in :mod:`.joint`.  One :class:`~.deadline.Deadline` is passed down every path.

Every plan has a :class:`~.types.PlanStatus` (docs/method.md §9): ``optimal`` only with a proof,
``feasible`` with a proven lower bound and its gap, ``infeasible`` only when impossibility is
proven, ``undecided`` when the time ran out first (never reported as infeasible).

Pass/fail follows the evaluation's rounding rule (``round(cv, params.round_dp) ≤ threshold``, 3
decimals by default); the planner aims at threshold + half a rounding step − ``cv_margin``
(0.0005 − 0.0001 by default), a hair under the rounding edge.
"""

from __future__ import annotations

import math
from typing import Any, Final

import pandas as pd

from dashboard.method.engine import Evaluation
from dashboard.method.standards import DEFAULT_PARAMS, EvalParams, scheme_ids
from dashboard.planning.planner.check import _evaluate_plan, _passes, _rotation
from dashboard.planning.planner.deadline import Deadline
from dashboard.planning.planner.instance import _Inst, _instance
from dashboard.planning.planner.joint import _Draft, _draft_both, _draft_budget, _draft_transfers
from dashboard.planning.planner.types import (
    CHECK_RESERVE_S,
    Plan,
    PlanCheck,
    PlanConstraints,
    PlanGoal,
    PlanStatus,
    Shortfall,
)

_RESERVE_SHARE: Final = 0.2  # at most this share of the time limit is kept for the re-check
_RESERVE_PER_PREPARATION: Final = 4.0  # re-check reserve: this many times the preparation's time


def _unchangeable(inst: _Inst, draft: _Draft) -> None:
    """Explain the failing quality indicators the mode cannot change (resources by transfers,
    teachers by purchases); a budget plan with a failing teacher indicator is proven infeasible."""
    goal = inst.goal
    if goal.scheme != "quality":
        return
    if goal.mode == "transfers":
        fixed = [i for i in scheme_ids("quality", "resource") if not _passes(inst.before, goal.stage, i)]
        draft.explanation += [Shortfall("fixed", indicator=i) for i in fixed]
    elif goal.mode == "budget":
        fixed = [i for i in scheme_ids("quality", "teacher") if not _passes(inst.before, goal.stage, i)]
        draft.explanation += [Shortfall("needs_transfers", indicator=i) for i in fixed]
        if fixed:
            draft.no_plan(PlanStatus.INFEASIBLE)


def _undefined(inst: _Inst, draft: _Draft) -> bool:
    """A teacher indicator of the goal with no such teacher in the whole county has no CV (its
    mean is 0, docs/method.md §2: the engine judges it not passed).  No transfer or purchase
    changes a county's teacher totals, so the goal is out of reach: proven, named (the models'
    CV formulas would divide 0 by 0 and name another indicator)."""
    ids = [inst.ind_of_name[n] for n in inst.names if not inst.base[n].sum() > 0]
    if ids:
        draft.explanation.append(Shortfall("undefined", indicator=",".join(ids)))
        draft.no_plan(PlanStatus.INFEASIBLE)
    return bool(ids)


# the constraint (as the explanation names it) each kind of re-check failure breaks
_CONSTRAINT_OF: Final = {"rotation_share": "rotation", "rotation_backbone": "rotation", "locked": "locked_schools",
                         "minimum": "keep_minimums", "keep_minimums": "keep_minimums", "max_km": "max_km",
                         "max_moves_per_school": "max_moves_per_school", "eligibility": "eligibility",
                         "unnamed": "eligibility", "staffing_norm": "staffing_norm"}


def _confirm(draft: _Draft, check: PlanCheck) -> bool:
    """A plan the engine finds short of the goal proves nothing: it becomes ``undecided``,
    naming what it misses (the model's answer and the engine's disagree).  A plan that meets
    the goal but breaks a constraint in the re-check is no plan of the problem (a safety net:
    e.g. rotation met by a school "sending" teachers to itself, which the model's rows per unit
    and class now exclude, docs/method.md §9.4): it is dropped, ``undecided``, its bound kept
    (the model is a relaxation), the broken constraints named.  Returns whether it was dropped."""
    if not draft.status.has_plan or (check.goal_met and check.passed):
        return False
    if check.goal_met:
        broken = dict.fromkeys(_CONSTRAINT_OF.get(f.kind) for f in check.failures if f.kind != "goal")
        draft.no_plan(PlanStatus.UNDECIDED, lower=draft.lower)
        draft.explanation += [Shortfall("rejected", constraint=c) for c in broken]
        return True
    draft.status = PlanStatus.UNDECIDED
    known = {e.indicator for e in draft.explanation}
    missing = [f.indicator for f in check.failures if f.kind == "goal" and f.indicator not in known]
    if missing:
        draft.explanation.append(Shortfall("undecided", indicator=",".join(m for m in missing if m)))
    return False


def plan(snapshot_or_schools: Any, goal: PlanGoal, constraints: PlanConstraints | None = None, *,
         teachers: pd.DataFrame | None = None, params: EvalParams = DEFAULT_PARAMS,
         time_limit_s: float = 20.0, before: Evaluation | None = None) -> Plan:
    """Return the optimal (or best found, with its proven lower bound and gap) plan for ``goal``.

    ``snapshot_or_schools`` is a Snapshot (its roster is used) or a schools DataFrame
    (``teachers`` optional).  The inputs are not changed.  ``time_limit_s`` bounds the whole
    call: one deadline for every solver call, greedy loop and explanation, less a reserve for
    the engine's re-check.  ``Plan.status`` says what is proven (:class:`PlanStatus`)."""
    deadline = Deadline.after(time_limit_s)
    cons = constraints or PlanConstraints()
    inst = _instance(snapshot_or_schools, goal, cons, teachers, params, before)
    # the re-check applies the plan and evaluates the county: a few times the preparation
    reserve = max(CHECK_RESERVE_S, _RESERVE_PER_PREPARATION * deadline.elapsed())
    work = deadline.less(min(reserve, _RESERVE_SHARE * time_limit_s))
    draft = _Draft()
    if not _undefined(inst, draft):
        if goal.mode == "transfers":
            _draft_transfers(inst, draft, work)
        _unchangeable(inst, draft)
        if goal.mode == "budget" and draft.status != PlanStatus.INFEASIBLE:
            _draft_budget(inst, draft, work)
        if goal.mode == "both":
            _draft_both(inst, draft, work, cons.cost("teacher_transfer"))
    after, check = _evaluate_plan(inst, draft.moves, draft.purchases, goal.mode == "transfers")
    if _confirm(draft, check):  # dropped: the "after" is the county as it is
        after, check = _evaluate_plan(inst, draft.moves, draft.purchases, goal.mode == "transfers")
    status = draft.status
    objective, lower = draft.objective, draft.lower
    if not status.has_plan:
        gap = objective = math.nan
    elif status.proven_optimal or objective <= 0:
        gap = 0.0
    else:
        gap = max(objective - lower, 0.0) / objective if math.isfinite(lower) else math.nan
    return Plan(goal=goal, constraints=cons, county_code=inst.county, year=inst.year, moves=draft.moves,
                purchases=tuple(draft.purchases), objective=float(objective), lower_bound=float(lower),
                optimal=status.proven_optimal, gap=gap, status=status, method=draft.method,
                explanation=tuple(draft.explanation), rotation=_rotation(inst, draft.moves),
                before=inst.before, after=after, check=check, seconds=deadline.elapsed())
