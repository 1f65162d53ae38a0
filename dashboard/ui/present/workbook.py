"""The official tables as one XLSX workbook (xlsxwriter): one sheet per table with its title
row, its note (units, source), a header row, numbers kept as numbers in their number formats,
and every text written as text — one that begins with = + - @ is prefixed with ' so no cell
becomes a formula when the sheet is re-saved or exported to CSV.  No Streamlit.
"""

from __future__ import annotations

import io
import math
from typing import Any, Final

import xlsxwriter

from dashboard.i18n import t
from dashboard.ui.export import FORMULA_SIGNS, neutralise
from dashboard.ui.present.model import Material
from dashboard.ui.present.tables import Cell, OfficialTable, official_tables

__all__ = ["build_workbook", "safe_text", "sheet_name", "FORMULA_SIGNS"]

MAX_SHEET_NAME: Final = 31
HEADER_ROW: Final = 2  # 0: title, 1: note, 2: header, data from 3
MAX_WIDTH: Final = 48
# characters of a landscape A4 sheet at about 90 %: the long columns are narrowed (their texts
# wrap) until the table fits it, so one page wide is printed in a readable type (the county
# items, 200 characters wide, were printed at about half size and spilt out of their cells)
PAGE_WIDTH: Final = 150
MIN_LONG: Final = 24  # characters a narrowed column keeps (a school's name mostly whole)
ROW_LINE: Final = 16  # points: one line of a table row (15 clipped the CJK glyphs' feet)
HEADER_WIDTH: Final = 12  # characters: a longer header wraps onto more lines
NOTE_LINE: Final = 15  # points: the height of one line of the wrapped note
A4: Final = 9  # Excel's paper code of A4
# a marked cell (tables.MARKS): the colours of the report's HTML and DOCX
MARK_FORMATS: Final[dict[str, dict[str, object]]] = {"total": {"bold": True, "bg_color": "#EEF2F6"},
                       "fail": {"bg_color": "#90A4AE"}}


def safe_text(text: str) -> str:
    """Return ``text`` that no spreadsheet reads as a formula (the exports' one rule,
    :func:`dashboard.ui.export.neutralise`).

    >>> safe_text("=SUM(A1)"), safe_text("@x"), safe_text("城南小学")
    ("'=SUM(A1)", "'@x", '城南小学')
    """
    return str(neutralise(text))


def sheet_name(table: OfficialTable, lang: str) -> str:
    """Return the sheet's name: short, '表1' or 'Table 1' (a title cut at Excel's 31
    characters read 'Table 1. The county's compulsor'); the full title is the sheet's first
    row.

    >>> sheet_name(OfficialTable("k", "表1 县域义务教育学校基本情况", "", (), number=1), "zh")
    '表1'
    """
    name = t("present2.table.sheet", lang, n=table.number or 1)
    return "".join("_" if ch in "[]:*?/\\" else ch for ch in name)[:MAX_SHEET_NAME]


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _sheet(book: Any, table: OfficialTable, styles: dict[str, Any], lang: str) -> None:
    ws = book.add_worksheet(sheet_name(table, lang))
    ws.write_string(0, 0, safe_text(table.title), styles["title"])
    # a header wraps (a long one set the column's width: the printed table shrank to fit)
    widths = [min(_width(c), HEADER_WIDTH) for c in table.columns]
    for c, name in enumerate(table.columns):
        ws.write_string(HEADER_ROW, c, safe_text(name), styles["header"])
    formats: dict[str, Any] = {}
    for r, row in enumerate(table.rows, start=HEADER_ROW + 1):
        for c, cell in enumerate(row):
            _cell(ws, book, r, c, cell, formats)
            widths[c] = max(widths[c], _width(cell.text))
    widths = fit_widths(widths)
    # each row as tall as its longest wrapped text: neither Excel nor LibreOffice grows a row
    # of a written file by itself, and a wrapped text was cut at the row's foot
    for r, row in enumerate(table.rows, start=HEADER_ROW + 1):
        ws.set_row(r, ROW_LINE * max(_lines(cell.text, w) for cell, w in zip(row, widths,
                                                                              strict=True)))
    for c, w in enumerate(widths):
        ws.set_column(c, c, w, styles["wrap"])
    ws.set_row(HEADER_ROW, NOTE_LINE * max(
        math.ceil(_width(c) / w) for c, w in zip(table.columns, widths, strict=True)))
    # the note over the table's width, wrapped (one long cell was cut at the printed page)
    span = sum(widths)
    ws.merge_range(1, 0, 1, len(table.columns) - 1, safe_text(table.note), styles["note"])
    ws.set_row(1, NOTE_LINE * math.ceil(_width(table.note) / max(span, 1)))
    # printed as the report's school tables are: A4 landscape, the table's width on one page
    ws.set_landscape()
    ws.set_paper(A4)
    ws.fit_to_pages(1, 0)
    if table.footer:  # the forms' 填报单位 / 填报日期 line, a row below the table
        ws.write_string(HEADER_ROW + len(table.rows) + 2, 0, safe_text(table.footer))
    ws.freeze_panes(HEADER_ROW + 1, 0)
    ws.repeat_rows(HEADER_ROW)


def _lines(text: str, width: int) -> int:
    """Return the lines ``text`` takes in a column ``width`` characters wide (wrapped)."""
    room = max(width - 1, 1)  # the cell's margins
    return sum(max(1, math.ceil(_width(line) / room)) for line in text.split("\n"))


def fit_widths(longest: list[int]) -> list[int]:
    """Return the columns' widths (characters) for their longest texts: each as wide as its
    text and two to spare, at most MAX_WIDTH; when they add up to more than PAGE_WIDTH, the
    columns wider than MIN_LONG are narrowed alike (not under MIN_LONG) and their texts wrap.

    >>> fit_widths([4, 10]), fit_widths([100, 100, 100, 6])
    ([6, 12], [47, 47, 47, 8])
    >>> fit_widths([22, 100, 100, 100, 6, 6])
    [24, 36, 36, 36, 8, 8]
    """
    widths = [min(w + 2, MAX_WIDTH) for w in longest]
    fixed = sum(w for w in widths if w <= MIN_LONG)
    wide = sum(w for w in widths if w > MIN_LONG)
    if fixed + wide <= PAGE_WIDTH or not wide:
        return widths
    scale = max(PAGE_WIDTH - fixed, 0) / wide
    return [w if w <= MIN_LONG else max(MIN_LONG, int(w * scale)) for w in widths]


def _cell(ws: Any, book: Any, r: int, c: int, cell: Cell, formats: dict[str, Any]) -> None:
    fmt = cell.fmt if cell.number is not None and cell.fmt else "General"
    key = f"{fmt}|{cell.mark}"  # a summary row in bold, a value under its standard shaded
    if key not in formats:
        # every cell wraps (a column's format does not reach a cell written with its own):
        # a long text grows its row instead of spilling over its neighbours
        formats[key] = book.add_format({"num_format": fmt, "border": 1, "valign": "top",
                                        "text_wrap": True,
                                        **MARK_FORMATS.get(cell.mark, {})})
    if cell.number is not None:
        ws.write_number(r, c, cell.number, formats[key])
    else:
        ws.write_string(r, c, safe_text(cell.text), formats[key])


def build_workbook(m: Material) -> bytes:
    """Return every official table of ``m`` as an XLSX workbook (bytes)."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    styles = {
        "title": book.add_format({"bold": True, "font_size": 14}),
        "note": book.add_format({"italic": True, "font_color": "#555F6B", "text_wrap": True,
                                 "valign": "top"}),
        "header": book.add_format({"bold": True, "bg_color": "#DCE6F0", "border": 1,
                                   "text_wrap": True, "valign": "top"}),
        "wrap": book.add_format({"text_wrap": True, "valign": "top"}),
    }
    for table in official_tables(m):
        _sheet(book, table, styles, m.lang)
    book.close()
    return out.getvalue()
