# Component Test Sessions: `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV ?= uv
STACK := deploy/local/stack.sh
PYTEST := $(UV) run --all-packages pytest

.PHONY: help setup up down status topics test test-unit test-integration test-e2e test-reliability test-reliability-auth lint format demo schemas asyncapi config-reference bench

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[1m%-18s\033[0m %s\n", $$1, $$2}'

setup: ## Install uv (with pip) if missing and sync the workspace
	@command -v $(UV) >/dev/null || python3 -m pip install --quiet uv
	$(UV) sync --all-packages --frozen

up: setup ## Start the local stack (Kafka, FerretDB, PostgreSQL), installing it on first use; KAFKA_AUTH=scram: SASL/SCRAM + ACLs
	@CTS_KAFKA_AUTH=$${KAFKA_AUTH:-$${CTS_KAFKA_AUTH:-none}} $(STACK) up
	@$(STACK) admin $(UV) run --all-packages python -m cts_runtime.topics_admin

down: ## Stop the local stack processes this repository started
	@$(STACK) down

status: ## Show whether the local stack runs and answers
	@$(STACK) status

topics: ## Create the CTS topics (idempotent; CTS_TOPIC_PARTITIONS, default 6)
	@$(STACK) admin $(UV) run --all-packages python -m cts_runtime.topics_admin --partitions $${CTS_TOPIC_PARTITIONS:-6}

test: setup ## Everything CI runs: unit, integration, e2e and reliability tests on the real local stack
	$(PYTEST) tests

test-unit: setup ## Fast tests: no servers
	$(PYTEST) tests/unit

test-integration: setup ## Tests against the real local Kafka, FerretDB and PostgreSQL
	$(PYTEST) tests/integration

test-e2e: setup ## All services as separate processes on the real local stack
	$(PYTEST) tests/e2e

test-reliability: setup ## SIGKILLs, Kafka/FerretDB restarts, hostile input, tenant isolation, a 200-session soak
	$(PYTEST) tests/reliability

test-reliability-auth: setup ## The reliability suite on a private Kafka with SASL/SCRAM and ACLs, each service its own principal
	CTS_TEST_KAFKA_AUTH=scram $(PYTEST) tests/reliability

lint: setup ## ruff check, ruff format --check, mypy --strict
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy contracts/src libs/*/src services/*/src tests tools deploy/local/probe.py

format: setup ## Apply ruff's fixes and formatting
	$(UV) run ruff check --fix .
	$(UV) run ruff format .

schemas: setup ## Regenerate the committed JSON Schemas and AsyncAPI document
	$(UV) run --all-packages python -m cts_contracts.schema_export
	$(UV) run --all-packages python -m cts_runtime.catalogue

config-reference: setup ## Regenerate docs/configuration.md (every CTS_ variable) from the settings classes
	$(UV) run --all-packages python -m tools.config_reference

bench: setup ## Benchmarks B1-B3 on the real local stack (not part of test); writes bench-results/
	$(UV) run --all-packages python -m bench.run $(BENCH_ARGS)

demo: ## Run one red-mode session end to end on the local stack (scripted model without ANTHROPIC_API_KEY)
	@# The first line says which model answers, before any installation output.
	@if [ -n "$${ANTHROPIC_API_KEY:-}" ]; then echo "CTS demo: using Claude (ANTHROPIC_API_KEY is set)"; \
	 else echo "CTS demo: scripted model (no ANTHROPIC_API_KEY): a local server replays a recorded Claude conversation"; fi
	@$(MAKE) --no-print-directory setup
	@bash deploy/local/prereqs.sh
	@bash $(STACK) install
	@CTS_DEMO_ANNOUNCED=1 $(UV) run --all-packages cts-demo
