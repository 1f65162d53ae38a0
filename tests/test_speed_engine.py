"""The vectorised engine against a plain row-by-row reference on random counties (hypothesis),
and its school rules and contribution columns against unit-by-unit oracles.

The reference builds the units one school and stage at a time in Python (scope rules, teaching
points merged into their parent's primary unit, text sort of the unit keys) and computes every
coefficient with the scalar ``weighted_cv``; the engine's arrays must match it: same units in the
same order, same numbers (to 1e-12 relative: the reference sums in another order).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.method.coefficients import weighted_cv
from dashboard.method.compliance import QUALITY_MIN_MET, QUALITY_REST_FRACTION, quality_school_rule
from dashboard.method.engine import evaluate
from dashboard.method.profiles import load_profile
from dashboard.method.profiles_county import with_profile
from dashboard.method.profiles_school import APPROX, FAILED, MET, MISSING, judge_units
from dashboard.method.standards import (
    DEFAULT_PARAMS,
    INDICATORS,
    QUALITY_IDS,
    STAGES,
    EvalParams,
    scheme_ids,
)
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
                if tp and params.tp_basic == "exclude":
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
    DEFAULT_PARAMS.with_(tp_basic="exclude"),
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


# --------------------------------------------------------------------------- rules and contributions
# The engine judges the school rules once per kind of state row and computes each unit's
# contribution from the statistics' own deviations; these oracles work unit by unit.

def _status(met: int, approx: int, missing: int, min_met: int) -> str:
    """The basic rule's status as profiles_school's docstring states it."""
    if met >= min_met:
        return "pass"
    if met + approx + missing < min_met:
        return "fail"
    return "approximated" if met + approx >= min_met else "missing"


def _check_basic_rule(units: pd.DataFrame, profile) -> None:
    ids = [str(i["id"]) for i in profile.indicators]
    for u in units.to_dict("records"):
        states = [int(u[f"state_{i}"]) for i in ids]
        met, approx = states.count(MET), states.count(APPROX)
        missing = states.count(MISSING) + profile.n - len(ids)
        status = _status(met, approx, missing, profile.min_met)
        assert u["school_status"] == status
        assert u["school_pass"] == (status in ("pass", "approximated"))
        assert u["meets"] == met + approx
        assert u["failing"] == tuple(i for i, s in zip(ids, states) if s == FAILED)
        assert u["uncertain"] == tuple(i for i, s in zip(ids, states) if s in (MISSING, APPROX))
        assert u["approximated"] == tuple(i for i, s in zip(ids, states) if s == APPROX)


def _check_quality_rule(units: pd.DataFrame) -> None:
    for u in units.to_dict("records"):
        ratios = {q: u[q] / INDICATORS[q].minimum(u["stage"]) for q in QUALITY_IDS}
        met = [q for q, r in ratios.items() if r >= 1.0]
        lowest = min(0.0 if math.isnan(r) else r for r in ratios.values())
        assert u["meets"] == len(met)
        assert u["school_pass"] == (len(met) >= QUALITY_MIN_MET and lowest >= QUALITY_REST_FRACTION)
        assert u["school_status"] == ("pass" if u["school_pass"] else "fail")
        assert u["failing"] == tuple(q for q in QUALITY_IDS if q not in met)
        for q, r in ratios.items():
            assert u[f"ratio_{q}"] == r or (math.isnan(r) and math.isnan(u[f"ratio_{q}"]))


def _check_contributions(units: pd.DataFrame, ids: list[str]) -> None:
    """share: the unit's part of the group's weighted squared deviations; cvifmean: the scalar
    weighted CV with the unit's value set to the group mean."""
    for _, grp in units.groupby(["county_code", "year", "stage"], sort=False):
        w = grp["students"].to_numpy(float)
        for ind in ids:
            x = grp[ind].to_numpy(float)
            mean = (w * x).sum() / w.sum()
            dev = w * (x - mean) ** 2
            for i in range(len(x)):
                share = dev[i] / dev.sum() if dev.sum() > 0 else 0.0
                assert math.isclose(grp[f"share_{ind}"].iloc[i], share, rel_tol=1e-9, abs_tol=1e-12)
                moved = x.copy()
                moved[i] = mean
                expect, got = weighted_cv(moved, w), grp[f"cvifmean_{ind}"].iloc[i]
                assert (math.isnan(expect) and math.isnan(got)) or math.isclose(got, expect, rel_tol=1e-7,
                                                                                abs_tol=1e-9)


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), counties=st.integers(1, 3), blank=st.sampled_from([None, *SHARED_COLUMNS]),
       negative=st.booleans(), empty=st.booleans(),
       profile=st.sampled_from(["example_9of7", "anhui_10", "local_huanghua_10"]))
def test_engine_rules_and_contributions_match_unit_by_unit(seed: int, counties: int, blank: str | None,
                                                           negative: bool, empty: bool, profile: str) -> None:
    """Every unit's school rule (both schemes, any profile) and its contribution columns, with a
    resource missing in every school (its indicator 0: no CV), negative in some, or a county
    whose schools have no pupils (no unit, no group)."""
    schools = _random_schools(seed, counties, 1)
    if blank:
        schools[blank] = np.nan
    if negative:
        schools.loc[schools.index[::4], "computers"] = -3.0
    if empty:
        first = schools["county_code"] == schools["county_code"].iloc[0]
        schools.loc[first, ["students_primary", "students_junior"]] = 0
    ev = evaluate(schools, DEFAULT_PARAMS.with_(province_profile=profile))
    _check_basic_rule(ev.units["basic"], load_profile(profile))
    _check_quality_rule(ev.units["quality"])
    for scheme in ("basic", "quality"):
        _check_contributions(ev.units[scheme], list(scheme_ids(scheme)))
        # the verdicts count the failing units of each group
        units = ev.units[scheme]
        failing = (~units["school_pass"]).groupby([units["county_code"], units["year"], units["stage"]]).sum()
        v = ev.verdicts[ev.verdicts["scheme"] == scheme].set_index(["county_code", "year", "stage"])
        assert v["failing_units"].to_dict() == failing.to_dict()
    if empty:
        assert schools["county_code"].iloc[0] not in set(ev.verdicts["county_code"])


def test_class_rows_decide_the_class_size_item_unit_by_unit() -> None:
    """with_profile and class rows: a unit's BS9 is met or failed on its largest class (a teaching
    point's classes count for its parent's primary unit), and every status follows its states."""
    schools = _random_schools(21, 2, 1)
    ev = evaluate(schools)
    rng = np.random.default_rng(3)
    classes = pd.DataFrame([{"year": y, "school_id": str(sid), "stage": stage,
                             "pupils": int(rng.choice([30, 44, 45, 46, 49, 50, 51]))}
                            for y, sid, stage in ev.units["basic"][["year", "school_id", "stage"]].itertuples(index=False)
                            for _ in range(2)])
    moved = with_profile(ev, "example_9of7", classes=classes)
    units = moved.units["basic"]
    _check_basic_rule(units, load_profile("example_9of7"))
    largest = classes.groupby(["school_id", "stage"])["pupils"].max()
    for u in units.itertuples(index=False):
        own = float(largest[(str(u.school_id), u.stage)])
        figure = 45 if u.stage == "primary" else 50
        if u.merged_points == 0:
            assert u.value_BS9 == own
            assert u.state_BS9 == (MET if own <= figure else FAILED)
        else:  # its points' classes are its classes too
            assert u.value_BS9 >= own


def test_basic_rule_of_a_long_profile_matches_unit_by_unit() -> None:
    """A profile of 45 items (states packed 31 items at a time) and one of none."""
    prof = load_profile("example_9of7")
    items = tuple(dict(i, id=f"{i['id']}_{k}") for k in range(5) for i in prof.indicators)
    units = build_units(_random_schools(9, 3, 2), "basic")
    statuses = set()
    for p in (replace(prof, indicators=items, declared_items=47, min_met=30),
              replace(prof, indicators=items, declared_items=60, min_met=40),  # 15 items missing
              replace(prof, indicators=(), declared_items=3, min_met=0), prof):
        judged = judge_units(units, p)
        _check_basic_rule(units.join(judged.drop(columns="unit_id")), p)
        statuses |= set(judged["school_status"])
    assert statuses == {"pass", "fail", "missing", "approximated"}


_NEAR_ONE = st.sampled_from([0.999, 1.0, 1.001, 2.0])
_WEAK = st.sampled_from([0.0, 0.5, 0.849, 0.85, 0.851, 0.9, 0.999, 1.0, math.nan])


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(st.tuples(st.sampled_from(STAGES), st.lists(_NEAR_ONE, min_size=len(QUALITY_IDS),
                                                                 max_size=len(QUALITY_IDS)),
                               st.integers(0, len(QUALITY_IDS) - 1), _WEAK), min_size=0, max_size=30))
def test_quality_rule_matches_unit_by_unit_near_the_minimums(rows) -> None:
    """6 of 7 at their minimum and the rest at 85 %, on values at and around both edges (each
    unit's values about its minimums, one of them weaker)."""
    units = pd.DataFrame([{"unit_id": f"u{k}", "stage": stage,
                           **{q: (weak if j == at else f) * INDICATORS[q].minimum(stage)
                              for j, (q, f) in enumerate(zip(QUALITY_IDS, factors))}}
                          for k, (stage, factors, at, weak) in enumerate(rows)],
                         columns=["unit_id", "stage", *QUALITY_IDS])
    judged = quality_school_rule(units)
    assert list(judged["unit_id"]) == list(units["unit_id"])
    _check_quality_rule(units.join(judged.drop(columns="unit_id")))


def test_teaching_points_merge_into_parents_of_their_own_county_and_year() -> None:
    """Parents found by key within (county, year): the same ids in two counties, a parent id that
    sorts after every school id, a parent out of scope (private), a point with junior pupils
    (they join the parent's unit of the same stage; P has none, so they stay a junior unit of
    their own, never mixed into P's primary pupils: docs/method.md §6)."""
    base = dict(county_name="c", township="t", ownership="public", county_run=True, urban_rural_code=111,
                students_junior=0, students_senior=0, books=100.0, year=2024)
    rows = []
    for county in ("990001", "990002"):
        rows += [dict(base, county_code=county, school_id="P", school_name="P", school_type="primary",
                      parent_school_id=None, students_primary=100),
                 dict(base, county_code=county, school_id="T", school_name="T", school_type="teaching_point",
                      parent_school_id="P", students_primary=10, students_junior=4),
                 dict(base, county_code=county, school_id="U", school_name="U", school_type="teaching_point",
                      parent_school_id="ZZZ", students_primary=7),
                 dict(base, county_code=county, school_id="Q", school_name="Q", school_type="primary",
                      parent_school_id=None, students_primary=50, ownership="private"),
                 dict(base, county_code=county, school_id="V", school_name="V", school_type="teaching_point",
                      parent_school_id="Q", students_primary=5)]
    ev = evaluate(pd.DataFrame(rows))
    got = ev.units["basic"][["county_code", "unit_id", "students", "merged_points"]]
    assert got.values.tolist() == [[c, u, s, m] for c in ("990001", "990002")
                                   for u, s, m in (("T:junior", 4.0, 0), ("P:primary", 110.0, 1),
                                                   ("U:primary", 7.0, 0), ("V:primary", 5.0, 0))]


def test_a_teaching_point_never_merges_into_a_teaching_point() -> None:
    """The contract refuses a point whose parent is a point (``parent_exists``), but evaluate()
    may be handed an unchecked frame: a point under a point, or under itself, stays a unit of
    its own (a merge into a unit that is itself merged away would lose its pupils)."""
    base = dict(county_code="990001", county_name="c", township="t", ownership="public", county_run=True,
                urban_rural_code=111, students_junior=0, students_senior=0, books=100.0, year=2024,
                school_type="teaching_point")
    rows = [dict(base, school_id="P", school_name="P", school_type="primary", parent_school_id=None,
                 students_primary=100),
            dict(base, school_id="T", school_name="T", parent_school_id="P", students_primary=10),
            dict(base, school_id="X", school_name="X", parent_school_id="T", students_primary=6),
            dict(base, school_id="W", school_name="W", parent_school_id="W", students_primary=3)]
    units = evaluate(pd.DataFrame(rows)).units["basic"]
    assert units[["unit_id", "students", "merged_points"]].values.tolist() == [
        ["P:primary", 110.0, 1], ["W:primary", 3.0, 0], ["X:primary", 6.0, 0]]
    assert units["students"].sum() == 119


def test_the_engine_benchmark_times_functions_the_engine_has():
    """benchmarks/bench_engine.py times evaluate's stages by wrapping engine functions by
    name: every name is one evaluate calls, and each stage is timed (a renamed function
    would stop `make bench` with an AttributeError)."""
    from benchmarks import bench_engine
    from benchmarks.synthetic import synthetic_country

    got = bench_engine._stages(synthetic_country(4, seed=2), repeat=1)
    assert set(got) == {"total_s", *(f"{k}_s" for k in bench_engine._STAGES), "rest_s", "lazy_tables_s"}
    assert all(got[f"{k}_s"] > 0 for k in bench_engine._STAGES)


def test_the_floor_and_the_engine_are_timed_in_turns():
    """The engine bench times evaluate and its floor alternately (timing.measure_paired), so
    that each ratio compares two timings of one moment: calls alternate, every pair's ratio is
    kept, and x_floor is the ratio of the medians."""
    from benchmarks.timing import measure_paired

    calls: list[str] = []
    fig = measure_paired(lambda: calls.append("fn"), lambda: calls.append("floor"), repeat=3,
                         warmup=1, target_s=1.0)
    assert calls == ["floor", "fn"] * 4
    assert fig["runs"] == 3 and len(fig["x_floor_pairs"]) == 3 and fig["target_s"] == 1.0
    assert fig["x_floor"] == fig["median_s"] / fig["floor_median_s"]
