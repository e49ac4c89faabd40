package minioaudit

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/puqminios3/puqminio/internal/sqlite"
)

// postBodies makes bodies of perPost entries copied from MinIO's real
// output (about 1.5 KB each), each with its own request id, so that every
// entry is new to the store.
type postBodies struct {
	tpl   []byte // one real entry
	idAt  int    // offset of its 16-digit request id
	next  atomic.Int64
	total int
}

func newPostBodies(b *testing.B, perPost int) *postBodies {
	b.Helper()
	es := bytes.SplitAfter(realBatch(b), []byte("\n"))
	tpl := es[2] // the PutObject
	at := bytes.Index(tpl, []byte(`"requestID":"`)) + len(`"requestID":"`)
	return &postBodies{tpl: tpl, idAt: at, total: perPost}
}

func (p *postBodies) body() []byte {
	out := make([]byte, 0, len(p.tpl)*p.total)
	for range p.total {
		id := p.next.Add(1)
		start := len(out)
		out = append(out, p.tpl...)
		copy(out[start+p.idAt:], fmt.Sprintf("%016X", id))
	}
	return out
}

// benchReceiver measures entries stored per second by a receiver on a real
// SQLite store, with posters posting bodies of perPost entries at once
// (MinIO sends one batch at a time per node and target with a queue_dir),
// and the peak heap while it runs.
func benchReceiver(b *testing.B, posters, perPost int) {
	db, err := sqlite.Open(filepath.Join(b.TempDir(), "usage.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	rcv, err := New(Config{Token: testToken, Store: sqlite.TrafficStore{DB: db, ServerID: 1}, AnswerWithin: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	bodies := newPostBodies(b, perPost)

	var peak atomic.Uint64
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Add(1)
	go func() {
		defer sampler.Done()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()

	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	var left atomic.Int64
	left.Store(int64(b.N))
	for range posters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for left.Add(-1) >= 0 {
				req, _ := http.NewRequest(http.MethodPost, srv.URL+AuditPath, bytes.NewReader(bodies.body()))
				req.Header.Set("Authorization", "Bearer "+testToken)
				resp, err := srv.Client().Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(stop)
	sampler.Wait()
	if err := rcv.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
	if got := rcv.Health().Stored; got != int64(b.N*perPost) {
		b.Fatalf("stored %d of %d", got, b.N*perPost)
	}
	b.ReportMetric(float64(b.N*perPost)/elapsed.Seconds(), "entries/s")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
	b.ReportMetric(0, "ns/op")
}

// One MinIO node with a queue_dir: one post at a time, batch_size 100.
func BenchmarkReceiverOnePoster100(b *testing.B) { benchReceiver(b, 1, 100) }

// Eight nodes (or MinIO without a queue_dir, which posts from up to 16
// workers), batch_size 100.
func BenchmarkReceiverEightPosters100(b *testing.B) { benchReceiver(b, 8, 100) }

// batch_size 1000.
func BenchmarkReceiverEightPosters1000(b *testing.B) { benchReceiver(b, 8, 1000) }
