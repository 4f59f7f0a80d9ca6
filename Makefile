# Two commands do everything on a fresh machine: `make run` and `make test` (see README).
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint bench contracts clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[test,browser,spark,bench,accel]'
	touch $@

# Compiled copies of the hot trademark modules (Cython; see src/ipoffice/accel.py). Rebuilt when a source changed;
# a machine without a C compiler runs everything as Python, with the same results.
$(VENV)/.accel: $(VENV)/.installed $(wildcard src/ipoffice/trademarks/*.py src/ipoffice/trademarks/*.pyx) src/ipoffice/accel.py
	-$(VENV)/bin/ipoffice accel build
	touch $@

install: $(VENV)/.installed $(VENV)/.accel

run: install
	$(VENV)/bin/ipoffice init --sample
	$(VENV)/bin/ipoffice index update >/dev/null 2>&1 || $(VENV)/bin/ipoffice index build
	$(VENV)/bin/ipoffice serve --host $(HOST) --port $(PORT)

test: install
	$(VENV)/bin/ruff check src tests bench scripts
	$(VENV)/bin/pytest

lint: install
	$(VENV)/bin/ruff check src tests bench scripts
	$(VENV)/bin/ruff format --check src tests bench scripts

bench: install
	$(PY) bench/ingest.py

contracts: install
	../shared/checks/contracts

clean:
	rm -rf $(VENV) ipoffice-data .pytest_cache
