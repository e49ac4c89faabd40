package sqlite

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// setSoftware sets the recorded version for one test.
func setSoftware(t *testing.T, v string) {
	t.Helper()
	old := Software
	Software = v
	t.Cleanup(func() { Software = old })
}

// schema1 writes a database as puqminio v0.1.0 left it: migration 1 only,
// with an account and two days of history.
func schema1(t *testing.T, path string) {
	t.Helper()
	body, err := migrationFS.ReadFile("migration/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := sql.Open("sqlite3", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{
		`CREATE TABLE migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`,
		string(body),
		`INSERT INTO migrations VALUES (1, '0001_init.sql', 1767225600)`,
		`INSERT INTO accounts (server_id, service_id, username, created_at) VALUES (1, 34, '12-34', 1767225600)`,
		`INSERT INTO usage_daily VALUES (34, 1767225600, 1, 1000, 1000, 1000, 1767225600), (34, 1767312000, 2, 5000, 3000, 3000, 1767312000)`,
	} {
		if _, err := conn.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func TestUpgradeFromSchema1KeepsHistory(t *testing.T) {
	setSoftware(t, "v0.2.0")
	path := filepath.Join(t.TempDir(), "usage.db")
	schema1(t, path)
	ctx := context.Background()

	before, err := Inspect(ctx, path)
	if err != nil || before.Schema != 1 || before.LastVersion != "" || len(before.Migrations) != 1 {
		t.Fatalf("inspect before: %+v, %v", before, err)
	}
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	days, err := db.Daily(ctx, 34, time.Unix(1767225600, 0), time.Unix(1767312000, 0))
	if err != nil || len(days) != 2 || days[0].LastBytes != 1000 || days[1].AvgBytes != 2500 {
		t.Fatalf("history after the upgrade: %+v, %v", days, err)
	}
	if a, ok, err := db.Account(ctx, 1, 34); err != nil || !ok || a.Username != "12-34" {
		t.Fatalf("account after the upgrade: %+v %v %v", a, ok, err)
	}
	after, err := Inspect(ctx, path)
	if err != nil || after.Schema != SchemaVersion() || after.Schema < 2 {
		t.Fatalf("inspect after: %+v, %v", after, err)
	}
	if after.LastVersion != "v0.2.0" || after.MigratedBy != "v0.2.0" || after.MigratedAt.IsZero() {
		t.Fatalf("meta after the upgrade: %+v", after)
	}
	if !after.Migrations[0].AppliedAt.Equal(time.Unix(1767225600, 0)) {
		t.Fatalf("the old migration row changed: %+v", after.Migrations[0])
	}
}

func TestMetaRecordsVersionChangesOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "usage.db")
	ctx := context.Background()
	open := func(v string) Info {
		t.Helper()
		setSoftware(t, v)
		db, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		info, err := Inspect(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		return info
	}
	first := open("v1")
	if first.LastVersion != "v1" || first.MigratedBy != "v1" {
		t.Fatalf("new file: %+v", first)
	}
	// Backdate, so that a rewrite would show as a new time.
	conn, err := sql.Open("sqlite3", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(`UPDATE meta SET updated_at = 1000`); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	if same := open("v1"); same.LastVersionAt.Unix() != 1000 || same.MigratedAt.Unix() != 1000 {
		t.Fatalf("reopening with the same version wrote the meta table: %+v", same)
	}
	next := open("v2")
	if next.LastVersion != "v2" || next.LastVersionAt.Unix() == 1000 {
		t.Fatalf("a new version was not recorded: %+v", next)
	}
	if next.MigratedBy != "v1" || next.MigratedAt.Unix() != 1000 {
		t.Fatalf("migrated_by changed without a migration: %+v", next)
	}
}

func TestInspectChangesNothing(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "none.db")
	if _, err := Inspect(context.Background(), missing); err == nil {
		t.Fatal("inspecting a missing file succeeded")
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Fatalf("Inspect created %s: %v", missing, err)
	}
	path := filepath.Join(dir, "old.db")
	schema1(t, path)
	for range 2 {
		info, err := Inspect(context.Background(), path)
		if err != nil || info.Schema != 1 {
			t.Fatalf("inspect: %+v, %v", info, err)
		}
	}
}

func TestRefusalNamesTheNewerVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "usage.db")
	setSoftware(t, "v9.0.0")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.write.Exec(`INSERT INTO migrations (version, name, applied_at) VALUES (999, '0999_future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	setSoftware(t, "v0.2.0")
	_, err = Open(path)
	wantStoreErr(t, err, path, "newer", "schema version 999", "last opened by puqminio v9.0.0", "v0.2.0")
	info, err := Inspect(context.Background(), path)
	if err != nil || info.LastVersion != "v9.0.0" {
		t.Fatalf("the refused open changed the file: %+v, %v", info, err)
	}
}
