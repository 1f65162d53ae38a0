"""The standards as data: indicators, thresholds, parameters and province profiles.

Everything here is read from the tables shipped in ``dashboard/method/data/`` (a copy of the project's
``standards.csv``, ``indicators.csv`` and the profiles in ``data/profiles/``); no threshold is a literal in
code.  Sources and the reasoning behind each row are in ``standards.csv`` itself.

>>> INDICATORS["Q2"].minimum("primary")
1.0
>>> cv_threshold("basic", "junior")
0.55
>>> DEFAULT_PARAMS.split_nine_year
(1.0, 1.1)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from pathlib import Path
from typing import Final, Literal

import pandas as pd

from dashboard.method.profiles import Profile, load_profile, profile_ids

__all__ = [
    "STAGES",
    "SCHEMES",
    "Indicator",
    "INDICATORS",
    "BASIC_IDS",
    "QUALITY_IDS",
    "EvalParams",
    "DEFAULT_PARAMS",
    "ProvinceProfile",
    "standards_table",
    "cv_threshold",
    "scheme_ids",
    "teacher_attributes",
    "INDICATOR_KINDS",
    "province_profile",
    "province_profile_ids",
]

Stage = Literal["primary", "junior"]
Scheme = Literal["basic", "quality"]
STAGES: Final[tuple[Stage, ...]] = ("primary", "junior")
SCHEMES: Final[tuple[Scheme, ...]] = ("basic", "quality")

_SCHEME_OF_CSV = {"basic_2012": "basic", "quality_2017": "quality"}


_DATA_DIR: Final = Path(__file__).parent / "data"


def _data_text(name: str) -> str:
    return (_DATA_DIR / name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def standards_table() -> pd.DataFrame:
    """Return standards.csv as a DataFrame indexed by id (thresholds kept as text)."""
    import io

    return pd.read_csv(io.StringIO(_data_text("standards.csv")), dtype=str).set_index("id")


def _num(text: object) -> float | None:
    """First number in a threshold cell ('1 (senior 1.2)' -> 1.0), None for an empty cell."""
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return None
    m = re.search(r"-?\d+(?:\.\d+)?", str(text))
    return float(m.group()) if m else None


def _second_num(text: object) -> float | None:
    nums = re.findall(r"\d+(?:\.\d+)?", str(text))
    return float(nums[1]) if len(nums) > 1 else None


@dataclass(frozen=True)
class Indicator:
    """One CV indicator (B1–B8, Q1–Q7): how its per-unit value is computed and named.

    ``value = numerator × scale / students``; the numerator is a unit column (for stage-specific
    teacher counts the stage suffix is dropped in units).  ``minimums`` holds the 2017 per-school
    minimums (quality only), per stage.
    """

    id: str
    scheme: Scheme
    numerator: str
    shared: bool  # a whole-school resource apportioned between stages
    scale: float  # 1, or 100 for "per 100 pupils"
    name_zh: str
    name_en: str
    short_zh: str
    short_en: str
    unit_zh: str
    unit_en: str
    decimals: int
    minimums: dict[str, float] = field(default_factory=dict)

    def minimum(self, stage: str) -> float:
        """Return the per-school minimum for ``stage`` (quality indicators only)."""
        try:
            return self.minimums[stage]
        except KeyError:
            raise KeyError(f"indicator {self.id} has no per-school minimum for stage {stage!r}") from None

    def name(self, lang: str) -> str:
        """Return the official name in ``lang`` ('zh' or 'en')."""
        return self.name_zh if lang == "zh" else self.name_en

    def unit(self, lang: str) -> str:
        """Return the display unit in ``lang``, e.g. 'm²/生' or 'm²/pupil'."""
        return self.unit_zh if lang == "zh" else self.unit_en


@lru_cache(maxsize=1)
def _indicators() -> dict[str, Indicator]:
    import io

    spec = pd.read_csv(io.StringIO(_data_text("indicators.csv")), dtype=str)
    std = standards_table()
    out: dict[str, Indicator] = {}
    for row in spec.itertuples(index=False):
        s = std.loc[row.id]
        mins: dict[str, float] = {}
        if row.scheme == "quality":
            mins = {"primary": float(s.primary_threshold), "junior": float(s.junior_threshold)}
        out[row.id] = Indicator(
            id=row.id,
            scheme=row.scheme,  # type: ignore[arg-type]
            numerator=row.numerator,
            shared=row.numerator_kind == "shared",
            scale=float(row.scale),
            name_zh=s.chinese_name,
            name_en=s.english_name,
            short_zh=row.short_zh,
            short_en=row.short_en,
            unit_zh=row.unit_zh,
            unit_en=row.unit_en,
            decimals=int(row.decimals),
            minimums=mins,
        )
    return out


INDICATORS: Final[dict[str, Indicator]] = _indicators()
BASIC_IDS: Final[tuple[str, ...]] = tuple(i for i, x in INDICATORS.items() if x.scheme == "basic")
QUALITY_IDS: Final[tuple[str, ...]] = tuple(i for i, x in INDICATORS.items() if x.scheme == "quality")


IndicatorKind = Literal["resource", "teacher"]
INDICATOR_KINDS: Final[tuple[IndicatorKind, ...]] = ("resource", "teacher")


def scheme_ids(scheme: str, kind: str | None = None) -> tuple[str, ...]:
    """Return the indicator ids of ``scheme`` ('basic' → B1–B8, 'quality' → Q1–Q7).

    ``kind`` keeps only the school resources ('resource': shared by a school's stages, bought)
    or only the teacher indicators ('teacher': counted per stage, moved by transfers), as
    ``indicators.csv`` classes them (numerator_kind shared / stage).

    >>> scheme_ids("basic", "teacher")
    ('B6', 'B7', 'B8')
    >>> scheme_ids("quality", "resource")
    ('Q4', 'Q5', 'Q6', 'Q7')
    """
    if scheme == "basic":
        ids = BASIC_IDS
    elif scheme == "quality":
        ids = QUALITY_IDS
    else:
        raise ValueError(f"scheme must be 'basic' or 'quality', got {scheme!r}")
    if kind is None:
        return ids
    if kind not in INDICATOR_KINDS:
        raise ValueError(f"kind must be 'resource' or 'teacher', got {kind!r}")
    return tuple(i for i in ids if INDICATORS[i].shared == (kind == "resource"))


def teacher_attributes() -> tuple[str, ...]:
    """Return the teacher attributes the indicators count, from their numerators.

    The numerator of a teacher indicator is ``teachers`` (all) or ``teachers_<attribute>``.

    >>> teacher_attributes()
    ('above_degree', 'mid_title', 'backbone', 'pe_art')
    """
    out: list[str] = []
    for ind in INDICATORS.values():
        if not ind.shared and ind.numerator.startswith("teachers_"):
            attr = ind.numerator.removeprefix("teachers_")
            if attr not in out:
                out.append(attr)
    return tuple(out)


@cache
def cv_threshold(scheme: str, stage: str) -> float:
    """Return the CV threshold (ratio): basic composite 0.65/0.55, quality each 0.50/0.45
    (read once per scheme and stage: standards_table is read once)."""
    row_id = {"basic": "B_CV_COMPOSITE", "quality": "Q_CV_EACH"}.get(scheme)
    if row_id is None:
        raise ValueError(f"scheme must be 'basic' or 'quality', got {scheme!r}")
    if stage not in STAGES:
        raise ValueError(f"stage must be 'primary' or 'junior', got {stage!r}")
    value = _num(standards_table().loc[row_id, f"{stage}_threshold"])
    assert value is not None
    return value


@dataclass(frozen=True)
class _TableParams:
    """The PARAM_* rows of standards.csv, parsed: the defaults of :class:`EvalParams`."""

    split_nine_year: tuple[float, float]
    split_complete_secondary: tuple[float, float]
    split_twelve_year: tuple[float, float, float]
    include_private_basic: bool
    include_private_quality: bool
    tp_min_students: int
    round_dp: int
    near_margin: float


def _table_params() -> _TableParams:
    std = standards_table()

    def first(row: str, column: str = "primary_threshold") -> float:
        value = _num(std.loc[row, column])
        if value is None:
            raise ValueError(f"standards.csv: row {row} lacks its number in {column}")
        return value

    def second(row: str) -> float:
        value = _second_num(std.loc[row, "junior_threshold"])
        if value is None:
            raise ValueError(f"standards.csv: row {row} lacks its second number in junior_threshold")
        return value

    def flag(row: str) -> bool:
        return str(std.loc[row, "primary_threshold"]).strip().lower() == "true"

    return _TableParams(
        split_nine_year=(first("PARAM_SPLIT_9Y"), first("PARAM_SPLIT_9Y", "junior_threshold")),
        split_complete_secondary=(first("PARAM_SPLIT_WZ", "junior_threshold"), second("PARAM_SPLIT_WZ")),
        split_twelve_year=(first("PARAM_SPLIT_12Y"), first("PARAM_SPLIT_12Y", "junior_threshold"),
                           second("PARAM_SPLIT_12Y")),
        include_private_basic=flag("PARAM_PRIVATE_BASIC"),
        include_private_quality=flag("PARAM_PRIVATE_QUALITY"),
        tp_min_students=int(first("PARAM_TP_MIN")),
        round_dp=int(first("PARAM_ROUND_CV")),
        near_margin=first("PARAM_NEAR_MARGIN"),
    )


_TABLE: Final = _table_params()


@dataclass(frozen=True)
class EvalParams:
    """Scope, split and rounding parameters of an evaluation (defaults from standards.csv).

    split_mode: "weighted" apportions shared resources of 一贯制/完全中学 by weighted enrolment
    (PARAM_SPLIT_*), "plain" by plain enrolment.  ``tp_basic``: teaching points under 基本均衡
    are merged into their parent school ("merge", the practice S21 documents) or left out
    ("exclude", seed 004: 教学点和民办学校暂不纳入差异系数计算).  Teaching points (教学点) enter
    the quality scheme
    when their pupils are ≥ ``tp_min_students`` (``tp_min_inclusive=True``, Hebei: "不足50人" out) or
    > it (``tp_min_inclusive=False``, Dazu: "50人及以下" out).
    """

    split_mode: Literal["weighted", "plain"] = "weighted"
    split_nine_year: tuple[float, float] = _TABLE.split_nine_year
    split_complete_secondary: tuple[float, float] = _TABLE.split_complete_secondary
    split_twelve_year: tuple[float, float, float] = _TABLE.split_twelve_year
    include_private_basic: bool = _TABLE.include_private_basic
    include_private_quality: bool = _TABLE.include_private_quality
    include_non_county_run_quality: bool = False
    tp_min_students: int = _TABLE.tp_min_students
    tp_min_inclusive: bool = True
    round_dp: int = _TABLE.round_dp
    near_margin: float = _TABLE.near_margin
    province_profile: str = "example_9of7"
    tp_basic: Literal["merge", "exclude"] = "merge"

    def with_(self, **changes: object) -> EvalParams:
        """Return a copy with ``changes`` applied (validated)."""
        return replace(self, **changes)  # type: ignore[arg-type]

    def __post_init__(self) -> None:
        if self.split_mode not in ("weighted", "plain"):
            raise ValueError(f"split_mode must be 'weighted' or 'plain', got {self.split_mode!r}")
        if self.tp_basic not in ("merge", "exclude"):
            raise ValueError(f"tp_basic must be 'merge' or 'exclude', got {self.tp_basic!r}")
        if self.tp_min_students < 0:
            raise ValueError(f"tp_min_students must be ≥ 0, got {self.tp_min_students}")
        if not 0 <= self.round_dp <= 6:
            raise ValueError(f"round_dp must be between 0 and 6, got {self.round_dp}")
        if self.near_margin < 0:
            raise ValueError(f"near_margin must be ≥ 0, got {self.near_margin}")

    def as_dict(self) -> dict[str, object]:
        """Return the parameters as a JSON-ready dict (tuples as lists)."""
        from dataclasses import asdict

        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


DEFAULT_PARAMS: Final[EvalParams] = EvalParams()


# The provincial profiles are data files (dashboard/method/data/profiles/, docs/method.md §4.1),
# read by dashboard.method.profiles; these names are kept for the code that uses them.
ProvinceProfile = Profile


def province_profile_ids() -> tuple[str, ...]:
    """Return the ids of the shipped province profiles, the default first."""
    return profile_ids()


def province_profile(profile_id: str | None = None) -> ProvinceProfile:
    """Return the province profile ``profile_id`` (default: the shipped default profile)."""
    return load_profile(profile_id)
