"""The planner: fewest teacher transfers and least-cost purchases that make a scheme pass, engine-checked.
May import dashboard.method, dashboard.store, dashboard.planning.scenario and dashboard.i18n; never dashboard.ui."""

from dashboard.planning.planner.deadline import Deadline
from dashboard.planning.planner.instance import haversine_km
from dashboard.planning.planner.preview import preview
from dashboard.planning.planner.report import plan_to_json
from dashboard.planning.planner.solve import plan
from dashboard.planning.planner.types import (
    DEFAULT_STAFFING_NORM,
    MODES,
    CheckFailure,
    Plan,
    PlanCheck,
    PlanConstraints,
    PlanError,
    PlanGoal,
    PlanStatus,
    Purchase,
    Rotation,
    Shortfall,
    unit_cost_units,
    unit_costs,
)

__all__ = [
    "MODES",
    "DEFAULT_STAFFING_NORM",
    "PlanGoal",
    "PlanConstraints",
    "Purchase",
    "Rotation",
    "Shortfall",
    "PlanCheck",
    "PlanStatus",
    "CheckFailure",
    "Deadline",
    "Plan",
    "PlanError",
    "unit_costs",
    "unit_cost_units",
    "plan",
    "preview",
    "plan_to_json",
    "haversine_km",
]
