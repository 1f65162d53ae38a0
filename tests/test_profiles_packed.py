"""The packed path's item states are the plain reading's, bit for bit.

judge_unit_columns with ``items_later`` (the engine's call) packs each item's states as it is
judged, read by ``_fast_states`` (states alone, in reused buffers, each stage's bound compared
as a scalar) where it covers the item and by ``_item_states`` (the plain reading, which also
makes the values) where not.  Both are checked against each other on inputs that would break
the fast reading: NaN, infinities, zero and negative denominators, negative zero, units of no
stage, figures missing for a stage, class bands out of order, not-applicable columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.method.profiles import load_profile, profile_ids
from dashboard.method.profiles_school import (
    APPROX,
    MISSING,
    _fast_states,
    _item_states,
    _packed_rows,
    _Scratch,
    _state_rows,
    _Units,
    judge_unit_columns,
)

_NUMBERS = st.sampled_from([0.0, -0.0, 1.0, 3.0, 4.5, 4.499999999999999, 20.0, 22.0, 55.0, 60.0,
                            -3.0, 1e308, np.nan, np.inf, -np.inf, 12.0, 13.0, 9.0, 35000.0,
                            34999.99999, 150000.0])
_COLUMNS = ("building_area_m2", "sports_area_m2", "dorm_area_m2", "boarders", "books", "students",
            "teachers", "computers", "classes", "equipment_value_yuan", "experiment_equipment_yuan",
            "land_area_m2", "rooms", "green_area_m2", "site_area_m2", "teachers_above_degree")

# items the fast reading covers, in shapes the profiles do not all use
_ITEMS = [
    {"id": "R1", "kind": "ratio_min", "numerator": "books", "denominator": "students",
     "primary": 20, "junior": 30},
    {"id": "R2", "kind": "ratio_min", "numerator": "books", "denominator": "students",
     "primary": 20, "junior": 20, "scale": 100},
    {"id": "R3", "kind": "ratio_max", "numerator": "students", "denominator": "teachers",
     "primary": 22, "junior": None},
    {"id": "R4", "kind": "ratio_min", "numerator": "dorm_area_m2", "denominator": "boarders",
     "subtract": "land_area_m2", "primary": None, "junior": 3.5, "not_applicable_when": "boarders"},
    {"id": "R5", "kind": "ratio_max", "numerator": "rooms", "denominator": "classes", "scale": 2.5,
     "primary": 1, "junior": 1.5, "not_applicable_when": "rooms"},
    {"id": "R6", "kind": "ratio_min", "numerator": "books", "denominator": "students",
     "primary": None, "junior": None},
    {"id": "C1", "kind": "total_by_classes", "numerator": "equipment_value_yuan",
     "primary": [[12, 35000], [999999, 50000]], "junior": [[9, 100000], [999999, 150000]],
     "preferred_numerator": "absent_column"},
    {"id": "C2", "kind": "total_by_classes", "numerator": "equipment_value_yuan", "classes": "rooms",
     "primary": [[13, 35000], [12, 1], [13, 2], [60, 50000.5]], "junior": []},
    {"id": "C3", "kind": "total_by_classes", "numerator": "absent_column",
     "primary": [[12, 35000]], "junior": [[3.0, 7]]},
    {"id": "S1", "kind": "class_size", "primary": 45, "junior": 50},
    {"id": "S2", "kind": "class_size", "primary": 55, "junior": 55},
    {"id": "S3", "kind": "class_size", "primary": None, "junior": 50},
    {"id": "A1", "kind": "all_classes_av"},
]
_PROFILE_ITEMS = [ind for p in profile_ids() for ind in load_profile(p).indicators]


@st.composite
def _units(draw: st.DrawFn) -> dict[str, np.ndarray]:
    n = draw(st.integers(1, 40))
    stages = st.sampled_from(["primary", "junior"] + (["other"] if draw(st.booleans()) else []))
    units: dict[str, np.ndarray] = {"stage": np.array(draw(st.lists(stages, min_size=n, max_size=n)))}
    for c in _COLUMNS:
        if c not in ("stage", "students", "classes") and draw(st.integers(0, 4)) == 0:
            continue  # a column absent
        units[c] = np.array(draw(st.lists(_NUMBERS, min_size=n, max_size=n)))
    units["av_all_classes"] = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    return units


def _plain(units: dict[str, np.ndarray], ind: dict) -> np.ndarray:
    with np.errstate(all="ignore"):
        return _item_states(_Units(units), ind, None)[1]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_units())
def test_fast_states_are_the_plain_readings(units):
    u = _Units(units)
    scratch = _Scratch(u.n)
    for ind in _ITEMS + _PROFILE_ITEMS:
        with np.errstate(all="ignore"):
            fast = _fast_states(u, ind, None, scratch)
        try:
            plain = _plain(units, ind)
        except TypeError:  # no class counts to band: the plain reading raises, and the packed path takes it
            assert fast is None and ind.get("classes", "classes") not in units
            continue
        if fast is None:  # not covered: another kind, or a column it reads absent
            named = [ind.get(k) for k in ("numerator", "denominator", "subtract", "preferred_numerator")]
            assert (ind["kind"] in ("flag", "share_min")
                    or ind.get("preferred_numerator") in units
                    or any(c and c not in units for c in named[:3])), ind["id"]
            continue
        assert fast.dtype == np.uint8
        np.testing.assert_array_equal(fast.astype(np.int64), plain, err_msg=ind["id"])


def test_the_fast_readings_cover_what_they_say():
    units = {"stage": np.array(["primary", "junior", "other"]),
             **{c: np.array([1.0, 2.0, 3.0]) for c in _COLUMNS},
             "av_all_classes": np.array([True, False, True])}
    u = _Units(units)
    del units["experiment_equipment_yuan"]
    u = _Units(units)
    for ind in _ITEMS:
        assert _fast_states(u, ind, None, _Scratch(u.n)) is not None, ind["id"]
    assert _fast_states(u, _ITEMS[-4], pd.DataFrame({"unit_id": ["x"], "year": [1], "largest": [9.0]}),
                        _Scratch(u.n)) is None  # class rows: the plain reading
    # C1 names a column it lacks (approximated); C3 reads no total (every unit missing)
    assert set(_fast_states(u, _ITEMS[6], None, _Scratch(u.n))) <= {0, APPROX, MISSING}
    assert set(_fast_states(u, _ITEMS[8], None, _Scratch(u.n))) == {MISSING}


@pytest.mark.parametrize("bands", [[[12, "35000"]], [[True, 5]], [[12, np.nan]], [[2**60 + 1, 5]],
                                   [[12]], ((12, 5),)])
def test_odd_bands_take_the_plain_reading(bands):
    units = {"stage": np.array(["primary", "junior"]), "classes": np.array([3.0, 20.0]),
             "equipment_value_yuan": np.array([1.0, 2.0])}
    u = _Units(units)
    ind = {"id": "C", "kind": "total_by_classes", "numerator": "equipment_value_yuan",
           "primary": bands, "junior": []}
    assert _fast_states(u, ind, None, _Scratch(2)) is None


def test_masks_in_both_stages_take_the_plain_reading():
    class Both(dict):
        def stage_masks(self):
            return {"primary": np.array([True, True]), "junior": np.array([True, False])}

    u = _Units(Both(books=np.array([1.0, 50.0]), students=np.array([1.0, 1.0])))
    assert _fast_states(u, _ITEMS[0], None, _Scratch(2)) is None


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_units(), st.sampled_from([*profile_ids(), "many"]))
def test_packed_rows_are_the_plain_rows(units, profile):
    """Up to ten items packed in an int32 and read off a marked table, more in an int64."""
    items = (load_profile(profile).indicators if profile != "many"
             else [i for i in _ITEMS + _PROFILE_ITEMS if i.get("classes", "classes") in units][:31])
    u = _Units(units)
    with np.errstate(all="ignore"):
        row, table = _packed_rows(u, items, None)
        states = [_item_states(u, ind, None)[1] for ind in items]
    plain_row, kinds = _state_rows(states, u.n)
    assert len(table) == kinds
    # the same partition of units, and each unit's states read back from its row's kind
    np.testing.assert_array_equal(table[row], np.array(states, dtype=np.int64).reshape(len(items), u.n).T)
    assert len(set(zip(row.tolist(), plain_row.tolist()))) == kinds


@pytest.mark.parametrize("profile", profile_ids())
def test_judged_with_items_later_as_without(profile):
    from benchmarks.synthetic import synthetic_country
    from dashboard.method.units import build_units

    units = build_units(synthetic_country(3, seed=2), "basic")
    cols = {c: units[c].to_numpy() for c in units.columns}
    later = judge_unit_columns(cols, profile, items_later=lambda: cols)
    plain = judge_unit_columns(cols, profile)
    for name in ("meets", "school_pass", "school_status", "failing", "uncertain", "approximated"):
        np.testing.assert_array_equal(later[name], plain[name], err_msg=name)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.lists(_NUMBERS, min_size=7, max_size=7)), min_size=1, max_size=12))
def test_quality_ratios_are_the_gathered_quotients(rows):
    """compliance._ratio_to_minimum: an indicator with one minimum for both stages divides by
    it without the gather; the same bits as each unit's stage minimum."""
    from dashboard.method.compliance import quality_ratio_columns, quality_rule_columns
    from dashboard.method.standards import INDICATORS, QUALITY_IDS

    primary = np.array([p for p, _ in rows])
    values = {q: np.array([v[j] for _, v in rows]) for j, q in enumerate(QUALITY_IDS)}
    units = {"stage": np.where(primary, "primary", "junior"), **values}
    with np.errstate(all="ignore"):
        got = quality_rule_columns(units)
        later = quality_ratio_columns(values, primary)
        for q in QUALITY_IDS:
            mins = np.array([INDICATORS[q].minimum("primary" if p else "junior") for p in primary], dtype=float)
            want = values[q] / mins
            assert got[f"ratio_{q}"].tobytes() == want.tobytes() == later[f"ratio_{q}"].tobytes()


def _near(v: float, k: int) -> list[float]:
    out, down, up = [v], v, v
    for _ in range(k):
        down, up = np.nextafter(down, -np.inf), np.nextafter(up, np.inf)
        out += [down, up]
    return out


@pytest.mark.parametrize("minimum", [4.2, 5.3, 1.0, 0.9, 2000.0, 2500.0, 2.3, 2.4, 1e-300, 3e300, 7.0 / 3.0])
@pytest.mark.parametrize("ratio", [1.0 - 1e-9, 0.85 * (1.0 - 1e-9), 1.0, 0.1, 1e10])
def test_least_value_answers_the_division(minimum, ratio):
    """compliance._least_value: ``v >= least`` is ``v / minimum >= ratio`` for the floats
    around the boundary and far from it (numpy's division, as the ratio columns make)."""
    from dashboard.method.compliance import _least_value

    least = _least_value(minimum, ratio)
    if least is None:
        return
    around = _near(least, 40) + _near(ratio * minimum, 40)
    values = np.array(around + [0.0, -0.0, -1.0, np.nan, np.inf, -np.inf, 1e308, 5e-324])
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(values >= least, values / np.full(len(values), minimum) >= ratio)


def test_least_value_refuses_what_it_cannot_answer():
    from dashboard.method.compliance import _least_value

    for minimum, ratio in [(0.0, 1.0), (-1.0, 1.0), (np.nan, 1.0), (np.inf, 1.0), (1.0, 0.0),
                           (1.0, -0.5), (1.0, np.nan), (1e300, 1e300)]:
        assert _least_value(minimum, ratio) is None


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.lists(st.one_of(_NUMBERS, st.floats(0, 3000)), min_size=7,
                                                   max_size=7)), min_size=1, max_size=12))
def test_quality_rule_without_ratios_is_the_rule_with_them(rows):
    """quality_rule_columns(ratios=False) compares each value against its least value; with
    ratios it divides: the same verdicts."""
    from dashboard.method.compliance import quality_rule_columns
    from dashboard.method.standards import INDICATORS, QUALITY_IDS

    primary = np.array([p for p, _ in rows])
    values = {q: np.array([v[j] for _, v in rows]) for j, q in enumerate(QUALITY_IDS)}
    # values at each boundary too
    for j, q in enumerate(QUALITY_IDS):
        m = INDICATORS[q].minimum("primary" if primary[0] else "junior")
        values[q][0] = [m * (1 - 1e-9), m, np.nextafter(m * 0.85 * (1 - 1e-9), 0)][j % 3]
    units = {"stage": np.where(primary, "primary", "junior"), **values}
    with np.errstate(all="ignore"):
        plain, fast = quality_rule_columns(units), quality_rule_columns(units, ratios=False)
    for name in ("meets", "school_pass", "school_status", "failing"):
        np.testing.assert_array_equal(fast[name], plain[name], err_msg=name)


def test_more_bands_than_a_byte_indexes_take_the_plain_reading():
    units = {"stage": np.array(["primary", "junior"]), "classes": np.array([3.0, 300.0]),
             "equipment_value_yuan": np.array([1.0, 2.0])}
    ind = {"id": "C", "kind": "total_by_classes", "numerator": "equipment_value_yuan",
           "primary": [[k, k] for k in range(300)], "junior": [[1, 1]]}
    assert _fast_states(_Units(units), ind, None, _Scratch(2)) is None
    ind["primary"] = ind["primary"][:250]
    np.testing.assert_array_equal(_fast_states(_Units(units), ind, None, _Scratch(2)), _plain(units, ind))
