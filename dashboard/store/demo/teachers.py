"""The demo teacher rosters: 2024 drawn school by school, 2023 and 2022 rebuilt from it.

Each teacher has a kind of arrival (stayed, hired in a year, rotated in a year); undoing a
year removes its hires, sends its rotated teachers back, reverts a few promotions, awards and
degree upgrades, and brings back the teachers who retired.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import pandas as pd

from dashboard.method.standards import STAGES
from dashboard.store.contract.roster import MID_TITLES, PE_ART_SUBJECTS
from dashboard.store.demo.facts import DEMO_YEARS, LAST_YEAR, PROFILES, RURAL_PROFILES, Profile

__all__ = ["rosters"]

_PRIMARY_SUBJECTS: Final = {
    "语文": 0.33,
    "数学": 0.28,
    "英语": 0.10,
    "科学": 0.08,
    "道德与法治": 0.08,
    "信息技术": 0.05,
    "综合实践": 0.05,
    "心理健康": 0.03,
}
_JUNIOR_SUBJECTS: Final = {
    "语文": 0.15,
    "数学": 0.15,
    "英语": 0.14,
    "物理": 0.08,
    "化学": 0.06,
    "生物": 0.06,
    "历史": 0.07,
    "地理": 0.07,
    "道德与法治": 0.09,
    "信息技术": 0.05,
    "心理健康": 0.03,
    "劳动": 0.05,
}
# The subjects that count as PE and arts (the contract's), with their shares: 体育 0.5, 音乐 and
# 美术 0.25 each.
_PE_ART_SUBJECTS: Final = dict(zip(PE_ART_SUBJECTS, (0.5, 0.25, 0.25), strict=True))
# Codes of the contract's enums, in the order of the probabilities in Profile and below.
_DEGREES: Final = ("secondary", "associate", "bachelor", "postgraduate")
_TITLES: Final = ("none", "junior", "intermediate", "senior", "full_senior")
_BACKBONE_LEVELS: Final = ("county", "city", "province", "national")
_BACKBONE_LEVEL_P: Final = (0.60, 0.30, 0.09, 0.01)
# Title probabilities by age band (upper age bound exclusive), before the profile's senior factor.
_TITLE_BY_AGE: Final = (
    (27, (0.55, 0.45, 0.00, 0.00, 0.00)),
    (35, (0.00, 0.55, 0.43, 0.02, 0.00)),
    (45, (0.00, 0.20, 0.60, 0.20, 0.00)),
    (99, (0.00, 0.10, 0.50, 0.38, 0.02)),
)


def rosters(
    rng: np.random.Generator,
    rng_history: np.random.Generator,
    base: pd.DataFrame,
    enrolment: dict[int, pd.DataFrame],
) -> tuple[dict[int, pd.DataFrame], dict[int, dict[str, int]]]:
    """Teacher rosters per year (2024 drawn, earlier years rebuilt) and rotation counts."""
    roster = _roster_last_year(rng, base, enrolment[LAST_YEAR])
    profile_of = dict(zip(base["school_id"], base["profile"], strict=True))
    next_id = len(roster)
    out: dict[int, pd.DataFrame] = {}
    rotation: dict[int, dict[str, int]] = {}
    for year in reversed(DEMO_YEARS):
        if year != LAST_YEAR:
            roster, next_id = _undo_year(rng_history, roster, year + 1, profile_of, next_id)
        roster = roster.sort_values("teacher_id", kind="stable").reset_index(drop=True)
        out[year] = roster
        rotation[year] = _rotation_counts(roster, year)
    return out, rotation


def _pick(rng: np.random.Generator, options: dict[str, float], n: int) -> np.ndarray:
    keys = list(options)
    p = np.array([options[k] for k in keys])
    return np.array(keys, dtype=object)[rng.choice(len(keys), size=n, p=p / p.sum())]


def _quota(rng: np.random.Generator, prof: Profile, expected: float, available: int) -> int:
    """A head count near ``expected`` (randomly rounded), at most ``available``."""
    x = expected * rng.lognormal(0.0, 0.06)
    # Rural schools get the teachers they need to meet the minimum, most of the time.
    round_up = rng.uniform() < (0.85 if prof.floor else x - math.floor(x))
    return min(math.ceil(x) if round_up else math.floor(x), available)


def _roster_last_year(
    rng: np.random.Generator, base: pd.DataFrame, pupils: pd.DataFrame
) -> pd.DataFrame:
    """Draw the 2024 roster school by school, stage by stage."""
    year = LAST_YEAR
    donors = {  # schools a rotated teacher can have come from, by (stage, rural destination)
        (stage, rural): base.loc[
            (pupils[f"students_{stage}"] > 0)
            & (base["ownership"] == "public")
            & base["county_run"]
            & (base["profile"].isin(RURAL_PROFILES) != rural),
            "school_id",
        ].to_numpy()
        for stage in STAGES
        for rural in (False, True)
    }
    parts = []
    for i, row in enumerate(base.itertuples(index=False)):
        prof = PROFILES[str(row.profile)]
        for k, stage in enumerate(STAGES):
            n_pupils = int(pupils.iloc[i][f"students_{stage}"])
            if n_pupils == 0:
                continue
            n = max(2, int(round(n_pupils / prof.pupils_per_teacher[k] * rng.lognormal(0, 0.12))))
            part = _draw_teachers(rng, prof, k, n, n_pupils, year)
            part["school_id"] = str(row.school_id)
            part["stage"] = stage
            rotated = part["kind"].str.startswith("rot")
            pool = donors[(stage, row.profile in RURAL_PROFILES)]
            pool = pool[pool != row.school_id]
            part.loc[rotated, "prev_school"] = rng.choice(pool, size=int(rotated.sum()))
            parts.append(part)
    roster = pd.concat(parts, ignore_index=True)
    roster.insert(0, "teacher_id", [f"DT{i + 1:06d}" for i in range(len(roster))])
    return roster


def _arrivals(rng: np.random.Generator, prof: Profile, n: int
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each teacher's kind of arrival ("stay", "hire<year>", "rot<year>"), its year (0 for
    those who stayed), and the masks of the hired and of the rotated."""
    kinds = ["stay"]
    p = [1.0]
    for j, y in enumerate(DEMO_YEARS):
        kinds += [f"hire{y}", f"rot{y}"]
        p += [prof.hire, prof.rotation[j]]
    p[0] = 1.0 - sum(p[1:])
    kind = np.array(kinds, dtype=object)[rng.choice(len(kinds), size=n, p=p)]
    arrival = np.array([int(s[-4:]) if s != "stay" else 0 for s in kind])
    hired = np.char.startswith(kind.astype(str), "hire")
    rotated = np.char.startswith(kind.astype(str), "rot")
    return kind, arrival, hired, rotated


def _ages(rng: np.random.Generator, prof: Profile, n: int, year: int, arrival: np.ndarray,
          hired: np.ndarray, rotated: np.ndarray) -> np.ndarray:
    """Each teacher's age in ``year``: by the profile's age bands; hires young."""
    band = rng.choice(3, size=n, p=prof.ages)
    age = np.select(
        [band == 0, band == 1], [rng.integers(26, 33, n), rng.integers(33, 48, n)],
        rng.integers(48, 60, n),
    )
    age = np.where(rotated, rng.integers(30, 56, n), age)
    return np.where(hired, year - arrival + rng.integers(22, 27, n), age)


def _starts(rng: np.random.Generator, n: int, year: int, birth: np.ndarray, arrival: np.ndarray,
            hired: np.ndarray, rotated: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each teacher's first year at the school, and at the previous school for the rotated."""
    tenure = 3 + np.floor(rng.exponential(7.0, n)).astype(int)
    start = np.minimum(year - tenure, year - 3)
    start = np.maximum(start, birth + 22)
    start = np.where(hired | rotated, arrival, start)
    prev_start = np.maximum(arrival - rng.integers(6, 17, n), birth + 22)
    prev_start = np.where(rotated, np.minimum(prev_start, arrival - 6), 0)
    return start, prev_start


def _degrees(rng: np.random.Generator, prof: Profile, k: int, n: int, age: np.ndarray,
             hired: np.ndarray) -> np.ndarray:
    """Each teacher's degree: older teachers have lower ones, new hires higher ones."""
    deg_p = np.array(prof.degree[k], dtype=float)
    old_p = deg_p * np.array([3.0, 1.5, 1.0, 0.0])
    deg = np.where(
        age >= 48,
        rng.choice(4, size=n, p=old_p / old_p.sum()),
        rng.choice(4, size=n, p=deg_p / deg_p.sum()),
    )
    young_p = np.array([0.0, 0.08, 0.85, 0.07]) if k == 0 else np.array([0.0, 0.0, 0.92, 0.08])
    deg = np.where(hired, rng.choice(4, size=n, p=young_p), deg)
    return np.array(_DEGREES, dtype=object)[deg]


def _titles(rng: np.random.Generator, prof: Profile, n: int, year: int, age: np.ndarray,
            arrival: np.ndarray, hired: np.ndarray) -> np.ndarray:
    """Each teacher's title by age band; hires of the year have none, earlier hires 初级."""
    title = np.empty(n, dtype=object)
    for i in range(n):
        probs = next(pr for upper, pr in _TITLE_BY_AGE if age[i] < upper)
        pr = np.array(probs, dtype=float)
        pr[3:] *= prof.senior_factor
        pr[2] += max(0.0, 1.0 - pr.sum())
        title[i] = _TITLES[int(rng.choice(5, p=pr / pr.sum()))]
    title = np.where(hired & (arrival == year), "none", title)
    return np.where(hired & (arrival < year), "junior", title)


def _backbone(rng: np.random.Generator, prof: Profile, k: int, n: int, pupils: int,
              title: np.ndarray, age: np.ndarray, hired: np.ndarray, rotated: np.ndarray
              ) -> np.ndarray:
    """Each teacher's backbone level: the profile's quota, given mostly to titled teachers."""
    backbone = np.full(n, "none", dtype=object)
    weight = np.select(
        [np.isin(title, MID_TITLES), title == "junior"], [3.0, 1.0], 0.0
    )
    weight = np.where(hired | (age < 28), 0.0, weight) * np.where(rotated, 1.5, 1.0)
    n_backbone = _quota(rng, prof, pupils * prof.backbone[k] / 100, int((weight > 0).sum()))
    if n_backbone:
        chosen = rng.choice(n, size=n_backbone, replace=False, p=weight / weight.sum())
        backbone[chosen] = _pick(rng, dict(zip(_BACKBONE_LEVELS, _BACKBONE_LEVEL_P, strict=True)), n_backbone)
    return backbone


def _subjects(rng: np.random.Generator, prof: Profile, k: int, n: int, pupils: int
              ) -> np.ndarray:
    """Each teacher's subject: the stage's mix, with the profile's quota of PE and arts."""
    subjects = _pick(rng, _PRIMARY_SUBJECTS if k == 0 else _JUNIOR_SUBJECTS, n)
    n_pe_art = _quota(rng, prof, pupils * prof.pe_art[k] / 100, n)
    if n_pe_art:
        chosen = rng.choice(n, size=n_pe_art, replace=False)
        subjects[chosen] = _pick(rng, _PE_ART_SUBJECTS, n_pe_art)
    return subjects


def _draw_teachers(
    rng: np.random.Generator, prof: Profile, k: int, n: int, pupils: int, year: int
) -> pd.DataFrame:
    """n teachers of one school and stage, with their kind of arrival in 2022–2024.

    The draws happen in a fixed order (arrival, age, start, degree, title, backbone, subject),
    which the seed's output depends on.
    """
    kind, arrival, hired, rotated = _arrivals(rng, prof, n)
    age = _ages(rng, prof, n, year, arrival, hired, rotated)
    birth = year - age
    start, prev_start = _starts(rng, n, year, birth, arrival, hired, rotated)
    degree = _degrees(rng, prof, k, n, age, hired)
    title = _titles(rng, prof, n, year, age, arrival, hired)
    backbone = _backbone(rng, prof, k, n, pupils, title, age, hired, rotated)
    subjects = _subjects(rng, prof, k, n, pupils)
    return pd.DataFrame(
        {
            "subject": subjects,
            "degree": degree,
            "title": title,
            "backbone_level": backbone,
            "birth_year": birth.astype(np.int64),
            "start_year_at_school": start.astype(np.int64),
            "kind": kind,
            "prev_school": None,
            "prev_start": prev_start.astype(np.int64),
        }
    )


def _undo_year(
    rng: np.random.Generator,
    roster: pd.DataFrame,
    year: int,
    profile_of: dict[str, str],
    next_id: int,
) -> tuple[pd.DataFrame, int]:
    """The roster of ``year - 1``, rebuilt from that of ``year`` by undoing the year's changes."""
    before = year - 1
    r = roster.loc[roster["kind"] != f"hire{year}"].copy()
    back = r["kind"] == f"rot{year}"
    r.loc[back, "school_id"] = r.loc[back, "prev_school"]
    r.loc[back, "start_year_at_school"] = r.loc[back, "prev_start"]
    r.loc[back, "kind"] = "stay"
    r.loc[r["kind"] == f"hire{before}", "title"] = "none"  # in their first year

    n = len(r)
    u = rng.uniform(size=(n, 4))
    age = before - r["birth_year"].to_numpy()
    title = r["title"].to_numpy(dtype=object).copy()
    title[(title == "intermediate") & (u[:, 0] < 0.05) & (age >= 26)] = "junior"
    title[(title == "senior") & (u[:, 0] < 0.03)] = "intermediate"
    title[(title == "full_senior") & (u[:, 0] < 0.10)] = "senior"
    r["title"] = title
    award = np.array([PROFILES[profile_of[s]].award for s in r["school_id"]])
    newly_named = (r["backbone_level"].to_numpy() != "none") & (u[:, 1] < award)
    r.loc[newly_named, "backbone_level"] = "none"
    upgraded = (
        (r["stage"].to_numpy() == "primary")
        & (r["degree"].to_numpy() == "bachelor")
        & (age > 30)
        & (u[:, 2] < 0.03)
    )
    r.loc[upgraded, "degree"] = "associate"

    retirees, next_id = _retirees(rng, r, year, profile_of, next_id)
    if retirees:
        r = pd.concat([r, pd.DataFrame(retirees)], ignore_index=True)
    for column in ("birth_year", "start_year_at_school", "prev_start"):
        r[column] = r[column].astype(np.int64)
    return r, next_id


def _retirees(
    rng: np.random.Generator,
    r: pd.DataFrame,
    year: int,
    profile_of: dict[str, str],
    next_id: int,
) -> tuple[list[dict[str, object]], int]:
    """The teachers who retired in ``year``, as they were the year before, with new ids."""
    before = year - 1
    retirees: list[dict[str, object]] = []
    for (school_id, stage), group in r.groupby(["school_id", "stage"], sort=True):
        prof = PROFILES[profile_of[str(school_id)]]
        k = STAGES.index(stage)
        count = int(rng.binomial(len(group), prof.retire))
        for _ in range(count):
            next_id += 1
            is_primary = k == 0
            retirees.append(
                {
                    "teacher_id": f"DT{next_id:06d}",
                    "school_id": school_id,
                    "stage": stage,
                    "subject": str(_pick(rng, _PRIMARY_SUBJECTS if is_primary else _JUNIOR_SUBJECTS, 1)[0]),
                    "degree": ("secondary", "associate", "bachelor")[
                        int(rng.choice(3, p=(0.3, 0.6, 0.1) if is_primary else (0.0, 0.5, 0.5)))
                    ],
                    "title": ("intermediate", "senior")[int(rng.uniform() < 0.35 * prof.senior_factor)],
                    "backbone_level": "none",
                    "birth_year": year - 60,
                    "start_year_at_school": before - int(rng.integers(8, 31)),
                    "kind": "stay",
                    "prev_school": None,
                    "prev_start": 0,
                }
            )
    return retirees, next_id


def _rotation_counts(roster: pd.DataFrame, year: int) -> dict[str, int]:
    """Teachers rotated into a new school in ``year``, those eligible (≥ 6 years), backbone."""
    rotated = roster["kind"] == f"rot{year}"
    arrived = roster["kind"].isin([f"rot{year}", f"hire{year}"])
    settled = ~arrived & (year - roster["start_year_at_school"] >= 6)
    return {
        "rotated": int(rotated.sum()),
        "eligible": int(rotated.sum() + settled.sum()),
        "backbone": int((rotated & (roster["backbone_level"] != "none")).sum()),
    }
