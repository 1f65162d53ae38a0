# Junheng 均衡 — every target sets itself up from nothing (Python 3.11, pip and apt).
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
DEMO    := data/demo-990101-2024/meta.json
HOST    ?= 127.0.0.1
PORT    ?= 8501

.PHONY: setup system-deps data run test test-fast bench lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

# Debian's chromium and CJK fonts, for the browser tests and figure export (installed once).
system-deps:
	@bash scripts/system-deps.sh

$(DEMO): | $(STAMP)
	$(BIN)/python -m dashboard demo --out .

data: setup $(DEMO)

run: setup $(DEMO)
	$(BIN)/streamlit run app/main.py --server.address $(HOST) --server.port $(PORT) \
		--server.headless true --browser.gatherUsageStats false

test: setup system-deps $(DEMO)
	$(BIN)/python -m pytest -q -p no:cacheprovider

# Everything but the real-browser tests.
test-fast: setup $(DEMO)
	$(BIN)/python -m pytest -q -p no:cacheprovider -m "not browser"

bench: setup $(DEMO)
	$(BIN)/python -m benchmarks

lint: setup
	$(BIN)/python -m ruff check dashboard pages app tests benchmarks scripts
	$(BIN)/python -m mypy

clean:
	rm -rf $(VENV) .pytest_cache benchmarks/results
