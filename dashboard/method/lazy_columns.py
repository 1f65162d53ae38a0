"""The columns of one scheme's units, made at once or on first read (see units.scheme_units):
the store behind the engine's unit frames, and the view the school rules read.

Moved out of units.py (its size): the same classes, imported from there as before."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Final

import numpy as np

from dashboard.method.columns_read import ColumnsRead
from dashboard.method.standards import STAGES

__all__ = ["LAZY_LOCK", "UnitColumns", "stage_masks"]


# one lock for every first read of a lazy column: a column is made once, whatever the threads
LAZY_LOCK: Final = threading.RLock()


class UnitColumns(Mapping[str, np.ndarray]):
    """The columns of one scheme's units, in frame order: the numbers a verdict reads made at
    once, the rest (other numbers, school attributes, ``unit_id``, the school rules' item
    columns and texts, the engine's per-unit contributions) on first read.

    A lazy column is made by a maker (a picklable callable returning a dict of one or more
    columns), once: the first read of any thread makes it under a lock and keeps it.  The
    columns are the same arrays as an eager pass would make, bit for bit.
    """

    def __init__(self, src: np.ndarray, stage: np.ndarray) -> None:
        self.src = src  # the school row of each unit
        self.stage_index = stage  # its stage, an index into STAGES
        self._cols: dict[str, np.ndarray] = {}
        self._makers: dict[str, Callable[[], dict[str, np.ndarray]]] = {}
        self._again: dict[str, Callable[[], dict[str, np.ndarray]]] = {}
        self._order: list[str] = []

    def put(self, name: str, column: np.ndarray, again: Callable[[], dict[str, np.ndarray]] | None = None
            ) -> None:
        """Add (or replace) a column made now; ``again``: a maker of the same column (the same
        bits), with which ``release`` leaves it to its next read."""
        if name not in self._cols and name not in self._makers:
            self._order.append(name)
        self._cols[name] = column
        self._makers.pop(name, None)
        if again is not None:
            self._again[name] = again

    def release(self) -> None:
        """Let go of every column put with a maker: each is made again, the same bits, when
        next read (the engine's verdicts read them only while they are made: docs/method.md
        §8)."""
        with LAZY_LOCK:
            for name, maker in self._again.items():
                if self._cols.pop(name, None) is not None:
                    self._makers[name] = maker
            self._again.clear()

    def later(self, names: list[str], maker: Callable[[], dict[str, np.ndarray]], again: bool = False) -> None:
        """Add columns ``names`` that ``maker`` makes (all of them at once) on first read
        (``again``: and once more after ``release``, if made by then)."""
        for name in names:
            if name not in self._cols and name not in self._makers:
                self._order.append(name)
            self._makers[name] = maker
            if again:
                self._again[name] = maker

    def made(self, name: str) -> bool:
        """Whether the column is made already (reading it costs nothing)."""
        return name in self._cols

    def __getitem__(self, name: str) -> np.ndarray:
        col = self._cols.get(name)
        if col is not None:
            return col
        if name not in self._makers:
            raise KeyError(name)
        with LAZY_LOCK:
            if name not in self._cols:  # another thread may have made it meanwhile
                made = self._makers[name]()
                for k, v in made.items():
                    self._cols[k] = v
                    self._makers.pop(k, None)
        return self._cols[name]

    def __contains__(self, name: object) -> bool:
        return name in self._cols or name in self._makers

    def __iter__(self) -> Iterator[str]:
        return iter(self._order)

    def __len__(self) -> int:
        return len(self._order)

    def read(self, names: Iterable[str]) -> Mapping[str, np.ndarray]:
        """Return the columns ``names`` as a mapping that reads each when asked (a column let
        go of is then made again)."""
        return ColumnsRead(self, tuple(names))

    def rule_view(self) -> Mapping[str, np.ndarray]:
        """Return the columns as the school rules read them: without ``unit_id`` (the engine's
        rules name no unit: its text is not made for them) and with ``stage`` as fixed-width
        text (compared at C speed; the frame's object column is made when first read)."""
        return _RuleView(self, frozenset({"unit_id"}))


def stage_masks(units: object) -> dict[str, np.ndarray] | None:
    """Return {stage: whether each unit is at it} when ``units`` knows its stages as indices
    (a rule view: no text compared), else None."""
    masks = getattr(type(units), "stage_masks", None)  # the class's: a frame's columns are no attributes
    return masks(units) if callable(masks) else None


class _RuleView(Mapping[str, np.ndarray]):
    def __init__(self, cols: UnitColumns, hidden: frozenset[str]) -> None:
        self._cols, self._hidden = cols, hidden
        self._stage: np.ndarray | None = None

    def stage_masks(self) -> dict[str, np.ndarray]:
        """{stage: whether each unit is at it}, from the stage indices."""
        return {st: self._cols.stage_index == k for k, st in enumerate(STAGES)}

    def __getitem__(self, name: str) -> np.ndarray:
        if name in self._hidden:
            raise KeyError(name)
        if name == "stage":  # fixed-width text (compared at C speed), made when read
            if self._stage is None:
                self._stage = np.array(STAGES)[self._cols.stage_index]
            return self._stage
        return self._cols[name]

    def __contains__(self, name: object) -> bool:
        return name not in self._hidden and name in self._cols

    def __iter__(self) -> Iterator[str]:
        return (n for n in self._cols if n not in self._hidden)

    def __len__(self) -> int:
        return sum(1 for _ in self)
