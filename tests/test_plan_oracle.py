"""Brute-force oracles of the planner's three modes on the basic scheme (issue 10): every plan
up to a size is enumerated — transfers as multisets of single-teacher moves, purchases as whole
computers per school — and the planner's optimum, bound and status are checked against the
least cost found.  The oracle applies the goal to the counts directly (no planner code)."""

from __future__ import annotations

import math
from itertools import combinations_with_replacement

import numpy as np
import pytest
from test_planner import _cv, instance
from test_planner_status import _claims_hold

from dashboard.method.engine import evaluate
from dashboard.method.standards import cv_threshold
from dashboard.planning.planner import PlanConstraints, PlanGoal, PlanStatus, plan

# S2 (200 pupils) holds every above-degree, mid-title teacher and most computers: the composite
# fails; a transfer lowers two teacher CVs, computers at S0/S1 lower the computers' CV.  The
# other resources are equal per pupil (CV 0: buying them can only raise the composite).
JOINT_SMALL = [(400, [(24, 0, 0, 0, 0)]), (300, [(18, 0, 0, 0, 0)]), (200, [(14, 1, 1, 0, 0)])]
COMPUTER_COST = 5000.0
TAU = cv_threshold("basic", "primary") + 0.0005 - 0.0001


def joint_county(computers_s2: int, sports_s2: float = 4.5):
    """JOINT_SMALL with ``computers_s2`` computers and ``sports_s2`` m² of sports area per pupil at
    S2 (S0 and S1 at the minimums: 6 computers per 100 pupils, 4.5 m²)."""
    schools, roster = instance(JOINT_SMALL)
    P = schools["students_primary"].to_numpy()
    schools["computers"] = [int(0.06 * P[0]), int(0.06 * P[1]), computers_s2]
    schools["sports_area_m2"] = [4.5 * P[0], 4.5 * P[1], sports_s2 * P[2]]
    return schools, roster


def fixed_resource_cv(schools) -> float:
    """Return Σ of the resource CVs other than computers' (B1–B3, B5)."""
    ind = evaluate(schools).indicators
    return float(ind[(ind["stage"] == "primary") & ind["indicator"].isin(["B1", "B2", "B3", "B5"])]["cv"].sum())


def teacher_sums(schools, kmax: int) -> dict[int, float]:
    """Return, per number of single-teacher moves k ≤ kmax, the least Σ of the three teacher
    CVs (B6–B8) reachable with exactly k moves, keeping every school's staffing floor."""
    P = schools["students_primary"].to_numpy(float)
    T = schools["teachers_primary"].to_numpy(int)
    A = schools["teachers_above_degree_primary"].to_numpy(int)  # = mid-title here (one class each)
    floor = np.minimum(T, np.ceil(P / 19 - 1e-9))
    n = len(P)
    types = [(i, j, c) for i in range(n) for j in range(n) if i != j for c in (0, 1)]
    best: dict[int, float] = {}
    for k in range(kmax + 1):
        for combo in combinations_with_replacement(types, k):
            t, a = T.copy(), A.copy()
            plain_out, grad_out = np.zeros(n, int), np.zeros(n, int)
            for i, j, c in combo:
                t[i] -= 1
                t[j] += 1
                if c:
                    a[i] -= 1
                    a[j] += 1
                    grad_out[i] += 1
                else:
                    plain_out[i] += 1
            if (grad_out > A).any() or (plain_out > T - A).any() or (t < floor).any():
                continue
            s = _cv(t, P) + 2 * _cv(a, P)
            best[k] = min(best.get(k, math.inf), s)
    return best


def computer_costs(schools, most: int) -> list[tuple[int, float]]:
    """Return (computers bought, least CV of computers) for every total up to ``most``."""
    P = schools["students_primary"].to_numpy(float)
    C0 = schools["computers"].to_numpy(float)
    out = []
    for total in range(most + 1):
        a = np.array([(x, y, total - x - y) for x in range(total + 1) for y in range(total + 1 - x)], float)
        R = C0[None, :] + a
        cv = np.sqrt(np.maximum((R * R / P).sum(axis=1) * P.sum() / (R.sum(axis=1) ** 2) - 1, 0))
        out.append((total, float(cv.min())))
    return out


def least_cost(sums: dict[int, float], comps: list[tuple[int, float]], per: float) -> float:
    """Return the least per·k + computers' cost with (teacher Σ + computers' CV)/8 ≤ τ."""
    best = math.inf
    for k, s in sums.items():
        for total, cv in comps:
            if (s + cv) / 8 <= TAU:
                best = min(best, per * k + COMPUTER_COST * total)
                break
    return best


KMAX, MOST = 3, 120
SEEDS = range(6)  # each plan: one transfer and 0–23 computers (costs per transfer 15,000–250,000 元)


def seeded(seed: int):
    """A seeded small county: computers and sports area at S2, the cost per transfer.  Sports
    area costs 10⁹ 元 per m² (every plan amount is at least 0.01 m²: 10⁷ 元, dearer than any
    plan the oracle finds), so the oracle needs to enumerate only transfers and computers."""
    rng = np.random.default_rng(seed)
    schools, roster = joint_county(int(rng.integers(180, 330)), float(rng.uniform(6.0, 10.0)))
    per = float(rng.choice([15000.0, 60000.0, 120000.0, 250000.0]))
    cons = PlanConstraints(costs={"teacher_transfer": per, "sports_area_m2": 1e9})
    return schools, roster, cons, per


def oracle(schools, per: float, kmax: int) -> float:
    """Return the least cost of the enumerated plans (per transfer ``per``; ``kmax`` moves)."""
    fixed = fixed_resource_cv(schools)
    sums = {k: s + fixed for k, s in teacher_sums(schools, kmax).items()}
    return least_cost(sums, computer_costs(schools, MOST), per)


@pytest.mark.parametrize("seed", SEEDS)
def test_both_is_the_brute_force_optimum(seed):
    schools, roster, cons, per = seeded(seed)
    best = oracle(schools, per, KMAX)
    # exact: any plan beyond the enumeration moves KMAX + 1 teachers or buys MOST + 1 computers
    assert best <= min(per * (KMAX + 1), COMPUTER_COST * (MOST + 1))
    p = plan(schools, PlanGoal("basic", "primary", "both"), cons, teachers=roster, time_limit_s=20)
    _claims_hold(p)
    assert p.lower_bound <= best + 1e-6  # a bound above the optimum is no bound
    assert p.status in (PlanStatus.OPTIMAL, PlanStatus.ALREADY_PASSES)
    assert p.objective == pytest.approx(best)
    assert p.objective == pytest.approx(per * p.transfers + p.cost_yuan)
    assert all(x.resource == "computers" for x in p.purchases)


@pytest.mark.parametrize("seed", SEEDS)
def test_budget_is_the_brute_force_optimum(seed):
    schools, roster, cons, _ = seeded(seed)
    best = oracle(schools, 0.0, 0)
    p = plan(schools, PlanGoal("basic", "primary", "budget"), cons, teachers=roster, time_limit_s=20)
    _claims_hold(p)
    if not math.isfinite(best):  # beyond MOST computers: only the bound can be checked
        assert p.lower_bound <= p.objective and p.objective > COMPUTER_COST * MOST
        return
    assert p.lower_bound <= best + 1e-6
    assert p.status in (PlanStatus.OPTIMAL, PlanStatus.ALREADY_PASSES)
    assert p.objective == pytest.approx(best) and not p.moves


@pytest.mark.parametrize("seed", SEEDS)
def test_transfers_is_the_brute_force_optimum(seed):
    schools, roster, cons, _ = seeded(seed)
    fixed = fixed_resource_cv(schools) + computer_costs(schools, 0)[0][1]
    sums = teacher_sums(schools, 4)
    best = min((k for k, s in sums.items() if (s + fixed) / 8 <= TAU), default=None)
    p = plan(schools, PlanGoal("basic", "primary", "transfers"), cons, teachers=roster, time_limit_s=20)
    _claims_hold(p)
    if best is None:  # more than 4 moves, or none reaches the goal
        assert p.status != PlanStatus.OPTIMAL or p.transfers > 4
        assert not p.status.has_plan or p.lower_bound >= 5 - 1e-6 or p.transfers > 4
        return
    assert p.lower_bound <= best + 1e-6
    assert p.status in (PlanStatus.OPTIMAL, PlanStatus.ALREADY_PASSES) and p.transfers == best


def test_both_never_costs_more_than_either_mode_alone():
    """The joint model includes "budget" alone and "transfers" alone (priced) as its plans."""
    for seed in (0, 3):
        schools, roster, cons, per = seeded(seed)
        runs = {m: plan(schools, PlanGoal("basic", "primary", m), cons, teachers=roster, time_limit_s=20)
                for m in ("transfers", "budget", "both")}
        both = runs["both"]
        if runs["budget"].status.has_plan:
            assert both.objective <= runs["budget"].objective + 1e-6
        if runs["transfers"].status.has_plan:
            assert both.objective <= per * runs["transfers"].transfers + 1e-6


# S0 (600 pupils) has exactly its 26 above-degree teachers (4.2 per 100) and passes the rule
# with every resource minimum met; S1 has 2.  Q1's CV fails.  Under "keep every minimum" S0
# cannot give one (infeasible); the per-school rule lets S0 leave Q1 at 25 (≥ 85 % of 26).
RULE_PAIR = [
    (600, [(6, 1, 0, 1, 0), (6, 1, 0, 0, 1), (14, 1, 0, 0, 0), (8, 0, 0, 0, 0)]),
    (300, [(1, 1, 0, 1, 0), (1, 1, 0, 0, 1), (2, 0, 0, 1, 0), (2, 0, 0, 0, 1), (11, 0, 0, 0, 0)]),
]


def test_transfers_follow_the_per_school_rule():
    from test_planner import brute_force

    schools, roster = instance(RULE_PAIR)
    goal = PlanGoal("quality", "primary", "transfers")
    p = plan(schools, goal, teachers=roster, time_limit_s=10)
    _claims_hold(p)
    assert brute_force(schools, roster, "quality", "primary", PlanConstraints(), kmax=3) == 1
    assert p.status == PlanStatus.OPTIMAL and p.transfers == 1 and p.check.passed, p.check.failures
    after = p.after.units["quality"].set_index("school_id")
    assert after.loc["S0", "Q1"] < 4.2 and bool(after.loc["S0", "school_pass"])  # 6 of 7, Q1 ≥ 85 %
    # the greedy preview keeps every minimum (stricter): it finds no plan here
    from dashboard.planning.planner import preview

    assert preview(schools, goal, teachers=roster).status != PlanStatus.OPTIMAL


# ----------------------------------------------------------------------------- large-county path


@pytest.mark.parametrize("seed", [1, 7, 9, 11, 0, 5])
def test_the_large_county_path_against_brute_force(seed, monkeypatch):
    """The path of large counties (greedy, linear relaxation, rounding, trimming) forced on small
    seeded counties: its bound never exceeds the brute-force optimum, "optimal" is the optimum."""
    from test_planner import _random_spec, brute_force

    from dashboard.planning.planner import stages

    monkeypatch.setattr(stages, "_GREEDY_FIRST_UNITS", 0)
    schools, roster = instance(_random_spec(seed))
    p = plan(schools, PlanGoal("quality", "primary", "transfers"), teachers=roster, time_limit_s=10)
    _claims_hold(p)
    best = brute_force(schools, roster, "quality", "primary", PlanConstraints(), kmax=3)
    if best is not None:
        assert p.lower_bound <= best + 1e-9
        if p.status == PlanStatus.OPTIMAL:
            assert p.transfers == best
    if p.status.has_plan:
        assert p.check.passed, p.check.failures


def test_the_linear_relaxation_is_a_bound_and_trim_keeps_the_goal():
    from test_planner import QUALITY_SMALL, brute_force

    from dashboard.method.standards import DEFAULT_PARAMS
    from dashboard.planning.planner.counts import (
        _counts_after,
        _net_from_triples,
        _teacher_goal_met,
    )
    from dashboard.planning.planner.deadline import Deadline
    from dashboard.planning.planner.flows import _Relax
    from dashboard.planning.planner.greedy import _greedy, _trim
    from dashboard.planning.planner.instance import _instance
    from dashboard.planning.planner.relaxation import _solve_lp

    schools, roster = instance(QUALITY_SMALL)
    goal = PlanGoal("quality", "primary", "transfers")
    inst = _instance(schools, goal, PlanConstraints(), roster, DEFAULT_PARAMS, None)
    lp = _solve_lp(inst, _Relax(), Deadline.after(10))
    best = brute_force(schools, roster, "quality", "primary", PlanConstraints(), kmax=5)
    assert lp.status in ("optimal", "feasible") and 0 < lp.bound <= best
    # an overshooting plan: the greedy's moves, each repeated; trimming gets back to a passing plan
    greedy = _greedy(inst, 200, Deadline.after(10))
    doubled = [(i, j, c, 2 * k) for i, j, c, k in greedy]
    trimmed = _trim(inst, doubled)
    moved = sum(k for *_, k in trimmed)
    assert moved <= sum(k for *_, k in greedy) * 2 and moved >= best
    assert _teacher_goal_met(inst, _counts_after(inst, *_net_from_triples(inst, trimmed)))


def test_an_explanation_cut_off_by_time_is_undecided(monkeypatch):
    """Every attempt of the explanation times out: each test is undecided, never "unreachable"
    and never a binding constraint; a hire search cut off in its bisection says "enough"."""
    from test_planner import QUALITY_SMALL

    from dashboard.planning.planner import explanation

    schools, roster = instance(QUALITY_SMALL)
    cons = PlanConstraints(max_moves_per_school=1)
    monkeypatch.setattr(explanation, "_best_flows", lambda *a, **k: ("timeout", None))
    p = plan(schools, PlanGoal("quality", "primary", "transfers"), cons, teachers=roster, time_limit_s=10)
    assert p.status == PlanStatus.INFEASIBLE  # the model itself proved it
    kinds = {e.kind for e in p.explanation}
    assert kinds == {"undecided"}, p.explanation
    assert all(e.message("zh") and e.message("en") for e in p.explanation)
    # the first attempt suffices, the bisection's next one times out: enough, not "at least"
    hit = object()  # stands for the passing flows
    calls = iter([("found", hit), ("timeout", None)])
    monkeypatch.setattr(explanation, "_attempt", lambda *a, **k: next(calls))
    count, _, kind = explanation._least_hires(None, "teachers_backbone", None)
    assert (count, kind) == (1, "hire")  # hi = 1, lo = 0: nothing left to bisect
    calls = iter([("none", None), ("none", None), ("found", hit), ("timeout", None)])
    count, _, kind = explanation._least_hires(None, "teachers_backbone", None)
    assert kind == "hire_enough" and count == 4  # 1, 2 short; 4 enough; 3 not decided
