package rgwadmin

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/puqminios3/puqminio/internal/testceph"
)

// srv is the one Ceph cluster the package's tests share: starting one per
// test would cost more than a second each. Tests use unique names so they
// do not meet.
var srv *testceph.Server

func TestMain(m *testing.M) { testceph.Main(m, &srv) }

// newClient returns a client signing with the cluster's admin user.
func newClient(t testing.TB) *Client {
	t.Helper()
	c, err := New(Config{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// testCtx bounds each test's calls so a hang fails instead of stalling.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// unique returns prefix plus random hex, a name no other test uses.
func unique(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// testUser is a user created for one test, with its S3 key.
type testUser struct {
	UID, AccessKey, SecretKey string
}

// mustCreateUser creates a user in a fresh tenant (or the given one) and
// removes it with its data when the test ends.
func mustCreateUser(t testing.TB, c *Client, tenant string) testUser {
	t.Helper()
	if tenant == "" {
		tenant = unique("t")
	}
	u := testUser{UID: tenant + "$" + unique("u"), AccessKey: unique("AK"), SecretKey: unique("secret-")}
	if _, err := c.CreateUser(testCtx(t), CreateUserReq{UID: u.UID, DisplayName: "test user",
		AccessKey: u.AccessKey, SecretKey: u.SecretKey, MaxBuckets: 10}); err != nil {
		t.Fatalf("CreateUser %s: %v", u.UID, err)
	}
	t.Cleanup(func() { _ = c.RemoveUser(context.Background(), u.UID, RemoveUserOptions{PurgeData: true}) })
	return u
}

// s3For is a minio-go client with the user's keys: the S3 side of RGW,
// independent of the code under test.
func s3For(t testing.TB, accessKey, secretKey string) *minio.Client {
	t.Helper()
	s3, err := minio.New(srv.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(accessKey, secretKey, ""),
		BucketLookup: minio.BucketLookupPath})
	if err != nil {
		t.Fatal(err)
	}
	return s3
}

func (u testUser) s3(t testing.TB) *minio.Client { return s3For(t, u.AccessKey, u.SecretKey) }

// put uploads data to bucket/key.
func put(ctx context.Context, s3 *minio.Client, bucket, key string, data []byte) error {
	_, err := s3.PutObject(ctx, bucket, key, bytes.NewReader(data), int64(len(data)),
		minio.PutObjectOptions{DisableMultipart: true})
	return err
}

// get downloads bucket/key.
func get(ctx context.Context, s3 *minio.Client, bucket, key string) ([]byte, error) {
	o, err := s3.GetObject(ctx, bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, err
	}
	defer o.Close()
	return io.ReadAll(o)
}

// s3Code is the S3 error code minio-go reports, or "" for success.
func s3Code(err error) string {
	if err == nil {
		return ""
	}
	return minio.ToErrorResponse(err).Code
}

// asError is errors.As for *Error, kept short for table tests.
func asError(err error, e **Error) bool {
	return errors.As(err, e)
}
