"""Rule profiles as data files: listing, each profile's M-of-N rule from its seed, the demo
checklist under every profile, switching profile, and the command line (issue 12)."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from dashboard.cli import main
from dashboard.i18n import t
from dashboard.method.engine import evaluate
from dashboard.method.profiles import PROFILE_DIR, default_profile_id, load_profile, profile_ids
from dashboard.method.profiles_school import judge_units
from dashboard.store.demo import build_demo
from dashboard.ui.checklist import checklist_items, profile_label, scope_text


@pytest.fixture(scope="module")
def demo():
    d = build_demo()
    schools = d.schools[2024]
    return schools, d.county[2024], evaluate(schools)


def test_every_file_is_a_profile_named_by_its_file_with_a_seed_source():
    files = sorted(p.stem for p in PROFILE_DIR.glob("*.json"))
    assert sorted(profile_ids()) == files and len(files) >= 4
    assert profile_ids()[0] == default_profile_id() == "example_9of7"
    for pid in files:
        p = load_profile(pid)
        assert re.fullmatch(r"seeds/00\d_[0-9a-f]{16}\.txt", p.source), p.source
        assert p.source_quote and 0 < p.min_met <= p.n
        assert len(p.indicators) <= p.n
        assert profile_label(pid, "en").endswith(f"{p.rule_text('en')} to be met")
        # the name does not say the rule again ("示例省 9 项指标 7 项达标 · 9 项中 7 项")
        assert "项" not in p.name("zh") and " of " not in p.name("en"), p.name("zh")


def _unit(**kw) -> pd.DataFrame:
    base = dict(unit_id="u:primary", year=2024, stage="primary", students=100, classes=4,
                teachers=6, teachers_above_degree=5, boarders=0, dorm_area_m2=0.0,
                building_area_m2=1500.0, sports_area_m2=900.0, books=2500.0,
                equipment_value_yuan=60_000.0, computers=14.0, av_all_classes=True,
                site_area_m2=1400.0, green_area_m2=160.0)
    base.update(kw)
    return pd.DataFrame([base])


def test_example_profile_seven_of_nine():
    """seeds/000_545ee5185a508de6.txt: "9項指標必須有7項達標"."""
    two_short = judge_units(_unit(books=1000.0, computers=1.0), "example_9of7").iloc[0]
    assert set(two_short["failing"]) == {"BS4", "BS6"}
    assert two_short["school_status"] != "fail"  # 7 of 9 still possible
    three = judge_units(_unit(books=1000.0, computers=1.0, av_all_classes=False),
                        "example_9of7").iloc[0]
    assert three["school_status"] == "fail" and not three["school_pass"]


def test_anhui_profile_all_ten_and_its_two_figures():
    """seeds/004_4cab76480bc3eb85.txt: "…等10项指标达到规定要求" and "生机比达到8:1": one item
    short fails; the items without a figure in the seed are 缺数据, never a pass."""
    ok = judge_units(_unit(computers=13.0), "anhui_10").iloc[0]  # 100/13 = 7.7 pupils a computer
    assert ok["school_status"] == "missing" and "AH4" not in ok["failing"]
    short = judge_units(_unit(computers=12.0), "anhui_10").iloc[0]  # 8.3 pupils a computer
    assert short["school_status"] == "fail" and "AH4" in short["failing"]


def test_local_profile_ten_of_ten_with_its_figures():
    """seeds/000: "生均占地面積13.6平方米 … 學生與教師比例19:1 … 高學歷比例(專科)以上75%" — all
    ten; the two equipment items (一类配备) need facts the data does not hold."""
    r = judge_units(_unit(), "local_huanghua_10").iloc[0]
    assert r["school_status"] == "missing" and set(r["uncertain"]) == {"L5", "L6"}
    small_site = judge_units(_unit(site_area_m2=1300.0), "local_huanghua_10").iloc[0]
    assert small_site["school_status"] == "fail" and "L1" in small_site["failing"]
    crowded = judge_units(_unit(teachers=5, students=100, teachers_above_degree=3),
                          "local_huanghua_10").iloc[0]  # 60 % < 75 %, 20 > 19 pupils a teacher
    assert {"L9", "L10"} <= set(crowded["failing"])
    junior = judge_units(_unit(stage="junior"), "local_huanghua_10").iloc[0]
    assert junior["school_status"] == "missing"  # a primary school's list: no junior figures


def test_yunnan_profile_without_its_items_is_missing():
    """seeds/004: "办学基本条件的10项评估指标" — the seed does not name them."""
    r = judge_units(_unit(), "yunnan_10").iloc[0]
    assert r["school_status"] == "missing" and not r["school_pass"]


def test_demo_checklist_shows_every_item_under_every_profile(demo):
    schools, county, ev = demo
    default = {i.item_id for i in checklist_items(ev, schools, county, "990101", 2024, "zh")}
    for pid in profile_ids():
        items = checklist_items(ev, schools, county, "990101", 2024, "zh", profile=pid)
        assert {i.item_id for i in items} == default
        assert all(i.status in ("pass", "fail", "near", "missing", "approximated") for i in items)
        rule = next(i for i in items if i.item_id == "BS_RULE")
        assert load_profile(pid).name("zh") in rule.evidence


def test_switching_profile_changes_the_verdicts_it_should(demo):
    schools, county, ev = demo
    by = {pid: {i.item_id: i for i in checklist_items(ev, schools, county, "990101", 2024, "en",
                                                       profile=pid)} for pid in profile_ids()}
    assert by["example_9of7"]["BS_RULE"].status == "fail"
    assert by["yunnan_10"]["BS_RULE"].status == "missing"
    assert "10 items the source does not list" in by["yunnan_10"]["BS_RULE"].evidence
    # what would decide an approximated unit is said: class rows, the experiment equipment
    assert "class rows" in by["example_9of7"]["BS_RULE"].evidence
    assert by["example_9of7"]["B_VETO_2"].status == "pass"
    assert by["yunnan_10"]["B_VETO_2"].status == "missing"  # the rate is needed
    # nothing of the quality assessment depends on the basic profile
    for item_id in ("VERDICT:quality", "Q_SCHOOL_RULE", "G5", "E9"):
        assert by["anhui_10"][item_id].status == by["example_9of7"][item_id].status
    assert by["example_9of7"]["BS_RULE"].value != by["anhui_10"]["BS_RULE"].value


def test_scope_is_named_beside_the_verdict(demo):
    _, _, ev = demo
    lines = scope_text(ev, "anhui_10", "zh")
    assert "安徽" in lines[0] and "教学点" in lines[1] and "民办" in lines[2] and "1.1" in lines[3]


def test_cli_profiles_and_evaluate_with_a_profile(tmp_path, capsys):
    assert main(["profiles", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [p["id"] for p in listed] == list(profile_ids())
    assert all(p["source"].startswith("seeds/") for p in listed)
    assert [p["source_title"] for p in listed] == [load_profile(i).source_title("zh") for i in profile_ids()]
    assert main(["profiles"]) == 0  # the text listing names each source by its title, not its file
    text = capsys.readouterr().out
    assert "seeds/" not in text and all(load_profile(i).source_title("zh") in text for i in profile_ids())
    assert main(["demo", "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    snap = next((tmp_path / "data").glob("*2024"))
    assert main(["evaluate", str(snap), "--profile", "yunnan_10", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["profile"]["id"] == "yunnan_10" and rep["params"]["province_profile"] == "yunnan_10"
    assert rep["params"]["tp_basic"] == "merge" and len(rep["scope"]) == 4
    ids = {c["id"] for c in rep["checklist"]}
    assert {"BS_RULE", "Q_SCHOOL_RULE", "B_GOV_SCORE", "G5", "E9", "VERDICT:basic"} <= ids
    for c in rep["checklist"]:
        assert set(c) >= {"id", "assessment", "value", "target", "status", "evidence"}
    assert rep["verdict"]["basic"]["status"] == "missing"
    assert main(["evaluate", str(snap), "--profile", "nope"]) == 2
    assert "nope" in capsys.readouterr().err


def test_the_checklist_page_chooses_the_profile_and_names_the_scope() -> None:
    from test_app_pages import checklist_shown, open_page

    at = open_page("checklist", profile="yunnan_10", tp="exclude")
    assert at.selectbox(key="check_profile").value == "yunnan_10"
    captions = " ".join(c.value for c in at.caption)
    assert load_profile("yunnan_10").name("zh") in captions
    assert t("rules.scope.tp_exclude", "zh") in captions
    table = checklist_shown(at)
    item = table[table[t("app.check.col.item", "zh")].str.startswith("每所学校达到办学基本标准")]
    assert list(item["status"]) == ["missing"]
    at.selectbox(key="check_profile").set_value("example_9of7").run()
    table = checklist_shown(at)
    item = table[table[t("app.check.col.item", "zh")].str.startswith("每所学校达到办学基本标准")]
    assert list(item["status"]) == ["fail"]
    kept = at.query_params["profile"]  # the choice is in the URL, as the other choices are
    assert (kept if isinstance(kept, str) else kept[0]) == "example_9of7"


def test_cli_reads_class_and_room_rows_and_refuses_bad_ones(tmp_path, capsys):
    """Class rows reach the rules through the command line (G5 judged on every class), and a
    bad class file is refused with exit 2, naming the file, row, column and rule."""
    assert main(["demo", "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    snap = next((tmp_path / "data").glob("*2024"))
    schools = build_demo().schools[2024]
    junior = schools[schools["classes_junior"] > 0]
    first = junior[junior["students_junior"] <= 50 * junior["classes_junior"]].iloc[0]
    sid = str(first["school_id"])
    classes = tmp_path / "classes.csv"
    classes.write_text("学年,学校标识码,学段,年级,班级,班级人数\n"
                       f"2024,{sid},初中,7,1,49\n2024,{sid},初中,7,2,56\n", encoding="utf-8")
    schools_file = tmp_path / "schools.parquet"  # a schools file has no county table: G5 derived
    schools.to_parquet(schools_file)
    assert main(["evaluate", str(schools_file), "--classes", str(classes), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    g5 = next(c for c in rep["checklist"] if c["id"] == "G5")
    assert rep["profile"]["id"] == default_profile_id()
    assert g5["status"] == "fail" and sid in g5["ids"] and "56" in g5["value"]
    assert main(["evaluate", str(schools_file), "--profile", default_profile_id(), "--json"]) == 0
    without = next(c for c in json.loads(capsys.readouterr().out)["checklist"] if c["id"] == "G5")
    assert sid not in without["ids"] and "56" not in without["value"]
    bad = tmp_path / "bad.csv"
    bad.write_text("学年,学校标识码,学段,年级,班级,班级人数\n2024,nope,初中,7,1,49\n", encoding="utf-8")
    assert main(["evaluate", str(snap), "--classes", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.csv" in err and "学校标识码" in err and "nope" in err


def test_the_presentation_notes_name_the_scope(demo):
    """The deck's and report's verdict step carries the scope (profile, teaching points,
    private schools, weights) in its notes."""
    from dashboard.ui.present.model import material
    from dashboard.ui.present.story import verdict_step

    schools, county, ev = demo
    m = material(ev, schools, county, "990101", 2024, "demo", "en")
    notes = verdict_step(m).notes
    assert any(load_profile(default_profile_id()).name("en") in n for n in notes)
    assert any(t("rules.scope.tp_merge", "en") == n for n in notes)


def test_with_profile_rejudges_the_evaluation_every_page_reads(demo):
    from dashboard.method.profiles_county import with_profile
    from dashboard.method.verdict import evaluation_verdicts

    schools, county, ev = demo
    assert with_profile(ev, None) is ev and with_profile(ev, "example_9of7") is ev
    moved = with_profile(ev, "yunnan_10")
    assert moved.params.province_profile == "yunnan_10" and ev.params.province_profile == "example_9of7"
    basic = moved.school_rules[moved.school_rules["scheme"] == "basic"]
    assert set(basic["school_status"]) == {"missing"} and not basic["school_pass"].any()
    counts = moved.verdicts[moved.verdicts["scheme"] == "basic"]
    assert (counts["failing_units"] == counts["units"]).all()  # none passes (all 缺数据)
    assert moved.indicators.equals(ev.indicators)  # the coefficients do not depend on it
    v = evaluation_verdicts(moved, "990101", 2024, county=county, lang="en")
    assert v[("basic", "primary")].component("school_rule").status == "missing"
    assert evaluation_verdicts(ev, "990101", 2024, county=county)[("basic", "primary")].status == "fail"


def test_every_page_reads_the_profile_chosen_on_the_checklist() -> None:
    """The overview's cards agree with the checklist under the chosen profile."""
    from test_app_pages import open_page

    default = open_page("overview")
    card = next(m for m in default.metric if m.label == "小学 · 基本均衡")
    assert card.proto.delta == t("status.fail", "zh")
    chosen = open_page("overview", profile="yunnan_10")
    card = next(m for m in chosen.metric if m.label == "小学 · 基本均衡")
    assert card.proto.delta == t("status.missing", "zh")
    assert any(load_profile("yunnan_10").name("zh") in c.value for c in chosen.caption)
