package minioaudit

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/sqlite"
)

const testToken = "test-token-0123456789abcdef"

// syncBuffer is a log destination safe for the writer goroutine.
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

type fixture struct {
	db   *sqlite.DB
	path string
	rcv  *Receiver
	srv  *httptest.Server
	log  *syncBuffer
}

// newFixture runs a receiver on a real store with users 12-34 (service 34)
// and 12-35 (service 35) on server 1.
func newFixture(t *testing.T, edit func(*Config)) *fixture {
	t.Helper()
	f := &fixture{path: filepath.Join(t.TempDir(), "usage.db"), log: &syncBuffer{}}
	var err error
	if f.db, err = sqlite.Open(f.path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.db.Close() })
	if err := f.db.SaveAccounts(context.Background(), []domain.Account{
		{ServerID: 1, ServiceID: 34, Username: "12-34"}, {ServerID: 1, ServiceID: 35, Username: "12-35"},
	}); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Token: testToken, Store: sqlite.TrafficStore{DB: f.db, ServerID: 1},
		Log: slog.New(slog.NewJSONHandler(f.log, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if edit != nil {
		edit(&cfg)
	}
	if f.rcv, err = New(cfg); err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(f.rcv)
	t.Cleanup(func() {
		f.srv.Close()
		_ = f.rcv.Close(context.Background())
		if strings.Contains(f.log.String(), testToken) {
			t.Error("the token reached the log")
		}
	})
	return f
}

func (f *fixture) post(t *testing.T, auth string, body io.Reader) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+AuditPath, body)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (f *fixture) postOK(t *testing.T, body []byte) {
	t.Helper()
	if code, msg := f.post(t, "Bearer "+testToken, bytes.NewReader(body)); code != http.StatusOK {
		t.Fatalf("status %d: %s", code, msg)
	}
}

func (f *fixture) total(t *testing.T, svc int64) domain.Traffic {
	t.Helper()
	got, err := f.db.TrafficTotal(context.Background(), svc, time.Unix(0, 0), time.Now().AddDate(10, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// entries builds n request entries of user on bucket, each tx bytes out,
// with request ids from first on.
func entries(n, first int, user, bucket string, tx int64) []byte {
	var b []byte
	for i := range n {
		b = append(b, entry(func(m map[string]any) {
			m["requestID"] = fmt.Sprintf("%016X", first+i)
			m["accessKey"] = user
			api := m["api"].(map[string]any)
			api["bucket"] = bucket
			api["tx"] = tx
		})...)
	}
	return b
}

func TestReceiverStoresAndAnswers(t *testing.T) {
	f := newFixture(t, nil)
	body := append(entries(3, 0, "12-34", "12-34-data", 1000), entries(2, 100, "12-35", "12-35-data", 7)...)
	body = append(body, entry(func(m map[string]any) { m["trigger"] = "scanner:manyversions"; delete(m, "requestID") })...)
	f.postOK(t, body)
	// Answered 200 means stored: no waiting.
	if got := f.total(t, 34); got != (domain.Traffic{Egress: 3000, Headers: 900, Requests: 3}) {
		t.Fatalf("service 34: %+v", got)
	}
	if got := f.total(t, 35); got != (domain.Traffic{Egress: 14, Headers: 600, Requests: 2}) {
		t.Fatalf("service 35: %+v", got)
	}
	// MinIO sends the batch again: 200, nothing counted twice.
	f.postOK(t, body)
	if got := f.total(t, 34); got.Requests != 3 {
		t.Fatalf("counted twice: %+v", got)
	}
	h := f.rcv.Health()
	if h.Received != 12 || h.Stored != 5 || h.Duplicates != 5 || h.Ignored != 2 || h.Queued != 0 {
		t.Fatalf("health %+v", h)
	}
	// Any case of the scheme is the same token.
	if code, _ := f.post(t, "bearer "+testToken, bytes.NewReader(entries(1, 200, "12-34", "12-34-data", 1))); code != 200 {
		t.Fatalf("lower-case scheme: %d", code)
	}
}

func TestReceiverRefusals(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Limits = Limits{MaxBodyBytes: 1 << 20, MaxEntryBytes: 64 << 10, MaxEntries: 100} })
	good := entries(1, 0, "12-34", "12-34-data", 5)
	for name, tc := range map[string]struct {
		auth   string
		body   string
		status int
	}{
		"no token":          {"", string(good), 401},
		"wrong token":       {"Bearer nope", string(good), 401},
		"token alone":       {testToken, string(good), 401},
		"basic":             {"Basic " + testToken, string(good), 401},
		"token with suffix": {"Bearer " + testToken + "x", string(good), 401},
		"malformed":         {"Bearer " + testToken, "{not json", 400},
		"empty":             {"Bearer " + testToken, "", 400},
		"half good":         {"Bearer " + testToken, string(good) + "{\"version\":", 400},
		"too many":          {"Bearer " + testToken, string(entries(101, 0, "12-34", "12-34-data", 5)), 413},
	} {
		code, msg := f.post(t, tc.auth, strings.NewReader(tc.body))
		if code != tc.status {
			t.Errorf("%s: %d %s", name, code, msg)
		}
	}
	if got := f.total(t, 34); got != (domain.Traffic{}) {
		t.Fatalf("refused posts counted %+v", got)
	}
	// A declared length over the limit is refused before the body is read.
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+AuditPath, strings.NewReader(strings.Repeat(" ", 2<<20)))
	req.Header.Set("Authorization", "Bearer "+testToken)
	if resp, err := f.srv.Client().Do(req); err != nil || resp.StatusCode != 413 {
		t.Fatalf("declared too large: %v %v", resp, err)
	}
	for _, c := range []struct{ method, path string }{{"GET", AuditPath}, {"POST", HealthPath}, {"POST", "/"}, {"GET", "/audit/x"}} {
		req, _ := http.NewRequest(c.method, f.srv.URL+c.path, nil)
		resp, err := f.srv.Client().Do(req)
		if err != nil || resp.StatusCode < 400 || resp.StatusCode == 200 {
			t.Errorf("%s %s: %v %v", c.method, c.path, resp, err)
		}
	}
	if !strings.Contains(f.log.String(), `"status":401`) || !strings.Contains(f.log.String(), `"status":400`) {
		t.Errorf("refusals not logged:\n%s", f.log.String())
	}
}

// endlessEntries is a never-ending body of valid entries: only the
// receiver's limit stops it.
type endlessEntries struct {
	one  []byte
	left []byte
	sent atomic.Int64 // the client's transport reads in its own goroutine
}

func (e *endlessEntries) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(e.left) == 0 {
			e.left = e.one
		}
		k := copy(p[n:], e.left)
		e.left = e.left[k:]
		n += k
	}
	e.sent.Add(int64(n))
	return n, nil
}

// A huge body (streamed, no length declared) and a huge malformed one are
// refused without the receiver's memory growing with them.
func TestReceiverHugeBodiesKeepMemoryFlat(t *testing.T) {
	f := newFixture(t, nil)
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse
	}
	before := heap()
	var peak uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	for _, tc := range []struct {
		name   string
		head   string
		body   *endlessEntries
		status int
	}{
		{"valid entries", "", &endlessEntries{one: entries(1, 0, "12-34", "12-34-data", 5)}, 413},
		{"an entry that never ends", `{"version":"1","x":"`, &endlessEntries{one: []byte("a")}, 413},
		{"nesting that never ends", `{"version":"1","x":`, &endlessEntries{one: []byte("[")}, 400},
		{"garbage", "", &endlessEntries{one: []byte("]")}, 400},
	} {
		r := io.MultiReader(strings.NewReader(tc.head), io.LimitReader(tc.body, 200<<20))
		req, _ := http.NewRequest(http.MethodPost, f.srv.URL+AuditPath, r)
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := f.srv.Client().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		// The receiver answers and closes the connection; the client may
		// see the answer or a broken pipe.
		if err == nil && resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, resp.StatusCode, tc.status)
		}
		if sent := tc.body.sent.Load(); sent > 100<<20 {
			t.Errorf("%s: the receiver read %d MB before refusing", tc.name, sent>>20)
		}
	}
	close(stop)
	<-done
	// 4 MiB entry buffer plus the queue's entries (10,000 at most per
	// body) and the test's own garbage: far under the 200 MB sent.
	if grew := int64(peak) - int64(before); grew > 48<<20 {
		t.Fatalf("heap grew by %d MB", grew>>20)
	}
	if got := f.total(t, 34); got != (domain.Traffic{}) {
		t.Fatalf("a refused body was counted: %+v", got)
	}
}

// holdLock takes SQLite's write lock on path from another connection until
// the returned function is called.
func holdLock(t *testing.T, path string) func() {
	t.Helper()
	raw, err := sql.Open("sqlite3", "file:"+path+"?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	raw.SetMaxOpenConns(1)
	tx, err := raw.Begin()
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release := func() {
		once.Do(func() {
			_ = tx.Rollback()
			raw.Close()
		})
	}
	t.Cleanup(release)
	return release
}

// A store that fails (the write lock held elsewhere past the deadline) is
// answered 503, so MinIO keeps the batch; once it works, the batch is
// stored once.
func TestReceiverStoreFailureIs503(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.StoreTimeout = time.Second; c.AnswerWithin = 10 * time.Second })
	release := holdLock(t, f.path)
	body := entries(4, 0, "12-34", "12-34-data", 10)
	if code, _ := f.post(t, "Bearer "+testToken, bytes.NewReader(body)); code != http.StatusServiceUnavailable {
		t.Fatalf("status %d with the database locked", code)
	}
	if !strings.Contains(f.log.String(), "storing traffic failed") {
		t.Fatalf("failure not logged:\n%s", f.log.String())
	}
	release()
	f.postOK(t, body)
	if got := f.total(t, 34); got.Requests != 4 || got.Egress != 40 {
		t.Fatalf("after the retry: %+v", got)
	}
}

// A full queue answers 503 at once; the memory held never passes QueueSize.
func TestReceiverQueueFull(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.Limits = Limits{MaxBodyBytes: 1 << 20, MaxEntryBytes: 64 << 10, MaxEntries: 5}
		c.QueueSize = 10
		c.AnswerWithin = time.Minute
	})
	release := holdLock(t, f.path)
	var wg sync.WaitGroup
	var codes [3]atomic.Int64
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, _ := f.post(t, "Bearer "+testToken, bytes.NewReader(entries(5, i*10, "12-34", "12-34-data", 1)))
			codes[i].Store(int64(code))
		}()
		// The first two fill the queue (the writer is stuck on the lock);
		// wait until they hold it before sending the third.
		if i < 2 {
			waitFor(t, func() bool { return f.rcv.Health().Queued == int64(5*(i+1)) })
		}
	}
	waitFor(t, func() bool { return codes[2].Load() != 0 })
	if c := codes[2].Load(); c != http.StatusServiceUnavailable {
		t.Fatalf("third post: %d", c)
	}
	release()
	wg.Wait()
	if codes[0].Load() != 200 || codes[1].Load() != 200 {
		t.Fatalf("codes %d %d", codes[0].Load(), codes[1].Load())
	}
	f.postOK(t, entries(5, 20, "12-34", "12-34-data", 1)) // MinIO's retry
	if got := f.total(t, 34); got.Requests != 15 {
		t.Fatalf("stored %+v", got)
	}
}

// Close answers new posts 503, stores what is queued, then returns.
func TestReceiverCloseFlushes(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.AnswerWithin = time.Minute })
	release := holdLock(t, f.path)
	status := make(chan int, 1)
	go func() {
		code, _ := f.post(t, "Bearer "+testToken, bytes.NewReader(entries(3, 0, "12-34", "12-34-data", 1)))
		status <- code
	}()
	waitFor(t, func() bool { return f.rcv.Health().Queued == 3 })
	closed := make(chan error, 1)
	go func() { closed <- f.rcv.Close(context.Background()) }()
	waitFor(t, func() bool { return f.rcv.Health().Status == "stopping" })
	if code, _ := f.post(t, "Bearer "+testToken, bytes.NewReader(entries(1, 9, "12-34", "12-34-data", 1))); code != 503 {
		t.Fatalf("a post while stopping: %d", code)
	}
	resp, err := http.Get(f.srv.URL + HealthPath)
	if err != nil || resp.StatusCode != 503 {
		t.Fatalf("health while stopping: %v %v", resp, err)
	}
	var h Health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil || h.Status != "stopping" || h.Queued != 3 {
		t.Fatalf("health %+v %v", h, err)
	}
	resp.Body.Close()
	release()
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if code := <-status; code != 200 {
		t.Fatalf("the queued post: %d", code)
	}
	if got := f.total(t, 34); got.Requests != 3 {
		t.Fatalf("stored %+v", got)
	}
}

// waitFor polls cond until it holds; the deadline is generous, never an
// assertion about speed.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 60 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
