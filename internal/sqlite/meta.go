package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/puqminios3/puqminio/internal/domain"
)

// Software is the puqminio version this process records in the meta table
// (schema 2). The command sets it from its build version before it opens
// any database.
var Software = "dev"

// Keys of the meta table.
const (
	// metaLastVersion is the puqminio version that last opened the file;
	// its updated_at is when that version first did.
	metaLastVersion = "last_version"
	// metaMigratedBy is the version that applied the newest migration;
	// its updated_at is when.
	metaMigratedBy = "migrated_by"
)

// AppliedMigration is one row of the migrations table.
type AppliedMigration struct {
	Version   int       `json:"version"`
	Name      string    `json:"name"`
	AppliedAt time.Time `json:"appliedAt"`
}

// Info describes a database file as found on disk.
type Info struct {
	Path          string             `json:"path"`
	Schema        int                `json:"schema"` // applied schema version
	Migrations    []AppliedMigration `json:"migrations"`
	LastVersion   string             `json:"lastVersion,omitempty"`
	LastVersionAt time.Time          `json:"lastVersionAt,omitzero"`
	MigratedBy    string             `json:"migratedBy,omitempty"`
	MigratedAt    time.Time          `json:"migratedAt,omitzero"`
}

// Inspect reads the schema version and the meta table of the database at
// path without changing anything: the file is opened read-only, never
// created and never migrated, so it is safe to run against a live file or
// one written by a newer puqminio.
func Inspect(ctx context.Context, path string) (Info, error) {
	info := Info{Path: path}
	if _, err := os.Stat(path); err != nil {
		return info, domain.Errorf(domain.ESTORE, "no usage database at %s: %v", path, unwrapPathErr(err))
	}
	// mode=ro never creates the file; a WAL file whose -shm cannot be
	// created read-only still opens when its directory is writable.
	conn, err := sql.Open("sqlite3", dsn(path, "mode=ro"))
	if err != nil {
		return info, domain.Errorf(domain.ESTORE, "cannot open the usage database %s: %v", path, err)
	}
	defer conn.Close()
	db := &DB{path: path, write: conn}
	if info.Schema, err = db.schemaVersion(ctx); err != nil || info.Schema == 0 {
		return info, err
	}
	rows, err := conn.QueryContext(ctx, `SELECT version, name, applied_at FROM migrations ORDER BY version`)
	if err != nil {
		return info, db.fail(err, "reading the migrations")
	}
	defer rows.Close()
	for rows.Next() {
		var m AppliedMigration
		var at int64
		if err := rows.Scan(&m.Version, &m.Name, &at); err != nil {
			return info, db.fail(err, "reading the migrations")
		}
		m.AppliedAt = fromUnix(at)
		info.Migrations = append(info.Migrations, m)
	}
	if err := rows.Err(); err != nil {
		return info, db.fail(err, "reading the migrations")
	}
	if info.Schema < 2 {
		return info, nil // no meta table yet
	}
	info.LastVersion, info.LastVersionAt, err = readMeta(ctx, conn, metaLastVersion)
	if err != nil {
		return info, db.fail(err, "reading the meta table")
	}
	info.MigratedBy, info.MigratedAt, err = readMeta(ctx, conn, metaMigratedBy)
	return info, db.fail(err, "reading the meta table")
}

// readMeta returns a meta value and its time; a missing key is "".
func readMeta(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, key string) (string, time.Time, error) {
	var v string
	var at int64
	err := q.QueryRowContext(ctx, `SELECT value, updated_at FROM meta WHERE key = ?`, key).Scan(&v, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return "", time.Time{}, nil
	}
	return v, fromUnix(at), err
}

// recordSoftware notes this build's version in the meta table: always
// after a migration, otherwise only when another version opened the file
// last, so that ordinary opens do not write.
func (db *DB) recordSoftware(ctx context.Context, migrated bool) error {
	const what = "recording the puqminio version"
	last, _, err := readMeta(ctx, db.write, metaLastVersion)
	if err != nil {
		return db.fail(err, what)
	}
	if last == Software && !migrated {
		return nil
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return db.fail(err, what)
	}
	defer tx.Rollback()
	now := db.now().Unix()
	// The WHERE keeps updated_at at the first open by this version when a
	// concurrent process recorded it already.
	if _, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
		WHERE value != excluded.value`, metaLastVersion, Software, now); err != nil {
		return db.fail(err, what)
	}
	if migrated {
		if _, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
			metaMigratedBy, Software, now); err != nil {
			return db.fail(err, what)
		}
	}
	return db.fail(tx.Commit(), what)
}

// lastVersionNote names the version that last opened a file this build
// refuses, when the file records it: " (last opened by puqminio v0.3.0)".
func (db *DB) lastVersionNote(ctx context.Context) string {
	v, _, err := readMeta(ctx, db.write, metaLastVersion)
	if err != nil || v == "" {
		return ""
	}
	return fmt.Sprintf(" (last opened by puqminio %s)", v)
}
