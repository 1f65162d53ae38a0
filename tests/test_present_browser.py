"""Real browser: the presentation mode hides the sidebar and steps through the deck with the
arrow keys; a page printed (print media) shows no sidebar."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import error_texts, wait_for_page

from dashboard.i18n import t

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parent / "artifacts" / "screenshots"


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1600, "height": 900}, locale="zh-CN")
    p = context.new_page()
    yield p
    context.close()


def heading(page: Any) -> str:
    return page.locator("h2").first.inner_text().strip()


def sidebar_shown(page: Any) -> bool:
    bar = page.query_selector('[data-testid="stSidebar"]')
    return bar is not None and bar.is_visible()


def test_presentation_mode_steps_with_the_arrow_keys(app: str, page: Any) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{app}/present?lang=zh&scheme=quality&stage=primary&present=1&step=2")
    page.wait_for_selector(f'h2:has-text("{t("present.deck.verdicts", "zh")}")', timeout=120_000)
    wait_for_page_state(page)
    assert not sidebar_shown(page) and not error_texts(page)
    page.screenshot(path=str(SHOTS / "present-step-2.png"))
    page.keyboard.press("ArrowRight")
    page.wait_for_selector(f'h2:has-text("{t("present.deck.cv", "zh", scheme=t("scheme.basic", "zh"))}")',
                           timeout=120_000)
    wait_for_page_state(page)
    assert "step=3" in page.url
    page.screenshot(path=str(SHOTS / "present-step-3.png"))
    page.keyboard.press("ArrowLeft")
    page.wait_for_selector(f'h2:has-text("{t("present.deck.verdicts", "zh")}")', timeout=120_000)


def test_a_printed_page_has_no_sidebar(app: str, page: Any) -> None:
    page.goto(f"{app}/?lang=zh")
    wait_for_page(page, t("app.page.overview", "zh"))
    assert sidebar_shown(page)
    page.emulate_media(media="print")
    assert not sidebar_shown(page)


def wait_for_page_state(page: Any) -> None:
    page.wait_for_function(
        "() => { const a = document.querySelector('[data-testid=\"stApp\"]');"
        " return a && a.getAttribute('data-test-script-state') === 'notRunning'; }",
        timeout=120_000)
    page.wait_for_timeout(500)
