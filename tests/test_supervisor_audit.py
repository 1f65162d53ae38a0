"""A provincial supervisor's audit of the method (docs/method.md §2–§6), against an oracle of
our own.

The oracle below re-implements the official rules from the texts, not from the engine: the
units of each scheme (scope rules, teaching points, the 1 : 1.1 / 1 : 1.2 / 1 : 1.1 : 1.32
stage split), each indicator's value, the enrolment-weighted population CV, the basic composite
(plain mean of 8), the 3-decimal judgement, and the 2017 school rule ("每所学校至少6项指标达到上述
要求，余项不能低于要求的85%"), all in exact rational arithmetic (``fractions.Fraction``) on whole
numbers, so that a value exactly at a minimum is exactly at it.  Random counties are then
judged by both.
"""

from __future__ import annotations

import math
from fractions import Fraction as F

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from schoolframes import frame, school

from dashboard.method.coefficients import judge, round_cv
from dashboard.method.compliance import county_items
from dashboard.method.engine import evaluate
from dashboard.method.profiles import load_profile
from dashboard.method.profiles_county import judge_g14
from dashboard.method.standards import DEFAULT_PARAMS
from dashboard.method.verdict import county_component

# --------------------------------------------------------------------------- the official texts

# 教督〔2017〕6号 第六条 (seed 002): minimums 小学 / 初中, and the school rule.
_QUALITY_MIN = {
    "Q1": (F("4.2"), F("5.3")), "Q2": (F(1), F(1)), "Q3": (F("0.9"), F("0.9")),
    "Q4": (F("4.5"), F("5.8")), "Q5": (F("7.5"), F("10.2")), "Q6": (F(2000), F(2500)),
    "Q7": (F("2.3"), F("2.4")),
}
# (numerator column, per-100 scale, whole-school resource split between stages)
_BASIC = {
    "B1": ("teaching_aux_area_m2", 1, True), "B2": ("sports_area_m2", 1, True),
    "B3": ("equipment_value_yuan", 1, True), "B4": ("computers", 100, True),
    "B5": ("books", 1, True), "B6": ("teachers", 1, False),
    "B7": ("teachers_above_degree", 1, False), "B8": ("teachers_mid_title", 1, False),
}
_QUALITY = {
    "Q1": ("teachers_above_degree", 100, False), "Q2": ("teachers_backbone", 100, False),
    "Q3": ("teachers_pe_art", 100, False), "Q4": ("teaching_aux_area_m2", 1, True),
    "Q5": ("sports_area_m2", 1, True), "Q6": ("equipment_value_yuan", 1, True),
    "Q7": ("multimedia_rooms", 100, True),
}
# S6 / S21 stage weights (primary, junior, senior) by school type.
_WEIGHTS = {"nine_year": (F(1), F("1.1"), F(0)), "complete_secondary": (F(0), F(1), F("1.2")),
            "twelve_year": (F(1), F("1.1"), F("1.32"))}
_THRESHOLD = {("basic", "primary"): 0.65, ("basic", "junior"): 0.55,
              ("quality", "primary"): 0.50, ("quality", "junior"): 0.45}
_STAGES = ("primary", "junior")


def _share(row: dict, stage: str) -> F:
    """The stage's share of the school's whole-school resources (S6)."""
    w = _WEIGHTS.get(row["school_type"], (F(1), F("1.1"), F(0)))
    n = (row["students_primary"], row["students_junior"], row["students_senior"])
    total = sum(wi * ni for wi, ni in zip(w, n))
    k = _STAGES.index(stage)
    return w[k] * n[k] / total if total else F(0)


def _oracle_units(rows: list[dict], scheme: str) -> dict[str, list[dict]]:
    """Units per stage: pupils and numerators (Fractions) after scope rules and merging."""
    out: dict[str, list[dict]] = {s: [] for s in _STAGES}
    spec = _BASIC if scheme == "basic" else _QUALITY
    cols = {c for c, _, _ in spec.values()}
    for stage in _STAGES:
        units: dict[str, dict] = {}
        points = []
        for r in rows:
            pupils = r[f"students_{stage}"]
            if pupils <= 0:
                continue
            if scheme == "basic" and (r["ownership"] == "private" or not r["county_run"]):
                continue  # S5: 民办 and schools not run by the county are out
            if scheme == "quality":
                if not r["county_run"]:
                    continue  # provincial practice, default out
                if r["school_type"] == "teaching_point" and pupils < 50:
                    continue  # Hebei (S11): 不足50人的教学点 out
            u = {"id": r["school_id"], "pupils": F(pupils)}
            for c in cols:
                shared = any(cc == c and sh for cc, _, sh in spec.values())
                u[c] = F(r[c]) * _share(r, stage) if shared else F(r[f"{c}_{stage}"])
            if scheme == "basic" and r["school_type"] == "teaching_point":
                points.append((r["parent_school_id"], u))
            else:
                units[r["school_id"]] = u
        for parent, u in points:  # merged into the parent's unit of the same stage
            if parent in units:
                for c in ("pupils", *cols):
                    units[parent][c] += u[c]
            else:
                units[u["id"]] = u
        for u in units.values():
            for ind, (c, scale, _) in spec.items():
                u[ind] = u[c] * scale / u["pupils"]
        out[stage] = sorted(units.values(), key=lambda u: u["id"])
    return out


def _cv(units: list[dict], ind: str) -> float:
    """The enrolment-weighted population CV (S3, S4), from exact per-unit values."""
    total = sum(u["pupils"] for u in units)
    mean = sum(u["pupils"] * u[ind] for u in units) / total
    if mean == 0:
        return math.nan
    var = sum(u["pupils"] * (u[ind] - mean) ** 2 for u in units) / total
    return math.sqrt(var) / float(mean)


def _quality_school_pass(u: dict, stage: str) -> bool:
    k = _STAGES.index(stage)
    ratios = [u[q] / mins[k] for q, mins in _QUALITY_MIN.items()]
    return sum(r >= 1 for r in ratios) >= 6 and all(r >= F(85, 100) for r in ratios)


# --------------------------------------------------------------------------- random counties

_TYPES = ("primary", "junior", "nine_year", "complete_secondary", "twelve_year", "teaching_point")


@st.composite
def _counties(draw) -> list[dict]:
    n = draw(st.integers(3, 9))
    rows = []
    parents: list[str] = []
    for i in range(n):
        stype = draw(st.sampled_from(_TYPES if parents else _TYPES[:5]))
        has_p = stype in ("primary", "nine_year", "twelve_year", "teaching_point")
        has_j = stype in ("junior", "nine_year", "complete_secondary", "twelve_year")
        has_s = stype in ("complete_secondary", "twelve_year")
        vals: dict = {"students_senior": draw(st.integers(1, 800)) if has_s else 0}
        for stage, has in (("primary", has_p), ("junior", has_j)):
            p = draw(st.integers(5, 120) if stype == "teaching_point" else st.integers(30, 1500)) \
                if has else 0
            t = draw(st.integers(0, max(1, p // 8))) if has else 0
            vals[f"students_{stage}"] = p
            vals[f"classes_{stage}"] = max(1, p // 45) if has else 0
            vals[f"teachers_{stage}"] = t
            for c in ("above_degree", "mid_title", "backbone", "pe_art"):
                vals[f"teachers_{c}_{stage}"] = draw(st.integers(0, t))
        for c, hi in (("teaching_aux_area_m2", 20_000), ("sports_area_m2", 30_000),
                      ("equipment_value_yuan", 8_000_000), ("computers", 600), ("books", 90_000),
                      ("multimedia_rooms", 80), ("building_area_m2", 40_000)):
            vals[c] = draw(st.integers(0, hi))
        sid = f"s{i}"
        kw = dict(ownership=draw(st.sampled_from(["public", "public", "private"])),
                  county_run=draw(st.sampled_from([True, True, False])))
        if stype == "teaching_point":
            kw["parent"] = draw(st.sampled_from(parents))
        elif has_p:
            parents.append(sid)
        rows.append(school(sid, stype, **kw, **vals))
    return rows


def _engine_stage(ev, scheme: str, stage: str):
    u = ev.units[scheme]
    return u[u["stage"] == stage].sort_values("school_id")


@settings(max_examples=60, deadline=None)
@given(_counties())
def test_engine_agrees_with_an_independent_oracle(rows):
    """Units, every indicator value, every CV, the composite, the CV judgement and the 2017
    school rule of random counties (every school type, private and non-county-run schools,
    teaching points on both sides of 50 pupils) agree with the exact oracle."""
    ev = evaluate(frame(*rows))
    for scheme, spec in (("basic", _BASIC), ("quality", _QUALITY)):
        oracle = _oracle_units(rows, scheme)
        for stage in _STAGES:
            want = oracle[stage]
            got = _engine_stage(ev, scheme, stage)
            assert sorted(got["school_id"]) == [u["id"] for u in want], (scheme, stage)
            if not want:
                continue
            assert got["students"].tolist() == [float(u["pupils"]) for u in want]
            ind = ev.indicators[(ev.indicators["scheme"] == scheme) & (ev.indicators["stage"] == stage)]
            cvs = {}
            for i in spec:
                assert got[i].to_numpy() == pytest.approx([float(u[i]) for u in want], rel=1e-12)
                cvs[i] = _cv(want, i)
                engine_cv = float(ind.loc[ind["indicator"] == i, "cv"].iloc[0])
                if math.isnan(cvs[i]):
                    assert math.isnan(engine_cv)
                else:
                    assert engine_cv == pytest.approx(cvs[i], rel=1e-9, abs=1e-12)
            thr = _THRESHOLD[(scheme, stage)]
            if scheme == "basic":
                comp = ev.composites[ev.composites["stage"] == stage].iloc[0]
                mean8 = sum(cvs.values()) / 8
                if math.isnan(mean8):
                    assert math.isnan(comp["composite_cv"]) and not comp["passed"]
                else:
                    assert comp["composite_cv"] == pytest.approx(mean8, rel=1e-9)
                    if abs(round(mean8, 3) - mean8) < 0.0005 - 1e-9:  # not on a rounding edge
                        assert bool(comp["passed"]) == (round(mean8, 3) <= thr)
            else:
                passes = [_quality_school_pass(u, stage) for u in want]
                assert got["school_pass"].tolist() == passes
                for i, cv in cvs.items():
                    row = ind[ind["indicator"] == i].iloc[0]
                    if not math.isnan(cv) and abs(round(cv, 3) - cv) < 0.0005 - 1e-9:
                        assert bool(row["passed"]) == (round(cv, 3) <= thr)


# --------------------------------------------------------------------------- worked examples


def _rich_nine_year(primary: int, junior: int, teaching_aux: float) -> dict:
    """A 九年一贯制 school meeting every 2017 minimum with room to spare, except as its
    teaching floor area makes it (the senior share is 0, so the split is 1 : 1.1)."""
    return school("x", "nine_year", students_primary=primary, students_junior=junior,
                  teachers_primary=40, teachers_junior=40, teachers_above_degree_primary=20,
                  teachers_above_degree_junior=20, teachers_backbone_primary=5,
                  teachers_backbone_junior=5, teachers_pe_art_primary=5, teachers_pe_art_junior=5,
                  teaching_aux_area_m2=teaching_aux, sports_area_m2=40_000.0,
                  equipment_value_yuan=5_000_000.0, multimedia_rooms=60.0,
                  building_area_m2=teaching_aux, books=60_000.0, computers=300.0)


def test_a_split_share_exactly_at_the_minimum_meets_it():
    """By hand: 52 小学 + 120 初中 pupils, 828 m² of teaching rooms.  The primary share is
    52 ÷ (52 + 1.1 × 120) = 52/184, i.e. 234 m², 234 ÷ 52 = 4.5 m² a pupil: exactly the 2017
    primary minimum ("小学…达到4.5平方米以上"), so Q4 is met and the unit meets all 7.  In
    floating point the share gives 4.499999999999999, which the engine used to count as
    below; the same for the example profile's 生均校舍建筑面积 (BS1, 4.5 m²)."""
    ev = evaluate(frame(_rich_nine_year(52, 120, 828.0)))
    q = ev.units["quality"].set_index("stage").loc["primary"]
    assert q["Q4"] == pytest.approx(4.5, rel=1e-15)
    assert q["failing"] == () and int(q["meets"]) == 7 and bool(q["school_pass"])
    b = ev.units["basic"].set_index("stage").loc["primary"]
    assert b["state_BS1"] == 1 and "BS1" not in b["failing"]


def test_a_split_share_exactly_at_85_percent_is_not_below_it():
    """By hand: 42 小学 + 180 初中 pupils, 918 m².  Primary share 42 ÷ (42 + 198) = 0.175,
    160.65 m², 3.825 m² a pupil = 85 % × 4.5 exactly.  "余项不能低于要求的85%": it is not below,
    so the unit meets 6 of 7 with the seventh at 85 % and passes (the engine used to fail it on
    3.8249999999999993)."""
    ev = evaluate(frame(_rich_nine_year(42, 180, 918.0)))
    q = ev.units["quality"].set_index("stage").loc["primary"]
    assert q["Q4"] == pytest.approx(3.825, rel=1e-15)
    assert q["failing"] == ("Q4",) and int(q["meets"]) == 6
    assert bool(q["school_pass"])


def test_just_below_85_percent_still_fails():
    """The tolerance is a rounding step, not a margin: 3.82 m² (84.9 %) fails the rest rule."""
    ev = evaluate(frame(_rich_nine_year(42, 180, 916.8)))  # 916.8 × 0.175 ÷ 42 = 3.82
    q = ev.units["quality"].set_index("stage").loc["primary"]
    assert q["Q4"] == pytest.approx(3.82)
    assert not bool(q["school_pass"])


def test_teaching_point_pupils_stay_in_their_stage():
    """Basic: a teaching point's pupils join its 中心校's unit of the same stage.  A point that
    (against the contract's spirit) reports junior pupils must not put them in the parent's
    primary unit, where they would dilute every primary per-pupil figure."""
    parent = school("c", "nine_year", students_primary=200, students_junior=100,
                    teachers_primary=10, teachers_junior=8, books=6000.0)
    point = school("p", "teaching_point", parent="c", students_primary=30, students_junior=10,
                   teachers_primary=2, teachers_junior=1, books=400.0)
    units = evaluate(frame(parent, point)).units["basic"].set_index("unit_id")
    assert list(units.index) == ["c:junior", "c:primary"]
    assert units.loc["c:primary", "students"] == 230 and units.loc["c:junior", "students"] == 110
    assert units.loc["c:primary", "teachers"] == 12 and units.loc["c:junior", "teachers"] == 9


def _g14(value: str, passed: object) -> str:
    county = pd.DataFrame([{"county_code": "990101", "year": 2024, "item_id": "G14",
                            "stage": "junior", "value": value, "passed": passed,
                            "evidence": ""}])
    items = county_items("quality", county_code="990101", year=2024, county=county,
                         stage="junior")
    return next(i.status for i in items if i.item_id == "G14")


def test_g14_needs_the_rural_weighting_too():
    """seeds/002 第七条 "(十四)全县优质高中招生名额分配比例不低于50%，并向农村初中倾斜": two
    conditions.  A share of 52 % says nothing of the rural weighting, so it alone is no pass
    (as G11 and G15); the county's own 是否达标 or a second field decides that part."""
    assert _g14("52;是", None) == "pass"
    assert _g14("52;否", None) == "fail"
    assert _g14("48;是", None) == "fail"
    assert _g14("52", True) == "pass"  # the county's own mark covers the rural part
    assert _g14("52", False) == "fail"  # it used to pass on the share alone
    assert _g14("52", None) == "missing"  # it used to pass on the share alone
    en = judge_g14("52;是", None, "en")
    assert "rural" in en.value and "50%" in en.target


# --------------------------------------------------------------------------- rounding


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([0.65, 0.55, 0.50, 0.45]),
       st.one_of(st.floats(-0.001, 0.001), st.sampled_from([0.0005, -0.0005, 0.0004999999999])))
@example(0.45, 0.0005)  # 0.4505: shown 0.451, np.round gives 0.450
def test_the_cv_judged_is_the_cv_shown(threshold, offset):
    """"小于或等于0.45": a supervisor reads the 3-decimal figure the report prints and compares
    it.  Whatever the value, pass ⇔ the printed figure ≤ the threshold, and the engine's
    ``rounded`` is the printed figure."""
    cv = threshold + offset
    shown = float(f"{cv:.3f}")
    passed, _ = judge(cv, threshold, 3, 0.005)
    assert passed == (shown <= threshold)
    assert float(round_cv(cv, 3)) == shown


def test_the_default_school_standard_is_not_called_national():
    """The 2012 measures leave the school standard to each province ("达到本省（区、市）办学基本
    标准"): the default profile is one province's example and must not be named a national
    standard where the checklist and the report show its name."""
    prof = load_profile(DEFAULT_PARAMS.province_profile)
    assert prof.default
    assert "全国" not in prof.name("zh") and "national default" not in prof.name("en")
    assert "非国家标准" in prof.name("zh") and "本省" in prof.notes("zh")
    assert "not a national standard" in prof.name("en")


def test_a_published_school_report_reproduced():
    """seeds/001 (S16), one primary school's own report: 运动场 3500 m² "生均4.79"; 教学及辅助用房
    1844 m² "生均2.53"; 仪器设备 820000 元 "生均1123元"; 藏书 11550 册 "生均15.82册"; 计算机 44 台
    "每百名学生拥有计算机6.03台"; 专任教师 44 人 "师生比1:16.6"; 本科 11 + 大专 32 = "超过规定学历
    43人"; 骨干 省1 市4 县6; 高级 2 + 中级 22.  Every published figure is met by 730 pupils
    (729 would give 15.84 books), and the engine's values, rounded as the report rounds them,
    are the report's.  Judged by the 2017 minimums the school misses Q4 (2.53 < 4.5), Q5
    (4.79 < 7.5) and Q6 (1123 < 2000), each under 85 %: it fails the school rule."""
    row = school("wp", "primary", students_primary=730, classes_primary=13, teachers_primary=44,
                 teachers_above_degree_primary=11 + 32, teachers_mid_title_primary=2 + 22,
                 teachers_backbone_primary=1 + 4 + 6, teachers_pe_art_primary=7,
                 teaching_aux_area_m2=1844.0, sports_area_m2=3500.0, equipment_value_yuan=820000.0,
                 books=11550.0, computers=44.0, multimedia_rooms=20.0, building_area_m2=3831.0)
    ev = evaluate(frame(row))
    b = ev.units["basic"].iloc[0]
    assert (round(b["B1"], 2), round(b["B2"], 2), round(b["B3"]), round(b["B4"], 2),
            round(b["B5"], 2)) == (2.53, 4.79, 1123, 6.03, 15.82)
    assert round(1 / b["B6"], 1) == 16.6  # 师生比 1:16.6, as teachers per pupil (§2 (c))
    assert b["B7"] == pytest.approx(43 / 730) and b["B8"] == pytest.approx(24 / 730)
    q = ev.units["quality"].iloc[0]
    assert round(q["Q1"], 2) == 5.89 and round(q["Q2"], 2) == 1.51
    assert q["failing"] == ("Q4", "Q5", "Q6") and int(q["meets"]) == 4
    assert not bool(q["school_pass"])


# --------------------------------------------------------------------------- county items

# Per 2017 county item (第七–十条), a passing and a failing figure in the county table's form:
# (value, passed) each.
_YES_NO = {"pass": ("是", True), "fail": ("否", False)}
_FIGURES: dict[str, tuple[tuple[str, object], tuple[str, object]]] = {
    **{f"G{k}": (_YES_NO["pass"], _YES_NO["fail"]) for k in (1, 2, 3, 6, 8, 10)},
    **{f"E{k}": (_YES_NO["pass"], _YES_NO["fail"]) for k in (3, 5, 6, 7, 8)},
    **{f"V{k}": (("否", None), ("是", None)) for k in range(1, 7)},
    **{item: ((good, None), (bad, None)) for item, good, bad in (
        ("G4", "1800", "2100"), ("G5", "44", "46"), ("G7", "6500", "5900"), ("G9", "100", "99"),
        ("G11", "12;25", "12;15"), ("G12", "100", "99.5"), ("G13", "100", "99"),
        ("G14", "55;是", "55;否"), ("G15", "90;是", "90;否"), ("E1", "96", "94.9"),
        ("E2", "96", "94"), ("E4", "6", "4.9"), ("E9", "III;0.10", "III;0.15"),
        ("S1", "90", "84.9"), ("P1", "4;是", "2;是"))},
}
_PASSING = {item: good for item, (good, _) in _FIGURES.items()}
_FAILING = {item: bad for item, (_, bad) in _FIGURES.items()}


def _county(figures: dict) -> pd.DataFrame:
    return pd.DataFrame([{"county_code": "990101", "year": 2024, "item_id": i, "stage": "",
                          "value": v, "passed": p, "evidence": ""} for i, (v, p) in figures.items()])


def _quality_county_status(figures: dict) -> str:
    items = county_items("quality", county_code="990101", year=2024, county=_county(figures))
    return county_component(items, "zh").status


def test_every_2017_county_item_is_required():
    """第七条 "以上15项指标均要达到要求", 第八条 "以上9项指标均要达到要求", 第九条 社会认可度
    85%以上, 第十条 不予认定, and the prerequisite: with every item passing the county
    component passes; one item failing fails it, one item absent leaves it 缺数据 (without a
    schools table G3–G5 cannot be derived) — never a pass."""
    assert set(_PASSING) == set(_FAILING)
    assert len(_PASSING) == 15 + 9 + 1 + 6 + 1
    assert _quality_county_status(_PASSING) == "pass"
    for item in _PASSING:
        assert _quality_county_status({**_PASSING, item: _FAILING[item]}) == "fail", item
        rest = {k: v for k, v in _PASSING.items() if k != item}
        assert _quality_county_status(rest) == "missing", item


def test_every_basic_county_item_is_required():
    """2012 (seed 000): 县级政府工作评估 ≥ 85 分, 办学基本条件评估得分 ≥ 85 (practice), 公众满意度
    ≥ 85 % (practice), four vetoes: all pass → pass; any failing → fail; any absent → 缺数据."""
    passing = {"B_GOV_SCORE": ("85", None), "B_COND_SCORE": ("85", None),
               "B_SATISFACTION": ("85", None), **{f"B_VETO_{k}": ("否", None) for k in range(1, 5)}}
    failing = {"B_GOV_SCORE": ("84.9", None), "B_COND_SCORE": ("84", None),
               "B_SATISFACTION": ("84.5", None), **{f"B_VETO_{k}": ("是", None) for k in range(1, 5)}}

    def status(figures: dict) -> str:
        items = county_items("basic", county_code="990101", year=2024, county=_county(figures))
        return county_component(items, "zh").status

    assert status(passing) == "pass"
    for item in passing:
        assert status({**passing, item: failing[item]}) == "fail", item
        assert status({k: v for k, v in passing.items() if k != item}) == "missing", item


def test_p1_needs_the_annual_monitoring_too():
    """The prerequisite has two parts (S11, restating the national text): "通过国家义务教育基本
    均衡发展认定三年以上；基本均衡发展认定后年度监测持续保持较高水平".  Years alone are no pass."""
    assert _quality_county_status({**_PASSING, "P1": ("4;否", None)}) == "fail"
    assert _quality_county_status({**_PASSING, "P1": ("4", True)}) == "pass"
    assert _quality_county_status({**_PASSING, "P1": ("4", None)}) == "missing"  # used to pass
    assert _quality_county_status({**_PASSING, "P1": ("3;是", None)}) == "pass"  # 三年以上: ≥ 3
