"""Figure builders tested as objects: trace types and data, titles, axis units, threshold lines.

Inputs are prepared the way the pages prepare them (the page models of dashboard.ui over the demo county's
evaluation), so a figure's numbers can be compared with the engine's.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from demo_data import DEMO_DATA, DEMO_GEO

from dashboard.i18n import t
from dashboard.method.engine import Evaluation, evaluate
from dashboard.method.standards import BASIC_IDS, INDICATORS, QUALITY_IDS
from dashboard.store.snapshots import list_snapshots, read_snapshot
from dashboard.ui import drilldown, figures, maps, mapview, overview, school, urban_rural
from dashboard.ui.evaluation import (
    composite_value,
    indicator_rows,
    indicator_summary,
    scheme_units,
    stack_evaluations,
    threshold,
)
from dashboard.ui.format import cv_decimals, fmt_cv
from dashboard.ui.geo import GeoFile, latitudes, map_aspect, read_geojson, townships

COUNTY = "990101"


@cache
def demo() -> tuple[Evaluation, Evaluation, int, GeoFile]:
    """(newest year's evaluation, all years stacked, that year, the townships GeoJSON)."""
    infos = list_snapshots(DEMO_DATA)
    evs = [evaluate(read_snapshot(i.path).schools) for i in infos]
    geo = read_geojson(DEMO_GEO / COUNTY / "townships.geojson")
    return evs[-1], stack_evaluations(evs), infos[-1].year, geo


@pytest.fixture(autouse=True)
def _data(demo_root: Path) -> None:
    """The demo data exists (conftest builds it when missing)."""


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("scheme,stage", [("basic", "primary"), ("quality", "junior")])
def test_cv_bars_hold_the_engine_cvs_and_the_threshold(scheme: str, stage: str, lang: str) -> None:
    ev, _, year, _ = demo()
    rows = indicator_rows(ev, COUNTY, year, stage, scheme, lang)
    composite = composite_value(ev, COUNTY, year, stage) if scheme == "basic" else None
    fig = figures.cv_bars(rows, scheme, stage, lang, composite, fmt_cv(composite))
    bars = [d for d in fig.data if d.type == "bar"]
    expected = ev.indicators.query(f"stage == '{stage}' and scheme == '{scheme}'")
    expected = expected.set_index("indicator").loc[list(rows["indicator"]), "cv"]
    assert list(bars[0].y) == pytest.approx(list(expected))
    assert len(bars[0].y) == len(BASIC_IDS if scheme == "basic" else QUALITY_IDS)
    limit = threshold(scheme, stage)
    assert [s.y0 for s in fig.layout.shapes] == [pytest.approx(limit)]
    assert fmt_cv(limit) in fig.layout.annotations[0].text
    assert fig.layout.yaxis.title.text == t("app.fig.cv_axis", lang)
    assert fig.layout.title.text == t("app.fig.cv_bars_title", lang, stage=t(f"stage.{stage}", lang),
                                      scheme=t(f"scheme.{scheme}", lang))
    lines = [d for d in fig.data if d.type == "scatter"]
    if scheme == "basic":  # the composite is a line at its value, named in the legend
        assert list(lines[0].y) == pytest.approx([composite, composite])
        assert fmt_cv(composite) in lines[0].name
    else:  # quality bars are coloured by their own verdict
        fail = figures.STATUS_COLORS["fail"]
        failing = expected.round(cv_decimals()) > limit
        assert [c == fail for c in bars[0].marker.color] == list(failing)
        assert lines == []


def test_trend_has_one_point_per_year_and_the_threshold() -> None:
    _, history, _, _ = demo()
    trend = overview.trend_table(history, COUNTY, "primary", "basic", "zh")
    fig = figures.trend_figure(trend, "basic", "primary", "zh", 0.65)
    composite = [d for d in fig.data if d.name == t("app.fig.composite", "zh")]
    assert list(composite[0].x) == sorted(history.composites["year"].unique())
    assert composite[0].line.width == 4
    assert fig.layout.shapes[0].y0 == pytest.approx(0.65)
    assert fig.layout.xaxis.title.text == t("app.fig.year_axis", "zh")


@pytest.mark.parametrize("indicator", ["B5", "Q5"])
def test_drill_values_are_sorted_with_mean_minimum_and_unit(indicator: str) -> None:
    ev, _, year, _ = demo()
    scheme = INDICATORS[indicator].scheme
    units = scheme_units(ev, scheme, COUNTY, year, "primary")
    summary = indicator_summary(ev, COUNTY, year, "primary", scheme, indicator, "en")
    drill = drilldown.drill_units(units, indicator, scheme, "en")
    fig = figures.drill_values(drill, indicator, "en", summary.mean, summary.minimum)
    assert list(fig.data[0].y) == pytest.approx(sorted(units[indicator]))
    ys = [s.y0 for s in fig.layout.shapes]
    assert ys[0] == pytest.approx(summary.mean)
    if scheme == "quality":
        assert ys[1] == pytest.approx(INDICATORS[indicator].minimum("primary"))
        below = units[indicator].sort_values() < INDICATORS[indicator].minimum("primary")
        fail = figures.STATUS_COLORS["fail"]
        assert [c == fail for c in fig.data[0].marker.color] == list(below)
    else:
        assert len(ys) == 1
    assert INDICATORS[indicator].unit("en") in fig.layout.yaxis.title.text
    assert INDICATORS[indicator].unit("en") in fig.layout.annotations[0].text


def test_contribution_bars_are_the_variance_shares() -> None:
    ev, _, year, _ = demo()
    units = scheme_units(ev, "quality", COUNTY, year, "junior")
    drill = drilldown.drill_units(units, "Q2", "quality", "zh")
    top = drilldown.top_contributors(drill)
    fig = figures.contribution_bars(top, "Q2", "zh")
    shares = units["share_Q2"].sort_values(ascending=False).head(len(top))
    assert list(fig.data[0].x) == pytest.approx(list(shares))
    assert fig.layout.xaxis.tickformat == ".0%"
    assert fig.layout.yaxis.autorange == "reversed"


def test_group_box_and_theil_split_by_urban_town_rural() -> None:
    ev, _, year, _ = demo()
    units = scheme_units(ev, "basic", COUNTY, year, "primary")
    box = figures.group_box(urban_rural.group_units(units, "B2", "zh"), "B2", "zh", 1.0)
    assert {d.type for d in box.data} == {"box"}
    assert sum(len(d.y) for d in box.data) == len(units)
    assert INDICATORS["B2"].unit("zh") in box.layout.yaxis.title.text
    theil = urban_rural.theil_frame(units, "basic", "zh")
    fig = figures.theil_bars(theil, "zh")
    assert [d.name for d in fig.data] == [t("app.fig.theil_between", "zh"),
                                          t("app.fig.theil_within", "zh")]
    total = pd.Series(fig.data[0].x) + pd.Series(fig.data[1].x)
    assert list(total) == pytest.approx(list(theil["theil"]))
    assert fig.layout.barmode == "stack"


def test_group_trend_has_a_line_per_group() -> None:
    _, history, _, _ = demo()
    trend = urban_rural.group_trend(history, "basic", COUNTY, "primary", "B1", "en")
    fig = figures.group_trend_figure(trend, "B1", "en")
    assert {d.name for d in fig.data} <= {t(f"urban_rural.{g}", "en") for g in ("urban", "town", "rural")}
    assert all(len(d.x) == trend["year"].nunique() for d in fig.data)
    assert "m²/pupil" in fig.layout.yaxis.title.text


def test_school_profile_and_history_are_percent_of_the_mean() -> None:
    ev, history, year, _ = demo()
    unit = ev.units["quality"].query("stage == 'primary'").iloc[0]
    sid = str(unit["school_id"])
    profile = school.school_profile(ev, "quality", sid, COUNTY, year, "primary", "zh")
    fig = figures.school_profile_bars(profile, "quality", "zh", str(unit["school_name"]))
    means = ev.indicators.query("stage == 'primary' and scheme == 'quality'").set_index("indicator")
    expected = [unit[i] / means.loc[i, "mean"] for i in QUALITY_IDS]
    assert list(fig.data[0].y) == pytest.approx(expected)
    assert fig.data[1].mode == "markers"  # the national minimum as a share of the mean
    assert fig.layout.shapes[0].y0 == 1.0 and fig.layout.yaxis.tickformat == ".0%"
    hist = school.school_history(history, "quality", sid, COUNTY, "primary", "zh")
    fig = figures.school_history_figure(hist, "zh", str(unit["school_name"]))
    assert len(fig.data) == len(QUALITY_IDS)
    assert str(unit["school_name"]) in fig.layout.title.text


@pytest.mark.parametrize("color_by,fill", [("urban_rural", "mean"), ("deviation", "gap")])
def test_township_map_is_offline_scatter_with_every_unit(color_by: str, fill: str) -> None:
    ev, _, year, geo = demo()
    units = scheme_units(ev, "quality", COUNTY, year, "primary")
    summary = indicator_summary(ev, COUNTY, year, "primary", "quality", "Q1", "zh")
    towns = townships(geo)
    paths, labels = towns.paths, towns.labels
    points = mapview.map_schools(units, "Q1", "quality", "zh", summary.mean)
    frame = mapview.township_frame(units, "Q1", fill, "zh", summary.mean, paths)
    fig = maps.township_map(paths, frame, labels, points, lang="zh", color_by=color_by,
                            title="t", township_title=t(f"app.map.colorbar.{fill}", "zh", unit="u"),
                            township_percent=fill == "gap", deviation_title="d",
                            aspect=map_aspect(latitudes(points, labels)))
    assert {d.type for d in fig.data} == {"scatter"}  # no geo/mapbox trace: nothing fetched
    polygons = [d for d in fig.data if d.fill == "toself"]
    assert geo.state == "ok" and towns.skipped == 0
    assert len(polygons) == len(geo.features)
    schools = [d for d in fig.data if d.customdata is not None and d.customdata[0][0] == maps.SCHOOL_TRACE
               and d.name != t("app.map.failing_ring", "zh")]
    assert sum(len(d.x) for d in schools) == len(units)
    rings = [d for d in fig.data if d.name == t("app.map.failing_ring", "zh")]
    assert sum(len(d.x) for d in rings) == int((~units["school_pass"]).sum())
    bars = [d.marker.colorbar.title.text for d in fig.data
            if d.marker is not None and d.marker.showscale]
    assert t(f"app.map.colorbar.{fill}", "zh", unit="u") in bars
    assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.xaxis.visible is False


def test_school_locator_marks_one_school() -> None:
    _, _, _, geo = demo()
    fig = maps.school_locator(townships(geo).paths, 113.0, 28.0, "城南小学", "zh")
    star = fig.data[-1]
    assert (star.x, star.y, star.marker.symbol) == ((113.0,), (28.0,), "star")
    assert {d.type for d in fig.data} == {"scatter"}


def test_hline_places_its_label() -> None:
    shape, note = figures.hline(0.5, "x", "#000", position="bottom right")
    assert (shape["y0"], shape["y1"], shape["xref"]) == (0.5, 0.5, "x domain")
    assert (note["x"], note["xanchor"], note["yanchor"]) == (1, "right", "top")
    _, note = figures.hline(0.5, "x", "#000", position="top left")
    assert (note["x"], note["xanchor"], note["yanchor"]) == (0, "left", "bottom")


# ---- layout (issue 9 point 6): nothing collides, the scales stay readable


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_composite_line_never_runs_through_a_bar_value(lang: str) -> None:
    ev, _, year, _ = demo()
    for stage in ("primary", "junior"):
        rows = indicator_rows(ev, COUNTY, year, stage, "basic", lang)
        composite = composite_value(ev, COUNTY, year, stage)
        fig = figures.cv_bars(rows, "basic", stage, lang, composite, fmt_cv(composite))
        bar = fig.data[0]
        # the values sit inside the bars at their base, the composite line crosses far higher
        assert (bar.textposition, bar.insidetextanchor, bar.textangle) == ("inside", "start", 0)
        top = fig.layout.yaxis.range[1]
        line = next(d for d in fig.data if d.type == "scatter")
        assert line.mode == "lines" and line.text is None
        assert min(line.y) > 0.15 * top  # a value's text spans some 8 % of the axis from 0
        assert [a.text for a in fig.layout.annotations if a.y == composite] == []


def test_english_category_ticks_are_angled_and_chinese_ones_wrapped() -> None:
    ev, _, year, _ = demo()
    en = figures.cv_bars(indicator_rows(ev, COUNTY, year, "primary", "quality", "en"),
                         "quality", "primary", "en")
    zh = figures.cv_bars(indicator_rows(ev, COUNTY, year, "primary", "quality", "zh"),
                         "quality", "primary", "zh")
    assert en.layout.xaxis.tickangle == -35 and not any("<br>" in str(x) for x in en.data[0].x)
    assert zh.layout.xaxis.tickangle == 0


def _deviation_map(scheme: str = "quality") -> tuple[go.Figure, pd.DataFrame, pd.DataFrame]:
    ev, _, year, geo = demo()
    units = scheme_units(ev, scheme, COUNTY, year, "primary")
    summary = indicator_summary(ev, COUNTY, year, "primary", scheme, "Q1", "zh")
    towns = townships(geo)
    points = mapview.map_schools(units, "Q1", scheme, "zh", summary.mean)
    frame = mapview.township_frame(units, "Q1", "gap", "zh", summary.mean, towns.paths)
    fig = maps.township_map(towns.paths, frame, towns.labels, points, lang="zh",
                            color_by="deviation", title="t", township_title="gap",
                            township_percent=True, deviation_title="d",
                            aspect=map_aspect(latitudes(points, towns.labels)))
    return fig, points, frame


def test_the_school_deviation_scale_is_bounded_and_symmetric() -> None:
    fig, points, _ = _deviation_map()
    dots = next(d for d in fig.data if d.name == "d")
    bound = maps.deviation_bound(points["deviation"])
    assert maps.DEVIATION_FLOOR <= bound <= maps.DEVIATION_CAP
    assert (dots.marker.cmin, dots.marker.cmax) == (-bound, bound)
    assert max(abs(v) for v in dots.marker.color) <= bound
    wild = pd.Series([-2.0, 0.1, -0.1, 0.2] * 10 + [-2.0])
    assert maps.deviation_bound(wild) == maps.DEVIATION_CAP  # never the −200 % of an outlier
    for lang in ("zh", "en"):  # the colour bar's title says where the scale stops
        assert "±50%" in t("layout.map.deviation_clamped", lang, title="d", bound="50%")


@pytest.mark.parametrize("color_by", ["urban_rural", "deviation"])
def test_school_dots_use_a_palette_of_their_own(color_by: str) -> None:
    ev, _, year, geo = demo()
    units = scheme_units(ev, "basic", COUNTY, year, "primary")
    summary = indicator_summary(ev, COUNTY, year, "primary", "basic", "B1", "zh")
    towns = townships(geo)
    points = mapview.map_schools(units, "B1", "basic", "zh", summary.mean)
    for fill in mapview.MAP_FILLS:
        frame = mapview.township_frame(units, "B1", fill, "zh", summary.mean, towns.paths)
        fig = maps.township_map(towns.paths, frame, towns.labels, points, lang="zh",
                                color_by=color_by, title="t", township_title="f",
                                township_percent=fill == "gap", deviation_title="d",
                                aspect=map_aspect(latitudes(points, towns.labels)))
        fills = {d.fillcolor for d in fig.data if d.fill == "toself"}
        dots = [d for d in fig.data if d.customdata is not None
                and d.customdata[0][0] == maps.SCHOOL_TRACE and d.name != t("app.map.failing_ring", "zh")]
        assert dots
        for d in dots:
            assert d.marker.line.color == maps.SCHOOL_OUTLINE["color"]  # a dark outline
            if color_by == "urban_rural":
                assert d.marker.color in maps.SCHOOL_GROUP_COLORS.values()
                assert d.marker.color not in fills
            else:  # a colour scale unlike the townships' (YlGnBu means, RdBu gaps)
                scale = [c for _, c in d.marker.colorscale]
                assert not set(scale) & set(c for _, c in mapview.fill_scale(mapview.SEQUENTIAL_SCALE))
                assert not set(scale) & set(c for _, c in mapview.fill_scale(mapview.DIVERGING_SCALE))
                assert not set(scale) & fills


def test_close_schools_are_spread_with_a_leader_line_to_their_true_place() -> None:
    fig, points, _ = _deviation_map()
    dots = next(d for d in fig.data if d.name == "d")
    xy = np.column_stack([np.asarray(dots.x, float), np.asarray(dots.y, float)])
    aspect = fig.layout.yaxis.scaleratio
    drawn = np.column_stack([xy[:, 0], xy[:, 1] * aspect])
    lon = np.asarray(points["lon"], float)
    span = float(np.ptp(lon))
    gaps = np.hypot(*(drawn[:, None, :] - drawn[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(gaps, np.inf)
    assert gaps.min() > 0.3 * maps.SPREAD * span  # no two dots on top of each other
    moved = int(((xy[:, 0] != lon) | (xy[:, 1] != np.asarray(points["lat"], float))).sum())
    assert moved > 0
    leaders = [d for d in fig.data if d.name == t("layout.map.true_place", "zh") and d.mode == "lines"]
    assert len(leaders) == 1 and sum(v is None for v in leaders[0].x) == moved


def test_the_flow_map_draws_one_arrow_head_per_move() -> None:
    lines = pd.DataFrame({
        "kind": ["transfer", "transfer", "move_pupils"], "stage": ["primary", "junior", "primary"],
        "lon0": [113.0, 113.1, 113.2], "lat0": [28.0, 28.1, 28.2],
        "lon1": [113.3, 113.0, 113.1], "lat1": [28.3, 28.2, 28.0], "count": [2, 1, 10],
        "hover": ["a", "b", "c"], "from_name": ["A", "B", "C"], "to_name": ["D", "A", "B"]})
    schools = pd.DataFrame({"longitude": [113.0], "latitude": [28.0], "school_name": ["A"]})
    fig = maps.flow_map({}, pd.DataFrame(columns=["lon", "lat", "township"]), lines, schools,
                        "en", 1.1)
    heads = [a for a in fig.layout.annotations if a.showarrow]
    assert len(heads) == len(lines)
    for a, r in zip(heads, lines.itertuples(), strict=True):
        assert (a.x, a.y, a.axref, a.ayref) == (r.lon1, r.lat1, "x", "y")
        assert a.arrowhead > 0 and (a.ax - r.lon0) * (r.lon1 - r.lon0) >= 0


def _hidden_names(fig: go.Figure, unit: float) -> list[str]:
    """Return the township names whose text box (13-px bold: a CJK character one em wide)
    touches a school marker or a failing ring, every marker's rim sampled at 32 points: an
    overlap check of its own, not place_labels' geometry."""
    aspect = fig.layout.yaxis.scaleratio
    names = next(d for d in fig.data if d.mode == "text")
    markers = [d for d in fig.data if d.mode == "markers" and d.marker.size is not None
               and not np.isscalar(d.marker.size)]
    theta = np.linspace(0, 2 * np.pi, 32, endpoint=False)
    hidden = []
    for text, x, y in zip(names.text, names.x, names.y, strict=True):
        hw, hh = len(text) * 13 / 2 * unit, 6.5 * unit
        for d in markers:
            for mx, my, size in zip(d.x, d.y, d.marker.size, strict=True):
                r = size / 2 * unit
                rim_x = mx + r * np.cos(theta)
                rim_y = my * aspect + r * np.sin(theta)
                centre_in = abs(mx - x) <= hw and abs(my * aspect - y * aspect) <= hh
                if centre_in or ((abs(rim_x - x) <= hw) & (abs(rim_y - y * aspect) <= hh)).any():
                    hidden.append(text)
    return sorted(set(hidden))


@pytest.mark.parametrize("scheme,stage", [("basic", "primary"), ("quality", "junior")])
def test_no_township_name_lies_under_a_school(scheme: str, stage: str) -> None:
    """On the demo six of twelve names lay under a marker (the township's label point knows
    nothing of its schools); each is now moved, inside its own township, to where no marker
    touches it, and a name already clear stays where it was."""
    from shapely import contains_xy
    from shapely.geometry import Polygon

    from dashboard.ui.map_labels import PLOT_PX

    ev, _, year, geo = demo()
    towns = townships(geo)
    view = mapview.map_view(ev, COUNTY, year, "zh", scheme, stage, "B1" if scheme == "basic" else "Q1",
                            "mean", "urban_rural", False, towns)
    fig = view.figure
    aspect = fig.layout.yaxis.scaleratio
    xs = [v for xx, _ in towns.paths.values() for v in xx if v is not None]
    ys = [v * aspect for _, yy in towns.paths.values() for v in yy if v is not None]
    unit = max(max(xs) - min(xs), max(ys) - min(ys)) / PLOT_PX
    assert _hidden_names(fig, unit) == []
    names = next(d for d in fig.data if d.mode == "text")
    before = towns.labels.set_index("township")
    moved = 0
    for text, x, y in zip(names.text, names.x, names.y, strict=True):
        lons, lats = towns.paths[text]
        ring = [(a, b) for a, b in zip(lons, lats, strict=True) if a is not None]
        assert contains_xy(Polygon(ring), x, y), text  # inside its own township
        moved += (x, y) != (before.loc[text, "lon"], before.loc[text, "lat"])
    assert 0 < moved < len(names.text)  # the clear ones stayed
    # without the placement the same check finds names under markers
    unplaced = go.Figure(fig)
    unplaced.data[-1].update(x=towns.labels["lon"], y=towns.labels["lat"], text=towns.labels["township"])
    assert _hidden_names(unplaced, unit)
