package rgw

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/signer"

	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/rgwadmin"
	"github.com/puqminios3/puqminio/internal/testceph"
)

// srv is the one Ceph cluster the package's tests share; each test works
// in tenants of its own (random service ids), so they do not meet.
var srv *testceph.Server

func TestMain(m *testing.M) { testceph.Main(m, &srv) }

// newGateway returns a Gateway on the shared cluster with the admin keys.
func newGateway(t testing.TB) *Gateway {
	t.Helper()
	return gatewayAt(t, srv.Endpoint)
}

// gatewayAt returns a Gateway reaching the cluster's gateway at endpoint
// (a proxy in the fault tests).
func gatewayAt(t testing.TB, endpoint string) *Gateway {
	t.Helper()
	g, err := New(Config{Endpoint: endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// adminClient is an rgwadmin client of its own: what a test checks by
// another route than the code under test.
func adminClient(t testing.TB) *rgwadmin.Client {
	t.Helper()
	c, err := rgwadmin.New(rgwadmin.Config{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func unique(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// newAccount returns an account no other test uses: a random service id
// and a user name shaped like WHMCS's ("12-34").
func newAccount() Account {
	var b [4]byte
	_, _ = rand.Read(b[:])
	id := int64(binary.BigEndian.Uint32(b[:])>>1) + 1
	return Account{Service: id, User: fmt.Sprintf("%d-%d", id%1000, id)}
}

// secret returns a valid secret with characters that need escaping.
func secret() string { return "S3cr+t/=" + unique("") + unique("") }

// provisioned makes an account of a product that permits everything (no
// guards: RGW's own behaviour, which most tests measure) with a default
// bucket "data", and removes it when the test ends.
func provisioned(t *testing.T, g *Gateway, req ProvisionReq) (Account, Provisioned) {
	t.Helper()
	req.Allowed = Allowed{Public: true, ObjectLock: true}
	return provision(t, g, req)
}

// provision is provisioned with req.Allowed as given.
func provision(t *testing.T, g *Gateway, req ProvisionReq) (Account, Provisioned) {
	t.Helper()
	a := newAccount()
	if req.Secret == "" {
		req.Secret = secret()
	}
	if req.DefaultBucket == "" {
		req.DefaultBucket = "data"
	}
	p, err := g.Provision(testCtx(t), a, req)
	if err != nil {
		t.Fatalf("Provision %+v: %v", a, err)
	}
	t.Cleanup(func() { removeAccount(g, a) })
	return a, p
}

// removeAccount removes an account's user and buckets by another route
// than Terminate.
func removeAccount(g *Gateway, a Account) {
	c, err := rgwadmin.New(rgwadmin.Config{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey})
	if err == nil {
		_ = c.RemoveUser(context.Background(), g.naming.UID(a), rgwadmin.RemoveUserOptions{PurgeData: true})
	}
}

// mc is a minio-go client with the given keys (empty: anonymous).
func mc(t testing.TB, access, secret string) *minio.Client {
	t.Helper()
	creds := credentials.NewStaticV4(access, secret, "")
	if access == "" {
		creds = credentials.New(&credentials.Static{Value: credentials.Value{SignerType: credentials.SignatureAnonymous}})
	}
	c, err := minio.New(srv.Endpoint, &minio.Options{Creds: creds, BucketLookup: minio.BucketLookupPath, Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func s3Code(err error) string {
	if err == nil {
		return ""
	}
	if c := minio.ToErrorResponse(err).Code; c != "" {
		return c
	}
	return err.Error()
}

func putObject(ctx context.Context, c *minio.Client, bucket, key string, n int) error {
	_, err := c.PutObject(ctx, bucket, key, bytes.NewReader(bytes.Repeat([]byte("x"), n)), int64(n),
		minio.PutObjectOptions{DisableMultipart: true})
	return err
}

func getObject(ctx context.Context, c *minio.Client, bucket, key string) ([]byte, error) {
	o, err := c.GetObject(ctx, bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, err
	}
	defer o.Close()
	return io.ReadAll(o)
}

// anonymous sends an unsigned request, as anyone on the network can.
func anonymous(t *testing.T, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(testCtx(t), method, "http://"+srv.Endpoint+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, errorCode(b)
}

// signed sends a request signed with the keys, for what minio-go will not
// send or tell, and returns the status, the error code and the body's
// length.
func signed(t *testing.T, access, secretKey, method, path, body string) (int, string, int) {
	t.Helper()
	req, err := http.NewRequestWithContext(testCtx(t), method, "http://"+srv.Endpoint+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	req = signer.SignV4(*req, access, secretKey, "", "us-east-1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, errorCode(b), len(b)
}

// signedWith sends a bodiless request signed with the keys, with extra
// headers, and returns the status, error code and body length.
func signedWith(t *testing.T, access, secretKey, method, path string, header map[string]string) (int, string, int) {
	t.Helper()
	req, err := http.NewRequestWithContext(testCtx(t), method, "http://"+srv.Endpoint+path, http.NoBody)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	req = signer.SignV4(*req, access, secretKey, "", "us-east-1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, errorCode(b), len(b)
}

// errorCode is the S3 error code in an answer body, "" for none.
func errorCode(b []byte) string {
	s := string(b)
	i := strings.Index(s, "<Code>")
	if i < 0 {
		return ""
	}
	s = s[i+len("<Code>"):]
	return s[:strings.Index(s, "</Code>")]
}

// s3cmd is the tenant's own S3 client: s3cmd with the keys in a private
// config file, never on the command line.
type s3cmd struct {
	t   *testing.T
	cfg string
}

func newS3cmd(t *testing.T, access, secretKey string) *s3cmd {
	t.Helper()
	if access == "" || secretKey == "" {
		t.Fatal("s3cmd needs both keys: an empty one makes it look elsewhere")
	}
	cfg := filepath.Join(t.TempDir(), "s3cfg")
	body := fmt.Sprintf("[default]\nhost_base = %s\nhost_bucket = %s\nuse_https = False\nsignature_v2 = False\naccess_key = %s\nsecret_key = %s\n",
		srv.Endpoint, srv.Endpoint, access, secretKey)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return &s3cmd{t: t, cfg: cfg}
}

// run runs s3cmd and returns its output and whether it succeeded.
func (c *s3cmd) run(args ...string) (string, bool) {
	c.t.Helper()
	cmd := exec.Command("s3cmd", append([]string{"-c", c.cfg, "--no-progress"}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

func (c *s3cmd) must(args ...string) string {
	c.t.Helper()
	out, ok := c.run(args...)
	if !ok {
		c.t.Fatalf("s3cmd %s failed:\n%s", strings.Join(args, " "), out)
	}
	return out
}

// refused runs s3cmd and fails the test unless it is refused; it returns
// the output.
func (c *s3cmd) refused(args ...string) string {
	c.t.Helper()
	out, ok := c.run(args...)
	if ok {
		c.t.Fatalf("s3cmd %s succeeded but must be refused:\n%s", strings.Join(args, " "), out)
	}
	return out
}

// file writes n bytes to a temporary file and returns its path.
func file(t *testing.T, n int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), fmt.Sprintf("f%d", n))
	if err := os.WriteFile(p, bytes.Repeat([]byte("f"), n), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// code is the domain code of err ("" for nil).
func code(err error) string { return domain.ErrorCode(err) }

// keyOf returns the account's secret as RGW holds it (tests only).
func keyOf(t *testing.T, g *Gateway, a Account) string {
	t.Helper()
	u, err := adminClient(t).UserInfo(testCtx(t), g.naming.UID(a))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range u.Keys {
		if k.AccessKey == a.User {
			return k.SecretKey
		}
	}
	t.Fatalf("user %s has no key %s", u.UID, a.User)
	return ""
}
