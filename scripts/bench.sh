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
#
# Needs: the binary (make build) and MinIO (make minio); installs hyperfine,
# time and php-cli from Debian when missing. Raw output lands in $OUT
# (default: a new directory under /tmp), a summary on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${PUQMINIO_BIN:-$ROOT/bin/puqminio}
GO=${GO:-go}
RUNS=${BENCH_RUNS:-200}

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
cleanup() {
	exec 9>&- 2>/dev/null || true # closing its stdin stops the test server
	if [ -n "$SRV_PID" ]; then wait "$SRV_PID" 2>/dev/null || true; fi
	rm -f "$OUT/usage10k.db" "$OUT/usage10k.db-wal" "$OUT/usage10k.db-shm" # a 330 MiB copy
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

echo "== sqlite: reads and one 10k collection on the 10,000 x 2-year history"
$GO test ./internal/sqlite -run '^$' -bench 'Daily30|Monthly12|MonthToDate|RecordCollection10k' -benchtime 2s -timeout 20m | tee "$OUT/sqlite.txt"
DB=$(ls -t "${TMPDIR:-/tmp}"/puqminio-bench-s*-d2-10000x730.db | head -1)
export PUQMINIO_BENCH_DB=$DB

echo "== view: client page with a year of history, in-process"
$GO test ./internal/view -run '^$' -bench ClientYear -benchmem | tee "$OUT/view.txt"

echo "== bridge: process start and a round trip without MinIO (Go exec loop)"
$GO test ./internal/bridge -run '^$' -bench 'ProcessStart|RPCNoMinIO' -benchtime 3s | tee "$OUT/bridge-nominio.txt"
echo "== bridge: create/terminate and client render against MinIO (few buckets on the server)"
$GO test ./internal/bridge -run '^$' -bench 'CreateTerminate' -benchtime 20x -timeout 10m | tee "$OUT/bridge-lifecycle.txt"
$GO test ./internal/bridge -run '^$' -bench 'RenderClientYear' -benchtime 100x -timeout 10m | tee "$OUT/bridge-render.txt"
echo "== bridge: usage update, 10,000 services (waits for MinIO's scanner)"
$GO test ./internal/bridge -run '^$' -bench 'UsageUpdate10k' -benchtime 5x -timeout 15m | tee "$OUT/bridge-usage.txt"
echo "== bridge: client render again, now that the server holds 200 more buckets (the requests below use this one)"
$GO test ./internal/bridge -run '^$' -bench 'RenderClientYear' -benchtime 100x -timeout 10m | tee "$OUT/bridge-render-200.txt"

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

ms() { jq -r --arg c "$2" '.results[] | select(.command == $c) | "\(.median * 1000 | . * 100 | round / 100) ms median, \(.mean * 1000 | . * 100 | round / 100) ms mean"' "$1"; }
echo
echo "================ summary ($(nproc) cores) ================"
echo "process start (hyperfine -N):       $(ms "$OUT/hf-start.json" "$BIN --version")"
echo "rpc without MinIO (hyperfine):      $(ms "$OUT/hf-rpc.json" "$BIN rpc < $OUT/notified.json")"
echo "render.client, 1y (hyperfine):      $(ms "$OUT/hf-rpc.json" "$BIN rpc < $OUT/render.json >/dev/null")"
grep -H -E '^Benchmark(Daily30|Monthly12|RecordCollection10k|ClientYear|CreateTerminate|UsageUpdate10k|RenderClientYear)' \
	"$OUT/sqlite.txt" "$OUT/view.txt" "$OUT/bridge-lifecycle.txt" "$OUT/bridge-render.txt" "$OUT/bridge-usage.txt" "$OUT/bridge-render-200.txt" | sed "s|^$OUT/||"
sed 's/^/usage.update \/usr\/bin\/time: /' "$OUT/usage10k-time.txt"
sed 's/^/PHP: /' "$OUT/php.txt"
grep -H -E '^Benchmark(TrafficServe|Receiver|MinIOLatency)' "$OUT/receiver-process.txt" "$OUT/receiver.txt" "$OUT/latency.txt" | sed "s|^$OUT/||"
echo "raw output: $OUT"
