#!/usr/bin/env bash
# The browser test: the client area and the admin tab in headless Chromium.
#   bash tests/browser/run.sh                         # check
#   PUQMINIO_SCREENSHOTS=1 bash tests/browser/run.sh  # check and refresh docs/screenshots
# CHROMIUM=/path/to/chromium picks the browser (default: Debian's chromium).
set -euo pipefail
cd "$(dirname "$0")/../.."
GO="${GO:-go}"
export CHROMIUM="${CHROMIUM:-$(command -v chromium || command -v chromium-browser || echo /usr/bin/chromium)}"
"$GO" vet -tags browser ./tests/browser/
exec "$GO" test -tags browser -count=1 -timeout 5m ./tests/browser/ "$@"
