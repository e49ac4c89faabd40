package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
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
)

// auditBodies makes POST bodies of perPost entries, each a copy of a real
// PutObject entry MinIO posted (about 1.5 KB) with its own request id, so
// that every entry is new to the store.
type auditBodies struct {
	tpl     []byte
	idAt    int
	next    atomic.Int64
	perPost int
}

func newAuditBodies(b *testing.B, perPost int) *auditBodies {
	b.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "internal", "minioaudit", "testdata", "batch3.ndjson"))
	if err != nil {
		b.Fatal(err)
	}
	tpl := bytes.SplitAfter(raw, []byte("\n"))[2] // the PutObject
	at := bytes.Index(tpl, []byte(`"requestID":"`)) + len(`"requestID":"`)
	return &auditBodies{tpl: tpl, idAt: at, perPost: perPost}
}

func (a *auditBodies) body() []byte {
	out := make([]byte, 0, len(a.tpl)*a.perPost)
	for range a.perPost {
		start := len(out)
		out = append(out, a.tpl...)
		copy(out[start+a.idAt:], fmt.Sprintf("%016X", a.next.Add(1)))
	}
	return out
}

// peakRSS reads a process's peak resident set (VmHWM) in MiB.
func peakRSS(b *testing.B, pid int) float64 {
	b.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb / 1024
		}
	}
	b.Fatal("no VmHWM")
	return 0
}

// benchServeProcess measures `puqminio traffic serve` as it runs in
// production, its own process on a real SQLite store: entries stored per
// second while posters post bodies of perPost entries at once, each waiting
// for its answer (as MinIO's queue sender does), and the process's peak
// resident memory.
func benchServeProcess(b *testing.B, posters, perPost int) {
	bin := os.Getenv("PUQMINIO_BIN")
	if bin == "" {
		b.Skip("set PUQMINIO_BIN to the built binary (make build)")
	}
	addr := freeAddrB(b)
	cmd := exec.Command(bin, "traffic", "serve", "--listen", addr, "--db", filepath.Join(b.TempDir(), "usage.db"), "--server-id", "1")
	cmd.Env = append(os.Environ(), "PUQMINIO_TRAFFIC_TOKEN="+trafficTestToken)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	for i := 0; ; i++ {
		resp, err := http.Get("http://" + addr + "/health")
		if err == nil {
			resp.Body.Close()
			break
		}
		if i > 600 {
			b.Fatalf("the receiver did not start: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	bodies := newAuditBodies(b, perPost)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: posters}}
	var left atomic.Int64
	left.Store(int64(b.N))
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range posters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for left.Add(-1) >= 0 {
				req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/audit", bytes.NewReader(bodies.body()))
				req.Header.Set("Authorization", "Bearer "+trafficTestToken)
				resp, err := client.Do(req)
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
	b.ReportMetric(float64(b.N*perPost)/elapsed.Seconds(), "entries/s")
	b.ReportMetric(peakRSS(b, cmd.Process.Pid), "peak-rss-MB")
	b.ReportMetric(0, "ns/op")
}

func freeAddrB(b *testing.B) string {
	b.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// One MinIO node with a queue_dir (one post at a time), batch_size 100.
func BenchmarkTrafficServeOnePoster100(b *testing.B) { benchServeProcess(b, 1, 100) }

// Eight nodes at once, batch_size 100.
func BenchmarkTrafficServeEightPosters100(b *testing.B) { benchServeProcess(b, 8, 100) }

// Eight nodes, batch_size 1000.
func BenchmarkTrafficServeEightPosters1000(b *testing.B) { benchServeProcess(b, 8, 1000) }
