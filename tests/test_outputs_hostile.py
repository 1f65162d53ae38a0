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
