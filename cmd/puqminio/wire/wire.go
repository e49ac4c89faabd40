// Package wire puts puqminio together: it builds the bridge's environment
// from the adapters (minioadmin, s3, sqlite, view). It is the one place
// that knows which package implements what; the command uses it, and so do
// the tests that run the bridge in process.
package wire

import (
	"log/slog"
	"time"

	"github.com/puqminios3/puqminio/internal/account"
	"github.com/puqminios3/puqminio/internal/bridge"
	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/minioadmin"
	"github.com/puqminios3/puqminio/internal/rgw"
	"github.com/puqminios3/puqminio/internal/s3"
	"github.com/puqminios3/puqminio/internal/sqlite"
	"github.com/puqminios3/puqminio/internal/view"
)

// Env builds the bridge's environment: log, the clients of a request's
// server and its usage store, and the page renderer.
func Env(log *slog.Logger) bridge.Env {
	return bridge.Env{
		Now: time.Now,
		Log: log,
		Open: func(s *bridge.Server, storePath string) (*account.Manager, error) {
			return openManager(s, storePath, log)
		},
		Renderer: func(overridesDir string) (bridge.Renderer, error) {
			return view.New(view.Options{OverridesDir: overridesDir})
		},
	}
}

// openManager connects an account manager to the server s and, when
// storePath is set, to the usage store there (opened at first use).
func openManager(s *bridge.Server, storePath string, log *slog.Logger) (*account.Manager, error) {
	roots := s.RootCAs()
	if s.Backend == bridge.BackendRGW {
		g, err := rgw.New(rgw.Config{Endpoint: s.Endpoint, Secure: s.Secure, AccessKey: s.AccessKey, SecretKey: s.SecretKey, RootCAs: roots})
		if err != nil {
			return nil, err
		}
		m := &account.Manager{Gateway: g, ServerID: s.ID, Now: time.Now, Log: log}
		m.OpenStore = storeOpener(storePath)
		return m, nil
	}
	admin, err := minioadmin.New(minioadmin.Config{Endpoint: s.Endpoint, Secure: s.Secure, AccessKey: s.AccessKey, SecretKey: s.SecretKey, Region: s.Region, RootCAs: roots})
	if err != nil {
		return nil, domain.Errorf(domain.EINVALID, "server: %s", domain.Printable(err.Error()))
	}
	sc, err := s3.New(s3.Config{Endpoint: s.Endpoint, Secure: s.Secure, AccessKey: s.AccessKey, SecretKey: s.SecretKey, Region: s.Region, RootCAs: roots})
	if err != nil {
		return nil, err
	}
	m := &account.Manager{Admin: admin, S3: sc, ServerID: s.ID, Now: time.Now, Log: log}
	m.OpenStore = storeOpener(storePath)
	return m, nil
}

// storeOpener opens the usage store at path at first use (nil without a
// path).
func storeOpener(path string) func() (account.Store, error) {
	if path == "" {
		return nil
	}
	return func() (account.Store, error) {
		db, err := sqlite.Open(path)
		if err != nil {
			return nil, err
		}
		return db, nil
	}
}
