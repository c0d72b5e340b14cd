# Two commands for a newcomer: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-faults install system-deps services bench clean

$(STAMP): pyproject.toml bank_client/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/pip install --quiet -e ./bank_client
	touch $(STAMP)

install: $(STAMP)

## make run: the gateway with demo data on the embedded default (SQLite, in-process tasks)
run: install
	$(BIN)/gateway demo init
	$(BIN)/gateway serve

## make test: the whole suite, in runs that all run even if one fails:
##   unit and integration tests, TEST_WORKERS processes in parallel (pytest-xdist);
##   end-to-end and browser tests, also in parallel, except those that measure latency under load;
##   hostile-input tests one at a time (schemathesis's generated tests share one test id, which
##   pytest-xdist would run once);
##   the latency-under-load tests (marker `load`), alone, one at a time;
##   the fault tests (the same as make test-faults).
TEST_WORKERS ?= 2
test: install system-deps services
	@status=0; \
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --durations=15 tests/unit tests/integration || status=1; \
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --durations=10 -m "not load" tests/e2e tests/browser || status=1; \
	$(BIN)/pytest tests/hostile || status=1; \
	$(BIN)/pytest -m load tests/e2e || status=1; \
	$(BIN)/pytest tests/faults || status=1; \
	exit $$status

## make test-faults: kill, restart and freeze the gateway's own PostgreSQL, Redis, API and worker
## processes, then check that nothing was lost or done twice (tests/faults; a few minutes)
test-faults: install system-deps services
	$(BIN)/pytest tests/faults

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
