"""The greedy transfer search: one teacher at a time along the steepest descent of the weighted
excess over the CV limits (a swap when the donor is at its staffing floor).  No optimality claim;
the preview's plan and the incumbent of a large county's exact plan.

Only a school's own teachers move, as in the exact model: what a school has received is never
given on.  The steps are merged into (donor, receiver, class, count) triples and grouped into
transfers in school order (:mod:`.moves`), so the order of the steps is lost; because every
school's gross outflow stays within its own staff (the roster's eligible teachers per class, or
without a roster the head count and each goal attribute's count and complement), the transfers
apply in any order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np

from dashboard.planning.planner.deadline import Deadline
from dashboard.planning.planner.instance import BASIC_CV_COUNT, _coef, _distances, _Inst
from dashboard.planning.planner.moves import Triple
from dashboard.planning.planner.types import ROTATION_BACKBONE_SHARE

_CANDIDATES: Final = 6  # best-scored (donor, receiver) pairs tried per class and step
_OFF_CAP_WEIGHT: Final = 0.05  # quality: weight of a CV already under its cap
_REPEAT_MAX: Final = 50  # batch: repetitions of one move at most

Step = tuple[float, list[tuple[int, int, int]]]  # (violation removed per teacher moved, moves)


@dataclass(frozen=True)
class _Problem:
    """What the greedy search does not change: the instance and the figures of its CV limits."""

    inst: _Inst
    coef: np.ndarray  # (k, K) what a teacher of each class adds to each count
    lbs: np.ndarray  # (k, M) least counts
    allowed: np.ndarray  # (M, M) donor → receiver pairs allowed
    Pm: np.ndarray  # pupils of the movable units
    P: float  # pupils in the county
    qfix: np.ndarray  # (k,) Σ C²/P of the units no transfer changes
    R: np.ndarray  # (k,) county totals
    caps: np.ndarray  # (k,) caps on Σ C²/P

    @property
    def R2(self) -> np.ndarray:
        """Return each county total squared; infinite for a total of 0 (a count no transfer
        changes, its CV 0 in the basic composite here; no 0/0)."""
        return np.where(self.R > 0, self.R * self.R, np.inf)

    def violation(self, Q: np.ndarray) -> float:
        """Return the weighted excess over the CV limits of the Σ C²/P values ``Q``."""
        inst = self.inst
        if inst.goal.scheme == "basic":
            v = np.maximum(self.P * Q / self.R2 - 1, 0)
            return max(float(np.sqrt(v).sum()) + inst.resource_cv - BASIC_CV_COUNT * inst.tau, 0.0)
        return float(np.sum(np.maximum(Q - self.caps, 0) / self.caps))

    def violations(self, Qs: np.ndarray) -> np.ndarray:
        """Return :meth:`violation` of each column of ``Qs`` (k, n), at once."""
        inst = self.inst
        if inst.goal.scheme == "basic":
            v = np.maximum(self.P * Qs / self.R2[:, None] - 1, 0)
            return np.maximum(np.sqrt(v).sum(axis=0) + inst.resource_cv - BASIC_CV_COUNT * inst.tau, 0.0)
        return np.sum(np.maximum(Qs - self.caps[:, None], 0) / self.caps[:, None], axis=0)


@dataclass
class _State:
    """The greedy search's counts so far (changed by each step)."""

    cnt: np.ndarray  # (k, M) counts at the movable units
    T: np.ndarray  # (M,) teachers at each school (arrivals included: the staffing floor)
    own: np.ndarray  # (1 + j, M) own teachers not moved yet: head count, then each goal attribute
    stock: np.ndarray | None  # (M, K) roster teachers still eligible to move
    moved: np.ndarray  # (M,) teachers moved in or out
    triples: dict[tuple[int, int, int], int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Round:
    """The figures of one step's search, at the current state."""

    Q: np.ndarray
    V: float
    gain: np.ndarray  # (k, M) ΔQ receiving one
    loss: np.ndarray  # (k, M) ΔQ giving one (subtracted)
    gives: list[np.ndarray]  # per class: which units can give one
    gives_at: np.ndarray  # (M, K) the same, by unit
    at_floor: np.ndarray  # (M,) donors at their staffing floor


def _problem(inst: _Inst) -> _Problem:
    """Return the fixed figures of the greedy search on ``inst``."""
    M = len(inst.movable)
    names = inst.names
    allowed = np.ones((M, M), bool) & ~np.eye(M, dtype=bool)
    if inst.cons.max_km is not None:
        d = _distances(inst)
        allowed &= np.isfinite(d) & (d <= inst.cons.max_km)
    P = inst.P.sum()
    fixed = np.ones(len(inst.P), bool)
    fixed[inst.movable] = False
    R = np.array([inst.base[n].sum() for n in names])
    return _Problem(inst=inst, coef=np.array([_coef(n, inst.attrs, inst.classes) for n in names]),
                    lbs=np.array([inst.lb[n] for n in names]), allowed=allowed, Pm=inst.P[inst.movable], P=P,
                    qfix=np.array([np.sum(inst.base[n][fixed] ** 2 / inst.P[fixed]) for n in names]),
                    R=R, caps=(1 + inst.tau ** 2) * R * R / P)


def _state(inst: _Inst) -> _State:
    """Return the greedy search's start: the counts before any transfer."""
    return _State(cnt=np.array([inst.base[n][inst.movable].astype(float) for n in inst.names]),
                  T=inst.own_T.copy(),
                  own=np.array([inst.own_T, *(inst.own_A[a] for a in inst.attrs)], dtype=float),
                  stock=inst.elig.astype(float).copy() if inst.elig is not None else None,
                  moved=np.zeros(len(inst.movable)))


def _can_give(prob: _Problem, st: _State, c: int, ok_give_all: np.ndarray) -> np.ndarray:
    """Return which units can give one teacher of class ``c`` (minimums, stock or marginals).

    Without a roster the marginals are those of the school's own teachers not moved yet, never
    of its arrivals: a teacher received is not given on (see the module's docstring)."""
    inst = prob.inst
    ok = ok_give_all & np.all((st.cnt - prob.coef[:, c][:, None]) >= prob.lbs - 1e-9, axis=0)
    if st.stock is not None:
        return ok & (st.stock[:, c] >= 1)
    head = st.own[0]
    ok &= head >= 1
    for jj in range(len(inst.attrs)):
        has = st.own[1 + jj]
        ok &= (has >= 1) if inst.classes[c, jj] else (head - has >= 1)
    return ok


def _weights(prob: _Problem, Q: np.ndarray) -> np.ndarray:
    """Return the weight of each count's ΔQ in the violation (its local slope)."""
    v = np.maximum(prob.P * Q / prob.R2 - 1, 0)
    if prob.inst.goal.scheme == "basic":
        return prob.P / (2 * prob.R2 * np.maximum(np.sqrt(v), 1e-9))
    return np.where(Q > prob.caps, 1 / prob.caps, _OFF_CAP_WEIGHT / prob.caps)


def _best_swap(prob: _Problem, st: _State, rnd: _Round, i: int, j: int, c: int, dq: np.ndarray,
               best: Step | None) -> Step | None:
    """Return the better of ``best`` and the swaps (i → j class c, j → i another class) for a
    donor ``i`` at its staffing floor."""
    limit = prob.inst.cons.max_moves_per_school
    if limit is not None and (st.moved[i] + 2 > limit or st.moved[j] + 2 > limit):
        return best
    ci = st.cnt[:, i] - prob.coef[:, c]  # the two schools' counts after the first move
    cj = st.cnt[:, j] + prob.coef[:, c]
    back = (2 * ci + 1) / prob.Pm[i] - (2 * cj - 1) / prob.Pm[j]  # ΔQ per teacher coming back
    ok = rnd.gives_at[j] & np.all(cj[:, None] - prob.coef >= prob.lbs[:, j][:, None] - 1e-9, axis=0)
    ok[c] = False
    if not ok.any():
        return best
    cand = np.flatnonzero(ok)  # every class that can come back, judged at once
    Vn = prob.violations((rnd.Q + dq)[:, None] + prob.coef[:, cand] * back[:, None])
    k = int(np.argmin(Vn))
    if Vn[k] < rnd.V - 1e-15 and (best is None or (rnd.V - Vn[k]) / 2 > best[0]):
        best = ((rnd.V - float(Vn[k])) / 2, [(i, j, c), (j, i, int(cand[k]))])
    return best


def _round(prob: _Problem, st: _State, Q: np.ndarray, V: float) -> tuple[_Round, np.ndarray]:
    """Return the step's figures and which units can receive (moves per school)."""
    cons, M, K = prob.inst.cons, len(st.T), len(prob.inst.classes)
    ok_recv = np.ones(M, bool)
    ok_give_all = np.ones(M, bool)
    if cons.max_moves_per_school is not None:
        ok_give_all = st.moved + 1 <= cons.max_moves_per_school
        ok_recv = ok_give_all.copy()
    gives = [_can_give(prob, st, c, ok_give_all) for c in range(K)]
    rnd = _Round(Q=Q, V=V, gain=(2 * st.cnt + 1) / prob.Pm, loss=(2 * st.cnt - 1) / prob.Pm,
                 gives=gives, gives_at=np.stack(gives, axis=1),
                 at_floor=st.T - 1 < prob.inst.floor_T - 1e-9)
    return rnd, ok_recv


def _top_pairs(prob: _Problem, g: np.ndarray, loss: np.ndarray, gives: np.ndarray,
               recv: np.ndarray) -> list[tuple[int, int]]:
    """Return the _CANDIDATES allowed (donor, receiver) pairs of least score g[j] − loss[i].

    The score is separable: without a distance limit the best pairs are among the best
    _CANDIDATES + 1 donors and receivers (O(M) instead of the O(M²) matrix)."""
    M = len(g)
    if prob.inst.cons.max_km is None:
        k = _CANDIDATES + 1
        gj = np.where(recv, g, np.inf)
        li = np.where(gives, loss, -np.inf)
        rs = np.argpartition(gj, min(k, M - 1))[:k]
        ds = np.argpartition(-li, min(k, M - 1))[:k]
        score = gj[rs][None, :] - li[ds][:, None]  # (donors, receivers), scored at once
        score = np.where(ds[:, None] != rs[None, :], score, np.inf).ravel()
        order = np.argsort(score, kind="stable")[:_CANDIDATES]
        return [(int(ds[f // len(rs)]), int(rs[f % len(rs)])) for f in order if np.isfinite(score[f])]
    score = g[None, :] - loss[:, None]
    score = np.where(prob.allowed & gives[:, None] & recv[None, :], score, np.inf).ravel()
    top = np.argpartition(score, min(_CANDIDATES, score.size - 1))[:_CANDIDATES]
    return [divmod(int(f), M) for f in top if np.isfinite(score[f])]


def _best_step(prob: _Problem, st: _State, Q: np.ndarray, V: float) -> Step | None:
    """Return the single move (or swap) that removes the most violation per teacher moved, or None."""
    K = len(prob.inst.classes)
    w = _weights(prob, Q)
    rnd, ok_recv = _round(prob, st, Q, V)
    best: Step | None = None
    for c in range(K):
        wc = w * prob.coef[:, c]
        if not wc.any() or not rnd.gives[c].any():
            continue
        for i, j in _top_pairs(prob, wc @ rnd.gain, wc @ rnd.loss, rnd.gives[c], ok_recv):
            dq = prob.coef[:, c] * (rnd.gain[:, j] - rnd.loss[:, i])
            if rnd.at_floor[i]:  # the donor is at its staffing floor: a swap, a teacher comes back
                best = _best_swap(prob, st, rnd, i, j, c, dq, best)
                continue
            Vn = prob.violation(Q + dq)
            if Vn < V - 1e-15 and (best is None or (V - Vn) > best[0]):
                best = ((V - Vn), [(i, j, c)])
    return best


def _apply(prob: _Problem, st: _State, i: int, j: int, c: int) -> None:
    """Move one teacher of class ``c`` from unit ``i`` to unit ``j``."""
    inst = prob.inst
    st.cnt[:, i] -= prob.coef[:, c]
    st.cnt[:, j] += prob.coef[:, c]
    st.T[i] -= 1
    st.T[j] += 1
    if st.stock is not None:
        st.stock[i, c] -= 1
    st.own[0, i] -= 1  # the receiver's own teachers do not change: arrivals are not given on
    st.own[1:, i] -= inst.classes[c]
    st.moved[i] += 1
    st.moved[j] += 1
    st.triples[(i, j, c)] = st.triples.get((i, j, c), 0) + 1


def _repeat_ok(prob: _Problem, st: _State, i: int, j: int, c: int) -> bool:
    """Whether one more teacher of class ``c`` can go from ``i`` to ``j`` (stock or marginals,
    minimums, staffing floor, moves per school) -- the checks of a single step."""
    limit = prob.inst.cons.max_moves_per_school
    if limit is not None and (st.moved[i] + 1 > limit or st.moved[j] + 1 > limit):
        return False
    if st.T[i] - 1 < prob.inst.floor_T[i] - 1e-9:
        return False
    one = np.zeros(len(st.T), bool)
    one[i] = True
    return bool(_can_give(prob, st, c, one)[i])


def _repeat(prob: _Problem, st: _State, move: tuple[int, int, int], gain: float, deadline: Deadline | None) -> None:
    """Repeat a single move while each repetition removes at least half the first one's gain
    (a batch: one search for several teachers of the same kind between the same schools)."""
    i, j, c = move
    for _ in range(_REPEAT_MAX):
        Q = prob.qfix + np.sum(st.cnt ** 2 / prob.Pm, axis=1)
        V = prob.violation(Q)
        if V <= 0 or not _repeat_ok(prob, st, i, j, c) or (deadline is not None and deadline.expired()):
            return
        dq = prob.coef[:, c] * ((2 * st.cnt[:, j] + 1) / prob.Pm[j] - (2 * st.cnt[:, i] - 1) / prob.Pm[i])
        if V - prob.violation(Q + dq) < 0.5 * gain:
            return
        _apply(prob, st, i, j, c)


def _greedy(inst: _Inst, max_steps: int, deadline: Deadline | None = None, *, batch: bool = False,
            start: list[Triple] | None = None) -> list[Triple]:
    """Greedy transfers: the single-teacher move that most lowers the weighted excess (stops at
    ``deadline``, with the moves so far); ``batch``: a move is repeated while it keeps paying
    (large counties: fewer searches); ``start``: moves made first, one teacher at a time, each
    only when every rule allows it (a rounded relaxation's moves), the search then finishes."""
    if len(inst.movable) < 2:
        return []
    prob = _problem(inst)
    st = _state(inst)
    for i, j, c, k in start or ():
        for _ in range(k):
            if not prob.allowed[i, j] or not _repeat_ok(prob, st, i, j, c):
                break
            _apply(prob, st, i, j, c)
    for _ in range(max_steps):
        Q = prob.qfix + np.sum(st.cnt ** 2 / prob.Pm, axis=1)
        V = prob.violation(Q)
        if V <= 0 or (deadline is not None and deadline.expired()):
            break
        best = _best_step(prob, st, Q, V)
        if best is None:
            break
        for i, j, c in best[1]:
            _apply(prob, st, i, j, c)
        if batch and len(best[1]) == 1:
            _repeat(prob, st, best[1][0], best[0], deadline)
    return [(i, j, c, k) for (i, j, c), k in st.triples.items()]


def _rotation_holds(inst: _Inst, moved: float, backbone: float) -> bool:
    """Whether ``moved`` teachers, ``backbone`` of them backbone, meet the rotation rows (none asked: True)."""
    if not inst.rotation_min:
        return True
    return moved >= inst.rotation_min and backbone >= ROTATION_BACKBONE_SHARE * moved - 1e-9


def _rotation_counts(inst: _Inst, triples: list[Triple]) -> tuple[np.ndarray, float, float]:
    """Return (backbone flag per class, teachers moved, backbone teachers moved) of ``triples``."""
    has = (inst.classes[:, inst.attrs.index("backbone")].astype(float) if "backbone" in inst.attrs
           else np.zeros(len(inst.classes)))
    return has, float(sum(k for *_, k in triples)), float(sum(k * has[c] for _, _, c, k in triples))


def _trim(inst: _Inst, triples: list[Triple], deadline: Deadline | None = None) -> list[Triple]:
    """Return ``triples`` with every single move left out that the plan does not need: the CV
    limits still hold without it, the receiver keeps its minimums and staffing floor (a
    rounded relaxation or a greedy search may overshoot), and the rotation rows still hold
    (docs/method.md §9.4: a move the CV limits do not need may be one the rotation needs).
    Leaving a move out never breaks a donor's rule (it keeps a teacher) nor a distance or
    moves-per-school limit."""
    if not triples:
        return triples
    has_bb, moved, backbone = _rotation_counts(inst, triples)
    prob = _problem(inst)
    out, inn = np.zeros((len(inst.movable), len(inst.classes))), np.zeros((len(inst.movable), len(inst.classes)))
    for i, j, c, k in triples:
        out[i, c] += k
        inn[j, c] += k
    net = inn - out
    cnt = np.array([inst.base[n][inst.movable] for n in inst.names], float) + prob.coef @ net.T
    T = inst.own_T + net.sum(axis=1)
    plan = {(i, j, c): k for i, j, c, k in triples}
    for (i, j, c), k in sorted(plan.items(), key=lambda kv: -kv[1]):
        for _ in range(k):
            if deadline is not None and deadline.expired():
                break
            trial = cnt.copy()
            trial[:, i] += prob.coef[:, c]
            trial[:, j] -= prob.coef[:, c]
            if T[j] - 1 < inst.floor_T[j] - 1e-9 or np.any(trial[:, j] < prob.lbs[:, j] - 1e-9):
                break
            if not _rotation_holds(inst, moved - 1, backbone - has_bb[c]):
                break
            if prob.violation(prob.qfix + np.sum(trial ** 2 / prob.Pm, axis=1)) > 0:
                break
            cnt = trial
            T[i] += 1
            T[j] -= 1
            moved, backbone = moved - 1, backbone - has_bb[c]
            plan[(i, j, c)] -= 1
    return [(i, j, c, k) for (i, j, c), k in plan.items() if k > 0]
