# The README's commands: `make demo` and `make test`. Longer runs: `make bench`, `make soak`.
SHELL := /bin/bash
GO ?= go
MINIO_VERSION := v0.0.0-20260212201848-7aac2a2c5b7c
CACHE := $(HOME)/.cache/puqminio
MINIO_BIN := $(CACHE)/minio-bin/minio
MODULE_DIR := whmcs/modules/servers/puqMinIOS3
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
GOARCH_HOST := $(shell $(GO) env GOARCH)
LDFLAGS := -s -w -X main.Version=$(VERSION)
APT_PACKAGES := php-cli php-sqlite3 php-mbstring php-xml phpunit s3cmd chromium jq fonts-dejavu-core fonts-noto-core

export PUQMINIO_MINIO_BIN := $(MINIO_BIN)

.PHONY: all build deps minio test test-go test-php test-browser lint demo bench soak clean

all: build

## deps: install the Debian packages the tests need (idempotent)
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "Installing:$$missing"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

## minio: build the MinIO server the tests run (cached outside the repo; never linked)
minio: $(MINIO_BIN)
$(MINIO_BIN):
	@echo "Building MinIO $(MINIO_VERSION) into $(CACHE) (about 5 minutes, once)"
	mkdir -p $(CACHE)/minio-bin
	cd /tmp && GOBIN=$(CACHE)/minio-bin GOFLAGS=-mod=mod $(GO) install github.com/minio/minio@$(MINIO_VERSION)

## build: the puqminio binary, also placed in the WHMCS module folder
build:
	CGO_ENABLED=1 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/puqminio ./cmd/puqminio
	mkdir -p $(MODULE_DIR)/bin
	cp bin/puqminio $(MODULE_DIR)/bin/puqminio-linux-$(GOARCH_HOST)

lint:
	@out=$$(gofmt -l cmd internal *.go); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@find whmcs tests -name '*.php' -print0 2>/dev/null | xargs -0 -r -n1 php -l >/dev/null

## test: every test: Go (against a real MinIO), PHP (PHPUnit), browser (headless Chromium)
test: deps minio build lint test-go test-php test-browser

test-go:
	$(GO) test -count=1 -timeout 20m ./...

test-php: build
	@if [ -f phpunit.xml ]; then PUQMINIO_BIN=$(CURDIR)/bin/puqminio phpunit -c phpunit.xml; else echo "no PHP suite yet"; fi

test-browser: build
	@if [ -f tests/browser/run.sh ]; then bash tests/browser/run.sh; else echo "no browser suite yet"; fi

## demo: start MinIO, create an account, use it with s3cmd, suspend, unsuspend, terminate
demo: deps minio build
	bash scripts/demo.sh

## bench: benchmarks; figures go to docs/benchmarks.md by hand, with these commands
bench: minio build
	bash scripts/bench.sh

## soak: long fuzzing and load runs
soak: minio build
	$(GO) test ./internal/bridge -run '^$$' -fuzz FuzzDecode -fuzztime 10m

clean:
	rm -rf bin dist $(MODULE_DIR)/bin
