"""The engine's re-check of a plan: the plan is applied with ``apply_actions``, evaluated with
``evaluate`` and every goal and constraint is judged on that evaluation; the rotation figures."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from dashboard.method.compliance import AT_MINIMUM_RTOL, QUALITY_MIN_MET, QUALITY_REST_FRACTION
from dashboard.method.engine import Evaluation, evaluate
from dashboard.method.standards import INDICATORS, scheme_ids
from dashboard.planning.planner.instance import _Inst, _roster_flags, haversine_km, rule_allowance
from dashboard.planning.planner.purchases import _resource_setup
from dashboard.planning.planner.types import (
    ROTATION_BACKBONE_SHARE,
    ROTATION_MIN_SHARE,
    CheckFailure,
    PlanCheck,
    Purchase,
    Rotation,
)
from dashboard.planning.scenario import AddResource, Transfer, apply_actions


def _rotation(inst: _Inst, moves: Sequence[Transfer]) -> Rotation:
    """Return the plan's 2017 rotation figures (eligibility from the roster, when there is one)."""
    rotated = sum(m.count for m in moves)
    backbone = sum(m.backbone for m in moves)
    bshare = backbone / rotated if rotated else None
    if inst.teachers is None or not len(inst.teachers):
        return Rotation(None, rotated, backbone, None, bshare, None,
                        None if bshare is None else bshare >= ROTATION_BACKBONE_SHARE)
    r = inst.teachers[inst.teachers["stage"].astype(str) == inst.goal.stage]
    eligible = int((inst.year - r["start_year_at_school"].astype(float) >= inst.cons.min_years_at_school).sum())
    share = rotated / eligible if eligible else None
    return Rotation(eligible, rotated, backbone, share, bshare,
                    None if share is None else share >= ROTATION_MIN_SHARE,
                    None if bshare is None else bshare >= ROTATION_BACKBONE_SHARE)


def _passes(ev: Evaluation, stage: str, indicator: str) -> bool:
    """Return whether ``indicator`` passes at ``stage`` in ``ev`` (True when it is not evaluated)."""
    ind = ev.indicators
    r = ind[(ind["indicator"] == indicator) & (ind["stage"] == stage)]
    return bool(r["passed"].iloc[0]) if len(r) else True


def _goal_met(inst: _Inst, ev: Evaluation, teachers_only: bool) -> tuple[bool, list[str]]:
    """Return (goal met, what fails): the basic composite, or each quality indicator (teachers only
    when ``teachers_only``)."""
    stage, scheme = inst.goal.stage, inst.goal.scheme
    fails = []
    if scheme == "basic":
        c = ev.composites[ev.composites["stage"] == stage]
        if c.empty or not bool(c["passed"].iloc[0]):
            fails.append("composite")
    else:
        ind = ev.indicators
        rows = ind[(ind["scheme"] == "quality") & (ind["stage"] == stage)]
        ids = scheme_ids("quality", "teacher") if teachers_only else scheme_ids("quality")
        for r in rows.itertuples(index=False):
            if r.indicator in ids and not bool(r.passed):
                fails.append(str(r.indicator))
    return not fails, fails


def _move_failures(inst: _Inst, moves: Sequence[Transfer], per_school: dict[str, int]) -> list[CheckFailure]:
    """Return the transfers' broken rules (locks, distance, eligibility, names); count the moves
    per school into ``per_school``."""
    cons = inst.cons
    failures: list[CheckFailure] = []
    sch_before = inst.schools.set_index("school_id")
    start: dict[str, float] | None = None
    if inst.teachers is not None and len(inst.teachers):
        named = [i for m in moves for i in m.teacher_ids]
        flags = _roster_flags(inst.teachers)
        start = dict(zip(named, flags["start_year_at_school"].reindex(named).to_numpy(float)))
    for m in moves:
        for s in (m.from_school_id, m.to_school_id):
            per_school[s] = per_school.get(s, 0) + m.count
            if s in cons.locked_schools:
                failures.append(CheckFailure("locked", s))
        if cons.max_km is not None:
            a, b = sch_before.loc[m.from_school_id], sch_before.loc[m.to_school_id]
            dist = float(haversine_km(a["longitude"], a["latitude"], b["longitude"], b["latitude"]))
            if dist > cons.max_km + 1e-9:
                failures.append(CheckFailure("max_km", m.from_school_id, value=dist, to_school_id=m.to_school_id))
        if start is not None and any(not inst.year - start[i] >= cons.min_years_at_school for i in m.teacher_ids):
            failures.append(CheckFailure("eligibility", m.from_school_id))
        if start is not None and len(m.teacher_ids) != m.count:
            failures.append(CheckFailure("unnamed", m.from_school_id))
    return failures


def _school_failures(inst: _Inst, after: Evaluation, per_school: dict[str, int]) -> list[CheckFailure]:
    """Return the broken per-school rules: moves per school and the staffing floor."""
    cons, stage = inst.cons, inst.goal.stage
    failures: list[CheckFailure] = []
    if cons.max_moves_per_school is not None:
        failures += [CheckFailure("max_moves_per_school", s, value=float(n))
                     for s, n in per_school.items() if n > cons.max_moves_per_school]
    sch_after = after.schools.set_index(after.schools["school_id"].astype(str))
    sch_before = inst.schools.set_index("school_id")
    norm = float(cons.staffing_norm[stage])
    for s in per_school:
        T0 = float(sch_before.loc[s, f"teachers_{stage}"])
        P0 = float(sch_before.loc[s, f"students_{stage}"])
        T1 = float(sch_after.loc[s, f"teachers_{stage}"])
        if T1 < min(T0, math.ceil(P0 / norm - 1e-9)):
            failures.append(CheckFailure("staffing_norm", s, value=T1))
    return failures


def _stage_units(ev: Evaluation, stage: str) -> pd.DataFrame:
    """Return the quality units of ``stage`` in ``ev``, indexed by unit id."""
    units = ev.units["quality"]
    return units[units["stage"] == stage].set_index("unit_id")


def _minimum_failures(inst: _Inst, after: Evaluation, teachers_only: bool) -> list[CheckFailure]:
    """Return the quality minimums lost by transfers (or, with purchases, not reached)."""
    stage = inst.goal.stage
    ub, ua = _stage_units(inst.before, stage), _stage_units(after, stage)
    failures: list[CheckFailure] = []
    # a unit passing the per-school rule now keeps passing it (§9.6): it may leave its allowance
    # of teacher minimums at 85 %; any other unit keeps every teacher minimum it meets
    allow = rule_allowance(ub)
    ua_ = ua.reindex(ub.index)
    res_missed = sum((ua_[f"ratio_{q}"].to_numpy(float) < 1 - 1e-12).astype(int)
                     for q in scheme_ids("quality", "resource"))
    before = {q: ub[q].to_numpy(float) for q in scheme_ids("quality", "teacher")}
    after_ = {q: ua_[q].to_numpy(float) for q in scheme_ids("quality", "teacher")}
    t_missed = sum((after_[q] < INDICATORS[q].minimum(stage) - 1e-12).astype(int) for q in after_)
    rule_ok = t_missed + res_missed <= len(scheme_ids("quality")) - QUALITY_MIN_MET
    sids = ua_["school_id"].astype(str).to_numpy()
    for q in scheme_ids("quality", "teacher"):
        mn = INDICATORS[q].minimum(stage)
        met0 = before[q] >= mn - 1e-12
        v1 = after_[q]
        strict = (met0 & (v1 < mn - 1e-12)) | (~met0 & (v1 < before[q] - 1e-12))
        relieved = (v1 >= QUALITY_REST_FRACTION * mn - 1e-9) & rule_ok
        lost = np.flatnonzero(strict & ~((allow > 0) & relieved))
        failures += [CheckFailure("keep_minimums", str(sids[u]), indicator=q) for u in lost]
    if not teachers_only:  # purchases bring every purchasable unit to the per-school rule (§4.2)
        buyable = ua["school_id"].astype(str).isin(set(_resource_setup(inst)[1])).to_numpy()
        ratio = {q: ua[q].to_numpy(float) / INDICATORS[q].minimum(stage) for q in scheme_ids("quality")}
        # the engine's own reading of "at the minimum" (compliance.quality_rule_columns)
        t_miss = sum((ratio[q] < 1 - AT_MINIMUM_RTOL).astype(int) for q in scheme_ids("quality", "teacher"))
        r_miss = sum((ratio[q] < 1 - AT_MINIMUM_RTOL).astype(int) for q in scheme_ids("quality", "resource"))
        allowance = np.maximum(len(scheme_ids("quality")) - QUALITY_MIN_MET - t_miss, 0)
        for q in scheme_ids("quality", "resource"):
            bad = buyable & ((ratio[q] < QUALITY_REST_FRACTION * (1 - AT_MINIMUM_RTOL))
                             | ((ratio[q] < 1 - AT_MINIMUM_RTOL) & (r_miss > allowance)))
            failures += [CheckFailure("minimum", str(s), indicator=q) for s in ua.loc[bad, "school_id"]]
    return failures


def _check(inst: _Inst, moves: Sequence[Transfer], purchases: Sequence[Purchase], after: Evaluation,
           teachers_only: bool) -> PlanCheck:
    """Re-check a plan against the goal and every constraint, with the engine's evaluation."""
    ok, fails = _goal_met(inst, after, teachers_only)
    failures = [CheckFailure("goal", indicator=f) for f in fails]
    per_school: dict[str, int] = {}
    failures += _move_failures(inst, moves, per_school)
    failures += [CheckFailure("locked", p.school_id) for p in purchases if p.school_id in inst.cons.locked_schools]
    failures += _school_failures(inst, after, per_school)
    if inst.cons.keep_minimums and inst.goal.scheme == "quality":
        failures += _minimum_failures(inst, after, teachers_only)
    if inst.cons.rotation and inst.goal.mode != "budget":
        rot = _rotation(inst, moves)
        if rot.meets_share is not True:
            failures.append(CheckFailure("rotation_share", value=100 * (rot.share or 0.0)))
        if rot.meets_backbone is not True:
            failures.append(CheckFailure("rotation_backbone", value=100 * (rot.backbone_share or 0.0)))
    return PlanCheck(ok, not [f for f in failures if f.kind != "goal"], tuple(failures))


def _evaluate_plan(inst: _Inst, moves: Sequence[Transfer], purchases: Sequence[Purchase], teachers_only: bool,
                   schemes: tuple[str, ...] = ("basic", "quality"), named: bool = True) -> tuple[Evaluation, PlanCheck]:
    """Apply the plan with ``apply_actions`` and evaluate it; ``named=False`` applies the transfers by
    their attribute counts only (the names were drawn from the roster with those very counts)."""
    applied_moves = moves if named else [replace(m, teacher_ids=()) for m in moves]
    actions: list[Transfer | AddResource] = [*applied_moves,
                                             *(AddResource(p.school_id, p.resource, p.amount) for p in purchases)]
    named_ids = {i for m in applied_moves for i in m.teacher_ids}
    roster = None
    if inst.teachers is not None and named_ids:  # only the named teachers' rows are read
        roster = inst.teachers[inst.teachers["teacher_id"].astype(str).isin(named_ids)]
    applied = apply_actions(inst.schools, actions, teachers=roster)
    after = evaluate(applied.schools, inst.params, schemes=schemes)
    return after, _check(inst, moves, purchases, after, teachers_only)
