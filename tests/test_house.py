"""The house rules of dashboard/: small modules and functions, and no private Streamlit API.

A module of more than ``MAX_MODULE_LINES`` lines, or a function of more than
``MAX_FUNCTION_LINES`` (from ``def`` to its last line), is a sign that it holds several concerns.
A function that must stay one piece says why in a comment that opens its body with
``# One piece:``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
MAX_MODULE_LINES = 800
MAX_FUNCTION_LINES = 80
ONE_PIECE = "# One piece:"
SOURCES = sorted([*(REPO / "dashboard").rglob("*.py"), *(REPO / "pages").glob("*.py"),
                  *(REPO / "app").glob("*.py")])


def _long_functions(path: Path, root: Path = REPO) -> list[str]:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    out = []
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        length = (node.end_lineno or node.lineno) - node.lineno + 1
        if length <= MAX_FUNCTION_LINES:
            continue
        body_start = node.body[0].lineno - 1
        # the reason opens the body, after the docstring if there is one
        first = node.body[1] if _has_docstring(node) and len(node.body) > 1 else node.body[0]
        opening = "\n".join(lines[body_start:first.lineno])
        if ONE_PIECE not in opening:
            out.append(f"{path.relative_to(root)}:{node.lineno} {node.name} ({length} lines)")
    return out


def _has_docstring(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    first = node.body[0]
    return isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(
        first.value.value, str)


def test_no_module_of_dashboard_is_over_the_limit() -> None:
    over = [f"{p.relative_to(REPO)} ({n} lines)" for p in SOURCES if p.is_relative_to(REPO / "dashboard")
            for n in [len(p.read_text(encoding="utf-8").splitlines())] if n > MAX_MODULE_LINES]
    assert over == []


def test_no_function_is_over_the_limit_without_saying_why() -> None:
    assert [f for p in SOURCES for f in _long_functions(p)] == []


def test_the_checker_sees_a_long_function_and_accepts_a_reason(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    plain = tmp_path / "plain.py"
    plain.write_text(f"def f():\n{body}\n", encoding="utf-8")
    reasoned = tmp_path / "reasoned.py"
    reasoned.write_text(f'def f():\n    """Doc."""\n    {ONE_PIECE} a state machine.\n{body}\n',
                        encoding="utf-8")
    assert _long_functions(plain, tmp_path) == [f"plain.py:1 f ({MAX_FUNCTION_LINES + 1} lines)"]
    assert _long_functions(reasoned, tmp_path) == []


# Written in two parts so that a plain grep of the tree for these names finds nothing.
@pytest.mark.parametrize("pattern", ["Pages" + "Manager", "uses_pages" + "_directory"])
def test_no_private_streamlit_api(pattern: str) -> None:
    hits = [str(p.relative_to(REPO)) for folder in ("dashboard", "pages", "app", "scripts",
                                                      "tests", "benchmarks")
            for p in (REPO / folder).rglob("*.py")
            if p != Path(__file__) and re.search(pattern, p.read_text(encoding="utf-8"))]
    assert hits == []


def test_the_entry_script_does_not_sit_beside_pages() -> None:
    # Streamlit's version-1 discovery runs a pages/ folder beside the entry script as pages of
    # their own on a fresh server's first deep link (the browser test opens one).
    assert not (REPO / "app" / "pages").exists()
    assert (REPO / "pages").is_dir() and (REPO / "app" / "main.py").is_file()
