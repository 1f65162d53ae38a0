"""The display formats every page shares (dashboard/ui/format.py): money in 元/万元 with
thousands separators, 师生比 as '1 : n', yes/no in words, official short names."""

from __future__ import annotations

import math

import pytest

from dashboard.method.standards import INDICATORS, standards_table
from dashboard.ui.format import (
    display_unit,
    failing_names,
    fmt_bool,
    fmt_money,
    fmt_ratio,
    fmt_value,
    indicator_label,
    standard_name,
)


@pytest.mark.parametrize(("yuan", "zh", "en"), [
    (18412320, "1,841.2 万元", "18,412,320 yuan"),
    (10000, "1.0 万元", "10,000 yuan"),
    (9999.4, "9,999 元", "9,999 yuan"),
    (3500, "3,500 元", "3,500 yuan"),
    (0, "0 元", "0 yuan"),
    (462617880, "46,261.8 万元", "462,617,880 yuan"),
    (None, "—", "—"),
    (math.nan, "—", "—"),
])
def test_money(yuan, zh, en):
    assert fmt_money(yuan, "zh") == zh
    assert fmt_money(yuan, "en") == en


def test_money_signed():
    assert fmt_money(250000, "zh", signed=True) == "+25.0 万元"
    assert fmt_money(-3500, "zh", signed=True) == "-3,500 元"
    assert fmt_money(-250000, "en", signed=True) == "-250,000 yuan"


@pytest.mark.parametrize(("per_pupil", "text"), [
    (0.0496, "1 : 20.2"),
    (1 / 17, "1 : 17.0"),
    (1 / 22, "1 : 22.0"),
    (0.1, "1 : 10.0"),
    (0.0, "—"),
    (None, "—"),
    (math.inf, "—"),
])
def test_ratio(per_pupil, text):
    assert fmt_ratio(per_pupil) == text


def test_teacher_pupil_ratio_reads_one_to_n_in_both_languages():
    """B6 师生比 is computed per pupil (its CV too) and shown as the bureau writes it."""
    assert fmt_value(0.0496, "B6", "zh") == "1 : 20.2"
    assert fmt_value(0.0496, "B6", "en") == "1 : 20.2"
    assert fmt_value(0.0496, "B6", "zh", unit=False) == "1 : 20.2"
    assert (display_unit("B6", "zh"), display_unit("B6", "en")) == ("师 : 生", "teachers : pupils")
    assert (display_unit("Q5", "zh"), display_unit("Q5", "en")) == ("m²/生", "m²/pupil")
    assert (indicator_label("B6", "zh"), indicator_label("B6", "en")) == ("师生比", "Teacher-pupil ratio")


def test_values_keep_their_units_and_separators():
    assert fmt_value(3827.4, "Q6", "zh") == "3,827 元/生"
    assert fmt_value(3827.4, "Q6", "en") == "3,827 yuan/pupil"
    assert fmt_value(2.345, "Q7", "zh") == "2.35 间/百生"


def test_yes_no_in_words():
    assert [fmt_bool(v, "zh") for v in ("true", "false", True, False, "x")] == ["是", "否", "是", "否", "—"]
    assert [fmt_bool(v, "en") for v in ("true", "false")] == ["yes", "no"]


def test_short_names_sound_official():
    """Short labels are the standards' names or their official abbreviations, never 百生…."""
    std = standards_table()
    assert indicator_label("B4", "zh") == "百名学生计算机台数"
    assert indicator_label("Q7", "zh") == "百名学生网络多媒体教室数"
    for i, ind in INDICATORS.items():
        assert not ind.short_zh.startswith("百生"), i
    # the sports area has one name everywhere: the standards' B2/Q5 name
    assert std.loc["B2", "chinese_name"] == std.loc["Q5", "chinese_name"] == "生均体育运动场馆面积"
    assert indicator_label("B2", "zh") == indicator_label("Q5", "zh") == "生均体育运动场馆面积"
    assert standard_name("BS2", "zh") == "生均体育运动场馆面积"
    assert failing_names(["BS2", "BS4"], "basic", "zh") == "生均体育运动场馆面积、生均图书册数"
    assert failing_names(["Q5"], "quality", "en") == "Sports area"
