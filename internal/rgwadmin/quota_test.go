package rgwadmin

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/minio/minio-go/v7"
)

func TestUserQuotaRefusesPutPastMaxSize(t *testing.T) {
	c := newClient(t)
	ctx := testCtx(t)
	u := mustCreateUser(t, c, "")
	q := Quota{Enabled: true, MaxSize: 1 << 20, MaxObjects: NoLimit}
	for range 2 { // setting it twice is the same as once
		if err := c.SetUserQuota(ctx, u.UID, q); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := c.UserQuota(ctx, u.UID); err != nil || got != q {
		t.Fatalf("UserQuota = %+v, %v, want %+v", got, err, q)
	}
	if info, err := c.UserInfo(ctx, u.UID); err != nil || info.UserQuota != q {
		t.Fatalf("UserInfo quota = %+v, %v", info.UserQuota, err)
	}

	s3 := u.s3(t)
	bucket := unique("q")
	if err := s3.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	part := bytes.Repeat([]byte("q"), 600<<10)
	if err := put(ctx, s3, bucket, "first", part); err != nil {
		t.Fatalf("first 600 KiB under a 1 MiB quota: %v", err)
	}
	err := put(ctx, s3, bucket, "second", part)
	if s3Code(err) != "QuotaExceeded" || minio.ToErrorResponse(err).StatusCode != 403 {
		t.Fatalf("PUT past the quota: %v", err)
	}

	// Disabled, the same PUT passes; the limit stays stored.
	q.Enabled = false
	if err := c.SetUserQuota(ctx, u.UID, q); err != nil {
		t.Fatal(err)
	}
	if err := put(ctx, s3, bucket, "second", part); err != nil {
		t.Fatalf("PUT with the quota disabled: %v", err)
	}
	if got, err := c.UserQuota(ctx, u.UID); err != nil || got != q {
		t.Fatalf("UserQuota = %+v, %v, want %+v", got, err, q)
	}
}

// Any negative limit is stored as RGW's one "no limit" value, and each
// call sets every field, whatever was set before.
func TestUserQuotaNoLimit(t *testing.T) {
	c := newClient(t)
	ctx := testCtx(t)
	u := mustCreateUser(t, c, "")
	if err := c.SetUserQuota(ctx, u.UID, Quota{Enabled: true, MaxSize: 5 << 20, MaxObjects: 7}); err != nil {
		t.Fatal(err)
	}
	if err := c.SetUserQuota(ctx, u.UID, Quota{Enabled: true, MaxSize: -5, MaxObjects: -1}); err != nil {
		t.Fatal(err)
	}
	want := Quota{Enabled: true, MaxSize: NoLimit, MaxObjects: NoLimit}
	if got, err := c.UserQuota(ctx, u.UID); err != nil || got != want {
		t.Fatalf("UserQuota = %+v, %v, want %+v", got, err, want)
	}
}

// UserStatsSync sums the user's buckets.
func TestUserStatsSync(t *testing.T) {
	c := newClient(t)
	ctx := testCtx(t)
	u := mustCreateUser(t, c, "")
	s3 := u.s3(t)
	for i, n := range []int{1000, 2345} {
		b := unique("s")
		if err := s3.MakeBucket(ctx, b, minio.MakeBucketOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := put(ctx, s3, b, fmt.Sprint(i), bytes.Repeat([]byte("s"), n)); err != nil {
			t.Fatal(err)
		}
	}
	if st, err := c.UserStatsSync(ctx, u.UID); err != nil || st != (UserStats{Size: 3345, Objects: 2}) {
		t.Fatalf("UserStatsSync = %+v, %v", st, err)
	}
	if _, err := c.UserStatsSync(ctx, unique("t")+"$ghost"); ErrorCodeOf(err) != CodeNoSuchUser {
		t.Fatalf("UserStatsSync of a missing uid: %v", err)
	}
}
