package sqlite

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/puqminios3/puqminio/internal/domain"
)

// The benchmark history: 10,000 services with one sample a day for two
// years, ending at benchNow: 7.3 million daily rows, and the raw samples
// the billing window keeps (since the start of the previous month).
const (
	benchServices = 10000
	benchDays     = 730
	benchData     = 2 // bump when the generated data changes
)

var benchNow = time.Date(2026, time.March, 1, 0, 0, 0, 0, time.UTC)

var (
	benchOnce sync.Once
	benchPath string
	benchErr  error
)

// benchDB returns the path of the benchmark database, building it once and
// caching it under os.TempDir, keyed by schema and data version, so that
// later runs start at once.
func benchDB(b *testing.B) string {
	b.Helper()
	benchOnce.Do(func() {
		benchPath = filepath.Join(os.TempDir(), fmt.Sprintf("puqminio-bench-s%d-d%d-%dx%d.db",
			SchemaVersion(), benchData, benchServices, benchDays))
		if _, err := os.Stat(benchPath); err == nil {
			return
		}
		t0 := time.Now()
		benchErr = buildBenchDB(benchPath)
		b.Logf("built %s in %v", benchPath, time.Since(t0).Round(time.Millisecond))
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchPath
}

// buildBenchDB generates the history (SeedSynthetic) into a temporary file
// it renames at the end, so that an interrupted build is never mistaken for
// a finished one.
func buildBenchDB(path string) error {
	tmp := path + ".building"
	for _, p := range []string{tmp, tmp + "-wal", tmp + "-shm"} {
		os.Remove(p)
	}
	if err := SeedSynthetic(tmp, Synthetic{ServerID: 1, Services: benchServices, Days: benchDays, End: benchNow}); err != nil {
		return fmt.Errorf("building the benchmark database: %w", err)
	}
	return os.Rename(tmp, path)
}

func reportSize(b *testing.B, path string) {
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(fi.Size())/(1<<20), "dbMiB")
}

func openBench(b *testing.B) *DB {
	b.Helper()
	path := benchDB(b)
	db, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	db.Now = func() time.Time { return benchNow }
	b.Cleanup(func() { reportSize(b, path) })
	return db
}

// benchID spreads reads over the services, as client pages would.
func benchID(i int) int64 { return int64(i*7919%benchServices + 1) }

// BenchmarkRecordCollection10k writes one collection of 10,000 samples,
// with their states and the daily pruning, into a copy of the two-year
// history; each iteration is the next hourly run.
func BenchmarkRecordCollection10k(b *testing.B) {
	src := benchDB(b)
	path := filepath.Join(b.TempDir(), "usage.db")
	if err := copyFile(src, path); err != nil {
		b.Fatal(err)
	}
	db, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	samples := make([]domain.Sample, benchServices)
	states := make(map[int64]domain.AccountState, benchServices)
	retention := make(map[int64]int, benchServices)
	for i := range samples {
		id := int64(i + 1)
		samples[i] = domain.Sample{ServiceID: id, Bytes: id << 20, Objects: id, Versions: id, Source: domain.UsageScanner}
		states[id] = domain.AccountState{Policy: domain.PolicyStandard}
		retention[id] = benchDays
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		now := benchNow.Add(time.Duration(i+3) * time.Hour)
		db.Now = func() time.Time { return now }
		for j := range samples {
			samples[j].At = now
		}
		if err := db.RecordCollection(ctx, 1, samples, states, retention); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportSize(b, path)
}

// BenchmarkDaily30 reads one service's last 30 days.
func BenchmarkDaily30(b *testing.B) {
	db := openBench(b)
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		days, err := db.Daily(ctx, benchID(i), benchNow.AddDate(0, 0, -30), benchNow)
		if err != nil || len(days) != 30 {
			b.Fatalf("%d days, %v", len(days), err)
		}
	}
}

// BenchmarkMonthly12 reads one service's last 12 calendar months.
func BenchmarkMonthly12(b *testing.B) {
	db := openBench(b)
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		months, err := db.Monthly(ctx, benchID(i), 12, benchNow.Add(-time.Hour))
		if err != nil || len(months) != 12 {
			b.Fatalf("%d months, %v", len(months), err)
		}
	}
}

// BenchmarkMonthToDate computes one service's billing average.
func BenchmarkMonthToDate(b *testing.B) {
	db := openBench(b)
	ctx := context.Background()
	now := benchNow.Add(-time.Hour) // the last day of February: 27 samples and a carry-in
	for i := 0; b.Loop(); i++ {
		if _, err := db.MonthToDateAverageBytes(ctx, benchID(i), now); err != nil {
			b.Fatal(err)
		}
	}
}

func copyFile(src, dst string) error {
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
