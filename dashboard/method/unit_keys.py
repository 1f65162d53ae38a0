"""Sort keys of evaluation units: school ids, county codes and years as integers that sort as
their text does (units.raw_units builds each unit's key from them; docs/method.md §8).

School ids of one length made of ASCII digits (the national codes) are read as the integers
they spell; any other ids are ranked as text (``id + ":"`` by bytes, as Python's ``sorted``
orders the unit ids).  Counties and years come in runs and are factorized by their runs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__: list[str] = []

_BLOCK = 4096  # texts joined at a time (see _digit_rows)


def _text(col: pd.Series) -> np.ndarray:
    """Return ``col.astype(str)`` as an object array (no conversion pass when it is text already)."""
    values = col.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(values, skipna=False) == "string":
        return values
    return col.astype(str).to_numpy(dtype=object)


def _sort_rank(values: np.ndarray) -> np.ndarray:
    """Return integer codes that sort like ``values`` (equal values, equal codes; NaN first).

    Counties and years come in runs (a county's schools together): when every value is text
    (or an integer), equal neighbours are equal values for ``pd.factorize`` too, so the runs'
    first values hold every distinct value and factorizing them alone gives the same codes.
    Text is checked on the runs' first values alone: a value equal to its neighbour is the
    text of its run's first value (an int, float, None or bytes never equals a str; a value
    whose comparison fails, such as pd.NA, sends every value to pd.factorize)."""
    if len(values) > 1 and values.dtype.kind in "iuO":
        new = np.empty(len(values), dtype=bool)  # a run starts: True
        new[0] = True
        try:
            np.not_equal(values[1:], values[:-1], out=new[1:])
            compared = True
        except (TypeError, ValueError):  # a comparison without a truth value (pd.NA)
            compared = False
        if compared:
            starts = np.flatnonzero(new)
            if 4 * len(starts) < len(values) and (values.dtype.kind in "iu" or pd.api.types.infer_dtype(
                    values[starts], skipna=False) == "string"):  # runs worth the detour
                firsts = values[starts]
                if _increasing(firsts):  # distinct and sorted already: pd.factorize's codes
                    codes = np.arange(1, len(firsts) + 1, dtype=np.int64)
                else:
                    codes = pd.factorize(firsts, sort=True)[0].astype(np.int64) + 1
                return np.repeat(codes, np.diff(np.r_[starts, len(values)]))
    codes = pd.factorize(values, sort=True)[0]
    return codes.astype(np.int64) + 1


def _increasing(values: np.ndarray) -> bool:
    """Whether ``values`` (integers, or objects) are strictly increasing integers or plain str
    (type str itself: ``<`` is code point order, a total order, as numpy's sort in
    pd.factorize reads it; a subclass may order otherwise).  Then sorting leaves them where
    they are, all distinct, and pd.factorize(values, sort=True) gives 0, 1, 2, …"""
    if values.dtype.kind == "O" and set(map(type, values)) != {str}:
        return False
    return bool((values[:-1] < values[1:]).all())


def _dense_rank(values: np.ndarray) -> np.ndarray:
    """Return the dense rank (1 for the smallest; equal values, equal rank) of integers."""
    order = np.argsort(values, kind="stable")  # little work on ids mostly in order already
    ordered = values[order]
    step = np.empty(len(values), dtype=np.int64)
    step[:1] = 1
    np.not_equal(ordered[1:], ordered[:-1], out=step[1:])
    out = np.empty(len(values), dtype=np.int64)
    out[order] = np.cumsum(step)
    return out


def _ranks_in_order(keys: np.ndarray, n: int) -> np.ndarray:
    """Return _dense_rank(keys) where the first ``n`` keys (the schools') come strictly
    increasing and every later one (a parent) is one of them, as a school table in code order
    has them: the schools' ranks are their places, a parent's its school's (no sort).
    Otherwise _dense_rank itself."""
    own, other = keys[:n], keys[n:]
    if n and bool((own[1:] > own[:-1]).all()):
        at = np.minimum(np.searchsorted(own, other), n - 1)
        if bool((own[at] == other).all()):
            return np.concatenate([np.arange(1, n + 1, dtype=np.int64), at + 1])
    return _dense_rank(keys)


def _school_ids(schools: pd.DataFrame, tp_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (every school's id as text, its rank, the rank of the parent ids of the rows
    ``tp_rows``) as _text and _id_codes give them.  Ids that are text already and spell
    digits (the national codes) are ranked as integers straight away: _text would return
    them as they are."""
    ids = schools["school_id"].to_numpy(dtype=object)
    parents = (schools["parent_school_id"].to_numpy(dtype=object)[tp_rows] if len(tp_rows)
               else np.empty(0, dtype=object))
    digits = _digit_keys(ids, parents)
    if digits is not None:  # all of them str (the join): _text's values
        rank = _ranks_in_order(digits, len(ids))
        return ids, rank[:len(ids)], rank[len(ids):]
    ids = _text(schools["school_id"])
    parents = _text(schools["parent_school_id"].iloc[tp_rows]) if len(tp_rows) else parents
    return (ids, *_id_codes(ids, parents))


def _id_codes(ids: np.ndarray, parents: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the sort rank of school ids as text and of the given parent ids, in one space.

    The rank orders ``id + ":"`` (the unit id's order, whatever the stage suffix) by code point,
    as Python's ``sorted`` does (pyarrow compares UTF-8 bytes, which orders the same).  Equal
    text, equal rank (dense), so the rank is also the id's identity: a parent is found by its
    rank, without joined text keys.
    """
    digits = _digit_keys(ids, parents)
    if digits is not None:
        # ids of one length, ASCII digits only (the national school codes): byte order is the
        # order of their integers (at most 18 digits), equal text, equal integer; no id is a
        # prefix of another (see below).  Ranking integer keys of them is cheaper.
        out = _dense_rank(digits)
        return out[:len(ids)], out[len(ids):]
    text = pa.array(np.concatenate([ids, parents]), type=pa.large_string())
    # pyarrow.compute generates its functions at import: mypy cannot see them.
    size = pc.min_max(pc.binary_length(text))  # type: ignore[attr-defined]
    if len(text) and size["min"].as_py() == size["max"].as_py():
        # ids of one length (the national school codes): none is a prefix of another, so
        # "id:" sorts as "id" does and the ":" need not be joined on
        joined = text
    else:
        joined = pc.binary_join_element_wise(  # type: ignore[attr-defined]
            text, pa.scalar(":", pa.large_string()), pa.scalar("", pa.large_string()))
    rank = pc.rank(joined, sort_keys="ascending", tiebreaker="dense")  # type: ignore[attr-defined]
    out = rank.to_numpy(zero_copy_only=False).astype(np.int64)
    return out[:len(ids)], out[len(ids):]


def _digit_rows(parts: tuple[np.ndarray, ...]) -> tuple[np.ndarray, int] | None:
    """Return (one row of bytes per text: its L digits then ``pad`` colons, the pad) when the
    texts of ``parts`` (one after another) are all of one length L (1–18) of ASCII digits,
    else None (empty, not all str, lengths differ, another character).

    C-level joins instead of an Arrow array: with rows of W bytes (a multiple of 8 above L)
    and ``sep`` = W − L colons, ``sep.join(texts + [""])`` (a separator after every text) must
    be n × W ASCII bytes whose every row is L digits then W − L colons.  Then the colons are
    n × (W − L), as many as the separators hold, so no text holds one and every run of colons
    is one separator (runs of W − L, never two separators around an empty text): each row is
    one text's L digits and a separator (a shorter or empty text would shift the colons off
    the rows).  The rows are checked as 8-byte words, every byte at once (see _bytes_within)."""
    parts = tuple(p for p in parts if len(p))
    n = sum(len(p) for p in parts)
    first = parts[0][0] if parts else None
    if not isinstance(first, str) or not 0 < len(first) <= 18:
        return None
    size = len(first)
    width = 8 * ((size + 8) // 8)
    sep = ":" * (width - size)
    try:
        # joined a block of texts at a time (the same text): a block's strings are read while
        # they are still in the cache (listed, measured, copied), not three passes over all
        pieces = [sep.join(p[i:i + _BLOCK].tolist()) for p in parts for i in range(0, len(p), _BLOCK)]
        pieces.append("")  # the last text's separator
        raw = sep.join(pieces).encode("ascii")
    except (TypeError, UnicodeEncodeError):  # not all text, or not ASCII
        return None
    if len(raw) != n * width:
        return None
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(n, width)
    low = np.array([ord("0")] * size + [ord(":")] * (width - size), dtype=np.uint8)
    high = np.array([ord("9")] * size + [ord(":")] * (width - size), dtype=np.uint8)
    if not _bytes_within(rows, low, high):
        return None
    return rows, width - size


def _bytes_within(rows: np.ndarray, low: np.ndarray, high: np.ndarray) -> bool:
    """Whether every byte of the ASCII ``rows`` (n × W, W a multiple of 8) lies within
    [low[j], high[j]] (bytes 0x30–0x7F) for its column j.

    Read as 8-byte words: a byte x < 0x80 plus 0x80 − low has its top bit set exactly when
    x ≥ low, and x plus 0x7F − high exactly when x > high; neither sum passes 0xFF (x, low,
    high below 0x80, low at least 0x30), so no carry reaches the next byte.  One AND and one
    OR reduction of the sums, a column of words at a time (a scalar added to each: no
    broadcast over short rows), then tell every byte."""
    words = rows.view(np.uint64)  # native order on both sides: bytes keep their columns
    top = np.uint64(0x8080808080808080)
    scratch = np.empty(len(words), dtype=np.uint64)
    for j, (lo, hi) in enumerate(zip((0x80 - low).view(np.uint64), (0x7F - high).view(np.uint64), strict=True)):
        np.add(words[:, j], lo, out=scratch)
        if np.bitwise_and.reduce(scratch) & top != top:  # a byte below its low
            return False
        np.add(words[:, j], hi, out=scratch)
        if np.bitwise_or.reduce(scratch) & top:  # a byte above its high
            return False
    return True


def _digit_keys(*parts: np.ndarray) -> np.ndarray | None:
    """Return integers that order and tell apart the texts of ``parts`` as the integers they
    spell do (texts of one length of ASCII digits: see _digit_rows), else None.

    Up to 15 digits the key is the texts' digits packed 4 bits each (binary-coded decimal:
    each row's 8-byte words read big-endian, the digits' low nibbles gathered pairwise by
    shifts on whole words: the same order and equality); 16–18 digits are read as their
    integers (Horner, exact in int64: at most 57 × 111…1 < 2⁶³)."""
    got = _digit_rows(parts)
    if got is None:
        return None
    rows, pad = got
    width = rows.shape[1]
    if width <= 16:
        # each row's words read big-endian (the first digit the most significant byte); a
        # digit's low nibble is its value (a colon's, 0xA, trails the last word); the nibbles
        # are then gathered pairwise into one 32-bit number per word (4 bits a byte, in order)
        words = rows.view(">u8").astype(np.uint64)  # (n, width // 8), native order
        words &= np.uint64(0x0F0F0F0F0F0F0F0F)
        words |= words >> np.uint64(4)
        words &= np.uint64(0x00FF00FF00FF00FF)
        words |= words >> np.uint64(8)
        words &= np.uint64(0x0000FFFF0000FFFF)
        words |= words >> np.uint64(16)
        words &= np.uint64(0x00000000FFFFFFFF)
        # the colons' nibbles shifted out: the last word's 8 − pad digits below the first's 8
        key = words[:, -1] >> np.uint64(4 * pad)
        if width == 16:  # at most 15 digits: below 2^60
            key |= words[:, 0] << np.uint64(4 * (8 - pad))
        return key.astype(np.int64)
    size = width - pad
    out = rows[:, 0].astype(np.int64)
    for k in range(1, size):
        out *= 10
        out += rows[:, k]
    out -= ord("0") * ((10 ** size - 1) // 9)  # each digit's byte is its value + 48
    return out
