"""The demo county 示范县 (Demo County, code 990101): a synthetic county, deterministic from a seed.

示范县 is fictional. It belongs to a fictional 示范市, and its code starts with the province code
99, which no real province uses. Its size and structure follow a rural county of about 450,000
people: 12 townships (2 街道 in the county town, 7 镇, 3 乡), about 29,000 primary and 14,000
junior pupils, a crowded county town (大班额), township central schools, small village schools
and 20 teaching points. It covers the academic years 2022–2024. Pupils drift from the villages
to the county town, schools buy books and computers, and a few teachers rotate between schools.

The fixed parts are data in ``dashboard/store/data/``: the township seats (``demo_townships.csv``),
the school list with 2024 enrolments (``demo_schools.csv``) and the county assessment items
(``demo_county_items.csv``). The seed adds the variation: enrolment, resources, the teacher
roster and the school locations. The geography (county outline, township polygons) does not
depend on the seed, so ``geo/990101/`` stays valid for every seed.

The teacher roster is generated first, and the teacher counts in the schools table are
computed from it, so the two always agree. The 2024 roster is drawn, and the 2023 and 2022
rosters are rebuilt from it by undoing that year's hires, rotations, promotions and
retirements.

The 2024 figures are calibrated (checked with ``dashboard.method.engine.evaluate``). 基本均衡 passes
in both stages with a margin: composite CV 0.36 primary, 0.33 junior. 优质均衡 fails Q2
(backbone teachers crowd into the county town; the private schools have almost none) and Q5
(sports area: the county town has 4 m² per pupil, the villages 20 and more) in both stages and
passes the other five. Twelve units fail the school rule, most of them crowded county-town and
private schools. The earlier years are worse: composite CV 0.38/0.40 in 2022, 34 failing units.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from dashboard.store import files
from dashboard.store.demo.county_items import county_table
from dashboard.store.demo.facts import (
    DEMO_COUNTY_CODE,
    DEMO_COUNTY_NAME,
    DEMO_SEED,
    DEMO_YEARS,
    read_schools,
    read_townships,
)
from dashboard.store.demo.geography import (
    county_geojson,
    geography,
    place_schools,
    townships_geojson,
)
from dashboard.store.demo.schools import enrolment, resources, schools_table
from dashboard.store.demo.teachers import rosters
from dashboard.store.snapshots import write_snapshot

__all__ = ["DemoCounty", "build_demo", "demo_snapshot_id", "write_demo"]

_TEACHER_COLUMNS: Final = (
    "teacher_id", "school_id", "stage", "subject", "degree", "title", "backbone_level",
    "birth_year", "start_year_at_school",
)
_STREAMS: Final = 5  # independent random streams: places, enrolment, resources, roster, history


@dataclass(frozen=True)
class DemoCounty:
    """The demo county: per-year tables (keyed by academic year) and its geography.

    ``schools``, ``teachers`` and ``county`` follow docs/data-contract.md §2–§4. The GeoJSON dicts are
    FeatureCollections in WGS 84 longitude/latitude, coordinates rounded to 6 decimals.
    """

    seed: int
    schools: dict[int, pd.DataFrame] = field(repr=False)
    teachers: dict[int, pd.DataFrame] = field(repr=False)
    county: dict[int, pd.DataFrame] = field(repr=False)
    county_geojson: dict[str, Any] = field(repr=False)
    townships_geojson: dict[str, Any] = field(repr=False)


def demo_snapshot_id(year: int) -> str:
    """Return the snapshot id of one demo year.

    >>> demo_snapshot_id(2024)
    'demo-990101-2024'
    """
    return f"demo-{DEMO_COUNTY_CODE}-{year}"


def build_demo(seed: int = DEMO_SEED) -> DemoCounty:
    """Return the demo county 示范县 for the years 2022–2024, the same for the same ``seed``.

    Every table is rebuilt from scratch; nothing is cached or shared between calls, so callers
    may change what they get.

    >>> demo = build_demo()
    >>> sorted(demo.schools), len(demo.townships_geojson["features"])
    ([2022, 2023, 2024], 12)
    >>> demo.schools[2024].loc[0, ["school_id", "school_name", "township"]].tolist()
    ['3990101001', '示范县实验小学', '城关街道']
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(int(seed)).spawn(_STREAMS)]
    rng_place, rng_enrol, rng_res, rng_roster, rng_history = streams

    townships = read_townships()
    base = read_schools(townships)
    outline, polygons = geography(townships)
    lon, lat = place_schools(rng_place, base, townships, polygons)
    base = base.assign(longitude=lon, latitude=lat)

    pupils = enrolment(rng_enrol, base)
    stock = resources(rng_res, base, pupils)
    roster, rotation = rosters(rng_roster, rng_history, base, pupils)

    schools: dict[int, pd.DataFrame] = {}
    teachers: dict[int, pd.DataFrame] = {}
    county: dict[int, pd.DataFrame] = {}
    for year in DEMO_YEARS:
        schools[year] = schools_table(year, base, pupils[year], stock[year], roster[year])
        teachers[year] = roster[year].loc[:, list(_TEACHER_COLUMNS)].reset_index(drop=True)
        county[year] = county_table(year, schools[year], rotation[year])

    return DemoCounty(
        seed=int(seed),
        schools=schools,
        teachers=teachers,
        county=county,
        county_geojson=county_geojson(outline),
        townships_geojson=townships_geojson(townships, polygons),
    )


def write_demo(
    data_root: Path,
    geo_root: Path,
    seed: int = DEMO_SEED,
    *,
    overwrite_geo: bool = True,
) -> list[Path]:
    """Write the demo snapshots and geography; return the paths written (existing ones skipped).

    One snapshot per year goes to ``data_root/demo-990101-<year>/`` through
    ``dashboard.store.snapshots.write_snapshot``; a year whose folder exists is left alone, because
    snapshots are never changed. The GeoJSON files go to ``geo_root/990101/county.geojson`` and
    ``townships.geojson``; existing files are replaced unless ``overwrite_geo`` is false.
    """
    data_root, geo_root = Path(data_root), Path(geo_root)
    demo = build_demo(seed)
    written: list[Path] = []
    for year in DEMO_YEARS:
        snapshot_id = demo_snapshot_id(year)
        if (data_root / snapshot_id).exists():
            continue
        written.append(
            write_snapshot(
                data_root,
                snapshot_id,
                demo.schools[year],
                teachers=demo.teachers[year],
                county=demo.county[year],
                source=f"{DEMO_COUNTY_NAME}演示数据（虚构，随机种子 {demo.seed}）",  # shown as it is
                created=f"{year}-09-30T00:00:00+00:00",
            )
        )
    written += _write_geo(demo, geo_root / DEMO_COUNTY_CODE, overwrite_geo)
    return written


def _write_geo(demo: DemoCounty, geo_dir: Path, overwrite: bool) -> list[Path]:
    """Write county.geojson and townships.geojson into ``geo_dir``; return the paths written."""
    written: list[Path] = []
    for name, collection in (
        ("county.geojson", demo.county_geojson),
        ("townships.geojson", demo.townships_geojson),
    ):
        path = geo_dir / name
        if path.exists() and not overwrite:
            continue
        text = json.dumps(collection, ensure_ascii=False, sort_keys=True, indent=1) + "\n"
        files.write_atomic(path, text.encode("utf-8"))  # a reader never sees a part
        written.append(path)
    return written
