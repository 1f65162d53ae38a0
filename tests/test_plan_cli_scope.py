"""`plan` on data of another county or of several county-years: the error names the county or
the county-years in the user's language, exit 2 (it printed the planner's own English,
"goal.county_code/year must select exactly one county-year, got 0")."""

from __future__ import annotations

import pandas as pd
import pytest
from demo_data import DEMO_DATA

from dashboard.cli import main as cli_main
from dashboard.store.snapshots import read_snapshot


def _two_years(tmp_path):
    frames = [read_snapshot(DEMO_DATA / f"demo-990101-{y}").schools for y in (2023, 2024)]
    path = tmp_path / "两年.csv"
    pd.concat(frames, ignore_index=True).to_csv(path, index=False)
    return path


@pytest.mark.parametrize(("lang", "said"), [("zh", "数据中没有县区代码 123456"),
                                            ("en", "County code 123456 is not in the data")])
def test_a_county_not_in_the_data_is_named(capsys, lang, said):
    rc = cli_main(["plan", str(DEMO_DATA / "demo-990101-2024"), "--scheme", "quality", "--stage",
                   "junior", "--county", "123456", "--lang", lang])
    err = capsys.readouterr().err
    assert rc == 2 and said in err and "goal.county_code" not in err


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_several_county_years_are_named_not_planned_at_random(tmp_path, capsys, lang):
    rc = cli_main(["plan", str(_two_years(tmp_path)), "--scheme", "quality", "--stage", "junior",
                   "--lang", lang])
    err = capsys.readouterr().err
    assert rc == 2 and "990101 2023" in err and "990101 2024" in err
    assert ("2 个县区学年" in err) if lang == "zh" else ("2 county-years" in err)
    assert "goal.county_code" not in err
