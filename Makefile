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

.PHONY: help setup deps system-packages build generate typecheck lint format test test-app run bench clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(NODE_DIR)/bin/node: scripts/versions.env scripts/ensure-node.sh
	@scripts/ensure-node.sh >/dev/null

# `npm install` with the committed lock, not `npm ci`: the registry reachable here lacks some other
# platforms' optional binaries (e.g. Biome for Windows), so npm leaves them out of the lock and
# `npm ci` then refuses it. The lock still pins every package that is installed.
node_modules/.install-stamp: package-lock.json package.json app/package.json | $(NODE_DIR)/bin/node
	npm install --no-audit --no-fund --loglevel=error
	@touch $@

deps: node_modules/.install-stamp ## Node.js LTS and npm dependencies

system-packages: ## PostgreSQL and Redis binaries (Debian packages) when missing
	@scripts/ensure-system-packages.sh

setup: deps system-packages ## Everything the tests and the local stack need

build: deps ## Compile the service to app/dist
	npm run build --workspace app --silent

generate: build ## Regenerate committed artifacts (app/openapi.json); CI fails when they are stale
	node app/dist/main.js openapi > app/openapi.json

typecheck: deps ## Type-check every workspace and the scripts
	npm run typecheck --workspaces --if-present --silent
	tsc -p scripts/tsconfig.json

lint: deps ## Lint and format check (Biome), as CI runs it
	biome ci .

format: deps ## Apply Biome's formatting and safe fixes
	biome check --write .

test-app: setup build ## The service's tests against real PostgreSQL and Redis
	cd app && vitest run

test: setup lint typecheck test-app ## Everything CI checks
	@echo "make test: all checks passed"

run: setup build ## PostgreSQL, Redis and the service on this machine, in the foreground (Ctrl-C stops all)
	node scripts/run-local.ts

bench: setup build ## The local capacity ladder and its report
	@echo "The capacity ladder (k6 scripts, runner and report) is not built yet: see issue 4." >&2; exit 1

clean: ## Remove build output and local state (not the tool cache)
	rm -rf app/dist .local node_modules/.install-stamp
