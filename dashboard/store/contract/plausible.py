"""Plausibility bounds: values that are possible but almost surely a typing or unit error.

Declared as data in ``dashboard/store/data/contract_plausible.csv`` (one row per column:
table, column name, lower and upper bound, and the reason for the bound), beside the contract's
own declaration.  A value beyond a bound is a *warning* (``plausible_min_N`` /
``plausible_max_N``): it is shown and the data may still be used.  Values that cannot be right
(negative counts, non-finite numbers, numbers beyond 2**53) are errors of the contract itself
(docs/data-contract.md §6.1).

>>> [b for b in bounds("schools") if b.name == "books"][0].max
2000000.0
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final

from dashboard.store.contract.spec import Table, enums, specs

__all__ = ["Bound", "bounds"]

_FILE: Final = Path(__file__).resolve().parent.parent / "data" / "contract_plausible.csv"


@dataclass(frozen=True)
class Bound:
    """The plausible range of one column (``{s}`` expanded); None where unbounded."""

    name: str
    min: float | None
    max: float | None
    reason: str


@lru_cache(maxsize=3)
def bounds(table: Table) -> tuple[Bound, ...]:
    """Return the plausibility bounds of ``table``'s columns, in file order.

    A bound on a column the contract does not declare is a fault of the data file and raises
    ValueError (so a renamed column cannot silently lose its bound).
    """
    declared = {s.name for s in specs(table)}
    out: list[Bound] = []
    for row in csv.DictReader(io.StringIO(_FILE.read_text(encoding="utf-8"))):
        if row["table"] != table:
            continue
        names = ([row["name"].replace("{s}", s) for s in enums()["stage"]]
                 if "{s}" in row["name"] else [row["name"]])
        for name in names:
            if name not in declared:
                raise ValueError(f"{_FILE.name}: {table} has no column {name!r}")
            out.append(Bound(name, float(row["min"]) if row["min"] else None,
                             float(row["max"]) if row["max"] else None, row["reason"]))
    return tuple(out)
