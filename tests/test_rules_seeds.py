"""Each rule as the seeds word it (issue 12): class caps on every class, G3 room areas, the 17
government items, G11 and G15 both parts, E9 parsed, a profile's numeric veto, the
experiment-equipment item and the teaching-point switch."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.method.compliance import basic_school_rule, county_items
from dashboard.method.engine import evaluate
from dashboard.method.profiles_county import (
    GOV_ITEMS,
    RuleFacts,
    derive_g3,
    derive_g5,
    gov_items,
    judge_e9,
    judge_g11,
    judge_g15,
    judge_veto,
    with_facility_facts,
)
from dashboard.method.profiles_school import class_stats
from dashboard.method.standards import DEFAULT_PARAMS
from dashboard.method.units import build_units
from dashboard.store.contract.facts import validate_classes, validate_rooms
from dashboard.store.demo import build_demo


def _unit(**kw) -> pd.DataFrame:
    """One junior unit meeting every item of the example profile except as changed."""
    base = dict(unit_id="s1:junior", year=2024, county_code="990101", stage="junior",
                students=480, classes=10, teachers=30, boarders=0, dorm_area_m2=0.0,
                building_area_m2=3000.0, sports_area_m2=3000.0, books=15000.0,
                equipment_value_yuan=200_000.0, computers=60.0, av_all_classes=True, share=1.0)
    base.update(kw)
    return pd.DataFrame([base])


def _classes(pupils: list[int], stage: str = "junior", school: str = "s1") -> pd.DataFrame:
    return pd.DataFrame({"year": 2024, "school_id": school, "stage": stage, "grade": 7,
                         "class_name": [str(k) for k in range(len(pupils))], "pupils": pupils})


def test_class_of_56_fails_the_junior_cap_though_the_average_passes():
    """seeds/000_545ee5185a508de6.txt: "⑨班額…初中不超過50人,不多于55人" — judged on every
    class: a class of 56 breaks it even where the school averages 48."""
    unit = _unit(students=480, classes=10)  # average 48
    on_average = basic_school_rule(unit).iloc[0]
    assert on_average["state_BS9"] == 3 and "BS9" in on_average["approximated"]
    stats = class_stats(_classes([56, 52, 48, 46, 46, 46, 46, 46, 47, 47]))
    assert int(stats["largest"].iloc[0]) == 56 and int(stats["over_cap"].iloc[0]) == 1
    assert int(stats["over_limit"].iloc[0]) == 2
    exact = basic_school_rule(unit, stats=stats).iloc[0]
    assert "BS9" in exact["failing"] and exact["value_BS9"] == 56


def test_a_junior_school_averaging_55_2_fails_for_sure():
    """Issue 12: "a junior school averaging 55.2 passes today" — an average over 50 means some
    class is over 50, so the item fails without class rows."""
    r = basic_school_rule(_unit(students=552, classes=10)).iloc[0]
    assert "BS9" in r["failing"] and r["state_BS9"] == 0


def test_g5_on_every_class_or_approximated_on_averages():
    """seeds/002_36f054a2f15d7dd8.txt: "(五)小学、初中所有班级学生数分别不超过45人、50人"."""
    schools = pd.DataFrame({"school_id": ["s1"], "school_name": ["甲中学"], "school_type": ["junior"],
                            "classes_primary": [0], "classes_junior": [10],
                            "students_primary": [0], "students_junior": [480]})
    assert derive_g5(schools, None, "zh").status == "approximated"
    over = derive_g5(schools, _classes([51] + [47] * 9), "zh")
    assert over.status == "fail" and over.ids == ("s1",) and "甲中学" in over.evidence
    assert derive_g5(schools, _classes([48] * 10), "en").status == "pass"


def _g3_schools() -> pd.DataFrame:
    return pd.DataFrame({"school_id": ["s1", "tp"], "school_name": ["甲小学", "乙教学点"],
                         "school_type": ["primary", "teaching_point"],
                         "classes_primary": [18, 2], "classes_junior": [0, 0],
                         "music_rooms": [2, 0], "art_rooms": [2, 0]})


def test_g3_room_areas_96_and_90_square_metres():
    """seeds/002_36f054a2f15d7dd8.txt: "每12个班级配备音乐、美术专用教室1间以上;其中,每间音乐
    专用教室面积不小于96平方米,每间美术专用教室面积不小于90平方米"."""
    schools = _g3_schools()
    rooms = pd.DataFrame({"school_id": ["s1", "s1"], "kind": ["music", "art"], "count": [2, 2],
                          "area_m2": [96.0, 90.0], "year": 2024})
    assert derive_g3(schools, rooms, "zh").status == "pass"
    small = rooms.assign(area_m2=[95.0, 90.0])  # one square metre short: no music room counts
    short = derive_g3(schools, small, "zh")
    assert short.status == "fail" and short.ids == ("s1",)
    # counts alone: enough rooms, areas unknown — approximated, never a pass
    assert derive_g3(schools, None, "zh").status == "approximated"


def test_g3_never_fails_a_teaching_point_when_the_county_table_lacks_g3():
    """seeds/002: G3 applies to 所有小学、初中; a teaching point without rooms is not failed."""
    j = derive_g3(_g3_schools(), None, "en")
    assert j.status != "fail" and "tp" not in j.ids


def _gov(points: list[float], full: list[float] | None = None) -> pd.DataFrame:
    values = [f"{p:g}" if full is None else f"{p:g}/{f:g}" for p, f in
              zip(points, full or points, strict=True)]
    return pd.DataFrame({"item_id": GOV_ITEMS[:len(points)], "value": values})


def test_seventeen_government_items_sum_to_85_or_more():
    """seeds/000_545ee5185a508de6.txt: "入學機會、保障機制、教師隊伍、質量與管理四個方面的17項
    指標…總分為100分;達到85分以上的縣方可視為達到此項評估的要求"."""
    full = [6.0] * 16 + [4.0]  # 100 in all
    assert sum(full) == 100
    exactly = [5.0] * 17  # 85
    assert gov_items(_gov(exactly, full), "zh").status == "pass"
    below = [5.0] * 16 + [4.5]  # 84.5
    judged = gov_items(_gov(below, full), "zh")
    assert judged.status == "fail" and "84.5" in judged.value
    sixteen = gov_items(_gov([6.0] * 16), "en")
    assert sixteen.status == "missing" and "17" in sixteen.evidence
    wrong_full = gov_items(_gov(exactly, [6.0] * 16 + [5.0]), "zh")
    assert wrong_full.status == "missing"  # full marks 101: not the standard's 100
    assert gov_items(pd.DataFrame({"item_id": ["G1"], "value": ["true"]}), "zh") is None


def test_government_items_replace_the_single_score_in_the_checklist():
    county = pd.concat([_gov([5.0] * 16 + [4.0]),
                        pd.DataFrame({"item_id": ["B_GOV_SCORE"], "value": ["90"]})])
    county = county.assign(county_code="990101", year=2024, stage=None, passed=None, evidence="")
    items = {i.item_id: i for i in county_items("basic", county_code="990101", year=2024,
                                                   county=county)}
    assert items["B_GOV_SCORE"].status == "fail"  # 84 from the items, not the 90 given
    assert items["B_GOV_SCORE"].detail == GOV_ITEMS


def test_g11_needs_both_rotation_figures():
    """seeds/002: "(十一)…交流轮岗教师的比例不低于符合交流条件教师总数的10%;其中,骨干教师不低于
    交流轮岗教师总数的20%"."""
    assert judge_g11("12;25", None, "zh").status == "pass"
    assert judge_g11("12;18", None, "zh").status == "fail"
    assert judge_g11("8;25", None, "zh").status == "fail"
    assert judge_g11("12", None, "zh").status == "missing"  # the backbone share is needed
    assert judge_g11("12", True, "zh").status == "pass"  # the county's own mark covers it


def test_g15_needs_the_left_behind_care_system():
    """seeds/002: "(十五)留守儿童关爱体系健全,全县符合条件的随迁子女…就读的比例不低于85%"."""
    assert judge_g15("86;是", None, "zh").status == "pass"
    assert judge_g15("86;否", None, "zh").status == "fail"
    assert judge_g15("84;是", None, "en").status == "fail"
    assert judge_g15("86", None, "zh").status == "missing"


def test_e9_level_three_and_rate_below_0_15():
    """seeds/002: "(九)…学生学业水平达到Ⅲ级以上,且校际差异率低于0.15"."""
    assert judge_e9("III;0.14", "zh").status == "pass"
    assert judge_e9("Ⅳ;0.10", "zh").status == "pass"
    assert judge_e9("III;0.15", "zh").status == "fail"  # lower than 0.15, not equal
    assert judge_e9("II;0.10", "zh").status == "fail"
    assert judge_e9("待公布", "zh").status == "missing"


def test_profile_veto_with_its_number():
    """seeds/004_4cab76480bc3eb85.txt: "确保三类残疾儿童少年入学率不低于90%" (the profile
    yunnan_10 carries it as the veto B_VETO_2 with its number)."""
    assert judge_veto("B_VETO_2", "92.5", "yunnan_10", "zh").status == "pass"
    assert judge_veto("B_VETO_2", "89", "yunnan_10", "zh").status == "fail"
    assert judge_veto("B_VETO_2", "false", "yunnan_10", "zh").status == "missing"
    assert judge_veto("B_VETO_2", "89", "example_9of7", "zh") is None


def test_experiment_equipment_judged_on_its_own_value_when_given():
    """seeds/000: "⑤教學實驗儀器配置…初中9個教學班及以下不低于10萬元,10個教學班及以上不低于15
    萬元" — experiment equipment, not every piece of equipment (computers included)."""
    unit = _unit()  # 10 classes: ≥ 150 000; all equipment 200 000
    assert basic_school_rule(unit).iloc[0]["state_BS5"] == 3  # approximated on the total
    rooms = pd.DataFrame({"year": [2024], "school_id": ["s1"], "kind": ["experiment_equipment"],
                          "count": [1], "area_m2": [None], "value_yuan": [120_000.0]})
    exact = basic_school_rule(with_facility_facts(unit, rooms)).iloc[0]
    assert "BS5" in exact["failing"] and exact["value_BS5"] == 120_000.0


def test_teaching_points_merged_or_left_out_under_basic():
    """seeds/004_4cab76480bc3eb85.txt: "(教学点和民办学校暂不纳入差异系数计算)" — the switch
    tp_basic: merge (the default practice) or exclude."""
    schools = build_demo().schools[2024]
    points = schools[schools["school_type"] == "teaching_point"]
    assert len(points) > 0
    merged = build_units(schools, "basic", DEFAULT_PARAMS)
    left_out = build_units(schools, "basic", DEFAULT_PARAMS.with_(tp_basic="exclude"))
    assert merged["merged_points"].sum() > 0 and left_out["merged_points"].sum() == 0
    moved = points["students_primary"].sum()
    assert merged["students"].sum() - left_out["students"].sum() == moved
    ev = evaluate(schools, DEFAULT_PARAMS.with_(tp_basic="exclude"))
    assert ev.params.as_dict()["tp_basic"] == "exclude"
    with pytest.raises(ValueError):
        DEFAULT_PARAMS.with_(tp_basic="drop")


def test_class_and_room_rows_are_checked_like_the_other_tables():
    schools = pd.DataFrame({"school_id": ["s1"]})
    bad = pd.DataFrame({"学年": ["2024"], "学校标识码": ["s9"], "学段": ["初中"], "年级": ["7"],
                        "班级": ["1"], "班级人数": ["300"]})
    result = validate_classes(bad, schools, file="班级.xlsx", sheet="班级", header_rows=1)
    assert not result.ok
    rules = {v.rule for v in result.violations}
    assert "school_exists" in rules
    message = result.violations[0].message("zh")
    assert "班级.xlsx" in message and "第 2 行" in message
    rooms = pd.DataFrame({"year": [2024], "school_id": ["s1"], "kind": ["gym"], "count": [1]})
    assert not validate_rooms(rooms, schools).ok
    good = validate_rooms(rooms.assign(kind="music", area_m2=96.0), schools)
    assert good.ok and good.frame["area_m2"].iloc[0] == 96.0


def test_facts_reach_the_county_items():
    schools = build_demo().schools[2024]
    s = schools[schools["school_type"] != "teaching_point"].iloc[:1]
    sid = str(s["school_id"].iloc[0])
    stage = "junior" if int(s["classes_junior"].iloc[0]) else "primary"
    classes = _classes([60], stage=stage, school=sid)
    items = {i.item_id: i for i in county_items(
        "quality", county_code="990101", year=2024, county=None, schools=schools,
        facts=RuleFacts(classes=classes))}
    assert items["G5"].status == "fail" and sid in items["G5"].detail
