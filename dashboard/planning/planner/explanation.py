"""Why a transfer goal is out of reach: which constraint binds (each dropped alone), and how
many more teachers of each attribute would suffice (the least hires, by doubling and bisection)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

from dashboard.planning.planner.deadline import Deadline
from dashboard.planning.planner.flows import _Flows, _Relax
from dashboard.planning.planner.instance import _Inst, _prepare
from dashboard.planning.planner.search import _FOUND, _best_flows
from dashboard.planning.planner.transfers import _solve_flows
from dashboard.planning.planner.types import PlanError, Shortfall

MAX_HIRES: Final = 4096  # beyond this many hires a goal is reported unreachable
# the constraints tried one by one (dropped alone), in this order
_DROPPABLE: Final = ("max_km", "max_moves_per_school", "eligibility", "keep_minimums", "staffing_norm", "rotation")


@dataclass(frozen=True)
class _Clock:
    """The explanation's share of the plan's deadline: each solve gets at most a sixth of it."""

    deadline: Deadline
    length: float

    def budget(self) -> float:
        """Return the time for the next solve: what is left, at most a sixth of the whole."""
        left = self.deadline.left()
        return left if left > 0.05 else 0.0

    def next(self) -> Deadline:
        """Return the deadline of the next solve (never later than the plan's)."""
        return self.deadline.share(min(1.0, self.length / 6 / max(self.deadline.left(), 1e-9)))


def _applies(inst: _Inst, con: str) -> bool:
    """Return whether constraint ``con`` is in force (so dropping it can change anything)."""
    if con == "max_km":
        return inst.cons.max_km is not None
    if con == "max_moves_per_school":
        return inst.cons.max_moves_per_school is not None
    if con == "eligibility":
        return inst.elig is not None
    if con == "rotation":
        return inst.cons.rotation
    return True


def _locks_bind(inst: _Inst, clock: _Clock) -> Shortfall | None:
    """Return the shortfall for the locked schools when unlocking them reaches the goal.

    The unlocked instance is prepared from the schools of this very instance, so it cannot fail
    on its input; should it raise PlanError all the same, the test is reported as undecided
    (never dropped silently)."""
    unlocked = replace(inst.cons, locked_schools=frozenset())
    try:
        inst2 = _prepare(inst.schools, inst.goal, unlocked, inst.teachers, inst.params)
    except PlanError:
        return Shortfall("undecided", constraint="locked_schools")
    found, _ = _best_flows(inst2, _Relax(), clock.next())
    if found == "found":
        return Shortfall("constraint", constraint="locked_schools")
    return Shortfall("undecided", constraint="locked_schools") if found == "timeout" else None


def _binding_constraints(inst: _Inst, clock: _Clock) -> list[Shortfall]:
    """Return the constraints whose dropping alone reaches the goal; those the time limit left
    untried are reported as undecided."""
    out: list[Shortfall] = []
    for con in _DROPPABLE:
        if not _applies(inst, con):
            continue
        if clock.budget() <= 0:
            out.append(Shortfall("undecided", constraint=con))
            continue
        found, _ = _best_flows(inst, _Relax(drop=frozenset({con})), clock.next())
        if found != "none":  # a time-out proves nothing: the test is reported undecided
            out.append(Shortfall("constraint" if found == "found" else "undecided", constraint=con))
    if inst.cons.locked_schools:
        if clock.budget() <= 0:
            out.append(Shortfall("undecided", constraint="locked_schools"))
        else:
            locks = _locks_bind(inst, clock)
            if locks is not None:
                out.append(locks)
    return out


def _attempt(inst: _Inst, n: str, hires: int, clock: _Clock) -> tuple[str, _Flows | None]:
    """Return ("found", passing flows) with ``hires`` more teachers counted in ``n``, ("none",
    None) when proven short, ("timeout", None) when not decided in time."""
    rel = _Relax(hire={n: hires}, only=(n,) if inst.goal.scheme == "quality" else None)
    if clock.budget() <= 0:
        return "timeout", None
    return _best_flows(inst, rel, clock.next())


def _least_hires(inst: _Inst, n: str, clock: _Clock) -> tuple[int, _Flows | None, str]:
    """Return (hires found to suffice, their flows, what is proven): "hire" (the least),
    "hire_enough" (enough; whether fewer suffice was not decided in time), "unreachable" (even
    MAX_HIRES proven short) or "undecided" (the time ran out first).  Only a proven shortfall
    raises the lower end of the bisection."""
    lo, hi, hit = 0, 1, None  # lo: proven not enough; hi: next to try
    while hi <= MAX_HIRES:
        found, hit = _attempt(inst, n, hi, clock)
        if found == "timeout":
            return hi, None, "undecided"
        if hit is not None:
            break
        lo, hi = hi, hi * 2
    if hit is None:
        return hi, None, "unreachable"
    while hi - lo > 1:
        mid = (lo + hi) // 2
        found, f = _attempt(inst, n, mid, clock)
        if found == "timeout":  # hi suffices; fewer may too (not decided in time)
            return hi, hit, "hire_enough"
        if f is not None:
            hi, hit = mid, f
        else:
            lo = mid
    return hi, hit, "hire"


def _hire_shortfalls(inst: _Inst, clock: _Clock) -> list[Shortfall]:
    """Return, per teacher count that fails, the least hires that would make it pass (those the
    time limit left untried are reported as undecided)."""
    found: list[Shortfall] = []
    for n in inst.names:
        if clock.budget() <= 0:
            found.append(Shortfall("undecided", indicator=inst.ind_of_name[n]))
            continue
        if inst.goal.scheme == "quality":
            alone = _solve_flows(inst, _Relax(only=(n,)), deadline=clock.next())
            if alone.status in _FOUND:
                continue  # reachable on its own: the joint constraints bind (reported above)
        count, hit, kind = _least_hires(inst, n, clock)
        ind = inst.ind_of_name[n]
        if hit is None:  # "unreachable" only when every attempt up to MAX_HIRES was proven short
            found.append(Shortfall(kind, indicator=ind))
            continue
        placed = tuple((inst.school_of[m], int(k)) for m, k in enumerate(hit.hires) if k > 0) \
            if hit.hires is not None else ()
        found.append(Shortfall(kind, indicator=ind,
                               attribute=None if n == "teachers" else n.removeprefix("teachers_"),
                               count=count, placement=placed))
    if inst.goal.scheme == "basic":  # alternatives: report the smallest hire
        hires = [f for f in found if f.kind in ("hire", "hire_enough")]
        found = [min(hires, key=lambda f: f.count or 0)] if hires else found[:1]
    return found


def _explain_transfers(inst: _Inst, deadline: Deadline) -> list[Shortfall]:
    """Which constraint binds, and how many more teachers of each attribute would suffice.

    Each constraint is dropped alone and the goal re-tried; then, per failing teacher indicator,
    the least number of hires with its attribute (placed by the model, transfers allowed) is found
    by doubling and bisection.  Everything shares the ``time_limit`` (seconds)."""
    clock = _Clock(deadline, deadline.left())
    return _binding_constraints(inst, clock) + _hire_shortfalls(inst, clock)
