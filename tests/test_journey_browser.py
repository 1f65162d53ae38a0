"""Real-browser check of the journey audit: at 1440×900, in Chinese and in English, no verdict
card's label or figure is cut with an ellipsis (the overview's "Junior secondary ·
High-qua…" and the drill-down's "10.94 m²/p…" were)."""

from __future__ import annotations

from typing import Any

import pytest
from browser import wait_for_page
from test_browser import app_errors, page_url

from dashboard.i18n import t

pytestmark = pytest.mark.browser

# every element of a metric's label or value whose text is wider than its box and hidden
CUT = """() => [...document.querySelectorAll(
    '[data-testid="stMetricLabel"], [data-testid="stMetricValue"]')]
  .flatMap(m => [m, ...m.querySelectorAll('*')])
  .filter(e => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflow !== 'visible')
  .map(e => e.textContent)"""
PAGES = {"overview": ("app.page.overview", {}), "drilldown": ("app.page.drilldown", {"ind": "B2"})}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_metric_is_cut_at_1440(app: str, browser: Any, lang: str) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = context.new_page()
    try:
        for path, (key, params) in PAGES.items():
            page.goto(page_url(app, path, lang=lang, **params))
            wait_for_page(page, t(key, lang))
            assert app_errors(page, lang) == [], (path, lang)
            # the cards are drawn (a loaded machine may paint them after the run's end is seen)
            page.wait_for_selector('[data-testid="stMetricLabel"]', timeout=30_000)
            page.wait_for_timeout(500)
            assert page.evaluate(CUT) == [], (path, lang)
    finally:
        context.close()
