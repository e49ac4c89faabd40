package rgwadmin

import (
	"bytes"
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
