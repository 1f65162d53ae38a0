"""The 情景模拟 page (AppTest, driven by widget keys) and its page models and figures (plain
pytest, as objects): what the page shows after an action is the engine's own evaluation of
``apply_actions``; saving, reopening and deleting go through the store under the data root."""

from __future__ import annotations

import json
import shutil
from functools import cache
from pathlib import Path

import pandas as pd
import pytest
from demo_data import DEMO_GEO, DEMO_SNAPSHOT
from streamlit.testing.v1 import AppTest

from dashboard.i18n import t
from dashboard.method.engine import Evaluation, evaluate
from dashboard.planning.scenario import (
    TEACHER_ATTRS,
    AddResource,
    Hire,
    MovePupils,
    Scenario,
    ScenarioError,
    ScenarioStore,
    Transfer,
    apply_actions,
    apply_scenario,
    roster_attributes,
    scenario_root,
    snapshot_checksum,
)
from dashboard.store.snapshots import Snapshot, list_snapshots, read_snapshot
from dashboard.ui import maps
from dashboard.ui import scenario_page as sv
from dashboard.ui import scenario_results as sr
from dashboard.ui.format import fmt_cv, indicator_label, md_text
from dashboard.ui.geo import read_geojson, townships
from dashboard.ui.overview import status_cards

REPO = Path(__file__).resolve().parent.parent
TIMEOUT = 120
COUNTY = "990101"
RICH, POOR = "3990101001", "3990101012"  # 示范县实验小学, 青石镇中心小学 (primary)
TRANSFER = Transfer(RICH, POOR, "primary", 3, above_degree=3, mid_title=2, backbone=2)


@cache
def demo() -> tuple[Snapshot, Evaluation]:
    snapshot = read_snapshot(DEMO_SNAPSHOT)
    return snapshot, evaluate(snapshot.schools)


@pytest.fixture()
def data_root(demo_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data root holding a copy of the newest demo snapshot (and the demo geography)."""
    root = tmp_path / "data"
    shutil.copytree(DEMO_SNAPSHOT, root / DEMO_SNAPSHOT.name)
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("JUNHENG_DATA", str(root))
    monkeypatch.setenv("JUNHENG_GEO", str(DEMO_GEO))
    return root


def open_page(**params: str) -> AppTest:
    """Run app/main.py with ``params`` in the URL and switch to the scenario page."""
    at = AppTest.from_file(str(REPO / "app" / "main.py"), default_timeout=TIMEOUT)
    at.query_params.update(params)
    at.run()
    at.switch_page(str(REPO / "pages" / "scenario.py"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def table(at: AppTest, header_key: str, lang: str = "zh", also: str | None = None) -> pd.DataFrame:
    """Return the page's dataframe that has the column ``t(header_key)`` (and ``t(also)``)."""
    headers = {t(k, lang) for k in (header_key, also) if k is not None}
    found = [d.value for d in at.dataframe if headers <= set(d.value.columns)]
    assert len(found) == 1, [list(d.value.columns) for d in at.dataframe]
    return found[0]


def add_transfer(at: AppTest, action: Transfer = TRANSFER) -> AppTest:
    at.radio(key="scn_stage").set_value(action.stage).run()
    at.selectbox(key="scn_tr_from").set_value(action.from_school_id)
    at.selectbox(key="scn_tr_to").set_value(action.to_school_id)
    at.number_input(key="scn_tr_count").set_value(action.count)
    for attr in ("above_degree", "mid_title", "backbone", "pe_art"):
        at.number_input(key=f"scn_tr_{attr}").set_value(getattr(action, attr))
    at.button(key="scn_tr_submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_action(at: AppTest, kind: str, lang: str = "zh") -> AppTest:
    """Open the tab of one kind of action, as a click on it does (only the open tab's form is
    drawn)."""
    at.session_state["scn_action"] = t(f"scenario.action.{kind}", lang)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def plotly_specs(at: AppTest) -> dict[str, dict]:
    return {e.proto.id.rsplit("-", 1)[-1]: json.loads(e.proto.spec) for e in at.get("plotly_chart")}


# ----------------------------------------------------------------------------- the page


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_page_renders_in_both_languages(data_root: Path, lang: str) -> None:
    at = open_page(lang=lang)
    assert [x.value for x in at.title] == [t("app.page.scenario", lang)]
    assert not at.error
    assert t("scenario.pending.empty", lang) in [i.value for i in at.info]
    page, saved, compare = (t(f"scenario.tab.{k}", lang) for k in ("build", "saved", "compare"))
    actions = [t(f"scenario.action.{k}", lang)
               for k in ("transfer", "hire", "add_resource", "move_pupils", "roster")]
    assert [tab.label for tab in at.tabs] == [page, *actions, saved, compare]
    add_transfer(at)
    assert not at.error
    assert len(table(at, "scenario.col.after", lang, also="scenario.col.threshold")) == 32  # 2 stages × (8 + composite + 7)


def test_a_transfer_shows_exactly_the_engine_after_cv(data_root: Path) -> None:
    snapshot, before = demo()
    at = add_transfer(open_page())
    assert [s.value for s in at.success] == [t("scenario.added", "zh", number=1, action=(
        sv.describe_action(TRANSFER, sv.school_names(snapshot.schools), "zh")))]
    after = evaluate(apply_actions(snapshot.schools, [TRANSFER]).schools)
    shown = table(at, "scenario.col.after", also="scenario.col.threshold")
    expected = sr.cv_rows(after, COUNTY, 2024, "zh")
    assert list(shown[t("scenario.col.after", "zh")]) == [fmt_cv(v) for v in expected["cv"]]
    assert list(shown[t("scenario.col.before", "zh")]) == [
        fmt_cv(v) for v in sr.cv_rows(before, COUNTY, 2024, "zh")["cv"]]
    q2 = after.indicators.query("stage == 'primary' and scheme == 'quality' and indicator == 'Q2'")
    row = shown[(shown[t("scenario.col.stage", "zh")] == "小学")
                & (shown[t("scenario.col.indicator", "zh")] == indicator_label("Q2", "zh"))
                & (shown[t("scenario.col.scheme", "zh")] == "优质均衡")]
    assert row[t("scenario.col.after", "zh")].item() == f"{q2['cv'].item():.3f}"
    cards = {c.label: c.value_text for c in status_cards(after, COUNTY, 2024, "zh")}
    assert {m.label: m.value for m in at.metric} == cards
    # each verdict after the scenario is said in words: the county's verdict, its components
    changes = sr.verdict_changes(before, after, COUNTY, 2024, "zh", snapshot.county)
    assert {c.detail for c in changes} <= {x.value for x in at.caption}
    assert [m.proto.delta_description for m in at.metric] == [c.status_text for c in changes]
    schools = table(at, "scenario.col.school", also="scenario.col.indicator")
    assert set(schools[t("scenario.col.school", "zh")]) == {"示范县实验小学", "青石镇中心小学"}
    specs = plotly_specs(at)
    assert {d["type"] for d in specs["scn_map"]["data"]} == {"scatter"}
    assert [d["name"] for d in specs["scn_before_after"]["data"]] == ["现状", "本情景"]


def test_an_impossible_action_is_refused_with_its_message(data_root: Path) -> None:
    at = add_transfer(open_page(), Transfer(RICH, POOR, "primary", 500))
    snapshot, _ = demo()
    with pytest.raises(ScenarioError) as info:
        apply_actions(snapshot.schools, [Transfer(RICH, POOR, "primary", 500)])
    assert [e.value for e in at.error] == [info.value.message("zh")]
    assert t("scenario.pending.empty", "zh") in [i.value for i in at.info]


def test_each_form_adds_its_action_and_actions_can_be_removed(data_root: Path) -> None:
    at = add_transfer(open_page())
    assert "scn_hire_school" not in {w.key for w in at.selectbox}  # its tab is closed
    open_action(at, "hire")
    at.selectbox(key="scn_hire_school").set_value(POOR)
    at.number_input(key="scn_hire_count").set_value(2)
    at.number_input(key="scn_hire_backbone").set_value(1)
    at.button(key="scn_hire_submit").click().run()
    open_action(at, "add_resource")
    at.selectbox(key="scn_res_school").set_value(POOR)
    at.selectbox(key="scn_res_column").set_value("books")
    at.number_input(key="scn_res_amount").set_value(500.0)
    at.button(key="scn_res_submit").click().run()
    open_action(at, "move_pupils")
    at.selectbox(key="scn_mv_from").set_value(RICH)
    at.selectbox(key="scn_mv_to").set_value(POOR)
    at.number_input(key="scn_mv_count").set_value(40)
    at.button(key="scn_mv_submit").click().run()
    assert not at.exception and not at.error
    expected = [TRANSFER, Hire(POOR, "primary", 2, backbone=1), AddResource(POOR, "books", 500.0),
                MovePupils(RICH, POOR, "primary", 40)]
    assert at.session_state["scn_actions"] == expected
    lines = [x.value for x in at.text]
    assert lines == sv.action_lines(expected, demo()[0].schools, "zh")
    assert [line.split("：")[0] for line in lines] == [
        f"{k}. {t(f'scenario.kind.{kind}', 'zh')}"
        for k, kind in enumerate(("transfer", "hire", "add_resource", "move_pupils"), start=1)]
    at.button(key="scn_remove_1").click().run()
    assert at.session_state["scn_actions"] == [expected[0], *expected[2:]]
    at.button(key="scn_clear").click().run()
    assert at.session_state["scn_actions"] == []
    assert t("scenario.pending.empty", "zh") in [i.value for i in at.info]


def test_one_action_form_at_a_time_keeps_its_inputs_and_its_tab(data_root: Path) -> None:
    """Only the open tab's form is drawn; its inputs keep their values (a form's once
    submitted) while another tab is open, and the open tab stays open across a language
    switch (its labels change)."""
    at = open_page()
    keys = {w.key for w in at.selectbox}
    assert {"scn_tr_from", "scn_tr_to"} <= keys and not keys & {"scn_hire_school", "scn_mv_from"}
    at.selectbox(key="scn_tr_from").set_value(RICH)
    at.number_input(key="scn_tr_count").set_value(3).run()
    shown = {a: at.number_input(key=f"scn_tr_{a}").value for a in sv.TEACHER_ATTRS}
    open_action(at, "hire")
    assert "scn_tr_from" not in {w.key for w in at.selectbox}
    at.selectbox(key="scn_hire_school").set_value(POOR)
    at.number_input(key="scn_hire_count").set_value(2)
    at.button(key="scn_hire_submit").click().run()  # a form's values count once submitted
    open_action(at, "transfer")
    assert at.selectbox(key="scn_tr_from").value == RICH
    assert at.number_input(key="scn_tr_count").value == 3
    assert {a: at.number_input(key=f"scn_tr_{a}").value for a in sv.TEACHER_ATTRS} == shown
    open_action(at, "hire")
    assert (at.selectbox(key="scn_hire_school").value, at.number_input(key="scn_hire_count").value
            ) == (POOR, 2)
    at.radio(key="sidebar_lang").set_value("en").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "scn_hire_school" in {w.key for w in at.selectbox}
    assert "scn_tr_from" not in {w.key for w in at.selectbox}


def test_the_transfer_mix_is_shown_again_after_a_return_to_the_page(data_root: Path) -> None:
    """Streamlit drops a page's inputs when the user goes to another page; back on the page
    the transfer's attribute inputs show the source school's mix again, not zeros."""
    snapshot, _ = demo()
    at = open_page()
    source = at.selectbox(key="scn_tr_from").value
    mix = sv.default_mix(snapshot.schools, source, "primary", 1)
    assert {a: at.number_input(key=f"scn_tr_{a}").value for a in sv.TEACHER_ATTRS} == mix
    at.switch_page(str(REPO / "pages" / "overview.py")).run()
    at.switch_page(str(REPO / "pages" / "scenario.py")).run()
    assert at.selectbox(key="scn_tr_from").value == source
    assert {a: at.number_input(key=f"scn_tr_{a}").value for a in sv.TEACHER_ATTRS} == mix


def test_named_roster_teachers_are_transferred_with_their_roster_attributes(data_root: Path) -> None:
    snapshot, _ = demo()
    roster = snapshot.teachers
    at = open_page()
    assert not at.get("multiselect"), "the roster's widgets run only when its tab is open"
    open_action(at, "roster")
    at.selectbox(key="scn_named_from").set_value(RICH)
    at.selectbox(key="scn_named_to").set_value(POOR).run()
    options = at.multiselect(key="scn_named_ids").options
    at_rich = roster[(roster["school_id"] == RICH) & (roster["stage"] == "primary")]
    assert len(options) == len(at_rich)
    assert not any(str(name) in " ".join(options) for name in at_rich["name"])  # no personal names
    chosen = sorted(at_rich["teacher_id"].astype(str))[:2]
    at.multiselect(key="scn_named_ids").set_value(chosen).run()
    at.button(key="scn_named_submit").click().run()
    assert not at.exception and not at.error
    [action] = at.session_state["scn_actions"]
    flags = roster_attributes(roster[roster["teacher_id"].isin(chosen)])
    assert action == Transfer(RICH, POOR, "primary", 2, teacher_ids=tuple(chosen),
                              **{a: int(flags[a].sum()) for a in TEACHER_ATTRS})
    applied = apply_actions(snapshot.schools, [action], teachers=roster)
    assert set(applied.teachers.loc[applied.teachers["teacher_id"].isin(chosen), "school_id"]) == {POOR}


def test_save_reopen_and_delete_through_the_page(data_root: Path) -> None:
    snapshot, _ = demo()
    store = ScenarioStore(scenario_root(data_root))
    at = add_transfer(open_page())
    at.text_input(key="scn_save_name").input("骨干下乡")
    at.text_area(key="scn_save_note").input("实验小学 3 人到青石镇")
    at.button(key="scn_save_submit").click().run()
    assert [s.value for s in at.success][-1] == t("scenario.save.done", "zh", name="骨干下乡")
    saved = store.load("骨干下乡")
    assert saved.actions == (TRANSFER,) and saved.note == "实验小学 3 人到青石镇"
    assert saved.snapshot_id == snapshot.id and saved.snapshot_sha256 == snapshot_checksum(snapshot)
    assert (data_root / "scenarios" / "骨干下乡.json").is_file()
    assert [i.id for i in list_snapshots(data_root)] == [snapshot.id]

    at.button(key="scn_save_submit").click().run()  # the same name again: refused
    assert [e.value for e in at.error] == [
        ScenarioError("exists", field="name", value="骨干下乡").message("zh")]

    at.button(key="scn_clear").click().run()
    assert at.session_state["scn_actions"] == []
    listed = table(at, "scenario.col.applies")
    assert list(listed[t("scenario.col.name", "zh")]) == ["骨干下乡"]
    at.selectbox(key="scn_saved_pick").set_value("骨干下乡").run()
    at.button(key="scn_open").click().run()
    assert at.session_state["scn_actions"] == [TRANSFER]
    assert at.text_input(key="scn_save_name").value == "骨干下乡"
    assert t("scenario.saved.opened", "zh", name="骨干下乡") in [s.value for s in at.success]

    at.button(key="scn_delete").click().run()
    assert [w.value for w in at.warning] == [t("scenario.saved.confirm", "zh", name="骨干下乡")]
    at.button(key="scn_delete_cancel").click().run()
    assert store.names() == ["骨干下乡"] and not at.warning
    at.button(key="scn_delete").click().run()
    at.button(key="scn_delete_confirm").click().run()
    assert store.names() == []
    assert t("scenario.saved.deleted", "zh", name="骨干下乡") in [s.value for s in at.success]
    assert not at.exception


def test_compare_saved_scenarios_side_by_side(data_root: Path) -> None:
    snapshot, before = demo()
    store = ScenarioStore(scenario_root(data_root))
    sha = snapshot_checksum(snapshot)
    plans = {
        "甲方案": Scenario("甲方案", snapshot.id, sha, actions=(TRANSFER,)),
        "乙方案": Scenario("乙方案", snapshot.id, sha, actions=(AddResource(POOR, "sports_area_m2",
                                                                          5000.0),)),
        "旧数据": Scenario("旧数据", "old", "0" * 64, actions=(Hire(POOR, "primary", 1),)),
    }
    for plan in plans.values():
        store.save(plan)
    at = open_page(scheme="quality")
    assert at.multiselect(key="scn_compare").value == ["乙方案", "甲方案"]
    shown = table(at, "scenario.col.indicator")
    assert list(shown.columns[3:]) == ["现状", "乙方案", "甲方案"]
    for name in ("乙方案", "甲方案"):
        ev = evaluate(apply_scenario(snapshot, plans[name]).schools)
        rows = sr.cv_rows(ev, COUNTY, 2024, "zh")
        assert [cell.split("（")[0] for cell in shown[name]] == [fmt_cv(v) for v in rows["cv"]]
    fig = plotly_specs(at)["scn_compare_figure"]
    assert [d["name"] for d in fig["data"]] == ["现状", "乙方案", "甲方案"]
    applies = table(at, "scenario.col.applies").set_index(t("scenario.col.name", "zh"))
    assert applies.loc["旧数据", t("scenario.col.applies", "zh")] == t("scenario.saved.applies_no", "zh")
    at.selectbox(key="scn_saved_pick").set_value("旧数据").run()
    at.button(key="scn_open").click().run()
    with pytest.raises(ScenarioError) as info:
        apply_scenario(snapshot, plans["旧数据"])
    assert [e.value for e in at.error] == [info.value.message("zh")]
    assert at.session_state["scn_actions"] == []


def test_no_snapshot_is_a_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  demo_root: Path) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("JUNHENG_DATA", str(tmp_path / "none"))
    at = open_page()
    assert [i.value for i in at.info] == [t("app.empty.no_snapshots", "zh",
                                            root=md_text(tmp_path / "none"))]


# ----------------------------------------------------------------------------- page models


def test_coefficient_table_flags_what_changed() -> None:
    snapshot, before = demo()
    after = evaluate(apply_actions(snapshot.schools, [TRANSFER]).schools)
    table_ = sr.coefficient_table(before, after, COUNTY, 2024, "zh")
    assert len(table_) == 32
    b = table_.set_index(["stage", "scheme", "indicator"])
    assert not b.loc[("junior", "quality", "Q2"), "changed"]  # a primary transfer
    assert b.loc[("primary", "quality", "Q2"), "changed"]
    assert b.loc[("primary", "basic", "composite"), "after"] == pytest.approx(
        after.composites.query("stage == 'primary'")["composite_cv"].item())
    same = sr.coefficient_table(before, before, COUNTY, 2024, "zh")
    assert not same["changed"].any() and (same["delta"] == 0).all()
    shown = sr.coefficient_display(table_, "en")
    assert list(shown.columns) == [t(f"scenario.col.{c}", "en") for c in (
        "stage", "scheme", "indicator", "before", "after", "delta", "threshold", "status_before",
        "status_after")]


def test_school_changes_are_the_two_schools_of_a_transfer() -> None:
    snapshot, before = demo()
    after = evaluate(apply_actions(snapshot.schools, [TRANSFER]).schools)
    changes = sr.school_changes(before, after, COUNTY, 2024, "quality")
    assert sorted(changes["school_id"]) == sorted([RICH, POOR])
    poor = changes.set_index("school_id").loc[POOR]
    units = before.units["quality"].set_index("unit_id")
    assert poor["Q2_before"] == pytest.approx(units.loc[f"{POOR}:primary", "Q2"])
    assert poor["Q2_after"] > poor["Q2_before"]
    shown = sr.school_change_rows(changes, "quality", "zh")
    indicators = shown[t("scenario.col.indicator", "zh")]
    assert indicators.str.startswith(indicator_label("Q1", "zh")).any()  # above-degree teachers moved
    assert sr.school_changes(before, before, COUNTY, 2024, "basic").empty


def test_verdict_changes_pair_both_sides() -> None:
    snapshot, before = demo()
    pupils = MovePupils(POOR, RICH, "primary", 1000)
    after = evaluate(apply_actions(snapshot.schools, [pupils]).schools)
    changes = {(c.stage, c.scheme): c for c in sr.verdict_changes(before, after, COUNTY, 2024, "zh")}
    assert set(changes) == {(s, k) for s in ("primary", "junior") for k in ("basic", "quality")}
    basic = changes[("primary", "basic")]
    comp = {name: ev.composites.query("stage == 'primary'")["composite_cv"].item()
            for name, ev in (("before", before), ("after", after))}
    assert basic.before == pytest.approx(comp["before"]) and basic.after == pytest.approx(comp["after"])
    assert basic.delta_text == sr.delta_text(comp["after"] - comp["before"])
    assert changes[("junior", "basic")].delta_text == "±0"
    assert not changes[("junior", "basic")].changed and basic.changed
    # the status is the county's verdict after the scenario (CV, school rule, county items)
    from dashboard.method.verdict import evaluation_verdicts

    with_county = sr.verdict_changes(before, after, COUNTY, 2024, "zh", snapshot.county)
    verdicts = evaluation_verdicts(after, COUNTY, 2024, county=snapshot.county)
    for c in with_county:
        assert c.status_after == verdicts[(c.scheme, c.stage)].status
        assert c.detail == verdicts[(c.scheme, c.stage)].text
    assert {c.status_after for c in changes.values()} <= {"fail", "missing"}  # no county table


def test_descriptions_name_the_schools_and_units() -> None:
    names = {RICH: "示范县实验小学", POOR: "青石镇中心小学"}
    assert sv.describe_action(TRANSFER, names, "zh") == (
        "小学：示范县实验小学 → 青石镇中心小学，3 人（高于规定学历 3，中级及以上职称 2，骨干 2，体育艺术 0）")
    assert sv.describe_action(AddResource(POOR, "equipment_value_yuan", 120000.0), names, "zh") == (
        "青石镇中心小学：教学仪器设备值增加 12.0 万元")
    assert sv.describe_action(AddResource(POOR, "equipment_value_yuan", 8000.0), names, "en") == (
        "青石镇中心小学: teaching equipment value + 8,000 yuan")
    assert sv.describe_action(Transfer(RICH, POOR, "primary", 1, teacher_ids=("DT1",)), names,
                              "en").endswith(", named teachers DT1")
    assert sv.describe_action(MovePupils(RICH, "x", "junior", 5), names, "en") == (
        "Junior secondary: 示范县实验小学 → x, 5 pupils")


def test_school_choices_follow_the_stage() -> None:
    snapshot, _ = demo()
    primary = sv.school_choices(snapshot.schools, "primary")
    junior = sv.school_choices(snapshot.schools, "junior")
    schools = snapshot.schools.set_index("school_id")
    assert all(schools.loc[i, "students_primary"] > 0 or schools.loc[i, "teachers_primary"] > 0
               for i in primary)
    assert "3990101004" in junior and "3990101004" not in primary  # 完全中学: junior only
    assert "3990101006" in junior and "3990101006" in primary  # 九年一贯制: both
    staff = sv.staff_table(snapshot.schools, "primary", "zh")
    assert len(staff) == len(primary)
    assert staff[t("scenario.col.teachers", "zh")].sum() == snapshot.schools["teachers_primary"].sum()


def test_the_staff_table_is_drawn_when_its_expander_is_opened(data_root: Path) -> None:
    """The staff table runs only in an open expander (a rerun opens it), the stage's schools."""
    snapshot, _ = demo()
    at = open_page()
    teachers = t("scenario.col.teachers", "zh")
    assert not [e for e in at.dataframe if teachers in e.value.columns]
    at.session_state["scn_staff_open"] = True
    at.run()
    [staff] = [e.value for e in at.dataframe if teachers in e.value.columns]
    assert len(staff) == len(sv.school_choices(snapshot.schools, "primary")) and not at.exception


def test_flow_map_draws_lines_between_the_schools() -> None:
    snapshot, _ = demo()
    actions = [TRANSFER, Hire(POOR, "primary", 1), MovePupils(RICH, POOR, "primary", 10)]
    lines = sr.flow_lines(actions, snapshot.schools, "zh")
    assert list(lines["number"]) == [1, 3] and list(lines["kind"]) == ["transfer", "move_pupils"]
    at = snapshot.schools.set_index("school_id")
    assert (lines["lon0"].iloc[0], lines["lat1"].iloc[0]) == (at.loc[RICH, "longitude"],
                                                              at.loc[POOR, "latitude"])
    geo = read_geojson(DEMO_GEO / COUNTY / "townships.geojson")
    towns = townships(geo)
    paths = towns.paths
    fig = maps.flow_map(paths, towns.labels, lines, snapshot.schools, "zh", 1.1)
    assert {trace.type for trace in fig.data} == {"scatter"}
    arrows = [tr for tr in fig.data if tr.legendgroup]
    assert [tr.name for tr in arrows] == ["小学教师调动", "小学学生调整"]
    assert list(arrows[0].x) == [at.loc[RICH, "longitude"], at.loc[POOR, "longitude"]]
    assert list(arrows[0].marker.symbol) == ["circle", "arrow"]
    assert arrows[1].line.dash == "dash"
    outline = [tr for tr in fig.data if tr.fill == "toself"]
    assert [len(tr.x) for tr in outline] == [len(x) for x, _ in paths.values()]
    names = [tr for tr in fig.data if tr.mode == "text"]
    assert set(names[0].text) == {f["properties"]["township"] for f in geo.features}
    assert set(names[1].text) == {"示范县实验小学", "青石镇中心小学"}


def test_compare_figure_groups_bars_with_the_threshold() -> None:
    snapshot, before = demo()
    after = evaluate(apply_actions(snapshot.schools, [TRANSFER]).schools)
    series = sr.series_table([("现状", before), ("情景", after)], COUNTY, 2024, "zh")
    fig = sr.compare_figure(series, "primary", "quality", "zh")
    assert [tr.name for tr in fig.data] == ["现状", "情景"] and fig.layout.barmode == "group"
    q = after.indicators.query("stage == 'primary' and scheme == 'quality'")
    assert list(fig.data[1].y) == pytest.approx(list(q.set_index("indicator").loc[
        ["Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Q7"], "cv"]))
    assert fig.layout.shapes[0].y0 == 0.5 and fig.data[0].textposition == "outside"
    three = sr.series_table([("现状", before), ("甲", after), ("乙", after)], COUNTY, 2024, "zh")
    assert sr.compare_figure(three, "primary", "quality", "zh").data[0].textposition == "none"
    basic = sr.compare_figure(series, "junior", "basic", "en")
    assert len(basic.data[0].x) == 9 and basic.layout.shapes[0].y0 == 0.55
    shown = sr.compare_display(series, "zh")
    assert list(shown.columns[3:]) == ["现状", "情景"] and len(shown) == 32


@pytest.mark.parametrize("edge", ["one_school", "primary_only", "no_units", "no_geo"])
def test_edge_states_open_without_a_traceback(edge: str, edge_data: dict,
                                              monkeypatch: pytest.MonkeyPatch,
                                              demo_root: Path) -> None:
    data = edge_data[edge]
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("JUNHENG_DATA", str(data.data_root))
    monkeypatch.setenv("JUNHENG_GEO", str(data.geo_root))
    at = open_page(stage="junior")
    assert [x.value for x in at.title] == [t("app.page.scenario", "zh")]
    if edge in ("one_school", "primary_only"):  # no school has a junior stage
        assert t("scenario.form.no_schools", "zh", stage="初中") in [i.value for i in at.info]
        assert at.button(key="scn_tr_submit").disabled
    open_action(at, "add_resource")
    at.selectbox(key="scn_res_school").set_value(data.school_ids[0])
    at.number_input(key="scn_res_amount").set_value(100.0)
    at.button(key="scn_res_submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["scn_actions"] == [
        AddResource(data.school_ids[0], "teaching_aux_area_m2", 100.0)]


def test_a_transfer_by_count_only_takes_the_source_schools_mix(data_root: Path) -> None:
    """Issue 9 point 7: 3 teachers from 示范县实验小学 with only the count given are accepted,
    with the attribute counts of the school's own mix shown in the inputs and applied."""
    snapshot, before = demo()
    at = open_page()
    at.radio(key="scn_stage").set_value("primary").run()
    at.selectbox(key="scn_tr_from").set_value(RICH)
    at.selectbox(key="scn_tr_to").set_value(POOR)
    at.number_input(key="scn_tr_count").set_value(3).run()
    mix = sv.default_mix(snapshot.schools, RICH, "primary", 3)
    assert {a: at.number_input(key=f"scn_tr_{a}").value for a in sv.TEACHER_ATTRS} == mix
    assert sum(mix.values()) > 0
    at.button(key="scn_tr_submit").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    action = Transfer(RICH, POOR, "primary", 3, **mix)
    assert at.session_state["scn_actions"] == [action]
    after = evaluate(apply_actions(snapshot.schools, [action]).schools)
    shown = table(at, "scenario.col.after", also="scenario.col.threshold")
    assert list(shown[t("scenario.col.after", "zh")]) == [
        fmt_cv(v) for v in sr.cv_rows(after, COUNTY, 2024, "zh")["cv"]]
    # an edited mix is kept when the count changes afterwards
    at.number_input(key="scn_tr_pe_art").set_value(0).run()
    at.number_input(key="scn_tr_count").set_value(4).run()
    assert at.number_input(key="scn_tr_pe_art").value == 0


def test_verdict_deltas_never_read_zero_beside_a_change() -> None:
    """A change below the standards' decimals is shown with the digits that make it non-zero,
    and its metric has no arrow only when it is truly none."""
    snapshot, before = demo()
    after = evaluate(apply_actions(snapshot.schools, [Transfer(RICH, POOR, "primary", 1,
                                                               above_degree=1)]).schools)
    for c in sr.verdict_changes(before, after, COUNTY, 2024, "zh"):
        assert c.delta_text == sr.delta_text(c.after - c.before)
        assert c.moved == (c.after != c.before)
        if c.after != c.before:
            assert c.delta_text.strip("+-0.") != "", c


def test_a_teaching_point_and_its_school_are_named_as_one_basic_unit(data_root: Path) -> None:
    """The form starts on two schools that 基本均衡 counts apart, and says when the chosen
    two are one unit there (a move between them changes only the high-quality figures)."""
    snapshot, _ = demo()
    schools = snapshot.schools
    at = open_page()
    at.radio(key="scn_stage").set_value("primary").run()
    units = sv.basic_units(schools)
    note = t("scenario.form.same_basic_unit", "zh")
    start = (at.selectbox(key="scn_tr_from").value, at.selectbox(key="scn_tr_to").value)
    assert units[start[0]] != units[start[1]]
    assert note not in [c.value for c in at.caption]
    point = schools[schools["school_type"] == "teaching_point"].iloc[0]
    at.selectbox(key="scn_tr_from").set_value(str(point["parent_school_id"]))
    at.selectbox(key="scn_tr_to").set_value(str(point["school_id"])).run()
    assert note in [c.value for c in at.caption]
