package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/puqminios3/puqminio/internal/domain"
)

// TestConcurrentFirstOpen opens a database that does not exist yet from
// many connections at once, as the first page views and the first cron run
// after an install would, and writes through each: every Open must
// migrate or wait for the one that does, and none may see a lock error.
func TestConcurrentFirstOpen(t *testing.T) {
	for round := range 5 {
		path := filepath.Join(t.TempDir(), fmt.Sprintf("usage-%d.db", round))
		const n = 40
		var wg sync.WaitGroup
		errs := make(chan error, n)
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				db, err := Open(path)
				if err != nil {
					errs <- fmt.Errorf("open %d: %w", i, err)
					return
				}
				defer db.Close()
				if err := db.MarkNotified(context.Background(), 1, int64(i+1), domain.NoticeWarn); err != nil {
					errs <- fmt.Errorf("write %d: %w", i, err)
				}
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		db, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		accts, err := db.AccountsByServer(context.Background(), 1)
		db.Close()
		if err != nil || len(accts) != n {
			t.Fatalf("round %d: %d accounts, %v; want %d", round, len(accts), err, n)
		}
	}
}
