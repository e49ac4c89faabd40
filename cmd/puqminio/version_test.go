package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/puqminios3/puqminio/internal/sqlite"
)

func versionJSON(t *testing.T, args ...string) (buildInfo, string, int) {
	t.Helper()
	out, errOut, code := execute(t, "", nil, append([]string{"version", "--json"}, args...)...)
	var info buildInfo
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatalf("version --json: %v: %s %s", err, out, errOut)
	}
	return info, errOut, code
}

// sqlExec runs statements on a database file behind sqlite's back.
func sqlExec(t *testing.T, path string, stmts ...string) {
	t.Helper()
	conn, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, s := range stmts {
		if _, err := conn.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func TestVersion(t *testing.T) {
	info, _, code := versionJSON(t)
	if code != 0 || info.Version != Version || info.Go != runtime.Version() || info.Schema != sqlite.SchemaVersion() || info.Schema < 2 || info.Database != nil {
		t.Fatalf("version: %d %+v", code, info)
	}
	out, _, code := execute(t, "", nil, "version")
	lines := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		k, v, _ := strings.Cut(l, "  ")
		lines[k] = strings.TrimSpace(v)
	}
	if code != 0 || lines["puqminio"] != Version || lines["schema"] != strconv.Itoa(sqlite.SchemaVersion()) || lines["go"] != runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH {
		t.Fatalf("version: %d %q", code, lines)
	}
}

func TestVersionDescribesDatabases(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "usage.db")
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	info, _, code := versionJSON(t, "--db", path)
	if code != 0 || info.Database == nil || info.Database.State != "current" || info.Database.Schema != sqlite.SchemaVersion() || info.Database.LastVersion != Version {
		t.Fatalf("current file: %d %+v", code, info.Database)
	}

	// A file left by v0.1.0 (schema 1) is reported, and left alone.
	sqlExec(t, path, `DROP TABLE meta`, `DELETE FROM migrations WHERE version > 1`)
	for range 2 {
		info, _, code = versionJSON(t, "--db", path)
		if code != 0 || info.Database.State != "older" || info.Database.Schema != 1 || info.Database.LastVersion != "" {
			t.Fatalf("schema 1 file: %d %+v", code, info.Database)
		}
	}
	out, _, _ := execute(t, "", nil, "version", "--db", path)
	if !strings.Contains(out, fmt.Sprintf("migrated to %d on its next use", sqlite.SchemaVersion())) || !strings.Contains(out, "not recorded") {
		t.Fatalf("text for a schema 1 file: %s", out)
	}

	// A file from a newer build: described, exit status 2. (A new file:
	// the one above only looks like schema 1, its tables are newer.)
	path = filepath.Join(dir, "newer.db")
	db, err = sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	sqlExec(t, path, `INSERT INTO migrations (version, name, applied_at) VALUES (99, '0099_future.sql', 0)`)
	info, errOut, code := versionJSON(t, "--db", path)
	if code != 2 || info.Database.State != "newer" || info.Database.Schema != 99 || !strings.Contains(errOut, "refuses") {
		t.Fatalf("newer file: %d %+v %s", code, info.Database, errOut)
	}

	_, errOut, code = versionJSON(t, "--db", filepath.Join(dir, "missing.db"))
	if code != 2 || !strings.Contains(errOut, "no usage database") {
		t.Fatalf("missing file: %d %s", code, errOut)
	}
}
