package s3

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/testminio"
)

// srv is the real MinIO server the package's tests share.
var srv *testminio.Server

func TestMain(m *testing.M) { testminio.Main(m, &srv) }

func newClient(t *testing.T) *Client {
	t.Helper()
	c, err := New(Config{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

func put(t *testing.T, c *Client, bucket, key string, size int) string {
	t.Helper()
	info, err := c.mc.PutObject(ctx(t), bucket, key, bytes.NewReader(make([]byte, size)), int64(size), minio.PutObjectOptions{})
	if err != nil {
		t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
	return info.VersionID
}

func names(bs []domain.Bucket) []string {
	var out []string
	for _, b := range bs {
		out = append(out, b.Name)
	}
	return out
}

// A tenant's buckets are its own name and names that start with "<name>-";
// neighbours whose names merely share a prefix are not its buckets.
func TestBucketsOfKeepsNeighboursApart(t *testing.T) {
	c := newClient(t)
	for _, b := range []string{"bo1", "bo1-a", "bo1-b-c", "bo10", "bo1x", "xbo1", "bo2-bo1"} {
		if err := c.MakeBucket(ctx(t), b); err != nil {
			t.Fatal(err)
		}
	}
	got, err := c.BucketsOf(ctx(t), "bo1")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"bo1", "bo1-a", "bo1-b-c"}; strings.Join(names(got), ",") != strings.Join(want, ",") {
		t.Fatalf("BucketsOf(bo1) = %v, want %v", names(got), want)
	}
	got, err = c.BucketsOf(ctx(t), "bo10")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Name != "bo10" {
		t.Fatalf("BucketsOf(bo10) = %v", names(got))
	}
	all, err := c.ListBuckets(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if !sort.SliceIsSorted(all, func(i, j int) bool { return all[i].Name < all[j].Name }) {
		t.Fatalf("ListBuckets is not sorted: %v", names(all))
	}
}

// Creating a bucket that exists and is ours is not an error; a name S3
// refuses is an error that names the bucket.
func TestMakeBucketTwiceAndBadName(t *testing.T) {
	c := newClient(t)
	for i := 0; i < 2; i++ {
		if err := c.MakeBucket(ctx(t), "mk-twice"); err != nil {
			t.Fatalf("make #%d: %v", i+1, err)
		}
	}
	err := c.MakeBucket(ctx(t), "Bad_Name")
	if err == nil {
		t.Fatal("a bucket name with capitals and an underscore was accepted")
	}
	if domain.IsRetryable(err) || !strings.Contains(domain.ErrorMessage(err), "Bad_Name") {
		t.Fatalf("bad name: got %v (retryable %v)", err, domain.IsRetryable(err))
	}
}

// Measure counts every version's bytes (MinIO keeps them on disk), current
// objects only once, and delete markers as versions without bytes.
func TestMeasureCountsVersions(t *testing.T) {
	c := newClient(t)
	const b = "measure-v"
	if err := c.MakeBucket(ctx(t), b); err != nil {
		t.Fatal(err)
	}
	if err := c.mc.EnableVersioning(ctx(t), b); err != nil {
		t.Fatal(err)
	}
	put(t, c, b, "a", 1000)
	put(t, c, b, "a", 3000) // a second version of a
	put(t, c, b, "dir/b", 500)
	put(t, c, b, "gone", 700)
	if err := c.mc.RemoveObject(ctx(t), b, "gone", minio.RemoveObjectOptions{}); err != nil { // a delete marker
		t.Fatal(err)
	}
	m := domain.Bucket{Name: b, Bytes: 99, Objects: 99, Versions: 99}
	if err := c.Measure(ctx(t), &m); err != nil {
		t.Fatal(err)
	}
	if m.Bytes != 1000+3000+500+700 || m.Objects != 2 || m.Versions != 5 {
		t.Fatalf("Measure = %d bytes, %d objects, %d versions; want 5200, 2, 5", m.Bytes, m.Objects, m.Versions)
	}
	missing := domain.Bucket{Name: "measure-none"}
	err := c.Measure(ctx(t), &missing)
	if err == nil || !strings.Contains(domain.ErrorMessage(err), "measure-none") {
		t.Fatalf("measuring a missing bucket: %v", err)
	}
}

// Purge removes every version and delete marker, then the bucket; a second
// purge of the same bucket is a no-op.
func TestPurgeVersionedBucketTwice(t *testing.T) {
	c := newClient(t)
	const b = "purge-v"
	if err := c.MakeBucket(ctx(t), b); err != nil {
		t.Fatal(err)
	}
	if err := c.mc.EnableVersioning(ctx(t), b); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 30; i++ {
		put(t, c, b, fmt.Sprintf("k%02d", i%10), 10) // 10 keys, 3 versions each
	}
	if err := c.mc.RemoveObject(ctx(t), b, "k00", minio.RemoveObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	n, err := c.Purge(ctx(t), b)
	if err != nil {
		t.Fatal(err)
	}
	if n != 31 {
		t.Fatalf("Purge removed %d versions, want 31 (30 versions and 1 delete marker)", n)
	}
	if ok, err := c.mc.BucketExists(ctx(t), b); err != nil || ok {
		t.Fatalf("bucket still exists after purge (exists=%v, err=%v)", ok, err)
	}
	if n, err := c.Purge(ctx(t), b); err != nil || n != 0 {
		t.Fatalf("second purge = %d, %v; want 0, nil", n, err)
	}
}

// Retention and legal holds are found before anything is deleted, and a
// purge that meets them reports the retention error and leaves the bucket.
func TestFindLockedAndPurgeRefused(t *testing.T) {
	c := newClient(t)
	const b = "locked-b"
	if err := c.mc.MakeBucket(ctx(t), b, minio.MakeBucketOptions{ObjectLocking: true}); err != nil {
		t.Fatal(err)
	}
	const plain = "plain-b"
	if err := c.MakeBucket(ctx(t), plain); err != nil {
		t.Fatal(err)
	}
	put(t, c, plain, "x", 1)
	now := time.Now()
	until := now.Add(time.Hour)
	mode := minio.Governance
	if _, err := c.mc.PutObject(ctx(t), b, "kept", bytes.NewReader([]byte("x")), 1,
		minio.PutObjectOptions{Mode: mode, RetainUntilDate: until}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.mc.PutObject(ctx(t), b, "held", bytes.NewReader([]byte("x")), 1,
		minio.PutObjectOptions{LegalHold: minio.LegalHoldEnabled}); err != nil {
		t.Fatal(err)
	}
	put(t, c, b, "free", 1)

	got, err := c.FindLocked(ctx(t), []string{plain, b}, now, 10)
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for _, o := range got {
		reasons = append(reasons, o.Key+": "+o.Reason)
	}
	sort.Strings(reasons)
	if len(reasons) != 2 || !strings.HasPrefix(reasons[0], "held: legal hold") || !strings.HasPrefix(reasons[1], "kept: GOVERNANCE retention until") {
		t.Fatalf("FindLocked = %v", reasons)
	}
	if got, err := c.FindLocked(ctx(t), []string{b}, now, 1); err != nil || len(got) != 1 {
		t.Fatalf("FindLocked with limit 1 = %v, %v", got, err)
	}
	// Once retention has passed (as seen from a later "now"), only the hold is left.
	if got, err := c.FindLocked(ctx(t), []string{b}, until.Add(time.Minute), 10); err != nil || len(got) != 1 || got[0].Key != "held" {
		t.Fatalf("FindLocked after the retention date = %v, %v", got, err)
	}

	_, err = c.Purge(ctx(t), b)
	if domain.ErrorCode(err) != domain.ERETENTION {
		t.Fatalf("purging a locked bucket: %v, want %s", err, domain.ERETENTION)
	}
	if ok, err := c.mc.BucketExists(ctx(t), b); err != nil || !ok {
		t.Fatalf("the locked bucket was removed (exists=%v, err=%v)", ok, err)
	}
}

// Errors say what was being done and whether a retry can help.
func TestTranslate(t *testing.T) {
	// A deadline that has passed.
	c := newClient(t)
	dead, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	time.Sleep(time.Millisecond)
	_, err := c.ListBuckets(dead)
	if domain.ErrorCode(err) != domain.ETIMEOUT || !domain.IsRetryable(err) || !strings.Contains(domain.ErrorMessage(err), "list buckets") {
		t.Fatalf("deadline: %v (retryable %v)", err, domain.IsRetryable(err))
	}

	// Nobody listening.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	closed, err := New(Config{Endpoint: addr, AccessKey: "a", SecretKey: "b"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = closed.ListBuckets(ctx(t))
	if domain.ErrorCode(err) != domain.EUNAVAILABLE || !domain.IsRetryable(err) {
		t.Fatalf("closed port: %v (retryable %v)", err, domain.IsRetryable(err))
	}

	// Wrong credentials: no retry helps, and the secret is not repeated.
	wrong, err := New(Config{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: "not-the-secret-4711"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = wrong.ListBuckets(ctx(t))
	if domain.ErrorCode(err) != domain.EUNAUTHORIZED || domain.IsRetryable(err) || strings.Contains(err.Error(), "4711") {
		t.Fatalf("wrong secret: %v (retryable %v)", err, domain.IsRetryable(err))
	}

	// TLS to a server whose CA we do not trust.
	tlsSrv := testminio.Start(t, testminio.Options{TLS: true})
	untrusted, err := New(Config{Endpoint: tlsSrv.Endpoint, Secure: true, AccessKey: tlsSrv.AccessKey, SecretKey: tlsSrv.SecretKey, RootCAs: x509.NewCertPool()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = untrusted.ListBuckets(ctx(t))
	if domain.ErrorCode(err) != domain.ETLS || domain.IsRetryable(err) {
		t.Fatalf("untrusted TLS: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(tlsSrv.CAPEM)
	trusted, err := New(Config{Endpoint: tlsSrv.Endpoint, Secure: true, AccessKey: tlsSrv.AccessKey, SecretKey: tlsSrv.SecretKey, RootCAs: pool})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := trusted.ListBuckets(ctx(t)); err != nil {
		t.Fatalf("with the server's CA: %v", err)
	}

	// A domain error passes through unchanged; nil stays nil.
	de := domain.Errorf(domain.ECONFLICT, "x")
	if got := Translate(fmt.Errorf("wrapped: %w", de), "y"); !errors.As(got, &de) || de.Code != domain.ECONFLICT {
		t.Fatalf("domain error changed: %v", got)
	}
	if Translate(nil, "z") != nil {
		t.Fatal("Translate(nil) is not nil")
	}
}
