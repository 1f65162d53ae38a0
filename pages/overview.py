"""总览 Overview: each stage × scheme against its threshold, the CVs, the school rules, the
trend over the years and the three biggest reasons."""

import streamlit as st

from dashboard.ui import cache, checklist, overview
from dashboard.ui.evaluation import county_name
from dashboard.ui.format import md_text
from pages.common import (
    PLOTLY_CONFIG,
    STATUS_DELTA_COLOR,
    page_link,
    start_page,
)

ctx = start_page("app.page.overview")
ev, county, year, lang = ctx.evaluation, ctx.county_code, ctx.year, ctx.lang
view = cache.page_view("overview", ctx.view_key(), lambda: overview.overview_view(
    ev, county, year, lang, ctx.scheme, ctx.stage, ctx.snapshot.county))
# the county's name, the scope line and the rule rows, made once per view (each run made them)
county_text, scope, rule_rows = cache.page_view("overview_head", ctx.view_key(), lambda: (
    md_text(county_name(ctx.schools, county, lang)),
    " · ".join(md_text(line) for line in checklist.scope_text(ev, None, lang)),
    list(view.rule_counts.itertuples(index=False))))
st.caption(ctx.tr("app.overview.caption", county=county_text, year=year,
                  snapshot=md_text(ctx.snapshot.id)))
cards = view.cards
if not cards:
    st.warning(ctx.tr("app.empty.no_units", year=year))
    st.stop()
# a row of two cards per stage: four in a row cut the English labels at 1440 px
# ("Junior secondary · High-qua…"), and each card's reasons took two lines
rows = [st.columns(2) for _ in range(0, len(cards), 2)]
for column, card in zip([c for row in rows for c in row], cards, strict=False):
    column.metric(card.label, card.value_text, delta=card.status_text, border=True,
                  delta_color=STATUS_DELTA_COLOR[card.status], delta_arrow="off",
                  help=card.help)
    # what decided the verdict, in full: a metric's delta description is cut to one line
    column.caption(card.detail)
# the scope the verdicts were made with (profile, teaching points, private schools, weights)
st.caption(scope)

scheme, stage = ctx.scheme, ctx.stage
st.subheader(ctx.tr("app.overview.cv_heading", scheme=ctx.tr(f"scheme.{scheme}")))
for column, (s, chart) in zip(st.columns(len(view.charts)), view.charts.items(), strict=True):
    with column:
        if chart is None:
            st.info(ctx.tr("app.empty.no_stage", stage=ctx.tr(f"stage.{s}")))
            continue
        st.plotly_chart(chart, config=PLOTLY_CONFIG, key=f"overview_cv_{s}")

left, right = st.columns([1, 2])
with left:
    st.subheader(ctx.tr("app.overview.rule_heading", scheme=ctx.tr(f"scheme.{scheme}")))
    for r in rule_rows:
        st.metric(ctx.tr("app.overview.rule_label", stage=r.stage_label), r.text,
                  help=ctx.tr(f"app.overview.rule_help.{scheme}"))
        if r.note:
            st.caption(r.note)
        for link in r.links:  # which schools decide the rule: each opens its profile
            page_link("pages/school.py", link.label, icon=":material/arrow_forward:",
                      query_params=dict(link.params), help=link.help)
        if r.more:
            st.caption(ctx.tr("journey.overview.failing_more", n=r.more))
    page_link("pages/drilldown.py", ctx.tr("app.overview.to_drilldown"),
              query_params=view.drill_params)
with right:
    st.subheader(view.reasons_heading)
    if not view.reasons:
        st.info(ctx.tr("app.empty.no_stage", stage=ctx.tr(f"stage.{stage}")))
    for k, reason in enumerate(view.reasons, start=1):
        st.markdown(f"{k}. {reason.text}")

st.subheader(ctx.tr("app.overview.trend_heading"))
history = ctx.history_key()  # says which year cannot be read
trend = cache.page_view("overview_trend", (history, county, stage, scheme, lang), lambda: overview.trend_view(
    cache.load_history(*history) if history[0] else None, county, stage, scheme, lang))
if trend.one_year:
    st.info(ctx.tr("app.empty.one_year"))
if trend.figure is not None:
    st.plotly_chart(trend.figure, config=PLOTLY_CONFIG, key="overview_trend")
