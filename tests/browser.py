"""A served app and a headless Debian chromium, for the real-browser tests and benchmarks.

``served_app()`` starts the app as ``make run`` does (``python -m app.serve``) on a free loopback
port, telemetry off, and stops it afterwards; ``open_browser()`` launches /usr/bin/chromium
through Playwright with the flags that keep it from calling home (no background networking,
no component updates).
``wait_for_page()`` waits until the script has finished and the page's title is drawn.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlparse

REPO: Final = Path(__file__).resolve().parent.parent
CHROMIUM: Final = os.environ.get("JUNHENG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS: Final = (
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--metrics-recording-only",
    "--disable-domain-reliability", "--no-pings",
)
LOCAL_HOSTS: Final = {"127.0.0.1", "localhost", "::1", "[::1]"}
ERROR_SELECTORS: Final = ('[data-testid="stException"]', '[data-testid="stAlertContentError"]')


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def is_local(url: str) -> bool:
    """Return True when ``url`` stays on this machine (loopback, or a data:/blob: URL)."""
    parsed = urlparse(url)
    if parsed.scheme in ("data", "blob", "about"):
        return True
    return (parsed.hostname or "") in LOCAL_HOSTS


@contextlib.contextmanager
def served_app(env: dict[str, str] | None = None, timeout_s: float = 60.0) -> Iterator[str]:
    """Serve the app on a free loopback port; yield its base URL (no trailing slash)."""
    port = free_port()
    cmd = [sys.executable, "-m", "app.serve", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, cwd=REPO, env={**os.environ, **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{out}")
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not answer on {base} within {timeout_s} s")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextlib.contextmanager
def open_browser() -> Iterator[Any]:
    """Yield a Playwright chromium browser (Debian's /usr/bin/chromium, headless)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=list(CHROMIUM_ARGS))
        try:
            yield browser
        finally:
            browser.close()


def wait_for_page(page: Any, title: str, timeout_ms: int = 60_000) -> None:
    """Wait until the script run is over and the page title ``title`` is drawn."""
    page.wait_for_selector(f'h1:has-text("{title}")', timeout=timeout_ms)
    page.wait_for_function(
        "() => { const a = document.querySelector('[data-testid=\"stApp\"]');"
        " return a && a.getAttribute('data-test-script-state') === 'notRunning'; }",
        timeout=timeout_ms)
    page.wait_for_timeout(300)  # the last deltas of the run paint


def error_texts(page: Any) -> list[str]:
    """Return the texts of every exception or error box on the page."""
    return [el.inner_text() for sel in ERROR_SELECTORS for el in page.query_selector_all(sel)]
