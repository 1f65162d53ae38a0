"""达标清单 Readiness checklist: every component of both assessments (CVs, school rules,
government items, quality items, satisfaction, vetoes) with status and evidence, failures
first."""

import streamlit as st

from dashboard.store.choices import load_profile_choice, save_profile_choice
from dashboard.store.files import write_problem
from dashboard.ui import cache, checklist
from dashboard.ui.evaluation import county_name
from dashboard.ui.format import md_text, table_height
from pages.common import STATUS_DELTA_COLOR, start_page, url_select, url_toggle

ctx = start_page("app.page.checklist")
lang = ctx.lang
left, right = st.columns([3, 2])
with left:
    saved = load_profile_choice(ctx.data_root, ctx.county_code, ctx.year)
    profile = url_select(ctx.tr("rules.page.profile"), checklist.profile_options(),
                         param=checklist.PROFILE_PARAM, key=checklist.PROFILE_KEY,
                         default=saved or checklist.default_profile(),
                         format_func=lambda i: checklist.profile_label(i, lang))
    # a choice the user makes here is the county's for this year: every page, every session
    # and next year open on it (a link that only names a profile does not change it)
    previous = st.session_state.get("check_profile_seen")
    st.session_state["check_profile_seen"] = profile
    if previous is not None and profile != previous and profile != saved:
        try:
            save_profile_choice(ctx.data_root, ctx.county_code, ctx.year, profile)
        except OSError as exc:  # a read-only data folder, a full disk: said, not raised
            st.error(md_text(write_problem(exc, ctx.data_root, ctx.lang)))
        else:
            st.rerun()  # the sidebar and the page context follow the new choice
with right:
    tp_basic = url_select(ctx.tr("rules.page.tp"), checklist.TP_CHOICES, param="tp",
                          key="check_tp", format_func=lambda c: ctx.tr(f"rules.page.tp_{c}"),
                          widget=st.radio, horizontal=True)
# built once per snapshot content and choice, shared by every session (read only)
evaluation = cache.page_view("checklist_scope", ctx.view_key(tp_basic), lambda: (
    checklist.scoped_evaluation(ctx.evaluation, ctx.schools, tp_basic)))
items = cache.page_view("checklist", ctx.view_key(profile, tp_basic), lambda: (
    checklist.checklist_items(evaluation, ctx.schools, ctx.snapshot.county, ctx.county_code,
                              ctx.year, lang, profile=profile)))
counts, scope, county_text = cache.page_view("checklist_head", ctx.view_key(profile, tp_basic), lambda: (
    list(checklist.checklist_counts(items).itertuples(index=False)),
    " · ".join(md_text(line) for line in checklist.scope_text(evaluation, profile, lang)),
    md_text(county_name(ctx.schools, ctx.county_code, ctx.lang))))
st.caption(ctx.tr("app.check.caption", county=county_text, year=ctx.year))
st.caption(scope)
for column, r in zip(st.columns(2), counts, strict=True):
    column.metric(ctx.tr(f"scheme.{r.scheme}"), ctx.tr(f"status.{r.verdict}"), border=True,
                  delta=ctx.tr("app.check.counts", failed=r.failed, missing=r.missing,
                               passed=r.passed, total=r.total),
                  delta_color=STATUS_DELTA_COLOR.get(r.verdict, "off"), delta_arrow="off")
if ctx.snapshot.county is None:
    st.warning(ctx.tr("app.check.no_county_table"))

problems_only = url_toggle(ctx.tr("app.check.problems_only"), param="problems",
                           key="check_problems")
columns = checklist.checklist_columns(lang)


def table_view():
    """The checklist's rows (the hidden status code kept for reading them back) and the table
    drawn of them, built once."""
    rows = checklist.checklist_frame(items, lang, problems_only=problems_only)
    return rows, checklist.checklist_table(rows, lang)


frame, table = cache.page_view("checklist_frame", ctx.view_key(profile, tp_basic, problems_only),
                               table_view)
if frame.empty:
    st.success(ctx.tr("app.check.all_pass"))
else:
    # columns sized to fit beside the sidebar; the evidence and any cut text on demand, drawn
    # above the table: below thirty rows, the chosen row's details fell out of sight
    detail = st.empty()
    widths = checklist.checklist_widths(lang)
    config: dict = {c: st.column_config.TextColumn(width=w) for c, w in widths.items()}
    # each status a coloured label: a read-only multiselect column, no Styler to compute
    status = ctx.tr("app.check.col.status")
    labels, colours = checklist.status_labels(lang)
    config[status] = st.column_config.MultiselectColumn(width=widths[status], options=labels,
                                                        color=colours)
    event = st.dataframe(
        table, hide_index=True, key="check_table", column_order=columns,
        height=table_height(frame), column_config=config,
        on_select="rerun", selection_mode="single-row")
    chosen = event.selection.rows if event is not None else []
    if chosen:
        detail.info(checklist.checklist_detail(frame, chosen[0], lang))
    else:
        detail.caption(ctx.tr("layout.check.select_hint"))
