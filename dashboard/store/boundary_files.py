"""Reading a boundary file a county sends: GeoJSON, a zipped Shapefile or a GeoPackage, read
with geopandas (pyogrio's bundled GDAL), checked before it is read, and brought to WGS 84.

Limits are checked first: the file's size, a zip's entries (count, unpacked size, packing
ratio, names), the number of features.  A Shapefile without a ``.cpg`` is read as UTF-8, and
as GB18030 (GBK's superset) when that fails: Chinese Shapefiles are usually GBK without saying
so.  A file without a coordinate system is taken as CGCS2000 when its coordinates are degrees
in China, or as the CGCS2000 Gauss-Krüger zone its eastings name (zone number prefix); either
assumption is reported as a note, and the user may name the system instead.  CGCS2000 and
WGS 84 differ by centimetres, which no map here can show.  docs/data-contract.md §11.
"""

from __future__ import annotations

import functools
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Final

import geopandas as gpd
import pyogrio
from pyogrio.errors import DataLayerError, DataSourceError
from pyproj import CRS
from pyproj.exceptions import CRSError
from shapely.errors import GEOSException

from dashboard.i18n import DEFAULT_LANG, t
from dashboard.store.contract.limits import MAX_FILE_BYTES, MAX_UNCOMPRESSED_BYTES
from dashboard.store.contract.violations import shown_value

__all__ = ["BoundaryError", "BoundaryLayer", "read_boundary", "parse_crs", "COMMON_CRS",
           "crs_label", "epsg_label", "MAX_FEATURES"]

SUFFIXES: Final = (".geojson", ".json", ".zip", ".gpkg")
MAX_FEATURES: Final = 20_000  # a county has tens of townships; a city a few hundred
MAX_ZIP_ENTRIES: Final = 200
MAX_PACK_RATIO: Final = 100  # a Shapefile packs 3-10 times; a zip bomb thousands
# China's extent in degrees (as the contract's longitude and latitude bounds)
CHINA: Final = (73.0, 3.0, 136.0, 54.0)
# Systems offered to a user whose file names none: CGCS2000 geographic, its 3-degree
# Gauss-Krüger zones with and without the zone prefix, 6-degree zones, Xi'an 1980, Beijing
# 1954, WGS 84 and its UTM zones over China, Web Mercator.
COMMON_CRS: Final = (4490, *range(4513, 4555), *range(4491, 4513), 4610, 4214, 4326,
                     *range(32643, 32654), 3857)
# what reading a damaged file raises: GDAL's errors, a geometry GEOS cannot build (an
# unclosed ring), a zip of an unknown version
_READ_ERRORS: Final = (DataSourceError, DataLayerError, OSError, ValueError, RuntimeError,
                       GEOSException, NotImplementedError, EOFError)


class BoundaryError(ValueError):
    """A boundary file that cannot be used: which file, which rule, the details (in ``lang``)."""

    def __init__(self, file: str, rule: str, lang: str = DEFAULT_LANG, **params: object) -> None:
        self.file, self.rule, self.params = file, rule, {k: str(v) for k, v in params.items()}
        super().__init__(t("boundary.error.where", lang, file=file,
                           rule=t(f"boundary.error.{rule}", lang, **self.params)))


@dataclass(frozen=True, eq=False)
class BoundaryLayer:
    """The polygons of a boundary file in WGS 84 (EPSG:4326), and what reading it assumed.

    ``source_crs`` names the file's system (EPSG code and name); ``notes`` are catalogue keys
    with their parameters (assumptions made, features skipped)."""

    file: str
    layer: str
    frame: gpd.GeoDataFrame
    source_crs: str
    notes: tuple[tuple[str, dict[str, str]], ...]


def crs_label(crs: CRS) -> str:
    """Return ``EPSG:n name`` (or the name alone) of a coordinate system.

    >>> crs_label(CRS.from_epsg(4547))
    'EPSG:4547 CGCS2000 / 3-degree Gauss-Kruger CM 114E'
    """
    code = crs.to_epsg()
    return f"EPSG:{code} {crs.name}" if code is not None else str(crs.name)


@functools.cache
def epsg_label(code: int) -> str:
    """Return :func:`crs_label` of an EPSG code, read from pyproj's database once per code (the
    boundary page names its 80 choices on every rerun; a lookup costs about 0.2 ms). The codes
    come from a finite list (COMMON_CRS and the Gauss-Krüger zones), so the cache is bounded."""
    return crs_label(CRS.from_epsg(code))


def parse_crs(text: str | int, file: str = "", lang: str = DEFAULT_LANG) -> CRS:
    """Return the coordinate system a user named (``4547``, ``EPSG:4547``), or raise."""
    value = str(text).strip()
    try:
        return CRS.from_user_input(int(value) if value.isdigit() else value)
    except (CRSError, ValueError) as exc:
        raise BoundaryError(file, "crs_unknown", lang, value=value) from exc


def _check_zip(path: Path, lang: str) -> list[str]:
    """Return the names in a zip after checking it is no bomb and names no path outside it."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, NotImplementedError, EOFError, ValueError) as exc:
        raise BoundaryError(path.name, "unreadable", lang, reason=type(exc).__name__) from exc
    if len(infos) > MAX_ZIP_ENTRIES:
        raise BoundaryError(path.name, "zip_entries", lang, count=len(infos),
                            limit=MAX_ZIP_ENTRIES)
    unpacked = sum(i.file_size for i in infos)
    if unpacked > MAX_UNCOMPRESSED_BYTES or any(
            i.file_size > MAX_PACK_RATIO * max(i.compress_size, 1) and i.file_size > 1 << 20
            for i in infos):
        raise BoundaryError(path.name, "zip_bomb", lang, size=unpacked,
                            limit=MAX_UNCOMPRESSED_BYTES)
    for info in infos:
        name = PurePosixPath(info.filename.replace("\\", "/"))
        if name.is_absolute() or ".." in name.parts:
            raise BoundaryError(path.name, "zip_path", lang, name=info.filename)
    return [i.filename for i in infos if not i.is_dir()]


def _source(path: Path, layer: str | None, lang: str) -> tuple[str, str | None, bool]:
    """Return (what GDAL opens, the layer, whether a Shapefile's encoding must be guessed)."""
    suffix = path.suffix.lower()
    if suffix == ".zip":
        names = _check_zip(path, lang)
        shps = [n for n in names if n.lower().endswith(".shp")]
        if layer is not None:
            shps = [n for n in shps if PurePosixPath(n).stem == layer]
        if len(shps) != 1:
            raise BoundaryError(path.name, "zip_shapefiles", lang, count=len(shps),
                                names="、".join(PurePosixPath(n).stem for n in shps) or "—")
        stem = shps[0][:-4]
        guess = not any(n.lower() == f"{stem.lower()}.cpg" for n in names)
        return f"/vsizip/{path.resolve()}/{shps[0]}", None, guess
    if suffix == ".gpkg":
        try:
            layers = [(str(n), str(g)) for n, g in pyogrio.list_layers(path)]
        except _READ_ERRORS as exc:
            raise BoundaryError(path.name, "unreadable", lang, reason=type(exc).__name__) from exc
        polygonal = [n for n, g in layers if "polygon" in g.lower()]
        if layer is None and len(polygonal) == 1:
            layer = polygonal[0]
        if layer is None or layer not in polygonal:
            raise BoundaryError(path.name, "gpkg_layer", lang, layer=layer or "—",
                                layers="、".join(polygonal) or "—")
        return str(path), layer, False
    return str(path), None, False


def _read(path: Path, source: str, layer: str | None, guess: bool,
          lang: str) -> gpd.GeoDataFrame:
    try:
        info = pyogrio.read_info(source, layer=layer)
        if int(info["features"]) > MAX_FEATURES:
            raise BoundaryError(path.name, "too_many_features", lang, count=info["features"],
                                limit=MAX_FEATURES)
        if not guess:
            return gpd.read_file(source, layer=layer)
        try:
            return gpd.read_file(source, layer=layer, encoding="utf-8")
        except UnicodeDecodeError:
            return gpd.read_file(source, layer=layer, encoding="gb18030")
    except BoundaryError:
        raise
    except (*_READ_ERRORS, UnicodeDecodeError) as exc:
        raise BoundaryError(path.name, "unreadable", lang, reason=type(exc).__name__) from exc


def _in_china(bounds: tuple[float, ...]) -> bool:
    x0, y0, x1, y1 = bounds
    return CHINA[0] <= x0 <= x1 <= CHINA[2] and CHINA[1] <= y0 <= y1 <= CHINA[3]


def _guess_crs(frame: gpd.GeoDataFrame) -> int | None:
    """Return the EPSG code coordinates without a system most likely are, or None."""
    x0, y0, x1, y1 = (float(v) for v in frame.total_bounds)
    if _in_china((x0, y0, x1, y1)):
        return 4490  # CGCS2000 geographic
    zone, same = int(x0 // 1_000_000), int(x0 // 1_000_000) == int(x1 // 1_000_000)
    if same and 25 <= zone <= 45 and 0 < y0 < y1 < 6_100_000:
        return 4513 + zone - 25  # CGCS2000 3-degree Gauss-Krüger zone <zone> (prefixed)
    if same and 13 <= zone <= 23 and 0 < y0 < y1 < 6_100_000:
        return 4491 + zone - 13  # CGCS2000 6-degree Gauss-Krüger zone <zone> (prefixed)
    return None


def _to_wgs84(path: Path, frame: gpd.GeoDataFrame, crs: CRS | None,
              lang: str) -> tuple[gpd.GeoDataFrame, str, list[tuple[str, dict[str, str]]]]:
    notes: list[tuple[str, dict[str, str]]] = []
    if crs is not None:
        if frame.crs is not None and not CRS(frame.crs).equals(crs):
            notes.append(("boundary.note.crs_replaced",
                          {"file_crs": crs_label(CRS(frame.crs)), "crs": crs_label(crs)}))
        frame = frame.set_crs(crs, allow_override=True)
    elif frame.crs is None:
        code = _guess_crs(frame)
        if code is None:
            x0, y0, x1, y1 = (f"{v:.6g}" for v in frame.total_bounds)
            raise BoundaryError(path.name, "no_crs", lang, bounds=f"{x0}, {y0} – {x1}, {y1}")
        frame = frame.set_crs(code)
        notes.append(("boundary.note.crs_assumed", {"crs": epsg_label(code)}))
    source = crs_label(CRS(frame.crs))
    out = frame.to_crs(4326)
    bounds = tuple(float(v) for v in out.total_bounds)
    if not _in_china(bounds):
        raise BoundaryError(path.name, "outside_china", lang, crs=source,
                            bounds=", ".join(f"{v:.4f}" for v in bounds))
    return out, source, notes


def read_boundary(path: str | Path, *, layer: str | None = None, crs: str | int | None = None,
                  lang: str = DEFAULT_LANG) -> BoundaryLayer:
    """Return the polygons of a boundary file in WGS 84, or raise :class:`BoundaryError`.

    ``layer`` picks a GeoPackage layer or a Shapefile of a zip holding several; ``crs``
    names the file's coordinate system where the file names none or a wrong one.
    Features without polygons are dropped and counted in a note.
    """
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise BoundaryError(path.name, "format", lang)
    if not path.is_file():
        raise BoundaryError(path.name, "missing", lang)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise BoundaryError(path.name, "too_large", lang, size=size, limit=MAX_FILE_BYTES)
    chosen = parse_crs(crs, path.name, lang) if crs not in (None, "") else None
    with warnings.catch_warnings(record=True) as caught:  # GDAL's warnings, told as a note
        warnings.simplefilter("always", RuntimeWarning)
        source, gdal_layer, guess = _source(path, layer, lang)
        frame = _read(path, source, gdal_layer, guess, lang)
    said = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    polygonal = frame.geometry.notna() & ~frame.geometry.is_empty & frame.geometry.geom_type.isin(
        ["Polygon", "MultiPolygon"])
    skipped = int((~polygonal).sum())
    frame = frame[polygonal.to_numpy()].reset_index(drop=True)
    if frame.empty:
        raise BoundaryError(path.name, "no_polygons", lang)
    frame, source_crs, notes = _to_wgs84(path, frame, chosen, lang)
    if skipped:
        notes.append(("boundary.note.skipped", {"count": str(skipped)}))
    if said:  # e.g. "Non closed ring detected": the geometry is repaired, the user told
        notes.append(("boundary.note.gdal", {"count": str(len(said)),
                                             "first": shown_value(said[0])}))
    return BoundaryLayer(path.name, gdal_layer or path.stem, frame, source_crs, tuple(notes))
