"""Modes "budget" and "both" on the basic scheme: one joint model (docs/method.md §9.1).

Minimise (cost per transfer) × transfers + purchases (元) so that the composite — the mean of
three teacher CVs and five resource CVs — passes.  Transfers conserve every county total, so
each teacher CV is a norm of an affine function of the counts (convex): it is bounded below
by its tangent planes (outer approximation), added at every solution's counts.  Each resource
CV enters through its value function's relaxation (:mod:`.composite`): one choice per
resource of (least CV added, least cost).  The MILP over the flows, the teacher CVs' tangent
planes and the resource choices is a relaxation of the joint problem: its optimum (HiGHS's
dual bound) is a proven lower bound.  Each solution's flows give a plan: its teacher CVs are
evaluated exactly and the cheapest purchases found for the room left are added.  Rounds add
tangent planes and split the resource intervals chosen, until the plan meets the bound
(optimal) or the time runs out (feasible, with its gap).  Mode "budget" is the same model with
no flow."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint

from dashboard.planning.planner.composite import (
    _first_points,
    _Market,
    _market,
    _purchase_plan,
    _refine,
)
from dashboard.planning.planner.counts import _counts_after, _teacher_cv_sum
from dashboard.planning.planner.deadline import Deadline
from dashboard.planning.planner.flows import _Columns, _columns, _Flows, _Relax
from dashboard.planning.planner.instance import BASIC_CV_COUNT, _coef, _Inst
from dashboard.planning.planner.moves import Triple, _match, _moves
from dashboard.planning.planner.purchases import _to_purchases
from dashboard.planning.planner.solver import STATUS_INFEASIBLE, _dual_bound, _milp
from dashboard.planning.planner.transfers import (
    _add_rotation_rows,
    _add_school_rows,
    _add_stock_rows,
    _model,
)
from dashboard.planning.planner.types import PlanStatus, Purchase
from dashboard.planning.scenario import Transfer

_ROUNDS: Final = 40
_REL_EPS: Final = 1e-6  # plan and bound this close (relative): optimal
_START: Final = (0.0, 0.5, 0.8)  # first tangent planes: this share of the way to equal staffing


@dataclass
class _Joint:
    """The result of the joint model: status, objective (元), proven bound, the plan's actions."""

    status: PlanStatus
    objective: float
    bound: float
    moves: tuple[Transfer, ...] = ()
    purchases: tuple[Purchase, ...] = ()


@dataclass
class _Teachers:
    """The flow part of the joint model: the rows of the transfer model (stock, staffing, kept
    minimums, rotation) and, per teacher CV, its count change per movable unit."""

    inst: _Inst
    nf: int  # the transfer model's columns (flows, then any class flows F_c)
    cost: np.ndarray  # teachers moved per column
    rows: list[sparse.csr_matrix]
    lo: list[np.ndarray]
    hi: list[np.ndarray]
    change: dict[str, sparse.csr_matrix]  # (M, nf) count change of each name
    out: sparse.csr_matrix
    inn: sparse.csr_matrix
    cols: _Columns


def _teachers(inst: _Inst) -> _Teachers:
    """Return the transfer model's rows over the flow columns alone (no CV row)."""
    cols = _columns(inst, _Relax(only=()), "tangent", None)
    mdl = _model(inst, _Relax(only=()), cols)
    _add_stock_rows(mdl)
    _add_school_rows(mdl)
    _add_rotation_rows(mdl)
    # every column of the transfer model: the flows, then (rotation, docs/method.md §9.4) the class flows F_c
    change = {n: cols.pad(cols.unit_sum(_coef(n, inst.attrs, inst.classes), mdl.D)) for n in inst.names}
    cost = np.zeros(cols.nvar)
    cost[: cols.nf] = np.asarray(cols.E_out.sum(axis=0)).ravel()
    return _Teachers(inst, cols.nvar, cost, list(mdl.rows.blocks), list(mdl.rows.lo), list(mdl.rows.hi), change,
                     cols.pad(cols.E_out), cols.pad(cols.E_in), cols)


def _cv_and_slope(inst: _Inst, counts: np.ndarray, n: str) -> tuple[float, np.ndarray]:
    """Return one teacher CV at ``counts`` (every unit) and its gradient at the movable units."""
    P, Ptot = inst.P, inst.P.sum()
    R = float(inst.base[n].sum())  # conserved by transfers
    cv = math.sqrt(max(Ptot * float(np.sum(counts ** 2 / P)) / (R * R) - 1, 0.0))
    if cv < 1e-12:
        return 0.0, np.zeros(len(inst.movable))
    return cv, (Ptot / (R * R)) * (counts[inst.movable] / P[inst.movable]) / cv


class _Model:
    """The joint MILP: columns flows (nf), one t per teacher CV, one binary per resource option."""

    def __init__(self, inst: _Inst, market: _Market, per_transfer: float, transfers: bool) -> None:
        self.inst, self.market, self.per = inst, market, per_transfer
        self.tm = _teachers(inst) if transfers else None
        self.nf = self.tm.nf if self.tm else 0
        self.names = inst.names
        self.cuts: list[tuple[int, np.ndarray, float]] = []  # (name index, slope over flows, rhs)
        self.fixed_t = {n: _cv_and_slope(inst, inst.base[n].astype(float), n)[0] for n in inst.names}

    def cut_at(self, x: np.ndarray) -> None:
        """Add the tangent plane of every teacher CV at the counts of flows ``x``."""
        if self.tm is None:
            return
        counts = self.counts(x)
        for k, n in enumerate(self.names):
            cv, g = _cv_and_slope(self.inst, counts[n], n)
            if cv <= 0:
                continue
            # t ≥ cv + g·(C − C0), C = base + change·x  ⇔  t − (g·change)·x ≥ cv + g·(base − C0)
            slope = np.asarray(self.tm.change[n].T @ g).ravel()
            base = self.inst.base[n][self.inst.movable]
            self.cuts.append((k, slope, cv + float(g @ (base - counts[n][self.inst.movable]))))

    def counts(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Return every unit's counts after flows ``x``."""
        assert self.tm is not None
        M, K = len(self.inst.movable), len(self.inst.classes)
        out = (self.tm.out @ x).reshape(M, K)
        inn = (self.tm.inn @ x).reshape(M, K)
        return _counts_after(self.inst, out, inn)

    def solve(self, deadline: Deadline) -> tuple[str, float, np.ndarray, list[int]]:
        """Return (status, proven bound, flows, chosen option per resource) of the relaxation."""
        lows = [cur.lower_options() for cur in self.market.curves]
        nt = len(self.names) if self.tm else 0
        nopt = sum(len(o) for o in lows)
        nv = self.nf + nt + nopt
        c = np.zeros(nv)
        if self.tm:
            c[: self.nf] = self.per * self.tm.cost
        c[self.nf + nt:] = np.concatenate([[k for _, k in o] for o in lows])
        blocks, lo, hi = [], [], []

        def add(A: sparse.spmatrix | np.ndarray, lower: float | np.ndarray, upper: float | np.ndarray) -> None:
            A = sparse.csr_matrix(A)
            blocks.append(A)
            lo.append(np.broadcast_to(np.asarray(lower, float), (A.shape[0],)).copy())
            hi.append(np.broadcast_to(np.asarray(upper, float), (A.shape[0],)).copy())

        if self.tm:
            for A, a_lo, a_hi in zip(self.tm.rows, self.tm.lo, self.tm.hi):
                add(sparse.hstack([A, sparse.csr_matrix((A.shape[0], nv - self.nf))]), a_lo, a_hi)
            for k, slope, rhs in self.cuts:
                row = np.zeros(nv)
                row[: self.nf] = -slope
                row[self.nf + k] = 1.0
                add(row.reshape(1, -1), rhs, np.inf)
        at = self.nf + nt
        room = np.zeros(nv)  # Σ t + Σ (CV added by the option chosen) ≤ 8τ
        room[self.nf: self.nf + nt] = 1.0
        teacher_fixed = 0.0 if self.tm else sum(self.fixed_t.values())
        for o in lows:
            one = np.zeros(nv)
            one[at: at + len(o)] = 1.0
            add(one.reshape(1, -1), 1.0, 1.0)
            room[at: at + len(o)] = [g for g, _ in o]
            at += len(o)
        add(room.reshape(1, -1), -np.inf, BASIC_CV_COUNT * self.inst.tau - teacher_fixed)
        ub = np.full(nv, np.inf)
        ub[self.nf + nt:] = 1.0
        integrality = np.concatenate([np.ones(self.nf), np.zeros(nt), np.ones(nopt)])
        res = _milp(c, constraints=LinearConstraint(sparse.vstack(blocks).tocsr(), np.concatenate(lo),
                                                    np.concatenate(hi)),
                    integrality=integrality, bounds=Bounds(np.zeros(nv), ub),
                    options={"mip_rel_gap": 0.0, "disp": False}, deadline=deadline)
        if res.x is None:
            return ("infeasible" if res.status == STATUS_INFEASIBLE else "timeout"), _dual_bound(res), np.zeros(
                self.nf), []
        y = res.x[self.nf + nt:]
        chosen, at = [], 0
        for o in lows:
            chosen.append(int(np.argmax(y[at: at + len(o)])))
            at += len(o)
        return "solved", _dual_bound(res), np.round(res.x[: self.nf]), chosen


def _triples(tm: _Teachers, x: np.ndarray) -> list[Triple]:
    """Return the (donor, receiver, class, count) moves of flows ``x`` (per allowed pair under a
    distance limit, else matched nearest first)."""
    inst, cols = tm.inst, tm.cols
    M, K = len(inst.movable), len(inst.classes)
    if cols.use_pairs:
        xv = x[: cols.nf].reshape(len(cols.pa), K)
        return [(int(cols.pa[p]), int(cols.pb[p]), int(c), int(xv[p, c])) for p, c in zip(*np.nonzero(xv))]
    out = (tm.out @ x).reshape(M, K)
    inn = (tm.inn @ x).reshape(M, K)
    return _match(inst, _Flows("feasible", out, inn, [], float(out.sum()), 0.0))


def _plan_of(model: _Model, x: np.ndarray) -> tuple[float, tuple[Transfer, ...], dict[str, np.ndarray]] | None:
    """Return (cost, moves, purchase amounts) of the plan with flows ``x`` and the cheapest
    purchases found for the room its teacher CVs leave, or None."""
    inst = model.inst
    moves: tuple[Transfer, ...] = ()
    if model.tm is not None and x.any():
        moves = _moves(inst, _triples(model.tm, x))
    elif inst.rotation_min and model.tm is not None:
        return None  # the rotation rule asks for transfers
    teacher_sum = _teacher_cv_sum(inst, moves)
    bought = _purchase_plan(model.market, BASIC_CV_COUNT * inst.tau - teacher_sum)
    if bought is None:
        return None
    cost, amounts = bought
    return model.per * sum(m.count for m in moves) + cost, moves, amounts


def _joint_basic(inst: _Inst, per_transfer: float, transfers: bool, deadline: Deadline) -> _Joint:
    """Return the joint plan of mode "both" (``transfers``) or "budget" on the basic scheme."""
    market = _market(inst)
    model = _Model(inst, market, per_transfer, transfers)
    teacher_now = sum(model.fixed_t.values())
    _first_points(market, BASIC_CV_COUNT * inst.tau - teacher_now, deadline.share(0.4))
    if model.tm is not None:
        base = np.zeros(model.nf)
        model.cut_at(base)
        _start_cuts(model)
    best: tuple[float, tuple[Transfer, ...], dict[str, np.ndarray]] | None = _plan_of(model, np.zeros(model.nf))
    bound = 0.0
    decided = False
    for _ in range(_ROUNDS):
        if deadline.expired():
            break
        status, lower, x, chosen = model.solve(deadline)
        if status == "infeasible":  # the relaxation has no plan: neither has the problem
            decided = best is None
            break
        if status != "solved":
            bound = max(bound, lower)
            break
        bound = max(bound, lower)
        found = _plan_of(model, x)
        if found is not None and (best is None or found[0] < best[0]):
            best = found
        if best is not None and best[0] <= bound + _REL_EPS * max(1.0, best[0]):
            break
        before = len(model.cuts)
        model.cut_at(x)
        teacher = _teacher_cv_sum(inst, found[1]) if found is not None else teacher_now
        split = _refine(market, chosen, BASIC_CV_COUNT * inst.tau - teacher, deadline.share(0.3))
        if not split and len(model.cuts) == before:
            break  # nothing left to refine: the bound stays
    if best is None:
        return _Joint(PlanStatus.INFEASIBLE if decided else PlanStatus.UNDECIDED, math.nan,
                      math.inf if decided else bound)
    cost, moves, amounts = best
    purchases = tuple(x for col, a in amounts.items()
                      for x in _to_purchases(inst, market.sids, col, a, market.shop.ints))
    objective = per_transfer * sum(m.count for m in moves) + sum(p.cost_yuan for p in purchases)
    bound = min(bound, objective)
    status = PlanStatus.OPTIMAL if objective <= bound + _REL_EPS * max(1.0, objective) else PlanStatus.FEASIBLE
    return _Joint(status, objective, bound, moves, purchases)


def _start_cuts(model: _Model) -> None:
    """Add tangent planes on the way from the counts now to equal staffing (no flow needed:
    each is a valid under-estimator anywhere, the CVs being convex)."""
    inst = model.inst
    for s in _START[1:]:
        for k, n in enumerate(model.names):
            now = inst.base[n].astype(float)
            equal = now.sum() * inst.P / inst.P.sum()
            at = now.copy()
            at[inst.movable] = now[inst.movable] + s * (equal[inst.movable] - now[inst.movable])
            cv, g = _cv_and_slope(inst, at, n)
            if cv <= 0 or model.tm is None:
                continue
            slope = np.asarray(model.tm.change[n].T @ g).ravel()
            base = inst.base[n][inst.movable]
            model.cuts.append((k, slope, cv + float(g @ (base - at[inst.movable]))))
