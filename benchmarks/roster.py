"""A synthetic teacher roster (docs/data-contract.md §3) for the synthetic schools tables of
:mod:`benchmarks.synthetic`, so the planner's rotation rule (G11, docs/method.md §9.4) can be
measured at county scale.  Benchmarks only: the product's store never sees it.

The roster agrees with the schools table exactly: per school and stage it holds
``teachers_{stage}`` teachers, of whom exactly ``teachers_{attr}_{stage}`` carry each attribute
(each attribute's holders drawn at random among the school's teachers, independently of the
others, so the attributes' joint classes vary between schools); ``roster_counts`` gives back the
table's counts.  Degree: holders ``bachelor`` or ``postgraduate``, others ``secondary`` (小学) or
``associate`` (初中); title: holders ``intermediate``/``senior``, others ``none``/``junior``;
backbone: holders ``county``/``city``, others ``none``; PE/arts: holders teach 体育/音乐/美术.
Years at the school are uniform in 0–14 (about 60 % at the school for 6 years or more, so
eligible to rotate under the default rule).  Seeded: the same schools and seed give the same
roster.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

_YEARS_AT_SCHOOL: Final = 15  # uniform in 0 .. this − 1
_OTHER_SUBJECTS: Final = ("语文", "数学", "英语", "科学")
_PE_ART: Final = ("体育", "音乐", "美术")


def _holders(rng: np.random.Generator, starts: np.ndarray, sizes: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Return a 0/1 flag per teacher: in each block (start, size), exactly ``count`` set at random."""
    n = int(sizes.sum())
    block = np.repeat(np.arange(len(sizes)), sizes)
    rank = np.empty(n, dtype=np.int64)
    order = np.lexsort((rng.random(n), block))  # a random order within each block
    rank[order] = np.arange(n) - np.repeat(starts, sizes)
    return rank < np.repeat(np.minimum(counts, sizes), sizes)


def synthetic_roster(schools: pd.DataFrame, seed: int = 7) -> pd.DataFrame:
    """Return a roster for ``schools`` (a table of :func:`benchmarks.synthetic.synthetic_country`)."""
    rng = np.random.default_rng(seed)
    parts = []
    year = int(schools["year"].iloc[0])
    for stage, low in (("primary", "secondary"), ("junior", "associate")):
        sizes = schools[f"teachers_{stage}"].to_numpy(np.int64)
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        n = int(sizes.sum())
        flag = {a: _holders(rng, starts, sizes, schools[f"teachers_{a}_{stage}"].to_numpy(np.int64))
                for a in ("above_degree", "mid_title", "backbone", "pe_art")}
        pick = rng.random(n) < 0.5
        parts.append(pd.DataFrame({
            "teacher_id": [f"{stage[0]}{i:07d}" for i in range(n)],
            "school_id": np.repeat(schools["school_id"].to_numpy(), sizes),
            "stage": stage,
            "subject": np.where(flag["pe_art"], np.array(_PE_ART)[rng.integers(0, 3, n)],
                                np.array(_OTHER_SUBJECTS)[rng.integers(0, 4, n)]),
            "degree": np.where(flag["above_degree"], np.where(pick, "bachelor", "postgraduate"), low),
            "title": np.where(flag["mid_title"], np.where(pick, "intermediate", "senior"),
                              np.where(pick, "none", "junior")),
            "backbone_level": np.where(flag["backbone"], np.where(pick, "county", "city"), "none"),
            "birth_year": year - rng.integers(24, 60, n),
            "start_year_at_school": year - rng.integers(0, _YEARS_AT_SCHOOL, n),
        }))
    return pd.concat(parts, ignore_index=True)
