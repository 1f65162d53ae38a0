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
    """Return (donor, receiver, class, count) transfers; per class nearest pairs first."""
    if f.pairs:
        return f.pairs
    dist = _distances(inst)
    dist = np.where(np.isfinite(dist), dist, 0.0)
    out = []
    for c in range(len(inst.classes)):
        give = {int(m): int(v) for m, v in enumerate(f.out[:, c]) if v > 0}
        take = {int(m): int(v) for m, v in enumerate(f.inn[:, c]) if v > 0}
        if not give:
            continue
        cand = sorted((dist[a, b], a, b) for a in give for b in take if a != b)
        for _, a, b in cand:
            k = min(give[a], take[b])
            if k > 0:
                out.append((a, b, c, k))
                give[a] -= k
                take[b] -= k
        for a in list(give):  # a unit both giving and taking the same class cancels out
            if give[a] and take.get(a):
                k = min(give[a], take[a])
                give[a] -= k
                take[a] -= k
    return out


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
