"""A school unit judged only on an approximation (an average class size, a total of equipment)
is never shown as a pass: the school page, the map's hover and the overview say 近似 and what
it rests on (docs/method.md §4.1; the verdict's school component counts it as undecided)."""

from __future__ import annotations

import pandas as pd
import pytest
from demo_data import DEMO_COUNTY, DEMO_SNAPSHOT

from dashboard.i18n import t
from dashboard.method.engine import Evaluation, evaluate
from dashboard.store.snapshots import read_snapshot
from dashboard.ui.mapview import map_schools
from dashboard.ui.overview import school_rule_counts
from dashboard.ui.school import school_verdicts, verdict_markdown

YEAR = 2024


@pytest.fixture(scope="module")
def ev() -> Evaluation:
    return evaluate(read_snapshot(DEMO_SNAPSHOT).schools)


def _approximated(ev: Evaluation) -> pd.Series:
    units = ev.units["basic"]
    return units[units["school_status"] == "approximated"].iloc[0]


def test_the_school_page_shows_an_approximated_unit_as_approximated(ev: Evaluation) -> None:
    unit = _approximated(ev)
    for lang in ("zh", "en"):
        verdicts = school_verdicts(ev, unit["school_id"], DEMO_COUNTY, YEAR, lang)
        row = verdicts[(verdicts["scheme"] == "basic") & (verdicts["stage"] == unit["stage"])].iloc[0]
        assert row["status"] == "approximated"
        assert t("app.school.detail.approximated", lang, items="").rstrip("：: ") in row["text"]
        md = verdict_markdown(verdicts[verdicts["scheme"] == "basic"], lang)
        assert f":violet-badge[{t('status.approximated', lang)}]" in md
        assert f":green-badge[{t('status.pass', lang)}] {row['text']}" not in md
    # a unit that passes outright says nothing after its count ("未达标：—" was shown)
    passing = ev.units["basic"][ev.units["basic"]["school_status"] == "pass"].iloc[0]
    text = school_verdicts(ev, passing["school_id"], DEMO_COUNTY, YEAR, "zh")
    assert not text["text"].str.contains("未达标：—").any()


def test_the_map_hover_never_says_pass_for_an_approximated_unit(ev: Evaluation) -> None:
    units = ev.units["basic"]
    unit = _approximated(ev)
    stage = units[units["stage"] == unit["stage"]]
    points = map_schools(stage, "B1", "basic", "zh", float(stage["B1"].mean()))
    hover = points.loc[points["unit_id"] == unit["unit_id"], "hover"].iloc[0]
    line = next(x for x in hover.split("<br>") if x.startswith("学校达标"))
    assert line == f"学校达标：{t('status.approximated', 'zh')}"  # it read 学校达标：达标


def test_the_overview_counts_the_approximated_units_apart(ev: Evaluation) -> None:
    counts = school_rule_counts(ev, DEMO_COUNTY, YEAR, "basic", "zh")
    rules = ev.school_rules[ev.school_rules["scheme"] == "basic"]
    for r in counts.itertuples(index=False):
        status = rules.loc[rules["stage"] == r.stage, "school_status"]
        approximated = int((status == "approximated").sum())
        if approximated:
            assert f"{approximated} 个仅按近似判断" in r.note
            assert f"{int((status == 'pass').sum())} 个达标" in r.note
        else:
            assert r.note == ""
    assert counts["note"].str.len().gt(0).any()  # the demo has approximated units


def test_the_scenario_table_shows_a_unit_leaving_the_approximation() -> None:
    from dashboard.method.standards import scheme_ids
    from dashboard.ui.scenario_results import school_change_rows

    row = {"unit_id": "S1:primary", "school_id": "S1", "school_name": "甲校", "stage": "primary",
           **{f"{i}_{side}": 1.0 for i in scheme_ids("basic") for side in ("before", "after")},
           "school_pass_before": True, "school_pass_after": True,
           "school_status_before": "approximated", "school_status_after": "pass"}
    shown = school_change_rows(pd.DataFrame([row]), "basic", "zh")
    assert shown.values.tolist() == [["甲校", t("stage.primary", "zh"), t("scenario.col.school_rule", "zh"),
                                      t("status.approximated", "zh"), t("status.pass", "zh"), "—"]]
