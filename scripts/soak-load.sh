#!/usr/bin/env bash
# `make soak` (load part): the tests/load check at soak size: 50 concurrent
# bridge calls through the real binary for 10 minutes while the usage update
# for 10,000 services (60 days of history each) runs in a loop. Zero errors
# and no "database is locked" are asserted; latency percentiles per action
# are printed at the end (docs/reliability/load.md has a recorded run).
#
# Any PUQMINIO_LOAD_* setting already in the environment wins (see
# tests/load/doc.go). Runs under `nice`, since it keeps both cores busy.
# The results table also lands in $PUQMINIO_LOAD_REPORT (default: a file
# under /tmp, named at the end). The test builds the binary from this tree
# unless PUQMINIO_BIN names one.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
export PUQMINIO_LOAD_SECONDS=${PUQMINIO_LOAD_SECONDS:-600}
export PUQMINIO_LOAD_SERVICES=${PUQMINIO_LOAD_SERVICES:-10000}
export PUQMINIO_LOAD_WORKERS=${PUQMINIO_LOAD_WORKERS:-50}
export PUQMINIO_LOAD_DAYS=${PUQMINIO_LOAD_DAYS:-60}
export PUQMINIO_LOAD_USERS=${PUQMINIO_LOAD_USERS:-20}
export PUQMINIO_LOAD_UPDATERS=${PUQMINIO_LOAD_UPDATERS:-1}
export PUQMINIO_LOAD_REPORT=${PUQMINIO_LOAD_REPORT:-$(mktemp /tmp/puqminio-soak-load.XXXXXX.txt)}
timeout=$((PUQMINIO_LOAD_SECONDS / 60 + 30))m
echo "soak-load: ${PUQMINIO_LOAD_WORKERS} callers, ${PUQMINIO_LOAD_SECONDS}s, ${PUQMINIO_LOAD_SERVICES} services, ${PUQMINIO_LOAD_UPDATERS} updater(s); binary ${PUQMINIO_BIN:-built by the test}"
nice -n 10 "$GO" test -count=1 -v -timeout "$timeout" -run TestConcurrentCallsDuringUsageUpdate ./tests/load
echo "results table: $PUQMINIO_LOAD_REPORT"
