package bridge

// Benchmarks of the bridge as WHMCS meets it: the puqminio binary started once
// per call, against a real MinIO and a real Ceph RADOS Gateway. Those that
// talk to a server run once per backend, as sub-benchmarks backend=minio and
// backend=rgw, with the same requests (the RGW server's says "backend":
// "rgw"). scripts/bench.sh runs them (see docs/benchmarks.md); speed targets
// are checked here, never by timed tests.
//
// Environment:
//
//	PUQMINIO_BENCH_BIN     the binary (default ../../bin/puqminio; `make build`)
//	PUQMINIO_BENCH_SERVER  a JSON file printed by internal/testminio/testserver;
//	                       without it each benchmark starts its own MinIO
//	PUQMINIO_BENCH_RGW     the same for `testserver -backend rgw`; without it
//	                       each backend=rgw benchmark starts its own Ceph
//	PUQMINIO_BENCH_DB      the 10,000 × 2-year history the sqlite benchmarks
//	                       build (default: their cache file under os.TempDir)
//	PUQMINIO_BENCH_KEEP    a directory where the benchmarks leave their
//	                       request files and stores for scripts/bench.sh
//	                       (needs PUQMINIO_BENCH_SERVER, so the server outlives
//	                       them); on RGW their names end in -rgw

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/puqminios3/puqminio/internal/account"
	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/minioadmin"
	"github.com/puqminios3/puqminio/internal/rgw"
	"github.com/puqminios3/puqminio/internal/s3"
	"github.com/puqminios3/puqminio/internal/sqlite"
	"github.com/puqminios3/puqminio/internal/testceph"
	"github.com/puqminios3/puqminio/internal/testminio"
)

// benchBinary returns the puqminio binary the exec benchmarks start.
func benchBinary(b *testing.B) string {
	b.Helper()
	p := os.Getenv("PUQMINIO_BENCH_BIN")
	if p == "" {
		p = filepath.Join("..", "..", "bin", "puqminio")
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := os.Stat(abs); err != nil {
		b.Fatalf("no puqminio binary at %s: run `make build` (or set PUQMINIO_BENCH_BIN)", abs)
	}
	return abs
}

// benchTarget is the server a benchmark talks to: a MinIO, or a Ceph RGW
// when Backend is BackendRGW.
type benchTarget struct {
	Endpoint  string `json:"endpoint"`
	AccessKey string `json:"accessKey"`
	SecretKey string `json:"secretKey"`
	Backend   string `json:"backend"` // "" for MinIO, as testserver prints it
	external  bool
}

func (s benchTarget) rgw() bool { return s.Backend == BackendRGW }

// forBackends runs f once per backend, as sub-benchmarks backend=minio and
// backend=rgw, each on its own server (benchServer). The server is started
// inside the sub-benchmark, so `-bench 'X/backend=minio'` starts no Ceph.
func forBackends(b *testing.B, f func(b *testing.B, s benchTarget)) {
	for _, backend := range []string{BackendMinIO, BackendRGW} {
		b.Run("backend="+backend, func(b *testing.B) { f(b, benchServer(b, backend)) })
	}
}

// benchServer returns the backend's server named by PUQMINIO_BENCH_SERVER
// (MinIO) or PUQMINIO_BENCH_RGW, else a fresh one that stops when the
// benchmark ends.
func benchServer(b *testing.B, backend string) benchTarget {
	b.Helper()
	env := "PUQMINIO_BENCH_SERVER"
	if backend == BackendRGW {
		env = "PUQMINIO_BENCH_RGW"
	}
	if p := os.Getenv(env); p != "" {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		var s benchTarget
		if err := json.Unmarshal(data, &s); err != nil {
			b.Fatalf("%s: %v", p, err)
		}
		if got := cmp.Or(s.Backend, BackendMinIO); got != backend {
			b.Fatalf("%s=%s names a %s server, not %s", env, p, got, backend)
		}
		s.external = true
		return s
	}
	if backend == BackendRGW {
		g := testceph.Start(b, testceph.Options{})
		return benchTarget{Endpoint: g.Endpoint, AccessKey: g.AccessKey, SecretKey: g.SecretKey, Backend: BackendRGW}
	}
	s := testminio.Start(b, testminio.Options{})
	return benchTarget{Endpoint: s.Endpoint, AccessKey: s.AccessKey, SecretKey: s.SecretKey}
}

// benchKeep returns the directory for request files the script reuses, or "".
func benchKeep(s benchTarget) string {
	if !s.external {
		return ""
	}
	return os.Getenv("PUQMINIO_BENCH_KEEP")
}

// keptName is the name of a kept file for s's backend: "render.json" on
// MinIO, "render-rgw.json" on RGW, so one directory holds both runs'.
func keptName(s benchTarget, name string) string {
	if !s.rgw() {
		return name
	}
	ext := filepath.Ext(name)
	return strings.TrimSuffix(name, ext) + "-rgw" + ext
}

// counter counts the HTTP requests a reverse proxy passes to the server,
// by admin operation ("admin:datausageinfo" on MinIO; on RGW the Admin Ops
// resource, "admin:bucket", with "?stats" when the query asks for them) or
// "s3".
type counter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counter) add(r *http.Request) {
	key := "s3"
	if op, ok := strings.CutPrefix(r.URL.Path, "/minio/admin/v3/"); ok {
		key = "admin:" + op
	} else if res, ok := strings.CutPrefix(r.URL.Path, "/admin/"); ok {
		key = "admin:" + res
		if r.URL.Query().Has("stats") {
			key += "?stats"
		}
	}
	c.mu.Lock()
	c.n[key]++
	c.mu.Unlock()
}

// take returns the counts so far and starts again from zero.
func (c *counter) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.n
	c.n = map[string]int{}
	return out
}

func (c *counter) admin(m map[string]int) (total int) {
	for k, v := range m {
		if strings.HasPrefix(k, "admin:") {
			total += v
		}
	}
	return total
}

// countingProxy puts a reverse proxy in front of s and returns its host:port.
// The Host header is passed on unchanged, so SigV4 signatures stay valid.
func countingProxy(b *testing.B, s benchTarget) (string, *counter) {
	b.Helper()
	target, _ := url.Parse("http://" + s.Endpoint)
	rp := httputil.NewSingleHostReverseProxy(target)
	c := &counter{n: map[string]int{}}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.add(r)
		rp.ServeHTTP(w, r)
	}))
	b.Cleanup(ts.Close)
	return strings.TrimPrefix(ts.URL, "http://"), c
}

// envelope builds a request for the binary or Run.
func envelope(action string, s benchTarget, endpoint, store string, service, product, params any) []byte {
	server := map[string]any{"id": 1, "endpoint": endpoint, "accessKey": s.AccessKey, "secretKey": s.SecretKey, "timeoutSeconds": 120}
	if s.rgw() {
		server["backend"] = BackendRGW
	}
	req := map[string]any{
		"v": 1, "action": action,
		"server": server,
		"store":  map[string]any{"path": store},
	}
	if service != nil {
		req["service"] = service
	}
	if product != nil {
		req["product"] = product
	}
	if params != nil {
		req["params"] = params
	}
	data, err := json.Marshal(req)
	if err != nil {
		panic(err)
	}
	return data
}

// execRun is one run of the binary.
type execRun struct {
	out    []byte
	wall   time.Duration
	maxRSS int64 // KiB, from wait4's rusage, as /usr/bin/time reports it
}

// execBinary starts bin with args, feeds it stdin and waits for it. A
// non-zero exit status is not an error: the JSON answer says what happened.
func execBinary(b *testing.B, bin string, stdin []byte, args ...string) execRun {
	cmd := exec.Command(bin, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = io.Discard
	t0 := time.Now()
	err := cmd.Run()
	wall := time.Since(t0)
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		b.Fatal(err)
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss
	}
	return execRun{out: out.Bytes(), wall: wall, maxRSS: rss}
}

// answer decodes a response and fails unless ok matches want.
func answer(b *testing.B, data []byte, want bool, result any) {
	b.Helper()
	var r struct {
		OK     bool            `json:"ok"`
		Result json.RawMessage `json:"result"`
		Error  *ErrorBody      `json:"error"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		b.Fatalf("not a JSON answer: %v: %.300s", err, data)
	}
	if r.OK != want {
		b.Fatalf("ok = %v, want %v: %.500s", r.OK, want, data)
	}
	if result != nil {
		if err := json.Unmarshal(r.Result, result); err != nil {
			b.Fatal(err)
		}
	}
}

// runInProcess calls Run as the binary does, without the process.
func runInProcess(b *testing.B, req []byte, want bool, result any) {
	b.Helper()
	var out bytes.Buffer
	Run(context.Background(), bytes.NewReader(req), &out, testEnv())
	answer(b, out.Bytes(), want, result)
}

// quantiles reports the median and the 95th percentile of ds in ms under
// the given prefix.
func quantiles(b *testing.B, prefix string, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	b.ReportMetric(ms(s[len(s)/2]), prefix+"p50-ms")
	b.ReportMetric(ms(s[min(len(s)-1, len(s)*95/100)]), prefix+"p95-ms")
}

func writeKept(b *testing.B, dir, name string, data []byte) {
	b.Helper()
	if dir == "" {
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
		b.Fatal(err)
	}
}

// noMinIORequest is a request that touches no MinIO: usage.notified with an
// empty list decodes, checks the server, opens (and on first use migrates)
// the store, and answers.
func noMinIORequest(store string) []byte {
	return envelope("usage.notified", benchTarget{AccessKey: "bench", SecretKey: "bench-secret"}, "127.0.0.1:1", store,
		nil, nil, map[string]any{"notices": []any{}})
}

// BenchmarkProcessStart is the floor of every bridge call: the binary
// started and reaped, printing its version.
func BenchmarkProcessStart(b *testing.B) {
	bin := benchBinary(b)
	var ds []time.Duration
	for b.Loop() {
		r := execBinary(b, bin, nil, "--version")
		ds = append(ds, r.wall)
	}
	quantiles(b, "", ds)
}

// BenchmarkRPCNoMinIO is one bridge round trip that needs no MinIO call,
// through the binary, and the same request in-process.
func BenchmarkRPCNoMinIO(b *testing.B) {
	bin := benchBinary(b)
	store := filepath.Join(b.TempDir(), "usage.db")
	req := noMinIORequest(store)
	b.Run("binary", func(b *testing.B) {
		var ds []time.Duration
		for b.Loop() {
			r := execBinary(b, bin, req, "rpc")
			answer(b, r.out, true, nil)
			ds = append(ds, r.wall)
		}
		quantiles(b, "", ds)
	})
	b.Run("inprocess", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			runInProcess(b, req, true, nil)
		}
	})
	// A refused request stops at the product check: decode and dispatch only.
	bad := envelope("account.create", benchTarget{AccessKey: "bench", SecretKey: "bench-secret"}, "127.0.0.1:1", store,
		map[string]any{"id": 1, "clientId": 1}, map[string]any{"unit": "XB"}, nil)
	b.Run("refused-binary", func(b *testing.B) {
		var ds []time.Duration
		for b.Loop() {
			r := execBinary(b, bin, bad, "rpc")
			answer(b, r.out, false, nil)
			ds = append(ds, r.wall)
		}
		quantiles(b, "", ds)
	})
}

// benchProduct is the product of the lifecycle and render benchmarks.
var benchProduct = map[string]any{"unit": "GB", "diskSpace": 10, "defaultBucket": true, "historyDays": 400}

// BenchmarkCreateTerminate creates an account (on MinIO policy, user,
// group-less; on RGW tenant user and quota; a default bucket on both) and
// terminates it, against each backend, through the binary and in-process.
// Each iteration is a new service.
func BenchmarkCreateTerminate(b *testing.B) {
	bin := benchBinary(b)
	forBackends(b, func(b *testing.B, s benchTarget) { benchCreateTerminate(b, bin, s) })
}

func benchCreateTerminate(b *testing.B, bin string, s benchTarget) {
	store := filepath.Join(b.TempDir(), "usage.db")
	next := int64(time.Now().Unix() % 1000000 * 100) // fresh ids on a reused server
	pair := func(b *testing.B, run func(req []byte, want bool, result any) time.Duration) (create, term []time.Duration) {
		for b.Loop() {
			next++
			svc := map[string]any{"id": next, "clientId": 7}
			var c domain.Created
			create = append(create, run(envelope("account.create", s, s.Endpoint, store, svc, benchProduct, nil), true, &c))
			svc["username"] = c.Username
			term = append(term, run(envelope("account.terminate", s, s.Endpoint, store, svc, nil, nil), true, nil))
		}
		return create, term
	}
	b.Run("binary", func(b *testing.B) {
		create, term := pair(b, func(req []byte, want bool, result any) time.Duration {
			r := execBinary(b, bin, req, "rpc")
			answer(b, r.out, want, result)
			return r.wall
		})
		quantiles(b, "create-", create)
		quantiles(b, "terminate-", term)
	})
	b.Run("inprocess", func(b *testing.B) {
		create, term := pair(b, func(req []byte, want bool, result any) time.Duration {
			t0 := time.Now()
			runInProcess(b, req, want, result)
			return time.Since(t0)
		})
		quantiles(b, "create-", create)
		quantiles(b, "terminate-", term)
	})
}

// BenchmarkRenderClientYear renders the client area's statistics page for a
// service with a year of daily history, on each backend, through the binary
// and in-process; beside it, the backend's one server-wide usage read.
func BenchmarkRenderClientYear(b *testing.B) {
	bin := benchBinary(b)
	forBackends(b, func(b *testing.B, s benchTarget) { benchRenderClientYear(b, bin, s) })
}

func benchRenderClientYear(b *testing.B, bin string, s benchTarget) {
	keep := benchKeep(s)
	dir := b.TempDir()
	if keep != "" {
		dir = keep
	}
	store := filepath.Join(dir, keptName(s, "render.db"))
	id := int64(time.Now().Unix()%1000000*100 + 99)
	svc := map[string]any{"id": id, "clientId": 7, "lang": "english"}
	var c domain.Created
	runInProcess(b, envelope("account.create", s, s.Endpoint, store, svc, benchProduct, nil), true, &c)
	svc["username"], svc["password"] = c.Username, c.Password
	// On RGW the admin's key reaches no tenant's data: the tenant's own
	// key (its user name and password) writes to its bucket.
	mc, err := minio.New(s.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(s.AccessKey, s.SecretKey, "")})
	if s.rgw() {
		mc, err = rgwTenantS3(s, c.Username, c.Password)
	}
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := mc.PutObject(ctx, c.Bucket, "report.pdf", bytes.NewReader(make([]byte, 1<<20)), 1<<20, minio.PutObjectOptions{}); err != nil {
		b.Fatal(err)
	}
	fillYear(b, store, id)
	req := envelope("render.client", s, s.Endpoint, store, svc, benchProduct, map[string]any{"page": "stats"})
	writeKept(b, keep, keptName(s, "render.json"), req)
	var res struct{ HTML string }
	runInProcess(b, req, true, &res)
	b.Logf("page: %d bytes", len(res.HTML))
	b.Run("binary", func(b *testing.B) {
		var ds []time.Duration
		for b.Loop() {
			r := execBinary(b, bin, req, "rpc")
			answer(b, r.out, true, nil)
			ds = append(ds, r.wall)
		}
		quantiles(b, "", ds)
	})
	b.Run("inprocess", func(b *testing.B) {
		b.ReportAllocs()
		var ds []time.Duration
		for b.Loop() {
			t0 := time.Now()
			runInProcess(b, req, true, nil)
			ds = append(ds, time.Since(t0))
		}
		quantiles(b, "", ds)
	})
	if s.rgw() {
		// RGW's server-wide usage read, GET /admin/bucket?stats, which a
		// usage run makes once (reported as buckets and accounts).
		b.Run("bucketstats", func(b *testing.B) {
			g, err := rgw.New(rgw.Config{Endpoint: s.Endpoint, AccessKey: s.AccessKey, SecretKey: s.SecretKey})
			if err != nil {
				b.Fatal(err)
			}
			var ds []time.Duration
			var u rgw.ServerUsage
			for b.Loop() {
				t0 := time.Now()
				u, err = g.MeasureAll(ctx)
				ds = append(ds, time.Since(t0))
				if err != nil {
					b.Fatal(err)
				}
			}
			quantiles(b, "", ds)
			n := u.Foreign
			for _, bs := range u.Accounts {
				n += len(bs)
			}
			b.ReportMetric(float64(n), "buckets")
			b.ReportMetric(float64(len(u.Accounts)), "accounts")
		})
		return
	}
	// The page's one server-wide admin call, whose cost grows with the
	// number of buckets on the server (reported as buckets).
	b.Run("datausageinfo", func(b *testing.B) {
		admin, err := minioadmin.New(minioadmin.Config{Endpoint: s.Endpoint, AccessKey: s.AccessKey, SecretKey: s.SecretKey})
		if err != nil {
			b.Fatal(err)
		}
		var ds []time.Duration
		n := 0
		for b.Loop() {
			t0 := time.Now()
			du, err := admin.DataUsageInfo(ctx)
			ds = append(ds, time.Since(t0))
			if err != nil {
				b.Fatal(err)
			}
			n = len(du.BucketsUsage)
		}
		quantiles(b, "", ds)
		b.ReportMetric(float64(n), "buckets")
	})
}

// rgwTenantS3 is an S3 client acting as a tenant of the gateway s, as
// internal/rgw signs them: path-style, region us-east-1.
func rgwTenantS3(s benchTarget, access, secret string) (*minio.Client, error) {
	return minio.New(s.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(access, secret, ""),
		Region: "us-east-1", BucketLookup: minio.BucketLookupPath})
}

// fillYear records one sample a day for the last 365 days for service id.
func fillYear(b *testing.B, path string, id int64) {
	b.Helper()
	db, err := sqlite.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	today := time.Now().UTC().Truncate(24 * time.Hour)
	for d := 365; d >= 1; d-- {
		at := today.AddDate(0, 0, -d).Add(2 * time.Hour)
		db.Now = func() time.Time { return at }
		smp := []domain.Sample{{ServiceID: id, At: at, Bytes: int64(365-d+1) * 20 << 20, Objects: int64(365 - d + 1), Source: domain.UsageScanner}}
		st := map[int64]domain.AccountState{id: {Policy: domain.PolicyStandard}}
		if err := db.RecordCollection(context.Background(), 1, smp, st, map[int64]int{id: 400}); err != nil {
			b.Fatal(err)
		}
	}
}

// Usage update figures: 10,000 services on server 1, named 1-<id> as in the
// sqlite benchmark history; every 50th owns a bucket holding one object.
const (
	usageServices  = 10000
	usageEvery     = 50
	usagePerAcctN  = 1000 // the per-account loop runs on this many services
	usageObjectLen = 4096
)

// benchHistoryDB returns the 10,000 × 2-year history database.
func benchHistoryDB(b *testing.B) string {
	b.Helper()
	p := os.Getenv("PUQMINIO_BENCH_DB")
	if p == "" {
		// internal/sqlite/bench_test.go's cache name (data version 2).
		p = filepath.Join(os.TempDir(), fmt.Sprintf("puqminio-bench-s%d-d2-10000x730.db", sqlite.SchemaVersion()))
	}
	if _, err := os.Stat(p); err != nil {
		b.Fatalf("no history database at %s: run `go test ./internal/sqlite -run '^$' -bench Daily30` first, or set PUQMINIO_BENCH_DB", p)
	}
	return p
}

func usageUser(id int) string { return fmt.Sprintf("1-%d", id) }

// usageServiceList is the params.services of the 10,000-service update.
func usageServiceList(n int) []account.UsageService {
	out := make([]account.UsageService, n)
	for i := range out {
		id := i + 1
		out[i] = account.UsageService{ID: int64(id), ClientID: 1, Username: usageUser(id), Status: "Active",
			Product: &domain.Product{Unit: "GB", DiskSpace: 10, HistoryDays: 1100}}
	}
	return out
}

// BenchmarkUsageUpdate10k is the hourly usage update for 10,000 services on
// one server with two years of history, on each backend: in-process and
// through the binary (wall time, peak RSS), with every request to the
// server counted at a proxy; beside it, on MinIO, the per-account approach
// (list the buckets, list each owned bucket) on 1,000 of the services.
func BenchmarkUsageUpdate10k(b *testing.B) {
	bin := benchBinary(b)
	src := benchHistoryDB(b)
	forBackends(b, func(b *testing.B, s benchTarget) { benchUsageUpdate10k(b, bin, src, s) })
}

// usageBucketsRGW gives each bucket-owning service of the usage benchmark
// its RGW account (tenant s<id>, user 1-<id>) with its bucket holding one
// object, as account.create would leave it. The other services have no
// account, as on MinIO they have no bucket. Provision is idempotent, so a
// reused server is fine.
func usageBucketsRGW(b *testing.B, s benchTarget) []string {
	b.Helper()
	ctx := context.Background()
	g, err := rgw.New(rgw.Config{Endpoint: s.Endpoint, AccessKey: s.AccessKey, SecretKey: s.SecretKey})
	if err != nil {
		b.Fatal(err)
	}
	const secret = "bench-usage-secret-0123456789"
	var buckets []string
	t0 := time.Now()
	for id := usageEvery; id <= usageServices; id += usageEvery {
		name := usageUser(id) + "-data"
		buckets = append(buckets, name)
		if _, err := g.Provision(ctx, rgw.Account{Service: int64(id), User: usageUser(id)}, rgw.ProvisionReq{Secret: secret, DefaultBucket: name}); err != nil {
			b.Fatal(err)
		}
		mc, err := rgwTenantS3(s, usageUser(id), secret)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := mc.PutObject(ctx, name, "obj", bytes.NewReader(make([]byte, usageObjectLen)), usageObjectLen, minio.PutObjectOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("provisioned %d RGW accounts with a bucket and an object each in %v", len(buckets), time.Since(t0).Round(time.Second))
	return buckets
}

func benchUsageUpdate10k(b *testing.B, bin, src string, s benchTarget) {
	keep := benchKeep(s)
	var buckets []string
	if s.rgw() {
		// RGW's bucket stats are exact at once: no scanner to wait for.
		buckets = usageBucketsRGW(b, s)
	} else {
		buckets = usageBucketsMinIO(b, s)
	}
	dir := b.TempDir()
	if keep != "" {
		dir = keep
	}
	store := filepath.Join(dir, keptName(s, "usage10k.db"))
	if err := copyBenchFile(src, store); err != nil {
		b.Fatal(err)
	}
	benchUsageRuns(b, bin, s, keep, store, buckets)
}

// usageBucketsMinIO makes the bucket-owning services' buckets on MinIO,
// each with one object, and waits until the scanner reports them all.
func usageBucketsMinIO(b *testing.B, s benchTarget) []string {
	b.Helper()
	ctx := context.Background()
	mc, err := minio.New(s.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(s.AccessKey, s.SecretKey, "")})
	if err != nil {
		b.Fatal(err)
	}
	var buckets []string
	for id := usageEvery; id <= usageServices; id += usageEvery {
		name := usageUser(id) + "-data"
		buckets = append(buckets, name)
		if err := mc.MakeBucket(ctx, name, minio.MakeBucketOptions{}); err != nil && minio.ToErrorResponse(err).Code != "BucketAlreadyOwnedByYou" {
			b.Fatal(err)
		}
		if _, err := mc.PutObject(ctx, name, "obj", bytes.NewReader(make([]byte, usageObjectLen)), usageObjectLen, minio.PutObjectOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	admin, err := minioadmin.New(minioadmin.Config{Endpoint: s.Endpoint, AccessKey: s.AccessKey, SecretKey: s.SecretKey})
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	for {
		du, err := admin.DataUsageInfo(ctx)
		if err != nil {
			b.Fatal(err)
		}
		seen := 0
		for _, n := range buckets {
			if du.BucketsUsage[n].ObjectsCount == 1 {
				seen++
			}
		}
		if seen == len(buckets) {
			break
		}
		if time.Since(t0) > 5*time.Minute {
			b.Fatalf("the scanner reported %d of %d buckets after %v", seen, len(buckets), time.Since(t0))
		}
		time.Sleep(2 * time.Second)
	}
	b.Logf("scanner reported all %d buckets after %v", len(buckets), time.Since(t0).Round(time.Second))
	return buckets
}

// benchUsageRuns times the update of the 10,000 services, whose buckets
// are on s, in-process and through the binary.
func benchUsageRuns(b *testing.B, bin string, s benchTarget, keep, store string, buckets []string) {
	ctx := context.Background()
	proxy, count := countingProxy(b, s)
	services := usageServiceList(usageServices)
	check := func(b *testing.B, r account.UsageResult) {
		owned := 0
		for _, rep := range r.Services {
			if rep.Error != nil {
				b.Fatalf("service %d: %s", rep.ID, rep.Error.Message)
			}
			if rep.Buckets > 0 {
				owned++
				if rep.UsedBytes != usageObjectLen {
					b.Fatalf("service %d: %d bytes, want %d", rep.ID, rep.UsedBytes, usageObjectLen)
				}
			}
		}
		if len(r.Services) != usageServices || owned != len(buckets) {
			b.Fatalf("%d services, %d with buckets; want %d and %d", len(r.Services), owned, usageServices, len(buckets))
		}
	}
	reportCalls := func(b *testing.B, n int) {
		c := count.take()
		if s.rgw() {
			b.ReportMetric(float64(c["admin:bucket?stats"])/float64(n), "bucketStats/op")
		} else {
			b.ReportMetric(float64(c["admin:datausageinfo"])/float64(n), "datausageinfo/op")
		}
		b.ReportMetric(float64(count.admin(c))/float64(n), "adminCalls/op")
		b.ReportMetric(float64(c["s3"])/float64(n), "s3Calls/op")
	}
	// manager is the in-process update's Manager on store db, through the
	// proxy.
	manager := func(b *testing.B, db *sqlite.DB) *account.Manager {
		m := &account.Manager{Store: db, ServerID: 1}
		var err error
		if s.rgw() {
			if m.Gateway, err = rgw.New(rgw.Config{Endpoint: proxy, AccessKey: s.AccessKey, SecretKey: s.SecretKey}); err != nil {
				b.Fatal(err)
			}
			return m
		}
		if m.Admin, err = minioadmin.New(minioadmin.Config{Endpoint: proxy, AccessKey: s.AccessKey, SecretKey: s.SecretKey}); err != nil {
			b.Fatal(err)
		}
		if m.S3, err = s3.New(s3.Config{Endpoint: proxy, AccessKey: s.AccessKey, SecretKey: s.SecretKey}); err != nil {
			b.Fatal(err)
		}
		return m
	}

	// The history holds no policy signatures, so the first run after it
	// is copied rewrites every service's policy document (on MinIO 10,000
	// admin calls), as the first run after an upgrade does. The hourly
	// run measured below is the one after: one run, untimed, reported in
	// the log.
	db, err := sqlite.Open(store)
	if err != nil {
		b.Fatal(err)
	}
	count.take()
	t0 := time.Now()
	r, err := manager(b, db).UpdateUsage(ctx, slices.Clone(services), account.UsageOptions{})
	db.Close()
	if err != nil {
		b.Fatal(err)
	}
	check(b, r)
	first := count.take()
	b.Logf("first run on the copied history, untimed: %v, %d admin calls, %d S3 calls",
		time.Since(t0).Round(time.Millisecond), count.admin(first), first["s3"])

	b.Run("inprocess", func(b *testing.B) {
		db, err := sqlite.Open(store)
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		m := manager(b, db)
		count.take()
		n := 0
		var ds []time.Duration
		for b.Loop() {
			t0 := time.Now()
			r, err := m.UpdateUsage(ctx, slices.Clone(services), account.UsageOptions{})
			ds = append(ds, time.Since(t0))
			if err != nil {
				b.Fatal(err)
			}
			check(b, r)
			n++
		}
		quantiles(b, "", ds)
		reportCalls(b, n)
	})

	b.Run("binary", func(b *testing.B) {
		req := envelope("usage.update", s, proxy, store, nil, nil, map[string]any{"services": services})
		b.ReportMetric(float64(len(req))/(1<<20), "requestMiB")
		if keep != "" {
			// The script's /usr/bin/time runs talk to MinIO directly.
			writeKept(b, keep, keptName(s, "usage10k.json"), envelope("usage.update", s, s.Endpoint, store, nil, nil, map[string]any{"services": services}))
		}
		count.take()
		n := 0
		var ds []time.Duration
		var rss int64
		for b.Loop() {
			r := execBinary(b, bin, req, "rpc")
			var res account.UsageResult
			answer(b, r.out, true, &res)
			check(b, res)
			ds = append(ds, r.wall)
			rss = max(rss, r.maxRSS)
			n++
		}
		quantiles(b, "", ds)
		b.ReportMetric(float64(rss)/1024, "maxRSS-MiB")
		reportCalls(b, n)
		if fi, err := os.Stat(store); err == nil {
			b.ReportMetric(float64(fi.Size())/(1<<20), "dbMiB")
		}
	})

	// The per-account approach: for each service, list the buckets and list
	// every object version of those it owns. Measured on usagePerAcctN
	// services (every 50th owns a bucket, as in the full set); the figure
	// for 10,000 is extrapolated linearly and labelled so. MinIO only.
	if s.rgw() {
		return
	}
	b.Run("per-account-1k", func(b *testing.B) {
		pc, err := minio.New(proxy, &minio.Options{Creds: credentials.NewStaticV4(s.AccessKey, s.SecretKey, "")})
		if err != nil {
			b.Fatal(err)
		}
		count.take()
		n := 0
		var ds []time.Duration
		for b.Loop() {
			t0 := time.Now()
			owned := 0
			for _, svc := range services[:usagePerAcctN] {
				all, err := pc.ListBuckets(ctx)
				if err != nil {
					b.Fatal(err)
				}
				var sum int64
				for _, bk := range all {
					if !domain.OwnsBucket(svc.Username, bk.Name) {
						continue
					}
					owned++
					for o := range pc.ListObjects(ctx, bk.Name, minio.ListObjectsOptions{Recursive: true, WithVersions: true}) {
						if o.Err != nil {
							b.Fatal(o.Err)
						}
						sum += o.Size
					}
				}
				_ = sum
			}
			ds = append(ds, time.Since(t0))
			if owned != usagePerAcctN/usageEvery {
				b.Fatalf("%d owned buckets, want %d", owned, usagePerAcctN/usageEvery)
			}
			n++
		}
		quantiles(b, "", ds)
		c := count.take()
		b.ReportMetric(float64(c["s3"])/float64(n), "s3Calls/op")
		sorted := slices.Clone(ds)
		slices.Sort(sorted)
		b.ReportMetric(float64(sorted[len(sorted)/2])/1e6*usageServices/usagePerAcctN, "extrapolated-10k-ms")
	})
}

func copyBenchFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
