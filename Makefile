# centrereach: two commands do everything (make run, make test).
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DATA_DIR ?= $(if $(CENTREREACH_DATA_DIR),$(CENTREREACH_DATA_DIR),$(wildcard ../shared/data))

.PHONY: run test test-fast demo bench lint format clean wheel-test

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

## The main job: the Derbyshire 2024 study.
run: $(STAMP)
	$(VENV)/bin/centrereach run studies/derbyshire-2024.toml $(if $(DATA_DIR),--data-dir $(DATA_DIR),)

## A small synthetic county, no network and no ../shared needed.
demo: $(STAMP)
	$(VENV)/bin/centrereach demo --out output/demo

## The whole test suite, with lint and type checks.
test: $(STAMP) lint
	$(PY) -m pytest

## The edit loop: no slow tests, no ../shared/data, no lint.
test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow and not shared_data"

## The package as users install it: build the wheel and sdist, run the wheel from a fresh venv.
wheel-test: $(STAMP)
	PYTHON=$(PYTHON) BUILDER=$(PY) bash .ci/wheel-test

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff format src tests benchmarks
	$(VENV)/bin/ruff check --fix src tests benchmarks

bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[bench]'  # the national benchmark's peers (igraph, pandana)
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) output .pytest_cache .mypy_cache .ruff_cache
