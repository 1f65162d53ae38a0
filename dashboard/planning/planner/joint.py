"""A plan being assembled per mode: "transfers", "budget" and "both" (docs/method.md §9).

Mode "both" minimises (cost per transfer) × transfers + purchases in 元 over plans that use
either or both.  Quality: the teacher CVs change only by transfers and the resource CVs only
by purchases, and the per-school minimums kept by each are separate, so the joint problem
separates: its optimum is the sum of the two optima and its proven bound the sum of the two
bounds.  Basic: the composite couples teacher and resource CVs; the candidates "purchases
alone" and "fewest transfers, then the purchases they still need" are compared and the cheaper
kept; its proven lower bound is the cost of the per-school minimums every plan must buy (a
candidate is never called optimal above that bound)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from dashboard.planning.planner.check import _goal_met
from dashboard.planning.planner.counts import _base_counts, _teacher_cv_sum, _v_of
from dashboard.planning.planner.deadline import Deadline
from dashboard.planning.planner.instance import _Inst
from dashboard.planning.planner.moves import _moves
from dashboard.planning.planner.purchases import _Buy, _plan_purchases
from dashboard.planning.planner.stages import _transfer_plan, _TransferResult
from dashboard.planning.planner.types import PlanStatus, Purchase, Shortfall
from dashboard.planning.scenario import Transfer

_EPS = 1e-6
_BOTH_TRANSFER_SHARE = 0.6  # of the time left, for the transfer part of mode "both"
_STATUS = {"optimal": PlanStatus.OPTIMAL, "feasible": PlanStatus.FEASIBLE,
           "infeasible": PlanStatus.INFEASIBLE, "undecided": PlanStatus.UNDECIDED}


@dataclass
class _Draft:
    """A plan being assembled: status, objective, proven lower bound, actions and explanation."""

    status: PlanStatus = PlanStatus.OPTIMAL
    objective: float = 0.0
    lower: float = 0.0
    moves: tuple[Transfer, ...] = ()
    purchases: list[Purchase] = field(default_factory=list)
    explanation: list[Shortfall] = field(default_factory=list)
    method: str = "milp"

    def no_plan(self, status: PlanStatus, lower: float = math.nan) -> None:
        """Drop the actions: no plan, with ``status`` and what bound is known."""
        self.status, self.objective, self.lower = status, math.nan, lower
        self.moves, self.purchases = (), []


def _status_of(cost: float, lower: float) -> PlanStatus:
    """Return optimal when ``cost`` meets the proven ``lower`` bound, else feasible."""
    return PlanStatus.OPTIMAL if cost <= lower + _EPS * max(1.0, abs(cost)) else PlanStatus.FEASIBLE


def _draft_transfers(inst: _Inst, draft: _Draft, deadline: Deadline) -> _TransferResult:
    """Plan the transfers into ``draft`` (mode transfers); return the transfer result."""
    res = _transfer_plan(inst, deadline)
    draft.explanation += res.explanation
    draft.method = res.method
    if not res.status.has_plan:
        draft.no_plan(res.status, res.bound)
    else:
        draft.moves = _moves(inst, res.triples)
        draft.status, draft.objective, draft.lower = res.status, res.objective, res.bound
    return res


def _buy_status(inst: _Inst, buy: _Buy) -> PlanStatus:
    """Return the status of a purchase result (already_passes when nothing is needed)."""
    if buy.status in ("infeasible", "undecided"):
        return _STATUS[buy.status]
    if buy.cost == 0 and _goal_met(inst, inst.before, False)[0]:
        return PlanStatus.ALREADY_PASSES
    return _STATUS[buy.status]


def _draft_budget(inst: _Inst, draft: _Draft, deadline: Deadline) -> None:
    """Plan the purchases alone into ``draft`` (mode budget)."""
    teacher_sum = _teacher_cv_sum(inst, ()) if inst.goal.scheme == "basic" else None
    buy, purchases = _plan_purchases(inst, teacher_sum, deadline)
    status = _buy_status(inst, buy)
    if not status.has_plan:
        draft.no_plan(status, buy.bound)
        draft.explanation.append(Shortfall("unreachable" if status == PlanStatus.INFEASIBLE else "undecided",
                                           indicator="budget"))
        return
    draft.status, draft.objective, draft.lower = status, buy.cost, buy.bound
    draft.purchases = purchases


def _both_quality(inst: _Inst, draft: _Draft, deadline: Deadline, per_transfer: float) -> None:
    """Quality "both": the sum of the two separate optima (the problem separates)."""
    res = _draft_transfers(inst, draft, deadline.share(_BOTH_TRANSFER_SHARE))
    if not res.status.has_plan:
        return
    buy, purchases = _plan_purchases(inst, None, deadline)
    status = _buy_status(inst, buy)
    if not status.has_plan:
        draft.no_plan(status)
        draft.explanation.append(Shortfall("unreachable" if status == PlanStatus.INFEASIBLE else "undecided",
                                           indicator="budget"))
        return
    draft.purchases = purchases
    draft.objective = per_transfer * res.objective + buy.cost
    draft.lower = per_transfer * res.bound + buy.bound
    if res.status == PlanStatus.ALREADY_PASSES and status == PlanStatus.ALREADY_PASSES:
        draft.status = PlanStatus.ALREADY_PASSES
    elif res.status.proven_optimal and status.proven_optimal:
        draft.status = PlanStatus.OPTIMAL
    else:
        draft.status = _status_of(draft.objective, draft.lower)


def _both_basic(inst: _Inst, draft: _Draft, deadline: Deadline, per_transfer: float) -> None:
    """Basic "both": the cheaper of purchases alone and fewest transfers + their purchases."""
    alone_sum = sum(math.sqrt(v) for v in _v_of(inst, _base_counts(inst)).values())
    alone, alone_buys = _plan_purchases(inst, alone_sum, deadline.share(0.3))
    candidates: list[tuple[float, tuple[Transfer, ...], list[Purchase]]] = []
    if alone.status in ("optimal", "feasible") and not inst.rotation_min:  # no transfer: no rotation
        candidates.append((alone.cost, (), alone_buys))
    lower = alone.bound  # the minimums every plan buys (whatever its transfers)
    res = _transfer_plan(inst, deadline.share(_BOTH_TRANSFER_SHARE))
    if res.status.has_plan and res.triples:
        moves = _moves(inst, res.triples)
        buy, buys = _plan_purchases(inst, _teacher_cv_sum(inst, moves), deadline)
        if buy.status in ("optimal", "feasible"):
            candidates.append((per_transfer * res.objective + buy.cost, moves, buys))
    if not candidates:
        draft.no_plan(PlanStatus.UNDECIDED, lower)
        draft.explanation += res.explanation or [Shortfall("undecided", indicator="composite")]
        return
    cost, moves, buys = min(candidates, key=lambda c: c[0])
    draft.moves, draft.purchases = moves, list(buys)
    draft.objective, draft.lower = cost, min(lower, cost)
    if cost == 0 and _goal_met(inst, inst.before, False)[0]:
        draft.status = PlanStatus.ALREADY_PASSES
    else:
        draft.status = _status_of(cost, draft.lower)
    draft.method = "candidates"


def _draft_both(inst: _Inst, draft: _Draft, deadline: Deadline, per_transfer: float) -> None:
    """Plan mode "both" into ``draft``: (cost per transfer) × transfers + purchases in 元."""
    if inst.goal.scheme == "quality":
        _both_quality(inst, draft, deadline, per_transfer)
    else:
        _both_basic(inst, draft, deadline, per_transfer)
