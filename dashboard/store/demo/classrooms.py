"""Example class and room rows of the demo county (docs/data-contract.md §4a), made from its
schools table: each stage's pupils spread over its classes as evenly as they go (so the largest
class is the average rounded up, and every rule judged on class rows agrees with the averages),
and each school's music and art rooms at the standard's areas (96 / 90 m²).  Used for the
templates' example sheets; the demo snapshots do not store them."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["class_rows", "room_rows"]

_GRADES = {"primary": (1, 6), "junior": (7, 9)}


def class_rows(schools: pd.DataFrame, limit: int | None = None) -> pd.DataFrame:
    """Return one row per class (year, school_id, stage, grade, class_name, pupils) of the
    first ``limit`` schools (all when None)."""
    rows = []
    for s in schools.head(limit).itertuples(index=False):
        for stage, (first, last) in _GRADES.items():
            n = int(getattr(s, f"classes_{stage}"))
            pupils = int(getattr(s, f"students_{stage}"))
            if n <= 0:
                continue
            sizes = np.full(n, pupils // n) + (np.arange(n) < pupils % n)
            grades = first + (np.arange(n) * (last - first + 1)) // n
            for k, (size, grade) in enumerate(zip(sizes, grades, strict=True)):
                rows.append({"year": int(s.year), "school_id": str(s.school_id), "stage": stage,
                             "grade": int(grade), "class_name": f"{int(grade)}.{k + 1}",
                             "pupils": int(size)})
    return pd.DataFrame(rows, columns=["year", "school_id", "stage", "grade", "class_name", "pupils"])


def room_rows(schools: pd.DataFrame, limit: int | None = None) -> pd.DataFrame:
    """Return the music and art rooms of the first ``limit`` schools at 96 / 90 m² each."""
    rows = []
    for s in schools.head(limit).itertuples(index=False):
        for kind, area in (("music", 96.0), ("art", 90.0)):
            count = int(getattr(s, f"{kind}_rooms"))
            if count:
                rows.append({"year": int(s.year), "school_id": str(s.school_id), "kind": kind,
                             "count": count, "area_m2": area, "value_yuan": np.nan})
    return pd.DataFrame(rows, columns=["year", "school_id", "kind", "count", "area_m2", "value_yuan"])
