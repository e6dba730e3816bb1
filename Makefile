# One command per job; every target creates the environment it needs.
# uv is installed with pip when it is missing (see README).
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")
PYTEST_ARGS ?=

.PHONY: env test test-fast lint format bench run schemas clean

$(UV):
	python3 -m pip install --user --quiet uv || python3 -m pip install --quiet uv

env: $(UV)
	$(UV) sync --all-packages --frozen

## The whole suite: unit, contract, reliability and end-to-end tests.
test: env
	$(UV) run --frozen pytest $(PYTEST_ARGS)

## Unit tests only (no broker, no database).
test-fast: env
	$(UV) run --frozen pytest tests/unit $(PYTEST_ARGS)

lint: env
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .

format: env
	$(UV) run --frozen ruff check --fix .
	$(UV) run --frozen ruff format .

bench: env
	$(UV) run --frozen python bench/messaging.py
	$(UV) run --frozen python bench/matching.py

## The embedded broker and all five services on SQLite, with a seeded demo. Ctrl-C stops.
run: env
	$(UV) run --frozen python deploy/local/run.py

## Regenerate the published event schemas and docs/events.md.
schemas: env
	$(UV) run --frozen python -m tandem_shared.events.published

clean:
	rm -rf .venv .pytest_cache .ruff_cache var
