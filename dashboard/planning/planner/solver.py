"""HiGHS through scipy's ``milp``, in the calling process, with the solver's own time limit.

No child process is forked (threads + fork can deadlock inside the web server; Python 3.12 warns;
Windows has no fork): each call gets ``time_limit`` = what is left of the plan's
:class:`~dashboard.planning.planner.deadline.Deadline`.  HiGHS checks its time limit between
simplex iterations and branch-and-bound nodes; the benchmark reports how far it overruns
(``make bench``: ``worst_overrun_s``).  scipy's ``milp`` has no warm-start API: a greedy plan
can only be used as the incumbent outside the solver (docs/method.md §8)."""

from __future__ import annotations

import math
from typing import Any, Final

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from dashboard.planning.planner.deadline import MIN_SOLVE_S, Deadline

STATUS_OPTIMAL: Final = 0  # scipy's milp status codes
STATUS_NO_ANSWER: Final = 1  # time or iteration limit reached: nothing proven
STATUS_INFEASIBLE: Final = 2


class _NoTime:
    """A result without a solve: the deadline had passed (nothing proven)."""

    x = None
    status = STATUS_NO_ANSWER
    fun = None
    mip_dual_bound = None
    message = "time limit reached before the solver started"


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
    return milp(c, constraints=constraints, integrality=integrality, bounds=bounds, options=opts)


def _dual_bound(res: Any) -> float:
    """Return HiGHS's proven lower bound of a MILP result (0 when it reports none)."""
    b = getattr(res, "mip_dual_bound", None)
    return float(b) if b is not None and np.isfinite(b) else 0.0
