"""A plan being assembled per mode: "transfers", "budget" and "both" (docs/method.md §9).

Mode "both" minimises (cost per transfer) × transfers + purchases in 元 over plans that use
either or both.  Quality: the teacher CVs change only by transfers and the resource CVs only
by purchases, and the per-school minimums kept by each are separate, so the joint problem
separates: its optimum is the sum of the two optima and its proven bound the sum of the two
bounds.  Basic: the composite couples teacher and resource CVs: one joint model over the
flows and the resources' value functions (:mod:`.basic_joint`), whose relaxation gives the
proven bound; mode "budget" on the basic scheme is the same model without flows."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from dashboard.planning.planner.basic_joint import _joint_basic
from dashboard.planning.planner.check import _goal_met
from dashboard.planning.planner.counts import _counts_after, _net_arrays
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
    if inst.goal.scheme == "basic":
        _basic_joint(inst, draft, deadline, 0.0, False)
        return
    buy, purchases = _plan_purchases(inst, deadline)
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
    # a unit the transfers leave below a teacher minimum (the rule's 85 %) keeps every resource minimum
    counts = _counts_after(inst, *_net_arrays(inst, draft.moves))
    buy, purchases = _plan_purchases(inst, deadline, counts)
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


def _basic_joint(inst: _Inst, draft: _Draft, deadline: Deadline, per_transfer: float, transfers: bool) -> None:
    """Basic "both" (``transfers``) or "budget": the joint model of :mod:`.basic_joint`."""
    res = _joint_basic(inst, per_transfer, transfers, deadline)
    draft.method = "joint" if transfers else "value-functions"
    if not res.status.has_plan:
        draft.no_plan(res.status, res.bound)
        kind = "unreachable" if res.status == PlanStatus.INFEASIBLE else "undecided"
        draft.explanation.append(Shortfall(kind, indicator="composite" if transfers else "budget"))
        return
    draft.moves, draft.purchases = res.moves, list(res.purchases)
    draft.objective, draft.lower = res.objective, res.bound
    if res.objective == 0 and _goal_met(inst, inst.before, False)[0]:
        draft.status = PlanStatus.ALREADY_PASSES
    else:
        draft.status = res.status


def _draft_both(inst: _Inst, draft: _Draft, deadline: Deadline, per_transfer: float) -> None:
    """Plan mode "both" into ``draft``: (cost per transfer) × transfers + purchases in 元."""
    if inst.goal.scheme == "quality":
        _both_quality(inst, draft, deadline, per_transfer)
    else:
        _basic_joint(inst, draft, deadline, per_transfer, True)
