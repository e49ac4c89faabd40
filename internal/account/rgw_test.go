package account

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/rgw"
	"github.com/puqminios3/puqminio/internal/sqlite"
	"github.com/puqminios3/puqminio/internal/testceph"
)

// The account lifecycle on a Ceph RADOS Gateway: the same actions, tried
// with s3cmd as the tenant, against a real single-node cluster shared by
// the package's RGW tests.

var (
	cephOnce sync.Once
	ceph     *testceph.Server
	cephErr  error
	cephDir  string
)

func rgwServer(t *testing.T) *testceph.Server {
	t.Helper()
	cephOnce.Do(func() {
		if cephDir, cephErr = os.MkdirTemp("", "puqminio-account-ceph-"); cephErr != nil {
			return
		}
		ceph, cephErr = testceph.Launch(cephDir, testceph.Options{})
	})
	if cephErr != nil {
		t.Fatalf("Ceph test cluster: %v", cephErr)
	}
	return ceph
}

// stopCeph is called by TestMain after the tests.
func stopCeph() {
	if ceph != nil {
		ceph.Stop()
	}
	if cephDir != "" {
		os.RemoveAll(cephDir)
	}
}

func newRGWManager(t *testing.T) *Manager {
	t.Helper()
	s := rgwServer(t)
	g, err := rgw.New(rgw.Config{Endpoint: s.Endpoint, AccessKey: s.AccessKey, SecretKey: s.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "usage.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &Manager{Gateway: g, Store: db, ServerID: 7}
}

// rgwTenant is s3cmd with a tenant's keys against the gateway.
func rgwTenant(t *testing.T, access, secret string) *tenant {
	t.Helper()
	s := rgwServer(t)
	cfg := filepath.Join(t.TempDir(), "s3cfg-rgw-"+access)
	body := fmt.Sprintf("[default]\nhost_base = %s\nhost_bucket = %s\nuse_https = False\nsignature_v2 = False\naccess_key = %s\nsecret_key = %s\n",
		s.Endpoint, s.Endpoint, access, secret)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return &tenant{t: t, cfg: cfg}
}

func TestRGWLifecycleWithS3cmd(t *testing.T) {
	m, c := newRGWManager(t), ctx(t)
	prod := domain.Product{Unit: "MB", DiskSpace: 1, DefaultBucket: true, WarnPercent: 50, WarnTemplate: "warn"}
	got, err := m.Create(c, svc(12, 501), prod)
	if err != nil {
		t.Fatal(err)
	}
	if got.Username != "12-501" || got.Bucket != "12-501-data" || got.Password == "" {
		t.Fatalf("created %+v", got)
	}
	again, err := m.Create(c, domain.ServiceRef{ID: 501, ClientID: 12, Password: got.Password}, prod)
	if err != nil || again.Password != got.Password {
		t.Fatalf("a repeated create: %+v %v (the secret must stay)", again, err)
	}
	ref := domain.ServiceRef{ID: 501, ClientID: 12, Username: got.Username, Password: got.Password}
	user := rgwTenant(t, got.Username, got.Password)
	user.must("put", file(t, 600_000), "s3://12-501-data/a.bin")

	// The usage run reads it (one call for the server), warns at 50 %.
	res, err := m.UpdateUsage(c, []UsageService{{ID: 501, ClientID: 12, Username: got.Username, Product: &prod}}, UsageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := res.Services[0]
	if r.Error != nil || r.UsedBytes != 600_000 || r.Buckets != 1 || r.State != domain.StateWarning || len(r.Notices) != 1 {
		t.Fatalf("usage: %+v %v", r, r.Error)
	}
	// The limit is the quota: a second 600 kB is refused at once.
	user.mustFail("put", file(t, 600_001), "s3://12-501-data/b.bin")

	if err := m.Suspend(c, ref); err != nil {
		t.Fatal(err)
	}
	user.mustFail("ls", "s3://12-501-data")
	if d, err := m.Details(c, ref); err != nil || !d.Exists || d.Enabled {
		t.Fatalf("details while suspended: %+v %v", d, err)
	}
	if err := m.Unsuspend(c, ref, prod); err != nil {
		t.Fatal(err)
	}
	user.must("ls", "s3://12-501-data")

	ref.Password = "NewPassword-501"
	if err := m.ChangePassword(c, ref, prod); err != nil {
		t.Fatal(err)
	}
	user.mustFail("ls", "s3://12-501-data")
	user = rgwTenant(t, got.Username, ref.Password)
	user.must("get", "--force", "s3://12-501-data/a.bin", file(t, 1))

	// A larger package lifts the quota.
	bigger := domain.Product{Unit: "MB", DiskSpace: 5, DefaultBucket: true}
	if _, err := m.ChangePackage(c, ref, bigger); err != nil {
		t.Fatal(err)
	}
	user.must("put", file(t, 600_002), "s3://12-501-data/b.bin")
	// The admin's Set Limited Policy: nothing more is written; reading and
	// deleting go on.
	if ap, err := m.ApplyPolicy(c, ref, bigger, "limited"); err != nil || ap.Forced != domain.PolicyLimited {
		t.Fatalf("forced limited: %+v %v", ap, err)
	}
	user.mustFail("put", file(t, 10), "s3://12-501-data/c.bin")
	user.must("del", "s3://12-501-data/b.bin")
	if _, err := m.ApplyPolicy(c, ref, bigger, "auto"); err != nil {
		t.Fatal(err)
	}
	user.must("put", file(t, 10), "s3://12-501-data/c.bin")

	// An exact Recalculate of one account.
	if r, err := m.Recalculate(c, ref, bigger); err != nil || r.UsedBytes != 600_010 {
		t.Fatalf("recalculate: %+v %v", r, err)
	}
	for i := 0; i < 2; i++ {
		res, err := m.Terminate(c, ref)
		if err != nil {
			t.Fatalf("terminate #%d: %v", i+1, err)
		}
		if i == 0 && (res.Buckets != 1 || res.Objects != 2) {
			t.Errorf("terminate removed %+v", res)
		}
	}
	user.mustFail("ls", "s3://12-501-data")
	if d, err := m.Details(c, ref); err != nil || d.Exists {
		t.Fatalf("after terminate: %+v %v", d, err)
	}
	if _, found, _ := m.Store.Account(c, m.ServerID, 501); found {
		t.Error("the store still records the account")
	}
}

// Tenants on RGW do not share a bucket namespace: each service is an RGW
// tenant, and no tenant reaches another's buckets, whatever the names.
func TestRGWTenantsStayApart(t *testing.T) {
	m, c := newRGWManager(t), ctx(t)
	prod := domain.Product{DefaultBucket: true}
	var tenants []*tenant
	var users []string
	for id := int64(511); id <= 513; id++ {
		got, err := m.Create(c, svc(51, id), prod)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Terminate(c, domain.ServiceRef{ID: id, ClientID: 51, Username: got.Username})
		tn := rgwTenant(t, got.Username, got.Password)
		tn.must("put", file(t, 5), "s3://"+got.Bucket+"/mine.txt")
		tn.must("mb", "s3://shared")
		tenants, users = append(tenants, tn), append(users, got.Username)
	}
	tried := 0
	for i, tn := range tenants {
		for j, other := range users {
			if i == j {
				continue
			}
			for _, cmd := range [][]string{{"ls", "s3://" + other + "-data"}, {"get", "--force", "s3://" + other + "-data/mine.txt", file(t, 1)},
				{"put", file(t, 3), "s3://" + other + "-data/x.txt"}, {"del", "s3://" + other + "-data/mine.txt"}} {
				tn.mustFail(cmd...)
				tried++
			}
		}
		// Each tenant's "shared" is its own.
		if out := tn.must("ls", "s3://shared"); strings.TrimSpace(out) != "" {
			t.Errorf("tenant %d sees another's objects in its own bucket: %s", i, out)
		}
	}
	t.Logf("%d cross-tenant attempts, all refused", tried)
}

// A hostile tenant on RGW tries with s3cmd to open its bucket to anyone (a
// bucket policy, a public ACL, a public upload) after each action that
// changes its user (RGW drops the guard policy with every change): create,
// suspend and unsuspend, a password change, the limit forced and lifted;
// a package with public permits it, a change back withdraws the policy and
// keeps it, a change to public again puts it back, and so does an
// unsuspend under public.
func TestRGWGuardsFollowTheProduct(t *testing.T) {
	m, c := newRGWManager(t), ctx(t)
	closed := domain.Product{DefaultBucket: true}
	open := domain.Product{DefaultBucket: true, Permissions: domain.PermPublic}
	got, err := m.Create(c, svc(52, 521), closed)
	if err != nil {
		t.Fatal(err)
	}
	ref := domain.ServiceRef{ID: 521, ClientID: 52, Username: got.Username, Password: got.Password}
	t.Cleanup(func() { _, _ = m.Terminate(ctx(t), ref) })
	b := got.Bucket
	anyone := "/" + rgw.Naming{Prefix: rgw.DefaultTenantPrefix}.Tenant(rgwAccount(ref)) + ":" + b
	policy := filepath.Join(t.TempDir(), "policy.json")
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::` + b + `/*"]}]}`
	if err := os.WriteFile(policy, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	user := rgwTenant(t, got.Username, got.Password)
	user.must("put", file(t, 4), "s3://"+b+"/private.txt")
	anonymousGet := func(key string) int {
		t.Helper()
		resp, err := http.Get("http://" + rgwServer(t).Endpoint + anyone + "/" + key)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	refused := func(stage string) {
		t.Helper()
		user.mustFail("setpolicy", policy, "s3://"+b)
		user.mustFail("setacl", "--acl-public", "s3://"+b)
		user.mustFail("put", "--acl-public", file(t, 3), "s3://"+b+"/public.txt")
		for _, key := range []string{"private.txt", "public.txt", ""} {
			if s := anonymousGet(key); s != http.StatusForbidden && s != http.StatusNotFound {
				t.Fatalf("%s: anonymous GET %q: %d", stage, key, s)
			}
		}
		user.must("put", file(t, 2), "s3://"+b+"/plain.txt")
	}

	refused("created")
	if err := m.Suspend(c, ref); err != nil {
		t.Fatal(err)
	}
	if err := m.Unsuspend(c, ref, closed); err != nil {
		t.Fatal(err)
	}
	refused("unsuspended")
	ref.Password = "NewPassword-521"
	if err := m.ChangePassword(c, ref, closed); err != nil {
		t.Fatal(err)
	}
	user = rgwTenant(t, got.Username, ref.Password)
	refused("after a password change")
	if _, err := m.ApplyPolicy(c, ref, closed, "limited"); err != nil {
		t.Fatal(err)
	}
	user.mustFail("setpolicy", policy, "s3://"+b)
	user.mustFail("setacl", "--acl-public", "s3://"+b)
	if _, err := m.ApplyPolicy(c, ref, closed, "auto"); err != nil {
		t.Fatal(err)
	}
	refused("the limit lifted")

	if _, err := m.ChangePackage(c, ref, open); err != nil {
		t.Fatal(err)
	}
	user.must("setpolicy", policy, "s3://"+b)
	user.must("put", "--acl-public", file(t, 3), "s3://"+b+"/public.txt")
	if s := anonymousGet("private.txt"); s != http.StatusOK {
		t.Fatalf("public permitted: anonymous read through the policy: %d", s)
	}
	if _, err := m.ChangePackage(c, ref, closed); err != nil {
		t.Fatal(err)
	}
	kept, err := m.Store.WithheldPolicies(c, m.ServerID, 521)
	if err != nil || len(kept) != 1 || kept[0].Bucket != b || kept[0].Reason != domain.WithheldProduct {
		t.Fatalf("withheld after the change back: %+v, %v", kept, err)
	}
	if s := anonymousGet("private.txt"); s != http.StatusForbidden {
		t.Fatalf("public no longer permitted: anonymous read of a private object: %d", s)
	}
	user.mustFail("setpolicy", policy, "s3://"+b)

	if _, err := m.ChangePackage(c, ref, open); err != nil {
		t.Fatal(err)
	}
	if s := anonymousGet("private.txt"); s != http.StatusOK {
		t.Fatalf("public permitted again: the kept policy is not back: %d", s)
	}
	if kept, err := m.Store.WithheldPolicies(c, m.ServerID, 521); err != nil || len(kept) != 0 {
		t.Fatalf("withheld after it was put back: %+v, %v", kept, err)
	}
	if err := m.Suspend(c, ref); err != nil {
		t.Fatal(err)
	}
	if err := m.Unsuspend(c, ref, open); err != nil {
		t.Fatal(err)
	}
	if s := anonymousGet("private.txt"); s != http.StatusOK {
		t.Fatalf("unsuspended under public: the kept policy is not back: %d", s)
	}
}
