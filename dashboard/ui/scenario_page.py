"""Page model of the 情景模拟 page, part one: building a scenario and keeping it, without
Streamlit.  The forms' choices (schools with a stage, roster teachers), actions described in
words, applying them (see ``dashboard.planning.scenario``; an impossible one is refused in the
user's language) and the store of saved scenarios.  What a scenario changes is
:mod:`dashboard.ui.scenario_results`.  No function changes its inputs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Final

import pandas as pd

from dashboard.i18n import t
from dashboard.method.engine import Evaluation
from dashboard.method.standards import STAGES, teacher_attributes
from dashboard.planning.scenario import (
    RESOURCE_COLUMNS,
    WHOLE_RESOURCES,
    Action,
    AddResource,
    Hire,
    MovePupils,
    Scenario,
    ScenarioError,
    ScenarioInfo,
    ScenarioStore,
    Transfer,
    action_kind,
    apply_actions,
    apply_scenario,
    attribute_column,
    roster_attributes,
    scenario_root,
    snapshot_checksum,
)
from dashboard.store.contract import enum_labels
from dashboard.store.snapshots import Snapshot
from dashboard.ui.evaluation import county_rows, evaluate_like
from dashboard.ui.format import fmt_money, fmt_number, fmt_time

__all__ = [
    # Re-exported for the page, which may not import dashboard.planning: the error it shows,
    # the four actions its forms build, the resources they offer, and the checksum that tells
    # which saved scenarios apply to the snapshot.
    "ScenarioError",
    "Transfer",
    "Hire",
    "AddResource",
    "MovePupils",
    "RESOURCE_COLUMNS",
    "snapshot_checksum",
    # this module's own
    "TEACHER_ATTRS",
    "default_mix",
    "scenario_store",
    "refusal",
    "evaluate_actions",
    "open_scenario",
    "save_scenario",
    "evaluate_saved",
    "usable_scenarios",
    "school_choices",
    "roster_choices",
    "named_transfer",
    "school_names",
    "stage_schools",
    "resource_label",
    "staff_table",
    "describe_action",
    "action_lines",
    "saved_table",
]

TEACHER_ATTRS: Final = teacher_attributes()  # the teacher attributes the forms ask for
MONEY_RESOURCE: Final = "equipment_value_yuan"  # the one resource counted in 元


# ----------------------------------------------------------------------------- apply, store


def scenario_store(data_root: str | Path) -> ScenarioStore:
    """Return the store of saved scenarios under the data root (``<data_root>/scenarios``)."""
    return ScenarioStore(scenario_root(data_root))


def refusal(schools: pd.DataFrame, actions: Sequence[Action], teachers: pd.DataFrame | None,
            lang: str) -> str | None:
    """Return why the actions cannot be applied in order (in ``lang``), None when they can."""
    try:
        apply_actions(schools, actions, teachers=teachers)
    except ScenarioError as exc:
        return exc.message(lang)
    return None


def evaluate_actions(schools: pd.DataFrame, actions: Sequence[Action],
                     teachers: pd.DataFrame | None, like: Evaluation | None = None) -> Evaluation:
    """Return the engine's evaluation of the schools with the actions applied, judged as
    ``like`` (the page's evaluation: profile, scope, class and room rows); raises
    ScenarioError when an action is impossible."""
    return evaluate_like(apply_actions(schools, actions, teachers=teachers).schools, like)


def open_scenario(store: ScenarioStore, snapshot: Snapshot, name: str) -> Scenario:
    """Return the saved scenario ``name`` after checking that it applies to ``snapshot``
    (raises ScenarioError naming the problem)."""
    saved = store.load(name)
    apply_scenario(snapshot, saved)
    return saved


def save_scenario(store: ScenarioStore, snapshot: Snapshot, name: str, note: str,
                  actions: Sequence[Action], *, overwrite: bool = False) -> str:
    """Save the actions as the scenario ``name`` of ``snapshot``; return the name saved
    (stripped).  Raises ScenarioError for a bad name or an existing one without overwrite."""
    name = name.strip()
    store.save(Scenario(name, snapshot.id, snapshot_checksum(snapshot), note, tuple(actions)),
               overwrite=overwrite)
    return name


def evaluate_saved(store: ScenarioStore, snapshot: Snapshot, name: str, county: str,
                   like: Evaluation | None = None) -> Evaluation:
    """Return the evaluation of one county with the saved scenario ``name`` applied, judged as
    ``like`` (raises ScenarioError when it cannot be loaded or applied)."""
    result = apply_scenario(snapshot, store.load(name))
    return evaluate_like(county_rows(result.schools, county), like)


def usable_scenarios(infos: Iterable[ScenarioInfo], snapshot: Snapshot) -> list[str]:
    """Return the names of the saved scenarios made on this snapshot's schools (same checksum)."""
    checksum = snapshot_checksum(snapshot)
    return [i.name for i in infos if i.snapshot_sha256 == checksum]


# ----------------------------------------------------------------------------- choices


def default_mix(schools: pd.DataFrame, school_id: str, stage: str, count: int) -> dict[str, int]:
    """Return how many of ``count`` teachers moved from ``school_id`` at ``stage`` have each
    attribute by default: the school's own mix, proportionally, rounded so that it never
    exceeds ``count`` nor what the school has, and leaves no more attribute-less teachers to
    move than the school has (all zero when the school or its teachers are unknown)."""
    rows = schools[schools["school_id"].astype(str) == str(school_id)]
    zero = dict.fromkeys(TEACHER_ATTRS, 0)
    if rows.empty or count <= 0:
        return zero
    r = rows.iloc[0]
    total = int(pd.to_numeric(r.get(f"teachers_{stage}"), errors="coerce") or 0)
    if total <= 0:
        return zero
    out = {}
    for attr in TEACHER_ATTRS:
        have = int(pd.to_numeric(r.get(attribute_column(attr, stage)), errors="coerce") or 0)
        have = min(max(have, 0), total)
        wanted = int(round(have * count / total))
        low, high = max(0, count - (total - have)), min(count, have)
        out[attr] = min(max(wanted, low), high)
    return out



def basic_units(schools: pd.DataFrame) -> dict[str, str]:
    """Return school_id → the id of the unit it is counted in under 基本均衡: a teaching point's
    parent school when the parent is in the snapshot (docs/method.md §3), else itself."""
    ids = schools["school_id"].astype(str)
    known = set(ids)
    types = schools.get("school_type", pd.Series("", index=schools.index)).astype(str)
    parents = schools.get("parent_school_id", pd.Series(None, index=schools.index))
    return {i: (str(p) if ty == "teaching_point" and pd.notna(p) and str(p) in known else i)
            for i, ty, p in zip(ids, types, parents, strict=True)}


def first_other_unit(choices: Sequence[str], units: Mapping[str, str]) -> int:
    """Return the position of the first choice counted in another basic unit than the first
    choice (a transfer between them changes the 基本均衡 figures); 1 (or 0) when none is."""
    if not choices:
        return 0
    first = units.get(choices[0], choices[0])
    return next((k for k, c in enumerate(choices) if units.get(c, c) != first),
                min(1, len(choices) - 1))


def stage_schools(schools: pd.DataFrame, stage: str) -> pd.DataFrame:
    """Return the schools that have ``stage``: pupils or full-time teachers at it."""
    has = (schools[f"students_{stage}"].fillna(0) > 0) | (schools[f"teachers_{stage}"].fillna(0) > 0)
    return schools[has]


def school_choices(schools: pd.DataFrame, stage: str | None = None) -> dict[str, str]:
    """Return school_id → 'name · township' (sorted by township, then name) of the schools,
    only those with ``stage`` when given (see :func:`stage_schools`)."""
    rows = stage_schools(schools, stage) if stage is not None else schools
    rows = rows.sort_values(["township", "school_name"], kind="stable")
    return {str(i): f"{n} · {tw}" for i, n, tw in
            zip(rows["school_id"], rows["school_name"], rows["township"], strict=True)}


def resource_label(resource: str, lang: str) -> str:
    """Return the name and unit of a resource column, e.g. '教学用计算机（台）'."""
    return t(f"scenario.resource.{resource}", lang)


def staff_table(schools: pd.DataFrame, stage: str, lang: str) -> pd.DataFrame:
    """Return per school with ``stage``: pupils and full-time teachers (head counts) with how
    many have each attribute, under localized headers (a guide to the forms' numbers)."""
    rows = stage_schools(schools, stage).sort_values(["township", "school_name"], kind="stable")
    out = {t("scenario.col.school", lang): rows["school_name"].astype(str).to_numpy(),
           t("scenario.col.township", lang): rows["township"].astype(str).to_numpy(),
           t("scenario.col.pupils", lang): rows[f"students_{stage}"].to_numpy(),
           t("scenario.col.teachers", lang): rows[f"teachers_{stage}"].to_numpy()}
    for attr in TEACHER_ATTRS:
        out[t(f"scenario.attr.{attr}", lang)] = rows[attribute_column(attr, stage)].to_numpy()
    return pd.DataFrame(out)


def roster_choices(teachers: pd.DataFrame | None, school_id: str, stage: str, year: int,
                   lang: str) -> dict[str, str]:
    """Return teacher_id -> label of the roster teachers of one school and stage: id, subject,
    title, backbone level and years at the school (no personal name), longest-serving first."""
    if teachers is None or teachers.empty:
        return {}
    rows = teachers[(teachers["school_id"].astype(str) == str(school_id))
                    & (teachers["stage"] == stage)]
    if "start_year_at_school" in rows.columns:
        rows = rows.sort_values(["start_year_at_school", "teacher_id"], kind="stable")
    titles, levels = enum_labels("title", lang), enum_labels("backbone_level", lang)
    out = {}
    for r in rows.itertuples(index=False):
        years = (year - int(r.start_year_at_school)) if hasattr(r, "start_year_at_school") else None
        out[str(r.teacher_id)] = t(
            "scenario.roster.label", lang, id=r.teacher_id, subject=r.subject,
            title=titles.get(r.title, r.title),
            backbone=levels.get(r.backbone_level, r.backbone_level),
            years="—" if years is None else years)
    return out


def named_transfer(teachers: pd.DataFrame, source: str, target: str, stage: str,
                   teacher_ids: Sequence[str]) -> Transfer:
    """Return the transfer of the named roster teachers, its attribute counts read from the
    roster (so the pending list shows them)."""
    chosen = roster_attributes(teachers[teachers["teacher_id"].astype(str).isin(list(teacher_ids))])
    return Transfer(str(source), str(target), stage, len(teacher_ids),
                    **{attr: int(chosen[attr].sum()) for attr in TEACHER_ATTRS},
                    teacher_ids=tuple(str(i) for i in teacher_ids))


# ----------------------------------------------------------------------------- actions


def school_names(schools: pd.DataFrame) -> dict[str, str]:
    """Return school_id → school name of a schools table."""
    return dict(zip(schools["school_id"].astype(str), schools["school_name"].astype(str),
                    strict=True))


def _attrs_text(action: Transfer | Hire, lang: str) -> str:
    return t("scenario.describe.attrs", lang, **{a: getattr(action, a) for a in TEACHER_ATTRS})


def describe_action(action: Action, names: Mapping[str, str], lang: str) -> str:
    """Return one action in words, e.g. '小学：甲校 → 乙校，3 人（…）'."""
    def name(school_id: str) -> str:
        return names.get(str(school_id), str(school_id))

    if isinstance(action, Transfer):
        text = t("scenario.describe.transfer", lang, stage=t(f"stage.{action.stage}", lang)
                 if action.stage in STAGES else action.stage,
                 source=name(action.from_school_id), target=name(action.to_school_id),
                 count=action.count, attrs=_attrs_text(action, lang))
        if action.teacher_ids:
            text += t("scenario.describe.named", lang, ids="、".join(action.teacher_ids)
                      if lang == "zh" else ", ".join(action.teacher_ids))
        return text
    if isinstance(action, Hire):
        return t("scenario.describe.hire", lang, stage=t(f"stage.{action.stage}", lang)
                 if action.stage in STAGES else action.stage, school=name(action.school_id),
                 count=action.count, attrs=_attrs_text(action, lang))
    if isinstance(action, AddResource):
        if action.resource == MONEY_RESOURCE:  # one money format: 元 / 万元
            return t("scenario.describe.add_money", lang, school=name(action.school_id),
                     amount=fmt_money(action.amount, lang))
        decimals = 0 if action.resource in WHOLE_RESOURCES else 2
        label = (resource_label(action.resource, lang) if action.resource in RESOURCE_COLUMNS
                 else action.resource)
        return t("scenario.describe.add_resource", lang, school=name(action.school_id),
                 resource=label, amount=fmt_number(action.amount, decimals))
    if isinstance(action, MovePupils):
        return t("scenario.describe.move_pupils", lang, stage=t(f"stage.{action.stage}", lang)
                 if action.stage in STAGES else action.stage,
                 source=name(action.from_school_id), target=name(action.to_school_id),
                 count=action.count)
    raise TypeError(f"action must be Transfer, Hire, AddResource or MovePupils, got {action!r}")


def action_lines(actions: Sequence[Action], schools: pd.DataFrame, lang: str) -> list[str]:
    """Return the pending actions as numbered sentences, '1. 调动教师：…' (a list, not a table:
    a description is a sentence that a table column would cut)."""
    names = school_names(schools)
    return [t("scenario.pending.line", lang, number=k, kind=t(f"scenario.kind.{action_kind(a)}", lang),
              action=describe_action(a, names, lang))
            for k, a in enumerate(actions, start=1)]


# ----------------------------------------------------------------------------- saved


def saved_table(infos: Iterable[ScenarioInfo], snapshot_sha256: str, lang: str) -> pd.DataFrame:
    """Return the saved scenarios as shown: name, snapshot, created, number of actions, note
    and whether it applies to the current snapshot (same schools checksum)."""
    infos = list(infos)
    yes, no = t("scenario.saved.applies_yes", lang), t("scenario.saved.applies_no", lang)
    return pd.DataFrame({
        t("scenario.col.name", lang): [i.name for i in infos],
        t("scenario.col.snapshot", lang): [i.snapshot_id for i in infos],
        t("scenario.col.created", lang): [fmt_time(i.created) for i in infos],
        t("scenario.col.actions", lang): [i.actions for i in infos],
        t("scenario.col.note", lang): [i.note for i in infos],
        t("scenario.col.applies", lang): [yes if i.snapshot_sha256 == snapshot_sha256 else no
                                         for i in infos],
    })
