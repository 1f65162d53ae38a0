"""What a bureau reads on screen (issue 9 points 4 and 5): every text element of the
overview, the checklist, the scenario page and the planner (basic and quality), in Chinese and
English, holds no internals (None/nan/True/False, server paths, Python field names, bare
indicator ids) and, in English, no Chinese words but the data's own names (schools,
townships, the county)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pandas as pd
import pytest
from demo_data import DEMO_GEO, DEMO_SNAPSHOT
from streamlit.testing.v1 import AppTest
from test_app_pages import open_page  # the one way the page tests open a page

from dashboard.i18n import t
from dashboard.method.standards import teacher_attributes
from dashboard.store.snapshots import read_snapshot

# words that are Python's or pandas' values, never the bureau's
RAW_VALUES = re.compile(r"\b(None|nan|NaN|NaT|true|false|True|False|inf)\b")
SERVER_PATHS = ("/work/", "/tmp/", "/home/", "/root/", "data/scenarios")
# an indicator / standards id standing for a name (ids in data values, e.g. teacher ids
# DT000470, are not matched: \b needs a word boundary before the letter)
BARE_ID = re.compile(r"\b(B[1-8]|Q[1-7]|G1[0-5]|G[1-9]|E[1-9]|BS[1-9])\b")
FIELD_NAMES = ("above_degree", "mid_title", "pe_art", "backbone_", "school_id", "from_school_id",
               "to_school_id", "teaching_aux_area_m2", "sports_area_m2", "equipment_value_yuan",
               "multimedia_rooms", "cost_yuan", "B_CV_COMPOSITE", "Q_SCHOOL_RULE")
CJK = re.compile(r"[\u3400-\u9fff]")


def _cells(frame: pd.DataFrame) -> Iterator[str]:
    yield from (str(c) for c in frame.columns)
    for row in frame.itertuples(index=False):
        for value in row:
            yield "None" if value is None else str(value)


def screen_texts(at: AppTest) -> list[str]:
    """Return every text the page shows: titles, headings, markdown, captions, alerts, metrics
    (label, value, delta), widget labels and every dataframe header and cell."""
    out: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning",
                 "error", "success", "text"):
        out += [str(getattr(e, "value", "")) for e in at.get(kind)]
    for m in at.metric:
        out += [str(m.label), str(m.value)]
        delta = getattr(m.proto, "delta", "")
        if delta:
            out.append(str(delta))
    for kind in ("button", "radio", "selectbox", "number_input", "text_input", "toggle",
                 "multiselect"):
        out += [str(getattr(w, "label", "")) for w in at.get(kind)]
    for d in at.dataframe:
        out += list(_cells(d.value))
    return [x for x in out if x]


@cache
def data_names() -> tuple[str, ...]:
    """The data's own Chinese names (schools, townships, county), longest first."""
    schools = read_snapshot(DEMO_SNAPSHOT).schools
    names = set()
    for col in ("school_name", "township", "county_name"):
        if col in schools:
            names |= set(schools[col].dropna().astype(str))
    return tuple(sorted(names, key=len, reverse=True))


def problems(texts: list[str], lang: str) -> list[str]:
    """Return the texts that show an internal, each with what is wrong."""
    bad = []
    for text in texts:
        if RAW_VALUES.search(text):
            bad.append(f"raw value: {text!r}")
        if any(p in text for p in SERVER_PATHS):
            bad.append(f"server path: {text!r}")
        if BARE_ID.search(text):
            bad.append(f"indicator id: {text!r}")
        if any(f in text for f in FIELD_NAMES):
            bad.append(f"field name: {text!r}")
        if lang == "en" and text != t("app.sidebar.lang", "en"):  # the switch names both
            rest = text
            for name in data_names():
                rest = rest.replace(name, "")
            if CJK.search(rest):
                bad.append(f"Chinese on an English page: {text!r}")
    return bad


@pytest.fixture(autouse=True)
def _data(demo_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "data"
    shutil.copytree(DEMO_SNAPSHOT, root / DEMO_SNAPSHOT.name)
    monkeypatch.setenv("JUNHENG_DATA", str(root))
    monkeypatch.setenv("JUNHENG_GEO", str(DEMO_GEO))


def test_the_scan_finds_what_issue_9_saw() -> None:
    """The scan itself: each internal the issue reported is caught."""
    seen = ["B1 生均教学及辅助用房", "None", "false", "字段 above_degree = 0",
            "保存位置：/work/main/data/scenarios", "CV(B1..B8)", "≥6 of Q1..Q7"]
    assert len(problems(seen, "zh")) >= len(seen)
    assert problems(["county mean 3,058 元/生"], "en")
    assert not problems(["示范县实验小学 (Primary)", "DT000470", "1 : 20.2", "2,990 pupils"], "en")


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("page", ["overview", "checklist"])
def test_overview_and_checklist_show_no_internals(page: str, lang: str) -> None:
    at = open_page(page, lang=lang)
    assert problems(screen_texts(at), lang) == []


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(("scheme", "stage", "mode"), [("basic", "primary", "transfers"),
                                                       ("quality", "junior", "both")])
def test_planner_shows_no_internals(scheme: str, stage: str, mode: str, lang: str) -> None:
    at = open_page("planner", lang=lang, scheme=scheme, stage=stage, mode=mode)
    texts = screen_texts(at)
    assert problems(texts, lang) == []
    if scheme == "quality" and lang == "zh":  # money in 万元 with separators
        assert any(re.fullmatch(r"[\d,]+\.\d 万元", x) for x in texts), texts


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_scenario_page_shows_no_internals(lang: str) -> None:
    at = open_page("scenario", lang=lang)
    assert problems(screen_texts(at), lang) == []
    # an action refused (more teachers than the school has): its message in words
    _transfer(at, 500, {})
    assert at.error and problems(screen_texts(at), lang) == []
    # a valid transfer: the results tables
    _transfer(at, 3, {"above_degree": 3, "mid_title": 2, "backbone": 2})
    assert not at.error, [e.value for e in at.error]
    assert len(at.dataframe) >= 2
    assert problems(screen_texts(at), lang) == []


def _transfer(at: AppTest, count: int, attrs: dict[str, int]) -> None:
    rich, poor = "3990101001", "3990101012"  # 示范县实验小学 → 青石镇中心小学 (primary)
    at.radio(key="scn_stage").set_value("primary").run()
    at.selectbox(key="scn_tr_from").set_value(rich)
    at.selectbox(key="scn_tr_to").set_value(poor)
    at.number_input(key="scn_tr_count").set_value(count)
    for attr in teacher_attributes():
        at.number_input(key=f"scn_tr_{attr}").set_value(attrs.get(attr, 0))
    at.button(key="scn_tr_submit").click().run()
    assert not at.exception, [e.value for e in at.exception]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("page", ["drilldown", "urban_rural"])
def test_teacher_pupil_ratio_reads_one_to_n(page: str, lang: str) -> None:
    """师生比 (B6) is shown as the bureau writes it, 1 : n, under the unit 师 : 生."""
    at = open_page(page, lang=lang, scheme="basic", ind="B6")
    texts = screen_texts(at)
    assert problems(texts, lang) == []
    assert any(re.fullmatch(r"1 : [\d,]+\.\d", x) for x in texts), texts
    assert any(t("format.ratio_unit", lang) in x for x in texts), texts
