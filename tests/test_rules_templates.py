"""The optional class and room tables have fill-in templates made by the same machinery as the
others, whose example rows import without an error (issue 12)."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

from dashboard.i18n import t
from dashboard.store.contract.facts import load_classes, load_rooms
from dashboard.store.contract.spec import header_map, specs
from dashboard.store.demo import build_demo
from dashboard.store.templates import TEMPLATE_FILES, template_workbook

LOADERS = {"classes": load_classes, "rooms": load_rooms}


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("table", ["classes", "rooms"])
def test_fact_templates_import_their_examples(tmp_path: Path, table: str, lang: str) -> None:
    assert table in TEMPLATE_FILES
    wb = openpyxl.load_workbook(io.BytesIO(template_workbook(table, lang)))
    assert wb.sheetnames[0] == t(f"template.sheet.{table}", lang)
    data = wb.worksheets[0]
    assert [c.value for c in data[1]] == [header_map(table, lang)[s.name] for s in specs(table)]
    examples = list(wb[t("template.sheet.examples", lang)].iter_rows(values_only=True))
    assert len(examples) > 1
    for r, row in enumerate(examples[1:], start=2):
        for col, value in enumerate(row, start=1):
            data.cell(row=r, column=col, value=value)
    path = tmp_path / f"{table}.xlsx"
    wb.save(path)
    schools = build_demo().schools[2024]
    result = LOADERS[table](path, schools=schools, lang=lang)
    assert result.ok, [str(v) for v in result.violations][:5]
    assert len(result.frame) == len(examples) - 1
