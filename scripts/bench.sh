#!/usr/bin/env bash
# `make bench`: every figure of docs/benchmarks.md, on this machine, in one run
# (about 5-10 minutes; the first run also builds the 10,000 x 2-year history
# database, cached under $TMPDIR).
#
#   1. bridge round trip with no MinIO call vs bare process start (hyperfine)
#   2. account create/terminate against a local MinIO (Go benchmark)
#   3. PHP-to-Go calls through the module's Bridge class (scripts/bench-php.php)
#   4. usage update for 10,000 services with two years of history: wall time,
#      peak RSS (/usr/bin/time -v), MinIO calls counted at a proxy, the
#      per-account approach beside it, DB size, 30-day and 12-month reads
#   5. client area with a year of history: binary, PHP, in-process render
#   6. traffic: entries per second `puqminio traffic serve` stores on 2 cores
#      and its peak memory (the real process, and in process), and MinIO's
#      request latency (64 KiB PUT and GET, median and p99) without and with
#      the audit webhook posting to the receiver
#   7. 2, 4 and 5's Go benchmarks again on a single-node Ceph RGW
#      (internal/testceph), after MinIO has stopped
#
# Needs: the binary (make build), MinIO (make minio) and Ceph (make deps);
# installs hyperfine, time and php-cli from Debian when missing. Raw output
# lands in $OUT (default: a new directory under /tmp), a summary on stdout.
#
# BENCH_BACKENDS_ONLY=1 runs only the Go benchmarks that talk to a server
# (2, 4, 5) on MinIO and then on RGW: the "MinIO and Ceph RGW, same run"
# table of docs/benchmarks.md, in a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${PUQMINIO_BIN:-$ROOT/bin/puqminio}
GO=${GO:-go}
RUNS=${BENCH_RUNS:-200}
ALL=1
[ -z "${BENCH_BACKENDS_ONLY:-}" ] || ALL=""

need=()
command -v hyperfine >/dev/null || need+=(hyperfine)
[ -x /usr/bin/time ] || need+=(time)
command -v php >/dev/null || need+=(php-cli)
command -v jq >/dev/null || need+=(jq)
if [ ${#need[@]} -gt 0 ]; then
	echo "Installing: ${need[*]}"
	SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
[ -x "$BIN" ] || { echo "no binary at $BIN: run make build" >&2; exit 1; }

OUT=${OUT:-$(mktemp -d /tmp/puqminio-bench.XXXXXX)}
mkdir -p "$OUT"
SRV_PID=""
RGW_PID=""
stop_minio() {
	exec 9>&- 2>/dev/null || true # closing its stdin stops the test server
	if [ -n "$SRV_PID" ]; then wait "$SRV_PID" 2>/dev/null || true; fi
	SRV_PID=""
}
cleanup() {
	stop_minio
	exec 8>&- 2>/dev/null || true # the Ceph test server's stdin
	if [ -n "$RGW_PID" ]; then wait "$RGW_PID" 2>/dev/null || true; fi
	for db in usage10k usage10k-rgw; do # 330 MiB copies
		rm -f "$OUT/$db.db" "$OUT/$db.db-wal" "$OUT/$db.db-shm"
	done
}
trap cleanup EXIT

echo "== machine: $(nproc) cores, $(uname -m), $(date -u +%Y-%m-%dT%H:%MZ); output in $OUT"

# One MinIO for the Go benchmarks that leave request files and for PHP.
$GO build -o "$OUT/testserver" ./internal/testminio/testserver
mkfifo "$OUT/hold"
"$OUT/testserver" <"$OUT/hold" >"$OUT/server.json" 2>"$OUT/server.log" &
SRV_PID=$!
exec 9>"$OUT/hold"
for _ in $(seq 300); do [ -s "$OUT/server.json" ] && break; sleep 0.2; done
[ -s "$OUT/server.json" ] || { echo "test server did not start:" >&2; cat "$OUT/server.log" >&2; exit 1; }
echo "== MinIO at $(jq -r .endpoint "$OUT/server.json")"

export PUQMINIO_BENCH_BIN=$BIN PUQMINIO_BENCH_SERVER=$OUT/server.json PUQMINIO_BENCH_KEEP=$OUT

if [ -n "$ALL" ]; then
	echo "== sqlite: reads and one 10k collection on the 10,000 x 2-year history"
	$GO test ./internal/sqlite -run '^$' -bench 'Daily30|Monthly12|MonthToDate|RecordCollection10k' -benchtime 2s -timeout 20m | tee "$OUT/sqlite.txt"
else
	echo "== sqlite: the 10,000 x 2-year history (built once, cached)"
	$GO test ./internal/sqlite -run '^$' -bench 'Daily30' -benchtime 1x -timeout 20m >"$OUT/sqlite.txt"
fi
DB=$(ls -t "${TMPDIR:-/tmp}"/puqminio-bench-s*-d2-10000x730.db | head -1)
export PUQMINIO_BENCH_DB=$DB

if [ -n "$ALL" ]; then
	echo "== view: client page with a year of history, in-process"
	$GO test ./internal/view -run '^$' -bench ClientYear -benchmem | tee "$OUT/view.txt"

	echo "== bridge: process start and a round trip without MinIO (Go exec loop)"
	$GO test ./internal/bridge -run '^$' -bench 'ProcessStart|RPCNoMinIO' -benchtime 3s | tee "$OUT/bridge-nominio.txt"
fi
# bridge_server BACKEND NAME: the Go benchmarks of 2, 4 and 5 on one backend,
# raw output in $OUT/bridge-*NAME.txt.
bridge_server() {
	local b=backend=$1 n=$2
	echo "== bridge ($1): create/terminate and client render (few buckets on the server)"
	$GO test ./internal/bridge -run '^$' -bench "CreateTerminate/$b" -benchtime 20x -timeout 10m | tee "$OUT/bridge-lifecycle$n.txt"
	$GO test ./internal/bridge -run '^$' -bench "RenderClientYear/$b" -benchtime 100x -timeout 10m | tee "$OUT/bridge-render$n.txt"
	echo "== bridge ($1): usage update, 10,000 services (on MinIO it waits for the scanner)"
	$GO test ./internal/bridge -run '^$' -bench "UsageUpdate10k/$b" -benchtime 5x -timeout 15m | tee "$OUT/bridge-usage$n.txt"
	echo "== bridge ($1): client render again, now that the server holds 200 more buckets"
	$GO test ./internal/bridge -run '^$' -bench "RenderClientYear/$b" -benchtime 100x -timeout 10m | tee "$OUT/bridge-render-200$n.txt"
}
bridge_server minio ""

if [ -n "$ALL" ]; then
	echo "== hyperfine: bare start, no-MinIO round trip, client render (shell start subtracted)"
	printf '{"v":1,"action":"usage.notified","server":{"id":1,"endpoint":"127.0.0.1:1","accessKey":"bench","secretKey":"bench-secret"},"store":{"path":"%s"},"params":{"notices":[]}}' \
		"$OUT/notified.db" >"$OUT/notified.json"
	hyperfine -N --warmup 20 --runs "$RUNS" --export-json "$OUT/hf-start.json" "$BIN --version" | tee "$OUT/hyperfine.txt"
	hyperfine --warmup 20 --runs "$RUNS" --export-json "$OUT/hf-rpc.json" \
		"$BIN --version" "$BIN rpc < $OUT/notified.json" "$BIN rpc < $OUT/render.json >/dev/null" | tee -a "$OUT/hyperfine.txt"

	echo "== usage.update through the binary under /usr/bin/time -v (3 runs)"
	for i in 1 2 3; do
		/usr/bin/time -v "$BIN" rpc <"$OUT/usage10k.json" >"$OUT/usage10k-out.json" 2>"$OUT/usage10k-time$i.txt"
		jq -e '.ok and (.result.services | length) == 10000' "$OUT/usage10k-out.json" >/dev/null
		printf 'run %d: wall %s, max RSS %s KiB\n' "$i" \
			"$(sed -n 's/.*Elapsed (wall clock) time.*: //p' "$OUT/usage10k-time$i.txt")" \
			"$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$OUT/usage10k-time$i.txt")"
	done | tee "$OUT/usage10k-time.txt"
	echo "services with buckets attributed: $(jq '[.result.services[] | select(.buckets > 0)] | length' "$OUT/usage10k-out.json")"
	echo "store size: $(du -m "$OUT/usage10k.db" | cut -f1) MiB (history DB $(du -m "$DB" | cut -f1) MiB)"

	echo "== PHP: Bridge::run from proc_open to decoded answer"
	php scripts/bench-php.php "$BIN" "$RUNS" notified="$OUT/notified.json" render.client="$OUT/render.json" | tee "$OUT/php.txt"

	echo "== traffic receiver: entries stored per second and peak memory, 2 cores, real SQLite (FULL sync)"
	PUQMINIO_BIN=$BIN $GO test ./cmd/puqminio -run '^$' -bench 'TrafficServe' -benchtime 500x -count 3 -cpu 2 | tee "$OUT/receiver-process.txt"
	$GO test ./internal/minioaudit -run '^$' -bench 'BenchmarkReceiver' -benchtime 500x -count 3 -cpu 2 | tee "$OUT/receiver.txt"
	echo "== MinIO's request latency without and with the audit webhook (64 KiB PUT+GET, 1 and 8 clients)"
	$GO test ./internal/minioaudit -run '^$' -bench 'MinIOLatency' -benchtime 500x -count 3 -cpu 2 -timeout 30m | tee "$OUT/latency.txt"
fi

# The same Go benchmarks on a Ceph RADOS Gateway, with MinIO stopped so the
# two do not share the cores.
stop_minio
echo "== Ceph RGW (single node, memstore OSD)"
mkfifo "$OUT/hold-rgw"
"$OUT/testserver" -backend rgw <"$OUT/hold-rgw" >"$OUT/rgw.json" 2>"$OUT/rgw.log" &
RGW_PID=$!
exec 8>"$OUT/hold-rgw"
for _ in $(seq 300); do [ -s "$OUT/rgw.json" ] && break; sleep 0.2; done
[ -s "$OUT/rgw.json" ] || { echo "Ceph test server did not start:" >&2; cat "$OUT/rgw.log" >&2; exit 1; }
echo "== RGW at $(jq -r .endpoint "$OUT/rgw.json"), load average $(cut -d' ' -f1-3 /proc/loadavg)"
export PUQMINIO_BENCH_RGW=$OUT/rgw.json
bridge_server rgw -rgw

ms() { jq -r --arg c "$2" '.results[] | select(.command == $c) | "\(.median * 1000 | . * 100 | round / 100) ms median, \(.mean * 1000 | . * 100 | round / 100) ms mean"' "$1"; }
echo
echo "================ summary ($(nproc) cores, load average now $(cut -d' ' -f1-3 /proc/loadavg)) ================"
if [ -n "$ALL" ]; then
	echo "process start (hyperfine -N):       $(ms "$OUT/hf-start.json" "$BIN --version")"
	echo "rpc without MinIO (hyperfine):      $(ms "$OUT/hf-rpc.json" "$BIN rpc < $OUT/notified.json")"
	echo "render.client, 1y (hyperfine):      $(ms "$OUT/hf-rpc.json" "$BIN rpc < $OUT/render.json >/dev/null")"
	grep -H -E '^Benchmark(Daily30|Monthly12|RecordCollection10k|ClientYear)' "$OUT/sqlite.txt" "$OUT/view.txt" | sed "s|^$OUT/||"
fi
for n in "" -rgw; do
	grep -H -E '^Benchmark(CreateTerminate|UsageUpdate10k|RenderClientYear)' \
		"$OUT/bridge-lifecycle$n.txt" "$OUT/bridge-render$n.txt" "$OUT/bridge-usage$n.txt" "$OUT/bridge-render-200$n.txt" | sed "s|^$OUT/||"
done
if [ -n "$ALL" ]; then
	sed 's/^/usage.update \/usr\/bin\/time: /' "$OUT/usage10k-time.txt"
	sed 's/^/PHP: /' "$OUT/php.txt"
	grep -H -E '^Benchmark(TrafficServe|Receiver|MinIOLatency)' "$OUT/receiver-process.txt" "$OUT/receiver.txt" "$OUT/latency.txt" | sed "s|^$OUT/||"
fi
echo "raw output: $OUT"
