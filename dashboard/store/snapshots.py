"""Snapshot folders: one academic year of one or more counties, written once, never changed.

A snapshot is ``<root>/<snapshot-id>/`` holding ``schools.parquet`` (required),
``teachers.parquet`` and ``county.parquet`` (optional) and ``meta.json``::

    {"schema_version": 1, "year": 2024, "county_codes": ["360123"], "source": "…",
     "created": "2025-01-01T00:00:00+00:00", "sha256": {"schools.parquet": "…", …}}

Writing checks every table against the contract first (any error: nothing is written), writes
into a hidden sibling folder and renames it into place, so a snapshot is either complete or
absent.  An existing snapshot is never overwritten: a correction is a new snapshot.  Reading
verifies every checksum and checks the tables against the contract again.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from dashboard.i18n import DEFAULT_LANG, t
from dashboard.store.contract import (
    TABLES,
    ContractError,
    LoadResult,
    Violation,
    load_county,
    load_schools,
    load_teachers,
    validate_county,
    validate_schools,
    validate_teachers,
)

__all__ = [
    "SCHEMA_VERSION",
    "Snapshot",
    "SnapshotInfo",
    "ImportResult",
    "SnapshotError",
    "SnapshotValueError",
    "SnapshotExistsError",
    "SnapshotIntegrityError",
    "write_snapshot",
    "read_snapshot",
    "list_snapshots",
    "import_file_as_snapshot",
]

SCHEMA_VERSION: Final = 1
META_FILE: Final = "meta.json"
# table -> file name, in writing order (the contract's TABLES: schools first, it must exist)
TABLE_FILES: Final[dict[str, str]] = {table: f"{table}.parquet" for table in TABLES}
_TEMP_PREFIX: Final = ".tmp-"
_ID_PATTERN: Final = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


class SnapshotError(Exception):
    """A snapshot folder cannot be written or read as asked (see the subclasses)."""


class SnapshotValueError(SnapshotError, ValueError):
    """The snapshot asked for is not valid: a bad id, or schools of more than one year."""


class SnapshotExistsError(SnapshotError, FileExistsError):
    """The snapshot already exists; snapshots are immutable, a correction is a new snapshot."""

    def __init__(self, snapshot_id: str, lang: str = DEFAULT_LANG) -> None:
        self.snapshot_id = snapshot_id
        super().__init__(t("snapshot.exists", lang, id=snapshot_id))


class SnapshotIntegrityError(SnapshotError, ValueError):
    """A snapshot folder differs from what its meta.json records (names the file and hashes)."""

    def __init__(self, message: str, *, snapshot_id: str, file: str | None = None,
                 expected: str | None = None, actual: str | None = None) -> None:
        self.snapshot_id, self.file, self.expected, self.actual = (
            snapshot_id, file, expected, actual)
        super().__init__(message)


@dataclass(frozen=True, eq=False)
class Snapshot:
    """A verified snapshot: its meta.json and its tables in canonical form (see contract).

    ``warnings`` are the contract's non-blocking violations of the stored tables.
    """

    id: str
    path: Path
    meta: dict[str, Any]
    schools: pd.DataFrame
    teachers: pd.DataFrame | None
    county: pd.DataFrame | None
    warnings: tuple[Violation, ...] = ()


@dataclass(frozen=True)
class SnapshotInfo:
    """What list_snapshots tells about a snapshot without reading its tables."""

    id: str
    year: int
    county_codes: tuple[str, ...]
    path: Path
    source: str
    created: str


@dataclass(frozen=True)
class ImportResult:
    """Where an imported snapshot was written and the warnings found in the source files."""

    path: Path
    warnings: tuple[Violation, ...]


def _sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _check_id(snapshot_id: str, lang: str) -> None:
    if not _ID_PATTERN.fullmatch(snapshot_id):
        raise SnapshotValueError(t("snapshot.bad_id", lang, id=snapshot_id))


def _validated(schools: pd.DataFrame, teachers: pd.DataFrame | None,
               county: pd.DataFrame | None, lang: str) -> dict[str, LoadResult]:
    """Return each given table checked against the contract, as named in a snapshot folder."""
    results = {"schools": validate_schools(schools, file=TABLE_FILES["schools"], lang=lang)}
    reference = results["schools"].frame
    if teachers is not None:
        results["teachers"] = validate_teachers(teachers, reference, file=TABLE_FILES["teachers"],
                                                lang=lang)
    if county is not None:
        results["county"] = validate_county(county, reference, file=TABLE_FILES["county"],
                                            lang=lang)
    return results


def _raise_for_errors(results: dict[str, LoadResult], lang: str) -> None:
    violations = [v for r in results.values() for v in r.violations]
    if any(v.severity == "error" for v in violations):
        raise ContractError(violations, lang)


def write_snapshot(root: str | Path, snapshot_id: str, schools: pd.DataFrame,
                   teachers: pd.DataFrame | None = None, county: pd.DataFrame | None = None,
                   *, source: str, created: str | None = None,
                   lang: str = DEFAULT_LANG) -> Path:
    """Return the path of the new snapshot folder ``root/snapshot_id``, written atomically.

    Every table is checked first: any contract error raises :class:`ContractError` and nothing
    is written.  An existing snapshot raises :class:`SnapshotExistsError` and stays unchanged.
    The files are written into a hidden temporary sibling folder, which is renamed into place
    (or removed on any failure).  ``created`` defaults to now, ISO 8601 in UTC.
    """
    _check_id(snapshot_id, lang)
    results = _validated(schools, teachers, county, lang)
    _raise_for_errors(results, lang)
    frame = results["schools"].frame
    years = sorted(int(y) for y in frame["year"].unique())
    if len(years) != 1:
        raise SnapshotValueError(
            t("snapshot.one_year", lang, years=", ".join(map(str, years))))
    root = Path(root)
    target = root / snapshot_id
    if target.exists():
        raise SnapshotExistsError(snapshot_id, lang)

    root.mkdir(parents=True, exist_ok=True)
    temp = root / f"{_TEMP_PREFIX}{snapshot_id}-{secrets.token_hex(6)}"
    temp.mkdir()
    try:
        hashes: dict[str, str] = {}
        for table, result in results.items():
            name = TABLE_FILES[table]
            pq.write_table(pa.Table.from_pandas(result.frame, preserve_index=False), temp / name)
            hashes[name] = _sha256(temp / name)
        meta = {
            "schema_version": SCHEMA_VERSION,
            "year": years[0],
            "county_codes": sorted(str(c) for c in frame["county_code"].unique()),
            "source": source,
            "created": created or datetime.now(UTC).isoformat(timespec="seconds"),
            "sha256": hashes,
        }
        (temp / META_FILE).write_text(
            json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
            encoding="utf-8")
        if target.exists():  # written meanwhile by someone else: never replace it
            raise SnapshotExistsError(snapshot_id, lang)
        os.rename(temp, target)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return target


def _read_meta(path: Path, snapshot_id: str, lang: str) -> dict[str, Any]:
    """Return meta.json of a snapshot folder, checked for version and file names."""
    meta_path = path / META_FILE
    if not meta_path.is_file():
        raise SnapshotIntegrityError(t("snapshot.missing_file", lang, id=snapshot_id,
                                       file=META_FILE), snapshot_id=snapshot_id, file=META_FILE)
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        hashes = meta["sha256"]
        version = meta["schema_version"]
        if not isinstance(hashes, dict):
            raise TypeError("sha256 is not an object")
    except (ValueError, KeyError, TypeError) as exc:
        raise SnapshotIntegrityError(
            t("snapshot.bad_meta", lang, id=snapshot_id, reason=f"{type(exc).__name__}: {exc}"),
            snapshot_id=snapshot_id, file=META_FILE) from exc
    if version != SCHEMA_VERSION:
        raise SnapshotIntegrityError(
            t("snapshot.schema_version", lang, id=snapshot_id, version=version,
              supported=SCHEMA_VERSION), snapshot_id=snapshot_id, file=META_FILE)
    unknown = sorted(set(hashes) - set(TABLE_FILES.values()))
    if unknown:
        raise SnapshotIntegrityError(
            t("snapshot.bad_meta", lang, id=snapshot_id, reason=f"unknown files {unknown}"),
            snapshot_id=snapshot_id, file=META_FILE)
    if TABLE_FILES["schools"] not in hashes:
        raise SnapshotIntegrityError(t("snapshot.no_schools", lang, id=snapshot_id),
                                     snapshot_id=snapshot_id, file=META_FILE)
    return meta


def read_snapshot(path: str | Path, *, lang: str = DEFAULT_LANG) -> Snapshot:
    """Return the snapshot at ``path`` after verifying every file against meta.json.

    Raises :class:`SnapshotIntegrityError` for a missing, unlisted or changed file (naming the
    file, the expected and the actual sha256) and :class:`ContractError` when a table breaks
    the contract.
    """
    path = Path(path)
    snapshot_id = path.name
    meta = _read_meta(path, snapshot_id, lang)
    hashes: dict[str, str] = meta["sha256"]
    for name in TABLE_FILES.values():
        file = path / name
        if name not in hashes:
            if file.exists():
                raise SnapshotIntegrityError(
                    t("snapshot.unlisted_file", lang, id=snapshot_id, file=name),
                    snapshot_id=snapshot_id, file=name)
            continue
        if not file.is_file():
            raise SnapshotIntegrityError(
                t("snapshot.missing_file", lang, id=snapshot_id, file=name),
                snapshot_id=snapshot_id, file=name, expected=hashes[name])
        actual = _sha256(file)
        if actual != hashes[name]:
            raise SnapshotIntegrityError(
                t("snapshot.integrity", lang, id=snapshot_id, file=name, expected=hashes[name],
                  actual=actual),
                snapshot_id=snapshot_id, file=name, expected=hashes[name], actual=actual)

    frames = {table: pd.read_parquet(path / name) if name in hashes else None
              for table, name in TABLE_FILES.items()}
    schools = frames["schools"]
    assert schools is not None  # _read_meta requires it
    results = _validated(schools, frames["teachers"], frames["county"], lang)
    _raise_for_errors(results, lang)
    return Snapshot(
        id=snapshot_id,
        path=path,
        meta=meta,
        schools=results["schools"].frame,
        teachers=results["teachers"].frame if "teachers" in results else None,
        county=results["county"].frame if "county" in results else None,
        warnings=tuple(v for r in results.values() for v in r.warnings),
    )


def list_snapshots(root: str | Path) -> list[SnapshotInfo]:
    """Return the snapshots under ``root`` sorted by year, then id (no tables are read).

    Temporary folders of unfinished writes, and folders without a readable meta.json, are
    not snapshots and are left out.  A missing ``root`` has no snapshots.
    """
    root = Path(root)
    if not root.is_dir():
        return []
    found = []
    for folder in root.iterdir():
        meta_path = folder / META_FILE
        if folder.name.startswith(".") or not meta_path.is_file():
            continue
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            info = SnapshotInfo(
                id=folder.name, year=int(meta["year"]),
                county_codes=tuple(str(c) for c in meta["county_codes"]), path=folder,
                source=str(meta.get("source", "")), created=str(meta.get("created", "")))
        except (ValueError, KeyError, TypeError):
            # meta.json unreadable, or without year / county codes: not a snapshot, left out
            # as the docstring says.
            continue
        found.append(info)
    return sorted(found, key=lambda s: (s.year, s.id))


def import_file_as_snapshot(root: str | Path, snapshot_id: str, schools_path: str | Path, *,
                            teachers_path: str | Path | None = None,
                            county_path: str | Path | None = None,
                            sheet: str | None = None, source: str | None = None,
                            created: str | None = None,
                            lang: str = DEFAULT_LANG) -> ImportResult:
    """Return where the snapshot built from the given files was written, with their warnings.

    The schools file (``sheet`` of an XLSX, default the first) and the optional teachers and
    county files are loaded and checked together; any error raises :class:`ContractError`
    listing every error of every file, and nothing is written.  ``source`` defaults to the
    file names.
    """
    _check_id(snapshot_id, lang)
    results = {"schools": load_schools(schools_path, sheet=sheet, lang=lang)}
    reference = results["schools"].frame
    if teachers_path is not None:
        results["teachers"] = load_teachers(teachers_path, schools=reference, lang=lang)
    if county_path is not None:
        results["county"] = load_county(county_path, schools=reference, lang=lang)
    _raise_for_errors(results, lang)
    paths = [p for p in (schools_path, teachers_path, county_path) if p is not None]
    path = write_snapshot(
        root, snapshot_id, reference,
        results["teachers"].frame if "teachers" in results else None,
        results["county"].frame if "county" in results else None,
        source=source if source is not None else ", ".join(Path(p).name for p in paths),
        created=created, lang=lang,
    )
    return ImportResult(path, tuple(v for r in results.values() for v in r.warnings))
