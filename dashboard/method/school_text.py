"""The schools' text columns read as flags (a school's type, its ownership): each value
compared with a text as pandas' ``isin`` / ``astype(str)`` would read it, a block of rows at
a time while its strings are in the cache (units.raw_units; docs/method.md §8).

Moved out of units.py (its size): the same functions, imported from there as before."""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

__all__: list[str] = []


def _equals(col: pd.Series, text: str) -> np.ndarray:
    """Return ``col.isin([text])`` as a boolean array: the values compared with the text (no
    hash table), or by isin when a value has no truth value compared (pd.NA)."""
    values = col.to_numpy()
    if values.dtype == object:
        try:
            out = np.equal(values, text)
        except (TypeError, ValueError):
            out = None
        if out is not None and out.dtype == np.bool_:
            return out
    return col.isin([text]).to_numpy(dtype=bool)



_BLOCK: Final = 4096  # rows read at a time (see _types_are)


def _types_are(col: pd.Series, rows: np.ndarray, texts: tuple[str, ...]) -> list[np.ndarray]:
    """Return ``col.iloc[rows].astype(str).to_numpy() == text`` for each text.

    astype(str) keeps a str as it is (pandas converts only the other values: bytes decoded,
    None, NaN and pd.NA spelt out), so rows whose values are all str are compared as they
    stand.  An object column is read a block of rows at a time, each block taken, checked and
    compared while its strings are still in the cache (one pass over memory, not four); a
    block holding anything but str, or a column of another dtype, is converted as before."""
    if col.dtype != object:
        stype = col.iloc[rows].astype(str).to_numpy()
        return [stype == text for text in texts]
    values = col.to_numpy()
    out = [np.empty(len(rows), dtype=bool) for _ in texts]
    for at in range(0, len(rows), _BLOCK):
        _types_into(col, values, rows[at:at + _BLOCK], texts, out, at)
    return out


def _types_into(col: pd.Series, values: np.ndarray, part: np.ndarray, texts: tuple[str, ...],
                out: list[np.ndarray], at: int) -> None:
    """Write _types_are's flags of the rows ``part`` of an object column (``values``) into
    ``out`` from ``at``."""
    block = values[part]
    if pd.api.types.infer_dtype(block, skipna=False) != "string":
        block = col.iloc[part].astype(str).to_numpy()
    for flags, text in zip(out, texts, strict=True):
        flags[at:at + len(part)] = block == text


def _type_flags(col: pd.Series, text: str, rows: np.ndarray | None,
                texts: tuple[str, ...]) -> tuple[np.ndarray, list[np.ndarray] | None]:
    """Return (_equals(col, text), _types_are(col, rows, texts), or None without ``rows``).

    An object column is read once: a block of schools at a time compared with ``text``, then
    the ``rows`` (in order) among them read by _types_are while their strings are still in the
    cache.  np.equal compares each value alone, so the blocks give _equals' flags, or fail
    (a value without a truth value) where it would: then isin over the column, as it does."""
    if col.dtype != object:
        return _equals(col, text), (None if rows is None else _types_are(col, rows, texts))
    values = col.to_numpy()
    n = len(values)
    is_text: np.ndarray | None = np.empty(n, dtype=bool)
    out = None if rows is None else [np.empty(len(rows), dtype=bool) for _ in texts]
    ends = None if rows is None else np.searchsorted(rows, np.arange(_BLOCK, n + _BLOCK, _BLOCK))
    start = 0
    for k, lo in enumerate(range(0, n, _BLOCK)):
        if is_text is not None:
            try:
                got = np.equal(values[lo:lo + _BLOCK], text)
            except (TypeError, ValueError):
                got = None
            if got is not None and got.dtype == np.bool_:
                is_text[lo:lo + _BLOCK] = got
            else:
                is_text = None
        if out is not None and ends is not None and rows is not None:
            _types_into(col, values, rows[start:ends[k]], texts, out, start)
            start = int(ends[k])
    if is_text is None:
        is_text = col.isin([text]).to_numpy(dtype=bool)
    return is_text, out
