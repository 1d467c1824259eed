# ihub-analysis — one entry point per task.  `make demo` and `make test` are the two commands.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
SPARK_STAMP := $(VENV)/.spark-stamp

.DEFAULT_GOAL := help
.PHONY: help install install-spark demo test test-spark test-fast lint format lab bench bench-quick browser clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)  ## create .venv with the package and its dev tools

$(SPARK_STAMP): $(STAMP)
	scripts/install-java.sh
	$(BIN)/python -m pip install --quiet -e '.[dev,spark]'
	touch $(SPARK_STAMP)

install-spark: $(SPARK_STAMP)  ## add the spark extra (pyspark, sqlglot; Spark needs Java 17)

demo: install  ## build the demo snapshot (if missing) and render every report into reports/
	$(BIN)/ihub demo

browser:  ## install Debian's chromium for the browser test (needs root or sudo)
	scripts/install-chromium.sh

# The Spark parity tests share one Spark session: --dist loadgroup keeps them on one worker.
# IHUB_SKIP_SPARK=1 opts out of them (reported as skipped); a missing Java fails them.
test: install-spark browser  ## run the whole test suite, Spark parity included (needs the local PostgreSQL and Java 17)
	$(BIN)/python -m pytest -n 2 --dist loadgroup

test-spark: install-spark  ## the Spark parity test alone (one local Spark session, a few minutes)
	$(BIN)/python -m pytest -m spark

test-fast: install  ## tests without the slow, browser and Spark ones
	$(BIN)/python -m pytest -n 2 -m "not slow and not browser and not spark"

lint: install  ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install  ## apply ruff's formatting and fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lab: install  ## open JupyterLab on notebooks/ with the project's environment
	$(BIN)/jupyter lab --notebook-dir=notebooks $$([ "$$(id -u)" = 0 ] && echo --allow-root)

bench: install  ## the full benchmark ladder; rewrites docs/performance.md
	$(BIN)/python -m benchmarks

bench-quick: install  ## a seconds-long smoke run of every benchmark
	$(BIN)/python -m benchmarks --quick

clean:  ## remove generated data, reports and caches (keeps .venv)
	rm -rf data/*.duckdb reports/*.html reports/*.ipynb reports/failed .pytest_cache .ruff_cache
