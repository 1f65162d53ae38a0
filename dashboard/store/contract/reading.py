"""Reading a table from a CSV, XLSX or Parquet file, then checking it (``load_*``).

A file that cannot be read is not raised: it becomes one violation (``format``, ``encoding``,
``sheet``, ``empty`` or ``unreadable`` with the reader's error), so that the user sees it
beside every other problem.  A missing file raises FileNotFoundError.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa

from dashboard.i18n import DEFAULT_LANG
from dashboard.store.contract.cells import cell_text
from dashboard.store.contract.limits import (
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    MAX_UNCOMPRESSED_BYTES,
)
from dashboard.store.contract.spec import Table, columns, header_index, header_key
from dashboard.store.contract.validation import check
from dashboard.store.contract.violations import LoadResult, Violation, shown_value

__all__ = ["load_schools", "load_teachers", "load_county", "sheet_names"]

_SUFFIXES: Final = (".parquet", ".csv", ".xlsx", ".xlsm")
_HEADER_SCAN_ROWS: Final = 10  # title rows above the header that a spreadsheet may carry
# What the readers raise on a damaged or foreign file; each becomes an "unreadable" violation
# naming the error.  Anything else is a fault of this code and propagates.
_UNREADABLE: Final[tuple[type[BaseException], ...]] = (
    OSError,  # the file cannot be opened or read
    ValueError,  # pyarrow's ArrowInvalid (not Parquet), bad values inside an XLSX
    TypeError,  # pyarrow's ArrowTypeError, openpyxl on unexpected XML content
    KeyError,  # an XLSX (zip) that lacks the workbook parts
    IndexError,  # an XLSX workbook without any sheet
    zipfile.BadZipFile,  # an .xlsx that is not a zip archive, or a truncated one
    zlib.error,  # a corrupt compressed part of an XLSX
    SyntaxError,  # malformed XML in an XLSX (ElementTree's and lxml's ParseError)
    csv.Error,  # a CSV the csv module cannot split (e.g. a field over the size limit)
    pa.ArrowException,  # any other pyarrow reading error
)


@dataclass(frozen=True)
class _Sheet:
    """What was read: the raw frame and each frame row's number in the file, or the problem."""

    frame: pd.DataFrame | None
    sheet: str | None
    numbers: np.ndarray
    problem: Violation | None = None


def _problem(file: str, rule: str, sheet: str | None = None, **params: str) -> _Sheet:
    return _Sheet(None, sheet, np.arange(0),
                  Violation(file, sheet, None, None, None, rule, "error", tuple(params.items())))


# The legacy encodings a CSV that is not UTF-8 may be in; of those that decode, the one whose
# top rows name the most declared columns wins, then the one with fewer private-use characters
# (ties: the earlier), so that Big5 is not read as GB18030 mojibake.
_ENCODINGS: Final = ("gb18030", "big5")
_UTF16_BOMS: Final = (b"\xff\xfe", b"\xfe\xff")
_ODD_CHARACTERS: Final = re.compile("[\ue000-\uf8ff\ufffd]")  # private use, replacement


class _TooLarge(Exception):
    """A file past one of the limits (dashboard.store.contract.limits); read no further."""

    def __init__(self, what: str, value: int, limit: int) -> None:
        super().__init__(what)
        self.params = {"what": what, "value": str(value), "limit": str(limit)}
        self.sheet: str | None = None  # the XLSX sheet past the limit, named in the violation


# what a second, optional look at a workbook (its sheet names, its formulas) gives up on
_NOT_READ: Final[tuple[type[BaseException], ...]] = (_TooLarge, *_UNREADABLE)


def _check_grid(rows: int, width: int, cells: int) -> None:
    """Raise _TooLarge when a sheet has grown past the row, column or cell limit."""
    if rows > MAX_ROWS:
        raise _TooLarge("rows", rows, MAX_ROWS)
    if width > MAX_COLUMNS:
        raise _TooLarge("columns", width, MAX_COLUMNS)
    if cells > MAX_CELLS:
        raise _TooLarge("cells", cells, MAX_CELLS)


def _bounded(rows: Iterable[Sequence[object]]) -> list[list[object]]:
    """Return the rows (trailing empty cells dropped), stopping as soon as a limit is passed."""
    out: list[list[object]] = []
    cells = 0
    for row in rows:
        cut = len(row)
        while cut and row[cut - 1] is None:
            cut -= 1
        out.append(list(row[:cut]))
        cells += cut
        _check_grid(len(out), cut, cells)
    return out


def _decode(table: Table, raw: bytes) -> str | None:
    """Return the text of a CSV file in UTF-8 (with or without BOM), UTF-16 (with BOM), GBK /
    GB18030 or Big5; None if none fits (the caller reports an ``encoding`` violation)."""
    if raw.startswith(_UTF16_BOMS):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            return None
    try:
        return raw.decode("utf-8-sig")  # valid UTF-8 with Chinese in it is hardly anything else
    except UnicodeDecodeError:
        pass  # one of the Chinese legacy encodings: the one that fits the headers best
    index = header_index(table)
    best: tuple[int, int, str] | None = None
    for encoding in _ENCODINGS:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue  # not this encoding: try the next one
        top = text[:4096]
        hits = sum(header_key(word) in index for word in re.split(r"[,\r\n\t\"]", top) if word)
        odd = len(_ODD_CHARACTERS.findall(text))  # Big5 read as GB18030 lands in these
        if best is None or (hits, -odd) > best[:2]:
            best = (hits, -odd, text)
    return None if best is None else best[2]


def _grid_frame(table: Table, rows: list[list[object]]) -> tuple[pd.DataFrame, np.ndarray]:
    """Return the data below the header row of a sheet and each data row's number in the sheet.

    The header row is the first of the top rows that names the most declared columns (title
    rows above it are skipped); blank rows are dropped but keep their numbers.
    """
    index = header_index(table)

    def hits(row: list[object]) -> int:
        return sum(header_key(c) in index for c in row if c is not None)

    top = rows[:_HEADER_SCAN_ROWS]
    best = max(range(len(top)), key=lambda i: (hits(top[i]), -i))
    header = ["" if c is None else str(c).strip() for c in rows[best]]
    width = len(header)
    body = [list(r[:width]) + [None] * (width - len(r)) for r in rows[best + 1:]]
    numbers = np.arange(len(body)) + best + 2  # rows are 1-based; the header is row best + 1
    keep = [i for i, r in enumerate(body) if any(cell_text(c) is not None for c in r)]
    frame = pd.DataFrame([body[i] for i in keep], columns=header, dtype=object)
    return frame, numbers[keep]


def _csv_rows(table: Table, path: Path) -> list[list[object]] | None:
    """Return the rows of a CSV file; None when its encoding is not recognised."""
    text = _decode(table, path.read_bytes())
    if text is None:
        return None
    return _bounded([c or None for c in r] for r in csv.reader(io.StringIO(text)))


def _check_zip(path: Path) -> None:
    """Raise _TooLarge when the parts of an XLSX would take more than the limit unpacked."""
    with zipfile.ZipFile(path) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > MAX_UNCOMPRESSED_BYTES:
        raise _TooLarge("unpacked_bytes", unpacked, MAX_UNCOMPRESSED_BYTES)


_SCANNED_SHEETS: Final = 32  # sheets whose top rows are looked at for the table's headers


def _header_hits(table: Table, rows: list[list[object]]) -> int:
    """Return how many declared columns the best of the top rows names."""
    index = header_index(table)
    return max((sum(header_key(c) in index for c in row if c is not None)
                for row in rows[:_HEADER_SCAN_ROWS]), default=0)


def _pick_sheet(table: Table, book: Any) -> str:
    """Return the sheet to read when none is named: the one whose top rows name the most of
    the table's columns, the first on a tie.  A bureau's workbook often opens on a cover
    (封面) or notes sheet; reading only the first sheet refused it column by column."""
    best, most = book.sheetnames[0], 0
    if len(book.sheetnames) == 1:
        return best
    for name in book.sheetnames[:_SCANNED_SHEETS]:
        ws = book[name]
        if not hasattr(ws, "iter_rows"):  # a chart sheet
            continue
        # the declared dimension is kept: the chosen sheet's is checked against the limits
        hits = _header_hits(table, _bounded(ws.iter_rows(max_row=_HEADER_SCAN_ROWS,
                                                         values_only=True)))
        if hits > most:
            best, most = name, hits
    return best


def sheet_names(path: str | Path) -> list[str]:
    """Return the sheet names of an XLSX workbook (empty when it cannot be read)."""
    from openpyxl import load_workbook

    try:
        _check_zip(Path(path))
        book = load_workbook(path, read_only=True, data_only=True)
    except _NOT_READ:
        return []
    try:
        return list(book.sheetnames)
    finally:
        book.close()


def _xlsx_rows(table: Table, path: Path, sheet: str | None, *, data_only: bool = True
               ) -> tuple[str, list[list[object]] | None, list[str]]:
    """Return (sheet name, its rows or None when there is no such sheet, the sheet names):
    the cells' saved values, or with ``data_only=False`` their formulas.

    The dimension the sheet declares is checked against the limits first; then the rows are
    streamed (read-only mode, the declared dimension ignored so that no row is padded to it)
    and reading stops as soon as a limit is passed: a stray cell at XFD1048576 costs nothing.
    """
    from openpyxl import load_workbook

    _check_zip(path)
    book = load_workbook(path, read_only=True, data_only=data_only)
    try:
        sheet_name = sheet if sheet is not None else _pick_sheet(table, book)
        if sheet_name not in book.sheetnames:
            return sheet_name, None, list(book.sheetnames)
        ws = book[sheet_name]
        try:
            rows, width = ws.max_row or 0, ws.max_column or 0
            _check_grid(rows, width, rows * width)
            ws.reset_dimensions()
            return sheet_name, _bounded(ws.iter_rows(values_only=True)), list(book.sheetnames)
        except _TooLarge as exc:
            exc.sheet = sheet_name
            raise
    finally:
        book.close()


def _parquet_frame(path: Path) -> pd.DataFrame:
    """Return a Parquet file as a frame, its declared rows and columns checked first.

    Read with pyarrow directly on this thread: ``pd.read_parquet`` on some damaged files
    raised the right error and then left the process to abort at exit ("terminate called
    without an active exception", status 134).
    """
    import pyarrow.parquet as pq

    with pq.ParquetFile(path) as file:
        meta = file.metadata
        _check_grid(meta.num_rows, meta.num_columns, meta.num_rows * meta.num_columns)
        data = file.read(use_threads=False)
    return data.to_pandas(use_threads=False)


def _read(table: Table, path: Path, sheet: str | None) -> _Sheet:
    """Return the raw frame of a file with each row's number in the file, or the problem."""
    suffix = path.suffix.lower()
    name = path.name
    if suffix not in _SUFFIXES:
        return _problem(name, "format")
    sheet_name = None
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _TooLarge("bytes", size, MAX_FILE_BYTES)
        if suffix == ".parquet":
            frame = _parquet_frame(path)
            return _Sheet(frame, None, np.arange(len(frame)) + 1)
        if suffix == ".csv":
            rows = _csv_rows(table, path)
            if rows is None:
                return _problem(name, "encoding")
        else:
            sheet_name, found, sheets = _xlsx_rows(table, path, sheet)
            if found is None:
                return _problem(name, "sheet", sheet_name, sheets="|".join(sheets))
            rows = found
    except _TooLarge as exc:
        return _problem(name, "too_large", exc.sheet or sheet_name, **exc.params)
    except _UNREADABLE as exc:
        return _problem(name, "unreadable", reason=shown_value(f"{type(exc).__name__}: {exc}"))
    if not rows:
        return _problem(name, "empty", sheet_name)
    frame, numbers = _grid_frame(table, rows)
    return _Sheet(frame, sheet_name, numbers)


def _load(table: Table, path: str | Path, schools: pd.DataFrame | None, sheet: str | None,
          lang: str, aliases: Mapping[str, str] | None = None) -> LoadResult:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    read = _read(table, path, sheet)
    if read.frame is not None and read.frame.empty:  # a header and nothing under it
        read = _problem(path.name, "no_rows", read.sheet)
    if read.problem is not None:
        return LoadResult(pd.DataFrame(columns=list(columns(table))), (read.problem,))
    assert read.frame is not None
    result = check(table, read.frame, schools, file=path.name, sheet=read.sheet,
                   row_numbers=read.numbers, lang=lang, aliases=aliases)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        result = replace(_uncached_formulas(table, path, read.sheet, result), sheet=read.sheet)
    return result


def _formula_text(cell: object) -> str | None:
    """Return a cell's formula as written (``=SUM(A1:A3)``), None when it holds none."""
    text = getattr(cell, "text", cell)  # an array formula is an object holding its text
    return text if isinstance(text, str) and text.startswith("=") else None


def _uncached_formulas(table: Table, path: Path, sheet: str | None, result: LoadResult) -> LoadResult:
    """Return ``result`` with each empty cell that holds a formula reported as such.

    A workbook stores a formula and its last result; a program (openpyxl, a script) may write
    the formula alone, and the import, which reads saved values, sees an empty cell.  Only
    when a violation names an empty cell is the sheet read a second time, for its formulas:
    the user is told to open and save the file in Excel or WPS (which computes and saves the
    results) rather than that the cell is empty.
    """
    if not any(v.value is None and v.row is not None and v.column is not None for v in result.violations):
        return result
    try:
        _, rows, _ = _xlsx_rows(table, path, sheet, data_only=False)
    except _NOT_READ:
        return result
    if not rows:
        return result
    frame, numbers = _grid_frame(table, rows)
    at_row = {int(n): i for i, n in enumerate(numbers)}
    headers = list(frame.columns)
    out = []
    for v in result.violations:
        formula = None
        if v.value is None and v.row in at_row and v.column in headers:
            formula = _formula_text(frame.iat[at_row[v.row], headers.index(v.column)])
        out.append(v if formula is None else
                   replace(v, value=shown_value(formula), rule="formula_uncached", params=()))
    return replace(result, violations=tuple(out))


def file_headers(table: Table, path: str | Path, sheet: str | None = None) -> list[str]:
    """Return the headers of a file as the contract reads them (the header row it finds),
    empty when the file cannot be read: what a user maps to the contract's columns."""
    read = _read(table, Path(path), sheet)
    return [] if read.frame is None else [str(c) for c in read.frame.columns if str(c)]


def load_schools(path: str | Path, *, sheet: str | None = None,
                 lang: str = DEFAULT_LANG,
                 aliases: Mapping[str, str] | None = None) -> LoadResult:
    """Return the schools table read from .xlsx / .csv / .parquet, with every violation.

    CSV may be UTF-8 (with or without BOM) or GBK; XLSX is read from ``sheet`` (default: the
    sheet whose top rows name the most of its columns, the first on a tie), whose name appears
    in the violations.  Headers may be the canonical names or
    the Chinese headers, in any mix; ids and codes stay text (leading zeros kept).
    """
    return _load("schools", path, None, sheet, lang, aliases)


def load_teachers(path: str | Path, *, schools: pd.DataFrame | None = None,
                  sheet: str | None = None, lang: str = DEFAULT_LANG,
                  aliases: Mapping[str, str] | None = None) -> LoadResult:
    """Return the teacher roster read from a file, with every violation (see validate_teachers)."""
    return _load("teachers", path, schools, sheet, lang, aliases)


def load_county(path: str | Path, *, schools: pd.DataFrame | None = None,
                sheet: str | None = None, lang: str = DEFAULT_LANG,
                aliases: Mapping[str, str] | None = None) -> LoadResult:
    """Return the county items read from a file, with every violation (see validate_county)."""
    return _load("county", path, schools, sheet, lang, aliases)
