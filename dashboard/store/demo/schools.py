"""The demo schools table: enrolment, classes, boarders and shared resources per school and year.

2024 is drawn per weighted pupil from each school's profile; the earlier years undo the yearly
enrolment drift, purchases and building works.  Teacher counts come from the roster.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from dashboard.method.standards import DEFAULT_PARAMS
from dashboard.store.contract import SCHOOL_COLUMNS, roster_counts
from dashboard.store.demo.facts import (
    DEMO_COUNTY_CODE,
    DEMO_COUNTY_NAME,
    DEMO_YEARS,
    LAST_YEAR,
    PROFILES,
    RURAL_PROFILES,
)

__all__ = ["enrolment", "resources", "schools_table"]

# Building works: (school seq, year completed, column, m² added). Before that year the area
# was smaller by that much.
_AREA_COLUMNS: Final = ("teaching_aux_area_m2", "sports_area_m2")
_CAPITAL_WORKS: Final = (
    (1, 2024, "teaching_aux_area_m2", 1500.0),  # 示范县实验小学 new teaching building
    (1, 2023, "sports_area_m2", 1000.0),  # 示范县实验小学 rooftop sports ground
    (3, 2024, "sports_area_m2", 1500.0),  # 城关第二小学 new playground
    (2, 2023, "teaching_aux_area_m2", 1200.0),  # 城关第一小学 extension
    (5, 2024, "sports_area_m2", 1800.0),  # 城关中学 new gym
    (9, 2023, "teaching_aux_area_m2", 2400.0),  # 城南第二小学 new teaching building
    (8, 2024, "sports_area_m2", 1200.0),  # 城南小学 new gym
    (13, 2023, "sports_area_m2", 3000.0),  # 青石镇中学 new playground
    (52, 2024, "teaching_aux_area_m2", 1500.0),  # 云溪乡九年一贯制学校 new teaching building
)
_TEXT_COLUMNS: Final = frozenset(
    {"county_code", "county_name", "school_id", "school_name", "township", "school_type",
     "parent_school_id", "ownership"}
)


def enrolment(rng: np.random.Generator, base: pd.DataFrame) -> dict[int, pd.DataFrame]:
    """Pupils per school and year: 2024 from the school list (± 3 %), earlier years by drift."""
    cols = ["students_primary", "students_junior", "students_senior"]
    growth = np.array([PROFILES[p].growth for p in base["profile"]])
    current = np.round(base[cols].to_numpy(float) * rng.lognormal(0.0, 0.03, (len(base), 3)))
    out = {LAST_YEAR: pd.DataFrame(current.astype(np.int64), columns=cols, index=base.index)}
    for year in reversed(DEMO_YEARS[:-1]):
        factor = 1.0 + growth[:, None] * rng.uniform(0.7, 1.3, (len(base), 3))
        current = np.round(current / factor)
        out[year] = pd.DataFrame(current.astype(np.int64), columns=cols, index=base.index)
    return out


def _weighted_pupils(school_type: str, a: float, b: float, c: float) -> float:
    """Enrolment weighted as in the default stage split, in units of the first stage's pupils.

    A resource of ``x`` per weighted pupil then gives the first stage ``x`` per pupil after the
    split (a nine-year school's junior part gets 1.1 ``x``).
    """
    if school_type == "nine_year":
        wa, wb = DEFAULT_PARAMS.split_nine_year
        return a + wb / wa * b
    if school_type == "complete_secondary":
        wb, wc = DEFAULT_PARAMS.split_complete_secondary
        return b + wc / wb * c
    if school_type == "twelve_year":
        wa, wb, wc = DEFAULT_PARAMS.split_twelve_year
        return a + (wb * b + wc * c) / wa
    return a + b


def _classes(row: Any, pupils: int, stage: int) -> int:
    """Classes of one stage: pupils over the class size, at least one class per grade."""
    if pupils <= 0:
        return 0
    size = row.class_size if pd.notna(row.class_size) else PROFILES[row.profile].class_size[stage]
    if row.school_type == "teaching_point":
        return int(min(4, max(1, math.ceil(pupils / size))))
    grades = 6 if stage == 0 else 3
    by_size = math.ceil(pupils / size)
    return int(max(by_size, grades if pupils >= 10 * grades else math.ceil(pupils / 20)))


@dataclass(frozen=True)
class _Stock:
    """What is drawn once per school: the 2024 stock and how the earlier years differ."""

    weight: np.ndarray  # weighted pupils of 2024
    area: np.ndarray  # (n, 2) m² of teaching/auxiliary rooms and of sports ground, 2024
    stock: np.ndarray  # (n, 3) equipment 元, computers, books, 2024
    purchase: np.ndarray  # (n, 3) yearly growth of the stock
    boarding_share: np.ndarray  # scales the profile's boarding shares
    dorm_per_boarder: np.ndarray  # m² of dormitory per boarder
    other_per_pupil: np.ndarray  # offices, canteen and other rooms, m² per pupil
    rooms_added: np.ndarray  # year a rural school got its music and art rooms (0: always)


def _draw_stock(rng: np.random.Generator, base: pd.DataFrame, latest: np.ndarray) -> _Stock:
    """Draw the 2024 stock per weighted pupil and the yearly purchases, school by school."""
    n = len(base)
    profiles = [PROFILES[name] for name in base["profile"]]
    k = (base["base_stage"] == "junior").to_numpy(dtype=int)

    def per_pupil(attr: str) -> np.ndarray:
        return np.array([getattr(p, attr)[j] for p, j in zip(profiles, k, strict=True)])

    weight = np.array(
        [_weighted_pupils(t, *abc) for t, abc in zip(base["school_type"], latest, strict=True)]
    )
    # Areas given per school in the school list are taken almost as they are.
    given = base[["aux_m2_per_pupil", "sports_m2_per_pupil"]].to_numpy(dtype=float)
    area = np.where(np.isnan(given), np.column_stack([per_pupil("aux"), per_pupil("sports")]), given)
    area *= weight[:, None] * rng.lognormal(0.0, np.where(np.isnan(given), [0.08, 0.15], 0.02))
    # Equipment, computers and books: never far below the profile, sometimes far above.
    stock_noise = 0.8 + 0.25 * rng.lognormal(0.0, 0.9, (n, 3))
    factor = base["equipment_factor"].fillna(1.0).to_numpy(dtype=float)
    stock = np.column_stack(
        [
            per_pupil("equipment") * factor * weight,
            per_pupil("computers") * factor * weight / 100,
            per_pupil("books") * weight,
        ]
    ) * stock_noise
    purchase = np.array([p.purchase for p in profiles])[:, None] * rng.uniform(0.5, 1.5, (n, 3))
    purchase[:, 2] *= 0.7  # books are bought more slowly
    boarding_share = rng.uniform(0.8, 1.2, n)
    dorm_per_boarder = rng.uniform(3.8, 5.0, n)
    other_per_pupil = rng.uniform(0.9, 1.6, n)
    rural = base["profile"].isin(RURAL_PROFILES).to_numpy()
    rooms_added = np.where(rural, rng.choice([0, 2023, 2024], size=n, p=[0.5, 0.3, 0.2]), 0)
    return _Stock(weight, area, stock, purchase, boarding_share, dorm_per_boarder,
                  other_per_pupil, rooms_added)


def _classes_by_year(base: pd.DataFrame, enrolment: dict[int, pd.DataFrame]
                     ) -> dict[int, np.ndarray]:
    """Classes per school and year, (n, 2): primary and junior."""
    rows = list(base.itertuples(index=False))
    return {
        year: np.array(
            [[_classes(r, int(pupils[s]), s) for s in (0, 1)] for r, pupils in
             zip(rows, enrolment[year].to_numpy(), strict=True)]
        ).reshape(len(base), 2)
        for year in DEMO_YEARS
    }


def _boarders_by_year(base: pd.DataFrame, enrolment: dict[int, pd.DataFrame],
                      boarding_share: np.ndarray) -> dict[int, np.ndarray]:
    """Boarding pupils per school and year: the profile's shares of each stage, scaled."""
    profiles = [PROFILES[name] for name in base["profile"]]
    return {
        year: np.round(
            boarding_share
            * np.array([p.boarding[0] for p in profiles]) * enrolment[year]["students_primary"]
            + boarding_share
            * np.array([p.boarding[1] for p in profiles]) * enrolment[year]["students_junior"]
        ).to_numpy(dtype=np.int64)
        for year in DEMO_YEARS
    }


def resources(
    rng: np.random.Generator, base: pd.DataFrame, enrolment: dict[int, pd.DataFrame]
) -> dict[int, pd.DataFrame]:
    """Classes, boarders and shared resources (areas, equipment, rooms) per school and year.

    The 2024 stock is drawn per weighted pupil; earlier years have less equipment, computers
    and books (the yearly purchases undone), and smaller areas where a building was finished
    later (``_CAPITAL_WORKS``).
    """
    s = _draw_stock(rng, base, enrolment[LAST_YEAR].to_numpy())
    classes = _classes_by_year(base, enrolment)
    boarders = _boarders_by_year(base, enrolment, s.boarding_share)
    dorm = np.round(s.dorm_per_boarder * np.max(list(boarders.values()), axis=0), 1)
    # Music and art rooms: one per 12 classes at the largest size; some rural schools got
    # theirs only recently.
    most_classes = np.max([c.sum(axis=1) for c in classes.values()], axis=0)
    rooms = np.where(base["school_type"] == "teaching_point", 0, np.maximum(1, -(-most_classes // 12)))
    senior_classes = -(-enrolment[LAST_YEAR]["students_senior"].to_numpy() // 55)
    extra_rooms = np.array([PROFILES[name].extra_rooms for name in base["profile"]])
    return {
        year: _year_resources(year, base, s, classes[year], boarders[year], dorm,
                              np.maximum(rooms - (year < s.rooms_added), 0),
                              extra_rooms + senior_classes)
        for year in DEMO_YEARS
    }


def _year_resources(year: int, base: pd.DataFrame, s: _Stock, classes: np.ndarray,
                    boarders: np.ndarray, dorm: np.ndarray, music_art_rooms: np.ndarray,
                    extra_rooms: np.ndarray) -> pd.DataFrame:
    """The resources of one year: the 2024 stock less later purchases and building works."""
    later_works = np.zeros((len(base), 2))
    for seq, done, column, m2 in _CAPITAL_WORKS:
        if done > year:
            later_works[base["seq"].to_numpy() == seq, _AREA_COLUMNS.index(column)] += m2
    year_area = np.round(s.area, 1) - later_works
    held = s.stock / (1.0 + s.purchase) ** (LAST_YEAR - year)
    av_share = np.array([PROFILES[name].av_share[DEMO_YEARS.index(year)] for name in base["profile"]])
    with_av = np.round(av_share * classes.sum(axis=1)).astype(np.int64)
    return pd.DataFrame(
        {
            "classes_primary": classes[:, 0],
            "classes_junior": classes[:, 1],
            "boarders": boarders,
            "teaching_aux_area_m2": year_area[:, 0],
            "sports_area_m2": year_area[:, 1],
            "equipment_value_yuan": np.round(held[:, 0]),
            "computers": np.round(held[:, 1]).astype(np.int64),
            "books": np.round(held[:, 2]).astype(np.int64),
            "multimedia_rooms": with_av + extra_rooms,
            "building_area_m2": np.round(year_area[:, 0] + dorm + s.other_per_pupil * s.weight, 1),
            "dorm_area_m2": dorm,
            "classes_with_av": with_av,
            "music_rooms": music_art_rooms,
            "art_rooms": music_art_rooms,
        },
        index=base.index,
    )


def schools_table(
    year: int,
    base: pd.DataFrame,
    pupils: pd.DataFrame,
    resources: pd.DataFrame,
    roster: pd.DataFrame,
) -> pd.DataFrame:
    """The schools table of one year (docs/data-contract.md §2), teacher counts taken from the roster."""
    counts = roster_counts(roster).reindex(base["school_id"], fill_value=0)
    counts.index = base.index
    per_year = pd.concat([pupils, resources, counts], axis=1)
    df = pd.concat([base.drop(columns=per_year.columns, errors="ignore"), per_year], axis=1).assign(
        year=np.int64(year), county_code=DEMO_COUNTY_CODE, county_name=DEMO_COUNTY_NAME
    )
    df = df.loc[:, list(SCHOOL_COLUMNS)].reset_index(drop=True)
    for column in df.columns:
        if column in ("longitude", "latitude") or column.endswith(("_m2", "_yuan")):
            df[column] = df[column].astype(np.float64)
        elif column not in _TEXT_COLUMNS and column != "county_run":
            df[column] = df[column].astype(np.int64)
    df["county_run"] = df["county_run"].astype(bool)
    return df
