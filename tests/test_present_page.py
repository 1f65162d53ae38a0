"""AppTest of 汇报材料: the page offers the four downloads (made when clicked), and the
presentation mode steps through the deck's steps, one per screen, and back out."""

from __future__ import annotations

from pathlib import Path

import pytest
from demo_data import DEMO_DATA, DEMO_GEO
from test_app_pages import open_page

from dashboard.i18n import t
from dashboard.ui.present.pdf import chromium_path


@pytest.fixture(autouse=True)
def _demo(demo_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUNHENG_DATA", str(DEMO_DATA))
    monkeypatch.setenv("JUNHENG_GEO", str(DEMO_GEO))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_page_offers_the_downloads(lang: str) -> None:
    at = open_page("present", lang=lang)
    assert [x.value for x in at.title] == [t("app.page.present", lang)]
    kinds = ["deck", "docx", *(["pdf"] if chromium_path() else []), "xlsx"]
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == [t(f"present.page.download.{k}", lang) for k in kinds]


def test_the_presentation_mode_steps_through_and_leaves() -> None:
    at = open_page("present", scheme="quality", stage="junior")
    at.button(key="present_start").click().run()
    assert at.query_params["present"] == ["1"] or at.query_params["present"] == "1"
    titles = [h.value for h in at.header]
    assert titles[0].startswith("示范县")
    seen = [titles[0]]
    while not at.button(key="present_next").disabled:
        at.button(key="present_next").click().run()
        assert not at.exception, [e.value for e in at.exception]
        seen.append(at.header[0].value)
    assert t("present.deck.verdicts", "zh") in seen and seen[-1] == t("present.deck.next", "zh")
    assert len(seen) == len(set(seen))  # every step once
    assert any(x.startswith(t("present.deck.map", "zh", name="", where="")[:4]) for x in seen)
    at.button(key="present_prev").click().run()
    assert at.header[0].value == seen[-2]
    at.button(key="present_leave").click().run()
    assert "present" not in at.query_params
    assert [b.proto.label for b in at.get("download_button")]


@pytest.mark.parametrize("edge", ["primary_only", "no_units"])
def test_edge_states_make_the_materials_without_a_traceback(edge: str, edge_data: dict,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard.method.engine import evaluate
    from dashboard.store.snapshots import list_snapshots, read_snapshot
    from dashboard.ui.present.deck import build_deck
    from dashboard.ui.present.model import material
    from dashboard.ui.present.word import build_docx
    from dashboard.ui.present.workbook import build_workbook

    info = list_snapshots(edge_data[edge].data_root)[-1]
    snapshot = read_snapshot(info.path)
    ev = evaluate(snapshot.schools)
    m = material(ev, snapshot.schools, snapshot.county, info.county_codes[0], info.year,
                 snapshot.id, "zh")
    for make in (build_deck, build_docx, build_workbook):
        assert make(m)[:2] == b"PK"  # a zip: the file was made
    monkeypatch.setenv("JUNHENG_DATA", str(edge_data[edge].data_root))
    monkeypatch.setenv("JUNHENG_GEO", str(edge_data[edge].geo_root))
    at = open_page("present", present="1", step="5")
    assert not at.exception, [e.value for e in at.exception]
