package sqlite

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/puqminios3/puqminio/internal/domain"
)

// clock is a settable time source for DB.Now.
type clock struct{ t time.Time }

func (c *clock) now() time.Time      { return c.t }
func (c *clock) add(d time.Duration) { c.t = c.t.Add(d) }
func (c *clock) set(y int, m time.Month, d, h int) {
	c.t = time.Date(y, m, d, h, 0, 0, 0, time.UTC)
}

// openTest opens a fresh database in a new subdirectory, with a clock set to
// 2026-03-01 00:00 UTC.
func openTest(t *testing.T) (*DB, *clock) {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "state", "usage.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := &clock{}
	c.set(2026, time.March, 1, 0)
	db.Now = c.now
	return db, c
}

func wantStoreErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if domain.ErrorCode(err) != domain.ESTORE {
		t.Fatalf("got %v (code %s), want a %s error", err, domain.ErrorCode(err), domain.ESTORE)
	}
	for _, p := range parts {
		if !strings.Contains(domain.ErrorMessage(err), p) {
			t.Fatalf("message %q does not mention %q", domain.ErrorMessage(err), p)
		}
	}
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestOpenFileModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	path := filepath.Join(dir, "usage.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SaveAccount(context.Background(), domain.Account{ServerID: 1, ServiceID: 2, Username: "1-2"}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{dir, filepath.Dir(dir)} {
		if m := mode(t, p); m != 0o700 {
			t.Errorf("%s: mode %o, want 700", p, m)
		}
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if m := mode(t, p); m != 0o600 {
			t.Errorf("%s: mode %o, want 600", p, m)
		}
	}
	db.Close()

	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if m := mode(t, path); m != 0o600 {
		t.Errorf("reopened: mode %o, want 600", m)
	}
}

func TestOpenMigratesOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "usage.db")
	for i := range 3 {
		db, err := Open(path)
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		var n, v int
		if err := db.read.QueryRow(`SELECT COUNT(*), MAX(version) FROM migrations`).Scan(&n, &v); err != nil {
			t.Fatal(err)
		}
		if n != SchemaVersion() || v != SchemaVersion() || n == 0 {
			t.Fatalf("open %d: %d migrations up to %d, want %d", i, n, v, SchemaVersion())
		}
		var mode string
		if err := db.read.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
			t.Fatalf("journal_mode %q, %v", mode, err)
		}
		db.Close()
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "usage.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.write.Exec(`INSERT INTO migrations (version, name, applied_at) VALUES (999, '0999_future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = Open(path)
	wantStoreErr(t, err, path, "newer")
}

func TestOpenCorruptFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "usage.db")
	junk := make([]byte, 8192)
	rand.Read(junk)
	if err := os.WriteFile(path, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(path)
	wantStoreErr(t, err, path, "corrupt")
}

// TestCorruptPagesFailReads checks that damage past the header is reported
// on read, not turned into an empty chart.
func TestCorruptPagesFailReads(t *testing.T) {
	db, c := openTest(t)
	ctx := context.Background()
	var samples []domain.Sample
	for id := int64(1); id <= 2000; id++ {
		samples = append(samples, domain.Sample{ServiceID: id, At: c.t, Bytes: id << 20, Source: domain.UsageScanner})
	}
	if err := db.RecordCollection(ctx, 1, samples, nil, nil); err != nil {
		t.Fatal(err)
	}
	path := db.Path()
	db.Close() // checkpoints the WAL into the file
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	junk := make([]byte, fi.Size()-4096)
	rand.Read(junk)
	f.WriteAt(junk, 4096)
	f.Close()

	db, err = Open(path)
	if err != nil {
		wantStoreErr(t, err, path)
		return
	}
	defer db.Close()
	_, err = db.Daily(ctx, 1500, c.t.AddDate(0, 0, -30), c.t)
	wantStoreErr(t, err, path, "corrupt")
}

func TestOpenUnwritable(t *testing.T) {
	// A regular file where a directory should be fails for root too.
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(file, "state", "usage.db")
	_, err := Open(path)
	wantStoreErr(t, err, path)

	_, err = Open(t.TempDir()) // a directory is not a database file
	wantStoreErr(t, err)

	_, err = Open("  ")
	wantStoreErr(t, err)

	if os.Geteuid() == 0 {
		t.Log("running as root: skipping the read-only directory case")
		return
	}
	dir := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(dir, "usage.db")
	_, err = Open(path)
	wantStoreErr(t, err, path)
}
