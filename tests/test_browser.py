"""Real-browser test: the app served on loopback, headless Debian chromium opens every page.

For each page, in Chinese and in English: the title is drawn, no exception or error box (but
the planner's finding that the county would still fail after its plan) is
shown, a screenshot is saved under tests/artifacts/screenshots/, and every request the browser
made (documents, scripts, fonts, images, XHR, websockets) stayed on 127.0.0.1/localhost.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import (
    error_texts,
    is_local,
    served_app,
    wait_for_page,
)

from dashboard.i18n import t

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
SHOTS = REPO / "tests" / "artifacts" / "screenshots"


# The planner's verdict after its plan: a county that would still fail is a finding of the
# data, drawn as an error box; it is no error of the app.
FINDING_KEYS = ("verdict.after.line", "verdict.after.fixed")


def app_errors(page: Any, lang: str) -> list[str]:
    """Return the exception and error boxes of the page but the planner's findings."""
    findings = tuple(t(key, lang).split("{")[0] for key in FINDING_KEYS)
    return [e for e in error_texts(page) if not e.startswith(findings)]


def _pages() -> dict[str, str]:
    """url path -> catalogue key of the title, for every page file that exists."""
    from pages.common import PAGE_FILES

    return {path: key for path, (file, key) in PAGE_FILES.items() if (REPO / file).is_file()}


def page_url(base: str, path: str, **params: str) -> str:
    """Return the address of page ``path`` (the overview is the app's root)."""
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{base}/{'' if path == 'overview' else path}{'?' + query if query else ''}"


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1440, "height": 2400}, locale="zh-CN")
    p = context.new_page()
    p.requests = []  # type: ignore[attr-defined]
    p.on("request", lambda r: p.requests.append(r.url))  # type: ignore[attr-defined]
    p.on("websocket", lambda ws: p.requests.append(ws.url))  # type: ignore[attr-defined]
    yield p
    context.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_draws_without_error_and_stays_on_this_machine(app: str, page: Any,
                                                                   lang: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for path, key in _pages().items():
        page.goto(page_url(app, path, lang=lang))
        wait_for_page(page, t(key, lang))
        assert app_errors(page, lang) == [], (path, lang)
        if path in ("overview", "map", "drilldown", "urban-rural", "school"):
            page.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
        page.screenshot(path=str(SHOTS / f"{lang}-{path}.png"), full_page=True)
    assert page.requests, "the browser made no request at all"
    outside = sorted({u for u in page.requests if not is_local(u)})
    assert outside == [], outside


def test_sidebar_choices_reach_the_url_and_the_page(app: str, page: Any) -> None:
    page.goto(page_url(app, "drilldown"))
    wait_for_page(page, t("app.page.drilldown", "zh"))
    page.get_by_text(t("scheme.quality", "zh"), exact=True).click()
    page.wait_for_url("**scheme=quality**")
    wait_for_page(page, t("app.page.drilldown", "zh"))
    page.get_by_text("English", exact=True).click()
    wait_for_page(page, t("app.page.drilldown", "en"))
    assert "lang=en" in page.url and "scheme=quality" in page.url
    # a copied link reopens the same view in a fresh tab
    other = page.context.new_page()
    other.goto(page.url)
    wait_for_page(other, t("app.page.drilldown", "en"))
    other.wait_for_selector('[data-testid="stMetricLabel"]')
    labels = [e.inner_text() for e in other.query_selector_all('[data-testid="stMetricLabel"]')]
    assert t("app.drill.metric.threshold.quality", "en") in labels
    assert error_texts(other) == []


def test_clicking_a_school_on_the_map_opens_its_profile(app: str, page: Any) -> None:
    page.goto(page_url(app, "map"))
    wait_for_page(page, t("app.page.map", "zh"))
    page.wait_for_selector(".js-plotly-plot .scatterlayer .point", timeout=30_000)
    # the school points are the traces whose customdata starts with "school" (maps.SCHOOL_TRACE)
    index = page.evaluate(
        "() => document.querySelector('.js-plotly-plot').data.findIndex("
        "d => d.customdata && d.customdata.length && d.customdata[0][0] === 'school')")
    assert index >= 0, "no school trace in the map"
    traces = page.query_selector_all(".js-plotly-plot .scatterlayer .trace")
    point = traces[index].query_selector(".point")
    assert point is not None, "no school point drawn"
    box = point.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    wait_for_page(page, t("app.page.school", "zh"))
    assert "school=" in page.url
    assert error_texts(page) == []


def test_a_deep_link_to_a_fresh_server_opens_the_app_not_the_bare_page_file(browser: Any) -> None:
    # Streamlit runs a pages/ file on its own (no sidebar, file names as navigation) when a
    # fresh server's first visitor opens a deep link; app/main.py sits away from pages/ to avoid it.
    with served_app() as base:
        page = browser.new_page(viewport={"width": 1440, "height": 1200})
        page.goto(page_url(base, "drilldown", scheme="quality"))
        wait_for_page(page, t("app.page.drilldown", "zh"))
        page.wait_for_selector('[data-testid="stSidebar"] input[type="radio"]')
        nav = [a.inner_text() for a in page.query_selector_all('[data-testid="stSidebarNav"] a')]
        assert nav[:2] == [t("app.page.overview", "zh"), t("app.page.map", "zh")]
        assert "common" not in nav
        assert "scheme=quality" in page.url and "lang=zh" in page.url
        page.close()
