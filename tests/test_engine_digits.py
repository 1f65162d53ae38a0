"""``unit_keys._digit_keys`` reads the national school codes as integer keys from one joined text.

Its keys must order and tell apart the codes as the integers they spell do, and it must say
None for anything but texts of one length (1–18) made of ASCII digits, whatever
the texts hold: the separator it joins with (":"), blanks, signs, other digits, NUL, empty
texts, lengths that differ but add up to n × L, non-text values.  Checked against the plain
reading (``int(s)`` of every text when the rule holds); tests/test_engine_ranks.py checks the
ranks made of them against the text path.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from benchmarks.synthetic import synthetic_country
from dashboard.method import engine, unit_keys
from dashboard.method import school_text as unit_rows
from dashboard.method.coefficients import _sum_is_finite
from dashboard.method.engine import evaluate
from dashboard.method.standards import DEFAULT_PARAMS, SCHEMES
from dashboard.method.unit_keys import (
    _bytes_within,
    _dense_rank,
    _digit_keys,
    _increasing,
    _ranks_in_order,
    _sort_rank,
)
from dashboard.method.units import SHARED_COLUMNS, _equals, _type_flags, _types_are, raw_units


class _Code(str):
    """A str subclass (text for infer_dtype; equal to the plain str of its text)."""


def _same_order(keys: np.ndarray | None, ints: list[int] | None) -> bool:
    """Whether ``keys`` and the integers are both None or rank alike (order and equality)."""
    if keys is None or ints is None:
        return keys is None and ints is None
    want = _dense_rank(np.array(ints, dtype=np.int64)) if ints else np.zeros(0, np.int64)
    return keys.dtype == np.int64 and _dense_rank(keys).tolist() == want.tolist()


def _plain(values: list) -> list[int] | None:
    if not values or not all(isinstance(v, str) for v in values):
        return None
    width = len(values[0])
    if not 0 < width <= 18 or any(len(v) != width or not all("0" <= ch <= "9" for ch in v) for v in values):
        return None
    return [int(v) for v in values]


_DIGITS = st.text(alphabet="0123456789", min_size=3, max_size=3)
_ODD = st.sampled_from(["12:", ":12", "1:2", "", "1", "12", "1234", "+12", " 12", "12\x00", "١٢٣", "12a",
                        "\ud800ab", "999", "000"])
_VALUES = st.one_of(_DIGITS, _DIGITS, _DIGITS, _ODD, st.none(), st.integers(0, 999))


@settings(max_examples=300, deadline=None)
@given(values=st.lists(_VALUES, max_size=12))
@example(values=["123", "1", "12345"])  # lengths that add up to n × 3
@example(values=["12", "", "3456"])
@example(values=["12:", "456"])
@example(values=["123", "456", ""])  # the trailing separator of an empty last text
@example(values=["12", "34", "5:"])
def test_digit_keys_rank_as_the_plain_reading(values):
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    assert _same_order(_digit_keys(arr), _plain(values))


@settings(max_examples=150, deadline=None)
@given(a=st.lists(_VALUES, max_size=9), b=st.lists(_VALUES, max_size=5), block=st.integers(1, 4))
@example(a=["123", "456", "78"], b=["9"], block=2)  # lengths add up across blocks
def test_digit_keys_joined_in_blocks_are_those_joined_at_once(a, b, block):
    """unit_keys._digit_rows joins a block of texts at a time: any block size gives the keys
    (or the None) of the plain reading."""
    arrays = []
    for values in (a, b):
        arr = np.empty(len(values), dtype=object)
        arr[:] = values
        arrays.append(arr)
    saved = unit_keys._BLOCK
    unit_keys._BLOCK = block
    try:
        got = _digit_keys(*arrays)
    finally:
        unit_keys._BLOCK = saved
    assert _same_order(got, _plain(a + b))


@given(width=st.integers(1, 20), values=st.lists(st.integers(0, 10**20), min_size=1, max_size=8))
def test_every_width_up_to_eighteen_digits(width, values):
    texts = [str(v % 10**width).zfill(width) for v in values]
    got = _digit_keys(np.array(texts, dtype=object))
    assert _same_order(got, None if width > 18 else [int(t) for t in texts])


@settings(max_examples=200, deadline=None)
@given(words=st.integers(1, 3), data=st.data())
def test_bytes_within_is_the_plain_byte_check(words, data):
    """unit_keys._bytes_within reads 8-byte words: every ASCII byte checked against its
    column's bounds as the plain byte comparison does (bytes at, below and above the bounds)."""
    width = 8 * words
    low = np.array(data.draw(st.lists(st.integers(0x30, 0x7F), min_size=width, max_size=width)), dtype=np.uint8)
    high = np.array([data.draw(st.integers(int(lo), 0x7F)) for lo in low], dtype=np.uint8)
    near = st.one_of(st.integers(0, 0x7F), st.sampled_from([0x2F, 0x30, 0x39, 0x3A, 0x3B, 0x7F]))
    n = data.draw(st.integers(1, 5))
    rows = np.array([[data.draw(st.one_of(near, st.integers(int(low[j]), int(high[j])))) for j in range(width)]
                     for _ in range(n)], dtype=np.uint8)
    assert _bytes_within(rows, low, high) == bool(((rows >= low) & (rows <= high)).all())


@given(values=st.lists(st.sampled_from(["110101", "110102", "2", "", "a", "é", _Code("110103")]), max_size=6),
       ints=st.lists(st.integers(-3, 3), max_size=6))
@example(values=["110101", "110102", "110103"], ints=[-1, 0, 2])
@example(values=["110101", _Code("110102")], ints=[])
def test_increasing_runs_firsts_factorize_as_they_stand(values, ints):
    """unit_keys._increasing lets _sort_rank skip pd.factorize: strictly increasing plain str
    (not a subclass) or integers are pandas' sorted codes 0, 1, 2, … as they stand."""
    for arr in (np.array(values, dtype=object), np.array(ints, dtype=np.int64)):
        if len(arr) and _increasing(arr):
            assert (pd.factorize(arr, sort=True)[0] == np.arange(len(arr))).all()
            assert arr.dtype != object or all(type(v) is str for v in arr)


def test_float_columns_with_and_without_nan_give_the_same_units():
    """A school float column with NaN is read as 0 (fillna); one without NaN skips the fill
    (units._Summer._no_nan): the units of a country with NaN sprinkled in are those of the same
    country with the NaN written as 0, bit for bit."""
    schools = synthetic_country(6, seed=3)
    rng = np.random.default_rng(7)
    holes = schools.copy()
    for name in (*SHARED_COLUMNS, "dorm_area_m2"):
        if holes[name].dtype == np.float64:
            holes.loc[rng.random(len(holes)) < 0.05, name] = np.nan
    filled = holes.fillna({name: 0.0 for name in (*SHARED_COLUMNS, "dorm_area_m2")})
    assert holes[list(SHARED_COLUMNS)].isna().any().any()
    a, b = evaluate(holes), evaluate(filled)
    for scheme in a.units:
        pd.testing.assert_frame_equal(a.units[scheme], b.units[scheme], check_exact=True)
    pd.testing.assert_frame_equal(a.indicators, b.indicators, check_exact=True)


@pytest.mark.parametrize("values", [[1.0, 2.0], [1.0, np.nan], [np.inf, -np.inf], [np.inf, -np.inf, np.nan],
                                    [1.7e308, 1.7e308], [-0.0], []])
def test_no_nan_is_what_isnan_says(values):
    """units._Summer._no_nan reads a column's sum first: a NaN sum (a NaN, or infinities of
    both signs) sends it to the values one by one; an overflowing sum is no NaN."""
    from dashboard.method.units import _Summer

    summer = _Summer.__new__(_Summer)
    summer._nan_free = {}
    col = pd.Series(values, dtype=float)
    assert summer._no_nan("x", col) is (not bool(np.isnan(col.to_numpy()).any()))


@settings(max_examples=150, deadline=None)
@given(values=st.lists(st.sampled_from(["110101", "110102", _Code("110101"), "", None, pd.NA, float("nan"), 7,
                                        b"110101"]), min_size=1, max_size=10),
       lengths=st.lists(st.integers(1, 9), min_size=10, max_size=10))
def test_sort_rank_checks_text_on_the_runs_first_values(values, lengths):
    """unit_keys._sort_rank reads the runs' first values only to tell text: runs mixing pd.NA,
    bytes, numbers, None and str subclasses still give pandas' sorted factorize (or its error)."""
    col = np.empty(sum(lengths[:len(values)]), dtype=object)
    col[:] = [v for v, k in zip(values, lengths, strict=False) for _ in range(k)]
    try:
        want = pd.factorize(col, sort=True)[0].astype(np.int64) + 1
    except TypeError:
        with pytest.raises(TypeError):
            _sort_rank(col)
        return
    assert _sort_rank(col).tolist() == want.tolist()


@given(a=st.lists(_VALUES, max_size=6), b=st.lists(_VALUES, max_size=6))
def test_digit_keys_of_parts_are_those_of_the_parts_joined(a, b):
    arrays = []
    for values in (a, b):
        arr = np.empty(len(values), dtype=object)
        arr[:] = values
        arrays.append(arr)
    got, want = _digit_keys(*arrays), _digit_keys(np.concatenate(arrays))
    assert (got is None and want is None) or (got is not None and want is not None and got.tolist() == want.tolist())


@settings(max_examples=150, deadline=None)
@given(values=st.lists(st.sampled_from(["twelve_year", "complete_secondary", "nine_year", "", None, pd.NA,
                                        float("nan"), 3, _Code("twelve_year"), b"twelve_year"]), max_size=10),
       data=st.data())
def test_types_are_the_text_of_astype_str(values, data):
    """school_text._types_are compares the values as they stand when a block holds only str (plain
    or a subclass), else as astype(str) spells them (bytes decoded, None, NaN, pd.NA): the
    flags of ``col.iloc[rows].astype(str) == text``, a block of rows at a time or at once."""
    rows = np.array(data.draw(st.lists(st.integers(0, max(len(values) - 1, 0)), max_size=8)) if values else [],
                    dtype=np.int64)
    texts = ("twelve_year", "complete_secondary")
    for col in (pd.Series(values, dtype=object), pd.Series(values, dtype="category") if values and all(
            isinstance(v, str) for v in values) else pd.Series(values, dtype=object)):
        want = [col.iloc[rows].astype(str).to_numpy() == text for text in texts]
        saved = unit_rows._BLOCK
        try:
            for block in (saved, 2):
                unit_rows._BLOCK = block
                got = _types_are(col, rows, texts)
                assert [g.dtype for g in got] == [np.dtype(bool)] * 2
                assert [g.tolist() for g in got] == [w.tolist() for w in want]
        finally:
            unit_rows._BLOCK = saved


@settings(max_examples=150, deadline=None)
@given(values=st.lists(st.sampled_from(["teaching_point", "twelve_year", "complete_secondary", "", None, pd.NA,
                                        float("nan"), 3, _Code("twelve_year"), b"twelve_year",
                                        _Code("teaching_point")]), max_size=10),
       data=st.data(), block=st.integers(1, 4))
def test_type_flags_are_equals_and_types_are(values, data, block):
    """school_text._type_flags reads a column once, a block of schools at a time: the teaching
    points as _equals gives them (isin when a value has no truth value) and the typed rows'
    flags as _types_are gives them, or None without rows."""
    col = pd.Series(values, dtype=object)
    rows = np.array(sorted(set(data.draw(st.lists(st.integers(0, max(len(values) - 1, 0)), max_size=8))))
                    if values else [], dtype=np.int64)
    texts = ("complete_secondary", "twelve_year")
    saved = unit_rows._BLOCK
    unit_rows._BLOCK = block
    try:
        for typed in (rows, None):
            is_text, flags = _type_flags(col, "teaching_point", typed, texts)
            assert is_text.dtype == np.bool_ and is_text.tolist() == col.isin(["teaching_point"]).tolist()
            if typed is None:
                assert flags is None
            else:
                assert flags is not None
                assert [f.tolist() for f in flags] == [(col.iloc[rows].astype(str).to_numpy() == t).tolist()
                                                       for t in texts]
    finally:
        unit_rows._BLOCK = saved


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.sampled_from(["teaching_point", "primary", "", None, pd.NA, float("nan"), 3,
                                        _Code("teaching_point"), b"teaching_point"]), max_size=12))
def test_text_equality_is_isin(values):
    """units._equals compares a column with a text as isin does (pd.NA, bytes, numbers,
    a str subclass)."""
    col = pd.Series(values, dtype=object)
    assert _equals(col, "teaching_point").tolist() == col.isin(["teaching_point"]).tolist()


@given(st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([1e308, -1e308])),
                max_size=20))
def test_a_finite_sum_means_every_value_is_finite(values):
    """coefficients._sum_is_finite lets a statistics pass skip its mask: it may say no for
    finite values (a sum that overflows), never yes for a NaN or an infinity."""
    x = np.array(values, dtype=float)
    if _sum_is_finite(x):
        assert np.isfinite(x).all()
    with np.errstate(over="ignore"):
        small = bool(np.isfinite(np.abs(x).sum()))
    if np.isfinite(x).all() and small:
        assert _sum_is_finite(x)


def test_indicator_rows_side_by_side_are_the_sorted_rows():
    """engine._indicator_table reads the schemes' tables side by side when their groups are
    the same; the general path sorts every row: the same frame, bit for bit."""
    raw = raw_units(synthetic_country(5, seed=11), DEFAULT_PARAMS)
    results = {s: engine._scheme_tables(raw, s, DEFAULT_PARAMS) for s in SCHEMES}
    fast = engine._indicator_table(results)
    slow = engine._indicator_rows_sorted(sorted(results.items(), key=lambda sr: engine._scheme_rank(sr[0])))
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)
    for c in fast.columns:
        a, b = fast[c].to_numpy(), slow[c].to_numpy()
        assert a.dtype == b.dtype and (a.tobytes() == b.tobytes() if a.dtype != object else a.tolist() == b.tolist())


@given(own=st.lists(st.integers(0, 40), max_size=12), other=st.lists(st.integers(0, 40), max_size=6),
       in_order=st.booleans())
def test_ranks_in_order_are_the_dense_rank(own, other, in_order):
    """unit_keys._ranks_in_order reads the ranks off schools already in code order (no sort)
    and gives _dense_rank's ranks, parents found or not, order or not."""
    if in_order:
        own = sorted(set(own))
        other = [own[i % len(own)] for i in other] if own else []
    keys = np.array(own + other, dtype=np.int64)
    assert _ranks_in_order(keys, len(own)).tolist() == _dense_rank(keys).tolist()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.one_of(st.floats(0, 3000), st.just(float("nan")), st.just(float("inf")),
                                   st.just(-1.0)), min_size=7, max_size=7), min_size=1, max_size=8),
       st.lists(st.booleans(), min_size=8, max_size=8))
def test_quality_rule_reads_the_lowest_ratio(rows, primary):
    """compliance.quality_rule_columns: every ratio at least the fraction when the lowest is
    (NaN kept by np.minimum): the plain rule, unit by unit."""
    from dashboard.method.compliance import (
        QUALITY_MIN_MET,
        QUALITY_REST_FRACTION,
        quality_rule_columns,
    )
    from dashboard.method.profiles_school import AT_MINIMUM_RTOL
    from dashboard.method.standards import INDICATORS, QUALITY_IDS

    units = {"stage": np.array(["primary" if p else "junior" for p in primary[:len(rows)]]),
             **{q: np.array([r[j] for r in rows]) for j, q in enumerate(QUALITY_IDS)}}
    got = quality_rule_columns(units)
    for i, stage in enumerate(units["stage"]):
        ratios = [units[q][i] / INDICATORS[q].minimum(str(stage)) for q in QUALITY_IDS]
        met = sum(r >= 1.0 - AT_MINIMUM_RTOL for r in ratios)
        rest = all(r >= QUALITY_REST_FRACTION * (1.0 - AT_MINIMUM_RTOL) for r in ratios)
        assert int(got["meets"][i]) == met and bool(got["school_pass"][i]) == (met >= QUALITY_MIN_MET and rest)
