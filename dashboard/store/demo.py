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
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPoint, Point, Polygon, mapping
from shapely.ops import voronoi_diagram

from dashboard.method.standards import DEFAULT_PARAMS, standards_table
from dashboard.store.contract import roster_counts
from dashboard.store.snapshots import write_snapshot

__all__ = [
    "DEMO_SEED",
    "DEMO_COUNTY_CODE",
    "DEMO_COUNTY_NAME",
    "DEMO_COUNTY_NAME_EN",
    "DEMO_CITY_NAME",
    "DEMO_YEARS",
    "DemoCounty",
    "build_demo",
    "demo_snapshot_id",
    "write_demo",
]

DEMO_SEED: Final = 20240930
DEMO_COUNTY_CODE: Final = "990101"
DEMO_COUNTY_NAME: Final = "示范县"
DEMO_COUNTY_NAME_EN: Final = "Demo County"
DEMO_CITY_NAME: Final = "示范市"
DEMO_YEARS: Final = (2022, 2023, 2024)

_DATA_DIR: Final = Path(__file__).resolve().parent / "data"
_LAST_YEAR: Final = DEMO_YEARS[-1]
_BASIC_RECOGNISED: Final = 2019  # year the county passed national 基本均衡 recognition (P1)
_STAGES: Final = ("primary", "junior")

# County outline: an ellipse around (_CENTER) with radii _RADII (degrees), made irregular by a
# few fixed harmonics (k, amplitude, phase). The seats in demo_townships.csv lie within 0.73 of
# the radii; the outline never comes closer than 0.85, so every seat is well inside.
_CENTER: Final = (113.40, 28.30)
_RADII: Final = (0.40, 0.30)
_HARMONICS: Final = ((2, 0.06, 0.6), (3, 0.04, 2.1), (5, 0.03, 0.3), (7, 0.015, 4.0))
_OUTLINE_VERTICES: Final = 144
_DECIMALS: Final = 6
_PLACEMENT_TRIES: Final = 100  # batches of 32 candidate points per school

# Building works: (school seq, year completed, column, m² added). Before that year the area
# was smaller by that much.
_AREA_COLUMNS: Final = ("teaching_aux_area_m2", "sports_area_m2")
_CAPITAL_WORKS: Final = (
    (1, 2024, "teaching_aux_area_m2", 1500.0),  # 示范县实验小学 new teaching building
    (1, 2023, "sports_area_m2", 1000.0),  # 示范县实验小学 rooftop sports ground
    (3, 2024, "sports_area_m2", 1500.0),  # 城关第二小学 new playground
    (2, 2023, "teaching_aux_area_m2", 1200.0),  # 城关第一小学 extension
    (5, 2024, "sports_area_m2", 1800.0),  # 城关中学 new gym
    (9, 2023, "teaching_aux_area_m2", 2400.0),  # 城南第二小学 new teaching building
    (8, 2024, "sports_area_m2", 1200.0),  # 城南小学 new gym
    (13, 2023, "sports_area_m2", 3000.0),  # 青石镇中学 new playground
    (52, 2024, "teaching_aux_area_m2", 1500.0),  # 云溪乡九年一贯制学校 new teaching building
)

_PRIMARY_SUBJECTS: Final = {
    "语文": 0.33,
    "数学": 0.28,
    "英语": 0.10,
    "科学": 0.08,
    "道德与法治": 0.08,
    "信息技术": 0.05,
    "综合实践": 0.05,
    "心理健康": 0.03,
}
_JUNIOR_SUBJECTS: Final = {
    "语文": 0.15,
    "数学": 0.15,
    "英语": 0.14,
    "物理": 0.08,
    "化学": 0.06,
    "生物": 0.06,
    "历史": 0.07,
    "地理": 0.07,
    "道德与法治": 0.09,
    "信息技术": 0.05,
    "心理健康": 0.03,
    "劳动": 0.05,
}
_PE_ART_SUBJECTS: Final = {"体育": 0.5, "音乐": 0.25, "美术": 0.25}
_DEGREES: Final = ("secondary", "associate", "bachelor", "postgraduate")
_TITLES: Final = ("none", "junior", "intermediate", "senior", "full_senior")
_BACKBONE_LEVELS: Final = ("county", "city", "province", "national")
_BACKBONE_LEVEL_P: Final = (0.60, 0.30, 0.09, 0.01)
# Title probabilities by age band (upper age bound exclusive), before the profile's senior factor.
_TITLE_BY_AGE: Final = (
    (27, (0.55, 0.45, 0.00, 0.00, 0.00)),
    (35, (0.00, 0.55, 0.43, 0.02, 0.00)),
    (45, (0.00, 0.20, 0.60, 0.20, 0.00)),
    (99, (0.00, 0.10, 0.50, 0.38, 0.02)),
)


@dataclass(frozen=True)
class _Profile:
    """Parameters of one kind of school (2024 medians); pairs are (primary, junior)."""

    aux: tuple[float, float]  # m² of teaching and auxiliary rooms per weighted pupil
    sports: tuple[float, float]  # m² of sports ground and gym per weighted pupil
    equipment: tuple[float, float]  # 元 of teaching equipment per weighted pupil
    computers: tuple[float, float]  # computers per 100 weighted pupils
    books: tuple[float, float]  # volumes per weighted pupil
    pupils_per_teacher: tuple[float, float]
    class_size: tuple[float, float]  # pupils per class
    backbone: tuple[float, float]  # 县级及以上骨干 teachers per 100 pupils
    pe_art: tuple[float, float]  # 体育/音乐/美术 teachers per 100 pupils
    boarding: tuple[float, float]  # share of pupils who board
    ages: tuple[float, float, float]  # shares aged 26–32, 33–47, 48–59 (teachers who stayed)
    degree: tuple[tuple[float, ...], tuple[float, ...]]  # P(secondary, associate, bachelor, post)
    senior_factor: float  # scales the chance of a 副高级/正高级 title
    extra_rooms: int  # multimedia rooms besides the classrooms
    av_share: tuple[float, float, float]  # share of classes with 班班通 in 2022, 2023, 2024
    growth: float  # yearly enrolment growth
    purchase: float  # yearly growth of equipment, computers and books
    hire: float  # yearly share of new hires
    rotation: tuple[float, float, float]  # share of teachers rotated in, 2022, 2023, 2024
    award: float  # yearly share of backbone teachers newly named
    retire: float  # yearly share of teachers retiring
    floor: bool = False  # head counts of backbone and PE/arts teachers mostly rounded up


_PROFILES: Final = {
    "city": _Profile(
        aux=(3.6, 4.8), sports=(4.3, 5.5), equipment=(2700, 3400), computers=(11, 14),
        books=(24, 34), pupils_per_teacher=(19.0, 16.5), class_size=(55, 56),
        backbone=(2.9, 3.4), pe_art=(1.12, 1.05), boarding=(0.0, 0.08),
        ages=(0.30, 0.45, 0.25), degree=((0.01, 0.16, 0.80, 0.03), (0.0, 0.03, 0.89, 0.08)),
        senior_factor=1.2, extra_rooms=4, av_share=(1.0, 1.0, 1.0), growth=0.02,
        purchase=0.05, hire=0.07, rotation=(0.018, 0.025, 0.029), award=0.06, retire=0.01,
    ),
    "private": _Profile(
        aux=(4.8, 6.0), sports=(8.5, 11.0), equipment=(2300, 2900), computers=(10, 13),
        books=(24, 30), pupils_per_teacher=(20.0, 15.0), class_size=(46, 48),
        backbone=(0.2, 0.25), pe_art=(1.0, 0.95), boarding=(0.45, 0.6),
        ages=(0.50, 0.35, 0.15), degree=((0.0, 0.24, 0.74, 0.02), (0.0, 0.08, 0.90, 0.02)),
        senior_factor=0.5, extra_rooms=3, av_share=(1.0, 1.0, 1.0), growth=0.02,
        purchase=0.03, hire=0.08, rotation=(0.0, 0.0, 0.0), award=0.1, retire=0.0,
    ),
    "city_nc": _Profile(
        aux=(5.0, 6.0), sports=(6.5, 8.0), equipment=(3200, 3800), computers=(14, 16),
        books=(30, 38), pupils_per_teacher=(17.0, 13.0), class_size=(48, 50),
        backbone=(2.0, 2.0), pe_art=(1.1, 1.0), boarding=(0.0, 0.0),
        ages=(0.25, 0.50, 0.25), degree=((0.0, 0.10, 0.85, 0.05), (0.0, 0.02, 0.90, 0.08)),
        senior_factor=1.2, extra_rooms=4, av_share=(1.0, 1.0, 1.0), growth=0.0,
        purchase=0.04, hire=0.04, rotation=(0.0, 0.0, 0.0), award=0.08, retire=0.012,
    ),
    "town": _Profile(
        aux=(5.2, 7.2), sports=(12.5, 17.0), equipment=(2500, 3100), computers=(10, 13),
        books=(30, 40), pupils_per_teacher=(15.5, 11.0), class_size=(45, 46),
        backbone=(0.95, 1.1), pe_art=(1.06, 1.05), boarding=(0.08, 0.55),
        ages=(0.30, 0.40, 0.30), degree=((0.03, 0.32, 0.64, 0.01), (0.0, 0.18, 0.80, 0.02)),
        senior_factor=1.0, extra_rooms=3, av_share=(0.95, 1.0, 1.0), growth=-0.005,
        purchase=0.06, hire=0.03, rotation=(0.025, 0.03, 0.04), award=0.05, retire=0.02,
    ),
    "village": _Profile(
        aux=(8.5, 11.0), sports=(24.0, 28.0), equipment=(2500, 3000), computers=(14, 16),
        books=(50, 56), pupils_per_teacher=(9.0, 7.5), class_size=(30, 38),
        backbone=(1.3, 1.3), pe_art=(1.45, 1.4), boarding=(0.15, 0.6),
        ages=(0.35, 0.20, 0.45), degree=((0.08, 0.47, 0.45, 0.0), (0.0, 0.25, 0.75, 0.0)),
        senior_factor=0.6, extra_rooms=1, av_share=(0.6, 0.8, 0.95), growth=-0.025,
        purchase=0.02, hire=0.02, rotation=(0.045, 0.055, 0.068), award=0.1, retire=0.07,
        floor=True,
    ),
    "teaching_point": _Profile(
        aux=(9.5, 9.5), sports=(16.0, 16.0), equipment=(2400, 2400), computers=(10, 10),
        books=(26, 26), pupils_per_teacher=(12.0, 12.0), class_size=(18, 18),
        backbone=(1.3, 1.3), pe_art=(1.3, 1.3), boarding=(0.0, 0.0),
        ages=(0.30, 0.15, 0.55), degree=((0.06, 0.55, 0.39, 0.0), (0.06, 0.55, 0.39, 0.0)),
        senior_factor=0.5, extra_rooms=0, av_share=(0.5, 0.6, 0.7), growth=-0.035,
        purchase=0.05, hire=0.02, rotation=(0.045, 0.055, 0.068), award=0.1, retire=0.07,
        floor=True,
    ),
}
_RURAL_PROFILES: Final = frozenset({"village", "teaching_point"})

_SCHOOL_COLUMNS: Final = (
    "year", "county_code", "county_name", "school_id", "school_name", "township", "school_type",
    "parent_school_id", "ownership", "county_run", "urban_rural_code", "longitude", "latitude",
    "students_primary", "students_junior", "students_senior", "classes_primary",
    "classes_junior", "boarders", "teachers_primary", "teachers_junior",
    "teachers_above_degree_primary", "teachers_above_degree_junior",
    "teachers_mid_title_primary", "teachers_mid_title_junior", "teachers_backbone_primary",
    "teachers_backbone_junior", "teachers_pe_art_primary", "teachers_pe_art_junior",
    "teaching_aux_area_m2", "sports_area_m2", "equipment_value_yuan", "computers", "books",
    "multimedia_rooms", "building_area_m2", "dorm_area_m2", "classes_with_av", "music_rooms",
    "art_rooms",
)
_TEXT_COLUMNS: Final = frozenset(
    {"county_code", "county_name", "school_id", "school_name", "township", "school_type",
     "parent_school_id", "ownership"}
)
_TEACHER_COLUMNS: Final = (
    "teacher_id", "school_id", "stage", "subject", "degree", "title", "backbone_level",
    "birth_year", "start_year_at_school",
)
_COUNTY_COLUMNS: Final = ("county_code", "year", "item_id", "value", "passed", "evidence", "stage")


@dataclass(frozen=True)
class DemoCounty:
    """The demo county: per-year tables (keyed by academic year) and its geography.

    ``schools``, ``teachers`` and ``county`` follow DATA-CONTRACT §2–§4. The GeoJSON dicts are
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
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(int(seed)).spawn(5)]
    rng_place, rng_enrol, rng_res, rng_roster, rng_history = streams

    townships = _read_townships()
    base = _read_schools(townships)
    outline, polygons = _geography(townships)
    lon, lat = _place_schools(rng_place, base, townships, polygons)
    base = base.assign(longitude=lon, latitude=lat)

    enrolment = _enrolment(rng_enrol, base)
    resources = _resources(rng_res, base, enrolment)
    rosters, rotation = _rosters(rng_roster, rng_history, base, enrolment)

    schools: dict[int, pd.DataFrame] = {}
    teachers: dict[int, pd.DataFrame] = {}
    county: dict[int, pd.DataFrame] = {}
    for year in DEMO_YEARS:
        schools[year] = _schools_table(year, base, enrolment[year], resources[year], rosters[year])
        teachers[year] = rosters[year].loc[:, list(_TEACHER_COLUMNS)].reset_index(drop=True)
        county[year] = _county_table(year, schools[year], rotation[year])

    return DemoCounty(
        seed=int(seed),
        schools=schools,
        teachers=teachers,
        county=county,
        county_geojson=_county_geojson(outline),
        townships_geojson=_townships_geojson(townships, polygons),
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
                source=f"{DEMO_COUNTY_NAME} demo data (dashboard.store.demo, seed {demo.seed}); fictional",
                created=f"{year}-09-30T00:00:00+00:00",
            )
        )
    geo_dir = geo_root / DEMO_COUNTY_CODE
    for name, collection in (
        ("county.geojson", demo.county_geojson),
        ("townships.geojson", demo.townships_geojson),
    ):
        path = geo_dir / name
        if path.exists() and not overwrite_geo:
            continue
        geo_dir.mkdir(parents=True, exist_ok=True)
        text = json.dumps(collection, ensure_ascii=False, sort_keys=True, indent=1) + "\n"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


# --- fixed data ---------------------------------------------------------------------------------


def _read_townships() -> pd.DataFrame:
    return pd.read_csv(_DATA_DIR / "demo_townships.csv", dtype={"township_code": str})


def _read_schools(townships: pd.DataFrame) -> pd.DataFrame:
    df = pd.read_csv(_DATA_DIR / "demo_schools.csv", dtype={"parent_seq": "Int64"})
    df["school_id"] = [_school_id(seq) for seq in df["seq"]]
    df["parent_school_id"] = [
        None if pd.isna(p) else _school_id(int(p)) for p in df["parent_seq"]
    ]
    df["county_run"] = df["county_run"].astype(bool)
    df["township_kind"] = df["township"].map(townships.set_index("township")["kind"])
    df["base_stage"] = np.where(
        df["school_type"].isin(["junior", "complete_secondary"]), "junior", "primary"
    )
    return df


def _school_id(seq: int) -> str:
    """A 10-digit 学校标识码-like id: '3' + county code + 3-digit sequence."""
    return f"3{DEMO_COUNTY_CODE}{seq:03d}"


# --- geography ----------------------------------------------------------------------------------


def _round_geometry(geom: Any) -> Any:
    return shapely.transform(geom, lambda xy: np.round(xy, _DECIMALS))


def _geography(townships: pd.DataFrame) -> tuple[Polygon, dict[str, Any]]:
    """The county outline and the township polygons (Voronoi cells of the seats, clipped)."""
    theta = np.linspace(0.0, 2.0 * math.pi, _OUTLINE_VERTICES, endpoint=False)
    radius = np.ones_like(theta)
    for k, amplitude, phase in _HARMONICS:
        radius += amplitude * np.cos(k * theta + phase)
    lon = _CENTER[0] + _RADII[0] * radius * np.cos(theta)
    lat = _CENTER[1] + _RADII[1] * radius * np.sin(theta)
    outline = _round_geometry(shapely.orient_polygons(Polygon(np.column_stack([lon, lat]))))

    seats = [Point(x, y) for x, y in zip(townships["longitude"], townships["latitude"], strict=True)]
    cells = voronoi_diagram(MultiPoint(seats), envelope=outline.buffer(1.0))
    polygons: dict[str, Any] = {}
    for name, seat in zip(townships["township"], seats, strict=True):
        cell = next(c for c in cells.geoms if c.contains(seat))
        piece = cell.intersection(outline)
        polygons[name] = _round_geometry(shapely.orient_polygons(piece))
    return outline, polygons


def _coordinates(geom: Any) -> Any:
    """GeoJSON geometry with plain lists (so a dict equals its JSON round trip)."""
    return json.loads(json.dumps(mapping(geom)))


def _county_geojson(outline: Polygon) -> dict[str, Any]:
    feature = {
        "type": "Feature",
        "properties": {
            "county_code": DEMO_COUNTY_CODE,
            "county_name": DEMO_COUNTY_NAME,
            "name_en": DEMO_COUNTY_NAME_EN,
            "city_name": DEMO_CITY_NAME,
            "fictional": True,
        },
        "geometry": _coordinates(outline),
    }
    return {"type": "FeatureCollection", "features": [feature]}


def _townships_geojson(townships: pd.DataFrame, polygons: dict[str, Any]) -> dict[str, Any]:
    features = [
        {
            "type": "Feature",
            "properties": {
                "township": row.township,
                "township_code": row.township_code,
                "name_en": row.name_en,
                "kind": row.kind,
                "county_code": DEMO_COUNTY_CODE,
            },
            "geometry": _coordinates(polygons[str(row.township)]),
        }
        for row in townships.itertuples(index=False)
    ]
    return {"type": "FeatureCollection", "features": features}


def _place_schools(
    rng: np.random.Generator,
    base: pd.DataFrame,
    townships: pd.DataFrame,
    polygons: dict[str, Any],
) -> tuple[list[float], list[float]]:
    """A point inside its township polygon for every school, rounded to 6 decimals.

    Schools of the county town, the 镇 centres and the 乡 centres cluster around their seat;
    village schools and teaching points are spread over the township.
    """
    seats = townships.set_index("township")[["longitude", "latitude"]]
    inner = {name: poly.buffer(-0.004) for name, poly in polygons.items()}
    lons: list[float] = []
    lats: list[float] = []
    for row in base.itertuples(index=False):
        township = str(row.township)
        area = inner[township]
        seat = seats.loc[township].to_numpy(dtype=float)
        code = row.urban_rural_code
        near_seat = row.school_type != "teaching_point" and (
            code in (111, 112, 121, 122, 123) or (row.township_kind == "乡" and code == 210)
        )
        spread = 0.012 if code in (111, 112) else 0.02 if code == 123 else 0.005
        xmin, ymin, xmax, ymax = area.bounds
        for _ in range(_PLACEMENT_TRIES):
            if near_seat:
                xy = seat + rng.normal(0.0, spread, size=(32, 2))
            else:
                xy = rng.uniform((xmin, ymin), (xmax, ymax), size=(32, 2))
            xy = np.round(xy, _DECIMALS)
            ok = shapely.contains_xy(area, xy[:, 0], xy[:, 1])
            if not near_seat:
                ok &= np.hypot(*(xy - seat).T) > 0.03
            if ok.any():
                x, y = xy[int(np.argmax(ok))]
                lons.append(float(x))
                lats.append(float(y))
                break
        else:
            raise RuntimeError(f"no place found for {row.school_name} in {row.township}")
    return lons, lats


# --- enrolment and resources --------------------------------------------------------------------


def _enrolment(rng: np.random.Generator, base: pd.DataFrame) -> dict[int, pd.DataFrame]:
    """Pupils per school and year: 2024 from the school list (± 3 %), earlier years by drift."""
    cols = ["students_primary", "students_junior", "students_senior"]
    growth = np.array([_PROFILES[p].growth for p in base["profile"]])
    current = np.round(base[cols].to_numpy(float) * rng.lognormal(0.0, 0.03, (len(base), 3)))
    out = {_LAST_YEAR: pd.DataFrame(current.astype(np.int64), columns=cols, index=base.index)}
    for year in reversed(DEMO_YEARS[:-1]):
        factor = 1.0 + growth[:, None] * rng.uniform(0.7, 1.3, (len(base), 3))
        current = np.round(current / factor)
        out[year] = pd.DataFrame(current.astype(np.int64), columns=cols, index=base.index)
    return out


def _weighted_pupils(school_type: str, a: float, b: float, c: float) -> float:
    """Enrolment weighted as in the default stage split, in units of the first stage's pupils.

    A resource of ``x`` per weighted pupil then gives the first stage ``x`` per pupil after the
    split (a nine-year school's junior part gets 1.1 ``x``).
    """
    if school_type == "nine_year":
        wa, wb = DEFAULT_PARAMS.split_nine_year
        return a + wb / wa * b
    if school_type == "complete_secondary":
        wb, wc = DEFAULT_PARAMS.split_complete_secondary
        return b + wc / wb * c
    if school_type == "twelve_year":
        wa, wb, wc = DEFAULT_PARAMS.split_twelve_year
        return a + (wb * b + wc * c) / wa
    return a + b


def _classes(row: Any, pupils: int, stage: int) -> int:
    """Classes of one stage: pupils over the class size, at least one class per grade."""
    if pupils <= 0:
        return 0
    size = row.class_size if pd.notna(row.class_size) else _PROFILES[row.profile].class_size[stage]
    if row.school_type == "teaching_point":
        return int(min(4, max(1, math.ceil(pupils / size))))
    grades = 6 if stage == 0 else 3
    by_size = math.ceil(pupils / size)
    return int(max(by_size, grades if pupils >= 10 * grades else math.ceil(pupils / 20)))


def _resources(
    rng: np.random.Generator, base: pd.DataFrame, enrolment: dict[int, pd.DataFrame]
) -> dict[int, pd.DataFrame]:
    """Classes, boarders and shared resources (areas, equipment, rooms) per school and year.

    The 2024 stock is drawn per weighted pupil; earlier years have less equipment, computers
    and books (the yearly purchases undone), and smaller areas where a building was finished
    later (``_CAPITAL_WORKS``).
    """
    n = len(base)
    latest = enrolment[_LAST_YEAR].to_numpy()
    profiles = [_PROFILES[name] for name in base["profile"]]
    k = (base["base_stage"] == "junior").to_numpy(dtype=int)

    def per_pupil(attr: str) -> np.ndarray:
        return np.array([getattr(p, attr)[j] for p, j in zip(profiles, k, strict=True)])

    weight = np.array(
        [_weighted_pupils(t, *abc) for t, abc in zip(base["school_type"], latest, strict=True)]
    )
    # Areas given per school in the school list are taken almost as they are.
    given = base[["aux_m2_per_pupil", "sports_m2_per_pupil"]].to_numpy(dtype=float)
    area = np.where(np.isnan(given), np.column_stack([per_pupil("aux"), per_pupil("sports")]), given)
    area *= weight[:, None] * rng.lognormal(0.0, np.where(np.isnan(given), [0.08, 0.15], 0.02))
    # Equipment, computers and books: never far below the profile, sometimes far above.
    stock_noise = 0.8 + 0.25 * rng.lognormal(0.0, 0.9, (n, 3))
    factor = base["equipment_factor"].fillna(1.0).to_numpy(dtype=float)
    stock = np.column_stack(
        [
            per_pupil("equipment") * factor * weight,
            per_pupil("computers") * factor * weight / 100,
            per_pupil("books") * weight,
        ]
    ) * stock_noise
    purchase = np.array([p.purchase for p in profiles])[:, None] * rng.uniform(0.5, 1.5, (n, 3))
    purchase[:, 2] *= 0.7  # books are bought more slowly
    boarding_share = rng.uniform(0.8, 1.2, n)
    dorm_per_boarder = rng.uniform(3.8, 5.0, n)
    other_per_pupil = rng.uniform(0.9, 1.6, n)  # offices, canteen and other rooms, m² per pupil
    rural = base["profile"].isin(_RURAL_PROFILES).to_numpy()
    rooms_added = np.where(rural, rng.choice([0, 2023, 2024], size=n, p=[0.5, 0.3, 0.2]), 0)

    rows = list(base.itertuples(index=False))
    classes = {
        year: np.array(
            [[_classes(r, int(pupils[s]), s) for s in (0, 1)] for r, pupils in
             zip(rows, enrolment[year].to_numpy(), strict=True)]
        ).reshape(n, 2)
        for year in DEMO_YEARS
    }
    boarders = {
        year: np.round(
            boarding_share
            * np.array([p.boarding[0] for p in profiles]) * enrolment[year]["students_primary"]
            + boarding_share
            * np.array([p.boarding[1] for p in profiles]) * enrolment[year]["students_junior"]
        ).to_numpy(dtype=np.int64)
        for year in DEMO_YEARS
    }
    dorm = np.round(dorm_per_boarder * np.max(list(boarders.values()), axis=0), 1)
    # Music and art rooms: one per 12 classes at the largest size; some rural schools got
    # theirs only recently.
    most_classes = np.max([c.sum(axis=1) for c in classes.values()], axis=0)
    rooms = np.where(base["school_type"] == "teaching_point", 0, np.maximum(1, -(-most_classes // 12)))
    senior_classes = -(-enrolment[_LAST_YEAR]["students_senior"].to_numpy() // 55)
    extra_rooms = np.array([p.extra_rooms for p in profiles])

    out: dict[int, pd.DataFrame] = {}
    for year in DEMO_YEARS:
        later_works = np.zeros((n, 2))
        for seq, done, column, m2 in _CAPITAL_WORKS:
            if done > year:
                later_works[base["seq"].to_numpy() == seq, _AREA_COLUMNS.index(column)] += m2
        year_area = np.round(area, 1) - later_works
        held = stock / (1.0 + purchase) ** (_LAST_YEAR - year)
        total_classes = classes[year].sum(axis=1)
        av_share = np.array([p.av_share[DEMO_YEARS.index(year)] for p in profiles])
        with_av = np.round(av_share * total_classes).astype(np.int64)
        year_rooms = np.maximum(rooms - (year < rooms_added), 0)
        out[year] = pd.DataFrame(
            {
                "classes_primary": classes[year][:, 0],
                "classes_junior": classes[year][:, 1],
                "boarders": boarders[year],
                "teaching_aux_area_m2": year_area[:, 0],
                "sports_area_m2": year_area[:, 1],
                "equipment_value_yuan": np.round(held[:, 0]),
                "computers": np.round(held[:, 1]).astype(np.int64),
                "books": np.round(held[:, 2]).astype(np.int64),
                "multimedia_rooms": with_av + extra_rooms + senior_classes,
                "building_area_m2": np.round(year_area[:, 0] + dorm + other_per_pupil * weight, 1),
                "dorm_area_m2": dorm,
                "classes_with_av": with_av,
                "music_rooms": year_rooms,
                "art_rooms": year_rooms,
            },
            index=base.index,
        )
    return out


# --- teachers -----------------------------------------------------------------------------------


def _rosters(
    rng: np.random.Generator,
    rng_history: np.random.Generator,
    base: pd.DataFrame,
    enrolment: dict[int, pd.DataFrame],
) -> tuple[dict[int, pd.DataFrame], dict[int, dict[str, int]]]:
    """Teacher rosters per year (2024 drawn, earlier years rebuilt) and rotation counts."""
    roster = _roster_last_year(rng, base, enrolment[_LAST_YEAR])
    profile_of = dict(zip(base["school_id"], base["profile"], strict=True))
    next_id = len(roster)
    rosters: dict[int, pd.DataFrame] = {}
    rotation: dict[int, dict[str, int]] = {}
    for year in reversed(DEMO_YEARS):
        if year != _LAST_YEAR:
            roster, next_id = _undo_year(rng_history, roster, year + 1, profile_of, next_id)
        roster = roster.sort_values("teacher_id", kind="stable").reset_index(drop=True)
        rosters[year] = roster
        rotation[year] = _rotation_counts(roster, year)
    return rosters, rotation


def _pick(rng: np.random.Generator, options: dict[str, float], n: int) -> np.ndarray:
    keys = list(options)
    p = np.array([options[k] for k in keys])
    return np.array(keys, dtype=object)[rng.choice(len(keys), size=n, p=p / p.sum())]


def _quota(rng: np.random.Generator, prof: _Profile, expected: float, available: int) -> int:
    """A head count near ``expected`` (randomly rounded), at most ``available``."""
    x = expected * rng.lognormal(0.0, 0.06)
    # Rural schools get the teachers they need to meet the minimum, most of the time.
    round_up = rng.uniform() < (0.85 if prof.floor else x - math.floor(x))
    return min(math.ceil(x) if round_up else math.floor(x), available)


def _roster_last_year(
    rng: np.random.Generator, base: pd.DataFrame, pupils: pd.DataFrame
) -> pd.DataFrame:
    """Draw the 2024 roster school by school, stage by stage."""
    year = _LAST_YEAR
    donors = {  # schools a rotated teacher can have come from, by (stage, rural destination)
        (stage, rural): base.loc[
            (pupils[f"students_{stage}"] > 0)
            & (base["ownership"] == "public")
            & base["county_run"]
            & (base["profile"].isin(_RURAL_PROFILES) != rural),
            "school_id",
        ].to_numpy()
        for stage in _STAGES
        for rural in (False, True)
    }
    parts = []
    for i, row in enumerate(base.itertuples(index=False)):
        prof = _PROFILES[str(row.profile)]
        for k, stage in enumerate(_STAGES):
            n_pupils = int(pupils.iloc[i][f"students_{stage}"])
            if n_pupils == 0:
                continue
            n = max(2, int(round(n_pupils / prof.pupils_per_teacher[k] * rng.lognormal(0, 0.12))))
            part = _draw_teachers(rng, prof, k, n, n_pupils, year)
            part["school_id"] = str(row.school_id)
            part["stage"] = stage
            rotated = part["kind"].str.startswith("rot")
            pool = donors[(stage, row.profile in _RURAL_PROFILES)]
            pool = pool[pool != row.school_id]
            part.loc[rotated, "prev_school"] = rng.choice(pool, size=int(rotated.sum()))
            parts.append(part)
    roster = pd.concat(parts, ignore_index=True)
    roster.insert(0, "teacher_id", [f"DT{i + 1:06d}" for i in range(len(roster))])
    return roster


def _draw_teachers(
    rng: np.random.Generator, prof: _Profile, k: int, n: int, pupils: int, year: int
) -> pd.DataFrame:
    """n teachers of one school and stage, with their kind of arrival in 2022–2024."""
    kinds = ["stay"]
    p = [1.0]
    for j, y in enumerate(DEMO_YEARS):
        kinds += [f"hire{y}", f"rot{y}"]
        p += [prof.hire, prof.rotation[j]]
    p[0] = 1.0 - sum(p[1:])
    kind = np.array(kinds, dtype=object)[rng.choice(len(kinds), size=n, p=p)]
    arrival = np.array([int(s[-4:]) if s != "stay" else 0 for s in kind])
    hired = np.char.startswith(kind.astype(str), "hire")
    rotated = np.char.startswith(kind.astype(str), "rot")

    band = rng.choice(3, size=n, p=prof.ages)
    age = np.select(
        [band == 0, band == 1], [rng.integers(26, 33, n), rng.integers(33, 48, n)],
        rng.integers(48, 60, n),
    )
    age = np.where(rotated, rng.integers(30, 56, n), age)
    age = np.where(hired, year - arrival + rng.integers(22, 27, n), age)
    birth = year - age

    tenure = 3 + np.floor(rng.exponential(7.0, n)).astype(int)
    start = np.minimum(year - tenure, year - 3)
    start = np.maximum(start, birth + 22)
    start = np.where(hired | rotated, arrival, start)
    prev_start = np.maximum(arrival - rng.integers(6, 17, n), birth + 22)
    prev_start = np.where(rotated, np.minimum(prev_start, arrival - 6), 0)

    deg_p = np.array(prof.degree[k], dtype=float)
    old_p = deg_p * np.array([3.0, 1.5, 1.0, 0.0])
    deg = np.where(
        age >= 48,
        rng.choice(4, size=n, p=old_p / old_p.sum()),
        rng.choice(4, size=n, p=deg_p / deg_p.sum()),
    )
    young_p = np.array([0.0, 0.08, 0.85, 0.07]) if k == 0 else np.array([0.0, 0.0, 0.92, 0.08])
    deg = np.where(hired, rng.choice(4, size=n, p=young_p), deg)
    degree = np.array(_DEGREES, dtype=object)[deg]

    title = np.empty(n, dtype=object)
    for i in range(n):
        probs = next(pr for upper, pr in _TITLE_BY_AGE if age[i] < upper)
        pr = np.array(probs, dtype=float)
        pr[3:] *= prof.senior_factor
        pr[2] += max(0.0, 1.0 - pr.sum())
        title[i] = _TITLES[int(rng.choice(5, p=pr / pr.sum()))]
    title = np.where(hired & (arrival == year), "none", title)
    title = np.where(hired & (arrival < year), "junior", title)

    backbone = np.full(n, "none", dtype=object)
    weight = np.select(
        [np.isin(title, ["intermediate", "senior", "full_senior"]), title == "junior"], [3.0, 1.0], 0.0
    )
    weight = np.where(hired | (age < 28), 0.0, weight) * np.where(rotated, 1.5, 1.0)
    n_backbone = _quota(rng, prof, pupils * prof.backbone[k] / 100, int((weight > 0).sum()))
    if n_backbone:
        chosen = rng.choice(n, size=n_backbone, replace=False, p=weight / weight.sum())
        backbone[chosen] = _pick(rng, dict(zip(_BACKBONE_LEVELS, _BACKBONE_LEVEL_P, strict=True)), n_backbone)

    subjects = _pick(rng, _PRIMARY_SUBJECTS if k == 0 else _JUNIOR_SUBJECTS, n)
    n_pe_art = _quota(rng, prof, pupils * prof.pe_art[k] / 100, n)
    if n_pe_art:
        chosen = rng.choice(n, size=n_pe_art, replace=False)
        subjects[chosen] = _pick(rng, _PE_ART_SUBJECTS, n_pe_art)

    return pd.DataFrame(
        {
            "subject": subjects,
            "degree": degree,
            "title": title,
            "backbone_level": backbone,
            "birth_year": birth.astype(np.int64),
            "start_year_at_school": start.astype(np.int64),
            "kind": kind,
            "prev_school": None,
            "prev_start": prev_start.astype(np.int64),
        }
    )


def _undo_year(
    rng: np.random.Generator,
    roster: pd.DataFrame,
    year: int,
    profile_of: dict[str, str],
    next_id: int,
) -> tuple[pd.DataFrame, int]:
    """The roster of ``year - 1``, rebuilt from that of ``year`` by undoing the year's changes."""
    before = year - 1
    r = roster.loc[roster["kind"] != f"hire{year}"].copy()
    back = r["kind"] == f"rot{year}"
    r.loc[back, "school_id"] = r.loc[back, "prev_school"]
    r.loc[back, "start_year_at_school"] = r.loc[back, "prev_start"]
    r.loc[back, "kind"] = "stay"
    r.loc[r["kind"] == f"hire{before}", "title"] = "none"  # in their first year

    n = len(r)
    u = rng.uniform(size=(n, 4))
    age = before - r["birth_year"].to_numpy()
    title = r["title"].to_numpy(dtype=object).copy()
    title[(title == "intermediate") & (u[:, 0] < 0.05) & (age >= 26)] = "junior"
    title[(title == "senior") & (u[:, 0] < 0.03)] = "intermediate"
    title[(title == "full_senior") & (u[:, 0] < 0.10)] = "senior"
    r["title"] = title
    award = np.array([_PROFILES[profile_of[s]].award for s in r["school_id"]])
    newly_named = (r["backbone_level"].to_numpy() != "none") & (u[:, 1] < award)
    r.loc[newly_named, "backbone_level"] = "none"
    upgraded = (
        (r["stage"].to_numpy() == "primary")
        & (r["degree"].to_numpy() == "bachelor")
        & (age > 30)
        & (u[:, 2] < 0.03)
    )
    r.loc[upgraded, "degree"] = "associate"

    retirees = []
    for (school_id, stage), group in r.groupby(["school_id", "stage"], sort=True):
        prof = _PROFILES[profile_of[str(school_id)]]
        k = _STAGES.index(stage)
        count = int(rng.binomial(len(group), prof.retire))
        for _ in range(count):
            next_id += 1
            is_primary = k == 0
            retirees.append(
                {
                    "teacher_id": f"DT{next_id:06d}",
                    "school_id": school_id,
                    "stage": stage,
                    "subject": str(_pick(rng, _PRIMARY_SUBJECTS if is_primary else _JUNIOR_SUBJECTS, 1)[0]),
                    "degree": ("secondary", "associate", "bachelor")[
                        int(rng.choice(3, p=(0.3, 0.6, 0.1) if is_primary else (0.0, 0.5, 0.5)))
                    ],
                    "title": ("intermediate", "senior")[int(rng.uniform() < 0.35 * prof.senior_factor)],
                    "backbone_level": "none",
                    "birth_year": year - 60,
                    "start_year_at_school": before - int(rng.integers(8, 31)),
                    "kind": "stay",
                    "prev_school": None,
                    "prev_start": 0,
                }
            )
    if retirees:
        r = pd.concat([r, pd.DataFrame(retirees)], ignore_index=True)
    for column in ("birth_year", "start_year_at_school", "prev_start"):
        r[column] = r[column].astype(np.int64)
    return r, next_id


def _rotation_counts(roster: pd.DataFrame, year: int) -> dict[str, int]:
    """Teachers rotated into a new school in ``year``, those eligible (≥ 6 years), backbone."""
    rotated = roster["kind"] == f"rot{year}"
    arrived = roster["kind"].isin([f"rot{year}", f"hire{year}"])
    settled = ~arrived & (year - roster["start_year_at_school"] >= 6)
    return {
        "rotated": int(rotated.sum()),
        "eligible": int(rotated.sum() + settled.sum()),
        "backbone": int((rotated & (roster["backbone_level"] != "none")).sum()),
    }


# --- tables -------------------------------------------------------------------------------------


def _schools_table(
    year: int,
    base: pd.DataFrame,
    pupils: pd.DataFrame,
    resources: pd.DataFrame,
    roster: pd.DataFrame,
) -> pd.DataFrame:
    """The schools table of one year (DATA-CONTRACT §2), teacher counts taken from the roster."""
    counts = roster_counts(roster).reindex(base["school_id"], fill_value=0)
    counts.index = base.index
    per_year = pd.concat([pupils, resources, counts], axis=1)
    df = pd.concat([base.drop(columns=per_year.columns, errors="ignore"), per_year], axis=1).assign(
        year=np.int64(year), county_code=DEMO_COUNTY_CODE, county_name=DEMO_COUNTY_NAME
    )
    df = df.loc[:, list(_SCHOOL_COLUMNS)].reset_index(drop=True)
    for column in df.columns:
        if column in ("longitude", "latitude") or column.endswith(("_m2", "_yuan")):
            df[column] = df[column].astype(np.float64)
        elif column not in _TEXT_COLUMNS and column != "county_run":
            df[column] = df[column].astype(np.int64)
    df["county_run"] = df["county_run"].astype(bool)
    return df


def _county_table(year: int, schools: pd.DataFrame, rotation: dict[str, int]) -> pd.DataFrame:
    """County-level assessment items of one year (DATA-CONTRACT §4), in standards.csv order."""
    items = pd.read_csv(_DATA_DIR / "demo_county_items.csv", dtype=str, keep_default_na=False)
    rows: list[dict[str, Any]] = []
    for item in items.itertuples(index=False):
        passed = getattr(item, f"passed_{year}")
        rows.append(
            {
                "item_id": item.item_id,
                "stage": item.stage or None,
                "value": getattr(item, f"value_{year}"),
                "passed": None if passed == "" else passed == "true",
                "evidence": str(item.evidence).format(year=year),
            }
        )
    rows += _computed_items(year, schools, rotation)
    df = pd.DataFrame(rows).assign(county_code=DEMO_COUNTY_CODE, year=np.int64(year))
    df["passed"] = df["passed"].astype("boolean")
    df["stage"] = df["stage"].astype(object)
    order = {item_id: i for i, item_id in enumerate(standards_table().index)}
    stage_order = {None: 0, "primary": 1, "junior": 2}
    df = df.sort_values(
        ["item_id", "stage"],
        key=lambda col: col.map(order if col.name == "item_id" else stage_order),
        kind="stable",
    )
    return df.loc[:, list(_COUNTY_COLUMNS)].reset_index(drop=True)


def _threshold(item_id: str, stage: str = "primary") -> float:
    """The numeric threshold of a county item from the standards table."""
    return float(str(standards_table().loc[item_id, f"{stage}_threshold"]))


def _computed_items(
    year: int, schools: pd.DataFrame, rotation: dict[str, int]
) -> list[dict[str, Any]]:
    """Items that follow from the schools table and the roster: G3, G4, G5, G11, P1."""
    rows: list[dict[str, Any]] = []
    regular = schools.loc[schools["school_type"] != "teaching_point"].set_index("school_name")
    classes = regular["classes_primary"] + regular["classes_junior"]
    need = np.maximum(1, np.ceil(classes / 12))
    short = regular.index[(regular["music_rooms"] < need) | (regular["art_rooms"] < need)]
    rows.append(
        {
            "item_id": "G3",
            "stage": None,
            "value": "false" if len(short) else "true",
            "passed": short.empty,
            "evidence": (
                f"{year}年 {len(regular)} 所小学、初中(不含教学点)中 {len(regular) - len(short)} 所"
                "按每12个班配齐音乐、美术专用教室"
                + (f";未配齐:{'、'.join(short)}" if len(short) else "")
                + "(示例数据)"
            ),
        }
    )

    size = regular["students_primary"] + regular["students_junior"]
    # G4: at most 2000 pupils, 2500 for 一贯制 schools (standards.csv rule note).
    limit = np.where(
        regular["school_type"].isin(["nine_year", "twelve_year"]), 2500, _threshold("G4")
    )
    over = size[size > limit]
    rows.append(
        {
            "item_id": "G4",
            "stage": None,
            "value": str(int(size.max())),
            "passed": over.empty,
            "evidence": (
                f"{year}年义务教育学校最大规模 {int(size.max())} 人;"
                f"超过规模上限的学校 {len(over)} 所"
                + (":" + "、".join(f"{name} {n} 人" for name, n in over.items()) if len(over) else "")
                + "(示例数据)"
            ),
        }
    )

    for stage, stage_zh in (("primary", "小学"), ("junior", "初中")):
        has = regular[f"classes_{stage}"] > 0
        average = regular.loc[has, f"students_{stage}"] / regular.loc[has, f"classes_{stage}"]
        largest = round(float(average.max()), 1)
        limit_size = _threshold("G5", stage)
        rows.append(
            {
                "item_id": "G5",
                "stage": stage,
                "value": f"{largest:.1f}",
                "passed": largest <= limit_size,
                "evidence": (
                    f"{year}年{stage_zh}各校平均班额最大 {largest:.1f} 人;平均班额超过"
                    f" {limit_size:g} 人的学校 {int((average > limit_size).sum())} 所(示例数据)"
                ),
            }
        )

    rate = round(100.0 * rotation["rotated"] / rotation["eligible"], 1)
    rows.append(
        {
            "item_id": "G11",
            "stage": None,
            "value": f"{rate:.1f}",
            "passed": rate >= _threshold("G11"),
            "evidence": (
                f"{year}年交流轮岗 {rotation['rotated']} 人,符合交流条件(在同一学校任教满6年)"
                f" {rotation['eligible']} 人;交流教师中骨干教师 {rotation['backbone']} 人(示例数据)"
            ),
        }
    )

    years = year - _BASIC_RECOGNISED
    rows.append(
        {
            "item_id": "P1",
            "stage": None,
            "value": str(years),
            "passed": years >= _threshold("P1"),
            "evidence": (
                f"{_BASIC_RECOGNISED}年通过国家义务教育基本均衡发展认定,此后年度监测保持(示例数据)"
            ),
        }
    )
    return rows
