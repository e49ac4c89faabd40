package s3

import (
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/lifecycle"

	"github.com/puqminios3/puqminio/internal/domain"
)

// The bucket settings of the client area, read back as MinIO keeps them:
// versioning on and suspended, expiry rules next to a tenant's own rule
// (kept), object lock made at creation, a bucket emptied of every version.
func TestBucketSettings(t *testing.T) {
	c, cx := newClient(t), ctx(t)
	const b, lb = "settings-a", "settings-lock"
	for _, name := range []string{b, lb} {
		if err := c.CreateBucket(cx, name, name == lb); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _, _ = c.Purge(cx, name) })
	}
	if err := c.CreateBucket(cx, b, false); domain.ErrorCode(err) != domain.ECONFLICT || domain.ErrorRefusal(err) != domain.RefuseTaken {
		t.Fatalf("a bucket made twice: %v", err)
	}
	if lock, err := c.ObjectLock(cx, lb); err != nil || !lock {
		t.Fatalf("object lock of %s: %t %v", lb, lock, err)
	}
	if lock, err := c.ObjectLock(cx, b); err != nil || lock {
		t.Fatalf("object lock of %s: %t %v", b, lock, err)
	}
	if v, err := c.Versioning(cx, b); err != nil || v != domain.VersioningOff {
		t.Fatalf("new bucket's versioning %q %v", v, err)
	}
	for _, on := range []bool{true, false} {
		if err := c.SetVersioning(cx, b, on); err != nil {
			t.Fatal(err)
		}
		want := map[bool]string{true: domain.VersioningEnabled, false: domain.VersioningSuspended}[on]
		if v, err := c.Versioning(cx, b); err != nil || v != want {
			t.Fatalf("versioning %q %v, want %q", v, err, want)
		}
	}

	// A rule the tenant set itself stays.
	own := lifecycle.NewConfiguration()
	own.Rules = []lifecycle.Rule{{ID: "tenant-logs", Status: "Enabled", RuleFilter: lifecycle.Filter{Prefix: "logs/"},
		Expiration: lifecycle.Expiration{Days: 7}}}
	if err := c.mc.SetBucketLifecycle(cx, b, own); err != nil {
		t.Fatal(err)
	}
	for _, want := range []domain.Lifecycle{{ExpireDays: 30, NoncurrentDays: 3}, {NoncurrentDays: 10}, {}} {
		if err := c.SetLifecycle(cx, b, want); err != nil {
			t.Fatalf("%+v: %v", want, err)
		}
		got, others, err := c.Lifecycle(cx, b)
		if err != nil || got != want || others != 1 {
			t.Fatalf("lifecycle %+v (%d others) %v, want %+v and the tenant's rule", got, others, err, want)
		}
	}

	if empty, err := c.BucketEmpty(cx, b); err != nil || !empty {
		t.Fatalf("empty bucket: %t %v", empty, err)
	}
	put(t, c, b, "a.txt", 3)
	if err := c.mc.RemoveObject(cx, b, "a.txt", minio.RemoveObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	// Versioning is suspended: the delete left a marker over the version.
	if empty, err := c.BucketEmpty(cx, b); err != nil || empty {
		t.Fatalf("a bucket holding a version and a delete marker: empty=%t %v", empty, err)
	}
	if empty, err := c.BucketEmpty(cx, "settings-gone"); err != nil || !empty {
		t.Fatalf("a bucket that is gone: %t %v", empty, err)
	}
}
