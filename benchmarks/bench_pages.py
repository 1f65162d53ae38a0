"""Page benchmarks on the demo county: each page's server time and the map's draw time.

- ``page:<name>``: the time Streamlit's script runner takes for one rerun of the page (app.py
  with its sidebar, then the page), measured with AppTest after a warm-up run (caches warm,
  as for a user clicking around); target 300 ms median.
- ``browser:map_draw``: from navigation to the map page in headless Debian chromium until
  plotly has drawn the map's scatter layer (``.js-plotly-plot .scatterlayer``), with a
  server that has already served the page once.  Skipped when /usr/bin/chromium is absent.

``AppServer`` (a served app on 127.0.0.1 on a free port) and ``launch_chromium`` are shared
with tests/test_browser.py.
"""

from __future__ import annotations

import contextlib
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from benchmarks.timing import measure

REPO: Final = Path(__file__).resolve().parent.parent
CHROMIUM: Final = "/usr/bin/chromium"
CHROMIUM_ARGS: Final = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update",
                        "--disable-sync", "--disable-dev-shm-usage"]
TARGET_PAGE_S: Final = 0.3
TARGET_MAP_S: Final = 3.0
# url path -> page file (the same order as the navigation)
PAGES: Final = {
    "overview": "pages/overview.py",
    "map": "pages/map.py",
    "urban-rural": "pages/urban_rural.py",
    "drilldown": "pages/drilldown.py",
    "school": "pages/school.py",
    "checklist": "pages/checklist.py",
}
MAP_SELECTOR: Final = ".js-plotly-plot .scatterlayer"


def free_port() -> int:
    """Return a TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class AppServer(contextlib.AbstractContextManager["AppServer"]):
    """``streamlit run app.py`` on 127.0.0.1 on a free port, stopped on exit (``url`` to open).

    ``env`` adds environment variables (e.g. JUNHENG_DATA for another data folder).
    """

    def __init__(self, env: dict[str, str] | None = None, timeout_s: float = 60.0) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.timeout_s = timeout_s
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = REPO / "tests" / "artifacts" / f"streamlit-{self.port}.log"

    def __enter__(self) -> AppServer:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        out = self.log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--server.headless", "true",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=REPO, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        out.close()
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}; see {self.log}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.25)
        self.__exit__(None, None, None)
        raise TimeoutError(f"streamlit did not answer on {self.url} within {self.timeout_s} s")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None


@contextlib.contextmanager
def launch_chromium() -> Iterator[Any]:
    """Yield a headless Debian chromium (Playwright Browser); closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def wait_rendered(page: Any, heading: str, timeout_ms: int = 60_000) -> None:
    """Wait until the page shows ``heading`` and the script has finished running."""
    page.get_by_role("heading", name=heading).first.wait_for(timeout=timeout_ms)
    page.wait_for_function(
        """() => {
            const w = document.querySelector('[data-testid="stStatusWidget"]');
            return !w || !/Running|运行/.test(w.innerText);
        }""", timeout=timeout_ms)
    page.wait_for_timeout(300)


def _page_times(repeat: int) -> dict[str, dict]:
    from streamlit.testing.v1 import AppTest

    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    out = {}
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        for name, file in PAGES.items():
            at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
            at.run()
            at.switch_page(file)
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
    with AppServer() as server, launch_chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        for k in range(repeat + 1):
            t0 = time.perf_counter()
            page.goto(f"{server.url}/map?lang=zh", wait_until="commit")
            page.wait_for_selector(MAP_SELECTOR, timeout=60_000)
            if k:  # the first one warms the server's caches and the browser's
                times.append(time.perf_counter() - t0)
            wait_rendered(page, t("app.page.map", "zh"))
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
