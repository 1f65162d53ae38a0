"""The bytes of table downloads: CSV in UTF-8 with a BOM and XLSX, headers as given (Chinese
by default).  No Streamlit.

>>> to_csv_bytes(pd.DataFrame({"学校": ["城南小学"]}))[:3] == b"\\xef\\xbb\\xbf"
True
"""

from __future__ import annotations

import io
from typing import Final

import pandas as pd

__all__ = ["to_csv_bytes", "to_xlsx_bytes", "XLSX_MIME", "CSV_MIME"]

CSV_MIME: Final = "text/csv"
XLSX_MIME: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_SHEET_NAME: Final = 31  # Excel's limit
MAX_COLUMN_WIDTH: Final = 60


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """Return ``frame`` as CSV bytes in UTF-8 with a BOM (so Excel opens Chinese correctly)."""
    return frame.to_csv(index=False).encode("utf-8-sig")


def to_xlsx_bytes(frame: pd.DataFrame, sheet: str = "Sheet1") -> bytes:
    """Return ``frame`` as the bytes of an XLSX workbook (one sheet, headers as given)."""
    name = sheet[:MAX_SHEET_NAME] or "Sheet1"
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, sheet_name=name, index=False)
        ws = writer.sheets[name]
        for k, column in enumerate(frame.columns, start=1):
            width = max([len(str(column))] + [len(str(v)) for v in frame.iloc[:, k - 1]]) + 2
            ws.column_dimensions[ws.cell(row=1, column=k).column_letter].width = min(
                width * 1.6, MAX_COLUMN_WIDTH)
    return buffer.getvalue()
