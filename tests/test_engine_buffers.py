"""The engine's buffers give the columns the fresh arrays gave, bit for bit.

A scheme's stage-reported columns are gathered from one buffer of every school's
``<name>_<stage>`` (``units._series_into``), the numerators no school rule reads are summed into
a buffer for their indicator and made again on first read, and ``merged_points`` is made on
first read.  Each is checked against the plain computation (``_col``, a fresh column, the eager
``build_units``) on inputs that would break it: NaN, floats32, booleans, nullable and object
columns, teaching points merged into their parents.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np
import pandas as pd
import pytest

from benchmarks.synthetic import synthetic_country
from dashboard.method.engine import evaluate
from dashboard.method.profiles import profile_ids
from dashboard.method.profiles_school import judge_unit_columns, rule_reads
from dashboard.method.standards import DEFAULT_PARAMS, INDICATORS, QUALITY_IDS, SCHEMES, scheme_ids
from dashboard.method.units import (
    SHARED_COLUMNS,
    STAGE_COLUMNS,
    _col,
    _series_into,
    _Summer,
    build_units,
    raw_units,
    scheme_units,
)

_COLUMNS = {
    "int": pd.Series([3, 0, -2, 7, 1]),
    "float_nan": pd.Series([1.5, np.nan, -0.0, np.inf, 2.0]),
    "float32": pd.Series([1.5, np.nan, 0.25, 3.0, 2.0], dtype=np.float32),
    "bool": pd.Series([True, False, True, True, False]),
    "nullable": pd.Series([1, None, 3, 4, None], dtype="Int64"),
    "object": pd.Series([1, None, 2.5, "4", 0], dtype=object),
}


def _bits(a: np.ndarray) -> tuple[str, bytes]:
    return str(a.dtype), a.tobytes()


def test_series_into_writes_what_col_reads():
    frame = pd.DataFrame(_COLUMNS)
    for name in [*_COLUMNS, "absent"]:
        for default in (0.0, 1.0):
            try:
                want = _col(frame, name, default)
            except (TypeError, ValueError):
                continue
            out = np.full(len(frame), 99.0)
            got = _series_into(frame[name] if name in frame else None, out, default)
            assert got is out and _bits(got) == _bits(want), name


def _awkward_country() -> pd.DataFrame:
    """A small country with teaching points merged, NaN in a shared column and in a stage
    column, and a shared column of integers."""
    schools = synthetic_country(5, seed=4).copy()
    schools.loc[schools.index[::7], "books"] = np.nan
    schools["teachers_junior"] = schools["teachers_junior"].astype(float)
    schools.loc[schools.index[1::5], "teachers_junior"] = np.nan
    schools["computers"] = schools["computers"].fillna(0).astype(np.int64)
    return schools


@pytest.mark.parametrize("scheme", ["basic", "quality"])
def test_a_column_summed_into_a_buffer_is_the_fresh_column(scheme):
    raw = raw_units(_awkward_country())
    cols, _ = scheme_units(raw, scheme)
    # the scheme's own summer (with its merge): the one its lazy makers hold
    summer = next(m.args[0] for name in cols if not cols.made(name)
                  and getattr((m := cols._makers[name]), "func", None) is _Summer.made)
    assert scheme == "quality" or summer.merge is not None  # merges are exercised
    for name in (*STAGE_COLUMNS, *SHARED_COLUMNS, "boarders", "dorm_area_m2"):
        want = summer.column(name)
        buffer = np.full(len(want), 99.0)
        got = summer.column(name, out=buffer)
        assert got is buffer and _bits(got) == _bits(want), name


def test_numerators_left_to_first_read_are_the_eager_ones():
    schools = _awkward_country()
    ev = evaluate(schools)
    quality, basic = ev.units.columns("quality"), ev.units.columns("basic")  # type: ignore[attr-defined]
    for q in QUALITY_IDS:  # the quality rule reads the values alone
        assert not quality.made(INDICATORS[q].numerator), q
    assert not basic.made("teaching_aux_area_m2")  # B1's numerator: no basic item reads it
    assert not basic.made("merged_points") and not quality.made("merged_points")
    for scheme in ("basic", "quality"):
        eager = build_units(schools, scheme)
        frame = ev.units[scheme]
        names = ["merged_points", *{INDICATORS[i].numerator for i in scheme_ids(scheme)}, *scheme_ids(scheme)]
        for name in names:
            assert _bits(frame[name].to_numpy()) == _bits(eager[name].to_numpy()), (scheme, name)


class _Reads(Mapping[str, object]):
    """Unit columns that record which are read."""

    def __init__(self, columns: Mapping[str, object]) -> None:
        self.columns, self.read = columns, set[str]()

    def __getitem__(self, name: str) -> object:
        self.read.add(name)
        return self.columns[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.columns)

    def __len__(self) -> int:
        return len(self.columns)


@pytest.mark.parametrize("profile", profile_ids())
def test_rule_reads_names_every_column_a_profile_reads(profile):
    units = build_units(synthetic_country(3, seed=1), "basic")
    cols = _Reads({c: units[c] for c in units.columns})
    judge_unit_columns(cols, profile)
    assert cols.read - {"unit_id", "stage", "year"} <= rule_reads(profile)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_streamed_values_are_the_columns_made_later(scheme):
    """scheme_units_streamed: each indicator's values as handed over (those no rule reads in
    one rewritten buffer) are its column as scheme_units makes it, bit for bit, and a value
    left to first read is made then with the same bits (units.py)."""
    from dashboard.method.units import scheme_units_streamed

    schools = synthetic_country(8, seed=6)
    schools.loc[schools.index[:5], "books"] = np.nan
    raw = raw_units(schools)
    plain, _ = scheme_units(raw, scheme)
    reads = frozenset({"students", "teachers"})
    cols, _, values = scheme_units_streamed(raw, scheme, DEFAULT_PARAMS, reads)
    seen = {ind: v.copy() for ind, v in values}
    assert list(seen) == list(scheme_ids(scheme))
    for ind, v in seen.items():
        assert cols.made(ind) is (ind in reads)
        assert v.tobytes() == plain[ind].tobytes() == cols[ind].tobytes(), ind
    assert list(cols) == list(plain)


@pytest.mark.parametrize("ind_id", ["B1", "B4", "Q1"])
def test_an_indicator_value_written_into_a_buffer_is_the_fresh_one(ind_id):
    """units._indicator_value with ``out``: the fresh array's bits, NaN without pupils."""
    from dashboard.method.units import _indicator_value

    num = np.array([3.0, 0.0, -0.0, 7.5, np.nan, 2.0, 1.0])
    students = np.array([2.0, 0.0, 5.0, np.nan, 4.0, -1.0, 3.0])
    for everyone in (False, True):
        fresh = _indicator_value(ind_id, num, students, everyone)
        out = np.full(len(num), 9.0)
        got = _indicator_value(ind_id, num, students, everyone, out=out)
        assert got is out and got.tobytes() == fresh.tobytes()
