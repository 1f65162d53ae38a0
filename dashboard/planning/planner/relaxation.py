"""The linear relaxation of the fewest-transfers model: a proven lower bound and a fractional
plan to round (docs/method.md §9.5).

Flows are continuous and each term Cᵢ²/Pᵢ of a CV limit is bounded below by tangents (valid
at every count, whole or not: C²/P is convex), added lazily at the solution's counts until
none is violated by more than a relative ``_TOL``.  Every round's optimum is the optimum of a
relaxation of the integer problem, so it is a proven lower bound even when the rounds or the
time run out.  Quality only (the basic composite's square roots are handled by :mod:`.search`).
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
from scipy.optimize import Bounds

from dashboard.planning.planner.deadline import Deadline
from dashboard.planning.planner.flows import _columns, _Flows, _no_flows, _Relax
from dashboard.planning.planner.instance import _Inst
from dashboard.planning.planner.solver import STATUS_INFEASIBLE, STATUS_OPTIMAL, _milp
from dashboard.planning.planner.transfers import (
    _add_chords,
    _add_cv_rows,
    _add_rotation_rows,
    _add_school_rows,
    _add_stock_rows,
    _add_tangents,
    _integrality,
    _Model,
    _model,
)

_ROUNDS: Final = 40
_TOL: Final = 1e-3  # a tangent is added where z under-estimates C²/P by more than this (relative)
_WHOLE_TOL: Final = 1e-7  # the chords' gain is about 1/(4P) per unit: a much finer tolerance
_WINDOW: Final = (-1, 0, 1)  # chords added around a violated count (fewer rounds)
_STALL: Final = 0.05  # a round raising the bound by less than this (teachers) ends a phase
_STEPS: Final = (0.0, 0.2, 0.4, 0.55, 0.7, 0.85, 1.0)  # first tangents: this share of the way to equal staffing
_BUILD_RESERVE_S: Final = 0.3


def _first_tangents(mdl: _Model) -> None:
    """Add tangents at the counts now, at the counts of equal staffing and between them."""
    inst = mdl.inst
    for n in mdl.cols.names:
        now = mdl.base_m[n]
        equal = inst.base[n].sum() * mdl.Pm / inst.P.sum()
        items = [(m, float(now[m] + s * (equal[m] - now[m]))) for s in _STEPS for m in range(mdl.cols.M)]
        _add_tangents(mdl, n, [(m, a) for m, a in items if a > 0])


def _violated(mdl: _Model, x: np.ndarray, whole: bool) -> bool:
    """Add a cut at each unit's count where the solution's z under-estimates C²/P (``whole``:
    the chord between the whole counts around it, exact at whole counts, which every plan has);
    return whether any was added."""
    cols = mdl.cols
    new = False
    for n in cols.names:
        cnt = mdl.base_m[n] + mdl.count_rows[n] @ x[: cols.nf]
        z = x[cols.zcol(n): cols.zcol(n) + cols.M]
        a = np.floor(cnt + 1e-9)
        true = ((2 * a + 1) * cnt - a * a - a) / mdl.Pm if whole else cnt * cnt / mdl.Pm
        bad = np.flatnonzero(true - z > (_WHOLE_TOL if whole else _TOL) * np.maximum(1.0, true))
        if whole:
            items = {(int(m), int(a[m]) + d) for m in bad for d in _WINDOW if a[m] + d >= 0} - mdl.chords[n]
            mdl.chords[n].update(items)
            _add_chords(mdl, n, sorted(items))
            new |= bool(items)
        elif len(bad):
            new = True
            _add_tangents(mdl, n, [(int(m), float(cnt[m])) for m in bad])
    return new


def _flows_of(mdl: _Model, x: np.ndarray, status: str, bound: float) -> _Flows:
    """Return the fractional flows ``x`` as a result (pairs with their whole part, under ``max_km``)."""
    cols = mdl.cols
    M, K, nf = cols.M, cols.K, cols.nf
    out = (cols.E_out @ x[:nf]).reshape(M, K)
    inn = (cols.E_in @ x[:nf]).reshape(M, K)
    pairs = []
    if cols.use_pairs:
        xv = np.floor(x[:nf] + 1e-6).reshape(len(cols.pa), K)
        pairs = [(int(cols.pa[p]), int(cols.pb[p]), int(c), int(xv[p, c])) for p, c in zip(*np.nonzero(xv))]
    return _Flows(status, out, inn, pairs, float(np.asarray(cols.E_out.sum(axis=0)).ravel() @ x[:nf]), bound)


def _solve_lp(inst: _Inst, relax: _Relax, deadline: Deadline) -> _Flows:
    """Return the linear relaxation's fractional flows with its proven bound (status "optimal":
    no tangent violated; "feasible": rounds or time ran out, the bound still proven; "timeout":
    no solution; "infeasible": the relaxation has none, so neither has the problem)."""
    M, K = len(inst.movable), len(inst.classes)
    if inst.goal.scheme != "quality" or deadline.expired(_BUILD_RESERVE_S):
        return _no_flows(M, K, "timeout", math.inf, 0.0)
    mdl = _model(inst, relax, _columns(inst, relax, "exact", None))
    _add_stock_rows(mdl)
    _add_school_rows(mdl)
    _add_rotation_rows(mdl)
    _add_cv_rows(mdl, "exact", None, None)
    _first_tangents(mdl)
    cols = mdl.cols
    cost = np.zeros(cols.nvar)
    cost[: cols.nf] = np.asarray(cols.E_out.sum(axis=0)).ravel()
    _, ub = _integrality(cols)
    bounds = Bounds(np.zeros(cols.nvar), ub)
    proven, x, status = 0.0, None, "timeout"
    whole = False  # tangents first (the continuous relaxation), then chords (whole counts)
    last = -math.inf
    for _ in range(_ROUNDS):
        if deadline.expired():
            break
        res = _milp(cost, constraints=mdl.rows.constraint(), integrality=np.zeros(cols.nvar), bounds=bounds,
                    options={"disp": False}, deadline=deadline)
        if res.x is None:
            if res.status == STATUS_INFEASIBLE:
                return _no_flows(M, K, "infeasible", math.inf, math.inf)
            break
        if res.status == STATUS_OPTIMAL:  # an LP's optimum: the bound of this relaxation
            proven = max(proven, float(res.fun))
        x, status = res.x, "feasible"
        stalled = res.status == STATUS_OPTIMAL and float(res.fun) - last < _STALL
        last = float(res.fun) if res.status == STATUS_OPTIMAL else last
        if whole:
            if stalled:  # the bound no longer moves: stop (it stays proven)
                break
            if not _violated(mdl, res.x, True):
                status = "optimal"
                break
            continue
        if stalled or not _violated(mdl, res.x, False):  # the tangents are done: the chords
            whole = True
            if not _violated(mdl, res.x, True):
                status = "optimal"
                break
    if x is None:
        return _no_flows(M, K, "timeout", math.inf, proven)
    return _flows_of(mdl, x, status, proven)
