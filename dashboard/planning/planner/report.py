"""The plan as the CLI's JSON object (strict JSON: no NaN or infinity, every key always present)."""

from __future__ import annotations

import math
from dataclasses import asdict

from dashboard.method.engine import to_report
from dashboard.planning.planner.types import Plan


def _num(x: float | None) -> float | None:
    """Return ``x``, or None when it is not a finite number (JSON has no NaN)."""
    return None if x is None or not math.isfinite(x) else float(x)


def plan_to_json(p: Plan) -> dict:
    """Return the plan as the CLI's JSON object: goal, status (optimal, feasible, infeasible,
    undecided or already_passes), objective, proven lower bound, gap, moves, purchases,
    explanation (kind, indicator, constraint, count and the message in zh and en), rotation,
    the engine's re-check (with each failure typed and in both languages) and ``after``."""
    moves = [{"from_school_id": m.from_school_id, "to_school_id": m.to_school_id, "stage": m.stage,
              "count": m.count, "above_degree": m.above_degree, "mid_title": m.mid_title,
              "backbone": m.backbone, "pe_art": m.pe_art, "teacher_ids": list(m.teacher_ids)} for m in p.moves]
    purchases = [{"school_id": x.school_id, "resource": x.resource, "amount": x.amount,
                  "cost_yuan": x.cost_yuan} for x in p.purchases]
    explanation = [{"kind": e.kind, "indicator": e.indicator, "attribute": e.attribute, "count": e.count,
                    "constraint": e.constraint, "placement": [list(x) for x in e.placement],
                    "message_zh": e.message("zh"), "message_en": e.message("en")} for e in p.explanation]
    r = p.rotation
    rotation = {**asdict(r), "share": _num(r.share), "backbone_share": _num(r.backbone_share)}
    failures = [{"kind": f.kind, "school_id": f.school_id, "to_school_id": f.to_school_id,
                 "indicator": f.indicator, "value": _num(f.value),
                 "message_zh": f.message("zh"), "message_en": f.message("en")} for f in p.check.failures]
    return {"county_code": p.county_code, "year": p.year,
            "goal": {"scheme": p.goal.scheme, "stage": p.goal.stage, "mode": p.goal.mode},
            "status": str(p.status), "optimal": p.optimal, "method": p.method,
            "objective": _num(p.objective), "lower_bound": _num(p.lower_bound), "gap": _num(p.gap),
            "transfers": p.transfers, "cost_yuan": _num(p.cost_yuan),
            "cost_per_transfer_yuan": p.constraints.cost("teacher_transfer"),
            "seconds": round(p.seconds, 3), "moves": moves, "purchases": purchases,
            "explanation": explanation, "rotation": rotation,
            "check": {"passed": p.check.passed, "goal_met": p.check.goal_met,
                      "constraints_ok": p.check.constraints_ok, "failures": failures},
            "after": to_report(p.after, p.county_code, p.year)}
