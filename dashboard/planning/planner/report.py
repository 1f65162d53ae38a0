"""The plan as the CLI's JSON object."""

from __future__ import annotations

import math

from dashboard.method.engine import to_report
from dashboard.planning.planner.types import Plan


def plan_to_json(p: Plan) -> dict:
    """Return the plan as the CLI's JSON object: moves, purchases, objective, optimal, gap, after,
    plus status, explanation and rotation."""
    moves = [{"from_school_id": m.from_school_id, "to_school_id": m.to_school_id, "stage": m.stage,
              "count": m.count, "above_degree": m.above_degree, "mid_title": m.mid_title,
              "backbone": m.backbone, "pe_art": m.pe_art, "teacher_ids": list(m.teacher_ids)} for m in p.moves]
    purchases = [{"school_id": x.school_id, "resource": x.resource, "amount": x.amount,
                  "cost_yuan": x.cost_yuan} for x in p.purchases]
    gap = None if math.isnan(p.gap) else p.gap
    obj = None if math.isnan(p.objective) else p.objective
    return {"moves": moves, "purchases": purchases, "objective": obj, "optimal": p.optimal, "gap": gap,
            "after": to_report(p.after, p.county_code, p.year)}
