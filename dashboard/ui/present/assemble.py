"""Putting a Material together outside the app (the command line): the snapshot's history
over the years, a saved scenario applied, the gap map drawn; and writing an output file in one
step (nothing is left half-written).  No Streamlit.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Final

from dashboard.method.engine import Evaluation, evaluate
from dashboard.planning.scenario import ScenarioStore, apply_scenario, scenario_root
from dashboard.store.snapshots import Snapshot, list_snapshots, read_snapshot
from dashboard.ui.evaluation import county_rows, history_snapshots, stack_evaluations
from dashboard.ui.present.deck import build_deck
from dashboard.ui.present.html import report_html
from dashboard.ui.present.images import gap_map_png
from dashboard.ui.present.model import Material, ScenarioPart
from dashboard.ui.present.pdf import RenderError, html_to_pdf
from dashboard.ui.present.word import build_docx
from dashboard.ui.present.workbook import build_workbook
from dashboard.ui.scenario_page import describe_action, school_names

__all__ = ["history_of", "scenario_part", "with_map", "REPORT_WRITERS", "write_atomic",
           "DECK_SUFFIX"]

DECK_SUFFIX: Final = ".pptx"
# the report's file kinds by suffix
REPORT_WRITERS: Final[dict[str, Callable[[Material], bytes]]] = {
    ".docx": build_docx,
    ".pdf": lambda m: html_to_pdf(report_html(m)),
    ".xlsx": build_workbook,
}
WRITERS: Final = {DECK_SUFFIX: build_deck, **REPORT_WRITERS}


def history_of(data_root: str | Path, county: str, current: Snapshot,
               current_ev: Evaluation) -> Evaluation:
    """Return the county's evaluation over every year with a snapshot under ``data_root``
    (the newest snapshot of each year; the current one stands for its own year)."""
    chosen = [i for i in history_snapshots(list_snapshots(data_root), county)
              if i.year != current.meta.get("year")]
    evs = [evaluate(read_snapshot(i.path).schools) for i in chosen]
    evs.append(current_ev)
    evs.sort(key=lambda e: int(e.schools["year"].iloc[0]) if len(e.schools) else 0)
    return stack_evaluations(evs)


def scenario_part(snapshot: Snapshot, name: str, county: str, lang: str) -> ScenarioPart:
    """Return the saved scenario ``name`` (under the snapshot's data root) applied to the
    county (raises ScenarioError naming what is wrong)."""
    store = ScenarioStore(scenario_root(Path(snapshot.path).parent))
    saved = store.load(name)
    applied = apply_scenario(snapshot, saved)
    names = school_names(snapshot.schools)
    moves = tuple(describe_action(a, names, lang) for a in saved.actions)
    return ScenarioPart(saved.name, saved.note, moves,
                        evaluate(county_rows(applied.schools, county)))


def with_map(m: Material, geo_root: str | Path) -> tuple[Material, str | None]:
    """Return ``m`` with its gap map drawn, and None; or ``m`` unchanged and why the map could
    not be drawn (no browser)."""
    try:
        png = gap_map_png(m, geo_root)
    except RenderError as exc:
        return m, str(exc)
    return dataclasses.replace(m, map_png=png), None


def write_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file beside it, moved into place."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent or ".")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
