package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/puqminios3/puqminio/internal/sqlite"
	"github.com/puqminios3/puqminio/internal/testminio"
)

// puqminioBinary returns the puqminio binary: $PUQMINIO_BIN when set (the
// one `make build` made), else a fresh build of this package.
func puqminioBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("PUQMINIO_BIN"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("PUQMINIO_BIN=%s: %v", p, err)
		}
		return p
	}
	bin := filepath.Join(t.TempDir(), "puqminio")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// rpcAnswer is what one `puqminio rpc` run gave.
type rpcAnswer struct {
	OK     bool            `json:"ok"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		Retryable bool   `json:"retryable"`
	} `json:"error"`
	exit   int
	stdout string
	stderr string
	took   time.Duration
}

// startRPC starts `puqminio rpc` with req on stdin; the secrets travel on
// stdin only, never in the arguments or the environment.
func startRPC(t *testing.T, bin string, req any) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "rpc")
	cmd.Stdin = bytes.NewReader(body)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &out, &errb
}

// rpc runs `puqminio rpc` to the end and decodes its answer.
func rpc(t *testing.T, bin string, req any) rpcAnswer {
	t.Helper()
	start := time.Now()
	cmd, out, errb := startRPC(t, bin, req)
	err := cmd.Wait()
	a := rpcAnswer{took: time.Since(start), stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		a.exit = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if jerr := json.Unmarshal(out.Bytes(), &a); jerr != nil {
		t.Fatalf("puqminio rpc (exit %d) answered no JSON: %v\nstdout: %s\nstderr: %s", a.exit, jerr, a.stdout, a.stderr)
	}
	return a
}

// serverJSON is the request's server object for s at endpoint.
func serverJSON(s *testminio.Server, endpoint string, timeout int) map[string]any {
	return map[string]any{"id": 1, "endpoint": endpoint, "accessKey": s.AccessKey, "secretKey": s.SecretKey, "timeoutSeconds": timeout}
}

// usageRequest is a usage.update for n services, ids 1..n, users k-<id>.
func usageRequest(s *testminio.Server, dbPath string, n int) map[string]any {
	services := make([]map[string]any, n)
	for i := range services {
		id := i + 1
		services[i] = map[string]any{"id": id, "clientId": 9, "username": fmt.Sprintf("k-%d", id), "status": "Active",
			"product": map[string]any{"unit": "GB", "diskSpace": 10}}
	}
	return map[string]any{"v": 1, "action": "usage.update", "server": serverJSON(s, s.Endpoint, 120),
		"store": map[string]any{"path": dbPath}, "params": map[string]any{"services": services}}
}

// historyCheck opens the database as the next run would and checks that
// every recorded collection is whole. It returns the number of
// collections and the newest checked_at.
func historyCheck(t *testing.T, dbPath string, n int) (collections int, checkedAt int64) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+dbPath+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q := func(query string, dest ...any) {
		t.Helper()
		if err := db.QueryRow(query).Scan(dest...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}
	var integrity string
	q(`PRAGMA integrity_check`, &integrity)
	if integrity != "ok" {
		t.Fatalf("integrity_check: %s", integrity)
	}
	// Each collection is all the services or none of them.
	rows, err := db.Query(`SELECT at, count(*) FROM samples GROUP BY at`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var at int64
		var c int
		if err := rows.Scan(&at, &c); err != nil {
			t.Fatal(err)
		}
		collections++
		if c != n {
			t.Errorf("collection at %d holds %d of %d samples", at, c, n)
		}
	}
	rows.Close()
	var bad int
	q(`SELECT (SELECT count(*) FROM sample_times WHERE at NOT IN (SELECT at FROM samples)) +
		(SELECT count(DISTINCT at) FROM samples WHERE at NOT IN (SELECT at FROM sample_times))`, &bad)
	if bad != 0 {
		t.Errorf("%d sample times without samples or samples without their time", bad)
	}
	// The daily aggregates are exactly the sums of the samples.
	const perDay = `SELECT service_id, at - at % 86400 AS day, count(*) AS c, sum(bytes) AS s, max(at) AS m FROM samples GROUP BY 1, 2`
	q(`SELECT count(*) FROM usage_daily d LEFT JOIN (`+perDay+`) x ON x.service_id = d.service_id AND x.day = d.day
		WHERE x.c IS NULL OR x.c != d.samples OR x.s != d.sum_bytes OR x.m != d.last_at`, &bad)
	if bad != 0 {
		t.Errorf("%d daily rows disagree with the samples", bad)
	}
	q(`SELECT count(*) FROM (`+perDay+`) x LEFT JOIN usage_daily d ON x.service_id = d.service_id AND x.day = d.day WHERE d.day IS NULL`, &bad)
	if bad != 0 {
		t.Errorf("%d days of samples have no daily row", bad)
	}
	// Every account was checked by the same (last) collection.
	var accounts, distinct int
	q(`SELECT count(*), count(DISTINCT checked_at), max(checked_at) FROM accounts WHERE server_id = 1`, &accounts, &distinct, &checkedAt)
	if accounts != n || distinct != 1 {
		t.Errorf("%d accounts with %d different checked_at, want %d with one", accounts, distinct, n)
	}
	return collections, checkedAt
}

// A puqminio killed at any moment of a usage update, the SQLite write
// transaction included, leaves the history whole: a collection is there
// entirely or not at all, and the next run records normally.
func TestKilledUsageUpdateLeavesHistoryConsistent(t *testing.T) {
	n, kills := 10000, 1
	if os.Getenv("PUQMINIO_SOAK") != "" {
		n, kills = 20000, 4
	}
	bin := puqminioBinary(t)
	srv := testminio.Start(t, testminio.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	mc, err := minio.New(srv.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	for id := 1; id <= 20; id++ {
		b := fmt.Sprintf("k-%d-data", id)
		if err := mc.MakeBucket(ctx, b, minio.MakeBucketOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := mc.PutObject(ctx, b, "o", strings.NewReader(strings.Repeat("x", id*1000)), int64(id*1000), minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	dbPath := filepath.Join(t.TempDir(), "usage.db")
	req := usageRequest(srv, dbPath, n)

	seedAccounts(t, dbPath, n)
	var full time.Duration
	for i := 0; i < 2; i++ {
		a := rpc(t, bin, req)
		if !a.OK || a.exit != 0 {
			t.Fatalf("usage.update run %d: exit %d %s %s", i+1, a.exit, a.stdout, a.stderr)
		}
		full = a.took
	}
	collections, lastChecked := historyCheck(t, dbPath, n)

	// Kill points: spread over a whole run, denser towards its end where
	// the collection is written; and triggered by the first bytes in the
	// WAL (the transaction committing its pages), at once or a moment
	// later.
	type killPoint struct {
		frac float64       // of a full run, when not on the WAL
		wal  bool          // wait for the WAL to grow
		plus time.Duration // then wait this much more
	}
	var points []killPoint
	for k := 0; k < kills; k++ {
		for _, f := range []float64{0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 1.0, 1.1} {
			points = append(points, killPoint{frac: f})
		}
		for _, d := range []time.Duration{0, 0, 0, 200 * time.Microsecond, time.Millisecond, 5 * time.Millisecond, 20 * time.Millisecond} {
			points = append(points, killPoint{wal: true, plus: d})
		}
	}
	landed := map[string]int{}
	for _, point := range points {
		if walSize(dbPath) > 0 {
			t.Fatal("the WAL holds frames before the run; the previous run did not checkpoint")
		}
		cmd, _, _ := startRPC(t, bin, req)
		started := time.Now()
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		var err error
		done := false
		wait := func(d time.Duration) {
			if done {
				return
			}
			select {
			case err = <-exited:
				done = true
			case <-time.After(d):
			}
		}
		name := fmt.Sprintf("%.2f of a run", point.frac)
		if point.wal {
			name = fmt.Sprintf("WAL growing +%s", point.plus)
			// Spin, not sleep: the commit takes a few milliseconds.
			for !done && walSize(dbPath) <= 0 {
				select {
				case err = <-exited:
					done = true
				default:
				}
			}
			if point.plus > 0 {
				wait(point.plus)
			}
		} else {
			wait(time.Duration(point.frac * float64(full)))
		}
		delay := time.Since(started)
		wal := walSize(dbPath)
		if !done {
			_ = cmd.Process.Signal(syscall.SIGKILL)
			err = <-exited
		}
		killed := false
		if ee, ok := err.(*exec.ExitError); ok {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				killed = true
			}
		}
		after, checkedAt := historyCheck(t, dbPath, n)
		outcome := ""
		switch {
		case after > collections+1:
			t.Errorf("kill at %s: %d collections, was %d", name, after, collections)
		case !killed:
			outcome = "finished before the kill"
		case after == collections+1 || checkedAt > lastChecked:
			outcome = "killed after the commit: collection recorded"
		case wal > 0:
			outcome = "killed while the WAL was being written: collection not recorded"
		default:
			outcome = "killed before the write: collection not recorded"
		}
		landed[outcome]++
		t.Logf("kill at %s: after %s, WAL %d bytes: %s", name, delay.Round(10*time.Microsecond), wal, outcome)
		if t.Failed() {
			t.Fatalf("kill at %s (after %s) left the history inconsistent", name, delay.Round(time.Millisecond))
		}
		// The next run succeeds and records a whole collection.
		runStart := time.Now().Unix()
		a := rpc(t, bin, req)
		if !a.OK || a.exit != 0 {
			t.Fatalf("usage.update after a kill at %s: exit %d %s %s", name, a.exit, a.stdout, a.stderr)
		}
		collections, lastChecked = historyCheck(t, dbPath, n)
		if lastChecked < runStart {
			t.Fatalf("usage.update after a kill at %s recorded nothing: checked_at %d, run started at %d", name, lastChecked, runStart)
		}
	}
	t.Logf("%d services, a full run %s; %d kills: %v", n, full.Round(time.Millisecond), len(points), landed)
	if landed["killed before the write: collection not recorded"]+landed["killed while the WAL was being written: collection not recorded"] == 0 {
		t.Error("no kill landed before the collection was recorded; the kill points missed the run")
	}
}

// seedAccounts records services 1..n as known accounts, the way a first
// run leaves them, in one transaction.
func seedAccounts(t *testing.T, dbPath string, n int) {
	t.Helper()
	store, err := sqlite.Open(dbPath) // creates the schema
	if err != nil {
		t.Fatal(err)
	}
	store.Close()
	db, err := sql.Open("sqlite3", "file:"+dbPath+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Unix()
	for id := 1; id <= n; id++ {
		if _, err := tx.Exec(`INSERT INTO accounts (server_id, service_id, username, policy, created_at) VALUES (1, ?, ?, 'standard', ?)`,
			id, fmt.Sprintf("k-%d", id), now); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// walSize is the size of the database's WAL file, -1 when there is none.
// A run that closes cleanly checkpoints and removes it; the first bytes in
// it are the collection's transaction being committed.
func walSize(dbPath string) int64 {
	fi, err := os.Stat(dbPath + "-wal")
	if err != nil {
		return -1
	}
	return fi.Size()
}
