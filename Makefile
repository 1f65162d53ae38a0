# Junheng 均衡 — every target sets itself up from nothing (Python 3.11, pip and apt).
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
DEMO    := data/demo-990101-2024/meta.json
HOST    ?= 127.0.0.1
PORT    ?= 8501

# Two locks, pinned with hashes for Linux x86_64, Python 3.11 (`make lock` writes both):
# requirements-run.lock is what `make run` needs, requirements.lock adds the dev tools.
RUN_LOCK := requirements-run.lock
DEV_LOCK := requirements.lock
# An unpacked offline bundle (`make bundle`) carries wheels/: install from it, never an index.
PIP_SRC  := $(if $(wildcard wheels/*.whl),--no-index --find-links wheels,)
# The stamps are named by the checksum of what they installed: an edit re-runs the install.
sum       = $(firstword $(shell cat $(1) 2>/dev/null | cksum))
RUN_STAMP := $(VENV)/.installed-run-$(call sum,pyproject.toml $(RUN_LOCK))
DEV_STAMP := $(VENV)/.installed-dev-$(call sum,pyproject.toml $(DEV_LOCK))
# `make lock` resolves against PyPI alone, whatever this machine's pip config says.
LOCK_ENV ?= PIP_CONFIG_FILE=/dev/null
COMPILE   = $(LOCK_ENV) CUSTOM_COMPILE_COMMAND='make lock' $(BIN)/pip-compile -q --generate-hashes --allow-unsafe --all-build-deps \
	--strip-extras --no-emit-index-url --no-emit-find-links

.PHONY: setup setup-run system-deps debs data run test test-fast bench fuzz lint lock bundle clean

# Runtime and dev tools (tests, lint): what a developer and CI need.
setup: $(DEV_STAMP)

# Runtime only: what `make run` needs (all an offline bundle carries).
setup-run: $(RUN_STAMP)

$(RUN_STAMP): pyproject.toml $(RUN_LOCK)
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q $(PIP_SRC) -r $(RUN_LOCK)
	$(BIN)/python -m pip install -q $(PIP_SRC) --no-deps --no-build-isolation -e .
	@rm -f $(VENV)/.installed-run-*
	@touch $@

$(DEV_STAMP): pyproject.toml $(DEV_LOCK) $(RUN_STAMP)
	$(BIN)/python -m pip install -q $(PIP_SRC) -r $(DEV_LOCK) || { [ -z "$(PIP_SRC)" ] || \
		echo "wheels/ lacks the dev tools: build the bundle with 'make bundle BUNDLE_LOCK=$(DEV_LOCK)'"; \
		exit 1; }
	@rm -f $(VENV)/.installed-dev-*
	@touch $@

# Debian's chromium and CJK fonts, for the browser tests and figure export (installed once);
# from debs/ alone when it holds .deb files (`make debs`, docs/operations.md).
system-deps:
	@bash scripts/system-deps.sh

# On a connected Debian 12 machine: debs/ gets the .deb files of what a server needs (make,
# python3-venv, chromium, fonts-noto-cjk, haproxy) with every dependency, for an offline one.
debs:
	@bash scripts/fetch-debs.sh

$(DEMO): | $(RUN_STAMP)
	$(BIN)/python -m dashboard demo --out .

# Checks every demo snapshot (checksums) and boundary file and rebuilds whatever is missing or
# damaged, atomically; a complete demo is left as it is (about a second).
data: setup-run
	$(BIN)/python -m dashboard.store.demo --out .

# WORKERS=n (n > 1): n app processes behind HAProxy with sticky sessions (scripts/run-workers.sh;
# `make system-deps` installs haproxy); every process on 127.0.0.1, the proxy on HOST:PORT.
# As a service: scripts/junheng.service (docs/operations.md).  `exec`: the shell make starts
# becomes the script, so a SIGTERM to make (passed on to its child) reaches the script's trap
# and no worker is left behind (a plain `bash …` left the script and every worker running).
WORKERS ?= 1
run: setup-run data
ifeq ($(WORKERS),1)
	$(BIN)/python -m app.serve --host $(HOST) --port $(PORT)
else
	WORKERS=$(WORKERS) HOST=$(HOST) PORT=$(PORT) BIN=$(BIN) exec bash scripts/run-workers.sh
endif

# The tests build their own demo county in a temporary folder (tests/demo_data.py).
test: setup system-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider

# Everything but the real-browser tests, the offline bundle, the LibreOffice renders and the
# workers behind their proxy.
test-fast: setup
	$(BIN)/python -m pytest -q -p no:cacheprovider -m "not browser and not bundle and not office and not workers"

bench: setup $(DEMO)
	$(BIN)/python -m benchmarks

# The long fuzz run: FUZZ_CASES malformed files from the demo county, each through
# `python -m dashboard evaluate` in a subprocess (2 at a time); counts in benchmarks/results/fuzz.json.
# FUZZ_MINUTES=N starts no case after N minutes (the JSON then says how many ran; exit 1).
FUZZ_CASES ?= 2000
fuzz: setup-run
	$(BIN)/python -m benchmarks.fuzz $(FUZZ_CASES) --workers 2 \
		$(if $(FUZZ_MINUTES),--max-minutes $(FUZZ_MINUTES),)

# Style, types, the layers of dashboard/ and pages/ (import-linter), declared = imported (deptry).
lint: setup
	$(BIN)/python -m ruff check dashboard pages app tests benchmarks scripts
	$(BIN)/python -m mypy
	cd tests && $(CURDIR)/$(BIN)/python -m mypy --explicit-package-bases --cache-dir $(CURDIR)/.mypy_cache .
	PYTHONPATH=$(CURDIR) $(BIN)/lint-imports --no-logo
	$(BIN)/deptry .

# Re-resolve both locks from pyproject.toml; existing pins stay unless they no longer fit.
# UPGRADE=1 moves every pin to the newest allowed.  The run lock starts from the full one, so
# its pins are always a subset of it.
lock: setup
	$(COMPILE) --extra dev $(if $(UPGRADE),--upgrade,) -o $(DEV_LOCK) pyproject.toml
	cp $(DEV_LOCK) $(RUN_LOCK)
	$(COMPILE) -o $(RUN_LOCK) pyproject.toml

# dist/junheng-<version>-<platform>.tar.gz: the committed tree (HEAD) and the wheels of
# BUNDLE_LOCK for this machine's Python and platform; unpacked, `make run` needs no network.
BUNDLE_LOCK ?= $(RUN_LOCK)
bundle:
	@PY=$(PY) bash scripts/bundle.sh $(BUNDLE_LOCK)

clean:
	rm -rf $(VENV) .pytest_cache dist
