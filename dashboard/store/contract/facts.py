"""The optional class and room tables (docs/data-contract.md §4a): one row per class (school,
stage, grade, class, pupils) and one row per kind of room or facility (kind, count, area of
each room, or an amount).  They let the rules be judged as the seeds say — G5 and the class-size
item on every class, G3 on the room areas, the experiment-equipment item on its own value —
where the schools table only gives averages and counts.

Declared like the other tables in ``dashboard/store/data/contract_classes.csv`` and
``contract_rooms.csv``; checked by the same machinery, so every error names the file, sheet,
row, column, value and rule.  With the schools table, every row's school must be listed there.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Final

import pandas as pd

from dashboard.i18n import DEFAULT_LANG
from dashboard.store.contract.reading import _load
from dashboard.store.contract.validation import _row_numbers, check
from dashboard.store.contract.violations import LoadResult

__all__ = ["FACT_TABLES", "validate_facts", "load_facts", "validate_classes", "validate_rooms",
           "load_classes", "load_rooms"]

FACT_TABLES: Final = ("classes", "rooms")


def validate_facts(table: str, frame: pd.DataFrame, schools: pd.DataFrame | None = None, *,
                   file: str | None = None, sheet: str | None = None, header_rows: int = 0,
                   lang: str = DEFAULT_LANG) -> LoadResult:
    """Return the class or room rows (``table``: "classes" or "rooms") in canonical form with
    every violation (data contract §4a); with ``schools``, each row's school must be listed."""
    if table not in FACT_TABLES:
        raise ValueError(f"table must be one of {FACT_TABLES}, got {table!r}")
    return check(table, frame, schools, file=file or table, sheet=sheet,  # type: ignore[arg-type]
                 lang=lang, row_numbers=_row_numbers(frame, header_rows))


def load_facts(table: str, path: str | Path, *, schools: pd.DataFrame | None = None,
               sheet: str | None = None, lang: str = DEFAULT_LANG,
               aliases: Mapping[str, str] | None = None) -> LoadResult:
    """Return the class or room rows read from .xlsx / .csv / .parquet, with every violation."""
    if table not in FACT_TABLES:
        raise ValueError(f"table must be one of {FACT_TABLES}, got {table!r}")
    return _load(table, path, schools, sheet, lang, aliases)  # type: ignore[arg-type]


validate_classes = partial(validate_facts, "classes")
validate_rooms = partial(validate_facts, "rooms")
load_classes = partial(load_facts, "classes")
load_rooms = partial(load_facts, "rooms")
