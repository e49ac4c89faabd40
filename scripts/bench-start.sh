#!/usr/bin/env bash
# Where a puqminio process start goes (issue 12): the floor program (JSON in,
# JSON out), the same linked with go-sqlite3 and opening a database, the
# same also linking minio-go, and the real binary, all built as released
# (static, cgo, -s -w), timed interleaved by `benchscale start`, then the
# package init functions of the binary that cost the most (GODEBUG=inittrace,
# the median over 21 runs). Figures: docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
BIN=${BIN:-bin/puqminio}
ROUNDS=${BENCH_START_ROUNDS:-300}
[ -x "$BIN" ] || { echo "no binary at $BIN: run make build" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
CC=${CC:-$(command -v x86_64-linux-gnu-gcc || echo gcc)}
[ "$(uname -m)" = x86_64 ] || CC=gcc
build() { # output package
	CGO_ENABLED=1 CC=$CC $GO build -trimpath -buildvcs=false -tags 'netgo osusergo sqlite_omit_load_extension' \
		-ldflags '-s -w -buildid= -linkmode external -extldflags=-static' -o "$1" "$2"
}
build "$work/floor" ./tests/benchscale/floor
build "$work/floorsqlite" ./tests/benchscale/floorsqlite
build "$work/floorminio" ./tests/benchscale/floorminio
$GO build -o "$work/benchscale" ./tests/benchscale
# usage.notified with no notices: decode, open and check the store, answer.
printf '{"v":1,"action":"usage.notified","server":{"id":1,"endpoint":"127.0.0.1:1","accessKey":"bench","secretKey":"bench-secret"},"store":{"path":"%s"},"params":{"notices":[]}}' \
	"$work/usage.db" >"$work/notified.json"
"$BIN" rpc <"$work/notified.json" >/dev/null 2>&1 # creates the store once
echo "== process starts, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $ROUNDS rounds"
ls -l "$work/floor" "$work/floorsqlite" "$work/floorminio" "$BIN" | awk '{printf "   %-40s %6.1f MB\n", $NF, $5 / 1e6}'
"$work/benchscale" start -rounds "$ROUNDS" -stdin "$work/notified.json" \
	-run "floor=$work/floor" \
	-run "+ sqlite open=$work/floorsqlite" \
	-run "+ minio-go linked=$work/floorminio" \
	-run "puqminio --version=$BIN --version" \
	-run "puqminio rpc usage.notified=$BIN rpc"
echo "== package inits of $BIN over 1 ms or in the top 8 (median clock of 21 runs)"
for _ in $(seq 21); do GODEBUG=inittrace=1 "$BIN" --version 2>&1 >/dev/null; done |
	awk '$1 == "init" { print $2, $5 }' | sort -k1,1 -k2,2n |
	awk 'function flush() { if (n) printf "%.3f %s\n", v[int((n + 1) / 2)], p }
	$1 != p { flush(); p = $1; n = 0 } { v[++n] = $2 } END { flush() }' |
	sort -rn | awk '{ s += $1 } NR <= 8 || $1 >= 1 { printf "   %-50s %6.3f ms\n", $2, $1 } END { printf "   %-50s %6.3f ms\n", "all packages", s }'
