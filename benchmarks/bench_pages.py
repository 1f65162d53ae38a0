"""Page benchmarks on the demo county: each page's server time and the map's draw time.

- ``page:<name>``: the time Streamlit's script runner takes for one rerun of the page (app/main.py
  with its sidebar, then the page), measured with AppTest after a warm-up run (caches warm,
  as for a user clicking around); target 50 ms median (issue 15; AppTest also recompiles the
  page script on every run, which a served app does not).
- ``browser:map_draw``: from navigation to the map page in headless Debian chromium until
  plotly has drawn the map's scatter layer (``.js-plotly-plot .scatterlayer``), with a
  server that has already served the page once.  Skipped when /usr/bin/chromium is absent.

The served app and the browser come from tests/browser.py, shared with the browser tests.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Final

from benchmarks.timing import measure

REPO: Final = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.browser import CHROMIUM, open_browser, served_app, wait_for_page  # noqa: E402

TARGET_PAGE_S: Final = 0.050
TARGET_MAP_S: Final = 3.0
MAP_SELECTOR: Final = ".js-plotly-plot .scatterlayer"


def _pages() -> dict[str, str]:
    """url path -> page file, for every page of the navigation that exists."""
    from pages.common import PAGE_FILES

    return {path: file for path, (file, _) in PAGE_FILES.items() if (REPO / file).is_file()}


def _page_times(repeat: int) -> dict[str, dict]:
    from streamlit.testing.v1 import AppTest

    out = {}
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        for name, file in _pages().items():
            at = AppTest.from_file(str(REPO / "app" / "main.py"), default_timeout=120)
            at.run()
            at.switch_page(str(REPO / file))  # absolute: pages/ is not beside app/main.py
            at.run()
            if at.exception:
                raise RuntimeError(f"page {name} raised: {at.exception[0].value}")
            out[f"page:{name}"] = measure(lambda at=at: at.run(), repeat=repeat, warmup=2,
                                          target_s=TARGET_PAGE_S)
    finally:
        os.chdir(cwd)
    return out


def _map_draw(repeat: int) -> dict:
    if not Path(CHROMIUM).exists():
        return {"skipped": f"{CHROMIUM} is absent (make system-deps installs it)"}
    from dashboard.i18n import t

    times = []
    with served_app() as base, open_browser() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        for k in range(repeat + 1):
            t0 = time.perf_counter()
            page.goto(f"{base}/map?lang=zh", wait_until="commit")
            page.wait_for_selector(MAP_SELECTOR, timeout=60_000)
            if k:  # the first one warms the server's caches and the browser's
                times.append(time.perf_counter() - t0)
            wait_for_page(page, t("app.page.map", "zh"))
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times),
            "runs": len(times), "target_s": TARGET_MAP_S}


def run(repeat: int = 7) -> dict:
    """Return {"figures": {"page:<name>": {...}, "browser:map_draw": {...}}} on the demo."""
    if not (REPO / "data" / "demo-990101-2024" / "meta.json").is_file():
        subprocess.run([sys.executable, "-m", "dashboard", "demo", "--out", str(REPO)],
                       cwd=REPO, check=True)
    figures: dict[str, Any] = _page_times(repeat)
    figures["browser:map_draw"] = _map_draw(max(3, repeat // 2))
    return {"figures": figures}
