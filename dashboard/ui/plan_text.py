"""A plan as text for the command line (``python -m dashboard plan``): the moves or purchases,
the coefficients before and after, the rotation, the county's verdict after the plan and the
pure engine's re-check, in the words the planner page uses."""

from __future__ import annotations

import pandas as pd

from dashboard.i18n import t
from dashboard.method.standards import INDICATORS, cv_threshold, scheme_ids, teacher_attributes
from dashboard.ui.format import fmt_cv, fmt_money
from dashboard.ui.planner_page import (
    after_verdict,
    check_text,
    plan_error_text,
    purchase_notes,
    school_names,
    unit_price_text,
)

__all__ = ["plan_error_text", "render_plan"]


def render_plan(p, schools: pd.DataFrame, lang: str, county=None) -> str:
    """Return the readable text of a plan (dashboard.planning.planner.Plan) in ``lang``, with
    the county's verdict after it (``county``: the county-items table)."""
    goal = p.goal
    names = school_names(schools, lang)  # a name two schools share carries the code
    lines = [t("cli.plan.title", lang, county=p.county_code, year=p.year, stage=t(f"stage.{goal.stage}", lang),
               scheme=t(f"scheme.{goal.scheme}", lang), mode=t(f"planner.mode.{goal.mode}", lang))]
    # a gap only of a plan that was solved (docs/method.md §9.1): not of "already passes"
    solved = str(p.status) in ("optimal", "feasible")
    gap = t("planner.gap", lang, gap=f"{p.gap:.2%}") if solved and p.gap == p.gap else ""
    objective = "—" if p.objective != p.objective else f"{p.objective:,.0f}"
    status = t("cli.plan.status", lang, status=t(f"planner.status.{p.status}", lang), objective=objective, gap=gap)
    lines.append(status.rstrip("；; "))  # no gap (no plan, nothing solved): no empty clause
    if p.lower_bound == p.lower_bound and p.status == "feasible":
        lines.append(t("plan2.cli.lower_bound", lang, bound=f"{p.lower_bound:,.0f}"))
    if p.status == "already_passes" and not p.moves and not p.purchases:
        lines.append(t("plan5.cli.none", lang))  # the goal holds; the county may still fail
    if p.moves:
        lines.append(t("cli.plan.moves", lang, n=p.transfers))
        for m in p.moves:
            ids = f" [{', '.join(m.teacher_ids)}]" if m.teacher_ids else ""
            lines.append(t("cli.plan.move_line", lang, from_name=names.get(m.from_school_id, m.from_school_id),
                           to_name=names.get(m.to_school_id, m.to_school_id), count=m.count,
                           **{a: getattr(m, a) for a in teacher_attributes()}, ids=ids))
    if p.purchases:
        lines.append(t("cli.plan.purchases", lang, cost=fmt_money(p.cost_yuan, lang)))
        for x in p.purchases:
            lines.append(t("plan5.cli.purchase_line", lang, school=names.get(x.school_id, x.school_id),
                           resource=t(f"planner.resource.{x.resource}", lang), amount=f"{x.amount:,.2f}".rstrip("0").rstrip("."),
                           price=unit_price_text(p, x.resource, lang), cost=fmt_money(x.cost_yuan, lang)))
        lines += [f"  {note}" for note in purchase_notes(p, schools, lang)]
    lines.append(t("cli.plan.coefficients", lang, threshold=f"{cv_threshold(goal.scheme, goal.stage):.2f}"))

    def rows(ev):
        ind = ev.indicators
        return ind[(ind["scheme"] == goal.scheme) & (ind["stage"] == goal.stage)].set_index("indicator")

    b, a = rows(p.before), rows(p.after)
    for i in scheme_ids(goal.scheme):
        spec = INDICATORS[i]
        status = ""
        if goal.scheme == "quality":
            status = t("status.pass" if bool(a.loc[i, "passed"]) else "status.fail", lang)
        lines.append(t("cli.plan.coef_line", lang, indicator=f"{i} {spec.short_zh if lang == 'zh' else spec.short_en}",
                       before=fmt_cv(b.loc[i, "cv"]), after=fmt_cv(a.loc[i, "cv"]), status=status))
    if goal.scheme == "basic":
        cb = p.before.composites[p.before.composites["stage"] == goal.stage].iloc[0]
        ca = p.after.composites[p.after.composites["stage"] == goal.stage].iloc[0]
        lines.append(t("cli.plan.coef_line", lang, indicator=t("planner.composite", lang),
                       before=fmt_cv(cb["composite_cv"]), after=fmt_cv(ca["composite_cv"]),
                       status=t("status.pass" if bool(ca["passed"]) else "status.fail", lang)))
    r = p.rotation
    if r.eligible is None:
        lines.append(t("planner.rotation.no_roster", lang, rotated=r.rotated, backbone=r.backbone))
    else:
        lines.append(t("planner.rotation.line", lang, eligible=r.eligible, rotated=r.rotated,
                       share="—" if r.share is None else f"{r.share:.1%}", backbone=r.backbone,
                       backbone_share="—" if r.backbone_share is None else f"{r.backbone_share:.1%}"))
    for e in p.explanation:
        lines.append("! " + e.message(lang))
    lines += _plan_verdict_lines(p, county, lang)
    lines.append(check_text(p, lang, schools))  # as the page says it: names, not ids
    return "\n".join(lines)


def _plan_verdict_lines(p, county, lang: str) -> list[str]:
    """Return whether the county then passes (dashboard.ui.planner_page.after_verdict), what
    still fails, the near-threshold and rotation warnings and what the planner's goal covers."""
    v = after_verdict(p, county, lang)
    lines = [v.headline, *(f"  · {c}" for c in v.components)]
    lines += [f"! {w}" for w in (v.still_failing, v.near, *v.rotation) if w]
    return [*lines, v.goal_note]
