"""What checking reports: one :class:`Violation` per broken rule and place, in words in zh or en.

Rows are numbered as the user sees them: in a CSV or XLSX file the row number in the sheet
(header in row 1, so data row *i*, 0-based, is row *i* + 2; title rows above the header and
blank rows keep their numbers); in a Parquet file or a DataFrame the 1-based position.

>>> v = Violation("schools.xlsx", "Sheet1", 5, "小学在校生数", "-3", "min_0", "error")
>>> v.message("zh")
'文件 schools.xlsx，工作表 Sheet1，第 5 行，列「小学在校生数」：值 -3 不符合规则「不得小于 0」'
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

import pandas as pd

from dashboard.i18n import DEFAULT_LANG, t
from dashboard.store.contract.limits import MAX_SHOWN_VALUE
from dashboard.store.contract.spec import Severity, enums, parse_condition

__all__ = ["Violation", "ContractError", "LoadResult", "shown_value"]

_LONG_ENUM: Final = 10  # enums longer than this are listed by code only in messages
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def shown_value(text: str) -> str:
    """Return a cell as a violation shows it: control and bidi characters escaped (``\\x1b``),
    so that a cell cannot move the cursor, colour a terminal or reorder the line, and at most
    MAX_SHOWN_VALUE characters, the rest elided with ``…``.

    >>> print(shown_value("a\\x1b[31mb"))
    a\\x1b[31mb
    >>> len(shown_value("x" * 10_000))
    201
    """
    text = _CONTROL.sub(lambda m: m[0].encode("unicode_escape").decode("ascii"), text)
    return text if len(text) <= MAX_SHOWN_VALUE else text[:MAX_SHOWN_VALUE] + "…"


@dataclass(frozen=True)
class Violation:
    """One broken rule at one place of one file.

    ``row`` is the row number as the user sees it (None for a whole-column or whole-table
    problem), ``column`` the header as written in the file, ``value`` the cell as written
    (None where there is none), ``rule`` a rule id ("min_0", "enum", "le:teachers_primary",
    "unique", "required", "type", …) and ``params`` the details a message needs.
    """

    file: str
    sheet: str | None
    row: int | None
    column: str | None
    value: str | None
    rule: str
    severity: Severity
    params: tuple[tuple[str, str], ...] = ()

    def listed(self, lang: str = DEFAULT_LANG) -> str:
        """Return :meth:`message`, a warning marked as one (提示：…) where it is listed among
        errors."""
        text = self.message(lang)
        return text if self.severity == "error" else t("import.warning", lang, message=text)

    def message(self, lang: str = DEFAULT_LANG) -> str:
        """Return the violation as one sentence in ``lang``: where, the value and the rule."""
        where = [t("contract.where.file", lang, file=self.file)]
        if self.sheet is not None:
            where.append(t("contract.where.sheet", lang, sheet=self.sheet))
        if self.row is not None:
            where.append(t("contract.where.row", lang, row=self.row))
        if self.column is not None:
            where.append(t("contract.where.column", lang, column=self.column))
        place = t("contract.where.separator", lang).join(where)
        rule = self.rule_text(lang)
        if self.value is None:
            return t("contract.message.without_value", lang, where=place, rule=rule)
        return t("contract.message.with_value", lang, where=place, value=self.value, rule=rule)

    def rule_text(self, lang: str = DEFAULT_LANG) -> str:
        """Return the rule in words, in ``lang`` (e.g. 不得小于 0)."""
        p = dict(self.params)
        kind, _, arg = self.rule.partition(":")
        plausible = re.fullmatch(r"plausible_(min|max)_(.+)", kind)
        if plausible:
            return t(f"contract.rule.plausible_{plausible[1]}", lang, limit=plausible[2])
        if kind == "too_large":
            what = t(f"contract.limit.{p['what']}", lang)
            return t("contract.rule.too_large", lang, what=what, value=p["value"],
                     limit=p["limit"])
        bound = re.fullmatch(r"(min|max|digits)_(.+)", kind)
        if bound:
            return t(f"contract.rule.{bound[1]}", lang, limit=bound[2])
        ratio = re.fullmatch(r"(per_\w+_max)_(.+)", kind)
        if ratio:
            return t(f"contract.rule.{ratio[1]}", lang, limit=ratio[2], ratio=p.get("ratio", ""))
        if kind == "type":
            return t(f"contract.rule.type_{p['dtype']}", lang)
        if kind == "enum":
            return t("contract.rule.enum", lang, allowed=_allowed_text(p["enum"], lang))
        if kind == "unique":
            within = p["within"].split("|") if p.get("within") else ()
            text = (t("contract.rule.unique_within", lang, within=_join(within, lang)) if within
                    else t("contract.rule.unique", lang))
            return text + (t("contract.rule.unique_first", lang, row=p["first"])
                           if "first" in p else "")
        if kind in ("required_when", "only_when"):
            cond = parse_condition(arg)
            assert cond is not None
            values = _enum_values_text(p["enum"], cond.values, lang)
            key = kind if kind == "required_when" else f"only_when_{p['otherwise']}"
            return t(f"contract.rule.{key}", lang, column=p["column"], values=values)
        if kind == "sheet":
            return t("contract.rule.sheet", lang, sheets=_join(p["sheets"].split("|"), lang))
        if kind == "roster_count":
            stage = _enum_values_text("stage", (p["stage"],), lang)
            text = t("contract.rule.roster_count", lang, stage=stage, roster=p["roster"],
                     declared=p["declared"])
            return text + (t("contract.rule.roster_rows", lang, rows=p["rows"]) if p.get("rows") else "")
        return t(f"contract.rule.{kind}", lang, **p)


def row_ranges(rows: Iterable[int]) -> str:
    """Return row numbers as runs, e.g. (5, 6, 7, 12) → "5–7, 12" (a roster's rows of a school)."""
    runs: list[list[int]] = []
    for n in sorted(int(r) for r in rows):
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return ", ".join(f"{a}" if a == b else f"{a}–{b}" for a, b in runs)


def _join(items: Iterable[str], lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(items)


def _enum_values_text(enum: str, codes: Iterable[str], lang: str) -> str:
    """Return the codes of ``enum`` in words: Chinese labels in zh, codes in en."""
    labels = enums()[enum]
    if lang == "zh":
        return "、".join(labels[c][0] for c in codes)
    return " or ".join(codes)


def _allowed_text(enum: str, lang: str) -> str:
    """Return the allowed values of ``enum``: in zh the Chinese labels (the import takes them, or
    the codes the English template uses), or ``代码 标签`` pairs where the codes are numbers
    (统计用城乡分类代码: the number is what is filled in); codes in en."""
    labels = enums()[enum]
    if lang == "zh" and len(labels) <= _LONG_ENUM:
        if all(str(code).isdigit() for code in labels):
            return "、".join(f"{code} {zh}" for code, (zh, _) in labels.items())
        return "、".join(zh for zh, _ in labels.values())
    return _join(labels, lang)


class ContractError(ValueError):
    """Data break the contract; ``violations`` holds every violation (errors and warnings).

    The message lists every error, numbered, in ``lang``.
    """

    def __init__(self, violations: Iterable[Violation], lang: str = DEFAULT_LANG) -> None:
        self.violations: tuple[Violation, ...] = tuple(violations)
        errors = [v for v in self.violations if v.severity == "error"]
        lines = [t("contract.summary", lang, count=len(errors))]
        lines += [f"{i}. {v.message(lang)}" for i, v in enumerate(errors, start=1)]
        super().__init__("\n".join(lines))

    @property
    def errors(self) -> tuple[Violation, ...]:
        """Return the violations that block (severity "error")."""
        return tuple(v for v in self.violations if v.severity == "error")


@dataclass(frozen=True, eq=False)
class LoadResult:
    """A table in canonical form and every violation found while loading and checking it.

    ``frame`` has the canonical English column names in declared order; ints are int64, floats
    float64, bools bool (nullable ``boolean`` where the column may be empty), codes and text str
    (None where empty), enums their English codes.  When ``ok`` is False the frame is a
    best-effort reading (unparseable cells empty, nullable dtypes) and must not be evaluated.
    """

    frame: pd.DataFrame
    violations: tuple[Violation, ...]
    rows: tuple[int, ...] | None = None  # the file row number of each frame row, when known
    sheet: str | None = None  # the XLSX sheet read (the one named, or the one the reader picked)

    @property
    def errors(self) -> tuple[Violation, ...]:
        """Return the violations that block (severity "error")."""
        return tuple(v for v in self.violations if v.severity == "error")

    def warnings_of(self, mask: pd.Series) -> tuple[Violation, ...]:
        """Return the warnings of the frame rows ``mask`` keeps (and those of no row): an
        import of one year does not warn about the other year's rows."""
        if self.rows is None:
            return self.warnings
        kept = {row for row, keep in zip(self.rows, mask.to_numpy(), strict=True) if keep}
        return tuple(v for v in self.warnings if v.row is None or v.row in kept)

    @property
    def warnings(self) -> tuple[Violation, ...]:
        """Return the violations that do not block (implausible but possible values)."""
        return tuple(v for v in self.violations if v.severity == "warning")

    @property
    def ok(self) -> bool:
        """Return True when there is no error (warnings allowed)."""
        return not self.errors

    def raise_for_errors(self, lang: str = DEFAULT_LANG) -> LoadResult:
        """Return self when ``ok``; otherwise raise :class:`ContractError` listing every error."""
        if not self.ok:
            raise ContractError(self.violations, lang)
        return self
