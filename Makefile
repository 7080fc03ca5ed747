# ISP Portal: the two commands are `make run` and `make test` (see README.md).
# Everything they need is installed from this repository's own files into .venv/, node_modules/ and var/.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: run test setup lint typecheck pytest bench lock clean ci

run: setup
	$(PY) scripts/dev.py run

test: setup
	$(PY) scripts/dev.py test $(ARGS)

setup: $(VENV)/.installed node_modules/.installed static/dist/.built

$(VENV)/.installed: requirements.lock requirements-dev.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --disable-pip-version-check -r requirements-dev.lock
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

static/dist/.built: node_modules/.installed static/src/application.scss scripts/copy-govuk-assets.mjs
	npm run --silent build
	touch $@

# Pieces of `make test`, for when you only want one of them (services are still started for you).
lint: setup
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

typecheck: setup
	$(VENV)/bin/mypy .

pytest: setup
	$(PY) scripts/dev.py pytest $(ARGS)

bench: setup
	$(PY) scripts/dev.py bench $(ARGS)

# Re-resolve the dependency locks from pyproject.toml.
lock:
	rm -rf var/lock-venv && $(PYTHON) -m venv var/lock-venv
	var/lock-venv/bin/pip install --quiet .
	(echo "# Runtime dependencies, fully resolved. Regenerate with 'make lock' after changing pyproject.toml."; \
	  var/lock-venv/bin/pip freeze --exclude isp-portal) > requirements.lock
	var/lock-venv/bin/pip install --quiet '.[dev]'
	(echo "# Development and test dependencies, fully resolved. Regenerate with 'make lock'."; echo "-r requirements.lock"; \
	  var/lock-venv/bin/pip freeze --exclude isp-portal | grep -v -x -F -f <(grep -v '^#' requirements.lock)) > requirements-dev.lock
	rm -rf var/lock-venv

clean:
	rm -rf $(VENV) node_modules static/dist staticfiles
