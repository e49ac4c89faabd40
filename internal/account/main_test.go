package account

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/puqminios3/puqminio/internal/minioadmin"
	"github.com/puqminios3/puqminio/internal/s3"
	"github.com/puqminios3/puqminio/internal/sqlite"
	"github.com/puqminios3/puqminio/internal/testminio"
)

// srv is the real MinIO server the package's tests share.
var srv *testminio.Server

func TestMain(m *testing.M) { testminio.Main(withCeph{m}, &srv) }

// withCeph stops the Ceph cluster the RGW tests started, if they did.
type withCeph struct{ m *testing.M }

func (w withCeph) Run() int {
	defer stopCeph()
	return w.m.Run()
}

// newManager returns a Manager on the shared server with its own store.
func newManager(t *testing.T) *Manager {
	t.Helper()
	admin, err := minioadmin.New(minioadmin.Config{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := s3.New(s3.Config{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "usage.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &Manager{Admin: admin, S3: sc, Store: db, ServerID: 1}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

// tenant is an independent S3 client: s3cmd with the tenant's credentials in
// a private config file (never on the command line).
type tenant struct {
	t   *testing.T
	cfg string
}

func newTenant(t *testing.T, access, secret string) *tenant {
	t.Helper()
	return &tenant{t: t, cfg: newTenantOn(t, srv, access, secret)}
}

// newTenantOn writes an s3cmd config for s and returns its path.
func newTenantOn(t *testing.T, s *testminio.Server, access, secret string) string {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "s3cfg-"+access)
	body := fmt.Sprintf("[default]\nhost_base = %s\nhost_bucket = %s\nuse_https = False\nsignature_v2 = False\naccess_key = %s\nsecret_key = %s\n",
		s.Endpoint, s.Endpoint, access, secret)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// run runs s3cmd and returns its output and whether it succeeded.
func (c *tenant) run(args ...string) (string, bool) {
	c.t.Helper()
	full := append([]string{"-c", c.cfg, "--no-progress", "--no-check-md5"}, args...)
	cmd := exec.Command("s3cmd", full...)
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

func (c *tenant) must(args ...string) string {
	c.t.Helper()
	out, ok := c.run(args...)
	if !ok {
		c.t.Fatalf("s3cmd %s failed:\n%s", strings.Join(args, " "), out)
	}
	return out
}

func (c *tenant) mustFail(args ...string) {
	c.t.Helper()
	if out, ok := c.run(args...); ok {
		c.t.Fatalf("s3cmd %s succeeded but must be refused:\n%s", strings.Join(args, " "), out)
	}
}

// file writes n bytes to a temp file and returns its path.
func file(t *testing.T, n int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), fmt.Sprintf("f%d.bin", n))
	if err := os.WriteFile(p, []byte(strings.Repeat("x", n)), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// adminOf is the manager's admin client, for the calls the account package
// does not make itself (access keys a tenant would make).
func adminOf(m *Manager) *minioadmin.Client { return m.Admin.(*minioadmin.Client) }
