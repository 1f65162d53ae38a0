"""地图 Map: township polygons coloured by an indicator (weighted mean or gap to the county
mean), school points sized by enrolment, coloured by 城区/镇区/乡村 or by deviation; a click on
a school opens its profile.  Drawn offline (plain scatter traces, no tiles)."""

import streamlit as st

from dashboard.method.standards import scheme_ids
from dashboard.ui import maps, views
from pages.common import PLOTLY_CONFIG, require_stage_units, start_page, url_select, url_toggle

ctx = start_page("app.page.map")
ev, county, year, lang, scheme, stage = (ctx.evaluation, ctx.county_code, ctx.year, ctx.lang,
                                         ctx.scheme, ctx.stage)
units = require_stage_units(ctx)

c1, c2, c3, c4 = st.columns([3, 2, 2, 2])
with c1:
    indicator = url_select(ctx.tr("app.control.indicator"), scheme_ids(scheme), param="ind",
                           key="map_indicator",
                           format_func=lambda i: views.indicator_label(i, lang, short=False))
with c2:
    fill = url_select(ctx.tr("app.map.fill_label"), ("mean", "gap"), param="fill", key="map_fill",
                      format_func=lambda m: ctx.tr(f"app.map.fill.{m}"), widget=st.radio)
with c3:
    color_by = url_select(ctx.tr("app.map.color_label"), ("urban_rural", "deviation"),
                          param="color", key="map_color", widget=st.radio,
                          format_func=lambda m: ctx.tr(f"app.map.color.{m}.{scheme}"))
with c4:
    failing_only = url_toggle(ctx.tr("app.map.failing_only"), param="failing", key="map_failing",
                              help=ctx.tr("app.map.failing_only_help"))

summary = views.drill_summary(ev, county, year, stage, scheme, indicator, lang)
shown = views.scheme_units(ev, scheme, county, year, stage, failing_only=failing_only)
points = views.map_schools(shown, indicator, scheme, lang, summary.mean)
paths = views.polygon_paths(ctx.geo)
if not paths:
    st.warning(ctx.tr("app.map.no_geo", county=county))
if points.empty:
    st.info(ctx.tr("app.map.no_points"))
townships = views.township_frame(units, indicator, fill, lang, summary.mean, paths) if paths else None
labels = views.township_labels(ctx.geo)
fig = maps.township_map(
    paths, townships, labels, points, lang=lang, color_by=color_by,
    title=ctx.tr("app.map.title", name=views.indicator_label(indicator, lang, short=False),
                 stage=ctx.tr(f"stage.{stage}"), mean=summary.mean_text, cv=summary.cv_text),
    township_title=ctx.tr(f"app.map.colorbar.{fill}", unit=views.unit_of(indicator, lang)),
    township_percent=fill == "gap",
    deviation_title=ctx.tr(f"app.map.deviation_title.{scheme}"),
    aspect=views.map_aspect(views.latitudes(points, labels)))
event = st.plotly_chart(fig, config=PLOTLY_CONFIG, key="map_chart", on_select="rerun",
                        selection_mode="points")
st.caption(ctx.tr("app.map.click_hint"))

school_id = views.selected_school(event)
if school_id is not None:
    st.switch_page("pages/school.py", query_params={"school": school_id})
