"""A proven lower bound of quality purchases under the per-school rule (docs/method.md §9.6).

Each unit may leave at most one resource at 85 % of its minimum (≥ 6 of 7 minimums, the rest
≥ 85 %); the CV limit of each resource is replaced by the cutting planes the per-resource
searches collected (outer approximations of its second-order cone, valid at every amount).
One binary per unit and resource chooses the relieved one.  The MILP's optimum, or HiGHS's
dual bound, is a lower bound of every plan within the searched boxes."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint

from dashboard.planning.planner.deadline import Deadline
from dashboard.planning.planner.solver import _dual_bound, _milp


def joint_bound(costs: Sequence[float], full: Sequence[np.ndarray], low: Sequence[np.ndarray],
                upper: Sequence[np.ndarray], cuts: Sequence[Sequence[tuple[np.ndarray, float]]],
                integer: Sequence[bool], deadline: Deadline) -> float:
    """Return a proven lower bound (元) of the purchases: per resource r, amounts a_r with
    low_r ≤ a_r ≤ upper_r, a_r ≥ full_r except at the one resource per unit that a binary
    relieves (to low_r), every cut row · a_r ≤ rhs.  0 when nothing is proven in time."""
    R, n = len(costs), len(full[0]) if len(full) else 0
    if R == 0 or n == 0:
        return 0.0
    nv = 2 * R * n  # a_r then y_r for each resource
    c = np.concatenate([np.full(n, float(costs[r])) for r in range(R)] + [np.zeros(R * n)])
    blocks, lo_rows, hi_rows = [], [], []
    for r in range(R):
        at = r * n
        rows = [row for row, _ in cuts[r]]
        if rows:
            A = sparse.hstack([sparse.csr_matrix((len(rows), at)), sparse.csr_matrix(np.array(rows)),
                               sparse.csr_matrix((len(rows), nv - at - n))])
            blocks.append(A)
            lo_rows.append(np.full(len(rows), -np.inf))
            hi_rows.append(np.array([rhs for _, rhs in cuts[r]]))
        d = np.maximum(full[r] - low[r], 0.0)  # a_r + d·y_r ≥ full_r
        eye = sparse.identity(n, format="csr")
        A = sparse.hstack([sparse.csr_matrix((n, at)), eye, sparse.csr_matrix((n, R * n - at - n)),
                           sparse.csr_matrix((n, at)), sparse.diags(d), sparse.csr_matrix((n, R * n - at - n))])
        blocks.append(A)
        lo_rows.append(np.asarray(full[r], float))
        hi_rows.append(np.full(n, np.inf))
    one = sparse.hstack([sparse.csr_matrix((n, R * n))] + [sparse.identity(n, format="csr")] * R)
    blocks.append(one)  # at most one resource relieved per unit
    lo_rows.append(np.full(n, -np.inf))
    hi_rows.append(np.ones(n))
    lb = np.concatenate([np.asarray(x, float) for x in low] + [np.zeros(R * n)])
    ub = np.concatenate([np.maximum(np.asarray(u, float), np.asarray(f, float)) for u, f in zip(upper, full)]
                        + [np.ones(R * n)])
    integrality = np.concatenate([np.full(n, 1 if integer[r] else 0) for r in range(R)] + [np.ones(R * n)])
    res = _milp(c, constraints=LinearConstraint(sparse.vstack(blocks).tocsr(), np.concatenate(lo_rows),
                                                np.concatenate(hi_rows)),
                integrality=integrality, bounds=Bounds(lb, ub), options={"disp": False}, deadline=deadline)
    # HiGHS's optimum is only within its relative gap: the dual bound is what is proven
    return _dual_bound(res)
