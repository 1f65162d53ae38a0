"""The fixed facts of the demo county: names, code, years, the kinds of school and the lists.

The school list, the township seats and the county items are data in ``dashboard/store/data/``
(``demo_schools.csv``, ``demo_townships.csv``, ``demo_county_items.csv``); a kind of school
(:class:`Profile`) holds the 2024 medians from which the seed draws each school's figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

__all__ = [
    "DEMO_SEED",
    "DEMO_COUNTY_CODE",
    "DEMO_COUNTY_NAME",
    "DEMO_COUNTY_NAME_EN",
    "DEMO_CITY_NAME",
    "DEMO_YEARS",
    "LAST_YEAR",
    "DATA_DIR",
    "Profile",
    "PROFILES",
    "RURAL_PROFILES",
    "read_townships",
    "read_schools",
]

DEMO_SEED: Final = 20240930
DEMO_COUNTY_CODE: Final = "990101"
DEMO_COUNTY_NAME: Final = "示范县"
DEMO_COUNTY_NAME_EN: Final = "Demo County"
DEMO_CITY_NAME: Final = "示范市"
DEMO_YEARS: Final = (2022, 2023, 2024)

LAST_YEAR: Final = DEMO_YEARS[-1]
DATA_DIR: Final = Path(__file__).resolve().parent.parent / "data"  # dashboard/store/data


@dataclass(frozen=True)
class Profile:
    """Parameters of one kind of school (2024 medians); pairs are (primary, junior)."""

    aux: tuple[float, float]  # m² of teaching and auxiliary rooms per weighted pupil
    sports: tuple[float, float]  # m² of sports ground and gym per weighted pupil
    equipment: tuple[float, float]  # 元 of teaching equipment per weighted pupil
    computers: tuple[float, float]  # computers per 100 weighted pupils
    books: tuple[float, float]  # volumes per weighted pupil
    pupils_per_teacher: tuple[float, float]
    class_size: tuple[float, float]  # pupils per class
    backbone: tuple[float, float]  # 县级及以上骨干 teachers per 100 pupils
    pe_art: tuple[float, float]  # 体育/音乐/美术 teachers per 100 pupils
    boarding: tuple[float, float]  # share of pupils who board
    ages: tuple[float, float, float]  # shares aged 26–32, 33–47, 48–59 (teachers who stayed)
    degree: tuple[tuple[float, ...], tuple[float, ...]]  # P(secondary, associate, bachelor, post)
    senior_factor: float  # scales the chance of a 副高级/正高级 title
    extra_rooms: int  # multimedia rooms besides the classrooms
    av_share: tuple[float, float, float]  # share of classes with 班班通 in 2022, 2023, 2024
    growth: float  # yearly enrolment growth
    purchase: float  # yearly growth of equipment, computers and books
    hire: float  # yearly share of new hires
    rotation: tuple[float, float, float]  # share of teachers rotated in, 2022, 2023, 2024
    award: float  # yearly share of backbone teachers newly named
    retire: float  # yearly share of teachers retiring
    floor: bool = False  # head counts of backbone and PE/arts teachers mostly rounded up


PROFILES: Final = {
    "city": Profile(
        aux=(3.6, 4.8), sports=(4.3, 5.5), equipment=(2700, 3400), computers=(11, 14),
        books=(24, 34), pupils_per_teacher=(19.0, 16.5), class_size=(55, 56),
        backbone=(2.9, 3.4), pe_art=(1.12, 1.05), boarding=(0.0, 0.08),
        ages=(0.30, 0.45, 0.25), degree=((0.01, 0.16, 0.80, 0.03), (0.0, 0.03, 0.89, 0.08)),
        senior_factor=1.2, extra_rooms=4, av_share=(1.0, 1.0, 1.0), growth=0.02,
        purchase=0.05, hire=0.07, rotation=(0.018, 0.025, 0.029), award=0.06, retire=0.01,
    ),
    "private": Profile(
        aux=(4.8, 6.0), sports=(8.5, 11.0), equipment=(2300, 2900), computers=(10, 13),
        books=(24, 30), pupils_per_teacher=(20.0, 15.0), class_size=(46, 48),
        backbone=(0.2, 0.25), pe_art=(1.0, 0.95), boarding=(0.45, 0.6),
        ages=(0.50, 0.35, 0.15), degree=((0.0, 0.24, 0.74, 0.02), (0.0, 0.08, 0.90, 0.02)),
        senior_factor=0.5, extra_rooms=3, av_share=(1.0, 1.0, 1.0), growth=0.02,
        purchase=0.03, hire=0.08, rotation=(0.0, 0.0, 0.0), award=0.1, retire=0.0,
    ),
    "city_nc": Profile(
        aux=(5.0, 6.0), sports=(6.5, 8.0), equipment=(3200, 3800), computers=(14, 16),
        books=(30, 38), pupils_per_teacher=(17.0, 13.0), class_size=(48, 50),
        backbone=(2.0, 2.0), pe_art=(1.1, 1.0), boarding=(0.0, 0.0),
        ages=(0.25, 0.50, 0.25), degree=((0.0, 0.10, 0.85, 0.05), (0.0, 0.02, 0.90, 0.08)),
        senior_factor=1.2, extra_rooms=4, av_share=(1.0, 1.0, 1.0), growth=0.0,
        purchase=0.04, hire=0.04, rotation=(0.0, 0.0, 0.0), award=0.08, retire=0.012,
    ),
    "town": Profile(
        aux=(5.2, 7.2), sports=(12.5, 17.0), equipment=(2500, 3100), computers=(10, 13),
        books=(30, 40), pupils_per_teacher=(15.5, 11.0), class_size=(45, 46),
        backbone=(0.95, 1.1), pe_art=(1.06, 1.05), boarding=(0.08, 0.55),
        ages=(0.30, 0.40, 0.30), degree=((0.03, 0.32, 0.64, 0.01), (0.0, 0.18, 0.80, 0.02)),
        senior_factor=1.0, extra_rooms=3, av_share=(0.95, 1.0, 1.0), growth=-0.005,
        purchase=0.06, hire=0.03, rotation=(0.025, 0.03, 0.04), award=0.05, retire=0.02,
    ),
    "village": Profile(
        aux=(8.5, 11.0), sports=(24.0, 28.0), equipment=(2500, 3000), computers=(14, 16),
        books=(50, 56), pupils_per_teacher=(9.0, 7.5), class_size=(30, 38),
        backbone=(1.3, 1.3), pe_art=(1.45, 1.4), boarding=(0.15, 0.6),
        ages=(0.35, 0.20, 0.45), degree=((0.08, 0.47, 0.45, 0.0), (0.0, 0.25, 0.75, 0.0)),
        senior_factor=0.6, extra_rooms=1, av_share=(0.6, 0.8, 0.95), growth=-0.025,
        purchase=0.02, hire=0.02, rotation=(0.045, 0.055, 0.068), award=0.1, retire=0.07,
        floor=True,
    ),
    "teaching_point": Profile(
        aux=(9.5, 9.5), sports=(16.0, 16.0), equipment=(2400, 2400), computers=(10, 10),
        books=(26, 26), pupils_per_teacher=(12.0, 12.0), class_size=(18, 18),
        backbone=(1.3, 1.3), pe_art=(1.3, 1.3), boarding=(0.0, 0.0),
        ages=(0.30, 0.15, 0.55), degree=((0.06, 0.55, 0.39, 0.0), (0.06, 0.55, 0.39, 0.0)),
        senior_factor=0.5, extra_rooms=0, av_share=(0.5, 0.6, 0.7), growth=-0.035,
        purchase=0.05, hire=0.02, rotation=(0.045, 0.055, 0.068), award=0.1, retire=0.07,
        floor=True,
    ),
}
RURAL_PROFILES: Final = frozenset({"village", "teaching_point"})


def read_townships() -> pd.DataFrame:
    """Return the township list: name, code, English name, kind (街道/镇/乡) and seat."""
    return pd.read_csv(DATA_DIR / "demo_townships.csv", dtype={"township_code": str})


def read_schools(townships: pd.DataFrame) -> pd.DataFrame:
    """Return the school list with ids, the kind of its township and its first stage."""
    df = pd.read_csv(DATA_DIR / "demo_schools.csv", dtype={"parent_seq": "Int64"})
    df["school_id"] = [_school_id(seq) for seq in df["seq"]]
    df["parent_school_id"] = [
        None if pd.isna(p) else _school_id(int(p)) for p in df["parent_seq"]
    ]
    df["county_run"] = df["county_run"].astype(bool)
    df["township_kind"] = df["township"].map(townships.set_index("township")["kind"])
    df["base_stage"] = np.where(
        df["school_type"].isin(["junior", "complete_secondary"]), "junior", "primary"
    )
    return df


def _school_id(seq: int) -> str:
    """A 10-digit 学校标识码-like id: '3' + county code + 3-digit sequence."""
    return f"3{DEMO_COUNTY_CODE}{seq:03d}"
