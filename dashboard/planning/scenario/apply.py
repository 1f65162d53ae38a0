"""Applying actions to a schools table (and roster) as a pure function, every refusal named."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from dashboard.method.standards import STAGES

if TYPE_CHECKING:
    from dashboard.store.snapshots import Snapshot

from dashboard.planning.scenario.actions import (
    KIND_OF,
    RESOURCE_COLUMNS,
    TEACHER_ATTRS,
    WHOLE_RESOURCES,
    Action,
    AddResource,
    AppliedScenario,
    CatalogueText,
    Hire,
    MovePupils,
    Scenario,
    ScenarioError,
    Transfer,
    attribute_column,
    finite,
)

# ----------------------------------------------------------------------------- application


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
                            stage=CatalogueText(f"stage.{stage}"))
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
                             else at_school, at_stage=CatalogueText(f"stage.{at_stage}"),
                             school=check.table.label(source), stage=CatalogueText(f"stage.{stage}"))
        positions.append(i)
    counts = roster.attributes(positions)
    for attr in TEACHER_ATTRS:
        given = getattr(action, attr)
        if given != 0 and given != counts[attr]:
            raise check.fail("roster_disagrees", attr, given, roster=counts[attr],
                             attr=CatalogueText(f"scenario.attr.{attr}"))
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
                         school=table.label(source), stage=CatalogueText(f"stage.{stage}"))
    for attr, value in attrs.items():
        column = attribute_column(attr, stage)
        have_attr = int(table.get(source, column))
        label = CatalogueText(f"scenario.attr.{attr}")
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
            or not finite(amount):
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
                         school=table.label(source), stage=CatalogueText(f"stage.{stage}"))
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
        kind = KIND_OF.get(type(action))
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
