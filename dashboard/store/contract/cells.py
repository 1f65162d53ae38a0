"""Parsing cells: every cell of a column to its declared type, vectorised, failures marked.

Text as read from a file and typed values are both accepted; 全角 digits, ``1,234`` and
``111.0`` (an integer a spreadsheet turned into a float) are read as numbers, and enums accept
their code or their Chinese label.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import numpy as np
import pandas as pd

from dashboard.store.contract.limits import MAX_NUMBER
from dashboard.store.contract.spec import Spec, enum_aliases, enums, header_key

__all__ = ["Parsed", "cell_text", "texts", "parse", "final_dtype"]

_BOOL_WORDS: Final = {
    "true": True, "1": True, "是": True, "yes": True,
    "false": False, "0": False, "否": False, "no": False,
    # the ticks and crosses of bureaus' own checklists
    "√": True, "✓": True, "✔": True, "×": False, "✗": False, "✘": False,
}


def cell_text(value: object) -> str | None:
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


def texts(series: pd.Series) -> pd.Series:
    """Return the cells of a column as text (object Series, None where empty)."""
    return series.astype(object).map(cell_text).astype(object)


def _numbers(text: pd.Series) -> pd.Series:
    """Return text parsed as float64 (NaN where unparseable); accepts 全角 digits and 1,234."""
    cleaned = text.map(
        lambda s: None if s is None else unicodedata.normalize("NFKC", s).replace(",", "")
    )
    return pd.to_numeric(cleaned, errors="coerce").astype("float64")


def _in_range(num: pd.Series) -> pd.Series:
    """Return the mask of finite numbers no larger in magnitude than MAX_NUMBER (2**53)."""
    with np.errstate(invalid="ignore"):
        return pd.Series(np.isfinite(num) & (np.abs(num) <= MAX_NUMBER), index=num.index)


def _whole(num: pd.Series) -> pd.Series:
    """Return the mask of whole numbers within MAX_NUMBER in a float64 Series: exactly the
    values that can be cast to int64 without loss (checked before every cast)."""
    return _in_range(num) & pd.Series(num == np.floor(num), index=num.index)


@lru_cache(maxsize=32)
def _enum_lookup(enum: str) -> dict[str, str]:
    """Return ``normalised code, Chinese label or alias -> code`` for an enum."""
    lookup = {header_key(alias): code for alias, code in enum_aliases().get(enum, {}).items()}
    for code, (zh, _) in enums()[enum].items():
        lookup[header_key(code)] = code
        lookup[header_key(zh)] = code
    return lookup


@dataclass(frozen=True)
class Parsed:
    typed: pd.Series  # nullable dtype: Int64, Float64, boolean, or object (str / enum codes)
    failed: pd.Series  # bool: the cell is not empty but could not be parsed
    out_of_range: pd.Series | None = None  # bool: a number, but infinite or beyond MAX_NUMBER


def _parse_enum(enum: str, text: pd.Series) -> pd.Series:
    """Return the enum codes of the cells; values outside the enum are kept as written."""
    lookup = _enum_lookup(enum)

    def code_of(s: str | None) -> str | None:
        if s is None:
            return None
        key = re.sub(r"^(\d+)\.0+$", r"\1", header_key(s))  # 111.0 from a spreadsheet
        return lookup.get(key, s)

    return text.map(code_of).astype(object)


def _parse_bool(series: pd.Series, text: pd.Series) -> Parsed:
    if pd.api.types.is_bool_dtype(series):
        return Parsed(series.astype("boolean"), pd.Series(False, index=series.index))
    typed = text.map(
        lambda s: None if s is None
        else _BOOL_WORDS.get(unicodedata.normalize("NFKC", s).casefold())
    ).astype("boolean")
    return Parsed(typed, text.notna() & typed.isna())


# An academic year as bureaus write it: 2024年, 2024学年, 2024-2025学年, 2024—2025学年度
# (docs/data-contract.md §6): the year it starts in.
_ACADEMIC_YEAR: Final = re.compile(r"(\d{4})(?:年|学年|学年度)?|(\d{4})[-—–~至/](\d{4})(?:年|学年|学年度)?")


def _academic_year(text: str | None) -> str | None:
    if text is None:
        return None
    found = _ACADEMIC_YEAR.fullmatch(re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)))
    if found is None:
        return text
    if found[1] is not None:
        return found[1]
    return found[2] if int(found[3]) == int(found[2]) + 1 else text  # 2024-2025, not 2024-2026


def _parse_number(spec: Spec, series: pd.Series, text: pd.Series) -> Parsed:
    """Parse a number column: finite and within MAX_NUMBER first, whole for ints, then cast."""
    kind = series.dtype.kind
    if kind in "iuf" and not pd.api.types.is_bool_dtype(series):
        num = series.astype("float64")
    elif spec.name == "year":  # the academic year, as 2024 or 2024-2025学年
        num = _numbers(text.map(_academic_year).astype(object))
    else:
        num = _numbers(text)  # text, or True/False / complex in a number column
    in_range = _in_range(num)
    ok = _whole(num) if spec.dtype == "int" else in_range
    numbers = num.where(ok).astype("Int64" if spec.dtype == "int" else "Float64")
    beyond = text.notna() & num.notna() & ~in_range  # a number, but not one this code can hold
    return Parsed(numbers, text.notna() & ~ok & ~beyond, beyond)


def parse(spec: Spec, series: pd.Series, text: pd.Series) -> Parsed:
    """Return the column parsed to ``spec``'s type and the mask of unparseable cells.

    ``text`` is ``texts(series)``.  Enum values outside the enum are kept as written (the enum
    check reports them).
    """
    if spec.enum is not None:
        return Parsed(_parse_enum(spec.enum, text), pd.Series(False, index=series.index))
    if spec.dtype == "str":
        return Parsed(text, pd.Series(False, index=series.index))
    if spec.dtype == "bool":
        return _parse_bool(series, text)
    return _parse_number(spec, series, text)


def final_dtype(spec: Spec, typed: pd.Series) -> pd.Series:
    """Return the column in its canonical dtype (numpy dtypes where no cell is empty)."""
    if spec.enum is not None and spec.is_int:
        num = _numbers(typed)
        typed = num.where(_whole(num)).astype("Int64")  # codes outside the enum: reported
    if spec.is_int:
        return typed.astype("int64") if not typed.isna().any() else typed
    if spec.dtype == "float":
        return typed.astype("float64")
    if spec.dtype == "bool":
        return typed.astype(bool) if not spec.nullable and not typed.isna().any() else typed
    return typed
