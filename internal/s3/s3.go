// Package s3 does the bucket and object work of the account lifecycle through
// minio-go, with the admin credentials: finding a tenant's buckets, creating
// the default bucket, measuring buckets exactly, and emptying and removing
// buckets on terminate. It translates minio-go's errors into domain errors.
package s3

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/puqminios3/puqminio/internal/domain"
)

// Config says how to reach the S3 API.
type Config struct {
	Endpoint  string // host:port
	Secure    bool
	AccessKey string
	SecretKey string
	Region    string
	RootCAs   *x509.CertPool // nil: the system pool
}

// Client wraps a minio-go client.
type Client struct {
	mc   *minio.Client
	core minio.Core // the same client, for the multipart calls
	cfg  Config
	tr   http.RoundTripper
}

// New returns a Client. It makes no request.
func New(cfg Config) (*Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12}
	tr.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	mc, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:     credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:    cfg.Secure,
		Region:    cfg.Region,
		Transport: tr,
	})
	if err != nil {
		return nil, domain.Errorf(domain.EINVALID, "server.endpoint: %s", domain.Printable(err.Error()))
	}
	return &Client{mc: mc, core: minio.Core{Client: mc}, cfg: cfg, tr: tr}, nil
}

// CredentialsWork reports whether accessKey and secretKey sign requests
// the server accepts: false when it refuses the key or the signature (a
// wrong secret, a disabled or unknown user). A refusal of the request
// itself (AccessDenied, as a limited policy may answer) comes after the
// signature was accepted, so the credentials work.
func (c *Client) CredentialsWork(ctx context.Context, accessKey, secretKey string) (bool, error) {
	mc, err := minio.New(c.cfg.Endpoint, &minio.Options{
		Creds:     credentials.NewStaticV4(accessKey, secretKey, ""),
		Secure:    c.cfg.Secure,
		Region:    c.cfg.Region,
		Transport: c.tr,
	})
	if err != nil {
		return false, domain.Errorf(domain.EINVALID, "server.endpoint: %s", domain.Printable(err.Error()))
	}
	// One bucket, by name: listing them makes MinIO weigh the key's
	// policy against every bucket on the server (over a second at 30,000).
	// The bucket named after the key is in its own namespace.
	_, err = mc.GetBucketLocation(ctx, accessKey)
	switch minio.ToErrorResponse(err).Code {
	case "":
		if err != nil {
			return false, Translate(err, "check the credentials of "+accessKey)
		}
		return true, nil
	case "AccessDenied", "NoSuchBucket":
		return true, nil
	case "InvalidAccessKeyId", "SignatureDoesNotMatch", "XMinioInvalidIAMCredentials":
		return false, nil
	}
	return false, Translate(err, "check the credentials of "+accessKey)
}

// BucketPolicy returns the bucket's policy as MinIO stores it, "" when it
// has none.
func (c *Client) BucketPolicy(ctx context.Context, bucket string) (string, error) {
	p, err := c.mc.GetBucketPolicy(ctx, bucket)
	if minio.ToErrorResponse(err).Code == "NoSuchBucket" {
		return "", nil
	}
	return p, Translate(err, "read the policy of bucket "+bucket)
}

// SetBucketPolicy writes the bucket's policy; "" removes it. Removing a
// policy that is not there, or from a bucket that is gone, is fine.
func (c *Client) SetBucketPolicy(ctx context.Context, bucket, policy string) error {
	err := c.mc.SetBucketPolicy(ctx, bucket, policy)
	if policy == "" && minio.ToErrorResponse(err).Code == "NoSuchBucket" {
		return nil
	}
	doing := "write the policy of bucket " + bucket
	if policy == "" {
		doing = "remove the policy of bucket " + bucket
	}
	return Translate(err, doing)
}

// upload is a multipart upload in progress and the bytes its parts hold.
type upload struct {
	key, id string
	bytes   int64
}

// uploads returns the bucket's multipart uploads in progress with the size
// of their parts: one listing per bucket, and one per 1,000 parts of each
// upload. MinIO lists only the uploads started on the node that answers
// since it last started; the others end at its stale-upload expiry (24
// hours by default).
func (c *Client) uploads(ctx context.Context, bucket string) ([]upload, error) {
	var out []upload
	for u := range c.mc.ListIncompleteUploads(ctx, bucket, "", true) {
		if u.Err != nil {
			if minio.ToErrorResponse(u.Err).Code == "NoSuchBucket" {
				return nil, nil
			}
			return nil, Translate(u.Err, "list the uploads in progress in "+bucket)
		}
		up := upload{key: u.Key, id: u.UploadID}
		for marker := 0; ; {
			parts, err := c.core.ListObjectParts(ctx, bucket, u.Key, u.UploadID, marker, 1000)
			if err != nil {
				if minio.ToErrorResponse(err).Code == "NoSuchUpload" {
					break // completed or aborted meanwhile
				}
				return nil, Translate(err, "list the parts of an upload in "+bucket)
			}
			for _, p := range parts.ObjectParts {
				up.bytes += p.Size
			}
			if !parts.IsTruncated {
				break
			}
			marker = parts.NextPartNumberMarker
		}
		out = append(out, up)
	}
	return out, nil
}

// ListBuckets returns every bucket on the server, sorted by name.
func (c *Client) ListBuckets(ctx context.Context) ([]domain.Bucket, error) {
	return c.bucketsWhere(ctx, func(string) bool { return true })
}

// BucketsOf returns the buckets in user's namespace.
func (c *Client) BucketsOf(ctx context.Context, user string) ([]domain.Bucket, error) {
	return c.bucketsWhere(ctx, func(b string) bool { return domain.OwnsBucket(user, b) })
}

func (c *Client) bucketsWhere(ctx context.Context, keep func(string) bool) ([]domain.Bucket, error) {
	names, err := c.bucketNames(ctx, keep)
	if err != nil {
		return nil, err
	}
	out := make([]domain.Bucket, len(names))
	for i, n := range names {
		out[i] = domain.Bucket{Name: n}
	}
	return out, nil
}

// BucketExists asks the server about one bucket by name.
func (c *Client) BucketExists(ctx context.Context, name string) (bool, error) {
	ok, err := c.mc.BucketExists(ctx, name)
	if err != nil {
		return false, Translate(err, "look up bucket "+name)
	}
	return ok, nil
}

// MakeBucket creates a bucket; one that already exists and is ours is fine.
func (c *Client) MakeBucket(ctx context.Context, name string) error {
	err := c.mc.MakeBucket(ctx, name, minio.MakeBucketOptions{})
	if err == nil {
		return nil
	}
	switch minio.ToErrorResponse(err).Code {
	case "BucketAlreadyOwnedByYou", "BucketAlreadyExists":
		return nil
	}
	return Translate(err, "create bucket "+name)
}

// Measure lists every version in the bucket and adds them up, with the
// parts of uploads in progress: they take space as soon as they are sent,
// though no listing of objects shows them. Exact, and one request per 1000
// versions.
func (c *Client) Measure(ctx context.Context, b *domain.Bucket) error {
	b.Bytes, b.Objects, b.Versions = 0, 0, 0
	ups, err := c.uploads(ctx, b.Name)
	if err != nil {
		return err
	}
	for _, u := range ups {
		b.Bytes += u.bytes
	}
	for o := range c.mc.ListObjects(ctx, b.Name, minio.ListObjectsOptions{Recursive: true, WithVersions: true}) {
		if o.Err != nil {
			return Translate(o.Err, "list objects of "+b.Name)
		}
		b.Versions++
		if o.IsDeleteMarker {
			continue
		}
		b.Bytes += o.Size
		if o.IsLatest {
			b.Objects++
		}
	}
	return nil
}

// FindLocked returns the object versions in buckets that cannot be deleted
// now because of retention or a legal hold, at most limit of them. Buckets
// without object lock are skipped after one request.
func (c *Client) FindLocked(ctx context.Context, buckets []string, now time.Time, limit int) ([]domain.LockedObject, error) {
	var out []domain.LockedObject
	for _, b := range buckets {
		enabled, _, _, _, err := c.mc.GetObjectLockConfig(ctx, b)
		if err != nil {
			code := minio.ToErrorResponse(err).Code
			if code == "ObjectLockConfigurationNotFoundError" || code == "NoSuchObjectLockConfiguration" {
				continue
			}
			return nil, Translate(err, "read object lock of "+b)
		}
		if enabled != "Enabled" {
			continue
		}
		for o := range c.mc.ListObjects(ctx, b, minio.ListObjectsOptions{Recursive: true, WithVersions: true}) {
			if o.Err != nil {
				return nil, Translate(o.Err, "list objects of "+b)
			}
			if o.IsDeleteMarker {
				continue
			}
			mode, until, err := c.mc.GetObjectRetention(ctx, b, o.Key, o.VersionID)
			if err == nil && mode != nil && until != nil && until.After(now) {
				out = append(out, domain.LockedObject{Bucket: b, Key: o.Key, VersionID: o.VersionID, Reason: fmt.Sprintf("%s retention until %s", *mode, until.UTC().Format(time.RFC3339))})
			}
			hold, err := c.mc.GetObjectLegalHold(ctx, b, o.Key, minio.GetObjectLegalHoldOptions{VersionID: o.VersionID})
			if err == nil && hold != nil && *hold == minio.LegalHoldEnabled {
				out = append(out, domain.LockedObject{Bucket: b, Key: o.Key, VersionID: o.VersionID, Reason: "legal hold"})
			}
			if len(out) >= limit {
				return out, nil
			}
		}
	}
	return out, nil
}

// Purge aborts the bucket's uploads in progress (they would outlive the
// bucket and come back with a new bucket of the same name), removes every
// object version and delete marker, then the bucket, and returns how many
// versions it removed. A bucket already gone counts as purged. Versions
// under retention or legal hold stay, and the error says so (ERETENTION)
// after everything else is gone.
func (c *Client) Purge(ctx context.Context, bucket string) (int64, error) {
	ups, err := c.uploads(ctx, bucket)
	if err != nil {
		return 0, err
	}
	for _, u := range ups {
		if err := c.core.AbortMultipartUpload(ctx, bucket, u.key, u.id); err != nil && minio.ToErrorResponse(err).Code != "NoSuchUpload" {
			return 0, Translate(err, "abort an upload in progress in "+bucket)
		}
	}
	var n int64
	ch := make(chan minio.ObjectInfo)
	listErr := make(chan error, 1)
	go func() {
		defer close(ch)
		for o := range c.mc.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true, WithVersions: true}) {
			if o.Err != nil {
				listErr <- o.Err
				return
			}
			select {
			case ch <- o:
				n++
			case <-ctx.Done():
				return
			}
		}
	}()
	var firstErr error
	for e := range c.mc.RemoveObjects(ctx, bucket, ch, minio.RemoveObjectsOptions{}) {
		if firstErr == nil && e.Err != nil {
			firstErr = e.Err
		}
	}
	select {
	case err := <-listErr:
		if minio.ToErrorResponse(err).Code == "NoSuchBucket" {
			return 0, nil
		}
		return n, Translate(err, "list objects of "+bucket)
	default:
	}
	if firstErr != nil {
		return n, Translate(firstErr, "delete objects in "+bucket)
	}
	if err := c.mc.RemoveBucket(ctx, bucket); err != nil && minio.ToErrorResponse(err).Code != "NoSuchBucket" {
		return n, Translate(err, "remove bucket "+bucket)
	}
	return n, nil
}

// Translate turns a minio-go or network error into a domain error that says
// what was being done.
func Translate(err error, doing string) error {
	if err == nil {
		return nil
	}
	if de, ok := domain.FromTransport(err, doing); ok {
		return de
	}
	r := minio.ToErrorResponse(err)
	if r.Code == "" && r.StatusCode == 0 && isNameError(err) {
		// minio-go checks names before sending anything; no retry helps.
		return domain.Errorf(domain.EINVALIDNAME, "%s: %s", doing, domain.Printable(err.Error()))
	}
	if r.Code == "InvalidRequest" && strings.Contains(r.Message, "WORM") {
		// Multi-object delete reports retention this way.
		return domain.Errorf(domain.ERETENTION, "%s: objects are under retention or legal hold", doing)
	}
	switch r.Code {
	case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch":
		return domain.Errorf(domain.EUNAUTHORIZED, "%s: MinIO refused the admin credentials (%s)", doing, r.Code)
	case "XMinioServerNotInitialized", "SlowDown", "ServiceUnavailable", "XMinioServerNotReady":
		return domain.Retryf(domain.EUNAVAILABLE, "%s: MinIO is not ready (%s); retrying is safe", doing, r.Code)
	case "InvalidBucketName", "XMinioInvalidObjectName":
		return domain.Errorf(domain.EINVALIDNAME, "%s: %s", doing, domain.Printable(r.Message))
	case "ObjectLocked", "AccessDeniedObjectLocked":
		return domain.Errorf(domain.ERETENTION, "%s: objects are under retention or legal hold", doing)
	case "":
		return domain.Retryf(domain.EUNAVAILABLE, "%s: %s; retrying is safe", doing, domain.Printable(err.Error()))
	}
	return domain.Errorf(domain.EREMOTE, "%s: MinIO answered %s: %s", doing, r.Code, domain.Printable(r.Message))
}

// isNameError reports whether err is minio-go's own check of a bucket or
// object name, made before any request.
func isNameError(err error) bool {
	m := err.Error()
	return strings.HasPrefix(m, "Bucket name ") || strings.HasPrefix(m, "Object name ")
}
