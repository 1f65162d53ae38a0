"""Teacher counts after a set of transfers, and the teacher part of the goal judged on them
(the evaluation's rounding rule, as the engine judges)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from dashboard.method.coefficients import judge
from dashboard.planning.planner.flows import _Flows, _Relax
from dashboard.planning.planner.instance import BASIC_CV_COUNT, _coef, _Inst
from dashboard.planning.scenario import Transfer


def _counts_after(inst: _Inst, out: np.ndarray, inn: np.ndarray) -> dict[str, np.ndarray]:
    """Return every unit's counts (each name and the head count) after the (M, K) out/in flows."""
    net = inn - out
    res = {}
    for n in {*inst.names, "teachers"}:
        c = inst.base[n].copy()
        c[inst.movable] += net @ _coef(n, inst.attrs, inst.classes)
        res[n] = c
    return res


def _base_counts(inst: _Inst) -> dict[str, np.ndarray]:
    """Return every unit's counts before any transfer."""
    return {n: inst.base[n] for n in {*inst.names, "teachers"}}


def _flow_counts(inst: _Inst, f: _Flows, relax: _Relax) -> dict[str, np.ndarray]:
    """Return every unit's counts after the flows (and the hires of ``relax``)."""
    counts = _counts_after(inst, f.out, f.inn)
    if f.hires is not None:
        for n in counts:
            if n in relax.hire or n == "teachers":
                counts[n][inst.movable] += f.hires
    return counts


def _cv_passes(inst: _Inst, cv: float) -> bool:
    """Return whether ``cv`` passes the threshold under the evaluation's rounding rule."""
    return bool(judge(cv, inst.threshold, inst.params.round_dp, inst.params.near_margin)[0])


def _teacher_goal_met(inst: _Inst, counts: dict[str, np.ndarray]) -> bool:
    """Return whether the teacher part of the goal holds for these counts (judged as the engine)."""
    P = inst.P.sum()
    cvs = {}
    for n in inst.names:
        R = counts[n].sum()
        if R <= 0:
            return False
        cvs[n] = math.sqrt(max(P * float(np.sum(counts[n] ** 2 / inst.P)) / (R * R) - 1, 0.0))
    if inst.goal.scheme == "basic":
        return _cv_passes(inst, (sum(cvs.values()) + inst.resource_cv) / BASIC_CV_COUNT)
    return all(_cv_passes(inst, v) for v in cvs.values())


def _v_of(inst: _Inst, counts: dict[str, np.ndarray]) -> dict[str, float]:
    """Return each teacher CV² of these counts."""
    P = inst.P.sum()
    out = {}
    for n in inst.names:
        R = counts[n].sum()
        out[n] = max(P * float(np.sum(counts[n] ** 2 / inst.P)) / (R * R) - 1, 0.0)
    return out


def _net_from_triples(inst: _Inst, triples: Sequence[tuple[int, int, int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Return (out, in) per movable unit and class of (donor, receiver, class, count) moves."""
    M, K = len(inst.movable), len(inst.classes)
    out, inn = np.zeros((M, K)), np.zeros((M, K))
    for a, b, c, k in triples:
        out[a, c] += k
        inn[b, c] += k
    return out, inn


def _net_arrays(inst: _Inst, moves: Sequence[Transfer]) -> tuple[np.ndarray, np.ndarray]:
    """Return (out, in) per movable unit and class implied by ``moves`` (class from counts)."""
    M, K = len(inst.movable), len(inst.classes)
    out, inn = np.zeros((M, K)), np.zeros((M, K))
    pos = {s: m for m, s in enumerate(inst.school_of)}
    for mv in moves:
        a, b = pos[mv.from_school_id], pos[mv.to_school_id]
        # attribute totals are what matter for the counts: spread them over one class each
        left = mv.count
        for j, attr in enumerate(inst.attrs):
            k = getattr(mv, attr)
            c = 1 << j
            out[a, c] += k
            inn[b, c] += k
            left -= k
        out[a, 0] += left
        inn[b, 0] += left
    return out, inn


def _teacher_cv_sum(inst: _Inst, moves: Sequence[Transfer]) -> float:
    """Return Σ of the teacher CVs after ``moves`` (basic: their part of the composite)."""
    counts = _counts_after(inst, *_net_arrays(inst, moves))
    return sum(math.sqrt(v) for v in _v_of(inst, counts).values())
