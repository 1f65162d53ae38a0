"""Printing the report's HTML to PDF with Debian's headless chromium, and plotly figures to PNG
with kaleido on the same chromium — offline both (no CDN, no MathJax, nothing fetched).

The browser is ``$JUNHENG_CHROMIUM`` or the first of ``chromium``, ``chromium-browser``,
``google-chrome`` on the PATH (scripts/system-deps.sh installs Debian's chromium and
fonts-noto-cjk); chromium embeds the subset of the fonts it prints with.  No Streamlit.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Final

from dashboard.ui.present.word import xml_text

__all__ = ["chromium_path", "html_to_pdf", "figure_png", "RenderError", "CHROMIUM_ENV"]

CHROMIUM_ENV: Final = "JUNHENG_CHROMIUM"
BROWSERS: Final = ("chromium", "chromium-browser", "google-chrome")
PRINT_TIMEOUT_S: Final = 120


class RenderError(RuntimeError):
    """The PDF or the image could not be made (no browser, or the browser failed)."""


def chromium_path() -> str | None:
    """Return the browser to print with, or None when there is none."""
    wanted = os.environ.get(CHROMIUM_ENV)
    if wanted:
        return wanted if Path(wanted).is_file() else None
    return next((p for p in map(shutil.which, BROWSERS) if p), None)


def _flags(home: str) -> list[str]:
    # offline and quiet: no sync, no component updates, no crash reports, no first run
    return ["--headless", "--no-sandbox", "--disable-gpu", "--disable-extensions",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", "--no-default-browser-check", "--disable-breakpad",
            "--no-pdf-header-footer", f"--user-data-dir={home}"]


def html_to_pdf(html: str) -> bytes:
    """Return ``html`` printed to PDF by headless chromium (raises RenderError)."""
    browser = chromium_path()
    if browser is None:
        raise RenderError("no chromium found (set JUNHENG_CHROMIUM or run scripts/system-deps.sh)")
    with tempfile.TemporaryDirectory(prefix="junheng-pdf-") as tmp:
        page, out = Path(tmp) / "report.html", Path(tmp) / "report.pdf"
        page.write_text(html, encoding="utf-8")
        cmd = [browser, *_flags(str(Path(tmp) / "profile")), f"--print-to-pdf={out}",
               page.as_uri()]
        try:
            done = subprocess.run(cmd, capture_output=True, timeout=PRINT_TIMEOUT_S, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise RenderError(f"chromium failed: {exc}") from exc
        if not out.is_file() or out.stat().st_size == 0:
            raise RenderError(f"chromium wrote no PDF (exit {done.returncode}): "
                              f"{done.stderr.decode(errors='replace')[-500:]}")
        return out.read_bytes()


def _xml_safe(obj: Any) -> Any:
    """Return a figure's JSON with every text as XML can hold it (word.xml_text): plotly.js
    draws SVG, and a township named with Word's line break (U+000B) made kaleido fail, so the
    deck lost its map."""
    if isinstance(obj, str):
        return xml_text(obj)
    if isinstance(obj, dict):
        return {k: _xml_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_xml_safe(v) for v in obj]
    if getattr(obj, "dtype", None) is not None and obj.dtype.kind in "OUS":  # numpy texts
        return [_xml_safe(v) for v in obj.tolist()]
    return obj


def figure_png(fig: Any, width: int, height: int, scale: float = 2.0) -> bytes:
    """Return a plotly figure as PNG bytes, drawn by kaleido with the system chromium, the
    plotly.js shipped with plotly.py and MathJax off (raises RenderError)."""
    import kaleido
    import plotly

    browser = chromium_path()
    if browser is None:
        raise RenderError("no chromium found (set JUNHENG_CHROMIUM or run scripts/system-deps.sh)")
    plotly_js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    kopts = {"mathjax": False, "plotlyjs": str(plotly_js), "path": browser}
    try:
        return bytes(kaleido.calc_fig_sync(
            _xml_safe(fig.to_dict()), opts={"format": "png", "width": width, "height": height, "scale": scale},
            kopts=kopts))
    except Exception as exc:  # kaleido and choreographer raise their own kinds
        raise RenderError(f"kaleido failed: {exc}") from exc
