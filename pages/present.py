"""汇报材料 Presentation materials: the deck (PPTX), the self-assessment report (DOCX, PDF) and
its tables (XLSX) in one click each, and the presentation mode (?present=1): one step of the
deck per screen, large type, no sidebar, stepped with the buttons or the arrow keys."""

import streamlit as st

from dashboard.ui import cache, present_page
from dashboard.ui.evaluation import county_name
from dashboard.ui.format import md_text
from pages.common import plain_text, start_page, url_select, url_value

TEXT_LIMIT = 2000  # characters of a line shown (a verdict's reasons are long, never this long)

ctx = start_page("app.page.present")
lang = ctx.lang
present = url_value(present_page.PRESENT_PARAM) == "1"
names = present_page.saved_scenarios(ctx.data_root, ctx.snapshot)
scenario = present_page.NO_SCENARIO
if len(names) > 1 and not present:
    scenario = url_select(ctx.tr("present.page.scenario"), names, param="scen",
                          key="present_scenario",
                          format_func=lambda n: n or ctx.tr("present.page.no_scenario"))
elif len(names) > 1:
    scenario = str(url_value("scen")) if url_value("scen") in names else present_page.NO_SCENARIO
years = ctx.history_key()  # says which year cannot be read


def _material() -> tuple:
    return present_page.page_material(
        ctx.evaluation, ctx.snapshot, ctx.county_code, ctx.year, lang,
        history=cache.load_history(*years) if years[0] else None, scheme=ctx.scheme,
        stage=ctx.stage, scenario=scenario or "")


# Without a scenario the material is the snapshot's: built once per content and choice (a saved
# scenario is a file that may change, so it is read on every run).
m, why = (_material() if scenario else
          cache.page_view("present", ctx.view_key(ctx.snapshot.id, years), _material))
if why:
    st.warning(md_text(why))  # may name a scenario: data, shown as text

if not present:
    st.caption(ctx.tr("present.page.caption", county=md_text(county_name(ctx.schools, ctx.county_code, lang)),
                      year=ctx.year, scheme=ctx.tr(f"scheme.{m.focus[0]}"),
                      stage=ctx.tr(f"stage.{m.focus[1]}")))
    st.subheader(ctx.tr("present.page.downloads"))
    for column, d in zip(st.columns(4), present_page.downloads(m, ctx.geo_root), strict=False):
        column.download_button(d.label, d.make, file_name=d.file_name, mime=d.mime,
                               key=f"present_download_{d.key}", on_click="ignore")
    st.caption(ctx.tr("present.page.downloads_note"))
    st.subheader(ctx.tr("present.page.mode"))
    st.markdown(ctx.tr("present.page.mode_note"))
    if st.button(ctx.tr("present.page.start"), key="present_start", type="primary"):
        st.query_params[present_page.PRESENT_PARAM] = "1"
        st.query_params[present_page.STEP_PARAM] = "1"
        st.rerun()
    st.stop()

steps = present_page.present_steps(m)
k = present_page.step_index(url_value(present_page.STEP_PARAM), len(steps))
step = steps[k]
left, middle, right, out = st.columns([2, 2, 5, 2])
if left.button(ctx.tr("present.page.previous"), key="present_prev", disabled=k == 0,
               shortcut="left"):
    st.query_params[present_page.STEP_PARAM] = str(k)
    st.rerun()
if middle.button(ctx.tr("present.page.next"), key="present_next", disabled=k == len(steps) - 1,
                 shortcut="right"):
    st.query_params[present_page.STEP_PARAM] = str(k + 2)
    st.rerun()
right.caption(ctx.tr("present.page.position", k=k + 1, n=len(steps)))
if out.button(ctx.tr("present.page.leave"), key="present_leave", shortcut="escape"):
    del st.query_params[present_page.PRESENT_PARAM]
    st.rerun()
st.header(step.title, anchor=False)
if step.key == "title":  # data-derived text: escaped, never markup
    for line in step.lines:
        st.markdown("### " + plain_text(line, TEXT_LIMIT))
elif step.lines:  # one block, a line each: a slide's height is the projector's to spare
    st.markdown("  \n".join(plain_text(line, TEXT_LIMIT) for line in step.lines))
if step.key == "map":
    fig = present_page.map_figure(m, ctx.geo_root)
    if fig is not None:
        st.plotly_chart(fig, config=present_page.PRESENT_CONFIG, key="present_map")
for column, chart in zip(st.columns(max(len(step.charts), 1)), step.charts, strict=False):
    column.plotly_chart(present_page.step_figure(chart, lang), config=present_page.PRESENT_CONFIG,
                        key=f"present_chart_{chart.title}")
for number, bullet in enumerate(step.bullets, start=1):
    st.markdown(f"{number}\\. " + plain_text(bullet, TEXT_LIMIT))
if step.after_bullets:
    st.markdown(plain_text(step.after_bullets, TEXT_LIMIT))
if step.grid is not None:  # a static table: wraps its long reasons, large type (projector.css)
    st.table(present_page.grid_frame(step.grid), hide_index=True)
if step.after_grid:
    st.markdown(plain_text(step.after_grid, TEXT_LIMIT))
