// Package e2e checks tenant isolation and secret hygiene end to end: a real
// MinIO, a few hundred tenants created through the bridge (in process and
// through the built `puqminio rpc` binary) under the default and several
// random username rules, including names that are prefixes of each other.
//
// Isolation: every tenant's user credentials and the access keys tenants
// made for themselves are tried against every other tenant's buckets (list,
// get, put, delete, get-bucket-policy) with minio-go, and a sample of the
// same with s3cmd. Every attempt must be refused with AccessDenied while the
// owner's same operation succeeds; afterwards every bucket must hold exactly
// what its owner put there.
//
// Secrets: every log line (slog of the in-process runs, stderr of every
// binary run), every command line of the processes the test starts (sampled
// from /proc while it runs, plus the arguments it passes to exec), every
// rendered page and every bridge answer is scanned for the admin secret and
// for the tenants' secrets; only the answers and pages that are meant to
// carry a tenant's own password may hold it.
//
//	go test ./tests/e2e/                      # the CI size (make test)
//	PUQMINIO_SOAK=1 go test ./tests/e2e/      # the large run (make soak)
//
// The figures of a run are printed with -v and recorded in
// docs/reliability/isolation.md.
package e2e
