"""Real browser, hostile names (issue 14): the demo county with school, county and township
names that are Markdown images and links, HTML tags and formulas (tests/test_injection.py),
served on loopback and opened page by page in Chinese.

Every request and websocket the browser makes is recorded: none may leave 127.0.0.1/localhost
(a Markdown image ``![x](http://127.0.0.2:9/x.png)`` rendered from a name would fetch it), and
no element is made from a name (no <b>, <img>, <a>, <span style> holding a name's text); the
names are shown literally.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser import error_texts, is_local, served_app, wait_for_page
from test_injection import COUNTY_NAME, build_hostile_demo, hostile_name

from dashboard.i18n import t

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent

# Elements a name could have become: an image or link to the names' addresses, or an element
# holding only a fragment of a name's markup ("**bold**" -> <strong>bold</strong>, "<b>县</b>"
# -> <b>县</b>, ":red[red]" -> <span style>red</span>, a Plotly <b> -> a bold tspan).  The app's
# own <strong> around a whole name (catalogue "**{school}**") holds the name's full text.
MADE_FROM_NAMES = """() => {
  const fragments = new Set(['bold', 'red', 'code', 'del', 'link', 'x', 'c', '县', 'x^2']);
  const made = 'b, strong, em, i, a, img, span[style], code, del, svg a, svg tspan[style*="bold"]';
  const out = [];
  for (const el of document.querySelectorAll(made)) {
    const address = (el.getAttribute('src') || '') + (el.getAttribute('href') || '');
    const text = (el.textContent || '').trim();
    if (/127\\.0\\.0\\.2|example\\.com|mailto:/.test(address) || fragments.has(text)
        || fragments.has(text.slice(1, -1))) {
      out.push(el.outerHTML.slice(0, 160));
    }
  }
  return out;
}"""


def _pages() -> dict[str, str]:
    from pages.common import PAGE_FILES

    return {path: key for path, (file, key) in PAGE_FILES.items() if (REPO / file).is_file()}


def test_hostile_names_stay_text_and_nothing_leaves_the_machine(browser: Any,
                                                                tmp_path: Path) -> None:
    data, geo = build_hostile_demo(tmp_path)
    requests: list[str] = []
    made: dict[str, list[str]] = {}
    texts: list[str] = []
    with served_app(env={"JUNHENG_DATA": str(data), "JUNHENG_GEO": str(geo)}) as base:
        context = browser.new_context(viewport={"width": 1440, "height": 2000}, locale="zh-CN")
        page = context.new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.on("websocket", lambda ws: requests.append(ws.url))
        for path, key in _pages().items():
            page.goto(f"{base}/{'' if path == 'overview' else path}?lang=zh&scheme=quality"
                      "&stage=primary")
            wait_for_page(page, t(key, "zh"))
            if path in ("overview", "drilldown", "school", "map"):
                page.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
                page.wait_for_timeout(500)
            assert [e for e in error_texts(page) if "Traceback" in e] == [], path
            assert not page.query_selector('[data-testid="stException"]'), path
            made[path] = page.evaluate(MADE_FROM_NAMES)
            assert made[path] == [], (path, made[path])
            page.wait_for_timeout(300)  # an image from a name would be requested by now
            outside = sorted({u for u in requests if not is_local(u)})
            assert outside == [], (path, outside)
            texts.append(page.evaluate("() => document.body.innerText").replace("\u2060", ""))
        context.close()
    assert requests, "the browser made no request at all"
    shown = "\n".join(texts)
    assert COUNTY_NAME in shown  # the county's name, literally, Markdown image and tag included
    literal = [h for k in range(200) if (h := hostile_name(k)) in shown]
    assert any("![x](" in h or "<b>" in h or "**" in h or "[link](" in h for h in literal), literal
