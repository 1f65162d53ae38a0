"""总览 Overview: each stage × scheme against its threshold, the CVs, the school rules, the
trend over the years and the three biggest reasons."""

import streamlit as st

from dashboard.ui import checklist, figures, overview
from dashboard.ui.evaluation import composite_value, county_name, indicator_rows, threshold
from dashboard.ui.format import fmt_cv, md_text
from pages.common import (
    PLOTLY_CONFIG,
    STATUS_DELTA_COLOR,
    page_link,
    start_page,
)

ctx = start_page("app.page.overview")
ev, county, year, lang = ctx.evaluation, ctx.county_code, ctx.year, ctx.lang
st.caption(ctx.tr("app.overview.caption", county=md_text(county_name(ctx.schools, county, ctx.lang)),
                  year=year, snapshot=md_text(ctx.snapshot.id)))

cards = overview.status_cards(ev, county, year, lang, ctx.snapshot.county)
if not cards:
    st.warning(ctx.tr("app.empty.no_units", year=year))
    st.stop()
for column, card in zip(st.columns(len(cards)), cards, strict=True):
    column.metric(card.label, card.value_text, delta=card.status_text, border=True,
                  delta_color=STATUS_DELTA_COLOR[card.status], delta_arrow="off",
                  help=card.help)
    # what decided the verdict, in full: a metric's delta description is cut to one line
    column.caption(card.detail)
# the scope the verdicts were made with (profile, teaching points, private schools, weights)
st.caption(" · ".join(md_text(line) for line in checklist.scope_text(ev, None, lang)))

scheme, stage = ctx.scheme, ctx.stage
st.subheader(ctx.tr("app.overview.cv_heading", scheme=ctx.tr(f"scheme.{scheme}")))
rows_by_stage = {s: indicator_rows(ev, county, year, s, scheme, lang) for s in overview.STAGES}
for column, (s, rows) in zip(st.columns(len(rows_by_stage)), rows_by_stage.items(), strict=True):
    with column:
        if rows.empty:
            st.info(ctx.tr("app.empty.no_stage", stage=ctx.tr(f"stage.{s}")))
            continue
        composite = composite_value(ev, county, year, s) if scheme == "basic" else None
        st.plotly_chart(
            figures.cv_bars(rows, scheme, s, lang, composite, fmt_cv(composite)),
            config=PLOTLY_CONFIG, key=f"overview_cv_{s}")

left, right = st.columns([1, 2])
with left:
    st.subheader(ctx.tr("app.overview.rule_heading", scheme=ctx.tr(f"scheme.{scheme}")))
    for r in overview.school_rule_counts(ev, county, year, scheme, lang).itertuples(index=False):
        st.metric(ctx.tr("app.overview.rule_label", stage=r.stage_label), r.text,
                  help=ctx.tr(f"app.overview.rule_help.{scheme}"))
    page_link("pages/drilldown.py", ctx.tr("app.overview.to_drilldown"),
              query_params=overview.drilldown_params(ev, county, year, stage, scheme, lang))
with right:
    st.subheader(overview.reasons_heading(cards, stage, scheme, lang))
    reasons = overview.top_reasons(ev, county, year, stage, scheme, lang)
    if not reasons:
        st.info(ctx.tr("app.empty.no_stage", stage=ctx.tr(f"stage.{stage}")))
    for k, reason in enumerate(reasons, start=1):
        st.markdown(f"{k}. {reason.text}")

st.subheader(ctx.tr("app.overview.trend_heading"))
trend = overview.trend_table(ctx.history(), county, stage, scheme, lang)
if trend["year"].nunique() < 2:
    st.info(ctx.tr("app.empty.one_year"))
if not trend.empty:
    st.plotly_chart(figures.trend_figure(trend, scheme, stage, lang, threshold(scheme, stage)),
                    config=PLOTLY_CONFIG, key="overview_trend")
