"""情景模拟 Scenarios: build a what-if scenario with forms (transfer and hire teachers, add
resources, move pupils), see every coefficient and each school before → after, save, reopen,
delete and compare saved scenarios, and see the moves on the map."""

from typing import Any, Final

import streamlit as st

from dashboard.store.files import write_problem
from dashboard.ui import cache, maps
from dashboard.ui import scenario_page as sv
from dashboard.ui import scenario_results as sr
from dashboard.ui.evaluation import STAGES, county_name
from dashboard.ui.format import md_text, table_height
from dashboard.ui.frozen import frozen, frozen_table
from dashboard.ui.geo import map_aspect
from pages.common import PLOTLY_CONFIG, lazy_tabs, page_townships, start_page

ACTION_KINDS: Final = ("transfer", "hire", "add_resource", "move_pupils")  # + "roster" with a roster
PERSIST: Final = "page"  # an action's inputs keep their values while another action's tab is open

ctx = start_page("app.page.scenario")
lang, county, year, snapshot = ctx.lang, ctx.county_code, ctx.year, ctx.snapshot
schools, teachers = ctx.schools, snapshot.teachers
store = sv.scenario_store(ctx.data_root)
checksum = sv.snapshot_checksum(snapshot)
state = st.session_state
# the units and the county's name once per snapshot content, for every session and rerun
units, county_text = cache.page_view("scenario_units", ctx.view_key(), lambda: (
    sv.basic_units(schools), md_text(county_name(schools, county, lang))))
st.caption(ctx.tr("scenario.intro", county=county_text, year=year, snapshot=md_text(snapshot.id)))

# The pending actions belong to one snapshot; another snapshot starts an empty scenario.
if state.get("scn_snapshot") != snapshot.id:
    if state.get("scn_actions"):
        st.info(ctx.tr("scenario.stale"))
    state["scn_actions"] = []
    state["scn_snapshot"] = snapshot.id
actions: list = state["scn_actions"]


def add(action) -> None:
    """Add an action when the scenario stays possible; else show the refusal."""
    refusal = sv.refusal(schools, [*actions, action], teachers, lang)
    if refusal is not None:
        st.error(md_text(refusal))
        return
    actions.append(action)
    st.success(ctx.tr("scenario.added", number=len(actions),
                      action=md_text(sv.describe_action(action, sv.school_names(schools), lang))))


def remove(index: int) -> None:
    del state["scn_actions"][index]


def clear() -> None:
    state["scn_actions"] = []


def open_saved(name: str) -> None:
    try:
        saved = sv.open_scenario(store, snapshot, name)
    except sv.ScenarioError as exc:
        state["scn_flash"] = ("error", md_text(exc.message(lang)))
        return
    state["scn_actions"] = list(saved.actions)
    state["scn_save_name"], state["scn_save_note"] = saved.name, saved.note
    state["scn_flash"] = ("success", ctx.tr("scenario.saved.opened", name=md_text(name)))


def ask_delete(name: str) -> None:
    state["scn_confirm_delete"] = name


def confirm_delete() -> None:
    name = state.pop("scn_confirm_delete", None)
    if name is None:
        return
    try:
        store.delete(name)
    except sv.ScenarioError as exc:
        state["scn_flash"] = ("error", md_text(exc.message(lang)))
        return
    state["scn_flash"] = ("success", ctx.tr("scenario.saved.deleted", name=md_text(name)))


def cancel_delete() -> None:
    state.pop("scn_confirm_delete", None)


def school_pair(prefix: str, choices: dict[str, str], left=st, right=st) -> tuple[str, str]:
    """Draw the from/to school choices (keys ``{prefix}_from``/``_to``); return both ids. The
    target starts at a school of another 基本均衡 unit than the source, and a note says when
    the two are counted as one unit there (a teaching point and its school)."""
    source = left.selectbox(ctx.tr("scenario.field.from"), list(choices), key=f"{prefix}_from",
                            format_func=choices.__getitem__, persist_state=PERSIST)
    target = right.selectbox(ctx.tr("scenario.field.to"), list(choices), key=f"{prefix}_to",
                             format_func=choices.__getitem__, persist_state=PERSIST,
                             index=sv.first_other_unit(list(choices), units))
    if source != target and units.get(str(source)) == units.get(str(target)):
        st.caption(ctx.tr("scenario.form.same_basic_unit"))
    return str(source), str(target)


def teacher_numbers(prefix: str, help_key: str = "scenario.field.attr_help") -> dict[str, Any]:
    """Draw the four attribute inputs of a teacher form; return attr -> count (keyword
    arguments of sv.Transfer and sv.Hire)."""
    cols = st.columns(len(sv.TEACHER_ATTRS))  # one row: a form has the page's width

    def start(key: str) -> dict[str, Any]:
        """A value only for a new input (one already in the session state keeps its own)."""
        return {} if key in state else {"value": 0}

    return {attr: int(col.number_input(ctx.tr(f"scenario.field.attr.{attr}"), min_value=0,
                                       step=1, key=f"{prefix}_{attr}", help=ctx.tr(help_key),
                                       persist_state=PERSIST, **start(f"{prefix}_{attr}")))
            for col, attr in zip(cols, sv.TEACHER_ATTRS, strict=False)}


def transfer_mix(source: str, stage: str, count: int) -> None:
    """Put the source school's mix of ``count`` teachers in the transfer's attribute inputs when
    the source, stage or count changed and the user has not edited the mix shown before."""
    basis = (source, stage, count)
    # (inputs dropped since, as on a return to the page, are given the mix again)
    if state.get("scn_tr_basis") == basis and all(
            f"scn_tr_{a}" in state for a in sv.TEACHER_ATTRS):
        return
    shown = state.get("scn_tr_shown")
    current = {a: state.get(f"scn_tr_{a}") for a in sv.TEACHER_ATTRS}
    mix = sv.default_mix(schools, source, stage, count)
    state["scn_tr_basis"] = basis
    if shown is None or current == shown or any(v is None for v in current.values()):
        for attr, value in mix.items():
            state[f"scn_tr_{attr}"] = value
        state["scn_tr_shown"] = mix


build, saved_tab, compare_tab = st.tabs([ctx.tr("scenario.tab.build"), ctx.tr("scenario.tab.saved"),
                                         ctx.tr("scenario.tab.compare")])

with build:
    stage = st.radio(ctx.tr("scenario.form.stage"), STAGES, key="scn_stage", horizontal=True,
                     index=STAGES.index(ctx.stage), format_func=lambda s: ctx.tr(f"stage.{s}"),
                     help=ctx.tr("scenario.form.stage_help"))
    # The choices and the staff table are shared views (every session, every rerun).
    staged, every, staff = cache.page_view("scenario_forms", ctx.view_key(stage), lambda: (
        sv.school_choices(schools, stage), sv.school_choices(schools),
        frozen_table(sv.staff_table(schools, stage, lang))))
    # The two expanders run their content only when open (a rerun opens them): closed, as
    # they mostly are, their table and widgets cost a tenth of the page's rerun (issue 15)
    staff_box = st.expander(ctx.tr("scenario.staff.heading", stage=ctx.tr(f"stage.{stage}")),
                            key="scn_staff_open", on_change="rerun")
    if staff_box.open:
        staff_box.dataframe(staff, hide_index=True, key="scn_staff")

    if not staged:
        st.info(ctx.tr("scenario.form.no_schools", stage=ctx.tr(f"stage.{stage}")))
    # One kind of action at a time: only the open tab's form is drawn (issue 15: the four forms
    # side by side were a quarter of the page's rerun).  Their inputs keep their values (a
    # form's once submitted) while another tab is open (persist_state="page").
    st.subheader(ctx.tr("scenario.action.heading"))
    kinds = [*ACTION_KINDS, *(["roster"] if teachers is not None and staged else [])]
    tabs = lazy_tabs("scn_action", {k: ctx.tr(f"scenario.action.{k}") for k in kinds})
    if tabs["transfer"].open:
        with tabs["transfer"], st.container(border=True):
            # Not a form: the attribute counts follow the source school and the count as they
            # change.
            one, two, three = st.columns(3)
            source, target = school_pair("scn_tr", staged, one, two)
            count = three.number_input(ctx.tr("scenario.field.teachers"), min_value=1, value=1,
                                       step=1, key="scn_tr_count", persist_state=PERSIST)
            if staged:
                transfer_mix(source, stage, int(count))
            attrs = teacher_numbers("scn_tr", "deadends.transfer.attr_help")
            st.caption(ctx.tr("deadends.transfer.mix_note"))
            if st.button(ctx.tr("scenario.form.transfer.submit"), key="scn_tr_submit",
                         disabled=not staged):
                add(sv.Transfer(source, target, stage, int(count), **attrs))
    if tabs["hire"].open:
        with tabs["hire"], st.form("scn_form_hire"):
            one, two = st.columns(2)
            school = one.selectbox(ctx.tr("scenario.field.school"), list(staged),
                                   key="scn_hire_school", format_func=staged.__getitem__,
                                   persist_state=PERSIST)
            count = two.number_input(ctx.tr("scenario.field.teachers"), min_value=1, value=1,
                                     step=1, key="scn_hire_count", persist_state=PERSIST)
            attrs = teacher_numbers("scn_hire")
            if st.form_submit_button(ctx.tr("scenario.form.hire.submit"), key="scn_hire_submit",
                                     disabled=not staged):
                add(sv.Hire(str(school), stage, int(count), **attrs))
    if tabs["add_resource"].open:
        with tabs["add_resource"], st.form("scn_form_resource"):
            one, two, three = st.columns(3)
            school = one.selectbox(ctx.tr("scenario.field.school"), list(every),
                                   key="scn_res_school", format_func=every.__getitem__,
                                   persist_state=PERSIST)
            resource = two.selectbox(ctx.tr("scenario.field.resource"), sv.RESOURCE_COLUMNS,
                                     key="scn_res_column", persist_state=PERSIST,
                                     format_func=lambda r: sv.resource_label(r, lang))
            amount = three.number_input(ctx.tr("scenario.field.amount"), min_value=0.0, value=0.0,
                                        step=1.0, key="scn_res_amount", persist_state=PERSIST,
                                        help=ctx.tr("scenario.field.amount_help"))
            if st.form_submit_button(ctx.tr("scenario.form.add_resource.submit"),
                                     key="scn_res_submit"):
                add(sv.AddResource(str(school), str(resource), float(amount)))
    if tabs["move_pupils"].open:
        with tabs["move_pupils"], st.form("scn_form_pupils"):
            one, two, three = st.columns(3)
            source, target = school_pair("scn_mv", staged, one, two)
            count = three.number_input(ctx.tr("scenario.field.pupils"), min_value=1, value=1,
                                       step=1, key="scn_mv_count", persist_state=PERSIST)
            if st.form_submit_button(ctx.tr("scenario.form.move_pupils.submit"),
                                     key="scn_mv_submit", disabled=not staged):
                add(sv.MovePupils(source, target, stage, int(count)))
    if "roster" in tabs and tabs["roster"].open:
        with tabs["roster"]:
            st.caption(ctx.tr("scenario.roster.caption"))
            source, target = school_pair("scn_named", staged, *st.columns(2))
            choices = cache.page_view("scenario_roster", ctx.view_key(source, stage), lambda: (
                sv.roster_choices(teachers, source, stage, int(year), lang)))
            named = st.multiselect(ctx.tr("scenario.roster.teachers"), list(choices),
                                   key="scn_named_ids", format_func=choices.__getitem__,
                                   placeholder=ctx.tr("scenario.roster.placeholder"),
                                   persist_state=PERSIST)
            if st.button(ctx.tr("scenario.roster.submit"), key="scn_named_submit",
                         disabled=not named):
                add(sv.named_transfer(teachers, source, target, stage, named))

    st.subheader(ctx.tr("scenario.pending.heading"))
    if not actions:
        st.info(ctx.tr("scenario.pending.empty"))
    else:
        for i, line in enumerate(sv.action_lines(actions, schools, lang)):
            text, button = st.columns([12, 2], vertical_alignment="center")
            text.text(line)  # school names are data: plain text, never Markdown
            button.button(ctx.tr("scenario.pending.remove", number=i + 1), key=f"scn_remove_{i}",
                          on_click=remove, args=(i,))
        st.button(ctx.tr("scenario.pending.clear"), key="scn_clear", on_click=clear)

    if actions:
        # the scenario's evaluation and everything shown of it once per snapshot, actions and
        # choice, for every session (a rerun for another widget only draws it)
        key = ctx.view_key(tuple(actions))
        try:
            after = cache.page_view("scenario_after", key, lambda: sv.evaluate_actions(
                schools, actions, teachers, ctx.evaluation))
        except sv.ScenarioError as exc:  # e.g. a planner scenario naming teachers without a roster
            st.error(md_text(exc.message(lang)))
            st.stop()
        view = cache.page_view("scenario_results", key, lambda: sr.scenario_view(
            ctx.evaluation, after, actions, schools, county, year, ctx.scheme, ctx.stage, lang,
            snapshot.county))

        st.subheader(ctx.tr("scenario.result.verdicts"))
        for column, change in zip(st.columns(max(len(view.changes), 1)), view.changes, strict=False):
            column.metric(change.label, change.after_text, delta=change.delta_text,
                          delta_color="inverse" if change.changed else "off",
                          delta_arrow="auto" if change.changed and change.moved else "off",
                          border=True,
                          help=ctx.tr("scenario.metric_help"), delta_description=change.status_text)
            column.caption(change.detail)

        st.subheader(ctx.tr("scenario.result.coefficients"))
        st.dataframe(view.coefficients.styler(), hide_index=True, key="scn_coefficients",
                     height=table_height(view.coefficients.data, max_rows=40))
        st.caption(sr.changed_note(lang))
        st.plotly_chart(view.figure, config=PLOTLY_CONFIG, key="scn_before_after")

        st.subheader(ctx.tr("scenario.result.schools", scheme=ctx.tr(f"scheme.{ctx.scheme}")))
        if view.schools is None:
            st.info(ctx.tr("scenario.result.no_school_change"))
        else:
            # long form: one row per school and changed value, every column as wide as its
            # longest text (eleven columns of 'before → after' were cut at 1440 px)
            st.dataframe(view.schools, hide_index=True, key="scn_schools",
                         height=table_height(view.schools),
                         column_config={c: st.column_config.TextColumn(width=w)
                                        for c, w in view.school_widths.items()})

        st.subheader(ctx.tr("scenario.result.map"))
        if view.lines.empty:
            st.info(ctx.tr("scenario.result.no_lines"))
        else:
            towns = page_townships(ctx, absent="caption")
            flows = cache.page_view(
                "scenario_map", (*key, str(ctx.geo.path), cache.stamp(ctx.geo.path), ctx.geo.state),
                lambda: frozen(maps.flow_map(towns.paths, towns.labels, view.lines, schools, lang,
                                             map_aspect(schools["latitude"].dropna()))))
            st.plotly_chart(flows, config=PLOTLY_CONFIG, key="scn_map")

    st.subheader(ctx.tr("scenario.save.heading"))
    with st.form("scn_form_save"):
        name = st.text_input(ctx.tr("scenario.save.name"), key="scn_save_name",
                             help=ctx.tr("scenario.save.name_help"))
        note = st.text_area(ctx.tr("scenario.save.note"), key="scn_save_note")
        overwrite = st.checkbox(ctx.tr("scenario.save.overwrite"), key="scn_save_overwrite")
        if st.form_submit_button(ctx.tr("scenario.save.submit"), key="scn_save_submit",
                                 disabled=not actions):
            try:
                saved_name = sv.save_scenario(store, snapshot, name, note, actions,
                                              overwrite=overwrite)
                st.success(ctx.tr("scenario.save.done", name=md_text(saved_name)))
            except sv.ScenarioError as exc:
                st.error(md_text(exc.message(lang)))
            except OSError as exc:  # a read-only data folder, a full disk: said, not raised
                st.error(md_text(write_problem(exc, ctx.data_root, lang)))
    if not actions:
        st.caption(ctx.tr("scenario.save.need_actions"))

infos, damaged = store.scan()
with saved_tab:
    if damaged:  # a damaged file is said, never an exception
        st.warning(ctx.tr("scenario.damaged_files", names=md_text(
            "; ".join(f"{d.name}.json: {d.error.message(lang)}" for d in damaged), 2000)))
    flash = state.pop("scn_flash", None)
    if flash is not None:
        (st.error if flash[0] == "error" else st.success)(flash[1])
    if not infos:
        st.info(ctx.tr("scenario.saved.empty"))
    else:
        st.dataframe(sv.saved_table(infos, checksum, lang), hide_index=True, key="scn_saved")
        names = [i.name for i in infos]
        picked = st.selectbox(ctx.tr("scenario.saved.pick"), names, key="scn_saved_pick")
        one, two = st.columns(2)
        one.button(ctx.tr("scenario.saved.open"), key="scn_open", on_click=open_saved,
                   args=(picked,), type="primary")
        two.button(ctx.tr("scenario.saved.delete"), key="scn_delete", on_click=ask_delete,
                   args=(picked,))
        pending = state.get("scn_confirm_delete")
        if pending is not None:
            st.warning(ctx.tr("scenario.saved.confirm", name=md_text(pending)))
            one, two = st.columns(2)
            one.button(ctx.tr("scenario.saved.confirm_button"), key="scn_delete_confirm",
                       on_click=confirm_delete, type="primary")
            two.button(ctx.tr("scenario.saved.cancel"), key="scn_delete_cancel",
                       on_click=cancel_delete)

with compare_tab:
    usable = sv.usable_scenarios(infos, snapshot)
    if not usable:
        st.info(ctx.tr("scenario.compare.empty"))
    else:
        chosen = st.multiselect(ctx.tr("scenario.compare.pick", n=sr.MAX_COMPARED), usable,
                                key="scn_compare", max_selections=sr.MAX_COMPARED,
                                default=usable[:min(len(usable), sr.MAX_COMPARED)])
        evaluations = [(ctx.tr("scenario.series.now"), ctx.evaluation)]
        for name in chosen:
            try:
                evaluations.append((name, sv.evaluate_saved(store, snapshot, name, county,
                                                              ctx.evaluation)))
            except sv.ScenarioError as exc:
                st.error(md_text(exc.message(lang)))
        series = sr.series_table(evaluations, county, year, lang)
        st.dataframe(sr.compare_display(series, lang), hide_index=True, key="scn_compare_table",
                     height=table_height(series.drop_duplicates(
                         ["stage", "scheme", "indicator"]), max_rows=40))
        st.plotly_chart(sr.compare_figure(series, ctx.stage, ctx.scheme, lang),
                        config=PLOTLY_CONFIG, key="scn_compare_figure")
