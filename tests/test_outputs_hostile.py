"""Hostile names in the outputs (tests/test_ops_audit.py's HOSTILE_NAMES): the deck keeps its
gap map when a township is named with Word's line break (U+000B: plotly.js draws SVG, which
cannot hold it, and kaleido failed, so the deck was made without its map slide)."""

from __future__ import annotations

from pathlib import Path

import pytest
from demo_data import DEMO_COUNTY
from test_injection import build_hostile_demo

from dashboard.method.engine import evaluate
from dashboard.store.snapshots import read_snapshot
from dashboard.ui.present.images import gap_map_png
from dashboard.ui.present.model import material
from dashboard.ui.present.pdf import chromium_path


@pytest.mark.skipif(chromium_path() is None, reason="no chromium to draw the map with")
def test_the_gap_map_is_drawn_with_a_township_named_with_a_control_character(
        tmp_path: Path) -> None:
    data, geo = build_hostile_demo(tmp_path, name=lambda k: f"学校{k}",
                                   town_name=lambda k, town: f"{town}\x0b第{k}\x1f片",
                                   county_name="示范县\x0b")
    snap = read_snapshot(data / "hostile-2024")
    m = material(evaluate(snap.schools), snap.schools, snap.county, DEMO_COUNTY, 2024, snap.id,
                 "zh")
    png = gap_map_png(m, geo)
    assert png is not None and png.startswith(b"\x89PNG")


def test_the_deck_keeps_hostile_names_on_its_slides(tmp_path: Path) -> None:
    """A 300-character name ran the schools table off the slide, a long county name ran the
    title over the snapshot line, and U+000B showed as '_x000B_'."""
    import io
    import zipfile

    from pptx import Presentation
    from test_ops_audit import HOSTILE_NAMES, _hostile_county

    from dashboard.ui.present.deck import SLIDE_HEIGHT, build_deck

    data, _ = _hostile_county(tmp_path)
    snap = read_snapshot(data / "hostile-2024")
    m = material(evaluate(snap.schools), snap.schools, snap.county, DEMO_COUNTY, 2024, snap.id,
                 "zh")
    assert any(len(str(n)) > 300 for n in m.schools["school_name"])
    deck = build_deck(m)
    with zipfile.ZipFile(io.BytesIO(deck)) as z:
        xml = "".join(z.read(n).decode("utf-8") for n in z.namelist()
                      if n.startswith("ppt/slides/slide"))
    assert "_x000B_" not in xml and "第一 小学" in xml
    prs = Presentation(io.BytesIO(deck))
    for k, slide in enumerate(prs.slides, start=1):
        for shape in slide.shapes:
            if shape.has_table:
                bottom = shape.top + sum(r.height for r in shape.table.rows)
                assert bottom <= SLIDE_HEIGHT, f"slide {k}: the table runs off the slide"
    title, subtitle = sorted(prs.slides[0].shapes, key=lambda s: s.top)
    assert HOSTILE_NAMES[0] in title.text_frame.text
    assert subtitle.top >= title.top + title.height  # under the title, not over it


def test_a_300_character_name_leaves_the_other_long_columns_their_width(tmp_path: Path) -> None:
    """Long columns shared the width by their length alone: beside a name of 300 characters the
    failing items were printed a character a line (the PDF ran to 34 pages)."""
    from test_ops_audit import _hostile_county

    from dashboard.ui.format import text_ems
    from dashboard.ui.present.html import EMU_PER_MM, NARROW_MM, WIDE_MM
    from dashboard.ui.present.tables import official_tables
    from dashboard.ui.present.word import LONG_MIN, SHORT, TABLE_SIZE, column_widths

    data, _ = _hostile_county(tmp_path)
    snap = read_snapshot(data / "hostile-2024")
    m = material(evaluate(snap.schools), snap.schools, snap.county, DEMO_COUNTY, 2024, snap.id,
                 "zh")
    em = TABLE_SIZE * 12700
    for table in official_tables(m):
        rows = [[c.text for c in r] for r in table.rows]
        for mm in (NARROW_MM, WIDE_MM):
            widths = column_widths(table.columns, rows, mm * EMU_PER_MM)
            for k, column in enumerate(table.columns):
                if max([text_ems(r[k]) for r in rows] or [0]) > SHORT:  # a long column
                    assert widths[k] >= LONG_MIN * em, (table.key, mm, column)
