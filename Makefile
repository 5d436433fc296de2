# Govern: `make run` starts the product, `make test` runs the suite. Both create .venv and a
# development .env first, and install the Debian packages they need (or name them and stop).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000
# The OpenID provider the single sign-on tests (and `make run-sso`) sign in at: Node.js packages.
OIDC_PROVIDER := tests/oidc/node_modules/.package-lock.json

.PHONY: run run-sso test lint typecheck bench loadtest fuzz clean system-print system-browser

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

.env:
	$(PYTHON) -m govern.dotenv init

$(OIDC_PROVIDER): tests/oidc/package.json tests/oidc/package-lock.json
	cd tests/oidc && npm ci --no-audit --no-fund --loglevel=error

system-print:
	@$(PYTHON) -m govern.system_packages icc ocr ocr-deu

system-browser:
	@$(PYTHON) -m govern.system_packages icc chromium ocr ocr-deu node npm

run: system-print .env $(STAMP)
	$(PY) manage.py migrate --no-input --verbosity 0
	$(PY) manage.py bootstrap --verbosity 0
	$(PY) manage.py install_schedules
	$(PY) manage.py seed_demo --campaign-in 3
	$(PY) manage.py serve --bind 127.0.0.1:$(PORT)

# `make run` with single sign-on through a local OpenID provider (tests/oidc, Node.js) on :8105.
run-sso: $(OIDC_PROVIDER)
	OIDC_ISSUER=http://127.0.0.1:8105 OIDC_CLIENT_ID=govern OIDC_CLIENT_SECRET=demo-sso-secret \
	OIDC_SCOPES="openid profile email groups" SITE_URL=http://127.0.0.1:$(PORT) $(MAKE) run

test: system-browser .env $(STAMP) $(OIDC_PROVIDER)
	GOVERN_REQUIRE_BROWSER=1 $(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	ENV_FILE=/dev/null DEBUG=1 $(VENV)/bin/mypy .

# Fifty people at once against `manage.py serve` (loadtest/run.py); needs PostgreSQL and Redis
# (LOAD_DATABASE_URL, LOAD_REDIS_URL). Locust lives in its own virtualenv. Not part of CI.
LOAD_VENV := .venv-load
$(LOAD_VENV)/.installed: loadtest/requirements.txt
	test -x $(LOAD_VENV)/bin/python || $(PYTHON) -m venv $(LOAD_VENV)
	$(LOAD_VENV)/bin/pip install --quiet -r loadtest/requirements.txt
	touch $@

loadtest: system-print .env $(STAMP) $(LOAD_VENV)/.installed
	$(PY) loadtest/run.py

fuzz: $(STAMP)
	.ci/fuzz-api

bench: system-print .env $(STAMP)
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) $(LOAD_VENV) staticfiles .test-db.sqlite3*
