#!/usr/bin/env bash
# `make bench-scale`: the scale benchmark of issue 12. One MinIO holds
# 10,000 tenants ("1-1" … "1-10000", each with its canned policy attached)
# and 30,000 buckets ("<user>-data", "-b1", "-b2"; three small objects in
# every 10th), and a usage store holds those 10,000 accounts with a year of
# daily history. Then, in one run:
#
#   1. the MinIO requests of one client page and one admin tab (recorded)
#   2. PHP: puqMinIOS3_ClientArea (statistics page) and
#      puqMinIOS3_AdminServicesTabFields through the real module and the
#      PHP tests' WHMCS emulation, on the big server and on a second MinIO
#      holding one bucket, interleaved with a floor program (a ~2 MB Go
#      program that decodes and encodes one JSON object) run by proc_open
#   3. account.create, password, suspend, unsuspend, terminate through the
#      binary on the big server (new services 20001…, terminated after)
#   4. usage.update (scanner mode) for 10,000 and for 50,000 services:
#      wall time, peak RSS of the binary, its MinIO requests (recorded by
#      internal/faultproxy)
#   5. MinIO's CPU seconds per 1,000 page views with this tree's module and
#      binary, and with those of $BENCH_BASELINE_REF (before and after)
#
# It prints a table with the bounds of issue 12 beside the figures and exits
# non-zero when a bound is missed or a step fails.
#
# The server's data directory is built once (about 15 minutes) and cached
# in ~/.cache/puqminio/bench-scale/<sizes and MinIO build>/; later runs
# start MinIO on it in place (see "The cache" in docs/benchmarks.md), under
# a lock, so two runs never share it. The store is cached per schema
# version, size and day. Everything else lives in a temporary directory removed
# at exit; raw results stay in $OUT.
#
# Environment (defaults in brackets):
#   BENCH_SCALE_RUNS [50]       rounds of the interleaved page timings
#   BENCH_SCALE_LIFECYCLE [20]  timed rounds of create … terminate
#   BENCH_SCALE_USAGE_RUNS [3]  timed usage.update runs per size
#   BENCH_SCALE_VIEWS [1000]    page views per CPU measurement
#   BENCH_SCALE_BATCHES [10]    the views come in batches, each after an idle window of
#   BENCH_SCALE_IDLE [10]       seconds, whose MinIO CPU is the background taken off
#   BENCH_SCALE_SCANNER [default] MINIO_SCANNER_SPEED while measuring
#   BENCH_SCALE_USERS [10000]   tenants (a smaller server for a trial run)
#   BENCH_BASELINE_REF [586a9c0] the "before" of the CPU figure; empty skips it
#   BENCH_SCALE_CACHE [~/.cache/puqminio/bench-scale]
#   OUT [a new /tmp/puqminio-bench-scale.*]   raw results
#   PUQMINIO_BIN [bin/puqminio], PUQMINIO_MINIO_BIN [~/.cache/puqminio/minio-bin/minio]
set -euo pipefail
# The whole script is one block, read before it runs: a run takes long, and
# bash would otherwise read an edited script from the middle.
{
cd "$(dirname "$0")/.."
ROOT=$PWD
GO=${GO:-go}
BIN=${PUQMINIO_BIN:-$ROOT/bin/puqminio}
MINIO=${PUQMINIO_MINIO_BIN:-$HOME/.cache/puqminio/minio-bin/minio}
USERS=${BENCH_SCALE_USERS:-10000}
SUFFIXES=data,b1,b2
EVERY=10
DAYS=365
PAGE_ID=4 # tenant 1-4: its bucket 1-4-data holds objects
RUNS=${BENCH_SCALE_RUNS:-50}
LIFECYCLE=${BENCH_SCALE_LIFECYCLE:-20}
USAGE_RUNS=${BENCH_SCALE_USAGE_RUNS:-3}
VIEWS=${BENCH_SCALE_VIEWS:-1000}
IDLE=${BENCH_SCALE_IDLE:-10}
BATCHES=${BENCH_SCALE_BATCHES:-10}
SCANNER=${BENCH_SCALE_SCANNER:-default}
BASELINE=${BENCH_BASELINE_REF-586a9c0}
CACHE_ROOT=${BENCH_SCALE_CACHE:-$HOME/.cache/puqminio/bench-scale}
export PUQMINIO_MINIO_BIN=$MINIO

need=()
command -v php >/dev/null || need+=(php-cli)
command -v jq >/dev/null || need+=(jq)
php -r 'exit(class_exists("PDO") && in_array("sqlite", PDO::getAvailableDrivers()) ? 0 : 1);' 2>/dev/null || need+=(php-sqlite3)
[ -f /usr/share/php/PHPUnit/Autoload.php ] || need+=(phpunit)
if [ ${#need[@]} -gt 0 ]; then
	echo "Installing: ${need[*]}"
	SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
[ -x "$BIN" ] || { echo "no binary at $BIN: run make build" >&2; exit 1; }
[ -x "$MINIO" ] || { echo "no MinIO at $MINIO: run make minio" >&2; exit 1; }

OUT=${OUT:-$(mktemp -d /tmp/puqminio-bench-scale.XXXXXX)}
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/puqminio-bench-scale-work.XXXXXX)
SERVE_PIDS=()
cleanup() {
	# Closing a server's stdin makes benchscale serve stop its MinIO.
	exec 8>&- 9>&- 2>/dev/null || true
	for pid in "${SERVE_PIDS[@]}"; do
		for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
		kill "$pid" 2>/dev/null || true # SIGTERM: it stops MinIO too
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== bench-scale: $(nproc) cores, $(uname -m), $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg); output in $OUT"
echo "   tree $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo ' (modified)'), binary $BIN"
$GO build -o "$WORK/benchscale" ./tests/benchscale
$GO build -trimpath -ldflags='-s -w' -o "$WORK/floor" ./tests/benchscale/floor
BS=$WORK/benchscale

# The server, built once per size and MinIO build.
KEY="v1-u$USERS-b${SUFFIXES//,/.}-e$EVERY-m$(sha256sum "$MINIO" | cut -c1-12)"
CACHE=$CACHE_ROOT/$KEY
mkdir -p "$CACHE"
exec 7>"$CACHE.lock"
flock -n 7 || { echo "another bench-scale run is using $CACHE" >&2; exit 1; }
BUILT=0
if [ ! -f "$CACHE/complete.json" ]; then
	echo "== building the server into $CACHE (once; about 15 minutes for 10,000 tenants)"
	t0=$(date +%s)
	"$BS" build -data "$CACHE/data" -marker "$CACHE/complete.json" -users "$USERS" -suffixes "$SUFFIXES" -objects-every "$EVERY"
	BUILT=$(($(date +%s) - t0))
	echo "   built in $BUILT s"
else
	echo "== server cached in $CACHE (built $(jq -r '.builtAt' "$CACHE/complete.json") in $(jq -r '.totalSeconds | round' "$CACHE/complete.json") s)"
fi
t0=$(date +%s.%N)
STORE=$("$BS" seed -dir "$CACHE_ROOT" -services "$USERS" -days "$DAYS")
echo "== usage store $STORE ($(du -m "$STORE" | cut -f1) MiB, ready in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s)"
cp "$STORE" "$WORK/pages.db"
cp "$STORE" "$WORK/lifecycle.db"

# serve NAME FD ARGS...: a MinIO that runs until file descriptor FD closes.
serve() {
	local name=$1 fd=$2
	shift 2
	mkfifo "$WORK/$name.hold"
	# Without the lock and the other servers' descriptors: MinIO inherits
	# them, and a writer left open on a hold pipe would keep it running.
	"$BS" serve -log "$OUT/minio-$name.log" "$@" <"$WORK/$name.hold" >"$OUT/$name.json" 2>"$OUT/serve-$name.log" 7>&- 8>&- 9>&- &
	SERVE_PIDS+=($!)
	eval "exec $fd>\"$WORK/$name.hold\""
}
waitServe() {
	local name=$1 pid=$2
	for _ in $(seq 3600); do
		[ -s "$OUT/$name.json" ] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	echo "MinIO ($name) did not start:" >&2
	cat "$OUT/serve-$name.log" >&2
	exit 1
}
t0=$(date +%s)
serve big 8 -data "$CACHE/data" -scanner "$SCANNER" -ready 30m
serve small 9 -data "$WORK/small/data" -scanner "$SCANNER" -first "$PAGE_ID" -users 1 -suffixes data -objects-every 1
waitServe big "${SERVE_PIDS[0]}"
waitServe small "${SERVE_PIDS[1]}"
echo "== MinIO big at $(jq -r .endpoint "$OUT/big.json") (pid $(jq -r .pid "$OUT/big.json")), small at $(jq -r .endpoint "$OUT/small.json"); scanner $SCANNER"
sed -n 's/^[0-9:]* MinIO on .* ready after \([^ ]*\).*/   big server ready after \1 (start on the cached data)/p' "$OUT/serve-big.log"

failed=()
step() { # step NAME COMMAND...: runs one measurement; a failure is reported at the end
	local name=$1
	shift
	echo "== $name"
	if ! "$@"; then
		failed+=("$name")
		echo "   $name FAILED" >&2
	fi
}

step "MinIO requests of one page view" "$BS" requests -server "$OUT/big.json" -bin "$BIN" -store "$WORK/pages.db" -id "$PAGE_ID" -out "$OUT/requests.json"

pagecfg() { # pagecfg ROOT BINARY STORE > config
	jq -n --arg root "$1" --arg bin "$2" --arg floor "$WORK/floor" --arg store "$3" \
		--argjson tck "$(getconf CLK_TCK)" --argjson svc "$("$BS" tenant -id "$PAGE_ID")" \
		--slurpfile big "$OUT/big.json" --slurpfile small "$OUT/small.json" \
		--argjson runs "$RUNS" --argjson views "$VIEWS" --argjson idle "$IDLE" --argjson batches "$BATCHES" \
		'{root: $root, binary: $bin, floor: $floor, store: $store, clkTck: $tck, service: $svc,
		  big: $big[0], small: $small[0], runs: $runs, warmup: 3, views: $views, batches: $batches, idleSeconds: $idle}'
}
pagecfg "$ROOT" "$BIN" "$WORK/pages.db" >"$OUT/pages-config.json"
step "PHP pages: $RUNS rounds of floor, ClientArea and admin tab on both servers" \
	php scripts/bench-scale.php pages "$OUT/pages-config.json" "$OUT/pages.json"

step "lifecycle through the binary: $LIFECYCLE rounds (+1 counted)" \
	"$BS" lifecycle -server "$OUT/big.json" -bin "$BIN" -store "$WORK/lifecycle.db" -n "$LIFECYCLE" -out "$OUT/lifecycle.json"

# Every service of a usage run is in the store, as in the hourly run of a
# module that has recorded them: the 40,000 services beyond the server's
# tenants too. (A service the store does not know yet gets its canned
# policy written on its first run, whether or not its user exists: 40,000
# policy writes that would also stay on the cached server.)
for n in 10000 50000; do
	store=$STORE
	[ "$n" -le "$USERS" ] || store=$("$BS" seed -dir "$CACHE_ROOT" -services "$n" -days "$DAYS")
	step "usage.update, $n services" "$BS" usage -server "$OUT/big.json" -bin "$BIN" -store "$store" -work "$WORK" \
		-services "$n" -runs "$USAGE_RUNS" -out "$OUT/usage-$n.json"
done

step "MinIO CPU over $VIEWS page views, this tree" php scripts/bench-scale.php cpu "$OUT/pages-config.json" "$OUT/cpu-current.json"

if [ -n "$BASELINE" ]; then
	baseline() {
		local base=$WORK/base
		mkdir -p "$base"
		git archive --format=tar "$BASELINE" | tar -x -C "$base"
		# The baseline's own release build; its own seeding, so its store
		# has the schema it expects.
		if ! make -s -C "$base" build GO="$GO" VERSION="baseline-$BASELINE" COMMIT="" >"$OUT/baseline-build.log" 2>&1; then
			(cd "$base" && CGO_ENABLED=1 $GO build -o bin/puqminio ./cmd/puqminio) >>"$OUT/baseline-build.log" 2>&1
		fi
		mkdir -p "$base/cmd/benchseed"
		cat >"$base/cmd/benchseed/main.go" <<EOF
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/puqminios3/puqminio/internal/sqlite"
)

func main() {
	end := time.Now().UTC().Truncate(24 * time.Hour)
	if err := sqlite.SeedSynthetic(os.Args[1], sqlite.Synthetic{ServerID: 1, Services: $USERS, Days: $DAYS, End: end}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
EOF
		local store=$WORK/baseline.db
		if ! (cd "$base" && $GO run ./cmd/benchseed "$store") >>"$OUT/baseline-build.log" 2>&1; then
			echo "   the baseline cannot seed a store (see $OUT/baseline-build.log); its pages show no history"
			rm -f "$store"
		fi
		pagecfg "$base" "$base/bin/puqminio" "$store" >"$OUT/pages-config-baseline.json"
		php scripts/bench-scale.php cpu "$OUT/pages-config-baseline.json" "$OUT/cpu-baseline.json"
	}
	step "MinIO CPU over $VIEWS page views, baseline $BASELINE" baseline
fi

echo
echo "================ bench-scale summary ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)) ================"
status=0
"$BS" report -dir "$OUT" -build "$CACHE/complete.json" -built-seconds "$BUILT" -baseline "$BASELINE" | tee "$OUT/summary.txt" || status=1
if [ ${#failed[@]} -gt 0 ]; then
	printf 'Step failed: %s\n' "${failed[@]}" | tee -a "$OUT/summary.txt"
	status=1
fi
echo "raw output: $OUT"
exit $status
}
