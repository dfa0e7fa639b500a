# openai-cost developer commands. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*## "}{printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -U "pip>=25.1"
	$(BIN)/python -m pip install -q --disable-pip-version-check -e ".[postgres,dashboard]" --group dev
	@touch $(STAMP)

.PHONY: install
install: $(STAMP) ## Create .venv with the package and the dev tools

.PHONY: run
run: install ## Price the bundled example data (the main job)
	$(BIN)/openai-cost analyze examples/mixed_log.jsonl examples/batch_output.jsonl
	$(BIN)/openai-cost price gpt-4o --input 2006 --cached 1920 --output 300 --at 2025-01-08

.PHONY: test
test: install ## Run the whole test suite
	$(BIN)/python -m pytest

.PHONY: lint
lint: install ## ruff check + format check
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/ruff format --check src tests benchmarks tools

.PHONY: format
format: install ## Format and autofix with ruff
	$(BIN)/ruff format src tests benchmarks tools
	$(BIN)/ruff check --fix src tests benchmarks tools

.PHONY: typecheck
typecheck: install ## mypy --strict on src/
	$(BIN)/mypy

.PHONY: all
all: lint typecheck test ## lint, typecheck and test

BENCH_VENV ?= .venv-bench
.PHONY: bench
bench: ## Run the benchmarks against genai-prices, litellm and tokencost (own venv)
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install -q --disable-pip-version-check -U "pip>=25.1"
	$(BENCH_VENV)/bin/python -m pip install -q --disable-pip-version-check -e . --group bench
	$(BENCH_VENV)/bin/python benchmarks/run_all.py

AUDIT_VENV ?= .venv-audit
.PHONY: audit-prices
audit-prices: ## Compare our prices with the newest genai-prices and litellm (ARGS="--at DATE --json")
	@test -x $(AUDIT_VENV)/bin/python || $(PYTHON) -m venv $(AUDIT_VENV)
	@$(AUDIT_VENV)/bin/python -m pip install -q --disable-pip-version-check -U "pip>=25.1"
	@$(AUDIT_VENV)/bin/python -m pip install -q --disable-pip-version-check -U genai-prices
	@$(AUDIT_VENV)/bin/python -m pip install -q --disable-pip-version-check -U --no-deps litellm
	@$(AUDIT_VENV)/bin/python -m pip install -q --disable-pip-version-check --no-deps -e .
	@$(AUDIT_VENV)/bin/python tools/audit_prices.py $(ARGS)

.PHONY: clean
clean: ## Remove the virtual environments and caches
	rm -rf $(VENV) $(BENCH_VENV) $(AUDIT_VENV) .pytest_cache .mypy_cache .ruff_cache build dist
