# Pumpjack: `make run` (everything, in the foreground), `make dev` (the same with Django's
# development server and DEBUG on) and `make test` (ESLint over the field app's JavaScript, then
# the whole suite).
# Both create and use .venv/; without DATABASE_URL / REDIS_URL they use embedded servers whose
# data lives in .pumpjack/ (git-ignored).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run dev test test-pgbouncer test-browser lint-js install migrate seed bench-auth bench-wells bench-tenancy bench-sync bench-exports bench-serve bench-serve-tail clean-data

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

test: $(STAMP) lint-js
	$(PY) -m pytest $(PYTEST_ARGS)

# ESLint (the exact version of package.json / package-lock.json, installed into node_modules/ by
# `npm ci` whenever the lock file changed) over the field web app's JavaScript, vendor/ excluded
# (eslint.config.js). Needs Node.js 20.19+ and npm: without them a clear message and a skip
# locally, a failure under CI=true.
NODE ?= node
NPM ?= npm
NODE_STAMP := node_modules/.installed
JS_DIR := sync/static/field/

$(NODE_STAMP): package.json package-lock.json
	$(NPM) ci --no-audit --no-fund --ignore-scripts
	@touch $(NODE_STAMP)

lint-js:
	@if ! command -v $(NODE) >/dev/null 2>&1 || ! command -v $(NPM) >/dev/null 2>&1 || \
	    ! $(NODE) -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then \
	  case "$${CI:-}" in \
	    1|[Tt]rue|TRUE|[Yy]es|YES) echo "lint-js: Node.js 20.19+ and npm are needed to lint $(JS_DIR) (CI=true: not skipped)." \
	                     "Install them (Debian: apt-get install nodejs npm, or the machine's Node.js)." >&2; exit 1;; \
	    *) echo "lint-js: SKIPPED: no Node.js 20.19+ with npm on PATH; install it to lint $(JS_DIR) with ESLint." >&2;; \
	  esac; \
	else \
	  $(MAKE) -s --no-print-directory $(NODE_STAMP) && $(NODE) node_modules/.bin/eslint --max-warnings 0 $(JS_DIR); \
	fi

# The tenancy, authentication, wells and sync suites again, every connection through PgBouncer in
# transaction pooling mode (Debian's pgbouncer; tests/ops/through_pgbouncer.py). .ci/run runs it
# after `make test`; locally it says so and passes when pgbouncer is not installed.
test-pgbouncer: $(STAMP)
	$(PY) tests/ops/through_pgbouncer.py $(PYTEST_ARGS)

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

bench-serve-tail: $(STAMP)
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) bench/serve_tail.py $(BENCH_ARGS)

# Stops the embedded servers and deletes their data (asks first).
clean-data: $(STAMP)
	$(PY) -m config.run --stop-embedded
	@read -p "Delete .pumpjack/ (all local data)? [y/N] " answer && [ "$$answer" = y ] && rm -rf .pumpjack || true
