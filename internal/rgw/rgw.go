// Package rgw is what the module does to a Ceph RADOS Gateway for one
// WHMCS service, and for all of a server's services at once: provision,
// suspend and unsuspend, quota, guards, secret, terminate, sizes, traffic,
// details, and the server's own check. Inputs are plain values and outputs domain
// types; it knows nothing of WHMCS or the usage store, so the account
// package can put it behind its backend interface.
//
// Two clients do the work: internal/rgwadmin (Admin Ops, signed with the
// server's admin credentials) and minio-go for S3 calls on a tenant's
// buckets, signed with the tenant's own key. On RGW the admin's caps give
// no access to a tenant's data: bucket policies and buckets are made and
// removed with the tenant's key, which the adapter reads from Admin Ops
// (it never needs WHMCS's copy of the secret for that).
//
// Every operation is idempotent: run again after a failure part-way, it
// finishes the job. Every error is a *domain.Error (see translate); no
// secret is ever in one.
package rgw

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/signer"

	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/rgwadmin"
)

// DefaultTrafficSettle is how long after an hour ends the adapter takes
// the hour's usage log to be final: RGW stamps a request with the hour of
// the moment it logs it, when the request ends (log_usage in rgw_log.cc
// takes ceph_clock_now()), and writes what it gathered every "rgw usage
// log tick interval" (30 s by default).
const DefaultTrafficSettle = 5 * time.Minute

// Config says where the gateway is and how to reach it.
type Config struct {
	Endpoint string // host:port of the gateway, no scheme
	Secure   bool   // HTTPS, verified against RootCAs
	// AccessKey and SecretKey are the S3 keys of an RGW user with the caps
	// RequiredCaps.
	AccessKey string
	SecretKey string
	RootCAs   *x509.CertPool // nil: the system pool
	// TenantPrefix starts the name of every tenant the module makes
	// (Naming); "" means DefaultTenantPrefix.
	TenantPrefix string
	// TrafficSettle is how long after an hour ends its usage log entries
	// may still grow: RGW writes its usage log every "rgw usage log tick
	// interval" (30 s by default). 0 means DefaultTrafficSettle.
	TrafficSettle time.Duration
	// Transport replaces the HTTP transport of both clients (tests).
	Transport http.RoundTripper
}

// String hides the secret key, so a logged Config cannot leak it.
func (c Config) String() string {
	return fmt.Sprintf("rgw.Config{Endpoint:%s Secure:%t AccessKey:%s TenantPrefix:%q}",
		c.Endpoint, c.Secure, c.AccessKey, c.TenantPrefix)
}

// GoString hides the secret key from %#v as well.
func (c Config) GoString() string { return c.String() }

// Gateway carries out operations on one RGW endpoint. It is safe for
// concurrent use.
type Gateway struct {
	admin     *rgwadmin.Client
	naming    Naming
	endpoint  string
	secure    bool
	accessKey string // the admin's, for the server check
	transport http.RoundTripper
	settle    time.Duration
	now       func() time.Time
}

// New checks cfg and returns a Gateway. It makes no network call.
func New(cfg Config) (*Gateway, error) {
	n := Naming{Prefix: cfg.TenantPrefix}
	if n.Prefix == "" {
		n.Prefix = DefaultTenantPrefix
	}
	if err := n.Check(); err != nil {
		return nil, err
	}
	tr := cfg.Transport
	if tr == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.TLSClientConfig = &tls.Config{RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12}
		t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
		tr = t
	}
	admin, err := rgwadmin.New(rgwadmin.Config{Endpoint: cfg.Endpoint, Secure: cfg.Secure,
		AccessKey: cfg.AccessKey, SecretKey: cfg.SecretKey, RootCAs: cfg.RootCAs, Transport: tr})
	if err != nil {
		// rgwadmin's checks name the bad field and never a secret.
		return nil, domain.Errorf(domain.EINVALID, "server: %s", domain.Printable(err.Error()))
	}
	settle := cfg.TrafficSettle
	if settle <= 0 {
		settle = DefaultTrafficSettle
	}
	return &Gateway{admin: admin, naming: n, endpoint: cfg.Endpoint, secure: cfg.Secure,
		accessKey: cfg.AccessKey, transport: tr, settle: settle, now: time.Now}, nil
}

// Naming returns how the gateway names accounts.
func (g *Gateway) Naming() Naming { return g.naming }

// user reads the account's RGW user.
func (g *Gateway) user(ctx context.Context, a Account) (rgwadmin.User, error) {
	u, err := g.admin.UserInfo(ctx, g.naming.UID(a))
	return u, translate(err, "read user "+g.naming.UID(a))
}

// tenantKey is the S3 key the adapter signs the tenant's requests with:
// the one named after the account's user, else any other of the user's
// own (not a subuser's).
func tenantKey(u rgwadmin.User, a Account) (rgwadmin.Key, error) {
	var other *rgwadmin.Key
	for i, k := range u.Keys {
		if k.User != u.UID {
			continue
		}
		if k.AccessKey == a.User {
			return k, nil
		}
		if other == nil {
			other = &u.Keys[i]
		}
	}
	if other != nil {
		return *other, nil
	}
	return rgwadmin.Key{}, domain.Errorf(domain.ECONFLICT, "user %s has no S3 key to act on its buckets with; run Create again to give it one", u.UID)
}

// s3As returns an S3 client signing with key. Requests are path-style
// (RGW's virtual-host style needs a wildcard DNS name) and signed for
// us-east-1, which RGW takes whatever its zonegroup is called; that also
// spares minio-go a location lookup per bucket.
func (g *Gateway) s3As(key rgwadmin.Key) (*minio.Client, error) {
	mc, err := minio.New(g.endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(key.AccessKey, key.SecretKey, ""),
		Secure:       g.secure,
		Region:       "us-east-1",
		BucketLookup: minio.BucketLookupPath,
		Transport:    g.transport,
	})
	if err != nil {
		return nil, domain.Errorf(domain.EINVALID, "server.endpoint: %s", domain.Printable(err.Error()))
	}
	return mc, nil
}

// tenantS3 returns an S3 client acting as the account's user.
func (g *Gateway) tenantS3(u rgwadmin.User, a Account) (*minio.Client, error) {
	key, err := tenantKey(u, a)
	if err != nil {
		return nil, err
	}
	return g.s3As(key)
}

// s3Raw sends one S3 request signed with key, for the calls minio-go has
// no method for or misreads, and returns the body of a 2xx answer; other
// answers become a minio.ErrorResponse with RGW's code.
func (g *Gateway) s3Raw(ctx context.Context, key rgwadmin.Key, method, path string, query url.Values, body []byte) ([]byte, error) {
	scheme := "http"
	if g.secure {
		scheme = "https"
	}
	u := scheme + "://" + g.endpoint + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("rgw: %w", err)
	}
	sum := sha256.Sum256(body)
	if len(body) > 0 && method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	}
	req.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
	req = signer.SignV4(*req, key.AccessKey, key.SecretKey, "", "us-east-1")
	resp, err := (&http.Client{Transport: g.transport}).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 == 2 {
		return b, nil
	}
	var e minio.ErrorResponse
	_ = xml.Unmarshal(b, &e)
	if e.Code == "" {
		e.Code = strings.ReplaceAll(http.StatusText(resp.StatusCode), " ", "")
	}
	e.StatusCode = resp.StatusCode
	return nil, e
}
