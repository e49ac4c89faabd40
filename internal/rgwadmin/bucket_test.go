package rgwadmin

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
)

func TestBucketStats(t *testing.T) {
	c := newClient(t)
	ctx := testCtx(t)
	u := mustCreateUser(t, c, "")
	tenant, _, _ := strings.Cut(u.UID, "$")
	s3 := u.s3(t)
	full, empty := unique("full"), unique("empty")
	for _, b := range []string{full, empty} {
		if err := s3.MakeBucket(ctx, b, minio.MakeBucketOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for i, n := range []int{1000, 2345} {
		if err := put(ctx, s3, full, strings.Repeat("k", i+1), bytes.Repeat([]byte("s"), n)); err != nil {
			t.Fatal(err)
		}
	}

	stats, err := c.BucketStats(ctx, u.UID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]BucketStats{}
	for _, b := range stats {
		got[b.Bucket] = b
	}
	if len(stats) != 2 {
		t.Fatalf("BucketStats(%s) = %+v", u.UID, stats)
	}
	f, e := got[full], got[empty]
	if f.Size != 3345 || f.Objects != 2 || f.Owner != u.UID || f.Tenant != tenant || f.ID == "" ||
		time.Since(f.Created) > time.Hour || f.Quota.Enabled {
		t.Fatalf("full bucket = %+v", f)
	}
	if e.Size != 0 || e.Objects != 0 || e.Owner != u.UID {
		t.Fatalf("empty bucket = %+v", e)
	}

	// The figures follow a delete at once: they come from the bucket
	// index, not from a scanner.
	if err := s3.RemoveObject(ctx, full, "k", minio.RemoveObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	stats, err = c.BucketStats(ctx, u.UID)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range stats {
		if b.Bucket == full && (b.Size != 2345 || b.Objects != 1) {
			t.Fatalf("after delete: %+v", b)
		}
	}
}

// The admin reads a tenant's bucket policy and flags from the bucket's
// metadata, suspended owner or not, lists every bucket by name, and
// removes a bucket with its objects.
func TestBucketMetadataNamesAndRemoval(t *testing.T) {
	c := newClient(t)
	ctx := testCtx(t)
	u := mustCreateUser(t, c, "")
	tenant, _, _ := strings.Cut(u.UID, "$")
	s3 := u.s3(t)
	plain, locked := unique("plain"), unique("locked")
	if err := s3.MakeBucket(ctx, plain, minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s3.MakeBucket(ctx, locked, minio.MakeBucketOptions{ObjectLocking: true}); err != nil {
		t.Fatal(err)
	}
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::` + plain + `/*"]}]}`
	if err := s3.SetBucketPolicy(ctx, plain, policy); err != nil {
		t.Fatal(err)
	}
	if err := put(ctx, s3, plain, "obj", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := c.Suspend(ctx, u.UID); err != nil {
		t.Fatal(err)
	}
	stats, err := c.BucketStats(ctx, u.UID)
	if err != nil || len(stats) != 2 {
		t.Fatalf("BucketStats = %v, %v", stats, err)
	}
	for _, b := range stats {
		m, err := c.BucketMetadata(ctx, b.Tenant, b.Bucket, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		switch b.Bucket {
		case plain:
			if m.Policy != policy || m.ObjectLock() || m.Versioned() {
				t.Errorf("%s: %+v", b.Bucket, m)
			}
		case locked:
			// Object lock turns versioning on.
			if m.Policy != "" || !m.ObjectLock() || !m.Versioned() {
				t.Errorf("%s: %+v", b.Bucket, m)
			}
		}
	}
	if _, err := c.BucketMetadata(ctx, tenant, plain, "no-such-instance"); ErrorCodeOf(err) != CodeNoSuchKey {
		t.Fatalf("BucketMetadata of a missing instance: %v", err)
	}

	names, err := c.BucketNames(ctx)
	if err != nil || !slices.Contains(names, tenant+"/"+plain) || !slices.Contains(names, tenant+"/"+locked) {
		t.Fatalf("BucketNames = %v, %v", names, err)
	}
	if err := c.RemoveBucket(ctx, tenant+"/"+plain); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveBucket(ctx, tenant+"/"+plain); ErrorCodeOf(err) != CodeNoSuchBucket {
		t.Fatalf("RemoveBucket again: %v", err)
	}
	if names, err := c.BucketNames(ctx); err != nil || slices.Contains(names, tenant+"/"+plain) {
		t.Fatalf("BucketNames after RemoveBucket = %v, %v", names, err)
	}
	if stats, err := c.BucketStats(ctx, u.UID); err != nil || len(stats) != 1 || stats[0].Bucket != locked {
		t.Fatalf("the owner's buckets after RemoveBucket = %v, %v", stats, err)
	}
}
