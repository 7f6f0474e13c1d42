# The two commands a fresh machine needs: `make demo` and `make test`. Each installs what it needs itself:
# uv (bootstrapped into .tools/ when it is not on PATH), then the locked environment (`uv sync --frozen`).
SHELL := /bin/bash
PYTHON ?= python3
UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.tools/bin/uv)
RUN := $(UV) run --frozen

.PHONY: demo test lint schema bench-core bench install

$(CURDIR)/.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet uv

install: | $(UV)
	$(UV) sync --frozen

## The main job on embedded defaults: the bundled Jira sandbox with its demo organisation, swept twice.
demo: install
	$(RUN) escalator demo

## The whole test suite.
test: install
	$(RUN) pytest

## Static checks run by CI after the tests (lint-imports: the architecture contracts in pyproject.toml).
lint: install
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy
	$(RUN) lint-imports

## Regenerate the policy JSON Schema for editors (CI checks it is current).
schema: install
	$(RUN) escalator policy schema > policies/policy.schema.json

## Micro-benchmarks of the pure core (print numbers; not tests).
bench-core: install
	$(RUN) python bench/core_evaluate.py
	$(RUN) python bench/calendar_bench.py

## The live sweep against its lower bound and the `jira`-client baseline (issue 6; minutes; see BENCHMARKS.md).
## Options: make bench BENCH_ARGS="--sizes 1000,10000,100000 --runners flow,direct"
bench: install
	$(RUN) python bench/sweep_benchmark.py $(BENCH_ARGS)
