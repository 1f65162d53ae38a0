"""Display formats and labels every page model shares: numbers with their units and precision,
CVs to the standards' decimals, percentages, indicator labels, statuses, and URL choices.

The CV precision and the "near" margin are the standards' parameters
(``DEFAULT_PARAMS.round_dp`` and ``.near_margin``, rows PARAM_ROUND_CV and PARAM_NEAR_MARGIN
of standards.csv), never literals here.  Nothing here imports streamlit.

>>> pick("junior", ("primary", "junior"), "primary")
'junior'
>>> pick("x", ("primary", "junior"), "primary")
'primary'
>>> fmt_value(10.5014, "Q5", "zh")
'10.50 m²/生'
>>> fmt_cv(0.48427)
'0.484'
>>> fmt_money(18412320, "zh"), fmt_money(18412320, "en")
('1,841.2 万元', '18,412,320 yuan')
>>> fmt_value(0.0496, "B6", "zh")
'1 : 20.2'

Data strings (school, county, township and scenario names, notes, file names, messages that
quote a value) are shown as text, never as markup: :func:`md_text` escapes them for anything
Streamlit renders as Markdown (``st.markdown``, ``st.caption``, ``st.info`` …, widget labels,
metric labels, ``help``), :func:`html_text` for Plotly's text, hover texts, tick labels and
trace names (Plotly renders a subset of HTML there).

>>> print(md_text("![x](x.png) **b** :cat:").replace("\\u2060", "|"))
!\\[x\\](x.png) \\*\\*b\\*\\* :|cat:
>>> html_text("<b>甲</b> & 乙")
'&lt;b&gt;甲&lt;/b&gt; &amp; 乙'
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Final, TypeVar

import numpy as np
import pandas as pd

from dashboard.i18n import t
from dashboard.method.standards import DEFAULT_PARAMS, INDICATORS, standards_table

__all__ = [
    "WRAPPED_ROW_HEIGHT",
    "wrapped_height",
    "md_text",
    "html_text",
    "html_texts",
    "MAX_ERRORS_SHOWN",
    "DASH",
    "fmt_time",
    "text_ems",
    "SCHOOL_STATUS_COLOURS",
    "unit_status_detail",
    "pick",
    "is_missing",
    "fmt_number",
    "fmt_value",
    "fmt_money",
    "fmt_ratio",
    "fmt_bool",
    "is_ratio",
    "RATIO_INDICATORS",
    "cv_decimals",
    "cv_d3_format",
    "fmt_cv",
    "fmt_cv_signed",
    "fmt_delta",
    "fmt_pct",
    "indicator_label",
    "wrap_label",
    "axis_title",
    "unit_of",
    "display_unit",
    "status_of",
    "failing_names",
    "standard_name",
    "table_height",
]

# Indicators a bureau writes as "1 : n" (n pupils per teacher): 师生比, published as 1:22 / 1:17
# (standards.csv B6 and BS8's rule note).  Their CV stays on the per-pupil value (B6's note:
# "NOT students per teacher"); only the display is inverted.
RATIO_INDICATORS: Final = frozenset({"B6"})
RATIO_DECIMALS: Final = 1
WAN: Final = 10_000  # 1 万元 = 10,000 元; amounts from 1 万元 up are shown in 万元 (zh)
# A table row this tall (px) wraps its text (Streamlit wraps a cell's text only in rows taller
# than 4rem): for a few rows whose long names were cut ("…per stude"), never for long tables.
WRAPPED_ROW_HEIGHT: Final = 66


def wrapped_height(rows: int) -> int:
    """Return the height (px) of a table of ``rows`` rows of :data:`WRAPPED_ROW_HEIGHT` and its
    header, every row shown (the default height scrolled inside the table after 7 rows).

    >>> wrapped_height(8)
    568
    """
    return rows * WRAPPED_ROW_HEIGHT + 40

MAX_ERRORS_SHOWN: Final = 50  # contract violations listed on a page (the count says the rest)
DASH: Final = "—"

T = TypeVar("T")

# Markdown signs that mean something anywhere in a line (code, emphasis, links and images by
# their brackets, HTML and autolinks, entities, strikethrough, LaTeX, tables) are escaped with a
# backslash, which CommonMark reads as the literal sign.  ``_`` is escaped unless it stands
# between two letters or digits (where it never emphasises: file names stay readable).
_MD_SIGNS: Final = frozenset("\\`*[]<>&~$|")
# Signs that mean something only at the start of a line (lists, quotes, headings).
_MD_LINE_START: Final = frozenset("-+=#>")
# Linkified by GitHub's autolink literals and Streamlit's ``:emoji:`` / ``:material/…:`` after
# parsing, where a backslash no longer counts: a WORD JOINER (invisible) breaks the pattern.
_WORD_JOINER: Final = "\u2060"
_AFTER_JOINER: Final = re.compile(r"(?<=@)|(?<=:)(?=\S)|(?<=www)(?=\.)", re.IGNORECASE)
_LINE_BREAKS: Final = re.compile(r"[\r\n\t\f\v\u2028\u2029]+")
_LIST_NUMBER: Final = re.compile(r"^(\s*\d+)([.)])")


def md_text(value: object, limit: int | None = None) -> str:
    """Return ``value`` as text that Streamlit's Markdown shows literally: line breaks made
    spaces, Markdown signs escaped, autolinks and shortcodes broken by an invisible word
    joiner; cut to ``limit`` characters (with "…") if given.

    >>> print(md_text("1. a_b _c_ **d**"))
    1\\. a_b \\_c\\_ \\*\\*d\\*\\*
    """
    text = _LINE_BREAKS.sub(" ", str(value))
    if limit is not None and len(text) > limit:
        text = text[:limit] + "…"
    out = []
    for k, c in enumerate(text):
        inner = c == "_" and 0 < k < len(text) - 1 and text[k - 1].isalnum() \
            and text[k + 1].isalnum()
        escape = c in _MD_SIGNS or (c == "_" and not inner) or (k == 0 and c in _MD_LINE_START)
        out.append("\\" + c if escape else c)
    escaped = _LIST_NUMBER.sub(r"\1\\\2", "".join(out))
    return _AFTER_JOINER.sub(_WORD_JOINER, escaped)


def html_text(value: object) -> str:
    """Return ``value`` as text Plotly shows literally (``<``, ``>``, ``&`` as entities)."""
    return html.escape(str(value), quote=False)


def html_texts(values: pd.Series) -> pd.Series:
    """Return a column with :func:`html_text` applied to its texts (other values as they are).

    >>> html_texts(pd.Series(["<b>x</b>", None])).tolist()
    ['&lt;b&gt;x&lt;/b&gt;', None]
    """
    return values.map(lambda v: html_text(v) if isinstance(v, str) else v)


def pick(requested: object, options: Sequence[T], default: T) -> T:
    """Return the option whose text equals ``requested``, else ``default`` (URL → choice)."""
    if requested is not None:
        for option in options:
            if str(option) == str(requested):
                return option
    return default


def is_missing(value: object) -> bool:
    """Return True for None, NA, NaN, ±inf and anything that is not a number.

    >>> is_missing(None), is_missing(float("nan")), is_missing("x"), is_missing(0)
    (True, True, True, False)
    """
    try:
        return value is None or bool(pd.isna(value)) or not math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True


def fmt_number(value: object, decimals: int) -> str:
    """Return ``value`` with ``decimals`` decimals and thousands separators ('—' if missing).

    >>> fmt_number(3495.41, 0), fmt_number(float("nan"), 2)
    ('3,495', '—')
    """
    if is_missing(value):
        return DASH
    return f"{float(value):,.{decimals}f}"  # type: ignore[arg-type]


def is_ratio(indicator: str) -> bool:
    """Return True when ``indicator`` is shown as '1 : n' (pupils per teacher)."""
    return indicator in RATIO_INDICATORS


def fmt_ratio(per_pupil: object, decimals: int = RATIO_DECIMALS) -> str:
    """Return a per-pupil ratio (teachers per pupil) as the bureau writes it, '1 : n' with n
    pupils per teacher ('—' if missing or zero).

    >>> fmt_ratio(0.0496), fmt_ratio(1 / 17), fmt_ratio(0.0), fmt_ratio(None)
    ('1 : 20.2', '1 : 17.0', '—', '—')
    >>> fmt_ratio(0.0001)
    '1 : 10,000.0'
    """
    if is_missing(per_pupil) or float(per_pupil) <= 0:  # type: ignore[arg-type]
        return DASH
    return f"1 : {1.0 / float(per_pupil):,.{decimals}f}"  # type: ignore[arg-type]


def fmt_money(yuan: object, lang: str, *, signed: bool = False) -> str:
    """Return an amount of money: in zh '1,841.2 万元' from 1 万元 up and '3,500 元' below;
    in en '18,412,320 yuan' ('—' if missing).  The one money format of every page.

    >>> fmt_money(3500, "zh"), fmt_money(3500, "en"), fmt_money(0, "zh")
    ('3,500 元', '3,500 yuan', '0 元')
    >>> fmt_money(12345.6, "zh"), fmt_money(-250000, "zh", signed=True)
    ('1.2 万元', '-25.0 万元')
    >>> fmt_money(250000, "en", signed=True)
    '+250,000 yuan'
    """
    if is_missing(yuan):
        return DASH
    x = float(yuan)  # type: ignore[arg-type]
    sign = "+" if signed else ""
    if lang == "zh":
        if abs(x) >= WAN:
            return f"{x / WAN:{sign},.1f} 万元"
        return f"{x:{sign},.0f} 元"
    return f"{x:{sign},.0f} yuan"


def fmt_bool(value: object, lang: str) -> str:
    """Return a yes/no value in words ('是'/'否', 'yes'/'no'; '—' if it is neither).

    >>> fmt_bool("false", "zh"), fmt_bool(True, "en"), fmt_bool("x", "en")
    ('否', 'yes', '—')
    """
    text = str(value).strip().lower()
    if text in ("true", "1", "1.0", "是", "yes"):
        return t("checklist.target.yes", lang)
    if text in ("false", "0", "0.0", "否", "no"):
        return t("checklist.target.no", lang)
    return DASH


def fmt_value(value: object, indicator: str, lang: str, *, unit: bool = True) -> str:
    """Return an indicator value at its precision with its unit, e.g. '10.50 m²/生'; a ratio
    indicator (师生比) as '1 : 20.2'."""
    if is_ratio(indicator):
        return fmt_ratio(value)
    ind = INDICATORS[indicator]
    text = fmt_number(value, ind.decimals)
    return f"{text} {ind.unit(lang)}" if unit and text != DASH else text


def cv_decimals() -> int:
    """Return the decimals CVs are shown and judged to (the standards' PARAM_ROUND_CV).

    >>> cv_decimals() == DEFAULT_PARAMS.round_dp
    True
    """
    return DEFAULT_PARAMS.round_dp


def cv_d3_format() -> str:
    """Return the d3 number format of a CV in plotly hover texts and ticks, e.g. '.3f'."""
    return f".{cv_decimals()}f"


def fmt_cv(value: object) -> str:
    """Return a CV (ratio) to the standards' decimals, e.g. '0.484' ('—' if missing)."""
    return fmt_number(value, cv_decimals())


def fmt_cv_signed(value: object, *, zero: str = "") -> str:
    """Return a change of a CV with its sign, e.g. '+0.012'; ``zero`` (e.g. '±') prefixes a
    change that rounds to nothing ('—' if missing).

    >>> fmt_cv_signed(-0.0123), fmt_cv_signed(0.0001, zero="±")
    ('-0.012', '±0.000')
    """
    if is_missing(value):
        return DASH
    x = float(value)  # type: ignore[arg-type]
    if zero and round(abs(x), cv_decimals()) == 0:
        return f"{zero}{fmt_cv(0.0)}"
    return f"{x:+.{cv_decimals()}f}"


DELTA_MAX_DECIMALS: Final = 8  # a change smaller than this shows as its first digits anyway


def fmt_delta(value: object, decimals: int | None = None) -> str:
    """Return a change with its sign, to ``decimals`` (default: a CV's) or as many more as make
    it non-zero; '±0' only when it is truly none ('—' if missing).

    >>> fmt_delta(-0.0123), fmt_delta(0.0004), fmt_delta(0.00004), fmt_delta(0.0)
    ('-0.012', '+0.0004', '+0.00004', '±0')
    """
    if is_missing(value):
        return DASH
    x = float(value)  # type: ignore[arg-type]
    if x == 0 or abs(x) < 10.0 ** -(DELTA_MAX_DECIMALS + 2):
        return "±0"
    d = cv_decimals() if decimals is None else decimals
    while round(abs(x), d) == 0 and d < DELTA_MAX_DECIMALS:
        d += 1
    return f"{x:+.{d}f}"


def fmt_pct(value: object, decimals: int = 0, *, signed: bool = False) -> str:
    """Return a ratio as a percentage, e.g. 0.231 → '23%' (signed: '+23%').

    >>> fmt_pct(0.231), fmt_pct(-0.05, 1, signed=True)
    ('23%', '-5.0%')
    """
    if is_missing(value):
        return DASH
    return f"{float(value) * 100:{'+' if signed else ''}.{decimals}f}%"  # type: ignore[arg-type]


def indicator_label(indicator: str, lang: str, *, short: bool = True) -> str:
    """Return the indicator's (short) name in ``lang``."""
    ind = INDICATORS[indicator]
    if short:
        return ind.short_zh if lang == "zh" else ind.short_en
    return ind.name(lang)


def wrap_label(text: str, lang: str, width: int | None = None) -> str:
    """Return ``text`` broken into lines of about ``width`` characters with '<br>' (tick labels).

    >>> wrap_label("生均教学及辅助用房", "zh", 5)
    '生均教学及<br>辅助用房'
    >>> wrap_label("Teaching floor area", "en", 10)
    'Teaching<br>floor area'
    >>> wrap_label("Teacher-pupil ratio", "en"), wrap_label("Above-degree teachers", "en")
    ('Teacher-<br>pupil ratio', 'Above-<br>degree<br>teachers')
    """
    if lang == "zh":
        width = width or 4
        return "<br>".join(text[k:k + width] for k in range(0, len(text), width))
    width = width or 11  # English ticks beside each other collided ("Teacher-pupilAbove-degree")
    lines: list[str] = []
    for word in text.split():
        for part in re.findall(r"[^-]+-|[^-]+", word):  # a hyphenated word may break after "-"
            glue = "" if lines and lines[-1].endswith("-") else " "
            if lines and len(lines[-1]) + len(glue) + len(part) <= width:
                lines[-1] += glue + part
            else:
                lines.append(part)
    return "<br>".join(lines)


def unit_of(indicator: str, lang: str) -> str:
    """Return the unit of ``indicator``'s computed value in ``lang`` (e.g. 'm²/生'; 师生比's
    is 师/生, the per-pupil value its CV and figures use)."""
    return INDICATORS[indicator].unit(lang)


def display_unit(indicator: str, lang: str) -> str:
    """Return the unit of ``indicator``'s value as :func:`fmt_value` shows it: 'm²/生', or for
    师生比 '师 : 生' (its values read '1 : 20.2')."""
    return t("format.ratio_unit", lang) if is_ratio(indicator) else unit_of(indicator, lang)


def axis_title(indicator: str, lang: str) -> str:
    """Return '<short name>（<unit>）', the axis title of an indicator's values."""
    return t("app.fig.value_axis", lang, name=indicator_label(indicator, lang),
             unit=unit_of(indicator, lang))


def status_of(passed: object, near: object = False) -> str:
    """Return 'pass', 'fail', 'near' (passes within the standards' near margin of the
    threshold, as the engine flags it) or 'missing'.

    >>> status_of(True, False), status_of(True, True), status_of(False, True), status_of(None)
    ('pass', 'near', 'fail', 'missing')
    """
    if passed is None or passed is pd.NA or (isinstance(passed, float) and math.isnan(passed)):
        return "missing"
    if not bool(passed):
        return "fail"
    return "near" if (near is not None and near is not pd.NA and bool(near)) else "pass"


# School-rule items of the provincial profile that measure a CV indicator's quantity are named
# as the national standard names that indicator, so one quantity has one name on every page
# (BS2 生均体育活动场地面积 is sports_area_m2 per pupil, B2 生均体育运动场馆面积).
SAME_QUANTITY: Final = {"BS2": "B2"}


def standard_name(item_id: str, lang: str) -> str:
    """Return the official name of a standards row in ``lang`` (a row measuring a CV
    indicator's quantity under that indicator's name; the id itself if unknown).

    >>> standard_name("BS2", "zh"), standard_name("BS4", "zh")
    ('生均体育运动场馆面积', '生均图书册数')
    """
    if item_id in SAME_QUANTITY:
        return INDICATORS[SAME_QUANTITY[item_id]].name(lang)
    std = standards_table()
    if item_id not in std.index:
        return str(item_id)
    return str(std.loc[item_id, "chinese_name" if lang == "zh" else "english_name"])


def failing_names(failing: object, scheme: str, lang: str, *, short: bool = False) -> str:
    """Return the names of the indicators (quality) or school-rule items (basic) a unit fails,
    joined for display ('' when none); ``short``: an item measuring a CV indicator's quantity
    under that indicator's short name (a table cell of a few hundred pixels).

    >>> failing_names(["BS2", "BS8"], "basic", "en", short=True)
    'Sports area; Teacher-pupil ratio (pupils per teacher)'
    """
    ids = tuple(failing) if isinstance(failing, (tuple, list, np.ndarray)) else ()
    if scheme == "quality":
        names = [indicator_label(i, lang) for i in ids]
    elif short:
        names = [indicator_label(SAME_QUANTITY[str(i)], lang) if str(i) in SAME_QUANTITY
                 else standard_name(str(i), lang) for i in ids]
    else:
        names = [standard_name(str(i), lang) for i in ids]
    return ("、" if lang == "zh" else "; ").join(names)


# Badge colours of a unit's school-rule status (Streamlit's named colours); an approximated
# unit is never shown in a pass's green.
SCHOOL_STATUS_COLOURS: Final = {"pass": "green", "fail": "red", "approximated": "violet", "missing": "gray"}


def unit_status_detail(unit: object, scheme: str, lang: str) -> str:
    """Return what a unit's status rests on, to follow its count of items met: the items not
    met, those judged only on an approximation and those without data ('' when all are met).

    >>> from types import SimpleNamespace as U
    >>> unit_status_detail(U(failing=("BS8",), approximated=("BS5",), uncertain=("BS5", "BS9")), "basic", "zh")
    '；未达标：师生比；仅近似判断：教学实验仪器配置（总值）；缺数据：班额'
    """
    def ids(name: str) -> tuple:
        value = getattr(unit, name, ())
        return tuple(value) if isinstance(value, (tuple, list, np.ndarray)) else ()

    approximated = ids("approximated")
    parts = {"failing": ids("failing"), "approximated": approximated,
             "missing": tuple(i for i in ids("uncertain") if i not in approximated)}
    return "".join(t(f"app.school.detail.{k}", lang, items=failing_names(v, scheme, lang))
                   for k, v in parts.items() if v)


BEIJING: Final = timezone(timedelta(hours=8))  # China Standard Time: no daylight saving


def fmt_time(stamp: object) -> str:
    """Return a stored ISO 8601 time as 'YYYY-MM-DD HH:MM' in Beijing time (the column header
    names the zone; a time without a zone is taken as UTC, as the store writes; text that is
    no time is returned as it is).

    >>> fmt_time("2022-09-30T00:00:00+00:00"), fmt_time("2024-01-01T23:30:00Z"), fmt_time("?")
    ('2022-09-30 08:00', '2024-01-02 07:30', '?')
    """
    try:
        when = datetime.fromisoformat(str(stamp))
    except ValueError:
        return str(stamp)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def text_ems(text: str, latin: float = 0.55) -> float:
    """Return the width of ``text`` in ems: a CJK character (or full-width sign) one em, any
    other ``latin`` (about 0.55 in regular type, 0.62 in bold): for laying out names and cells.

    >>> text_ems("城关街道"), round(text_ems("Tao", 0.62), 2)
    (4.0, 1.86)
    """
    return sum(1.0 if ord(ch) > 0x2E7F else latin for ch in text)


def table_height(frame: pd.DataFrame, row_px: int = 35, max_rows: int = 30) -> int:
    """Return a table height (px) showing up to ``max_rows`` rows without inner scrolling."""
    return row_px * (min(len(frame), max_rows) + 1) + 3
