"""Synthetic schools tables for benchmarks: a country of counties, generated vectorised."""

from __future__ import annotations

import numpy as np
import pandas as pd

# county-wide share of each teacher attribute (about the national figures of 2023) and the
# spread of a school's share around it (log-normal σ): teacher CVs of 0.4–0.65, as in counties
# close to the 2017 thresholds
_TEACHER_SHARES = {"above_degree": 0.75, "mid_title": 0.45, "backbone": 0.12, "pe_art": 0.13}
_TEACHER_SIGMA = 0.5


def synthetic_country(n_counties: int = 2844, schools_per_county: float = 71.0, seed: int = 2024, *,
                      teacher_spread: str = "realistic") -> pd.DataFrame:
    """Return a schools table (docs/data-contract.md §2 columns) of ``n_counties`` counties.

    About ``schools_per_county`` schools each (Poisson), 60 % primary, 20 % junior, 10 % nine-year,
    7 % teaching points, 2 % complete secondary, 1 % twelve-year; 5 % private, 2 % not county-run.
    ``teacher_spread``: "realistic" (each attribute's county share, a school's share log-normal
    around it) or "wide" (each school's share uniform in 0–90 %: teacher CVs far above any
    threshold, a county transfers alone may not bring to the quality standard; kept for tests).
    """
    if teacher_spread not in ("realistic", "wide"):
        raise ValueError(f"teacher_spread must be 'realistic' or 'wide', got {teacher_spread!r}")
    shares = np.random.default_rng(seed + 1)  # a stream of its own: the other columns stay as they were
    rng = np.random.default_rng(seed)
    per = np.maximum(rng.poisson(schools_per_county, n_counties), 3)
    n = int(per.sum())
    county_idx = np.repeat(np.arange(n_counties), per)
    codes = np.array([f"{100000 + i:06d}" for i in range(n_counties)])
    types = rng.choice(["primary", "junior", "nine_year", "teaching_point", "complete_secondary", "twelve_year"],
                       size=n, p=[0.60, 0.20, 0.10, 0.07, 0.02, 0.01])
    has_p = np.isin(types, ["primary", "nine_year", "teaching_point", "twelve_year"])
    has_j = np.isin(types, ["junior", "nine_year", "complete_secondary", "twelve_year"])
    has_s = np.isin(types, ["complete_secondary", "twelve_year"])
    sp = np.where(has_p, np.where(types == "teaching_point", rng.integers(5, 120, n), rng.integers(60, 2500, n)), 0)
    sj = np.where(has_j, rng.integers(100, 2000, n), 0)
    ss = np.where(has_s, rng.integers(300, 2000, n), 0)
    school_id = np.char.add(codes[county_idx], np.char.zfill(np.arange(n).astype(str), 6))
    # teaching points belong to the first primary school of their county
    first_primary = pd.Series(np.where(types == "primary", school_id, np.array(None, dtype=object))).groupby(county_idx).transform("first")
    parent = np.where(types == "teaching_point", first_primary.to_numpy(), None)
    ownership = np.where(rng.random(n) < 0.05, "private", "public")
    df = pd.DataFrame({
        "year": 2024, "county_code": codes[county_idx], "county_name": "synthetic",
        "school_id": school_id, "school_name": school_id, "township": np.char.add("t", (np.arange(n) % 12).astype(str)),
        "school_type": types, "parent_school_id": parent, "ownership": ownership,
        "county_run": rng.random(n) > 0.02,
        "urban_rural_code": rng.choice([111, 112, 121, 122, 123, 210, 220], n),
        "longitude": 113 + rng.random(n), "latitude": 28 + rng.random(n),
        "students_senior": ss, "boarders": (sp + sj) // 5,
    })
    for stage, st in (("primary", sp), ("junior", sj)):
        teachers = (st / rng.uniform(10, 25, n)).astype(int)
        df[f"students_{stage}"] = st
        df[f"classes_{stage}"] = np.ceil(st / 45).astype(int)
        df[f"teachers_{stage}"] = teachers
        for c in ("above_degree", "mid_title", "backbone", "pe_art"):
            share = rng.uniform(0, 0.9, n)
            if teacher_spread == "realistic":
                share = np.clip(_TEACHER_SHARES[c] * np.exp(shares.normal(0, _TEACHER_SIGMA, n)), 0, 1)
            df[f"teachers_{c}_{stage}"] = np.round(teachers * share).astype(int)
    tot = sp + sj + ss
    for col, k in (("teaching_aux_area_m2", 5), ("sports_area_m2", 8), ("equipment_value_yuan", 2200),
                   ("computers", 0.12), ("books", 30), ("multimedia_rooms", 0.025), ("building_area_m2", 7),
                   ("dorm_area_m2", 0.8)):
        df[col] = np.round(tot * k * rng.uniform(0.4, 1.6, n))
    df["classes_with_av"] = df["classes_primary"] + df["classes_junior"]
    df["music_rooms"] = 1
    df["art_rooms"] = 1
    return df
