// Package sqlite keeps puqMinIOS3's accounts and usage history in one SQLite
// file. The cron run is the only heavy writer; client and admin pages read
// at the same time from other processes, so the database runs in WAL mode
// with a busy timeout and every failure becomes a domain.ESTORE error that
// names the file.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/puqminios3/puqminio/internal/domain"
)

// BusyTimeout is how long a statement waits for another process's lock
// before it fails when its context has no deadline: reads (which in WAL
// mode wait only in rare moments such as a crashed writer's recovery) and
// writes without a deadline. A write whose context has a deadline waits
// for the write lock until shortly before that deadline instead (see
// lockWait): the cron run's write transaction holds the lock for about half
// a second for 10,000 services on an idle machine and several seconds on a
// loaded one, and an admin's click or a notice record must outlast it
// rather than fail after a fixed time that a big run can exceed.
const BusyTimeout = 10 * time.Second

// answerMargin is the part of a caller's deadline that a write waiting for
// the lock leaves for giving up and answering.
const answerMargin = 500 * time.Millisecond

//go:embed migration/*.sql
var migrationFS embed.FS

// DB is an open usage database: one connection that writes (SQLite has a
// single writer anyway, and one connection never contends with itself) and
// a small pool that reads.
type DB struct {
	// Now returns the current time; tests replace it to simulate months.
	Now func() time.Time

	path  string
	write *sql.DB
	read  *sql.DB
	busy  time.Duration // BusyTimeout; shorter in tests
}

// Open opens the database at path, creating it and its directory when
// needed, and brings its schema up to date. New directories are made 0700
// (an existing one is left alone: it may be shared); the file, new or not,
// is made 0600, as it names every customer's account.
func Open(path string) (*DB, error) {
	if strings.TrimSpace(path) == "" {
		return nil, domain.Errorf(domain.ESTORE, "no usage database path is configured")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, domain.Errorf(domain.ESTORE, "usage database path %s: %v", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, domain.Errorf(domain.ESTORE, "cannot create the directory of the usage database %s: %v", abs, unwrapPathErr(err))
	}
	if err := createPrivate(abs); err != nil {
		return nil, err
	}
	db := &DB{Now: time.Now, path: abs, busy: BusyTimeout}
	if db.write, err = sql.Open("sqlite3", dsn(abs, "_journal_mode=WAL", "_txlock=immediate")); err != nil {
		return nil, domain.Errorf(domain.ESTORE, "cannot open the usage database %s: %v", abs, err)
	}
	// One writer connection, kept open: every write goes through it in
	// turn instead of failing with SQLITE_BUSY against a sibling.
	db.write.SetMaxOpenConns(1)
	db.write.SetMaxIdleConns(1)
	db.write.SetConnMaxLifetime(0)
	if db.read, err = sql.Open("sqlite3", dsn(abs, "_query_only=1")); err != nil {
		db.write.Close()
		return nil, domain.Errorf(domain.ESTORE, "cannot open the usage database %s: %v", abs, err)
	}
	db.read.SetMaxOpenConns(4)
	db.read.SetMaxIdleConns(4)
	if err := db.migrate(context.Background()); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// dsn builds a file: URI, so that a path holding "?" or "#" stays a path.
// Every connection waits on locks and enforces foreign keys; NORMAL
// synchronous is durable across application crashes in WAL mode and much
// cheaper than FULL.
func dsn(path string, extra ...string) string {
	q := []string{
		"_busy_timeout=" + strconv.FormatInt(BusyTimeout.Milliseconds(), 10),
		"_foreign_keys=1",
		"_synchronous=NORMAL",
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + strings.Join(append(q, extra...), "&")
}

// lockWait is how long a write started under ctx waits for the write lock:
// until answerMargin before ctx's deadline, whether that is sooner or later
// than BusyTimeout, and BusyTimeout when ctx has no deadline.
func (db *DB) lockWait(ctx context.Context) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		return max(time.Until(dl)-answerMargin, time.Millisecond)
	}
	if db.busy <= 0 {
		return BusyTimeout
	}
	return db.busy
}

// writer returns the writer connection, pinned, with its busy timeout set
// to lockWait(ctx), and that wait. The caller closes the connection, which
// hands it back to the pool; the writer pool has one connection, so the
// setting cannot leak to a concurrent write.
func (db *DB) writer(ctx context.Context) (*sql.Conn, time.Duration, error) {
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return nil, 0, err
	}
	wait := db.lockWait(ctx)
	if _, err := conn.ExecContext(ctx, "PRAGMA busy_timeout = "+strconv.FormatInt(wait.Milliseconds(), 10)); err != nil {
		conn.Close()
		return nil, 0, err
	}
	return conn, wait, nil
}

// createPrivate creates the file 0600 before SQLite does (SQLite would use
// 0644) and tightens an existing one. SQLite gives the -wal and -shm files
// the database file's mode, but older ones are tightened too.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return domain.Errorf(domain.ESTORE, "cannot open the usage database %s for writing: %v", path, unwrapPathErr(err))
	}
	err = f.Chmod(0o600)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	for _, side := range []string{"-wal", "-shm"} {
		if cerr := os.Chmod(path+side, 0o600); cerr != nil && !errors.Is(cerr, fs.ErrNotExist) && err == nil {
			err = cerr
		}
	}
	if err != nil {
		return domain.Errorf(domain.ESTORE, "cannot make the usage database %s private (mode 0600): %v", path, unwrapPathErr(err))
	}
	return nil
}

// unwrapPathErr drops the path an *fs.PathError repeats, since our messages
// name the file already.
func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Path returns the absolute path of the database file.
func (db *DB) Path() string { return db.path }

// Close closes both connection pools.
func (db *DB) Close() error {
	var errs []error
	if db.read != nil {
		errs = append(errs, db.read.Close())
	}
	if db.write != nil {
		errs = append(errs, db.write.Close())
	}
	return db.fail(errors.Join(errs...), "closing")
}

func (db *DB) now() time.Time {
	if db.Now == nil {
		return time.Now().UTC()
	}
	return db.Now().UTC()
}

// migration is one numbered schema step, migration/NNNN_name.sql.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations lists the embedded steps in order and checks they are numbered
// 1, 2, 3... without gaps, so a missing file is a build-time test failure
// rather than a silently skipped step.
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFS, "migration/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, n := range names {
		base := filepath.Base(n)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s is not named NNNN_name.sql", base)
		}
		body, err := migrationFS.ReadFile(n)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: expected number %d", m.name, i+1)
		}
	}
	return ms, nil
}

// SchemaVersion is the newest schema this build knows.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil {
		return 0
	}
	return len(ms)
}

// migrate applies each pending migration once, each in its own immediate
// transaction that also records it, so that two processes opening a new
// file at once cannot both apply a step, and a failed step leaves nothing
// half done. A database newer than this build is refused rather than used
// with a schema we do not understand. Then this build's version is noted in
// the meta table (see recordSoftware).
func (db *DB) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return domain.Errorf(domain.EINTERNAL, "embedded migrations: %v", err)
	}
	if db.upToDate(ctx, len(ms)) {
		return nil
	}
	current, err := db.schemaVersion(ctx)
	if err != nil {
		return err
	}
	if current > len(ms) {
		return domain.Errorf(domain.ESTORE, "the usage database %s has schema version %d%s, newer than this puqminio (%s) knows (%d); upgrade puqminio or restore an older backup", db.path, current, db.lastVersionNote(ctx), Software, len(ms))
	}
	for _, m := range ms[current:] {
		if err := db.apply(ctx, m); err != nil {
			return err
		}
	}
	return db.recordSoftware(ctx, current < len(ms))
}

// upToDate says, from one read on a reading connection, whether the file
// has this build's schema and was last opened by this build: the case of
// nearly every request, which then never opens the write connection (a
// page view costs one connection, not two). Anything else, a new or
// foreign file included, takes the full path.
func (db *DB) upToDate(ctx context.Context, want int) bool {
	var v int
	var last sql.NullString
	err := db.read.QueryRowContext(ctx, `SELECT (SELECT COALESCE(MAX(version), 0) FROM migrations),
		(SELECT value FROM meta WHERE key = ?)`, metaLastVersion).Scan(&v, &last)
	return err == nil && v == want && last.String == Software
}

// schemaVersion reads the applied version. It is also the first statement
// to touch the file, so a corrupt or foreign file fails here, clearly.
func (db *DB) schemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.write.QueryRowContext(ctx, `SELECT CASE WHEN EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'migrations')
		THEN 1 ELSE 0 END`).Scan(&v)
	if err != nil || v == 0 {
		return 0, db.fail(err, "reading the schema version")
	}
	err = db.write.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM migrations`).Scan(&v)
	return v, db.fail(err, "reading the schema version")
}

func (db *DB) apply(ctx context.Context, m migration) error {
	what := "applying migration " + m.name
	return db.inTx(ctx, what, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT    NOT NULL,
			applied_at INTEGER NOT NULL)`); err != nil {
			return err
		}
		var done int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM migrations WHERE version = ?`, m.version).Scan(&done); err != nil {
			return err
		}
		if done > 0 {
			return nil // another process applied it while we waited for the lock
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO migrations (version, name, applied_at) VALUES (?, ?, ?)`,
			m.version, m.name, db.now().Unix()); err != nil {
			return err
		}
		return nil
	})
}

// inTx runs fn in one write transaction, on a connection that waits for
// the write lock as long as ctx allows, and commits when fn returns nil.
// Every failure, fn's or the commit's, is reported as what failed. The
// commit survives a crash of the process (synchronous NORMAL, see dsn).
func (db *DB) inTx(ctx context.Context, what string, fn func(tx *sql.Tx) error) error {
	return db.runTx(ctx, what, "NORMAL", fn)
}

// inDurableTx is inTx for a commit that must also survive a crash of the
// machine: the WAL is synced before the commit returns (synchronous FULL).
// The traffic receiver acknowledges a delivery only after it, and MinIO
// forgets what was acknowledged.
func (db *DB) inDurableTx(ctx context.Context, what string, fn func(tx *sql.Tx) error) error {
	return db.runTx(ctx, what, "FULL", fn)
}

// runTx runs a write transaction with the given synchronous level, which
// SQLite lets a connection change only outside a transaction.
func (db *DB) runTx(ctx context.Context, what, synchronous string, fn func(tx *sql.Tx) error) error {
	conn, wait, err := db.writer(ctx)
	if err != nil {
		return db.fail(err, what)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA synchronous = "+synchronous); err != nil {
		return db.failWait(err, what, wait)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return db.failWait(err, what, wait)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return db.failWait(err, what, wait)
	}
	return db.failWait(tx.Commit(), what, wait)
}

// fail turns err into a domain error that names the file and says what was
// being done. SQLite's codes are sorted into what an operator can act on;
// errors that are already domain errors pass through.
func (db *DB) fail(err error, what string) error {
	return db.failWait(err, what, db.lockWait(context.Background()))
}

// failWait is fail for a statement that waited up to wait for a lock.
func (db *DB) failWait(err error, what string, wait time.Duration) error {
	if err == nil {
		return nil
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return err
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return domain.Retryf(domain.ETIMEOUT, "%s in the usage database %s took too long", what, db.path)
	case errors.Is(err, context.Canceled):
		return domain.Retryf(domain.ETIMEOUT, "%s in the usage database %s was cancelled", what, db.path)
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code {
		case sqlite3.ErrCorrupt, sqlite3.ErrNotADB:
			return domain.Errorf(domain.ESTORE, "the usage database %s is corrupt or not an SQLite database (%s: %v); move it aside and restore a backup", db.path, what, se)
		case sqlite3.ErrBusy, sqlite3.ErrLocked:
			return domain.Retryf(domain.ESTORE, "the usage database %s stayed locked by another process for over %s (%s); try again", db.path, wait.Round(time.Millisecond), what)
		case sqlite3.ErrReadonly, sqlite3.ErrPerm, sqlite3.ErrCantOpen, sqlite3.ErrAuth:
			return domain.Errorf(domain.ESTORE, "the usage database %s cannot be opened for writing (%s: %v); check that the file and its directory belong to the user running puqminio", db.path, what, se)
		case sqlite3.ErrFull:
			return domain.Errorf(domain.ESTORE, "the disk holding the usage database %s is full (%s)", db.path, what)
		case sqlite3.ErrIoErr:
			return domain.Retryf(domain.ESTORE, "I/O error on the usage database %s (%s: %v)", db.path, what, se)
		}
	}
	return domain.Errorf(domain.ESTORE, "%s in the usage database %s failed: %v", what, db.path, err)
}

// unix stores a time as Unix seconds, the zero time as 0.
func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// fromUnix reverses unix.
func fromUnix(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}

// dayStart returns 00:00 UTC of t's day.
func dayStart(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// monthStart returns 00:00 UTC on the first of t's month.
func monthStart(t time.Time) time.Time {
	y, m, _ := t.UTC().Date()
	return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
}
