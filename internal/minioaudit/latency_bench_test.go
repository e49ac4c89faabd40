package minioaudit

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/puqminios3/puqminio/internal/sqlite"
	"github.com/puqminios3/puqminio/internal/testminio"
	"github.com/puqminios3/puqminio/internal/testport"
)

// latencyObject is the size of the objects the latency benchmark puts and
// gets: a small object, where a per-request cost shows most.
const latencyObject = 64 << 10

// startAuditedMinIO starts a MinIO whose audit webhook posts, with a
// queue_dir and batches of 100 as docs/install.md recommends, to a
// receiver in this process that stores into a real SQLite database. It
// returns the server and the receiver.
func startAuditedMinIO(b *testing.B) (*testminio.Server, *Receiver) {
	b.Helper()
	db, err := sqlite.Open(filepath.Join(b.TempDir(), "usage.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	rcv, err := New(Config{Token: testToken, Store: sqlite.TrafficStore{DB: db, ServerID: 1}})
	if err != nil {
		b.Fatal(err)
	}
	ln, release, err := testport.Listen()
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: rcv}
	go srv.Serve(ln)
	b.Cleanup(func() {
		srv.Close()
		release()
		_ = rcv.Close(context.Background())
	})
	s := testminio.Start(b, testminio.Options{Env: []string{
		"MINIO_AUDIT_WEBHOOK_ENABLE_PUQ=on",
		"MINIO_AUDIT_WEBHOOK_ENDPOINT_PUQ=http://" + ln.Addr().String() + AuditPath,
		"MINIO_AUDIT_WEBHOOK_AUTH_TOKEN_PUQ=Bearer " + testToken,
		"MINIO_AUDIT_WEBHOOK_QUEUE_DIR_PUQ=" + filepath.Join(b.TempDir(), "audit-queue"),
		"MINIO_AUDIT_WEBHOOK_BATCH_SIZE_PUQ=100",
	}})
	return s, rcv
}

// benchLatency measures MinIO's answer times for a PUT and a GET of a
// 64 KiB object, each iteration one of each, by clients callers at once,
// and reports the median and the 99th percentile of each kind. With
// webhook, MinIO sends every request's audit entry to the receiver, which
// stores it; the benchmark then checks that it did.
func benchLatency(b *testing.B, webhook bool, clients int) {
	var s *testminio.Server
	var rcv *Receiver
	if webhook {
		s, rcv = startAuditedMinIO(b)
	} else {
		s = testminio.Start(b, testminio.Options{})
	}
	c, err := minio.New(s.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(s.AccessKey, s.SecretKey, "")})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := c.MakeBucket(ctx, "latency", minio.MakeBucketOptions{}); err != nil {
		b.Fatal(err)
	}
	body := make([]byte, latencyObject)
	if _, err := rand.Read(body); err != nil {
		b.Fatal(err)
	}
	op := func(worker, i int, puts, gets *[]time.Duration) error {
		name := fmt.Sprintf("w%d/%d", worker, i%50)
		start := time.Now()
		if _, err := c.PutObject(ctx, "latency", name, bytes.NewReader(body), latencyObject, minio.PutObjectOptions{}); err != nil {
			return err
		}
		mid := time.Now()
		o, err := c.GetObject(ctx, "latency", name, minio.GetObjectOptions{})
		if err != nil {
			return err
		}
		n, err := io.Copy(io.Discard, o)
		o.Close()
		if err != nil || n != latencyObject {
			return fmt.Errorf("get %s: %d bytes, %v", name, n, err)
		}
		if puts != nil {
			*puts = append(*puts, mid.Sub(start))
			*gets = append(*gets, time.Since(mid))
		}
		return nil
	}
	for i := range 20 { // connections, caches, the webhook's first batch
		if err := op(0, i, nil, nil); err != nil {
			b.Fatal(err)
		}
	}

	var mu sync.Mutex
	var puts, gets []time.Duration
	var wg sync.WaitGroup
	next := make(chan int)
	b.ResetTimer()
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var p, g []time.Duration
			for i := range next {
				if err := op(w, i, &p, &g); err != nil {
					b.Error(err)
				}
			}
			mu.Lock()
			puts, gets = append(puts, p...), append(gets, g...)
			mu.Unlock()
		}()
	}
	for i := range b.N {
		next <- i
	}
	close(next)
	wg.Wait()
	b.StopTimer()

	pct := func(d []time.Duration, p float64) float64 {
		slices.Sort(d)
		return float64(d[int(p*float64(len(d)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(pct(puts, 0.5), "put-p50-ms")
	b.ReportMetric(pct(puts, 0.99), "put-p99-ms")
	b.ReportMetric(pct(gets, 0.5), "get-p50-ms")
	b.ReportMetric(pct(gets, 0.99), "get-p99-ms")

	if webhook {
		// The entries of the timed requests reach the receiver within
		// MinIO's batch second and its 3-second queue scan.
		want := int64(2*b.N) + 40
		deadline := time.Now().Add(30 * time.Second)
		for rcv.Health().Stored < want && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		if got := rcv.Health().Stored; got < want {
			b.Fatalf("the receiver stored %d audit entries, want at least %d", got, want)
		}
	}
}

// MinIO's request latency without and with the audit webhook posting to
// the receiver: one client after another request, and eight at once.
func BenchmarkMinIOLatency(b *testing.B) {
	for _, clients := range []int{1, 8} {
		for _, webhook := range []bool{false, true} {
			name := fmt.Sprintf("clients=%d/webhook=off", clients)
			if webhook {
				name = fmt.Sprintf("clients=%d/webhook=on", clients)
			}
			b.Run(name, func(b *testing.B) { benchLatency(b, webhook, clients) })
		}
	}
}
