"""Teacher names (an optional roster column) never leave the machine unless asked for
(issue 11): not in the planner's workbook, not in the command line's JSON, not in the deck, the
report or its tables.  ``plan --json --teacher-names`` is
the one way to ask, and then exactly the moved teachers' names appear."""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from demo_data import DEMO_SNAPSHOT

from dashboard.cli import main
from dashboard.planning.planner import PlanGoal, plan
from dashboard.store.snapshots import read_snapshot, write_snapshot
from dashboard.ui.planner_page import plan_xlsx

MARK = "保密姓名"  # every name starts with it; no other text of the app does


@pytest.fixture(scope="module")
def named(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's 2024 snapshot with a name for every teacher of the roster."""
    demo = read_snapshot(DEMO_SNAPSHOT)
    assert demo.teachers is not None
    teachers = demo.teachers.assign(name=[f"{MARK}{i:05d}" for i in range(len(demo.teachers))])
    root = tmp_path_factory.mktemp("named")
    return write_snapshot(root, "named-2024", demo.schools, teachers, demo.county,
                          source="privacy test")


def _texts(data: bytes) -> str:
    """Return every part of an OOXML file (or the bytes themselves) as one text."""
    if data[:2] != b"PK":
        return data.decode("utf-8", "replace")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())


def _cli_json(*args: str) -> dict:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(list(args)) == 0
    return json.loads(out.getvalue())


def test_names_are_stored_but_left_out_of_every_export(named: Path, tmp_path: Path) -> None:
    snap = read_snapshot(named)
    assert snap.teachers is not None and snap.teachers["name"].str.startswith(MARK).all()
    result = plan(snap, PlanGoal("quality", "primary", "transfers"), time_limit_s=20)
    assert result.moves, "the demo's quality primary plan moves teachers"
    exports = {"plan.xlsx": plan_xlsx(result, snap.schools)}
    plan_json = _cli_json("plan", str(named), "--scheme", "quality", "--stage", "primary",
                          "--transfers-only", "--json")
    exports["plan.json"] = json.dumps(plan_json, ensure_ascii=False).encode()
    exports["evaluate.json"] = json.dumps(_cli_json("evaluate", str(named), "--json"),
                                          ensure_ascii=False).encode()
    for kind, suffix in (("deck", "pptx"), ("report", "docx"), ("report", "xlsx")):
        path = tmp_path / f"{kind}.{suffix}"
        assert main([kind, str(named), "--out", str(path)]) == 0
        exports[path.name] = path.read_bytes()
    leaked = [name for name, data in exports.items() if MARK in _texts(data)]
    assert leaked == []
    ids = [i for m in plan_json["moves"] for i in m["teacher_ids"]]
    assert ids and all(i in set(snap.teachers["teacher_id"]) for i in ids)


def test_names_are_given_when_asked_for_and_only_of_the_moved(named: Path) -> None:
    out = _cli_json("plan", str(named), "--scheme", "quality", "--stage", "primary",
                    "--transfers-only", "--json", "--teacher-names")
    roster = read_snapshot(named).teachers
    assert roster is not None
    by_id = dict(zip(roster["teacher_id"], roster["name"], strict=True))
    moved = [(i, n) for m in out["moves"] for i, n in zip(m["teacher_ids"], m["teacher_names"],
                                                         strict=True)]
    assert moved and all(by_id[i] == n for i, n in moved)
    assert len({n for _, n in moved}) == len(moved) < len(roster)
