"""AppTest of every page, driven by widget keys: no exception, and the key figures shown are
the engine's own output for the same inputs (read and evaluated here without the app)."""

from __future__ import annotations

import base64
import json
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from demo_data import DEMO_DATA, DEMO_GEO
from streamlit.testing.v1 import AppTest

from dashboard.i18n import t
from dashboard.method.compliance import county_checklist
from dashboard.method.engine import Evaluation, evaluate
from dashboard.method.gaps import group_table
from dashboard.method.standards import INDICATORS, QUALITY_IDS, STAGES, scheme_ids
from dashboard.method.verdict import evaluation_verdicts
from dashboard.store.snapshots import Snapshot, list_snapshots, read_snapshot
from dashboard.ui.checklist import STATUS_BACKGROUND
from dashboard.ui.format import display_unit, fmt_value, md_text

REPO = Path(__file__).resolve().parent.parent
TIMEOUT = 120
PAGES = {
    "overview": "app.page.overview",
    "map": "app.page.map",
    "urban_rural": "app.page.urban_rural",
    "drilldown": "app.page.drilldown",
    "school": "app.page.school",
    "checklist": "app.page.checklist",
}


@cache
def reference() -> tuple[Snapshot, Evaluation]:
    """The newest demo snapshot and its evaluation, computed without Streamlit."""
    info = list_snapshots(DEMO_DATA)[-1]
    snapshot = read_snapshot(info.path)
    return snapshot, evaluate(snapshot.schools)


def open_page(page: str, **params: str) -> AppTest:
    """Run app/main.py (sidebar + navigation) with ``params`` in the URL, then switch to ``page``.

    The overview is the default page.  (AppTest drops the entrypoint's sidebar from its element
    tree after ``switch_page``; sidebar choices of other pages are set through the URL, as a
    shared link does.)
    """
    at = AppTest.from_file(str(REPO / "app" / "main.py"), default_timeout=TIMEOUT)
    at.query_params.update(params)
    at.run()
    assert not at.exception, at.exception
    if page != "overview":
        at.switch_page(str(REPO / "pages" / f"{page}.py"))
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _decoded(node: Any) -> Any:
    """Return a plotly JSON tree with typed arrays ({"dtype", "bdata"}) as plain lists."""
    if isinstance(node, dict):
        if "bdata" in node and "dtype" in node:
            array = np.frombuffer(base64.b64decode(node["bdata"]), dtype=node["dtype"])
            if "shape" in node:
                shape = [int(n) for n in str(node["shape"]).split(",")]
                array = array.reshape(shape)
            return array.tolist()
        return {k: _decoded(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_decoded(v) for v in node]
    return node


def plotly_specs(at: AppTest) -> dict[str, dict]:
    """Return the plotly figures of the page by widget key (the end of the element id)."""
    out = {}
    for element in at.get("plotly_chart"):
        key = element.proto.id.rsplit("-", 1)[-1]
        out[key] = _decoded(json.loads(element.proto.spec))
    return out


def table_with(at: AppTest, column: str) -> pd.DataFrame:
    """Return the first table shown whose columns include ``column``.

    (A read-only ``st.dataframe`` carries no widget key in AppTest's tree: tables are found by
    a column that only they have.)
    """
    for element in at.dataframe:
        frame = element.value
        if column in frame.columns:
            return frame
    raise AssertionError(f"no table with column {column!r}: "
                         f"{[list(e.value.columns) for e in at.dataframe]}")


def metric_values(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.fixture(autouse=True)
def _demo(demo_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUNHENG_DATA", str(DEMO_DATA))
    monkeypatch.setenv("JUNHENG_GEO", str(DEMO_GEO))


# ----------------------------------------------------------------------------- every page


@pytest.mark.parametrize("page", list(PAGES))
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_page_renders_with_its_title(page: str, lang: str) -> None:
    at = open_page(page, lang=lang)
    assert [x.value for x in at.title] == [t(PAGES[page], lang)]
    assert not at.error


def test_sidebar_writes_every_choice_to_the_url() -> None:
    snapshot, _ = reference()
    at = open_page("overview")
    assert at.sidebar.radio(key="sidebar_lang").value == "zh"
    assert dict(at.query_params) == {"lang": "zh", "snapshot": snapshot.id,
                                     "county": "990101", "scheme": "basic", "stage": "primary"}
    # AppTest reruns only the current page after its first run (the entrypoint's sidebar
    # leaves its tree), so each sidebar choice is made on a freshly opened app.
    for param, value in (("scheme", "quality"), ("stage", "junior"), ("lang", "en")):
        at = open_page("overview")
        at.sidebar.radio(key=f"sidebar_{param}").set_value(value).run()
        assert not at.exception
        assert at.query_params[param] == value
        assert at.title[0].value == t("app.page.overview", value if param == "lang" else "zh")


def test_a_copied_url_reopens_the_view() -> None:
    snapshot, ev = reference()
    url = {"lang": "en", "snapshot": snapshot.id, "scheme": "quality", "stage": "junior",
           "ind": "Q5"}
    first = open_page("overview", **url)
    assert first.sidebar.radio(key="sidebar_scheme").value == "quality"
    assert first.sidebar.radio(key="sidebar_stage").value == "junior"
    assert first.sidebar.radio(key="sidebar_lang").value == "en"
    at = open_page("drilldown", **url)
    assert at.selectbox(key="drill_indicator").value == "Q5"
    assert at.title[0].value == "Drill-down"
    row = ev.indicators.query("stage == 'junior' and scheme == 'quality' and indicator == 'Q5'")
    assert metric_values(at)["CV"] == f"{row['cv'].iloc[0]:.3f}"
    assert {k: at.query_params[k] for k in url} == url


def test_an_older_snapshot_shows_its_own_year() -> None:
    infos = list_snapshots(DEMO_DATA)
    if len(infos) < 2:
        pytest.skip("the demo has a single snapshot")
    old = infos[0]
    ev = evaluate(read_snapshot(old.path).schools)
    at = open_page("overview", snapshot=old.id)
    composite = ev.composites.query("stage == 'primary'")["composite_cv"].iloc[0]
    assert metric_values(at)[t("app.overview.card_basic", "zh", stage="小学")] == f"{composite:.3f}"
    assert str(old.year) in at.caption[0].value


# ----------------------------------------------------------------------------- overview


def test_overview_cards_are_the_engine_verdicts() -> None:
    snapshot, ev = reference()
    at = open_page("overview")
    shown = metric_values(at)
    for r in ev.verdicts.itertuples(index=False):
        key = "app.overview.card_basic" if r.scheme == "basic" else "app.overview.card_quality"
        label = t(key, "zh", stage=t(f"stage.{r.stage}", "zh"))
        assert shown[label] == f"{r.value:.3f}", label
    basic_primary = ev.composites.query("stage == 'primary'")["composite_cv"].iloc[0]
    assert shown["小学 · 基本均衡"] == f"{basic_primary:.3f}"
    # the status is the county's verdict (CV test, school rule, county items), not the CV alone
    verdicts = evaluation_verdicts(ev, "990101", int(snapshot.meta["year"]), county=snapshot.county)
    cards = {m.label: m for m in at.metric}
    captions = [c.value for c in at.caption]
    for stage in STAGES:
        for scheme in ("basic", "quality"):
            m = cards[t(f"app.overview.card_{scheme}", "zh", stage=t(f"stage.{stage}", "zh"))]
            v = verdicts[(scheme, stage)]
            assert m.proto.delta == t(f"status.{v.status}", "zh"), m.label
            assert v.text in captions, m.label  # under the card, in full


def test_overview_basic_primary_fails_on_the_school_rule() -> None:
    """Issue 9: the composite 0.364 passes, yet two school units fail the provincial standard,
    so 小学 · 基本均衡 is 未达标 on the card as in the checklist."""
    _, ev = reference()
    assert bool(ev.composites.query("stage == 'primary'")["passed"].iloc[0])
    at = open_page("overview")
    card = next(m for m in at.metric if m.label == "小学 · 基本均衡")
    assert card.proto.delta == "未达标"
    detail = at.caption[1].value  # the first card's caption, after the page's own caption
    assert t("verdict.part.school_rule", "zh") in detail and "未满足" in detail
    at = open_page("checklist")
    assert any(m.value == "未达标" for m in at.metric if m.label == t("scheme.basic", "zh"))


def test_overview_quality_bars_hold_the_seven_cvs_and_the_threshold() -> None:
    _, ev = reference()
    at = open_page("overview", scheme="quality")
    specs = plotly_specs(at)
    for stage in STAGES:
        fig = specs[f"overview_cv_{stage}"]
        bars = [d for d in fig["data"] if d["type"] == "bar"]
        assert len(bars) == 1
        rows = ev.indicators.query(f"stage == '{stage}' and scheme == 'quality'")
        expected = rows.set_index("indicator").loc[list(QUALITY_IDS), "cv"].to_list()
        assert bars[0]["y"] == pytest.approx(expected)
        threshold = rows["threshold"].iloc[0]
        assert [s["y0"] for s in fig["layout"]["shapes"]] == [pytest.approx(threshold)]


def test_overview_school_rule_counts_and_reasons() -> None:
    _, ev = reference()
    at = open_page("overview", scheme="quality", stage="junior")
    rules = ev.school_rules.query("scheme == 'quality'")
    shown = metric_values(at)
    for stage in STAGES:
        r = rules[rules["stage"] == stage]
        label = t("app.overview.rule_label", "zh", stage=t(f"stage.{stage}", "zh"))
        assert shown[label] == f"{int((~r['school_pass']).sum())} / {len(r)}"
    reasons = [m.value for m in at.markdown if m.value.startswith(("1. ", "2. ", "3. "))]
    assert len(reasons) == 3
    worst = ev.indicators.query("stage == 'junior' and scheme == 'quality'")
    worst = worst.assign(excess=worst["cv"] - worst["threshold"]).sort_values("excess").iloc[-1]
    assert INDICATORS[worst["indicator"]].name("zh") in reasons[0]
    assert f"{worst['cv']:.3f}" in reasons[0]


def test_overview_trend_has_one_point_per_year() -> None:
    at = open_page("overview")
    fig = plotly_specs(at)["overview_trend"]
    years = sorted({s.year for s in list_snapshots(DEMO_DATA)})
    composite = [d for d in fig["data"] if d["name"] == t("app.fig.composite", "zh")]
    assert composite and composite[0]["x"] == years
    assert fig["layout"]["shapes"][0]["y0"] == pytest.approx(0.65)


# ----------------------------------------------------------------------------- map


def test_map_draws_every_unit_as_a_point_and_filters_failing() -> None:
    _, ev = reference()
    at = open_page("map", scheme="quality", stage="primary")
    units = ev.units["quality"].query("stage == 'primary'")
    fig = plotly_specs(at)["map_chart"]
    assert {d["type"] for d in fig["data"]} == {"scatter"}
    schools = [d for d in fig["data"] if d.get("customdata") and d["customdata"][0][0] == "school"
               and d["name"] != t("app.map.failing_ring", "zh")]
    assert sum(len(d["x"]) for d in schools) == len(units)
    at.toggle(key="map_failing").set_value(True).run()
    fig = plotly_specs(at)["map_chart"]
    schools = [d for d in fig["data"] if d.get("customdata") and d["customdata"][0][0] == "school"
               and d["name"] != t("app.map.failing_ring", "zh")]
    assert sum(len(d["x"]) for d in schools) == int((~units["school_pass"]).sum())
    assert at.query_params["failing"] == "1"


def test_map_controls_change_the_colouring() -> None:
    at = open_page("map")
    at.radio(key="map_fill").set_value("gap").run()
    at.radio(key="map_color").set_value("deviation").run()
    at.selectbox(key="map_indicator").set_value("B5").run()
    assert not at.exception
    fig = plotly_specs(at)["map_chart"]
    bars = [d["marker"]["colorbar"]["title"]["text"] for d in fig["data"]
            if isinstance(d.get("marker"), dict) and "colorbar" in d["marker"]]
    assert t("app.map.colorbar.gap", "zh") in bars
    # the school colour bar is clamped and its title says so
    assert any(b.startswith(t("app.map.deviation_title.basic", "zh")) and "±" in b for b in bars)
    assert {"fill": "gap", "color": "deviation", "ind": "B5"}.items() <= dict(at.query_params).items()


# ----------------------------------------------------------------------------- urban-rural


def test_urban_rural_table_is_the_gaps_module() -> None:
    _, ev = reference()
    at = open_page("urban_rural", scheme="quality")
    table = at.dataframe[0].value
    assert len(table) == len(QUALITY_IDS)
    units = ev.units["quality"].query("stage == 'primary'")
    expected = group_table(units, list(QUALITY_IDS)).query("group == 'rural'")
    column = t("app.ur.col.mean", "zh", group=t("urban_rural.rural", "zh"))
    for k, ind in enumerate(QUALITY_IDS):
        mean = expected.set_index("indicator").loc[ind, "mean"]
        assert table[column].iloc[k] == fmt_value(mean, ind, "zh", unit=False)
    at.selectbox(key="ur_indicator").set_value("Q2").run()
    specs = plotly_specs(at)
    assert {d["type"] for d in specs["ur_box"]["data"]} == {"box"}
    assert "人/百生" in specs["ur_box"]["layout"]["yaxis"]["title"]["text"] or \
        INDICATORS["Q2"].unit("zh") in specs["ur_box"]["layout"]["yaxis"]["title"]["text"]


# ----------------------------------------------------------------------------- drill-down


@pytest.mark.parametrize("scheme,indicator", [("basic", "B2"), ("quality", "Q5")])
def test_drilldown_figures_are_the_engine_output(scheme: str, indicator: str) -> None:
    _, ev = reference()
    at = open_page("drilldown", scheme=scheme, stage="junior")
    at.selectbox(key="drill_indicator").set_value(indicator).run()
    row = ev.indicators.query(
        f"stage == 'junior' and scheme == '{scheme}' and indicator == '{indicator}'").iloc[0]
    shown = metric_values(at)
    assert shown["差异系数"] == f"{row['cv']:.3f}"
    # the unit in the label (journey audit: "10.94 m²/p…" was cut in English)
    mean_label = t("journey.drill.mean", "zh", unit=display_unit(indicator, "zh"))
    assert shown[mean_label] == fmt_value(row["mean"], indicator, "zh", unit=False)
    # a basic indicator has no threshold of its own: its badge is the composite's, and says so
    delta = next(m.proto.delta for m in at.metric if m.label == "差异系数")
    assert delta.startswith("综合差异系数") if scheme == "basic" else delta in ("达标", "未达标", "临界")
    units = ev.units[scheme].query("stage == 'junior'")
    fig = plotly_specs(at)["drill_values"]
    assert fig["data"][0]["y"] == pytest.approx(sorted(units[indicator]))
    contribution = table_with(at, t("app.drill.col.cvifmean", "zh"))
    top = units.sort_values(f"share_{indicator}", ascending=False).iloc[0]
    assert contribution.iloc[0, 0] == top["school_name"]
    assert contribution.iloc[0, -1] == f"{top[f'cvifmean_{indicator}']:.3f}"


def test_drilldown_failing_schools_download() -> None:
    _, ev = reference()
    at = open_page("drilldown", scheme="quality", stage="primary")
    failing = ev.units["quality"].query("stage == 'primary' and not school_pass")
    if failing.empty:
        pytest.skip("no failing unit in the demo")
    table = table_with(at, t("app.drill.col.school_id", "zh"))
    assert len(table) == len(failing)
    assert t("app.drill.col.school", "zh") in table.columns
    assert set(table[t("app.drill.col.school_id", "zh")]) == set(failing["school_id"].astype(str))
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == [t("app.drill.download_csv", "zh"), t("app.drill.download_xlsx", "zh")]
    # on screen its numbers read as the table above reads them ("2990", "3.9" were shown)
    shown = next(d for d in at.dataframe if d.proto.id.endswith("drill_failing") or
                 t("app.drill.col.meets", "zh", n=7) in d.value.columns)
    formats = {c: v.get("type_config", {}).get("format") for c, v in json.loads(shown.proto.columns).items()}
    assert formats[t("app.drill.col.students", "zh")] == "localized"
    assert any(f is not None and f.startswith("%.") for f in formats.values())


# ----------------------------------------------------------------------------- school profile


def test_school_profile_is_the_engine_unit() -> None:
    _, ev = reference()
    units = ev.units["quality"].query("stage == 'primary'")
    unit = units.sort_values("students").iloc[-1]
    at = open_page("school", scheme="quality", school=str(unit["school_id"]))
    assert at.selectbox(key="school_pick").value == str(unit["school_id"])
    verdicts = "\n".join(m.value for m in at.markdown)
    assert f"{int(unit['meets'])}/7" in verdicts
    table = table_with(at, t("app.school.col.value", "zh"))
    assert list(table[t("app.school.col.value", "zh")]) == [
        fmt_value(unit[i], i, "zh") for i in QUALITY_IDS]
    assert "school_map" in plotly_specs(at)


def test_school_picker_changes_the_url() -> None:
    _, ev = reference()
    ids = ev.units["basic"]["school_id"].astype(str).unique()
    at = open_page("school")
    at.selectbox(key="school_pick").set_value(ids[-1]).run()
    assert at.query_params["school"] == ids[-1]
    assert not at.exception


# ----------------------------------------------------------------------------- checklist


def checklist_shown(at: AppTest, lang: str = "zh") -> pd.DataFrame:
    """Return the checklist table as drawn, with the code of each row's status (``status``)
    read back from its coloured label (a one-label list)."""
    column = t("app.check.col.status", lang)
    table = table_with(at, column).copy()
    codes = {t(f"status.{code}", lang): code for code in STATUS_BACKGROUND}
    assert all(len(v) == 1 for v in table[column]), "each status is one label"
    table["status"] = [codes[v[0]] for v in table[column]]
    return table


def test_checklist_counts_are_the_compliance_module() -> None:
    snapshot, ev = reference()
    items = county_checklist(county_code="990101", year=int(snapshot.meta["year"]),
                             indicators=ev.indicators, composites=ev.composites,
                             school_rules=ev.school_rules, schools=snapshot.schools,
                             county=snapshot.county, lang="zh")
    at = open_page("checklist")
    table = checklist_shown(at)
    assert len(table) == len(items)
    assert list(table["status"]) == [i.status for i in items]
    for scheme in ("basic", "quality"):
        parts = [i for i in items if i.scheme == scheme and i.group != "verdict"]
        verdict = next(i for i in items if i.item_id == f"VERDICT:{scheme}")
        metric = next(m for m in at.metric if m.label == t(f"scheme.{scheme}", "zh"))
        assert metric.value == t(f"status.{verdict.status}", "zh")
        assert f"{sum(i.status == 'pass' for i in parts)}/{len(parts)}" in metric.proto.delta
    at.toggle(key="check_problems").set_value(True).run()
    table = checklist_shown(at)
    assert len(table) == sum(i.status != "pass" for i in items)


# ----------------------------------------------------------------------------- edge states


EDGE_MESSAGES = {
    "one_school": {"map": "app.empty.no_stage"},
    "primary_only": {"map": "app.empty.no_stage", "drilldown": "app.empty.no_stage",
                     "urban_rural": "app.empty.no_stage"},
    "no_units": {"overview": "app.empty.no_units", "school": "app.empty.no_units",
                 "map": "app.empty.no_stage"},
    "no_geo": {"map": "app.map.no_geo"},
}


@pytest.mark.parametrize("edge", ["one_school", "primary_only", "no_units", "no_geo", "none"])
@pytest.mark.parametrize("page", list(PAGES))
def test_edge_states_show_a_message_not_a_traceback(edge: str, page: str, edge_data: dict,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    if edge == "none":
        monkeypatch.setenv("JUNHENG_DATA", str(tmp_path / "no-data"))
    else:
        monkeypatch.setenv("JUNHENG_DATA", str(edge_data[edge].data_root))
        monkeypatch.setenv("JUNHENG_GEO", str(edge_data[edge].geo_root))
    stage = "junior"
    at = open_page(page, stage=stage, scheme="quality")
    messages = [m.value for m in [*at.info, *at.warning]]
    if edge == "none":
        assert messages == [t("app.empty.no_snapshots", "zh", root=md_text(tmp_path / "no-data"))]
        return
    key = EDGE_MESSAGES[edge].get(page)
    if key is None:
        return
    fields = {"stage": t(f"stage.{stage}", "zh"), "year": 2024, "county": "990101"}
    assert t(key, "zh", **fields) in messages


def test_one_school_has_a_zero_cv(edge_data: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUNHENG_DATA", str(edge_data["one_school"].data_root))
    monkeypatch.setenv("JUNHENG_GEO", str(edge_data["one_school"].geo_root))
    at = open_page("drilldown", stage="primary")
    assert metric_values(at)["差异系数"] == "0.000"
    at = open_page("map", stage="primary")
    assert not at.exception and plotly_specs(at)["map_chart"]["data"]


def test_a_broken_snapshot_is_an_error_box(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    snapshot, _ = reference()
    broken = tmp_path / "data" / "broken-2024"
    shutil.copytree(snapshot.path, broken)
    with (broken / "schools.parquet").open("ab") as f:
        f.write(b"tampered")
    monkeypatch.setenv("JUNHENG_DATA", str(tmp_path / "data"))
    for lang in ("zh", "en"):
        at = open_page("overview", lang=lang)
        assert len(at.error) == 1
        assert "schools.parquet" in at.error[0].value
        assert at.error[0].value.startswith(t("app.error.snapshot", lang, detail="")[:6])


def test_every_indicator_of_both_schemes_opens_the_drilldown() -> None:
    at = open_page("drilldown", scheme="basic")
    for scheme in ("basic", "quality"):
        at.query_params["scheme"] = scheme
        at.run()
        for ind in scheme_ids(scheme):
            at.selectbox(key="drill_indicator").set_value(ind).run()
            assert not at.exception, (scheme, ind)


# ----------------------------------------------------------------------------- dead ends (issue 9.7)


@pytest.mark.parametrize(("scheme", "stage"), [("quality", "primary"), ("quality", "junior"),
                                               ("basic", "primary")])
def test_drilldown_opens_on_the_indicator_that_decides_the_verdict(scheme: str, stage: str) -> None:
    """With no ind= in the URL and none remembered, the failing indicator of highest CV."""
    _, ev = reference()
    rows = ev.indicators.query("stage == @stage and scheme == @scheme")
    failing = rows[~rows["passed"].astype(bool)] if scheme == "quality" else rows
    expected = str(failing.sort_values("cv", ascending=False)["indicator"].iloc[0])
    at = open_page("drilldown", scheme=scheme, stage=stage)
    assert at.selectbox(key="drill_indicator").value == expected
    assert at.query_params["ind"] == expected


def test_school_profile_shows_facts_mean_and_minimum() -> None:
    """The profile's chart draws the school, the county mean and the standard's minimum with a
    legend, and the school's basic facts are at the top."""
    snapshot, _ = reference()
    row = snapshot.schools[snapshot.schools["school_name"] == "示范县实验小学"].iloc[0]
    at = open_page("school", scheme="basic", stage="primary", school=str(row["school_id"]))
    facts = "\n".join(m.value for m in at.markdown)
    for label in ("type", "urban_rural", "classes", "teachers", "pupils", "boarders"):
        assert f"**{t(f'deadends.school.fact.{label}', 'zh')}**" in facts
    assert f"小学 {int(row['students_primary']):,}" in facts
    assert f"小学 {int(row['teachers_primary'])}" in facts
    fig = plotly_specs(at)["school_profile"]
    names = [d["name"] for d in fig["data"]]
    assert names == [t("app.fig.school_value", "zh"), t("deadends.school.legend.mean", "zh"),
                     t("deadends.school.legend.minimum.basic", "zh")]
    assert fig["layout"]["showlegend"] is True
    assert len(fig["data"][2]["x"]) > 0  # the provincial figures that exist are drawn
    assert t("deadends.school.no_minimum_note.basic", "zh").split("：")[0] in \
        "\n".join(c.value for c in at.caption)
    at = open_page("school", scheme="quality", stage="primary", school=str(row["school_id"]),
                   lang="en")
    fig = plotly_specs(at)["school_profile"]
    assert len(fig["data"][2]["x"]) == len(QUALITY_IDS)
    assert fig["data"][2]["name"] == t("deadends.school.legend.minimum.quality", "en")


def test_a_school_of_one_stage_is_not_offered_a_choice_of_one() -> None:
    _, ev = reference()
    units = ev.units["basic"]
    stages = units.groupby("school_id")["stage"].nunique()
    one = str(stages[stages == 1].index[0])
    stage = units.loc[units["school_id"] == one, "stage"].iloc[0]
    at = open_page("school", scheme="basic", school=one)
    assert not [r for r in at.radio if r.key == "school_stage"]  # a disabled radio of one stood here
    assert t("app.school.one_stage", "zh", stage=t(f"stage.{stage}", "zh")) in [c.value for c in at.caption]
