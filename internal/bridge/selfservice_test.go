package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/puqminios3/puqminio/internal/domain"
)

// The self-service actions through the bridge against the shared MinIO:
// each answers what docs/bridge.md says; a client's refusal carries the
// reason in the client's language, and a refusal of the request's values
// reaches MinIO not at all; the pages show what was made, and the secret of
// a new key only on the page it is handed to.
func TestSelfServiceThroughTheBridge(t *testing.T) {
	w := getWorld(t)
	ctx, cancel := w.ctx()
	defer cancel()
	prod := jobj{{"defaultBucket", `true`}, {"selfService", `"buckets=3 keys=2"`}}
	svc := jobj{{"id", `70`}, {"clientId", `7`}, {"lang", `"german"`}, {"status", `"Active"`}}
	req := func(action string, params any) []byte {
		o := jobj{{"v", `1`}, {"action", quote(action)}, {"server", w.serverJSON()}, {"store", w.storeJSON()}, {"service", svc}, {"product", prod}}
		if params != nil {
			o = append(o, jkv{"params", params})
		}
		return []byte(o.String())
	}
	run := func(action string, params any) outcome {
		t.Helper()
		body := req(action, params)
		o := w.run(ctx, body)
		checkOutcome(t, body, o)
		return o
	}
	created := run("account.create", nil)
	var acct domain.Created
	if !created.resp.OK || json.Unmarshal(created.resp.Result, &acct) != nil {
		t.Fatalf("create: %s", created.raw)
	}
	svc = with(svc, "clientId", `7`)
	svc = append(svc, jkv{"username", quote(acct.Username)}, jkv{"password", quote(acct.Password)})
	defer w.direct.Terminate(context.Background(), domain.ServiceRef{ID: 70, Username: acct.Username})

	made := run("bucket.create", jobj{{"initiator", `"client"`}, {"name", `"photos"`}})
	if !made.resp.OK || !strings.Contains(string(made.resp.Result), `"bucket":"`+acct.Username+`-photos"`) {
		t.Fatalf("bucket.create: %s", made.raw)
	}
	// Refusals of the values: exit 1, the reason in German, no request.
	for _, c := range []struct {
		action string
		params jobj
		code   string
		text   string
	}{
		{"bucket.create", jobj{{"initiator", `"client"`}, {"name", `"Photos"`}}, domain.EINVALIDNAME, "Ein Wert im Formular ist ungültig"},
		{"bucket.delete", jobj{{"initiator", `"client"`}, {"bucket", `"1-1-data"`}}, domain.EINVALIDNAME, "Diesen Bucket oder Zugriffsschlüssel gibt es nicht"},
		{"key.create", jobj{{"initiator", `"client"`}, {"buckets", jlist{`"1-1-data"`}}}, domain.EINVALIDNAME, "gibt es nicht"},
	} {
		o := run(c.action, c.params)
		if o.resp.OK || o.resp.Error.Code != c.code || o.status != ExitRejected || !strings.Contains(o.resp.Error.Text, c.text) || len(o.calls) > 0 {
			t.Errorf("%s %s: %s (status %d, MinIO saw %v)", c.action, c.params, o.raw, o.status, o.calls)
		}
	}
	// Refusals of the product: nothing changes on MinIO either.
	o := run("bucket.public", jobj{{"initiator", `"client"`}, {"bucket", quote(acct.Bucket)}, {"public", `true`}})
	if o.resp.OK || o.resp.Error.Code != domain.ENOTALLOWED || !strings.Contains(o.resp.Error.Text, "Ihr Paket erlaubt das nicht") || len(o.calls) > 0 {
		t.Errorf("public read on a product without it: %s (MinIO saw %v)", o.raw, o.calls)
	}
	o = run("bucket.create", jobj{{"initiator", `"admin"`}, {"name", `"x"`}, {"objectLock", `true`}})
	if o.resp.OK || o.resp.Error.Code != domain.ENOTALLOWED || o.resp.Error.Text != "" || len(o.calls) > 0 {
		t.Errorf("an admin's refusal: %s (MinIO saw %v); it carries no client text", o.raw, o.calls)
	}

	key := run("key.create", jobj{{"initiator", `"client"`}, {"label", `"Sicherung"`}, {"buckets", jlist{quote(acct.Username + "-photos")}}, {"readOnly", `true`}})
	var k struct{ AccessKey, SecretKey string }
	if !key.resp.OK || json.Unmarshal(key.resp.Result, &k) != nil || k.SecretKey == "" {
		t.Fatalf("key.create: %s", key.raw)
	}
	if o := run("key.create", jobj{{"initiator", `"client"`}}); !o.resp.OK {
		t.Fatalf("second key: %s", o.raw)
	}
	o = run("key.create", jobj{{"initiator", `"client"`}})
	if o.resp.OK || o.resp.Error.Code != domain.ELIMIT || !strings.Contains(o.resp.Error.Text, "keine weiteren Zugriffsschlüssel") {
		t.Errorf("a third key of two: %s", o.raw)
	}
	render := func(params jobj) string {
		t.Helper()
		o := run("render.client", params)
		var page struct{ HTML string }
		if !o.resp.OK || json.Unmarshal(o.resp.Result, &page) != nil {
			t.Fatalf("render.client %s: %s", params, o.raw)
		}
		if ch := changing(o.calls); len(ch) > 0 {
			t.Errorf("rendering %s changed MinIO: %v", params, ch)
		}
		return page.HTML
	}
	actions := jobj{{"bucket.create", `"clientarea.php?a=ClientCreateBucket"`}, {"key.revoke", `"clientarea.php?a=ClientRevokeKey"`}}
	html := render(jobj{{"page", `"keys"`}, {"csrf", `"tok"`}, {"actionUrls", actions},
		{"newKey", jobj{{"accessKey", quote(k.AccessKey)}, {"secretKey", quote(k.SecretKey)}}}})
	if !strings.Contains(html, k.SecretKey) || !strings.Contains(html, "Sicherung") || !strings.Contains(html, `name="puqs3_key" value="`+k.AccessKey+`"`) {
		t.Errorf("the keys page after key.create lacks the secret, the label or the revoke form")
	}
	if html := render(jobj{{"page", `"keys"`}}); strings.Contains(html, k.SecretKey) {
		t.Error("the secret is on the keys page again")
	}
	html = render(jobj{{"page", `"overview"`}, {"csrf", `"tok"`}, {"actionUrls", actions}})
	if !strings.Contains(html, acct.Username+"-photos") || !strings.Contains(html, `2 von 3 Buckets`) || !strings.Contains(html, `name="puqs3_name"`) {
		t.Errorf("the overview lacks the new bucket or the create form")
	}
	html = render(jobj{{"page", `"bucket"`}, {"bucket", quote(acct.Username + "-photos")}})
	if !strings.Contains(html, `id="puqs3-versioning"`) || !strings.Contains(html, acct.Username+"-photos") {
		t.Errorf("the bucket page lacks its settings: %.300s", html)
	}
	if o := run("render.client", jobj{{"page", `"bucket"`}, {"bucket", `"1-1-data"`}}); o.resp.OK || o.status != ExitRejected || len(o.calls) > 0 {
		t.Errorf("another tenant's bucket page: %s (MinIO saw %v)", o.raw, o.calls)
	}
	admin := run("render.admin", jobj{{"csrf", `"tok"`}, {"actionUrls", jobj{{"key.revoke", `"clientsservices.php?ac=AdminRevokeKey"`}}}})
	if !admin.resp.OK || !strings.Contains(string(admin.resp.Result), k.AccessKey) || strings.Contains(string(admin.resp.Result), k.SecretKey) {
		t.Errorf("the admin tab does not list the key, or shows its secret: %.300s", admin.raw)
	}

	if o := run("key.revoke", jobj{{"initiator", `"admin"`}, {"accessKey", quote(k.AccessKey)}}); !o.resp.OK {
		t.Errorf("key.revoke: %s", o.raw)
	}
	if o := run("bucket.delete", jobj{{"initiator", `"client"`}, {"bucket", quote(acct.Username + "-photos")}}); !o.resp.OK || !strings.Contains(string(o.resp.Result), `"removed":true`) {
		t.Errorf("bucket.delete: %s", o.raw)
	}
}

// What a refused request answers is one JSON line with the text, and the
// text never holds the server's words (the message may).
func TestRefusalTextIsTheClientsOnly(t *testing.T) {
	body := []byte(`{"v":1,"action":"key.revoke","server":{"id":1,"endpoint":"127.0.0.1:1","accessKey":"a","secretKey":"b","timeoutSeconds":1},` +
		`"store":{"path":"/nonexistent/x.db"},"service":{"id":5,"username":"5-5","lang":"hebrew"},"product":{},"params":{"initiator":"client","accessKey":"PQMAAAAAAAAAAAAAAAAA"}}`)
	var out bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	status := Run(ctx, bytes.NewReader(body), &out, testEnv())
	var r rpcResp
	if err := json.Unmarshal(out.Bytes(), &r); err != nil || r.OK || status == ExitOK {
		t.Fatalf("%s", out.String())
	}
	if !strings.Contains(r.Error.Text, "לא בוצע") || strings.Contains(r.Error.Text, "x.db") || strings.Contains(r.Error.Text, "127.0.0.1") {
		t.Errorf("text %q for message %q", r.Error.Text, r.Error.Message)
	}
}
