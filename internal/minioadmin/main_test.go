package minioadmin

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/puqminios3/puqminio/internal/testminio"
)

// srv is the one MinIO server the package's tests share: starting one per
// test would cost seconds each. Tests use unique names so they do not meet.
var srv *testminio.Server

func TestMain(m *testing.M) { testminio.Main(m, &srv) }

// newClient returns a root client for the shared server.
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

// mustAddUser creates an enabled user and removes it when the test ends.
func mustAddUser(t *testing.T, c *Client) (user, secret string) {
	t.Helper()
	user, secret = unique("u"), unique("secret-")
	if err := c.AddUser(testCtx(t), user, secret, true); err != nil {
		t.Fatalf("AddUser: %v", err)
	}
	t.Cleanup(func() { _ = c.RemoveUser(context.Background(), user) })
	return user, secret
}

// mustAddPolicy creates a canned policy and removes it when the test ends.
func mustAddPolicy(t *testing.T, c *Client, bucket string) string {
	t.Helper()
	name := unique("pol")
	if err := c.AddCannedPolicy(testCtx(t), name, policyDoc(bucket)); err != nil {
		t.Fatalf("AddCannedPolicy: %v", err)
	}
	t.Cleanup(func() { _ = c.RemoveCannedPolicy(context.Background(), name) })
	return name
}

func policyDoc(bucket string) []byte {
	return fmt.Appendf(nil, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",`+
		`"Action":["s3:GetObject","s3:PutObject"],"Resource":["arn:aws:s3:::%s/*"]}]}`, bucket)
}
