# Two commands for a newcomer: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install system-deps services bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## make run: the gateway with demo data on the embedded default (SQLite, in-process tasks)
run: install
	$(BIN)/gateway demo init
	$(BIN)/gateway serve

## make test: the whole suite (unit, integration on PostgreSQL/Redis, end-to-end)
test: install system-deps services
	$(BIN)/pytest

system-deps:
	@sh .ci/ensure-system-deps

services:
	@sh .ci/ensure-services

## make bench: throughput and latency against ceilings measured in the same run (bench/README.md);
## BENCH_QUICK=1 for a smoke run of a few minutes. Writes bench/results/<timestamp>/report.{md,json}.
bench: install services
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) var test-artifacts
