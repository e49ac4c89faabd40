package sqlite

import (
	"context"
	"errors"
	"os"
	"syscall"
	"time"

	"github.com/puqminios3/puqminio/internal/domain"
)

// LockNames takes an exclusive lock beside the database
// (<database>.names.lock) that every puqminio process using it shares,
// waiting until ctx ends, and returns the function that releases it. Create
// holds it while it picks a user name and records it, so that two creates
// at the same moment cannot both take overlapping names.
func (db *DB) LockNames(ctx context.Context) (func(), error) {
	path := db.path + ".names.lock"
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, domain.Errorf(domain.ESTORE, "open the user name lock %s: %s", path, domain.Printable(err.Error()))
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, domain.Errorf(domain.ESTORE, "lock %s: %s", path, domain.Printable(err.Error()))
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, domain.Retryf(domain.ETIMEOUT, "another account creation held the user name lock until the deadline; retrying is safe")
		case <-time.After(10 * time.Millisecond):
		}
	}
}
