"""The engine's cheaper paths give what the plain ones gave, value for value.

``units._sort_rank`` factorizes the first value of each run (counties come in runs),
``units._id_codes`` ranks equal-length digit ids as integers and ``units._series_values``
gathers a school column per unit without a float copy of every school first.  Each is checked
against the plain computation it replaces (pandas' sorted factorize, pyarrow's dense rank of
the ``id + ":"`` text, ``_col(...)[rows]``) on generated inputs, including the cases that
would break them (text mixed with blanks, ids that are prefixes of others, signs, non-ASCII
digits, NaN in float columns).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dashboard.method.units import _col, _dense_rank, _id_codes, _series_values, _sort_rank


def _runs(draw_values: list, lengths: list[int]) -> np.ndarray:
    out = np.empty(sum(lengths), dtype=object)
    out[:] = [v for v, k in zip(draw_values, lengths, strict=True) for _ in range(k)]
    return out


_TEXT = st.sampled_from(["110101", "110102", "110100", "2", "", "a", "110101 "])
_ANY = st.one_of(_TEXT, st.none(), st.just(float("nan")), st.integers(0, 3))


@settings(max_examples=150, deadline=None)
@given(values=st.lists(st.one_of(_TEXT, _ANY), min_size=1, max_size=12),
       lengths=st.lists(st.integers(1, 9), min_size=12, max_size=12))
def test_sort_rank_is_a_sorted_factorize(values, lengths):
    col = _runs(values, lengths[:len(values)])
    try:
        want = pd.factorize(col, sort=True)[0].astype(np.int64) + 1
    except TypeError:  # text and numbers mixed: pandas refuses to sort them; so must we
        with pytest.raises(TypeError):
            _sort_rank(col)
        return
    assert _sort_rank(col).tolist() == want.tolist()


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.integers(-3, 2025), min_size=1, max_size=12),
       lengths=st.lists(st.integers(1, 9), min_size=12, max_size=12))
def test_sort_rank_of_integers(values, lengths):
    col = np.repeat(np.array(values, dtype=np.int64), lengths[:len(values)])
    assert _sort_rank(col).tolist() == (pd.factorize(col, sort=True)[0] + 1).tolist()


def _id_codes_by_text(ids: np.ndarray, parents: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The text path: the dense rank of ``id + ":"`` by bytes."""
    text = pa.array(np.concatenate([ids, parents]), type=pa.large_string())
    # pyarrow.compute generates its functions at import: mypy cannot see them.
    joined = pc.binary_join_element_wise(text, pa.scalar(":", pa.large_string()),  # type: ignore[attr-defined]
                                         pa.scalar("", pa.large_string()))
    out = pc.rank(joined, sort_keys="ascending",  # type: ignore[attr-defined]
                  tiebreaker="dense").to_numpy(zero_copy_only=False)
    return out[:len(ids)].astype(np.int64), out[len(ids):].astype(np.int64)


_DIGIT_IDS = st.text(alphabet="0123456789", min_size=4, max_size=4)
_ODD_IDS = st.sampled_from(["0012", "+012", "-012", " 012", "١٢٣٤", "12", "00120", "0012a"])


@settings(max_examples=200, deadline=None)
@given(ids=st.lists(st.one_of(_DIGIT_IDS, _DIGIT_IDS, _ODD_IDS), min_size=1, max_size=30),
       parents=st.lists(st.one_of(_DIGIT_IDS, _ODD_IDS), max_size=6))
def test_id_codes_rank_as_the_text_does(ids, parents):
    a, p = np.array(ids, dtype=object), np.array(parents, dtype=object)
    got, want = _id_codes(a, p), _id_codes_by_text(a, p)
    assert got[0].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist()


def test_eighteen_digit_ids_rank_as_integers_and_longer_ones_as_text():
    for width in (18, 19, 20):
        ids = np.array([str(10**width - 1 - k).zfill(width)[:width] for k in (5, 0, 3, 3, 9)], dtype=object)
        got, want = _id_codes(ids, ids[:2]), _id_codes_by_text(ids, ids[:2])
        assert got[0].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(-(2**62), 2**62), max_size=40))
def test_dense_rank(values):
    v = np.array(values, dtype=np.int64)
    assert _dense_rank(v).tolist() == (np.unique(v, return_inverse=True)[1].reshape(-1) + 1).tolist()


_COLUMNS = {
    "int": pd.Series([3, 0, -2, 7, 11], dtype=np.int64),
    "int32": pd.Series([3, 0, -2, 7, 11], dtype=np.int32),
    "float_nan": pd.Series([1.5, np.nan, -0.0, np.inf, 2.0]),
    "float32": pd.Series([1.5, np.nan, 0.25, 3.0, 2.0], dtype=np.float32),
    "bool": pd.Series([True, False, True, True, False]),
    "nullable": pd.Series([1, None, 3, 4, None], dtype="Int64"),
    "object": pd.Series([1, None, 2.5, "4", 0], dtype=object),
}


def test_school_values_are_the_float_column_gathered():
    frame = pd.DataFrame(_COLUMNS)
    rows = np.array([4, 0, 0, 2, 1, 3])
    for name in [*_COLUMNS, "absent"]:
        for default in (0.0, 1.0):
            try:
                want = _col(frame, name, default)[rows]
            except (TypeError, ValueError):
                continue
            got = _series_values(frame[name] if name in frame.columns else None, rows, default)
            assert got.dtype == want.dtype and got.tobytes() == want.tobytes(), name


def _shares_reading_every_type(schools: pd.DataFrame, params) -> np.ndarray:
    """stage_shares as it was: every school's type read (the oracle)."""
    a, b, c = (_col(schools, f"students_{s}") for s in ("primary", "junior", "senior"))
    stype = schools["school_type"].astype(str).to_numpy()
    p9, j9 = params.split_nine_year
    jw, sw = params.split_complete_secondary
    p12, j12, s12 = params.split_twelve_year
    is_wz, is_12 = stype == "complete_secondary", stype == "twelve_year"
    wa = np.where(is_12, p12, p9)
    wb = np.where(is_wz, jw, np.where(is_12, j12, j9))
    wc = np.where(is_wz, sw, np.where(is_12, s12, 1.0))
    wa_a, wb_b = wa * a, wb * b
    total = wa_a + wb_b
    total += wc * c
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.stack([wa_a / total, wb_b / total])
    share[:, ~(total > 0)] = 0.0
    return share


_TYPES = st.sampled_from(["primary", "junior", "nine_year", "teaching_point", "complete_secondary",
                          "twelve_year", None])
_COUNT = st.one_of(st.just(0), st.integers(-3, 3000), st.integers(-(2**62), 2**62))
_WEIGHT = st.one_of(st.floats(0.5, 2.0), st.sampled_from([1e-300, 1e300, 0.0, 1e250, 1e-250]))


@settings(max_examples=200, deadline=None)
@example(rows=[("complete_secondary", 0, 100, 0), ("twelve_year", 0, 0, 7)], weights=[1, 1, 0.0, 0.0, 1, 1, 0.0],
         floats=False)  # a weight 0: the type matters for a school of one stage
@example(rows=[("twelve_year", 2**62, 0, 0)], weights=[1, 1, 1, 1, 1e300, 1, 1], floats=False)  # overflow
@example(rows=[("twelve_year", 3, 0, 0)], weights=[1, 1, 1, 1, 1e-300, 1, 1], floats=False)
@example(rows=[("nine_year", 3, 5, 0), ("complete_secondary", 0, 5, 9)], weights=[1, 1.1, 1, 1.2, 1, 1.1, 1.32],
         floats=True)
@given(rows=st.lists(st.tuples(_TYPES, _COUNT, _COUNT, _COUNT), min_size=1, max_size=25),
       weights=st.lists(_WEIGHT, min_size=7, max_size=7), floats=st.booleans())
def test_shares_read_a_schools_type_only_where_it_can_matter(rows, weights, floats):
    from dashboard.method.standards import DEFAULT_PARAMS
    from dashboard.method.units import stage_shares

    params = replace(DEFAULT_PARAMS, split_nine_year=tuple(weights[:2]),
                                    split_complete_secondary=tuple(weights[2:4]),
                                    split_twelve_year=tuple(weights[4:]))
    frame = pd.DataFrame(rows, columns=["school_type", "students_primary", "students_junior", "students_senior"])
    if floats:  # float enrolments: every type is read
        frame[["students_primary", "students_junior"]] = frame[["students_primary", "students_junior"]] * 1.0
    with np.errstate(all="ignore"):  # huge enrolments × weights overflow, as they always did
        got = stage_shares(frame, params)
        want = _shares_reading_every_type(frame, params)
    assert got.to_numpy().T.tobytes() == np.ascontiguousarray(want).tobytes()
