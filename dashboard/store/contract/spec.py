"""The declaration of the contract: the columns of each table and the enumerations, as data.

The columns of each table live in ``dashboard/store/data/contract_<table>.csv`` (one row per column:
canonical name, Chinese header, type, whether the column is required, bounds, enum, cross-column
rules, warnings) and the enumerations with their Chinese labels in ``contract_enums.csv``.  A
name holding ``{s}`` stands for two columns, ``_primary`` and ``_junior``, whose Chinese headers
start with 小学 / 初中.  The meaning of each column is in docs/data-contract.md §2–4.

The declaration's own columns: ``dtype`` (int, float, str, bool, enum), ``required`` (the column
must be present), ``nullable`` (its cells may be empty), ``default`` (value of an absent optional
column), ``enum`` (a name in contract_enums.csv), ``min`` / ``max``, ``digits`` (exact number of
digits), ``le`` (must not exceed the sum of these columns, joined by +), ``unique_within`` (``*``
for the whole table, else the columns of the group, joined by +), ``required_when`` /
``only_when`` (``column=code|code``) and ``warn`` (``kind:limit:a+b``: value / (a + b) above
the limit is a warning, not an error).

>>> SCHOOL_COLUMNS[:4]
('year', 'county_code', 'county_name', 'school_id')
>>> schools_header_map("zh")["teachers_above_degree_junior"]
'初中高于规定学历专任教师数'
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final, Literal

import pandas as pd

from dashboard.i18n import DEFAULT_LANG
from dashboard.method.standards import standards_table

__all__ = [
    "Table",
    "Severity",
    "TABLES",
    "SCHOOL_COLUMNS",
    "TEACHER_COLUMNS",
    "COUNTY_COLUMNS",
    "Condition",
    "Warn",
    "Spec",
    "parse_condition",
    "enums",
    "enum_aliases",
    "stage_codes",
    "specs",
    "columns",
    "header_map",
    "schools_header_map",
    "enum_labels",
    "header_key",
    "header_index",
    "fmt_number",
]

Table = Literal["schools", "teachers", "county", "classes", "rooms"]
Severity = Literal["error", "warning"]

TABLES: Final[tuple[Table, ...]] = ("schools", "teachers", "county")
_DATA_DIR: Final = Path(__file__).resolve().parent.parent / "data"  # dashboard/store/data
# Groups of standards.csv whose items are county-level inputs (docs/data-contract.md §4); of the
# ``county_threshold`` group only the items that apply to the whole county (not the computed CVs).
_COUNTY_ITEM_GROUPS: Final = frozenset(
    {"government_assurance", "education_quality", "social_recognition", "veto", "prerequisite",
     "government_item"}
)


def fmt_number(x: float) -> str:
    """Format a number for a message or a rule id: integers without a decimal point."""
    return str(int(x)) if float(x).is_integer() else f"{x:.4g}"


@dataclass(frozen=True)
class Condition:
    """``column=value|value``: the rows where ``column`` holds one of ``values``."""

    column: str
    values: tuple[str, ...]

    def mask(self, df: pd.DataFrame) -> pd.Series:
        return df[self.column].isin(self.values)


@dataclass(frozen=True)
class Warn:
    """``kind:limit:a+b``: value / (a + b) above ``limit`` is implausible (a warning)."""

    kind: str
    limit: float
    over: tuple[str, ...]

    @property
    def rule(self) -> str:
        return f"{self.kind}_{fmt_number(self.limit)}"


@dataclass(frozen=True)
class Spec:
    """One declared column (a row of contract_<table>.csv, ``{s}`` already expanded)."""

    name: str
    zh: str
    dtype: str  # int, float, str, bool, enum
    required: bool  # the column must be present
    nullable: bool  # its cells may be empty
    default: str | None  # value of an absent optional column (None: empty)
    enum: str | None
    min: float | None
    max: float | None
    digits: int | None
    le: tuple[str, ...]
    unique_within: tuple[str, ...] | None  # () for table-wide uniqueness
    required_when: Condition | None
    only_when: Condition | None
    warn: Warn | None

    @property
    def is_int(self) -> bool:
        """Whether the parsed values are integers (int columns and int-coded enums)."""
        return self.dtype == "int"


def _read_declaration_csv(name: str) -> list[dict[str, str]]:
    text = (_DATA_DIR / name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@lru_cache(maxsize=1)
def enums() -> dict[str, dict[str, tuple[str, str]]]:
    """Return ``enum -> {code: (zh label, en label)}`` in declaration order.

    ``county_item`` is not declared in contract_enums.csv: it is the county-level items of
    standards.csv, so the two never disagree.
    """
    out: dict[str, dict[str, tuple[str, str]]] = {}
    for row in _read_declaration_csv("contract_enums.csv"):
        out.setdefault(row["enum"], {})[row["code"]] = (row["zh"], row["en"])
    std = standards_table()
    county = (std["group"].isin(_COUNTY_ITEM_GROUPS)) | (
        (std["group"] == "county_threshold") & (std["applies_to"] == "county")
    )
    out["county_item"] = {
        str(i): (str(r["chinese_name"]), str(r["english_name"])) for i, r in std[county].iterrows()
    }
    return out


@lru_cache(maxsize=1)
def enum_aliases() -> dict[str, dict[str, str]]:
    """Return ``enum -> {alias: code}``: other names a county's own sheets use for a code
    (九年一贯制 for 九年一贯制学校, 教学点, 大专 …), each with its reason in
    ``contract_enum_aliases.csv``.  Read as the code; never written.

    >>> enum_aliases()["school_type"]["教学点"]
    'teaching_point'
    """
    out: dict[str, dict[str, str]] = {}
    codes = enums()
    for row in _read_declaration_csv("contract_enum_aliases.csv"):
        if row["code"] not in codes.get(row["enum"], {}):
            raise ValueError(f"alias {row['alias']!r} names no code of {row['enum']!r}")
        out.setdefault(row["enum"], {})[row["alias"]] = row["code"]
    return out


def stage_codes() -> tuple[str, ...]:
    """Return the codes of the ``stage`` enum in declaration order (primary, junior).

    >>> stage_codes()
    ('primary', 'junior')
    """
    return tuple(enums()["stage"])


def parse_condition(text: str) -> Condition | None:
    """Return the condition written ``column=code|code`` (None for an empty cell)."""
    if not text:
        return None
    column, values = text.split("=")
    return Condition(column, tuple(values.split("|")))


def _parse_warn(text: str) -> Warn | None:
    if not text:
        return None
    kind, limit, over = text.split(":")
    return Warn(kind, float(limit), tuple(over.split("+")))


def _optional_float(text: str) -> float | None:
    return float(text) if text else None


def _spec(r: dict[str, str]) -> Spec:
    """Return the column declared by one row of contract_<table>.csv (``{s}`` expanded)."""
    unique = r["unique_within"]
    return Spec(
        name=r["name"],
        zh=r["zh_header"],
        dtype=r["dtype"],
        required=r["required"] == "yes",
        nullable=r["nullable"] == "yes",
        default=r["default"] or None,
        enum=r["enum"] or None,
        min=_optional_float(r["min"]),
        max=_optional_float(r["max"]),
        digits=int(r["digits"]) if r["digits"] else None,
        le=tuple(r["le"].split("+")) if r["le"] else (),
        unique_within=(
            None if not unique else () if unique == "*" else tuple(unique.split("+"))
        ),
        required_when=parse_condition(r["required_when"]),
        only_when=parse_condition(r["only_when"]),
        warn=_parse_warn(r["warn"]),
    )


@lru_cache(maxsize=len(TABLES))
def specs(table: Table) -> tuple[Spec, ...]:
    """Return the declared columns of ``table`` in order, with ``{s}`` expanded per stage."""
    stages = enums()["stage"]
    out: list[Spec] = []
    for row in _read_declaration_csv(f"contract_{table}.csv"):
        variants = (
            [(code, labels[0]) for code, labels in stages.items()]
            if "{s}" in row["name"]
            else [(None, None)]
        )
        for code, label in variants:
            r = {k: (v.replace("{s}", code) if code else v) for k, v in row.items()}
            r["zh_header"] = row["zh_header"].replace("{s}", label) if label else row["zh_header"]
            out.append(_spec(r))
    return tuple(out)


def columns(table: Table) -> tuple[str, ...]:
    """Return the canonical column names of ``table`` in declared order."""
    return tuple(s.name for s in specs(table))


SCHOOL_COLUMNS: Final = columns("schools")
TEACHER_COLUMNS: Final = columns("teachers")
COUNTY_COLUMNS: Final = columns("county")


def header_map(table: Table, lang: str = DEFAULT_LANG) -> dict[str, str]:
    """Return ``canonical name -> header`` for ``table`` in ``lang`` (en: the canonical names).

    >>> header_map("county", "zh")["item_id"]
    '评估项目编号'
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    return {s.name: (s.zh if lang == "zh" else s.name) for s in specs(table)}


def schools_header_map(lang: str = DEFAULT_LANG) -> dict[str, str]:
    """Return ``canonical name -> header`` of the schools table in ``lang`` ("zh" or "en").

    >>> schools_header_map("zh")["students_primary"]
    '小学在校生数'
    """
    return header_map("schools", lang)


def enum_labels(enum: str, lang: str = DEFAULT_LANG) -> dict[object, str]:
    """Return ``code -> label`` of a declared enum in ``lang``, codes typed as in the frames.

    >>> enum_labels("school_type", "zh")["teaching_point"]
    '小学教学点'
    >>> enum_labels("urban_rural_code", "zh")[111]
    '主城区'
    """
    codes = enums()[enum]
    as_int = all(code.isdigit() for code in codes)
    pick = 0 if lang == "zh" else 1
    return {(int(c) if as_int else c): labels[pick] for c, labels in codes.items()}


def header_key(header: object) -> str:
    """Normalise a header for matching: NFKC (全角 → 半角, ㎡ and m² → m2), 平方米 → m2, no
    spaces, casefolded (statistics forms write 教学及辅助用房面积（平方米）).

    >>> header_key("教学及辅助用房面积（平方米）") == header_key("教学及辅助用房面积(㎡)")
    True
    """
    text = unicodedata.normalize("NFKC", str(header)).replace("平方米", "m2")
    return re.sub(r"\s+", "", text).casefold()


@lru_cache(maxsize=len(TABLES))
def header_index(table: Table) -> dict[str, tuple[str, str]]:
    """Return ``normalised header -> (canonical name, header language)``."""
    index: dict[str, tuple[str, str]] = {}
    for s in specs(table):
        index[header_key(s.name)] = (s.name, "en")
        index[header_key(s.zh)] = (s.name, "zh")
    return index
