"""The text catalogue: one catalogue, every key in Chinese and English, unknown keys fail loudly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dashboard import i18n
from dashboard.i18n import LANGS, CatalogueError, catalogue, t

ROOT = Path(__file__).resolve().parents[1]


def test_every_key_has_both_languages_and_the_same_fields():
    for key, texts in catalogue().items():
        assert set(texts) >= set(LANGS), key
        fields = {lang: set(re.findall(r"{(\w+)", texts[lang])) for lang in LANGS}
        assert fields["zh"] == fields["en"], key


def test_unknown_key_and_language_fail_loudly():
    with pytest.raises(KeyError, match="no catalogue text for key 'no.such.key'"):
        t("no.such.key")
    with pytest.raises(ValueError, match="lang must be one of"):
        t("lang.name", "fr")


def test_duplicate_keys_across_files_are_refused(tmp_path, monkeypatch):
    folder = tmp_path / "dashboard"
    (folder / "catalogue").mkdir(parents=True)
    for name in ("a.toml", "b.toml"):
        (folder / "catalogue" / name).write_text('[x.y]\nzh = "甲"\nen = "a"\n', encoding="utf-8")
    monkeypatch.setattr(i18n, "__file__", str(folder / "i18n.py"))
    i18n.catalogue.cache_clear()
    try:
        with pytest.raises(CatalogueError, match="'x.y' is defined in both a.toml and b.toml"):
            i18n.catalogue()
    finally:
        monkeypatch.undo()
        i18n.catalogue.cache_clear()


def _cjk_literals(path: Path) -> list[str]:
    """Return 'file:line' of every string literal with Chinese text that is not a docstring."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            body = getattr(node, "body", [])
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    cjk = re.compile(r"[\u4e00-\u9fff]")
    return [f"{path.name}:{node.lineno}" for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docstrings and cjk.search(node.value)]


def test_pages_and_app_use_the_catalogue_not_literals():
    offenders = []
    for path in [ROOT / "app" / "main.py", *sorted((ROOT / "pages").glob("*.py"))]:
        if path.exists():
            offenders += _cjk_literals(path)
    assert not offenders, offenders


def test_english_names_one_thing_by_one_term():
    """The English UI had 'school year' beside 'academic year' (学年) and 'school rule' beside
    'school standard' (学校达标): one term each."""
    texts = {key: entry["en"] for key, entry in catalogue().items()}
    for stray in ("school year", "school rule"):
        found = sorted(k for k, text in texts.items() if stray in text.lower())
        assert found == [], (stray, found)
