"""汇报材料: the deck, the self-assessment report (DOCX, PDF) and its tables (XLSX) made by the
command line from the demo county, checked against the engine's own figures (evaluated here
without the outputs' code), and the command's refusals of bad input."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from functools import cache
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest
from demo_data import DEMO_COUNTY, DEMO_SNAPSHOT
from docx import Document
from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE
from pptx.presentation import Presentation as Deck

from dashboard.cli import main
from dashboard.i18n import t
from dashboard.method.engine import Evaluation, evaluate
from dashboard.method.standards import cv_threshold, scheme_ids
from dashboard.store.snapshots import Snapshot, read_snapshot
from dashboard.ui.present.pdf import chromium_path
from dashboard.ui.present.workbook import FORMULA_SIGNS, safe_text

A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
YEAR = 2024


@cache
def engine() -> tuple[Snapshot, Evaluation]:
    snapshot = read_snapshot(DEMO_SNAPSHOT)
    return snapshot, evaluate(snapshot.schools)


def cvs(scheme: str, stage: str) -> list[float]:
    """The engine's CVs of one scheme and stage in the standards' order (basic: + composite)."""
    _, ev = engine()
    ind = ev.indicators
    rows = ind[(ind["scheme"] == scheme) & (ind["stage"] == stage)].set_index("indicator")
    out = [float(rows.loc[i, "cv"]) for i in scheme_ids(scheme)]
    if scheme == "basic":
        comp = ev.composites
        out.append(float(comp.loc[comp["stage"] == stage, "composite_cv"].iloc[0]))
    return out


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The deck and the report's files of the demo county, made once by the command line."""
    out = tmp_path_factory.mktemp("present")
    files = {"deck": out / "deck.pptx", "docx": out / "report.docx", "xlsx": out / "tables.xlsx"}
    if chromium_path() is not None:
        files["pdf"] = out / "report.pdf"
    assert main(["deck", str(DEMO_SNAPSHOT), "--out", str(files["deck"])]) == 0
    for kind in ("docx", "xlsx", "pdf"):
        if kind in files:
            assert main(["report", str(DEMO_SNAPSHOT), "--out", str(files[kind])]) == 0
    return files


# ----------------------------------------------------------------------------- deck


def slide_titles(prs: Deck) -> list[str]:
    return [next(s.text_frame.text for s in slide.shapes if s.has_text_frame) for slide in prs.slides]


def test_deck_is_16_9_with_the_expected_slides(made: dict[str, Path]) -> None:
    prs = Presentation(str(made["deck"]))
    assert prs.slide_width / prs.slide_height == pytest.approx(16 / 9, rel=1e-4)
    titles = slide_titles(prs)
    expected = [t("present.deck.verdicts", "zh"), t("present.deck.failing_title", "zh"),
                t("present.deck.schools_title", "zh"), t("present.deck.next", "zh")]
    expected += [t("present.deck.cv", "zh", scheme=t(f"scheme.{s}", "zh")) for s in ("basic", "quality")]
    assert set(expected) <= set(titles)
    assert titles[0].startswith("示范县")
    pictures = [s for slide in prs.slides for s in slide.shapes if s.shape_type == 13]
    assert len(pictures) == (1 if chromium_path() else 0)  # the gap map


@pytest.mark.parametrize("scheme", ["basic", "quality"])
def test_deck_charts_are_native_and_hold_the_engine_cvs(made: dict[str, Path], scheme: str) -> None:
    prs = Presentation(str(made["deck"]))
    title = t("present.deck.cv", "zh", scheme=t(f"scheme.{scheme}", "zh"))
    slide = prs.slides[slide_titles(prs).index(title)]
    charts = {s.chart.chart_title.text_frame.text: s.chart for s in slide.shapes if s.has_chart}
    assert list(charts) == [t("stage.primary", "zh"), t("stage.junior", "zh")]
    for stage, chart in zip(("primary", "junior"), charts.values(), strict=True):
        assert chart.chart_type == XL_CHART_TYPE.COLUMN_CLUSTERED
        cv_series, threshold = chart.plots[0].series
        assert list(cv_series.values) == pytest.approx(cvs(scheme, stage), abs=1e-12)
        limit = cv_threshold(scheme, stage)  # basic: on the composite only
        n = len(scheme_ids(scheme))
        expected = [limit] * n if scheme == "quality" else [None] * n + [limit]
        assert list(threshold.values) == expected
    notes = slide.notes_slide.notes_text_frame.text
    for value in cvs(scheme, "primary"):
        assert f"{value:.6f}" in notes  # the exact figures, beyond the slide's 3 decimals


def test_every_run_of_the_deck_names_an_east_asian_typeface(made: dict[str, Path]) -> None:
    with zipfile.ZipFile(made["deck"]) as z:
        parts = [n for n in z.namelist() if re.match(r"ppt/(slides|notesSlides|charts)/[^/]+\.xml$", n)]
        assert any("/charts/" in n for n in parts) and any("notesSlides" in n for n in parts)
        runs = 0
        for name in parts:
            root = ElementTree.fromstring(z.read(name))
            for tag in ("rPr", "defRPr", "endParaRPr"):
                for rpr in root.iter(A + tag):
                    runs += 1
                    ea = rpr.find(A + "ea")
                    assert ea is not None and ea.get("typeface"), (name, ElementTree.tostring(rpr))
    assert runs > 100


# ----------------------------------------------------------------------------- report


def test_docx_has_the_headings_the_tables_and_a_toc(made: dict[str, Path]) -> None:
    doc = Document(str(made["docx"]))
    heads = [p.text for p in doc.paragraphs if p.style is not None and p.style.name == "Heading 1"]
    assert heads == [t(f"present.report.h.{k}", "zh")
                     for k in ("facts", "work", "results", "problems", "plan")]
    assert len(doc.tables) == 7  # facts, CVs ×2, schools ×2, county items, verdicts
    body = doc.element.body
    assert any("TOC" in (x.text or "") for x in body.iter(W + "instrText"))
    # styles, not direct formatting: no run carries its own properties
    assert all(r._r.rPr is None for p in doc.paragraphs for r in p.runs)
    fonts = doc.styles["Normal"].element.rPr.rFonts
    assert fonts.get(W + "eastAsia")
    editable = [p.text for p in doc.paragraphs if p.style is not None and p.style.name == "JH Editable"]
    assert editable and all(x.startswith("【待填写】") for x in editable)


@pytest.mark.parametrize("scheme,table", [("basic", 1), ("quality", 2)])
def test_docx_cv_table_is_the_engine(made: dict[str, Path], scheme: str, table: int) -> None:
    grid = Document(str(made["docx"])).tables[table]
    shown = [row.cells[4].text for row in grid.rows[1:]]
    expected = [f"{v:.3f}" for stage in ("primary", "junior") for v in cvs(scheme, stage)]
    assert shown == expected


def test_xlsx_one_sheet_per_table_with_numbers_and_formats(made: dict[str, Path]) -> None:
    book = openpyxl.load_workbook(made["xlsx"])
    assert len(book.sheetnames) == 7
    ws = book.worksheets[2]  # the quality CVs
    assert ws["A1"].value.startswith("表3") and ws["A2"].value  # title and note (units)
    cells = [ws.cell(row=r, column=5) for r in range(4, ws.max_row + 1)
             if ws.cell(row=r, column=2).value]  # not the 填报单位 line below (column A only)
    assert [c.value for c in cells] == pytest.approx(
        [v for stage in ("primary", "junior") for v in cvs("quality", stage)])
    assert {c.number_format for c in cells} == {"0.000"}


def test_xlsx_texts_never_become_formulas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard.ui.present.model import material
    from dashboard.ui.present.workbook import build_workbook

    snapshot, _ = engine()
    schools = snapshot.schools.copy()
    schools.loc[schools.index[0], "school_name"] = "=HYPERLINK(\"x\")"
    ev = evaluate(schools)
    m = material(ev, schools, snapshot.county, DEMO_COUNTY, YEAR, snapshot.id, "zh")
    path = tmp_path / "t.xlsx"
    path.write_bytes(build_workbook(m))
    values = [c.value for ws in openpyxl.load_workbook(path).worksheets for row in ws.iter_rows()
              for c in row if isinstance(c.value, str)]
    assert "'=HYPERLINK(\"x\")" in values
    assert not any(v.startswith(FORMULA_SIGNS) for v in values)
    assert safe_text("@x") == "'@x" and safe_text("城南") == "城南"


@pytest.mark.skipif(chromium_path() is None, reason="no chromium to print the PDF with")
def test_pdf_embeds_its_fonts_and_draws_chinese(made: dict[str, Path]) -> None:
    pdf = made["pdf"]
    assert pdf.read_bytes()[:5] == b"%PDF-"
    if shutil.which("pdffonts") is None or shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils (pdffonts) not installed: scripts/system-deps.sh installs it")
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True)
    rows = fonts.stdout.splitlines()[2:]
    assert rows and all(r.split()[-5] == "yes" for r in rows)  # emb column
    text = subprocess.run(["pdftotext", "-l", "1", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    # the Chinese title is drawn with an embedded font that maps back to its characters
    assert "义务教育均衡发展自评报告" in text


# ----------------------------------------------------------------------------- command line


@pytest.mark.parametrize("args", [
    ["report", str(DEMO_SNAPSHOT), "--out", "{tmp}/x.txt"],
    ["deck", str(DEMO_SNAPSHOT), "--out", "{tmp}/x.docx"],
    ["deck", "{tmp}/no-such-snapshot", "--out", "{tmp}/x.pptx"],
    ["deck", str(DEMO_SNAPSHOT), "--county", "000000", "--out", "{tmp}/x.pptx"],
    ["deck", str(DEMO_SNAPSHOT), "--scenario", "no-such", "--out", "{tmp}/x.pptx"],
    ["report", str(DEMO_SNAPSHOT), "--out", "{tmp}/missing/x.docx"],
])
def test_bad_input_exits_2_and_writes_nothing(tmp_path: Path, args: list[str],
                                              capsys: pytest.CaptureFixture) -> None:
    assert main([a.format(tmp=tmp_path) for a in args]) == 2
    assert capsys.readouterr().err.strip()
    assert list(tmp_path.iterdir()) == []


def test_a_scenario_slide_shows_before_and_after(tmp_path: Path) -> None:
    from dashboard.planning.scenario import AddResource, apply_actions
    from dashboard.ui.present.deck import build_deck
    from dashboard.ui.present.model import ScenarioPart, material

    snapshot, ev = engine()
    school = str(snapshot.schools["school_id"].iloc[0])
    after = evaluate(apply_actions(snapshot.schools,
                                   [AddResource(school, "sports_area_m2", 3000.0)]).schools)
    part = ScenarioPart("方案一", "扩建运动场", ("运动场 +3,000 m²",), after)
    m = material(ev, snapshot.schools, snapshot.county, DEMO_COUNTY, YEAR, snapshot.id, "zh",
                 scenario=part)
    path = tmp_path / "deck.pptx"
    path.write_bytes(build_deck(m))
    prs = Presentation(str(path))
    titles = slide_titles(prs)
    slide = prs.slides[titles.index(t("present.deck.scenario_title", "zh", name="方案一"))]
    notes = slide.notes_slide.notes_text_frame.text
    comp = after.composites
    value = float(comp.loc[comp["stage"] == "primary", "composite_cv"].iloc[0])
    assert f"{value:.6f}" in notes and "运动场 +3,000 m²" in notes
