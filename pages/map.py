"""地图 Map: township polygons coloured by an indicator (weighted mean or gap to the county
mean), school points sized by enrolment, coloured by 城区/镇区/乡村 or by deviation; a click on
a school opens its profile.  Drawn offline (plain scatter traces, no tiles)."""

import streamlit as st

from dashboard.ui import maps, mapview
from dashboard.ui.evaluation import indicator_summary, scheme_ids, scheme_units
from dashboard.ui.format import fmt_pct, indicator_label, unit_of
from dashboard.ui.geo import latitudes, map_aspect
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
units = require_stage_units(ctx)

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

summary = indicator_summary(ev, county, year, stage, scheme, indicator, lang)
shown = scheme_units(ev, scheme, county, year, stage, failing_only=failing_only)
points = mapview.map_schools(shown, indicator, scheme, lang, summary.mean)
towns = page_townships(ctx)
if points.empty:
    st.info(ctx.tr("app.map.no_points"))
townships = (mapview.township_frame(units, indicator, fill, lang, summary.mean, towns.paths)
             if towns.paths else None)
bound = maps.deviation_bound(points["deviation"])  # the school colour bar's ± limit
fig = maps.township_map(
    towns.paths, townships, towns.labels, points, lang=lang, color_by=color_by,
    title=ctx.tr("app.map.title", name=indicator_label(indicator, lang, short=False),
                 stage=ctx.tr(f"stage.{stage}"), mean=summary.mean_text, cv=summary.cv_text),
    township_title=ctx.tr(f"app.map.colorbar.{fill}", unit=unit_of(indicator, lang)),
    township_percent=fill == "gap",
    deviation_title=ctx.tr("layout.map.deviation_clamped",
                           title=ctx.tr(f"app.map.deviation_title.{scheme}"),
                           bound=fmt_pct(bound, 0)),
    aspect=map_aspect(latitudes(points, towns.labels)), deviation_limit=bound)
event = st.plotly_chart(fig, config=PLOTLY_CONFIG, key="map_chart", on_select="rerun",
                        selection_mode="points")
st.caption(ctx.tr("app.map.click_hint") + " " + ctx.tr("layout.map.spread_note"))

school_id = mapview.selected_school(event)
if school_id is not None:
    switch_page("pages/school.py", query_params={"school": school_id, "sstage": stage})
