"""HiGHS through scipy's ``milp`` with the plan's deadline as its time limit.

Each call gets ``time_limit`` = what is left of the plan's
:class:`~dashboard.planning.planner.deadline.Deadline`.  A small model is solved in the calling
process (HiGHS keeps to its limit there); a model over ``HARD_DEADLINE_VARIABLES`` columns is
solved in a spawned worker (:mod:`.worker`, never ``fork``) that is stopped at the deadline,
because HiGHS can overrun its own limit on large models (measured: 25.4 s against 19.9 s).
scipy's ``milp`` has no warm-start API: a greedy plan can only be used as the incumbent outside
the solver, as a cutoff row (docs/method.md §9)."""

from __future__ import annotations

import math
from typing import Any, Final

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from dashboard.planning.planner.deadline import MIN_SOLVE_S, Deadline
from dashboard.planning.planner.worker import WorkerTimeout, run_in_worker

# above this many columns a MILP runs in a worker: in-process HiGHS overran 0.78 s by 0.56 s on
# a 1,255-column model of the 400-unit county (single-attribute bound)
HARD_DEADLINE_VARIABLES: Final = 1000

_WORKER_MARGIN: Final = 0.15  # of a worker's time, left between HiGHS's own limit and the kill
STATUS_OPTIMAL: Final = 0  # scipy's milp status codes
STATUS_NO_ANSWER: Final = 1  # time or iteration limit reached: nothing proven
STATUS_INFEASIBLE: Final = 2


class _NoTime:
    """A result without an answer: the deadline passed first (nothing proven)."""

    x = None
    status = STATUS_NO_ANSWER
    fun = None
    mip_dual_bound = None

    def __init__(self, message: str = "time limit reached before the solver started") -> None:
        self.message = message


def _milp(c: np.ndarray, *, constraints: LinearConstraint, integrality: np.ndarray,
          bounds: Bounds, options: dict[str, Any], deadline: Deadline | None = None) -> Any:
    """Return scipy's milp result with ``time_limit`` no later than ``deadline``.

    With the deadline passed no solve is started: status 1 (time limit), no solution, nothing
    proven -- never an infeasible model."""
    opts = dict(options)
    limit = float(opts.get("time_limit", math.inf))
    if deadline is not None:
        limit = min(limit, deadline.left())
    if limit <= MIN_SOLVE_S:
        return _NoTime()
    if math.isfinite(limit):
        opts["time_limit"] = limit
    kwargs = {"constraints": constraints, "integrality": integrality, "bounds": bounds, "options": opts}
    if len(c) <= HARD_DEADLINE_VARIABLES or not math.isfinite(limit):
        return milp(c, **kwargs)
    # HiGHS is asked to stop a little early, so that it usually returns its own answer (with
    # its dual bound); the worker is killed at the deadline only when HiGHS overruns
    opts["time_limit"] = max(limit * (1 - _WORKER_MARGIN), MIN_SOLVE_S)
    try:
        return run_in_worker(milp, (c,), kwargs, limit)
    except WorkerTimeout as exc:
        return _NoTime(f"time limit reached: the solver was stopped ({exc})")


def _dual_bound(res: Any) -> float:
    """Return HiGHS's proven lower bound of a MILP result (0 when it reports none)."""
    b = getattr(res, "mip_dual_bound", None)
    return float(b) if b is not None and np.isfinite(b) else 0.0
