"""Least-cost purchases (exact cutting planes).

Purchases move the mean: the CV limit is the second-order cone ‖(Rᵢ/√Pᵢ)‖ ≤ √((1+τ²)/P)·Σ Rᵢ,
convex in the amounts.  Kelley's cutting-plane method (LP/MILP with HiGHS, integer for
computers, books and rooms) gives a lower bound each round; a feasible plan comes from
water-filling (raising the lowest units to a common level) and a line search towards it, so
every purchase plan is truly feasible and its gap is proven.  The quality plan follows the
per-school rule (docs/method.md §9.6).  The basic composite couples five resource CVs: its
purchases are one joint model with the transfers (:mod:`.basic_joint`, :mod:`.composite`),
which calls the one-resource search here at each target CV.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

import numpy as np
from scipy.optimize import Bounds, LinearConstraint

from dashboard.method.compliance import QUALITY_MIN_MET, QUALITY_REST_FRACTION
from dashboard.method.standards import INDICATORS, province_profile, scheme_ids
from dashboard.method.units import stage_shares
from dashboard.planning.planner.deadline import Deadline
from dashboard.planning.planner.instance import _Inst, plannable
from dashboard.planning.planner.rule import joint_bound
from dashboard.planning.planner.solver import HARD_DEADLINE_VARIABLES, _dual_bound, _milp
from dashboard.planning.planner.types import AMOUNT_DP, Purchase, integer_resources
from dashboard.planning.planner.worker import prewarm

# basic: a province minimum on a resource no CV counts, bought to meet it
BASIC_EXTRA_MINIMUMS: Final = ("building_area_m2",)
_KELLEY_ROUNDS: Final = 200


@dataclass
class _Buy:
    """A purchase result: status, amounts per purchasable unit, cost and proven lower bound (元)."""

    status: str
    amounts: dict[str, np.ndarray]  # resource -> amount per purchasable unit
    cost: float
    bound: float
    cuts: tuple[tuple[np.ndarray, float], ...] = ()  # Kelley cuts (row · a ≤ rhs) of the CV limit
    box: np.ndarray | None = None  # the upper amounts the cutting planes searched within


def _resource_setup(inst: _Inst) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Return (purchasable unit positions, their school ids, their stage shares)."""
    u = inst.units
    srows = inst.schools.set_index("school_id").loc[u["school_id"].astype(str)]
    ok = plannable(srows, u["school_id"], inst.cons, teaching_points=inst.goal.scheme != "basic")
    pos = np.flatnonzero(ok)
    shares = stage_shares(inst.schools, inst.params).set_index(inst.schools["school_id"])[inst.goal.stage]
    sh = shares.loc[u["school_id"].astype(str).iloc[pos]].to_numpy(float)
    keep = sh > 0
    return pos[keep], [str(s) for s in u["school_id"].iloc[pos[keep]]], sh[keep]


def _minimum_need(inst: _Inst, resource: str) -> np.ndarray:
    """Return each unit's required resource total (column unit) from the per-school minimums."""
    u = inst.units
    stage = inst.goal.stage
    need = np.zeros(len(u))
    if not inst.cons.keep_minimums:
        return need
    P = inst.P
    if inst.goal.scheme == "quality":
        for q in scheme_ids("quality", "resource"):
            ind = INDICATORS[q]
            if ind.numerator == resource:
                need = np.maximum(need, ind.minimum(stage) * P / ind.scale)
        return need
    for rule in province_profile(inst.params.province_profile).indicators:
        if rule.get("numerator") != resource:
            continue
        if rule["kind"] == "ratio_min" and rule.get("denominator") == "students":
            need = np.maximum(need, float(rule[stage]) * P / float(rule.get("scale", 1)))
        elif rule["kind"] == "total_by_classes":
            classes = u[rule["classes"]].to_numpy(float)
            steps = rule[stage]
            amt = np.full(len(u), float(steps[-1][1]))
            for upto, amount in reversed(steps):
                amt = np.where(classes <= upto, float(amount), amt)
            need = np.maximum(need, amt)
    return need


def _g(R: np.ndarray, P: np.ndarray, tau: float) -> tuple[float, np.ndarray]:
    """Return (g, ∂g/∂R) of g(R) = ‖R/√P‖ − √((1+τ²)/P_tot)·ΣR (≤ 0 ⇔ CV ≤ τ)."""
    y = R / np.sqrt(P)
    norm = float(np.linalg.norm(y))
    kappa = math.sqrt((1 + tau * tau) / P.sum())
    grad = (y / np.sqrt(P)) / max(norm, 1e-300) - kappa
    return norm - kappa * float(R.sum()), grad


def _resource_cv(R: np.ndarray, P: np.ndarray) -> float:
    """Return the enrolment-weighted CV of the totals ``R`` over pupils ``P`` (NaN for a zero mean)."""
    mean = R.sum() / P.sum()
    if mean <= 0:
        return math.nan
    return math.sqrt(max(P.sum() * float(np.sum(R * R / P)) / (R.sum() ** 2) - 1, 0.0))


def _resources_of(inst: _Inst) -> list[tuple[str, str]]:
    """(indicator, resource column) pairs a purchase can change, for the goal's scheme."""
    return [(i, INDICATORS[i].numerator) for i in scheme_ids(inst.goal.scheme, "resource")]


# ------------------------------------------------------------------------------ one resource


@dataclass(frozen=True)
class _Buying:
    """One resource to buy: the units' totals ``R0``, their pupils ``P``, the purchasable
    positions and stage shares, whole units or not, and the CV target (None: minimums only)."""

    R0: np.ndarray
    P: np.ndarray
    pos: np.ndarray
    share: np.ndarray
    integer: bool
    tau: float | None

    def totals(self, a: np.ndarray) -> np.ndarray:
        """Return the units' totals after buying ``a`` at the purchasable units."""
        R = self.R0.copy()
        R[self.pos] += self.share * a
        return R

    def feasible(self, a: np.ndarray) -> bool:
        """Return whether buying ``a`` meets the CV target."""
        return self.tau is None or _g(self.totals(a), self.P, self.tau)[0] <= 0

    def whole(self, a: np.ndarray, tol: float = 1e-9) -> np.ndarray:
        """Return ``a`` rounded up to whole units when the resource is bought in whole units."""
        return np.ceil(a - tol) if self.integer else a


def _fill(buy: _Buying, lb: np.ndarray, Rl: np.ndarray, level: float) -> np.ndarray:
    """Return the amounts that raise every purchasable unit to ``level`` per pupil (at least ``lb``)."""
    a = np.maximum(lb, lb + (level * buy.P[buy.pos] - Rl[buy.pos]) / buy.share)
    return buy.whole(a)


def _water_fill(buy: _Buying, lb: np.ndarray) -> np.ndarray | None:
    """Return the least common-level amounts that meet the target (an upper bound), or None."""
    Rl = buy.totals(lb)
    x = Rl / buy.P
    grid = np.concatenate([np.linspace(x.min(), x.max(), 40), x.max() * np.linspace(1, 4, 30)[1:]])
    ok = [L for L in grid if buy.feasible(_fill(buy, lb, Rl, L))]
    if not ok:
        return None
    hi_L = ok[0]
    lo_L = grid[max(int(np.searchsorted(grid, hi_L)) - 1, 0)]
    for _ in range(50):
        mid = 0.5 * (lo_L + hi_L)
        if buy.feasible(_fill(buy, lb, Rl, mid)):
            hi_L = mid
        else:
            lo_L = mid
    return _fill(buy, lb, Rl, hi_L)


def _cut(buy: _Buying, a: np.ndarray) -> tuple[np.ndarray, float]:
    """Return the Kelley cut (row, right-hand side) of the cone constraint at ``a``."""
    assert buy.tau is not None
    gv, gr = _g(buy.totals(a), buy.P, buy.tau)
    ga = gr[buy.pos] * buy.share
    return ga, float(ga @ a) - gv


def _line_search(buy: _Buying, x: np.ndarray, best: np.ndarray) -> np.ndarray:
    """Return the feasible point nearest ``x`` on the segment from ``x`` to ``best`` (bisection)."""
    lo_t, hi_t = 0.0, 1.0
    for _ in range(40):
        mid = 0.5 * (lo_t + hi_t)
        if buy.feasible(buy.whole(x + mid * (best - x))):
            hi_t = mid
        else:
            lo_t = mid
    return buy.whole(x + hi_t * (best - x))


def _box(lb: np.ndarray, best: np.ndarray) -> np.ndarray:
    """Return the upper amounts of every plan no dearer than ``best``: one unit's amount is at
    most what ``best`` spends beyond the others' least amounts (the unit cost is the same at
    every unit).  A box within which the optimum surely lies keeps the cutting planes' bound
    proven; the box [lb, best] did not (an optimum may buy more than ``best`` at one unit, e.g.
    where the stage share is larger, and less elsewhere)."""
    return lb + max(float(best.sum() - lb.sum()), 0.0)


def _kelley(buy: _Buying, lb: np.ndarray, best: np.ndarray, unit_cost: float, deadline: Deadline) -> _Buy:
    """Return the least-cost amounts by cutting planes, from the feasible ``best`` (proven gap)."""
    n = len(buy.pos)
    ub = unit_cost * float(best.sum())
    cuts = [_cut(buy, lb), _cut(buy, best)]
    box = _box(lb, best)
    lower = unit_cost * float(lb.sum())
    c = np.full(n, unit_cost)
    status = "feasible"
    for _ in range(_KELLEY_ROUNDS):
        if deadline.expired():
            break
        res = _milp(c, constraints=LinearConstraint(np.array([r for r, _ in cuts]), -np.inf,
                                                    np.array([b for _, b in cuts])),
                    integrality=np.full(n, 1 if buy.integer else 0), bounds=Bounds(lb, box),
                    options={"disp": False}, deadline=deadline)
        if res.x is None:
            break
        a = buy.whole(res.x, 1e-6)
        if res.status == 0:  # a MILP's optimum is only within HiGHS's gap: its dual bound is proven
            lower = max(lower, _dual_bound(res) if buy.integer else float(res.fun))
        if buy.feasible(a):
            if c @ a < ub:
                best, ub = a, float(c @ a)
        else:  # line search towards the best feasible point
            trial = _line_search(buy, res.x, best)
            if buy.feasible(trial) and c @ trial < ub:
                best, ub = trial, float(c @ trial)
            cuts.append(_cut(buy, res.x))
        if ub - lower <= 1e-6 * max(ub, 1.0):
            status = "optimal"
            break
    return _Buy(status, {"a": best}, ub, min(lower, ub), tuple(cuts), box)


def _buy_one(R0: np.ndarray, P: np.ndarray, pos: np.ndarray, share: np.ndarray, lb: np.ndarray,
             unit_cost: float, integer: bool, tau: float | None, *, deadline: Deadline | None = None) -> _Buy:
    """Least-cost amounts a ≥ lb at the purchasable units so that CV(R0 + share·a) ≤ τ (None: no CV)."""
    buy = _Buying(R0, P, pos, share, integer, tau)
    lb = buy.whole(lb)
    if buy.feasible(lb):
        return _Buy("optimal", {"a": lb}, unit_cost * float(lb.sum()), unit_cost * float(lb.sum()))
    best = _water_fill(buy, lb)  # an upper bound: the purchasable units raised to a common level
    if best is None:
        return _Buy("infeasible", {"a": lb}, math.inf, math.inf)
    if deadline is None:  # no time for cutting planes: the water-filled plan, bound = the minimums
        cost = unit_cost * float(best.sum())
        return _Buy("feasible", {"a": best}, cost, unit_cost * float(lb.sum()))
    return _kelley(buy, lb, best, unit_cost, deadline)


# ------------------------------------------------------------------------------ the plan's purchases


@dataclass
class _Tally:
    """The running status, cost and proven lower bound of a purchase plan (元)."""

    status: str = "optimal"
    cost: float = 0.0
    bound: float = 0.0


@dataclass(frozen=True)
class _Shop:
    """What every resource's purchase shares: the instance, the purchasable units and the minimums."""

    inst: _Inst
    pos: np.ndarray
    share: np.ndarray
    lbs: dict[str, np.ndarray]  # least amounts per purchasable unit (the minimums)
    ints: frozenset[str]
    teacher_counts: dict[str, np.ndarray] | None = None  # every unit's teacher counts after the transfers

    def buy_one(self, col: str, tau: float | None, deadline: Deadline | None,
                lb: np.ndarray | None = None) -> _Buy:
        """Return the least-cost purchase of ``col`` meeting ``tau`` and the least amounts ``lb``
        (default: the minimums); without a deadline, the water-filled plan (no cutting planes)."""
        R0 = self.inst.units[col].to_numpy(float)
        return _buy_one(R0, self.inst.P, self.pos, self.share, self.lbs[col] if lb is None else lb,
                        self.inst.cons.cost(col), col in self.ints, tau, deadline=deadline)

    def cost_of(self, col: str, amounts: np.ndarray) -> float:
        """Return the cost of ``amounts`` of ``col`` in 元."""
        return self.inst.cons.cost(col) * float(amounts.sum())


def _minimum_amounts(inst: _Inst, pos: np.ndarray, share: np.ndarray, cols: Iterable[str],
                     ints: frozenset[str]) -> dict[str, np.ndarray]:
    """Return, per resource, the least amount each purchasable unit needs for its minimums."""
    lbs = {}
    for col in cols:
        R0 = inst.units[col].to_numpy(float)
        need = _minimum_need(inst, col)
        lbs[col] = np.maximum(0.0, (need[pos] - R0[pos]) / share)
        if col in ints:
            lbs[col] = np.ceil(lbs[col] - 1e-9)
    return lbs


def _teacher_failures(shop: _Shop) -> np.ndarray:
    """Return, per purchasable unit, how many quality teacher minimums (Q1–Q3) it misses (after
    the plan's transfers, when it has any: a transfer may leave one at 85 % under the rule)."""
    inst, pos = shop.inst, shop.pos
    u, stage = inst.units, inst.goal.stage
    missed = np.zeros(len(pos), int)
    for q in scheme_ids("quality", "teacher"):
        spec = INDICATORS[q]
        if shop.teacher_counts is not None and spec.numerator in shop.teacher_counts:
            value = shop.teacher_counts[spec.numerator][pos] * spec.scale / inst.P[pos]
        else:
            value = u[q].to_numpy(float)[pos]
        missed += (value < spec.minimum(stage) - 1e-12).astype(int)
    return missed


def _six_of_seven(shop: _Shop) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Return (least amounts of the plan, least amounts of the bound) under the per-school rule
    (§4.2: ≥ 6 of the 7 minimums, the rest ≥ 85 %).

    A unit meeting every teacher minimum may leave one resource at 85 % of its minimum: the
    plan relieves the resource whose 85 % saves the most 元 there (a choice, not proven best:
    the choices of the units interact through the CV limits).  The bound lets every resource of
    every unit stop at 85 % (a relaxation of the rule for any mix of transfers and purchases),
    so it is a proven lower bound of the per-school rule's problem (in budget mode a unit that
    misses a teacher minimum keeps every resource minimum in the bound too)."""
    inst, pos, share = shop.inst, shop.pos, shop.share
    plan = {col: lb.copy() for col, lb in shop.lbs.items()}
    if not inst.cons.keep_minimums:
        return plan, plan
    P, stage = inst.P, inst.goal.stage
    low: dict[str, np.ndarray] = {}
    for ind, col in _resources_of(inst):
        spec = INDICATORS[ind]
        need = QUALITY_REST_FRACTION * spec.minimum(stage) * P[pos] / spec.scale
        lb = np.maximum(0.0, (need - inst.units[col].to_numpy(float)[pos]) / share)
        low[col] = np.ceil(lb - 1e-9) if col in shop.ints else lb
    cols = list(low)
    saving = np.array([inst.cons.cost(c) * (plan[c] - low[c]) for c in cols])  # (resources, units)
    free = _teacher_failures(shop) < len(scheme_ids("quality")) - QUALITY_MIN_MET  # may miss one
    best = saving.argmax(axis=0)
    for k, c in enumerate(cols):
        pick = free & (best == k) & (saving[k] > 0)
        plan[c] = np.where(pick, low[c], plan[c])
    # purchases alone cannot lift a teacher minimum: in budget mode a unit missing one keeps
    # every resource minimum; transfers ("both") may lift it, so the bound relaxes it there too
    open_ = free | (inst.goal.mode != "budget")
    bound = {c: np.where(open_, np.minimum(low[c], plan[c]), plan[c]) for c in cols}
    return plan, bound


def _rule_floor(shop: _Shop, bound: dict[str, np.ndarray]) -> float:
    """Return a proven lower bound of the minimums' cost under the per-school rule: each unit
    buys every resource to its minimum but may leave at most one at 85 % (the costliest to
    finish; any one, where transfers might lift its teacher minimums)."""
    cols = list(bound)
    if not cols:
        return 0.0
    full = np.array([shop.inst.cons.cost(c) * shop.lbs[c] for c in cols])
    relief = np.array([shop.inst.cons.cost(c) * (shop.lbs[c] - bound[c]) for c in cols])
    return float(full.sum() - relief.max(axis=0).sum())


def _quality_purchases(shop: _Shop, tally: _Tally, results: dict[str, np.ndarray], deadline: Deadline) -> bool:
    """Buy each quality resource to its own CV limit (cutting planes) under the per-school rule;
    return False when one cannot pass (``tally.status``: infeasible when even the relaxed rule
    cannot, else undecided)."""
    pairs = _resources_of(shop.inst)
    plan_lb, bound_lb = _six_of_seven(shop)
    floor = _rule_floor(shop, bound_lb)
    bound_before = tally.bound
    found: dict[str, tuple[_Buy, _Buy]] = {}
    for k, (_ind, col) in enumerate(pairs):
        part = deadline.share(0.8 / (len(pairs) - k))
        relaxed = not np.array_equal(plan_lb[col], bound_lb[col])
        b = shop.buy_one(col, shop.inst.tau, part.share(0.5) if relaxed else part, plan_lb[col])
        low = shop.buy_one(col, shop.inst.tau, part, bound_lb[col]) if relaxed else b
        if low.status == "infeasible" or b.status == "infeasible":
            tally.status = "infeasible" if low.status == "infeasible" else "undecided"
            return False
        results[col] = b.amounts["a"]
        found[col] = (b, low)
        tally.cost += b.cost
        tally.bound += min(low.bound, b.bound)
        if b.status != "optimal" or b.cost > low.bound + 1e-6 * max(1.0, b.cost):
            tally.status = "feasible"
    joint = 0.0
    if any(not np.array_equal(plan_lb[c], bound_lb[c]) for c in found):  # a unit may relieve one
        cols = list(found)
        # every plan no dearer than this one lies in these boxes (each resource's amounts are at
        # most what the plan spends beyond the other resources' least amounts)
        spare = sum(found[c][0].cost for c in cols) - sum(shop.cost_of(c, bound_lb[c]) for c in cols)
        boxes = [bound_lb[c] + max(spare, 0.0) / shop.inst.cons.cost(c) for c in cols]
        joint = joint_bound([shop.inst.cons.cost(c) for c in cols], [shop.lbs[c] for c in cols],
                            [bound_lb[c] for c in cols], boxes,
                            [found[c][0].cuts + found[c][1].cuts for c in cols], [c in shop.ints for c in cols],
                            deadline)
    # each bound is proven: the largest holds
    tally.bound = max(tally.bound, bound_before + floor, bound_before + joint)
    if tally.status == "feasible" and tally.cost <= tally.bound + 1e-6 * max(1.0, tally.cost):
        tally.status = "optimal"
    return True


def _cv_after(shop: _Shop, col: str, amounts: np.ndarray) -> float:
    """Return the CV of resource ``col`` after buying ``amounts`` at the purchasable units."""
    R = shop.inst.units[col].to_numpy(float).copy()
    R[shop.pos] += shop.share * amounts
    return _resource_cv(R, shop.inst.P)


def _to_purchases(inst: _Inst, sids: list[str], col: str, amounts: np.ndarray,
                  ints: frozenset[str]) -> list[Purchase]:
    """Return the purchases of ``amounts`` of ``col`` (whole units, else rounded up to AMOUNT_DP
    decimals), none of 0."""
    out = []
    for sid, raw in zip(sids, amounts.tolist()):
        if not raw > 1e-9:  # nothing to buy (NaN included: a unit without the figure)
            continue
        # rounded up: an amount that reaches a minimum or a CV limit still reaches it when shown
        step = 10.0 ** AMOUNT_DP
        amount = float(round(raw)) if col in ints else math.ceil(raw * step - 1e-6) / step
        if amount > 0:
            out.append(Purchase(sid, col, amount, amount * inst.cons.cost(col)))
    return out


def _plan_purchases(inst: _Inst, deadline: Deadline,
                    teacher_counts: dict[str, np.ndarray] | None = None) -> tuple[_Buy, list[Purchase]]:
    """Least-cost quality purchases (cutting planes, per-school rule; the basic scheme's are in
    :mod:`.basic_joint`); ``teacher_counts``: every unit's teacher counts after the plan's
    transfers (mode "both")."""
    pos, sids, share = _resource_setup(inst)
    if len(pos) > HARD_DEADLINE_VARIABLES:
        prewarm()  # the cutting planes' MILPs run in a worker: it loads while the setup runs
    ints = integer_resources()
    extra = list(BASIC_EXTRA_MINIMUMS) if inst.goal.scheme == "basic" else []
    cols = [col for _, col in _resources_of(inst)] + extra
    shop = _Shop(inst, pos, share, _minimum_amounts(inst, pos, share, cols, ints), ints, teacher_counts)
    results: dict[str, np.ndarray] = {}
    tally = _Tally()
    for col in extra:  # closed form: the minimums alone
        results[col] = shop.lbs[col]
        c = shop.cost_of(col, shop.lbs[col])
        tally.cost += c
        tally.bound += c
    ok = _quality_purchases(shop, tally, results, deadline)
    if not ok:
        status = tally.status if tally.status in ("infeasible", "undecided") else "infeasible"
        return _Buy(status, results, math.inf, tally.bound), []
    purchases = [x for col, amt in results.items() for x in _to_purchases(inst, sids, col, amt, ints)]
    total = float(sum(p.cost_yuan for p in purchases))
    return _Buy(tally.status, results, total, min(tally.bound, total)), purchases
