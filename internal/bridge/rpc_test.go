package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/puqminios3/puqminio/internal/domain"
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
	status := Run(context.Background(), bytes.NewReader(body), &out, Env{Render: ViewRenderer{}})
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
