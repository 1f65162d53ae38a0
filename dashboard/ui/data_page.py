"""The 数据管理 page's model: templates to download, an upload checked and previewed before it
becomes a snapshot, the list of snapshots, their comparison, and the trash.

Uploaded files are written to a private temporary folder under their own names (so that every
error names the user's file) and removed after checking; nothing reaches the data folder until
the user has seen the preview and asked for the snapshot.
"""

from __future__ import annotations

import tempfile
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pandas as pd

from dashboard.i18n import catalogue, t
from dashboard.method.standards import STAGES
from dashboard.store.compare import SchoolsDiff, cell_text
from dashboard.store.contract import ContractError, Violation, file_headers, header_map
from dashboard.store.contract.spec import Table, header_index, header_key
from dashboard.store.importing import Preview, Staged, preview, stage_import
from dashboard.store.mappings import load_mappings
from dashboard.store.marking import MARKABLE, marked_workbook
from dashboard.store.snapshots import SnapshotError, SnapshotInfo
from dashboard.store.templates import TEMPLATE_FILES, template_workbook
from dashboard.store.trash import Trashed
from dashboard.ui.format import fmt_time

__all__ = ["Upload", "Unmapped", "StageResult", "templates", "stage_uploads", "violation_table",
           "column_labels", "column_label", "snapshot_table", "write_uploads", "trash_table", "trash_label", "list_key",
           "change_table", "safe_name"]

ROLES = ("schools", "teachers", "county", "classes", "rooms")


@dataclass(frozen=True)
class Upload:
    """One uploaded file: its role (schools, teachers, county), its name and its bytes."""

    role: str
    name: str
    data: bytes


@dataclass(frozen=True)
class Unmapped:
    """Columns of the contract a file lacks, and the file's headers the contract does not
    know: what the user may pair once (saved, offered again next year)."""

    role: str
    file: str
    missing: tuple[str, ...]  # contract columns
    unknown: tuple[str, ...]  # the file's own headers


@dataclass(frozen=True, eq=False)
class StageResult:
    """A checked upload: the preview, or the errors (every one) and a message."""

    preview: Preview | None
    violations: tuple[Violation, ...] = ()
    message: str = ""
    marked: tuple[tuple[str, bytes], ...] = ()  # (file name, the file with its errors marked)
    unmapped: tuple[Unmapped, ...] = ()


def templates(lang: str) -> list[tuple[str, str, bytes]]:
    """Return (catalogue key of the label, file name, workbook bytes) per template."""
    suffix = "" if lang == "zh" else "-en"
    return [(f"data.template.{table}", f"junheng-template-{stem}{suffix}.xlsx",
             template_workbook(table, lang))
            for table, stem in TEMPLATE_FILES.items()]


def safe_name(name: str) -> str:
    """Return an uploaded file's name without any folder part (it is written under it)."""
    base = Path(name.replace("\\", "/")).name
    return base if base not in ("", ".", "..") else "upload"


def _unmapped(role: str, path: Path, errors: Sequence[Violation],
              aliases: Mapping[str, str]) -> Unmapped | None:
    """Return what the file at ``path`` could map: its missing contract columns (rule
    ``required`` of a whole column) and its headers that name no contract column."""
    table = cast(Table, role)
    index = header_index(table)
    missing = tuple(dict.fromkeys(
        index[header_key(v.column)][0] for v in errors
        if v.file == path.name and v.rule == "required" and v.row is None
        and v.column is not None and header_key(v.column) in index))
    unknown = tuple(h for h in file_headers(table, path)
                    if header_key(h) not in index and header_key(h) not in aliases)
    return Unmapped(role, path.name, missing, unknown) if missing and unknown else None


def write_uploads(folder: str | Path, uploads: Iterable[Upload]) -> dict[str, Path]:
    """Write each upload under ``folder/<role>/`` with its own (safe) name, so that every
    error names the user's file; return role -> path.  One folder each: two files may share
    a name."""
    paths: dict[str, Path] = {}
    for upload in uploads:
        role_folder = Path(folder) / upload.role
        role_folder.mkdir()
        paths[upload.role] = role_folder / safe_name(upload.name)
        paths[upload.role].write_bytes(upload.data)
    return paths


def stage_uploads(root: str | Path, uploads: Sequence[Upload], year: int | None,
                  county: str | None, lang: str) -> StageResult:
    """Check the uploads together and preview the snapshot they would make under ``root``,
    with the county's saved header mapping (:mod:`dashboard.store.mappings`)."""
    aliases = load_mappings(root, county)
    by_role = {u.role: u for u in uploads}
    if "schools" not in by_role:
        return StageResult(None, message=t("data.upload.need_schools", lang))
    with tempfile.TemporaryDirectory(prefix="junheng-upload-") as tmp:
        paths = write_uploads(tmp, by_role.values())
        try:
            staged: Staged = stage_import(
                paths["schools"], teachers_path=paths.get("teachers"),
                county_path=paths.get("county"), year=year, county=county, lang=lang,
                aliases=aliases, classes_path=paths.get("classes"),
                rooms_path=paths.get("rooms"))
        except ContractError as exc:
            marked = tuple((f"{p.stem}-errors.xlsx", marked_workbook(p, exc.errors, lang))
                           for p in paths.values()
                           if p.suffix.lower() in MARKABLE and any(v.file == p.name for v in exc.errors))
            unmapped = tuple(u for role, p in paths.items()
                             if (u := _unmapped(role, p, exc.errors, aliases.get(role, {}))))
            return StageResult(None, exc.errors, t("data.upload.errors", lang, n=len(exc.errors)),
                               marked, unmapped)
        except SnapshotError as exc:
            return StageResult(None, message=str(exc))
    return StageResult(preview(root, staged, lang))


def column_label(table: str, name: str, lang: str) -> str:
    """Return a contract column in words: ``column.<table>.<name>`` of the catalogue (a stage
    column's key ends in ``_stage``), else its header in ``lang`` (the canonical name in en).

    >>> column_label("schools", "teachers_backbone_junior", "en")
    'County-level backbone teachers, junior secondary'
    >>> column_label("schools", "books", "zh")
    '图书册数'
    """
    key, stage = f"column.{table}.{name}", None
    for code in STAGES:
        if name.endswith(f"_{code}"):
            key, stage = f"column.{table}.{name[: -len(code)]}stage", code
    if key not in catalogue():
        return header_map(cast(Table, table), lang)[name]
    if stage is None:
        return t(key, lang)
    word = t(f"stage.{stage}", lang)
    return t(key, lang, stage=word.lower() if lang == "en" else word)


def column_labels(role: str, lang: str) -> dict[str, str]:
    """Return contract column -> its label in ``lang`` (the label of a mapping choice)."""
    return {name: column_label(role, name, lang) for name in header_map(cast(Table, role), lang)}


def violation_table(violations: Iterable[Violation], lang: str) -> pd.DataFrame:
    """Return every violation as a row: file, sheet, row, column, value, rule."""
    rows = [{t("data.col.file", lang): v.file, t("data.col.sheet", lang): v.sheet or "",
             t("data.col.row", lang): "" if v.row is None else str(v.row),
             t("data.col.column", lang): v.column or "", t("data.col.value", lang): v.value or "",
             t("data.col.rule", lang): v.rule_text(lang)} for v in violations]
    return pd.DataFrame(rows, columns=[t(f"data.col.{c}", lang) for c in
                                       ("file", "sheet", "row", "column", "value", "rule")])


def change_table(diff: SchoolsDiff, lang: str) -> pd.DataFrame:
    """Return the comparison as rows: school, what (added / gone / a column), before, after."""
    headers = column_labels("schools", lang)
    cols = [t(f"data.col.{c}", lang) for c in ("school", "what", "before", "after")]
    rows = [[r.school_name, t("data.change.added", lang), "", ""]
            for r in diff.added.itertuples(index=False)]
    rows += [[r.school_name, t("data.change.gone", lang), "", ""]
             for r in diff.gone.itertuples(index=False)]
    rows += [[r.school_name, headers[r.column], cell_text(r.before), cell_text(r.after)]
             for r in diff.changes.itertuples(index=False)]
    return pd.DataFrame(rows, columns=cols)


def snapshot_table(infos: Iterable[SnapshotInfo], health: Mapping[str, tuple[int, str | None]],
                   lang: str) -> pd.DataFrame:
    """Return the snapshots as rows: id, year, counties, source, created, size and checksum
    state (``health``: id -> size in bytes, the checksum problem or None)."""
    rows = []
    for i in infos:
        size, problem = health[i.id]
        state = t("data.checksum.ok", lang) if problem is None else t("data.checksum.bad", lang)
        rows.append([i.id, str(i.year), ", ".join(i.county_codes), i.source, fmt_time(i.created),
                     fmt_size(size), state])
    return pd.DataFrame(rows, columns=[t(f"data.col.{c}", lang) for c in
                                       ("id", "year", "counties", "source", "created", "size",
                                        "checksum")])


def fmt_size(size: int) -> str:
    """Return a size in bytes as people read it.

    >>> fmt_size(812), fmt_size(140_288), fmt_size(5_400_000)
    ('812 B', '137 KB', '5.1 MB')
    """
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def list_key(ids: Sequence[str]) -> str:
    """Return a short key of a list of snapshot ids: the comparison's boxes are keyed by it,
    so that a written, deleted or restored snapshot starts them afresh (a browser kept the
    old choice even when the page dropped it from the session).

    >>> list_key(["a", "b"]) == list_key(["a", "b"]) != list_key(["a", "b", "c"])
    True
    """
    return f"{zlib.crc32('|'.join(ids).encode()):08x}"


def trash_table(entries: Iterable[Trashed], lang: str) -> pd.DataFrame:
    """Return the trashed snapshots as rows: id, deleted (Beijing time, as the snapshots'
    creation times; it showed the stored UTC time, eight hours off what the clerk saw)."""
    return pd.DataFrame([[e.snapshot_id, fmt_time(e.deleted)] for e in entries],
                        columns=[t("data.col.id", lang), t("data.col.deleted", lang)])


def trash_label(entry: Trashed) -> str:
    """Return how the restore box names a trashed snapshot: id · deleted (Beijing time)."""
    return f"{entry.snapshot_id} · {fmt_time(entry.deleted)}"
