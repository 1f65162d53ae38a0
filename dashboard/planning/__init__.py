"""Planning: what-if scenarios (actions applied purely, the scenario store) and the planner
(fewest transfers, least spending; HiGHS through scipy), every plan re-checked by the engine.

Imports: ``dashboard.method``, ``dashboard.store`` and ``dashboard.i18n``; never ui.
"""
