"""What-if scenarios: actions on a snapshot's schools table, applied as a pure function.

A :class:`Scenario` names its snapshot (id and the sha256 of its schools file), carries a note
and a list of actions, and round-trips through JSON.  The four actions are

- :class:`Transfer` — n full-time teachers (专任教师, head count) of one stage move from one
  school to another, with how many of them are above the required degree, of middle-or-higher
  title, backbone and PE/arts teachers (or named roster teachers, which fix those counts);
- :class:`Hire` — n new teachers of a stage at a school, with the same attribute counts;
- :class:`AddResource` — an amount added to one whole-school resource column (m², 元 or items);
- :class:`MovePupils` — n pupils of a stage move from one school to another (a catchment change;
  teachers stay where they are).

:func:`apply_actions` applies them in order to a copy of the schools table (and of the roster,
if given) and refuses an impossible action with a :class:`ScenarioError` that names the action
(1-based), the field, the value and the rule, in Chinese or English.  Transfers and pupil moves
keep every county total unchanged.  :class:`ScenarioStore` keeps scenarios as JSON files in a
folder (``<data root>/scenarios/``), written atomically.

>>> import pandas as pd
>>> schools = pd.DataFrame({
...     "school_id": ["A", "B"], "school_name": ["甲校", "乙校"], "county_code": ["990101"] * 2,
...     "year": [2024, 2024], "students_primary": [400, 300], "teachers_primary": [30, 12],
...     "teachers_above_degree_primary": [20, 10], "teachers_mid_title_primary": [20, 5],
...     "teachers_backbone_primary": [6, 0], "teachers_pe_art_primary": [3, 1]})
>>> after = apply_actions(schools, [Transfer("A", "B", "primary", 3, backbone=2)]).schools
>>> after["teachers_primary"].tolist(), after["teachers_backbone_primary"].tolist()
([27, 15], [4, 2])
>>> schools["teachers_primary"].tolist()  # the input is unchanged
[30, 12]
>>> apply_actions(schools, [Transfer("A", "B", "primary", 3, backbone=4)])
Traceback (most recent call last):
...
dashboard.planning.scenario.actions.ScenarioError: 第 1 项操作（调动教师），“其中县级及以上骨干”为 4：超过调动或招聘的教师人数 3
"""

from __future__ import annotations

from dashboard.method.standards import STAGES
from dashboard.planning.scenario.actions import (
    ACTION_KINDS,
    RESOURCE_COLUMNS,
    SCENARIO_DIR,
    SCENARIO_FORMAT,
    TEACHER_ATTRS,
    WHOLE_RESOURCES,
    Action,
    AddResource,
    AppliedScenario,
    Hire,
    MovePupils,
    Scenario,
    ScenarioError,
    Transfer,
    action_kind,
    attribute_column,
)
from dashboard.planning.scenario.apply import (
    apply_actions,
    apply_scenario,
    roster_attributes,
    snapshot_checksum,
)
from dashboard.planning.scenario.store import ScenarioInfo, ScenarioStore, scenario_root

__all__ = [
    "STAGES",
    "RESOURCE_COLUMNS",
    "WHOLE_RESOURCES",
    "TEACHER_ATTRS",
    "ACTION_KINDS",
    "SCENARIO_DIR",
    "SCENARIO_FORMAT",
    "Transfer",
    "Hire",
    "AddResource",
    "MovePupils",
    "Action",
    "Scenario",
    "AppliedScenario",
    "ScenarioInfo",
    "ScenarioError",
    "ScenarioStore",
    "action_kind",
    "attribute_column",
    "roster_attributes",
    "apply_actions",
    "apply_scenario",
    "snapshot_checksum",
    "scenario_root",
]
