"""The fewest-transfers MILP (exact, with lazy chords).

Transfers conserve every county total, so the enrolment-weighted mean R/P of each teacher
indicator is fixed and its CV limit is (docs/method.md §2)::

    CV² = P·Q/R² − 1 ≤ τ²   ⇔   Q = Σᵢ Cᵢ²/Pᵢ ≤ (1 + τ²)·R²/P

a separable convex quadratic in the integer counts Cᵢ.  Each term Cᵢ²/Pᵢ is bounded below by a
variable zᵢ ≥ the chord of C²/P between consecutive integers a, a+1 (added lazily around the
solution until every chord in use is the one at the solution's count): at integer points the
maximum of these chords *is* C²/P, so the linear model is exact, not an approximation.
Teachers are modelled as classes of the attributes the goal involves (basic: above-degree,
mid-title, coupled with the head count of B6; quality: above-degree, backbone, PE/arts, with
the head count for the staffing norm).  Per unit and class there are integer out/in flows; per
class, what leaves equals what arrives.  With a roster a class's stock is its eligible
teachers (≥ ``min_years_at_school`` at the school), named in the plan; without one a class is
limited by the school's per-attribute counts (marginals), exactly as ``apply_actions`` checks.
The flows are per unit, or per allowed pair under a distance limit (:mod:`.flows`).

The basic composite is the mean of eight CVs, a sum of square roots, so the constraint
Σ sqrt(v_k) ≤ B = 8τ − Σ(resource CVs) over the teacher CV² v_k (linear in the z's) is not
convex.  ``basic_mode='pwl'`` replaces sqrt by its piecewise-linear interpolation on breakpoints
(below sqrt, which is concave), with binaries choosing the segment: a relaxation.
``basic_mode='tangent'`` replaces sqrt by its tangent at a given point: an over-estimate, so
whatever it finds truly passes.  The search over both is in :mod:`.search`.

Columns of the model, in order: flows (per unit and class, or per allowed pair and class),
hires (per unit, explanations only), z (per unit and CV name), then per name the λ and y
columns of the piecewise-linear interpolation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint

from dashboard.planning.planner.deadline import Deadline
from dashboard.planning.planner.flows import (
    _Columns,
    _columns,
    _cv_caps,
    _Flows,
    _no_flows,
    _Relax,
    _total,
)
from dashboard.planning.planner.instance import BASIC_CV_COUNT, _coef, _Inst
from dashboard.planning.planner.solver import STATUS_INFEASIBLE, STATUS_OPTIMAL, _dual_bound, _milp
from dashboard.planning.planner.types import ROTATION_BACKBONE_SHARE

_CHORD_WINDOW: Final = 6
_TANGENT_STEP: Final = 3  # teachers between the initial tangents
_MAX_ROUNDS: Final = 60  # rounds of lazy chords
_BUILD_RESERVE_S: Final = 0.3  # less time left than this: the model is not even built


# ------------------------------------------------------------------------------ the rows


@dataclass
class _Rows:
    """The constraint rows collected so far: blocks of rows with their lower and upper bounds."""

    blocks: list[sparse.spmatrix] = field(default_factory=list)
    lo: list[np.ndarray] = field(default_factory=list)
    hi: list[np.ndarray] = field(default_factory=list)

    def add(self, A: sparse.spmatrix | np.ndarray, lower: float | np.ndarray, upper: float | np.ndarray) -> None:
        """Append the rows ``lower ≤ A·x ≤ upper`` (bounds broadcast to the rows)."""
        A = sparse.csr_matrix(A)
        self.blocks.append(A)
        self.lo.append(np.broadcast_to(np.asarray(lower, float), (A.shape[0],)).copy())
        self.hi.append(np.broadcast_to(np.asarray(upper, float), (A.shape[0],)).copy())

    def constraint(self) -> LinearConstraint:
        """Return every row as one LinearConstraint."""
        A = sparse.vstack(self.blocks).tocsr()
        return LinearConstraint(A, np.concatenate(self.lo), np.concatenate(self.hi))


@dataclass(frozen=True)
class _Model:
    """One flow model under construction: the instance, the layout, the rows and the chord cuts."""

    inst: _Inst
    relax: _Relax
    cols: _Columns
    D: sparse.csr_matrix  # (M*K, nf) net change per unit and class
    Pm: np.ndarray  # pupils of the movable units
    base_m: dict[str, np.ndarray]  # each name's count at the movable units
    count_rows: dict[str, sparse.csr_matrix]  # each name's net change per movable unit
    rows: _Rows = field(default_factory=_Rows)
    chords: dict[str, set[tuple[int, int]]] = field(default_factory=dict)  # (unit, a) chords in use


def _model(inst: _Inst, relax: _Relax, cols: _Columns) -> _Model:
    """Return an empty model (no rows yet) over the columns ``cols``."""
    D = (cols.E_in - cols.E_out).tocsr()
    return _Model(inst=inst, relax=relax, cols=cols, D=D, Pm=inst.P[inst.movable],
                  base_m={n: inst.base[n][inst.movable] for n in cols.names},
                  count_rows={n: cols.unit_sum(_coef(n, inst.attrs, inst.classes), D) for n in cols.names},
                  chords={n: set() for n in cols.names})


def _add_stock_rows(mdl: _Model) -> None:
    """Rows: conservation per class (per-unit flows) and what each unit can give."""
    inst, cols, rows = mdl.inst, mdl.cols, mdl.rows
    M, K = cols.M, cols.K
    if not cols.use_pairs:  # conservation per class
        C = sparse.kron(sparse.csr_matrix(np.ones((1, M))), sparse.identity(K))
        rows.add(cols.pad(C @ mdl.D), 0, 0)
    if inst.elig is not None:
        stock = inst.every if "eligibility" in mdl.relax.drop and inst.every is not None else inst.elig
        rows.add(cols.pad(cols.E_out), 0, stock.ravel())
        return
    rows.add(cols.pad(cols.unit_sum(np.ones(K), cols.E_out)), 0, inst.own_T)
    for j, a in enumerate(inst.attrs):
        rows.add(cols.pad(cols.unit_sum(inst.classes[:, j].astype(float), cols.E_out)), 0, inst.own_A[a])
        rows.add(cols.pad(cols.unit_sum(1.0 - inst.classes[:, j], cols.E_out)), 0, inst.own_T - inst.own_A[a])


def _add_school_rows(mdl: _Model) -> None:
    """Rows: moves per school, the staffing floor, the kept minimums and the hires' total."""
    inst, relax, cols, rows = mdl.inst, mdl.relax, mdl.cols, mdl.rows
    cons, drop, K = inst.cons, relax.drop, cols.K
    if cons.max_moves_per_school is not None and "max_moves_per_school" not in drop:
        rows.add(cols.pad(cols.unit_sum(np.ones(K), cols.E_out + cols.E_in)), 0, cons.max_moves_per_school)
    if "staffing_norm" not in drop:  # school level: own_T + net (+ hires) ≥ floor
        A = cols.unit_sum(np.ones(K), mdl.D)
        if cols.nh:
            A = cols.with_hires(A)
        rows.add(cols.pad(A), inst.floor_T - inst.own_T, np.inf)
    if "keep_minimums" not in drop:  # unit level
        for n in inst.names:
            A = cols.unit_sum(_coef(n, inst.attrs, inst.classes), mdl.D)
            if cols.nh and cols.adds(n):
                A = cols.with_hires(A)
            base = inst.base[n][inst.movable]
            low = inst.lb[n].copy()
            if cols.ny:
                low[cols.relieved] = inst.rule_low[n][cols.relieved]
            rows.add(cols.pad(A), low - base, np.inf)
            if cols.ny:
                _add_rule_rows(mdl, n, A, base)
        if cols.ny:  # each relievable unit leaves at most its allowance of minimums at 85 %
            k = len(cols.relieved)
            at = np.concatenate([cols.ycol(n) + np.arange(k) for n in cols.rule_names])
            S = sparse.csr_matrix((np.ones(len(at)), (np.tile(np.arange(k), len(cols.rule_names)), at)),
                                  shape=(k, cols.nvar))
            assert inst.relief is not None
            rows.add(S, 0, inst.relief[cols.relieved])
    if cols.nh:
        assert cols.hire_name is not None
        hired = relax.hire[cols.hire_name]
        rows.add(cols.pad(sparse.csr_matrix(np.ones((1, cols.M))), cols.nf), hired, hired)


def _add_rule_rows(mdl: _Model, n: str, A: sparse.spmatrix, base: np.ndarray) -> None:
    """Rows (the per-school rule, docs/method.md §9.6): a relievable unit keeps the minimum of
    ``n`` unless its binary leaves it at 85 %: count + (full − low)·y ≥ full."""
    inst, cols = mdl.inst, mdl.cols
    u = cols.relieved
    k = len(u)
    d = inst.rule_full[n][u] - inst.rule_low[n][u]
    Y = sparse.csr_matrix((d, (np.arange(k), cols.ycol(n) + np.arange(k))), shape=(k, cols.nvar))
    mdl.rows.add(cols.pad(sparse.csr_matrix(A)[u]) + Y, inst.rule_full[n][u] - base[u], np.inf)


def _add_rotation_rows(mdl: _Model) -> None:
    """Rows (rotation constraints, G11): teachers moved ≥ the least rotation, backbone teachers
    moved ≥ ROTATION_BACKBONE_SHARE of those moved."""
    inst, cols = mdl.inst, mdl.cols
    if not inst.cons.rotation or "rotation" in mdl.relax.drop:
        return
    moved = np.asarray(cols.E_out.sum(axis=0)).ravel()
    rows = mdl.rows
    rows.add(cols.pad(moved.reshape(1, -1)), inst.rotation_min, np.inf)
    j = inst.attrs.index("backbone")
    has = inst.classes[:, j].astype(float)
    backbone = np.asarray((cols.unit_sum(has, cols.E_out)).sum(axis=0)).ravel()
    rows.add(cols.pad((backbone - ROTATION_BACKBONE_SHARE * moved).reshape(1, -1)), 0, np.inf)
    if not cols.use_pairs:  # pair flows never join a unit to itself
        _add_real_move_rows(mdl)


def _add_real_move_rows(mdl: _Model) -> None:
    """Rows (docs/method.md §9.4): per unit m and class c, out + in ≤ F_c, the class's total flow.

    Per-unit flows are real moves exactly when they split into (donor, receiver) pairs with
    donor ≠ receiver.  A class's flows split so iff no unit's out + in exceeds F_c = Σ out (a
    transportation problem whose only forbidden cells are the diagonal: Hall's condition fails
    only for a single donor, whose receivers other than itself take F_c − in_m ≥ out_m).  Every
    real plan meets the row (its F_c teachers leave from, and arrive at, two different units
    each), so it cuts off no plan and the bound stays a bound of the problem as posed, with or
    without the rotation rows; a swap (A → B and B → A in one class, two different teachers) is
    a real plan and stays allowed.  Removing a self pair is not the argument: under the rotation
    rows a pair counted as moved may be needed.  Without rotation the rows are not added: there a
    self pair only costs, so no optimum has one, and :func:`~.moves._match` cancels any left.
    Rows only where the unit has stock: without it out = 0 and in ≤ F_c holds by conservation.

    F_c is a column of its own (``cols.Fcol`` + c) tied by Σ_u out[u, c] − F_c = 0, so each row
    holds 3 non-zeros instead of the class's M + 1: the same feasible set in the flows (an exact
    reformulation, every bound and proof unchanged), ~M·K·3 non-zeros instead of ~M²·K."""
    inst, cols = mdl.inst, mdl.cols
    M, K = cols.M, cols.K
    stock = inst.every if "eligibility" in mdl.relax.drop and inst.every is not None else inst.elig
    keep = np.flatnonzero(stock.ravel() > 0) if stock is not None else np.arange(M * K)
    if not len(keep):
        return
    assert cols.nF == K, "the columns carry no class flow F_c"
    per_class = (sparse.kron(sparse.csr_matrix(np.ones((1, M))), sparse.identity(K)) @ cols.E_out).tocsr()
    F = sparse.identity(K, format="csr")
    mdl.rows.add(cols.pad(per_class) - cols.pad(F, cols.Fcol), 0, 0)  # Σ_u out[u, c] = F_c
    A = cols.pad((cols.E_out + cols.E_in).tocsr()[keep]) - cols.pad(F[keep % K], cols.Fcol)
    mdl.rows.add(A, -np.inf, 0)


def _fixed_q(inst: _Inst, names: tuple[str, ...]) -> dict[str, float]:
    """Return Σ C²/P over the units no transfer changes, per name."""
    fixed = np.ones(len(inst.P), bool)
    fixed[inst.movable] = False
    return {n: float(np.sum(inst.base[n][fixed] ** 2 / inst.P[fixed])) for n in names}


def _add_cv_rows(mdl: _Model, basic_mode: str, v0: dict[str, float] | None,
                 bps: dict[str, list[float]] | None) -> bool:
    """Rows: the CV limits (quality: each; basic: the composite).  Return False when the basic
    composite cannot pass whatever the teachers (the resource CVs alone exceed it)."""
    inst, cols, rows = mdl.inst, mdl.cols, mdl.rows
    qfix = _fixed_q(inst, cols.names)
    M, nvar = cols.M, cols.nvar
    if inst.goal.scheme == "quality" or basic_mode == "exact":
        caps = _cv_caps(inst, mdl.relax)
        for n in cols.names:
            z = cols.zcol(n) + np.arange(M)
            rows.add(sparse.csr_matrix((np.ones(M), (np.zeros(M, int), z)), shape=(1, nvar)), -np.inf, caps[n] - qfix[n])
        return True
    bud = BASIC_CV_COUNT * inst.tau - inst.resource_cv
    if bud <= 0:
        return False
    Ptot = inst.P.sum()
    coefs = np.zeros(nvar)
    rhs = 0.0
    for n in cols.names:
        R = _total(inst, mdl.relax, n)
        a = Ptot / (R * R)
        if cols.pw_at:
            assert bps is not None
            _add_pwl_rows(mdl, n, a, qfix[n], np.asarray(bps[n], float), coefs)
        else:
            s = math.sqrt(max((v0 or {}).get(n, 1e-6), 1e-6))
            coefs[cols.zcol(n): cols.zcol(n) + M] += a / (2 * s)
            rhs += -(s + (a * qfix[n] - 1 - s * s) / (2 * s))
    rows.add(sparse.csr_matrix(coefs.reshape(1, -1)), -np.inf, bud + rhs)
    return True


def _row(nvar: int, *parts: tuple[np.ndarray | int | slice, float | np.ndarray]) -> np.ndarray:
    """Return one dense (1, nvar) row with ``value`` at each ``where`` of ``parts``."""
    row = np.zeros(nvar)
    for where, value in parts:
        row[where] = value
    return row.reshape(1, -1)


def _add_pwl_rows(mdl: _Model, n: str, a: float, qfix: float, b: np.ndarray, coefs: np.ndarray) -> None:
    """Rows: v_n = a·(Σz + qfix) − 1 as a convex combination of the breakpoints ``b`` (λ), with
    at most two adjacent λ non-zero (the segment binaries y); add sqrt(b)·λ to ``coefs``."""
    cols, rows = mdl.cols, mdl.rows
    nvar = cols.nvar
    first, nb = cols.pw_at[n]
    lam = first + np.arange(nb)
    ys = first + nb + np.arange(nb - 1)
    z = slice(cols.zcol(n), cols.zcol(n) + cols.M)
    rows.add(_row(nvar, (z, a), (lam, -b)), 1 - a * qfix, 1 - a * qfix)
    rows.add(_row(nvar, (lam, 1.0)), 1, 1)
    rows.add(_row(nvar, (ys, 1.0)), 1, 1)
    for j in range(nb):  # λ_j ≤ y_{j−1} + y_j (SOS2 by binaries)
        row = _row(nvar, (lam[j], 1.0))
        if j > 0:
            row[0, ys[j - 1]] = -1
        if j < nb - 1:
            row[0, ys[j]] = -1
        rows.add(row, -np.inf, 0)
    coefs[lam] += np.sqrt(np.maximum(b, 0))


# ------------------------------------------------------------------------------ the chords


def _initial_cuts(mdl: _Model) -> dict[str, list[tuple[int, int]]]:
    """Put the first chords in ``mdl.chords`` and return the first tangents, per name.

    The counts move towards the proportional share R·Pᵢ/P: exact chords near both ends,
    tangents (valid under-estimators everywhere) every few teachers in between."""
    inst, cols = mdl.inst, mdl.cols
    tangents: dict[str, list[tuple[int, int]]] = {n: [] for n in cols.names}
    for n in cols.names:
        b = mdl.base_m[n].astype(int)
        lo_n = inst.lb[n].astype(int)
        target = np.rint(inst.base[n].sum() * mdl.Pm / inst.P.sum()).astype(int)
        for m in range(cols.M):
            for centre in {b[m], target[m]}:
                for av in range(max(lo_n[m], centre - _CHORD_WINDOW), centre + _CHORD_WINDOW + 1):
                    mdl.chords[n].add((m, av))
            lo_a, hi_a = sorted((b[m], target[m]))
            tangents[n].extend((m, a) for a in range(max(lo_n[m], lo_a), hi_a + 1, _TANGENT_STEP))
    return tangents


def _add_cut_rows(mdl: _Model, n: str, ms: np.ndarray, slope: np.ndarray, lower: np.ndarray) -> None:
    """Rows: z[m] − slope·(count change of ``n`` at m) ≥ lower, for each unit m of ``ms``."""
    cols = mdl.cols
    k = len(ms)
    Acnt = mdl.count_rows[n][ms]
    if cols.nh and cols.adds(n):
        Acnt = sparse.hstack([Acnt, sparse.csr_matrix((np.ones(k), (np.arange(k), ms)), shape=(k, cols.M))])
    Az = sparse.csr_matrix((np.ones(k), (np.arange(k), cols.zcol(n) + ms)), shape=(k, cols.nvar))
    mdl.rows.add(Az - cols.pad(sparse.diags(slope) @ Acnt), lower, np.inf)


def _add_chords(mdl: _Model, n: str, items: set[tuple[int, int]] | list[tuple[int, int]]) -> None:
    """Rows: z ≥ the chord of C²/P between a and a + 1, at each (unit, a) of ``items``."""
    ordered = sorted(items)
    if not ordered:
        return
    ms = np.array([m for m, _ in ordered])
    a = np.array([v for _, v in ordered], float)
    slope = (2 * a + 1) / mdl.Pm[ms]
    # z − slope·(Σ coef D) ≥ (slope·base − (a² + a)/P)
    _add_cut_rows(mdl, n, ms, slope, slope * mdl.base_m[n][ms] - (a * a + a) / mdl.Pm[ms])


def _add_tangents(mdl: _Model, n: str, items: list[tuple[int, int]] | list[tuple[int, float]]) -> None:
    """Rows: z ≥ the tangent of C²/P at a (whole or not), at each (unit, a) of ``items``."""
    if not items:
        return
    ms = np.array([m for m, _ in items])
    a = np.array([v for _, v in items], float)
    slope = 2 * a / mdl.Pm[ms]
    # z ≥ (2aC − a²)/P, C = base + Σ coef D
    _add_cut_rows(mdl, n, ms, slope, slope * mdl.base_m[n][ms] - a * a / mdl.Pm[ms])


def _add_violated_chords(mdl: _Model, solution: np.ndarray, x: np.ndarray) -> bool:
    """Add the chords at the counts of a solution whose z under-estimates C²/P; return whether any was added.

    ``solution`` is the solver's vector, ``x`` its rounded flow and hire columns."""
    inst, cols = mdl.inst, mdl.cols
    M, K, nf, nh = cols.M, cols.K, cols.nf, cols.nh
    net = (mdl.D @ x[:nf]).reshape(M, K) if nf else np.zeros((M, K))
    new = False
    for n in cols.names:
        cnt = mdl.base_m[n] + net @ _coef(n, inst.attrs, inst.classes)
        if nh and cols.adds(n):
            cnt = cnt + x[nf: nf + nh]
        z = solution[cols.zcol(n): cols.zcol(n) + M]
        true = cnt ** 2 / mdl.Pm
        bad = np.flatnonzero(true > z + 1e-9 * np.maximum(1, true))
        add_items = []
        for mi in bad.tolist():
            for av in (int(cnt[mi]) - 1, int(cnt[mi])):
                if av >= 0 and (mi, av) not in mdl.chords[n]:
                    mdl.chords[n].add((mi, av))
                    add_items.append((mi, av))
        if add_items:
            new = True
            _add_chords(mdl, n, add_items)
    return new


# ------------------------------------------------------------------------------ the solve


def _integrality(cols: _Columns) -> tuple[np.ndarray, np.ndarray]:
    """Return (integrality, upper bounds): flows and hires integer, segment binaries 0/1, the
    class flows F_c continuous."""
    integrality = np.concatenate([np.ones(cols.nf + cols.nh), np.zeros(cols.nz), np.zeros(cols.npw)])
    ub = np.full(cols.nvar, np.inf)
    for first, nb in cols.pw_at.values():
        integrality[first + nb: first + 2 * nb - 1] = 1
        ub[first + nb: first + 2 * nb - 1] = 1
    if cols.ny:  # the per-school rule's binaries
        at = cols.Fcol - cols.ny
        integrality = np.concatenate([integrality, np.ones(cols.ny)])
        ub[at: at + cols.ny] = 1
    integrality = np.concatenate([integrality, np.zeros(cols.nF)])  # F_c = Σ out: whole at whole flows
    return integrality, ub


def _result(mdl: _Model, cost: np.ndarray, x: np.ndarray, res: Any, status: str, proven: float) -> _Flows:
    """Return the flows of the last solution ``x`` (rounded flow and hire columns)."""
    cols = mdl.cols
    M, K, nf, nh = cols.M, cols.K, cols.nf, cols.nh
    out = (cols.E_out @ x[:nf]).reshape(M, K)
    inn = (cols.E_in @ x[:nf]).reshape(M, K)
    pairs = []
    if cols.use_pairs:
        xv = x[:nf].reshape(len(cols.pa), K)
        for p, c in zip(*np.nonzero(xv)):
            pairs.append((int(cols.pa[p]), int(cols.pb[p]), int(c), int(xv[p, c])))
    bound = max(_dual_bound(res), proven) if res.status != STATUS_OPTIMAL else float(res.fun)
    return _Flows(status, out, inn, pairs, float(cost[:nf] @ x[:nf]), bound, x[nf: nf + nh] if nh else None)


def _solve_lazily(mdl: _Model, deadline: Deadline, cutoff: float | None = None, lp: bool = False) -> _Flows:
    """Solve the model, adding the chords the solution violates, until none is (or rounds/time
    run out).  A time-out is status "timeout" (nothing proven but the bound), never infeasible;
    only HiGHS's proof of infeasibility gives "infeasible".  ``cutoff``: a known plan's number
    of transfers (the greedy incumbent), added as a row objective ≤ cutoff − 1 would lose
    it, so it is only an upper bound on the objective (objective ≤ cutoff)."""
    cols = mdl.cols
    cost = np.zeros(cols.nvar)
    cost[:cols.nf] = np.asarray(cols.E_out.sum(axis=0)).ravel()
    integrality, ub = _integrality(cols)
    if lp:  # the linear relaxation: only its bound is used (ceil: transfers are whole)
        integrality = np.zeros_like(integrality)
    bounds = Bounds(np.zeros(cols.nvar), ub)
    if cutoff is not None and np.isfinite(cutoff):
        mdl.rows.add(cost.reshape(1, -1), -np.inf, cutoff)
    status = "infeasible"
    proven = 0.0
    res: Any = None
    x = np.zeros(0)
    for _ in range(_MAX_ROUNDS):
        if deadline.expired():
            return _no_flows(cols.M, cols.K, "timeout", math.inf, proven)
        res = _milp(cost, constraints=mdl.rows.constraint(), integrality=integrality, bounds=bounds,
                    options={"mip_rel_gap": 0.0, "disp": False}, deadline=deadline)
        if res.x is None:
            status = "infeasible" if res.status == STATUS_INFEASIBLE else "timeout"
            return _no_flows(cols.M, cols.K, status, math.inf, max(_dual_bound(res), proven))
        # the optimum, or HiGHS's dual bound, of a relaxation (fewer chords): a proven lower bound
        proven = max(proven, float(res.fun) if res.status == STATUS_OPTIMAL else _dual_bound(res))
        x = np.round(res.x[: cols.nf + cols.nh])
        if not _add_violated_chords(mdl, res.x, x):
            status = "optimal" if res.status == STATUS_OPTIMAL else "feasible"
            break
    return _result(mdl, cost, x, res, status, proven)


def _solve_flows(inst: _Inst, relax: _Relax, *, basic_mode: str = "exact", v0: dict[str, float] | None = None,
                 bps: dict[str, list[float]] | None = None, deadline: Deadline | None = None,
                 cutoff: float | None = None, lp: bool = False) -> _Flows:
    """Solve the fewest-transfers MILP (lazy chords).  basic_mode for the basic composite:
    'tangent' (conservative: sqrt replaced by its tangent at v0, an over-estimate) or 'pwl'
    (relaxation: sqrt replaced by its piecewise-linear interpolation at the breakpoints ``bps``,
    an under-estimate since sqrt is concave; segments chosen by binaries).  Quality ignores it."""
    deadline = deadline or Deadline.after(20.0)
    if deadline.expired(_BUILD_RESERVE_S):  # no time to build and solve the model
        M, K = len(inst.movable), len(inst.classes)
        return _no_flows(M, K, "timeout", math.inf, 0.0)
    mdl = _model(inst, relax, _columns(inst, relax, basic_mode, bps))
    _add_stock_rows(mdl)
    _add_school_rows(mdl)
    _add_rotation_rows(mdl)
    if not _add_cv_rows(mdl, basic_mode, v0, bps):
        return _no_flows(mdl.cols.M, mdl.cols.K, "infeasible", math.inf, math.inf)
    tangents = _initial_cuts(mdl)
    for n in mdl.cols.names:
        _add_chords(mdl, n, mdl.chords[n])
        _add_tangents(mdl, n, tangents[n])
    return _solve_lazily(mdl, deadline, cutoff, lp)
