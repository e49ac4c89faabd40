# The README's commands: `make demo` and `make test`. Longer runs: `make bench`, `make soak`.
SHELL := /bin/bash
GO ?= go
MINIO_VERSION := v0.0.0-20260212201848-7aac2a2c5b7c
CACHE := $(HOME)/.cache/puqminio
MINIO_BIN := $(CACHE)/minio-bin/minio
MODULE_DIR := whmcs/modules/servers/puqMinIOS3
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
VERSION := $(VERSION)
COMMIT := $(shell git rev-parse HEAD 2>/dev/null)
GOARCH_HOST := $(shell $(GO) env GOARCH)
# Release builds: static (cgo SQLite and glibc linked in), no paths, no build id.
GOTAGS := netgo osusergo sqlite_omit_load_extension
LDFLAGS := -s -w -buildid= -X main.Version=$(VERSION) -X main.Commit=$(COMMIT) -linkmode external -extldflags=-static
CC_amd64 := x86_64-linux-gnu-gcc
CC_arm64 := aarch64-linux-gnu-gcc
# A native build falls back to gcc where the triplet name does not exist (non-Debian).
CC_$(GOARCH_HOST) := $(if $(shell command -v $(CC_$(GOARCH_HOST)) 2>/dev/null),$(CC_$(GOARCH_HOST)),gcc)
# gobuild ARCH OUTPUT
gobuild = CGO_ENABLED=1 GOOS=linux GOARCH=$(1) CC=$(CC_$(1)) $(GO) build -trimpath -buildvcs=false \
	-tags '$(GOTAGS)' -ldflags '$(LDFLAGS)' -o $(2) ./cmd/puqminio
DIST_ARCHES := amd64 arm64
GOARCH_CROSS := $(filter-out $(GOARCH_HOST),$(DIST_ARCHES))
APT_PACKAGES := php-cli php-sqlite3 php-mbstring php-xml phpunit s3cmd chromium jq fonts-dejavu-core fonts-noto-core
# The single-node Ceph cluster internal/testceph starts (mon, OSD, mgr, RADOS Gateway, tools). Without
# --no-install-recommends apt would add hundreds of megabytes of Python and monitoring the tests never use.
APT_CEPH_PACKAGES := ceph-mon ceph-osd ceph-mgr radosgw ceph-common
# make dist: the other architecture's C cross compiler and libc, zip, and qemu to run its binary once.
ifeq ($(GOARCH_HOST),arm64)
APT_DIST_PACKAGES := gcc-x86-64-linux-gnu libc6-dev-amd64-cross zip unzip file qemu-user-static
else
APT_DIST_PACKAGES := gcc-aarch64-linux-gnu libc6-dev-arm64-cross zip unzip file qemu-user-static
endif

export PUQMINIO_MINIO_BIN := $(MINIO_BIN)

.PHONY: all build dist deps deps-dist minio test test-go test-php test-browser test-upgrade lint demo bench bench-scale soak clean

all: build

# apt_install PACKAGES[,APT-GET INSTALL OPTIONS]: install the missing ones (idempotent)
define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "Installing:$$missing"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(2) $$missing >/dev/null; \
	fi
endef

## deps: install the Debian packages the tests need, Ceph included (idempotent)
deps:
	$(call apt_install,$(APT_PACKAGES))
	$(call apt_install,$(APT_CEPH_PACKAGES),--no-install-recommends)

## deps-dist: install what `make dist` needs (cross compiler, zip, qemu)
deps-dist:
	$(call apt_install,$(APT_DIST_PACKAGES))

## minio: build the MinIO server the tests run (cached outside the repo; never linked)
minio: $(MINIO_BIN)
$(MINIO_BIN):
	@echo "Building MinIO $(MINIO_VERSION) into $(CACHE) (about 5 minutes, once)"
	mkdir -p $(CACHE)/minio-bin
	cd /tmp && GOBIN=$(CACHE)/minio-bin GOFLAGS=-mod=mod $(GO) install github.com/minio/minio@$(MINIO_VERSION)

## build: the puqminio binary for this machine, static as released, also placed in the WHMCS module folder
build:
	$(call gobuild,$(GOARCH_HOST),bin/puqminio)
	mkdir -p $(MODULE_DIR)/bin
	cp bin/puqminio $(MODULE_DIR)/bin/puqminio-linux-$(GOARCH_HOST)

## dist: static binaries for linux/amd64 and linux/arm64 in the module folder, and
## dist/puqMinIOS3-$(VERSION).zip (copy its modules/ onto the WHMCS root) with SHA256SUMS
dist: deps-dist build
	$(foreach a,$(GOARCH_CROSS),$(call gobuild,$(a),bin/puqminio-linux-$(a)) && cp bin/puqminio-linux-$(a) $(MODULE_DIR)/bin/ &&) true
	VERSION='$(VERSION)' bash scripts/dist.sh

lint:
	@out=$$(gofmt -l cmd internal *.go); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@find whmcs tests -name '*.php' -print0 2>/dev/null | xargs -0 -r -n1 php -l >/dev/null

## test: every test: Go (against a real MinIO), PHP (PHPUnit), browser (headless Chromium),
## and the upgrade from v0.1.0 to this package
test: deps deps-dist minio build lint test-go test-php test-browser test-upgrade

test-go: build
	PUQMINIO_BIN=$(CURDIR)/bin/puqminio $(GO) test -count=1 -timeout 30m ./...

test-php: build
	@if [ -f phpunit.xml ]; then PUQMINIO_BIN=$(CURDIR)/bin/puqminio phpunit -c phpunit.xml; else echo "no PHP suite yet"; fi

test-browser: build
	@if [ -f tests/browser/run.sh ]; then bash tests/browser/run.sh; else echo "no browser suite yet"; fi

## test-upgrade: install v0.1.0 in a scratch WHMCS, create accounts and history, copy this package over it
test-upgrade: dist minio
	GOTAGS='$(GOTAGS)' CC='$(CC_$(GOARCH_HOST))' bash tests/upgrade/run.sh dist/puqMinIOS3-$(VERSION).zip

## demo: start MinIO, create an account, use it with s3cmd, suspend, unsuspend, terminate
demo: deps minio build
	bash scripts/demo.sh

## bench: benchmarks; figures go to docs/benchmarks.md by hand, with these commands
## (its last part runs on Ceph RGW: Ceph's programs come from `make deps`)
bench: minio build
	bash scripts/bench.sh
	bash scripts/bench-start.sh
	bash scripts/bench-scale.sh

## bench-scale: issue 12's bounds on one MinIO with 10,000 tenants and 30,000 buckets (the
## server is built once, about 15 minutes, and cached in ~/.cache/puqminio/bench-scale);
## exits non-zero when a bound is missed
bench-scale: minio build
	bash scripts/bench-scale.sh

## soak: long fuzzing and load runs
## soak: the long runs (about 90 minutes): every fuzz target (11 min in all), 50 callers
## against 10,000 services for 10 min, isolation across ~340 tenants, every fault mode at
## every step. Figures: docs/reliability.md
soak: minio build
	bash scripts/soak-fuzz.sh
	PUQMINIO_BIN=$(CURDIR)/bin/puqminio bash scripts/soak-load.sh
	PUQMINIO_SOAK=1 $(GO) test -count=1 -timeout 90m -v -run TestIsolationAndSecrets ./tests/e2e/
	PUQMINIO_SOAK=1 PUQMINIO_BIN=$(CURDIR)/bin/puqminio $(GO) test -count=1 -timeout 90m -v \
		-run 'TestFaultsAtEveryStep|TestKilledUsageUpdateLeavesHistoryConsistent|TestRPCFaultsAnswerInTimeAndConverge|TestSelfServiceKeyExpires' ./internal/account ./cmd/puqminio

clean:
	rm -rf bin dist $(MODULE_DIR)/bin
