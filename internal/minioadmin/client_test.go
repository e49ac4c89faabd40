package minioadmin

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/puqminios3/puqminio/internal/testminio"
)

func TestNewValidatesConfig(t *testing.T) {
	good := Config{Endpoint: "127.0.0.1:9000", AccessKey: "a", SecretKey: "b"}
	if _, err := New(good); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(*Config){
		"empty endpoint": func(c *Config) { c.Endpoint = "" },
		"scheme":         func(c *Config) { c.Endpoint = "http://127.0.0.1:9000" },
		"path":           func(c *Config) { c.Endpoint = "127.0.0.1:9000/x" },
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

func TestConfigPrintingHidesSecret(t *testing.T) {
	cfg := Config{Endpoint: "h:1", AccessKey: "ak", SecretKey: "the-secret-value"}
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg)} {
		if strings.Contains(s, "the-secret-value") {
			t.Fatalf("Config prints its secret: %s", s)
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
		{"json", 404, `{"Code":"XMinioAdminNoSuchUser","Message":"no such user","Resource":"/minio/admin/v3/user-info","RequestId":"R1","HostId":"h"}`,
			Error{404, CodeNoSuchUser, "no such user", "/minio/admin/v3/user-info", "R1"}},
		{"xml", 403, `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
			`<Error><Code>AccessDenied</Code><Message>Access Denied.</Message><Resource>/minio/admin/v3/info</Resource><RequestId>R2</RequestId><HostId>h</HostId></Error>`,
			Error{403, CodeAccessDenied, "Access Denied.", "/minio/admin/v3/info", "R2"}},
		{"empty", 503, ``, Error{503, "ServiceUnavailable", "Service Unavailable", "", "HDR-ID"}},
		{"html", 502, `<html><body>Bad Gateway</body></html>`, Error{502, "BadGateway", "Bad Gateway", "", "HDR-ID"}},
		{"json without code", 400, `{"error":"x"}`, Error{400, "BadRequest", "Bad Request", "", "HDR-ID"}},
	}
	for _, tc := range cases {
		got := parseError(tc.status, hdr, []byte(tc.body), nil)
		if *got != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.name, *got, tc.want)
		}
	}
	e := parseError(400, nil, []byte(`{"Code":"X","Message":"bad value hunter22 in body"}`), []string{"", "hunter22"})
	if strings.Contains(e.Error(), "hunter22") {
		t.Fatalf("secret not scrubbed: %v", e)
	}
	var wrapped error = fmt.Errorf("outer: %w", e)
	if ErrorCodeOf(wrapped) != "X" || ErrorCodeOf(errors.New("plain")) != "" || ErrorCodeOf(nil) != "" {
		t.Fatal("ErrorCodeOf")
	}
}

// newFakeClient points a client at an httptest server with a fast retry
// schedule.
func newFakeClient(t *testing.T, h http.Handler) *Client {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	c, err := New(Config{Endpoint: strings.TrimPrefix(ts.URL, "http://"), AccessKey: "admin", SecretKey: "admin-secret"})
	if err != nil {
		t.Fatal(err)
	}
	c.retryBase, c.retryMax = 10*time.Millisecond, 40*time.Millisecond
	return c
}

// An XML error body from a server (here a stand-in: the real one answers
// XML only from its auth layer) decodes into *Error.
func TestXMLErrorOverHTTP(t *testing.T) {
	c := newFakeClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>RequestTimeTooSkewed</Code>`+
			`<Message>The difference between the request time and the server's time is too large.</Message>`+
			`<Resource>/minio/admin/v3/info</Resource><RequestId>X1</RequestId></Error>`)
	}))
	_, err := c.ServerInfo(testCtx(t))
	var e *Error
	if !errors.As(err, &e) || e.Code != "RequestTimeTooSkewed" || e.StatusCode != 403 || e.RequestID != "X1" {
		t.Fatalf("err = %#v", err)
	}
}

// The real server's refusal of a wrong secret decodes into *Error and its
// text carries neither secret.
func TestWrongSecretKey(t *testing.T) {
	c, err := New(Config{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: "not-the-root-password"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.UserInfo(testCtx(t), "anyone")
	if ErrorCodeOf(err) != CodeSignatureDoesNotMatch {
		t.Fatalf("err = %v", err)
	}
	if s := err.Error(); strings.Contains(s, "not-the-root-password") || strings.Contains(s, srv.SecretKey) {
		t.Fatalf("error text leaks a secret: %s", s)
	}
}

// 503 XMinioServerNotInitialized is retried, and every attempt carries the
// same body with a matching signed hash and an explicit length.
func TestRetryWhileServerInitializes(t *testing.T) {
	var hits atomic.Int32
	policy := policyDoc("retry-bucket")
	c := newFakeClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sum := sha256.Sum256(body)
		if string(body) != string(policy) || r.ContentLength != int64(len(policy)) ||
			len(r.TransferEncoding) != 0 || r.Header.Get("X-Amz-Content-Sha256") != hex.EncodeToString(sum[:]) ||
			!strings.Contains(r.Header.Get("Authorization"), "SignedHeaders=host;x-amz-content-sha256;x-amz-date") {
			t.Errorf("attempt %d: bad request: len %d te %v headers %v", hits.Load(), r.ContentLength, r.TransferEncoding, r.Header)
		}
		if hits.Add(1) <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `{"Code":"XMinioServerNotInitialized","Message":"Server not initialized yet, please try again."}`)
		}
	}))
	if err := c.AddCannedPolicy(testCtx(t), "p", policy); err != nil {
		t.Fatal(err)
	}
	if hits.Load() != 3 {
		t.Fatalf("attempts = %d, want 3", hits.Load())
	}
}

// Other errors are answers, not transient failures: no retry.
func TestNoRetryOnOtherErrors(t *testing.T) {
	var hits atomic.Int32
	c := newFakeClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, `{"Code":"SlowDown","Message":"busy"}`)
	}))
	if _, err := c.ServerInfo(testCtx(t)); ErrorCodeOf(err) != "SlowDown" || hits.Load() != 1 {
		t.Fatalf("err %v after %d attempts", err, hits.Load())
	}
}

// Retrying stops before the deadline rather than sleeping through it.
func TestRetryRespectsDeadline(t *testing.T) {
	c := newFakeClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, `{"Code":"XMinioServerNotInitialized","Message":"not yet"}`)
	}))
	c.retryBase, c.retryMax = 100*time.Millisecond, 2*time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.ServerInfo(ctx)
	if took := time.Since(start); took > 800*time.Millisecond {
		t.Fatalf("took %s with a 700ms deadline", took)
	}
	if ErrorCodeOf(err) != CodeServerNotInitialized {
		t.Fatalf("err = %v", err)
	}
}

// A connection dropped before the answer (EOF) is retried for calls that
// are safe to repeat, and not for AddServiceAccount, which could otherwise
// create a second account.
func TestRetryAfterDroppedConnection(t *testing.T) {
	var hits atomic.Int32
	c := newFakeClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1)%2 == 1 { // drop every first attempt
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close()
			}
			return
		}
		_, _ = io.WriteString(w, `{"policyName":"","status":"enabled"}`)
	}))
	c.http.Transport.(*http.Transport).DisableKeepAlives = true
	info, err := c.UserInfo(testCtx(t), "alice")
	if err != nil || !info.Enabled || hits.Load() != 2 {
		t.Fatalf("UserInfo = %+v, %v after %d attempts", info, err, hits.Load())
	}

	hits.Store(0)
	_, err = c.AddServiceAccount(testCtx(t), AddServiceAccountReq{TargetUser: "alice"})
	if err == nil || hits.Load() != 1 {
		t.Fatalf("AddServiceAccount: %v after %d attempts", err, hits.Load())
	}
	if !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("AddServiceAccount error is not a dropped connection: %v", err)
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

// A refused connection is retried until the deadline, then reported as
// refused, promptly.
func TestConnectionRefusedRetriesUntilDeadline(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens here now
	tr := &countingTransport{next: http.DefaultTransport}
	c, err := New(Config{Endpoint: addr, AccessKey: "a", SecretKey: "b", Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	_, err = c.ServerInfo(ctx)
	took := time.Since(start)
	if !errors.Is(err, syscall.ECONNREFUSED) || tr.n.Load() < 3 || took > 1200*time.Millisecond {
		t.Fatalf("err %v after %d attempts in %s", err, tr.n.Load(), took)
	}
}

// A server that accepts the connection and never answers (the real one,
// stopped with SIGSTOP) costs no more than the caller's deadline.
func TestDeadlineOnHungServer(t *testing.T) {
	c := newClient(t)
	if err := srv.Pause(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := srv.Resume(); err != nil {
			t.Fatal(err)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.UserInfo(ctx, "anyone")
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) || took > time.Second {
		t.Fatalf("err %v after %s", err, took)
	}
}

func TestTLS(t *testing.T) {
	s := testminio.Start(t, testminio.Options{TLS: true})
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(s.CAPEM) {
		t.Fatal("bad CA PEM")
	}
	c, err := New(Config{Endpoint: s.Endpoint, Secure: true, AccessKey: s.AccessKey, SecretKey: s.SecretKey, RootCAs: pool})
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	// An encrypted round trip over TLS, both directions.
	if err := c.AddUser(ctx, "tlsuser", "tls-user-secret", true); err != nil {
		t.Fatal(err)
	}
	if users, err := c.ListUsers(ctx); err != nil || !users["tlsuser"].Enabled {
		t.Fatalf("ListUsers over TLS = %+v, %v", users, err)
	}

	// Without our CA the system pool does not trust the server.
	untrusting, err := New(Config{Endpoint: s.Endpoint, Secure: true, AccessKey: s.AccessKey, SecretKey: s.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = untrusting.ServerInfo(ctx)
	var tlsErr *TLSError
	var verifyErr *tls.CertificateVerificationError
	var authErr x509.UnknownAuthorityError
	if !errors.As(err, &tlsErr) || !errors.As(err, &verifyErr) || !errors.As(err, &authErr) {
		t.Fatalf("err = %v (%T)", err, err)
	}
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Fatalf("TLS failure took %s: it must not be retried", took)
	}
	t.Logf("without CA: %v", err)

	// Plain HTTP against the TLS port is refused by the server, not by a
	// certificate check; it must not pass as success.
	plain, _ := New(Config{Endpoint: s.Endpoint, AccessKey: s.AccessKey, SecretKey: s.SecretKey})
	if _, err := plain.ServerInfo(ctx); err == nil {
		t.Fatal("plain HTTP to a TLS port succeeded")
	}
}

// refusedThenHung refuses the first connection and hangs on the next until
// the caller's deadline: a server that went away and half came back.
type refusedThenHung struct{ n atomic.Int32 }

func (r *refusedThenHung) RoundTrip(req *http.Request) (*http.Response, error) {
	if r.n.Add(1) == 1 {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	}
	<-req.Context().Done()
	return nil, req.Context().Err()
}

// When the deadline cuts the last attempt short, the error still carries
// what the attempt before it met, so the message can say MinIO refused.
func TestDeadlineKeepsTheEarlierCause(t *testing.T) {
	tr := &refusedThenHung{}
	c, err := New(Config{Endpoint: "127.0.0.1:1", AccessKey: "a", SecretKey: "b", Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err = c.ServerInfo(ctx)
	if tr.n.Load() != 2 || !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("after %d attempts: %v", tr.n.Load(), err)
	}
}
