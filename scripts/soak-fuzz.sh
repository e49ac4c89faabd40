#!/usr/bin/env bash
# Long fuzzing of the bridge (`make soak`): each fuzz target of
# internal/bridge in turn, against a real MinIO the targets start themselves.
# Prints, per target, the executions, executions per second and the new
# corpus entries, then a summary; exits non-zero if any target found a
# failing input (written to internal/bridge/testdata/fuzz/<Target>/).
#
# Environment:
#   FUZZ_TOTAL     seconds over all targets (default 660; at least 600 is the
#                  reliability target, docs/reliability/fuzz.md)
#   FUZZ_TARGETS   space-separated targets (default: all six)
#   FUZZ_PARALLEL  fuzzing workers per target (default 1: the machine is shared)
#   FUZZ_MINIMIZE  time to minimise each new corpus entry (default 5s; Go's
#                  default of 60s would spend the run minimising)
#   FUZZ_LOGS      where each target's full output goes (default a temp dir)
set -uo pipefail

cd "$(dirname "$0")/.."
GO=${GO:-go}
TOTAL=${FUZZ_TOTAL:-660}
TARGETS=${FUZZ_TARGETS:-"FuzzDecode FuzzRequest FuzzServer FuzzService FuzzProduct FuzzParams"}
PARALLEL=${FUZZ_PARALLEL:-1}
MINIMIZE=${FUZZ_MINIMIZE:-5s}
LOGS=${FUZZ_LOGS:-$(mktemp -d "${TMPDIR:-/tmp}/puqminio-soak-fuzz.XXXXXX")}
mkdir -p "$LOGS"

read -r -a targets <<<"$TARGETS"
n=${#targets[@]}
if [ "$n" -eq 0 ]; then
	echo "FUZZ_TARGETS is empty" >&2
	exit 2
fi
per=$((TOTAL / n))
if [ "$per" -lt 1 ]; then
	echo "FUZZ_TOTAL=$TOTAL is too short for $n targets" >&2
	exit 2
fi
if [ -z "${PUQMINIO_MINIO_BIN:-}" ]; then
	export PUQMINIO_MINIO_BIN="$HOME/.cache/puqminio/minio-bin/minio"
fi
cache="$($GO env GOCACHE)/fuzz/github.com/puqminios3/puqminio/internal/bridge"

echo "Fuzzing ${n} targets for ${per}s each (${TOTAL}s in all), ${PARALLEL} worker(s); logs in ${LOGS}"
summary=()
failed=0
sum_execs=0
for t in "${targets[@]}"; do
	before=$(find "$cache/$t" -type f 2>/dev/null | wc -l)
	log="$LOGS/$t.log"
	start=$(date +%s)
	$GO test ./internal/bridge -run '^$' -fuzz "^${t}\$" -fuzztime "${per}s" \
		-fuzzminimizetime "$MINIMIZE" -parallel "$PARALLEL" >"$log" 2>&1
	status=$?
	secs=$(($(date +%s) - start))
	after=$(find "$cache/$t" -type f 2>/dev/null | wc -l)
	# The last progress line: "fuzz: elapsed: 1m50s, execs: 123 (45/sec), new interesting: 3 (total: 40)".
	last=$(grep -a '^fuzz: elapsed: .*execs: ' "$log" | tail -n 1)
	execs=$(sed -n 's/.*execs: \([0-9]*\).*/\1/p' <<<"$last")
	newc=$(sed -n 's/.*new interesting: \([0-9]*\).*/\1/p' <<<"$last")
	total=$(sed -n 's/.*(total: \([0-9]*\)).*/\1/p' <<<"$last")
	execs=${execs:-0}
	sum_execs=$((sum_execs + execs))
	rate=$((execs / (per > 0 ? per : 1)))
	result=ok
	if [ "$status" -ne 0 ]; then
		result=FAIL
		failed=1
		grep -a -A12 -- '--- FAIL' "$log" | head -n 30
	fi
	line=$(printf '%-12s %-4s %10s execs  %7s/s  new corpus entries %4s (corpus %s; cache %s -> %s files)  %ss' \
		"$t" "$result" "$execs" "$rate" "${newc:-0}" "${total:-?}" "$before" "$after" "$secs")
	echo "$line"
	summary+=("$line")
done

echo
echo "Summary (${TOTAL}s requested):"
printf '%s\n' "${summary[@]}"
echo "total execs: ${sum_execs}"
if [ "$failed" -ne 0 ]; then
	echo "Failing inputs were written under internal/bridge/testdata/fuzz/; re-run them with go test ./internal/bridge -run 'FuzzX/<name>'." >&2
fi
exit "$failed"
