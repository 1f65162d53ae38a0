"""地图 Map: township polygons coloured by an indicator (weighted mean or gap to the county
mean), school points sized by enrolment, coloured by 城区/镇区/乡村 or by deviation; a click on
a school opens its profile.  Drawn offline (plain scatter traces, no tiles)."""

import streamlit as st

from dashboard.ui import cache, mapview
from dashboard.ui.evaluation import scheme_ids
from dashboard.ui.format import indicator_label
from pages.common import (
    PLOTLY_CONFIG,
    page_townships,
    require_stage_units,
    start_page,
    switch_page,
    url_select,
    url_toggle,
)

ctx = start_page("app.page.map")
ev, county, year, lang, scheme, stage = (ctx.evaluation, ctx.county_code, ctx.year, ctx.lang,
                                         ctx.scheme, ctx.stage)
require_stage_units(ctx)  # stops the page when the stage has no units

c1, c2, c3, c4 = st.columns([3, 2, 2, 2])
with c1:
    indicator = url_select(ctx.tr("app.control.indicator"), scheme_ids(scheme), param="ind",
                           key="map_indicator",
                           format_func=lambda i: indicator_label(i, lang, short=False))
with c2:
    fill = url_select(ctx.tr("app.map.fill_label"), mapview.MAP_FILLS, param="fill",
                      key="map_fill", format_func=lambda m: ctx.tr(f"app.map.fill.{m}"),
                      widget=st.radio)
with c3:
    color_by = url_select(ctx.tr("app.map.color_label"), mapview.SCHOOL_COLORINGS,
                          param="color", key="map_color", widget=st.radio,
                          format_func=lambda m: ctx.tr(f"app.map.color.{m}.{scheme}"))
with c4:
    failing_only = url_toggle(ctx.tr("app.map.failing_only"), param="failing", key="map_failing",
                              help=ctx.tr("app.map.failing_only_help"))

towns = page_townships(ctx)
view = cache.page_view(
    "map", ctx.view_key(indicator, fill, color_by, failing_only, ctx.geo.path, cache.stamp(ctx.geo.path)),
    lambda: mapview.map_view(ev, county, year, lang, scheme, stage, indicator, fill, color_by,
                             failing_only, towns))
if view.no_points:
    st.info(ctx.tr("app.map.no_points"))
fig = view.figure
event = st.plotly_chart(fig, config=PLOTLY_CONFIG, key="map_chart", on_select="rerun",
                        selection_mode="points")
# Chinese sentences end in 。 and follow each other without a space
st.caption(ctx.tr("app.map.click_hint") + ("" if lang == "zh" else " ") + ctx.tr("layout.map.spread_note"))

school_id = mapview.selected_school(event)
if school_id is not None:
    switch_page("pages/school.py", query_params={"school": school_id, "sstage": stage})
