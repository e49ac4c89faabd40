package minioadmin

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// s3Client returns a minio-go client for the shared server.
func s3Client(t *testing.T, accessKey, secretKey string) *minio.Client {
	t.Helper()
	mc, err := minio.New(srv.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(accessKey, secretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	return mc
}

// mustBucket creates a bucket with one 1000-byte object.
func mustBucket(t *testing.T) string {
	t.Helper()
	ctx := testCtx(t)
	mc := s3Client(t, srv.AccessKey, srv.SecretKey)
	bucket := unique("bkt")
	if err := mc.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := mc.PutObject(ctx, bucket, "obj", bytes.NewReader(make([]byte, 1000)), 1000, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		_ = mc.RemoveObject(ctx, bucket, "obj", minio.RemoveObjectOptions{})
		_ = mc.RemoveBucket(ctx, bucket)
	})
	return bucket
}

func TestDataUsageInfo(t *testing.T) {
	c := newClient(t)
	bucket := mustBucket(t)
	// The figures come from the background scanner; with
	// MINIO_SCANNER_SPEED=fastest it catches up in seconds, so poll.
	deadline := time.Now().Add(90 * time.Second)
	for {
		u, err := c.DataUsageInfo(testCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		if b, ok := u.BucketsUsage[bucket]; ok && b.ObjectsCount == 1 {
			// An unversioned bucket counts no versions.
			if b.Size != 1000 || b.VersionsCount != 0 || b.DeleteMarkersCount != 0 ||
				u.LastUpdate.IsZero() || u.BucketsCount == 0 || u.ObjectsTotalCount == 0 || u.ObjectsTotalSize < 1000 {
				t.Fatalf("usage = %+v, bucket %+v", u, b)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("scanner never reported bucket %s: %+v", bucket, u)
		}
		time.Sleep(time.Second)
	}
}
