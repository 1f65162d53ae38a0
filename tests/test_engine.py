"""Evaluation units, indicators, scope rules, school rules, verdicts and the JSON report."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from schoolframes import frame, random_county, school, uniform_primary

from dashboard.method.coefficients import weighted_cv
from dashboard.method.compliance import basic_school_rule, quality_school_rule
from dashboard.method.engine import evaluate, to_report
from dashboard.method.gaps import group_ratios, group_table, theil_table, urban_rural_class
from dashboard.method.standards import (
    BASIC_IDS,
    DEFAULT_PARAMS,
    QUALITY_IDS,
    EvalParams,
    cv_threshold,
)
from dashboard.method.units import build_units, stage_shares

# --------------------------------------------------------------------------- indicators


def _two_primary() -> pd.DataFrame:
    a = school("A", students_primary=100, classes_primary=3, teachers_primary=6, teachers_above_degree_primary=5,
               teachers_mid_title_primary=3, teachers_backbone_primary=1, teachers_pe_art_primary=1,
               teaching_aux_area_m2=500, sports_area_m2=800, equipment_value_yuan=200_000, computers=10,
               books=3000, multimedia_rooms=3, building_area_m2=600)
    b = school("B", students_primary=300, classes_primary=7, teachers_primary=15, teachers_above_degree_primary=12,
               teachers_mid_title_primary=6, teachers_backbone_primary=6, teachers_pe_art_primary=2,
               teaching_aux_area_m2=900, sports_area_m2=1500, equipment_value_yuan=450_000, computers=18,
               books=6000, multimedia_rooms=6, building_area_m2=1500)
    return frame(a, b)


EXPECTED_A = {"B1": 5.0, "B2": 8.0, "B3": 2000.0, "B4": 10.0, "B5": 30.0, "B6": 0.06, "B7": 0.05, "B8": 0.03,
              "Q1": 5.0, "Q2": 1.0, "Q3": 1.0, "Q4": 5.0, "Q5": 8.0, "Q6": 2000.0, "Q7": 3.0}
EXPECTED_B = {"B1": 3.0, "B2": 5.0, "B3": 1500.0, "B4": 6.0, "B5": 20.0, "B6": 0.05, "B7": 0.04, "B8": 0.02,
              "Q1": 4.0, "Q2": 2.0, "Q3": 2 / 3, "Q4": 3.0, "Q5": 5.0, "Q6": 1500.0, "Q7": 2.0}


@pytest.mark.parametrize("ind", [*BASIC_IDS, *QUALITY_IDS])
def test_every_indicator_by_hand(ind):
    scheme = "basic" if ind.startswith("B") else "quality"
    units = build_units(_two_primary(), scheme).set_index("school_id")
    assert units.loc["A", ind] == pytest.approx(EXPECTED_A[ind])
    assert units.loc["B", ind] == pytest.approx(EXPECTED_B[ind])
    ev = evaluate(_two_primary())
    row = ev.indicators[(ev.indicators.indicator == ind)].iloc[0]
    xa, xb = EXPECTED_A[ind], EXPECTED_B[ind]
    mean = (100 * xa + 300 * xb) / 400
    cv = math.sqrt((100 * (xa - mean) ** 2 + 300 * (xb - mean) ** 2) / 400) / mean
    assert row["mean"] == pytest.approx(mean)
    assert row["cv"] == pytest.approx(cv)


def test_teacher_ratio_is_teachers_per_pupil_not_pupils_per_teacher():
    units = build_units(_two_primary(), "basic").set_index("school_id")
    assert units.loc["A", "B6"] == pytest.approx(0.06)  # 6 teachers / 100 pupils, not 16.7


def test_composite_is_plain_mean_of_eight():
    ev = evaluate(_two_primary())
    cvs = ev.indicators[ev.indicators.scheme == "basic"]["cv"]
    assert len(cvs) == 8
    assert ev.composites["composite_cv"].iloc[0] == pytest.approx(cvs.mean())


# --------------------------------------------------------------------------- stage split


def test_nine_year_split_reproduces_published_example():
    # S6: 166 小学 + 210 初中, 23 226 books → 小学 9 711 (58.5 per pupil), 初中 13 515 (the source
    # truncates 9 711.6 to whole books and gives the rest to 初中).
    s = frame(school("N", "nine_year", students_primary=166, students_junior=210, books=23226))
    units = build_units(s, "basic").set_index("stage")
    assert units.loc["primary", "books"] == pytest.approx(23226 * 166 / (166 + 1.1 * 210))
    assert int(units.loc["primary", "books"]) == 9711
    assert round(units.loc["junior", "books"]) == 13514 and 23226 - 9711 == 13515
    assert units.loc["primary", "B5"] == pytest.approx(58.5, abs=0.05)


def test_plain_split_option():
    s = frame(school("N", "nine_year", students_primary=166, students_junior=210, books=23226))
    units = build_units(s, "basic", DEFAULT_PARAMS.with_(split_mode="plain")).set_index("stage")
    assert units.loc["primary", "books"] == pytest.approx(10254, abs=0.5)
    assert units.loc["junior", "books"] == pytest.approx(12972, abs=0.5)


def test_complete_secondary_split_junior_to_senior_1_to_1_2():
    s = frame(school("W", "complete_secondary", students_junior=100, students_senior=200, books=3400))
    shares = stage_shares(s)
    assert shares["junior"].iloc[0] == pytest.approx(100 / (100 + 1.2 * 200))
    units = build_units(s, "basic")
    assert list(units["stage"]) == ["junior"]
    assert units["books"].iloc[0] == pytest.approx(1000.0)


def test_twelve_year_split_1_1_1_1_32():
    s = frame(school("T", "twelve_year", students_primary=100, students_junior=100, students_senior=100,
                     computers=342))
    units = build_units(s, "basic").set_index("stage")
    assert units.loc["primary", "computers"] == pytest.approx(100.0)
    assert units.loc["junior", "computers"] == pytest.approx(110.0)


def test_teachers_are_not_apportioned():
    s = frame(school("N", "nine_year", students_primary=100, students_junior=100, teachers_primary=7,
                     teachers_junior=9, teaching_aux_area_m2=420))
    units = build_units(s, "basic").set_index("stage")
    assert units.loc["primary", "teachers"] == 7
    assert units.loc["junior", "teachers"] == 9
    assert units.loc["primary", "teaching_aux_area_m2"] == pytest.approx(200.0)


def test_stage_without_pupils_has_no_unit():
    s = frame(school("P", students_primary=50, teachers_junior=0))
    assert list(build_units(s, "quality")["stage"]) == ["primary"]


# --------------------------------------------------------------------------- scope rules


def _scoped():
    return frame(
        school("C", students_primary=200, books=4000, teachers_primary=10),
        school("TP1", "teaching_point", parent="C", students_primary=40, books=400, teachers_primary=3),
        school("TP2", "teaching_point", parent="C", students_primary=50, books=500, teachers_primary=3),
        school("PR", ownership="private", students_primary=300, books=9000, teachers_primary=15),
        school("CITY", county_run=False, students_primary=500, books=20000, teachers_primary=30),
    )


def test_basic_scope_merges_teaching_points_and_drops_private_and_non_county():
    units = build_units(_scoped(), "basic")
    assert list(units["school_id"]) == ["C"]
    u = units.iloc[0]
    assert u["students"] == 290
    assert u["books"] == 4900
    assert u["teachers"] == 16
    assert u["merged_points"] == 2
    assert u["B5"] == pytest.approx(4900 / 290)


def test_basic_private_switch():
    units = build_units(_scoped(), "basic", DEFAULT_PARAMS.with_(include_private_basic=True))
    assert sorted(units["school_id"]) == ["C", "PR"]


def test_quality_scope_teaching_points_under_50_out_private_in_non_county_out():
    units = build_units(_scoped(), "quality")
    assert sorted(units["school_id"]) == ["C", "PR", "TP2"]
    assert units.set_index("school_id").loc["C", "students"] == 200


def test_quality_teaching_point_cutoff_strict_variant():
    # Dazu: "不含学生50人及以下教学点" — 50 itself out.
    units = build_units(_scoped(), "quality", DEFAULT_PARAMS.with_(tp_min_inclusive=False))
    assert sorted(units["school_id"]) == ["C", "PR"]
    units = build_units(_scoped(), "quality", DEFAULT_PARAMS.with_(tp_min_students=30))
    assert sorted(units["school_id"]) == ["C", "PR", "TP1", "TP2"]


def test_quality_private_and_non_county_switches():
    p = DEFAULT_PARAMS.with_(include_private_quality=False, include_non_county_run_quality=True)
    assert sorted(build_units(_scoped(), "quality", p)["school_id"]) == ["C", "CITY", "TP2"]


def test_teaching_point_whose_parent_is_out_of_scope_stays_a_unit():
    s = frame(school("PR", ownership="private", students_primary=300),
              school("TP", "teaching_point", parent="PR", students_primary=20))
    assert list(build_units(s, "basic")["school_id"]) == ["TP"]


def test_params_are_validated():
    with pytest.raises(ValueError, match="split_mode must be 'weighted' or 'plain', got 'odd'"):
        EvalParams(split_mode="odd")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="tp_min_students must be ≥ 0, got -1"):
        DEFAULT_PARAMS.with_(tp_min_students=-1)


# --------------------------------------------------------------------------- school rules


def _quality_unit(stage="primary", **ratios):
    from dashboard.method.standards import INDICATORS

    row = {"unit_id": "u", "stage": stage}
    for q in QUALITY_IDS:
        row[q] = INDICATORS[q].minimum(stage) * ratios.get(q, 1.0)
    return pd.DataFrame([row])


@pytest.mark.parametrize(
    ("ratios", "meets", "passed"),
    [
        ({}, 7, True),
        ({"Q2": 0.85}, 6, True),       # the remaining one at exactly 85 %
        ({"Q2": 0.849}, 6, False),     # below 85 %
        ({"Q2": 0.9, "Q5": 0.99}, 5, False),
        ({"Q6": 1.5, "Q7": 0.5}, 6, False),
    ],
)
def test_quality_school_rule(ratios, meets, passed):
    r = quality_school_rule(_quality_unit(**ratios)).iloc[0]
    assert r["meets"] == meets
    assert bool(r["school_pass"]) is passed


def test_quality_school_rule_uses_junior_minimums():
    u = _quality_unit("primary")
    u["stage"] = "junior"  # primary minimums are below the junior ones for Q1, Q4–Q7
    r = quality_school_rule(u).iloc[0]
    assert r["meets"] == 2  # only Q2 and Q3 (1.0 / 0.9 in both stages) still meet
    assert set(r["failing"]) == {"Q1", "Q4", "Q5", "Q6", "Q7"}


def _basic_unit(**kw):
    base = dict(unit_id="u", stage="primary", students=100, classes=3, teachers=6, boarders=0, dorm_area_m2=0.0,
                building_area_m2=500.0, sports_area_m2=500.0, books=2500.0, equipment_value_yuan=40_000.0,
                computers=7.0, av_all_classes=True)
    base.update(kw)
    return pd.DataFrame([base])


def test_basic_school_rule_7_of_9():
    ok = basic_school_rule(_basic_unit()).iloc[0]
    assert ok["meets"] == 9 and ok["school_pass"]
    two_fail = basic_school_rule(_basic_unit(books=1000.0, computers=1.0)).iloc[0]
    assert two_fail["meets"] == 7 and two_fail["school_pass"]
    assert set(two_fail["failing"]) == {"BS4", "BS6"}
    three_fail = basic_school_rule(_basic_unit(books=1000.0, computers=1.0, av_all_classes=False)).iloc[0]
    assert three_fail["meets"] == 6 and not three_fail["school_pass"]


def test_basic_school_rule_dormitory_only_for_boarding_and_equipment_by_classes():
    r = basic_school_rule(_basic_unit(boarders=50, dorm_area_m2=100.0)).iloc[0]
    assert "BS3" in r["failing"]  # 2 m² per boarder < 3
    big = basic_school_rule(_basic_unit(classes=13, students=500, teachers=30, building_area_m2=3000.0,
                                        sports_area_m2=3000.0, books=12000.0, computers=40.0)).iloc[0]
    assert big["failing"] == ("BS5",)  # 40 000 元 < 50 000 for ≥ 13 classes


# --------------------------------------------------------------------------- evaluation


def test_all_equal_schools_give_zero_cvs_and_pass():
    ev = evaluate(uniform_primary(5))
    assert np.allclose(ev.indicators["cv"].to_numpy(dtype=float), 0.0, atol=1e-12)
    assert bool(ev.composites["passed"].iloc[0])


def test_quality_verdict_requires_every_cv():
    ev = evaluate(_two_primary())
    q = ev.indicators[ev.indicators.scheme == "quality"]
    v = ev.verdicts[(ev.verdicts.scheme == "quality")].iloc[0]
    assert v["failing_indicators"] == int((~q["passed"].astype(bool)).sum())
    assert bool(v["passed"]) == bool(q["passed"].astype(bool).all())
    assert v["threshold"] == cv_threshold("quality", "primary")


def test_many_counties_in_one_call_equal_one_by_one():
    rng = np.random.default_rng(7)
    counties = [random_county(rng, 12, county_code=f"99{i:04d}") for i in range(4)]
    together = evaluate(pd.concat(counties, ignore_index=True))
    for c in counties:
        alone = evaluate(c)
        code = c["county_code"].iloc[0]
        a = alone.indicators.reset_index(drop=True)
        b = together.indicators[together.indicators.county_code == code].reset_index(drop=True)
        pd.testing.assert_series_equal(a["cv"], b["cv"], check_names=False)
        pd.testing.assert_series_equal(a["mean"], b["mean"], check_names=False)


def test_evaluate_does_not_change_its_input():
    s = random_county(np.random.default_rng(3), 15)
    before = s.copy(deep=True)
    evaluate(s)
    pd.testing.assert_frame_equal(s, before)


def test_engine_cv_equals_scalar_formula_on_random_county():
    s = random_county(np.random.default_rng(11), 30)
    ev = evaluate(s)
    units = ev.units["quality"]
    for q in QUALITY_IDS:
        for stage in ("primary", "junior"):
            u = units[units.stage == stage]
            row = ev.indicators[(ev.indicators.indicator == q) & (ev.indicators.stage == stage)].iloc[0]
            assert row["cv"] == pytest.approx(weighted_cv(u[q], u["students"]))


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 25))
def test_order_and_duplication_invariance_of_full_evaluation(seed, n):
    s = random_county(np.random.default_rng(seed), n)
    base = evaluate(s).indicators.set_index(["stage", "scheme", "indicator"])["cv"]
    shuffled = evaluate(s.sample(frac=1.0, random_state=seed)).indicators.set_index(
        ["stage", "scheme", "indicator"])["cv"]
    pd.testing.assert_series_equal(base.sort_index(), shuffled.sort_index(), rtol=1e-9)
    twin = s.copy()
    twin["school_id"] = twin["school_id"] + "b"
    doubled = evaluate(pd.concat([s, twin], ignore_index=True)).indicators.set_index(
        ["stage", "scheme", "indicator"])["cv"]
    pd.testing.assert_series_equal(base.sort_index(), doubled.sort_index(), rtol=1e-9)


# --------------------------------------------------------------------------- gaps


def test_urban_rural_classes():
    assert urban_rural_class([111, 112, 121, 122, 123, 210, 220]).tolist() == [
        "urban", "urban", "town", "town", "town", "rural", "rural"]
    with pytest.raises(ValueError, match="urban_rural_code must be one of .* got 130"):
        urban_rural_class([130])


def test_group_means_are_ratios_of_totals():
    s = frame(school("U", urban_rural_code=111, students_primary=300, books=9000),
              school("R1", urban_rural_code=220, students_primary=100, books=1000),
              school("R2", urban_rural_code=210, students_primary=100, books=3000))
    units = build_units(s, "basic")
    table = group_table(units, ["B5"]).set_index("group")
    assert table.loc["urban", "mean"] == pytest.approx(30.0)
    assert table.loc["rural", "mean"] == pytest.approx(20.0)
    assert table.loc["rural", "cv"] == pytest.approx(0.5)
    ratio = group_ratios(group_table(units, ["B5"]))
    assert ratio["ratio"].iloc[0] == pytest.approx(1.5)


def test_theil_zero_for_equal_and_hand_value():
    units = build_units(uniform_primary(4), "quality")
    assert theil_table(units, ["Q4"])["theil"].iloc[0] == pytest.approx(0.0, abs=1e-12)
    # two units, equal pupils, resources 1 : 3 → y = (.25, .75), s = (.5, .5)
    s = frame(school("A", students_primary=100, books=100), school("B", students_primary=100, books=300))
    t = theil_table(build_units(s, "basic"), ["B5"]).iloc[0]
    assert t["theil"] == pytest.approx(0.25 * math.log(0.5) + 0.75 * math.log(1.5))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(3, 30))
def test_theil_decomposition_adds_up(seed, n):
    units = build_units(random_county(np.random.default_rng(seed), n), "quality")
    for by in ("urban_rural", "township"):
        t = theil_table(units, QUALITY_IDS, by=by)
        assert np.allclose(t["between"] + t["within"], t["theil"], atol=1e-12, equal_nan=True)
        assert (t["between"].dropna() >= -1e-12).all()


# --------------------------------------------------------------------------- report


def test_report_follows_the_contract_shape():
    s = random_county(np.random.default_rng(5), 20)
    rep = to_report(evaluate(s), "990101", 2024)
    json.dumps(rep, allow_nan=False)
    assert set(rep) == {"county_code", "year", "params", "stages"}
    assert set(rep["stages"]) == {"primary", "junior"}
    basic = rep["stages"]["primary"]["basic"]
    assert set(basic) == {"indicators", "composite_cv", "threshold", "pass", "units"}
    assert set(basic["indicators"]) == set(BASIC_IDS)
    assert set(basic["indicators"]["B1"]) == {"mean", "cv"}
    assert set(basic["units"][0]) == {"unit_id", "school_id", "students", "values"}
    quality = rep["stages"]["junior"]["quality"]
    assert set(quality) == {"indicators", "pass", "units"}
    assert set(quality["indicators"]["Q1"]) == {"mean", "cv", "threshold", "pass"}
    assert set(quality["units"][0]) == {"unit_id", "school_id", "students", "values", "meets", "school_pass"}
    assert rep["params"]["split_nine_year"] == [1.0, 1.1]


def test_report_unknown_county_is_named():
    ev = evaluate(uniform_primary(3))
    with pytest.raises(KeyError, match="county 123456 has no data for year 2024"):
        to_report(ev, "123456", 2024)


def test_domain_modules_do_not_import_streamlit():
    code = ("import sys, dashboard.method.engine, dashboard.method.units, dashboard.method.coefficients, dashboard.method.compliance, "
            "dashboard.method.gaps, dashboard.method.standards, dashboard.i18n, dashboard.cli\n"
            "import pkgutil, importlib, dashboard\n"
            "for m in pkgutil.iter_modules(dashboard.__path__):\n"
            "    if m.name not in ('cache', '__main__'):\n"
            "        importlib.import_module('dashboard.' + m.name)\n"
            "assert 'streamlit' not in sys.modules, [k for k in sys.modules if k.startswith('streamlit')]\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_several_years_and_counties_with_teaching_points_in_one_call():
    rows = []
    for code in ("990101", "990102"):
        for year in (2023, 2024):
            rows += [school("C", county_code=code, year=year, students_primary=200 + year - 2023, books=4000),
                     school("TP", "teaching_point", county_code=code, year=year, parent="C",
                            students_primary=40, books=400)]
    ev = evaluate(frame(*rows))
    basic = ev.units["basic"]
    assert len(basic) == 4
    assert (basic["merged_points"] == 1).all()
    assert sorted(basic["students"]) == [240, 240, 241, 241]


def test_one_scheme_tables_are_the_rows_of_both():
    """A one-scheme evaluation's indicator rows are that scheme's rows of both: quality's
    judgements as booleans, basic's as NA (an object column, as beside quality's)."""
    from benchmarks.synthetic import synthetic_country

    schools = synthetic_country(12, seed=4)
    both = evaluate(schools).indicators
    for scheme in ("basic", "quality"):
        one = evaluate(schools, schemes=(scheme,)).indicators
        rows = both[both["scheme"] == scheme].reset_index(drop=True)
        if scheme == "quality":
            rows = rows.astype({"passed": bool, "near": bool})
            assert one["passed"].dtype == bool and one["near"].dtype == bool
        else:
            assert one["passed"].dtype == object and one["passed"].isna().all() and one["near"].isna().all()
        pd.testing.assert_frame_equal(one, rows, check_exact=True)


@pytest.mark.parametrize("private_juniors", [False, True])
def test_verdicts_are_each_schemes_rows_sorted(private_juniors):
    """The verdict rows are each scheme's, sorted by county, year, stage and scheme, whether
    the schemes judge the same groups (rows side by side) or not (a county whose junior
    schools are all private has no basic junior group: rows sorted)."""
    from benchmarks.synthetic import synthetic_country

    schools = synthetic_country(6, seed=9)
    if private_juniors:
        first = schools["county_code"] == schools["county_code"].iloc[0]
        schools.loc[first & (schools["students_junior"] > 0), "ownership"] = "private"
    got = evaluate(schools).verdicts
    parts = [evaluate(schools, schemes=(s,)).verdicts for s in ("basic", "quality")]
    assert (len(parts[0]) < len(parts[1])) is private_juniors
    want = pd.concat(parts, ignore_index=True).sort_values(
        ["county_code", "year", "stage", "scheme"], kind="stable", ignore_index=True)
    pd.testing.assert_frame_equal(got, want, check_exact=True)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.floats(0, 2)),
                         min_size=8, max_size=8), max_size=6))
def test_the_composite_is_nanmean_of_complete_rows(rows):
    """engine._composite_cv: a row with every CV is np.nanmean's mean of it, bit for bit;
    a row missing one (NaN, infinite) has no composite."""
    from dashboard.method.engine import _composite_cv

    cv = np.array(rows, dtype=float).reshape(-1, 8)
    complete = np.isfinite(cv).all(axis=1)
    with np.errstate(all="ignore"):
        want = np.where(complete, np.nanmean(np.where(complete[:, None], cv, 0.0), axis=1), np.nan)
        got = _composite_cv(cv)
    assert np.isnan(got).tolist() == np.isnan(want).tolist()
    assert got[complete].tobytes() == want[complete].tobytes()
