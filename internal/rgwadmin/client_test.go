package rgwadmin

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/puqminios3/puqminio/internal/testceph"
)

func TestNewValidatesConfig(t *testing.T) {
	good := Config{Endpoint: "127.0.0.1:7480", AccessKey: "a", SecretKey: "b"}
	if _, err := New(good); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(*Config){
		"empty endpoint": func(c *Config) { c.Endpoint = "" },
		"scheme":         func(c *Config) { c.Endpoint = "http://127.0.0.1:7480" },
		"path":           func(c *Config) { c.Endpoint = "127.0.0.1:7480/admin" },
		"no access key":  func(c *Config) { c.AccessKey = "" },
		"no secret key":  func(c *Config) { c.SecretKey = "" },
	} {
		cfg := good
		mutate(&cfg)
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestPrintingHidesSecrets(t *testing.T) {
	cfg := Config{Endpoint: "h:1", AccessKey: "ak", SecretKey: "the-config-secret"}
	u := User{UID: "t$u", Keys: []Key{{User: "t$u", AccessKey: "AK1", SecretKey: "the-key-secret"}}}
	for _, v := range []any{cfg, u, u.Keys[0], &u} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			if s := fmt.Sprintf(verb, v); strings.Contains(s, "secret") {
				t.Errorf("%s of %T prints a secret: %s", verb, v, s)
			}
		}
	}
}

func TestParseError(t *testing.T) {
	hdr := http.Header{"X-Amz-Request-Id": {"HDR-ID"}}
	cases := []struct {
		name   string
		status int
		body   string
		want   Error
	}{
		{"json", 404, `{"Code":"NoSuchUser","Message":"","RequestId":"tx1","HostId":"h"}`,
			Error{404, CodeNoSuchUser, "", "tx1", "op"}},
		{"xml", 403, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>no</Message><RequestId>tx2</RequestId></Error>`,
			Error{403, CodeAccessDenied, "no", "tx2", "op"}},
		{"empty", 503, ``, Error{503, "ServiceUnavailable", "Service Unavailable", "HDR-ID", "op"}},
		{"html", 502, `<html><body>Bad Gateway</body></html>`, Error{502, "BadGateway", "Bad Gateway", "HDR-ID", "op"}},
	}
	for _, tc := range cases {
		if got := parseError("op", tc.status, hdr, []byte(tc.body), nil); *got != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.name, *got, tc.want)
		}
	}
	e := parseError("op", 400, nil, []byte(`{"Code":"X","Message":"bad value hunter22"}`), []string{"", "hunter22"})
	if strings.Contains(e.Error(), "hunter22") {
		t.Fatalf("secret not scrubbed: %v", e)
	}
	if ErrorCodeOf(fmt.Errorf("outer: %w", e)) != "X" || ErrorCodeOf(errors.New("plain")) != "" || ErrorCodeOf(nil) != "" {
		t.Fatal("ErrorCodeOf")
	}
}

// The real gateway's refusals of bad credentials decode into *Error, and
// no text carries a secret.
func TestBadCredentials(t *testing.T) {
	ctx := testCtx(t)
	plain := mustCreateUser(t, newClient(t), "")
	for name, tc := range map[string]struct {
		ak, sk, code string
	}{
		"wrong secret":       {srv.AccessKey, "not-the-admin-secret", CodeSignatureDoesNotMatch},
		"unknown access key": {"NOSUCHKEY", "not-the-admin-secret", CodeInvalidAccessKeyID},
		"user without caps":  {plain.AccessKey, plain.SecretKey, CodeAccessDenied},
	} {
		c, err := New(Config{Endpoint: srv.Endpoint, AccessKey: tc.ak, SecretKey: tc.sk})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.CreateUser(ctx, CreateUserReq{UID: "x$y", DisplayName: "d", AccessKey: "AKY", SecretKey: "new-user-secret"})
		var e *Error
		if !errors.As(err, &e) || e.Code != tc.code || e.StatusCode != 403 {
			t.Errorf("%s: %v", name, err)
			continue
		}
		for _, s := range []string{tc.sk, srv.SecretKey, "new-user-secret"} {
			if strings.Contains(err.Error(), s) {
				t.Errorf("%s: error text leaks a secret: %s", name, err)
			}
		}
	}
}

// Over TLS the client trusts the CA it is given and no other.
func TestTLS(t *testing.T) {
	s := testceph.Start(t, testceph.Options{TLS: true})
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(s.CAPEM) {
		t.Fatal("bad CA PEM")
	}
	ctx := testCtx(t)
	c, err := New(Config{Endpoint: s.Endpoint, Secure: true, AccessKey: s.AccessKey, SecretKey: s.SecretKey, RootCAs: pool})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateUser(ctx, CreateUserReq{UID: "tls$user", DisplayName: "over TLS", AccessKey: "AKTLS", SecretKey: "tls-secret"}); err != nil {
		t.Fatal(err)
	}
	if u, err := c.UserInfo(ctx, "tls$user"); err != nil || u.DisplayName != "over TLS" {
		t.Fatalf("UserInfo over TLS: %+v, %v", u, err)
	}

	// Without the CA: a *TLSError wrapping the x509 failure, not retried.
	tr := &countingTransport{next: &http.Transport{TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12}}}
	untrusting, err := New(Config{Endpoint: s.Endpoint, Secure: true, AccessKey: s.AccessKey, SecretKey: s.SecretKey, Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	_, err = untrusting.UserInfo(ctx, "tls$user")
	var tlsErr *TLSError
	var authErr x509.UnknownAuthorityError
	if !errors.As(err, &tlsErr) || !errors.As(err, &authErr) || tr.n.Load() != 1 {
		t.Fatalf("without the CA: %v (%T) after %d attempts", err, err, tr.n.Load())
	}
	// Plain HTTP to the TLS port fails; it must not pass as success. The
	// gateway closes the connection (EOF), which reads would retry for
	// seconds, so a call that is never resent asks.
	plain, _ := New(Config{Endpoint: s.Endpoint, AccessKey: s.AccessKey, SecretKey: s.SecretKey})
	if err := plain.RemoveUser(ctx, "tls$nobody", RemoveUserOptions{}); err == nil {
		t.Fatal("plain HTTP to the TLS port succeeded")
	}
}

// countingTransport counts round trips.
type countingTransport struct {
	n    atomic.Int32
	next http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

// A call made while the gateway is down is retried (the connection is
// refused, so nothing was sent) and succeeds once the gateway is back.
func TestRetryUntilGatewayRestarts(t *testing.T) {
	admin := newClient(t)
	u := mustCreateUser(t, admin, "")
	tr := &countingTransport{next: http.DefaultTransport}
	c, err := New(Config{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	srv.StopGateway()
	t.Cleanup(func() {
		if err := srv.StartGateway(); err != nil {
			t.Fatal(err)
		}
	})
	done := make(chan error, 1)
	go func() { done <- c.Suspend(testCtx(t), u.UID) }()
	for tr.n.Load() < 2 { // refused at least once before the gateway returns
		time.Sleep(10 * time.Millisecond)
	}
	if err := srv.StartGateway(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Suspend across a gateway restart: %v", err)
	}
	if info, err := admin.UserInfo(testCtx(t), u.UID); err != nil || !info.Suspended {
		t.Fatalf("after the restart: %+v, %v", info, err)
	}
}

// newFakeClient points a client at a stand-in server with a fast retry
// schedule, for failures the real gateway does not produce on demand.
func newFakeClient(t *testing.T, h http.Handler) *Client {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	c, err := New(Config{Endpoint: strings.TrimPrefix(ts.URL, "http://"), AccessKey: "admin", SecretKey: "admin-secret"})
	if err != nil {
		t.Fatal(err)
	}
	c.retryBase, c.retryMax = 10*time.Millisecond, 40*time.Millisecond
	c.http.Transport.(*http.Transport).DisableKeepAlives = true
	return c
}

const userJSON = `{"tenant":"t","user_id":"u","display_name":"d","suspended":0,"max_buckets":1,"keys":[]}`

// dropFirst drops every odd-numbered connection before answering and
// answers the others with body.
func dropFirst(hits *atomic.Int32, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1)%2 == 1 {
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				_ = conn.Close()
			}
			return
		}
		_, _ = io.WriteString(w, body)
	}
}

// A dropped connection is retried for reads and for calls harmless twice,
// and not for CreateUser or RemoveUser, whose resend would answer
// UserAlreadyExists or NoSuchUser for what the first attempt did.
func TestRetryAfterDroppedConnection(t *testing.T) {
	var hits atomic.Int32
	c := newFakeClient(t, dropFirst(&hits, userJSON))
	if u, err := c.UserInfo(testCtx(t), "t$u"); err != nil || u.UID != "t$u" || hits.Load() != 2 {
		t.Fatalf("UserInfo = %+v, %v after %d attempts", u, err, hits.Load())
	}
	hits.Store(0)
	_, err := c.CreateUser(testCtx(t), CreateUserReq{UID: "t$u", DisplayName: "d", AccessKey: "a", SecretKey: "s"})
	if err == nil || hits.Load() != 1 || (!errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET)) {
		t.Fatalf("CreateUser: %v after %d attempts", err, hits.Load())
	}
	hits.Store(0)
	err = c.RemoveUser(testCtx(t), "t$u", RemoveUserOptions{PurgeData: true})
	if err == nil || hits.Load() != 1 {
		t.Fatalf("RemoveUser: %v after %d attempts", err, hits.Load())
	}
}

// 503 is retried for reads, not for CreateUser; other errors are answers.
func TestRetryOn503(t *testing.T) {
	var hits atomic.Int32
	c := newFakeClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, `[]`)
	}))
	if bs, err := c.BucketStats(testCtx(t), ""); err != nil || len(bs) != 0 || hits.Load() != 3 {
		t.Fatalf("BucketStats = %v, %v after %d attempts", bs, err, hits.Load())
	}
	hits.Store(0)
	_, err := c.CreateUser(testCtx(t), CreateUserReq{UID: "t$u", DisplayName: "d", AccessKey: "a", SecretKey: "s"})
	if ErrorCodeOf(err) != "ServiceUnavailable" || hits.Load() != 1 {
		t.Fatalf("CreateUser: %v after %d attempts", err, hits.Load())
	}

	hits.Store(0)
	c = newFakeClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, `{"Code":"AccessDenied"}`)
	}))
	if _, err := c.UserInfo(testCtx(t), "t$u"); ErrorCodeOf(err) != CodeAccessDenied || hits.Load() != 1 {
		t.Fatalf("UserInfo: %v after %d attempts", err, hits.Load())
	}
}

// The wire format: no body, an unsigned payload, every parameter in the
// signed query, the tenant's "$" escaped.
func TestRequestFormat(t *testing.T) {
	var got *http.Request
	c := newFakeClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Clone(context.Background())
		body, _ := io.ReadAll(r.Body)
		if len(body) != 0 || r.ContentLength > 0 {
			t.Errorf("request has a body: %q", body)
		}
		_, _ = io.WriteString(w, `{"enabled":true,"max_size":5,"max_objects":-1}`)
	}))
	if err := c.SetUserQuota(testCtx(t), "t$u", Quota{Enabled: true, MaxSize: 5, MaxObjects: -3}); err != nil {
		t.Fatal(err)
	}
	if got.Method != http.MethodPut || got.URL.Path != "/admin/user" ||
		got.URL.RawQuery != "enabled=true&max-objects=-1&max-size=5&quota=&quota-type=user&uid=t%24u" ||
		got.Header.Get("X-Amz-Content-Sha256") != "UNSIGNED-PAYLOAD" ||
		!strings.HasPrefix(got.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=admin/") ||
		!strings.Contains(got.Header.Get("Authorization"), "/us-east-1/s3/aws4_request") {
		t.Fatalf("request: %s %s?%s %v", got.Method, got.URL.Path, got.URL.RawQuery, got.Header)
	}
}

// A refused connection is retried until the deadline, then reported as
// refused.
func TestConnectionRefusedUntilDeadline(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	tr := &countingTransport{next: http.DefaultTransport}
	c, err := New(Config{Endpoint: addr, AccessKey: "a", SecretKey: "b", Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err = c.UserInfo(ctx, "t$u")
	if !errors.Is(err, syscall.ECONNREFUSED) || tr.n.Load() < 2 {
		t.Fatalf("err %v after %d attempts", err, tr.n.Load())
	}
}
