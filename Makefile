# The README's commands. Each creates .venv on first use, so a fresh clone needs nothing else.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 8000
CHROMIUM := /usr/bin/chromium

.PHONY: run test lint bench browser screenshot clean

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Backprop Lab needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Stamps: reinstall only when pyproject.toml changes.
$(VENV)/.run-deps: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.test-deps: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e '.[test,dev]'
	@touch $@ $(VENV)/.run-deps

run: $(VENV)/.run-deps  ## serve the app at http://localhost:8000
	$(VENV)/bin/backprop-lab --host $(HOST) --port $(PORT)

browser:  ## make sure headless Chromium exists for the browser tests
	@if [ -x $(CHROMIUM) ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; \
	elif [ "$$CI" = true ]; then \
	  echo "CI needs $(CHROMIUM) for the browser tests and cannot install it (not root or no apt-get)"; exit 1; \
	else \
	  echo "Browser tests will be skipped: $(CHROMIUM) is missing (as root, 'apt-get install chromium' adds it)"; \
	fi

lint: $(VENV)/.test-deps
	$(VENV)/bin/ruff check .

test: $(VENV)/.test-deps browser lint  ## the whole suite: engine, server, install, browser
	$(PY) -m pytest

bench: $(VENV)/.test-deps  ## performance tables; figures, not pass/fail
	@for m in $$(ls benchmarks/bench_*.py 2>/dev/null | sort); do \
	  $(PY) -m benchmarks.$$(basename $$m .py) || exit 1; \
	done

screenshot: $(VENV)/.test-deps browser  ## retake docs/screenshot.png, the README's picture
	$(PY) -m pytest -q tests/browser/test_readme_screenshot.py
	cp artifacts/screenshots/readme.png docs/screenshot.png

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache artifacts
