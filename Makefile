# APA Portal. `make` alone lists the targets.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000
# pytest-xdist: the suite runs on every core, an idle worker taking tests queued for a busy one
# (`PYTEST_ARGS=` runs it in one process).
PYTEST_ARGS ?= -n auto --dist worksteal
# The project's apps, from the lowest layer to the composition root.
APPS := kernel practitioners audit security patients prescriptions dispensing bilans pathway programmes notifications dashboard demo apa_portal

.DEFAULT_GOAL := help
.PHONY: help run test lint typecheck pytest e2e e2e-deps system-deps install migrate demo bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $@

install: $(VENV)/.installed ## Create the virtual environment and install the dependencies

system-deps: ## Check (and install when root) the libraries WeasyPrint needs
	@scripts/system-deps.sh

migrate: install ## Apply the database migrations
	$(PY) manage.py migrate --noinput

demo: migrate ## Create the demo data (idempotent)
	$(PY) manage.py seed_demo

run: system-deps migrate ## Install, migrate, seed the demo data if empty, serve on http://127.0.0.1:8000
	$(PY) manage.py seed_demo --if-empty
	@echo "APA Portal : http://$(HOST):$(PORT)/"
	$(PY) manage.py runserver $(HOST):$(PORT)

lint: install typecheck ## ruff (lint and format), the types, the layers and the missing-migration check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

typecheck: install ## mypy with django-stubs (pyproject.toml) and the layers' contracts (import-linter)
	$(BIN)/mypy $(APPS)
	$(BIN)/lint-imports

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund --silent

e2e-deps: ## Browser-test tools: axe-core from npm; says when Chromium is missing
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory node_modules/.package-lock.json; \
	else echo "npm is missing: the accessibility checks (axe-core) of the browser tests will fail"; fi
	@test -x /usr/bin/chromium || echo "*** Chromium is missing (apt-get install chromium): the browser tests (tests/e2e) are SKIPPED ***"
	@command -v pdftotext >/dev/null 2>&1 || echo "*** poppler-utils is missing (apt-get install poppler-utils): some PDF tests are SKIPPED ***"

pytest: install e2e-deps ## The test suite alone (DATABASE_URL picks the database; SQLite by default)
	$(BIN)/pytest $(PYTEST_ARGS)

e2e: install e2e-deps ## The browser tests alone (E2E_SCREENSHOTS=1 refreshes docs/screenshots)
	$(BIN)/pytest tests/e2e

test: system-deps lint pytest ## Everything CI runs on SQLite: lint, migrations check, tests (browser tests included)

bench: system-deps install ## Benchmark on PostgreSQL (BENCH_DATABASE_URL, BENCH_ARGS): bench/RESULTS.md
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" -eq 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; } || echo "wrk is missing (apt-get install wrk): the load test is skipped"
	$(PY) bench/run.py $(BENCH_ARGS)

clean: ## Remove the virtual environment, the local database and caches
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache .mypy_cache .import_linter_cache
