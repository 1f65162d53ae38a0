"""The command line: evaluate (text, JSON), bad input, and the demo builder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from demo_data import DEMO_SNAPSHOT
from fixtures.contract.frames import valid_schools

from dashboard.cli import main
from dashboard.method.engine import evaluate, to_report
from dashboard.method.standards import BASIC_IDS, QUALITY_IDS

ROOT = Path(__file__).resolve().parents[1]
DEMO_2024 = DEMO_SNAPSHOT


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dashboard", *args], capture_output=True, text=True, cwd=ROOT)


@pytest.fixture(scope="module")
def demo_2024() -> Path:
    if not DEMO_2024.exists():
        subprocess.run([sys.executable, "-m", "dashboard", "demo", "--out", str(ROOT)], check=True)
    return DEMO_2024


def test_evaluate_json_follows_the_contract_to_the_letter(demo_2024):
    out = _run("evaluate", str(demo_2024), "--json")
    assert out.returncode == 0, out.stderr
    rep = json.loads(out.stdout)
    # the contract's keys, then the county's verdict per scheme over all stages
    assert list(rep) == ["county_code", "year", "params", "stages", "verdict"]
    assert rep["county_code"] == "990101" and rep["year"] == 2024
    assert list(rep["verdict"]) == ["basic", "quality"]
    for stage in ("primary", "junior"):
        basic = rep["stages"][stage]["basic"]
        assert list(basic) == ["indicators", "composite_cv", "threshold", "pass", "units", "verdict"]
        assert list(basic["verdict"]) == ["status", "text", "components"]
        assert [c["kind"] for c in basic["verdict"]["components"]] == ["cv", "school_rule", "county"]
        assert list(basic["indicators"]) == list(BASIC_IDS)
        assert all(list(v) == ["mean", "cv"] for v in basic["indicators"].values())
        assert basic["composite_cv"] == pytest.approx(
            sum(v["cv"] for v in basic["indicators"].values()) / 8)
        assert basic["pass"] == (round(basic["composite_cv"], 3) <= basic["threshold"])
        for u in basic["units"]:
            assert list(u) == ["unit_id", "school_id", "students", "values"]
            assert list(u["values"]) == list(BASIC_IDS)
            assert isinstance(u["students"], int) and u["students"] > 0
        quality = rep["stages"][stage]["quality"]
        assert list(quality) == ["indicators", "pass", "units", "verdict"]
        assert list(quality["indicators"]) == list(QUALITY_IDS)
        for v in quality["indicators"].values():
            assert list(v) == ["mean", "cv", "threshold", "pass"]
            assert v["pass"] == (round(v["cv"], 3) <= v["threshold"])
        assert quality["pass"] == all(v["pass"] for v in quality["indicators"].values())
        for u in quality["units"]:
            assert list(u) == ["unit_id", "school_id", "students", "values", "meets", "school_pass"]
            assert 0 <= u["meets"] <= 7


def test_evaluate_json_equals_the_engine(demo_2024):
    import pandas as pd

    out = _run("evaluate", str(demo_2024), "--json", "--scheme", "quality")
    rep = json.loads(out.stdout)
    expected = to_report(evaluate(pd.read_parquet(demo_2024 / "schools.parquet")), "990101", 2024, ("quality",))
    # the engine's report, with the verdicts beside it (tested in test_verdict.py)
    assert set(rep.pop("verdict")) == {"quality"}
    for stage in rep["stages"].values():
        assert stage["quality"].pop("verdict")["status"] in ("pass", "near", "fail", "missing")
    assert rep == json.loads(json.dumps(expected))
    assert set(rep["stages"]["primary"]) == {"quality"}


def test_evaluate_text_in_chinese_and_english(demo_2024, capsys):
    assert main(["evaluate", str(demo_2024)]) == 0
    zh = capsys.readouterr().out
    assert "综合差异系数" in zh and "小学 · 基本均衡" in zh and "学校达标" in zh
    assert main(["evaluate", str(demo_2024), "--lang", "en"]) == 0
    en = capsys.readouterr().out
    assert "Composite CV" in en and "Primary · Basic balance" in en


def test_evaluate_a_schools_file(tmp_path, capsys):
    path = tmp_path / "schools.csv"
    valid_schools().to_csv(path, index=False, encoding="utf-8")
    assert main(["evaluate", str(path), "--json", "--county", "360123"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["county_code"] == "360123"
    # a schools file has no county table: no verdict can pass, the county items lack data
    for v in rep["verdict"].values():
        assert v["status"] in ("fail", "missing")
        county = [c for c in v["components"] if c["kind"] == "county"]
        assert county and county[0]["status"] in ("fail", "missing")  # G3–G5 are derived
        assert "G1" in county[0]["ids"] or "B_GOV_SCORE" in county[0]["ids"]


def test_bad_input_lists_every_violation_and_exits_2(tmp_path):
    frame = valid_schools()
    frame.loc[0, "students_primary"] = -3
    frame.loc[1, "urban_rural_code"] = 999
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    before = sorted(p.name for p in tmp_path.iterdir())
    out = _run("evaluate", str(path))
    assert out.returncode == 2
    assert out.stdout == ""
    assert "输入数据不符合数据契约" in out.stderr
    assert "第 2 行" in out.stderr and "students_primary" in out.stderr and "-3" in out.stderr
    assert "第 3 行" in out.stderr and "999" in out.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written
    en = _run("evaluate", str(path), "--lang", "en")
    assert en.returncode == 2 and "row 2" in en.stderr


def test_missing_path_and_unknown_county(demo_2024, tmp_path):
    out = _run("evaluate", str(tmp_path / "nope.csv"))
    assert out.returncode == 2 and "找不到文件或文件夹" in out.stderr
    out = _run("evaluate", str(demo_2024), "--county", "123456")
    assert out.returncode == 2 and "123456" in out.stderr


def test_demo_command_writes_snapshots_and_geo(tmp_path):
    out = _run("demo", "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == [
        "demo-990101-2022", "demo-990101-2023", "demo-990101-2024"]
    assert (tmp_path / "geo" / "990101" / "townships.geojson").exists()
    again = _run("demo", "--out", str(tmp_path))  # existing snapshots are kept, not overwritten
    assert again.returncode == 0, again.stderr


@pytest.mark.parametrize("command", [["evaluate"], ["plan", "--scheme", "basic", "--stage", "primary"]])
def test_a_tampered_snapshot_is_refused_in_the_users_language(demo_2024, tmp_path, capsys, command):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(demo_2024, broken)
    with (broken / "schools.parquet").open("ab") as f:
        f.write(b"tampered")
    for lang, word in (("en", "checksum"), ("zh", "校验")):
        assert main([command[0], str(broken), *command[1:], "--lang", lang]) == 2
        err = capsys.readouterr().err
        assert "schools.parquet" in err and word in err, err


def test_every_option_of_every_command_says_what_it_does() -> None:
    """`--help` of each command explains each option, each in its own words (deck's --scheme and
    --stage shared one text; --lang had none) and the template command counts its workbooks."""
    import argparse

    from dashboard.cli import build_parser
    from dashboard.store.templates import TEMPLATE_FILES

    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))  # noqa: SLF001
    for name, command in commands.choices.items():
        options = [a for a in command._actions if a.option_strings and a.dest != "help"]  # noqa: SLF001
        helps = [a.help for a in options]
        assert all(helps), (name, [a.dest for a in options if not a.help])
        assert len(set(helps)) == len(helps), (name, helps)
    template = next(a.help for a in commands._choices_actions if a.dest == "template")  # noqa: SLF001
    assert len(TEMPLATE_FILES) == 5 and "五个" in str(template)


@pytest.mark.parametrize("where", ["before", "after"])
def test_the_help_speaks_the_language_asked_for(where: str, capsys) -> None:
    """`import --lang en -h` printed the Chinese help: the parser was built in Chinese before
    --lang was read.  Now --lang, before or after the command, picks the help's language."""
    import re

    from dashboard.i18n import t

    argv = ["--lang", "en", "import", "-h"] if where == "before" else ["import", "-h", "--lang", "en"]
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    for key in ("cli.help.import_year", "cli.help.import_dry_run"):
        assert " ".join(t(key, "en").split()) in out, key
    assert not re.search(r"[\u4e00-\u9fff]", out), out
    with pytest.raises(SystemExit):
        main(["import", "-h"])
    assert t("cli.help.import_dry_run", "zh") in capsys.readouterr().out
