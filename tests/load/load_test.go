package load

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/puqminios3/puqminio/internal/account"
	"github.com/puqminios3/puqminio/internal/bridge"
	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/sqlite"
	"github.com/puqminios3/puqminio/internal/testminio"
)

// The timeouts the WHMCS module sends (lib/Request.php, lib/Usage.php).
const (
	interactiveTimeout = 30  // seconds, every call but the usage update
	usageTimeout       = 300 // seconds, the usage update
)

// locked matches every way SQLite contention could surface: SQLite's own
// texts and the message internal/sqlite gives SQLITE_BUSY and SQLITE_LOCKED.
var locked = regexp.MustCompile(`(?i)database is locked|database table is locked|sqlite_busy|sqlite_locked|stayed locked`)

// product is every service's product: 10 GB, a default bucket, 400 days of
// history (more than the seeded 60, so no update prunes the seed).
var product = domain.Product{Unit: "GB", DiskSpace: 10, DefaultBucket: true, HistoryDays: 400}

// config is one run's size, from the environment (see the package doc).
type config struct {
	seconds, services, workers, days, users, updaters int
	report                                            string
}

func loadConfig(t *testing.T) config {
	c := config{
		seconds:  envInt(t, "PUQMINIO_LOAD_SECONDS", 15),
		services: envInt(t, "PUQMINIO_LOAD_SERVICES", 2000),
		workers:  envInt(t, "PUQMINIO_LOAD_WORKERS", 50),
		days:     envInt(t, "PUQMINIO_LOAD_DAYS", 60),
		users:    envInt(t, "PUQMINIO_LOAD_USERS", 20),
		updaters: envInt(t, "PUQMINIO_LOAD_UPDATERS", 1),
		report:   os.Getenv("PUQMINIO_LOAD_REPORT"),
	}
	if c.users > c.services {
		t.Fatalf("PUQMINIO_LOAD_USERS (%d) is more than PUQMINIO_LOAD_SERVICES (%d)", c.users, c.services)
	}
	return c
}

// outcome is one call of the binary.
type outcome struct {
	action string
	wall   time.Duration
	code   string // "" when ok
	msg    string
	locked string // the line that mentioned a lock, if any
	result json.RawMessage
}

// recorder collects the outcomes of all callers.
type recorder struct {
	mu     sync.Mutex
	lat    map[string][]time.Duration
	errs   map[string]map[string]int // action -> code -> count
	first  []string                  // the first error messages, for the failure report
	locks  []string
	nCalls int
}

func newRecorder() *recorder {
	return &recorder{lat: map[string][]time.Duration{}, errs: map[string]map[string]int{}}
}

func (r *recorder) add(o outcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.nCalls++
	r.lat[o.action] = append(r.lat[o.action], o.wall)
	if o.code != "" {
		if r.errs[o.action] == nil {
			r.errs[o.action] = map[string]int{}
		}
		r.errs[o.action][o.code]++
		if len(r.first) < 20 {
			r.first = append(r.first, fmt.Sprintf("%s: %s: %s", o.action, o.code, o.msg))
		}
	}
	if o.locked != "" && len(r.locks) < 20 {
		r.locks = append(r.locks, o.action+": "+o.locked)
	}
}

// harness holds what every call needs.
type harness struct {
	srv    *testminio.Server
	store  string
	rec    *recorder
	server bridge.Server
}

// request builds an envelope with the module's own types.
func (h *harness) request(action string, timeout int, svc *domain.ServiceRef, prod *domain.Product, params any) []byte {
	srv := h.server
	srv.TimeoutSeconds = timeout
	req := bridge.Request{V: bridge.Version, Action: action, Server: &srv, Store: &bridge.Store{Path: h.store}, Service: svc, Product: prod}
	if params != nil {
		p, err := json.Marshal(params)
		if err != nil {
			panic(err)
		}
		req.Params = p
	}
	data, err := json.Marshal(req)
	if err != nil {
		panic(err)
	}
	return data
}

// call runs `puqminio rpc` once with req on stdin, as the PHP bridge does,
// and records the outcome under action.
func (h *harness) call(action string, timeout int, req []byte) outcome {
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(timeout+120)*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "rpc")
	cmd.Stdin = bytes.NewReader(req)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	t0 := time.Now()
	err := cmd.Run()
	o := outcome{action: action, wall: time.Since(t0)}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		o.code, o.msg = "KILLED", fmt.Sprintf("no answer within %ds; killed", timeout+120)
	case err != nil && !errors.As(err, &ee):
		o.code, o.msg = "EXEC", err.Error()
	default:
		var resp struct {
			OK     bool              `json:"ok"`
			Result json.RawMessage   `json:"result"`
			Error  *bridge.ErrorBody `json:"error"`
		}
		switch derr := json.Unmarshal(stdout.Bytes(), &resp); {
		case derr != nil:
			o.code, o.msg = "NOANSWER", fmt.Sprintf("%v (exit %v): %.300q", derr, err, stdout.String())
		case !resp.OK && resp.Error != nil:
			o.code, o.msg = resp.Error.Code, resp.Error.Message
		case !resp.OK || err != nil:
			o.code, o.msg = "BADANSWER", fmt.Sprintf("ok=%v exit %v", resp.OK, err)
		default:
			o.result = resp.Result
		}
	}
	for _, stream := range []*bytes.Buffer{&stdout, &stderr} {
		if loc := locked.FindIndex(stream.Bytes()); loc != nil && o.locked == "" {
			line := stream.Bytes()[max(0, loc[0]-200):min(stream.Len(), loc[1]+200)]
			o.locked = string(line)
		}
	}
	h.rec.add(o)
	return o
}

// TestConcurrentCallsDuringUsageUpdate is issue 6's load check: many
// concurrent bridge calls while the usage update writes, through the real
// binary. Zero errors and no lock error are asserted; latencies are logged.
func TestConcurrentCallsDuringUsageUpdate(t *testing.T) {
	cfg := loadConfig(t)
	srv := testminio.Start(t, testminio.Options{})
	dir := t.TempDir()
	h := &harness{srv: srv, store: filepath.Join(dir, "usage.db"), rec: newRecorder(),
		server: bridge.Server{ID: 1, Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey}}

	// The history: every service with cfg.days of daily rows up to
	// yesterday and the billing window's raw samples.
	t0 := time.Now()
	// The accounts as this version leaves them: their policy documents
	// written from this product (an upgrade's first runs, which write them
	// all again, are account's TestPolicyRewritesSpreadOverRuns).
	norm := product
	if err := norm.Normalize(); err != nil {
		t.Fatal(err)
	}
	seed := sqlite.Synthetic{ServerID: 1, Services: cfg.services, Days: cfg.days, End: time.Now(), PolicySig: norm.PolicySignature(domain.PolicyStandard)}
	if err := sqlite.SeedSynthetic(h.store, seed); err != nil {
		t.Fatal(err)
	}
	t.Logf("seeded %d services × %d days in %v", cfg.services, cfg.days, time.Since(t0).Round(time.Millisecond))

	// Real MinIO users, each with its default bucket and one object, for a
	// spread-out subset: the targets of the buttons and of some page views.
	t0 = time.Now()
	users := createUsers(t, h, cfg)
	t.Logf("created %d MinIO users through account.create in %v", len(users), time.Since(t0).Round(time.Millisecond))

	services := make([]account.UsageService, cfg.services)
	for i := range services {
		id := int64(i + 1)
		services[i] = account.UsageService{ID: id, ClientID: 1, Username: fmt.Sprintf("1-%d", id), Status: "Active", Product: &product}
	}
	usageReq := h.request("usage.update", usageTimeout, nil, nil, map[string]any{"services": services})
	t.Logf("usage.update request: %d KiB", len(usageReq)>>10)

	var (
		stop     atomic.Bool
		updates  atomic.Int64
		wg       sync.WaitGroup
		badMu    sync.Mutex
		badUsage []string
	)
	runStart := time.Now()
	for u := range cfg.updaters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				o := h.call("usage.update", usageTimeout, usageReq)
				if o.code != "" {
					continue
				}
				if msg := checkUsage(o.result, cfg.services); msg != "" {
					badMu.Lock()
					badUsage = append(badUsage, fmt.Sprintf("updater %d: %s", u, msg))
					badMu.Unlock()
				}
				updates.Add(1)
			}
		}()
	}
	for w := range cfg.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(w), 6))
			for n := 0; !stop.Load(); n++ {
				pick := rnd.IntN(mixTotal)
				if n == 0 {
					pick = mixStart(w) // every action at least once when workers ≥ len(mix)
				}
				h.act(rnd, pick, cfg, users)
			}
		}()
	}

	// Run for the configured time and until at least two usage updates
	// have finished while the callers ran (a hard cap fails the test).
	deadline := runStart.Add(time.Duration(cfg.seconds) * time.Second)
	hardCap := deadline.Add(10*time.Minute + time.Duration(cfg.services/10)*time.Second)
	var walMax int64
	for {
		if fi, err := os.Stat(h.store + "-wal"); err == nil {
			walMax = max(walMax, fi.Size())
		}
		now := time.Now()
		if now.After(deadline) && updates.Load() >= 2 {
			break
		}
		if now.After(hardCap) {
			t.Errorf("only %d usage updates finished by %v", updates.Load(), now.Sub(runStart).Round(time.Second))
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	callersDone := time.Now()
	stop.Store(true)
	wg.Wait()
	elapsed := time.Since(runStart)

	table := h.rec.table(cfg, elapsed, callersDone.Sub(runStart), updates.Load(), walMax, h.store)
	t.Log("\n" + table)
	if cfg.report != "" {
		if err := os.WriteFile(cfg.report, []byte(table), 0o644); err != nil {
			t.Error(err)
		}
	}

	// Assertions: nothing failed, nothing was locked, the writes landed.
	for _, l := range h.rec.locks {
		t.Errorf("lock contention reached a caller: %s", l)
	}
	for action, codes := range h.rec.errs {
		for code, n := range codes {
			t.Errorf("%s: %d × %s", action, n, code)
		}
	}
	for _, m := range h.rec.first {
		t.Errorf("first errors: %s", m)
	}
	for _, m := range badUsage {
		t.Errorf("usage update result: %s", m)
	}
	for _, a := range mixActions() {
		if len(h.rec.lat[a]) == 0 {
			t.Errorf("no %s call ran: the mix is broken", a)
		}
	}
	checkStore(t, h.store, runStart, cfg, users)
}

// user is a service with a real MinIO user. Its buttons are clicked one
// at a time (mu), as one admin does: MinIO answers an attach-policy sent
// while a set-user-status of the same user is in flight with "the
// specified user does not exist" (XMinioAdminNoSuchUser), a server-side
// race that is not what this test measures.
type user struct {
	svc domain.ServiceRef
	mu  *sync.Mutex
}

// createUsers runs account.create through the binary for cfg.users spread
// out service ids, four at a time, and puts one object in each bucket.
func createUsers(t *testing.T, h *harness, cfg config) []user {
	t.Helper()
	users := make([]user, cfg.users)
	step := cfg.services / cfg.users
	var wg sync.WaitGroup
	errs := make(chan error, cfg.users)
	sem := make(chan struct{}, 4)
	mc, err := minio.New(h.srv.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(h.srv.AccessKey, h.srv.SecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	for i := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			id := int64(i*step + 1)
			svc := domain.ServiceRef{ID: id, ClientID: 1, Status: "Active", Lang: "english"}
			p := product
			o := h.call("setup:account.create", usageTimeout, h.request("account.create", usageTimeout, &svc, &p, nil))
			if o.code != "" {
				errs <- fmt.Errorf("account.create %d: %s: %s", id, o.code, o.msg)
				return
			}
			var c domain.Created
			if err := json.Unmarshal(o.result, &c); err != nil {
				errs <- err
				return
			}
			if c.Username != fmt.Sprintf("1-%d", id) {
				errs <- fmt.Errorf("account.create %d made %q, not the seeded name", id, c.Username)
				return
			}
			body := strings.Repeat("x", 4096*(i+1))
			if _, err := mc.PutObject(context.Background(), c.Bucket, "report.txt", strings.NewReader(body), int64(len(body)), minio.PutObjectOptions{}); err != nil {
				errs <- err
				return
			}
			svc.Username, svc.Password = c.Username, c.Password
			users[i] = user{svc: svc, mu: &sync.Mutex{}}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return users
}

// The mix of calls, in percent: mostly page views, as in a real WHMCS, and
// still far more button clicks than a real one sees. policy.apply and
// server.check each cost MinIO a 64 MiB Argon2id (an encrypted attach,
// an encrypted user list), which on two cores dominates their latency.
type mixEntry struct {
	name   string
	weight int
}

var mix = []mixEntry{
	{"render.client", 40},
	{"render.admin", 20},
	{"account.info", 15},
	{"usage.notified", 12},
	{"policy.apply", 5},
	{"account.suspend+unsuspend", 5},
	{"server.check", 3},
}

var mixTotal = func() (n int) {
	for _, m := range mix {
		n += m.weight
	}
	return n
}()

// mixStart returns a pick that lands on entry w of the mix.
func mixStart(w int) int {
	n := 0
	for i := 0; i < w%len(mix); i++ {
		n += mix[i].weight
	}
	return n
}

// mixActions lists the bridge actions the mix runs.
func mixActions() []string {
	return []string{"render.client", "render.admin", "account.info", "usage.notified", "policy.apply", "account.suspend", "account.unsuspend", "server.check"}
}

// act runs the mix entry pick falls on. Page views and account info go to
// any service (most have no MinIO user, as most WHMCS services of a big
// server are looked at rarely); buttons go to services with a user.
func (h *harness) act(rnd *rand.Rand, pick int, cfg config, users []user) {
	name := ""
	for _, m := range mix {
		if pick < m.weight {
			name = m.name
			break
		}
		pick -= m.weight
	}
	anySvc := func() *domain.ServiceRef {
		if rnd.IntN(4) == 0 { // a quarter of views are of the live accounts
			s := users[rnd.IntN(len(users))].svc
			return &s
		}
		id := int64(rnd.IntN(cfg.services) + 1)
		return &domain.ServiceRef{ID: id, ClientID: 1, Username: fmt.Sprintf("1-%d", id), Status: "Active", Lang: "english"}
	}
	p := product
	switch name {
	case "render.client":
		page := "overview"
		if rnd.IntN(2) == 0 {
			page = "stats"
		}
		h.call(name, interactiveTimeout, h.request(name, interactiveTimeout, anySvc(), &p, map[string]any{"page": page}))
	case "render.admin":
		h.call(name, interactiveTimeout, h.request(name, interactiveTimeout, anySvc(), &p, nil))
	case "account.info":
		h.call(name, interactiveTimeout, h.request(name, interactiveTimeout, anySvc(), nil, nil))
	case "usage.notified":
		var notices []map[string]any
		for range 1 + rnd.IntN(3) {
			kind := domain.NoticeWarn
			if rnd.IntN(2) == 0 {
				kind = domain.NoticeLimit
			}
			notices = append(notices, map[string]any{"serviceId": rnd.IntN(cfg.services) + 1, "kind": kind})
		}
		h.call(name, interactiveTimeout, h.request(name, interactiveTimeout, nil, nil, map[string]any{"notices": notices}))
	case "policy.apply":
		u := users[rnd.IntN(len(users))]
		u.mu.Lock()
		defer u.mu.Unlock()
		s := u.svc
		mode := []string{"auto", "standard", "limited"}[rnd.IntN(3)]
		h.call(name, interactiveTimeout, h.request(name, interactiveTimeout, &s, &p, map[string]any{"mode": mode}))
	case "account.suspend+unsuspend":
		u := users[rnd.IntN(len(users))]
		u.mu.Lock()
		defer u.mu.Unlock()
		s := u.svc
		h.call("account.suspend", interactiveTimeout, h.request("account.suspend", interactiveTimeout, &s, nil, nil))
		h.call("account.unsuspend", interactiveTimeout, h.request("account.unsuspend", interactiveTimeout, &s, &product, nil))
	case "server.check":
		h.call(name, interactiveTimeout, h.request(name, interactiveTimeout, nil, nil, nil))
	}
}

// checkUsage checks one usage update's answer: every service reported,
// none with an error.
func checkUsage(raw json.RawMessage, services int) string {
	var r account.UsageResult
	if err := json.Unmarshal(raw, &r); err != nil {
		return err.Error()
	}
	if len(r.Services) != services {
		return fmt.Sprintf("%d services reported, want %d", len(r.Services), services)
	}
	for _, s := range r.Services {
		if s.Error != nil {
			return fmt.Sprintf("service %d: %s: %s", s.ID, s.Error.Code, s.Error.Message)
		}
	}
	return ""
}

// checkStore checks that the usage updates' writes landed: the first and
// the last service have a sample taken during the run, and a live account
// has its measured bytes.
func checkStore(t *testing.T, path string, runStart time.Time, cfg config, users []user) {
	t.Helper()
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	for _, id := range []int64{1, int64(cfg.services)} {
		s, ok, err := db.Latest(ctx, id)
		if err != nil || !ok {
			t.Fatalf("service %d: latest sample: %v, %v", id, ok, err)
		}
		if s.At.Before(runStart.Add(-time.Second)) {
			t.Errorf("service %d: latest sample at %v, before the run started (%v): no usage update landed", id, s.At, runStart)
		}
	}
	days, err := db.Daily(ctx, 1, time.Now().AddDate(0, 0, -cfg.days), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != cfg.days+1 {
		t.Errorf("service 1 has %d days of history, want the %d seeded and today", len(days), cfg.days)
	}
	if len(users) > 0 {
		a, ok, err := db.Account(ctx, 1, users[0].svc.ID)
		if err != nil || !ok || a.Username != users[0].svc.Username {
			t.Errorf("account of %s: %+v, %v, %v", users[0].svc.Username, a, ok, err)
		}
	}
}

// pct returns the nearest-rank percentile p (0-100) of sorted ds.
func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[min(max(i-1, 0), len(sorted)-1)]
}

// table formats the results: calls, errors and latency percentiles per
// action, then the run's totals.
func (r *recorder) table(cfg config, elapsed, callers time.Duration, updates, walMax int64, store string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "load: %d callers + %d usage updater(s), %d services × %d days of history, %d MinIO users; callers ran %v (%v in all)\n",
		cfg.workers, cfg.updaters, cfg.services, cfg.days, cfg.users, callers.Round(time.Second), elapsed.Round(time.Second))
	fmt.Fprintf(&b, "%-22s %7s %7s %9s %9s %9s %9s\n", "action", "calls", "errors", "p50 ms", "p90 ms", "p99 ms", "max ms")
	names := make([]string, 0, len(r.lat))
	for k := range r.lat {
		names = append(names, k)
	}
	slices.Sort(names)
	total, totalErr := 0, 0
	for _, k := range names {
		s := slices.Clone(r.lat[k])
		slices.Sort(s)
		nErr := 0
		for _, n := range r.errs[k] {
			nErr += n
		}
		if !strings.HasPrefix(k, "setup:") {
			total += len(s)
			totalErr += nErr
		}
		ms := func(d time.Duration) string { return fmt.Sprintf("%.0f", float64(d)/1e6) }
		fmt.Fprintf(&b, "%-22s %7d %7d %9s %9s %9s %9s\n", k, len(s), nErr, ms(pct(s, 50)), ms(pct(s, 90)), ms(pct(s, 99)), ms(s[len(s)-1]))
	}
	fmt.Fprintf(&b, "total: %d calls (%.1f/s), %d errors, %d lock reports, %d usage updates finished\n",
		total, float64(total)/elapsed.Seconds(), totalErr, len(r.locks), updates)
	var dbSize int64
	if fi, err := os.Stat(store); err == nil {
		dbSize = fi.Size()
	}
	fmt.Fprintf(&b, "store: %.1f MiB, WAL at most %.1f MiB during the run\n", float64(dbSize)/(1<<20), float64(walMax)/(1<<20))
	return b.String()
}
