"""The county director's journey, audited in Chinese and English (helper journey-audit): what
each page must say so that the director sees where the county stands, which schools decide a
failing rule and what to open next, in words that fit their boxes."""

from __future__ import annotations

import pandas as pd
import pytest
from test_app_pages import open_page, reference

from dashboard.i18n import t
from dashboard.method.standards import INDICATORS
from dashboard.method.verdict import school_statuses
from dashboard.ui import figures
from dashboard.ui.drilldown import drill_view
from dashboard.ui.format import WRAPPED_ROW_HEIGHT, display_unit, fmt_value, indicator_label
from dashboard.ui.overview import MAX_FAILING_LINKS, school_rule_counts

COUNTY = "990101"


def _failing(scheme: str, stage: str) -> list[str]:
    _, ev = reference()
    r = ev.school_rules
    r = r[(r["scheme"] == scheme) & (r["stage"] == stage)]
    return sorted(r[school_statuses(r) == "fail"]["school_name"].astype(str))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_overview_names_and_links_the_schools_failing_the_rule(lang: str) -> None:
    """小学 · 基本均衡 fails on the school rule alone: the overview names the failing school
    under the count and links its profile (before, only a count and a link to the drill-down)."""
    failing = _failing("basic", "primary")
    assert failing, "the demo's primary basic verdict fails on the school rule"
    at = open_page("overview", lang=lang)
    links = [(p.proto.label, p.proto.page, p.proto.help) for p in at.get("page_link")]
    to_school = {label: help for label, page, help in links if page.endswith("school")}
    for name in failing[:MAX_FAILING_LINKS]:
        assert name in to_school, (name, links)
        assert name in to_school[name]  # the tooltip names the school and what it fails


def test_overview_school_rule_counts_name_at_most_the_limit() -> None:
    snapshot, ev = reference()
    year = int(snapshot.meta["year"])
    counts = school_rule_counts(ev, COUNTY, year, "quality", "en")
    for r in counts.itertuples(index=False):
        assert len(r.links) == min(r.failing, MAX_FAILING_LINKS)
        assert r.more == r.failing - len(r.links)
        assert all(dict(link.params)["sstage"] == r.stage for link in r.links)
        assert all(link.label in link.help for link in r.links)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_drilldown_county_mean_carries_its_unit_in_the_label(lang: str) -> None:
    """The county mean's card held "10.94 m²/pupil", cut to "10.94 m²/p…" at 1440 px in
    English: the unit now sits in the label, the card's value is the bare figure."""
    _, ev = reference()
    at = open_page("drilldown", lang=lang, ind="B2")
    row = ev.indicators.query("stage == 'primary' and scheme == 'basic' and indicator == 'B2'")
    label = t("journey.drill.mean", lang, unit=display_unit("B2", lang))
    shown = {m.label: m.value for m in at.metric}
    assert shown[label] == fmt_value(row["mean"].iloc[0], "B2", lang, unit=False)


# characters a plotly title holds in half the main column at 1440 px (the urban-rural box
# chart): about 32 CJK or 70 Latin characters at the titles' 15 px
HALF_TITLE = {"zh": 32, "en": 70}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_urban_rural_box_title_fits_half_the_page(lang: str) -> None:
    units = pd.DataFrame({"group": ["urban"], "group_label": ["x"], "value": [1.0], "hover": ["x"]})
    for indicator in INDICATORS:
        title = figures.group_box(units, indicator, lang, 1.0).layout.title.text
        assert len(title) <= HALF_TITLE[lang], (indicator, title)


def _row_heights(at: object) -> list[int]:
    return [int(d.proto.row_height) for d in at.dataframe]  # type: ignore[attr-defined]


def test_english_profile_names_wrap_and_every_row_shows() -> None:
    """The English profile's indicator names were cut in their cells: its rows now wrap them,
    and the table is tall enough for every row (Chinese names fit: rows keep their height)."""
    at = open_page("school", lang="en")
    table = next(d for d in at.dataframe if d.proto.row_height)
    assert table.proto.row_height == WRAPPED_ROW_HEIGHT
    at = open_page("school", lang="zh")
    assert WRAPPED_ROW_HEIGHT not in _row_heights(at)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_drilldown_failing_items_fit_their_column(lang: str) -> None:
    """The failing schools' table overflowed the page and its items were cut at its edge
    ("…per stude"): its columns now fit 940 px and the items are shown by their short names,
    while the downloads keep the official ones."""
    _, ev = reference()
    view = drill_view(ev, COUNTY, int(reference()[0].meta["year"]), lang, "basic", "primary", "B2")
    assert sum(view.failing_widths.values()) <= 940
    assert set(view.failing_widths) == set(view.failing_shown)
    items = view.failing_shown[-1]
    short, full = view.failing_screen[items].iloc[0], view.failing[items].iloc[0]
    assert indicator_label("B2", lang) in short and len(short) <= len(full)
    assert INDICATORS["B2"].name(lang) in full
    at = open_page("drilldown", lang=lang, ind="B2")
    shown = [d.value for d in at.dataframe if items in d.value.columns]
    assert shown and shown[0][items].iloc[0] == short


# rough text widths (px) of the tables' 14-px font: a CJK character, a Latin one, cell padding
CJK_PX, LATIN_PX, PADDING_PX = 14, 6.2, 16


def _text_px(text: str) -> float:
    return sum(CJK_PX if ord(ch) > 0x2E80 else LATIN_PX for ch in text) + PADDING_PX


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_checklist_assessment_and_group_names_fit_their_columns(lang: str) -> None:
    """"High-quality balance", "School standard", "Education quality" (and 满意度/认可度) were
    cut in the checklist's narrow columns."""
    from dashboard.ui import checklist

    widths = checklist.checklist_widths(lang)
    assert sum(widths.values()) <= 942  # still fits beside the sidebar at 1440 px
    scheme_col, group_col = t("app.check.col.scheme", lang), t("app.check.col.group", lang)
    for scheme in ("basic", "quality"):
        assert _text_px(t(f"journey.check.scheme.{scheme}", lang)) <= widths[scheme_col], scheme
    for group in ("verdict", "cv", "school_rule", "government", "quality", "satisfaction"):
        assert _text_px(t(f"app.check.group.{group}", lang)) <= widths[group_col], group


def test_data_import_shows_its_check_button_before_any_file() -> None:
    """The import tab's intro says "press Check", but the button appeared only once a file was
    chosen: it is now drawn from the start, greyed until there is a file."""
    at = open_page("data")
    button = at.button(key="data_check")
    assert button.label == t("data.upload.check", "zh") and button.disabled


# characters a plotly title holds over the school profile's chart (three fifths of the main
# column at 1440 px): CJK characters count double
PROFILE_TITLE = 76


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("scheme", ["basic", "quality"])
def test_school_profile_title_and_ticks_fit(lang: str, scheme: str) -> None:
    """"石门镇九年一贯制学校: each indicator against the county mean and the provincial minir"
    was cut, and the English ticks ran together ("Sports areaEquipment")."""
    from dashboard.ui import school

    name = "石门镇九年一贯制学校"  # a long school name of the demo
    title = t(f"deadends.school.profile_title.{scheme}", lang, school=name)
    assert sum(2 if ord(ch) > 0x2E80 else 1 for ch in title) <= PROFILE_TITLE, title
    snapshot, ev = reference()
    r = ev.school_rules
    sid = str(r[(r["school_name"] == name)]["school_id"].iloc[0])
    profile = school.school_profile(ev, scheme, sid, COUNTY, int(snapshot.meta["year"]), "junior",
                                    lang)
    lines = [line for tick in profile["tick"] for line in str(tick).split("<br>")]
    # at most one word longer than a line ("Multimedia"), never two words on an over-long line
    limit = 4 if lang == "zh" else school.EN_TICK_WIDTH + 1
    assert max(len(line) for line in lines) <= limit, lines


def _in_order(node: object) -> list[object]:
    """Return the elements under ``node`` (an AppTest block) in the order they are drawn."""
    children = getattr(node, "children", None)
    if children is None:
        return [node]
    return [e for k in sorted(children) for e in _in_order(children[k])]


def test_checklist_row_hint_and_detail_sit_above_the_table() -> None:
    """The hint "select a row…" and the chosen row's details were drawn below a table of some
    thirty rows, out of sight of the row just clicked: they now sit above it."""
    at = open_page("checklist")
    order = _in_order(at.main)
    hint = t("layout.check.select_hint", "zh")
    kinds = [(type(e).__name__, getattr(e, "value", None)) for e in order]
    at_hint = next(k for k, (_, v) in enumerate(kinds) if v == hint)
    at_table = next(k for k, (name, _) in enumerate(kinds) if name == "Dataframe")
    assert at_hint < at_table, kinds
