"""From flows to transfers: donors matched to receivers (nearest first), roster teachers named,
the attributes the goal does not involve spread in proportion to the donor's staff."""

from __future__ import annotations

from typing import Any

import numpy as np

from dashboard.planning.planner.flows import _Flows
from dashboard.planning.planner.instance import TEACHER_ATTRS, _distances, _Inst
from dashboard.planning.scenario import Transfer

Triple = tuple[int, int, int, int]  # (donor, receiver, class, count), units as movable positions


def _match(inst: _Inst, f: _Flows) -> list[Triple]:
    """Return (donor, receiver, class, count) transfers, donor ≠ receiver; per class nearest pairs
    first, as far as the split into real moves allows (:func:`_split_class`)."""
    if f.pairs:
        return f.pairs
    dist = _distances(inst)
    dist = np.where(np.isfinite(dist), dist, 0.0)
    out = []
    for c in range(len(inst.classes)):
        give = np.rint(f.out[:, c]).astype(np.int64)
        take = np.rint(f.inn[:, c]).astype(np.int64)
        out += [(a, b, c, k) for a, b, k in _split_class(give, take, dist)]
    return out


def _cancel_self(give: np.ndarray, take: np.ndarray) -> None:
    """Cancel, in place, what no split into real moves can carry: a unit whose out + in exceeds
    the class's flow F gives and takes s − F teachers back to itself (no move).  The flow
    model's rows (docs/method.md §9.4) leave nothing to cancel; rounded or unmatched flows may."""
    while True:
        flow = min(int(give.sum()), int(take.sum()))
        over = give + take - flow
        m = int(np.argmax(over))
        if over[m] <= 0 or flow == 0:
            return
        k = int(min(over[m], give[m], take[m]))
        if k <= 0:
            return
        give[m] -= k
        take[m] -= k


def _largest(s: np.ndarray) -> list[tuple[int, int]]:
    """Return the three units of largest ``s`` as (unit, s), largest first."""
    top = np.argsort(-s, kind="stable")[:3]
    return [(int(m), int(s[m])) for m in top]


def _room(top: list[tuple[int, int]], flow: int, a: int, b: int) -> int:
    """Return how many teachers a → b may carry keeping every other unit's out + in ≤ the flow
    left (``top``: the :func:`_largest` units; one not a or b is the largest of the others)."""
    return flow - next((v for m, v in top if m not in (a, b)), 0)


def _split_class(give: np.ndarray, take: np.ndarray, dist: np.ndarray) -> list[tuple[int, int, int]]:
    """Split one class's flows into (donor, receiver, count) with donor ≠ receiver.

    Such a split exists iff every unit's give + take ≤ F, the class's flow (docs/method.md
    §9.4), and a move a → b of k keeps it for the rest iff every other unit's s = give + take is
    ≤ F − k.  First the nearest pairs, each as far as that allows; then, while flow is left, the
    unit of largest s with its nearest partner (a second unit with s = F first): with the
    condition holding, that move carries at least one teacher (at most two units have s = F,
    and then the one's give is the other's take), so every teacher is matched."""
    give, take = give.copy(), take.copy()
    _cancel_self(give, take)
    flow = int(give.sum())
    done: dict[tuple[int, int], int] = {}

    def move(a: int, b: int, k: int) -> None:
        nonlocal flow
        give[a] -= k
        take[b] -= k
        flow -= k
        done[(a, b)] = done.get((a, b), 0) + k

    cand = sorted((dist[a, b], a, b) for a in np.flatnonzero(give).tolist()
                  for b in np.flatnonzero(take).tolist() if a != b)
    top = _largest(give + take)
    for _, a, b in cand:
        k = min(int(give[a]), int(take[b]))
        if k > 0:
            k = min(k, _room(top, flow, a, b))
        if k > 0:
            move(a, b, k)
            top = _largest(give + take)
    while flow > 0:
        s = give + take
        u = int(np.argmax(s))
        side = take if give[u] > 0 else give  # u gives: a receiver; u only takes: a donor
        partners = [v for v in np.flatnonzero(side).tolist() if v != u]
        if not partners:
            break  # unreachable when the condition holds (see above)
        v = min(partners, key=lambda w: (s[w] < flow, dist[u, w], w))
        a, b = (u, v) if give[u] > 0 else (v, u)
        k = min(int(give[a]), int(take[b]), _room(_largest(s), flow, a, b))
        if k <= 0:
            break
        move(a, b, k)
    return [(a, b, k) for (a, b), k in done.items()]


def _group(inst: _Inst, triples: list[Triple]) -> dict[tuple[int, int], dict[str, Any]]:
    """Return per (donor, receiver): the count, the goal's attribute counts and the roster names."""
    grouped: dict[tuple[int, int], dict[str, Any]] = {}
    taken: dict[tuple[int, int], int] = {}
    for a, b, c, k in triples:
        g = grouped.setdefault((a, b), {"count": 0, "ids": [], **{x: 0 for x in TEACHER_ATTRS}})
        g["count"] += k
        for j, attr in enumerate(inst.attrs):
            g[attr] += int(inst.classes[c, j]) * k
        if inst.elig is not None:
            start = taken.get((a, c), 0)
            g["ids"].extend(inst.pool[(a, c)][start: start + k])
            taken[(a, c)] = start + k
    return grouped


def _named_attributes(inst: _Inst, grouped: dict[tuple[int, int], dict[str, Any]]) -> None:
    """Set every attribute count of each group from its named roster teachers."""
    flags = inst.flags
    assert flags is not None
    groups = list(grouped.values())
    ids = [i for g in groups for i in g["ids"]]
    if not ids:
        for g in groups:
            g.update(dict.fromkeys(TEACHER_ATTRS, 0))
        return
    values = flags[list(TEACHER_ATTRS)].to_numpy()[flags.index.get_indexer(ids)]  # one lookup for all
    at = 0
    for g in groups:
        k = len(g["ids"])
        sums = values[at: at + k].sum(axis=0) if k else np.zeros(len(TEACHER_ATTRS))
        at += k
        for attr, v in zip(TEACHER_ATTRS, sums):
            g[attr] = int(v)


def _proportional_attributes(inst: _Inst, grouped: dict[tuple[int, int], dict[str, Any]]) -> None:
    """Set the attributes the goal does not involve in proportion to the donor's staff (no roster)."""
    sent: dict[int, int] = {}
    for (a, _b), g in grouped.items():
        sent[a] = sent.get(a, 0) + g["count"]
    for attr in TEACHER_ATTRS:
        if attr in inst.attrs:
            continue
        for a, n in sent.items():
            T, A = inst.own_T[a], inst.own_A[attr][a]
            want = int(min(n, A, max(n - (T - A), round(n * A / T) if T else 0)))
            for (aa, _b), g in sorted(grouped.items()):
                if aa != a:
                    continue
                k = min(want, g["count"])
                g[attr] = k
                want -= k


def _moves(inst: _Inst, triples: list[Triple]) -> tuple[Transfer, ...]:
    """Turn (donor, receiver, class, count) into Transfer actions, naming roster teachers.

    The actions are in school order, not in the order the moves were found: they apply in any
    order because no donor gives more than its own staff (the flow model's stock rows, the
    greedy's own counts), and the attributes the goal does not involve are spread within it."""
    grouped = _group(inst, triples)
    if inst.elig is not None:
        _named_attributes(inst, grouped)
    else:
        _proportional_attributes(inst, grouped)
    moves = []
    for (a, b), g in sorted(grouped.items(), key=lambda kv: (inst.school_of[kv[0][0]], inst.school_of[kv[0][1]])):
        moves.append(Transfer(inst.school_of[a], inst.school_of[b], inst.goal.stage, int(g["count"]),
                              above_degree=int(g["above_degree"]), mid_title=int(g["mid_title"]),
                              backbone=int(g["backbone"]), pe_art=int(g["pe_art"]), teacher_ids=tuple(g["ids"])))
    return tuple(moves)
