// Command floorminio is the floor program (../floor) linked with
// go-sqlite3 and minio-go, without using minio-go: what linking minio-go
// adds to a process start (its packages' init functions run whether or
// not a request uses them). scripts/bench-start.sh times it beside the
// others.
package main

import (
	"database/sql"
	"encoding/json"
	"os"

	_ "github.com/mattn/go-sqlite3"
	_ "github.com/minio/minio-go/v7"
)

func main() {
	var req map[string]any
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		os.Exit(1)
	}
	db, err := sql.Open("sqlite3", ":memory:")
	if err != nil {
		os.Exit(2)
	}
	if err := db.Ping(); err != nil {
		os.Exit(2)
	}
	ans := map[string]any{"ok": true, "result": map[string]any{"html": "<p>floor</p>", "fields": len(req)}}
	if err := json.NewEncoder(os.Stdout).Encode(ans); err != nil {
		os.Exit(3)
	}
}
