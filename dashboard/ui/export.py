"""The bytes of table downloads: CSV in UTF-8 with a BOM and XLSX, headers as given (Chinese
by default).  No Streamlit.

No cell becomes a formula (OWASP "CSV injection"): every text cell, header included, that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading single quote
(:func:`neutralise`), unless it is a plain number written as text ("-3.5", "+12%"); numbers
stay numbers.  XLSX workbooks are written with every string as a string (xlsxwriter's
``strings_to_formulas`` and ``strings_to_urls`` off).

>>> to_csv_bytes(pd.DataFrame({"学校": ["城南小学"]}))[:3] == b"\\xef\\xbb\\xbf"
True
>>> neutralise("=SUM(A1:A9)"), neutralise("-3.5"), neutralise(-3.5)
("'=SUM(A1:A9)", '-3.5', -3.5)
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from typing import Any, Final

import pandas as pd

__all__ = [
    "to_csv_bytes",
    "to_xlsx_bytes",
    "workbook_bytes",
    "neutralise",
    "neutralise_frame",
    "XLSX_MIME",
    "CSV_MIME",
    "FORMULA_SIGNS",
]

CSV_MIME: Final = "text/csv"
XLSX_MIME: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_SHEET_NAME: Final = 31  # Excel's limit
MAX_COLUMN_WIDTH: Final = 60
ROW_LINE: Final = 16  # points: a line of a wrapped cell
HEADER_WIDTH: Final = 16  # characters: a longer header wraps
A4: Final = 9  # Excel's paper code
# The first characters a spreadsheet reads as the start of a formula (OWASP CSV injection).
FORMULA_SIGNS: Final = ("=", "+", "-", "@", "\t", "\r")
# A number written as text (signed, thousands separators, decimals, percent): not a formula.
_PLAIN_NUMBER: Final = re.compile(r"[+-]?\d{1,3}(?:,\d{3})*(?:\.\d+)?%?|[+-]?\d+(?:\.\d+)?%?")
# Writing options of xlsxwriter: strings stay strings, never formulas or hyperlinks.
XLSX_OPTIONS: Final = {"strings_to_formulas": False, "strings_to_urls": False,
                       "strings_to_numbers": False}


# Beyond the ASCII signs, to be safe where it is not proven harmless: their full-width forms
# (a Chinese IME types them) and a sign behind invisible characters or spaces.
_WIDE_SIGNS: Final = ("＝", "＋", "－", "＠")
_INVISIBLE: Final = "\u200b\u200c\u200d\u2060\ufeff \u3000"


def neutralise(value: Any) -> Any:
    """Return ``value`` safe for a spreadsheet cell: a text starting with a formula sign (or its
    full-width form, or either behind zero-width characters or spaces) gets a leading ``'`` (a
    plain number as text is left alone); any other value is returned as is."""
    if isinstance(value, str) and value.lstrip(_INVISIBLE).startswith(FORMULA_SIGNS + _WIDE_SIGNS) \
            and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` with :func:`neutralise` applied to every text cell and every
    column name (numeric columns are not touched)."""
    out = frame.copy()
    for k in range(out.shape[1]):
        column = out.iloc[:, k]
        if not (pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)):
            out.isetitem(k, column.map(neutralise))
    out.columns = [neutralise(c) for c in out.columns]
    return out


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """Return ``frame`` as CSV bytes in UTF-8 with a BOM (so Excel opens Chinese correctly)."""
    return neutralise_frame(frame).to_csv(index=False).encode("utf-8-sig")


def _width(value: Any) -> int:
    """Return the width of a value's text in characters (a CJK character two)."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in str(value))


def workbook_bytes(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    """Return the sheets (name → table, headers as given) as the bytes of an XLSX workbook;
    every text neutralised, column widths fitted to the longest value (at most
    MAX_COLUMN_WIDTH: a longer text wraps, its row as tall as its lines), printed on A4
    landscape one page wide with the header row repeated (the plan's two columns were printed
    on two portrait pages, the items on one and their values on the next)."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="xlsxwriter",
                        engine_kwargs={"options": XLSX_OPTIONS}) as writer:
        wrap = writer.book.add_format({"text_wrap": True, "valign": "top"})
        head = writer.book.add_format({"text_wrap": True, "valign": "top", "bold": True,
                                       "border": 1, "align": "center"})
        for sheet, frame in sheets.items():
            name = sheet[:MAX_SHEET_NAME] or "Sheet1"
            safe = neutralise_frame(frame)
            safe.to_excel(writer, sheet_name=name, index=False)
            ws = writer.sheets[name]
            # a long header wraps instead of widening its column (the page shrank to fit it)
            widths = [min(max([min(_width(column), HEADER_WIDTH)]
                              + [_width(v) for v in frame.iloc[:, k]]) + 2, MAX_COLUMN_WIDTH)
                      for k, column in enumerate(frame.columns)]
            for k, width in enumerate(widths):
                ws.set_column(k, k, width, wrap)
                ws.write_string(0, k, str(safe.columns[k]), head)
            ws.set_row(0, ROW_LINE * max([1] + [-(-_width(c) // max(w - 1, 1))
                                                for c, w in zip(frame.columns, widths,
                                                                strict=True)]))
            for r, row in enumerate(frame.itertuples(index=False), start=1):
                lines = max([1] + [-(-_width(v) // max(w - 1, 1)) for v, w in zip(row, widths,
                                                                                   strict=True)])
                if lines > 1:  # neither Excel nor LibreOffice grows a written row itself
                    ws.set_row(r, ROW_LINE * lines)
            ws.set_landscape()
            ws.set_paper(A4)
            ws.fit_to_pages(1, 0)
            ws.repeat_rows(0)
            ws.freeze_panes(1, 0)
    return buffer.getvalue()


def to_xlsx_bytes(frame: pd.DataFrame, sheet: str = "Sheet1") -> bytes:
    """Return ``frame`` as the bytes of an XLSX workbook (one sheet, headers as given)."""
    return workbook_bytes({sheet: frame})
