"""The planner and the scenarios audited as a county bureau uses them and as a reviewer checks
their claims (review-planner): a plan that was not found reports no re-check and no figures of
it; purchases are costed at the unit prices shown, said to be the default reference prices;
schools sharing a name are told apart; a quality purchase plan's "optimal" is the brute-force
optimum over whole multimedia rooms; a scenario's coefficients are the engine's evaluation of
the modified schools table, exactly."""

from __future__ import annotations

import io
import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_planner import instance
from test_planner_status import SIX_OF_SEVEN, _claims_hold

from dashboard.i18n import t
from dashboard.method.engine import evaluate
from dashboard.method.standards import INDICATORS, cv_threshold, scheme_ids
from dashboard.planning.planner import PlanConstraints, PlanGoal, PlanStatus, plan, unit_costs
from dashboard.planning.scenario import AddResource, Transfer, apply_actions
from dashboard.ui import planner_page as pv
from dashboard.ui import scenario_page
from dashboard.ui import scenario_results as sr
from dashboard.ui.plan_text import render_plan

QUALITY_SMALL = [
    (300, [(10, 1, 0, 1, 0), (6, 1, 0, 0, 1), (6, 1, 0, 0, 0)]),
    (200, [(1, 1, 0, 1, 0), (1, 1, 0, 0, 1), (10, 1, 0, 0, 0)]),
    (150, [(1, 1, 0, 0, 1), (9, 1, 0, 0, 0)]),
]  # Q2 (backbone) fails: purchases cannot reach the goal


def _short_q4(share: float = 0.80):
    """SIX_OF_SEVEN with S0's teaching floor area at ``share`` of the Q4 minimum (a purchase plan)."""
    schools, roster = instance(list(SIX_OF_SEVEN))
    schools.loc[0, "teaching_aux_area_m2"] = 200 * 4.5 * share
    return schools, roster


# ----------------------------------------------------------------------- no plan, no claims of one


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_plan_reports_no_recheck_and_no_figures(lang):
    schools, roster = instance(QUALITY_SMALL)
    p = plan(schools, PlanGoal("quality", "primary", "budget"), teachers=roster, time_limit_s=5)
    assert p.status == PlanStatus.INFEASIBLE and not p.status.has_plan
    # the engine's re-check of doing nothing fails (the goal is not met) ...
    assert not p.check.passed
    # ... but no plan was re-checked: nothing says "the re-check failed"
    assert pv.check_text(p, lang, schools) == t("plan5.check.no_plan", lang)
    head = pv.summary(p, lang)
    assert head.transfers == head.cost == head.gap == "—"
    text = render_plan(p, schools, lang)
    assert t("planner.check.failed", lang, failures="").rstrip() not in text
    status_line = text.splitlines()[1]
    assert not status_line.endswith(("；", "; ", ";")), status_line  # no empty gap clause
    proof = dict(pv.summary_table(p, lang).to_numpy())
    assert proof[t("plan2.xlsx.check", lang)] == t("plan5.check.no_plan", lang)


# ------------------------------------------------------------------------ unit prices of purchases


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_purchases_show_their_unit_price_and_say_it_is_the_default(lang):
    schools, roster = _short_q4()
    p = plan(schools, PlanGoal("quality", "primary", "budget"), teachers=roster, time_limit_s=10)
    assert p.status == PlanStatus.OPTIMAL and p.purchases
    defaults = unit_costs()
    for x in p.purchases:  # every cost is the amount at the table's unit price
        assert x.cost_yuan == pytest.approx(x.amount * defaults[x.resource], rel=1e-12)
    table = pv.purchases_table(p, schools, lang)
    price = t("plan5.col.unit_price", lang)
    assert list(table[price]) == [("3,000 元/㎡" if lang == "zh" else "3,000 yuan per m2")] * len(p.purchases)
    assert pv.price_note(p, lang) == t("plan5.price.default", lang)
    text = render_plan(p, schools, lang)
    assert t("plan5.price.default", lang) in text and table[price].iloc[0] in text
    # the workbook: the price, the school code, the note in the proof sheet
    sheets = pd.read_excel(io.BytesIO(pv.plan_xlsx(p, schools)), sheet_name=None)
    buys = sheets["购置"]
    assert list(buys["学校代码"]) == [x.school_id for x in p.purchases]
    assert list(buys["单价"]) == ["3,000 元/㎡"] * len(p.purchases)
    proof = dict(zip(sheets["方案结论"]["项目"], sheets["方案结论"]["内容"]))
    assert proof["单价来源"] == t("plan5.price.default", "zh")
    # the other notes of the purchases (the minimums; a school of several stages), each its row
    said = list(zip(sheets["方案结论"]["项目"], sheets["方案结论"]["内容"]))
    assert [v for k, v in said if k == "购置说明"] == pv.purchase_notes(p, schools, "zh")[1:] != []
    # prices set for the plan: the shown price is the one used, and the note no longer says default
    dear = plan(schools, PlanGoal("quality", "primary", "budget"),
                PlanConstraints(costs={"teaching_aux_area_m2": 4200.0}), teachers=roster, time_limit_s=10)
    assert pv.purchases_table(dear, schools, lang)[price].iloc[0].startswith("4,200 ")
    assert dear.cost_yuan == pytest.approx(sum(x.amount for x in dear.purchases) * 4200.0)
    assert pv.price_note(dear, lang) == t("plan5.price.set", lang)


def test_a_plan_without_purchases_has_no_price_note():
    schools, roster = instance(QUALITY_SMALL)
    p = plan(schools, PlanGoal("quality", "primary", "transfers"), teachers=roster, time_limit_s=5)
    assert p.moves and not p.purchases and pv.price_note(p, "zh") is None


# ------------------------------------------------------------------------- schools sharing a name


def test_schools_sharing_a_name_are_told_apart():
    schools, roster = instance(QUALITY_SMALL)
    schools["school_name"] = ["中心小学", "中心小学", "实验小学"]
    p = plan(schools, PlanGoal("quality", "primary", "transfers"), teachers=roster, time_limit_s=5)
    assert p.status == PlanStatus.OPTIMAL and p.moves
    for lang, shown in (("zh", "中心小学（S0）"), ("en", "中心小学 (S0)")):
        moves = pv.moves_table(p, schools, lang)
        ends = set(moves[t("planner.col.from", lang)]) | set(moves[t("planner.col.to", lang)])
        assert shown in ends and "中心小学" not in ends
        assert shown in render_plan(p, schools, lang)
        # the page hides the codes (the names already tell the schools apart); the workbook keeps them
        assert t("plan5.col.from_id", lang) not in pv.moves_columns(moves, lang)
    sheet = pd.read_excel(io.BytesIO(pv.plan_xlsx(p, schools)), sheet_name="教师交流")
    assert list(sheet["调出学校代码"]) == [m.from_school_id for m in p.moves]
    assert list(sheet["调入学校代码"]) == [m.to_school_id for m in p.moves]
    # a unique name stays as it is
    assert pv.school_names(schools)["S2"] == "实验小学"


# ------------------------------------------- oracle: quality purchases in whole multimedia rooms

ROOMS_MAX = 6
TAU = cv_threshold("quality", "primary") + 0.0005 - 0.0001


def _rooms_county(rooms: tuple[int, int, int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """SIX_OF_SEVEN (every other minimum met) with ``rooms`` multimedia rooms at S0–S2."""
    schools, roster = instance(list(SIX_OF_SEVEN))
    schools["multimedia_rooms"] = list(rooms)
    return schools, roster


def _rooms_oracle(schools: pd.DataFrame) -> float:
    """Return the least cost of whole rooms bought (up to ROOMS_MAX per school) after which the
    engine finds every quality CV ≤ the planner's target and every school passing the per-school
    rule; inf when none does.  No planner code: the engine judges each allocation.  (A school's
    rule depends on its own rooms only, every other minimum being met: the engine's verdict on
    each school at each added count prunes the allocations whose CVs it then judges.)"""
    price = unit_costs()["multimedia_rooms"]
    passing = []
    for extra in range(ROOMS_MAX + 1):
        s = schools.assign(multimedia_rooms=schools["multimedia_rooms"] + extra)
        passing.append(evaluate(s, schemes=("quality",)).units["quality"]["school_pass"].astype(bool).to_numpy())
    allocations = sorted(itertools.product(range(ROOMS_MAX + 1), repeat=len(schools)), key=sum)
    for add in allocations:  # cheapest first: the first the engine accepts is the optimum
        if not all(passing[a][k] for k, a in enumerate(add)):
            continue
        s = schools.assign(multimedia_rooms=schools["multimedia_rooms"] + np.array(add))
        ev = evaluate(s, schemes=("quality",))
        ind = ev.indicators[(ev.indicators["stage"] == "primary")]
        if (ind["cv"].to_numpy(float) <= TAU).all() and ev.units["quality"]["school_pass"].astype(bool).all():
            return price * sum(add)
    return math.inf


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.tuples(*[st.integers(0, 6)] * 3))
def test_quality_room_purchases_are_the_brute_force_optimum(rooms):
    """Every school has 200 pupils; the Q7 minimum (rooms per 100 pupils) at 0–6 rooms each is
    met, at 85 % or short: the planner's "optimal" cost equals the least cost the engine accepts
    among every allocation of up to ROOMS_MAX whole rooms per school, its bound never exceeds it."""
    schools, roster = _rooms_county(rooms)
    best = _rooms_oracle(schools)
    p = plan(schools, PlanGoal("quality", "primary", "budget"), teachers=roster, time_limit_s=10)
    _claims_hold(p)
    if p.status.has_plan:
        assert p.check.passed, p.check.failures
        assert all(float(x.amount).is_integer() for x in p.purchases)  # whole rooms
    if math.isfinite(best):
        assert p.lower_bound <= best + 1e-6  # a bound above the optimum is no bound
        if p.status in (PlanStatus.OPTIMAL, PlanStatus.ALREADY_PASSES):
            assert p.objective == pytest.approx(best)
    assert p.status != PlanStatus.INFEASIBLE  # rooms can always be bought


def test_the_rooms_oracle_is_not_trivial():
    """The oracle's county needs rooms (its minimum is not met with none) and needs fewer than
    the minimum at every school (the 85 % relief): the test above checks a real choice."""
    mn = INDICATORS["Q7"].minimum("primary") * 2  # rooms for 200 pupils
    assert _rooms_oracle(_rooms_county((0, 6, 6))[0]) > 0
    need = math.ceil(mn - 1e-9)
    relieved = math.ceil(0.85 * mn - 1e-9)
    assert relieved < need <= ROOMS_MAX
    assert _rooms_oracle(_rooms_county((relieved, 6, 6))[0]) == 0.0


# ----------------------------------------- scenario coefficients are the engine's, exactly


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_scenario_coefficients_are_the_engines_evaluation(data):
    schools, _ = instance(QUALITY_SMALL)
    schools["county_code"], schools["year"] = schools["county_code"].astype(str), schools["year"]
    sids = list(schools["school_id"])
    actions = []
    for _ in range(data.draw(st.integers(1, 3))):
        if data.draw(st.booleans()):
            a, b = data.draw(st.sampled_from(list(itertools.permutations(sids, 2))))
            actions.append(Transfer(a, b, "primary", 1, above_degree=1))
        else:
            resource = data.draw(st.sampled_from(["teaching_aux_area_m2", "sports_area_m2", "multimedia_rooms",
                                                  "computers", "books", "equipment_value_yuan"]))
            actions.append(AddResource(data.draw(st.sampled_from(sids)), resource, data.draw(st.integers(1, 500))))
    before = evaluate(schools)
    modified = apply_actions(schools, actions).schools
    after = scenario_page.evaluate_actions(schools, actions, None)
    engine = evaluate(modified)
    county, year = str(schools["county_code"].iloc[0]), int(schools["year"].iloc[0])
    table = sr.coefficient_table(before, after, county, year, "zh")
    for scheme in ("basic", "quality"):
        for i in scheme_ids(scheme):
            row = table[(table["scheme"] == scheme) & (table["indicator"] == i) & (table["stage"] == "primary")]
            e = engine.indicators
            want = e[(e["scheme"] == scheme) & (e["indicator"] == i) & (e["stage"] == "primary")]["cv"]
            got, want = float(row["after"].iloc[0]), float(want.iloc[0])
            assert got == want or (math.isnan(got) and math.isnan(want))  # exactly, not approximately
    # a CV the actions leave as it was (an undefined one too: B8 has no mid-title teacher here)
    # is not marked changed
    same = (table["before"] == table["after"]) | (table["before"].isna() & table["after"].isna())
    same &= table["status_before"] == table["status_after"]
    assert not table.loc[same, "changed"].any()


# --------------------------------------------------------------- the CLI: already passes, bad args


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_already_passing_claims_the_goal_not_the_county(lang):
    """One school in the stage: every CV is 0, the goal holds.  The text says the goal holds,
    never that the county passes (its county items are missing), and shows no gap (nothing was
    optimised; docs/method.md §9.1)."""
    schools, roster = instance(QUALITY_SMALL[:1])
    p = plan(schools, PlanGoal("quality", "primary", "both"), teachers=roster, time_limit_s=5)
    assert p.status == PlanStatus.ALREADY_PASSES
    text = render_plan(p, schools, lang)
    assert t("plan5.cli.none", lang) in text and t("cli.plan.none", lang) not in text
    assert t("planner.gap", lang, gap="0.00%") not in text
    assert pv.after_verdict(p, None, lang).status != "pass"  # no county items: the county does not pass


@pytest.mark.parametrize(("argv", "name"), [
    (["--cost-per-transfer", "0"], "--cost-per-transfer"),
    (["--time-limit", "0"], "--time-limit"),
    (["--max-km", "-3"], "--max-km"),
    (["--max-moves-per-school", "-1"], "--max-moves-per-school"),
])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_cli_names_the_bad_argument_not_a_missing_stage(tmp_path, capsys, argv, name, lang):
    from dashboard.cli import main as cli_main

    schools, _ = instance(QUALITY_SMALL)
    path = tmp_path / "schools.csv"
    schools.to_csv(path, index=False)
    rc = cli_main(["plan", str(path), "--scheme", "quality", "--stage", "primary", "--lang", lang, *argv])
    err = capsys.readouterr().err
    assert rc == 2 and name in err and argv[1] in err
    assert t("cli.plan.error.stage", lang, detail="").strip("：: ") not in err  # not "no unit at this stage"
    assert ("须" in err) if lang == "zh" else ("must be" in err)


# ------------------------------------------------ a plan the re-check rejects claims nothing


TWIN = [(300, [(10, 1, 0, 1, 0), (6, 1, 0, 0, 1), (6, 1, 0, 0, 0)])] * 2  # equal schools: every CV 0


@pytest.mark.parametrize("mode", ["transfers", "both"])
def test_rotation_met_by_no_real_move_is_no_plan(mode):
    """Two equal schools and the rotation rule (≥ 10 % of the 44 eligible moved): the flow model
    once "moved" five teachers out of a school and back into it, which the transfers cancelled to
    no move at all.  Whatever the model finds, a plan is a real plan passing every rule, or no
    plan (undecided, the rotation named), never "optimal" with an objective of 5 and 0 moves
    (the model's rows now give the real plan: tests/test_rotation_oracle.py)."""
    schools, roster = instance(TWIN)
    p = plan(schools, PlanGoal("quality", "primary", mode), PlanConstraints(rotation=True),
             teachers=roster, time_limit_s=5)
    _claims_hold(p)
    if p.status.has_plan:  # a real plan: it moves the rotation's teachers and passes every rule
        assert p.check.passed and p.transfers >= 5 and p.objective >= 5
    else:
        assert p.status == PlanStatus.UNDECIDED
        assert any(e.kind == "rejected" and e.constraint == "rotation" for e in p.explanation)
        assert t("planner.constraint.rotation", "zh") in " ".join(e.message("zh") for e in p.explanation)
        assert pv.check_text(p, "zh", schools) == t("plan5.check.no_plan", "zh")


def test_the_preview_meeting_the_goal_but_not_the_rotation_is_no_plan():
    from dashboard.planning.planner import preview

    schools, roster = instance(QUALITY_SMALL)
    q = preview(schools, PlanGoal("quality", "primary", "transfers"), PlanConstraints(rotation=True),
                teachers=roster)
    assert q.check.goal_met and not q.check.passed  # the greedy does not plan the rotation
    assert q.status == PlanStatus.UNDECIDED
    assert pv.preview_text(q, "zh") == t("plan4.preview.none_found", "zh")
