package account

import (
	"path/filepath"
	"testing"

	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/minioadmin"
	"github.com/puqminios3/puqminio/internal/s3"
	"github.com/puqminios3/puqminio/internal/sqlite"
	"github.com/puqminios3/puqminio/internal/testminio"
)

// Services on two MinIO servers never mix, even with the same user name
// and one shared history database.
func TestTwoServersNeverMix(t *testing.T) {
	c := ctx(t)
	other := testminio.Start(t, testminio.Options{})
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "usage.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mk := func(s *testminio.Server, id int64) *Manager {
		admin, err := minioadmin.New(minioadmin.Config{Endpoint: s.Endpoint, AccessKey: s.AccessKey, SecretKey: s.SecretKey})
		if err != nil {
			t.Fatal(err)
		}
		sc, err := s3.New(s3.Config{Endpoint: s.Endpoint, AccessKey: s.AccessKey, SecretKey: s.SecretKey})
		if err != nil {
			t.Fatal(err)
		}
		return &Manager{Admin: admin, S3: sc, Store: db, ServerID: id}
	}
	a, b := mk(srv, 1), mk(other, 2)
	prod := domain.Product{UsernameRule: "twin-{client_id}", DefaultBucket: true, Unit: "MB", DiskSpace: 10}
	ca, err := a.Create(c, svc(9, 201), prod)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := b.Create(c, svc(9, 202), prod)
	if err != nil {
		t.Fatal(err)
	}
	if ca.Username != cb.Username {
		t.Fatalf("expected the same name on both servers: %s %s", ca.Username, cb.Username)
	}
	newTenant(t, ca.Username, ca.Password).must("put", file(t, 100<<10), "s3://"+ca.Bucket+"/a")
	tb := &tenant{t: t, cfg: newTenantOn(t, other, cb.Username, cb.Password)}
	tb.must("put", file(t, 300<<10), "s3://"+cb.Bucket+"/b")

	ra, err := a.UpdateUsage(c, []UsageService{{ID: 201, Username: ca.Username, Product: &prod}}, UsageOptions{Exact: true})
	if err != nil {
		t.Fatal(err)
	}
	rb, err := b.UpdateUsage(c, []UsageService{{ID: 202, Username: cb.Username, Product: &prod}}, UsageOptions{Exact: true})
	if err != nil {
		t.Fatal(err)
	}
	if ra.Services[0].UsedBytes != 100<<10 || rb.Services[0].UsedBytes != 300<<10 {
		t.Fatalf("usage mixed: server A %d, server B %d", ra.Services[0].UsedBytes, rb.Services[0].UsedBytes)
	}
	accA, _ := db.AccountsByServer(c, 1)
	accB, _ := db.AccountsByServer(c, 2)
	for _, r := range accA {
		if r.ServiceID == 202 {
			t.Error("server B's service recorded under server A")
		}
	}
	for _, r := range accB {
		if r.ServiceID == 201 {
			t.Error("server A's service recorded under server B")
		}
	}
	if _, err := a.Terminate(c, domain.ServiceRef{ID: 201, Username: ca.Username}); err != nil {
		t.Fatal(err)
	}
	// Terminating on A leaves B's twin untouched.
	tb.must("ls", "s3://"+cb.Bucket)
	if _, err := b.Terminate(c, domain.ServiceRef{ID: 202, Username: cb.Username}); err != nil {
		t.Fatal(err)
	}
}
