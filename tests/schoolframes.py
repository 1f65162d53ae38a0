"""Small, hand-checkable schools tables for the engine tests (docs/data-contract.md §2 columns)."""

from __future__ import annotations

import numpy as np
import pandas as pd

STAGE_COLS = ("students", "classes", "teachers", "teachers_above_degree", "teachers_mid_title",
              "teachers_backbone", "teachers_pe_art")
SHARED = ("teaching_aux_area_m2", "sports_area_m2", "equipment_value_yuan", "computers", "books",
          "multimedia_rooms", "building_area_m2")


def school(school_id: str, school_type: str = "primary", *, county_code: str = "990101", year: int = 2024,
           ownership: str = "public", county_run: bool = True, parent: str | None = None,
           urban_rural_code: int = 220, township: str = "甲镇", **values) -> dict:
    """Return one school row; unspecified counts are 0, ``values`` override (e.g. students_primary=100)."""
    row = {
        "year": year, "county_code": county_code, "county_name": "示范县", "school_id": school_id,
        "school_name": f"学校{school_id}", "township": township, "school_type": school_type,
        "parent_school_id": parent, "ownership": ownership, "county_run": county_run,
        "urban_rural_code": urban_rural_code, "longitude": 113.2, "latitude": 28.3,
        "students_senior": 0, "boarders": 0, "dorm_area_m2": 0.0, "classes_with_av": 0,
        "music_rooms": 0, "art_rooms": 0,
    }
    for stage in ("primary", "junior"):
        for c in STAGE_COLS:
            row[f"{c}_{stage}"] = 0
    for c in SHARED:
        row[c] = 0.0
    row.update(values)
    return row


def frame(*rows: dict) -> pd.DataFrame:
    """Return a schools DataFrame from ``school(...)`` rows."""
    return pd.DataFrame(list(rows))


def uniform_primary(n: int, *, students: int = 100, per_pupil: float = 2.0, county_code: str = "990101") -> pd.DataFrame:
    """Return ``n`` primary schools, all with the same per-pupil resources (every CV is 0)."""
    rows = []
    for i in range(n):
        s = students * (i + 1)
        rows.append(school(f"{county_code}{i:04d}", students_primary=s, classes_primary=max(1, s // 40),
                           teachers_primary=s // 10, teachers_above_degree_primary=s // 20,
                           teachers_mid_title_primary=s // 20, teachers_backbone_primary=s // 50,
                           teachers_pe_art_primary=s // 50, teaching_aux_area_m2=s * per_pupil,
                           sports_area_m2=s * per_pupil, equipment_value_yuan=s * 1000.0,
                           computers=s // 10, books=s * 30, multimedia_rooms=s // 50,
                           building_area_m2=s * per_pupil, county_code=county_code))
    return frame(*rows)


def random_county(rng: np.random.Generator, n: int, county_code: str = "990101", year: int = 2024) -> pd.DataFrame:
    """Return a random but valid county of ``n`` primary/junior/nine-year schools."""
    types = rng.choice(["primary", "junior", "nine_year"], size=n, p=[0.6, 0.25, 0.15])
    rows = []
    for i, st in enumerate(types):
        vals: dict = {}
        for stage in ("primary", "junior"):
            has = st == stage or st == "nine_year"
            p = int(rng.integers(30, 2000)) if has else 0
            t = int(p / rng.uniform(10, 25)) if has else 0
            vals[f"students_{stage}"] = p
            vals[f"classes_{stage}"] = max(1, p // 45) if has else 0
            vals[f"teachers_{stage}"] = t
            for c in ("above_degree", "mid_title", "backbone", "pe_art"):
                vals[f"teachers_{c}_{stage}"] = int(t * rng.uniform(0, 0.9))
        tot = vals["students_primary"] + vals["students_junior"]
        for c, k in (("teaching_aux_area_m2", 5), ("sports_area_m2", 8), ("equipment_value_yuan", 2200),
                     ("computers", 0.12), ("books", 30), ("multimedia_rooms", 0.025), ("building_area_m2", 7)):
            vals[c] = float(round(tot * k * rng.uniform(0.4, 1.6)))
        rows.append(school(f"{county_code}{i:04d}", str(st), county_code=county_code, year=year,
                           urban_rural_code=int(rng.choice([111, 121, 220])), **vals))
    return frame(*rows)
