"""HiGHS through scipy's ``milp`` with a hard deadline: a large model runs in a forked child
that is stopped at its time limit (HiGHS does not always keep to ``time_limit`` on large models)."""

from __future__ import annotations

import math
import multiprocessing
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

# Above this many variables a MILP runs in a forked child that is stopped at its time limit:
# HiGHS does not always keep to ``time_limit`` on large models (seen: 27 s against 20 s).
HARD_DEADLINE_VARIABLES: Final = 1500
_HARD_GRACE_S: Final = 0.5
STATUS_OPTIMAL: Final = 0  # scipy's milp status codes
STATUS_NO_ANSWER: Final = 1  # time or iteration limit reached: nothing proven


@dataclass(frozen=True)
class _MilpResult:
    """The parts of scipy's OptimizeResult the planner reads, from a child process."""

    x: np.ndarray | None
    status: int
    fun: float | None
    mip_dual_bound: float | None
    message: str = ""


def _milp_child(conn: Any, args: tuple, kwargs: dict) -> None:  # pragma: no cover - in a child
    res = milp(*args, **kwargs)
    conn.send({"x": res.x, "status": res.status, "fun": res.fun,
               "mip_dual_bound": getattr(res, "mip_dual_bound", None)})
    conn.close()


def _milp(c: np.ndarray, *, constraints: LinearConstraint, integrality: np.ndarray,
          bounds: Bounds, options: dict[str, Any]) -> Any:
    """Return scipy's milp result; a large model is solved in a forked child that is killed
    ``time_limit`` (+ a grace) seconds later, reported as a time-out without a solution.

    A child that ends without an answer (killed by the system, out of memory) proves nothing
    either: it is reported the same way, status 1 with no solution and a message saying so,
    never as an infeasible model."""
    kwargs = {"constraints": constraints, "integrality": integrality, "bounds": bounds,
              "options": options}
    limit = float(options.get("time_limit", math.inf))
    if len(c) <= HARD_DEADLINE_VARIABLES or not math.isfinite(limit):
        return milp(c, **kwargs)
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_milp_child, args=(child, (c,), kwargs), daemon=True)
    proc.start()
    child.close()
    try:
        if parent.poll(limit + _HARD_GRACE_S):
            out = parent.recv()
            return _MilpResult(out["x"], out["status"], out["fun"], out["mip_dual_bound"])
        return _MilpResult(None, STATUS_NO_ANSWER, None, None, "time limit reached: the solver was stopped")
    except EOFError:  # the child died without an answer
        return _MilpResult(None, STATUS_NO_ANSWER, None, None, "the solver's process ended without an answer")
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
        parent.close()


def _dual_bound(res: Any) -> float:
    """Return HiGHS's proven lower bound of a MILP result (0 when it reports none)."""
    b = getattr(res, "mip_dual_bound", None)
    return float(b) if b is not None and np.isfinite(b) else 0.0
