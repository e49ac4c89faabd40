package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/puqminios3/puqminio/internal/domain"
)

// holdWriteLock takes the write lock of path from another connection, as
// the cron run's transaction does, and releases it after d. The returned
// channel is closed once the lock is released.
func holdWriteLock(t *testing.T, path string, d time.Duration) <-chan struct{} {
	t.Helper()
	other, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, _, err := other.writer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := conn.BeginTx(ctx, nil) // BEGIN IMMEDIATE: the write lock
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO accounts (server_id, service_id, created_at) VALUES (9, 9, 0) ON CONFLICT DO NOTHING`); err != nil {
		t.Fatal(err)
	}
	released := make(chan struct{})
	go func() {
		defer close(released)
		time.Sleep(d)
		if err := tx.Commit(); err != nil {
			t.Error(err)
		}
		conn.Close()
		other.Close()
	}()
	t.Cleanup(func() { <-released })
	return released
}

// TestWriteOutwaitsLongWriter is the regression test for writes failing
// with "database is locked" (SQLITE_BUSY) while a usage run's transaction
// holds the lock for longer than the fixed busy timeout: a write whose
// context allows it waits the lock out. The busy timeout is scaled down
// from 10 s to 300 ms and the run's transaction to 1 s.
func TestWriteOutwaitsLongWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "usage.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.busy = 300 * time.Millisecond
	const hold = time.Second

	writes := []struct {
		name  string
		write func(ctx context.Context) error
	}{
		{"MarkNotified", func(ctx context.Context) error { return db.MarkNotified(ctx, 1, 1, domain.NoticeWarn) }},
		{"ChangeAccount", func(ctx context.Context) error {
			return db.ChangeAccount(ctx, 1, 1, domain.AccountChange{Forced: forced(domain.PolicyLimited)})
		}},
		{"SaveAccount", func(ctx context.Context) error {
			return db.SaveAccount(ctx, domain.Account{ServerID: 1, ServiceID: 2, Username: "1-2"})
		}},
		{"RecordCollection", func(ctx context.Context) error {
			return db.RecordCollection(ctx, 1, []domain.Sample{sample(3, time.Now(), 1<<20)}, nil, nil)
		}},
		{"DeleteAccount", func(ctx context.Context) error { return db.DeleteAccount(ctx, 1, 2) }},
	}
	for _, w := range writes {
		released := holdWriteLock(t, path, hold)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		t0 := time.Now()
		err := w.write(ctx)
		cancel()
		if err != nil {
			t.Fatalf("%s with 30 s to spare, while another connection held the lock for %v: %v", w.name, hold, err)
		}
		select {
		case <-released:
		default:
			t.Fatalf("%s returned after %v, before the lock holder let go: it did not wait for the lock", w.name, time.Since(t0))
		}
	}
}

// TestWriteLockWaitIsBounded checks the other side: without a deadline a
// write gives up after the busy timeout, and with one it gives up before
// the deadline, with a retryable store error that says the file stayed
// locked (never SQLite's bare "database is locked").
func TestWriteLockWaitIsBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "usage.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.busy = 300 * time.Millisecond
	const hold = 6 * time.Second

	check := func(name string, err error, took, limit time.Duration) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s: a write succeeded while another connection held the lock", name)
		}
		if domain.ErrorCode(err) != domain.ESTORE || !domain.IsRetryable(err) || !strings.Contains(domain.ErrorMessage(err), "stayed locked") {
			t.Fatalf("%s: %v (code %s, retryable %v), want a retryable %s error saying the file stayed locked", name, err, domain.ErrorCode(err), domain.IsRetryable(err), domain.ESTORE)
		}
		if took > limit {
			t.Fatalf("%s: gave up after %v, want within %v", name, took, limit)
		}
	}
	holdWriteLock(t, path, hold)

	t0 := time.Now()
	err = db.MarkNotified(context.Background(), 1, 1, domain.NoticeWarn)
	check("no deadline", err, time.Since(t0), 3*time.Second) // 300 ms and generous slack

	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	t0 = time.Now()
	err = db.RecordCollection(ctx, 1, []domain.Sample{sample(3, time.Now(), 1<<20)}, nil, nil)
	check("1.5 s deadline", err, time.Since(t0), 1500*time.Millisecond+2*time.Second)
}
