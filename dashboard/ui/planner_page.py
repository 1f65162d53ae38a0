"""What the 优化方案 page shows, computed without Streamlit: constraints from widget values,
the plan's tables (moves, purchases, coefficients before → after, each school's change), texts,
the XLSX download (Chinese headers) and saving a plan as a scenario.

>>> c = make_constraints("primary", norm=19.0, max_moves=0, max_km=0.0, min_years=6, keep_minimums=True)
>>> c.max_moves_per_school is None and c.max_km is None
True
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa

from dashboard.i18n import t
from dashboard.method.coefficients import judge
from dashboard.method.engine import Evaluation
from dashboard.method.profiles_county import with_profile
from dashboard.method.standards import INDICATORS, cv_threshold, scheme_ids, teacher_attributes
from dashboard.method.verdict import Verdict, cv_component, evaluation_verdicts, school_statuses
from dashboard.planning.planner import (
    DEFAULT_STAFFING_NORM,
    MODES,
    Plan,
    PlanConstraints,
    PlanError,
    PlanGoal,
    haversine_km,
    plan,
    preview,
    unit_cost_units,
    unit_costs,
)
from dashboard.planning.planner.types import ROTATION_BACKBONE_SHARE, ROTATION_MIN_SHARE
from dashboard.planning.scenario import ScenarioError, ScenarioStore, scenario_root
from dashboard.store.snapshots import Snapshot
from dashboard.ui.export import workbook_bytes
from dashboard.ui.format import (
    DASH,
    fmt_cv,
    fmt_money,
    fmt_number,
    fmt_value,
    indicator_label,
    md_text,
)
from dashboard.ui.frozen import frozen_table

__all__ = [
    # Re-exported for the page, which may not import dashboard.planning: the planner's error
    # (a goal or constraints it cannot plan for), the scenario store's error (saving), and
    # the planning modes the page offers.
    "PlanError",
    "ScenarioError",
    "MODES",
    # this module's own
    "PlanSummary",
    "moves_columns",
    "column_widths",
    "default_norm",
    "make_constraints",
    "default_per_transfer",
    "per_transfer_note",
    "bound_text",
    "summary_table",
    "make_goal",
    "run_preview",
    "run_plan",
    "summary",
    "moves_table",
    "purchases_table",
    "coefficient_table",
    "school_effects",
    "rotation_text",
    "explanation_lines",
    "check_text",
    "price_note",
    "purchase_notes",
    "unit_price_text",
    "school_names",
    "AfterVerdict",
    "after_verdict",
    "goal_ids",
    "preview_text",
    "teachers_text",
    "empty_text",
    "OutsideGoal",
    "PageLink",
    "school_changes",
    "plan_xlsx",
    "PlanTables",
    "plan_tables",
    "default_scenario_name",
    "save_as_scenario",
]

KM_DECIMALS: Final = 1  # distances of transfers (km)
YUAN_DECIMALS: Final = 2  # purchase costs (元, to the fen)


def default_norm(stage: str) -> float:
    """Return the national staffing norm of ``stage`` (pupils per teacher), the norm input's
    starting value."""
    return float(DEFAULT_STAFFING_NORM[stage])


def default_per_transfer() -> float:
    """Return the default cost counted per transferred teacher in mode "both" (元, from
    dashboard/planning/data/unit_costs.csv; docs/method.md §9)."""
    return float(unit_costs()["teacher_transfer"])


def make_constraints(stage: str, *, norm: float, max_moves: int, max_km: float, min_years: int,
                     keep_minimums: bool, locked: Iterable[str] = (),
                     per_transfer: float | None = None, rotation: bool = False) -> PlanConstraints:
    """Return the PlanConstraints of the page's widgets (0 means no limit; ``norm`` is the
    chosen stage's pupils per teacher, the other stage keeps the national norm;
    ``per_transfer``: 元 counted per transfer in mode "both", None for the default;
    ``rotation``: plan toward the 2017 rotation rule, docs/method.md §9)."""
    norms = dict(DEFAULT_STAFFING_NORM)
    norms[stage] = float(norm)
    costs = None if per_transfer is None else {"teacher_transfer": float(per_transfer)}
    return PlanConstraints(staffing_norm=norms, keep_minimums=bool(keep_minimums),
                           max_moves_per_school=int(max_moves) or None, locked_schools=frozenset(locked),
                           max_km=float(max_km) or None, min_years_at_school=int(min_years), costs=costs,
                           rotation=bool(rotation))


def per_transfer_note(p: Plan, lang: str) -> str | None:
    """Return how mode "both" weighs transfers against purchases (None in the other modes)."""
    if p.goal.mode != "both":
        return None
    return t("plan2.page.per_transfer_note", lang, cost=fmt_money(p.constraints.cost("teacher_transfer"), lang))


def bound_text(p: Plan, lang: str) -> str | None:
    """Return the proven lower bound of a feasible (not proven optimal) plan, else None."""
    if str(p.status) != "feasible" or not math.isfinite(p.lower_bound):
        return None
    bound = (fmt_number(p.lower_bound, 0) if p.goal.mode == "transfers"
             else fmt_money(p.lower_bound, lang))
    return t("plan2.page.lower_bound", lang, bound=bound,
             gap=DASH if math.isnan(p.gap) else f"{p.gap:.2%}")


def make_goal(scheme: str, stage: str, mode: str, county: str | None, year: int | None) -> PlanGoal:
    """Return the planner's goal: make ``scheme`` pass for ``stage`` of one county and year,
    with the fewest transfers, the least spending or both (``mode``, one of MODES)."""
    return PlanGoal(scheme, stage, mode, county_code=county, year=year)


def run_preview(snapshot: Snapshot, goal: PlanGoal, constraints: PlanConstraints,
                before: Evaluation | None = None) -> Plan:
    """Return the planner's quick greedy preview (raises PlanError, ScenarioError)."""
    return preview(snapshot, goal, constraints, before=before)


def run_plan(snapshot: Snapshot, goal: PlanGoal, constraints: PlanConstraints,
             before: Evaluation | None = None) -> Plan:
    """Return the planner's exact plan with its proof (optimal or gap; raises PlanError)."""
    return plan(snapshot, goal, constraints, before=before)


def plan_error_text(exc: PlanError, lang: str) -> str:
    """Return the planner's error as the page and the CLI show it: "无法规划：" (or, for a stage
    without units, what the snapshot lacks) and the error in ``lang``, from its kind and values
    (never the planner's own English)."""
    key = "cli.plan.error.stage" if exc.kind == "no_unit" else "plan5.cli.error"
    return t(key, lang, detail=exc.message(lang))


@dataclass(frozen=True)
class PlanSummary:
    """The plan's headline figures as display texts."""

    status: str
    transfers: str
    cost: str
    gap: str
    passed: bool
    status_short: str = ""  # one word for the metric card (the full status goes in its help)


def _id_name(i: str, lang: str) -> str:
    """Return the display name of a goal id: the composite or an indicator's short name."""
    return t("planner.composite", lang) if i == "B_CV_COMPOSITE" else indicator_label(i, lang)


def teachers_text(n: int, lang: str) -> str:
    """Return a count of teachers with its word ('24 人', '1 teacher', '24 teachers').

    >>> teachers_text(1, "en"), teachers_text(0, "en"), teachers_text(1, "zh")
    ('1 teacher', '0 teachers', '1 人')
    """
    return t("plan4.teachers.one" if n == 1 else "plan4.teachers.many", lang, n=n)


def _gap_text(p: Plan) -> str:
    """Return the optimality gap of a solved plan ('0.00%'); a dash when nothing was solved
    (the goal was met before any change, or there is no plan)."""
    solved = str(p.status) in ("optimal", "feasible")
    return f"{p.gap:.2%}" if solved and not math.isnan(p.gap) else DASH


def summary(p: Plan, lang: str) -> PlanSummary:
    """Return the headline texts: status, teachers moved ('24 人'), purchases ('1,841.2 万元'),
    optimality gap (only of a plan that was solved)."""
    planned = p.status.has_plan  # no plan: no figures of it ('0 人', '0 元' would read as "none needed")
    return PlanSummary(status=t(f"planner.status.{p.status}", lang),
                       status_short=t(f"layout.planner.status_short.{p.status}", lang),
                       transfers=teachers_text(p.transfers, lang) if planned else DASH,
                       cost=fmt_money(p.cost_yuan, lang) if planned else DASH, gap=_gap_text(p),
                       passed=p.check.passed)


def school_names(schools: pd.DataFrame, lang: str = "zh") -> dict[str, str]:
    """Return school id -> the name a plan shows: the school's name, with its code where two
    schools of the table share that name (two 中心小学 must not read as one).

    >>> school_names(pd.DataFrame({"school_id": ["A", "B", "C"], "school_name": ["中心小学", "中心小学", "一小"]}))
    {'A': '中心小学（A）', 'B': '中心小学（B）', 'C': '一小'}
    """
    ids, names = schools["school_id"].astype(str), schools["school_name"].astype(str)
    shared = set(names[names.duplicated(keep=False)])
    form = "{name}（{id}）" if lang == "zh" else "{name} ({id})"
    return {i: form.format(name=n, id=i) if n in shared else n for i, n in zip(ids, names)}


def moves_table(p: Plan, schools: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Return the transfers, one row per (from, to) pair, with school names and distance in km."""
    names = school_names(schools, lang)
    pos = schools.set_index(schools["school_id"].astype(str))
    rows = []
    for m in p.moves:
        a, b = pos.loc[m.from_school_id], pos.loc[m.to_school_id]
        km = float(haversine_km(a["longitude"], a["latitude"], b["longitude"], b["latitude"]))
        rows.append({
            t("planner.col.from", lang): names.get(m.from_school_id, m.from_school_id),
            t("planner.col.to", lang): names.get(m.to_school_id, m.to_school_id),
            t("plan5.col.from_id", lang): m.from_school_id,
            t("plan5.col.to_id", lang): m.to_school_id,
            t("planner.col.stage", lang): t(f"stage.{m.stage}", lang),
            t("planner.col.count", lang): m.count,
            **{t(f"planner.col.{attr}", lang): getattr(m, attr) for attr in teacher_attributes()},
            t("planner.col.distance", lang): round(km, KM_DECIMALS),
            t("planner.col.teacher_ids", lang): ", ".join(m.teacher_ids),
        })
    return pd.DataFrame(rows)


def purchases_table(p: Plan, schools: pd.DataFrame, lang: str, *,
                    numbers: bool = False) -> pd.DataFrame:
    """Return the purchases with school names, the item, the amount (its unit in the item's
    name) and the cost as money text ('1,841.2 万元'); ``numbers``: the cost in 元 as a number
    (the XLSX workbook)."""
    names = school_names(schools, lang)
    cost_col = t("planner.col.cost_yuan" if numbers else "planner.col.cost", lang)
    return pd.DataFrame([{
        t("planner.col.school", lang): names.get(x.school_id, x.school_id),
        **({t("plan5.col.school_id", lang): x.school_id} if numbers else {}),
        t("planner.col.resource", lang): t(f"planner.resource.{x.resource}", lang),
        t("planner.col.amount", lang): x.amount if numbers else fmt_number(x.amount, 0),
        t("plan5.col.unit_price", lang): unit_price_text(p, x.resource, lang),
        cost_col: round(x.cost_yuan, YUAN_DECIMALS) if numbers else fmt_money(x.cost_yuan, lang),
    } for x in p.purchases])


def unit_price_text(p: Plan, resource: str, lang: str) -> str:
    """Return the unit price the plan costs ``resource`` at, with its unit ('3,000 元/㎡')."""
    unit = unit_cost_units()[resource][0 if lang == "zh" else 1]
    return f"{fmt_number(p.constraints.cost(resource), 0)} {unit}"


def price_note(p: Plan, lang: str) -> str | None:
    """Return where the purchase costs come from (None without purchases): the default,
    indicative unit prices of unit_costs.csv, not the county's own (docs/method.md §9), or the
    prices set for this plan where any differs from them."""
    if not p.purchases:
        return None
    defaults = unit_costs()
    own = any(p.constraints.cost(x.resource) != defaults[x.resource] for x in p.purchases)
    return t("plan5.price.set" if own else "plan5.price.default", lang)


def purchase_notes(p: Plan, schools: pd.DataFrame, lang: str) -> list[str]:
    """Return what a reader needs to read the purchases (none without purchases): where the
    prices come from, that the amounts also bring schools to their minimums (the constraint
    keep_minimums, docs/method.md §9.6) and, for a school with more than one stage, that the
    amount is the whole school's while only the stage's weighted share counts (§2.3): a
    完全中学's 43 rooms for a junior goal read as a mistake without it."""
    if not p.purchases:
        return []
    notes = [price_note(p, lang) or ""]
    if p.constraints.keep_minimums:
        notes.append(t("lead.plan.minimums_note", lang))
    bought = {x.school_id for x in p.purchases}
    rows = schools[schools["school_id"].astype(str).isin(bought)]
    # students_senior is optional (data contract §2): an absent column counts no stage
    taught = [pd.to_numeric(rows[c], errors="coerce").fillna(0) > 0
              for c in ("students_primary", "students_junior", "students_senior") if c in rows]
    stages = sum(x.astype(int) for x in taught) if taught else pd.Series(0, index=rows.index)
    shared = sorted(set(rows.loc[stages >= 2, "school_id"].astype(str)))
    if len(shared):
        names = school_names(schools, lang)
        notes.append(t("lead.plan.shared_note", lang, stage=t(f"stage.{p.goal.stage}", lang),
                       names=("、" if lang == "zh" else ", ").join(names.get(i, i) for i in shared)))
    return notes


def _stage_rows(ev: Evaluation, scheme: str, stage: str) -> pd.DataFrame:
    ind = ev.indicators
    return ind[(ind["scheme"] == scheme) & (ind["stage"] == stage)].set_index("indicator")


def _cv_statuses(ev: Evaluation, p: Plan) -> dict[str, str]:
    """Return the status (pass, near, fail, missing) of each CV of the goal's scheme and stage
    in ``ev`` as the verdict judges it (dashboard.method.verdict.cv_component; the basic
    composite as B_CV_COMPOSITE): one judgement on the page, never a second one."""
    scheme, stage = p.goal.scheme, p.goal.stage

    def sel(df: pd.DataFrame) -> pd.DataFrame:
        return df[(df["county_code"].astype(str) == str(p.county_code)) & (df["year"] == p.year)]

    c = cv_component(scheme, stage, sel(ev.indicators), sel(ev.composites), "en", ev.params)
    ids = ("B_CV_COMPOSITE",) if scheme == "basic" else tuple(scheme_ids(scheme))
    if c.status == "missing":
        return dict.fromkeys(ids, "missing")
    return {i: "fail" if i in c.ids else "near" if i in c.near else "pass" for i in ids}


def coefficient_table(p: Plan, lang: str) -> pd.DataFrame:
    """Return each CV of the goal's scheme and stage before → after (the standards' decimals)
    with the verdict's status of each (pass, near, fail);
    for basic the composite is the last row."""
    scheme, stage = p.goal.scheme, p.goal.stage
    b, a = _stage_rows(p.before, scheme, stage), _stage_rows(p.after, scheme, stage)
    judged = {"before": _cv_statuses(p.before, p), "after": _cv_statuses(p.after, p)}

    def status(when: str, i: str) -> str:
        return t(f"status.{judged[when][i]}", lang)

    thr = cv_threshold(scheme, stage)
    col = {k: t(f"planner.col.{k}", lang) for k in ("indicator", "before", "after", "threshold",
                                                    "status_before", "status_after")}
    rows = []
    for i in scheme_ids(scheme):
        spec = INDICATORS[i]
        row = {col["indicator"]: spec.short_zh if lang == "zh" else spec.short_en,
               col["before"]: fmt_cv(b.loc[i, "cv"]), col["after"]: fmt_cv(a.loc[i, "cv"])}
        if scheme == "quality":
            row.update({col["threshold"]: f"≤ {fmt_cv(thr)}", col["status_before"]: status("before", i),
                        col["status_after"]: status("after", i)})
        else:  # 2012: only the composite is judged; the eight CVs enter its mean
            row.update({col["threshold"]: t("planner.in_composite", lang),
                        col["status_before"]: DASH, col["status_after"]: DASH})
        rows.append(row)
    if scheme == "basic":
        cb = p.before.composites[p.before.composites["stage"] == stage].iloc[0]
        ca = p.after.composites[p.after.composites["stage"] == stage].iloc[0]
        rows.append({col["indicator"]: t("planner.composite", lang),
                     col["before"]: fmt_cv(cb["composite_cv"]),
                     col["after"]: fmt_cv(ca["composite_cv"]), col["threshold"]: f"≤ {fmt_cv(thr)}",
                     col["status_before"]: status("before", "B_CV_COMPOSITE"),
                     col["status_after"]: status("after", "B_CV_COMPOSITE")})
    return pd.DataFrame(rows)


def school_effects(p: Plan, schools: pd.DataFrame, lang: str, *,
                   numbers: bool = False) -> pd.DataFrame:
    """Return each unit the plan changes: teachers ±, the changed indicators before → after
    (with their units; ``numbers``: plain numbers, the XLSX workbook) and the school rule
    after."""
    ub, ua, ids = _touched_units(p)
    if ub.empty:
        return pd.DataFrame()
    names = school_names(schools, lang)
    out = pd.DataFrame({t("planner.col.school", lang): [names.get(str(s), str(s)) for s in ub["school_id"]],
                        t("planner.col.teachers_change", lang): (ua["teachers"]
                                                                 - ub["teachers"]).astype(int).to_numpy()})
    for i in ids:
        d, name = INDICATORS[i].decimals, indicator_label(i, lang)
        for key, frame in (("planner.col.value_before", ub), ("planner.col.value_after", ua)):
            values = frame[i]
            out[t(key, lang, indicator=name)] = (values.round(d).to_numpy() if numbers else
                                                 [fmt_value(v, i, lang) for v in values])
    # the unit's status: an approximated unit is no pass (docs/method.md §4.1)
    out[t("planner.col.school_pass_after", lang)] = [t(f"status.{s}", lang) for s in school_statuses(ua)]
    return out.reset_index(drop=True)


def _touched_units(p: Plan) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Return the units of the goal's scheme and stage the plan changes, before and after
    (indexed by unit id, same order), and the indicators whose value changes in any of them."""
    scheme, stage = p.goal.scheme, p.goal.stage
    touched = {m.from_school_id for m in p.moves} | {m.to_school_id for m in p.moves} | {
        x.school_id for x in p.purchases}
    ub = p.before.units[scheme]
    ub = ub[(ub["stage"] == stage) & ub["school_id"].astype(str).isin(touched)].set_index("unit_id")
    ua = p.after.units[scheme]
    ua = ua[ua["stage"] == stage].set_index("unit_id").reindex(ub.index)
    ids = [i for i in scheme_ids(scheme) if not np.allclose(ub[i].to_numpy(float), ua[i].to_numpy(float),
                                                            equal_nan=True)]
    return ub, ua, ids


def school_changes(p: Plan, schools: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Return each unit the plan changes in a long table the page can show at any width:
    school, item (its teachers and each indicator with its unit where they change, and the
    school standard always), before, after; the figures of :func:`school_effects`, one row per
    school and item."""
    ub, ua, changed = _touched_units(p)
    if ub.empty:
        return pd.DataFrame()
    names = school_names(schools, lang)
    col = {k: t(f"planner.col.{k}", lang) for k in ("school", "before", "after")}
    sb, sa = school_statuses(ub), school_statuses(ua)
    rows = []
    for unit in ub.index:
        school = names.get(str(ub.loc[unit, "school_id"]), str(ub.loc[unit, "school_id"]))
        items = [(t("plan4.col.teachers", lang), fmt_number(ub.loc[unit, "teachers"], 0),
                  fmt_number(ua.loc[unit, "teachers"], 0))]
        items += [(indicator_label(i, lang), fmt_value(ub.loc[unit, i], i, lang), fmt_value(ua.loc[unit, i], i, lang))
                  for i in changed]
        items.append((t("plan4.col.school_pass", lang), t(f"status.{sb[unit]}", lang),
                      t(f"status.{sa[unit]}", lang)))
        rows += [{col["school"]: school, t("plan4.col.item", lang): item, col["before"]: before,
                  col["after"]: after} for k, (item, before, after) in enumerate(items)
                 if before != after or k == len(items) - 1]
    return pd.DataFrame(rows)


def rotation_text(p: Plan, lang: str) -> str:
    """Return the 2017 rotation figures of the plan as a sentence."""
    r = p.rotation
    if r.eligible is None:
        return t("planner.rotation.no_roster", lang, rotated=r.rotated, backbone=r.backbone)
    return t("planner.rotation.line", lang, eligible=r.eligible, rotated=r.rotated,
             share=DASH if r.share is None else f"{r.share:.1%}", backbone=r.backbone,
             backbone_share=DASH if r.backbone_share is None else f"{r.backbone_share:.1%}")


def explanation_lines(p: Plan, lang: str) -> list[str]:
    """Return why the goal is out of reach and what more is needed, one sentence each."""
    return [e.message(lang) for e in p.explanation]


def check_text(p: Plan, lang: str, schools: pd.DataFrame | None = None) -> str:
    """Return the engine re-check's verdict as a sentence, schools by their names in
    ``schools`` (the id only where a name is missing), the failures joined as the language
    joins clauses."""
    if not p.status.has_plan:  # the re-check of doing nothing is no re-check of a plan
        return t("plan5.check.no_plan", lang)
    if p.check.passed:
        return t("planner.check.ok", lang)
    names = {} if schools is None else school_names(schools, lang)
    sep = "；" if lang == "zh" else "; "
    return t("planner.check.failed", lang, failures=sep.join(p.check.messages(lang, names)))


@dataclass(frozen=True)
class AfterVerdict:
    """Whether the county passes the goal's scheme for its stage once the plan is applied
    (dashboard.method.verdict on the plan's after-evaluation), in display texts.

    ``status``: pass, near, fail or missing; ``headline`` the verdict in one sentence;
    ``components`` each component's status; ``still_failing`` the CVs still failing outside
    the planner's goal (None: none); ``near`` the after-CVs within the near margin (warning);
    ``rotation`` the rotation figures below the standard (warnings); ``goal_note`` what the
    planner's goal (and "proven optimal") covers.
    """

    status: str
    headline: str
    components: tuple[str, ...]
    still_failing: str | None
    near: str | None
    rotation: tuple[str, ...]
    goal_note: str
    verdict: Verdict
    outside: OutsideGoal | None = None


@dataclass(frozen=True)
class PageLink:
    """A link to another page of the app: its file (as in pages.common.PAGE_FILES), its label
    and its query parameters."""

    page: str
    label: str
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class OutsideGoal:
    """What keeps the county from passing once the planner's goal (the CVs) is met: the failing
    components outside the goal in one sentence (``text``) and where to act on them
    (``links``: the failing schools' profiles, the checklist for the county items)."""

    text: str
    links: tuple[PageLink, ...]


MAX_SCHOOL_LINKS: Final = 5  # failing schools linked by name before the rest is left to the school page


def _outside_goal(p: Plan, v: Verdict, after: Evaluation, lang: str) -> OutsideGoal | None:
    """Return what fails outside the planner's goal when the goal is met but the verdict is not
    a pass (None otherwise): the school standard and the county items are not planned."""
    parts = [c for c in v.components if c.kind != "cv" and c.status in ("fail", "missing")]
    # the CVs this mode does not aim at (transfers change no resource CV) fail outside it too
    beyond = [i for c in v.components if c.kind == "cv" and c.stage in (None, p.goal.stage)
              for i in c.ids if i not in goal_ids(p)]
    if not p.check.goal_met or v.status not in ("fail", "missing") or not (parts or beyond):
        return None
    links: list[PageLink] = []
    for c in parts:
        if c.kind == "school_rule":
            rules = after.school_rules
            rows = rules[(rules["scheme"] == p.goal.scheme) & rules["unit_id"].astype(str).isin(c.ids)]
            rows = rows.drop_duplicates("school_id").head(MAX_SCHOOL_LINKS)
            links += [PageLink("pages/school.py", t("plan4.outside.school", lang, name=md_text(str(name))),
                               (("school", str(sid)), ("sstage", str(stage))))
                      for sid, name, stage in zip(rows["school_id"], rows["school_name"], rows["stage"])]
        elif c.kind == "county":
            links.append(PageLink("pages/checklist.py", t("plan4.outside.checklist", lang)))
    sep = "、" if lang == "zh" else ", "
    named = [t("plan4.outside.cv", lang, names=sep.join(_id_name(i, lang) for i in beyond))] if beyond else []
    named += [t(f"verdict.part.{c.kind}", lang) for c in parts]
    text = t("plan4.outside.text", lang, parts=sep.join(named))
    return OutsideGoal(text=text, links=tuple(links))


def goal_ids(p: Plan) -> tuple[str, ...]:
    """Return the CVs the planner aims at: the basic composite, the quality teacher CVs
    (transfers only) or every quality CV (docs/method.md §9)."""
    if p.goal.scheme == "basic":
        return ("B_CV_COMPOSITE",)
    if p.goal.mode == "transfers":
        return tuple(scheme_ids("quality", "teacher"))
    return tuple(scheme_ids("quality"))


def _near_items(p: Plan, lang: str) -> list[str]:
    """Return the after-CVs of the goal's scheme and stage that pass within the near margin."""
    ev, scheme, stage = p.after, p.goal.scheme, p.goal.stage
    dp, margin = ev.params.round_dp, ev.params.near_margin
    if scheme == "basic":
        rows = ev.composites[ev.composites["stage"] == stage]
        names, cvs = [t("planner.composite", lang)] * len(rows), rows["composite_cv"]
    else:
        rows = _stage_rows(ev, scheme, stage).reset_index()
        names, cvs = [indicator_label(str(i), lang) for i in rows["indicator"]], rows["cv"]
    thr = cv_threshold(scheme, stage)
    out = []
    for name, cv in zip(names, cvs.to_numpy(float), strict=True):
        passed, near = judge(cv, thr, dp, margin)
        if passed and near:
            out.append(t("verdict.after.near_item", lang, indicator=name, value=fmt_cv(cv),
                         threshold=fmt_cv(thr)))
    return out


def _rotation_warnings(p: Plan, lang: str) -> tuple[str, ...]:
    """Return the plan's rotation figures that fall short of G11 (only when it moves teachers)."""
    r = p.rotation
    if not p.moves:
        return ()
    out = []
    if r.meets_share is False and r.share is not None:
        out.append(t("verdict.after.rotation_share", lang, share=f"{r.share:.1%}",
                     required=f"{ROTATION_MIN_SHARE:.0%}"))
    if r.meets_backbone is False and r.backbone_share is not None:
        out.append(t("verdict.after.rotation_backbone", lang, share=f"{r.backbone_share:.1%}",
                     required=f"{ROTATION_BACKBONE_SHARE:.0%}"))
    return tuple(out)


def after_verdict(p: Plan, county_table: pd.DataFrame | None, lang: str,
                  like: Evaluation | None = None) -> AfterVerdict:
    """Return the county's verdict for the goal's scheme and stage after the plan: the CV test
    and the school rule of the after-evaluation and the county items of ``county_table``
    (None: they lack data, so the verdict cannot be a pass).  The school rule is judged as
    ``like`` (the page's evaluation: the chosen profile, the class and room rows), so the
    verdict after the plan and the overview's now are verdicts of the same rules."""
    scheme, stage = p.goal.scheme, p.goal.stage
    after = p.after if like is None else with_profile(
        p.after, like.params.province_profile, classes=like.classes, rooms=like.rooms)
    verdicts = evaluation_verdicts(after, p.county_code, p.year, county=county_table, lang=lang)
    v = verdicts[(scheme, stage)]
    status_text = t(f"status.{v.status}", lang)
    headline = t("verdict.after.line", lang, stage=t(f"stage.{stage}", lang),
                 scheme=t(f"scheme.{scheme}", lang), status=status_text,
                 text=md_text(v.text))  # the verdict names schools: Markdown shows them as text
    components = tuple(t("verdict.after.component", lang, part=t(f"verdict.part_title.{c.kind}", lang),
                         status=t(f"status.{c.status}", lang), text=md_text(c.text))
                       for c in v.components)
    goal = goal_ids(p)
    cv = v.component("cv")
    outside = [i for i in (cv.ids if cv is not None else ()) if i not in goal]
    sep = "、" if lang == "zh" else ", "
    near = _near_items(p, lang)
    return AfterVerdict(
        status=v.status, headline=headline, components=components,
        still_failing=(t("verdict.after.fixed", lang, ids=sep.join(_id_name(i, lang) for i in outside))
                       if outside else None),
        near=t("verdict.after.near", lang, items=sep.join(near),
               margin=f"{p.after.params.near_margin:g}") if near else None,
        rotation=_rotation_warnings(p, lang),
        goal_note=t("verdict.after.goal_note", lang, ids=sep.join(_id_name(i, lang) for i in goal)),
        verdict=v, outside=_outside_goal(p, v, after, lang))


def preview_text(p: Plan, lang: str) -> str:
    """Return the one-line summary of a greedy preview.  A greedy run that falls short has
    neither run out of time nor proven anything: it says it found no plan (and shows none of
    the figures of the plan it did not find)."""
    if str(p.status) == "undecided" and p.method == "greedy":
        return t("plan4.preview.none_found", lang)
    return t("plan4.preview.line", lang, transfers=teachers_text(p.transfers, lang),
             cost=fmt_money(p.cost_yuan, lang), status=t(f"planner.status.{p.status}", lang))


def empty_text(p: Plan, section: str, lang: str) -> str:
    """Return what an empty section ("moves" or "purchases") says: nothing needed when a plan
    exists, no plan found otherwise (an empty list of a missing plan proves no need)."""
    if p.status.has_plan:
        return t("planner.page.no_moves" if section == "moves" else "planner.page.no_purchases", lang)
    return t(f"plan4.no_plan.{section}", lang)


TABLE_WIDTH = 940  # pixels a table has beside the sidebar in a 1440-px window (978), less a margin
NAME_WIDTH = 150  # a school-name column
MIN_WIDTH = 56


def moves_columns(frame: pd.DataFrame, lang: str) -> list[str]:
    """Return the transfer table's columns shown on the page: all but the stage (the page's
    own) and the teachers' ids (a long list; the XLSX workbook keeps them)."""
    hidden = {t("planner.col.stage", lang), t("planner.col.teacher_ids", lang), t("plan5.col.from_id", lang),
              t("plan5.col.to_id", lang)}
    return [c for c in frame.columns if c not in hidden]


def column_widths(frame: pd.DataFrame, columns: list[str] | None = None, *,
                  names: int = 1) -> dict[str, int]:
    """Return a pixel width for each shown column so that the table fits ``TABLE_WIDTH``: the
    first ``names`` columns (school names) ``NAME_WIDTH``, the others share the rest (at least
    ``MIN_WIDTH``; the page gives each column its full header as help).

    >>> column_widths(pd.DataFrame({"a": ["x"], "b": [1], "c": [2.0]}))
    {'a': 150, 'b': 395, 'c': 395}
    """
    cols = list(frame.columns) if columns is None else columns
    share = max(MIN_WIDTH, (TABLE_WIDTH - NAME_WIDTH * names) // max(len(cols) - names, 1))
    return {c: NAME_WIDTH if k < names else share for k, c in enumerate(cols)}


@dataclass(frozen=True, eq=False)
class PlanTables:
    """What the page shows of a plan below its verdict, made once per plan and language (the
    page caches it: a rerun that changed a widget elsewhere does not build the tables again)."""

    check: str  # the pure engine's re-check
    explanation: list[str]
    coefficients: pd.DataFrame
    moves: pd.DataFrame
    moves_shown: list[str]  # the transfer table's columns on the page
    moves_widths: dict[str, int]
    purchases: pd.DataFrame
    schools: pd.DataFrame  # school_changes: one row per school and item
    purchase_notes: list[str]  # prices, minimums, shared schools
    # the four tables as the page draws them, converted to Arrow once (frozen_table: Streamlit
    # converted each pandas table on every rerun, a tenth of the page's)
    drawn: dict[str, pa.Table | pd.DataFrame]


def plan_tables(p: Plan, schools: pd.DataFrame, lang: str) -> PlanTables:
    """Return the plan's tables and texts as the page shows them."""
    moves = moves_table(p, schools, lang)
    shown = moves_columns(moves, lang)
    tables = {"coefficients": coefficient_table(p, lang), "moves": moves,
              "purchases": purchases_table(p, schools, lang), "schools": school_changes(p, schools, lang)}
    return PlanTables(check_text(p, lang, schools), explanation_lines(p, lang),
                      tables["coefficients"], moves, shown, column_widths(moves, shown, names=2),
                      tables["purchases"], tables["schools"], purchase_notes(p, schools, lang),
                      {name: frozen_table(frame) for name, frame in tables.items()})


def summary_table(p: Plan, lang: str, schools: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return the plan's proof as rows (item, value): status, objective, proven lower bound,
    gap, cost per transfer, the re-check, the purchases' notes (with ``schools``: every one),
    each explanation and the rotation figures."""
    objective = DASH if math.isnan(p.objective) else fmt_number(p.objective, 2)
    rows = [(t("planner.page.metric.status", lang), t(f"planner.status.{p.status}", lang)),
            (t("plan2.xlsx.objective", lang), objective),
            (t("plan2.xlsx.lower_bound", lang), DASH if math.isnan(p.lower_bound) else fmt_number(p.lower_bound, 2)),
            (t("planner.page.metric.gap", lang), _gap_text(p)),
            (t("plan2.xlsx.per_transfer", lang), fmt_money(p.constraints.cost("teacher_transfer"), lang)),
            (t("plan2.xlsx.check", lang), check_text(p, lang)),
            (t("plan2.xlsx.rotation", lang), rotation_text(p, lang))]
    notes = purchase_notes(p, schools, lang) if schools is not None else [price_note(p, lang) or ""]
    rows += [(t("plan5.xlsx.prices" if k == 0 else "lead.plan.xlsx.notes", lang), note)
             for k, note in enumerate(notes) if note]  # the prices first, then the rest
    rows += [(t("planner.page.explanation", lang), line) for line in explanation_lines(p, lang)]
    rows += [(t("plan2.xlsx.rotation", lang), w) for w in _rotation_warnings(p, lang)]
    return pd.DataFrame(rows, columns=[t("plan2.xlsx.item", lang), t("plan2.xlsx.value", lang)])


def plan_xlsx(p: Plan, schools: pd.DataFrame) -> bytes:
    """Return the plan as an XLSX workbook with Chinese headers: the proof (status, gap,
    explanation, rotation), transfers, purchases, coefficients, schools."""
    lang = "zh"
    sheets = {
        t("plan2.sheet.summary", lang): summary_table(p, lang, schools),
        t("planner.sheet.moves", lang): moves_table(p, schools, lang),
        t("planner.sheet.purchases", lang): purchases_table(p, schools, lang, numbers=True),
        t("planner.sheet.coefficients", lang): coefficient_table(p, lang),
        t("planner.sheet.schools", lang): school_effects(p, schools, lang, numbers=True),
    }
    return workbook_bytes(sheets)  # texts never become formulas (export.neutralise)


def default_scenario_name(p: Plan, lang: str) -> str:
    """Return a default scenario name for the plan."""
    return t("planner.page.default_name", lang, scheme=t(f"scheme.{p.goal.scheme}", lang),
             stage=t(f"stage.{p.goal.stage}", lang), mode=t(f"planner.mode.{p.goal.mode}", lang))


def save_as_scenario(p: Plan, snapshot: Any, data_root: str | Path, name: str, lang: str) -> Path:
    """Save the plan as a scenario under ``<data_root>/scenarios/``; return the file written."""
    note = t("planner.page.note", lang, scheme=t(f"scheme.{p.goal.scheme}", lang),
             stage=t(f"stage.{p.goal.stage}", lang), mode=t(f"planner.mode.{p.goal.mode}", lang))
    return ScenarioStore(scenario_root(data_root)).save(p.to_scenario(snapshot, name, note))
