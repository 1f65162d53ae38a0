"""The pandera schema of a table, built from its declaration, and what each named check means.

Every check carries a name that the registry maps back to a rule (column, rule id, severity,
message details), so that pandera's failure cases become :class:`Violation` records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd
import pandera.pandas as pa

from dashboard.store.contract.plausible import Bound, bounds
from dashboard.store.contract.spec import (
    Condition,
    Severity,
    Spec,
    Table,
    Warn,
    enums,
    fmt_number,
    specs,
)

__all__ = ["Params", "ParamsFn", "Rule", "SchemaBuilder", "builder", "has_columns"]

_TEACHING_POINT: Final = "teaching_point"

Params = tuple[tuple[str, str], ...]
ParamsFn = Callable[[pd.DataFrame, int], Params]


def _no_params(df: pd.DataFrame, i: int) -> Params:
    return ()


@dataclass(frozen=True)
class Rule:
    """What a named pandera check means: column, rule id, severity and message details."""

    column: str | None
    rule: str
    severity: Severity
    params: ParamsFn = _no_params


def has_columns(df: pd.DataFrame, columns: Iterable[str]) -> bool:
    """Return whether every one of ``columns`` is in ``df``."""
    return all(c in df.columns for c in columns)


def _sum(df: pd.DataFrame, columns: Iterable[str]) -> pd.Series:
    """Return the row sums of ``columns`` as Float64, NA where any of them is empty."""
    cols = list(columns)
    return df[cols].astype("Float64").sum(axis=1, min_count=len(cols))


def _sum_at(df: pd.DataFrame, columns: Iterable[str], i: int) -> float:
    """Return the sum of ``columns`` in row ``i`` (a row that failed a check: no empty cell)."""
    return float(np.nansum(df[list(columns)].iloc[i].to_numpy(dtype="float64", na_value=np.nan)))


class SchemaBuilder:
    """Builds the pandera schema of one table from its declaration, and the check registry."""

    def __init__(self, table: Table, headers: dict[str, str]) -> None:
        self.table = table
        self.headers = headers  # canonical -> header as written (or as it would be)
        self.columns: dict[str, pa.Column] = {}
        self.frame_checks: list[pa.Check] = []
        self.registry: dict[str, Rule] = {}
        self.row_numbers: np.ndarray | None = None  # file row of each position, when known

    def _key(self, column: str | None, rule: str) -> str:
        return f"{column or ''}|{rule}"

    def column_check(self, spec: Spec, rule: str, fn: Callable[[pd.Series], pd.Series],
                     params: Params = ()) -> pa.Check:
        """Return a column check named for the registry; ``fn`` returns the rows that pass."""
        key = self._key(spec.name, rule)
        self.registry[key] = Rule(spec.name, rule, "error", lambda df, i: params)
        return pa.Check(lambda s: fn(s).fillna(True).astype(bool), name=key)

    def frame_check(self, column: str | None, rule: str, severity: Severity,
                    needs: tuple[str, ...], bad: Callable[[pd.DataFrame], pd.Series | np.ndarray],
                    params: ParamsFn = _no_params) -> None:
        """Add a dataframe-level check; ``bad`` returns the rows that break it (element-wise)."""
        key = self._key(column, rule)
        self.registry[key] = Rule(column, rule, severity, params)

        def check(df: pd.DataFrame) -> pd.Series:
            if not has_columns(df, needs):  # a missing column is reported once, as "required"
                return pd.Series(True, index=df.index)
            return ~pd.Series(bad(df), index=df.index).fillna(False).astype(bool)

        self.frame_checks.append(pa.Check(check, name=key, ignore_na=False))

    def header(self, column: str) -> str:
        return self.headers.get(column, column)

    def add(self, spec: Spec) -> None:
        """Add the column of ``spec`` with its own checks, and the rules it shares with others."""
        dtype = {"int": "Int64", "float": "Float64", "bool": "boolean"}.get(spec.dtype, object)
        if spec.enum is not None:
            dtype = object  # codes as text while checking; int-coded enums become ints after
        self.columns[spec.name] = pa.Column(
            dtype, checks=self._column_checks(spec), nullable=spec.nullable,
            required=spec.required)
        self._add_frame_rules(spec)

    def _column_checks(self, spec: Spec) -> list[pa.Check]:
        checks: list[pa.Check] = []
        if spec.min is not None:
            lo = spec.min
            checks.append(self.column_check(spec, f"min_{fmt_number(lo)}", lambda s: s >= lo))
        if spec.max is not None:
            hi = spec.max
            checks.append(self.column_check(spec, f"max_{fmt_number(hi)}", lambda s: s <= hi))
        if spec.digits is not None:
            pattern = rf"[0-9]{{{spec.digits}}}"
            checks.append(self.column_check(
                spec, f"digits_{spec.digits}", lambda s: s.astype("string").str.fullmatch(pattern)))
        if spec.enum is not None:
            codes = list(enums()[spec.enum])
            checks.append(self.column_check(spec, "enum", lambda s: s.isin(codes),
                                            (("enum", spec.enum),)))
        return checks

    def _add_frame_rules(self, spec: Spec) -> None:
        if spec.le:
            self._add_le(spec.name, spec.le)
        if spec.unique_within is not None:
            self._add_unique(spec.name, spec.unique_within)
        if spec.required_when is not None:
            self._add_required_when(spec.name, spec.required_when)
        if spec.only_when is not None:
            self._add_only_when(spec, spec.only_when)
        if spec.warn is not None:
            self._add_warn(spec, spec.warn)

    def _add_le(self, name: str, others: tuple[str, ...]) -> None:
        def over(df: pd.DataFrame) -> pd.Series:
            return df[name].astype("Float64") > _sum(df, others)

        def le_params(df: pd.DataFrame, i: int) -> Params:
            other = " + ".join(self.header(c) for c in others)
            return (("other", other), ("limit", fmt_number(_sum_at(df, others, i))))

        self.frame_check(name, "le:" + "+".join(others), "error", (name, *others), over,
                         le_params)

    def _add_unique(self, name: str, group: tuple[str, ...]) -> None:
        within = (("within", "|".join(self.header(c) for c in group)),) if group else ()
        key = [*group, name]

        def first(df: pd.DataFrame, i: int) -> Params:
            """Name the row the duplicate repeats: the clerk must find both."""
            same = (df[key] == df[key].iloc[i]).all(axis=1).to_numpy(dtype=bool)
            j = int(np.flatnonzero(same)[0])
            row = int(self.row_numbers[j]) if self.row_numbers is not None else j + 1
            return (*within, ("first", str(row)))

        self.frame_check(
            name, "unique", "error", (name, *group),
            lambda df: df[name].notna() & df.duplicated(key, keep="first"), first)

    def _add_required_when(self, name: str, cond: Condition) -> None:
        params = self._condition_params(cond)
        self.frame_check(name, f"required_when:{cond.column}={'|'.join(cond.values)}",
                         "error", (name, cond.column),
                         lambda df: cond.mask(df) & df[name].isna(), lambda df, i: params)

    def _known(self, df: pd.DataFrame, cond: Condition) -> pd.Series:
        """Return the rows whose ``cond.column`` holds one of its codes: a row whose value is
        not one (reported as ``enum``) is not judged by the rules that depend on it."""
        spec = next(s for s in specs(self.table) if s.name == cond.column)
        assert spec.enum is not None
        return df[cond.column].isin(list(enums()[spec.enum]))

    def _add_only_when(self, spec: Spec, cond: Condition) -> None:
        name = spec.name
        otherwise = "empty" if spec.dtype == "str" else "zero"
        params = (*self._condition_params(cond), ("otherwise", otherwise))

        def outside(df: pd.DataFrame) -> pd.Series:
            filled = df[name].notna() & (df[name] != 0 if otherwise == "zero" else True)
            return ~cond.mask(df) & self._known(df, cond) & filled

        self.frame_check(name, f"only_when:{cond.column}={'|'.join(cond.values)}",
                         "error", (name, cond.column), outside, lambda df, i: params)

    def _condition_params(self, cond: Condition) -> Params:
        spec = next(s for s in specs(self.table) if s.name == cond.column)
        assert spec.enum is not None, f"{cond.column} in a condition must be an enum"
        return (("column", self.header(cond.column)), ("enum", spec.enum))

    def _add_warn(self, spec: Spec, warn: Warn) -> None:
        name, over = spec.name, warn.over

        def implausible(df: pd.DataFrame) -> pd.Series:
            value = df[name].astype("Float64")
            valid = (df[list(over)].astype("Float64") >= 0).all(axis=1)  # else an error already
            if warn.kind.startswith("per_pupil"):  # a school without pupils: zero_students says it once
                valid &= _sum(df, over) > 0
            return valid & (value > 0) & (value > warn.limit * _sum(df, over))

        def params(df: pd.DataFrame, i: int) -> Params:
            denominator = _sum_at(df, over, i)
            shown = f"{_sum_at(df, [name], i) / denominator:.1f}" if denominator else "∞"
            return (("ratio", shown),)

        self.frame_check(name, warn.rule, "warning", (name, *over), implausible, params)

    def schema(self) -> pa.DataFrameSchema:
        return pa.DataFrameSchema(self.columns, checks=self.frame_checks, strict=False)


def builder(table: Table, headers: dict[str, str]) -> SchemaBuilder:
    """Return a schema builder holding every declared rule of ``table``."""
    b = SchemaBuilder(table, headers)
    for spec in specs(table):
        b.add(spec)
    if table == "schools":
        _add_school_rules(b)
    for bound in bounds(table):
        _add_plausible(b, bound)
    return b


def _add_plausible(b: SchemaBuilder, bound: Bound) -> None:
    """Add the warnings of one plausibility bound (dashboard/store/data/contract_plausible.csv)."""
    name = bound.name
    if bound.min is not None:
        lo = bound.min
        b.frame_check(name, f"plausible_min_{fmt_number(lo)}", "warning", (name,),
                      lambda df: df[name].astype("Float64") < lo)
    if bound.max is not None:
        hi = bound.max
        b.frame_check(name, f"plausible_max_{fmt_number(hi)}", "warning", (name,),
                      lambda df: df[name].astype("Float64") > hi)


def _add_school_rules(b: SchemaBuilder) -> None:
    """Add the schools rules that are not per-column: parent of a teaching point, no pupils."""
    key = ["year", "county_code", "school_id"]

    def orphan(df: pd.DataFrame) -> pd.Series:
        parents = df.loc[df["school_type"] != _TEACHING_POINT, key].dropna()
        known = pd.MultiIndex.from_frame(parents)
        wanted = pd.MultiIndex.from_arrays(
            [df["year"], df["county_code"], df["parent_school_id"]])
        is_tp = df["school_type"] == _TEACHING_POINT
        placed = df["year"].notna() & df["county_code"].notna()  # else reported already
        return is_tp & placed & df["parent_school_id"].notna() & ~wanted.isin(known)

    b.frame_check("parent_school_id", "parent_exists", "error",
                  ("year", "county_code", "school_id", "school_type", "parent_school_id"), orphan)
    pupils = tuple(s.name for s in specs("schools") if s.name.startswith("students_"))
    b.frame_check(None, "zero_students", "warning", pupils,
                  lambda df: (df[list(pupils)].fillna(0) == 0).all(axis=1)
                  & df[list(pupils)].notna().any(axis=1))
