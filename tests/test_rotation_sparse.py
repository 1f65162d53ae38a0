"""The rotation's real-move rows in their sparse form (docs/method.md §9.4): one class-flow
column F_c per class, Σ_u out[u, c] − F_c = 0, and out[m, c] + in[m, c] − F_c ≤ 0 per unit and
class (3 non-zeros each).  The dense form (each row holding the class's every out-flow) has the
same feasible set in the flows, so both must give the same optimum, status and bound; the block's
non-zeros must grow as M·K, not M²·K."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import sparse
from test_planner import instance
from test_rotation_oracle import CASES, CONS, county

from dashboard.method.standards import DEFAULT_PARAMS
from dashboard.planning.planner import PlanGoal
from dashboard.planning.planner import transfers as tr
from dashboard.planning.planner.deadline import Deadline
from dashboard.planning.planner.flows import _columns, _Relax
from dashboard.planning.planner.instance import _instance
from dashboard.planning.planner.relaxation import _solve_lp

GOAL = PlanGoal("quality", "primary", "transfers")


def _dense_rows(mdl: tr._Model) -> None:
    """The rows as they were: out[m, c] + in[m, c] − Σ_u out[u, c] ≤ 0, every out-flow of the class
    in each row (the class-flow columns left free)."""
    inst, cols = mdl.inst, mdl.cols
    M, K = cols.M, cols.K
    keep = np.flatnonzero(inst.elig.ravel() > 0)
    per_class = (sparse.kron(sparse.csr_matrix(np.ones((1, M))), sparse.identity(K)) @ cols.E_out).tocsr()
    mdl.rows.add(cols.pad((cols.E_out + cols.E_in).tocsr()[keep] - per_class[keep % K]), -np.inf, 0)


def _both(inst, monkeypatch, lp: bool = False):
    """Return (sparse, dense) results of the MILP (or, ``lp``, of the linear relaxation)."""
    def solve():
        if lp:
            return _solve_lp(inst, _Relax(), Deadline.after(20))
        return tr._solve_flows(inst, _Relax(), deadline=Deadline.after(20))

    sparse_form = solve()
    with monkeypatch.context() as m:
        m.setattr(tr, "_add_real_move_rows", _dense_rows)
        dense_form = solve()
    return sparse_form, dense_form


@pytest.mark.parametrize("name", sorted(CASES))
def test_sparse_and_dense_rows_give_the_same_optimum(name, monkeypatch):
    spec, recent, _ = CASES[name]
    schools, roster = county(spec, recent)
    inst = _instance(schools, GOAL, CONS, roster, DEFAULT_PARAMS, None)
    a, b = _both(inst, monkeypatch)
    assert a.status == b.status == "optimal"
    assert a.objective == b.objective >= inst.rotation_min
    lp_a, lp_b = _both(inst, monkeypatch, lp=True)
    assert lp_a.bound == pytest.approx(lp_b.bound, abs=1e-6)


group = st.tuples(st.integers(1, 4), st.integers(0, 1), st.integers(0, 1), st.integers(0, 1), st.integers(0, 1))
school = st.tuples(st.integers(60, 260), st.lists(group, min_size=1, max_size=3))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=st.lists(school, min_size=2, max_size=4), recent=st.integers(0, 3))
def test_random_counties_sparse_equals_dense(spec, recent, monkeypatch):
    schools, roster = instance(spec)
    year = int(schools["year"].iloc[0])
    roster.loc[roster.index[:recent], "start_year_at_school"] = year - 1  # a few not eligible
    inst = _instance(schools, GOAL, CONS, roster, DEFAULT_PARAMS, None)
    a, b = _both(inst, monkeypatch)
    assert a.status == b.status
    if a.status == "optimal":
        assert a.objective == b.objective


def test_the_block_is_sparse():
    """40 schools of 3 classes each: the block holds ≤ 3 non-zeros per row plus the K equalities'
    M + 1 each (the dense form: M + 2 per row)."""
    spec = [(120 + 7 * i, [(2, 1, 0, 1, 0), (3, 0, 1, 0, 0), (2, 1, 1, 0, 1), (4, 0, 0, 0, 0)]) for i in range(40)]
    schools, roster = instance(spec)
    inst = _instance(schools, GOAL, CONS, roster, DEFAULT_PARAMS, None)
    cols = _columns(inst, _Relax(), "exact", None)
    mdl = tr._model(inst, _Relax(), cols)
    tr._add_real_move_rows(mdl)
    M, K = cols.M, cols.K
    rows = int((inst.elig > 0).sum())
    nnz = sum(b.nnz for b in mdl.rows.blocks)
    assert cols.nF == K and M == 40 and rows == 3 * 40  # mid title is no class attribute of quality
    assert nnz <= 3 * rows + M * K + K
    assert nnz < rows * (M + 1) / 5  # what the dense rows held
