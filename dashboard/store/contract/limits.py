"""What the contract refuses to read before reading it, and what it refuses to hold as a number.

Every limit is checked before the cells are read into memory (docs/data-contract.md §6.1): the
file's size on disk, the uncompressed size of an XLSX, the dimension an XLSX sheet declares,
the rows and columns a Parquet file declares, and while streaming a CSV or XLSX sheet the rows,
columns and cells met so far.  A file past a limit becomes one ``too_large`` violation naming
the limit; nothing of it is kept.

A county has at most a few thousand schools and a few tens of thousands of teachers, so the
row limit is meant to leave room for any real county's tables; the contract declares
about forty columns, so the column limit leaves room for any number of extra columns a bureau
keeps beside them.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_UNCOMPRESSED_BYTES",
    "MAX_ROWS",
    "MAX_COLUMNS",
    "MAX_CELLS",
    "MAX_NUMBER",
    "MAX_SHOWN_VALUE",
]

MAX_FILE_BYTES: Final = 64 * 1024 * 1024  # a file on disk: 64 MiB
MAX_UNCOMPRESSED_BYTES: Final = 256 * 1024 * 1024  # every part of an XLSX (zip), uncompressed
MAX_ROWS: Final = 50_000  # rows of a sheet (title and header rows included)
MAX_COLUMNS: Final = 1_000  # columns of a sheet
# rows × columns: 50,000 schools of the contract's ~40 columns.  A 100,000-row schools file
# (4 million cells) peaked at 1.2 GiB through `evaluate`; `make fuzz` measures a file at
# this limit (benchmarks/fuzz.py, case big:limit-rows).
MAX_CELLS: Final = 2_000_000
# The largest magnitude a number cell may hold: 2**53, the largest integer a float64 holds
# exactly.  Larger numbers (a 20-digit id in a count column, 1e300, the int64 maximum) cannot
# be counted or averaged faithfully and are errors, checked before any cast to int64.
MAX_NUMBER: Final = float(2**53)
MAX_SHOWN_VALUE: Final = 200  # characters of a cell shown in a violation; the rest elided
