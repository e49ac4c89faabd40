#!/usr/bin/env bash
# make dist, packaging step: the static binaries `make dist` placed in the
# module folder become dist/puqMinIOS3-$VERSION.zip, laid out like the
# reference product's download:
#
#   puqMinIOS3-$VERSION/
#     modules/servers/puqMinIOS3/...   copy modules/ onto the WHMCS root
#       VERSION
#       bin/puqminio-linux-amd64, bin/puqminio-linux-arm64, bin/SHA256SUMS
#     README.md LICENSE docs/...
#
# plus dist/puqminio-linux-<arch> and dist/SHA256SUMS. Only files git tracks
# go in (no local database, no test or dev files). Timestamps, order and
# modes are fixed, so the same commit gives the same zip.
set -euo pipefail
cd "$(dirname "$0")/.."

: "${VERSION:?set VERSION (make dist does)}"
MODULE=whmcs/modules/servers/puqMinIOS3
ARCHES=(amd64 arm64)
declare -A FILE_ARCH=([amd64]="x86-64" [arm64]="ARM aarch64")
declare -A QEMU=([amd64]=qemu-x86_64-static [arm64]=qemu-aarch64-static)
host=$(go env GOARCH)
# Every file gets the commit's time (reproducible-builds.org's SOURCE_DATE_EPOCH).
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
export TZ=UTC LC_ALL=C

fail() { echo "dist: $*" >&2; exit 1; }

# The binaries: static, the right architecture, and each one runs and
# reports this version and schema (the other architecture's under qemu).
for a in "${ARCHES[@]}"; do
  bin="$MODULE/bin/puqminio-linux-$a"
  [ -x "$bin" ] || fail "$bin is missing: run make dist"
  desc=$(file -b "$bin")
  [[ $desc == *"statically linked"* ]] || fail "$bin is not statically linked: $desc"
  [[ $desc == *"${FILE_ARCH[$a]}"* ]] || fail "$bin is not a ${FILE_ARCH[$a]} binary: $desc"
  run=("$bin")
  if [ "$a" != "$host" ]; then
    command -v "${QEMU[$a]}" >/dev/null || fail "${QEMU[$a]} is missing (make deps-dist installs qemu-user-static)"
    run=("${QEMU[$a]}" "$bin")
  fi
  out=$("${run[@]}" version) || fail "$bin version failed"
  field() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ +/, ""); print }' <<<"$out"; }
  [ "$(field puqminio)" = "$VERSION" ] || fail "$bin reports version '$(field puqminio)', not $VERSION"
  echo "dist: $bin: $(field puqminio), $(field go), schema $(field schema), $(stat -c %s "$bin") bytes"
done

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
top="puqMinIOS3-$VERSION"
root="$stage/$top"
mkdir -p "$root/modules/servers" "$root/docs"

# The module folder as git tracks it, then the binaries and the version.
(cd whmcs && git ls-files -z modules/servers/puqMinIOS3) |
  while IFS= read -r -d '' f; do
    [ -e "whmcs/$f" ] || continue # deleted in the work tree
    mkdir -p "$root/$(dirname "$f")"
    cp "whmcs/$f" "$root/$f"
  done
mod="$root/modules/servers/puqMinIOS3"
[ -f "$mod/puqMinIOS3.php" ] || fail "the module folder was not staged"
mkdir -p "$mod/bin"
for a in "${ARCHES[@]}"; do
  cp "$MODULE/bin/puqminio-linux-$a" "$mod/bin/"
done
(cd "$mod/bin" && sha256sum puqminio-linux-* > SHA256SUMS)
printf '%s\n' "$VERSION" > "$mod/VERSION"

# What a person reads first.
cp README.md LICENSE "$root/"
for d in install bridge architecture benchmarks reliability; do
  [ -f "docs/$d.md" ] && cp "docs/$d.md" "$root/docs/"
done
if [ -d docs/screenshots ]; then
  mkdir -p "$root/docs/screenshots"
  cp docs/screenshots/*.png "$root/docs/screenshots/"
fi

# Fixed modes and times; zip -X leaves out uid/gid and extra timestamps.
find "$root" -type d -exec chmod 755 {} +
find "$root" -type f -exec chmod 644 {} +
chmod 755 "$mod"/bin/puqminio-linux-*
find "$root" -exec touch -h -d "@$epoch" {} +

mkdir -p dist
rm -f dist/puqMinIOS3-*.zip dist/puqminio-linux-* dist/SHA256SUMS
zip="puqMinIOS3-$VERSION.zip"
out="$PWD/dist/$zip"
(cd "$stage" && find "$top" | sort | zip -q -X -9 -@ "$out")
for a in "${ARCHES[@]}"; do
  cp "$MODULE/bin/puqminio-linux-$a" dist/
  touch -d "@$epoch" "dist/puqminio-linux-$a"
done
(cd dist && sha256sum "$zip" puqminio-linux-* > SHA256SUMS && sha256sum -c --quiet SHA256SUMS)

echo "dist: dist/$zip: $(stat -c %s "dist/$zip") bytes, $(unzip -Z1 "dist/$zip" | grep -vc '/$') files"
sed 's/^/dist: /' dist/SHA256SUMS
