# Lodestar: `make demo` runs the whole product, `make test` runs the tests.
# Both create .venv and install what they need; nothing else is required but Python 3.11+.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: demo test bench lint format clean-data help

help:
	@echo "make demo   - start web + worker + beat on embedded PostgreSQL/Redis with a demo workspace"
	@echo "make test   - run the test suite"
	@echo "make bench  - run the benchmarks (JSON figures in benchmarks/results/)"
	@echo "make lint   - ruff check + format check"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Lodestar needs Python 3.11 or newer; run: make PYTHON=python3.11 ...")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

demo: $(STAMP)
	$(BIN)/python -m config.launcher --port $(PORT)

test: $(STAMP) browser-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The browser tests (tests/browser) drive Debian's chromium, never a downloaded one. Install it
# when we can (root with apt-get); otherwise they skip, except in CI (CI=true), where they fail.
.PHONY: browser-deps
browser-deps:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing chromium for the browser tests (apt-get) ..."; \
		apt-get update -qq >/dev/null && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || \
		echo "chromium could not be installed: browser tests will skip (fail in CI)"; \
	fi

bench: $(STAMP)
	@mkdir -p benchmarks/results
	@set -e; for script in benchmarks/[!_]*.py; do \
		echo "== $$script"; $(BIN)/python $$script; \
	done

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean-data:
	@echo "This deletes every workspace in the embedded database under .data/."
	rm -rf .data
