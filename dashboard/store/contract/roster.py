"""The teacher counts of the schools table, from the roster: the one definition of each count.

The attributes counted are those the indicators count (``teacher_attributes()`` of
``dashboard.method.standards``); the rules that decide them are docs/data-contract.md §2–3.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import numpy as np
import pandas as pd

from dashboard.method.standards import teacher_attributes
from dashboard.store.contract.spec import stage_codes

__all__ = ["PE_ART_SUBJECTS", "MID_TITLES", "roster_flags", "roster_counts"]

# Subjects whose teachers count as 体育艺术(音乐、美术)专任教师 (teachers_pe_art_{s}).
PE_ART_SUBJECTS: Final = ("体育", "音乐", "美术")
_ABOVE_DEGREE: Final = {"primary": ("associate", "bachelor", "postgraduate"),  # 专科 and above
                        "junior": ("bachelor", "postgraduate")}  # 本科 and above
MID_TITLES: Final = ("intermediate", "senior", "full_senior")  # 中级 and above


def _above_degree(roster: pd.DataFrame) -> np.ndarray:
    primary = (roster["stage"] == "primary").to_numpy()
    return np.where(primary, roster["degree"].isin(_ABOVE_DEGREE["primary"]),
                    roster["degree"].isin(_ABOVE_DEGREE["junior"]))


# How each teacher attribute is decided from a roster row; the keys must be exactly the
# attributes the indicators count (checked on import below).
_ATTRIBUTE_RULES: Final[dict[str, Callable[[pd.DataFrame], object]]] = {
    "above_degree": _above_degree,
    "mid_title": lambda roster: roster["title"].isin(MID_TITLES),
    "backbone": lambda roster: roster["backbone_level"] != "none",
    "pe_art": lambda roster: roster["subject"].isin(PE_ART_SUBJECTS),
}
if set(_ATTRIBUTE_RULES) != set(teacher_attributes()):
    raise RuntimeError(
        f"roster rules {sorted(_ATTRIBUTE_RULES)} do not match the teacher attributes of "
        f"indicators.csv {sorted(teacher_attributes())}")


def roster_flags(roster: pd.DataFrame) -> pd.DataFrame:
    """Return per teacher (the roster's index) 0/1 columns ``teachers``,
    ``teachers_above_degree``, ``teachers_mid_title``, ``teachers_backbone``, ``teachers_pe_art``.

    The rules of docs/data-contract.md §2–3: above the required degree is 专科+ for primary and 本科+
    for junior, a middle-or-higher title is 中级+, backbone is any level but none, PE/arts is
    体育, 音乐 or 美术.  The attribute columns follow ``teacher_attributes()``.
    """
    flags: dict[str, object] = {"teachers": np.ones(len(roster), dtype=np.int64)}
    for attribute in teacher_attributes():
        flags[f"teachers_{attribute}"] = _ATTRIBUTE_RULES[attribute](roster)
    return pd.DataFrame(flags, index=roster.index).astype(np.int64)


def roster_counts(roster: pd.DataFrame) -> pd.DataFrame:
    """Return teacher counts per school (index school_id) as the schools table holds them.

    Columns ``teachers_{s}``, ``teachers_above_degree_{s}``, ``teachers_mid_title_{s}``,
    ``teachers_backbone_{s}``, ``teachers_pe_art_{s}`` for s in primary, junior: the sums of
    :func:`roster_flags` by school and stage.

    >>> r = pd.DataFrame({"school_id": ["a", "a"], "stage": ["primary", "junior"],
    ...     "degree": ["associate", "associate"], "title": ["none", "senior"],
    ...     "backbone_level": ["none", "county"], "subject": ["体育", "数学"]})
    >>> roster_counts(r).loc["a", ["teachers_above_degree_primary", "teachers_above_degree_junior"]].tolist()
    [1, 0]
    """
    flags = roster_flags(roster)
    stage = roster["stage"].to_numpy()
    parts = [flags[stage == s].groupby(roster["school_id"][stage == s]).sum().add_suffix(f"_{s}")
             for s in stage_codes()]
    return pd.concat(parts, axis=1).fillna(0).astype(np.int64)
