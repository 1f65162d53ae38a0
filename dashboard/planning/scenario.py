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
dashboard.planning.scenario.ScenarioError: 第 1 项操作（调动教师），字段 backbone = 4：超过调动或招聘的教师人数 3
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from dashboard.i18n import DEFAULT_LANG, t
from dashboard.method.standards import INDICATORS, STAGES, teacher_attributes

if TYPE_CHECKING:
    from dashboard.store.snapshots import Snapshot

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

# Whole-school columns an AddResource may add to (the engine apportions them between stages).
# The numerators of the shared (resource) indicators, in indicators.csv order, and the floor area.
RESOURCE_COLUMNS: Final = (*dict.fromkeys(ind.numerator for ind in INDICATORS.values() if ind.shared),
                           "building_area_m2")
# Of those, the ones that count items (an amount added must be a whole number).
WHOLE_RESOURCES: Final = ("computers", "books", "multimedia_rooms")
# Teacher attributes of an action -> schools column teachers_<attr>_<stage>.
TEACHER_ATTRS: Final = teacher_attributes()
SCENARIO_DIR: Final = "scenarios"  # the store's folder under a data root
SCENARIO_FORMAT: Final = 1  # version of the JSON layout written by Scenario.to_json
_NAME_PATTERN: Final = re.compile(r"\w(?:[\w\- ]{0,62}[\w\-])?")
_TEMP_PREFIX: Final = ".tmp-"


# ----------------------------------------------------------------------------- actions


@dataclass(frozen=True)
class Transfer:
    """Move ``count`` full-time teachers (head count) of ``stage`` from one school to another.

    ``above_degree``, ``mid_title``, ``backbone`` and ``pe_art`` say how many of the moved
    teachers have each attribute (each between 0 and ``count``).  ``teacher_ids`` names roster
    teachers instead: their attributes are then read from the roster (a non-zero attribute
    given here must agree with it) and ``count`` must equal the number of names.
    """

    from_school_id: str
    to_school_id: str
    stage: str
    count: int
    above_degree: int = 0
    mid_title: int = 0
    backbone: int = 0
    pe_art: int = 0
    teacher_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Hire:
    """Add ``count`` new full-time teachers (head count) of ``stage`` at a school, with how
    many of them are above the required degree, of middle-or-higher title, backbone, PE/arts."""

    school_id: str
    stage: str
    count: int
    above_degree: int = 0
    mid_title: int = 0
    backbone: int = 0
    pe_art: int = 0


for _action in (Transfer, Hire):
    # An action carries one count per teacher attribute the indicators count.
    _missing = set(TEACHER_ATTRS) - {f.name for f in dataclasses.fields(_action)}
    if _missing:
        raise RuntimeError(f"{_action.__name__} lacks the teacher attributes {sorted(_missing)}")


@dataclass(frozen=True)
class AddResource:
    """Add ``amount`` to a whole-school resource column of one school.

    ``amount`` is in the column's own unit: m² (``*_m2``), 元 (``equipment_value_yuan``) or a
    count of items (computers, books, multimedia rooms; a whole number).
    """

    school_id: str
    resource: str
    amount: float


@dataclass(frozen=True)
class MovePupils:
    """Move ``count`` pupils (head count) of ``stage`` from one school to another (a catchment
    change); the teachers stay where they are."""

    from_school_id: str
    to_school_id: str
    stage: str
    count: int


Action = Transfer | Hire | AddResource | MovePupils
ACTION_KINDS: Final[dict[str, type]] = {"transfer": Transfer, "hire": Hire,
                                        "add_resource": AddResource, "move_pupils": MovePupils}
_KIND_OF: Final = {cls: kind for kind, cls in ACTION_KINDS.items()}


def action_kind(action: object) -> str:
    """Return the kind of an action: 'transfer', 'hire', 'add_resource' or 'move_pupils'.

    >>> action_kind(Hire("A", "primary", 2))
    'hire'
    """
    kind = _KIND_OF.get(type(action))
    if kind is None:
        raise ScenarioError("unknown_kind", field="kind", value=type(action).__name__)
    return kind


def attribute_column(attr: str, stage: str) -> str:
    """Return the schools column of a teacher attribute at a stage.

    >>> attribute_column("backbone", "junior")
    'teachers_backbone_junior'
    """
    return f"teachers_{attr}_{stage}"


# ----------------------------------------------------------------------------- errors


class ScenarioError(ValueError):
    """An action, a scenario file or a store request that cannot be carried out.

    ``index`` is the 1-based position of the action (None when the error is not about one
    action), ``kind`` its kind, ``field`` and ``value`` what was refused, ``rule`` the catalogue
    key ``scenario.rule.<rule>`` and ``params`` the values the rule's text names.  ``str()`` is
    the message in Chinese (the default language); :meth:`message` gives either language.
    """

    def __init__(self, rule: str, *, index: int | None = None, kind: str | None = None,
                 field: str | None = None, value: object = None, **params: object) -> None:
        self.rule, self.index, self.kind, self.field, self.value = rule, index, kind, field, value
        self.params = dict(params)
        super().__init__(self.message(DEFAULT_LANG))

    def message(self, lang: str = DEFAULT_LANG) -> str:
        """Return the message in ``lang``: where (action, field = value), then the rule."""
        params = {k: (t(v.key, lang) if isinstance(v, _Text) else v) for k, v in self.params.items()}
        rule = t(f"scenario.rule.{self.rule}", lang, **params)
        parts = []
        if self.index is not None:
            kind = t(f"scenario.kind.{self.kind}", lang) if self.kind in ACTION_KINDS else str(self.kind)
            parts.append(t("scenario.error.action", lang, index=self.index, kind=kind))
        if self.field is not None:
            parts.append(t("scenario.error.field", lang, field=self.field, value=_show(self.value)))
        if not parts:
            return rule
        return t("scenario.error.message", lang, where=t("scenario.error.sep", lang).join(parts),
                 rule=rule)


@dataclass(frozen=True)
class _Text:
    """A catalogue key used as a message parameter (translated when the message is built)."""

    key: str


def _show(value: object) -> str:
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


# ----------------------------------------------------------------------------- scenario


@dataclass(frozen=True)
class Scenario:
    """A named list of actions on one snapshot (``snapshot_sha256``: its schools file's sha256).

    ``created`` is an ISO 8601 time (filled in by :meth:`ScenarioStore.save` when empty).

    >>> s = Scenario("方案一", "demo-990101-2024", "ab" * 32, actions=(Hire("A", "junior", 2),))
    >>> Scenario.from_json(s.to_json()) == s
    True
    """

    name: str
    snapshot_id: str
    snapshot_sha256: str
    note: str = ""
    actions: tuple[Action, ...] = ()
    created: str = ""

    def to_json(self) -> str:
        """Return the scenario as JSON text (UTF-8, Chinese kept readable, keys sorted)."""
        actions = []
        for index, action in enumerate(self.actions, start=1):
            kind = action_kind(action)
            body: dict[str, Any] = {"kind": kind}
            for f in dataclasses.fields(action):
                value = getattr(action, f.name)
                body[f.name] = list(value) if isinstance(value, tuple) else value
            if isinstance(action, AddResource) and not _finite(action.amount):
                raise ScenarioError("not_number", index=index, kind=kind, field="amount",
                                    value=action.amount)
            actions.append(body)
        data = {"format": SCENARIO_FORMAT, "name": self.name, "snapshot_id": self.snapshot_id,
                "snapshot_sha256": self.snapshot_sha256, "note": self.note,
                "created": self.created, "actions": actions}
        return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, allow_nan=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Scenario:
        """Return the scenario written by :meth:`to_json`; a malformed text raises ScenarioError
        naming the action and field."""
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ScenarioError("bad_json", reason=str(exc)) from exc
        if not isinstance(data, dict):
            raise ScenarioError("bad_json", reason=type(data).__name__)
        if data.get("format", SCENARIO_FORMAT) != SCENARIO_FORMAT:
            raise ScenarioError("bad_format", field="format", value=data.get("format"),
                                supported=SCENARIO_FORMAT)
        head = {}
        for name in ("name", "snapshot_id", "snapshot_sha256", "note", "created"):
            value = data.get(name, "" if name in ("note", "created") else None)
            if not isinstance(value, str):
                raise ScenarioError("field_type", field=name, value=value, expected="str")
            head[name] = value
        raw = data.get("actions", [])
        if not isinstance(raw, list):
            raise ScenarioError("field_type", field="actions", value=type(raw).__name__,
                                expected="list")
        actions = tuple(_action_from_dict(i, item) for i, item in enumerate(raw, start=1))
        return cls(actions=actions, **head)


_FIELD_TYPES: Final = {"str": (str,), "int": (int, np.integer), "float": (int, float, np.number)}


def _action_from_dict(index: int, item: object) -> Action:
    if not isinstance(item, dict):
        raise ScenarioError("field_type", index=index, field="action", value=type(item).__name__,
                            expected="object")
    kind = item.get("kind")
    cls = ACTION_KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ScenarioError("unknown_kind", index=index, kind=kind, field="kind", value=kind)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(item) - set(fields) - {"kind"})
    if unknown:
        raise ScenarioError("unknown_field", index=index, kind=kind, field=unknown[0],
                            value=item[unknown[0]])
    values: dict[str, Any] = {}
    for name, f in fields.items():
        if name not in item:
            if f.default is dataclasses.MISSING:
                raise ScenarioError("missing_field", index=index, kind=kind, field=name, value="")
            continue
        value = item[name]
        if f.type == "tuple[str, ...]":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ScenarioError("field_type", index=index, kind=kind, field=name, value=value,
                                    expected="list[str]")
            value = tuple(value)
        elif isinstance(value, bool) or not isinstance(value, _FIELD_TYPES[str(f.type)]):
            raise ScenarioError("field_type", index=index, kind=kind, field=name, value=value,
                                expected=f.type)
        elif f.type == "float":
            value = float(value)
        values[name] = value
    return cls(**values)


@dataclass(frozen=True, eq=False)
class AppliedScenario:
    """The result of applying actions: a new schools table and, when a roster was given, a
    new roster (named transfers move those teachers; hires and unnamed transfers have no
    names and do not appear in it)."""

    schools: pd.DataFrame
    teachers: pd.DataFrame | None = None


# ----------------------------------------------------------------------------- application


def _finite(value: object) -> bool:
    try:
        return math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


class _Table:
    """A working copy of the schools table addressed by school id.

    Touched columns are held as writable numpy copies (a cell write into a DataFrame costs
    far more than the whole action); :meth:`frame` builds the new table once at the end.
    """

    def __init__(self, schools: pd.DataFrame) -> None:
        self._source = schools
        ids = schools["school_id"].astype(str).tolist()
        counts = pd.Series(ids).value_counts()
        if (counts > 1).any():
            dup = str(counts.index[0])
            raise ScenarioError("duplicate_school", field="school_id", value=dup,
                                n=int(counts.iloc[0]))
        self.row = {sid: i for i, sid in enumerate(ids)}
        self.col = {c: i for i, c in enumerate(schools.columns)}
        self._arrays: dict[str, np.ndarray] = {}

    def _array(self, column: str) -> np.ndarray:
        array = self._arrays.get(column)
        if array is None:
            array = self._arrays[column] = self._source[column].to_numpy(copy=True)
        return array

    def get(self, school: str, column: str) -> Any:
        value = self._array(column)[self.row[school]]
        return 0 if pd.isna(value) else value

    def add(self, school: str, column: str, amount: float) -> None:
        array = self._array(column)
        value = self.get(school, column) + amount
        if pd.api.types.is_integer_dtype(self._source[column].dtype):
            value = int(round(value))
        array[self.row[school]] = value

    def frame(self) -> pd.DataFrame:
        """Return the new schools table (a deep copy; columns keep their dtypes)."""
        out = self._source.copy(deep=True)
        for column, array in self._arrays.items():
            dtype = self._source[column].dtype
            values = pd.Series(array, index=out.index)
            out[column] = values if array.dtype == dtype else values.astype(dtype)
        return out

    def label(self, school: str) -> str:
        name = self.get(school, "school_name") if "school_name" in self.col else ""
        return f"{name}（{school}）" if name else school

    def county(self, school: str) -> str:
        return str(self.get(school, "county_code")) if "county_code" in self.col else ""

    def has_stage(self, school: str, stage: str) -> bool:
        return any(self.get(school, f"{p}_{stage}") > 0 for p in ("students", "teachers")
                   if f"{p}_{stage}" in self.col)


class _Check:
    """Checks of one action, raising ScenarioError with its index and kind."""

    def __init__(self, index: int, kind: str, table: _Table) -> None:
        self.index, self.kind, self.table = index, kind, table

    def fail(self, rule: str, field: str, value: object, **params: object) -> ScenarioError:
        return ScenarioError(rule, index=self.index, kind=self.kind, field=field, value=value,
                             **params)

    def count(self, field: str, value: object, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise self.fail("not_integer", field, value)
        if value < 0:
            raise self.fail("negative", field, value)
        if value < minimum:
            raise self.fail("min_count", field, value, minimum=minimum)
        return int(value)

    def stage(self, value: object) -> str:
        if value not in STAGES:
            raise self.fail("bad_stage", "stage", value)
        return str(value)

    def school(self, field: str, value: object, stage: str | None = None) -> str:
        school = str(value)
        if school not in self.table.row:
            raise self.fail("unknown_school", field, value)
        if stage is not None and not self.table.has_stage(school, stage):
            raise self.fail("no_stage", field, value, school=self.table.label(school),
                            stage=_Text(f"stage.{stage}"))
        return school

    def pair(self, source: str, target: str) -> None:
        if source == target:
            raise self.fail("same_school", "to_school_id", target)
        a, b = self.table.county(source), self.table.county(target)
        if a != b:
            raise self.fail("other_county", "to_school_id", target,
                            school=self.table.label(target), county=b, from_county=a)


def roster_attributes(roster: pd.DataFrame) -> pd.DataFrame:
    """Return the roster with 0/1 columns above_degree, mid_title, backbone, pe_art.

    The rules are the schools table's (docs/data-contract.md §2, §3): above the required degree is
    专科 and above for primary and 本科 and above for junior; middle-or-higher title is
    中级 and above; backbone is any level other than none; PE/arts is 体育, 音乐 or 美术.
    They come from ``dashboard.store.contract.roster_flags``, the one definition of the counts.
    """
    from dashboard.store.contract import roster_flags

    flags = roster_flags(roster)
    out = roster.copy()
    for attr in TEACHER_ATTRS:
        out[attr] = flags[f"teachers_{attr}"].to_numpy()
    return out


class _Roster:
    """The roster as named transfers change it: school and start year per teacher (arrays),
    the attribute flags computed once; ``frame()`` builds the new roster table."""

    def __init__(self, teachers: pd.DataFrame) -> None:
        self._source = teachers
        self.ids = teachers["teacher_id"].astype(str).to_numpy(dtype=object)
        self.position = {teacher: i for i, teacher in enumerate(self.ids)}
        self.school = teachers["school_id"].astype(str).to_numpy(dtype=object).copy()
        self.stage = teachers["stage"].astype(str).to_numpy(dtype=object)
        self.start = (teachers["start_year_at_school"].to_numpy().copy()
                      if "start_year_at_school" in teachers.columns else None)
        self._attrs: pd.DataFrame | None = None
        self.changed = False

    def attributes(self, positions: list[int]) -> dict[str, int]:
        """Return the attribute counts (above_degree, …) of the teachers at ``positions``."""
        if self._attrs is None:
            self._attrs = roster_attributes(self._source)[list(TEACHER_ATTRS)]
        chosen = self._attrs.iloc[positions]
        return {attr: int(chosen[attr].sum()) for attr in TEACHER_ATTRS}

    def move(self, positions: list[int], school: str, year: int | None) -> None:
        self.school[positions] = school
        if self.start is not None and year is not None:
            self.start[positions] = year
        self.changed = True

    def frame(self) -> pd.DataFrame:
        out = self._source.copy(deep=True)
        if self.changed:
            out["school_id"] = self.school
            if self.start is not None:
                out["start_year_at_school"] = self.start
        return out


def _named(check: _Check, action: Transfer, roster: _Roster | None,
           source: str, stage: str) -> tuple[dict[str, int], list[int]]:
    """Return the attribute counts of the named teachers (checked against the roster) and
    their positions in it."""
    ids = action.teacher_ids
    if roster is None:
        raise check.fail("need_roster", "teacher_ids", ids)
    if not isinstance(ids, tuple) or not all(isinstance(i, str) for i in ids):
        raise check.fail("field_type", "teacher_ids", ids, expected="tuple[str, ...]")
    seen: set[str] = set()
    for teacher in ids:
        if teacher in seen:
            raise check.fail("duplicate_teacher", "teacher_ids", teacher)
        seen.add(teacher)
    if action.count != len(ids):
        raise check.fail("ids_count", "count", action.count, n=len(ids))
    positions = []
    for teacher in ids:
        if teacher not in roster.position:
            raise check.fail("unknown_teacher", "teacher_ids", teacher)
        i = roster.position[teacher]
        at_school, at_stage = str(roster.school[i]), str(roster.stage[i])
        if at_school != source or at_stage != stage:
            raise check.fail("teacher_elsewhere", "teacher_ids", teacher,
                             at_school=check.table.label(at_school) if at_school in check.table.row
                             else at_school, at_stage=_Text(f"stage.{at_stage}"),
                             school=check.table.label(source), stage=_Text(f"stage.{stage}"))
        positions.append(i)
    counts = roster.attributes(positions)
    for attr in TEACHER_ATTRS:
        given = getattr(action, attr)
        if given != 0 and given != counts[attr]:
            raise check.fail("roster_disagrees", attr, given, roster=counts[attr],
                             attr=_Text(f"scenario.attr.{attr}"))
    return counts, positions


def _attributes(check: _Check, action: Transfer | Hire, count: int,
                fixed: dict[str, int] | None) -> dict[str, int]:
    out = {}
    for attr in TEACHER_ATTRS:
        value = fixed[attr] if fixed is not None else check.count(attr, getattr(action, attr), 0)
        if value > count:
            raise check.fail("attr_exceeds_count", attr, value, count=count)
        out[attr] = value
    return out


def _transfer(check: _Check, table: _Table, action: Transfer, roster: _Roster | None) -> None:
    stage = check.stage(action.stage)
    source = check.school("from_school_id", action.from_school_id, stage)
    target = check.school("to_school_id", action.to_school_id, stage)
    check.pair(source, target)
    count = check.count("count", action.count, 1)
    fixed, positions = (_named(check, action, roster, source, stage) if action.teacher_ids
                        else (None, []))
    attrs = _attributes(check, action, count, fixed)
    have = int(table.get(source, f"teachers_{stage}"))
    if count > have:
        raise check.fail("too_many_teachers", "count", count, have=have,
                         school=table.label(source), stage=_Text(f"stage.{stage}"))
    for attr, value in attrs.items():
        column = attribute_column(attr, stage)
        have_attr = int(table.get(source, column))
        label = _Text(f"scenario.attr.{attr}")
        if value > have_attr:
            raise check.fail("attr_exceeds_school", attr, value, have=have_attr,
                             school=table.label(source), attr=label)
        if count - value > have - have_attr:
            raise check.fail("attr_left_over", attr, value, count=count, rest=count - value,
                             others=have - have_attr, school=table.label(source), attr=label)
    table.add(source, f"teachers_{stage}", -count)
    table.add(target, f"teachers_{stage}", count)
    for attr, value in attrs.items():
        table.add(source, attribute_column(attr, stage), -value)
        table.add(target, attribute_column(attr, stage), value)
    if roster is not None and positions:
        roster.move(positions, target, int(table.get(target, "year")) if "year" in table.col
                    else None)


def _hire(check: _Check, table: _Table, action: Hire) -> None:
    stage = check.stage(action.stage)
    school = check.school("school_id", action.school_id, stage)
    count = check.count("count", action.count, 1)
    attrs = _attributes(check, action, count, None)
    table.add(school, f"teachers_{stage}", count)
    for attr, value in attrs.items():
        table.add(school, attribute_column(attr, stage), value)


def _add_resource(check: _Check, table: _Table, action: AddResource) -> None:
    school = check.school("school_id", action.school_id)
    if action.resource not in RESOURCE_COLUMNS or action.resource not in table.col:
        raise check.fail("unknown_resource", "resource", action.resource,
                         allowed=", ".join(RESOURCE_COLUMNS))
    amount = action.amount
    if isinstance(amount, bool) or not isinstance(amount, (int, float, np.number)) \
            or not _finite(amount):
        raise check.fail("not_number", "amount", amount)
    if amount <= 0:
        raise check.fail("not_positive", "amount", amount)
    if action.resource in WHOLE_RESOURCES and float(amount) != int(amount):
        raise check.fail("whole_resource", "amount", amount, resource=action.resource)
    table.add(school, action.resource, float(amount))


def _move_pupils(check: _Check, table: _Table, action: MovePupils) -> None:
    stage = check.stage(action.stage)
    source = check.school("from_school_id", action.from_school_id, stage)
    target = check.school("to_school_id", action.to_school_id, stage)
    check.pair(source, target)
    count = check.count("count", action.count, 1)
    have = int(table.get(source, f"students_{stage}"))
    if count > have:
        raise check.fail("too_many_pupils", "count", count, have=have,
                         school=table.label(source), stage=_Text(f"stage.{stage}"))
    table.add(source, f"students_{stage}", -count)
    table.add(target, f"students_{stage}", count)


def apply_actions(schools: pd.DataFrame, actions: Sequence[Action], *,
                  teachers: pd.DataFrame | None = None) -> AppliedScenario:
    """Return new tables with ``actions`` applied in order (neither input is changed).

    ``schools`` follows docs/data-contract.md §2 with unique ``school_id``; ``teachers`` is the roster
    (docs/data-contract.md §3), needed only for transfers naming ``teacher_ids``.  Each action is checked against
    the table as the actions before it left it; the first impossible one raises
    :class:`ScenarioError` (naming its 1-based index, field, value and rule) and nothing is
    returned.  Transfers and pupil moves stay within one county and keep every county total
    of every teacher and pupil column.  A resource column with no value counts as 0.
    """
    table = _Table(schools)
    roster = _Roster(teachers) if teachers is not None else None
    for index, action in enumerate(actions, start=1):
        kind = _KIND_OF.get(type(action))
        if kind is None:
            raise ScenarioError("unknown_kind", index=index, kind=type(action).__name__,
                                field="kind", value=type(action).__name__)
        check = _Check(index, kind, table)
        if isinstance(action, Transfer):
            _transfer(check, table, action, roster)
        elif isinstance(action, Hire):
            _hire(check, table, action)
        elif isinstance(action, AddResource):
            _add_resource(check, table, action)
        else:
            _move_pupils(check, table, action)
    return AppliedScenario(table.frame(), roster.frame() if roster is not None else None)


def snapshot_checksum(snapshot: Snapshot) -> str:
    """Return the sha256 (64 hex digits) of the snapshot's schools file, as its meta.json
    records it (the scenario's ``snapshot_sha256``)."""
    from dashboard.store.snapshots import TABLE_FILES

    return str(snapshot.meta["sha256"][TABLE_FILES["schools"]])


def apply_scenario(snapshot: Snapshot, scenario: Scenario) -> AppliedScenario:
    """Return the snapshot's schools (and roster) with the scenario's actions applied.

    A scenario made on other data (``snapshot_sha256`` differs from the snapshot's schools
    file) is refused with a ScenarioError naming both checksums.
    """
    actual = snapshot_checksum(snapshot)
    if scenario.snapshot_sha256 != actual:
        raise ScenarioError("checksum", field="snapshot_sha256", value=scenario.snapshot_sha256,
                            name=scenario.name, snapshot=snapshot.id, actual=actual)
    return apply_actions(snapshot.schools, scenario.actions, teachers=snapshot.teachers)


# ----------------------------------------------------------------------------- store


@dataclass(frozen=True)
class ScenarioInfo:
    """What :meth:`ScenarioStore.list` tells about a saved scenario (``actions``: how many)."""

    name: str
    snapshot_id: str
    snapshot_sha256: str
    note: str
    created: str
    actions: int
    path: Path


def scenario_root(data_root: str | Path) -> Path:
    """Return the folder of saved scenarios under a data root (``<data_root>/scenarios``)."""
    return Path(data_root) / SCENARIO_DIR


class ScenarioStore:
    """Saved scenarios as ``<root>/<name>.json`` (``root`` is usually ``scenario_root(data)``).

    Every write goes to a temporary file beside the target, is flushed to disk and then moved
    into place in one step (``os.link`` when it must not replace a file, ``os.replace`` when it
    may), so a reader sees the old file or the new one, never a part; saves of different names
    at the same time all survive.  Names are 1–64 letters, digits (Chinese included), spaces,
    ``_`` or ``-``, starting with a letter or digit and not ending with a space.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, name: str) -> Path:
        """Return the file of the scenario ``name`` (the name is checked first)."""
        if not isinstance(name, str) or not _NAME_PATTERN.fullmatch(name) or name.startswith("_"):
            raise ScenarioError("bad_name", field="name", value=name)
        return self.root / f"{name}.json"

    def save(self, scenario: Scenario, *, overwrite: bool = False) -> Path:
        """Return the path the scenario was written to (``created`` filled in if empty).

        An existing scenario of the same name is refused unless ``overwrite``.
        """
        target = self.path(scenario.name)
        if not scenario.created:
            scenario = dataclasses.replace(
                scenario, created=datetime.now(UTC).isoformat(timespec="seconds"))
        data = scenario.to_json().encode("utf-8")
        self.root.mkdir(parents=True, exist_ok=True)
        temp = self.root / f"{_TEMP_PREFIX}{secrets.token_hex(8)}.json"
        try:
            with temp.open("xb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            if overwrite:
                os.replace(temp, target)
            else:
                try:
                    os.link(temp, target)  # atomic, and fails if the name is taken
                except FileExistsError:
                    raise ScenarioError("exists", field="name", value=scenario.name) from None
        finally:
            temp.unlink(missing_ok=True)
        return target

    def load(self, name: str) -> Scenario:
        """Return the saved scenario ``name`` (ScenarioError 'not_found' when there is none)."""
        path = self.path(name)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ScenarioError("not_found", field="name", value=name) from None
        return Scenario.from_json(text)

    def delete(self, name: str) -> None:
        """Delete the saved scenario ``name`` (ScenarioError 'not_found' when there is none)."""
        try:
            os.remove(self.path(name))
        except FileNotFoundError:
            raise ScenarioError("not_found", field="name", value=name) from None

    def names(self) -> list[str]:
        """Return the names of the saved scenarios, sorted."""
        return [i.name for i in self.list()]

    def list(self) -> list[ScenarioInfo]:
        """Return the saved scenarios sorted by name; temporary and unreadable files are left
        out (every file written here is complete: see the class docstring)."""
        if not self.root.is_dir():
            return []
        found = []
        for path in self.root.glob("*.json"):
            if path.name.startswith("."):
                continue
            try:
                s = Scenario.from_json(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, ScenarioError):
                continue
            found.append(ScenarioInfo(name=path.stem, snapshot_id=s.snapshot_id,
                                      snapshot_sha256=s.snapshot_sha256, note=s.note,
                                      created=s.created, actions=len(s.actions), path=path))
        return sorted(found, key=lambda i: i.name)

