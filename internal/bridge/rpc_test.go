package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/puqminios3/puqminio/internal/account"
	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/minioadmin"
	"github.com/puqminios3/puqminio/internal/testminio"
)

type rpcResp struct {
	OK     bool
	Result json.RawMessage
	Error  ErrorBody
}

func call(t *testing.T, req map[string]any) (rpcResp, int) {
	t.Helper()
	body, _ := json.Marshal(req)
	var out bytes.Buffer
	status := Run(context.Background(), bytes.NewReader(body), &out, testEnv())
	var r rpcResp
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("not JSON: %s", out.String())
	}
	return r, status
}

// Over TLS, with the server's CA given in caPem, everything works; without
// it the certificate is refused with a tls error, never skipped.
func TestRPCOverTLS(t *testing.T) {
	srv := testminio.Start(t, testminio.Options{TLS: true})
	db := filepath.Join(t.TempDir(), "usage.db")
	server := map[string]any{"id": 1, "endpoint": srv.Endpoint, "secure": true, "accessKey": srv.AccessKey, "secretKey": srv.SecretKey, "caPem": string(srv.CAPEM)}

	r, status := call(t, map[string]any{"v": 1, "action": "server.check", "server": server})
	if !r.OK || status != ExitOK || !strings.Contains(string(r.Result), `"canManageUsers":true`) || !strings.Contains(string(r.Result), `"drivesOnline":4`) {
		t.Fatalf("server.check over TLS: %+v %s", r, r.Result)
	}

	noCA := map[string]any{"id": 1, "endpoint": srv.Endpoint, "secure": true, "accessKey": srv.AccessKey, "secretKey": srv.SecretKey}
	r, status = call(t, map[string]any{"v": 1, "action": "server.check", "server": noCA})
	if r.OK || r.Error.Code != domain.ETLS || status != ExitFailed {
		t.Fatalf("without the CA: %+v", r)
	}

	product := map[string]any{"unit": "GB", "diskSpace": 1, "defaultBucket": true}
	r, _ = call(t, map[string]any{"v": 1, "action": "account.create", "server": server, "store": map[string]any{"path": db},
		"service": map[string]any{"id": 34, "clientId": 12}, "product": product})
	if !r.OK {
		t.Fatalf("create over TLS: %+v", r.Error)
	}
	var created domain.Created
	_ = json.Unmarshal(r.Result, &created)
	service := map[string]any{"id": 34, "clientId": 12, "username": created.Username, "password": created.Password, "lang": "german"}

	r, _ = call(t, map[string]any{"v": 1, "action": "render.client", "server": server, "store": map[string]any{"path": db},
		"service": service, "product": product, "params": map[string]any{"page": "overview"}})
	var page struct{ HTML string }
	_ = json.Unmarshal(r.Result, &page)
	if !r.OK || !strings.Contains(page.HTML, created.Bucket) || !strings.Contains(page.HTML, `lang="de`) {
		t.Fatalf("render.client: %+v %.300s", r.Error, page.HTML)
	}
	r, _ = call(t, map[string]any{"v": 1, "action": "render.admin", "server": server, "store": map[string]any{"path": db},
		"service": service, "product": product})
	_ = json.Unmarshal(r.Result, &page)
	if !r.OK || strings.Contains(page.HTML, created.Password) || !strings.Contains(page.HTML, created.Username) {
		t.Fatalf("render.admin: %+v", r.Error)
	}

	r, _ = call(t, map[string]any{"v": 1, "action": "account.terminate", "server": server, "store": map[string]any{"path": db}, "service": service})
	if !r.OK {
		t.Fatalf("terminate: %+v", r.Error)
	}
}

// A page view costs the same with one tenant on the server or 10,000:
// the client page asks MinIO nothing (its figures, buckets and traffic come
// from the store, written by the last measurement and the traffic
// receiver), and the admin tab asks only about the server's drives and
// this one user (MinIO's info call loads every bucket's usage: its version
// comes from the cron's last look).
func TestPagesAskTheServerOnlyAboutTheirTenant(t *testing.T) {
	w := getWorld(t)
	ctx, cancel := w.ctx()
	defer cancel()
	prod := domain.Product{Unit: "GB", DiskSpace: 1}
	if _, err := w.direct.UpdateUsage(ctx, []account.UsageService{{ID: w.fixture.ID, ClientID: 1, Username: w.fixture.Username, Product: &prod}}, account.UsageOptions{Exact: true}); err != nil {
		t.Fatal(err)
	}
	server := map[string]any{"id": 1, "endpoint": w.endpoint, "accessKey": w.srv.AccessKey, "secretKey": w.srv.SecretKey}
	store := map[string]any{"path": w.store}
	service := map[string]any{"id": w.fixture.ID, "clientId": 1, "username": w.fixture.Username, "lang": "english"}
	product := map[string]any{"unit": "GB", "diskSpace": 1, "traffic": true, "egressAllowanceGB": 5}
	bucket := domain.DefaultBucketName(w.fixture.Username, domain.DefaultBucketSuffix)
	w.rec.take()
	for _, page := range []string{"overview", "stats"} {
		r, _ := call(t, map[string]any{"v": 1, "action": "render.client", "server": server, "store": store, "service": service, "product": product, "params": map[string]any{"page": page}})
		var out struct{ HTML string }
		_ = json.Unmarshal(r.Result, &out)
		if !r.OK || (page == "overview" && !strings.Contains(out.HTML, bucket)) ||
			(page == "stats" && (!strings.Contains(out.HTML, "Monthly download allowance") || strings.Count(out.HTML, "No traffic measured yet.") != 2)) {
			t.Fatalf("render.client %s: %+v %.300s", page, r.Error, out.HTML)
		}
		if calls := w.rec.take(); len(calls) != 0 {
			t.Errorf("the client page (%s) asked MinIO %d times: %q", page, len(calls), calls)
		}
	}
	r, _ := call(t, map[string]any{"v": 1, "action": "render.admin", "server": server, "store": store, "service": service, "product": product})
	if !r.OK {
		t.Fatalf("render.admin: %+v", r.Error)
	}
	for _, c := range w.rec.take() {
		if c != "GET /minio/admin/v3/storageinfo" && c != "GET /minio/admin/v3/user-info" {
			t.Errorf("the admin tab asked MinIO %q", c)
		}
	}
}

// The admin tab shows the server's own words when it refuses the module's
// credentials; the client page, which asks the server nothing, is whole.
func TestAdminTabKeepsTheServersWords(t *testing.T) {
	w := getWorld(t)
	ctx, cancel := w.ctx()
	defer cancel()
	admin := w.direct.Admin.(*minioadmin.Client)
	user, secret := "pagereader", "pagereader-secret-1"
	pol := []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:ListAllMyBuckets"],"Resource":["arn:aws:s3:::*"]}]}`)
	if err := admin.AddCannedPolicy(ctx, "pagereader", pol); err != nil {
		t.Fatal(err)
	}
	if err := admin.AddUser(ctx, user, secret, true); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = admin.RemoveUser(context.Background(), user)
		_ = admin.RemoveCannedPolicy(context.Background(), "pagereader")
	})
	if err := admin.AttachPolicy(ctx, user, "pagereader"); err != nil {
		t.Fatal(err)
	}
	server := map[string]any{"id": 1, "endpoint": w.srv.Endpoint, "accessKey": user, "secretKey": secret}
	store := map[string]any{"path": filepath.Join(t.TempDir(), "usage.db")}
	service := map[string]any{"id": w.fixture.ID, "clientId": 1, "username": w.fixture.Username, "lang": "english"}
	product := map[string]any{"unit": "GB", "diskSpace": 1}

	r, _ := call(t, map[string]any{"v": 1, "action": "render.client", "server": server, "store": store, "service": service, "product": product})
	var page struct{ HTML string }
	_ = json.Unmarshal(r.Result, &page)
	if !r.OK || strings.Contains(page.HTML, "could not be reached") {
		t.Fatalf("render.client: %+v %.300s", r.Error, page.HTML)
	}
	r, _ = call(t, map[string]any{"v": 1, "action": "render.admin", "server": server, "store": store, "service": service, "product": product})
	_ = json.Unmarshal(r.Result, &page)
	if !r.OK || !strings.Contains(page.HTML, "refused the admin credentials") {
		t.Fatalf("render.admin does not show the detail: %+v %.2000s", r.Error, page.HTML)
	}
}

// An admin's language override with a typo leaves the override out; it
// does not cost every client the page. The admin tab says why.
func TestBrokenOverridesDoNotBlankTheClientArea(t *testing.T) {
	w := getWorld(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "english.json"), []byte(`{"strings": {"recalculat": "Count again"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	server := map[string]any{"id": 1, "endpoint": w.srv.Endpoint, "accessKey": w.srv.AccessKey, "secretKey": w.srv.SecretKey}
	store := map[string]any{"path": filepath.Join(t.TempDir(), "usage.db")}
	service := map[string]any{"id": w.fixture.ID, "clientId": 1, "username": w.fixture.Username, "lang": "english"}
	product := map[string]any{"unit": "GB", "diskSpace": 1}
	params := map[string]any{"overridesDir": dir}

	r, _ := call(t, map[string]any{"v": 1, "action": "render.client", "server": server, "store": store, "service": service, "product": product, "params": params})
	var page struct{ HTML string }
	_ = json.Unmarshal(r.Result, &page)
	if !r.OK || !strings.Contains(page.HTML, w.fixture.Username) {
		t.Fatalf("render.client with a broken override: %+v %.300s", r.Error, page.HTML)
	}
	r, _ = call(t, map[string]any{"v": 1, "action": "render.admin", "server": server, "store": store, "service": service, "product": product, "params": params})
	_ = json.Unmarshal(r.Result, &page)
	if !r.OK || !strings.Contains(page.HTML, "language overrides") || !strings.Contains(page.HTML, "recalculat") {
		t.Fatalf("render.admin does not say why the override was left out: %+v", r.Error)
	}
}

// A bad instruction link set after services exist costs no client the page
// (finding 10 of issue 11: every client of the product saw only "cannot be
// shown"); the page renders without the link and the admin tab says why.
func TestBadInstructionLinkKeepsThePage(t *testing.T) {
	w := getWorld(t)
	server := map[string]any{"id": 1, "endpoint": w.srv.Endpoint, "accessKey": w.srv.AccessKey, "secretKey": w.srv.SecretKey}
	store := map[string]any{"path": filepath.Join(t.TempDir(), "usage.db")}
	service := map[string]any{"id": w.fixture.ID, "clientId": 1, "username": w.fixture.Username, "password": "Fixture-Secret-1", "lang": "english"}
	for _, link := range []string{"javascript:alert(1)", `"><script>alert(1)</script>`} {
		product := map[string]any{"unit": "GB", "diskSpace": 1, "instructionUrl": link, "passwordDisplay": "show"}
		r, _ := call(t, map[string]any{"v": 1, "action": "render.client", "server": server, "store": store, "service": service, "product": product})
		var page struct{ HTML string }
		_ = json.Unmarshal(r.Result, &page)
		if !r.OK || !strings.Contains(page.HTML, w.fixture.Username) || !strings.Contains(page.HTML, "Fixture-Secret-1") {
			t.Fatalf("render.client with instruction link %q: %+v %.300s", link, r.Error, page.HTML)
		}
		if strings.Contains(page.HTML, "puqs3-instructions") || strings.Contains(strings.ToLower(page.HTML), "javascript:") || strings.Contains(page.HTML, "<script>alert") {
			t.Errorf("the bad link %q reached the page", link)
		}
		r, _ = call(t, map[string]any{"v": 1, "action": "render.admin", "server": server, "store": store, "service": service, "product": product})
		_ = json.Unmarshal(r.Result, &page)
		if !r.OK || !strings.Contains(page.HTML, "product.instructionUrl") {
			t.Fatalf("the admin tab does not say why the link is left out: %+v", r.Error)
		}
	}
}
