"""The 数据管理 page's boundary section: an uploaded township file (and county outline) checked
against a snapshot's schools, previewed on a map with the schools outside the county marked,
its unpaired township names offered for pairing, then stored where the map page reads it.

Uploads are written to a private temporary folder under their own names (errors name the
user's file) and removed after checking; nothing reaches ``geo/`` until the user asks.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from dashboard.i18n import t
from dashboard.store.boundaries import StagedBoundaries, stage_boundaries
from dashboard.store.boundary_files import COMMON_CRS, BoundaryError, epsg_label
from dashboard.ui.data_page import Upload, write_uploads
from dashboard.ui.figures import figure
from dashboard.ui.format import html_text, html_texts
from dashboard.ui.geo import map_aspect, parse_geojson, townships
from dashboard.ui.maps import map_layout, township_outlines

__all__ = ["BoundaryResult", "stage_boundary_uploads", "crs_choices",
           "preview_figure", "placement_table", "BOUNDARY_TYPES"]

BOUNDARY_TYPES = ["geojson", "json", "zip", "gpkg"]
PLACE_COLORS = {"inside": "#1565c0", "outside": "#c62828", "elsewhere": "#ef6c00"}


@dataclass(frozen=True, eq=False)
class BoundaryResult:
    """The checked boundaries, or the message saying why the file cannot be used."""

    staged: StagedBoundaries | None
    message: str = ""


def stage_boundary_uploads(schools: pd.DataFrame, county_code: str, uploads: Sequence[Upload], *,
                           crs: int | None, name_column: str | None, pairing: Mapping[str, str],
                           lang: str) -> BoundaryResult:
    """Check the uploaded boundary files (roles ``townships``, and ``outline`` if given)
    against the county's schools."""
    with tempfile.TemporaryDirectory(prefix="junheng-boundary-") as tmp:
        paths = write_uploads(tmp, uploads)
        try:
            staged = stage_boundaries(paths["townships"], schools, county_code=county_code,
                                      outline_path=paths.get("outline"), name_column=name_column,
                                      crs=crs, pairing=pairing, lang=lang)
        except BoundaryError as exc:
            return BoundaryResult(None, str(exc))
    return BoundaryResult(staged)


def crs_choices() -> list[int | None]:
    """Return the coordinate systems a user may name (None: as the file says)."""
    return [None, *COMMON_CRS]


def crs_text(code: int | None, lang: str) -> str:
    """Return a choice of :func:`crs_choices` in words."""
    return t("boundary.page.crs_file", lang) if code is None else epsg_label(code)


def _schools_trace(frame: pd.DataFrame, name: str, color: str, size: int) -> dict:
    return {"type": "scatter", "x": frame["longitude"], "y": frame["latitude"], "mode": "markers",
            "name": html_text(name), "hoverinfo": "text",
            "hovertext": html_texts(frame["school_name"].astype(str)),
            "marker": {"size": size, "color": color, "line": {"width": 1, "color": "#263238"}}}


def preview_figure(staged: StagedBoundaries, schools: pd.DataFrame, lang: str) -> go.Figure:
    """Return the staged townships and outline with the county's schools: inside in blue,
    outside the county in red, in another township's polygon in orange."""
    towns = townships(parse_geojson(json.loads(staged.townships.to_json()), "preview"))
    outline = townships(parse_geojson(json.loads(
        staged.outline.assign(township="")[["township", "geometry"]].to_json()), "outline"))
    data = township_outlines(towns.paths, None)
    for lons, lats in outline.paths.values():
        data.append({"type": "scatter", "x": lons, "y": lats, "mode": "lines",
                     "line": {"color": "#263238", "width": 2.4}, "hoverinfo": "skip",
                     "name": t("boundary.page.outline", lang)})
    county = schools[(schools["county_code"].astype(str) == staged.county_code).to_numpy()]
    located = county.dropna(subset=["longitude", "latitude"])
    flagged = {k: set(f["school_id"]) for k, f in (("outside", staged.outside),
                                                  ("elsewhere", staged.elsewhere))}
    place = located["school_id"].map(lambda s: next((k for k, ids in flagged.items() if s in ids),
                                                    "inside"))
    for key, size in (("inside", 7), ("elsewhere", 11), ("outside", 11)):
        part = located[(place == key).to_numpy()]
        if len(part):
            data.append(_schools_trace(part, t(f"boundary.page.place.{key}", lang),
                                       PLACE_COLORS[key], size))
    if len(towns.labels):
        data.append({"type": "scatter", "x": towns.labels["lon"], "y": towns.labels["lat"],
                     "mode": "text", "text": html_texts(towns.labels["township"]),
                     "hoverinfo": "skip", "showlegend": False})
    aspect = map_aspect(located["latitude"].astype(float).tolist()
                        or [float(staged.outline.total_bounds[1])])
    return figure(data, map_layout(t("boundary.page.preview_title", lang), 560, aspect,
                                   legend={"orientation": "h", "y": -0.01, "yanchor": "top"},
                                   margin={"l": 10, "r": 10, "t": 50, "b": 40}))


def placement_table(staged: StagedBoundaries, lang: str) -> pd.DataFrame:
    """Return the schools outside the county or in another township, one row each."""
    rows = [(t(f"boundary.page.place.{key}", lang), r.school_name, r.township, r.found)
            for key, frame in (("outside", staged.outside), ("elsewhere", staged.elsewhere))
            for r in frame.itertuples(index=False)]
    columns = [t(f"boundary.page.col.{c}", lang) for c in ("place", "school", "township", "found")]
    return pd.DataFrame(rows, columns=columns)
