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
from dashboard.ui.format import display_unit, fmt_value
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
    links = [(p.proto.label, p.proto.page) for p in at.get("page_link")]
    to_school = [label for label, page in links if page.endswith("school")]
    for name in failing[:MAX_FAILING_LINKS]:
        assert any(name in label for label in to_school), (name, links)


def test_overview_school_rule_counts_name_at_most_the_limit() -> None:
    snapshot, ev = reference()
    year = int(snapshot.meta["year"])
    counts = school_rule_counts(ev, COUNTY, year, "quality", "en")
    for r in counts.itertuples(index=False):
        assert len(r.links) == min(r.failing, MAX_FAILING_LINKS)
        assert r.more == r.failing - len(r.links)
        assert all(dict(link.params)["sstage"] == r.stage for link in r.links)
        assert all(t("journey.overview.failing_school", "en", school="", items="")[:2] in link.label
                   for link in r.links)


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
