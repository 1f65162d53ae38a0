"""Page model of 汇报材料 (presentation materials): the material of the chosen county and year
(with a saved scenario when one is chosen), the downloads (deck, report DOCX/PDF, tables
XLSX, each made when clicked), the steps of the presentation mode as figures and tables, and
the page styles of the presentation mode and of print.  No Streamlit.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from itertools import cycle
from pathlib import Path
from typing import Final

import pandas as pd
import plotly.graph_objects as go

from dashboard.i18n import t
from dashboard.method.engine import Evaluation
from dashboard.planning.scenario import ScenarioError
from dashboard.store.snapshots import Snapshot
from dashboard.ui.figures import FONT_FAMILY
from dashboard.ui.format import md_text, wrap_label
from dashboard.ui.present.assemble import scenario_part
from dashboard.ui.present.deck import SERIES_COLORS, THRESHOLD_COLOR, build_deck
from dashboard.ui.present.html import report_html
from dashboard.ui.present.images import gap_map_figure, gap_map_png
from dashboard.ui.present.model import Material, material
from dashboard.ui.present.pdf import RenderError, chromium_path, html_to_pdf
from dashboard.ui.present.story import Chart, Grid, Step, steps
from dashboard.ui.present.word import build_docx
from dashboard.ui.present.workbook import build_workbook
from dashboard.ui.scenario_page import scenario_store, usable_scenarios

__all__ = ["Download", "page_material", "saved_scenarios", "downloads", "present_steps",
           "step_figure", "grid_frame", "map_figure", "step_index", "page_style",
           "PRESENT_PARAM", "STEP_PARAM", "NO_SCENARIO", "PRESENT_CONFIG"]

PRESENT_PARAM: Final = "present"  # ?present=1: the presentation mode
STEP_PARAM: Final = "step"  # ?step=N (1-based): the step shown
NO_SCENARIO: Final = ""
LEGEND_ROW: Final = 4  # legend entries a row (at the least, in the narrowest chart)
EN_WRAP: Final = 9  # characters a line of an English category name
# the presentation mode's figures: no toolbar (modebar) on a slide, no logo
PRESENT_CONFIG: Final = {"displayModeBar": False, "displaylogo": False}
STEP_HEIGHT: Final = 520  # px of a figure in the presentation mode (a 1080p screen, title above)
CSS_DIR: Final = Path(__file__).resolve().parent / "present"
MIME: Final = {
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pdf": "application/pdf",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class Download:
    """One download: its label, file name, MIME type and the function that makes its bytes."""

    key: str
    label: str
    file_name: str
    mime: str
    make: Callable[[], bytes]


def saved_scenarios(data_root: str | Path, snapshot: Snapshot) -> list[str]:
    """Return the names of the saved scenarios made on this snapshot (NO_SCENARIO first)."""
    return [NO_SCENARIO, *usable_scenarios(scenario_store(data_root).list(), snapshot)]


def page_material(ev: Evaluation, snapshot: Snapshot, county: str, year: int, lang: str, *,
                  history: Evaluation | None, scheme: str, stage: str,
                  scenario: str = NO_SCENARIO) -> tuple[Material, str | None]:
    """Return the material of the page and None, or without the scenario and why it could not
    be applied."""
    part, why = None, None
    if scenario:
        try:
            part = scenario_part(snapshot, scenario, county, lang)
        except ScenarioError as exc:
            why = exc.message(lang)
    m = material(ev, snapshot.schools, snapshot.county, county, year, snapshot.id, lang,
                 history=history, scenario=part, scheme=scheme, stage=stage)
    return m, why


def _stem(m: Material, kind: str) -> str:
    return t(f"present.page.file.{kind}", m.lang, county=m.county_code, year=m.year)


def downloads(m: Material, geo_root: str | Path) -> list[Download]:
    """Return the downloads of the page (the PDF only when a browser can print it)."""

    def deck() -> bytes:
        try:
            png = gap_map_png(m, geo_root)
        except RenderError:
            png = None  # the deck without its map slide rather than no deck
        return build_deck(dataclasses.replace(m, map_png=png))

    makers: list[tuple[str, str, Callable[[], bytes]]] = [
        ("deck", ".pptx", deck), ("docx", ".docx", lambda: build_docx(m)),
        ("xlsx", ".xlsx", lambda: build_workbook(m))]
    if chromium_path() is not None:
        makers.insert(2, ("pdf", ".pdf", lambda: html_to_pdf(report_html(m))))
    return [Download(key, t(f"present.page.download.{key}", m.lang),
                     _stem(m, "deck" if key == "deck" else "report") + suffix, MIME[suffix], make)
            for key, suffix, make in makers]


def present_steps(m: Material) -> list[Step]:
    """Return the steps of the presentation mode: the deck's, with the map step always there
    (drawn live on the page)."""
    return steps(m, map_slide=True)


def step_index(requested: object, count: int) -> int:
    """Return the 0-based step of a 1-based URL value, within 0…count-1 (0 when invalid).

    >>> step_index("3", 10), step_index("99", 10), step_index("x", 10), step_index(None, 0)
    (2, 9, 0, 0)
    """
    try:
        k = int(str(requested)) - 1
    except ValueError:
        return 0
    return max(0, min(k, count - 1)) if count else 0


def step_figure(chart: Chart, lang: str) -> go.Figure:
    """Return a chart of a step as a large plotly figure (bars or lines with markers), its
    category names wrapped onto short lines (English a word or two a line: side by side they
    ran together), the categories as categories (years never become '2,022.5'), the
    threshold in its own style (red; a dashed line without markers) and both axes titled."""
    fig = go.Figure()
    x = [wrap_label(c, lang, None if lang == "zh" else EN_WRAP) for c in chart.categories]
    colors = cycle([c for c in SERIES_COLORS if c != THRESHOLD_COLOR])  # the threshold's own
    for name, values in chart.series:
        threshold = name == chart.threshold
        color = "#" + (THRESHOLD_COLOR if threshold else next(colors))
        y = [None if v is None else v for v in values]
        if chart.kind == "line":
            fig.add_trace(go.Scatter(
                x=x, y=y, name=name, mode="lines" if threshold else "lines+markers",
                line={"color": color, "width": 3, "dash": "dash" if threshold else "solid"}))
        else:
            fig.add_trace(go.Bar(x=x, y=y, name=name, marker_color=color))
    percent = chart.number_format.endswith("%")
    fig.update_layout(
        title={"text": chart.title}, height=STEP_HEIGHT, barmode="group",
        font={"family": FONT_FAMILY, "size": 18},
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0},
        # from zero, as every chart of the app: a flat trend starting at 0.35 looked steep
        yaxis={"title": {"text": chart.axis_title}, "tickformat": ".0%" if percent else ".2f",
               "rangemode": "tozero"},
        # room above the plot for the title and every row of the legend (they overlapped)
        margin={"l": 70, "r": 20, "t": 60 + 32 * math.ceil(len(chart.series) / LEGEND_ROW),
                "b": 40}, plot_bgcolor="#ffffff")
    fig.update_xaxes(tickangle=0, type="category", title={"text": chart.category_title},
                     tickfont={"size": 18 if lang == "zh" else 14}, automargin=True)
    fig.update_yaxes(gridcolor="#dfe5ec")
    return fig


def grid_frame(grid: Grid) -> pd.DataFrame:
    """Return a step's table as a DataFrame of texts shown literally (st.table reads
    Markdown: every sign escaped, line breaks made spaces; never cut)."""
    return pd.DataFrame([[md_text(x) for x in row] for row in grid.rows],
                        columns=[md_text(c) for c in grid.columns])


def map_figure(m: Material, geo_root: str | Path) -> go.Figure | None:
    """Return the gap map of the presentation mode (drawn on the page, no image needed)."""
    fig = gap_map_figure(m, geo_root)
    if fig is not None:
        fig.update_layout(width=None, height=STEP_HEIGHT + 100)
    return fig


@functools.cache
def page_style(present: bool) -> str:
    """Return the page's <style> block: print always, and the projector's in presentation
    mode (the CSS files of dashboard/ui/present, part of the code: read once per process,
    not on every run of every page)."""
    css = (CSS_DIR / "print.css").read_text(encoding="utf-8")
    if present:
        css += "\n" + (CSS_DIR / "projector.css").read_text(encoding="utf-8")
    return f"<style>\n{css}\n</style>"
