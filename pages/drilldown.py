"""指标诊断 Drill-down: one indicator's CV, threshold and gap; every unit's value sorted, with the
standard and the county mean; each unit's contribution to the CV ("if this school stood at
the county mean the CV would be x"); the failing schools, downloadable as CSV and XLSX."""

from functools import partial

import streamlit as st

from dashboard.ui import cache, drilldown
from dashboard.ui.evaluation import scheme_ids
from dashboard.ui.export import CSV_MIME, XLSX_MIME, to_csv_bytes, to_xlsx_bytes
from dashboard.ui.format import indicator_label
from pages.common import (
    PLOTLY_CONFIG,
    STATUS_DELTA_COLOR,
    require_stage_units,
    start_page,
    url_select,
)

ctx = start_page("app.page.drilldown")
ev, county, year, lang, scheme, stage = (ctx.evaluation, ctx.county_code, ctx.year, ctx.lang,
                                         ctx.scheme, ctx.stage)
require_stage_units(ctx)  # stops the page when the stage has no units

default = cache.page_view("drilldown_default", ctx.view_key(),
                          lambda: drilldown.default_indicator(ev, county, year, stage, scheme, lang))
indicator = url_select(ctx.tr("app.control.indicator"), scheme_ids(scheme), param="ind",
                       key="drill_indicator", default=default,
                       format_func=lambda i: indicator_label(i, lang, short=False))
view = cache.page_view("drilldown", ctx.view_key(indicator), lambda: drilldown.drill_view(
    ev, county, year, lang, scheme, stage, indicator))
summary = view.summary
m1, m2, m3, m4 = st.columns(4)
m1.metric(ctx.tr("app.drill.metric.cv"), summary.cv_text, delta=summary.status_text,
          delta_color=STATUS_DELTA_COLOR[summary.status], delta_arrow="off", border=True)
m2.metric(ctx.tr(f"app.drill.metric.threshold.{scheme}"), summary.threshold_text, border=True)
m3.metric(ctx.tr("app.drill.metric.gap"), summary.gap_text, border=True,
          help=ctx.tr("app.drill.metric.gap_help"))
m4.metric(view.mean_label, view.mean_value, border=True,
          delta=ctx.tr("app.drill.metric.minimum", value=summary.minimum_text)
          if summary.minimum is not None else None, delta_color="off", delta_arrow="off")
if scheme == "basic":
    st.caption(ctx.tr("app.drill.basic_note", n=len(scheme_ids("basic"))))

st.plotly_chart(view.values_figure, config=PLOTLY_CONFIG, key="drill_values")

st.subheader(ctx.tr("app.drill.contribution_heading"))
# the chart, then its table at full width (beside the chart, the table's columns were cut)
st.plotly_chart(view.contribution_figure, config=PLOTLY_CONFIG, key="drill_contribution")
st.dataframe(view.contributions, hide_index=True, key="drill_contribution_table")
st.caption(ctx.tr("app.drill.contribution_note", cv=summary.cv_text))

st.subheader(ctx.tr(f"app.drill.failing_heading.{scheme}"))
failing = view.failing
if failing.empty:
    st.success(ctx.tr("app.drill.no_failing"))
else:
    shown = view.failing_shown
    # columns sized to fit the page (full headers on hover), the failing items by their short
    # names (the downloads keep the official ones)
    widths, formats = view.failing_widths, view.failing_formats
    st.dataframe(view.failing_screen, hide_index=True, key="drill_failing", column_order=shown,
                 column_config={c: st.column_config.NumberColumn(format=formats[c], width=w, help=c)
                                if c in formats else st.column_config.Column(width=w, help=c)
                                for c, w in widths.items()})
    name = ctx.tr("app.drill.file_name", county=county, year=year, stage=ctx.tr(f"stage.{stage}"),
                  scheme=ctx.tr(f"scheme.{scheme}"))
    d1, d2, _ = st.columns([1, 1, 3])
    d1.download_button(ctx.tr("app.drill.download_csv"), partial(to_csv_bytes, failing),
                       file_name=f"{name}.csv", mime=CSV_MIME, key="drill_csv",
                       icon=":material/download:", on_click="ignore")
    d2.download_button(ctx.tr("app.drill.download_xlsx"),
                       partial(to_xlsx_bytes, failing, ctx.tr("app.drill.sheet_name")),
                       file_name=f"{name}.xlsx", key="drill_xlsx", icon=":material/download:",
                       mime=XLSX_MIME,
                       on_click="ignore")
