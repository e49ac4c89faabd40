package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/puqminios3/puqminio/internal/account"
	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/minioadmin"
	"github.com/puqminios3/puqminio/internal/minioaudit"
	"github.com/puqminios3/puqminio/internal/s3"
	"github.com/puqminios3/puqminio/internal/sqlite"
	"github.com/puqminios3/puqminio/internal/testminio"
)

const trafficTestToken = "traffic-test-token-0123456789abcdef0123"

func TestTrafficServeRefusesBadSettings(t *testing.T) {
	db := filepath.Join(t.TempDir(), "u.db")
	good := map[string]string{"PUQMINIO_TRAFFIC_TOKEN": trafficTestToken, "PUQMINIO_DB": db}
	loose := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(loose, []byte(trafficTestToken+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		code int
		says string
	}{
		{"no token", map[string]string{"PUQMINIO_DB": db}, []string{"--server-id", "1"}, 1, "PUQMINIO_TRAFFIC_TOKEN"},
		{"short token", map[string]string{"PUQMINIO_TRAFFIC_TOKEN": "short", "PUQMINIO_DB": db}, []string{"--server-id", "1"}, 1, "at least 32"},
		{"no server id", good, nil, 1, "--server-id"},
		{"token file others can read", map[string]string{"PUQMINIO_DB": db}, []string{"--server-id", "1", "--token-file", loose}, 1, "chmod 600"},
		{"no database", map[string]string{"PUQMINIO_TRAFFIC_TOKEN": trafficTestToken}, []string{"--server-id", "1"}, 2, "no usage database path"},
		{"address taken", good, []string{"--server-id", "1", "--listen", taken.Addr().String()}, 1, "--listen"},
	} {
		_, errOut, code := execute(t, "", tc.env, append([]string{"traffic", "serve"}, tc.args...)...)
		if code != tc.code || !strings.Contains(errOut, tc.says) || strings.Contains(errOut, trafficTestToken) {
			t.Errorf("%s: exit %d, stderr %s", tc.name, code, errOut)
		}
	}
	if _, _, code := execute(t, "", good, "traffic", "serve", "--server-id", "1", "--token", trafficTestToken); code == 0 {
		t.Error("a --token flag must not exist")
	}
}

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// auditMinIO starts a MinIO whose audit webhook posts to addr, batch
// entries a post, keeping undelivered batches in the returned directory.
func auditMinIO(t *testing.T, addr string, batch int, extra ...string) (*testminio.Server, string) {
	t.Helper()
	queue := filepath.Join(t.TempDir(), "audit-queue")
	srv := testminio.Start(t, testminio.Options{Env: append([]string{
		"MINIO_AUDIT_WEBHOOK_ENABLE_PUQ=on",
		"MINIO_AUDIT_WEBHOOK_ENDPOINT_PUQ=http://" + addr + "/audit",
		"MINIO_AUDIT_WEBHOOK_AUTH_TOKEN_PUQ=Bearer " + trafficTestToken,
		"MINIO_AUDIT_WEBHOOK_QUEUE_DIR_PUQ=" + queue,
		"MINIO_AUDIT_WEBHOOK_BATCH_SIZE_PUQ=" + strconv.Itoa(batch),
	}, extra...)})
	return srv, queue
}

// queued counts the entries MinIO holds in its queue directory: a batch
// file is named "<count>:<uuid>.http.log.snappy", or "<uuid>..." for one.
func queued(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		count := 1
		if c, _, ok := strings.Cut(d.Name(), ":"); ok {
			if v, err := strconv.Atoi(c); err == nil {
				count = v
			}
		}
		n += count
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// meter is a reverse proxy in front of MinIO that counts, per bucket, the
// request and response body bytes it passes: the bytes on the wire the
// receiver must have counted. It keeps the Host header, so signatures
// made for the proxy's address stay valid.
type meter struct {
	addr string
	// started counts requests entering the proxy, before they reach
	// MinIO; recorded those whose response body the proxy finished. A
	// client can return before the proxy has seen the end of the body, so
	// figures are read once both are equal.
	started, recorded atomic.Int64
	mu                sync.Mutex
	by                map[string]domain.Traffic // by bucket
}

// countBody counts what is read through it and reports once, at EOF or
// Close.
type countBody struct {
	rc   io.ReadCloser
	n    atomic.Int64
	once sync.Once
	done func(n int64)
}

func (c *countBody) Read(p []byte) (int, error) {
	n, err := c.rc.Read(p)
	c.n.Add(int64(n))
	if err == io.EOF && c.done != nil {
		c.once.Do(func() { c.done(c.n.Load()) })
	}
	return n, err
}

func (c *countBody) Close() error {
	if c.done != nil {
		c.once.Do(func() { c.done(c.n.Load()) })
	}
	return c.rc.Close()
}

func newMeter(t *testing.T, target string) *meter {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	m := &meter{by: map[string]domain.Traffic{}}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			m.started.Add(1)
			r.SetURL(u)
			r.Out.Host = r.In.Host
			r.Out.Header.Del("X-Forwarded-For")
			if r.Out.Body != nil && r.Out.Body != http.NoBody {
				r.Out.Body = &countBody{rc: r.Out.Body}
			}
		},
		ModifyResponse: func(resp *http.Response) error {
			var in *countBody
			if cb, ok := resp.Request.Body.(*countBody); ok {
				in = cb
			}
			bucket, _, _ := strings.Cut(strings.TrimPrefix(resp.Request.URL.Path, "/"), "/")
			resp.Body = &countBody{rc: resp.Body, done: func(out int64) {
				var ingress int64
				if in != nil {
					ingress = in.n.Load()
				}
				m.mu.Lock()
				defer m.mu.Unlock()
				t := m.by[bucket]
				t.Add(domain.Traffic{Ingress: ingress, Egress: out, Requests: 1})
				m.by[bucket] = t
				m.recorded.Add(1)
			}}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			m.recorded.Add(1)
			http.Error(w, err.Error(), http.StatusBadGateway)
		},
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: proxy}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	m.addr = l.Addr().String()
	return m
}

// settled reports whether every request that entered the proxy is
// recorded.
func (m *meter) settled() bool { return m.started.Load() == m.recorded.Load() }

// total is everything the meter passed.
func (m *meter) total() domain.Traffic {
	m.mu.Lock()
	defer m.mu.Unlock()
	var t domain.Traffic
	for _, b := range m.by {
		t.Add(b)
	}
	return t
}

func (m *meter) buckets() map[string]domain.Traffic {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]domain.Traffic, len(m.by))
	for k, v := range m.by {
		out[k] = v
	}
	return out
}

// tenantT is a tenant created through account.Manager.
type tenantT struct {
	service int64
	created domain.Created
}

func createTenants(t *testing.T, srv *testminio.Server, db *sqlite.DB, ids ...int64) []tenantT {
	t.Helper()
	admin, err := minioadmin.New(minioadmin.Config{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := s3.New(s3.Config{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	m := &account.Manager{Admin: admin, S3: sc, Store: db, ServerID: 1}
	var out []tenantT
	for _, id := range ids {
		c, err := m.Create(context.Background(), domain.ServiceRef{ID: id, ClientID: 12}, domain.Product{DefaultBucket: true})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tenantT{service: id, created: c})
	}
	return out
}

// client is a minio-go client signing with access/secret, talking to addr.
func client(t *testing.T, addr, access, secret string) *minio.Client {
	t.Helper()
	c, err := minio.New(addr, &minio.Options{Creds: credentials.NewStaticV4(access, secret, "")})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// s3cmdAs runs s3cmd with the credentials in a private config file.
func s3cmdAs(t *testing.T, addr, access, secret string, args ...string) {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "s3cfg")
	body := fmt.Sprintf("[default]\nhost_base = %s\nhost_bucket = %s\nuse_https = False\nsignature_v2 = False\naccess_key = %s\nsecret_key = %s\n", addr, addr, access, secret)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("s3cmd", append([]string{"-c", cfg, "--no-progress"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("s3cmd %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// fileOf writes n pseudo-random bytes and returns the path.
func fileOf(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	p := filepath.Join(t.TempDir(), fmt.Sprintf("f%d", n))
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// storedTotal reads the store as WHMCS would, from its own connection.
func storedTotal(t *testing.T, db *sqlite.DB, svc int64, since time.Time) domain.Traffic {
	t.Helper()
	got, err := db.TrafficTotal(context.Background(), svc, since.Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	got.Headers = 0 // MinIO's estimate: not on the meter
	return got
}

// waitTraffic waits until the store holds exactly what each meter passed
// for its service and MinIO's queue is empty, then checks that it still
// does: a batch counted twice would show as more requests than the meter
// saw. The deadline is generous; the test asserts amounts, not speed.
func waitTraffic(t *testing.T, db *sqlite.DB, queue string, since time.Time, want map[int64]*meter) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	match := func() (bool, string) {
		for svc, m := range want {
			if !m.settled() {
				return false, fmt.Sprintf("service %d: the meter is still counting", svc)
			}
		}
		for svc, m := range want {
			got, exp := storedTotal(t, db, svc, since), m.total()
			if got != exp {
				return false, fmt.Sprintf("service %d: stored %+v, on the wire %+v", svc, got, exp)
			}
		}
		if n := queued(t, queue); n != 0 {
			return false, fmt.Sprintf("%d entries still queued in MinIO", n)
		}
		return true, ""
	}
	for {
		ok, why := match()
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("traffic never matched: %s", why)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if ok, why := match(); !ok {
		t.Fatalf("after matching: %s", why)
	}
}

// The receiver (in process, as `puqminio traffic serve`) counts exactly the
// body bytes each tenant's clients sent and received, per service and per
// bucket, whatever the client (s3cmd, minio-go, an access key, anonymous
// HTTP) and kind of request (small, multipart, ranged, failed, refused).
func TestTrafficMatchesTheWire(t *testing.T) {
	addr := freeAddr(t)
	srv, queue := auditMinIO(t, addr, 7)
	dbPath := filepath.Join(t.TempDir(), "usage.db")
	db, err := sqlite.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	since := time.Now()
	ts := createTenants(t, srv, db, 34, 35)
	a, b := ts[0].created, ts[1].created

	ctx, stop := context.WithCancel(context.Background())
	errb := &syncBuffer{}
	exited := make(chan int, 1)
	go func() {
		exited <- Execute(ctx, []string{"traffic", "serve", "--listen", addr, "--db", dbPath, "--server-id", "1"},
			IO{In: strings.NewReader(""), Out: io.Discard, Err: errb, Getenv: func(k string) string {
				return map[string]string{"PUQMINIO_TRAFFIC_TOKEN": trafficTestToken}[k]
			}})
	}()
	waitHealthy(t, addr)

	mA, mB, mNone := newMeter(t, srv.URL()), newMeter(t, srv.URL()), newMeter(t, srv.URL())
	bg := context.Background()

	// Tenant A with s3cmd: a small and a multipart upload, both downloaded.
	small, big := fileOf(t, 1000), fileOf(t, 6<<20+123)
	s3cmdAs(t, mA.addr, a.Username, a.Password, "put", small, "s3://"+a.Bucket+"/small")
	s3cmdAs(t, mA.addr, a.Username, a.Password, "put", "--multipart-chunk-size-mb=5", big, "s3://"+a.Bucket+"/big")
	s3cmdAs(t, mA.addr, a.Username, a.Password, "get", "--force", "s3://"+a.Bucket+"/small", filepath.Join(t.TempDir(), "s"))
	s3cmdAs(t, mA.addr, a.Username, a.Password, "get", "--force", "s3://"+a.Bucket+"/big", filepath.Join(t.TempDir(), "b"))

	// Tenant A with minio-go: multipart upload, ranged reads, a missing
	// object (404 with a body), and a read of B's bucket, refused (403):
	// A's traffic, not B's.
	ca := client(t, mA.addr, a.Username, a.Password)
	data := bytes.Repeat([]byte("0123456789abcdef"), (11<<20)/16)
	if _, err := ca.PutObject(bg, a.Bucket, "mp", bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{PartSize: 5 << 20}); err != nil {
		t.Fatal(err)
	}
	for _, r := range [][2]int64{{0, 0}, {100, 1099}, {5 << 20, 6<<20 - 1}} {
		opts := minio.GetObjectOptions{}
		if err := opts.SetRange(r[0], r[1]); err != nil {
			t.Fatal(err)
		}
		o, err := ca.GetObject(bg, a.Bucket, "mp", opts)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(o)
		if err != nil || int64(len(got)) != r[1]-r[0]+1 {
			t.Fatalf("range %v: %d bytes, %v", r, len(got), err)
		}
		o.Close()
	}
	if o, err := ca.GetObject(bg, a.Bucket, "missing", minio.GetObjectOptions{}); err == nil {
		if _, err := io.ReadAll(o); minio.ToErrorResponse(err).StatusCode != 404 {
			t.Fatalf("missing object: %v", err)
		}
	}
	cb := client(t, mB.addr, b.Username, b.Password)
	if _, err := cb.PutObject(bg, b.Bucket, "pub/doc", bytes.NewReader(data[:300000]), 300000, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	if o, err := ca.GetObject(bg, b.Bucket, "pub/doc", minio.GetObjectOptions{}); err == nil {
		if _, err := io.ReadAll(o); minio.ToErrorResponse(err).StatusCode != 403 {
			t.Fatalf("A reading B's object: %v", err)
		}
	}

	// A's access key (a service account): A's traffic.
	admin, err := minioadmin.New(minioadmin.Config{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	key, err := admin.AddServiceAccount(bg, minioadmin.AddServiceAccountReq{TargetUser: a.Username})
	if err != nil {
		t.Fatal(err)
	}
	ck := client(t, mA.addr, key.AccessKey, key.SecretKey)
	if _, err := ck.PutObject(bg, a.Bucket, "by-key", bytes.NewReader(data[:4321]), 4321, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}

	// A prefix of B's is public (the module sets bucket policies, tenants
	// may not: straight to MinIO, not through the meter); an anonymous
	// reader's downloads are B's traffic. An anonymous read of A's private
	// object is refused and counted on no tenant.
	policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::%s/pub/*"]}]}`, b.Bucket)
	if err := client(t, srv.Endpoint, srv.AccessKey, srv.SecretKey).SetBucketPolicy(bg, b.Bucket, policy); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		resp, err := http.Get("http://" + mB.addr + "/" + b.Bucket + "/pub/doc")
		if err != nil {
			t.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || n != 300000 {
			t.Fatalf("anonymous read: %d, %d bytes", resp.StatusCode, n)
		}
	}
	if resp, err := http.Get("http://" + mNone.addr + "/" + a.Bucket + "/small"); err != nil || resp.StatusCode != 403 {
		t.Fatalf("anonymous read of a private object: %v %v", resp, err)
	} else {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}

	waitTraffic(t, db, queue, since, map[int64]*meter{34: mA, 35: mB})

	// The meter saw the objects: the comparison is not of two zeros.
	if ta := mA.total(); ta.Ingress < 1000+6<<20+11<<20+4321 || ta.Egress < 1000+6<<20+1+1000+1<<20 {
		t.Fatalf("meter A: %+v", ta)
	}
	if tb := mB.total(); tb.Egress < 3*300000 {
		t.Fatalf("meter B: %+v", tb)
	}
	// Per bucket as well.
	for svc, m := range map[int64]*meter{34: mA, 35: mB} {
		got := map[string]domain.Traffic{}
		for _, month := range []time.Time{since, time.Now()} {
			rows, err := db.TrafficByBucket(bg, svc, month)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				r.Headers = 0
				got[r.Bucket] = r.Traffic
			}
			if month.Month() == since.Month() && month.Year() == since.Year() {
				break
			}
		}
		if want := m.buckets(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("service %d by bucket:\n got %v\nwant %v", svc, got, want)
		}
	}
	// A's refused read of B's bucket is on A, under B's bucket name.
	if mA.buckets()[b.Bucket].Requests == 0 {
		t.Errorf("meter A on B's bucket: %+v", mA.buckets()[b.Bucket])
	}
	// Headers are kept apart, as MinIO estimates them.
	if h, _ := db.TrafficTotal(bg, 34, since.Add(-time.Hour), time.Now().Add(time.Hour)); h.Headers <= 0 {
		t.Errorf("no header bytes: %+v", h)
	}
	// The provider's own requests (creating users, buckets, the key) and
	// the refused anonymous read are unattributed.
	if u := storedTotal(t, db, domain.Unattributed, since); u.Requests < mNone.total().Requests+2 {
		t.Errorf("unattributed: %+v", u)
	}

	stop()
	if code := <-exited; code != 0 {
		t.Fatalf("traffic serve exited %d:\n%s", code, errb.String())
	}
	if log := errb.String(); strings.Contains(log, trafficTestToken) || !strings.Contains(log, `"msg":"traffic receiver stopped"`) {
		t.Fatalf("log:\n%s", log)
	}
}

// syncBuffer is a log destination written by several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitHealthy waits until the receiver at addr answers /health with 200.
func waitHealthy(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the receiver at %s never became healthy: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// receiverProc is `puqminio traffic serve` running as its own process.
type receiverProc struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
}

func startReceiver(t *testing.T, bin, addr, dbPath string) *receiverProc {
	t.Helper()
	cmd := exec.Command(bin, "traffic", "serve", "--listen", addr, "--db", dbPath, "--server-id", "1")
	cmd.Env = append(os.Environ(), "PUQMINIO_TRAFFIC_TOKEN="+trafficTestToken)
	p := &receiverProc{cmd: cmd, stderr: &syncBuffer{}}
	cmd.Stderr = p.stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		if strings.Contains(p.stderr.String(), trafficTestToken) {
			t.Error("the token reached the receiver's log")
		}
	})
	waitHealthy(t, addr)
	return p
}

// workload puts and gets n objects of different sizes in the tenant's
// bucket through the meter's proxy.
func workload(t *testing.T, c *minio.Client, bucket string, first, n int) {
	for i := first; i < first+n; i++ {
		size := 1 + (i*7919)%60000
		name := fmt.Sprintf("w/%d", i)
		if _, err := c.PutObject(context.Background(), bucket, name, bytes.NewReader(make([]byte, size)), int64(size), minio.PutObjectOptions{}); err != nil {
			t.Error(err)
			return
		}
		o, err := c.GetObject(context.Background(), bucket, name, minio.GetObjectOptions{})
		if err != nil {
			t.Error(err)
			return
		}
		if _, err := io.Copy(io.Discard, o); err != nil {
			t.Error(err)
		}
		o.Close()
	}
}

// Faults: the receiver killed with SIGKILL while MinIO posts to it and
// started again; the receiver stopped while traffic goes on and MinIO
// restarted with the batches in its queue. Once MinIO's queue drains, the
// store holds exactly the bytes on the wire, nothing counted twice.
func TestTrafficSurvivesKillsAndRestarts(t *testing.T) {
	bin := puqminioBinary(t)
	addr := freeAddr(t)
	// MinIO gives up on a post after 1 s (5 s by default), so that step 3
	// can make it send a batch again that the receiver stores anyway.
	srv, queue := auditMinIO(t, addr, 5, "MINIO_AUDIT_WEBHOOK_HTTP_TIMEOUT_PUQ=1s")
	dbPath := filepath.Join(t.TempDir(), "usage.db")
	db, err := sqlite.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	since := time.Now()
	ts := createTenants(t, srv, db, 34, 35)
	mA, mB := newMeter(t, srv.URL()), newMeter(t, srv.URL())
	ca := client(t, mA.addr, ts[0].created.Username, ts[0].created.Password)
	cb := client(t, mB.addr, ts[1].created.Username, ts[1].created.Password)
	want := map[int64]*meter{34: mA, 35: mB}

	// 1. SIGKILL mid-stream.
	rcv := startReceiver(t, bin, addr, dbPath)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); workload(t, ca, ts[0].created.Bucket, 0, 150) }()
	go func() { defer wg.Done(); workload(t, cb, ts[1].created.Bucket, 0, 150) }()
	waitFor(t, func() bool { return storedTotal(t, db, 34, since).Requests >= 40 })
	if err := rcv.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = rcv.cmd.Wait()
	wg.Wait()
	if stored := storedTotal(t, db, 34, since).Requests; stored >= mA.total().Requests {
		t.Logf("the kill came after everything was stored (%d requests); the restart checks redelivery only", stored)
	}
	rcv = startReceiver(t, bin, addr, dbPath)
	waitTraffic(t, db, queue, since, want)

	// 2. The receiver stopped gracefully, traffic goes on into MinIO's
	// queue, MinIO restarts, then the receiver comes back.
	if err := rcv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := rcv.cmd.Wait(); err != nil {
		t.Fatalf("graceful stop: %v\n%s", err, rcv.stderr.String())
	}
	if log := rcv.stderr.String(); !strings.Contains(log, `"msg":"traffic receiver stopped"`) {
		t.Fatalf("no stop line:\n%s", log)
	} else {
		// How many requests MinIO delivered again after the kill.
		t.Logf("receiver after the kill: %s", log[strings.LastIndex(log, `{"time"`):])
	}
	before := mA.total().Requests + mB.total().Requests
	workload(t, ca, ts[0].created.Bucket, 1000, 40)
	workload(t, cb, ts[1].created.Bucket, 1000, 40)
	waitFor(t, func() bool { return mA.settled() && mB.settled() })
	added := int(mA.total().Requests + mB.total().Requests - before)
	// MinIO writes a batch to its queue within a second; it drops what it
	// has not written when it stops, so wait for all of it to be on disk.
	waitFor(t, func() bool { return queued(t, queue) >= added })
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	startReceiver(t, bin, addr, dbPath)
	waitTraffic(t, db, queue, since, want)

	// 3. A batch delivered twice: the write lock is held elsewhere (a long
	// usage run), MinIO gives up waiting and sends the batch again while
	// the first copy is still queued; both are stored once the lock is
	// free, and the second is recognised.
	lock, err := sql.Open("sqlite3", "file:"+dbPath+"?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	tx, err := lock.Begin()
	if err != nil {
		t.Fatal(err)
	}
	h0 := health(t, addr)
	workload(t, ca, ts[0].created.Bucket, 2000, 5)
	waitFor(t, func() bool { return health(t, addr).Refused > h0.Refused })
	h1 := health(t, addr)
	waitFor(t, func() bool { return health(t, addr).Received > h1.Received })
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	waitTraffic(t, db, queue, since, want)
	if h := health(t, addr); h.Duplicates == 0 {
		t.Fatalf("no batch was recognised as delivered twice: %+v", h)
	}
}

// health reads the receiver's /health.
func health(t *testing.T, addr string) minioaudit.Health {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h minioaudit.Health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	return h
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 3 minutes")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
