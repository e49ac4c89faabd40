package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/puqminios3/puqminio/internal/domain"
)

// Every malformed request gets its own code and touches nothing: the server
// named here does not exist, so any attempt to reach it would fail
// differently (unavailable), not with the request-shape code.
func TestRejectedRequests(t *testing.T) {
	server := `"server":{"endpoint":"127.0.0.1:1","accessKey":"a","secretKey":"s"}`
	cases := []struct{ name, body, code string }{
		{"empty", ``, domain.EINVALIDJSON},
		{"not json", `hello`, domain.EINVALIDJSON},
		{"array", `[1,2]`, domain.EINVALIDJSON},
		{"truncated", `{"v":1,"action":"server.check"`, domain.EINVALIDJSON},
		{"two values", `{"v":1,"action":"server.check",` + server + `} {}`, domain.EINVALIDJSON},
		{"no version", `{"action":"server.check"}`, domain.EVERSION},
		{"version 2", `{"v":2,"action":"server.check"}`, domain.EVERSION},
		{"no action", `{"v":1}`, domain.EMISSING},
		{"unknown action", `{"v":1,"action":"account.explode",` + server + `}`, domain.EUNKNOWN},
		{"unknown field", `{"v":1,"action":"server.check","sever":{}}`, domain.EINVALID},
		{"wrong type", `{"v":1,"action":"server.check","server":{"endpoint":9000}}`, domain.EINVALID},
		{"no server", `{"v":1,"action":"server.check"}`, domain.EMISSING},
		{"no secret", `{"v":1,"action":"server.check","server":{"endpoint":"h:1","accessKey":"a"}}`, domain.EMISSING},
		{"scheme in endpoint", `{"v":1,"action":"server.check","server":{"endpoint":"http://h:1","accessKey":"a","secretKey":"s"}}`, domain.EINVALID},
		{"bad port", `{"v":1,"action":"server.check","server":{"endpoint":"h:99999","accessKey":"a","secretKey":"s"}}`, domain.EINVALID},
		{"timeout", `{"v":1,"action":"server.check","server":{"endpoint":"h:1","accessKey":"a","secretKey":"s","timeoutSeconds":9999}}`, domain.EINVALID},
		{"ca without tls", `{"v":1,"action":"server.check","server":{"endpoint":"h:1","accessKey":"a","secretKey":"s","caPem":"x"}}`, domain.EINVALID},
		{"no store", `{"v":1,"action":"account.suspend",` + server + `,"service":{"id":1,"username":"abc"}}`, domain.EMISSING},
		{"no service", `{"v":1,"action":"account.create",` + server + `,"store":{"path":"/tmp/x.db"},"product":{}}`, domain.EMISSING},
		{"no product", `{"v":1,"action":"account.create",` + server + `,"store":{"path":"/tmp/x.db"},"service":{"id":1,"clientId":1}}`, domain.EMISSING},
		{"size as text", `{"v":1,"action":"account.create",` + server + `,"store":{"path":"/tmp/x.db"},"service":{"id":1,"clientId":1},"product":{"diskSpace":"ten"}}`, domain.EINVALID},
		{"negative size", `{"v":1,"action":"account.create",` + server + `,"store":{"path":"/tmp/x.db"},"service":{"id":1,"clientId":1},"product":{"diskSpace":-1}}`, domain.EINVALID},
		{"bad params", `{"v":1,"action":"policy.apply",` + server + `,"store":{"path":"/tmp/x.db"},"service":{"id":1,"username":"abc"},"product":{},"params":{"mode":7}}`, domain.EINVALID},
		{"too large", `{"v":1,"action":"server.check","pad":"` + strings.Repeat("x", MaxRequestBytes) + `"}`, domain.ETOOLARGE},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// A refused request must not create its store; the path is the
			// test's own, so nothing on the machine can change the answer.
			store := filepath.Join(t.TempDir(), "x.db")
			body := strings.ReplaceAll(c.body, "/tmp/x.db", store)
			var out bytes.Buffer
			status := Run(context.Background(), strings.NewReader(body), &out, testEnv())
			if _, err := os.Stat(store); err == nil {
				t.Errorf("the refused request created %s", store)
			}
			var resp struct {
				OK    bool
				Error ErrorBody
			}
			if err := json.Unmarshal(out.Bytes(), &resp); err != nil {
				t.Fatalf("response is not JSON: %q", out.String())
			}
			if resp.OK || resp.Error.Code != c.code || resp.Error.Message == "" {
				t.Fatalf("got %+v, want code %s", resp, c.code)
			}
			if status != ExitRejected {
				t.Errorf("exit status %d, want %d", status, ExitRejected)
			}
		})
	}
}

func TestNoSecretInErrors(t *testing.T) {
	const secret = "TopSecret-Value-42"
	body := `{"v":1,"action":"account.password","server":{"endpoint":"127.0.0.1:1","accessKey":"a","secretKey":"` + secret + `","timeoutSeconds":1},"store":{"path":"` + t.TempDir() + `/u.db"},"service":{"id":1,"username":"abc","password":"` + secret + `x"},"product":{}}`
	var out bytes.Buffer
	status := Run(context.Background(), strings.NewReader(body), &out, testEnv())
	if strings.Contains(out.String(), secret) {
		t.Fatalf("secret echoed: %s", out.String())
	}
	if status != ExitFailed || !strings.Contains(out.String(), `"retryable":true`) {
		t.Fatalf("unreachable server: status %d, %s", status, out.String())
	}
}
