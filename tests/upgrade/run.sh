#!/usr/bin/env bash
# Upgrade test (make test-upgrade): v0.1.0, the first release, is installed
# into a scratch WHMCS root and used against a real MinIO: accounts are
# created, a tenant stores data, usage is measured and six weeks of history
# are in the database. Then the new package is unzipped and copied over the
# same root, as docs/install.md tells an admin to, and the new binary must:
# migrate the database, keep every old history row readable (the charts
# show the old days), and still manage the accounts v0.1.0 created. Last,
# v0.1.0 put back must refuse the migrated database with a clear message.
#
#   bash tests/upgrade/run.sh dist/puqMinIOS3-<version>.zip
#
# Needs git history back to v0.1.0 (a shallow clone fails with the command
# to fetch it), Go with a C compiler, the MinIO binary ($PUQMINIO_MINIO_BIN,
# `make minio`), php with pdo_sqlite, jq, s3cmd, unzip.
set -euo pipefail
cd "$(dirname "$0")/../.."

OLD_TAG=v0.1.0
OLD_COMMIT=d24e7a1d55cd1b228f6ff814a4db796a3e396585
# Built as `make build` builds releases, so the cgo SQLite object comes from
# Go's build cache instead of a second minute-long C compile.
GOTAGS=${GOTAGS:-netgo osusergo sqlite_omit_load_extension}
case $(go env GOARCH) in
  amd64) CC=${CC:-x86_64-linux-gnu-gcc} ;;
  arm64) CC=${CC:-aarch64-linux-gnu-gcc} ;;
esac
export CC # the compiler is part of Go's cache key, so it must match the Makefile's
ZIP=${1:?usage: run.sh dist/puqMinIOS3-<version>.zip}
ARCH=$(go env GOARCH)

fail() { printf '\nUPGRADE TEST FAILED: %s\n' "$*" >&2; exit 1; }
step() { printf '\n== %s\n' "$*"; }
ms() { date +%s%3N; }

for c in git go jq php s3cmd unzip; do
  command -v "$c" >/dev/null || fail "$c is not installed (make deps installs it)"
done
php -r 'exit(extension_loaded("pdo_sqlite") ? 0 : 1);' || fail "PHP lacks pdo_sqlite (Debian: php-sqlite3)"
[ -f "$ZIP" ] || fail "no package $ZIP: run make dist"
[ -x "${PUQMINIO_MINIO_BIN:-}" ] || fail "PUQMINIO_MINIO_BIN does not name the MinIO binary: run make minio, or make test-upgrade"

# --- The old release, from history --------------------------------------
if ! git cat-file -e "$OLD_COMMIT^{commit}" 2>/dev/null && [ "$(git rev-parse --is-shallow-repository 2>/dev/null)" = true ]; then
  step "Shallow clone: fetching the history back to $OLD_TAG from origin"
  git fetch -q --unshallow --tags origin 2>&1 || git fetch -q origin "$OLD_COMMIT" 2>&1 || true
fi
if git cat-file -e "$OLD_COMMIT^{commit}" 2>/dev/null; then
  old=$OLD_COMMIT
elif old=$(git rev-parse -q --verify "refs/tags/$OLD_TAG^{commit}"); then
  :
else
  fail "this clone does not hold $OLD_TAG (commit $OLD_COMMIT), which the upgrade test installs first.
A shallow clone (CI's fetch-depth: 1) lacks it. Fetch the history with:
    git fetch --unshallow --tags     (or: git fetch origin $OLD_COMMIT)
and run make test again; in GitHub Actions set fetch-depth: 0 on actions/checkout."
fi

work=$(mktemp -d)
umask 077
srv=""
cleanup() {
  exec 9>&- 2>/dev/null || true
  [ -n "$srv" ] && wait "$srv" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

t0=$(ms)
cache="${XDG_CACHE_HOME:-$HOME/.cache}/puqminio/upgrade/$old-$(go env GOVERSION)-$ARCH"
old_bin="$cache/puqminio"
if [ -x "$old_bin" ]; then
  step "$OLD_TAG binary from the cache ($old_bin)"
else
  step "Building $OLD_TAG ($old) from git history"
  mkdir -p "$work/old-src" "$cache"
  git archive "$old" | tar -x -C "$work/old-src"
  (cd "$work/old-src" && CGO_ENABLED=1 GOFLAGS= go build -trimpath -buildvcs=false -tags "$GOTAGS" \
    -ldflags "-s -w -buildid= -X main.Version=$OLD_TAG -linkmode external -extldflags=-static" \
    -o "$old_bin.tmp" ./cmd/puqminio) || fail "building $OLD_TAG failed"
  mv "$old_bin.tmp" "$old_bin"
fi
"$old_bin" --version | grep -qx "puqminio version $OLD_TAG" || fail "the old binary is not $OLD_TAG: $("$old_bin" --version)"
"$old_bin" version >/dev/null 2>&1 && fail "$OLD_TAG has no version subcommand; is $old really $OLD_TAG?"
echo "old binary ready in $(($(ms) - t0)) ms"

# --- A real MinIO ---------------------------------------------------------
step "Starting MinIO"
go build -o "$work/testserver" ./internal/testminio/testserver
mkfifo "$work/ctl"
"$work/testserver" > "$work/server.json" 2> "$work/testserver.log" < "$work/ctl" &
srv=$!
exec 9> "$work/ctl"
for _ in $(seq 1 1200); do [ -s "$work/server.json" ] && break; kill -0 "$srv" 2>/dev/null || break; sleep 0.1; done
[ -s "$work/server.json" ] || fail "MinIO did not start: $(cat "$work/testserver.log")"
endpoint=$(jq -r .endpoint "$work/server.json")
echo "MinIO at $endpoint"

# --- The scratch WHMCS root -------------------------------------------------
whmcs="$work/whmcs"
module="$whmcs/modules/servers/puqMinIOS3"
db="$work/puqminio-data/usage.db" # beside the web root, as docs/install.md suggests

# The binary the PHP module itself chooses on this machine.
module_binary() {
  env -u PUQMINIO_BIN php -r 'require $argv[1] . "/lib/autoload.php";
    echo \WHMCS\Module\Server\PuqMinIOS3\Bridge::defaultBinary();' "$module"
}

PRODUCT='{"unit":"GB","diskSpace":1,"defaultBucket":true,"bucketSuffix":"data","usageMode":"exact"}'
request() { # action service-json [params-json]
  jq -n --slurpfile s "$work/server.json" --arg action "$1" --argjson service "$2" \
    --argjson params "${3:-{\}}" --argjson product "$PRODUCT" --arg db "$db" '{
    v: 1, action: $action,
    server: {id: 1, endpoint: $s[0].endpoint, secure: false, accessKey: $s[0].accessKey, secretKey: $s[0].secretKey, timeoutSeconds: 60},
    store: {path: $db}, service: $service, product: $product, params: $params}
    | with_entries(select(.value != null))'  # an action without a service leaves it out: null is refused
}
# rpc BINARY action service [params]: the response on stdout.
rpc() {
  local bin=$1
  shift
  request "$@" | "$bin" rpc 2>>"$work/puqminio.log"
}
# ok BINARY action service [params]: the result; fails on an error response.
ok() {
  local out
  out=$(rpc "$@") || true # the JSON answer is authoritative
  jq -e '.ok == true' >/dev/null <<<"$out" || fail "$2 with $(basename "$1") answered: $out"
  jq -c .result <<<"$out"
}
svc() { jq -nc --argjson id "$1" --argjson c "$2" --arg u "${3:-}" '{id: $id, clientId: $c} + (if $u == "" then {} else {username: $u} end)'; }
USAGE_PARAMS=$(jq -nc --argjson p "$PRODUCT" '{mode: "exact", services: [
  {id: 34, clientId: 12, username: "12-34", status: "Active", product: $p},
  {id: 35, clientId: 12, username: "12-35", status: "Suspended", product: $p},
  {id: 36, clientId: 13, username: "13-36", status: "Active", product: $p}]}')

s3cfg() { # user password -> config path (secrets in a 0600 file, never on a command line)
  local f="$work/s3cfg-$1"
  printf '[default]\nhost_base = %s\nhost_bucket = %s\nuse_https = False\nsignature_v2 = False\naccess_key = %s\nsecret_key = %s\n' \
    "$endpoint" "$endpoint" "$1" "$2" > "$f"
  echo "$f"
}
s3() { s3cmd -c "$1" --no-progress "${@:2}"; }

stats_bars() { # binary service params: the daily and monthly bars' byte values on the stats page, sorted
  ok "$1" render.client "$(svc "$2" 12 "12-$2")" "$3" |
    jq -r .html | grep -o 'data-bytes="[0-9]*"' | tr -dc '0-9\n' | sort -n
}

step "Installing $OLD_TAG: its module folder and binary"
git archive "$old" whmcs/modules/servers/puqMinIOS3 | tar -x -C "$work" # lands in $whmcs/modules/servers/
[ -f "$module/puqMinIOS3.php" ] || fail "$OLD_TAG's module folder did not extract to $module"
mkdir -p "$module/bin"
cp "$old_bin" "$module/bin/puqminio-linux-$ARCH"
chmod 755 "$module/bin/puqminio-linux-$ARCH"
OLD=$(module_binary)
[ "$OLD" = "$module/bin/puqminio-linux-$ARCH" ] || fail "the module chose $OLD"
"$OLD" --version

step "$OLD_TAG: three accounts, data, usage and history"
ok "$OLD" server.check '{"id":1}' >/dev/null
declare -A PASS
for s in "34 12" "35 12" "36 13"; do
  set -- $s
  res=$(ok "$OLD" account.create "$(svc "$1" "$2")")
  user=$(jq -r .username <<<"$res")
  [ "$user" = "$2-$1" ] || fail "account.create named the user $user"
  PASS[$1]=$(jq -r .password <<<"$res")
  echo "created $user, bucket $(jq -r .bucket <<<"$res")"
done
cfg34=$(s3cfg 12-34 "${PASS[34]}")
head -c 300000 /dev/urandom > "$work/object.bin"
s3 "$cfg34" put "$work/object.bin" s3://12-34-data/object.bin >/dev/null
res=$(ok "$OLD" account.suspend "$(svc 35 12 12-35)")
[ "$(jq -r .enabled <<<"$res")" = false ] || fail "$OLD_TAG did not suspend 12-35: $res"
res=$(ok "$OLD" usage.update null "$USAGE_PARAMS")
used=$(jq -r '.services[] | select(.id == 34) | .usedBytes' <<<"$res")
[ "$used" = 300000 ] || fail "$OLD_TAG measured $used bytes for 12-34, want 300000"
php tests/upgrade/db.php seed "$db"
php tests/upgrade/db.php dump "$db" > "$work/before.json"
jq -e '[.migrations[].version] == [1]' "$work/before.json" >/dev/null || fail "$OLD_TAG's database is not schema 1"
old_bars=$(stats_bars "$OLD" 34 '{"page":"stats","nonce":"n","csrf":"c"}')  # what its PHP sent
old_days=$(jq '[.usage_daily[] | select(.service_id == 34)] | length' "$work/before.json")
[ "$(wc -l <<<"$old_bars")" -ge 30 ] || fail "$OLD_TAG's stats page shows $(wc -l <<<"$old_bars") bars"
echo "before: $(jq -c '{accounts: (.accounts | length), usage_daily: (.usage_daily | length), samples: (.samples | length)}' "$work/before.json"), 12-34 has $old_days days, its stats page $(wc -l <<<"$old_bars") bars"

# --- The upgrade: unzip the new package and copy it over ---------------------
step "Copying $(basename "$ZIP") over the installation"
mkdir "$work/unpacked"
unzip -q "$ZIP" -d "$work/unpacked"
tops=$(ls "$work/unpacked")
[ "$(wc -l <<<"$tops")" = 1 ] || fail "the zip has more than one top folder: $tops"
top="$work/unpacked/$tops"
[ -f "$top/modules/servers/puqMinIOS3/puqMinIOS3.php" ] || fail "the zip lacks modules/servers/puqMinIOS3/puqMinIOS3.php under $tops/"
version=$(cat "$top/modules/servers/puqMinIOS3/VERSION")
[ "$tops" = "puqMinIOS3-$version" ] || fail "top folder $tops does not match VERSION $version"
cp -r "$top/modules" "$whmcs/"
NEW=$(module_binary)
[ "$NEW" = "$OLD" ] || fail "the module now chooses $NEW instead of $OLD"
[ -x "$NEW" ] || fail "$NEW lost its run bit in the zip"
(cd "$module/bin" && sha256sum -c --quiet SHA256SUMS) || fail "the installed binaries do not match bin/SHA256SUMS"
"$NEW" version --json | jq -e --arg v "$version" '.version == $v' >/dev/null || fail "the installed binary is not $version"
"$NEW" version

step "Before its first use, the new binary sees an older database and leaves it alone"
info=$("$NEW" version --db "$db" --json)
jq -e '.database.state == "older" and .database.schema == 1' >/dev/null <<<"$info" || fail "version --db: $info"
php tests/upgrade/db.php dump "$db" | cmp -s - "$work/before.json" || fail "version --db changed the database"

step "$version: the cron's usage update migrates the database"
# Samples are kept per second (a second run in the same second replaces the
# figure), and today's rows must gain a sample: start in a later second than
# $OLD_TAG's run.
sleep 1.1
t1=$(ms)
res=$(ok "$NEW" usage.update null "$USAGE_PARAMS")
migrate_ms=$(($(ms) - t1))
used=$(jq -r '.services[] | select(.id == 34) | .usedBytes' <<<"$res")
[ "$used" = 300000 ] || fail "$version measured $used bytes for 12-34, want 300000"
t1=$(ms)
ok "$NEW" usage.update null "$USAGE_PARAMS" >/dev/null
again_ms=$(($(ms) - t1))
echo "first usage.update (with the migration) $migrate_ms ms, the next $again_ms ms"
info=$("$NEW" version --db "$db" --json)
jq -e --arg v "$version" '.database.state == "current" and .database.schema == .schema and .schema >= 2
  and .database.migratedBy == $v and .database.lastVersion == $v' >/dev/null <<<"$info" || fail "after the upgrade: $info"
"$NEW" version --db "$db"

step "Every old row is still there"
php tests/upgrade/db.php dump "$db" > "$work/after.json"
today=$(( $(date +%s) / 86400 * 86400 ))
# History before today and the raw samples are untouched; today's rows
# gained the new run's samples; the accounts are the same accounts.
kept() { # what jq-condition
  jq -en --slurpfile b "$work/before.json" --slurpfile a "$work/after.json" --argjson today "$today" "
    def past: [.usage_daily[] | select(.day < \$today)];
    def acct: [.accounts[] | {server_id, service_id, username, created_at}];
    $2" >/dev/null || fail "$1 changed in the upgrade (before: $work/before.json, after: $work/after.json)"
}
kept "the daily history before today" '($b[0] | past) == ($a[0] | past)'
kept "the raw samples" '(($b[0].samples - $a[0].samples) | length) == 0'
kept "the accounts" '($b[0] | acct) == ($a[0] | acct)'
kept "migration 1's record" '$b[0].migrations == [$a[0].migrations[] | select(.version == 1)]'
kept "today's history" 'all($b[0].usage_daily[] | select(.day == $today); . as $o |
  any($a[0].usage_daily[]; .service_id == $o.service_id and .day == $today and .samples > $o.samples))'
echo "after: $(jq -c '{accounts: (.accounts | length), usage_daily: (.usage_daily | length), samples: (.samples | length), migrations: [.migrations[].name], meta: [.meta[] | {key, value}]}' "$work/after.json")"

step "The stats page shows the old days"
new_bars=$(stats_bars "$NEW" 34 '{"page":"stats","csrf":"c"}')
[ "$new_bars" = "$old_bars" ] || fail "the stats page's bars changed: before $(tr '\n' ' ' <<<"$old_bars") after $(tr '\n' ' ' <<<"$new_bars")"
for k in 1 10 29; do # seeded values: 10000000 + k*1000 + 34
  grep -qx "$((10000000 + k * 1000 + 34))" <<<"$new_bars" || fail "the daily chart lacks the day $k days ago"
done
echo "$(wc -l <<<"$new_bars") bars, the same as $OLD_TAG drew"

step "$version manages the accounts $OLD_TAG created"
res=$(ok "$NEW" account.info "$(svc 34 12 12-34)")
jq -e '.exists and .enabled' >/dev/null <<<"$res" || fail "account.info 12-34: $res"
res=$(ok "$NEW" account.unsuspend "$(svc 35 12 12-35)")
[ "$(jq -r .enabled <<<"$res")" = true ] || fail "unsuspend 12-35 (suspended by $OLD_TAG): $res"
ok "$NEW" account.suspend "$(svc 34 12 12-34)" >/dev/null
s3 "$cfg34" ls s3://12-34-data >/dev/null 2>&1 && fail "12-34 still lists its bucket while suspended"
ok "$NEW" account.unsuspend "$(svc 34 12 12-34)" >/dev/null
s3 "$cfg34" get --force s3://12-34-data/object.bin "$work/back.bin" >/dev/null
cmp -s "$work/object.bin" "$work/back.bin" || fail "12-34's object came back different"
res=$(ok "$NEW" account.terminate "$(svc 36 13 13-36)")
echo "terminated 13-36: $res"
ok "$NEW" account.list '{"id":1}' | jq -e '[.accounts[].username] | (index("13-36") == null) and (index("12-34") != null) and (index("12-35") != null)' >/dev/null ||
  fail "account.list after terminate: $(ok "$NEW" account.list '{"id":1}')"

step "Putting $OLD_TAG back: it refuses the migrated database"
rc=0
out=$(rpc "$old_bin" account.info "$(svc 34 12 12-34)") || rc=$?
echo "$out"
[ "$rc" = 2 ] || fail "$OLD_TAG exited $rc on the newer database, want 2"
jq -e '.ok == false and .error.code == "store" and (.error.message | test("schema version [0-9]+, newer than this puqminio knows"))' >/dev/null <<<"$out" ||
  fail "$OLD_TAG's refusal is not the clear one: $out"
"$NEW" version --db "$db" --json | jq -e '.database.state == "current"' >/dev/null || fail "the refused downgrade changed the database"

grep -qF "${PASS[34]}" "$work/puqminio.log" && fail "a tenant password reached puqminio's log"
grep -qF "$(jq -r .secretKey "$work/server.json")" "$work/puqminio.log" && fail "the admin secret reached puqminio's log"

printf '\nUPGRADE TEST PASSED: %s -> %s in %d s (migration run %d ms; %s history rows kept)\n' \
  "$OLD_TAG" "$version" $(( ($(ms) - t0) / 1000 )) "$migrate_ms" "$(jq '[.usage_daily[]] | length' "$work/before.json")"
