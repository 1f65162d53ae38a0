"""Getting a county's own files in: load and check them all, keep the year and counties asked
for, show what the new snapshot would hold against the year before, then write it.

Nothing is written while any file breaks the contract: :func:`stage_import` raises
:class:`ContractError` with every error of every file (file, sheet, row, column, value, rule),
and the caller writes the staged tables with :func:`write_staged` only after the user has seen
the preview.  A workbook may hold several counties (a city bureau's); the snapshot then holds
them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from dashboard.i18n import DEFAULT_LANG, t
from dashboard.store.compare import SchoolsDiff, compare_schools
from dashboard.store.contract import (
    ContractError,
    LoadResult,
    Violation,
    load_county,
    load_schools,
    load_teachers,
)
from dashboard.store.contract.facts import load_facts
from dashboard.store.contract.reading import sheet_names
from dashboard.store.contract.violations import shown_value
from dashboard.store.snapshots import (
    SnapshotInfo,
    SnapshotValueError,
    list_snapshots,
    read_snapshot,
    write_snapshot,
)

__all__ = ["Staged", "Preview", "ImportResult", "preview_lines", "stage_import",
           "default_snapshot_id", "free_snapshot_id", "preview",
           "write_staged", "import_file_as_snapshot"]


@dataclass(frozen=True, eq=False)
class Staged:
    """The checked tables of an import, kept to one year and the chosen counties."""

    schools: pd.DataFrame
    teachers: pd.DataFrame | None
    county: pd.DataFrame | None
    warnings: tuple[Violation, ...]
    source: str
    classes: pd.DataFrame | None = None  # optional class rows (data contract §4a)
    rooms: pd.DataFrame | None = None  # optional room and facility rows
    schools_sheet: str | None = None  # the XLSX sheet the schools were read from

    @property
    def year(self) -> int:
        return int(self.schools["year"].iloc[0])

    @property
    def county_codes(self) -> tuple[str, ...]:
        return tuple(sorted(str(c) for c in self.schools["county_code"].unique()))


@dataclass(frozen=True, eq=False)
class Preview:
    """What a staged import would create, and how it differs from the year before."""

    staged: Staged
    pupils: dict[str, int]  # stage -> pupils
    previous: SnapshotInfo | None
    diff: SchoolsDiff | None
    same_year: tuple[SnapshotInfo, ...] = ()  # snapshots of the same year with one of its counties


def _keep(result: LoadResult, mask: pd.Series) -> pd.DataFrame:
    return result.frame[mask.to_numpy()].reset_index(drop=True)


def stage_import(schools_path: str | Path, *, teachers_path: str | Path | None = None,
                 county_path: str | Path | None = None, sheet: str | None = None,
                 year: int | None = None, county: str | None = None,
                 lang: str = DEFAULT_LANG,
                 aliases: Mapping[str, Mapping[str, str]] | None = None,
                 classes_path: str | Path | None = None,
                 rooms_path: str | Path | None = None) -> Staged:
    """Return the checked tables of the given files, kept to ``year`` and ``county`` if given;
    ``aliases`` (table -> the user's headers, normalised, -> contract column) as saved by
    :mod:`dashboard.store.mappings`.

    Raises :class:`ContractError` listing every error of every file, or
    :class:`SnapshotValueError` when the files hold several years and no ``year`` is chosen, or
    no row of the chosen year and county.
    """
    aliases = aliases or {}
    results = {"schools": _year_sheet(schools_path, sheet, year, lang, aliases.get("schools"))}
    reference = results["schools"].frame
    if teachers_path is not None:
        results["teachers"] = load_teachers(teachers_path, lang=lang,
                                            schools=_roster_reference(reference, year, county, lang),
                                            aliases=aliases.get("teachers"))
    if county_path is not None:
        results["county"] = load_county(county_path, schools=reference, lang=lang,
                                        aliases=aliases.get("county"))
    for table, path in (("classes", classes_path), ("rooms", rooms_path)):
        if path is not None:
            results[table] = load_facts(table, path, schools=reference, lang=lang,
                                        aliases=aliases.get(table))
    violations = [v for r in results.values() for v in r.violations]
    if any(v.severity == "error" for v in violations):
        raise ContractError(violations, lang)
    schools = results["schools"].frame
    mask = pd.Series(True, index=schools.index)
    if year is not None:
        mask &= schools["year"] == int(year)
    if county is not None:
        mask &= schools["county_code"].astype(str) == str(county)
    if not mask.any():
        raise SnapshotValueError(t("import.no_rows", lang, year=year if year is not None else "—",
                                   county=county or "—"))
    kept = _keep(results["schools"], mask)
    years = sorted({int(y) for y in kept["year"]})
    if len(years) > 1:
        raise SnapshotValueError(t("import.many_years", lang, years=", ".join(map(str, years))))
    ids = set(kept["school_id"].astype(str))
    masks = {"schools": mask}
    for table in ("teachers", "classes", "rooms"):
        if table in results:
            masks[table] = results[table].frame["school_id"].astype(str).isin(ids)
    if "county" in results:
        frame = results["county"].frame
        masks["county"] = ((frame["year"] == years[0])
                           & frame["county_code"].astype(str).isin(set(kept["county_code"].astype(str))))
    tables = {table: _keep(results[table], masks[table]) for table in masks if table != "schools"}
    paths = [p for p in (schools_path, teachers_path, county_path, classes_path, rooms_path)
             if p is not None]
    warnings = tuple(v for table, m in masks.items() for v in results[table].warnings_of(m))
    return Staged(kept, tables.get("teachers"), tables.get("county"), warnings,
                  ", ".join(Path(p).name for p in paths), classes=tables.get("classes"),
                  rooms=tables.get("rooms"), schools_sheet=results["schools"].sheet)


def _has_year(result: LoadResult, year: int) -> bool:
    years = result.frame["year"] if "year" in result.frame.columns else pd.Series(dtype=object)
    return bool((pd.to_numeric(years, errors="coerce") == year).any())


def _year_sheet(path: str | Path, sheet: str | None, year: int | None, lang: str,
                aliases: Mapping[str, str] | None) -> LoadResult:
    """Return the schools read from ``sheet``, or, when none is named, from the sheet the
    reader picks; if that sheet holds no row of ``year`` and the workbook has a sheet that
    does (a bureau keeps one sheet per year: 2023学年, 2024学年), from that sheet."""
    first = load_schools(path, sheet=sheet, lang=lang, aliases=aliases)
    if sheet is not None or year is None or Path(path).suffix.lower() not in (".xlsx", ".xlsm") \
            or _has_year(first, int(year)):
        return first
    for name in sheet_names(path)[:32]:  # the sheet already read has no such row: passed over
        other = load_schools(path, sheet=name, lang=lang, aliases=aliases)
        if _has_year(other, int(year)):
            return other
    return first


def _roster_reference(schools: pd.DataFrame, year: int | None, county: str | None,
                      lang: str) -> pd.DataFrame:
    """Return the schools a roster (which names no year) is counted against: the rows of the
    chosen year and county.  A workbook of two years summed both years' teachers, and every
    school of a correct roster failed ``roster_count``.

    Raises :class:`SnapshotValueError` when the rows hold several years and none is chosen."""
    keep = pd.Series(True, index=schools.index)
    if year is not None:
        keep &= (schools["year"] == int(year)).fillna(False).astype(bool)
    if county is not None:
        keep &= schools["county_code"].astype(str) == str(county)
    chosen = schools[keep.to_numpy()]
    years = sorted({int(y) for y in chosen["year"].dropna()})
    if len(years) > 1:
        raise SnapshotValueError(t("import.many_years", lang, years=", ".join(map(str, years))))
    return chosen


def default_snapshot_id(staged: Staged) -> str:
    """Return ``<county>-<year>``, or ``<first county>-plus<n>-<year>`` for several counties.

    >>> default_snapshot_id(Staged(pd.DataFrame({"year": [2024], "county_code": ["360123"]}),
    ...                            None, None, (), "x.xlsx"))
    '360123-2024'
    """
    codes = staged.county_codes
    head = codes[0] if len(codes) == 1 else f"{codes[0]}-plus{len(codes) - 1}"
    return f"{head}-{staged.year}"


def free_snapshot_id(root: str | Path, staged: Staged) -> str:
    """Return :func:`default_snapshot_id`, or, when a snapshot (or anything) of that name is
    already under ``root`` (the same year imported again, a correction), the first free
    ``<id>-2``, ``<id>-3`` …: snapshots are never replaced (docs/data-contract.md §6.2)."""
    base = default_snapshot_id(staged)
    taken = Path(root)
    if not (taken / base).exists():
        return base
    return next(f"{base}-{n}" for n in range(2, 10_000) if not (taken / f"{base}-{n}").exists())


def _previous(infos: list[SnapshotInfo], staged: Staged) -> SnapshotInfo | None:
    """Return the latest snapshot of an earlier year holding every county of ``staged``."""
    earlier = [i for i in infos if i.year < staged.year and set(staged.county_codes) <= set(i.county_codes)]
    return max(earlier, key=lambda i: (i.year, i.created), default=None)


def preview(root: str | Path, staged: Staged, lang: str = DEFAULT_LANG) -> Preview:
    """Return what ``staged`` would create under ``root``, compared with the year before."""
    pupils = {stage: int(staged.schools[f"students_{stage}"].sum()) for stage in ("primary", "junior")}
    infos = list_snapshots(root) if Path(root).is_dir() else []  # read once for both
    previous = _previous(infos, staged)
    same_year = tuple(i for i in infos
                      if i.year == staged.year and set(staged.county_codes) & set(i.county_codes))
    diff = None
    if previous is not None:
        before = read_snapshot(previous.path, lang=lang).schools
        before = before[before["county_code"].astype(str).isin(set(staged.county_codes))]
        diff = compare_schools(before, staged.schools)
    return Preview(staged, pupils, previous, diff, same_year)


def write_staged(root: str | Path, snapshot_id: str, staged: Staged,
                 lang: str = DEFAULT_LANG, *, source: str | None = None,
                 created: str | None = None) -> Path:
    """Write ``staged`` as the new immutable snapshot ``root/snapshot_id``; return its path.
    ``source`` defaults to the imported files' names, ``created`` to now."""
    return write_snapshot(root, snapshot_id, staged.schools, staged.teachers, staged.county,
                          source=source if source is not None else staged.source,
                          created=created, lang=lang, classes=staged.classes,
                          rooms=staged.rooms)


@dataclass(frozen=True)
class ImportResult:
    """Where an imported snapshot was written and the warnings found in the source files."""

    path: Path
    warnings: tuple[Violation, ...]


def import_file_as_snapshot(root: str | Path, snapshot_id: str, schools_path: str | Path, *,
                            teachers_path: str | Path | None = None,
                            county_path: str | Path | None = None,
                            sheet: str | None = None, source: str | None = None,
                            created: str | None = None,
                            lang: str = DEFAULT_LANG) -> ImportResult:
    """Return where the snapshot built from the given files was written, with their warnings:
    :func:`stage_import` of every row, then :func:`write_staged`, in one step (no preview)."""
    staged = stage_import(schools_path, teachers_path=teachers_path, county_path=county_path,
                          sheet=sheet, lang=lang)
    path = write_staged(root, snapshot_id, staged, lang, source=source, created=created)
    return ImportResult(path, staged.warnings)


def preview_lines(pv: Preview, lang: str) -> list[str]:
    """Return the preview in sentences: what the snapshot holds, and against the year before."""
    st = pv.staged
    lines = [t("import.preview", lang, year=st.year, counties=", ".join(st.county_codes),
               schools=len(st.schools), primary=f"{pv.pupils['primary']:,}",
               junior=f"{pv.pupils['junior']:,}",
               teachers=len(st.teachers) if st.teachers is not None else "—",
               items=len(st.county) if st.county is not None else "—")]
    if st.schools_sheet is not None:  # picked among several: a cover sheet, one sheet a year
        lines.append(t("import.preview_sheet", lang, sheet=shown_value(st.schools_sheet)))
    if st.classes is not None or st.rooms is not None:
        lines.append(t("import.preview_facts", lang,
                       classes=len(st.classes) if st.classes is not None else "—",
                       rooms=len(st.rooms) if st.rooms is not None else "—"))
    if pv.same_year:
        lines.append(t("import.same_year", lang, year=st.year, ids="、".join(i.id for i in pv.same_year)
                       if lang == "zh" else ", ".join(i.id for i in pv.same_year)))
    if pv.diff is None or pv.previous is None:
        lines.append(t("data.preview.no_previous", lang))
    else:
        d = pv.diff
        lines.append(t("import.against", lang, id=pv.previous.id, year=pv.previous.year,
                       added=len(d.added), gone=len(d.gone), changed=d.changed_schools))
    return lines
