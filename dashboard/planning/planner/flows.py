"""The flow model's inputs, outputs and column layout: the relaxations tried for explanations,
the flows found, and the columns (flows, hires, z per unit and CV name, piecewise-linear λ and y).

Without a distance limit any donor can serve any receiver, so per-unit flows are exact and the
moves are matched afterwards (nearest first); with ``max_km`` the flows are per allowed pair.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from dashboard.planning.planner.instance import _distances, _Inst


@dataclass
class _Relax:
    """Which constraints to drop or which hires to allow (for explanations)."""

    drop: frozenset[str] = frozenset()
    hire: dict[str, int] = field(default_factory=dict)  # name -> teachers of that attribute hired
    only: tuple[str, ...] | None = None  # CV constraints to keep (names); None = all


@dataclass
class _Flows:
    """A solution of the flow model: teachers leaving and arriving per movable unit and class."""

    status: str  # optimal | feasible | infeasible | timeout
    out: np.ndarray  # (M, K)
    inn: np.ndarray  # (M, K)
    pairs: list[tuple[int, int, int, int]]  # (donor m, receiver m, class, count), pair mode only
    objective: float
    bound: float
    hires: np.ndarray | None = None  # (M,) hires placed (explanations)


def _no_flows(M: int, K: int, status: str, objective: float, bound: float) -> _Flows:
    """Return a result without a plan (no flow at all)."""
    return _Flows(status, np.zeros((M, K)), np.zeros((M, K)), [], objective, bound)


def _total(inst: _Inst, relax: _Relax, n: str) -> float:
    """Return the county total of count ``n`` (hires included: a hire is counted in the head count too)."""
    return inst.base[n].sum() + sum(h for k, h in relax.hire.items() if k == n or n == "teachers")


def _cv_caps(inst: _Inst, relax: _Relax) -> dict[str, float]:
    """Return, per count name, the cap on Σ C²/P over all units: (1+τ²)R²/P."""
    P = inst.P.sum()
    out = {}
    for n in inst.names:
        R = _total(inst, relax, n)
        out[n] = (1 + inst.tau ** 2) * R * R / P
    return out


# ------------------------------------------------------------------------------ the columns


@dataclass(frozen=True)
class _Columns:
    """The column layout of one flow model and the flow incidence matrices."""

    M: int  # movable units
    K: int  # teacher classes
    use_pairs: bool  # flows per allowed (donor, receiver) pair: a distance limit
    nf: int  # flow columns
    nh: int  # hire columns (M with a hire, else 0)
    names: tuple[str, ...]  # the CV constraints kept
    hire_name: str | None
    pa: np.ndarray  # pair mode: donor of each allowed pair (empty otherwise)
    pb: np.ndarray  # pair mode: receiver of each allowed pair
    E_out: sparse.csr_matrix  # (M*K, nf) teachers leaving each unit and class
    E_in: sparse.csr_matrix  # (M*K, nf) teachers arriving
    pw_at: dict[str, tuple[int, int]]  # name -> (first λ column, breakpoints)
    npw: int  # λ and y columns
    relieved: np.ndarray  # per-school rule: the units that may leave a teacher minimum at 85 %
    rule_names: tuple[str, ...]  # ... one binary per such unit and name (relieved or not)
    nF: int = 0  # rotation's real-move rows: one column per class, its total flow F_c (last)

    @property
    def nz(self) -> int:
        """Return the number of z columns (one per unit and name)."""
        return self.M * len(self.names)

    @property
    def nvar(self) -> int:
        """Return the number of columns."""
        return self.nf + self.nh + self.nz + self.npw + self.ny + self.nF

    @property
    def Fcol(self) -> int:
        """Return the first class-flow column F_c (docs/method.md §9.4; the last K columns)."""
        return self.nf + self.nh + self.nz + self.npw + self.ny

    @property
    def ny(self) -> int:
        """Return the number of per-school rule binaries (one per relievable unit and name)."""
        return len(self.relieved) * len(self.rule_names)

    def ycol(self, n: str) -> int:
        """Return the first per-school rule binary of name ``n``."""
        return self.nf + self.nh + self.nz + self.npw + self.rule_names.index(n) * len(self.relieved)

    def zcol(self, n: str) -> int:
        """Return the first z column of name ``n``."""
        return self.nf + self.nh + self.names.index(n) * self.M

    def adds(self, n: str) -> bool:
        """Whether a hire raises count ``n`` (a hired teacher counts in the head count too)."""
        return self.hire_name is not None and (n == self.hire_name or n == "teachers")

    def pad(self, A: sparse.spmatrix | np.ndarray, at: int = 0) -> sparse.csr_matrix:
        """Place a block of columns starting at ``at`` in a full-width matrix."""
        A = sparse.csr_matrix(A)
        parts = []
        if at:
            parts.append(sparse.csr_matrix((A.shape[0], at)))
        parts.append(A)
        rest = self.nvar - at - A.shape[1]
        if rest:
            parts.append(sparse.csr_matrix((A.shape[0], rest)))
        return sparse.hstack(parts).tocsr()

    def unit_sum(self, coef: np.ndarray, E: sparse.spmatrix) -> sparse.csr_matrix:
        """Return the per-unit sums over classes, weighted by ``coef``, of the flows ``E``."""
        S = sparse.kron(sparse.identity(self.M), sparse.csr_matrix(coef.reshape(1, -1)))
        return (S @ E).tocsr()

    def with_hires(self, A: sparse.spmatrix) -> sparse.spmatrix:
        """Return ``A`` (M rows over the flows) with the hire columns beside it."""
        return sparse.hstack([A, sparse.identity(self.M)])


def _flow_incidence(inst: _Inst, use_pairs: bool) -> tuple[np.ndarray, np.ndarray, sparse.csr_matrix,
                                                            sparse.csr_matrix]:
    """Return (pair donors, pair receivers, E_out, E_in) of the flow columns."""
    M, K = len(inst.movable), len(inst.classes)
    if not use_pairs:
        eye, zero = sparse.identity(M * K), sparse.csr_matrix((M * K, M * K))
        return (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64),
                sparse.hstack([eye, zero]).tocsr(), sparse.hstack([zero, eye]).tocsr())
    dist = _distances(inst)
    ok = (dist <= inst.cons.max_km) & ~np.eye(M, dtype=bool)
    ok &= np.isfinite(dist)
    pa, pb = np.nonzero(ok)
    nf = len(pa) * K
    # out[(m,c)] = Σ_p x[p,c] with pa[p] = m
    rows_o = (pa[:, None] * K + np.arange(K)[None, :]).ravel()
    rows_i = (pb[:, None] * K + np.arange(K)[None, :]).ravel()
    cols = np.arange(nf)
    E_out = sparse.csr_matrix((np.ones(nf), (rows_o, cols)), shape=(M * K, nf))
    E_in = sparse.csr_matrix((np.ones(nf), (rows_i, cols)), shape=(M * K, nf))
    return pa, pb, E_out, E_in


def _columns(inst: _Inst, relax: _Relax, basic_mode: str, bps: dict[str, list[float]] | None) -> _Columns:
    """Return the column layout of the model for ``relax`` and ``basic_mode``."""
    M, K = len(inst.movable), len(inst.classes)
    use_pairs = inst.cons.max_km is not None and "max_km" not in relax.drop
    pa, pb, E_out, E_in = _flow_incidence(inst, use_pairs)
    nf = E_out.shape[1]
    hire_name = next(iter(relax.hire), None) if relax.hire else None
    nh = M if hire_name is not None else 0
    names = inst.names if relax.only is None else relax.only
    nz = M * len(names)
    pw_at: dict[str, tuple[int, int]] = {}
    npw = 0
    if inst.goal.scheme == "basic" and basic_mode == "pwl":
        assert bps is not None
        for n in names:
            pw_at[n] = (nf + nh + nz + npw, len(bps[n]))
            npw += 2 * len(bps[n]) - 1
    relieved = np.zeros(0, dtype=np.int64)
    if inst.relief is not None and "keep_minimums" not in relax.drop:
        relieved = np.flatnonzero(inst.relief > 0)
    # per-unit flows under the rotation rows: the real-move rows read each class's total flow
    real_moves = inst.cons.rotation and "rotation" not in relax.drop and not use_pairs
    return _Columns(M=M, K=K, use_pairs=use_pairs, nf=nf, nh=nh, names=names, hire_name=hire_name, pa=pa, pb=pb,
                    E_out=E_out, E_in=E_in, pw_at=pw_at, npw=npw, relieved=relieved,
                    rule_names=inst.names if len(relieved) else (), nF=K if real_moves else 0)
