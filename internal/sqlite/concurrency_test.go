package sqlite

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/puqminios3/puqminio/internal/domain"
)

// TestConcurrentReadersAndWriter runs the cron's writer against 20 readers
// and two admin-button writers, each with its own Open of the file as
// separate PHP-spawned processes would have. None may fail, and above all
// none may see "database is locked".
func TestConcurrentReadersAndWriter(t *testing.T) {
	if testing.Short() {
		t.Skip("takes a few seconds")
	}
	const services, runs, readers, admins = 2000, 10, 20, 2
	path := t.TempDir() + "/usage.db"
	w, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx := context.Background()
	start := time.Date(2026, time.March, 1, 0, 0, 0, 0, time.UTC)

	var (
		wg      sync.WaitGroup
		done    atomic.Bool
		reads   atomic.Int64
		errMu   sync.Mutex
		errs    []error
		started sync.WaitGroup
	)
	fail := func(err error) {
		errMu.Lock()
		defer errMu.Unlock()
		errs = append(errs, err)
	}
	worker := func(i int, work func(db *DB, n int) error) {
		defer wg.Done()
		db, err := Open(path)
		started.Done()
		if err != nil {
			fail(fmt.Errorf("open %d: %w", i, err))
			return
		}
		defer db.Close()
		for n := 0; !done.Load(); n++ {
			if err := work(db, n); err != nil {
				fail(fmt.Errorf("worker %d: %w", i, err))
				return
			}
			reads.Add(1)
		}
	}
	for i := range readers {
		wg.Add(1)
		started.Add(1)
		go worker(i, func(db *DB, n int) error {
			id := int64((i*7919+n*104729)%services + 1)
			now := start.Add(time.Duration(n%runs) * time.Hour)
			if _, err := db.Daily(ctx, id, now.AddDate(0, 0, -30), now); err != nil {
				return err
			}
			if _, err := db.Monthly(ctx, id, 12, now); err != nil {
				return err
			}
			if _, err := db.MonthToDateAverageBytes(ctx, id, now); err != nil {
				return err
			}
			if _, _, err := db.Latest(ctx, id); err != nil {
				return err
			}
			_, _, err := db.Account(ctx, 1, id)
			return err
		})
	}
	for i := range admins {
		wg.Add(1)
		started.Add(1)
		go worker(readers+i, func(db *DB, n int) error {
			id := int64(n%services + 1)
			if err := db.ChangeAccount(ctx, 1, id, domain.AccountChange{Forced: forced(domain.PolicyLimited)}); err != nil {
				return err
			}
			time.Sleep(time.Millisecond) // an admin clicks, not a loop
			return db.MarkNotified(ctx, 1, id, domain.NoticeWarn)
		})
	}
	started.Wait()

	t0 := time.Now()
	for r := range runs {
		now := start.Add(time.Duration(r) * time.Hour)
		w.Now = func() time.Time { return now }
		samples := make([]domain.Sample, services)
		states := make(map[int64]domain.AccountState, services)
		for i := range samples {
			id := int64(i + 1)
			samples[i] = sample(id, now, id*int64(r+1)<<20)
			states[id] = domain.AccountState{Policy: domain.PolicyStandard}
		}
		if err := w.RecordCollection(ctx, 1, samples, states, nil); err != nil {
			fail(fmt.Errorf("writer run %d: %w", r, err))
			break
		}
	}
	elapsed := time.Since(t0)
	done.Store(true)
	wg.Wait()

	for _, err := range errs {
		if strings.Contains(err.Error(), "locked") {
			t.Errorf("database is locked: %v", err)
		} else {
			t.Error(err)
		}
	}
	t.Logf("%d collections of %d samples in %v while %d readers did %d read rounds", runs, services, elapsed, readers, reads.Load())
	if s, _, _ := w.Latest(ctx, 1); s.Bytes != int64(runs)<<20 {
		t.Fatalf("after the runs: %+v", s)
	}
}
