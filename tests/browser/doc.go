// Package browser loads the client area and the admin tab, rendered by
// internal/view, inside a WHMCS-like page in headless Chromium at desktop and
// phone widths. It checks that nothing overflows the screen, that the show
// and copy buttons work, that the charts are drawn and that no request leaves
// the machine, and it takes the screenshots in docs/screenshots.
//
// TestSelfService drives the client area's self-service live: Chromium, a
// WHMCS-like front, the real PHP module under `php -S` (whmcs.php, with
// the WHMCS emulation of tests/php), the puqminio binary ($PUQMINIO_BIN,
// else built) and a real MinIO (internal/testminio; `make minio`), with
// s3cmd using the key the page showed.
//
//	bash tests/browser/run.sh                          # or: go test -tags browser ./tests/browser/
//	PUQMINIO_SCREENSHOTS=1 bash tests/browser/run.sh   # also refresh docs/screenshots
//
// $CHROMIUM names the browser (default: chromium on $PATH, /usr/bin/chromium).
// A missing browser fails the test: `make deps` installs Debian's chromium.
//
// The tests carry the build tag browser, so `go test ./...` leaves them to
// `make test-browser`; the package talks to Chromium over
// --remote-debugging-pipe, without a WebSocket library.
package browser
