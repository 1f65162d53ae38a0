"""Meeting the rotation rule (G11) with moves that change no count (docs/method.md §9.4–§9.5).

A plan that reaches the CV goal but moves too few teachers for the rotation (≥ ⌈10 % of
eligible⌉ moved, backbone ≥ 20 % of those moved) is completed by *count-neutral* moves: a swap
of two teachers of one class between two schools (A → B and B → A), or a 3-cycle A → B → C → A
of one class.  Every school keeps its head count and each attribute's count, so the CV limits,
the kept minimums and the staffing floors hold as before; each move is a real move between two
different schools of a named eligible teacher (the stock left per school and class), within the
distance limit and the moves per school.  The least total is T = max(moved, least rotation,
⌈(moved − backbone moved) / 0.8⌉); the fill reaches T exactly where three schools can rotate a
class, else it may move one or two more (a swap where a 3-cycle was wanted), or the stock runs
out (None).  A heuristic for the large-county incumbent: the
plan's status comes from the bound (:mod:`.stages`), never from this module."""

from __future__ import annotations

import math

import numpy as np

from dashboard.planning.planner.greedy import _problem, _rotation_counts
from dashboard.planning.planner.instance import _distances, _Inst
from dashboard.planning.planner.moves import Triple
from dashboard.planning.planner.types import ROTATION_BACKBONE_SHARE


def _targets(inst: _Inst, moved: float, backbone: float) -> tuple[int, int]:
    """Return (backbone moves, other moves) to add so that the rotation rows hold, least total."""
    keep = 1 - ROTATION_BACKBONE_SHARE
    total = max(int(moved), inst.rotation_min, math.ceil((moved - backbone) / keep - 1e-9))
    add_b = max(0, math.ceil(ROTATION_BACKBONE_SHARE * total - backbone - 1e-9))
    add_o = total - int(moved) - add_b
    # each group is made of swaps (2) and 3-cycles (3): a group of one move is reshaped
    if add_o == 1:  # a backbone move instead
        add_b, add_o = add_b + 1, 0
    if add_b == 1:
        if add_o >= 3:
            add_b, add_o = 2, add_o - 1
        elif add_o == 2:
            add_b, add_o = 3, 0
        else:  # one move more than the least
            add_b = 2
    return add_b, add_o


class _Filler:
    """The stock left per unit and class, the moves per unit and the pairs allowed."""

    def __init__(self, inst: _Inst, triples: list[Triple]) -> None:
        assert inst.elig is not None  # rotation needs a roster
        self.inst = inst
        self.spare = inst.elig.astype(np.int64).copy()
        self.moved = np.zeros(len(inst.movable), np.int64)
        for i, j, c, k in triples:
            self.spare[i, c] -= k
            self.moved[i] += k
            self.moved[j] += k
        self.allowed = _problem(inst).allowed
        d = _distances(inst)
        self.dist = np.where(np.isfinite(d), d, np.inf)
        self.limit = inst.cons.max_moves_per_school

    def _free(self, c: int) -> np.ndarray:
        """Which units can send one more teacher of class ``c`` and take one in (2 moves)."""
        ok = self.spare[:, c] >= 1
        if self.limit is not None:
            ok &= self.moved + 2 <= self.limit
        return ok

    def cycle(self, c: int, length: int) -> list[int] | None:
        """Return ``length`` units that can rotate one teacher of class ``c`` among them (each
        unit sends to the next, the last to the first), nearest first; None when none can."""
        free = self._free(c)
        starts = np.flatnonzero(free)
        for i in starts[np.argsort(-self.spare[starts, c], kind="stable")]:
            ring = [int(i)]
            while len(ring) < length:
                last = ring[-1]
                ok = free & self.allowed[last] & self.allowed[:, last]
                ok[ring] = False
                if len(ring) == length - 1:
                    ok &= self.allowed[:, ring[0]] & self.allowed[ring[0]]
                if not ok.any():
                    break
                ring.append(int(np.flatnonzero(ok)[np.argmin(self.dist[last, ok])]))
            if len(ring) == length:
                return ring
        return None

    def take(self, c: int, ring: list[int], plan: dict[tuple[int, int, int], int]) -> None:
        """Make the moves of ``ring`` (class ``c``)."""
        for a, b in zip(ring, ring[1:] + ring[:1]):
            plan[(a, b, c)] = plan.get((a, b, c), 0) + 1
            self.spare[a, c] -= 1
            self.moved[a] += 1
            self.moved[b] += 1


def _fill_group(fill: _Filler, classes: np.ndarray, need: int, plan: dict[tuple[int, int, int], int]) -> bool:
    """Add at least ``need`` count-neutral moves of the ``classes``: swaps, one 3-cycle for an
    odd need (a swap, one move over, for a need of one or where no three units can rotate)."""
    while need > 0:
        ring = None
        for length in ((2, 3) if need == 1 else (3, 2) if need % 2 else (2,)):
            for c in sorted(classes.tolist(), key=lambda c: -int(fill.spare[:, c].sum())):
                ring = fill.cycle(c, length)
                if ring is not None:
                    fill.take(c, ring, plan)
                    need -= length
                    break
            if ring is not None:
                break
        if ring is None:
            return False
    return True


def _fill_rotation(inst: _Inst, triples: list[Triple]) -> list[Triple] | None:
    """Return ``triples`` with count-neutral moves added until the rotation rows hold (unchanged
    when they hold or no rotation is asked), or None when the stock or the limits run out.
    The other classes' moves first, then the backbone moves the share then asks (a move over
    the least in the first group is made up for by the second)."""
    has, moved, backbone = _rotation_counts(inst, triples)
    if not inst.rotation_min or (moved >= inst.rotation_min
                                 and backbone >= ROTATION_BACKBONE_SHARE * moved - 1e-9):
        return triples
    _, add_o = _targets(inst, moved, backbone)
    fill = _Filler(inst, triples)
    plan: dict[tuple[int, int, int], int] = {}
    for i, j, c, k in triples:
        plan[(i, j, c)] = plan.get((i, j, c), 0) + k
    if not _fill_group(fill, np.flatnonzero(has == 0), add_o, plan):
        return None
    _, moved, backbone = _rotation_counts(inst, [(i, j, c, k) for (i, j, c), k in plan.items()])
    share = ROTATION_BACKBONE_SHARE
    add_b = max(0, inst.rotation_min - int(moved), math.ceil((share * moved - backbone) / (1 - share) - 1e-9))
    if not _fill_group(fill, np.flatnonzero(has > 0), add_b, plan):
        return None
    return [(i, j, c, k) for (i, j, c), k in plan.items() if k > 0]
