# The two commands a newcomer needs are `make run` and `make test`; each sets up what is missing.
.DEFAULT_GOAL := help
SHELL := bash

.PHONY: help setup run watch test test-soak test-rust test-e2e dist image-test bench cassandra-start cassandra-stop cassandra-status \
        cluster-start cluster-stop cluster-status

help: ## Show this list
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{ printf "  make %-18s %s\n", $$1, $$2 }'

setup: ## Install the toolchain, Chromium and the Playwright packages (skips what is there)
	@scripts/toolchain.sh

run: ## Set up, start Cassandra, build (release) and serve on http://127.0.0.1:3000
	@scripts/toolchain.sh build
	@scripts/cassandra.sh start
	SECRETS_KEY_FILE=$$(scripts/secrets-key.sh) cargo leptos serve --release --precompress

watch: ## Start Cassandra and serve with live reload (cargo leptos watch)
	@scripts/toolchain.sh build
	@scripts/cassandra.sh start
	SECRETS_KEY_FILE=$$(scripts/secrets-key.sh) cargo leptos watch

test: ## Set up, start Cassandra, run every test (unit, integration, browser), stop what it started
	@scripts/test.sh

RUNS ?= 10
test-soak: ## The timing-sensitive suites RUNS times (default 10); STRESS=1 runs them under stress-ng
	@scripts/soak-tests.sh $(RUNS) $(if $(STRESS),--stress)

dist: ## Build the release and pack it: dist/cassandra-users-VERSION-x86_64-linux.tar.gz (INSTALL.md inside)
	@scripts/dist.sh

image-test: ## Build the container image with podman (from a debug build's package) and run it against the dev node
	@scripts/toolchain.sh build
	cargo leptos build
	@scripts/cassandra.sh start
	@tests/image.sh

bench: ## Release build against the local node: bundle bytes, page vs JSON, creates, 10^6 users, RSS → BENCHMARKS.md
	@scripts/bench.sh

cassandra-start: ## Start the local Cassandra node (downloads it once); no-op when it is up
	@scripts/cassandra.sh start

cassandra-stop: ## Stop the local Cassandra node and wait until its process is gone
	@scripts/cassandra.sh stop

cassandra-status: ## Say whether Cassandra answers CQL on 127.0.0.1:9042
	@scripts/cassandra.sh status

cluster-start: ## Start the local 3-node cluster (dc1, TLS, passwords) on 127.0.1.1-3; settings in .cluster/app.env
	@scripts/toolchain.sh
	@scripts/cluster.sh start

cluster-stop: ## Stop the local cluster and wait until its processes are gone
	@scripts/cluster.sh stop

cluster-status: ## Say which cluster nodes answer CQL over TLS with a password
	@scripts/cluster.sh status
