#!/usr/bin/env bash
# make demo: start a real MinIO and the traffic receiver it posts its audit
# webhook to, create an account from a sample request, use it with s3cmd, show
# its traffic as WHMCS gets it, suspend, unsuspend, terminate, printing each step.
# BACKEND=rgw make demo does the same on a real single-node Ceph RADOS Gateway
# (without the traffic receiver: MinIO's audit webhook is what it meters).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=bin/puqminio
BACKEND=${BACKEND:-minio}
work=$(mktemp -d)
: > "$work/receiver.log"
rcv=""
# The test server runs until its stdin closes: hold a FIFO open and close it on exit.
trap 'if [ -n "$rcv" ]; then kill "$rcv" 2>/dev/null || true; wait "$rcv" 2>/dev/null || true; fi
	exec 9>&- 2>/dev/null || true; wait $srv 2>/dev/null || true; rm -rf "$work"' EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if [ "$BACKEND" = rgw ]; then
  step "Starting a single-node Ceph cluster (monitor, memstore OSD, RADOS Gateway) on 127.0.0.1"
  serverflags="-backend rgw"
else
  step "Starting a MinIO server (4 drives, erasure-coded) on 127.0.0.1, its audit webhook on"
  serverflags="-audit"
fi
go build -o bin/testserver ./internal/testminio/testserver
mkfifo "$work/ctl"
bin/testserver $serverflags > "$work/server.json" < "$work/ctl" &
srv=$!
exec 9> "$work/ctl"
for _ in $(seq 1 600); do [ -s "$work/server.json" ] && break; sleep 0.1; done
[ -s "$work/server.json" ] || { echo "MinIO did not start"; exit 1; }
endpoint=$(jq -r .endpoint "$work/server.json")
if [ "$BACKEND" = rgw ]; then
  echo "The RADOS Gateway is up at $endpoint"
else
  audit=$(jq -r .auditListen "$work/server.json")
  echo "MinIO is up at $endpoint; it posts every request's audit entry to http://$audit/audit"

  step "puqminio traffic serve: the receiver, metering into the usage database as WHMCS server 1"
  # The token reaches the receiver through its environment, never its command line.
  PUQMINIO_TRAFFIC_TOKEN=$(jq -r .auditToken "$work/server.json") \
  	"$BIN" traffic serve --listen "$audit" --db "$work/usage.db" --server-id 1 2>>"$work/receiver.log" &
  rcv=$!
  for _ in $(seq 1 100); do curl -sf "http://$audit/health" >/dev/null && break; sleep 0.1; done
  curl -s "http://$audit/health"
fi

# The request the WHMCS module would send; secrets stay in files and stdin.
request() { # action service-json params-json
  jq -n --slurpfile s "$work/server.json" --arg action "$1" --argjson service "$2" --argjson params "${3:-{\}}" \
     --arg db "$work/usage.db" '{
    v: 1, action: $action,
    server: {id: 1, endpoint: $s[0].endpoint, secure: false, accessKey: $s[0].accessKey, secretKey: $s[0].secretKey, backend: ($s[0].backend // "minio")},
    store: {path: $db},
    service: $service,
    product: {unit: "GB", diskSpace: 1, defaultBucket: true, bucketSuffix: "data",
              traffic: true, egressAllowanceGB: 0.01, egressTemplate: "puqMinIOS3 Notification egress allowance"},
    params: $params}'
}
rpc() { request "$@" | "$BIN" rpc 2>>"$work/puqminio.log"; }

step "server.check (WHMCS: Test Connection)"
rpc server.check '{"id":1}' | jq -c .result

step "account.create for client 12, service 34"
rpc account.create '{"id":34,"clientId":12}' > "$work/created.json"
jq -c '.result | .password = "(hidden)"' "$work/created.json"
user=$(jq -r .result.username "$work/created.json")
bucket=$(jq -r .result.bucket "$work/created.json")

s3cfg="$work/s3cfg"
umask 077
cat > "$s3cfg" <<CFG
[default]
host_base = $endpoint
host_bucket = $endpoint
use_https = False
signature_v2 = False
access_key = $user
secret_key = $(jq -r .result.password "$work/created.json")
CFG
s3() { s3cmd -c "$s3cfg" --no-progress "$@"; }

step "The tenant uploads and lists with s3cmd"
echo "hello from the demo" > "$work/hello.txt"
s3 put "$work/hello.txt" "s3://$bucket/hello.txt"
s3 ls "s3://$bucket"

if [ "$BACKEND" = rgw ]; then
  step "Each service is an RGW tenant: its bucket 'someone-else' is its own, apart from any other's"
else
  step "The tenant cannot create a bucket outside its namespace"
fi
if s3 mb "s3://someone-else" 2>&1 | tail -1; then :; fi

if [ "$BACKEND" != rgw ]; then
  step "Traffic: the tenant uploads 4 MiB and downloads it three times (12 MiB out, allowance 0.01 GB)"
  head -c $((4 << 20)) /dev/urandom > "$work/big.bin"
  s3 put "$work/big.bin" "s3://$bucket/big.bin" >/dev/null
  for i in 1 2 3; do s3 get --force "s3://$bucket/big.bin" "$work/back.bin" >/dev/null; done
  # MinIO writes each batch to its queue directory within a second and deletes it once the
  # receiver answered, which it does once the batch is stored.
  sleep 1.1
  for _ in $(seq 1 300); do [ -z "$(find "$(jq -r .auditQueueDir "$work/server.json")" -type f)" ] && break; sleep 0.2; done
  curl -s "http://$audit/health"

  step "usage.metrics (WHMCS: the metric provider for usage billing, GB of 2^30 bytes, the month so far)"
  metrics=$(jq -nc --arg u "$user" '{services: [{id: 34, username: $u}]}')
  request usage.metrics '{"id":34}' "$metrics" | jq -c '.product as $p | .params.products = [{key: "p", product: $p}]
    | .params.services[0].productKey = "p" | del(.product)' | "$BIN" rpc 2>>"$work/puqminio.log" | jq -c .result

  step "usage.update (WHMCS: daily cron): the month's traffic, bwusage/bwlimit in MB and the egress notice"
  upd=$(jq -nc --arg u "$user" '{services: [{id: 34, clientId: 12, username: $u, status: "Active"}]}')
  request usage.update '{"id":34}' "$upd" | jq -c '.product as $p | .params.services[0].product = $p | del(.product)' \
    | "$BIN" rpc 2>>"$work/puqminio.log" > "$work/update.json"
  jq -c '.result.services[0] | {traffic, notices: [.notices[] | {kind, period, vars}]}' "$work/update.json"
  period=$(jq -r '.result.services[0].notices[] | select(.kind == "egress") | .period' "$work/update.json")
  echo "WHMCS sends the email, then confirms it (usage.notified, period $period); the next run has no egress notice:"
  request usage.notified '{"id":34}' "{\"notices\":[{\"serviceId\":34,\"kind\":\"egress\",\"period\":\"$period\"}]}" \
    | jq -c 'del(.product)' | "$BIN" rpc 2>>"$work/puqminio.log" | jq -c .result
  request usage.update '{"id":34}' "$upd" | jq -c '.product as $p | .params.services[0].product = $p | del(.product)' \
    | "$BIN" rpc 2>>"$work/puqminio.log" | jq -c '.result.services[0] | {egressMB: .traffic.egressMB, notices: [.notices[].kind]}'
fi

step "account.suspend: the tenant is locked out"
rpc account.suspend "{\"id\":34,\"clientId\":12,\"username\":\"$user\"}" | jq -c .
if s3 ls "s3://$bucket" >/dev/null 2>&1; then echo "UNEXPECTED: still works"; exit 1; else echo "s3cmd ls refused, as it should be"; fi

step "account.unsuspend: access is back"
rpc account.unsuspend "{\"id\":34,\"clientId\":12,\"username\":\"$user\"}" | jq -c .
s3 get --force "s3://$bucket/hello.txt" "$work/back.txt" && cat "$work/back.txt"

step "usage.recalculate: exact figures"
rpc usage.recalculate "{\"id\":34,\"clientId\":12,\"username\":\"$user\"}" | jq -c '.result | {usedBytes, usedMB, limitMB, state, policyState}'

step "account.terminate: everything goes"
rpc account.terminate "{\"id\":34,\"clientId\":12,\"username\":\"$user\"}" | jq -c .
if [ "$BACKEND" = rgw ]; then
  rpc account.info "{\"id\":34,\"clientId\":12,\"username\":\"$user\"}" | jq -c '.result | {username, exists}'
else
  rpc account.list '{"id":34}' | jq -c .result
fi

if [ -n "$rcv" ]; then
  step "Stopping the receiver (SIGTERM: it finishes the posts in hand and stores its queue)"
  kill "$rcv"; wait "$rcv" || true; rcv=""
fi

step "Done. puqminio's log and the receiver's (no secrets in them):"
cat "$work/puqminio.log" "$work/receiver.log"
