#!/usr/bin/env bash
# Check the lower bounds of pyproject.toml: install every runtime dependency at its minimum
# (the ">=" of its line) together in a fresh venv, from PyPI alone, and run a representative
# part of the tests with them.  About 5 minutes.  Usage: bash scripts/check-min-deps.sh [VENV]
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${1:-/tmp/minvenv}
py=${PY:-python3}
export PIP_CONFIG_FILE=/dev/null  # PyPI only, whatever this machine's pip config says

mapfile -t minimums < <("$py" - <<'EOF'
import re, tomllib
for line in tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]:
    name, low = re.match(r"([A-Za-z0-9._-]+)(?:\[.*\])?\s*>=\s*([^,;\s]+)", line).groups()
    print(f"{name}=={low}")
EOF
)
echo "minimums: ${minimums[*]}"
rm -rf "$venv"
"$py" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q "${minimums[@]}" pytest hypothesis
"$venv/bin/python" -m pip install -q --no-deps -e .
"$venv/bin/python" -m pip freeze | grep -iE "^($(printf '%s|' "${minimums[@]%%==*}")x)==" || true
"$venv/bin/python" -m pytest -q -p no:cacheprovider -m "not browser" \
    tests/test_engine.py tests/test_contract.py tests/test_app_pages.py tests/test_planner.py \
    tests/test_planner_page.py tests/test_scenario_page.py tests/test_demo.py \
    tests/test_snapshots.py tests/test_cli.py
