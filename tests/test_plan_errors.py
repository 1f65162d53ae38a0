"""The planner's errors (PlanError) reach the user in the user's language: every kind carries a
catalogue key and typed values, and the page and the CLI show "无法规划：" followed by the
catalogue's words, never the planner's own English (before, e.g. "constraints.locked_schools
names schools not in county …" after "无法规划：")."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from test_planner import QUALITY_SMALL, instance

from dashboard.i18n import catalogue, t
from dashboard.planning.planner import PlanConstraints, PlanError, PlanGoal, plan
from dashboard.ui import planner_page as pv
from dashboard.ui.format import md_text
from dashboard.ui.plan_text import plan_error_text

GOAL = PlanGoal("quality", "primary", "transfers")
# main's English sentences of the planner's errors: none may reach a zh page or CLI
OLD_ENGLISH = ("must be", "must select", "names schools not in", "has no", "needs a teacher roster", "got ",
               "constraints.", "goal.", "snapshot_or_schools", "schools must have", "unit cost for")


def _two_years(schools: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([schools, schools.assign(year=schools["year"] + 1)], ignore_index=True)


def _raisers():
    """One real way to raise each kind of PlanError, through the planner's own API."""
    schools, _ = instance(QUALITY_SMALL)
    return {
        "scheme": lambda: PlanGoal("bogus", "primary"),
        "stage": lambda: PlanGoal("basic", "senior"),
        "mode": lambda: PlanGoal("basic", "primary", "magic"),
        "staffing_norm": lambda: PlanConstraints(staffing_norm={"primary": 19, "junior": 0}),
        "max_moves_per_school": lambda: PlanConstraints(max_moves_per_school=-1),
        "max_km": lambda: PlanConstraints(max_km=-1),
        "min_years_at_school": lambda: PlanConstraints(min_years_at_school=-1),
        "cv_margin": lambda: PlanConstraints(cv_margin=1.0),
        "cost": lambda: PlanConstraints(costs={"computers": 0.0}),
        "no_cost": lambda: PlanConstraints().cost("unicorns"),
        "scope": lambda: plan(_two_years(schools), GOAL, time_limit_s=5),
        "no_school_id": lambda: plan(schools.drop(columns="school_id"), GOAL, time_limit_s=5),
        "locked_unknown": lambda: plan(schools, GOAL, PlanConstraints(locked_schools=frozenset({"nope"})),
                                       time_limit_s=5),
        "no_unit": lambda: plan(schools, PlanGoal("quality", "junior"), time_limit_s=5),
        "input": lambda: plan(42, GOAL, time_limit_s=5),
        "rotation_roster": lambda: plan(schools, GOAL, PlanConstraints(rotation=True), time_limit_s=5),
    }


def raised(kind: str) -> PlanError:
    with pytest.raises(PlanError) as err:
        _raisers()[kind]()
    assert err.value.kind == kind
    return err.value


KINDS = sorted(_raisers())


def test_every_kind_has_its_text():
    """Each kind raised is a catalogue key of plan6.error, and each such key is raised."""
    keys = {k.removeprefix("plan6.error.") for k in catalogue() if k.startswith("plan6.error.")}
    assert keys == set(KINDS)


def _values(exc: PlanError) -> set[str]:
    """Return the words of the values the error names (what the user gave, ids)."""
    out: set[str] = set()
    for v in exc.params.values():
        for x in v if isinstance(v, (list, tuple, frozenset, set)) else [v]:
            out |= set(re.findall(r"[A-Za-z_]+", str(x)))
    return out


# the ids the zh texts name in brackets beside their Chinese names (what the API accepts)
ZH_IDS = {"basic", "quality", "primary", "junior", "school_id"}


def assert_zh(text: str, exc: PlanError) -> None:
    """No English sentence of the planner in a zh text: only the given values and the ids."""
    assert not any(s in text for s in OLD_ENGLISH), text
    words = set(re.findall(r"[A-Za-z_]{3,}", text)) - _values(exc) - ZH_IDS
    assert not words, (text, words)
    assert re.search(r"[\u4e00-\u9fff]", text)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_each_error_speaks_the_language(kind, lang):
    exc = raised(kind)
    text = plan_error_text(exc, lang)
    assert exc.message(lang) in text
    if lang == "zh":
        assert_zh(text, exc)
        assert text.startswith(t("plan5.cli.error", "zh", detail="")) or kind == "no_unit"
    else:
        assert not re.search(r"[\u4e00-\u9fff]", text), text  # no Chinese in English
        assert str(exc) == exc.message("en")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_cli_says_it_in_the_language_and_exits_2(kind, lang, tmp_path, capsys, monkeypatch):
    """Whatever PlanError the planner raises, ``plan`` says it in --lang on stderr and exits 2."""
    import dashboard.planning.planner as planner
    from dashboard.cli import main as cli_main

    schools, _ = instance(QUALITY_SMALL)
    path = tmp_path / "schools.csv"
    schools.to_csv(path, index=False)
    exc = raised(kind)

    def fail(*_a, **_k):
        raise exc

    monkeypatch.setattr(planner, "plan", fail)
    rc = cli_main(["plan", str(path), "--scheme", "quality", "--stage", "primary", "--lang", lang])
    captured = capsys.readouterr()
    assert rc == 2 and not captured.out
    assert plan_error_text(exc, lang) in captured.err
    if lang == "zh":
        assert_zh(captured.err, exc)


def test_the_cli_names_a_stage_without_units_in_zh(tmp_path, capsys):
    """Not mocked: the planner itself finds no junior unit; the CLI says so in Chinese."""
    from dashboard.cli import main as cli_main

    schools, _ = instance(QUALITY_SMALL)
    path = tmp_path / "schools.csv"
    schools.to_csv(path, index=False)
    rc = cli_main(["plan", str(path), "--scheme", "quality", "--stage", "junior", "--lang", "zh"])
    err = capsys.readouterr().err
    assert rc == 2 and "初中" in err and "优质均衡" in err
    assert_zh(err, raised("no_unit"))


@pytest.mark.parametrize(("kind", "lang"), [("rotation_roster", "zh"), ("locked_unknown", "zh"), ("no_unit", "en")])
def test_the_page_says_it_in_the_language(kind, lang, monkeypatch, demo_root):
    """The planner page shows the error in the page's language (the planner raising it)."""
    from demo_data import DEMO_DATA, DEMO_GEO
    from test_app_pages import open_page

    monkeypatch.setenv("JUNHENG_DATA", str(DEMO_DATA))
    monkeypatch.setenv("JUNHENG_GEO", str(DEMO_GEO))
    exc = raised(kind)

    def fail(*_a, **_k):
        raise exc

    monkeypatch.setattr(pv, "make_goal", fail)  # run each time (the preview itself is cached across sessions)
    at = open_page("planner", lang=lang, scheme="quality", stage="primary", mode="transfers")
    errors = [x.value for x in at.error]
    assert md_text(plan_error_text(exc, lang), 2000) in errors
    shown = " ".join(errors)
    if lang == "zh":
        assert not any(s in shown for s in OLD_ENGLISH), shown
        assert "PlanError" not in shown
