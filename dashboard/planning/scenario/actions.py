"""Scenario actions as data: the four action kinds, the scenario (JSON round trip), its errors."""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from dashboard.i18n import DEFAULT_LANG, catalogue, t
from dashboard.method.standards import INDICATORS, teacher_attributes

if TYPE_CHECKING:
    pass


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
KIND_OF: Final = {cls: kind for kind, cls in ACTION_KINDS.items()}


def action_kind(action: object) -> str:
    """Return the kind of an action: 'transfer', 'hire', 'add_resource' or 'move_pupils'.

    >>> action_kind(Hire("A", "primary", 2))
    'hire'
    """
    kind = KIND_OF.get(type(action))
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
        params = {k: (t(v.key, lang) if isinstance(v, CatalogueText)
                      else v.message(lang) if isinstance(v, ScenarioError) else v)
                  for k, v in self.params.items()}  # a nested error speaks the same language
        rule = t(f"scenario.rule.{self.rule}", lang, **params)
        parts = []
        if self.index is not None:
            kind = t(f"scenario.kind.{self.kind}", lang) if self.kind in ACTION_KINDS else str(self.kind)
            parts.append(t("scenario.error.action", lang, index=self.index, kind=kind))
        if self.field is not None:
            label = f"scenario.field_label.{self.field}"
            label = label if label in catalogue() else "scenario.field_label.other"
            parts.append(t("scenario.error.field", lang, field=t(label, lang), value=_show(self.value)))
        if not parts:
            return rule
        return t("scenario.error.message", lang, where=t("scenario.error.sep", lang).join(parts),
                 rule=rule)


@dataclass(frozen=True)
class CatalogueText:
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
            if isinstance(action, AddResource) and not finite(action.amount):
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


def finite(value: object) -> bool:
    """Return True when ``value`` is a finite number (False for text, None, nan, ±inf)."""
    try:
        return math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
