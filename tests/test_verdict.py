"""The one verdict per county × year × scheme × stage (dashboard/method/verdict.py): hand-made
cases of every status, and on the demo county the overview cards, the checklist, the CLI text
and the CLI JSON all give the same status."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from demo_data import DEMO_SNAPSHOT

from dashboard.cli import main
from dashboard.i18n import t
from dashboard.method.compliance import county_checklist, county_items
from dashboard.method.standards import QUALITY_IDS, STAGES
from dashboard.method.verdict import combine, county_verdicts, evaluation_verdicts
from dashboard.store.snapshots import read_snapshot
from dashboard.ui.overview import status_cards

C, Y = "990101", 2024


def _composites(cv: float, stage: str = "primary", threshold: float = 0.65) -> pd.DataFrame:
    return pd.DataFrame([{"county_code": C, "year": Y, "stage": stage, "composite_cv": cv,
                          "threshold": threshold}])


def _indicators(cvs: dict[str, float], stage: str = "primary",
                threshold: float = 0.50) -> pd.DataFrame:
    return pd.DataFrame([{"county_code": C, "year": Y, "stage": stage, "scheme": "quality",
                          "indicator": i, "cv": cv, "threshold": threshold}
                         for i, cv in cvs.items()],
                        columns=["county_code", "year", "stage", "scheme", "indicator", "cv",
                                 "threshold"])


def _rules(scheme: str, passes: list[bool], stage: str = "primary") -> pd.DataFrame:
    return pd.DataFrame([{"county_code": C, "year": Y, "stage": stage, "scheme": scheme,
                          "unit_id": f"U{k}:{stage}", "school_name": f"学校{k}",
                          "school_pass": ok} for k, ok in enumerate(passes)])


def _county_all_pass(scheme: str) -> pd.DataFrame:
    """A county table where every county item of ``scheme`` is judged passed."""
    ids = [i.item_id for i in county_items(scheme, county_code=C, year=Y, county=None)]
    return pd.DataFrame([{"county_code": C, "year": Y, "item_id": i, "stage": None, "value": "",
                          "passed": True, "evidence": ""} for i in ids])


def _basic(cv: float, passes: list[bool], county: pd.DataFrame | None, lang: str = "zh"):
    return county_verdicts(county_code=C, year=Y, indicators=_indicators({}),
                           composites=_composites(cv), school_rules=_rules("basic", passes),
                           county=county, lang=lang, schemes=("basic",))


def test_pass_when_every_component_holds():
    v = _basic(0.40, [True, True, True], _county_all_pass("basic"))[("basic", "primary")]
    assert v.status == "pass" and v.passed
    assert [(c.kind, c.status) for c in v.components] == [
        ("cv", "pass"), ("school_rule", "pass"), ("county", "pass")]
    assert "均已满足" in v.text


def test_near_when_a_deciding_cv_passes_within_the_margin():
    v = _basic(0.648, [True, True], _county_all_pass("basic"))[("basic", "primary")]
    assert v.status == "near" and v.passed
    assert v.component("cv").status == "near" and v.component("cv").near == ("B_CV_COMPOSITE",)
    assert "临界" in v.text
    # 0.6504 rounds to 0.650 and passes, but within the margin: near, never a plain pass
    assert _basic(0.6504, [True], _county_all_pass("basic"))[("basic", "primary")].status == "near"


def test_fail_by_cv():
    v = _basic(0.70, [True, True], _county_all_pass("basic"))[("basic", "primary")]
    assert v.status == "fail" and not v.passed
    assert v.component("cv").status == "fail" and v.component("cv").ids == ("B_CV_COMPOSITE",)
    assert v.component("school_rule").status == "pass"
    assert "0.700" in v.component("cv").text


def test_fail_by_school_rule_only():
    v = _basic(0.364, [True, False, True, False], _county_all_pass("basic"))[("basic", "primary")]
    assert v.status == "fail"
    assert v.component("cv").status == "pass"
    rule = v.component("school_rule")
    assert rule.status == "fail" and rule.failing == 2 and rule.total == 4
    assert rule.ids == ("U1:primary", "U3:primary")
    assert "2/4" in rule.text and "学校1" in rule.text and "学校3" in rule.text
    assert v.text.startswith("学校达标未满足")
    en = _basic(0.364, [True, False], _county_all_pass("basic"), lang="en")[("basic", "primary")]
    assert "1 of 2 school units fail" in en.component("school_rule").text
    # a sentence of its own, shown after "Fail." (it began "the school standard")
    assert en.text.startswith("The school standard: not met (the CV test, the county items met)")


def test_missing_county_items_is_no_pass():
    v = _basic(0.40, [True, True], None)[("basic", "primary")]
    assert v.status == "missing" and not v.passed
    county = v.component("county")
    assert county.status == "missing" and "B_GOV_SCORE" in county.ids
    assert v.text.startswith("差异系数、学校达标已满足，县级指标缺数据")
    # a near CV does not hide the missing data either
    assert _basic(0.648, [True], None)[("basic", "primary")].status == "missing"
    # and a failing component still decides a fail, saying what lacks data as well
    failed = _basic(0.40, [False], None)[("basic", "primary")]
    assert failed.status == "fail"
    assert failed.text == "学校达标未满足（差异系数已满足；县级指标缺数据）"
    assert _basic(0.40, [False], None, lang="en")[("basic", "primary")].text == (
        "The school standard: not met (the CV test met; the county items without data)")


def test_quality_with_one_cv_failing():
    cvs = {q: 0.30 for q in QUALITY_IDS} | {"Q5": 0.55}
    vs = county_verdicts(county_code=C, year=Y, indicators=_indicators(cvs),
                         composites=_composites(0.3).iloc[0:0],
                         school_rules=_rules("quality", [True, True]),
                         county=_county_all_pass("quality"), schemes=("quality",))
    v = vs[("quality", "primary")]
    assert v.status == "fail"
    assert v.component("cv").ids == ("Q5",) and v.component("cv").failing == 1
    assert v.component("cv").text == "1 项差异系数超过 0.50：生均体育运动场馆面积 0.550"
    assert v.component("school_rule").status == "pass" and v.component("county").status == "pass"
    assert vs[("quality", None)].status == "fail"


def test_combine_precedence():
    from dashboard.method.verdict import Component

    parts = [Component("cv", "near", "", near=("Q2",)), Component("school_rule", "pass", "")]
    assert combine("quality", "primary", parts, "zh").status == "near"
    assert combine("quality", "primary", [*parts, Component("county", "missing", "")],
                   "zh").status == "missing"
    assert combine("quality", "primary", [*parts, Component("county", "missing", ""),
                                          Component("cv", "fail", "")], "en").status == "fail"


# ----------------------------------------------------------------------------- the demo county


@pytest.fixture(scope="module")
def demo(demo_root: Path):
    snapshot = read_snapshot(DEMO_SNAPSHOT)
    from dashboard.method.engine import evaluate

    return snapshot, evaluate(snapshot.schools)


def _cli_text_statuses(path: Path, capsys) -> dict[tuple[str, str], str]:
    """Return the verdict status of each stage × scheme section of the CLI text (zh)."""
    assert main(["evaluate", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    by_text = {t(f"status.{s}", "zh"): s for s in ("pass", "near", "fail", "missing")}
    out, key = {}, None
    for line in lines:
        for stage in STAGES:
            for scheme in ("basic", "quality"):
                if line.startswith(f"== {t(f'stage.{stage}', 'zh')} · {t(f'scheme.{scheme}', 'zh')}"):
                    key = (stage, scheme)
        if key and line.startswith("  结论："):
            out[key] = by_text[line.removeprefix("  结论：").split("（")[0]]
            key = None
    return out


def test_every_view_gives_the_same_verdict_on_the_demo(demo, capsys):
    snapshot, ev = demo
    cards = {(c.stage, c.scheme): c.status for c in status_cards(ev, C, Y, "zh", snapshot.county)}
    items = county_checklist(county_code=C, year=Y, indicators=ev.indicators,
                             composites=ev.composites, school_rules=ev.school_rules,
                             schools=snapshot.schools, county=snapshot.county, lang="zh")
    checklist = {tuple(i.item_id.split(":")[2:0:-1]): i.status for i in items
                 if i.group == "verdict" and i.item_id.count(":") == 2}
    assert main(["evaluate", str(DEMO_SNAPSHOT), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    cli_json = {(stage, scheme): body["verdict"]["status"]
                for stage, schemes in rep["stages"].items() for scheme, body in schemes.items()}
    cli_text = _cli_text_statuses(DEMO_SNAPSHOT, capsys)
    direct = {(stage, scheme): v.status for (scheme, stage), v in
              evaluation_verdicts(ev, C, Y, county=snapshot.county).items() if stage}
    assert len(direct) == 4
    assert cards == checklist == cli_json == cli_text == direct
    # the case: the composite 0.364 passes, two school units fail the standard
    assert cards[("primary", "basic")] == "fail"
    overall = {i.item_id: i.status for i in items if i.item_id.count(":") == 1 and i.group == "verdict"}
    assert overall == {f"VERDICT:{s}": rep["verdict"][s]["status"] for s in ("basic", "quality")}


def test_a_failing_school_standard_counts_the_undecided_units_too():
    rules = _rules("basic", [False, True, True, True]).assign(
        school_status=["fail", "approximated", "missing", "pass"])
    from dashboard.method.verdict import school_component

    zh = school_component("basic", "primary", rules, "zh")
    assert zh.status == "fail" and zh.failing == 1
    assert zh.text == "1/4 个学校（学段）未达标：学校0（小学）；另有 1 个仅按近似判断、1 个缺数据"
    en = school_component("basic", "primary", rules, "en")
    assert en.text.endswith("; of the others, 1 judged only on an approximation, 1 without data")
    # a count of none is not said ("…、0 个缺数据" on every slide of the demo)
    only_approx = school_component("basic", "primary", rules.assign(
        school_status=["fail", "approximated", "pass", "pass"]), "zh")
    assert only_approx.text.endswith("；另有 1 个仅按近似判断")
    only_missing = school_component("basic", "primary", rules.assign(
        school_status=["pass", "missing", "pass", "pass"]), "en")
    assert only_missing.text == "none of 4 school units fails; not a pass: 1 without data"


def test_a_long_list_of_failing_schools_counts_them_as_schools():
    """'示范县实验小学（小学）… 等 9 项' counted schools as items (项); now 等 9 个."""
    from dashboard.method.verdict import school_component

    rules = _rules("basic", [False] * 7 + [True])
    zh = school_component("basic", "primary", rules, "zh")
    assert zh.text.endswith("学校4（小学） 等 7 个") and "项" not in zh.text
    assert school_component("basic", "primary", rules, "en").text.endswith(" and others (7 in all)")
