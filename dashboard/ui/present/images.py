"""The gap map of the deck: the map page's figure (townships filled by their gap to the county
mean, schools coloured by their deviation, legends and colour bars with units) for the focus
stage × scheme and its deciding indicator, drawn to PNG offline (pdf.figure_png).
No Streamlit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import plotly.graph_objects as go

from dashboard.i18n import t
from dashboard.ui import maps, mapview
from dashboard.ui.evaluation import indicator_summary
from dashboard.ui.format import fmt_pct, indicator_label, unit_of
from dashboard.ui.geo import latitudes, map_aspect, read_geojson, townships
from dashboard.ui.present.model import Material
from dashboard.ui.present.pdf import figure_png
from dashboard.ui.present.story import deciding_indicator

__all__ = ["gap_map_figure", "gap_map_png", "MAP_WIDTH", "MAP_HEIGHT"]

MAP_WIDTH: Final = 1200  # px at scale 1 (the PNG is drawn at twice this)
MAP_HEIGHT: Final = 640
FILL: Final = "gap"  # townships by their gap to the county mean
COLOR_BY: Final = "deviation"  # schools by their deviation (standard or county mean)


def gap_map_figure(m: Material, geo_root: str | Path) -> go.Figure | None:
    """Return the gap map of ``m``'s focus (None when the focus stage has no unit)."""
    scheme, stage = m.focus
    lang = m.lang
    indicator = deciding_indicator(m)
    summary = indicator_summary(m.evaluation, m.county_code, m.year, stage, scheme, indicator, lang)
    units = m.units(scheme, stage)
    if summary is None or units.empty:
        return None
    points = mapview.map_schools(units, indicator, scheme, lang, summary.mean)
    towns = townships(read_geojson(Path(geo_root) / m.county_code / "townships.geojson"))
    frame = (mapview.township_frame(units, indicator, FILL, lang, summary.mean, towns.paths)
             if towns.paths else None)
    bound = maps.deviation_bound(points["deviation"])
    fig = maps.township_map(
        towns.paths, frame, towns.labels, points, lang=lang, color_by=COLOR_BY,
        title=t("app.map.title", lang, name=indicator_label(indicator, lang, short=False),
                stage=t(f"stage.{stage}", lang), mean=summary.mean_text, cv=summary.cv_text),
        township_title=t(f"app.map.colorbar.{FILL}", lang, unit=unit_of(indicator, lang)),
        township_percent=True,
        deviation_title=t("layout.map.deviation_clamped", lang,
                          title=t(f"app.map.deviation_title.{scheme}", lang),
                          bound=fmt_pct(bound, 0)),
        aspect=map_aspect(latitudes(points, towns.labels)), deviation_limit=bound)
    fig.update_layout(width=MAP_WIDTH, height=MAP_HEIGHT)
    return fig


def gap_map_png(m: Material, geo_root: str | Path) -> bytes | None:
    """Return the gap map of ``m`` as PNG bytes (None when there is nothing to draw; raises
    pdf.RenderError when there is no browser to draw with)."""
    fig = gap_map_figure(m, geo_root)
    return None if fig is None else figure_png(fig, MAP_WIDTH, MAP_HEIGHT)
