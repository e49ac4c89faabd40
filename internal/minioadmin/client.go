// Package minioadmin is a small typed client for the MinIO admin API
// (/minio/admin/v3): users, canned policies, groups, service accounts,
// server and usage information. It exists because madmin-go is AGPL; it is
// written from the wire protocol alone over Apache-2.0 and BSD/MIT parts
// (minio-go's SigV4 signer, sio-go, x/crypto).
//
// One Client method is one admin call, and every method returns its
// failures as domain errors (internal/domain) saying what was being done.
// Each wraps the original failure, so callers and tests can still reach
// MinIO's code with ErrorCodeOf or errors.As (an *Error), a TLS failure
// (*TLSError) and network failures and deadlines (errors.Is with
// context.DeadlineExceeded and the syscall errors).
//
// Cost of encrypted calls: MinIO encrypts password-bearing bodies with a key
// derived from the admin secret key. Requests use PBKDF2 (Config.Envelope),
// which the server opens in about a millisecond; a Client derives its key
// once, under one random salt, and reuses it with a fresh random nonce per
// message (renewed every 65536 messages). Encrypted responses (ListUsers,
// ListServiceAccounts, AddServiceAccount, policy attach) are sealed by the
// server with Argon2id (64 MiB, tens of milliseconds on each side), so the
// module avoids the calls that answer with them where a plain call
// answers the same question.
package minioadmin

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
	"syscall"
	"time"

	"github.com/minio/minio-go/v7/pkg/signer"
	"github.com/puqminios3/puqminio/internal/domain"
)

// Config says where MinIO is and how to authenticate.
type Config struct {
	Endpoint  string // host:port, no scheme
	Secure    bool   // HTTPS, verified against RootCAs
	AccessKey string
	SecretKey string
	Region    string         // "" signs with an empty region, which MinIO accepts
	RootCAs   *x509.CertPool // nil means the system pool
	// Transport replaces the HTTP transport (tests). When set, RootCAs is
	// ignored and Secure only chooses the URL scheme: TLS is then the
	// transport's business.
	Transport http.RoundTripper
	// Envelope is the encryption of request bodies (EnvelopePBKDF2 unless
	// set).
	Envelope Envelope
}

// String hides the secret key, so a logged Config cannot leak it.
func (c Config) String() string {
	return fmt.Sprintf("minioadmin.Config{Endpoint:%s Secure:%t AccessKey:%s Region:%q}",
		c.Endpoint, c.Secure, c.AccessKey, c.Region)
}

// GoString hides the secret key from %#v as well.
func (c Config) GoString() string { return c.String() }

// Client talks to one MinIO deployment. It is safe for concurrent use.
//
// It derives the key for encrypted request bodies once, lazily on the first
// encrypted call, under one random salt, and reuses it for the next 65536
// messages with a fresh random nonce each; so keep one Client for a batch
// rather than one per call, or each call pays a 64 MiB Argon2id again.
type Client struct {
	baseURL   string
	accessKey string
	secretKey string
	region    string
	http      *http.Client
	sealer    *sealer

	// Retry schedule; fields so tests can shorten it.
	retryBase   time.Duration
	retryMax    time.Duration
	maxAttempts int
}

// userAgent names us in MinIO's logs and traces.
const userAgent = "puqminio-minioadmin/1"

// Body limits: an answer larger than this is not one MinIO sends for the
// calls we make, and reading it all would let a broken proxy exhaust memory.
const (
	maxResponseBody = 256 << 20
	maxErrorBody    = 64 << 10
)

// New checks cfg and returns a Client. It makes no network call.
func New(cfg Config) (*Client, error) {
	if cfg.Endpoint == "" {
		return nil, errors.New("minioadmin: endpoint is empty")
	}
	if u, err := url.Parse("http://" + cfg.Endpoint); err != nil || u.Host != cfg.Endpoint {
		return nil, fmt.Errorf("minioadmin: endpoint %q must be host:port without scheme or path", cfg.Endpoint)
	}
	if cfg.AccessKey == "" || cfg.SecretKey == "" {
		return nil, errors.New("minioadmin: access key and secret key are required")
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
	return &Client{
		baseURL:   scheme + "://" + cfg.Endpoint + "/minio/admin/v3/",
		accessKey: cfg.AccessKey,
		secretKey: cfg.SecretKey,
		region:    cfg.Region,
		http: &http.Client{
			Transport: tr,
			// The admin API never redirects; following one would drop the
			// signature and hide a misconfigured endpoint.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		sealer:      &sealer{secret: cfg.SecretKey, id: cfg.Envelope.id()},
		retryBase:   100 * time.Millisecond,
		retryMax:    2 * time.Second,
		maxAttempts: 10,
	}, nil
}

// request describes one admin call. The body is kept as bytes so every
// retry sends an identical, freshly signed copy.
type request struct {
	method      string
	op          string // path below /minio/admin/v3/
	query       url.Values
	body        []byte
	contentType string
	// resendable says the call may be sent again after it possibly reached
	// the server (connection reset, EOF) without doing harm twice.
	resendable bool
	// secrets are strings the request carries (a new user's password) that
	// must be scrubbed from any server error text.
	secrets []string
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
			// The deadline or a cancel ended the call; make sure errors.Is
			// sees it even when the last failure was the server's answer,
			// and keep the earlier attempts' cause (a refused connection)
			// when the deadline cut the last attempt short.
			if errors.Is(err, ctx.Err()) {
				if prev != nil && !errors.Is(prev, ctx.Err()) {
					return nil, fmt.Errorf("%w (the attempt before: %w)", err, prev)
				}
				return nil, err
			}
			return nil, fmt.Errorf("minio admin: %s: %w: %w", req.op, ctx.Err(), err)
		}
		if attempt >= c.maxAttempts || !c.retryable(err, req.resendable) {
			return nil, err
		}
		// Full jitter in [delay/2, delay) spreads clients that all saw the
		// same restart.
		sleep := delay/2 + rand.N(delay/2+1)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < sleep {
			// Waiting would end past the deadline: answer now with the
			// real cause instead of a bare timeout.
			return nil, err
		}
		t := time.NewTimer(sleep)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("minio admin: %s: %w: %w", req.op, ctx.Err(), err)
		case <-t.C:
		}
		delay = min(delay*2, c.retryMax)
		prev = err
	}
}

// retryable says whether err is worth another attempt: the server is still
// starting (503 XMinioServerNotInitialized) or the connection failed. A
// request that may already have reached the server is only resent when
// that is harmless.
func (c *Client) retryable(err error, resendable bool) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.StatusCode == http.StatusServiceUnavailable && e.Code == CodeServerNotInitialized
	}
	var tlsErr *TLSError
	if errors.As(err, &tlsErr) {
		return false
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return true // nothing was sent
	}
	if !resendable {
		return false
	}
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// once sends req one time.
func (c *Client) once(ctx context.Context, req request) ([]byte, error) {
	u := c.baseURL + req.op
	if len(req.query) > 0 {
		u += "?" + req.query.Encode()
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, u, bytes.NewReader(req.body))
	if err != nil {
		return nil, fmt.Errorf("minio admin: %s: %w", req.op, err)
	}
	if len(req.body) == 0 {
		hr.Body = http.NoBody
	}
	// An explicit length keeps the transport from chunking, which MinIO
	// refuses for signed bodies.
	hr.ContentLength = int64(len(req.body))
	sum := sha256.Sum256(req.body)
	hr.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
	if req.contentType != "" {
		hr.Header.Set("Content-Type", req.contentType)
	}
	hr.Header.Set("User-Agent", userAgent)
	hr = signer.SignV4(*hr, c.accessKey, c.secretKey, "", c.region)

	resp, err := c.http.Do(hr)
	if err != nil {
		return nil, c.transportError(req.op, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
		if err != nil {
			return nil, c.transportError(req.op, err)
		}
		return body, nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	return nil, parseError(resp.StatusCode, resp.Header, body, append(req.secrets, c.secretKey))
}

// transportError names the operation and drops net/url's wrapper, whose
// text repeats the whole URL; the cause stays reachable for errors.Is.
func (c *Client) transportError(op string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if domain.IsTLSFailure(err) {
		return &TLSError{Op: op, Err: err}
	}
	return fmt.Errorf("minio admin: %s: %w", op, err)
}
