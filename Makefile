# maillage: `make run` starts the server, `make test` runs every test.
# GNU make. See README.md.

SHELL := /bin/bash
.DEFAULT_GOAL := build

# Go from the official tarball is not always on PATH.
export PATH := $(PATH):/usr/local/go/bin

BIN := bin/maillage

# make run imports the shared demo data on first start, unless
# MAILLAGE_DEMO_DIR says otherwise.
DEMO_DIR := $(or $(MAILLAGE_DEMO_DIR),$(abspath $(wildcard ../shared/data)))

# Real public data read by tests and benchmarks.
export MAILLAGE_SHARED_DATA := $(abspath ../shared/data)

NPM_STAMP := frontend/node_modules/.maillage-npm-ci

.PHONY: deps frontend build run test lint staticcheck bench clean stop

deps:
	@scripts/ensure-deps.sh

# npm ci only when package.json or package-lock.json changed since the last one.
$(NPM_STAMP): frontend/package.json frontend/package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: install Node.js 20 and npm" >&2; exit 1; }
	cd frontend && npm ci --no-audit --no-fund --ignore-scripts
	@touch $@

frontend: $(NPM_STAMP)
	cd frontend && npm run build --silent

build: frontend
	go build -o $(BIN) ./cmd/maillage

run: deps build
	MAILLAGE_DEMO_DIR="$(DEMO_DIR)" ./$(BIN) serve

# The exit status is go test's; the test PostgreSQL cluster is stopped
# whatever it was.
test:
	@scripts/ensure-deps.sh --chromium --cgo
	@$(MAKE) --no-print-directory frontend lint
	@status=0; go test -race -count=1 -timeout 30m ./... || status=$$?; \
	go run ./cmd/maillage db stop --test >/dev/null 2>&1 || true; \
	exit $$status

# staticcheck, pinned, built by the Go in use into bin/tools; installed again
# only when missing or when its version or Go's differs.
STATICCHECK_VERSION := v0.8.2
STATICCHECK := bin/tools/staticcheck

staticcheck:
	@want="$$(go env GOVERSION) $(STATICCHECK_VERSION)"; \
	have="$$(go version -m $(STATICCHECK) 2>/dev/null | awk 'NR==1 {print $$2} $$1=="mod" {print $$3}' | paste -sd' ')"; \
	if [ "$$have" != "$$want" ]; then \
		echo "go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) into bin/tools"; \
		GOBIN="$(abspath bin/tools)" go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION); \
	fi

# gofmt over the project's own files (not node_modules nor the data dir),
# go vet, staticcheck, and ESLint over the page's sources.
lint: staticcheck $(NPM_STAMP)
	@files="$$(find . \( -path ./frontend/node_modules -o -path ./var -o -path ./.git \) -prune \
		-o -name '*.go' -print | xargs -r gofmt -l)"; \
	if [ -n "$$files" ]; then echo "gofmt -w needed:"; echo "$$files"; exit 1; fi
	go vet ./...
	$(STATICCHECK) ./...
	cd frontend && npm run lint --silent

# The load tool (cmd/maillage-bench, not part of the server binary) keeps
# its two data sets (SIAE, 1.5 M synthetic actors) in databases of its own
# cluster under var/bench; the first run builds them (a few minutes),
# later runs reuse them.
bench: deps
	go test -run '^$$' -bench . -benchmem ./...
	go build -o bin/maillage-bench ./cmd/maillage-bench
	MAILLAGE_DATA_DIR=var/bench MAILLAGE_LOG_LEVEL=warn bin/maillage-bench measure --data "$(MAILLAGE_SHARED_DATA)"

clean:
	rm -rf bin
	find frontend/dist -mindepth 1 -maxdepth 1 ! -name .gitkeep -exec rm -rf {} +

stop:
	./$(BIN) db stop
