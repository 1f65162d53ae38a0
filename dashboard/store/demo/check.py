"""Check and repair the demo's files: ``python -m dashboard.store.demo [--check] --out DIR``.

`make data` runs the repair: every demo snapshot is verified against its meta.json (checksums
only, no table parsed) and every boundary file is read as a GeoJSON FeatureCollection with
features; leftovers of killed writes are removed.  A damaged snapshot folder is moved aside to
a hidden ``.damaged-<id>-<time>`` folder (kept for inspection, never read), and whatever is
missing is written again, atomically.  A complete demo is left untouched (the run is
idempotent); ``--check`` only reports (exit status 1 when something is missing or damaged).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Final, NamedTuple, TextIO

from dashboard.i18n import DEFAULT_LANG, LANGS, t
from dashboard.store import files
from dashboard.store.demo.build import demo_snapshot_id, write_demo
from dashboard.store.demo.facts import DEMO_COUNTY_CODE, DEMO_YEARS
from dashboard.store.snapshots import SnapshotIntegrityError, verify_files

__all__ = ["DemoProblem", "GEO_FILES", "check_demo", "repair_demo", "main"]

GEO_FILES: Final = ("county.geojson", "townships.geojson")
DAMAGED_PREFIX: Final = ".damaged-"


class DemoProblem(NamedTuple):
    """A demo file or folder that is missing or damaged (``snapshot``: a snapshot folder)."""

    path: Path
    reason: str
    snapshot: bool


def _geo_problem(path: Path, lang: str) -> str | None:
    if not path.is_file():
        return t("store.demo.missing", lang)
    try:
        data = files.read_json_bounded(path, max_bytes=64 * 1024 * 1024)
    except files.JsonFileError as exc:
        return t(f"store.json.{exc.reason}", lang, detail=exc.detail)
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" \
            or not isinstance(data.get("features"), list) or not data["features"]:
        return t("app.geo.problem.not_feature_collection", lang,
                 detail=data.get("type") if isinstance(data, dict) else type(data).__name__)
    return None


def check_demo(data_root: Path, geo_root: Path, lang: str = DEFAULT_LANG) -> list[DemoProblem]:
    """Return what is missing or damaged in the demo under ``data_root`` and ``geo_root``
    (after removing leftovers of killed writes there)."""
    problems = []
    files.clean_leftovers(data_root)
    for year in DEMO_YEARS:
        folder = data_root / demo_snapshot_id(year)
        if not folder.is_dir():
            problems.append(DemoProblem(folder, t("store.demo.missing", lang), True))
            continue
        try:
            verify_files(folder, lang=lang)
        except SnapshotIntegrityError as exc:
            problems.append(DemoProblem(folder, str(exc), True))
    geo_dir = geo_root / DEMO_COUNTY_CODE
    files.clean_leftovers(geo_dir)
    for name in GEO_FILES:
        reason = _geo_problem(geo_dir / name, lang)
        if reason is not None:
            problems.append(DemoProblem(geo_dir / name, reason, False))
    return problems


def repair_demo(data_root: Path, geo_root: Path, lang: str = DEFAULT_LANG,
                out: TextIO = sys.stdout) -> list[DemoProblem]:
    """Rebuild whatever part of the demo is missing or damaged; return what was found.

    A damaged snapshot folder is moved aside (``.damaged-<id>-<unix time>``); nothing is done
    when the demo is complete.
    """
    problems = check_demo(data_root, geo_root, lang)
    if not problems:
        return problems
    fresh = not (geo_root / DEMO_COUNTY_CODE).exists() and not any(
        (data_root / demo_snapshot_id(year)).exists() for year in DEMO_YEARS)
    if fresh:  # a first run: nothing is missing or damaged, the demo is simply made
        print(t("store.demo.first", lang, path=str(data_root)), file=out)
    for p in () if fresh else problems:
        print(t("store.demo.damaged", lang, path=str(p.path), reason=p.reason), file=out)
        if p.snapshot and p.path.exists():
            aside = p.path.with_name(f"{DAMAGED_PREFIX}{p.path.name}-{int(time.time())}")
            p.path.rename(aside)
            print(t("store.demo.moved", lang, path=str(aside)), file=out)
    for path in write_demo(data_root, geo_root):
        print(t("store.demo.repaired", lang, path=str(path)), file=out)
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    """Check (``--check``) or repair the demo under ``--out``; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m dashboard.store.demo")
    parser.add_argument("--out", default=".")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--lang", choices=LANGS, default=DEFAULT_LANG)
    args = parser.parse_args(argv)
    out = Path(args.out)
    data_root, geo_root = out / "data", out / "geo"
    if args.check:
        problems = check_demo(data_root, geo_root, args.lang)
        for p in problems:
            print(t("store.demo.damaged", args.lang, path=str(p.path), reason=p.reason))
        if not problems:
            print(t("store.demo.ok", args.lang, path=str(out)))
        return 1 if problems else 0
    problems = repair_demo(data_root, geo_root, args.lang)
    if not problems:
        print(t("store.demo.ok", args.lang, path=str(out)))
    return 0
