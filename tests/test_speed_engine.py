"""The vectorised engine against a plain row-by-row reference on random counties (hypothesis).

The reference builds the units one school and stage at a time in Python (scope rules, teaching
points merged into their parent's primary unit, text sort of the unit keys) and computes every
coefficient with the scalar ``weighted_cv``; the engine's arrays must match it: same units in the
same order, same numbers (to 1e-12 relative: the reference sums in another order).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.method.coefficients import weighted_cv
from dashboard.method.engine import evaluate
from dashboard.method.standards import DEFAULT_PARAMS, INDICATORS, STAGES, EvalParams, scheme_ids
from dashboard.method.units import SHARED_COLUMNS, STAGE_COLUMNS, build_units, stage_shares

_TYPES = ["primary", "junior", "nine_year", "teaching_point", "complete_secondary", "twelve_year"]


def _random_schools(seed: int, counties: int, years: int) -> pd.DataFrame:
    """Schools of several counties and years; ids that are prefixes of others ('12', '123'),
    ids repeated across counties, teaching points with, without and with a missing parent."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(counties):
        code = f"99{c:04d}"
        n = int(rng.integers(2, 14))
        ids = [str(x) for x in rng.choice([1, 12, 123, 2, 21, 3, 30, 301, 4, 45, 5, 9, 91, 911], n, replace=False)]
        types = rng.choice(_TYPES, n, p=[0.4, 0.15, 0.15, 0.2, 0.05, 0.05])
        primaries = [i for i, t in zip(ids, types) if t in ("primary", "nine_year")]
        for y in range(years):
            for sid, typ in zip(ids, types):
                has_p = typ in ("primary", "nine_year", "teaching_point", "twelve_year")
                has_j = typ in ("junior", "nine_year", "complete_secondary", "twelve_year")
                row = {"year": 2020 + y, "county_code": code, "county_name": "c", "school_id": sid,
                       "school_name": f"s{sid}", "township": "t", "school_type": typ,
                       "parent_school_id": (str(rng.choice([*primaries, "404"])) if primaries else "404")
                       if typ == "teaching_point" else None,
                       "ownership": "private" if rng.random() < 0.1 else "public",
                       "county_run": bool(rng.random() > 0.1), "urban_rural_code": 111,
                       "students_senior": int(rng.integers(100, 900)) if typ in ("complete_secondary", "twelve_year") else 0,
                       "boarders": int(rng.integers(0, 50)), "dorm_area_m2": float(rng.integers(0, 400)),
                       "classes_with_av": int(rng.integers(0, 30)), "music_rooms": 1, "art_rooms": 1}
                for stage, has in (("primary", has_p), ("junior", has_j)):
                    p = int(rng.integers(1 if typ == "teaching_point" else 0, 80 if typ == "teaching_point" else 1500)) if has else 0
                    t = int(p / rng.uniform(8, 25))
                    row.update({f"students_{stage}": p, f"classes_{stage}": math.ceil(p / 45), f"teachers_{stage}": t})
                    for a in ("above_degree", "mid_title", "backbone", "pe_art"):
                        row[f"teachers_{a}_{stage}"] = int(t * rng.uniform(0, 0.9))
                for col in SHARED_COLUMNS:
                    row[col] = float(rng.integers(0, 5000)) if rng.random() > 0.05 else np.nan
                rows.append(row)
    return pd.DataFrame(rows)


def _reference_units(schools: pd.DataFrame, scheme: str, params: EvalParams) -> list[dict]:
    """The units of ``scheme`` one school and stage at a time, as docs/method.md §6 states them."""
    shares = stage_shares(schools, params)
    units: list[dict] = []
    for i, s in enumerate(schools.to_dict("records")):
        for stage in STAGES:
            pupils = s[f"students_{stage}"]
            if pupils <= 0:
                continue
            private, county_run = s["ownership"] == "private", bool(s["county_run"])
            tp = s["school_type"] == "teaching_point"
            if scheme == "basic":
                if not county_run or (private and not params.include_private_basic):
                    continue
            else:
                small = pupils < params.tp_min_students if params.tp_min_inclusive else pupils <= params.tp_min_students
                if (tp and small) or (private and not params.include_private_quality) or (
                        not county_run and not params.include_non_county_run_quality):
                    continue
            u = {"county_code": s["county_code"], "year": s["year"], "stage": stage,
                 "unit_id": f"{s['school_id']}:{stage}", "school_id": s["school_id"], "tp": tp,
                 "parent": s["parent_school_id"], "merged_points": 0}
            for c in STAGE_COLUMNS:
                u[c] = float(s[f"{c}_{stage}"])
            for c in SHARED_COLUMNS:
                value = 0.0 if pd.isna(s[c]) else float(s[c])
                u[c] = value * float(shares[stage].iloc[i])
            units.append(u)
    if scheme == "basic":
        where = {(u["county_code"], u["year"], u["unit_id"]): u for u in units}
        merged = []
        for u in units:
            parent = where.get((u["county_code"], u["year"], f"{u['parent']}:primary")) if u["tp"] else None
            if parent is None:
                continue
            for c in (*STAGE_COLUMNS, *SHARED_COLUMNS):
                parent[c] += u[c]
            parent["merged_points"] += 1
            merged.append(id(u))
        units = [u for u in units if id(u) not in merged]
    units.sort(key=lambda u: (u["county_code"], u["year"], u["stage"], u["unit_id"]))
    for u in units:
        for ind in scheme_ids(scheme):
            spec = INDICATORS[ind]
            u[ind] = u[spec.numerator] * spec.scale / u["students"]
    return units


_PARAMS = st.sampled_from([
    DEFAULT_PARAMS,
    DEFAULT_PARAMS.with_(split_mode="plain", tp_min_inclusive=False),
    DEFAULT_PARAMS.with_(include_private_basic=True, include_private_quality=False,
                         include_non_county_run_quality=True, tp_min_students=20),
])


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), counties=st.integers(1, 4), years=st.integers(1, 2), params=_PARAMS)
def test_engine_matches_row_by_row_reference(seed: int, counties: int, years: int, params: EvalParams) -> None:
    schools = _random_schools(seed, counties, years)
    ev = evaluate(schools, params)
    for scheme in ("basic", "quality"):
        ref = _reference_units(schools, scheme, params)
        got = ev.units[scheme]
        assert list(got["unit_id"]) == [u["unit_id"] for u in ref]
        assert list(got["county_code"]) == [u["county_code"] for u in ref]
        assert list(got["year"]) == [u["year"] for u in ref]
        assert list(got["merged_points"]) == [u["merged_points"] for u in ref]
        ids = list(scheme_ids(scheme))
        for col in (*STAGE_COLUMNS, *SHARED_COLUMNS, *ids):
            np.testing.assert_allclose(got[col].to_numpy(float), [u[col] for u in ref], rtol=1e-12, atol=1e-9)
        # Every coefficient: the scalar weighted CV of the group's units.
        ind = ev.indicators[ev.indicators["scheme"] == scheme]
        for row in ind.itertuples(index=False):
            members = [u for u in ref if (u["county_code"], u["year"], u["stage"]) == (row.county_code, row.year, row.stage)]
            expect = weighted_cv([u[row.indicator] for u in members], [u["students"] for u in members])
            if math.isnan(expect):
                assert math.isnan(row.cv)
            else:
                assert math.isclose(row.cv, expect, rel_tol=1e-12, abs_tol=1e-15)
        groups = {(u["county_code"], u["year"], u["stage"]) for u in ref}
        assert len(ind) == len(groups) * len(ids)
    # The indicator table's order: county, year, stage, scheme, indicator (as sort_values gives).
    key = ev.indicators[["county_code", "year", "stage", "scheme", "indicator"]]
    pd.testing.assert_frame_equal(key, key.sort_values(list(key.columns), kind="stable").reset_index(drop=True))
    verdict_key = ev.verdicts[["county_code", "year", "stage", "scheme"]]
    assert verdict_key.equals(verdict_key.sort_values(list(verdict_key.columns)).reset_index(drop=True))


def test_build_units_is_the_engines_units() -> None:
    """build_units (the public one-scheme path) and evaluate's units are the same rows and values."""
    schools = _random_schools(7, 3, 2)
    ev = evaluate(schools)
    for scheme in ("basic", "quality"):
        mine = build_units(schools, scheme)
        pd.testing.assert_frame_equal(ev.units[scheme][list(mine.columns)], mine, check_exact=True)
