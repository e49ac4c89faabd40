#!/usr/bin/env bash
# make demo: start a real MinIO, create an account from a sample request, use
# it with s3cmd, suspend, unsuspend, terminate, printing each step.
# BACKEND=rgw make demo does the same on a real single-node Ceph RADOS Gateway.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=bin/puqminio
BACKEND=${BACKEND:-minio}
work=$(mktemp -d)
# The test server runs until its stdin closes: hold a FIFO open and close it on exit.
trap 'exec 9>&- 2>/dev/null || true; wait $srv 2>/dev/null || true; rm -rf "$work"' EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if [ "$BACKEND" = rgw ]; then
  step "Starting a single-node Ceph cluster (monitor, memstore OSD, RADOS Gateway) on 127.0.0.1"
else
  step "Starting a MinIO server (4 drives, erasure-coded) on 127.0.0.1"
fi
go build -o bin/testserver ./internal/testminio/testserver
mkfifo "$work/ctl"
bin/testserver -backend "$BACKEND" > "$work/server.json" < "$work/ctl" &
srv=$!
exec 9> "$work/ctl"
for _ in $(seq 1 600); do [ -s "$work/server.json" ] && break; sleep 0.1; done
[ -s "$work/server.json" ] || { echo "MinIO did not start"; exit 1; }
endpoint=$(jq -r .endpoint "$work/server.json")
echo "MinIO is up at $endpoint"

# The request the WHMCS module would send; secrets stay in files and stdin.
request() { # action service-json params-json
  jq -n --slurpfile s "$work/server.json" --arg action "$1" --argjson service "$2" --argjson params "${3:-{\}}" \
     --arg db "$work/usage.db" '{
    v: 1, action: $action,
    server: {id: 1, endpoint: $s[0].endpoint, secure: false, accessKey: $s[0].accessKey, secretKey: $s[0].secretKey, backend: ($s[0].backend // "minio")},
    store: {path: $db},
    service: $service,
    product: {unit: "GB", diskSpace: 1, defaultBucket: true, bucketSuffix: "data"},
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

step "Done. puqminio's log (no secrets in it):"
cat "$work/puqminio.log"
