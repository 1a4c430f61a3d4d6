# The front door. Every target installs what it needs on a fresh machine and is quick the second time.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

include scripts/versions.env
export OTP_LAB_CACHE ?= $(HOME)/.cache/otp-capacity-lab
NODE_DIR := $(OTP_LAB_CACHE)/node-$(NODE_VERSION)
# The pinned Node.js LTS comes first on PATH for every recipe: tests run on the image's major.
export PATH := $(NODE_DIR)/bin:$(CURDIR)/node_modules/.bin:$(PATH)
export npm_config_update_notifier := false
export npm_config_fund := false
export npm_config_audit := false

.PHONY: test-tools reliability test-reliability help setup deps system-packages k6 kube-tools test-local-stack test-dashboards test-kube test-operator bench-operator kind-up kind-down bench-cluster k6-operator-generate build generate synth typecheck lint format test test-app test-bench test-charts run bench bench-worker-split bench-telemetry report clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(NODE_DIR)/bin/node: scripts/versions.env scripts/ensure-node.sh
	@scripts/ensure-node.sh >/dev/null

# `npm ci`: exactly the committed lock, which lists every platform's optional binaries (kind/test/image.test.ts checks it:
# TypeScript 7, rolldown and lightningcss lacked them once), so a fresh clone stays clean and an arm64 image build works. After editing a package.json, run `npm install` once to update the lock: ci refuses a stale one.
node_modules/.install-stamp: package-lock.json $(wildcard package.json */package.json scripts/*/package.json) | $(NODE_DIR)/bin/node
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

deps: node_modules/.install-stamp ## Node.js LTS and npm dependencies

system-packages: ## PostgreSQL and Redis (Debian packages) when missing
	@scripts/ensure-system-packages.sh

test-tools: kube-tools ## What only the tests need: Chromium (Debian), helm, kube-apiserver and etcd
	@scripts/ensure-system-packages.sh chromium:chromium

k6: ## The pinned k6, built from its Go module into the tool cache
	@scripts/ensure-k6.sh >/dev/null

kube-tools: ## helm, kube-apiserver and etcd, built from their Go modules into the tool cache
	@scripts/ensure-helm.sh >/dev/null
	@scripts/ensure-kube-apiserver.sh >/dev/null

setup: deps system-packages k6 ## What the benchmarks and the local stack need (the tests add test-tools)

# The test targets whose global setup compiles the service themselves do not depend on build.
# CommonJS (app/package.json "type"), run from app/dist, not from .ts: OpenTelemetry's require hooks only
# instrument modules loaded through require.
build: deps ## Compile the service to app/dist
	npm run build --workspace app --silent

generate: build ## Regenerate committed artifacts (app/openapi.json, k6/report/results.schema.json); CI fails when they are stale
	node app/dist/main.js openapi > app/openapi.json
	node k6/report/generate-results-schema.ts

synth: deps ## Regenerate the Helm charts charts/otp-service (dashboards and PrometheusRule from dashboards/src) and charts/otp-operator (CRDs included) from cdk8s/ (a test fails when stale)
	node cdk8s/src/main.ts
	node cdk8s/src/operator-chart/main.ts

typecheck: deps ## Type-check every workspace: tsconfig.json's project references, in build mode
	tsc -b

lint: deps ## Lint and format check (Biome), as CI runs it
	biome ci --colors=off .

format: deps ## Apply Biome's formatting and safe fixes
	biome check --write .

test-app: setup test-tools ## The service's tests against real PostgreSQL and Redis, and the fast tier
	vitest run --project app --project app-unit

.PHONY: test-unit
test-unit: deps ## Fast tier: SMS delivery decisions against in-memory fakes (no build, PostgreSQL or Redis); make test runs them too
	vitest run --project app-unit

test-bench: setup test-tools build ## Every k6 script as a short smoke against the real service; runner (one smoke run of make bench) and report tests
	K6_BIN="$$(scripts/ensure-k6.sh)" vitest run --project k6-runner
	vitest run --project k6-report
	K6_BIN="$$(scripts/ensure-k6.sh)" vitest run --project k6-smoke

test-charts: deps test-tools ## The Helm chart: staleness, values schema, helm lint/template assertions
	HELM_BIN="$$(scripts/ensure-helm.sh)" vitest run --project cdk8s

test-local-stack: setup test-tools ## The Kubernetes harness against a real etcd + kube-apiserver
	vitest run --project local-stack

test-dashboards: setup test-tools ## Dashboards and alert rules, proven against a real Prometheus fed by the service and k6
	K6_BIN="$$(scripts/ensure-k6.sh)" vitest run --project dashboards

test-kube: setup test-tools ## Static kind/image/third-party checks; the k6-operator TestRuns against kube-apiserver and k6
	vitest run --project kind --project k6-operator

test-operator: setup test-tools ## The otp-operator: CRDs and the controller as a real process against kube-apiserver, PostgreSQL and the service
	vitest run --project operator

bench-operator: setup kube-tools build ## 1,000 OtpTenants: controller cold start until all are in PostgreSQL, time and RSS
	node operator/bench/tenants-1000.ts

test-reliability: setup test-tools ## Every reliability scenario in its fast size (~3 min)
	K6_BIN="$$(scripts/ensure-k6.sh)" HAPROXY_BIN="$$(scripts/ensure-haproxy.sh)" vitest run --project reliability

test: setup lint typecheck test-app test-bench test-charts test-local-stack test-dashboards test-kube test-operator test-reliability ## Everything CI checks
	@echo "make test: all checks passed"

run: setup build ## PostgreSQL, Redis and the service on this machine, in the foreground (Ctrl-C stops all)
	node scripts/local-stack/run-local.ts

bench: setup build ## The local capacity ladder and its report in reports/<run-id>/ (BENCH_PROFILE=smoke|default|full)
	K6_BIN="$$(scripts/ensure-k6.sh)" node k6/runner/bench.ts

bench-worker-split: setup build ## The send flow with the SMS worker in the API process and in its own, side by side (~3 min)
	BENCH_COMPARE=worker-split K6_BIN="$$(scripts/ensure-k6.sh)" node k6/runner/bench.ts

bench-telemetry: setup build ## /hello and the send flow with tracing and the access log on, off and each alone (~8 min)
	BENCH_COMPARE=telemetry K6_BIN="$$(scripts/ensure-k6.sh)" node k6/runner/bench.ts

report: deps ## Re-render reports/$(RUN)/report.{md,html} from its results.json
	@test -n "$(RUN)" || { echo "usage: make report RUN=<run-id>  (one of: $$(ls reports 2>/dev/null | tr '\n' ' '))" >&2; exit 2; }
	node k6/report/render-report.ts reports/$(RUN)

reliability: setup build ## Reliability and security scenarios under load, full size (~8 min); reports in reports/reliability/ (SCENARIOS=… to pick)
	K6_BIN="$$(scripts/ensure-k6.sh)" HAPROXY_BIN="$$(scripts/ensure-haproxy.sh)" node reliability/run.ts $(SCENARIOS)

kind-up: ## kind cluster "otp-lab" with the observability stack, the k6-operator and the service (needs Docker, kind, kubectl; uses the pinned helm unless HELM=… is set)
	helm="$${HELM:-$$(scripts/ensure-helm.sh)}"; HELM="$$helm" kind/kind-up.sh

kind-down: ## Delete the kind cluster
	kind/kind-down.sh

bench-cluster: deps ## One ladder step as a CapacityBenchmark on kind, followed live, report from its results.json (STEP=11-send-flow PARALLELISM=2 PROFILE=default SCALING=Fixed|Autoscaled)
	@test -n "$(STEP)" || { echo "usage: make bench-cluster STEP=<$$(node k6-operator/generate.ts --list | paste -sd'|')>" >&2; exit 2; }
	scripts/bench-cluster.sh $(STEP)

k6-operator-generate: deps ## Regenerate k6-operator/imports/ (cdk8s import of the real TestRun CRD) and k6-operator/generated/ (tests fail when stale)
	node k6-operator/import-crd.ts
	node k6-operator/generate.ts

clean: ## Remove build output and local state (not the tool cache)
	rm -rf app/dist .local node_modules/.install-stamp
