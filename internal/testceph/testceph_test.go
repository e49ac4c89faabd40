package testceph

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// s3Client signs with the admin user's keys, which are ordinary S3 keys too.
func s3Client(t *testing.T, s *Server) *minio.Client {
	t.Helper()
	opts := &minio.Options{Creds: credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""), Secure: s.Secure}
	if s.Secure {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(s.CAPEM)
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig.RootCAs = pool
		opts.Transport = tr
	}
	c, err := minio.New(s.Endpoint, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func putGet(t *testing.T, c *minio.Client, bucket, key string, data []byte) {
	t.Helper()
	ctx := testCtx(t)
	if _, err := c.PutObject(ctx, bucket, key, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{}); err != nil {
		t.Fatalf("PUT %s/%s: %v", bucket, key, err)
	}
	getBack(t, c, bucket, key, data)
}

func getBack(t *testing.T, c *minio.Client, bucket, key string, want []byte) {
	t.Helper()
	o, err := c.GetObject(testCtx(t), bucket, key, minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	got, err := io.ReadAll(o)
	if err != nil {
		t.Fatalf("GET %s/%s: %v", bucket, key, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("GET %s/%s = %q, want %q", bucket, key, got, want)
	}
}

// The cluster serves S3; the gateway restarts on its port with the data
// still there, refuses connections while stopped, and Stop leaves no
// daemon behind.
func TestClusterServesS3AndRestartsGateway(t *testing.T) {
	s := Start(t, Options{})
	c := s3Client(t, s)
	ctx := testCtx(t)
	if err := c.MakeBucket(ctx, "harness", minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("MakeBucket: %v\n%s", err, s.Log())
	}
	putGet(t, c, "harness", "a.txt", []byte("hello ceph"))

	s.StopGateway()
	_, err := http.Get(s.URL() + "/")
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("gateway stopped, GET / = %v, want connection refused", err)
	}
	out, err := s.RadosgwAdmin(ctx, "bucket", "stats", "--bucket=harness")
	if err != nil || !strings.Contains(string(out), `"num_objects": 1`) {
		t.Fatalf("radosgw-admin with the gateway stopped: %s, %v", out, err)
	}
	if err := s.StartGateway(); err != nil {
		t.Fatal(err)
	}
	getBack(t, c, "harness", "a.txt", []byte("hello ceph"))
	if err := s.RestartGateway(); err != nil {
		t.Fatal(err)
	}
	putGet(t, c, "harness", "b.txt", []byte("after restart"))

	pids := s.PIDs()
	if len(pids) != 3 {
		t.Fatalf("PIDs = %v, want mon, osd and gateway", pids)
	}
	s.Stop()
	s.Stop() // twice is harmless
	for name, pid := range pids {
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err == nil {
			t.Errorf("%s (pid %d) still exists after Stop", name, pid)
		}
	}
}

func TestTLSGateway(t *testing.T) {
	s := Start(t, Options{TLS: true})
	if !strings.HasPrefix(s.URL(), "https://") || len(s.CAPEM) == 0 {
		t.Fatalf("URL %s, CA %d bytes", s.URL(), len(s.CAPEM))
	}
	c := s3Client(t, s)
	if err := c.MakeBucket(testCtx(t), "tls", minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	putGet(t, c, "tls", "x", []byte("over TLS"))
	// Without the CA the certificate is refused.
	_, err := http.Get(s.URL() + "/")
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Fatalf("GET without the CA: %v, want an unknown-authority error", err)
	}
}

// A machine without Ceph gets an error saying what to run, not a skip.
func TestMissingBinariesSayMakeDeps(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := Launch(t.TempDir(), Options{})
	if err == nil || !strings.Contains(err.Error(), "make deps") || !strings.Contains(err.Error(), "radosgw") {
		t.Fatalf("Launch without Ceph: %v", err)
	}
}

// BenchmarkLaunch measures bring-up (nothing to an admin user on a gateway
// answering S3) and the memory the daemons hold once it is done.
func BenchmarkLaunch(b *testing.B) {
	for b.Loop() {
		s, err := Launch(b.TempDir(), Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		var total int
		for name, pid := range s.PIDs() {
			kb := rssKiB(pid)
			total += kb
			b.ReportMetric(float64(kb)/1024, name+"-MiB")
		}
		b.ReportMetric(float64(total)/1024, "total-MiB")
		s.Stop()
		b.StartTimer()
	}
}

// rssKiB reads a process's resident set size from /proc.
func rssKiB(pid int) int {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	return 0
}
