"""The basic composite's purchases as value functions (docs/method.md §9.1).

The basic composite is the mean of eight CVs; purchases change the five resource CVs, each on
its own resource.  For one resource let φ(c) be the least cost of a purchase (minimums kept)
whose CV is at most c: non-increasing in c.  Each call of the cutting planes at a target c
(:func:`~.purchases._buy_one`) gives a plan (its cost and its actual CV, at most c) and a
proven lower bound of φ(c).  Since φ is non-increasing, a proven bound at c holds at every
c' ≤ c, so on a grid 0 = g₀ < g₁ < … < g_J = (the CV at the minimums) every plan whose CV lies
in [g_j, g_{j+1}) costs at least bound(g_{j+1}) and adds at least g_j to the composite: a
relaxation with one choice per resource (:meth:`_Curve.lower_options`).  Plans are the points
computed (:meth:`_Curve.plan_options`).  The grid is refined where the relaxation chooses."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Final

import numpy as np

from dashboard.planning.planner.deadline import Deadline
from dashboard.planning.planner.instance import _Inst
from dashboard.planning.planner.purchases import (
    BASIC_EXTRA_MINIMUMS,
    _cv_after,
    _minimum_amounts,
    _resource_setup,
    _resources_of,
    _Shop,
)
from dashboard.planning.planner.types import integer_resources

_MIN_WIDTH: Final = 1e-5  # CV intervals narrower than this are not split further
_INITIAL: Final = (0.25, 0.5, 0.75)  # first targets, as shares of the CV at the minimums


@dataclass(frozen=True)
class _Point:
    """One target CV of one resource: the plan found (cost, actual CV, amounts; cost ∞ when
    none) and the proven lower bound of the least cost at this target."""

    target: float
    cost: float
    cv: float
    bound: float
    amounts: np.ndarray | None


@dataclass
class _Curve:
    """One resource's value function φ as computed so far."""

    col: str
    top: float  # CV at the minimums
    floor: float  # cost of the minimums (φ at top, exactly)
    least: np.ndarray  # the minimums' amounts
    points: list[_Point] = field(default_factory=list)

    def bound_at(self, c: float) -> float:
        """Return a proven lower bound of φ(c): the largest bound computed at a target ≥ c."""
        return max([self.floor, *(p.bound for p in self.points if p.target >= c - 1e-15)])

    def grid(self) -> list[float]:
        """Return the grid 0 = g₀ < … < g_J = top: the targets and the plans' actual CVs."""
        xs = {0.0, self.top, *(p.target for p in self.points), *(p.cv for p in self.points if math.isfinite(p.cost))}
        return sorted(x for x in xs if 0.0 <= x <= self.top)

    def lower_options(self) -> list[tuple[float, float]]:
        """Return (least CV added, least cost) per grid interval and for CV ≥ top (a relaxation)."""
        g = self.grid()
        out = [(g[j], self.bound_at(g[j + 1])) for j in range(len(g) - 1)]
        return [*out, (self.top, self.floor)]

    def plan_options(self) -> list[tuple[float, float, np.ndarray]]:
        """Return (CV, cost, amounts) of every plan found, the minimums' own plan first."""
        out = [(self.top, self.floor, self.least)]
        out += [(p.cv, p.cost, p.amounts) for p in self.points if math.isfinite(p.cost) and p.amounts is not None]
        return out

    def has(self, c: float) -> bool:
        """Whether target ``c`` was computed already (or is the top)."""
        return abs(c - self.top) <= _MIN_WIDTH or any(abs(p.target - c) <= _MIN_WIDTH for p in self.points)


@dataclass
class _Market:
    """The basic purchases of one instance: the shop, one curve per CV resource, the fixed
    cost and amounts of the extra minimums."""

    shop: _Shop
    sids: list[str]
    curves: list[_Curve]
    fixed_cost: float
    fixed: dict[str, np.ndarray]

    def add_point(self, r: int, c: float, deadline: Deadline) -> bool:
        """Compute φ at target ``c`` for curve ``r``; return whether a new point was added."""
        cur = self.curves[r]
        if not 0 < c < cur.top or cur.has(c) or deadline.expired():
            return False
        b = self.shop.buy_one(cur.col, c, deadline)
        if b.status == "infeasible":  # no plan found at this target (not a proof): no bound either
            cur.points.append(_Point(c, math.inf, math.nan, cur.bound_at(c), None))
            return True
        a = b.amounts["a"]
        cv = _cv_after(self.shop, cur.col, a)
        cur.points.append(_Point(c, b.cost, cv if math.isfinite(cv) else c, min(b.bound, b.cost), a))
        return True


def _market(inst: _Inst) -> _Market:
    """Return the basic purchases' curves of ``inst`` with no target computed yet."""
    pos, sids, share = _resource_setup(inst)
    ints = integer_resources()
    cv_cols = [col for _, col in _resources_of(inst)]
    cols = cv_cols + list(BASIC_EXTRA_MINIMUMS)
    shop = _Shop(inst, pos, share, _minimum_amounts(inst, pos, share, cols, ints), ints)
    curves = []
    for col in cv_cols:
        least = shop.lbs[col]
        top = _cv_after(shop, col, least)
        curves.append(_Curve(col, top if math.isfinite(top) else 0.0, shop.cost_of(col, least), least))
    fixed = {col: shop.lbs[col] for col in BASIC_EXTRA_MINIMUMS}
    return _Market(shop, sids, curves, sum(shop.cost_of(c, a) for c, a in fixed.items()), fixed)


def _first_points(market: _Market, room: float, deadline: Deadline) -> None:
    """Compute the first targets: fixed shares of each CV, and an even split of ``room``
    (what the composite leaves the five resource CVs)."""
    tops = [c.top for c in market.curves]
    excess = sum(tops) - room
    for r, cur in enumerate(market.curves):
        if deadline.expired():
            return
        if excess > 0:
            market.add_point(r, cur.top - excess / len(tops), deadline.share(0.1))
        for s in _INITIAL:
            market.add_point(r, s * cur.top, deadline.share(0.05))


def _cheapest(options: list[list[tuple[float, float]]], room: float) -> tuple[float, list[int]] | None:
    """Return (least total cost, chosen option per resource) with Σ CV ≤ ``room``, or None.

    Exact: the Pareto frontiers (CV, cost) of the first resources are merged one by one."""
    front: list[tuple[float, float, tuple[int, ...]]] = [(0.0, 0.0, ())]
    for opts in options:
        merged = sorted(((c0 + c1, k0 + k1, (*ix, j)) for c0, k0, ix in front for j, (c1, k1) in enumerate(opts)
                         if c0 + c1 <= room + 1e-12), key=lambda t: (t[0], t[1]))
        front = []
        for item in merged:  # keep what no cheaper-or-equal option with less CV dominates
            if not front or item[1] < front[-1][1] - 1e-9:
                front.append(item)
        if not front:
            return None
    best = min(front, key=lambda t: t[1])
    return best[1], list(best[2])


def _refine(market: _Market, chosen: list[int], room: float, deadline: Deadline) -> bool:
    """Compute each resource at the room the others leave it (at their least CV in the
    relaxation's choice) and split the interval the relaxation chose (at its left end, else its
    middle); return whether a new target was computed."""
    new = False
    lows = [cur.lower_options() for cur in market.curves]
    used = [lows[r][j][0] for r, j in enumerate(chosen)]
    for r, (cur, j) in enumerate(zip(market.curves, chosen)):
        share = room - (sum(used) - used[r])  # what this resource may add, the others at their least
        new |= market.add_point(r, share, deadline.share(0.1))
        g = cur.grid()
        if j >= len(g) - 1 or g[j + 1] - g[j] < _MIN_WIDTH:
            continue
        for c in (g[j], 0.5 * (g[j] + g[j + 1])):
            if market.add_point(r, c, deadline.share(0.1)):
                new = True
                break
    return new


def _purchase_plan(market: _Market, room: float) -> tuple[float, dict[str, np.ndarray]] | None:
    """Return the cheapest plan found with Σ resource CV ≤ ``room`` (cost with the extra minimums)."""
    plans = [cur.plan_options() for cur in market.curves]
    found = _cheapest([[(cv, cost) for cv, cost, _ in opts] for opts in plans], room)
    if found is None:
        return None
    cost, chosen = found
    amounts = {cur.col: plans[r][j][2] for r, (cur, j) in enumerate(zip(market.curves, chosen))}
    return cost + market.fixed_cost, {**amounts, **market.fixed}


def _purchase_bound(market: _Market, room: float) -> tuple[float, list[int]] | None:
    """Return (a proven lower bound of every purchase with Σ resource CV ≤ ``room``, the chosen
    interval per resource), or None when none can pass (proven)."""
    found = _cheapest([cur.lower_options() for cur in market.curves], room)
    if found is None:
        return None
    return found[0] + market.fixed_cost, found[1]
