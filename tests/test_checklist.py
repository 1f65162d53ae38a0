"""The county readiness checklist: every component of both assessments, failures first."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.method.compliance import county_checklist, derive_school_items
from dashboard.method.engine import evaluate
from dashboard.store.demo import build_demo


@pytest.fixture(scope="module")
def demo():
    d = build_demo()
    return d.schools[2024], d.county[2024]


def _checklist(schools, county, lang="zh"):
    ev = evaluate(schools)
    return ev, county_checklist(county_code="990101", year=2024, indicators=ev.indicators,
                                composites=ev.composites, school_rules=ev.school_rules,
                                schools=schools, county=county, lang=lang)


def test_every_component_is_listed_once_with_failures_first(demo):
    schools, county = demo
    ev, items = _checklist(schools, county)
    ids = [i.item_id for i in items]
    assert len(ids) == len(set(ids))
    expected = {"B_CV_COMPOSITE:primary", "B_CV_COMPOSITE:junior", "BS_RULE", "Q_SCHOOL_RULE",
                "B_COND_SCORE", "B_GOV_SCORE", "B_SATISFACTION", "S1", "P1", "VERDICT:basic", "VERDICT:quality",
                *(f"VERDICT:{m}:{s}" for m in ("basic", "quality") for s in ("primary", "junior")),
                *(f"B_VETO_{k}" for k in range(1, 5)), *(f"G{k}" for k in range(1, 16)),
                *(f"E{k}" for k in range(1, 10)), *(f"V{k}" for k in range(1, 7)),
                *(f"Q{k}:{s}" for k in range(1, 8) for s in ("primary", "junior"))}
    assert set(ids) == expected
    # the verdicts first (both schemes overall and per stage), then the failures
    assert [i.group for i in items[:6]] == ["verdict"] * 6
    rest = [i.status for i in items[6:]]
    assert rest == sorted(rest, key={"fail": 0, "missing": 1, "pass": 2}.get)


def test_cv_items_agree_with_the_engine(demo):
    schools, county = demo
    ev, items = _checklist(schools, county)
    by_id = {i.item_id: i for i in items}
    for r in ev.indicators[ev.indicators.scheme == "quality"].itertuples():
        item = by_id[f"{r.indicator}:{r.stage}"]
        assert item.status == ("pass" if r.passed else "fail")
        assert item.value == f"{r.cv:.3f}"
    for r in ev.composites.itertuples():
        assert by_id[f"B_CV_COMPOSITE:{r.stage}"].status == ("pass" if r.passed else "fail")


def test_verdict_lists_every_failing_component(demo):
    schools, county = demo
    _, items = _checklist(schools, county)
    for scheme in ("basic", "quality"):
        verdict = next(i for i in items if i.item_id == f"VERDICT:{scheme}")
        failing = {i.item_id for i in items if i.scheme == scheme and i.status == "fail" and i.group != "verdict"}
        assert set(verdict.detail) == failing
        assert verdict.status == ("fail" if failing else "pass")


def test_county_values_are_judged_by_threshold_and_direction(demo):
    schools, _ = demo
    county = pd.DataFrame([
        {"county_code": "990101", "year": 2024, "item_id": "B_GOV_SCORE", "value": "84.5", "passed": None,
         "evidence": "复查评分", "stage": None},
        {"county_code": "990101", "year": 2024, "item_id": "S1", "value": "85", "passed": None,
         "evidence": "", "stage": None},
        {"county_code": "990101", "year": 2024, "item_id": "V3", "value": "true", "passed": None,
         "evidence": "存在重点班", "stage": None},
        {"county_code": "990101", "year": 2024, "item_id": "G13", "value": "100", "passed": None,
         "evidence": "", "stage": "primary"},
        {"county_code": "990101", "year": 2024, "item_id": "G13", "value": "94", "passed": None,
         "evidence": "", "stage": "junior"},
    ])
    _, items = _checklist(schools, county)
    by_id = {i.item_id: i for i in items}
    assert by_id["B_GOV_SCORE"].status == "fail" and by_id["B_GOV_SCORE"].target == "≥ 85 分"
    assert by_id["B_GOV_SCORE"].value == "84.5 分"
    assert by_id["S1"].status == "pass"
    assert by_id["V3"].status == "fail" and by_id["V3"].evidence == "存在重点班"
    assert by_id["G13"].status == "fail"
    assert by_id["G13"].target == "小学 ≥ 100%；初中 ≥ 95%"
    assert by_id["G13"].value == "小学 100%；初中 94%"
    assert by_id["V3"].value == "是" and by_id["V3"].target == "否"
    assert by_id["E4"].status == "missing"
    verdict = by_id["VERDICT:quality"]
    assert "V3" in verdict.detail and verdict.status == "fail"


def test_school_items_are_derived_when_the_county_table_lacks_them(demo):
    schools, _ = demo
    _, items = _checklist(schools, None, lang="en")
    by_id = {i.item_id: i for i in items}
    derived = derive_school_items(schools)
    assert by_id["G4"].status == ("pass" if derived["G4"].all() else "fail")
    assert by_id["G4"].evidence.startswith("derived from the schools table")
    assert by_id["B_GOV_SCORE"].status == "missing"
    assert by_id["VERDICT:basic"].value.endswith("without data")
    # without a county table no stage can pass: its county items lack data
    for stage in ("primary", "junior"):
        assert by_id[f"VERDICT:basic:{stage}"].status in ("fail", "missing")
        assert "B_GOV_SCORE" in by_id[f"VERDICT:basic:{stage}"].detail


def test_stage_verdicts_are_the_verdict_module(demo):
    from dashboard.method.verdict import county_verdicts

    schools, county = demo
    ev, items = _checklist(schools, county)
    by_id = {i.item_id: i for i in items}
    verdicts = county_verdicts(county_code="990101", year=2024, indicators=ev.indicators,
                               composites=ev.composites, school_rules=ev.school_rules,
                               schools=schools, county=county)
    for (scheme, stage), v in verdicts.items():
        item = by_id[f"VERDICT:{scheme}:{stage}" if stage else f"VERDICT:{scheme}"]
        assert item.status == v.status
    # basic primary: the composite passes, one school fails the provincial standard
    basic = by_id["VERDICT:basic:primary"]
    assert basic.status == "fail" and any(":primary" in d for d in basic.detail)
    # each part with its status, as a line of its own reads it
    assert basic.value.startswith("差异系数：达标；学校达标：未达标")
    en = {i.item_id: i for i in _checklist(schools, county, "en")[1]}["VERDICT:basic:primary"]
    assert en.value.startswith("The CV test: Pass; the school standard: Fail")


def test_derive_school_items_by_hand():
    from schoolframes import frame, school

    s = frame(school("A", students_primary=2100, classes_primary=40, music_rooms=4, art_rooms=3),
              school("B", "nine_year", students_primary=1500, students_junior=900, classes_primary=34,
                     classes_junior=20, music_rooms=5, art_rooms=5))
    d = derive_school_items(s).set_index("school_id")
    assert not d.loc["A", "G3"]            # 40 classes need 4 art rooms
    assert not d.loc["A", "G4"]            # 2 100 > 2 000
    assert not d.loc["A", "G5"]            # 52.5 per class > 45
    assert d.loc["B", "G3"] and d.loc["B", "G4"] and d.loc["B", "G5"]  # 2 400 ≤ 2 500 for 一贯制


def test_the_page_model_lists_the_same_items_with_counts_per_scheme(demo):
    from dashboard.i18n import t
    from dashboard.ui import checklist

    schools, county = demo
    ev, items = _checklist(schools, county)
    shown = checklist.checklist_items(ev, schools, county, "990101", 2024, "zh")
    assert [(i.item_id, i.status) for i in shown] == [(i.item_id, i.status) for i in items]
    frame = checklist.checklist_frame(shown, "zh", problems_only=True)
    assert list(frame["status"]) == [i.status for i in items if i.status != "pass"]
    assert set(checklist.checklist_columns("zh")) <= set(frame.columns)
    counts = checklist.checklist_counts(shown).set_index("scheme")
    for scheme in ("basic", "quality"):
        parts = [i for i in items if i.scheme == scheme and i.group != "verdict"]
        assert counts.loc[scheme, "total"] == len(parts)
        assert counts.loc[scheme, "failed"] == sum(i.status == "fail" for i in parts)
    # the table drawn: the visible columns, each status a one-label list with a colour
    table = checklist.checklist_table(frame, "zh").to_pandas()
    status_col = t("app.check.col.status", "zh")
    assert list(table.columns) == checklist.checklist_columns("zh")
    assert [list(v) for v in table[status_col]] == [[t(f"status.{s}", "zh")] for s in frame["status"]]
    labels, colours = checklist.status_labels("zh")
    assert dict(zip(labels, colours, strict=True))[t("status.fail", "zh")] == checklist.STATUS_BACKGROUND["fail"]
    assert set(table[status_col].map(lambda v: v[0])) <= set(labels)


def test_every_figure_has_its_unit_in_both_languages(demo):
    """Values, targets and evidence: a unit beside every number, yes/no in words, thousands
    separators (issue 9 point 5)."""
    schools, county = demo
    zh = {i.item_id: i for i in _checklist(schools, county, lang="zh")[1]}
    en = {i.item_id: i for i in _checklist(schools, county, lang="en")[1]}
    assert (zh["G4"].value, zh["G4"].target) == ("2,990 人", "≤ 2,000 人")
    assert (en["G4"].value, en["G4"].target) == ("2,990 pupils", "≤ 2,000 pupils")
    assert (zh["G11"].value, zh["G11"].target) == (
        "交流轮岗比例 8.1%；骨干教师占交流轮岗教师 36.5%", "交流轮岗 ≥ 10%；其中骨干教师 ≥ 20%")
    assert zh["G5"].value == "小学 54.8 人/班；初中 55.8 人/班"
    assert en["G5"].target == "Primary ≤ 45 pupils/class; Junior secondary ≤ 50 pupils/class"
    assert (zh["G7"].value, zh["G7"].target) == ("6,500 元/生", "≥ 6,000 元/生")
    assert (zh["B_VETO_1"].value, en["B_VETO_1"].value) == ("否", "no")
    assert (zh["G1"].value, en["G1"].value) == ("是", "yes")
    assert zh["E9"].value == "学业水平 III 级，校际差异率 0.12"
    assert zh["Q6:primary"].evidence == "县均值 3,058 元/生"
    assert en["Q5:junior"].evidence == "county mean 11.87 m²/pupil"
    assert zh["BS_RULE"].value == "24 / 42 个学校（学段）达标（2 个未达标，16 个仅近似判断，0 个缺数据）"
    assert en["Q_SCHOOL_RULE"].target == "all 55 school units pass"
    assert zh["B_CV_COMPOSITE:primary"].evidence.startswith(
        "小学各指标差异系数：生均教学及辅助用房面积 0.320；生均体育运动场馆面积 0.596；")
    # the county's notes are Chinese text: English pages say where the figure comes from
    assert en["G11"].evidence.startswith("as reported in the county table")
    assert zh["G11"].evidence.startswith("2024年交流轮岗 115 人")
    for item in en.values():
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in item.name_en), item.name_en


def test_failing_schools_are_named_primary_first_then_by_school_code(demo):
    """The school rule's evidence names the failing units as the report's tables list them:
    小学 before 初中, within a stage by school code (it named 初中 units first, in the engine's
    alphabetical stage order, noticed by the outputs audit)."""
    schools, county = demo
    ev, items = _checklist(schools, county)
    item = next(i for i in items if i.item_id == "Q_SCHOOL_RULE")
    rules = ev.school_rules
    failing = rules[(rules["scheme"] == "quality") & (rules["school_status"] == "fail")]
    assert set(failing["stage"]) == {"primary", "junior"}
    expected = [f"{n}（{'初中' if later else '小学'}）" for later, _, n in sorted(
        zip(failing["stage"] != "primary", failing["school_id"].astype(int), failing["school_name"],
            strict=True))]
    assert all(name in item.evidence for name in expected), (expected, item.evidence)
    at = [item.evidence.index(name) for name in expected]
    assert at == sorted(at), item.evidence
