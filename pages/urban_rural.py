"""城乡差距 Urban–rural: per indicator the weighted means of 城区/镇区/乡村, their ratios, the
per-group CVs and the Theil split; per-unit distributions by group; the trend."""

import streamlit as st

from dashboard.ui import cache, urban_rural
from dashboard.ui.evaluation import scheme_ids
from dashboard.ui.format import indicator_label
from pages.common import PLOTLY_CONFIG, require_stage_units, start_page, url_select

ctx = start_page("app.page.urban_rural")
ev, county, year, lang, scheme, stage = (ctx.evaluation, ctx.county_code, ctx.year, ctx.lang,
                                         ctx.scheme, ctx.stage)
units = require_stage_units(ctx)

st.subheader(ctx.tr("app.ur.table_heading", stage=ctx.tr(f"stage.{stage}"),
                    scheme=ctx.tr(f"scheme.{scheme}")))
table = cache.page_view("ur_table", ctx.view_key(), lambda: urban_rural.urban_rural_table(units, scheme, lang))
parts = urban_rural.table_parts(table)  # two tabs of six columns: all eleven overflowed
for tab, part in zip(st.tabs([ctx.tr(f"layout.ur.tab.{p}") for p in urban_rural.TABLE_PARTS]),
                     urban_rural.TABLE_PARTS, strict=True):
    tab.dataframe(table, hide_index=True, key=f"ur_table_{part}", column_order=parts[part])
st.caption(ctx.tr("app.ur.table_note"))

indicator = url_select(ctx.tr("app.control.indicator"), scheme_ids(scheme), param="ind",
                       key="ur_indicator",
                       format_func=lambda i: indicator_label(i, lang, short=False))
charts = cache.page_view("ur_charts", ctx.view_key(indicator), lambda: urban_rural.urban_rural_charts(
    ev, units, county, year, stage, scheme, indicator, lang))
left, right = st.columns(2)
with left:
    st.plotly_chart(charts.box, config=PLOTLY_CONFIG, key="ur_box")
with right:
    st.plotly_chart(charts.theil, config=PLOTLY_CONFIG, key="ur_theil")
    st.caption(ctx.tr("app.ur.theil_note"))

st.subheader(ctx.tr("app.ur.trend_heading"))
history = ctx.history_key()  # says which year cannot be read
trend = cache.page_view("ur_trend", (history, scheme, county, stage, indicator, lang),
                        lambda: urban_rural.group_trend_view(
                            cache.load_history(*history) if history[0] else None, scheme, county, stage,
                            indicator, lang))
if trend.one_year:
    st.info(ctx.tr("app.empty.one_year"))
if trend.figure is not None:
    st.plotly_chart(trend.figure, config=PLOTLY_CONFIG, key="ur_trend")
