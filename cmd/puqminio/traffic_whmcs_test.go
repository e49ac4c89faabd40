package main

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/sqlite"
)

// rpcCall runs one `puqminio rpc` request in process and decodes its
// answer's result into out.
func rpcCall(t *testing.T, req map[string]any, out any) {
	t.Helper()
	body, _ := json.Marshal(req)
	stdout, stderr, code := execute(t, string(body), nil, "rpc")
	var resp struct {
		OK     bool
		Result json.RawMessage
		Error  struct{ Code, Message string }
	}
	if err := json.Unmarshal([]byte(stdout), &resp); err != nil || !resp.OK || code != 0 {
		t.Fatalf("%s: exit %d, %s %s", req["action"], code, stdout, stderr)
	}
	if out != nil {
		if err := json.Unmarshal(resp.Result, out); err != nil {
			t.Fatal(err)
		}
	}
}

// gbOf is usage.metrics' GB: 2^30 bytes, six decimals.
func gbOf(b int64) float64 { return math.Round(float64(b)/(1<<30)*1e6) / 1e6 }

// The WHMCS side of traffic, end to end through `puqminio rpc`: MinIO posts
// its audit webhook to `puqminio traffic serve`; usage.metrics answers each
// service's egress and ingress of the month in GB, equal to the bodies on
// the wire, for products that measure traffic only; usage.update reports
// them and the egress notice once the allowance is reached, until
// usage.notified records it; the statistics page draws them.
func TestTrafficReachesWHMCS(t *testing.T) {
	addr := freeAddr(t)
	srv, queue := auditMinIO(t, addr, 10)
	dbPath := filepath.Join(t.TempDir(), "usage.db")
	db, err := sqlite.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	ctx, stop := context.WithCancel(context.Background())
	exited := make(chan int, 1)
	go func() {
		exited <- Execute(ctx, []string{"traffic", "serve", "--listen", addr, "--db", dbPath, "--server-id", "1"},
			IO{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard, Getenv: func(k string) string {
				return map[string]string{"PUQMINIO_TRAFFIC_TOKEN": trafficTestToken}[k]
			}})
	}()
	waitHealthy(t, addr)

	server := map[string]any{"id": 1, "endpoint": srv.Endpoint, "accessKey": srv.AccessKey, "secretKey": srv.SecretKey}
	store := map[string]any{"path": dbPath}
	// 0.004 GB is 4,294,967 bytes: 6 MiB downloaded passes it.
	metered := map[string]any{"unit": "GB", "diskSpace": 1, "defaultBucket": true, "traffic": true,
		"egressAllowanceGB": 0.004, "egressTemplate": "egress-tpl"}
	plain := map[string]any{"unit": "GB", "diskSpace": 1, "defaultBucket": true}
	var a, b domain.Created
	rpcCall(t, map[string]any{"v": 1, "action": "account.create", "server": server, "store": store,
		"service": map[string]any{"id": 51, "clientId": 5}, "product": metered}, &a)
	rpcCall(t, map[string]any{"v": 1, "action": "account.create", "server": server, "store": store,
		"service": map[string]any{"id": 52, "clientId": 5}, "product": plain}, &b)
	since := time.Now()

	mA, mB := newMeter(t, srv.URL()), newMeter(t, srv.URL())
	obj := fileOf(t, 3<<20)
	s3cmdAs(t, mA.addr, a.Username, a.Password, "put", obj, "s3://"+a.Bucket+"/o")
	for range 2 {
		s3cmdAs(t, mA.addr, a.Username, a.Password, "get", "--force", "s3://"+a.Bucket+"/o", filepath.Join(t.TempDir(), "o"))
	}
	s3cmdAs(t, mB.addr, b.Username, b.Password, "put", obj, "s3://"+b.Bucket+"/o")
	waitTraffic(t, db, queue, since, map[int64]*meter{51: mA, 52: mB})
	wantA := mA.total()
	if wantA.Egress < 6<<20 || wantA.Ingress < 3<<20 {
		t.Fatalf("the meter saw %+v", wantA)
	}

	var metrics struct {
		Tenants []struct {
			ServiceID           int64
			EgressGB, IngressGB *float64
		}
	}
	rpcCall(t, map[string]any{"v": 1, "action": "usage.metrics", "server": server, "store": store, "params": map[string]any{
		"services": []map[string]any{{"id": 51, "username": a.Username, "productKey": "m"}, {"id": 52, "username": b.Username, "productKey": "p"}},
		"products": []map[string]any{{"key": "m", "product": metered}, {"key": "p", "product": plain}},
	}}, &metrics)
	ta, tb := metrics.Tenants[0], metrics.Tenants[1]
	if ta.EgressGB == nil || *ta.EgressGB != gbOf(wantA.Egress) || ta.IngressGB == nil || *ta.IngressGB != gbOf(wantA.Ingress) {
		t.Fatalf("service 51: %+v, on the wire %+v", ta, wantA)
	}
	if tb.EgressGB != nil || tb.IngressGB != nil {
		t.Fatalf("service 52 does not measure traffic: %+v", tb)
	}

	type report struct {
		ID      int64
		Notices []domain.Notice
		Traffic *struct {
			Period                          string
			EgressBytes, IngressBytes       int64
			EgressMB, AllowanceMB, Requests int64
		}
	}
	update := func() []report {
		t.Helper()
		var res struct{ Services []report }
		rpcCall(t, map[string]any{"v": 1, "action": "usage.update", "server": server, "store": store, "params": map[string]any{
			"services": []map[string]any{{"id": 51, "clientId": 5, "username": a.Username, "product": metered},
				{"id": 52, "clientId": 5, "username": b.Username, "product": plain}}}}, &res)
		return res.Services
	}
	rs := update()
	month := time.Now().UTC().Format("2006-01")
	tr := rs[0].Traffic
	if tr == nil || tr.EgressBytes != wantA.Egress || tr.IngressBytes != wantA.Ingress || tr.Requests != wantA.Requests ||
		tr.AllowanceMB != 4 || tr.Period != month || rs[1].Traffic != nil {
		t.Fatalf("usage.update traffic: %+v / %+v, on the wire %+v", tr, rs[1].Traffic, wantA)
	}
	if len(rs[0].Notices) != 1 || rs[0].Notices[0].Kind != domain.NoticeEgress || rs[0].Notices[0].Period != month || len(rs[1].Notices) != 0 {
		t.Fatalf("notices: %+v %+v", rs[0].Notices, rs[1].Notices)
	}
	var rec struct{ Recorded int }
	rpcCall(t, map[string]any{"v": 1, "action": "usage.notified", "server": server, "store": store, "params": map[string]any{
		"notices": []map[string]any{{"serviceId": 51, "kind": "egress", "period": month}}}}, &rec)
	if rs := update(); rec.Recorded != 1 || len(rs[0].Notices) != 0 {
		t.Fatalf("the egress notice is due again after it was recorded: %+v", rs[0].Notices)
	}

	var page struct{ HTML string }
	rpcCall(t, map[string]any{"v": 1, "action": "render.client", "server": server, "store": store,
		"service": map[string]any{"id": 51, "clientId": 5, "username": a.Username, "lang": "english"}, "product": metered,
		"params": map[string]any{"page": "stats"}}, &page)
	for _, want := range []string{`id="puqs3-traffic-daily"`, `id="puqs3-traffic-monthly"`, "Monthly download allowance",
		`data-bytes="` + itoa(wantA.Egress) + `"`} {
		if !strings.Contains(page.HTML, want) {
			t.Errorf("the statistics page lacks %q", want)
		}
	}

	stop()
	if code := <-exited; code != 0 {
		t.Fatalf("traffic serve exited %d", code)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
