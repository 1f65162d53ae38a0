"""Checking a frame against its table's contract in one pass, reporting *every* violation.

1. headers are matched to canonical names (English name or Chinese header, in any mix);
2. every cell is parsed to its type, vectorised (unparseable cells become ``type`` violations);
3. a pandera ``DataFrameSchema`` built from the declaration validates the typed frame with
   ``lazy=True``; its failure cases, and those of a few cross-table passes (roster counts), are
   translated into :class:`Violation` records naming file, sheet, row, column, value and rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd
from pandera.errors import SchemaErrors

from dashboard.i18n import DEFAULT_LANG
from dashboard.store.contract.absent import fill_absent_stages
from dashboard.store.contract.cells import final_dtype, parse, texts
from dashboard.store.contract.limits import MAX_NUMBER
from dashboard.store.contract.reported import reported_mismatches
from dashboard.store.contract.schema import Params, SchemaBuilder, builder, has_columns
from dashboard.store.contract.spec import (
    Severity,
    Spec,
    Table,
    fmt_number,
    header_index,
    header_key,
    specs,
    stage_codes,
)
from dashboard.store.contract.violations import LoadResult, Violation, row_ranges, shown_value

__all__ = ["check", "validate_schools", "validate_teachers", "validate_county"]

_Extra = Callable[[SchemaBuilder], None]
_After = Callable[[pd.DataFrame, dict[str, str], np.ndarray], list[Violation]]


@dataclass
class _Report:
    """The violations found in one file (or frame), rows numbered as the user sees them."""

    file: str
    sheet: str | None
    row_numbers: np.ndarray  # file row number of each frame position
    found: list[Violation] = field(default_factory=list)

    def add(self, row: int | None, column: str | None, value: object, rule: str,
            severity: Severity = "error", params: Params = ()) -> None:
        number = None if row is None else int(self.row_numbers[row])
        text = None if value is None else shown_value(str(value))
        self.found.append(Violation(self.file, self.sheet, number, column, text, rule, severity,
                                    params))


@dataclass
class _Typed:
    """The declared columns of a frame as text and parsed, and the cells that failed parsing."""

    texts: dict[str, pd.Series]
    data: pd.DataFrame
    type_failed: set[tuple[int, str]]


# A header that declares 万元 where the contract's column is in 元 (教学仪器设备资产值(万元)):
# its numbers are multiplied by this (docs/data-contract.md §6).
WAN: Final = 10_000.0


def _header_match(index: dict[str, tuple[str, str]], header: object,
                  aliases: Mapping[str, str]) -> tuple[tuple[str, str] | None, float]:
    """Return the contract column a header names and the factor its numbers take: 1, or
    ``WAN`` for a 万元 header of a column in 元.  ``aliases`` (normalised header -> column,
    the user's own mapping) come first."""
    key = header_key(header)
    if key in aliases:
        return (aliases[key], "en" if str(header).isascii() else "zh"), 1.0
    match = index.get(key)
    if match is not None or "万元" not in str(header):
        return match, 1.0
    match = index.get(header_key(str(header).replace("万元", "元")))
    if match is None or not match[0].endswith("_yuan"):
        return None, 1.0
    return match, WAN


def _match_headers(table: Table, columns: Iterable[object], lang: str,
                   aliases: Mapping[str, str]) -> tuple[dict[str, int], dict[str, str], list[tuple[str, str]],
                              dict[str, float]]:
    """Return (canonical -> position, canonical -> header, duplicate (header, first header),
    canonical -> factor of a 万元 header).

    Every declared column gets a header: as written in the file, or, for an absent column,
    as the file would write it (Chinese when most recognised headers are Chinese).
    """
    index = header_index(table)
    position: dict[str, int] = {}
    headers: dict[str, str] = {}
    duplicates: list[tuple[str, str]] = []
    scales: dict[str, float] = {}
    votes = {"zh": 0, "en": 0}
    for pos, header in enumerate(columns):
        match, scale = _header_match(index, header, aliases)
        if match is None:
            continue  # not a contract column: ignored
        name, header_lang = match
        if name in headers:
            duplicates.append((str(header), headers[name]))
            continue
        headers[name], position[name] = str(header), pos
        if scale != 1.0:
            scales[name] = scale
        votes[header_lang] += 1
    file_lang = "zh" if votes["zh"] > votes["en"] else "en" if votes["en"] > votes["zh"] else lang
    for spec in specs(table):
        headers.setdefault(spec.name, spec.zh if file_lang == "zh" else spec.name)
    return position, headers, duplicates, scales


def _parse_columns(table: Table, frame: pd.DataFrame, position: dict[str, int],
                   headers: dict[str, str], report: _Report,
                   scales: dict[str, float]) -> _Typed:
    """Parse every present cell (failures reported as ``type``); absent optional columns
    take their default; a 万元 column's numbers are converted to 元 (``scales``)."""
    cell_texts: dict[str, pd.Series] = {}
    typed: dict[str, pd.Series] = {}
    type_failed: set[tuple[int, str]] = set()
    for spec in specs(table):
        if spec.name in position:
            series = frame.iloc[:, position[spec.name]]
            cell_texts[spec.name] = texts(series)
            parsed = parse(spec, series, cell_texts[spec.name])
            typed[spec.name] = (parsed.typed * scales[spec.name] if spec.name in scales
                                else parsed.typed)
            for i in map(int, np.flatnonzero(parsed.failed.to_numpy())):
                type_failed.add((i, spec.name))
                report.add(i, headers[spec.name], cell_texts[spec.name].iat[i], "type",
                           params=(("dtype", spec.dtype),))
            beyond = parsed.out_of_range
            for i in map(int, np.flatnonzero(beyond.to_numpy()) if beyond is not None else ()):
                type_failed.add((i, spec.name))
                report.add(i, headers[spec.name], cell_texts[spec.name].iat[i], "number_range",
                           params=(("limit", fmt_number(MAX_NUMBER)),))
        elif not spec.required:
            default = pd.Series([spec.default] * len(frame), index=frame.index, dtype=object)
            cell_texts[spec.name] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
            typed[spec.name] = parse(spec, default, texts(default)).typed
    return _Typed(cell_texts, pd.DataFrame(typed, index=frame.index), type_failed)


def _schema_violations(b: SchemaBuilder, typed: _Typed, headers: dict[str, str],
                       report: _Report) -> None:
    """Validate the typed frame with pandera and report every failure case as a violation.

    A failure pandera reports that is not one of the declared checks, or a check that could
    not run, is a fault of the contract code and raises RuntimeError.
    """
    try:
        b.schema().validate(typed.data, lazy=True)
    except SchemaErrors as exc:
        seen: set[tuple[str, int]] = set()
        for case in exc.failure_cases.itertuples(index=False):
            check = str(case.check)
            if check == "column_in_dataframe":
                report.add(None, headers[str(case.failure_case)], None, "required")
                continue
            if check not in ("not_nullable", *b.registry):
                raise RuntimeError(
                    f"untranslated pandera failure {check!r} on {case.column!r}") from exc
            if case.index is None or pd.isna(case.index):
                raise RuntimeError(
                    f"contract check {check!r} failed to run: {case.failure_case}") from exc
            row = int(case.index)
            if check == "not_nullable":
                if (row, str(case.column)) not in typed.type_failed:  # reported as "type"
                    report.add(row, headers[str(case.column)], None, "not_empty")
            elif (check, row) not in seen:  # frame checks report each column of a failing row
                seen.add((check, row))
                rule = b.registry[check]
                column = None if rule.column is None else headers[rule.column]
                value = None if rule.column is None else typed.texts[rule.column].iat[row]
                report.add(row, column, value, rule.rule, rule.severity,
                           rule.params(typed.data, row))


def _in_reading_order(found: list[Violation], table_specs: tuple[Spec, ...],
                      headers: dict[str, str]) -> tuple[Violation, ...]:
    """Return the violations by row (whole-column ones first), then column, then rule."""
    rank = {headers[s.name]: i for i, s in enumerate(table_specs)}
    return tuple(sorted(found, key=lambda v: (v.row is not None, v.row or 0,
                                              rank.get(v.column or "", len(rank)), v.rule)))


def _validate(table: Table, frame: pd.DataFrame, *, file: str, sheet: str | None,
              row_numbers: np.ndarray, lang: str, extra: _Extra | None = None,
              after: _After | None = None,
              aliases: Mapping[str, str] | None = None) -> LoadResult:
    """Return ``frame`` in canonical form and every violation of ``table``'s contract."""
    table_specs = specs(table)
    frame = frame.reset_index(drop=True)  # positions; row_numbers maps them to file rows
    report = _Report(file, sheet, row_numbers)

    position, headers, duplicates, scales = _match_headers(table, frame.columns, lang,
                                                           aliases or {})
    for header, first in duplicates:
        report.add(None, header, None, "duplicate_column", params=(("first", first),))
    if table == "schools":  # a 小学's empty 初中 cells are 0 (absent.py)
        frame = fill_absent_stages(frame, position)
    typed = _parse_columns(table, frame, position, headers, report, scales)
    if table == "schools":  # per-pupil figures reported beside their totals (reported.py)
        failed = {i for i, _ in typed.type_failed}
        for row, header, cell, rule, params in reported_mismatches(frame, typed.data, failed):
            report.add(row, header, cell, rule, "warning", params)

    b = builder(table, headers)
    b.row_numbers = row_numbers  # a duplicate names the row it repeats
    if extra is not None:
        extra(b)
    _schema_violations(b, typed, headers, report)

    if after is not None:  # cross-table passes
        report.found.extend(after(typed.data, headers, row_numbers))
    out = pd.DataFrame(
        {s.name: final_dtype(s, typed.data[s.name])
         for s in table_specs if s.name in typed.data.columns},
        index=frame.index,
    )
    return LoadResult(out, _in_reading_order(report.found, table_specs, headers),
                      tuple(int(n) for n in row_numbers))


def _row_numbers(frame: pd.DataFrame, header_rows: int) -> np.ndarray:
    return np.arange(len(frame)) + 1 + header_rows


def check(table: Table, frame: pd.DataFrame, schools: pd.DataFrame | None, *, file: str,
          sheet: str | None, row_numbers: np.ndarray, lang: str,
          aliases: Mapping[str, str] | None = None) -> LoadResult:
    """Return ``frame`` checked against ``table``'s contract, with the cross-table rules;
    ``aliases`` map the user's own headers (normalised) to contract columns."""
    extra: _Extra | None = None
    after: _After | None = None
    if table == "teachers" and schools is not None:
        extra, after = _roster_rules(schools, file, sheet)
    elif table == "county" and schools is not None:
        extra = _county_rules(schools)
    elif table in ("classes", "rooms") and schools is not None:  # contract.facts
        extra = _listed_schools(schools)
    return _validate(table, frame, file=file, sheet=sheet, row_numbers=row_numbers, lang=lang,
                     extra=extra, after=after, aliases=aliases)


def validate_schools(frame: pd.DataFrame, *, file: str = "schools", sheet: str | None = None,
                     header_rows: int = 0, lang: str = DEFAULT_LANG) -> LoadResult:
    """Return the schools table in canonical form with every violation of docs/data-contract.md §2.

    ``frame`` may use the canonical names or the Chinese headers; cells may be text (as read
    from a file) or typed.  Row *i* (0-based) is reported as row ``i + 1 + header_rows``.
    ``lang`` names absent columns when the frame's own headers do not show a language.
    The input is not changed.
    """
    return check("schools", frame, None, file=file, sheet=sheet, lang=lang,
                 row_numbers=_row_numbers(frame, header_rows))


def validate_teachers(frame: pd.DataFrame, schools: pd.DataFrame | None = None, *,
                      file: str = "teachers", sheet: str | None = None, header_rows: int = 0,
                      lang: str = DEFAULT_LANG) -> LoadResult:
    """Return the teacher roster in canonical form with every violation of docs/data-contract.md §3.

    With ``schools`` (a canonical schools frame), every teacher's school must be listed there
    and each school's teachers_primary / teachers_junior must equal its roster count per stage.
    """
    return check("teachers", frame, schools, file=file, sheet=sheet, lang=lang,
                 row_numbers=_row_numbers(frame, header_rows))


def validate_county(frame: pd.DataFrame, schools: pd.DataFrame | None = None, *,
                    file: str = "county", sheet: str | None = None, header_rows: int = 0,
                    lang: str = DEFAULT_LANG) -> LoadResult:
    """Return the county items in canonical form with every violation of docs/data-contract.md §4.

    ``item_id`` must be a county-level item of standards.csv; with ``schools``, each row's
    (county_code, year) must appear in the schools table.
    """
    return check("county", frame, schools, file=file, sheet=sheet, lang=lang,
                 row_numbers=_row_numbers(frame, header_rows))


def _county_rules(schools: pd.DataFrame) -> _Extra:
    """Return the county check that needs the schools table: its county and year exist."""
    pairs = pd.MultiIndex.from_frame(schools[["county_code", "year"]].drop_duplicates())

    def extra(b: SchemaBuilder) -> None:
        b.frame_check("county_code", "in_schools", "error", ("county_code", "year"),
                      lambda df: ~pd.MultiIndex.from_frame(df[["county_code", "year"]])
                      .isin(pairs))

    return extra


def _listed_schools(schools: pd.DataFrame) -> _Extra:
    """Return the check that each row's school is listed in the schools table."""
    ids = set(schools["school_id"].astype(str))

    def extra(b: SchemaBuilder) -> None:
        b.frame_check("school_id", "school_exists", "error", ("school_id",),
                      lambda df: df["school_id"].notna() & ~df["school_id"].isin(ids))

    return extra


def _roster_rules(schools: pd.DataFrame, file: str, sheet: str | None
                  ) -> tuple[_Extra, _After]:
    """Return the teachers rules that need the schools table: school exists, counts agree."""
    ids = set(schools["school_id"].astype(str))
    stages = list(stage_codes())

    def extra(b: SchemaBuilder) -> None:
        b.frame_check("school_id", "school_exists", "error", ("school_id",),
                      lambda df: df["school_id"].notna() & ~df["school_id"].isin(ids))

    def after(data: pd.DataFrame, headers: dict[str, str],
              row_numbers: np.ndarray) -> list[Violation]:
        if not has_columns(data, ("school_id", "stage")):
            return []
        declared = (schools.assign(school_id=schools["school_id"].astype(str))
                    .groupby("school_id")[[f"teachers_{s}" for s in stages]].sum())
        declared.columns = stages
        roster = (data.groupby(["school_id", "stage"]).size().unstack(fill_value=0)
                  .reindex(index=declared.index, columns=stages, fill_value=0))
        rows, cols = np.nonzero((roster != declared).to_numpy())
        # the roster's own rows of each school and stage, so the clerk can find them (only
        # when a count disagrees: a good roster pays nothing for it)
        where = {key: row_numbers[np.asarray(pos)] for key, pos in
                 data.reset_index(drop=True).groupby(["school_id", "stage"]).indices.items()
                 } if len(rows) else {}
        return [
            Violation(file, sheet, None, headers["school_id"], str(declared.index[int(r)]),
                      "roster_count", "error",
                      (("stage", stages[c]), ("roster", str(roster.iat[int(r), int(c)])),
                       ("declared", str(declared.iat[int(r), int(c)])),
                       ("rows", row_ranges(where.get((declared.index[int(r)], stages[c]), ())))))
            for r, c in zip(rows, cols, strict=True)
        ]

    return extra, after
