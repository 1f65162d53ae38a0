"""Some columns of a unit mapping, each read from it when asked (see lazy_columns.UnitColumns.read)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np

__all__ = ["ColumnsRead"]


class ColumnsRead(Mapping[str, np.ndarray]):
    """Some columns of a UnitColumns, each read from it when asked (see UnitColumns.read)."""

    def __init__(self, cols: Mapping[str, np.ndarray], names: tuple[str, ...]) -> None:
        self._cols, self._names = cols, names

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._names:
            raise KeyError(name)
        return self._cols[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)
