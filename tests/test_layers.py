"""The import-linter contracts of pyproject.toml hold: dashboard's layers point down, only
dashboard.ui.cache imports streamlit, and pages/ import dashboard.ui, dashboard.store and
dashboard.i18n only.  (The same check as `make lint`'s `lint-imports`.)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_import_contracts_hold() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    assert lint_imports.is_file(), f"{lint_imports} missing: run make setup (import-linter is a dev tool)"
    # pages/ is a root package beside dashboard/: both must be importable from the repo root.
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    result = subprocess.run([str(lint_imports), "--no-cache", "--no-logo"], cwd=REPO,
                            env={**os.environ, "PYTHONPATH": path}, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
