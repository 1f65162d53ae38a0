"""The demo county 示范县: determinism, internal consistency, geography and calibration."""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from dashboard.method.engine import evaluate
from dashboard.method.standards import standards_table
from dashboard.store.contract import (
    SCHOOL_COLUMNS,
    validate_county,
    validate_schools,
    validate_teachers,
)
from dashboard.store.demo import (
    DEMO_COUNTY_CODE,
    DEMO_SEED,
    DEMO_YEARS,
    DemoCounty,
    build_demo,
    demo_snapshot_id,
    write_demo,
)
from dashboard.store.snapshots import read_snapshot

STAGES = ("primary", "junior")
ABOVE_DEGREE = {
    "primary": {"associate", "bachelor", "postgraduate"},
    "junior": {"bachelor", "postgraduate"},
}
MID_TITLE = {"intermediate", "senior", "full_senior"}
PE_ART = {"体育", "音乐", "美术"}
COUNTY_ITEMS = (
    ["B_COND_SCORE", "B_GOV_SCORE", "B_SATISFACTION"]
    + [f"B_VETO_{i}" for i in range(1, 5)]
    + [f"G{i}" for i in range(1, 16)]
    + [f"E{i}" for i in range(1, 10)]
    + ["S1"]
    + [f"V{i}" for i in range(1, 7)]
    + ["P1"]
)


@cache
def demo() -> DemoCounty:
    """The default demo, built once (tests must not change it)."""
    return build_demo()


def township_polygons(d: DemoCounty) -> dict[str, BaseGeometry]:
    return {f["properties"]["township"]: shape(f["geometry"]) for f in d.townships_geojson["features"]}


# --- determinism ----------------------------------------------------------------------------------


def test_same_seed_gives_identical_tables_and_geojson() -> None:
    a, b = build_demo(DEMO_SEED), build_demo(DEMO_SEED)
    for year in DEMO_YEARS:
        assert_frame_equal(a.schools[year], b.schools[year])
        assert_frame_equal(a.teachers[year], b.teachers[year])
        assert_frame_equal(a.county[year], b.county[year])
    assert a.county_geojson == b.county_geojson
    assert a.townships_geojson == b.townships_geojson


def test_a_different_seed_gives_different_tables_on_the_same_map() -> None:
    a, b = demo(), build_demo(DEMO_SEED + 1)
    for year in DEMO_YEARS:
        assert not a.schools[year].equals(b.schools[year])
        assert not a.teachers[year].equals(b.teachers[year])
        assert list(a.schools[year]["school_id"]) == list(b.schools[year]["school_id"])
    # The geography does not depend on the seed, so geo/990101 fits every seed.
    assert a.townships_geojson == b.townships_geojson


def test_build_does_not_touch_global_random_state() -> None:
    np.random.seed(123)
    expected = np.random.random()
    np.random.seed(123)
    build_demo(7)
    assert np.random.random() == expected


@pytest.mark.parametrize("seed", [-1, 1.5, "1", True])
def test_bad_seed_is_refused(seed: object) -> None:
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        build_demo(seed)  # type: ignore[arg-type]


def test_demo_module_does_not_import_streamlit() -> None:
    code = "import sys, dashboard.store.demo; sys.exit('streamlit' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# --- the tables -----------------------------------------------------------------------------------


@pytest.mark.parametrize("year", DEMO_YEARS)
def test_tables_meet_the_contract_without_warnings(year: int) -> None:
    d = demo()
    schools = validate_schools(d.schools[year])
    assert schools.violations == ()
    assert validate_teachers(d.teachers[year], schools.frame).violations == ()
    assert validate_county(d.county[year], schools.frame).violations == ()


def test_schools_table_shape_and_types() -> None:
    for year, df in demo().schools.items():
        assert tuple(df.columns) == SCHOOL_COLUMNS
        assert (df["year"] == year).all()
        assert (df["county_code"] == DEMO_COUNTY_CODE).all()
        assert (df["county_name"] == "示范县").all()
        assert df["school_id"].map(lambda s: isinstance(s, str) and len(s) == 10 and s.isdigit()).all()
        assert df["school_id"].is_unique
        assert df["county_run"].dtype == bool
        for column in SCHOOL_COLUMNS:
            if column.startswith(("students_", "classes_", "teachers_")) or column in (
                "year", "urban_rural_code", "boarders", "computers", "books", "multimedia_rooms",
                "classes_with_av", "music_rooms", "art_rooms",
            ):
                assert df[column].dtype == np.int64, column
            elif column.endswith(("_m2", "_yuan")) or column in ("longitude", "latitude"):
                assert df[column].dtype == np.float64, column
        assert df.select_dtypes("number").ge(0).all().all()


def test_school_values_are_consistent() -> None:
    for df in demo().schools.values():
        for s in STAGES:
            for kind in ("above_degree", "mid_title", "backbone", "pe_art"):
                assert (df[f"teachers_{kind}_{s}"] <= df[f"teachers_{s}"]).all()
            has = df[f"students_{s}"] > 0
            assert (df.loc[has, f"classes_{s}"] > 0).all()
            assert (df.loc[~has, [f"classes_{s}", f"teachers_{s}"]] == 0).all().all()
        assert (df["classes_with_av"] <= df["classes_primary"] + df["classes_junior"]).all()
        senior = df["school_type"].isin(["complete_secondary", "twelve_year"])
        assert (df.loc[~senior, "students_senior"] == 0).all()
        assert (df.loc[senior, "students_senior"] > 0).all()
        assert (df["building_area_m2"] >= df["teaching_aux_area_m2"] + df["dorm_area_m2"]).all()
        pupils = df["students_primary"] + df["students_junior"]
        assert (df["boarders"] <= pupils).all()


def test_the_required_kinds_of_school_are_present() -> None:
    df = demo().schools[DEMO_YEARS[-1]]
    types = df["school_type"].value_counts()
    points = df.loc[df["school_type"] == "teaching_point", "students_primary"]
    assert types["teaching_point"] >= 15
    assert (points < 50).sum() >= 3 and ((points >= 50) & (points <= 120)).sum() >= 3
    assert types["nine_year"] >= 2
    assert types["complete_secondary"] == 1
    assert (df["ownership"] == "private").sum() == 2
    assert (~df["county_run"]).sum() == 1
    codes = set(df["urban_rural_code"])
    assert {111, 112} & codes and {121, 122, 123} & codes and {210, 220} & codes


def test_county_town_is_crowded_and_villages_are_small() -> None:
    df = demo().schools[DEMO_YEARS[-1]]
    city = df[df["urban_rural_code"].isin([111, 112]) & (df["school_type"] == "primary")]
    assert (city["students_primary"] >= 2000).sum() >= 3
    size = city["students_primary"] / city["classes_primary"]
    assert size.max() > 50
    villages = df[(df["urban_rural_code"] == 220) & (df["school_type"] == "primary")]
    assert (villages["students_primary"] < 300).all()


def test_enrolment_is_that_of_a_county_of_450_000() -> None:
    for df in demo().schools.values():
        assert 26_000 <= df["students_primary"].sum() <= 34_000
        assert 12_000 <= df["students_junior"].sum() <= 16_000


def test_teaching_points_belong_to_a_central_school_of_their_township() -> None:
    for df in demo().schools.values():
        by_id = df.set_index("school_id")
        points = df[df["school_type"] == "teaching_point"]
        for point in points.itertuples():
            parent = by_id.loc[point.parent_school_id]
            assert parent["school_type"] in ("primary", "nine_year")
            assert parent["township"] == point.township
        others = df.loc[df["school_type"] != "teaching_point", "parent_school_id"]
        assert others.isna().all()


# --- teachers -------------------------------------------------------------------------------------


@pytest.mark.parametrize("year", DEMO_YEARS)
def test_roster_counts_agree_with_the_schools_table(year: int) -> None:
    d = demo()
    schools, roster = d.schools[year], d.teachers[year]
    assert roster["teacher_id"].is_unique
    assert set(roster["school_id"]) <= set(schools["school_id"])
    for s in STAGES:
        r = roster[roster["stage"] == s]
        counts = pd.DataFrame(
            {
                f"teachers_{s}": r.groupby("school_id").size(),
                f"teachers_above_degree_{s}": r["degree"].isin(ABOVE_DEGREE[s]).groupby(r["school_id"]).sum(),
                f"teachers_mid_title_{s}": r["title"].isin(MID_TITLE).groupby(r["school_id"]).sum(),
                f"teachers_backbone_{s}": (r["backbone_level"] != "none").groupby(r["school_id"]).sum(),
                f"teachers_pe_art_{s}": r["subject"].isin(PE_ART).groupby(r["school_id"]).sum(),
            }
        )
        expected = counts.reindex(schools["school_id"]).fillna(0).astype(np.int64)
        actual = schools.set_index("school_id")[list(counts.columns)]
        assert_frame_equal(actual, expected, check_names=False)


def test_teachers_are_plausible_and_some_may_rotate() -> None:
    for year, roster in demo().teachers.items():
        age = year - roster["birth_year"]
        assert age.between(22, 60).all()
        assert (roster["start_year_at_school"] <= year).all()
        assert (roster["start_year_at_school"] - roster["birth_year"] >= 21).all()
        eligible = year - roster["start_year_at_school"] >= 6
        assert 0.3 < eligible.mean() < 0.8
        assert "name" not in roster.columns


def test_teachers_move_between_schools_across_years() -> None:
    d = demo()
    first, last = (d.teachers[y].set_index("teacher_id") for y in (DEMO_YEARS[0], DEMO_YEARS[-1]))
    both = first.index.intersection(last.index)
    moved = (first.loc[both, "school_id"] != last.loc[both, "school_id"]).sum()
    assert 20 <= moved <= 0.15 * len(both)
    assert len(last.index.difference(first.index)) > 0  # hired since
    assert len(first.index.difference(last.index)) > 0  # retired since


# --- three years ----------------------------------------------------------------------------------


def test_the_years_show_movement() -> None:
    d = demo()
    first, last = d.schools[DEMO_YEARS[0]], d.schools[DEMO_YEARS[-1]]
    assert list(first["school_id"]) == list(last["school_id"])
    city = last["urban_rural_code"].isin([111, 112])
    rural = last["urban_rural_code"].isin([210, 220])
    for df in (first, last):
        assert set(df["school_id"]) == set(last["school_id"])
    assert last.loc[city, "students_primary"].sum() > first.loc[city, "students_primary"].sum()
    assert last.loc[rural, "students_primary"].sum() < first.loc[rural, "students_primary"].sum()
    for column in ("books", "computers", "equipment_value_yuan"):
        assert (last[column] >= first[column]).all()
        assert last[column].sum() > first[column].sum()


# --- county items ---------------------------------------------------------------------------------


def test_county_items_cover_the_standards_every_year() -> None:
    for year, df in demo().county.items():
        assert list(df.columns) == [
            "county_code", "year", "item_id", "value", "passed", "evidence", "stage",
        ]
        assert set(df["item_id"]) == set(COUNTY_ITEMS)
        assert (df["year"] == year).all()
        assert df["value"].map(lambda v: isinstance(v, str)).all()
        assert not df.duplicated(["item_id", "stage"]).any()
        g13 = df[df["item_id"] == "G13"]
        assert set(g13["stage"]) == set(STAGES)


def test_numeric_county_items_are_judged_against_their_threshold() -> None:
    std = standards_table()
    for df in demo().county.values():
        for row in df.itertuples():
            if row.passed is pd.NA or std.loc[row.item_id, "direction"] not in ("min", "max"):
                continue
            try:
                value = float(row.value)
            except ValueError:
                continue
            column = "junior_threshold" if row.stage == "junior" else "primary_threshold"
            threshold = float(std.loc[row.item_id, column])
            ok = value >= threshold if std.loc[row.item_id, "direction"] == "min" else value <= threshold
            assert bool(row.passed) == ok, (row.item_id, row.stage, row.value)


def test_county_items_of_2024_mix_passes_and_fails() -> None:
    df = demo().county[DEMO_YEARS[-1]]
    value = {(i, s): v for i, s, v in zip(df["item_id"], df["stage"], df["value"], strict=True)}
    passed = {(i, s): p for i, s, p in zip(df["item_id"], df["stage"], df["passed"], strict=True)}
    assert float(value["B_GOV_SCORE", None]) >= 85 and passed["B_GOV_SCORE", None]
    assert float(value["B_SATISFACTION", None]) >= 85
    assert value["P1", None] == "5"
    rate, backbone = map(float, value["G11", None].split(";"))  # both figures of the item
    assert not passed["G11", None] and 5.0 <= rate < 10.0 and 0.0 <= backbone <= 100.0
    assert not passed["G13", "primary"] and passed["G13", "junior"]
    assert passed["S1", None]
    assert all(passed[f"V{i}", None] and value[f"V{i}", None] == "false" for i in range(1, 7))
    item_passed = df.groupby("item_id")["passed"].all()
    assert (~item_passed[[f"E{i}" for i in range(1, 10)]]).sum() == 1
    g_items = item_passed[[f"G{i}" for i in range(1, 16)]]
    assert 10 <= g_items.sum() < 15


# --- geography ------------------------------------------------------------------------------------


def test_geojson_is_a_county_cut_into_about_twelve_townships() -> None:
    d = demo()
    assert d.county_geojson["type"] == "FeatureCollection"
    (county,) = d.county_geojson["features"]
    outline = shape(county["geometry"])
    assert outline.is_valid
    features = d.townships_geojson["features"]
    assert 10 <= len(features) <= 14
    names = [f["properties"]["township"] for f in features]
    assert sum(n.endswith("街道") for n in names) == 2
    for f in features:
        assert {"township", "township_code", "name_en"} <= set(f["properties"])
        assert f["properties"]["township_code"].startswith(DEMO_COUNTY_CODE)
    polygons = [shape(f["geometry"]) for f in features]
    assert all(p.is_valid for p in polygons)
    union = unary_union(polygons)
    assert abs(union.area - outline.area) < 1e-6 * outline.area
    assert abs(sum(p.area for p in polygons) - union.area) < 1e-6 * union.area  # no overlaps
    minx, miny, maxx, maxy = outline.bounds
    assert 112.8 < minx < maxx < 114.0 and 27.8 < miny < maxy < 28.8


def test_geojson_round_trips_through_json() -> None:
    d = demo()
    for collection in (d.county_geojson, d.townships_geojson):
        assert json.loads(json.dumps(collection)) == collection


def test_every_school_lies_in_its_township() -> None:
    d = demo()
    polygons = township_polygons(d)
    for df in d.schools.values():
        assert set(df["township"]) == set(polygons)
        for row in df.itertuples():
            point = Point(row.longitude, row.latitude)
            assert polygons[row.township].contains(point), row.school_name
            assert round(row.longitude, 6) == row.longitude


# --- calibration, checked with the engine ---------------------------------------------------------


@cache
def evaluation_2024():
    return evaluate(demo().schools[DEMO_YEARS[-1]])


def test_2024_passes_basic_balance_with_a_margin() -> None:
    comp = evaluation_2024().composites.set_index("stage")
    assert comp["passed"].all()
    assert comp.loc["primary", "composite_cv"] <= 0.65 - 0.1
    assert comp.loc["junior", "composite_cv"] <= 0.55 - 0.1
    assert comp["composite_cv"].min() >= 0.25  # a county, not a copy of one school


def test_2024_fails_quality_balance_on_a_few_indicators() -> None:
    ind = evaluation_2024().indicators
    quality = ind[ind["scheme"] == "quality"]
    fails = quality[~quality["passed"].astype(bool)].groupby("stage")["indicator"].apply(set)
    assert all(len(f) <= 4 for f in fails)
    assert max(len(f) for f in fails) >= 2
    # The failing and passing CVs keep away from the threshold.
    margin = (quality["cv"] - quality["threshold"]).abs()
    assert (margin > 0.02).all()


def test_2024_has_several_schools_failing_the_school_rule() -> None:
    rules = evaluation_2024().school_rules
    quality = rules[rules["scheme"] == "quality"]
    failing = quality[~quality["school_pass"].astype(bool)]
    assert 5 <= len(failing) <= 15


def test_the_county_improves_year_on_year() -> None:
    composites, failing = [], []
    for year in DEMO_YEARS:
        ev = evaluate(demo().schools[year])
        assert ev.composites["passed"].all()
        composites.append(ev.composites.set_index("stage")["composite_cv"])
        rules = ev.school_rules
        failing.append((~rules.loc[rules["scheme"] == "quality", "school_pass"].astype(bool)).sum())
    for stage in STAGES:
        cvs = [c[stage] for c in composites]
        assert cvs == sorted(cvs, reverse=True), (stage, cvs)
    assert failing == sorted(failing, reverse=True)


# --- writing --------------------------------------------------------------------------------------


def test_write_demo_writes_snapshots_and_geography_deterministically(tmp_path: Path) -> None:
    first = write_demo(tmp_path / "a" / "data", tmp_path / "a" / "geo")
    write_demo(tmp_path / "b" / "data", tmp_path / "b" / "geo")
    names = sorted(p.relative_to(tmp_path / "a").as_posix() for p in first)
    assert names == sorted(
        [f"data/{demo_snapshot_id(y)}" for y in DEMO_YEARS]
        + [f"geo/{DEMO_COUNTY_CODE}/county.geojson", f"geo/{DEMO_COUNTY_CODE}/townships.geojson"]
    )
    for year in DEMO_YEARS:
        sid = demo_snapshot_id(year)
        meta_a = (tmp_path / "a" / "data" / sid / "meta.json").read_text(encoding="utf-8")
        meta_b = (tmp_path / "b" / "data" / sid / "meta.json").read_text(encoding="utf-8")
        assert meta_a == meta_b  # same hashes: byte-identical tables
        snap = read_snapshot(tmp_path / "a" / "data" / sid)
        assert snap.meta["created"] == f"{year}-09-30T00:00:00+00:00"
        assert len(snap.schools) == len(demo().schools[year])
        assert len(snap.teachers) == len(demo().teachers[year])
    for name in ("county.geojson", "townships.geojson"):
        a = (tmp_path / "a" / "geo" / DEMO_COUNTY_CODE / name).read_text(encoding="utf-8")
        assert a == (tmp_path / "b" / "geo" / DEMO_COUNTY_CODE / name).read_text(encoding="utf-8")
        assert "示范县" in a or "城关街道" in a  # ensure_ascii=False
    townships = json.loads(
        (tmp_path / "a" / "geo" / DEMO_COUNTY_CODE / "townships.geojson").read_text(encoding="utf-8")
    )
    assert townships == demo().townships_geojson


def test_write_demo_skips_existing_snapshots(tmp_path: Path) -> None:
    data, geo = tmp_path / "data", tmp_path / "geo"
    write_demo(data, geo)
    meta = data / demo_snapshot_id(DEMO_YEARS[0]) / "meta.json"
    before = meta.read_bytes()
    again = write_demo(data, geo, seed=DEMO_SEED + 1)
    assert [p.name for p in again] == ["county.geojson", "townships.geojson"]
    assert meta.read_bytes() == before
    assert write_demo(data, geo, overwrite_geo=False) == []
