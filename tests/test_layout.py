"""Real-browser layout test (issue 9 point 6): every page in Chinese and English at 1440×900 and
1920×1080, a screenshot of each under tests/artifacts/screenshots/<lang>-<page>-<width>.png, and
no table cut off on the right.

A Streamlit table (``[data-testid="stDataFrame"]``) is a glide-data-grid canvas inside a
scroller (``.dvn-scroller``): its columns overflow when the scroller's ``scrollWidth`` exceeds
its ``clientWidth`` (the last columns then sit beyond the right edge, behind a scroll bar).
The urban–rural, checklist, planner, drill-down and school-profile tables must never overflow;
the planner is also opened on a scheme whose plan moves teachers, so its transfer and school
tables are drawn.  On the scenario page the test adds a transfer (the form's defaults: a few
teachers of the source school's mix) and measures the result tables that then appear.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser import wait_for_page
from test_browser import _pages, app_errors, page_url

from dashboard.i18n import t

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
SHOTS = REPO / "tests" / "artifacts" / "screenshots"
VIEWPORTS = ((1440, 900), (1920, 1080))
FITTED = ("urban-rural", "checklist", "planner", "drilldown", "school")  # pages with tables
EXTRA = {"planner": {"scheme": "quality", "stage": "junior"}}  # a plan with moves and schools
BUILD = {"scenario": ".st-key-scn_tr_submit button"}  # the click that builds a scenario

MEASURE = """() => [...document.querySelectorAll('[data-testid="stDataFrame"]')].map(d => {
  const s = d.querySelector('.dvn-scroller'); const r = d.getBoundingClientRect();
  return {width: r.width, scroll: s ? s.scrollWidth : null, client: s ? s.clientWidth : null};
})"""


def measure(page: Any) -> list[dict]:
    """Return every shown table's box width and its scroller's scroll/client widths (tables in
    hidden tabs have no width and those in closed expanders are left out).  Each table is scrolled into view first: the
    grid lays out its scroller only once it has been on screen."""
    for table in page.query_selector_all('[data-testid="stDataFrame"]'):
        if table.bounding_box() is None or table.bounding_box()["width"] == 0:
            continue
        if table.evaluate("e => !!e.closest('details:not([open])')"):
            continue  # in a closed expander: laid out only once opened
        table.scroll_into_view_if_needed()
        table.wait_for_selector(".dvn-scroller", state="attached", timeout=30_000)
    page.wait_for_timeout(300)
    return [m for m in page.evaluate(MEASURE) if m["width"] > 0 and m["client"]]


def tables_of(page: Any) -> list[dict]:
    """Return the measures of every table of the page, each tab of the page opened in turn."""
    found = measure(page)
    for tab in page.query_selector_all('[data-baseweb="tab"]')[1:]:
        tab.click()
        page.wait_for_timeout(400)
        found += measure(page)
    page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]')?.scrollTo(0, 0)")
    return found


def build_scenario(page: Any, button: str, lang: str) -> None:
    """Click ``button`` and wait until the scenario's result tables are drawn."""
    before = len(page.query_selector_all('[data-testid="stDataFrame"]'))
    page.locator(button).click()
    page.wait_for_function(
        f"() => document.querySelectorAll('[data-testid=\"stDataFrame\"]').length > {before}",
        timeout=60_000)
    page.wait_for_timeout(1500)
    assert app_errors(page, lang) == [], ("scenario built", lang)


@pytest.mark.parametrize("width,height", VIEWPORTS)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_fits_its_window(app: str, browser: Any, lang: str, width: int,
                                    height: int) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    overflow: dict[str, list[dict]] = {}
    try:
        for path, key in _pages().items():
            visits: list[tuple[str, dict]] = [("", {})] + ([("-plan", EXTRA[path])] if path in EXTRA else [])
            for suffix, params in visits:
                page.goto(page_url(app, path, lang=lang, **params))
                wait_for_page(page, t(key, lang))
                assert app_errors(page, lang) == [], (path, lang, width)
                page.screenshot(path=str(SHOTS / f"{lang}-{path}{suffix}-{width}.png"))
                if path in BUILD:
                    build_scenario(page, BUILD[path], lang)
                    page.screenshot(path=str(SHOTS / f"{lang}-{path}-built-{width}.png"),
                                    full_page=True)
                if path in FITTED or path in BUILD:
                    if path in FITTED:
                        page.wait_for_selector('[data-testid="stDataFrame"]', timeout=60_000)
                    tables = tables_of(page)
                    assert tables, (path, suffix, lang, width)
                    wide = [m for m in tables if m["scroll"] > m["client"] + 1]
                    if wide:
                        overflow[f"{path}{suffix}"] = wide
    finally:
        context.close()
    assert overflow == {}, overflow
