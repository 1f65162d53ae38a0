"""Searches over the transfer MILP: the basic composite's bound-and-plan loop, a truly passing
flow solution for the explanations, and the single-attribute lower bound of a large county.

The basic composite's constraint Σ sqrt(v_k) ≤ B is not convex.  Its piecewise-linear relaxation
(breakpoints in [0, B²]: every passing plan has v_k ≤ B²) gives a proven lower bound; the tangent
model at the relaxation's solution gives a plan that truly passes.  The breakpoints are refined at
each solution until the two meet (proven optimal) or the rounds run out (the plan reports the gap).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from dashboard.planning.planner.counts import _base_counts, _flow_counts, _teacher_goal_met, _v_of
from dashboard.planning.planner.deadline import Deadline
from dashboard.planning.planner.flows import _Flows, _Relax
from dashboard.planning.planner.instance import BASIC_CV_COUNT, _Inst
from dashboard.planning.planner.relaxation import _solve_lp
from dashboard.planning.planner.transfers import _solve_flows

_FOUND: tuple[str, ...] = ("optimal", "feasible")


def _better(best: _Flows | None, f: _Flows) -> _Flows:
    """Return the one of ``best`` and ``f`` with fewer transfers (``best`` on ties)."""
    return f if best is None or f.objective < best.objective else best


def _basic_search(inst: _Inst, relax: _Relax, deadline: Deadline,
                  iters: int = 6) -> tuple[_Flows | None, float, bool]:
    """Basic composite: return (best truly passing flows or None, proven lower bound, proven infeasible).

    Lower bounds come from the piecewise-linear relaxation (breakpoints refined at each
    solution's true CV²); plans from the tangent (conservative) model at that solution."""
    bud = BASIC_CV_COUNT * inst.tau - inst.resource_cv
    if bud <= 0:
        return None, math.inf, True
    U = bud * bud  # each teacher CV ≤ bud in any passing plan, so v ≤ bud²
    v_base = _v_of(inst, _base_counts(inst))
    bps = {n: sorted({-1.0, 0.0, *np.linspace(0, U, 9)[1:].tolist(), min(v_base[n], U)}) for n in inst.names}
    best: _Flows | None = None
    lower = 0.0
    for _ in range(iters):
        if deadline.expired():
            break
        f = _solve_flows(inst, relax, basic_mode="pwl", bps=bps, deadline=deadline)
        if f.status == "infeasible":
            return best, (math.inf if best is None else lower), best is None
        if f.status not in _FOUND:
            break
        lower = max(lower, f.objective if f.status == "optimal" else f.bound)
        cnt = _flow_counts(inst, f, relax)
        if _teacher_goal_met(inst, cnt):
            best = _better(best, f)
            break
        v = _v_of(inst, cnt)
        g = _solve_flows(inst, relax, basic_mode="tangent", v0=v, deadline=deadline)
        if g.status in _FOUND and _teacher_goal_met(inst, _flow_counts(inst, g, relax)):
            best = _better(best, g)
        if best is not None and best.objective <= lower + 1e-9:
            break
        for n in inst.names:
            bps[n] = sorted(set(bps[n]) | {min(v[n], U)})
    return best, lower, False


def _best_flows(inst: _Inst, relax: _Relax, deadline: Deadline) -> tuple[str, _Flows | None]:
    """Return ("found", a truly feasible flow solution), ("none", None) when none exists (proven),
    or ("timeout", None) when neither was established in time."""
    if inst.goal.scheme == "quality":
        f = _solve_flows(inst, relax, deadline=deadline)
        if f.status in _FOUND:
            return "found", f
        return ("none" if f.status == "infeasible" else "timeout"), None
    best, _lower, infeasible = _basic_search(inst, relax, deadline, iters=3)
    if best is not None:
        return "found", best
    return ("none" if infeasible else "timeout"), None


def _single_attribute(inst: _Inst, n: str) -> _Inst:
    """Return the instance reduced to count ``n`` alone: one attribute, two classes."""
    attr = n.removeprefix("teachers_")
    elig = None
    if inst.elig is not None:
        has = inst.classes[:, inst.attrs.index(attr)]
        elig = np.stack([inst.elig[:, has == b].sum(axis=1) for b in (0, 1)], axis=1)
    return replace(inst, names=(n,), attrs=(attr,), classes=np.array([[0], [1]], dtype=np.int64),
                   elig=elig, every=elig)


def _single_bounds(inst: _Inst, deadline: Deadline) -> float:
    """Return a proven lower bound on the transfers: for each teacher indicator alone, the fewest
    teachers carrying its attribute that must move (a relaxation: one attribute, two classes)."""
    best = 0.0
    # the furthest CV from its limit first: its bound is likely the largest (time may run out)
    v = _v_of(inst, _base_counts(inst))
    names = sorted((n for n in inst.names if n != "teachers"), key=lambda n: -v[n])
    relax = _Relax(drop=frozenset({"staffing_norm", "max_km"}))
    for n in names:  # first the linear relaxations (fast): a bound whatever the time left
        f = _solve_lp(_single_attribute(inst, n), relax, deadline.share(0.3))
        if np.isfinite(f.bound):
            best = max(best, math.ceil(f.bound - 1e-6))
    for n in names:  # then each MILP may use all that is left (the first is the likeliest to bind)
        if deadline.expired():
            break
        f = _solve_flows(_single_attribute(inst, n), _Relax(drop=frozenset({"staffing_norm", "max_km"})),
                         deadline=deadline)
        if f.status == "optimal":
            best = max(best, f.objective)
        elif np.isfinite(f.bound):
            best = max(best, f.bound)
    return best
