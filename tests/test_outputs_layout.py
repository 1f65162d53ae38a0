"""The outputs as printed and read (docs/outputs.md §2, §3): every workbook sheet
fits a landscape A4 page at a readable scale, a long text wraps inside its cell and its row is
tall enough for it (LibreOffice showed the county items' evidence spilling over the next
cells, and the sheet printed at about half size)."""

from __future__ import annotations

import io

import openpyxl
from demo_data import DEMO_COUNTY, DEMO_SNAPSHOT
from openpyxl.utils import get_column_letter

from dashboard.method.engine import evaluate
from dashboard.store.snapshots import read_snapshot
from dashboard.ui.checklist import evaluation_with_profile
from dashboard.ui.present.model import material
from dashboard.ui.present.workbook import build_workbook

PAGE_WIDTH = 150  # characters a landscape A4 page takes at about 90 %
MIN_LONG = 24  # characters a narrowed column keeps
ROW_LINE = 15  # points: a line of text


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def test_every_sheet_fits_the_page_and_long_texts_wrap_in_tall_enough_rows() -> None:
    snapshot = read_snapshot(DEMO_SNAPSHOT)
    ev = evaluation_with_profile(evaluate(snapshot.schools), None, snapshot.classes,
                                 snapshot.rooms)
    for lang in ("zh", "en"):
        m = material(ev, snapshot.schools, snapshot.county, DEMO_COUNTY, 2024, snapshot.id, lang)
        book = openpyxl.load_workbook(io.BytesIO(build_workbook(m)))
        long_texts = 0
        for ws in book.worksheets:
            widths = {get_column_letter(k): d.width for d in ws.column_dimensions.values()
                      for k in range(d.min, d.max + 1)}  # openpyxl groups equal columns
            chars = [int(w) for w in widths.values()]  # xlsxwriter adds 0.71 to each
            # the page's width, or no column left to narrow (the school tables' 13 columns)
            assert sum(chars) <= PAGE_WIDTH or max(chars) <= MIN_LONG + 1, ws.title
            for row in ws.iter_rows(min_row=4, max_row=ws.max_row - 2):
                for cell in row:
                    if not isinstance(cell.value, str) or not cell.has_style:
                        continue
                    width = widths[cell.column_letter]
                    if _width(cell.value) > width:  # would spill over or be cut
                        long_texts += 1
                        assert cell.alignment.wrap_text, (ws.title, cell.coordinate)
                        height = ws.row_dimensions[cell.row].height
                        assert height is not None and height >= 2 * ROW_LINE
        assert long_texts > 0  # the county items' evidence, the verdicts' reasons


def test_english_school_tables_keep_every_word_whole_on_landscape_pages() -> None:
    """The PDF and the DOCX broke 'Approximated' inside the word ('Approximate / d'): the short
    columns were narrowed alike below their longest word; the DOCX's landscape pages had 25 mm
    margins where the PDF has 12 mm."""
    from docx import Document

    from dashboard.ui.format import text_ems
    from dashboard.ui.present.html import EMU_PER_MM, WIDE_MM
    from dashboard.ui.present.tables import official_tables
    from dashboard.ui.present.word import TABLE_SIZE, build_docx, column_widths

    snapshot = read_snapshot(DEMO_SNAPSHOT)
    ev = evaluation_with_profile(evaluate(snapshot.schools), None, snapshot.classes,
                                 snapshot.rooms)
    m = material(ev, snapshot.schools, snapshot.county, DEMO_COUNTY, 2024, snapshot.id, "en")
    doc = Document(io.BytesIO(build_docx(m)))
    sizes = [(int(s.page_width or 0), int(s.page_height or 0),
              int(s.left_margin or 0) + int(s.right_margin or 0)) for s in doc.sections]
    wide = [w - margins for w, h, margins in sizes if w > h]
    assert wide
    docx_width = min(wide)
    assert docx_width >= (WIDE_MM - 1) * EMU_PER_MM  # as wide as the PDF's
    em = TABLE_SIZE * 12700
    for table in official_tables(m):
        if not table.key.startswith("schools_"):
            continue
        rows = [[c.text for c in r] for r in table.rows]
        for width in (int(docx_width), WIDE_MM * EMU_PER_MM):  # the DOCX's, the PDF's
            widths = column_widths(table.columns, rows, width)
            for k, _ in enumerate(table.columns[:-2]):  # the short columns
                longest = max(text_ems(w) for r in rows for w in r[k].split())
                assert widths[k] >= longest * em, (table.key, table.columns[k])


def test_table_downloads_print_landscape_one_page_wide_with_long_texts_wrapped() -> None:
    """The plan's workbook (export.workbook_bytes) printed its two columns on two portrait
    pages, the items on one and their values on the next; a long text spilled or was cut."""
    import pandas as pd

    from dashboard.ui.export import workbook_bytes

    long_text = "交流轮岗：符合条件 1855 人，本方案交流 12 人（0.6%，要求 ≥ 10%）" * 3
    frame = pd.DataFrame({"项目": ["结论", "交流轮岗"], "内容": ["已证明最优", long_text],
                          "百名学生高于规定学历教师数 调整前": [1.0, 2.0]})
    ws = openpyxl.load_workbook(io.BytesIO(workbook_bytes({"方案": frame}))).active
    assert ws is not None
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0
    assert ws.print_title_rows == "$1:$1" and ws.freeze_panes == "A2"
    assert ws["B3"].alignment.wrap_text and ws.row_dimensions[3].height >= 2 * ROW_LINE
    assert ws["C1"].alignment.wrap_text and ws.column_dimensions["C"].width < 20  # header wraps
    assert ws["C2"].value == 1.0 and ws["A1"].value == "项目"
