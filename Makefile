# Pumpjack: `make run` (everything, in the foreground), `make dev` (the same with Django's
# development server and DEBUG on) and `make test` (the whole suite).
# Both create and use .venv/; without DATABASE_URL / REDIS_URL they use embedded servers whose
# data lives in .pumpjack/ (git-ignored).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run dev test test-browser install migrate seed bench-auth bench-wells bench-tenancy bench-sync bench-exports bench-serve clean-data

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed (set PYTHON=...)"'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,client]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) -m config.run

dev: $(STAMP)
	DJANGO_DEBUG=true $(PY) -m config.run

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

# Only the portal's browser tests: headless Chromium from Debian (/usr/bin/chromium; install it with
# `sudo apt-get install -y --no-install-recommends chromium`), driven by Playwright. Without the
# browser they skip locally and fail under CI=true; .ci/run installs it.
test-browser: $(STAMP)
	$(PY) -m pytest tests/portal/test_browser.py tests/portal/test_browser_widths.py $(PYTEST_ARGS)

migrate: $(STAMP)
	$(PY) manage.py migrate_schemas --noinput

seed: $(STAMP)
	$(PY) manage.py seed_demo

bench-auth: $(STAMP)
	$(PY) bench/auth.py

bench-wells: $(STAMP)
	$(PY) bench/wells_api.py

bench-tenancy: $(STAMP)
	$(PY) bench/tenancy_scale.py $(BENCH_ARGS)

bench-sync: $(STAMP)
	$(PY) bench/sync_ingest.py $(BENCH_ARGS)

# CSV exports through one gunicorn worker: rows/s per export against 50,000, and the worker's
# peak RSS (BENCH_ARGS="--rows 200000"; the bench tenant is seeded once, then reused).
bench-exports: $(STAMP)
	$(PY) bench/exports.py $(BENCH_ARGS)

# The HTTP server under load with wrk (Debian: apt-get install wrk): BENCH_ARGS="--compare" compares
# gunicorn sync / gthread, granian and uvicorn (installed by the bench extra).
bench-serve: $(STAMP)
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) bench/serve.py $(BENCH_ARGS)

# Stops the embedded servers and deletes their data (asks first).
clean-data: $(STAMP)
	$(PY) -m config.run --stop-embedded
	@read -p "Delete .pumpjack/ (all local data)? [y/N] " answer && [ "$$answer" = y ] && rm -rf .pumpjack || true
