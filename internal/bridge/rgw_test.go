package bridge

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/testceph"
)

// A WHMCS server whose Access Hash says "backend: rgw" is a Ceph RADOS
// Gateway: the same requests run the account on it.
func TestRGWBackendThroughTheBridge(t *testing.T) {
	gw := testceph.Start(t, testceph.Options{})
	store := map[string]any{"path": filepath.Join(t.TempDir(), "usage.db")}
	server := map[string]any{"id": 3, "endpoint": gw.Endpoint, "accessKey": gw.AccessKey, "secretKey": gw.SecretKey, "caPem": "backend: rgw\n"}
	product := map[string]any{"unit": "MB", "diskSpace": 10, "defaultBucket": true}

	r, _ := call(t, map[string]any{"v": 1, "action": "server.check", "server": server})
	// The test gateway offers SNS topics (pacific's default): a warning.
	if !r.OK || !strings.Contains(string(r.Result), `"mode":"rgw"`) || !strings.Contains(string(r.Result), `"warnings":["the gateway offers SNS topics`) {
		t.Fatalf("server.check: %+v %s", r.Error, r.Result)
	}
	r, _ = call(t, map[string]any{"v": 1, "action": "account.create", "server": server, "store": store,
		"service": map[string]any{"id": 34, "clientId": 12}, "product": product})
	if !r.OK {
		t.Fatalf("create: %+v", r.Error)
	}
	var created domain.Created
	_ = json.Unmarshal(r.Result, &created)
	service := map[string]any{"id": 34, "clientId": 12, "username": created.Username, "password": created.Password, "lang": "english"}
	for _, action := range []string{"account.suspend", "account.unsuspend", "account.info"} {
		req := map[string]any{"v": 1, "action": action, "server": server, "store": store, "service": service}
		if action == "account.unsuspend" {
			req["product"] = product
		}
		if r, _ := call(t, req); !r.OK {
			t.Fatalf("%s: %+v", action, r.Error)
		}
	}
	// A product that measures traffic makes the run read (and trim) the
	// usage log: the hour in progress is not settled, so the month holds
	// nothing yet, and the read and trim succeed.
	metered := map[string]any{"unit": "MB", "diskSpace": 10, "defaultBucket": true, "traffic": true}
	r, _ = call(t, map[string]any{"v": 1, "action": "usage.update", "server": server, "store": store,
		"params": map[string]any{"services": []any{map[string]any{"id": 34, "clientId": 12, "username": created.Username, "status": "Active", "product": metered}}}})
	if !r.OK || !strings.Contains(string(r.Result), `"buckets":1`) || !strings.Contains(string(r.Result), `"traffic":{"period"`) || strings.Contains(string(r.Result), "trafficError") {
		t.Fatalf("usage.update: %+v %s", r.Error, r.Result)
	}
	for _, action := range []string{"render.client", "render.admin"} {
		r, _ = call(t, map[string]any{"v": 1, "action": action, "server": server, "store": store, "service": service, "product": metered, "params": map[string]any{}})
		var page struct{ HTML string }
		_ = json.Unmarshal(r.Result, &page)
		if !r.OK || !strings.Contains(page.HTML, created.Bucket) {
			t.Fatalf("%s: %+v %.400s", action, r.Error, page.HTML)
		}
		// The traffic card says RGW's figures come by the hour.
		if action == "render.admin" && !strings.Contains(page.HTML, "Traffic is counted by the hour") {
			t.Fatalf("%s: no hourly traffic note: %.400s", action, page.HTML)
		}
		// The client area says plainly that self-service is not offered
		// here, and offers no form that would be refused.
		if action == "render.client" {
			if !strings.Contains(page.HTML, "does not offer managing buckets") || strings.Contains(page.HTML, "<form") {
				t.Errorf("the RGW client page should say self-service is not offered, without forms: %.2000s", page.HTML)
			}
		}
	}
	r, _ = call(t, map[string]any{"v": 1, "action": "account.terminate", "server": server, "store": store, "service": service})
	if !r.OK || !strings.Contains(string(r.Result), `"buckets":1`) {
		t.Fatalf("terminate: %+v %s", r.Error, r.Result)
	}
	// A backend the module does not know is refused before anything.
	bad := map[string]any{"id": 3, "endpoint": gw.Endpoint, "accessKey": gw.AccessKey, "secretKey": gw.SecretKey, "backend": "s3fs"}
	if r, status := call(t, map[string]any{"v": 1, "action": "server.check", "server": bad}); r.OK || r.Error.Code != domain.EINVALID || status != ExitRejected {
		t.Fatalf("an unknown backend: %+v", r)
	}
}
