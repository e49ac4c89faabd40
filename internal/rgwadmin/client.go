// Package rgwadmin is a small typed client for the Ceph RADOS Gateway Admin
// Ops API (/admin/user, /admin/bucket, /admin/usage): users with their S3
// keys, suspension and quota, bucket sizes and the usage log. It is written
// from the wire protocol, as minioadmin is for MinIO, over minio-go's SigV4
// signer and the standard library.
//
// One Client method is one admin call, except the key methods, which read
// the user first (see PutKey). Every answer RGW gives as an error becomes
// an *Error carrying RGW's code; TLS failures become a *TLSError; network
// failures and deadlines are returned wrapped, so errors.Is works with
// context.DeadlineExceeded and the syscall errors.
//
// Wire format: every parameter goes in the query string and the request has
// no body; it is signed with SigV4 and x-amz-content-sha256:
// UNSIGNED-PAYLOAD. Ceph pacific answers a SigV4-signed JSON body on these
// calls with 501 NotImplemented. Answers are JSON.
//
// Users of an RGW tenant have the uid "tenant$user": each tenant has its own
// bucket namespace, so two customers can both own a bucket "photos".
package rgwadmin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7/pkg/signer"
	"github.com/puqminios3/puqminio/internal/domain"
)

// Config says where the gateway is and how to authenticate. The keys are
// an RGW user's S3 keys; the user needs the admin caps for the calls made
// (users, buckets, usage, metadata).
type Config struct {
	Endpoint  string // host:port, no scheme
	Secure    bool   // HTTPS, verified against RootCAs
	AccessKey string
	SecretKey string
	// Region signs the requests. RGW derives the signing key from the
	// region the request names, so any value works; "" means "us-east-1".
	Region  string
	RootCAs *x509.CertPool // nil means the system pool
	// Transport replaces the HTTP transport (tests). When set, RootCAs is
	// ignored and Secure only chooses the URL scheme.
	Transport http.RoundTripper
}

// String hides the secret key, so a logged Config cannot leak it.
func (c Config) String() string {
	return fmt.Sprintf("rgwadmin.Config{Endpoint:%s Secure:%t AccessKey:%s Region:%q}",
		c.Endpoint, c.Secure, c.AccessKey, c.Region)
}

// GoString hides the secret key from %#v as well.
func (c Config) GoString() string { return c.String() }

// Client talks to one RGW endpoint. It is safe for concurrent use.
type Client struct {
	baseURL   string
	accessKey string
	secretKey string
	region    string
	http      *http.Client

	// Retry schedule; fields so tests can shorten it.
	retryBase   time.Duration
	retryMax    time.Duration
	maxAttempts int
}

// userAgent names us in RGW's logs.
const userAgent = "puqminio-rgwadmin/1"

// Body limits: an answer larger than this is not one RGW sends for the
// calls we make (a usage log of 100,000 entries is about 40 MiB), and
// reading it all would let a broken proxy exhaust memory.
const (
	maxResponseBody = 256 << 20
	maxErrorBody    = 64 << 10
)

// New checks cfg and returns a Client. It makes no network call.
func New(cfg Config) (*Client, error) {
	if cfg.Endpoint == "" {
		return nil, errors.New("rgwadmin: endpoint is empty")
	}
	if u, err := url.Parse("http://" + cfg.Endpoint); err != nil || u.Host != cfg.Endpoint {
		return nil, fmt.Errorf("rgwadmin: endpoint %q must be host:port without scheme or path", cfg.Endpoint)
	}
	if cfg.AccessKey == "" || cfg.SecretKey == "" {
		return nil, errors.New("rgwadmin: access key and secret key are required")
	}
	tr := cfg.Transport
	if tr == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		// Never InsecureSkipVerify: RootCAs nil means the system pool.
		t.TLSClientConfig = &tls.Config{RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12}
		tr = t
	}
	scheme := "http"
	if cfg.Secure {
		scheme = "https"
	}
	region := cfg.Region
	if region == "" {
		region = "us-east-1"
	}
	return &Client{
		baseURL:   scheme + "://" + cfg.Endpoint + "/admin/",
		accessKey: cfg.AccessKey,
		secretKey: cfg.SecretKey,
		region:    region,
		http: &http.Client{
			Transport: tr,
			// The Admin Ops API never redirects; following one would drop
			// the signature and hide a misconfigured endpoint.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		retryBase:   100 * time.Millisecond,
		retryMax:    2 * time.Second,
		maxAttempts: 10,
	}, nil
}

// request describes one admin call. All its input is in the query.
type request struct {
	method   string
	resource string // path below /admin/: "user", "bucket", "usage"
	op       string // names the call in errors: "create-user"
	query    url.Values
	// resendable says the call may be sent again after it possibly reached
	// the server (connection reset, EOF, 503) without doing harm twice.
	resendable bool
	// secrets are strings the request carries (a user's secret key) that
	// must be scrubbed from any error text.
	secrets []string
	// form, when set, makes the call one of RGW's IAM API instead: a form
	// POST to the gateway's root, signed over the body's SHA-256 (RGW
	// refuses UNSIGNED-PAYLOAD there); method, resource and query are
	// then unused.
	form url.Values
}

// do runs req, retrying transient failures, and returns the body of a 2xx
// answer.
func (c *Client) do(ctx context.Context, req request) ([]byte, error) {
	delay := c.retryBase
	var prev error // the previous attempt's failure
	for attempt := 1; ; attempt++ {
		body, err := c.once(ctx, req)
		if err == nil {
			return body, nil
		}
		if ctx.Err() != nil {
			// Keep the earlier attempt's cause (a refused connection)
			// when the deadline cut the last attempt short.
			if errors.Is(err, ctx.Err()) {
				if prev != nil && !errors.Is(prev, ctx.Err()) {
					return nil, fmt.Errorf("%w (the attempt before: %w)", err, prev)
				}
				return nil, err
			}
			return nil, fmt.Errorf("rgw admin: %s: %w: %w", req.op, ctx.Err(), err)
		}
		if attempt >= c.maxAttempts || !retryable(err, req.resendable) {
			return nil, err
		}
		// Full jitter in [delay/2, delay) spreads clients that all saw the
		// same restart.
		sleep := delay/2 + rand.N(delay/2+1)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < sleep {
			return nil, err // waiting would pass the deadline: answer with the real cause
		}
		t := time.NewTimer(sleep)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("rgw admin: %s: %w: %w", req.op, ctx.Err(), err)
		case <-t.C:
		}
		delay = min(delay*2, c.retryMax)
		prev = err
	}
}

// retryable says whether err is worth another attempt. A refused
// connection sent nothing, so it is always retried. A dropped connection
// or a 503 (RGW's answer while its RADOS backend is unavailable, or a
// proxy's with the gateway down) may follow a request the server carried
// out, so those are retried only for calls that are harmless twice.
func retryable(err error, resendable bool) bool {
	var tlsErr *TLSError
	if errors.As(err, &tlsErr) {
		return false
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	if !resendable {
		return false
	}
	var e *Error
	if errors.As(err, &e) {
		return e.StatusCode == http.StatusServiceUnavailable
	}
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// once sends req one time.
func (c *Client) once(ctx context.Context, req request) ([]byte, error) {
	hr, err := c.newRequest(ctx, req)
	if err != nil {
		return nil, c.transportError(req, err)
	}
	hr.Header.Set("User-Agent", userAgent)
	hr = signer.SignV4(*hr, c.accessKey, c.secretKey, "", c.region)

	resp, err := c.http.Do(hr)
	if err != nil {
		return nil, c.transportError(req, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
		if err != nil {
			return nil, c.transportError(req, err)
		}
		return body, nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	return nil, parseError(req.op, resp.StatusCode, resp.Header, body, append(req.secrets, c.secretKey))
}

// newRequest builds the unsigned HTTP request for req.
func (c *Client) newRequest(ctx context.Context, req request) (*http.Request, error) {
	if req.form != nil {
		body := []byte(req.form.Encode())
		hr, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(c.baseURL, "admin/"), bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(body)
		hr.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
		hr.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		// RGW 16.2.15 follows a GetUserPolicy 404 with closing tags past
		// the Content-Length it announced; on a kept-alive connection they
		// became the start of the next call's answer, which then failed
		// ("Unsolicited response received on idle HTTP channel", and the
		// next request "closed before answering"). IAM calls are a few per
		// action: each gets a connection of its own
		// (TestUserPolicyLeavesNoBytesBehind).
		hr.Close = true
		return hr, nil
	}
	u := c.baseURL + req.resource
	if len(req.query) > 0 {
		u += "?" + req.query.Encode()
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, u, http.NoBody)
	if err != nil {
		return nil, err
	}
	hr.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	return hr, nil
}

// transportError names the operation and drops net/url's wrapper, whose
// text repeats the whole URL, a secret key in the query included; the
// cause stays reachable for errors.Is.
func (c *Client) transportError(req request, err error) error {
	// The URL's text, which carries the query, never reaches the error.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if domain.IsTLSFailure(err) {
		return &TLSError{Op: req.op, Err: err}
	}
	return fmt.Errorf("rgw admin: %s: %w", req.op, err)
}
