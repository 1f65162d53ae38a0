"""Per-pupil figures a file reports beside the raw totals they come from (生均教学及辅助用房面积
beside 教学及辅助用房面积 and the pupils): where the two disagree by more than 1 %, one of them
is wrong, and the import warns, naming the row, the reported and the recomputed value.

The statistics reports print both; bureaus often copy both into their sheets.  The engine uses
the raw totals only (docs/method.md §2), so a reported figure is never stored: it is checked
and dropped.  Which columns are recognised, and how each is recomputed (total ÷ the school's
pupils of every stage × scale), is data: ``dashboard/store/data/contract_reported.csv``.
docs/data-contract.md §6.3.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from dashboard.store.contract.spec import header_key

__all__ = ["Reported", "reported_columns", "reported_mismatches", "TOLERANCE"]

_FILE: Final = Path(__file__).resolve().parent.parent / "data" / "contract_reported.csv"
TOLERANCE: Final = 0.01  # relative to the recomputed figure
PUPILS: Final = ("students_primary", "students_junior", "students_senior")


@dataclass(frozen=True)
class Reported:
    """A per-pupil column a file may carry: its names, the total it divides, its scale."""

    name: str
    zh: str
    numerator: str
    scale: float


@cache
def reported_columns() -> tuple[Reported, ...]:
    """Return the recognised per-pupil columns."""
    rows = csv.DictReader(io.StringIO(_FILE.read_text(encoding="utf-8")))
    return tuple(Reported(r["name"], r["zh_header"], r["numerator"], float(r["scale"]))
                 for r in rows)


def _numbers(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Return the cells as numbers (NaN where not one) and the rounding each was written
    with: half a unit of its last decimal (0.005 for 5.32; 0.5 for 5 or a spreadsheet float
    whose text shows no decimals)."""
    text = series.map(lambda v: "" if v is None else str(v).replace(",", "").strip())
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    decimals = text.map(lambda s: len(s.partition(".")[2]) if "e" not in s.lower() else 0)
    return values, 0.5 * 10.0 ** -decimals.to_numpy(dtype=float)


# (row position, header, cell, rule, params) of one mismatch
Mismatch = tuple[int, str, object, str, tuple[tuple[str, str], ...]]


def reported_mismatches(frame: pd.DataFrame, data: pd.DataFrame,
                        skip_rows: Iterable[int] = ()) -> list[Mismatch]:
    """Return every per-pupil cell of ``frame`` (the file as read) that differs from its total
    in ``data`` (the parsed contract columns) ÷ pupils by more than TOLERANCE.

    Rows in ``skip_rows`` (a total or a pupil count failed to parse) and rows without pupils
    are not compared; a reported cell that is not a number is left to the user's eye.
    """
    by_key = {header_key(r.zh): r for r in reported_columns()}
    by_key.update({header_key(r.name): r for r in reported_columns()})
    present = [c for c in PUPILS if c in data.columns]
    if not present:
        return []
    pupils = data[present].astype(float).sum(axis=1).to_numpy()
    skipped = np.zeros(len(frame), dtype=bool)
    skipped[list(skip_rows)] = True
    found: list[Mismatch] = []
    for pos, header in enumerate(frame.columns):
        spec = by_key.get(header_key(header))
        if spec is None or spec.numerator not in data.columns:
            continue
        cells = frame.iloc[:, pos]
        reported, rounding = _numbers(cells)
        total = pd.to_numeric(data[spec.numerator], errors="coerce").to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            computed = total / pupils * spec.scale
            gap = np.abs(reported - computed) / np.abs(computed)
        allowed = np.maximum(TOLERANCE * np.abs(computed), rounding)  # 1 %, or its rounding
        bad = (~skipped & (pupils > 0) & np.isfinite(reported) & np.isfinite(computed)
               & (np.abs(reported - computed) > allowed))
        for i in map(int, np.flatnonzero(bad)):
            found.append((i, str(header), cells.iat[i], "reported_mismatch", (
                ("computed", f"{float(computed[i]):.2f}"),
                ("gap", f"{float(gap[i]) * 100:.1f}" if float(gap[i]) < 10 else "> 1000"),
                ("tolerance", f"{TOLERANCE * 100:g}"))))
    return found
