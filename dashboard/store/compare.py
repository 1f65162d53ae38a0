"""Two schools tables side by side: which schools came or went, and per school and column what
changed (year over year, or a corrected snapshot against the one it corrects).

Schools are matched by (county_code, school_id); numbers are compared exactly, texts as texts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from dashboard.i18n import t
from dashboard.store.contract.spec import specs

__all__ = ["SchoolsDiff", "compare_schools", "cell_text", "school_lines", "COMPARED_COLUMNS"]

_KEY: Final = ["county_code", "school_id"]
# Every declared column but the key and the year (which differs year over year by design).
COMPARED_COLUMNS: Final = tuple(s.name for s in specs("schools")
                                if s.name not in (*_KEY, "year"))


@dataclass(frozen=True, eq=False)
class SchoolsDiff:
    """``added`` / ``gone``: the schools (key and name) only in the new / old table;
    ``changes``: one row per school and column whose value differs (county_code, school_id,
    school_name, column, before, after, delta for numbers)."""

    added: pd.DataFrame
    gone: pd.DataFrame
    changes: pd.DataFrame

    @property
    def changed_schools(self) -> int:
        """Return how many schools present in both tables have at least one change."""
        return int(self.changes[_KEY].drop_duplicates().shape[0])


def _keyed(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for k in _KEY:
        out[k] = out[k].astype(str)
    return out.set_index(_KEY)


def _differs(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Return where two aligned columns differ (both empty counts as equal)."""
    both_empty = a.isna().to_numpy() & b.isna().to_numpy()
    numeric = pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b)
    if numeric and not pd.api.types.is_bool_dtype(a):
        x, y = a.astype(float).to_numpy(), b.astype(float).to_numpy()
        same = (x == y) | both_empty
    else:
        same = (a.astype(str).to_numpy() == b.astype(str).to_numpy()) | both_empty
    return ~same


def compare_schools(before: pd.DataFrame, after: pd.DataFrame) -> SchoolsDiff:
    """Return what differs between two schools tables in canonical form (see the module)."""
    old, new = _keyed(before), _keyed(after)
    names = ["school_name"]
    added = new.loc[new.index.difference(old.index), names].reset_index()
    gone = old.loc[old.index.difference(new.index), names].reset_index()
    both = new.index.intersection(old.index)
    rows = []
    for column in COMPARED_COLUMNS:
        if column not in old.columns or column not in new.columns:
            continue
        a, b = old.loc[both, column], new.loc[both, column]
        hit = _differs(a, b)
        if not hit.any():
            continue
        idx = both[hit]
        x, y = a[hit].to_numpy(), b[hit].to_numpy()
        numeric = pd.api.types.is_numeric_dtype(b) and not pd.api.types.is_bool_dtype(b)
        delta = (y.astype(float) - x.astype(float)) if numeric else np.full(len(idx), np.nan)
        rows.append(pd.DataFrame({
            "county_code": idx.get_level_values(0), "school_id": idx.get_level_values(1),
            "school_name": new.loc[idx, "school_name"].to_numpy(), "column": column,
            "before": x, "after": y, "delta": delta}))
    columns = ["county_code", "school_id", "school_name", "column", "before", "after", "delta"]
    changes = (pd.concat(rows, ignore_index=True) if rows
               else pd.DataFrame({c: pd.Series(dtype=object) for c in columns}))
    return SchoolsDiff(added, gone, changes.sort_values(_KEY, kind="stable").reset_index(drop=True))


def cell_text(value: object) -> str:
    """Return a stored value as a person reads it: 2924, 8,697.7; texts as stored, '' if empty.

    >>> cell_text(2924.0), cell_text(8697.70), cell_text("小学"), cell_text(None)
    ('2,924', '8,697.7', '小学', '')
    """
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        return str(value)
    return f"{float(value):,.2f}".rstrip("0").rstrip(".")


def school_lines(diff: SchoolsDiff, lang: str) -> list[str]:
    """Return one line per school added or gone, e.g. '新增：城南新区小学（3601230099）'."""
    return [t(f"import.school_{kind}", lang, name=r.school_name, id=r.school_id)
            for kind, frame in (("added", diff.added), ("gone", diff.gone))
            for r in frame.itertuples(index=False)]
