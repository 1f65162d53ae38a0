"""Build times of the presentation materials on the demo county (issue 13: under 10 s each):
the deck as the command makes it (snapshot read, three years evaluated, the gap map drawn by
kaleido with chromium), the report as DOCX, as PDF (printed by chromium) and as XLSX.

Each is timed end to end through the command line's own function, as a director's one click.
"""

from __future__ import annotations

import tempfile
from functools import partial
from pathlib import Path

from benchmarks.timing import measure
from dashboard.cli import main

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "demo-990101-2024"
TARGET_S = 10.0


def run() -> dict:
    figures: dict[str, object] = {}
    if not (DEMO / "meta.json").exists():
        return {"figures": {"skipped": f"no demo snapshot at {DEMO} (make data)"}}
    with tempfile.TemporaryDirectory(prefix="junheng-bench-present-") as tmp:
        jobs = {"deck_pptx": ["deck", str(DEMO), "--out", f"{tmp}/deck.pptx"],
                "report_docx": ["report", str(DEMO), "--out", f"{tmp}/report.docx"],
                "report_pdf": ["report", str(DEMO), "--out", f"{tmp}/report.pdf"],
                "tables_xlsx": ["report", str(DEMO), "--out", f"{tmp}/tables.xlsx"]}
        for name, args in jobs.items():
            figures[name] = measure(partial(main, args), repeat=3, warmup=1, target_s=TARGET_S)
    return {"figures": figures}
