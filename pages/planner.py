"""优化方案 Planner: the fewest teacher transfers, the least spending, or both, that bring the
chosen scheme's CVs for the chosen stage under their thresholds (the planner's goal: the school
standard and the county items are not planned; when they keep the county from passing, the page
says so and links to where to act); a live greedy preview, the exact plan with its proof
(optimal or gap), the moves, purchases, coefficients before → after and each school's change;
save as a scenario; XLSX download."""

from functools import partial

import streamlit as st

from dashboard.store.files import write_problem
from dashboard.ui import cache
from dashboard.ui import planner_page as pv
from dashboard.ui.export import XLSX_MIME
from dashboard.ui.format import md_text
from pages.common import fitted, page_link, show_error, start_page, url_select

ctx = start_page("app.page.planner")
st.caption(ctx.tr("planner.page.caption"))
lang, scheme, stage = ctx.lang, ctx.scheme, ctx.stage

mode = url_select(ctx.tr("planner.page.mode"), pv.MODES, param="mode", key="planner_mode", default="transfers",
                  widget=st.radio, horizontal=True, format_func=lambda m: ctx.tr(f"planner.mode.{m}"))
with st.expander(ctx.tr("planner.page.constraints")):
    c1, c2, c3 = st.columns(3)
    norm = c1.number_input(ctx.tr("planner.page.norm"), min_value=1.0, max_value=60.0, step=0.5,
                           value=pv.default_norm(stage), key=f"planner_norm_{stage}",
                           help=ctx.tr("planner.page.norm_help"))
    max_moves = c2.number_input(ctx.tr("planner.page.max_moves"), min_value=0, max_value=500, value=0, step=1,
                                key="planner_max_moves")
    max_km = c3.number_input(ctx.tr("planner.page.max_km"), min_value=0.0, max_value=500.0, value=0.0, step=5.0,
                             key="planner_max_km")
    c4, c5 = st.columns(2)
    min_years = c4.number_input(ctx.tr("planner.page.min_years"), min_value=0, max_value=40, value=6, step=1,
                                key="planner_min_years")
    keep = c5.toggle(ctx.tr("planner.page.keep_minimums"), value=True, key="planner_keep")
    rotation = st.checkbox(ctx.tr("plan2.page.rotation"), value=False, key="planner_rotation",
                           disabled=ctx.snapshot.teachers is None)
    names = cache.page_view("planner_names", ctx.view_key(), lambda: (
        pv.school_names(ctx.schools, lang)))  # a shared name carries its code
    locked = st.multiselect(ctx.tr("planner.page.locked"), list(names), key="planner_locked",
                            format_func=lambda s: names.get(s, s), placeholder=ctx.tr("plan6.page.locked_placeholder"))
    per_transfer = None
    if mode == "both":
        per_transfer = st.number_input(ctx.tr("plan2.page.per_transfer"), min_value=1.0, max_value=1e7,
                                       value=pv.default_per_transfer(), step=1000.0, key="planner_per_transfer")

try:
    cons = pv.make_constraints(stage, norm=norm, max_moves=max_moves, max_km=max_km, min_years=min_years,
                               keep_minimums=keep, locked=locked, per_transfer=per_transfer,
                               rotation=rotation)
    goal = pv.make_goal(scheme, stage, mode, ctx.county_code, ctx.year)
    # the preview, the plan and its verdict are made once per snapshot content, choice and
    # constraints, and shared by every session (a meeting room sees one plan)
    view_key = ctx.view_key(mode, repr(cons))
    quick = cache.page_view("planner_preview", view_key, lambda: pv.run_preview(
        ctx.snapshot, goal, cons, before=ctx.evaluation))
except pv.PlanError as exc:  # in the user's language (its kind and values), never the planner's English
    st.error(md_text(pv.plan_error_text(exc, lang), 2000))
    st.stop()
except pv.ScenarioError as exc:
    show_error(exc, lang)
    st.stop()
st.caption(pv.preview_text(quick, lang))

run_key = (ctx.snapshot.id, ctx.county_code, scheme, stage, mode, repr(cons))
stored = st.session_state.get("planner_result")
if stored is None or stored[0] != run_key:
    with st.status(ctx.tr("planner.page.solving"), expanded=False) as progress:
        try:
            result = cache.page_view("planner_plan", view_key, lambda: pv.run_plan(
                ctx.snapshot, goal, cons, before=ctx.evaluation))
        except pv.PlanError as exc:
            progress.update(state="error")
            st.error(md_text(pv.plan_error_text(exc, lang), 2000))
            st.stop()
        progress.update(label=ctx.tr("planner.page.solved", seconds=f"{result.seconds:.1f}"), state="complete")
    st.session_state["planner_result"] = (run_key, result)
else:
    result = stored[1]

head = pv.summary(result, lang)
m1, m2, m3, m4 = st.columns(4)
# short values so no card is cut ("已达标，…"); the full status is the card's help
m1.metric(ctx.tr("planner.page.metric.status"), head.status_short, border=True, help=head.status)
m2.metric(ctx.tr("planner.page.metric.transfers"), head.transfers, border=True)
m3.metric(ctx.tr("planner.page.metric.cost"), head.cost, border=True)
m4.metric(ctx.tr("planner.page.metric.gap"), head.gap, border=True)
for note in (pv.bound_text(result, lang), pv.per_transfer_note(result, lang)):
    if note:
        st.caption(note)
# keyed by what the plan does (its actions), not by the object: a session may hold a plan solved
# before the shared one was evicted and solved again
after = cache.page_view("planner_after", (*view_key, repr(result.actions())), lambda: pv.after_verdict(
    result, ctx.snapshot.county, lang, like=ctx.evaluation))
st.subheader(ctx.tr("verdict.after.heading"))
if not result.status.has_plan:  # nothing to apply: the "after" is the county as it is
    st.caption(ctx.tr("plan4.no_plan.after"))
{"pass": st.success, "near": st.warning, "fail": st.error, "missing": st.warning}[after.status](
    after.headline)
st.markdown("\n".join(f"- {line}" for line in after.components))
if after.still_failing:
    st.error(after.still_failing)
if after.near:
    st.warning(after.near)
for warning in after.rotation:
    st.warning(warning)
if after.outside is not None:  # the CVs are met, the verdict is not: say what fails and where to act
    st.info(after.outside.text)
    for link in after.outside.links:
        page_link(link.page, link.label, icon=":material/arrow_forward:", query_params=dict(link.params))
st.caption(after.goal_note)
# the tables of this plan, built once per plan and language (keyed as the verdict after it)
tables = cache.page_view("planner_tables", (*view_key, repr(result.actions())),
                         lambda: pv.plan_tables(result, ctx.schools, lang))
(st.info if result.check.passed or not result.status.has_plan else st.warning)(tables.check)
if tables.explanation:
    st.subheader(ctx.tr("planner.page.explanation"))
    st.markdown("\n".join(f"- {line}" for line in tables.explanation))

st.subheader(ctx.tr("planner.page.coefficients"))
st.dataframe(tables.drawn["coefficients"], hide_index=True, key="planner_coefficients")

st.subheader(ctx.tr("planner.page.moves"))
if tables.moves.empty:
    st.info(pv.empty_text(result, "moves", lang))
else:  # no stage, no teacher ids (both in the XLSX)
    st.dataframe(tables.drawn["moves"], hide_index=True, key="planner_moves", column_order=tables.moves_shown,
                 column_config=fitted(tables.moves_widths))
st.caption(pv.rotation_text(result, lang))

st.subheader(ctx.tr("planner.page.purchases"))
if tables.purchases.empty:
    st.info(pv.empty_text(result, "purchases", lang))
else:
    st.dataframe(tables.drawn["purchases"], hide_index=True, key="planner_purchases")
    for note in tables.purchase_notes:
        st.caption(md_text(note))

if not tables.schools.empty:  # one row per school and item: short headers
    st.subheader(ctx.tr("planner.page.schools"))
    st.dataframe(tables.drawn["schools"], hide_index=True, key="planner_schools")

# the name follows scheme, stage, mode and language until the user types a name of their own
default_name = pv.default_scenario_name(result, lang)
if st.session_state.get("planner_scenario_name") in (None, st.session_state.get("planner_default_name")):
    st.session_state["planner_scenario_name"] = default_name
st.session_state["planner_default_name"] = default_name

left, right = st.columns([3, 2])
with left:
    name = st.text_input(ctx.tr("planner.page.save_name"), key="planner_scenario_name")
    if st.button(ctx.tr("planner.page.save"), key="planner_save", disabled=not (result.moves or result.purchases)):
        try:
            pv.save_as_scenario(result, ctx.snapshot, ctx.data_root, name, lang)
            st.success(ctx.tr("planner.page.saved", name=md_text(name)))
        except pv.ScenarioError as exc:
            st.error(ctx.tr("planner.page.save_failed", detail=md_text(exc.message(lang))))
        except OSError as exc:  # a read-only data folder, a full disk: said, not raised
            st.error(md_text(write_problem(exc, ctx.data_root, lang)))
with right:
    file_name = ctx.tr("planner.page.file_name", county=ctx.county_code, year=ctx.year,
                       stage=ctx.tr(f"stage.{stage}"), scheme=ctx.tr(f"scheme.{scheme}"))
    st.download_button(ctx.tr("planner.page.download"), partial(pv.plan_xlsx, result, ctx.schools),
                       file_name=f"{file_name}.xlsx", key="planner_xlsx", icon=":material/download:",
                       mime=XLSX_MIME,
                       on_click="ignore")
