"""学校档案 School profile: one school's values against the standards and the county mean, its
school-rule verdicts, its history over the years and its place on the map."""

import streamlit as st

from dashboard.ui import cache, maps, school
from dashboard.ui.format import WRAPPED_ROW_HEIGHT, wrapped_height
from dashboard.ui.frozen import frozen
from dashboard.ui.geo import map_aspect
from pages.common import (
    PLOTLY_CONFIG,
    page_townships,
    plain_text,
    start_page,
    url_select,
    url_value,
)

ctx = start_page("app.page.school")
ev, county, year, lang, scheme = ctx.evaluation, ctx.county_code, ctx.year, ctx.lang, ctx.scheme
options = cache.page_view("school_options", ctx.view_key(), lambda: school.school_options(ev, county, year))
if options.empty:
    st.info(ctx.tr("app.empty.no_units", year=year))
    st.stop()
labels = school.option_labels(options)
wanted = url_value("school")
if wanted is not None and wanted not in labels:
    # a link to a school this snapshot does not have: say so, show no other school's data
    st.warning(ctx.tr("nav.school_not_found", school=plain_text(wanted), year=year))
    chosen = st.selectbox(ctx.tr("nav.school_choose"), list(labels), index=None,
                          format_func=labels.__getitem__, key="school_not_found_pick",
                          placeholder=ctx.tr("nav.school_choose"))
    if chosen is None:
        st.stop()
    st.query_params["school"] = str(chosen)
    st.rerun()
school_id = url_select(ctx.tr("app.school.pick"), list(labels), param="school", key="school_pick",
                       format_func=labels.__getitem__,
                       default=cache.page_view("school_default", ctx.view_key(), lambda: school.default_school(
                           ev, scheme, county, year, ctx.stage)))
head = cache.page_view("school_head", ctx.view_key(school_id), lambda: school.school_head(
    ev, ctx.schools, options, scheme, school_id, county, year, lang))
school_name = head.name
if head.facts:
    with st.container(border=True):
        st.markdown(head.facts)

st.markdown(head.verdicts)

stages = head.stages
if not stages:
    st.info(ctx.tr("app.school.not_in_scheme", scheme=ctx.tr(f"scheme.{scheme}")))
    st.stop()
if len(stages) > 1:
    stage = url_select(ctx.tr("app.sidebar.stage"), stages, param="sstage", key="school_stage",
                       default=ctx.stage, widget=st.radio, horizontal=True,
                       format_func=lambda s: ctx.tr(f"stage.{s}"))
else:  # one stage: said, not offered as a choice of one
    stage = stages[0]
    st.caption(ctx.tr("app.school.one_stage", stage=ctx.tr(f"stage.{stage}")))

profile = cache.page_view("school_profile", ctx.view_key(school_id, stage), lambda: school.profile_view(
    ev, scheme, school_id, county, year, stage, lang, school_name))
left, right = st.columns([3, 2])
with left:
    st.plotly_chart(profile.figure, config=PLOTLY_CONFIG, key="school_profile")
    if profile.note:
        st.caption(profile.note)
with right:
    location = cache.page_view("school_location", ctx.view_key(school_id), lambda: (
        school.school_location(ctx.schools, school_id)))
    if location is None:
        st.info(ctx.tr("app.school.no_location"))
    else:
        towns = page_townships(ctx, absent="caption")
        lon, lat = location.lon, location.lat
        # drawn once per school, language and township file for every session (8 ms a run)
        locator = cache.page_view(
            "school_locator", ctx.view_key(school_id, school_name, str(ctx.geo.path),
                                           cache.stamp(ctx.geo.path), ctx.geo.state),
            lambda: frozen(maps.school_locator(towns.paths, lon, lat, school_name, lang,
                                               map_aspect([lat]))))
        st.plotly_chart(locator, config=PLOTLY_CONFIG, key="school_map")
profile_table = profile.table
# English official names are long: the name column is bounded so that the table fits beside
# the sidebar, and its rows are tall enough to wrap the names (they were cut mid-word)
english = lang == "en" and not profile_table.empty
st.dataframe(profile.shown, hide_index=True, key="school_profile_table",
             column_config={profile_table.columns[0]: st.column_config.TextColumn(width=300)}
             if english else None, row_height=WRAPPED_ROW_HEIGHT if english else None,
             height=wrapped_height(len(profile_table)) if english else "auto")

st.subheader(ctx.tr("app.school.history_heading"))
years = ctx.history_key()  # says which year cannot be read
history = cache.page_view("school_history", (years, scheme, school_id, county, stage, lang, school_name),
                          lambda: school.history_view(cache.load_history(*years) if years[0] else None,
                                                      scheme, school_id, county, stage, lang, school_name))
if history.one_year:
    st.info(ctx.tr("app.empty.one_year"))
if history.figure is not None:
    st.plotly_chart(history.figure, config=PLOTLY_CONFIG, key="school_history")
    st.dataframe(history.table, hide_index=True, key="school_history_table")
