"""AppTest of the page state (issue 9 point 1): the sidebar's and a page's own choices survive
a language switch, the URL losing them (a map click, a page switch) and a page link; a bad
``school=`` or sidebar parameter says what was not found, in the user's language."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs

import pytest
from demo_data import DEMO_DATA, DEMO_GEO
from streamlit.testing.v1 import AppTest
from test_app_pages import open_page, reference

from dashboard.i18n import t
from dashboard.store.snapshots import list_snapshots
from dashboard.ui.format import indicator_label
from pages.common import plain_text

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _demo(demo_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUNHENG_DATA", str(DEMO_DATA))
    monkeypatch.setenv("JUNHENG_GEO", str(DEMO_GEO))


def radios(at: AppTest) -> dict[str, object]:
    return {str(r.key): r.value for r in at.radio}


def switch(at: AppTest, page: str) -> AppTest:
    at.switch_page(str(REPO / "pages" / f"{page}.py"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_language_switch_keeps_the_sidebar_and_the_page_choices() -> None:
    older = list_snapshots(DEMO_DATA)[-2].id
    at = open_page("map", scheme="quality", stage="junior")
    at.selectbox(key="sidebar_snapshot").set_value(older).run()
    at.selectbox(key="map_indicator").set_value("Q3").run()
    at.radio(key="map_fill").set_value("gap").run()
    at.toggle(key="map_failing").set_value(True).run()
    for lang in ("en", "zh", "en"):
        at.radio(key="sidebar_lang").set_value(lang).run()
        assert not at.exception, [e.value for e in at.exception]
        assert [x.value for x in at.title] == [t("app.page.map", lang)]
        chosen = radios(at)
        assert (chosen["sidebar_scheme"], chosen["sidebar_stage"]) == ("quality", "junior"), lang
        assert chosen["map_fill"] == "gap"
        assert at.selectbox(key="sidebar_snapshot").value == older
        indicator = at.selectbox(key="map_indicator")
        assert indicator.value == "Q3"
        assert indicator.label == t("app.control.indicator", lang)
        # the options the browser gets are in the new language
        assert indicator_label("Q3", lang, short=False) in indicator.options
        assert t("scheme.quality", lang) in at.radio(key="sidebar_scheme").options
        assert at.toggle(key="map_failing").value is True
        params = dict(at.query_params)
        assert {k: params[k] for k in ("lang", "scheme", "stage", "snapshot", "ind", "fill")} == {
            "lang": lang, "scheme": "quality", "stage": "junior", "snapshot": older,
            "ind": "Q3", "fill": "gap"}


def test_choices_survive_a_url_that_lost_them() -> None:
    """A map click switches to the school page with new query parameters; a page chosen in
    the navigation comes without the previous page's: the session keeps the choices."""
    at = open_page("map", lang="en", scheme="quality", stage="junior")
    at.selectbox(key="map_indicator").set_value("Q5").run()
    at.query_params.clear()
    switch(at, "drilldown")
    assert (radios(at)["sidebar_scheme"], radios(at)["sidebar_stage"]) == ("quality", "junior")
    assert [x.value for x in at.title] == [t("app.page.drilldown", "en")]
    at.query_params.clear()
    switch(at, "map")
    assert at.selectbox(key="map_indicator").value == "Q5"
    assert at.query_params["lang"] == "en" and at.query_params["scheme"] == "quality"


def test_a_scheme_switch_there_and_back_finds_its_indicator_again() -> None:
    at = open_page("map", scheme="basic")
    at.selectbox(key="map_indicator").set_value("B5").run()
    at.radio(key="sidebar_scheme").set_value("quality").run()
    assert at.selectbox(key="map_indicator").value == "Q1"
    at.selectbox(key="map_indicator").set_value("Q3").run()
    at.radio(key="sidebar_scheme").set_value("basic").run()
    assert at.selectbox(key="map_indicator").value == "B5"
    at.radio(key="sidebar_scheme").set_value("quality").run()
    assert at.selectbox(key="map_indicator").value == "Q3"
    assert at.query_params["ind"] == "Q3"


def test_a_page_link_carries_the_choices() -> None:
    at = open_page("overview", lang="en", scheme="quality", stage="junior")
    links = [p.proto for p in at.get("page_link")]
    assert links, "the overview has no page link"
    for link in links:
        query = {k: v[0] for k, v in parse_qs(link.query_string).items()}
        assert query["lang"] == "en" and query["scheme"] == "quality", link.label
        assert query["stage"] == "junior" and query["snapshot"] == at.query_params["snapshot"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_school_that_is_not_there_is_named_and_no_other_school_is_shown(lang: str) -> None:
    at = open_page("school", lang=lang, school="9999_x")
    assert [x.value for x in at.title] == [t("app.page.school", lang)]
    year = list_snapshots(DEMO_DATA)[-1].year
    message = t("nav.school_not_found", lang, school=plain_text("9999_x"), year=year)
    assert [w.value for w in at.warning] == [message]
    assert not at.get("plotly_chart") and not at.dataframe and not at.metric
    assert "9999_x" in at.query_params["school"]
    picker = at.selectbox(key="school_not_found_pick")
    assert picker.value is None
    # choosing a school from the picker opens its profile
    school_id = str(reference()[0].schools["school_id"].iloc[0])
    picker.set_value(school_id).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.query_params["school"] == school_id
    assert at.selectbox(key="school_pick").value == school_id
    assert at.get("plotly_chart") and not at.warning


def test_a_bad_sidebar_parameter_is_named_in_the_users_language() -> None:
    # (the first run names it and writes the choice used to the URL)
    at = open_page("overview", lang="en", scheme="nonsense")
    assert radios(at)["sidebar_scheme"] == "basic"
    assert t("nav.bad_param", "en", param="scheme", value="nonsense",
             used=t("scheme.basic", "en")) in [w.value for w in at.warning]
