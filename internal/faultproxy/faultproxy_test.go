package faultproxy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7/pkg/signer"

	"github.com/puqminios3/puqminio/internal/testminio"
)

// client sends signed admin requests through the proxy, one connection per
// request, so net/http never replays a request on its own and every fault
// reaches the caller.
type client struct {
	t    *testing.T
	addr string
	srv  *testminio.Server
	http *http.Client
}

func newClient(t *testing.T, p *Proxy, srv *testminio.Server) *client {
	return &client{t: t, addr: p.Addr(), srv: srv,
		http: &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}}
}

func (c *client) do(ctx context.Context, method, op string, q url.Values, body []byte) (int, error) {
	u := "http://" + c.addr + "/minio/admin/v3/" + op
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.ContentLength = int64(len(body))
	if len(body) == 0 {
		req.Body = http.NoBody
	}
	sum := sha256.Sum256(body)
	req.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
	req = signer.SignV4(*req, c.srv.AccessKey, c.srv.SecretKey, "", "")
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.ReadAll(resp.Body); err != nil {
		return resp.StatusCode, err
	}
	return resp.StatusCode, nil
}

const policyDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::fp/*"]}]}`

func (c *client) addPolicy(ctx context.Context, name string) (int, error) {
	return c.do(ctx, http.MethodPut, "add-canned-policy", url.Values{"name": {name}}, []byte(policyDoc))
}

// policyExists asks MinIO directly, not through the proxy.
func policyExists(t *testing.T, srv *testminio.Server, name string) bool {
	t.Helper()
	c := &client{t: t, addr: srv.Endpoint, srv: srv, http: http.DefaultClient}
	st, err := c.do(context.Background(), http.MethodGet, "info-canned-policy", url.Values{"name": {name}, "v": {"2"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return st == http.StatusOK
}

func TestFaults(t *testing.T) {
	srv := testminio.Start(t, testminio.Options{})
	p, err := New(srv.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c := newClient(t, p, srv)
	bg := context.Background()

	// Signatures made for the proxy's address verify at MinIO.
	if st, err := c.do(bg, http.MethodGet, "info", nil, nil); err != nil || st != http.StatusOK {
		t.Fatalf("info through the proxy: %d %v", st, err)
	}

	cases := []struct {
		fault   Fault
		applied bool
		timeout bool
	}{
		{DropRequest, false, false},
		{DropResponse, true, false},
		{CutResponse, true, false},
		{StallRequest, false, true},
		{StallResponse, true, true},
	}
	for _, tc := range cases {
		t.Run(tc.fault.String(), func(t *testing.T) {
			p.Reset()
			name := "fp-" + tc.fault.String()
			p.Inject(1, Rule{Fault: tc.fault})
			ctx, cancel := context.WithTimeout(bg, 2*time.Second)
			defer cancel()
			start := time.Now()
			st, err := c.addPolicy(ctx, name)
			if err == nil {
				t.Fatalf("%s: the request succeeded (HTTP %d)", tc.fault, st)
			}
			if got := errors.Is(err, context.DeadlineExceeded); got != tc.timeout {
				t.Fatalf("%s: error %v, want a timeout: %t", tc.fault, err, tc.timeout)
			}
			if tc.timeout && time.Since(start) < 2*time.Second {
				t.Fatalf("%s: returned after %s, before the deadline", tc.fault, time.Since(start))
			}
			if got := policyExists(t, srv, name); got != tc.applied {
				t.Fatalf("%s: policy applied = %t, want %t", tc.fault, got, tc.applied)
			}
			reqs := p.Requests()
			if len(reqs) != 1 || reqs[0].Op != "add-canned-policy" || reqs[0].Fault != tc.fault {
				t.Fatalf("log %+v", reqs)
			}
			// The rule fired once: the next request passes.
			if st, err := c.addPolicy(bg, name); err != nil || st != http.StatusOK {
				t.Fatalf("after the fault: %d %v", st, err)
			}
		})
	}

	t.Run("by-op", func(t *testing.T) {
		p.Reset()
		p.InjectOp("add-canned-policy", Rule{Fault: DropRequest})
		if st, err := c.do(bg, http.MethodGet, "info", nil, nil); err != nil || st != http.StatusOK {
			t.Fatalf("another call: %d %v", st, err)
		}
		if _, err := c.addPolicy(bg, "fp-by-op"); err == nil {
			t.Fatal("the named call was not dropped")
		}
		if st, err := c.addPolicy(bg, "fp-by-op"); err != nil || st != http.StatusOK {
			t.Fatalf("the rule fired twice: %d %v", st, err)
		}
		if reqs := p.Requests(); len(reqs) != 3 || reqs[1].Fault != DropRequest || reqs[2].Fault != Pass {
			t.Fatalf("log %+v", reqs)
		}
	})

	t.Run("hook-down-up", func(t *testing.T) {
		p.Reset()
		hooked := make(chan Request, 1)
		p.Inject(2, Rule{Fault: Hook, Hook: func(r Request) { p.Down(); hooked <- r }})
		if st, err := c.do(bg, http.MethodGet, "info", nil, nil); err != nil || st != http.StatusOK {
			t.Fatalf("first request: %d %v", st, err)
		}
		if _, err := c.addPolicy(bg, "fp-hook"); err == nil {
			t.Fatal("a request to a downed proxy succeeded")
		}
		got := <-hooked
		if got.N != 2 || got.Op != "add-canned-policy" || got.Method != http.MethodPut {
			t.Fatalf("hook saw %+v", got)
		}
		if policyExists(t, srv, "fp-hook") {
			t.Fatal("a request reset by Down reached MinIO")
		}
		_, err := c.do(bg, http.MethodGet, "info", nil, nil)
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("while down: %v, want connection refused", err)
		}
		if err := p.Up(); err != nil {
			t.Fatal(err)
		}
		if st, err := c.addPolicy(bg, "fp-hook"); err != nil || st != http.StatusOK {
			t.Fatalf("after Up: %d %v", st, err)
		}
	})

	t.Run("paused-server", func(t *testing.T) {
		p.Reset()
		p.Inject(1, Rule{Fault: Hook, Hook: func(Request) {
			if err := srv.Pause(); err != nil {
				t.Error(err)
			}
		}})
		ctx, cancel := context.WithTimeout(bg, time.Second)
		_, err := c.addPolicy(ctx, "fp-paused")
		cancel()
		if err := srv.Resume(); err != nil {
			t.Fatal(err)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("paused server: %v, want the deadline", err)
		}
		// The request sat in the paused server's socket and may still be
		// carried out; what matters is that the proxy keeps working.
		if st, err := c.addPolicy(bg, "fp-paused"); err != nil || st != http.StatusOK {
			t.Fatalf("after resume: %d %v", st, err)
		}
	})
}

func TestOpName(t *testing.T) {
	for _, tc := range []struct{ method, path, query, want string }{
		{"PUT", "/minio/admin/v3/add-user", "accessKey=x", "add-user"},
		{"POST", "/minio/admin/v3/idp/builtin/policy/attach", "", "idp/builtin/policy/attach"},
		{"GET", "/", "", "list-buckets"},
		{"PUT", "/b", "", "make-bucket"},
		{"GET", "/b", "location=", "get-bucket-location"},
		{"GET", "/b", "object-lock=", "get-object-lock-config"},
		{"GET", "/b", "versions=&prefix=", "list-object-versions"},
		{"POST", "/b", "delete=", "delete-objects"},
		{"DELETE", "/b", "", "remove-bucket"},
		{"PUT", "/b/k/x", "", "put-object"},
		{"GET", "/minio/health/cluster", "", "get /minio/health/cluster"},
	} {
		if got := OpName(tc.method, tc.path, tc.query); got != tc.want {
			t.Errorf("OpName(%s %s?%s) = %q, want %q", tc.method, tc.path, tc.query, got, tc.want)
		}
	}
	if s := strings.Join([]string{Pass.String(), StallResponse.String(), Fault(99).String()}, ","); s != "pass,stall-response,fault(99)" {
		t.Errorf("names: %s", s)
	}
}
