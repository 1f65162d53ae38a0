"""Planner benchmarks: the exact planner per stage and scheme on the demo county (target 2 s),
the greedy preview (target 0.1 s) and a synthetic 400-unit county (target 20 s), each with the
plan's size, status and optimality gap.

The preview is timed as the page calls it (with the page's cached evaluation of the snapshot,
``before=``) and from scratch.  Every timed plan is re-checked by the engine inside ``plan``.
"""

from __future__ import annotations

import math
from pathlib import Path

from benchmarks.synthetic import synthetic_country
from benchmarks.timing import measure
from dashboard.method.engine import evaluate
from dashboard.method.standards import DEFAULT_PARAMS
from dashboard.planning.planner import (
    Plan,
    PlanConstraints,
    PlanGoal,
    plan,
    preview,
)
from dashboard.planning.planner.greedy import _greedy
from dashboard.planning.planner.instance import _prepare
from dashboard.planning.planner.moves import _moves
from dashboard.store.snapshots import read_snapshot

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo-990101-2024"
SYNTHETIC_SEED = 7
SYNTHETIC_SCHOOLS = 360  # one county of ~360 schools gives ~390 quality / ~370 basic units


def _facts(p: Plan) -> dict:
    gap = None if math.isnan(p.gap) else p.gap
    return {"status": p.status, "transfers": p.transfers, "cost_yuan": p.cost_yuan,
            "objective": None if math.isnan(p.objective) else p.objective,
            "lower_bound": None if math.isnan(p.lower_bound) else p.lower_bound,
            "gap": gap, "optimal": p.optimal, "checked": p.check.passed}


def run() -> dict:
    figures: dict[str, dict] = {}
    if (DEMO / "meta.json").exists():
        snap = read_snapshot(DEMO)
        ev = evaluate(snap.schools)
        for scheme in ("basic", "quality"):
            for stage in ("primary", "junior"):
                for mode in ("transfers", "both"):
                    goal = PlanGoal(scheme, stage, mode)
                    result = plan(snap, goal)
                    fig = measure(lambda g=goal: plan(snap, g), repeat=3, target_s=2.0)
                    fig.update(_facts(result))
                    figures[f"plan_demo_{scheme}_{stage}_{mode}"] = fig
        for stage in ("primary", "junior"):
            goal = PlanGoal("quality", stage, "transfers")
            quick = preview(snap, goal, before=ev)
            fig = measure(lambda g=goal: preview(snap, g, before=ev), repeat=7, target_s=0.1)
            fig.update(_facts(quick))
            figures[f"preview_demo_quality_{stage}"] = fig
            fig = measure(lambda g=goal: preview(snap, g), repeat=5)
            figures[f"preview_demo_quality_{stage}_from_scratch"] = fig
            # the greedy search alone, without the engine's re-check (apply_actions + evaluate)
            inst = _prepare(snap.schools, goal, PlanConstraints(), snap.teachers, DEFAULT_PARAMS, ev)
            fig = measure(lambda i=inst: _moves(i, _greedy(i, 400)), repeat=7, target_s=0.1)
            figures[f"preview_demo_quality_{stage}_search_only"] = fig
    county = synthetic_country(n_counties=1, schools_per_county=SYNTHETIC_SCHOOLS, seed=SYNTHETIC_SEED)
    cev = evaluate(county)
    units = {k: int(len(v)) for k, v in cev.units.items()}
    for scheme, stage in (("quality", "primary"), ("quality", "junior")):
        goal = PlanGoal(scheme, stage, "transfers")
        holder: dict[str, Plan] = {}

        def once(g: PlanGoal = goal, out: dict[str, Plan] = holder) -> None:
            out["p"] = plan(county, g, time_limit_s=20.0)

        fig = measure(once, repeat=1, warmup=0, target_s=20.0)
        fig.update(_facts(holder["p"]), units=units, stage_units=int(
            (cev.units[scheme]["stage"] == stage).sum()))
        figures[f"plan_synthetic_400_{scheme}_{stage}"] = fig
    return {"figures": figures}
