"""Snapshot folders: one academic year of one or more counties, written once, never changed.

A snapshot is ``<root>/<snapshot-id>/`` holding ``schools.parquet`` (required),
``teachers.parquet`` and ``county.parquet`` (optional) and ``meta.json``::

    {"schema_version": 1, "year": 2024, "county_codes": ["360123"], "source": "…",
     "created": "2025-01-01T00:00:00+00:00", "sha256": {"schools.parquet": "…", …},
     "meta_sha256": "…"}

``meta_sha256`` is the checksum of every other field of meta.json (see :func:`meta_checksum`),
so a changed year, county list, source or date is found like a changed table (snapshots
written before it existed have none; their year and counties are checked against the
schools table when read).  meta.json is read with size and depth limits
(``dashboard.store.files``), so a damaged file is a :class:`SnapshotIntegrityError`, never a
RecursionError; :func:`scan_snapshots` lists the damaged snapshots with their reason.

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
from dashboard.store import files
from dashboard.store.contract import (
    TABLES,
    ContractError,
    LoadResult,
    Violation,
    validate_county,
    validate_schools,
    validate_teachers,
)
from dashboard.store.contract.facts import FACT_TABLES, validate_facts

__all__ = [
    "SCHEMA_VERSION",
    "Snapshot",
    "SnapshotInfo",
    "SnapshotError",
    "SnapshotValueError",
    "SnapshotExistsError",
    "SnapshotIntegrityError",
    "write_snapshot",
    "read_snapshot",
    "list_snapshots",
    "scan_snapshots",
    "verify_files",
    "DamagedSnapshot",
    "meta_checksum",
]

SCHEMA_VERSION: Final = 1
META_FILE: Final = "meta.json"
# table -> file name, in writing order (the contract's TABLES: schools first, it must exist;
# then the optional class and room rows, docs/data-contract.md §4a)
TABLE_FILES: Final[dict[str, str]] = {table: f"{table}.parquet" for table in (*TABLES, *FACT_TABLES)}
_TEMP_PREFIX: Final = files.TEMP_PREFIX
META_SUM: Final = "meta_sha256"
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
    classes: pd.DataFrame | None = None  # optional class rows (data contract §4a)
    rooms: pd.DataFrame | None = None  # optional room and facility rows (§4a)


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
class DamagedSnapshot:
    """A snapshot folder whose meta.json cannot be used: its id, path and the reason (in the
    language asked of :func:`scan_snapshots`)."""

    id: str
    path: Path
    message: str


def _sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def meta_checksum(meta: dict[str, Any]) -> str:
    """Return the sha256 of every field of ``meta`` but ``meta_sha256`` itself (canonical JSON:
    keys sorted, no spaces, UTF-8).

    >>> len(meta_checksum({"year": 2024}))
    64
    """
    body = {k: v for k, v in meta.items() if k != META_SUM}
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _check_id(snapshot_id: str, lang: str) -> None:
    if not _ID_PATTERN.fullmatch(snapshot_id):
        raise SnapshotValueError(t("snapshot.bad_id", lang, id=snapshot_id))


def _validated(schools: pd.DataFrame, teachers: pd.DataFrame | None,
               county: pd.DataFrame | None, lang: str,
               facts: dict[str, pd.DataFrame | None] | None = None) -> dict[str, LoadResult]:
    """Return each given table checked against the contract, as named in a snapshot folder;
    ``facts`` holds the optional class and room rows by table."""
    results = {"schools": validate_schools(schools, file=TABLE_FILES["schools"], lang=lang)}
    reference = results["schools"].frame
    if teachers is not None:
        results["teachers"] = validate_teachers(teachers, reference, file=TABLE_FILES["teachers"],
                                                lang=lang)
    if county is not None:
        results["county"] = validate_county(county, reference, file=TABLE_FILES["county"],
                                            lang=lang)
    for table, frame in (facts or {}).items():
        if frame is not None:
            results[table] = validate_facts(table, frame, reference, file=TABLE_FILES[table],
                                            lang=lang)
    return results


def _raise_for_errors(results: dict[str, LoadResult], lang: str) -> None:
    violations = [v for r in results.values() for v in r.violations]
    if any(v.severity == "error" for v in violations):
        raise ContractError(violations, lang)


def write_snapshot(root: str | Path, snapshot_id: str, schools: pd.DataFrame,
                   teachers: pd.DataFrame | None = None, county: pd.DataFrame | None = None,
                   *, source: str, created: str | None = None, lang: str = DEFAULT_LANG,
                   classes: pd.DataFrame | None = None,
                   rooms: pd.DataFrame | None = None) -> Path:
    """Return the path of the new snapshot folder ``root/snapshot_id``, written atomically.

    Every table is checked first: any contract error raises :class:`ContractError` and nothing
    is written.  An existing snapshot raises :class:`SnapshotExistsError` and stays unchanged.
    The files are written into a hidden temporary sibling folder, which is renamed into place
    (or removed on any failure).  ``created`` defaults to now, ISO 8601 in UTC.
    """
    _check_id(snapshot_id, lang)
    results = _validated(schools, teachers, county, lang, {"classes": classes, "rooms": rooms})
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
        with files.locked(temp):  # the lock tells clean_leftovers this write is alive
            hashes: dict[str, str] = {}
            for table, result in results.items():
                name = TABLE_FILES[table]
                pq.write_table(pa.Table.from_pandas(result.frame, preserve_index=False),
                               temp / name)
                hashes[name] = _sha256(temp / name)
            meta = {
                "schema_version": SCHEMA_VERSION,
                "year": years[0],
                "county_codes": sorted(str(c) for c in frame["county_code"].unique()),
                "source": source,
                "created": created or datetime.now(UTC).isoformat(timespec="seconds"),
                "sha256": hashes,
            }
            meta[META_SUM] = meta_checksum(meta)
            (temp / META_FILE).write_text(
                json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                encoding="utf-8")
            for name in (*hashes, META_FILE):  # on disk before the folder is renamed
                with (temp / name).open("rb") as f:
                    os.fsync(f.fileno())
            if target.exists():  # written meanwhile by someone else: never replace it
                raise SnapshotExistsError(snapshot_id, lang)
            os.rename(temp, target)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return target


def _bad_meta(snapshot_id: str, lang: str, reason: str) -> SnapshotIntegrityError:
    return SnapshotIntegrityError(t("snapshot.bad_meta", lang, id=snapshot_id, reason=reason),
                                  snapshot_id=snapshot_id, file=META_FILE)


def _read_meta(path: Path, snapshot_id: str, lang: str) -> dict[str, Any]:
    """Return meta.json of a snapshot folder, checked for size, depth, its own checksum,
    version, field types and file names (any problem: SnapshotIntegrityError)."""
    meta_path = path / META_FILE
    if not meta_path.is_file():
        raise SnapshotIntegrityError(t("snapshot.missing_file", lang, id=snapshot_id,
                                       file=META_FILE), snapshot_id=snapshot_id, file=META_FILE)
    try:
        meta = files.read_json_bounded(meta_path)
    except files.JsonFileError as exc:
        raise _bad_meta(snapshot_id, lang, t(f"store.json.{exc.reason}", lang,
                                             detail=exc.detail)) from None
    if not isinstance(meta, dict):
        raise _bad_meta(snapshot_id, lang, f"{type(meta).__name__}")
    version = meta.get("schema_version")
    if "schema_version" in meta and version != SCHEMA_VERSION:  # another version: its own rules
        raise SnapshotIntegrityError(
            t("snapshot.schema_version", lang, id=snapshot_id, version=str(version)[:20],
              supported=SCHEMA_VERSION), snapshot_id=snapshot_id, file=META_FILE)
    if META_SUM in meta and meta[META_SUM] != meta_checksum(meta):
        raise SnapshotIntegrityError(
            t("snapshot.meta_integrity", lang, id=snapshot_id), snapshot_id=snapshot_id,
            file=META_FILE, expected=str(meta[META_SUM])[:64], actual=meta_checksum(meta))
    missing = [k for k in ("schema_version", "year", "county_codes", "sha256") if k not in meta]
    if missing:
        raise _bad_meta(snapshot_id, lang, f"KeyError: {missing}")
    hashes = meta["sha256"]
    year, codes = meta["year"], meta["county_codes"]
    if (not isinstance(hashes, dict)
            or not all(isinstance(v, str) for v in hashes.values())
            or isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2200
            or not isinstance(codes, list) or not codes
            or not all(isinstance(c, str) for c in codes)
            or not isinstance(meta.get("source", ""), str)
            or not isinstance(meta.get("created", ""), str)):
        raise _bad_meta(snapshot_id, lang, "TypeError: year, county_codes, sha256, source "
                        "or created is not of its type")
    unknown = sorted(set(hashes) - set(TABLE_FILES.values()))
    if unknown:
        raise _bad_meta(snapshot_id, lang, f"unknown files {unknown[:5]}")
    if TABLE_FILES["schools"] not in hashes:
        raise SnapshotIntegrityError(t("snapshot.no_schools", lang, id=snapshot_id),
                                     snapshot_id=snapshot_id, file=META_FILE)
    return meta


def _check_meta_matches(meta: dict[str, Any], schools: pd.DataFrame, snapshot_id: str,
                        lang: str) -> None:
    """Raise SnapshotIntegrityError when meta.json's year or counties differ from the schools
    table's (what list_snapshots shows must be what the snapshot holds)."""
    years = sorted(int(y) for y in schools["year"].unique())
    codes = sorted(str(c) for c in schools["county_code"].unique())
    if years != [meta["year"]] or codes != sorted(meta["county_codes"]):
        raise SnapshotIntegrityError(
            t("snapshot.meta_mismatch", lang, id=snapshot_id, year=meta["year"],
              codes=", ".join(meta["county_codes"])[:200], table_years=", ".join(map(str, years)),
              table_codes=", ".join(codes)[:200]),
            snapshot_id=snapshot_id, file=META_FILE)


def verify_files(path: str | Path, *, lang: str = DEFAULT_LANG) -> dict[str, Any]:
    """Return the meta.json of the snapshot at ``path`` after checking it and every file's
    checksum (no table is parsed: fast).  Raises :class:`SnapshotIntegrityError` for a
    missing, unlisted or changed file, naming the file and the expected and actual sha256."""
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
    return meta


def read_snapshot(path: str | Path, *, lang: str = DEFAULT_LANG) -> Snapshot:
    """Return the snapshot at ``path`` after verifying every file against meta.json.

    Raises :class:`SnapshotIntegrityError` for a missing, unlisted or changed file (naming the
    file, the expected and the actual sha256) and :class:`ContractError` when a table breaks
    the contract.
    """
    path = Path(path)
    snapshot_id = path.name
    meta = verify_files(path, lang=lang)
    hashes: dict[str, str] = meta["sha256"]
    frames = {table: pd.read_parquet(path / name) if name in hashes else None
              for table, name in TABLE_FILES.items()}
    schools = frames["schools"]
    assert schools is not None  # _read_meta requires it
    results = _validated(schools, frames["teachers"], frames["county"], lang,
                         {table: frames[table] for table in FACT_TABLES})
    _raise_for_errors(results, lang)
    _check_meta_matches(meta, results["schools"].frame, snapshot_id, lang)
    return Snapshot(
        id=snapshot_id,
        path=path,
        meta=meta,
        schools=results["schools"].frame,
        teachers=results["teachers"].frame if "teachers" in results else None,
        county=results["county"].frame if "county" in results else None,
        warnings=tuple(v for r in results.values() for v in r.warnings),
        classes=results["classes"].frame if "classes" in results else None,
        rooms=results["rooms"].frame if "rooms" in results else None,
    )


def scan_snapshots(root: str | Path, *, lang: str = DEFAULT_LANG,
                   clean: bool = True) -> tuple[list[SnapshotInfo], list[DamagedSnapshot]]:
    """Return the usable snapshots under ``root`` (sorted by year, then id) and the damaged
    ones (a folder with a meta.json that cannot be used, sorted by id), reading no tables.

    Hidden folders (temporary folders of unfinished writes) and folders without meta.json are
    not snapshots.  With ``clean``, the leftovers of killed writes are removed first
    (:func:`dashboard.store.files.clean_leftovers`).  A missing ``root`` has no snapshots.
    Never raises for a damaged snapshot.
    """
    root = Path(root)
    if not root.is_dir():
        return [], []
    if clean:
        files.clean_leftovers(root)
    found, damaged = [], []
    for folder in root.iterdir():
        meta_path = folder / META_FILE
        if folder.name.startswith(".") or not meta_path.is_file():
            continue
        try:
            meta = _read_meta(folder, folder.name, lang)
        except SnapshotIntegrityError as exc:
            damaged.append(DamagedSnapshot(folder.name, folder, str(exc)))
            continue
        found.append(SnapshotInfo(
            id=folder.name, year=meta["year"], county_codes=tuple(meta["county_codes"]),
            path=folder, source=meta.get("source", ""), created=meta.get("created", "")))
    return sorted(found, key=lambda s: (s.year, s.id)), sorted(damaged, key=lambda d: d.id)


def list_snapshots(root: str | Path) -> list[SnapshotInfo]:
    """Return the usable snapshots under ``root`` sorted by year, then id (no tables are read;
    see :func:`scan_snapshots`, which also names the damaged ones)."""
    return scan_snapshots(root)[0]
