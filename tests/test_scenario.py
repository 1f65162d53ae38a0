"""Scenarios: hand-computed applications, every refusal with its exact message, properties
(never mutates, conserves, round-trips, reverses), the CV consequence (a) of docs/method.md §2,
and the store (atomic, concurrent, listing, deleting, refusing to overwrite)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from demo_data import DEMO_SNAPSHOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schoolframes import frame, random_county, school

from dashboard.method.engine import evaluate
from dashboard.planning.scenario import (
    RESOURCE_COLUMNS,
    STAGES,
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
    attribute_column,
    roster_attributes,
    scenario_root,
    snapshot_checksum,
)
from dashboard.store.snapshots import Snapshot, list_snapshots, read_snapshot, write_snapshot

REPO = Path(__file__).resolve().parent.parent
DEMO = DEMO_SNAPSHOT
TEACHER_COLUMNS = [f"teachers_{s}" for s in STAGES] + [
    attribute_column(a, s) for a in TEACHER_ATTRS for s in STAGES]


def county() -> pd.DataFrame:
    """Five schools: A and B primary, C junior, D nine-year, E primary in another county."""
    return frame(
        school("A", school_name="甲校", students_primary=400, teachers_primary=30,
               teachers_above_degree_primary=20, teachers_mid_title_primary=20,
               teachers_backbone_primary=6, teachers_pe_art_primary=3, computers=40, books=8000,
               sports_area_m2=2000.0, longitude=113.1, latitude=28.1),
        school("B", school_name="乙校", students_primary=300, teachers_primary=12,
               teachers_above_degree_primary=10, teachers_mid_title_primary=5,
               teachers_backbone_primary=0, teachers_pe_art_primary=1, computers=10, books=3000,
               sports_area_m2=900.0, longitude=113.3, latitude=28.2),
        school("C", "junior", school_name="丙中学", students_junior=500, teachers_junior=40,
               teachers_above_degree_junior=35, teachers_mid_title_junior=25,
               teachers_backbone_junior=8, teachers_pe_art_junior=4),
        school("D", "nine_year", school_name="丁学校", students_primary=200, students_junior=100,
               teachers_primary=10, teachers_junior=9, teachers_above_degree_primary=9,
               teachers_above_degree_junior=7, teachers_mid_title_primary=4,
               teachers_mid_title_junior=4, teachers_backbone_primary=1,
               teachers_backbone_junior=1, teachers_pe_art_primary=1, teachers_pe_art_junior=1),
        school("E", county_code="990102", school_name="戊校", students_primary=100,
               teachers_primary=6, teachers_above_degree_primary=6),
    )


def roster() -> pd.DataFrame:
    """Four roster teachers of A (primary) and two of C (junior)."""
    return pd.DataFrame({
        "teacher_id": ["T1", "T2", "T3", "T4", "T5", "T6"],
        "school_id": ["A", "A", "A", "A", "C", "C"],
        "stage": ["primary"] * 4 + ["junior"] * 2,
        "subject": ["体育", "语文", "音乐", "数学", "美术", "语文"],
        "degree": ["associate", "secondary", "bachelor", "postgraduate", "associate", "bachelor"],
        "title": ["intermediate", "junior", "none", "full_senior", "senior", "none"],
        "backbone_level": ["county", "none", "none", "province", "none", "city"],
        "birth_year": [1980, 1990, 1995, 1970, 1975, 1985],
        "start_year_at_school": [2010, 2015, 2020, 2000, 2005, 2012],
    })


def row(df: pd.DataFrame, school_id: str) -> pd.Series:
    return df.set_index("school_id").loc[school_id]


def totals(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return df.groupby("county_code")[columns].sum()


def refused(actions, message: str, schools: pd.DataFrame | None = None, **kw) -> ScenarioError:
    """Apply and return the refusal, which must read exactly ``message`` (in Chinese)."""
    with pytest.raises(ScenarioError, match=f"^{re.escape(message)}$") as info:
        apply_actions(county() if schools is None else schools, actions, **kw)
    return info.value


# ----------------------------------------------------------------------------- hand-computed


def test_transfer_moves_counts_and_attributes() -> None:
    before = county()
    keep = before.copy(deep=True)
    after = apply_actions(before, [Transfer("A", "B", "primary", 3, above_degree=2, mid_title=1,
                                            backbone=2, pe_art=1)]).schools
    a, b = row(after, "A"), row(after, "B")
    assert [a["teachers_primary"], a["teachers_above_degree_primary"],
            a["teachers_mid_title_primary"], a["teachers_backbone_primary"],
            a["teachers_pe_art_primary"]] == [27, 18, 19, 4, 2]
    assert [b["teachers_primary"], b["teachers_above_degree_primary"],
            b["teachers_mid_title_primary"], b["teachers_backbone_primary"],
            b["teachers_pe_art_primary"]] == [15, 12, 6, 2, 2]
    untouched = [c for c in before.columns if not c.startswith("teachers_")]
    pd.testing.assert_frame_equal(after[untouched], before[untouched])
    pd.testing.assert_frame_equal(after.drop(index=[0, 1]), before.drop(index=[0, 1]))
    pd.testing.assert_frame_equal(before, keep)
    assert after.dtypes.equals(before.dtypes)


def test_hire_adds_teachers_with_attributes() -> None:
    after = apply_actions(county(), [Hire("B", "primary", 5, above_degree=5, backbone=1,
                                          pe_art=2)]).schools
    b = row(after, "B")
    assert [b["teachers_primary"], b["teachers_above_degree_primary"],
            b["teachers_mid_title_primary"], b["teachers_backbone_primary"],
            b["teachers_pe_art_primary"]] == [17, 15, 5, 1, 3]


def test_add_resource_keeps_units_and_types() -> None:
    before = county()
    after = apply_actions(before, [AddResource("B", "computers", 15),
                                   AddResource("B", "sports_area_m2", 250.5),
                                   AddResource("B", "equipment_value_yuan", 120000.0)]).schools
    b = row(after, "B")
    assert b["computers"] == 25 and b["sports_area_m2"] == 1150.5
    assert b["equipment_value_yuan"] == 120000.0
    assert after["computers"].dtype == before["computers"].dtype


def test_move_pupils_moves_students_and_leaves_teachers() -> None:
    before = county()
    after = apply_actions(before, [MovePupils("A", "B", "primary", 50)]).schools
    assert row(after, "A")["students_primary"] == 350 and row(after, "B")["students_primary"] == 350
    pd.testing.assert_frame_equal(after[TEACHER_COLUMNS], before[TEACHER_COLUMNS])


def test_actions_apply_in_order() -> None:
    """B has 12 teachers: moving 15 out of it is possible only after 5 have come in."""
    actions = [Transfer("A", "B", "primary", 5, above_degree=5, mid_title=5),
               Transfer("B", "D", "primary", 15, above_degree=13, mid_title=8)]
    after = apply_actions(county(), actions).schools
    assert [row(after, s)["teachers_primary"] for s in "ABD"] == [25, 2, 25]
    refused(actions[1:], "第 1 项操作（调动教师），“人数”为 15：超过乙校（B）现有的小学专任教师数 12")


def test_named_teachers_fix_attributes_from_the_roster() -> None:
    teachers = roster()
    keep = teachers.copy(deep=True)
    applied = apply_actions(county(), [Transfer("A", "B", "primary", 3,
                                                teacher_ids=("T1", "T2", "T4"))],
                            teachers=teachers)
    b = row(applied.schools, "B")
    # T1 associate/intermediate/county/体育, T2 secondary/junior/none/语文,
    # T4 postgraduate/full_senior/province/数学: primary counts 专科 and above.
    assert [b["teachers_primary"], b["teachers_above_degree_primary"],
            b["teachers_mid_title_primary"], b["teachers_backbone_primary"],
            b["teachers_pe_art_primary"]] == [15, 12, 7, 2, 2]
    moved = applied.teachers.set_index("teacher_id")
    assert list(moved.loc[["T1", "T2", "T4"], "school_id"]) == ["B"] * 3
    assert list(moved.loc[["T1", "T2", "T4"], "start_year_at_school"]) == [2024] * 3
    assert moved.loc["T3", "school_id"] == "A" and moved.loc["T3", "start_year_at_school"] == 2020
    pd.testing.assert_frame_equal(teachers, keep)


def test_junior_needs_a_bachelor_degree() -> None:
    flags = roster_attributes(roster()).set_index("teacher_id")
    assert flags.loc["T5", "above_degree"] == 0  # junior, 专科: not above the required degree
    assert flags.loc["T1", "above_degree"] == 1  # primary, 专科: above it
    assert list(flags.loc[["T1", "T2", "T3", "T4", "T5", "T6"], "pe_art"]) == [1, 0, 1, 0, 1, 0]
    assert list(flags["mid_title"]) == [1, 0, 0, 1, 1, 0]
    assert list(flags["backbone"]) == [1, 0, 0, 1, 0, 1]


def test_roster_attributes_agree_with_the_demo_schools_table() -> None:
    snapshot = read_snapshot(DEMO)
    flags = roster_attributes(snapshot.teachers)
    sums = flags.groupby(["school_id", "stage"])[list(TEACHER_ATTRS)].sum()
    schools = snapshot.schools.set_index("school_id")
    for (school_id, stage), counts in sums.iterrows():
        for attr in TEACHER_ATTRS:
            assert counts[attr] == schools.loc[school_id, attribute_column(attr, stage)]


# ----------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("action,message", [
    (Transfer("A", "B", "primary", 31),
     "第 1 项操作（调动教师），“人数”为 31：超过甲校（A）现有的小学专任教师数 30"),
    (Transfer("A", "B", "primary", 3, above_degree=3, mid_title=3, backbone=4),
     "第 1 项操作（调动教师），“其中县级及以上骨干”为 4：超过调动或招聘的教师人数 3"),
    (Transfer("A", "B", "primary", 8, above_degree=8, mid_title=8, backbone=7),
     "第 1 项操作（调动教师），“其中县级及以上骨干”为 7：超过甲校（A）现有的县级及以上骨干教师数 6"),
    (Transfer("A", "B", "primary", 12),
     "第 1 项操作（调动教师），“其中高于规定学历”为 0：调动的 12 人中非高于规定学历教师有 12 人，"
     "多于甲校（A）现有的非高于规定学历教师 10 人"),
    (Transfer("X", "B", "primary", 1),
     "第 1 项操作（调动教师），“调出学校”为 X：学校表中没有此学校标识码"),
    (Transfer("A", "Y", "primary", 1),
     "第 1 项操作（调动教师），“调入学校”为 Y：学校表中没有此学校标识码"),
    (Transfer("A", "C", "primary", 1),
     "第 1 项操作（调动教师），“调入学校”为 C：丙中学（C）没有小学学段（该学段既无在校生也无专任教师）"),
    (Transfer("A", "B", "junior", 1),
     "第 1 项操作（调动教师），“调出学校”为 A：甲校（A）没有初中学段（该学段既无在校生也无专任教师）"),
    (Transfer("A", "B", "senior", 1),
     "第 1 项操作（调动教师），“学段”为 senior：学段只能是 primary（小学）或 junior（初中）"),
    (Transfer("A", "B", "primary", -2),
     "第 1 项操作（调动教师），“人数”为 -2：不能为负数"),
    (Transfer("A", "B", "primary", 0),
     "第 1 项操作（调动教师），“人数”为 0：至少为 1"),
    (Transfer("A", "B", "primary", 2.5),  # type: ignore[arg-type]
     "第 1 项操作（调动教师），“人数”为 2.5：必须是整数"),
    (Transfer("A", "B", "primary", 2, pe_art=-1),
     "第 1 项操作（调动教师），“其中体育艺术”为 -1：不能为负数"),
    (Transfer("A", "A", "primary", 1),
     "第 1 项操作（调动教师），“调入学校”为 A：调入学校与调出学校相同"),
    (Transfer("A", "E", "primary", 1),
     "第 1 项操作（调动教师），“调入学校”为 E：戊校（E）属于县区 990102，调出学校属于县区 990101；"
     "情景只在一个县区内调整"),
    (Hire("C", "primary", 2),
     "第 1 项操作（招聘教师），“学校”为 C：丙中学（C）没有小学学段（该学段既无在校生也无专任教师）"),
    (Hire("B", "primary", 2, mid_title=3),
     "第 1 项操作（招聘教师），“其中中级及以上职称”为 3：超过调动或招聘的教师人数 2"),
    (AddResource("B", "dorm_area_m2", 10.0),
     "第 1 项操作（增加资源），“资源项目”为 dorm_area_m2：资源只能是以下列之一："
     + ", ".join(RESOURCE_COLUMNS)),
    (AddResource("B", "books", 0.0),
     "第 1 项操作（增加资源），“数量”为 0.0：必须大于 0"),
    (AddResource("B", "books", -5.0),
     "第 1 项操作（增加资源），“数量”为 -5.0：必须大于 0"),
    (AddResource("B", "computers", 2.5),
     "第 1 项操作（增加资源），“数量”为 2.5：computers 按件计数，增加量须为整数"),
    (AddResource("B", "sports_area_m2", float("nan")),
     "第 1 项操作（增加资源），“数量”为 nan：必须是有限的数值"),
    (AddResource("Z", "books", 5.0),
     "第 1 项操作（增加资源），“学校”为 Z：学校表中没有此学校标识码"),
    (MovePupils("A", "B", "primary", 401),
     "第 1 项操作（调整学生），“人数”为 401：超过甲校（A）现有的小学在校生数 400"),
    (MovePupils("C", "A", "junior", 5),
     "第 1 项操作（调整学生），“调入学校”为 A：甲校（A）没有初中学段（该学段既无在校生也无专任教师）"),
    (MovePupils("A", "E", "primary", 5),
     "第 1 项操作（调整学生），“调入学校”为 E：戊校（E）属于县区 990102，调出学校属于县区 990101；"
     "情景只在一个县区内调整"),
])
def test_impossible_actions_are_refused(action, message: str) -> None:
    before = county()
    keep = before.copy(deep=True)
    error = refused([action], message, before)
    assert error.index == 1
    pd.testing.assert_frame_equal(before, keep)


def test_a_refusal_names_its_position_and_english_reads_the_same() -> None:
    error = refused([Hire("B", "primary", 1), Transfer("A", "B", "primary", 31)],
                    "第 2 项操作（调动教师），“人数”为 31：超过甲校（A）现有的小学专任教师数 30")
    assert (error.index, error.kind, error.field, error.value, error.rule) == (
        2, "transfer", "count", 31, "too_many_teachers")
    assert error.message("en") == ("Action 2 (transfer teachers), \"number\" is 31: more than "
                                   "the 30 Primary teachers 甲校（A） has")


@pytest.mark.parametrize("action,message", [
    (Transfer("A", "B", "primary", 1, teacher_ids=("T9",)),
     "第 1 项操作（调动教师），“点名调动的教师”为 T9：教师名册中没有此教师编号"),
    (Transfer("A", "B", "primary", 2, teacher_ids=("T1", "T1")),
     "第 1 项操作（调动教师），“点名调动的教师”为 T1：教师编号重复"),
    (Transfer("A", "B", "primary", 3, teacher_ids=("T1", "T2")),
     "第 1 项操作（调动教师），“人数”为 3：与指定的教师编号数 2 不一致"),
    (Transfer("A", "B", "primary", 1, teacher_ids=("T5",)),
     "第 1 项操作（调动教师），“点名调动的教师”为 T5：该教师在丙中学（C）任教初中，不是甲校（A）的小学教师"),
    (Transfer("A", "B", "primary", 2, backbone=2, teacher_ids=("T1", "T2")),
     "第 1 项操作（调动教师），“其中县级及以上骨干”为 2：与名册中所指定教师的县级及以上骨干人数 1 不一致"),
])
def test_named_teacher_refusals(action, message: str) -> None:
    refused([action], message, teachers=roster())


def test_named_teachers_need_a_roster() -> None:
    refused([Transfer("A", "B", "primary", 1, teacher_ids=("T1",))],
            "第 1 项操作（调动教师），“点名调动的教师”为 [T1]：指定教师编号时需要教师名册")


def test_unknown_action_and_ambiguous_school_ids() -> None:
    refused([{"kind": "transfer"}],
            "第 1 项操作（dict），“操作类型”为 dict：未知的操作类型（应为 transfer、hire、add_resource 或 move_pupils）")
    twice = pd.concat([county(), county().iloc[[0]]], ignore_index=True)
    refused([], "“学校”为 A：此学校标识码在学校表中出现 2 次，无法确定是哪所学校", twice)


def _fake_snapshot(schools: pd.DataFrame, sha: str) -> Snapshot:
    return Snapshot(id="s-2024", path=Path("s-2024"), meta={"sha256": {"schools.parquet": sha}},
                    schools=schools, teachers=roster(), county=None)


def test_apply_scenario_checks_the_snapshot_checksum() -> None:
    snap = _fake_snapshot(county(), "a" * 64)
    assert snapshot_checksum(snap) == "a" * 64
    good = Scenario("甲", "s-2024", "a" * 64, actions=(
        Transfer("A", "B", "primary", 1, teacher_ids=("T4",)),))
    applied = apply_scenario(snap, good)
    assert row(applied.schools, "B")["teachers_backbone_primary"] == 1
    assert applied.teachers.set_index("teacher_id").loc["T4", "school_id"] == "B"
    bad = Scenario("乙", "s-2024", "b" * 64)
    with pytest.raises(ScenarioError, match=re.escape(
            f"“数据快照校验值”为 {'b' * 64}：情景「乙」基于的数据与快照 s-2024 不同"
            f"（快照学校表校验和为 {'a' * 64}），不能应用")):
        apply_scenario(snap, bad)


def test_snapshot_checksum_is_the_schools_file_hash() -> None:
    import hashlib

    snapshot = read_snapshot(DEMO)
    digest = hashlib.sha256((DEMO / "schools.parquet").read_bytes()).hexdigest()
    assert snapshot_checksum(snapshot) == digest


# ----------------------------------------------------------------------------- JSON


def test_json_is_readable_and_round_trips() -> None:
    s = Scenario("方案一", "demo-990101-2024", "c" * 64, note="城区骨干下乡",
                 actions=(Transfer("A", "B", "primary", 2, backbone=1, teacher_ids=("T1", "T4")),
                          Hire("B", "primary", 1), AddResource("B", "books", 500.0),
                          MovePupils("A", "B", "primary", 10)), created="2024-10-01T00:00:00+00:00")
    text = s.to_json()
    assert "城区骨干下乡" in text
    data = json.loads(text)
    assert data["format"] == 1
    assert [a["kind"] for a in data["actions"]] == ["transfer", "hire", "add_resource", "move_pupils"]
    assert data["actions"][0]["teacher_ids"] == ["T1", "T4"]
    assert Scenario.from_json(text) == s


@pytest.mark.parametrize("text,message", [
    ("{", "情景文件不是有效的 JSON 对象：Expecting property name enclosed in double quotes: "
          "line 1 column 2 (char 1)"),
    ("[]", "情景文件不是有效的 JSON 对象：list"),
    ('{"format": 9, "name": "a", "snapshot_id": "s", "snapshot_sha256": "x"}',
     "“文件格式”为 9：不支持此情景文件格式版本（支持 1）"),
    ('{"name": 3, "snapshot_id": "s", "snapshot_sha256": "x"}', "“情景名称”为 3：类型应为 str"),
    ('{"name": "a", "snapshot_id": "s", "snapshot_sha256": "x", "actions": [{"kind": "fly"}]}',
     "第 1 项操作（fly），“操作类型”为 fly：未知的操作类型（应为 transfer、hire、add_resource 或 move_pupils）"),
    ('{"name": "a", "snapshot_id": "s", "snapshot_sha256": "x", '
     '"actions": [{"kind": "hire", "school_id": "A", "stage": "primary"}]}',
     "第 1 项操作（招聘教师），“人数”为 ：缺少必填字段"),
    ('{"name": "a", "snapshot_id": "s", "snapshot_sha256": "x", '
     '"actions": [{"kind": "hire", "school_id": "A", "stage": "primary", "count": "2"}]}',
     "第 1 项操作（招聘教师），“人数”为 2：类型应为 int"),
    ('{"name": "a", "snapshot_id": "s", "snapshot_sha256": "x", '
     '"actions": [{"kind": "hire", "school_id": "A", "stage": "primary", "count": 2, "x": 1}]}',
     "第 1 项操作（招聘教师），“填写的值”为 1：此类操作没有这个字段"),
])
def test_bad_json_is_refused(text: str, message: str) -> None:
    with pytest.raises(ScenarioError, match=f"^{re.escape(message)}$"):
        Scenario.from_json(text)


# ----------------------------------------------------------------------------- properties

ids = st.text(alphabet="AB甲乙0123456789", min_size=1, max_size=6)
counts = st.integers(min_value=-3, max_value=10_000)
texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)
actions = st.one_of(
    st.builds(Transfer, ids, ids, st.sampled_from(STAGES), counts, counts, counts, counts, counts,
              st.lists(ids, max_size=3).map(tuple)),
    st.builds(Hire, ids, st.sampled_from(STAGES), counts, counts, counts, counts, counts),
    st.builds(AddResource, ids, st.sampled_from(RESOURCE_COLUMNS),
              st.floats(allow_nan=False, allow_infinity=False)),
    st.builds(MovePupils, ids, ids, st.sampled_from(STAGES), counts),
)
scenarios = st.builds(Scenario, texts, texts, st.text("0123456789abcdef", max_size=64), texts,
                      st.lists(actions, max_size=6).map(tuple), texts)


@given(scenarios)
def test_json_round_trip_is_identity(s: Scenario) -> None:
    assert Scenario.from_json(s.to_json()) == s


@cache
def random_table(seed: int) -> pd.DataFrame:
    return random_county(np.random.default_rng(seed), 12)


@st.composite
def feasible_transfers(draw, schools: pd.DataFrame, n_max: int = 4) -> list[Transfer]:
    """Draw a sequence of transfers (and pupil moves) that is possible on ``schools``."""
    table = schools.copy()
    out: list = []
    for _ in range(draw(st.integers(1, n_max))):
        stage = draw(st.sampled_from(STAGES))
        have = table[table[f"teachers_{stage}"] > 0]
        if len(have) < 2:
            continue
        source = draw(st.sampled_from(sorted(have["school_id"])))
        target = draw(st.sampled_from(sorted(set(have["school_id"]) - {source})))
        r = table.set_index("school_id").loc[source]
        n = int(r[f"teachers_{stage}"])
        if draw(st.booleans()):
            pupils = int(r[f"students_{stage}"])
            if pupils:
                move = MovePupils(source, target, stage, draw(st.integers(1, pupils)))
                table = apply_actions(table, [move]).schools
                out.append(move)
            continue
        count = draw(st.integers(1, n))
        attrs = {}
        for attr in TEACHER_ATTRS:
            k = int(r[attribute_column(attr, stage)])
            attrs[attr] = draw(st.integers(max(0, count - (n - k)), min(count, k)))
        action = Transfer(source, target, stage, count, **attrs)
        table = apply_actions(table, [action]).schools
        out.append(action)
    return out


PROPERTY = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(st.integers(0, 5), st.data())
def test_applying_never_changes_its_input(seed: int, data: st.DataObject) -> None:
    schools = random_table(seed)
    keep = schools.copy(deep=True)
    ids_ = sorted(schools["school_id"])
    drawn = data.draw(st.lists(st.one_of(
        st.builds(Transfer, st.sampled_from(ids_), st.sampled_from(ids_), st.sampled_from(STAGES),
                  st.integers(0, 40), st.integers(0, 20)),
        st.builds(Hire, st.sampled_from(ids_), st.sampled_from(STAGES), st.integers(0, 5)),
        st.builds(AddResource, st.sampled_from(ids_), st.sampled_from(RESOURCE_COLUMNS),
                  st.integers(1, 100).map(float)),
        st.builds(MovePupils, st.sampled_from(ids_), st.sampled_from(ids_),
                  st.sampled_from(STAGES), st.integers(0, 300))), max_size=5))
    try:
        apply_actions(schools, drawn)
    except ScenarioError:
        pass
    pd.testing.assert_frame_equal(schools, keep)


@PROPERTY
@given(st.integers(0, 5), st.data())
def test_transfers_conserve_county_totals(seed: int, data: st.DataObject) -> None:
    schools = random_table(seed)
    moves = data.draw(feasible_transfers(schools))
    after = apply_actions(schools, moves).schools
    columns = TEACHER_COLUMNS + [f"students_{s}" for s in STAGES]
    pd.testing.assert_frame_equal(totals(after, columns), totals(schools, columns))
    for attr in TEACHER_ATTRS:  # and no school has more of an attribute than teachers
        for stage in STAGES:
            assert (after[attribute_column(attr, stage)] <= after[f"teachers_{stage}"]).all()
            assert (after[attribute_column(attr, stage)] >= 0).all()


def reverse(action):
    if isinstance(action, Transfer):
        return Transfer(action.to_school_id, action.from_school_id, action.stage, action.count,
                        action.above_degree, action.mid_title, action.backbone, action.pe_art)
    return MovePupils(action.to_school_id, action.from_school_id, action.stage, action.count)


@PROPERTY
@given(st.integers(0, 5), st.data())
def test_a_transfer_then_its_reverse_restores_the_table(seed: int, data: st.DataObject) -> None:
    schools = random_table(seed)
    moves = data.draw(feasible_transfers(schools))
    back = [reverse(a) for a in reversed(moves)]
    pd.testing.assert_frame_equal(apply_actions(schools, moves + back).schools, schools)


# ----------------------------------------------------------------------------- CV (a)


@cache
def demo_snapshot() -> Snapshot:
    return read_snapshot(DEMO)


def _robin_hood(scheme: str, indicator: str, column: str, per: float, flag: str | None):
    """Return (before CV, after CV) of ``indicator`` when one roster teacher (with ``flag``)
    moves from the richest primary unit to the poorest one that stays below it."""
    snapshot = demo_snapshot()
    before = evaluate(snapshot.schools)
    units = before.units[scheme].query("stage == 'primary'").set_index("school_id")
    rich = units[indicator].idxmax()
    step = per / units["students"]
    ok = units[units[indicator] + step < units.loc[rich, indicator] - step.loc[rich]]
    poor = ok[indicator].idxmin()
    teachers = roster_attributes(snapshot.teachers)
    pool = teachers[(teachers["school_id"] == rich) & (teachers["stage"] == "primary")]
    if flag:
        pool = pool[pool[flag] == 1]
    move = Transfer(rich, poor, "primary", 1, teacher_ids=(str(pool["teacher_id"].iloc[0]),))
    after = evaluate(apply_actions(snapshot.schools, [move], teachers=snapshot.teachers).schools)
    assert row(apply_actions(snapshot.schools, [move], teachers=snapshot.teachers).schools,
               poor)[column] == row(snapshot.schools, poor)[column] + 1

    def cv(ev):
        return float(ev.indicators.query(
            f"stage == 'primary' and scheme == '{scheme}' and indicator == '{indicator}'")["cv"].iloc[0])

    return cv(before), cv(after)


@pytest.mark.parametrize("scheme,indicator,column,per,flag", [
    ("quality", "Q2", "teachers_backbone_primary", 100.0, "backbone"),
    ("basic", "B6", "teachers_primary", 1.0, None),
])
def test_rich_to_poor_transfer_lowers_the_cv(scheme, indicator, column, per, flag) -> None:
    """docs/method.md §2 consequence (a): moving from unit k to unit j lowers the CV iff x_j < x_k."""
    before, after = _robin_hood(scheme, indicator, column, per, flag)
    assert after < before


# ----------------------------------------------------------------------------- store


def demo_scenario(name: str = "方案一", note: str = "") -> Scenario:
    return Scenario(name, "demo-990101-2024", "d" * 64, note=note,
                    actions=(Hire("A", "primary", 2), MovePupils("A", "B", "primary", 5)))


def test_store_saves_lists_loads_and_deletes(tmp_path: Path) -> None:
    store = ScenarioStore(scenario_root(tmp_path))
    assert store.list() == []
    path = store.save(demo_scenario("方案一", "第一稿"))
    assert path == tmp_path / "scenarios" / "方案一.json"
    store.save(demo_scenario("plan-b"))
    infos = store.list()
    assert [i.name for i in infos] == ["plan-b", "方案一"]
    assert infos[1].note == "第一稿" and infos[1].actions == 2 and infos[1].created
    loaded = store.load("方案一")
    assert loaded.actions == demo_scenario().actions and loaded.created == infos[1].created
    store.delete("plan-b")
    assert store.names() == ["方案一"]
    assert not list((tmp_path / "scenarios").glob(".tmp-*"))


def test_store_refuses_to_overwrite_unless_asked(tmp_path: Path) -> None:
    store = ScenarioStore(tmp_path)
    store.save(demo_scenario(note="旧"))
    with pytest.raises(ScenarioError, match=re.escape(
            "“情景名称”为 方案一：已有同名的情景；如要替换，请勾选“覆盖同名情景”")):
        store.save(demo_scenario(note="新"))
    assert store.load("方案一").note == "旧"
    store.save(demo_scenario(note="新"), overwrite=True)
    assert store.load("方案一").note == "新"
    assert len(list(tmp_path.iterdir())) == 1


@pytest.mark.parametrize("name", ["", " 方案", "方案 ", ".hidden", "../up", "a/b", "_x", "x" * 65,
                                  "a\nb", "a.json"])
def test_store_refuses_bad_names(tmp_path: Path, name: str) -> None:
    with pytest.raises(ScenarioError, match=re.escape(f"“情景名称”为 {name}：情景名称须为 1–64 个")):
        ScenarioStore(tmp_path).save(demo_scenario(name))
    assert not tmp_path.exists() or not list(tmp_path.iterdir())


def test_store_missing_names_are_reported(tmp_path: Path) -> None:
    store = ScenarioStore(tmp_path)
    for call in (store.load, store.delete):
        with pytest.raises(ScenarioError, match=re.escape("“情景名称”为 无：没有这个名称的已保存情景")):
            call("无")


def test_listing_skips_temporary_and_broken_files(tmp_path: Path) -> None:
    store = ScenarioStore(tmp_path)
    store.save(demo_scenario())
    (tmp_path / ".tmp-abc.json").write_text("{", encoding="utf-8")
    (tmp_path / "broken.json").write_text('{"name": ', encoding="utf-8")
    assert store.names() == ["方案一"]


def test_concurrent_saves_of_different_names_all_survive(tmp_path: Path) -> None:
    store = ScenarioStore(tmp_path)
    barrier = threading.Barrier(24)
    errors: list[BaseException] = []

    def save(k: int) -> None:
        try:
            barrier.wait()
            store.save(demo_scenario(f"s{k:02d}", note=str(k)))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(k,)) for k in range(24)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    assert store.names() == [f"s{k:02d}" for k in range(24)]
    assert all(store.load(f"s{k:02d}").note == str(k) for k in range(24))


def test_concurrent_saves_of_one_name_never_tear(tmp_path: Path) -> None:
    store = ScenarioStore(tmp_path)
    notes = {str(k) * 2000 for k in range(8)}  # big enough that a torn write would show
    stop = threading.Event()
    seen: list[str] = []
    bad: list[BaseException] = []

    def read() -> None:
        while not stop.is_set():
            try:
                seen.append(store.load("同名").note)
            except ScenarioError as exc:
                if exc.rule != "not_found":
                    bad.append(exc)

    def write(note: str) -> None:
        for _ in range(20):
            store.save(demo_scenario("同名", note), overwrite=True)

    reader = threading.Thread(target=read)
    reader.start()
    writers = [threading.Thread(target=write, args=(n,)) for n in notes]
    for th in writers:
        th.start()
    for th in writers:
        th.join()
    stop.set()
    reader.join()
    assert not bad
    assert seen and set(seen) <= notes
    assert store.load("同名").note in notes
    assert [p.name for p in tmp_path.iterdir()] == ["同名.json"]


def test_concurrent_first_saves_of_one_name_keep_exactly_one(tmp_path: Path) -> None:
    store = ScenarioStore(tmp_path)
    barrier = threading.Barrier(12)
    outcome: list[str] = []

    def save(k: int) -> None:
        barrier.wait()
        try:
            store.save(demo_scenario("抢先", note=str(k)))
            outcome.append(str(k))
        except ScenarioError as exc:
            outcome.append(exc.rule)

    threads = [threading.Thread(target=save, args=(k,)) for k in range(12)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    winners = [o for o in outcome if o != "exists"]
    assert len(winners) == 1 and outcome.count("exists") == 11
    assert store.load("抢先").note == winners[0]


SAVE_SCRIPT = """
import sys, time
from dashboard.planning.scenario import Hire, Scenario, ScenarioStore
root, name, note, start = sys.argv[1:5]
while time.time() < float(start):
    time.sleep(0.001)
s = Scenario(name, "demo", "d" * 64, note=note * 3000, actions=(Hire("A", "primary", 1),))
for _ in range(10):
    ScenarioStore(root).save(s, overwrite=True)
"""


def test_concurrent_saves_from_processes(tmp_path: Path) -> None:
    import time

    start = str(time.time() + 3.0)
    jobs = [(f"p{k}", str(k)) for k in range(4)] + [("共用", str(k)) for k in range(4)]
    procs = [subprocess.Popen([sys.executable, "-c", SAVE_SCRIPT, str(tmp_path), name, note, start],
                              cwd=REPO, stderr=subprocess.PIPE) for name, note in jobs]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    store = ScenarioStore(tmp_path)
    assert store.names() == ["p0", "p1", "p2", "p3", "共用"]
    assert store.load("共用").note in {str(k) * 3000 for k in range(4)}
    assert all(store.load(f"p{k}").note == str(k) * 3000 for k in range(4))
    assert not list(tmp_path.glob(".tmp-*"))


def test_a_scenarios_folder_is_not_a_snapshot(tmp_path: Path) -> None:
    write_snapshot(tmp_path, "s-2024", county().iloc[:4], source="test",
                   created="2024-09-30T00:00:00+00:00")
    ScenarioStore(scenario_root(tmp_path)).save(demo_scenario())
    assert [i.id for i in list_snapshots(tmp_path)] == ["s-2024"]
