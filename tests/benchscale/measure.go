package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7/pkg/signer"

	"github.com/puqminios3/puqminio/internal/account"
	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/faultproxy"
	"github.com/puqminios3/puqminio/internal/minioadmin"
)

// benchProduct is the product of every request: 10 GB, a default bucket,
// history kept beyond the year the store holds.
func benchProduct() map[string]any {
	return map[string]any{"unit": "GB", "diskSpace": 10, "defaultBucket": true, "historyDays": 400}
}

// envelope builds a bridge request (docs/bridge.md); nil parts are left out.
func envelope(action string, srv serverInfo, endpoint, store string, service, product, params any) []byte {
	req := map[string]any{
		"v": 1, "action": action,
		"server": map[string]any{"id": 1, "endpoint": endpoint, "accessKey": srv.AccessKey,
			"secretKey": srv.SecretKey, "timeoutSeconds": 300},
		"store": map[string]any{"path": store},
	}
	for k, v := range map[string]any{"service": service, "product": product, "params": params} {
		if v != nil {
			req[k] = v
		}
	}
	data, err := json.Marshal(req)
	if err != nil {
		panic(err)
	}
	return data
}

// run is one run of the binary.
type run struct {
	Wall   time.Duration
	MaxRSS int64 // KiB, wait4's rusage, as /usr/bin/time -v reports it
	OK     bool
	Code   string // the error code when not OK
	Msg    string
	Result json.RawMessage
}

// execRPC runs `bin rpc` with req on stdin. The JSON answer, not the exit
// status, says what happened; no answer is an error.
func execRPC(bin string, req []byte) (run, error) {
	cmd := exec.Command(bin, "rpc")
	cmd.Stdin = bytes.NewReader(req)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	t0 := time.Now()
	err := cmd.Run()
	r := run{Wall: time.Since(t0)}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.MaxRSS = ru.Maxrss
	}
	if _, exit := err.(*exec.ExitError); err != nil && !exit {
		return r, err
	}
	var ans struct {
		OK     bool            `json:"ok"`
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(out.Bytes(), &ans); err != nil {
		return r, fmt.Errorf("no JSON answer (%v); stderr: %.500s", err, errOut.String())
	}
	r.OK, r.Result = ans.OK, ans.Result
	if ans.Error != nil {
		r.Code, r.Msg = ans.Error.Code, ans.Error.Message
	}
	return r, nil
}

// stats sums up durations in milliseconds.
type stats struct {
	N    int     `json:"n"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	Min  float64 `json:"min"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// summarize uses the quantile definition of scripts/bench-scale.php:
// element n/2 and n*90/100 of the sorted sample.
func summarize(ds []time.Duration) stats {
	if len(ds) == 0 {
		return stats{}
	}
	ms := make([]float64, len(ds))
	var sum float64
	for i, d := range ds {
		ms[i] = float64(d) / 1e6
		sum += ms[i]
	}
	slices.Sort(ms)
	n := len(ms)
	return stats{N: n, P50: ms[n/2], P90: ms[min(n-1, n*90/100)], Min: ms[0], Max: ms[n-1], Mean: sum / float64(n)}
}

// opCounts counts a proxy's requests by operation.
func opCounts(reqs []faultproxy.Request) map[string]int {
	out := map[string]int{}
	for _, r := range reqs {
		out[r.Op]++
	}
	return out
}

// lifecycleResult is lifecycle.json.
type lifecycleResult struct {
	N       int                       `json:"n"`
	Actions map[string]stats          `json:"actions"`
	Ops     map[string]map[string]int `json:"requests"` // MinIO requests of the first (untimed) round, by action
	Error   string                    `json:"error,omitempty"`
}

// lifecycleActions are the actions of one round, in order.
var lifecycleActions = []string{"account.create", "account.password", "account.suspend", "account.unsuspend", "account.terminate"}

// cmdLifecycle runs rounds of create, password, suspend, unsuspend and
// terminate through the binary, each on a new service (ids from -first-id,
// client 1). The first round goes through a recording proxy and is not
// timed: it counts each action's MinIO requests. Accounts an interrupted
// run left are terminated first.
func cmdLifecycle(args []string) error {
	fs := flag.NewFlagSet("lifecycle", flag.ExitOnError)
	srvPath := fs.String("server", "", "serverInfo JSON of the big server")
	bin := fs.String("bin", "", "the puqminio binary")
	store := fs.String("store", "", "usage store (a copy: it is written)")
	n := fs.Int("n", 20, "timed rounds")
	first := fs.Int("first-id", 20001, "service id of the first round")
	outPath := fs.String("out", "", "result file")
	_ = fs.Parse(args)
	srv, err := readServer(*srvPath)
	if err != nil {
		return err
	}
	res := lifecycleResult{N: *n, Actions: map[string]stats{}, Ops: map[string]map[string]int{}}
	err = lifecycle(srv, *bin, *store, *n, *first, &res)
	if err != nil {
		res.Error = err.Error()
	}
	if werr := writeJSON(*outPath, res); werr != nil {
		return werr
	}
	return err
}

func lifecycle(srv serverInfo, bin, store string, n, first int, res *lifecycleResult) error {
	ids := make([]int, n+1)
	for i := range ids {
		ids[i] = first + i
	}
	if err := removeLeftovers(srv, bin, store, ids); err != nil {
		return err
	}
	proxy, err := faultproxy.New(srv.Endpoint)
	if err != nil {
		return err
	}
	defer proxy.Close()
	times := map[string][]time.Duration{}
	for k, id := range ids {
		endpoint := srv.Endpoint
		if k == 0 {
			endpoint = proxy.Addr()
		}
		user := fmt.Sprintf("1-%d", id)
		svc := map[string]any{"id": id, "clientId": 1, "status": "Active"}
		step := func(action string, svc map[string]any, product any) (run, error) {
			proxy.Reset()
			r, err := execRPC(bin, envelope(action, srv, endpoint, store, svc, product, nil))
			if err == nil && !r.OK {
				err = fmt.Errorf("%s of %s: %s: %s", action, user, r.Code, r.Msg)
			}
			if err != nil {
				return r, err
			}
			if k == 0 {
				res.Ops[action] = opCounts(proxy.Requests())
			} else {
				times[action] = append(times[action], r.Wall)
			}
			return r, nil
		}
		r, err := step("account.create", svc, benchProduct())
		if err != nil {
			return err
		}
		var c domain.Created
		if err := json.Unmarshal(r.Result, &c); err != nil {
			return err
		}
		if c.Username != user {
			return fmt.Errorf("account.create named the user %q, want %q", c.Username, user)
		}
		svc["username"] = c.Username
		svc["password"] = benchPassword(user) + "-new"
		if _, err := step("account.password", svc, benchProduct()); err != nil {
			return err
		}
		delete(svc, "password")
		if _, err := step("account.suspend", svc, nil); err != nil {
			return err
		}
		if _, err := step("account.unsuspend", svc, benchProduct()); err != nil {
			return err
		}
		if _, err := step("account.terminate", svc, nil); err != nil {
			return err
		}
		if k > 0 && k%5 == 0 {
			logLine("  %d/%d rounds", k, n)
		}
	}
	for a, ds := range times {
		res.Actions[a] = summarize(ds)
	}
	return nil
}

// removeLeftovers terminates, through the binary, the accounts of ids that
// an interrupted run left on the server (a user or its default bucket), so
// that create finds the names free.
func removeLeftovers(srv serverInfo, bin, store string, ids []int) error {
	admin, err := minioadmin.New(minioadmin.Config{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey})
	if err != nil {
		return err
	}
	ctx := context.Background()
	users, err := admin.ListUsers(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		user := fmt.Sprintf("1-%d", id)
		if _, ok := users[user]; !ok {
			continue
		}
		logLine("terminating %s, left by an earlier run", user)
		r, err := execRPC(bin, envelope("account.terminate", srv, srv.Endpoint, store,
			map[string]any{"id": id, "clientId": 1, "username": user}, nil, nil))
		if err == nil && !r.OK {
			err = fmt.Errorf("%s: %s", r.Code, r.Msg)
		}
		if err != nil {
			return fmt.Errorf("terminate leftover %s: %w", user, err)
		}
	}
	return nil
}

// usageResult is usage-<N>.json.
type usageResult struct {
	Services   int            `json:"services"`
	RequestMiB float64        `json:"requestMiB"`
	OK         bool           `json:"ok"`
	Code       string         `json:"code,omitempty"`
	Message    string         `json:"message,omitempty"`
	Requests   map[string]int `json:"requests"` // MinIO requests of the counted (first) run, by operation
	FirstMs    float64        `json:"firstMs"`  // wall time of the counted run, through the proxy
	Wall       stats          `json:"wall"`     // the timed runs, straight to MinIO
	Runs       []float64      `json:"runsMs"`
	MaxRSSMiB  float64        `json:"maxRSSMiB"` // the largest of every run
	Reported   int            `json:"reported"`  // services in the answer
	WithBucket int            `json:"withBuckets"`
	WithBytes  int            `json:"withBytes"`
	Errors     int            `json:"serviceErrors"`
	Error      string         `json:"error,omitempty"`
}

// cmdUsage runs usage.update (scanner mode) for services 1..N on server 1
// through the binary: once through a recording proxy to count its MinIO
// requests, then -runs times straight to MinIO, timed, with the peak RSS
// of the process. Services beyond the server's tenants have no user; they
// are measured as empty.
func cmdUsage(args []string) error {
	fs := flag.NewFlagSet("usage", flag.ExitOnError)
	srvPath := fs.String("server", "", "serverInfo JSON")
	bin := fs.String("bin", "", "the puqminio binary")
	src := fs.String("store", "", "usage store to copy")
	work := fs.String("work", "", "directory for the copy")
	services := fs.Int("services", 10000, "services in the request")
	runs := fs.Int("runs", 3, "timed runs")
	outPath := fs.String("out", "", "result file")
	_ = fs.Parse(args)
	srv, err := readServer(*srvPath)
	if err != nil {
		return err
	}
	res := usageResult{Services: *services}
	err = usage(srv, *bin, *src, *work, *runs, &res)
	if err != nil {
		res.Error = err.Error()
	}
	if werr := writeJSON(*outPath, res); werr != nil {
		return werr
	}
	return err
}

// usageProduct is the product of every service the usage runs send, and
// whose policy signature the seeded store records.
func usageProduct() domain.Product {
	return domain.Product{Unit: "GB", DiskSpace: 10, HistoryDays: 400}
}

func usage(srv serverInfo, bin, src, work string, runs int, res *usageResult) error {
	store := filepath.Join(work, fmt.Sprintf("usage-%d.db", res.Services))
	if err := copyFile(src, store); err != nil {
		return err
	}
	defer func() {
		for _, ext := range []string{"", "-wal", "-shm", ".names.lock"} {
			_ = os.Remove(store + ext)
		}
	}()
	// As the module sends it: the product once, each service naming it.
	type service struct {
		ID         int64  `json:"id"`
		ClientID   int64  `json:"clientId"`
		Username   string `json:"username"`
		Status     string `json:"status"`
		ProductKey string `json:"productKey"`
	}
	list := make([]service, res.Services)
	for i := range list {
		id := int64(i + 1)
		list[i] = service{ID: id, ClientID: 1, Username: fmt.Sprintf("1-%d", id), Status: "Active", ProductKey: "p"}
	}
	products := []map[string]any{{"key": "p", "product": usageProduct()}}
	params := map[string]any{"services": list, "products": products, "mode": "scanner"}
	proxy, err := faultproxy.New(srv.Endpoint)
	if err != nil {
		return err
	}
	defer proxy.Close()
	req := envelope("usage.update", srv, proxy.Addr(), store, nil, nil, params)
	res.RequestMiB = float64(len(req)) / (1 << 20)
	r, err := execRPC(bin, req)
	if err != nil {
		return err
	}
	res.Requests = opCounts(proxy.Requests())
	res.FirstMs = float64(r.Wall) / 1e6
	res.MaxRSSMiB = float64(r.MaxRSS) / 1024
	res.OK, res.Code, res.Message = r.OK, r.Code, r.Msg
	if !r.OK {
		logLine("usage.update of %d services (%.1f MiB request) answered %s: %s", res.Services, res.RequestMiB, r.Code, r.Msg)
		return nil
	}
	if err := checkUsage(r.Result, res); err != nil {
		return err
	}
	req = envelope("usage.update", srv, srv.Endpoint, store, nil, nil, params)
	var ds []time.Duration
	for range runs {
		r, err := execRPC(bin, req)
		if err != nil {
			return err
		}
		if !r.OK {
			return fmt.Errorf("usage.update: %s: %s", r.Code, r.Msg)
		}
		ds = append(ds, r.Wall)
		res.Runs = append(res.Runs, float64(r.Wall)/1e6)
		res.MaxRSSMiB = max(res.MaxRSSMiB, float64(r.MaxRSS)/1024)
	}
	res.Wall = summarize(ds)
	return checkUsage(r.Result, res)
}

// checkUsage counts what an answer reports.
func checkUsage(result json.RawMessage, res *usageResult) error {
	var ur account.UsageResult
	if err := json.Unmarshal(result, &ur); err != nil {
		return err
	}
	res.Reported, res.WithBucket, res.WithBytes, res.Errors = len(ur.Services), 0, 0, 0
	for _, s := range ur.Services {
		if s.Buckets > 0 {
			res.WithBucket++
		}
		if s.UsedBytes > 0 {
			res.WithBytes++
		}
		if s.Error != nil {
			res.Errors++
		}
	}
	if res.Reported != res.Services {
		return fmt.Errorf("usage.update reported %d services of %d", res.Reported, res.Services)
	}
	return nil
}

// requestsResult is requests.json: what one page view asks of MinIO, and
// what each of those calls costs alone.
type requestsResult struct {
	Client map[string]int `json:"client"`
	Admin  map[string]int `json:"admin"`
	Probes []probe        `json:"probes"`
	Error  string         `json:"error,omitempty"`
}

// probe is one MinIO call of a page, timed alone from here.
type probe struct {
	Op    string `json:"op"`
	Wall  stats  `json:"wall"`
	Bytes int    `json:"bytes"` // the answer, decompressed
}

// probeCalls times each call the pages make, n times, straight to MinIO:
// signed GETs whose answers are read to the end and not decoded.
func probeCalls(srv serverInfo, user string, n int) ([]probe, error) {
	hc := &http.Client{Timeout: 5 * time.Minute}
	var out []probe
	for _, c := range []struct{ op, path, region string }{
		{"datausageinfo", "/minio/admin/v3/datausageinfo", ""},
		{"list-buckets", "/", "us-east-1"},
		{"info", "/minio/admin/v3/info", ""},
		{"user-info", "/minio/admin/v3/user-info?accessKey=" + url.QueryEscape(user), ""},
	} {
		p := probe{Op: c.op}
		var ds []time.Duration
		for range n {
			req, err := http.NewRequest(http.MethodGet, "http://"+srv.Endpoint+c.path, http.NoBody)
			if err != nil {
				return nil, err
			}
			sum := sha256.Sum256(nil)
			req.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
			req = signer.SignV4(*req, srv.AccessKey, srv.SecretKey, "", c.region)
			t0 := time.Now()
			resp, err := hc.Do(req)
			if err != nil {
				return nil, err
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			ds = append(ds, time.Since(t0))
			if err != nil {
				return nil, err
			}
			if resp.StatusCode != http.StatusOK {
				return nil, fmt.Errorf("%s: HTTP %d: %.200s", c.op, resp.StatusCode, body)
			}
			p.Bytes = len(body)
		}
		p.Wall = summarize(ds)
		out = append(out, p)
	}
	return out, nil
}

// cmdRequests renders the client statistics page and the admin tab of one
// service once each through a recording proxy.
func cmdRequests(args []string) error {
	fs := flag.NewFlagSet("requests", flag.ExitOnError)
	srvPath := fs.String("server", "", "serverInfo JSON")
	bin := fs.String("bin", "", "the puqminio binary")
	store := fs.String("store", "", "usage store")
	id := fs.Int("id", 4, "service id (user 1-<id>)")
	probes := fs.Int("probes", 5, "times each of the page's calls is timed alone")
	outPath := fs.String("out", "", "result file")
	_ = fs.Parse(args)
	srv, err := readServer(*srvPath)
	if err != nil {
		return err
	}
	proxy, err := faultproxy.New(srv.Endpoint)
	if err != nil {
		return err
	}
	defer proxy.Close()
	user := fmt.Sprintf("1-%d", *id)
	svc := map[string]any{"id": *id, "clientId": 1, "username": user, "password": benchPassword(user),
		"status": "Active", "lang": "english"}
	var res requestsResult
	for _, c := range []struct {
		action string
		params map[string]any
		into   *map[string]int
	}{{"render.client", map[string]any{"page": "stats"}, &res.Client}, {"render.admin", map[string]any{}, &res.Admin}} {
		proxy.Reset()
		r, err := execRPC(*bin, envelope(c.action, srv, proxy.Addr(), *store, svc, benchProduct(), c.params))
		if err == nil && !r.OK {
			err = fmt.Errorf("%s: %s: %s", c.action, r.Code, r.Msg)
		}
		if err != nil {
			res.Error = err.Error()
			break
		}
		*c.into = opCounts(proxy.Requests())
	}
	if res.Error == "" {
		if res.Probes, err = probeCalls(srv, user, *probes); err != nil {
			res.Error = err.Error()
		}
	}
	if err := writeJSON(*outPath, res); err != nil {
		return err
	}
	if res.Error != "" {
		return errors.New(res.Error)
	}
	return nil
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

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
