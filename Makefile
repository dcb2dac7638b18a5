# Two entry points for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,ensemble]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/oreshock run japan-rare-earths-2026

test: $(STAMP)
	bash scripts/install-system-deps.sh
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports
	$(MAKE) typecheck
	$(BIN)/pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports
	$(MAKE) typecheck

# Static types: the package (files and options in pyproject's [tool.mypy]) and the benchmarks.
typecheck: $(STAMP)
	$(BIN)/mypy
	$(BIN)/mypy benchmarks

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV)
