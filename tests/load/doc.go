// Package load drives the real `puqminio rpc` binary the way the WHMCS
// module does, one process per call, from many concurrent callers while the
// server-wide usage update writes into the same SQLite file: client pages,
// admin tabs, account info and the admin's buttons against a real MinIO and
// a usage history of thousands of services. It asserts that no call fails
// and that nothing ever reports "database is locked", and it logs latency
// percentiles per action (recorded, never asserted).
//
// `go test ./tests/load` runs a short version (about 15 s, 50 callers,
// 2,000 services); scripts/soak-load.sh runs the long one. Environment:
//
//	PUQMINIO_BIN            the binary to run (default: built by TestMain)
//	PUQMINIO_LOAD_SECONDS   how long the callers run (default 15)
//	PUQMINIO_LOAD_SERVICES  services in the history and in each usage update (default 2000)
//	PUQMINIO_LOAD_WORKERS   concurrent callers (default 50)
//	PUQMINIO_LOAD_DAYS      days of history per service (default 60)
//	PUQMINIO_LOAD_USERS     services that get a real MinIO user and bucket,
//	                        the targets of the buttons (default 20)
//	PUQMINIO_LOAD_UPDATERS  usage updates running side by side, each in a loop (default 1)
//	PUQMINIO_LOAD_REPORT    also write the results table to this file
package load
