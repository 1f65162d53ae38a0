"""No user string becomes markup or a spreadsheet formula (issue 14): names that are Markdown,
HTML or formulas are shown as text on every page and in every chart, and exported inert.

:func:`build_hostile_demo` writes the demo county of 2023 and 2024 with hostile school,
county and township names (tests/test_browser_hostile.py serves it to a real browser).
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import pandas as pd
import pytest
from demo_data import DEMO_COUNTY, DEMO_DATA, DEMO_GEO
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from dashboard.planning.scenario import Transfer
from dashboard.store.snapshots import read_snapshot, write_snapshot
from dashboard.ui.export import neutralise, to_csv_bytes, to_xlsx_bytes, workbook_bytes
from dashboard.ui.format import html_text, md_text

# A request to 127.0.0.2 would leave "the machine" as far as the browser test counts it.
OUTSIDE: Final = "http://127.0.0.2:9"
HOSTILE: Final = (
    f"![x]({OUTSIDE}/x.png)",
    "<b>bold</b>",
    f"<img src={OUTSIDE}/y.png>",
    f'=HYPERLINK("{OUTSIDE}/h","x")',
    "**bold**",
    f"[link]({OUTSIDE}/z)",
    '<span style="color:red">red</span>',
    "+cmd|' /C calc'!A0",
    "@SUM(1)",
    "-2+3",
    ":red[red] $x^2$ `code` ~~del~~",
    "www.example.com mail@example.com",
)
COUNTY_NAME: Final = f"![c]({OUTSIDE}/c.png)<b>县</b>"
# Raw fragments that show markup was applied if they reach a renderer unescaped.
MARKUP: Final = ("![x](", "<b>", "<img", "**bold**", "[link](", "<span", "![c](")


def hostile_name(k: int) -> str:
    return f"{HOSTILE[k % len(HOSTILE)]}{k}"


def _town_markup(k: int, town: str) -> str:
    return f"<b>{town}</b>" if k % 2 else f"**{town}**"


def build_hostile_demo(root: Path, name: Callable[[int], str] = hostile_name,
                       town_name: Callable[[int, str], str] = _town_markup,
                       county_name: str = COUNTY_NAME) -> tuple[Path, Path]:
    """Write the demo's 2023 and 2024 snapshots with hostile names under ``root``; return the
    data and geo folders (townships renamed in the boundaries too).  ``name(k)`` names the
    k-th school, ``town_name(k, town)`` the k-th township."""
    data, geo = root / "data", root / "geo"
    towns: dict[str, str] = {}
    for year in (2023, 2024):
        snap = read_snapshot(DEMO_DATA / f"demo-{DEMO_COUNTY}-{year}")
        schools = snap.schools.copy()
        schools["school_name"] = [name(k) for k in range(len(schools))]
        schools["county_name"] = county_name
        for k, town in enumerate(sorted(schools["township"].unique())):
            towns.setdefault(town, town_name(k, town))
        schools["township"] = schools["township"].map(towns)
        write_snapshot(data, f"hostile-{year}", schools, snap.teachers, snap.county,
                       source="<b>hostile</b>", created=f"{year}-09-30T00:00:00+00:00")
    (geo / DEMO_COUNTY).mkdir(parents=True)
    for file in (DEMO_GEO / DEMO_COUNTY).glob("*.geojson"):
        collection = json.loads(file.read_text(encoding="utf-8"))
        for feature in collection["features"]:
            props = feature.get("properties") or {}
            if props.get("township") in towns:
                props["township"] = towns[props["township"]]
        (geo / DEMO_COUNTY / file.name).write_text(json.dumps(collection, ensure_ascii=False),
                                                   encoding="utf-8")
    return data, geo


# ------------------------------------------------------------------ the escaping helpers

_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


@given(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=60))
def test_md_text_is_the_same_text_with_every_sign_escaped(text: str) -> None:
    out = md_text(text)
    flat = re.sub(r"[\r\n\t\f\v\u2028\u2029]+", " ", text)
    assert _ESCAPE.sub(r"\1", out.replace("\u2060", "")) == flat
    bare = _ESCAPE.sub("", out)  # what is left once the escaped signs are taken out
    assert not set(bare) & set("`*[]<>&~$|"), out
    assert not re.search(r"https?:/|www\.|@\w", bare), out


@given(st.text(max_size=60))
def test_html_text_leaves_no_tag(text: str) -> None:
    out = html_text(text)
    assert "<" not in out and ">" not in out and html.unescape(out) == text


# ------------------------------------------------------------------ exports


@pytest.mark.parametrize("value", [*HOSTILE, "\tx", "\rx", "=1+1", "-", "+"])
def test_every_formula_sign_is_neutralised(value: str) -> None:
    if value.startswith(("=", "+", "-", "@", "\t", "\r")):
        assert neutralise(value) == "'" + value
    else:
        assert neutralise(value) == value


@pytest.mark.parametrize("value", ["＝SUM(A1)", "＋1", "－1＋2", "＠x", "\u200b=1+1", "\ufeff@x",
                                   " =1+1", "\u3000＝1"])
def test_full_width_and_hidden_formula_signs_are_neutralised_too(value: str) -> None:
    """A full-width sign (a Chinese IME types it) or a sign behind zero-width characters or
    spaces: not proven harmless in every spreadsheet, so quoted like the rest."""
    assert neutralise(value) == "'" + value
    assert neutralise("学校＝1") == "学校＝1" and neutralise("-3.5") == "-3.5"


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"学校": list(HOSTILE) + ["\tx", "\rx"],
                         "数值": [-3.5, 2, -1, 0, 1e9, -7, 3, 4, 5, -6, 7, 8, 9, 10],
                         "文本数": ["-3.5", "+12%", "-1,234.5", "1", "2", "3", "4", "5", "6",
                                 "7", "8", "9", "10", "11"]}).rename(columns={"学校": "=学校"})


def test_csv_cells_never_start_a_formula_and_numbers_stay_numbers() -> None:
    text = to_csv_bytes(_frame()).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == ["'=学校", "数值", "文本数"]
    for row in rows[1:]:
        assert not row[0].startswith(("=", "+", "-", "@", "\t", "\r")), row
    assert [r[1] for r in rows[1:3]] == ["-3.5", "2.0"]  # negative numbers are numbers
    assert [r[2] for r in rows[1:4]] == ["-3.5", "+12%", "-1,234.5"]  # numbers as text too


@pytest.mark.parametrize("write", [to_xlsx_bytes, lambda f: workbook_bytes({"a": f, "b": f})])
def test_xlsx_cells_are_never_formulas(write: Any) -> None:
    book = load_workbook(io.BytesIO(write(_frame())))
    for ws in book.worksheets:
        cells = [c for row in ws.iter_rows() for c in row]
        assert all(c.data_type != "f" for c in cells), [c.value for c in cells if c.data_type == "f"]
        assert ws["A1"].value == "'=学校"
        assert ws["A5"].value == "'" + HOSTILE[3]  # =HYPERLINK(...) as inert text
        assert ws["B2"].value == -3.5 and ws["B2"].data_type == "n"


def test_the_plan_workbook_holds_no_formula(tmp_path: Path) -> None:
    from dashboard.ui import planner_page as pv

    data, _ = build_hostile_demo(tmp_path)
    snap = read_snapshot(data / "hostile-2024")
    goal = pv.make_goal("quality", "primary", "transfers", DEMO_COUNTY, 2024)
    cons = pv.make_constraints("primary", norm=19.0, max_moves=0, max_km=0, min_years=0,
                               keep_minimums=True)
    result = pv.run_plan(snap, goal, cons)
    assert result.moves, "the plan must name schools for this test to mean anything"
    book = load_workbook(io.BytesIO(pv.plan_xlsx(result, snap.schools)))
    texts = [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row
             if isinstance(c.value, str)]
    assert all(c.data_type != "f" for ws in book.worksheets for row in ws.iter_rows() for c in row)
    assert any(v.startswith("'=HYPERLINK") or v.startswith("'@SUM") or v.startswith("'+cmd")
               or v.startswith("'-2+3") for v in texts), texts[:40]


# ------------------------------------------------------------------ charts


def _strings(obj: Any) -> list[str]:
    """Every text of a figure's JSON that Plotly may render (customdata only when a
    hovertemplate shows it: else it is data for the selection handlers, never drawn)."""
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        shown = "customdata" in str(obj.get("hovertemplate", ""))
        return [s for k, v in obj.items() if k != "customdata" or shown for s in _strings(v)]
    if hasattr(obj, "tolist"):  # numpy arrays and pandas columns
        obj = obj.tolist()
    if isinstance(obj, list | tuple):
        return [s for v in obj for s in _strings(v)]
    return []


def test_chart_texts_and_hovers_hold_no_markup_from_names(tmp_path: Path) -> None:
    from dashboard.method.engine import evaluate
    from dashboard.ui import (
        drilldown,
        figures,
        maps,
        mapview,
        scenario_results,
        school,
        urban_rural,
    )
    from dashboard.ui.geo import read_geojson, townships

    data, geo = build_hostile_demo(tmp_path)
    snap = read_snapshot(data / "hostile-2024")
    ev = evaluate(snap.schools)
    units = ev.units["quality"]
    units = units[units["stage"] == "primary"]
    drill = drilldown.drill_units(units, "Q1", "quality", "zh")
    towns = townships(read_geojson(geo / DEMO_COUNTY / "townships.geojson"))
    name = hostile_name(1)
    figs = [figures.drill_values(drill, "Q1", "zh", 1.0),
            figures.contribution_bars(drilldown.top_contributors(drill), "Q1", "zh"),
            figures.group_box(urban_rural.group_units(units, "Q1", "zh"), "Q1", "zh", 1.0),
            maps.school_locator(towns.paths, 113.0, 28.0, name, "zh"),
            school.profile_figure(school.school_profile(
                ev, "quality", str(units["school_id"].iloc[0]), DEMO_COUNTY, 2024, "primary", "zh"),
                "quality", "zh", name)]
    frame = mapview.township_frame(units, "Q1", "mean", "zh", 1.0, towns.paths)
    points = mapview.map_schools(units, "Q1", "quality", "zh", 1.0)
    figs.append(maps.township_map(towns.paths, frame, towns.labels, points, lang="zh", title="t",
                                  township_title="t", township_percent=False, color_by="group",
                                  deviation_title="d", aspect=1.0))
    transfer = Transfer(str(snap.schools["school_id"].iloc[0]),
                        str(snap.schools["school_id"].iloc[1]), "primary", 1)
    lines = scenario_results.flow_lines([transfer], snap.schools, "zh")
    figs.append(maps.flow_map(towns.paths, towns.labels, lines, snap.schools, "zh", 1.0))
    series = pd.DataFrame({"series": ["<b>bold</b> scenario"], "stage": ["primary"],
                           "scheme": ["quality"], "label": ["Q1"], "cv": [0.3],
                           "threshold": [0.5], "indicator": ["Q1"]})
    figs.append(scenario_results.compare_figure(series, "primary", "quality", "zh"))
    joined = "\n".join(s for fig in figs for s in _strings(fig.to_plotly_json()))
    for raw in ("<b>bold</b>", "<img src", '<span style="color:red">', "<b>城关", "<b>" + COUNTY_NAME):
        assert raw not in joined, raw
    assert html_text("<b>bold</b>") in joined and "&lt;img src=" in joined
    assert html_text("<b>bold</b> scenario") in joined


# ------------------------------------------------------------------ pages (AppTest)

PAGES: Final = ("overview", "map", "urban_rural", "drilldown", "school", "checklist", "scenario",
                "planner")


def _rendered(at: Any) -> list[str]:
    """The Markdown sources of every element Streamlit renders as Markdown."""
    out = []
    for kind in ("markdown", "caption", "info", "warning", "error", "success", "title",
                 "subheader", "header"):
        out += [str(e.value) for e in getattr(at, kind)]
    out += [str(m.label) for m in at.metric]
    return out


def test_no_page_renders_markup_from_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from test_app_pages import open_page

    data, geo = build_hostile_demo(tmp_path)
    monkeypatch.setenv("JUNHENG_DATA", str(data))
    monkeypatch.setenv("JUNHENG_GEO", str(geo))
    seen = []
    for page in PAGES:
        at = open_page(page, lang="zh", scheme="quality", stage="primary")
        texts = _rendered(at)
        for text in texts:
            assert not [m for m in MARKUP if m in text], (page, text)
        seen += texts
    joined = "\n".join(seen)
    assert md_text(COUNTY_NAME) in joined  # the county's name is there, as text
    assert md_text(hostile_name(0)) in joined or md_text(hostile_name(4)) in joined, \
        "no school name reached a Markdown text: the test would prove nothing"
