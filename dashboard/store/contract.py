"""The data contract: the schools, teachers and county tables, declared once as data, and checked.

The columns of each table live in ``dashboard/store/data/contract_<table>.csv`` (one row per column:
canonical name, Chinese header, type, whether the column is required, bounds, enum, cross-column
rules, warnings) and the enumerations with their Chinese labels in ``contract_enums.csv``.  A
name holding ``{s}`` stands for two columns, ``_primary`` and ``_junior``, whose Chinese headers
start with 小学 / 初中.  The meaning of each column is in DATA-CONTRACT.md §2–4.

The declaration's own columns: ``dtype`` (int, float, str, bool, enum), ``required`` (the column
must be present), ``nullable`` (its cells may be empty), ``default`` (value of an absent optional
column), ``enum`` (a name in contract_enums.csv), ``min`` / ``max``, ``digits`` (exact number of
digits), ``le`` (must not exceed the sum of these columns, joined by +), ``unique_within`` (``*``
for the whole table, else the columns of the group, joined by +), ``required_when`` /
``only_when`` (``column=code|code``) and ``warn`` (``kind:limit:a+b``: value / (a + b) above
the limit is a warning, not an error).

Checking runs in one pass and reports *every* violation, never stopping at the first:

1. headers are matched to canonical names (English name or Chinese header, in any mix);
2. every cell is parsed to its type, vectorised (unparseable cells become ``type`` violations);
3. a pandera ``DataFrameSchema`` built from the declaration validates the typed frame with
   ``lazy=True``; its failure cases, and those of a few cross-table passes (roster counts), are
   translated into :class:`Violation` records naming file, sheet, row, column, value and rule.

Rows are numbered as the user sees them: in a CSV or XLSX file the row number in the sheet
(header in row 1, so data row *i*, 0-based, is row *i* + 2; title rows above the header and
blank rows keep their numbers); in a Parquet file or a DataFrame the 1-based position.

>>> SCHOOL_COLUMNS[:4]
('year', 'county_code', 'county_name', 'school_id')
>>> schools_header_map("zh")["teachers_above_degree_junior"]
'初中高于规定学历专任教师数'
>>> v = Violation("schools.xlsx", "Sheet1", 5, "小学在校生数", "-3", "min_0", "error")
>>> v.message("zh")
'文件 schools.xlsx，工作表 Sheet1，第 5 行，列「小学在校生数」：值 -3 不符合规则「不得小于 0」'
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final, Literal

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from dashboard.i18n import DEFAULT_LANG, t
from dashboard.method.standards import standards_table

__all__ = [
    "TABLES",
    "SCHOOL_COLUMNS",
    "TEACHER_COLUMNS",
    "COUNTY_COLUMNS",
    "header_map",
    "schools_header_map",
    "enum_labels",
    "Violation",
    "LoadResult",
    "ContractError",
    "load_schools",
    "load_teachers",
    "load_county",
    "validate_schools",
    "validate_teachers",
    "validate_county",
    "PE_ART_SUBJECTS",
    "roster_counts",
    "roster_flags",
]

Table = Literal["schools", "teachers", "county"]
Severity = Literal["error", "warning"]

TABLES: Final[tuple[Table, ...]] = ("schools", "teachers", "county")
_DATA_DIR: Final = Path(__file__).parent / "data"
# Groups of standards.csv whose items are county-level inputs (DATA-CONTRACT §4); of the
# ``county_threshold`` group only the items that apply to the whole county (not the computed CVs).
_COUNTY_ITEM_GROUPS: Final = frozenset(
    {"government_assurance", "education_quality", "social_recognition", "veto", "prerequisite"}
)
_TEACHING_POINT: Final = "teaching_point"
_BOOL_WORDS: Final = {
    "true": True, "1": True, "是": True, "yes": True,
    "false": False, "0": False, "否": False, "no": False,
}
_HEADER_SCAN_ROWS: Final = 10  # title rows above the header that a spreadsheet may carry
_LONG_ENUM: Final = 10  # enums longer than this are listed by code only in messages


# --------------------------------------------------------------------------- the declaration


@dataclass(frozen=True)
class _Condition:
    """``column=value|value``: the rows where ``column`` holds one of ``values``."""

    column: str
    values: tuple[str, ...]

    def mask(self, df: pd.DataFrame) -> pd.Series:
        return df[self.column].isin(self.values)


@dataclass(frozen=True)
class _Warn:
    """``kind:limit:a+b``: value / (a + b) above ``limit`` is implausible (a warning)."""

    kind: str
    limit: float
    over: tuple[str, ...]

    @property
    def rule(self) -> str:
        return f"{self.kind}_{_fmt_number(self.limit)}"


@dataclass(frozen=True)
class _Spec:
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
    required_when: _Condition | None
    only_when: _Condition | None
    warn: _Warn | None

    @property
    def is_int(self) -> bool:
        """Whether the parsed values are integers (int columns and int-coded enums)."""
        return self.dtype == "int"


def _read_declaration_csv(name: str) -> list[dict[str, str]]:
    text = (_DATA_DIR / name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@lru_cache(maxsize=1)
def _enums() -> dict[str, dict[str, tuple[str, str]]]:
    """Return ``enum -> {code: (zh label, en label)}`` in declaration order."""
    enums: dict[str, dict[str, tuple[str, str]]] = {}
    for row in _read_declaration_csv("contract_enums.csv"):
        enums.setdefault(row["enum"], {})[row["code"]] = (row["zh"], row["en"])
    std = standards_table()
    county = (std["group"].isin(_COUNTY_ITEM_GROUPS)) | (
        (std["group"] == "county_threshold") & (std["applies_to"] == "county")
    )
    enums["county_item"] = {
        str(i): (str(r["chinese_name"]), str(r["english_name"])) for i, r in std[county].iterrows()
    }
    return enums


def _condition(text: str) -> _Condition | None:
    if not text:
        return None
    column, values = text.split("=")
    return _Condition(column, tuple(values.split("|")))


def _warn(text: str) -> _Warn | None:
    if not text:
        return None
    kind, limit, over = text.split(":")
    return _Warn(kind, float(limit), tuple(over.split("+")))


def _optional_float(text: str) -> float | None:
    return float(text) if text else None


@lru_cache(maxsize=len(TABLES))
def _specs(table: Table) -> tuple[_Spec, ...]:
    """Return the declared columns of ``table`` in order, with ``{s}`` expanded per stage."""
    stages = _enums()["stage"]
    specs: list[_Spec] = []
    for row in _read_declaration_csv(f"contract_{table}.csv"):
        variants = (
            [(code, labels[0]) for code, labels in stages.items()]
            if "{s}" in row["name"]
            else [(None, None)]
        )
        for code, label in variants:
            r = {k: (v.replace("{s}", code) if code else v) for k, v in row.items()}
            r["zh_header"] = row["zh_header"].replace("{s}", label) if label else row["zh_header"]
            unique = r["unique_within"]
            specs.append(
                _Spec(
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
                    required_when=_condition(r["required_when"]),
                    only_when=_condition(r["only_when"]),
                    warn=_warn(r["warn"]),
                )
            )
    return tuple(specs)


def _columns(table: Table) -> tuple[str, ...]:
    return tuple(s.name for s in _specs(table))


SCHOOL_COLUMNS: Final = _columns("schools")
TEACHER_COLUMNS: Final = _columns("teachers")
COUNTY_COLUMNS: Final = _columns("county")


def header_map(table: Table, lang: str = DEFAULT_LANG) -> dict[str, str]:
    """Return ``canonical name -> header`` for ``table`` in ``lang`` (en: the canonical names).

    >>> header_map("county", "zh")["item_id"]
    '评估项目编号'
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    return {s.name: (s.zh if lang == "zh" else s.name) for s in _specs(table)}


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
    codes = _enums()[enum]
    as_int = all(code.isdigit() for code in codes)
    pick = 0 if lang == "zh" else 1
    return {(int(c) if as_int else c): labels[pick] for c, labels in codes.items()}


def _header_key(header: object) -> str:
    """Normalise a header for matching: NFKC (全角 → 半角, ㎡ → m2), no spaces, casefolded."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(header))).casefold()


@lru_cache(maxsize=len(TABLES))
def _header_index(table: Table) -> dict[str, tuple[str, str]]:
    """Return ``normalised header -> (canonical name, header language)``."""
    index: dict[str, tuple[str, str]] = {}
    for s in _specs(table):
        index[_header_key(s.name)] = (s.name, "en")
        index[_header_key(s.zh)] = (s.name, "zh")
    return index


# --------------------------------------------------------------------------- violations


def _fmt_number(x: float) -> str:
    """Format a number for a message: integers without a decimal point."""
    return str(int(x)) if float(x).is_integer() else f"{x:.4g}"


@dataclass(frozen=True)
class Violation:
    """One broken rule at one place of one file.

    ``row`` is the row number as the user sees it (None for a whole-column or whole-table
    problem), ``column`` the header as written in the file, ``value`` the cell as written
    (None where there is none), ``rule`` a rule id ("min_0", "enum", "le:teachers_primary",
    "unique", "required", "type", …) and ``params`` the details a message needs.
    """

    file: str
    sheet: str | None
    row: int | None
    column: str | None
    value: str | None
    rule: str
    severity: Severity
    params: tuple[tuple[str, str], ...] = ()

    def message(self, lang: str = DEFAULT_LANG) -> str:
        """Return the violation as one sentence in ``lang``: where, the value and the rule."""
        where = [t("contract.where.file", lang, file=self.file)]
        if self.sheet is not None:
            where.append(t("contract.where.sheet", lang, sheet=self.sheet))
        if self.row is not None:
            where.append(t("contract.where.row", lang, row=self.row))
        if self.column is not None:
            where.append(t("contract.where.column", lang, column=self.column))
        place = t("contract.where.separator", lang).join(where)
        rule = self.rule_text(lang)
        if self.value is None:
            return t("contract.message.without_value", lang, where=place, rule=rule)
        return t("contract.message.with_value", lang, where=place, value=self.value, rule=rule)

    def rule_text(self, lang: str = DEFAULT_LANG) -> str:
        """Return the rule in words, in ``lang`` (e.g. 不得小于 0)."""
        p = dict(self.params)
        kind, _, arg = self.rule.partition(":")
        bound = re.fullmatch(r"(min|max|digits)_(.+)", kind)
        if bound:
            return t(f"contract.rule.{bound[1]}", lang, limit=bound[2])
        ratio = re.fullmatch(r"(per_\w+_max)_(.+)", kind)
        if ratio:
            return t(f"contract.rule.{ratio[1]}", lang, limit=ratio[2], ratio=p.get("ratio", ""))
        if kind == "type":
            return t(f"contract.rule.type_{p['dtype']}", lang)
        if kind == "enum":
            return t("contract.rule.enum", lang, allowed=_allowed_text(p["enum"], lang))
        if kind == "unique" and p.get("within"):
            within = p["within"].split("|")
            return t("contract.rule.unique_within", lang, within=_join(within, lang))
        if kind in ("required_when", "only_when"):
            cond = _condition(arg)
            assert cond is not None
            values = _enum_values_text(p["enum"], cond.values, lang)
            key = kind if kind == "required_when" else f"only_when_{p['otherwise']}"
            return t(f"contract.rule.{key}", lang, column=p["column"], values=values)
        if kind == "sheet":
            return t("contract.rule.sheet", lang, sheets=_join(p["sheets"].split("|"), lang))
        if kind == "roster_count":
            stage = _enum_values_text("stage", (p["stage"],), lang)
            return t("contract.rule.roster_count", lang, stage=stage, roster=p["roster"],
                     declared=p["declared"])
        return t(f"contract.rule.{kind}", lang, **p)


def _join(items: Iterable[str], lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(items)


def _enum_values_text(enum: str, codes: Iterable[str], lang: str) -> str:
    """Return the codes of ``enum`` in words: Chinese labels in zh, codes in en."""
    labels = _enums()[enum]
    if lang == "zh":
        return "、".join(labels[c][0] for c in codes)
    return " or ".join(codes)


def _allowed_text(enum: str, lang: str) -> str:
    """Return the allowed values of ``enum``: ``code 标签`` pairs in zh, codes in en."""
    labels = _enums()[enum]
    if lang == "zh" and len(labels) <= _LONG_ENUM:
        return "、".join(f"{code} {zh}" for code, (zh, _) in labels.items())
    return _join(labels, lang)


class ContractError(ValueError):
    """Data break the contract; ``violations`` holds every violation (errors and warnings).

    The message lists every error, numbered, in ``lang``.
    """

    def __init__(self, violations: Iterable[Violation], lang: str = DEFAULT_LANG) -> None:
        self.violations: tuple[Violation, ...] = tuple(violations)
        errors = [v for v in self.violations if v.severity == "error"]
        lines = [t("contract.summary", lang, count=len(errors))]
        lines += [f"{i}. {v.message(lang)}" for i, v in enumerate(errors, start=1)]
        super().__init__("\n".join(lines))

    @property
    def errors(self) -> tuple[Violation, ...]:
        """Return the violations that block (severity "error")."""
        return tuple(v for v in self.violations if v.severity == "error")


@dataclass(frozen=True, eq=False)
class LoadResult:
    """A table in canonical form and every violation found while loading and checking it.

    ``frame`` has the canonical English column names in declared order; ints are int64, floats
    float64, bools bool (nullable ``boolean`` where the column may be empty), codes and text str
    (None where empty), enums their English codes.  When ``ok`` is False the frame is a
    best-effort reading (unparseable cells empty, nullable dtypes) and must not be evaluated.
    """

    frame: pd.DataFrame
    violations: tuple[Violation, ...]

    @property
    def errors(self) -> tuple[Violation, ...]:
        """Return the violations that block (severity "error")."""
        return tuple(v for v in self.violations if v.severity == "error")

    @property
    def warnings(self) -> tuple[Violation, ...]:
        """Return the violations that do not block (implausible but possible values)."""
        return tuple(v for v in self.violations if v.severity == "warning")

    @property
    def ok(self) -> bool:
        """Return True when there is no error (warnings allowed)."""
        return not self.errors

    def raise_for_errors(self, lang: str = DEFAULT_LANG) -> LoadResult:
        """Return self when ``ok``; otherwise raise :class:`ContractError` listing every error."""
        if not self.ok:
            raise ContractError(self.violations, lang)
        return self


# --------------------------------------------------------------------------- parsing cells


def _cell_text(value: object) -> str | None:
    """Return a cell as stripped text (None when empty); integral floats without '.0'."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float | np.floating):
        number = float(value)
        if np.isnan(number):
            return None
        return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)
    text = str(value).strip()
    return text or None


def _texts(series: pd.Series) -> pd.Series:
    """Return the cells of a column as text (object Series, None where empty)."""
    return series.astype(object).map(_cell_text).astype(object)


def _numbers(text: pd.Series) -> pd.Series:
    """Return text parsed as float64 (NaN where unparseable); accepts 全角 digits and 1,234."""
    cleaned = text.map(
        lambda s: None if s is None else unicodedata.normalize("NFKC", s).replace(",", "")
    )
    return pd.to_numeric(cleaned, errors="coerce").astype("float64")


def _whole(num: pd.Series) -> pd.Series:
    """Return the mask of finite whole numbers in a float64 Series."""
    return pd.Series(np.isfinite(num) & (num == np.floor(num)), index=num.index)


@lru_cache(maxsize=32)
def _enum_lookup(enum: str) -> dict[str, str]:
    """Return ``normalised code or Chinese label -> code`` for an enum."""
    lookup: dict[str, str] = {}
    for code, (zh, _) in _enums()[enum].items():
        lookup[_header_key(code)] = code
        lookup[_header_key(zh)] = code
    return lookup


@dataclass(frozen=True)
class _Parsed:
    typed: pd.Series  # nullable dtype: Int64, Float64, boolean, or object (str / enum codes)
    failed: pd.Series  # bool: the cell is not empty but could not be parsed


def _parse(spec: _Spec, series: pd.Series, text: pd.Series) -> _Parsed:
    """Return the column parsed to ``spec``'s type and the mask of unparseable cells.

    Enum values outside the enum are kept as written (the enum check reports them).
    """
    nothing_failed = pd.Series(False, index=series.index)
    if spec.enum is not None:
        lookup = _enum_lookup(spec.enum)

        def code_of(s: str | None) -> str | None:
            if s is None:
                return None
            key = re.sub(r"^(\d+)\.0+$", r"\1", _header_key(s))  # 111.0 from a spreadsheet
            return lookup.get(key, s)

        return _Parsed(text.map(code_of).astype(object), nothing_failed)
    if spec.dtype == "str":
        return _Parsed(text, nothing_failed)
    if spec.dtype == "bool":
        if pd.api.types.is_bool_dtype(series):
            return _Parsed(series.astype("boolean"), nothing_failed)
        typed = text.map(
            lambda s: None if s is None
            else _BOOL_WORDS.get(unicodedata.normalize("NFKC", s).casefold())
        ).astype("boolean")
        return _Parsed(typed, text.notna() & typed.isna())
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        num = series.astype("float64")
    else:
        num = _numbers(text)  # text, or True/False in a number column (unparseable)
    ok = _whole(num) if spec.dtype == "int" else pd.Series(np.isfinite(num), index=num.index)
    numbers = num.where(ok).astype("Int64" if spec.dtype == "int" else "Float64")
    return _Parsed(numbers, text.notna() & ~ok)


def _final_dtype(spec: _Spec, typed: pd.Series) -> pd.Series:
    """Return the column in its canonical dtype (numpy dtypes where no cell is empty)."""
    if spec.enum is not None and spec.is_int:
        num = _numbers(typed)
        typed = num.where(_whole(num)).astype("Int64")
    if spec.is_int:
        return typed.astype("int64") if not typed.isna().any() else typed
    if spec.dtype == "float":
        return typed.astype("float64")
    if spec.dtype == "bool":
        return typed.astype(bool) if not spec.nullable and not typed.isna().any() else typed
    return typed


# --------------------------------------------------------------------------- the schema


_Params = tuple[tuple[str, str], ...]
_ParamsFn = Callable[[pd.DataFrame, int], _Params]


def _no_params(df: pd.DataFrame, i: int) -> _Params:
    return ()


@dataclass(frozen=True)
class _Rule:
    """What a named pandera check means: column, rule id, severity and message details."""

    column: str | None
    rule: str
    severity: Severity
    params: _ParamsFn = _no_params


def _has(df: pd.DataFrame, columns: Iterable[str]) -> bool:
    return all(c in df.columns for c in columns)


def _sum(df: pd.DataFrame, columns: Iterable[str]) -> pd.Series:
    """Return the row sums of ``columns`` as Float64, NA where any of them is empty."""
    cols = list(columns)
    return df[cols].astype("Float64").sum(axis=1, min_count=len(cols))


def _sum_at(df: pd.DataFrame, columns: Iterable[str], i: int) -> float:
    """Return the sum of ``columns`` in row ``i`` (a row that failed a check: no empty cell)."""
    return float(np.nansum(df[list(columns)].iloc[i].to_numpy(dtype="float64", na_value=np.nan)))


class _SchemaBuilder:
    """Builds the pandera schema of one table from its declaration, and the check registry."""

    def __init__(self, table: Table, headers: dict[str, str]) -> None:
        self.table = table
        self.headers = headers  # canonical -> header as written (or as it would be)
        self.columns: dict[str, pa.Column] = {}
        self.frame_checks: list[pa.Check] = []
        self.registry: dict[str, _Rule] = {}

    def _key(self, column: str | None, rule: str) -> str:
        return f"{column or ''}|{rule}"

    def column_check(self, spec: _Spec, rule: str, fn: Callable[[pd.Series], pd.Series],
                     params: _Params = ()) -> pa.Check:
        """Return a column check named for the registry; ``fn`` returns the rows that pass."""
        key = self._key(spec.name, rule)
        self.registry[key] = _Rule(spec.name, rule, "error", lambda df, i: params)
        return pa.Check(lambda s: fn(s).fillna(True).astype(bool), name=key)

    def frame_check(self, column: str | None, rule: str, severity: Severity,
                    needs: tuple[str, ...], bad: Callable[[pd.DataFrame], pd.Series | np.ndarray],
                    params: _ParamsFn = _no_params) -> None:
        """Add a dataframe-level check; ``bad`` returns the rows that break it (element-wise)."""
        key = self._key(column, rule)
        self.registry[key] = _Rule(column, rule, severity, params)

        def check(df: pd.DataFrame) -> pd.Series:
            if not _has(df, needs):  # a missing column is reported once, as "required"
                return pd.Series(True, index=df.index)
            return ~pd.Series(bad(df), index=df.index).fillna(False).astype(bool)

        self.frame_checks.append(pa.Check(check, name=key, ignore_na=False))

    def header(self, column: str) -> str:
        return self.headers.get(column, column)

    def add(self, spec: _Spec) -> None:
        checks: list[pa.Check] = []
        if spec.min is not None:
            lo = spec.min
            checks.append(self.column_check(spec, f"min_{_fmt_number(lo)}", lambda s: s >= lo))
        if spec.max is not None:
            hi = spec.max
            checks.append(self.column_check(spec, f"max_{_fmt_number(hi)}", lambda s: s <= hi))
        if spec.digits is not None:
            pattern = rf"[0-9]{{{spec.digits}}}"
            checks.append(self.column_check(
                spec, f"digits_{spec.digits}", lambda s: s.astype("string").str.fullmatch(pattern)))
        if spec.enum is not None:
            codes = list(_enums()[spec.enum])
            checks.append(self.column_check(spec, "enum", lambda s: s.isin(codes),
                                            (("enum", spec.enum),)))
        dtype = {"int": "Int64", "float": "Float64", "bool": "boolean"}.get(spec.dtype, object)
        if spec.enum is not None:
            dtype = object  # codes as text while checking; int-coded enums become ints after
        self.columns[spec.name] = pa.Column(
            dtype, checks=checks, nullable=spec.nullable, required=spec.required)
        self._add_frame_rules(spec)

    def _add_frame_rules(self, spec: _Spec) -> None:
        name = spec.name
        if spec.le:
            others = spec.le

            def over(df: pd.DataFrame) -> pd.Series:
                return df[name].astype("Float64") > _sum(df, others)

            def le_params(df: pd.DataFrame, i: int) -> _Params:
                other = " + ".join(self.header(c) for c in others)
                return (("other", other), ("limit", _fmt_number(_sum_at(df, others, i))))

            self.frame_check(name, "le:" + "+".join(others), "error", (name, *others), over,
                             le_params)
        if spec.unique_within is not None:
            group = spec.unique_within
            within = (("within", "|".join(self.header(c) for c in group)),) if group else ()
            self.frame_check(
                name, "unique", "error", (name, *group),
                lambda df: df[name].notna() & df.duplicated([*group, name], keep="first"),
                lambda df, i: within)
        if spec.required_when is not None:
            cond = spec.required_when
            params = self._condition_params(cond)
            self.frame_check(name, f"required_when:{cond.column}={'|'.join(cond.values)}",
                             "error", (name, cond.column),
                             lambda df: cond.mask(df) & df[name].isna(), lambda df, i: params)
        if spec.only_when is not None:
            cond = spec.only_when
            otherwise = "empty" if spec.dtype == "str" else "zero"
            params = (*self._condition_params(cond), ("otherwise", otherwise))

            def outside(df: pd.DataFrame) -> pd.Series:
                filled = df[name].notna() & (df[name] != 0 if otherwise == "zero" else True)
                return ~cond.mask(df) & filled

            self.frame_check(name, f"only_when:{cond.column}={'|'.join(cond.values)}",
                             "error", (name, cond.column), outside, lambda df, i: params)
        if spec.warn is not None:
            self._add_warn(spec, spec.warn)

    def _condition_params(self, cond: _Condition) -> _Params:
        spec = next(s for s in _specs(self.table) if s.name == cond.column)
        assert spec.enum is not None, f"{cond.column} in a condition must be an enum"
        return (("column", self.header(cond.column)), ("enum", spec.enum))

    def _add_warn(self, spec: _Spec, warn: _Warn) -> None:
        name, over = spec.name, warn.over

        def implausible(df: pd.DataFrame) -> pd.Series:
            value = df[name].astype("Float64")
            valid = (df[list(over)].astype("Float64") >= 0).all(axis=1)  # else an error already
            return valid & (value > 0) & (value > warn.limit * _sum(df, over))

        def params(df: pd.DataFrame, i: int) -> _Params:
            denominator = _sum_at(df, over, i)
            shown = f"{_sum_at(df, [name], i) / denominator:.1f}" if denominator else "∞"
            return (("ratio", shown),)

        self.frame_check(name, warn.rule, "warning", (name, *over), implausible, params)

    def schema(self) -> pa.DataFrameSchema:
        return pa.DataFrameSchema(self.columns, checks=self.frame_checks, strict=False)


def _builder(table: Table, headers: dict[str, str]) -> _SchemaBuilder:
    """Return a schema builder holding every declared rule of ``table``."""
    builder = _SchemaBuilder(table, headers)
    for spec in _specs(table):
        builder.add(spec)
    if table == "schools":
        _add_school_rules(builder)
    return builder


def _add_school_rules(b: _SchemaBuilder) -> None:
    """Add the schools rules that are not per-column: parent of a teaching point, no pupils."""
    key = ["year", "county_code", "school_id"]

    def orphan(df: pd.DataFrame) -> pd.Series:
        parents = df.loc[df["school_type"] != _TEACHING_POINT, key].dropna()
        known = pd.MultiIndex.from_frame(parents)
        wanted = pd.MultiIndex.from_arrays(
            [df["year"], df["county_code"], df["parent_school_id"]])
        is_tp = df["school_type"] == _TEACHING_POINT
        return is_tp & df["parent_school_id"].notna() & ~wanted.isin(known)

    b.frame_check("parent_school_id", "parent_exists", "error",
                  ("year", "county_code", "school_id", "school_type", "parent_school_id"), orphan)
    pupils = tuple(s.name for s in _specs("schools") if s.name.startswith("students_"))
    b.frame_check(None, "zero_students", "warning", pupils,
                  lambda df: (df[list(pupils)].fillna(0) == 0).all(axis=1)
                  & df[list(pupils)].notna().any(axis=1))


# --------------------------------------------------------------------------- validation


def _match_headers(table: Table, columns: Iterable[object], lang: str
                   ) -> tuple[dict[str, int], dict[str, str], list[tuple[str, str]]]:
    """Return (canonical -> position, canonical -> header, duplicate (header, first header)).

    Every declared column gets a header: as written in the file, or, for an absent column,
    as the file would write it (Chinese when most recognised headers are Chinese).
    """
    index = _header_index(table)
    position: dict[str, int] = {}
    headers: dict[str, str] = {}
    duplicates: list[tuple[str, str]] = []
    votes = {"zh": 0, "en": 0}
    for pos, header in enumerate(columns):
        match = index.get(_header_key(header))
        if match is None:
            continue  # not a contract column: ignored
        name, header_lang = match
        if name in headers:
            duplicates.append((str(header), headers[name]))
            continue
        headers[name], position[name] = str(header), pos
        votes[header_lang] += 1
    file_lang = "zh" if votes["zh"] > votes["en"] else "en" if votes["en"] > votes["zh"] else lang
    for spec in _specs(table):
        headers.setdefault(spec.name, spec.zh if file_lang == "zh" else spec.name)
    return position, headers, duplicates


def _validate(table: Table, frame: pd.DataFrame, *, file: str, sheet: str | None,
              row_numbers: np.ndarray, lang: str,
              extra: Callable[[_SchemaBuilder], None] | None = None,
              after: Callable[[pd.DataFrame, dict[str, str]], list[Violation]] | None = None,
              ) -> LoadResult:
    """Return ``frame`` in canonical form and every violation of ``table``'s contract."""
    specs = _specs(table)
    frame = frame.reset_index(drop=True)  # positions; row_numbers maps them to file rows
    found: list[Violation] = []

    def violation(row: int | None, column: str | None, value: object, rule: str,
                  severity: Severity = "error", params: _Params = ()) -> None:
        number = None if row is None else int(row_numbers[row])
        text = None if value is None else str(value)
        found.append(Violation(file, sheet, number, column, text, rule, severity, params))

    # 1. headers -> canonical names
    position, headers, duplicates = _match_headers(table, frame.columns, lang)
    for header, first in duplicates:
        violation(None, header, None, "duplicate_column", params=(("first", first),))

    # 2. parse every present cell; absent optional columns take their default
    texts: dict[str, pd.Series] = {}
    typed: dict[str, pd.Series] = {}
    type_failed: set[tuple[int, str]] = set()
    for spec in specs:
        if spec.name in position:
            series = frame.iloc[:, position[spec.name]]
            texts[spec.name] = _texts(series)
            parsed = _parse(spec, series, texts[spec.name])
            typed[spec.name] = parsed.typed
            for i in map(int, np.flatnonzero(parsed.failed.to_numpy())):
                type_failed.add((i, spec.name))
                violation(i, headers[spec.name], texts[spec.name].iat[i], "type",
                          params=(("dtype", spec.dtype),))
        elif not spec.required:
            default = pd.Series([spec.default] * len(frame), index=frame.index, dtype=object)
            texts[spec.name] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
            typed[spec.name] = _parse(spec, default, _texts(default)).typed
    data = pd.DataFrame(typed, index=frame.index)

    # 3. the declared rules, through pandera, every failure at once
    builder = _builder(table, headers)
    if extra is not None:
        extra(builder)
    try:
        builder.schema().validate(data, lazy=True)
    except SchemaErrors as exc:
        seen: set[tuple[str, int]] = set()
        for case in exc.failure_cases.itertuples(index=False):
            check = str(case.check)
            if check == "column_in_dataframe":
                violation(None, headers[str(case.failure_case)], None, "required")
                continue
            if check not in ("not_nullable", *builder.registry):
                raise RuntimeError(
                    f"untranslated pandera failure {check!r} on {case.column!r}") from exc
            if case.index is None or pd.isna(case.index):
                raise RuntimeError(
                    f"contract check {check!r} failed to run: {case.failure_case}") from exc
            row = int(case.index)
            if check == "not_nullable":
                if (row, str(case.column)) not in type_failed:  # reported as "type" already
                    violation(row, headers[str(case.column)], None, "not_empty")
            elif (check, row) not in seen:  # frame checks report each column of a failing row
                seen.add((check, row))
                rule = builder.registry[check]
                column = None if rule.column is None else headers[rule.column]
                value = None if rule.column is None else texts[rule.column].iat[row]
                violation(row, column, value, rule.rule, rule.severity, rule.params(data, row))

    # 4. cross-table passes, the canonical frame, violations in reading order
    if after is not None:
        found.extend(after(data, headers))
    out = pd.DataFrame(
        {s.name: _final_dtype(s, data[s.name]) for s in specs if s.name in data.columns},
        index=frame.index,
    )
    rank = {headers[s.name]: i for i, s in enumerate(specs)}
    found.sort(key=lambda v: (v.row is not None, v.row or 0,
                              rank.get(v.column or "", len(rank)), v.rule))
    return LoadResult(out, tuple(found))


def _row_numbers(frame: pd.DataFrame, header_rows: int) -> np.ndarray:
    return np.arange(len(frame)) + 1 + header_rows


def _check(table: Table, frame: pd.DataFrame, schools: pd.DataFrame | None, *, file: str,
           sheet: str | None, row_numbers: np.ndarray, lang: str) -> LoadResult:
    """Return ``frame`` checked against ``table``'s contract, with the cross-table rules."""
    extra: Callable[[_SchemaBuilder], None] | None = None
    after = None
    if table == "teachers" and schools is not None:
        extra, after = _roster_rules(schools, file, sheet)
    elif table == "county" and schools is not None:
        extra = _county_rules(schools)
    return _validate(table, frame, file=file, sheet=sheet, row_numbers=row_numbers, lang=lang,
                     extra=extra, after=after)


def validate_schools(frame: pd.DataFrame, *, file: str = "schools", sheet: str | None = None,
                     header_rows: int = 0, lang: str = DEFAULT_LANG) -> LoadResult:
    """Return the schools table in canonical form with every violation of DATA-CONTRACT §2.

    ``frame`` may use the canonical names or the Chinese headers; cells may be text (as read
    from a file) or typed.  Row *i* (0-based) is reported as row ``i + 1 + header_rows``.
    ``lang`` names absent columns when the frame's own headers do not show a language.
    The input is not changed.
    """
    return _check("schools", frame, None, file=file, sheet=sheet, lang=lang,
                  row_numbers=_row_numbers(frame, header_rows))


def validate_teachers(frame: pd.DataFrame, schools: pd.DataFrame | None = None, *,
                      file: str = "teachers", sheet: str | None = None, header_rows: int = 0,
                      lang: str = DEFAULT_LANG) -> LoadResult:
    """Return the teacher roster in canonical form with every violation of DATA-CONTRACT §3.

    With ``schools`` (a canonical schools frame), every teacher's school must be listed there
    and each school's teachers_primary / teachers_junior must equal its roster count per stage.
    """
    return _check("teachers", frame, schools, file=file, sheet=sheet, lang=lang,
                  row_numbers=_row_numbers(frame, header_rows))


def validate_county(frame: pd.DataFrame, schools: pd.DataFrame | None = None, *,
                    file: str = "county", sheet: str | None = None, header_rows: int = 0,
                    lang: str = DEFAULT_LANG) -> LoadResult:
    """Return the county items in canonical form with every violation of DATA-CONTRACT §4.

    ``item_id`` must be a county-level item of standards.csv; with ``schools``, each row's
    (county_code, year) must appear in the schools table.
    """
    return _check("county", frame, schools, file=file, sheet=sheet, lang=lang,
                  row_numbers=_row_numbers(frame, header_rows))


def _county_rules(schools: pd.DataFrame) -> Callable[[_SchemaBuilder], None]:
    """Return the county check that needs the schools table: its county and year exist."""
    pairs = pd.MultiIndex.from_frame(schools[["county_code", "year"]].drop_duplicates())

    def extra(b: _SchemaBuilder) -> None:
        b.frame_check("county_code", "in_schools", "error", ("county_code", "year"),
                      lambda df: ~pd.MultiIndex.from_frame(df[["county_code", "year"]])
                      .isin(pairs))

    return extra


def _roster_rules(schools: pd.DataFrame, file: str, sheet: str | None):
    """Return the teachers rules that need the schools table: school exists, counts agree."""
    ids = set(schools["school_id"].astype(str))
    stages = list(_enums()["stage"])

    def extra(b: _SchemaBuilder) -> None:
        b.frame_check("school_id", "school_exists", "error", ("school_id",),
                      lambda df: df["school_id"].notna() & ~df["school_id"].isin(ids))

    def after(data: pd.DataFrame, headers: dict[str, str]) -> list[Violation]:
        if not _has(data, ("school_id", "stage")):
            return []
        declared = (schools.assign(school_id=schools["school_id"].astype(str))
                    .groupby("school_id")[[f"teachers_{s}" for s in stages]].sum())
        declared.columns = stages
        roster = (data.groupby(["school_id", "stage"]).size().unstack(fill_value=0)
                  .reindex(index=declared.index, columns=stages, fill_value=0))
        rows, cols = np.nonzero((roster != declared).to_numpy())
        return [
            Violation(file, sheet, None, headers["school_id"], str(declared.index[int(r)]),
                      "roster_count", "error",
                      (("stage", stages[c]), ("roster", str(roster.iat[int(r), int(c)])),
                       ("declared", str(declared.iat[int(r), int(c)]))))
            for r, c in zip(rows, cols, strict=True)
        ]

    return extra, after


# Subjects whose teachers count as 体育艺术(音乐、美术)专任教师 (teachers_pe_art_{s}).
PE_ART_SUBJECTS: Final = ("体育", "音乐", "美术")
_ABOVE_DEGREE: Final = {"primary": ("associate", "bachelor", "postgraduate"),  # 专科 and above
                        "junior": ("bachelor", "postgraduate")}  # 本科 and above
_MID_TITLES: Final = ("intermediate", "senior", "full_senior")


def roster_flags(roster: pd.DataFrame) -> pd.DataFrame:
    """Return per teacher (the roster's index) 0/1 columns ``teachers``,
    ``teachers_above_degree``, ``teachers_mid_title``, ``teachers_backbone``, ``teachers_pe_art``.

    The rules of DATA-CONTRACT §2–3: above the required degree is 专科+ for primary and 本科+
    for junior, a middle-or-higher title is 中级+, backbone is any level but none, PE/arts is
    体育, 音乐 or 美术.
    """
    primary = (roster["stage"] == "primary").to_numpy()
    return pd.DataFrame({
        "teachers": np.ones(len(roster), dtype=np.int64),
        "teachers_above_degree": np.where(
            primary, roster["degree"].isin(_ABOVE_DEGREE["primary"]),
            roster["degree"].isin(_ABOVE_DEGREE["junior"])),
        "teachers_mid_title": roster["title"].isin(_MID_TITLES),
        "teachers_backbone": roster["backbone_level"] != "none",
        "teachers_pe_art": roster["subject"].isin(PE_ART_SUBJECTS),
    }, index=roster.index).astype(np.int64)


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
             for s in ("primary", "junior")]
    return pd.concat(parts, axis=1).fillna(0).astype(np.int64)


# --------------------------------------------------------------------------- reading files


def _decode(raw: bytes) -> str | None:
    """Return the text of a CSV file in UTF-8 (with or without BOM) or GBK; None if neither."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _grid_frame(table: Table, rows: list[list[object]]) -> tuple[pd.DataFrame, np.ndarray]:
    """Return the data below the header row of a sheet and each data row's number in the sheet.

    The header row is the first of the top rows that names the most declared columns (title
    rows above it are skipped); blank rows are dropped but keep their numbers.
    """
    index = _header_index(table)

    def hits(row: list[object]) -> int:
        return sum(_header_key(c) in index for c in row if c is not None)

    top = rows[:_HEADER_SCAN_ROWS]
    best = max(range(len(top)), key=lambda i: (hits(top[i]), -i))
    header = ["" if c is None else str(c).strip() for c in rows[best]]
    width = len(header)
    body = [list(r[:width]) + [None] * (width - len(r)) for r in rows[best + 1:]]
    numbers = np.arange(len(body)) + best + 2  # rows are 1-based; the header is row best + 1
    keep = [i for i, r in enumerate(body) if any(_cell_text(c) is not None for c in r)]
    frame = pd.DataFrame([body[i] for i in keep], columns=header, dtype=object)
    return frame, numbers[keep]


def _read(table: Table, path: Path, sheet: str | None
          ) -> tuple[pd.DataFrame | None, str | None, np.ndarray, Violation | None]:
    """Return (raw frame, sheet name, file row number of each frame row, reading problem)."""
    suffix = path.suffix.lower()
    name = path.name

    def problem(rule: str, sheet_name: str | None = None, **params: str):
        return None, sheet_name, np.arange(0), Violation(
            name, sheet_name, None, None, None, rule, "error", tuple(params.items()))

    if suffix not in (".parquet", ".csv", ".xlsx", ".xlsm"):
        return problem("format")
    try:
        if suffix == ".parquet":
            frame = pd.read_parquet(path)
            return frame, None, np.arange(len(frame)) + 1, None
        sheet_name = None
        if suffix == ".csv":
            text = _decode(path.read_bytes())
            if text is None:
                return problem("encoding")
            rows: list[list[object]] = [list(r) for r in csv.reader(io.StringIO(text))]
        else:
            from openpyxl import load_workbook

            book = load_workbook(path, read_only=True, data_only=True)
            try:
                sheet_name = sheet if sheet is not None else book.sheetnames[0]
                if sheet_name not in book.sheetnames:
                    return problem("sheet", sheet_name, sheets="|".join(book.sheetnames))
                rows = [list(r) for r in book[sheet_name].iter_rows(values_only=True)]
            finally:
                book.close()
    except Exception as exc:  # noqa: BLE001 - any unreadable file is reported, not raised
        return problem("unreadable", reason=f"{type(exc).__name__}: {exc}")
    if not rows:
        return problem("empty", sheet_name)
    frame, numbers = _grid_frame(table, rows)
    return frame, sheet_name, numbers, None


def _load(table: Table, path: str | Path, schools: pd.DataFrame | None, sheet: str | None,
          lang: str) -> LoadResult:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    frame, sheet_name, numbers, problem = _read(table, path, sheet)
    if problem is not None or frame is None:
        assert problem is not None
        return LoadResult(pd.DataFrame(columns=list(_columns(table))), (problem,))
    return _check(table, frame, schools, file=path.name, sheet=sheet_name, row_numbers=numbers,
                  lang=lang)


def load_schools(path: str | Path, *, sheet: str | None = None,
                 lang: str = DEFAULT_LANG) -> LoadResult:
    """Return the schools table read from .xlsx / .csv / .parquet, with every violation.

    CSV may be UTF-8 (with or without BOM) or GBK; XLSX is read from ``sheet`` (default: the
    first sheet), whose name appears in the violations.  Headers may be the canonical names or
    the Chinese headers, in any mix; ids and codes stay text (leading zeros kept).
    """
    return _load("schools", path, None, sheet, lang)


def load_teachers(path: str | Path, *, schools: pd.DataFrame | None = None,
                  sheet: str | None = None, lang: str = DEFAULT_LANG) -> LoadResult:
    """Return the teacher roster read from a file, with every violation (see validate_teachers)."""
    return _load("teachers", path, schools, sheet, lang)


def load_county(path: str | Path, *, schools: pd.DataFrame | None = None,
                sheet: str | None = None, lang: str = DEFAULT_LANG) -> LoadResult:
    """Return the county items read from a file, with every violation (see validate_county)."""
    return _load("county", path, schools, sheet, lang)
