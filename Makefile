# OtelStorage: `make run` starts everything, `make test` tests everything.
# Both install what is missing first: rabbitmq-server (apt) and s3rver (npm ci).

SHELL := /bin/bash
DOTNET ?= dotnet
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
RESULTS := TestResults

.PHONY: help deps build run test chaos fuzz differential lint format bench run-client clean

help:
	@echo "make run         install what is missing, then start the AppHost (dashboard on http://localhost:18888)"
	@echo "make test        install what is missing, then run every test (TRX files in $(RESULTS)/)"
	@echo "make chaos       install what is missing, then run the full fault-injection and backpressure suite (docs/RELIABILITY.md)"
	@echo "make build       build the solution (warnings are errors)"
	@echo "make fuzz        the fuzz and mutation suite in full mode (>= 100k cases, docs/RELIABILITY-fuzz.md)"
	@echo "make differential  the TraceQL differential test at full size (10,000 queries, docs/query.md)"
	@echo "make lint        check formatting and style (dotnet format --verify-no-changes)"
	@echo "make bench       run the BenchmarkDotNet suites (Release)"
	@echo "make run-client  run the example client / load generator"

deps: node_modules/.package-lock.json /usr/lib/rabbitmq/bin/rabbitmq-server /usr/bin/chromium

# Debian's Chromium, for the Health.Api chart page test (Playwright drives it; no browser download).
/usr/bin/chromium:
	$(SUDO) apt-get update -q
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium

/usr/lib/rabbitmq/bin/rabbitmq-server:
	$(SUDO) apt-get update -q
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q rabbitmq-server
	@# A broker started by the package would hold 5672; the AppHost runs its own.
	-$(SUDO) service rabbitmq-server stop >/dev/null 2>&1 || true

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

build:
	$(DOTNET) build OtelStorage.sln

run: deps
	$(DOTNET) run --project OtelStorage.AppHost

test: deps
	rm -rf $(RESULTS)
	@# One test module at a time: several start RabbitMQ, s3rver or the whole AppHost, and on 2 cores the Health.Api
	@# stop/start scenario failed (DCP: "Failed to stop resource batcher") whenever another module ran beside it.
	@# The TraceQL differential test runs 1,000 of its 10,000 queries here (make differential runs them all).
	OTELSTORAGE_DIFFERENTIAL_QUERIES=$${OTELSTORAGE_DIFFERENTIAL_QUERIES:-1000} \
	$(DOTNET) test --solution OtelStorage.sln --max-parallel-test-modules 1 --report-trx --results-directory $(CURDIR)/$(RESULTS)

# The TraceQL differential test at full size: 10,000 generated queries, pushed-down search against the naive evaluator.
differential: deps
	OTELSTORAGE_DIFFERENTIAL_QUERIES=$${OTELSTORAGE_DIFFERENTIAL_QUERIES:-10000} $(DOTNET) test --project tests/Query.Api.Tests \
	  --report-trx --results-directory $(CURDIR)/$(RESULTS) -- --filter-class Query.Api.Tests.Differential.DifferentialSearchTests

# Issue #9 at full size: the fault-injection suite (SIGSTOP 30 s, longer load, in Release), then the fuzz suite;
# make test runs both reduced.
# Figures go to $(RESULTS)/chaos-full.md (or OTELSTORAGE_CHAOS_REPORT), process logs to $(RESULTS)/chaos-logs/.
chaos: deps
	rm -rf $(RESULTS)/chaos-full.md $(RESULTS)/chaos-logs
	OTELSTORAGE_CHAOS=full $(DOTNET) test --project tests/OtelStorage.Chaos.Tests -c Release --report-trx --results-directory $(CURDIR)/$(RESULTS)
	@cat "$${OTELSTORAGE_CHAOS_REPORT:-$(RESULTS)/chaos-full.md}"
	$(MAKE) fuzz

# The fuzz and mutation suite against the live services, full size (about 100k+ cases; make test runs it reduced).
# OTELSTORAGE_FUZZ_SEED=n runs another seed; OTELSTORAGE_FUZZ_CASE=category:index replays one case.
# Figures and failing inputs: $(RESULTS)/fuzz/summary.md and $(RESULTS)/fuzz/failures/.
fuzz: deps
	OTELSTORAGE_FUZZ=full $(DOTNET) test --project tests/OtelStorage.Fuzz.Tests --report-trx --results-directory $(CURDIR)/$(RESULTS)/fuzz-trx; \
	status=$$?; cat $(RESULTS)/fuzz/summary.md 2>/dev/null; exit $$status

lint:
	$(DOTNET) format OtelStorage.sln --verify-no-changes

format:
	$(DOTNET) format OtelStorage.sln

# BenchmarkDotNet suites (decode, encode, lookup), then one end-to-end run on the local stack (docs/perf/e2e-latest.md).
BENCH_FILTER ?= *
bench: deps
	$(DOTNET) run -c Release --project tests/OtelStorage.Benchmarks -- --filter '$(BENCH_FILTER)' --join --artifacts docs/perf/benchmarkdotnet
	scripts/bench-e2e.sh

# Example: make run-client CLIENT_ARGS="--protocol http/json --rate 50000 --duration 1m --verify"
CLIENT_ARGS ?= --spans 20000 --verify
run-client:
	$(DOTNET) run -c Release --project OtelStorage.LoadGen -- $(CLIENT_ARGS)

clean:
	$(DOTNET) clean OtelStorage.sln
	rm -rf $(RESULTS) BenchmarkDotNet.Artifacts
