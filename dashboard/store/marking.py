"""The user's own workbook back, with every cell that breaks the contract marked: a red fill
and a comment saying the rule in the user's language, so that a school can correct its file
where it is, not from a list.

An XLSX comes back as it was (its other sheets and cells untouched) plus the marks; a CSV comes
back as a workbook of its cells (all kept as text: no cell of it becomes a formula).  Problems
of a whole column (a missing column) mark its header, or the first cell when there is none.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill

from dashboard.i18n import DEFAULT_LANG, t
from dashboard.store.contract import Violation
from dashboard.store.contract.spec import header_key

__all__ = ["marked_workbook", "MARKABLE"]

MARKABLE: Final = (".xlsx", ".xlsm", ".csv")
_FILL: Final = PatternFill("solid", start_color="FFC7CE", end_color="FFC7CE")
_HEADER_ROWS: Final = 10  # the contract looks for the header among the first rows (§6)
_COMMENT_SIZE: Final = (80, 320)  # height, width in points


def _csv_book(path: Path) -> Any:
    """Return a workbook holding the CSV's cells as text, in a sheet named after the file."""
    import csv

    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        text = raw.decode("utf-8", errors="replace")
    book = Workbook()
    sheet = book.active
    sheet.title = path.stem[:31] or "csv"
    for r, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        for c, value in enumerate(row, start=1):
            cell = sheet.cell(row=r, column=c)
            cell.value = value
            cell.data_type = "s"  # as text, whatever it starts with (never a formula)
    return book


def _header_columns(sheet: Any) -> dict[str, tuple[int, int]]:
    """Return normalised header text -> (row, column) over the first rows of ``sheet``."""
    found: dict[str, tuple[int, int]] = {}
    for row in sheet.iter_rows(min_row=1, max_row=_HEADER_ROWS):
        for cell in row:
            if cell.value is not None:
                found.setdefault(header_key(cell.value), (cell.row, cell.column))
    return found


def _mark(cell: Any, lines: list[str]) -> None:
    cell.fill = _FILL
    comment = Comment("\n".join(lines), "Junheng")
    comment.height, comment.width = _COMMENT_SIZE
    cell.comment = comment


def marked_workbook(path: str | Path, violations: Iterable[Violation],
                    lang: str = DEFAULT_LANG) -> bytes:
    """Return the XLSX bytes of the file at ``path`` with the cells of ``violations`` marked.

    Only the violations of this file (by name) are marked; ``path`` must be an XLSX or CSV.
    """
    path = Path(path)
    if path.suffix.lower() not in MARKABLE:
        raise ValueError(f"cannot mark a {path.suffix} file")
    book = _csv_book(path) if path.suffix.lower() == ".csv" else load_workbook(path)
    marks: dict[tuple[str, int, int], list[str]] = {}
    for v in violations:
        if v.file != path.name:
            continue
        sheet = book[v.sheet] if v.sheet in book.sheetnames else book.worksheets[0]
        headers = _header_columns(sheet)
        at = headers.get(header_key(v.column)) if v.column is not None else None
        row = v.row if v.row is not None else (at[0] if at else 1)
        column = at[1] if at else 1
        marks.setdefault((sheet.title, row, column), []).append(v.message(lang))
    for (title, row, column), lines in marks.items():
        _mark(book[title].cell(row=row, column=column), lines)
    if marks:
        book.worksheets[0].sheet_properties.tabColor = "C00000"
    note = t("marking.note", lang, n=len(marks))
    book.properties.description = note
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
