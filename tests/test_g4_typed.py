"""G4 (学校规模) typed in the county table, judged beside the schools table: one figure cannot
carry the 2,500-pupil limit of a 一贯制 school (S10 第七条 (四), standards.csv G4 note)."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.i18n import t
from dashboard.method.compliance import county_items
from dashboard.store.demo import build_demo


@pytest.fixture(scope="module")
def schools():
    return build_demo().schools[2024]


def _with_largest(schools: pd.DataFrame, school_type: str, pupils: int) -> pd.DataFrame:
    """The demo with its largest school made ``school_type`` with ``pupils`` compulsory pupils
    and every other school well under 2,000."""
    s = schools.copy()
    total = s["students_primary"] + s["students_junior"]
    big = total.idxmax()
    s.loc[s.index != big, ["students_primary", "students_junior"]] = [600, 0]
    s.loc[big, "school_type"] = school_type
    s.loc[big, ["students_primary", "students_junior"]] = [pupils - 900, 900]
    return s


def _g4(schools: pd.DataFrame, typed: str, lang: str = "zh"):
    county = pd.DataFrame([{"county_code": "990101", "year": 2024, "item_id": "G4", "stage": "",
                            "value": typed, "passed": None, "evidence": ""}])
    items = county_items("quality", county_code="990101", year=2024, county=county,
                         schools=schools, lang=lang)
    return next(i for i in items if i.item_id == "G4")


def test_a_typed_2300_passes_when_the_school_is_a_nine_year_school(schools):
    s = _with_largest(schools, "nine_year", 2300)
    g4 = _g4(s, "2300")
    assert g4.status == "pass"
    assert "2,300 人" in g4.evidence and "按学校表逐校判定" in g4.evidence
    assert "judged school by school" in _g4(s, "2300", "en").evidence


def test_a_typed_2300_fails_when_the_school_is_a_primary_school(schools):
    s = _with_largest(schools, "primary", 2300)
    g4 = _g4(s, "2300")
    assert g4.status == "fail"
    big = s.loc[(s["students_primary"] + s["students_junior"]).idxmax()]
    assert big["school_name"] in g4.evidence and g4.detail == (big["school_id"],)


def test_a_typed_figure_over_2500_stays_a_fail(schools):
    s = _with_largest(schools, "nine_year", 2300)
    assert _g4(s, "2600").status == "fail"


def test_a_typed_pass_the_schools_contradict_becomes_a_fail_naming_them(schools):
    s = _with_largest(schools, "junior", 2100)
    g4 = _g4(s, "1800")
    assert g4.status == "fail" and "1,800 人" in g4.evidence
    assert s.loc[(s["students_primary"] + s["students_junior"]).idxmax(), "school_name"] in g4.evidence


def test_a_typed_figure_the_schools_agree_with_is_kept_as_typed(schools):
    s = _with_largest(schools, "primary", 1900)
    g4 = _g4(s, "1900")
    assert g4.status == "pass" and g4.evidence == t("checklist.evidence.county_table", "zh")
