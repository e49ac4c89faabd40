package main

import (
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
)

// pagesResult is what `bench-scale.php pages` writes.
type pagesResult struct {
	Runs         int              `json:"runs"`
	FloorBytes   int64            `json:"floorBytes"`
	RequestBytes int              `json:"requestBytes"`
	Cases        map[string]stats `json:"cases"`
}

// cpuResult is what `bench-scale.php cpu` writes.
type cpuResult struct {
	Views         int     `json:"views"`
	Batches       int     `json:"batches"`
	WallSeconds   float64 `json:"wallSeconds"`
	CPUSeconds    float64 `json:"cpuSeconds"`
	IdleSeconds   float64 `json:"idleSeconds"`
	IdleRate      float64 `json:"idleCpuPerSecond"`
	IdleRateMin   float64 `json:"idleCpuPerSecondMin"`
	IdleRateMax   float64 `json:"idleCpuPerSecondMax"`
	CPUPer1000    float64 `json:"cpuPer1000"`
	NetCPUPer1000 float64 `json:"netCpuPer1000"`
	Client        stats   `json:"client"`
	Admin         stats   `json:"admin"`
}

// errMissed is the report's failure: the table has said which bounds.
var errMissed = errors.New("bounds missed")

// bound is one of issue 12's bounds: a measured figure against a limit.
type bound struct {
	what    string
	figure  float64
	limit   float64
	unit    string
	missing string // why there is no figure
}

func (b bound) met() bool { return b.missing == "" && b.figure <= b.limit }

// cmdReport prints the table of one run from the JSON files in -dir and
// fails when a bound is missed or has no figure.
func cmdReport(args []string) error {
	fs := flag.NewFlagSet("report", flag.ExitOnError)
	dir := fs.String("dir", "", "the run's output directory")
	marker := fs.String("build", "", "the cached server's build record")
	builtNow := fs.Float64("built-seconds", 0, "seconds this run spent building the cache (0: reused)")
	baseline := fs.String("baseline", "", "the baseline ref, when measured")
	_ = fs.Parse(args)
	p := func(name string) string { return filepath.Join(*dir, name) }
	var bounds []bound

	var rec buildRecord
	if err := readJSON(*marker, &rec); err == nil {
		how := "reused from the cache"
		if *builtNow > 0 {
			how = fmt.Sprintf("built by this run in %.0f s", *builtNow)
		}
		fmt.Printf("Server: %d tenants, %d buckets, %d objects in %d buckets, 4 drives; %s\n",
			rec.Users, rec.Buckets, rec.Objects, rec.objectBuckets(), how)
		fmt.Printf("  cache build (%s): %.0f s = populate %.0f s + scanner %.0f s + start/stop\n",
			rec.BuiltAt.Format("2006-01-02"), rec.TotalSeconds, rec.PopulateSeconds, rec.ScannerSeconds)
	}

	fmt.Printf("\n%-46s %10s %10s %5s\n", "PHP, module function (ms)", "p50", "p90", "n")
	var pg pagesResult
	pagesErr := readJSON(p("pages.json"), &pg)
	if pagesErr == nil {
		for _, c := range []struct{ key, label string }{
			{"floor", fmt.Sprintf("floor program (%.1f MB), bare proc_open", float64(pg.FloorBytes)/1e6)},
			{"floor-bridge", "floor program through Bridge::run"},
			{"client-big", "ClientArea stats, 1 y, big server"},
			{"client-small", "ClientArea stats, 1 y, 1-bucket server"},
			{"admin-big", "AdminServicesTabFields, big server"},
			{"admin-small", "AdminServicesTabFields, 1-bucket server"},
		} {
			s := pg.Cases[c.key]
			fmt.Printf("%-46s %10.1f %10.1f %5d\n", c.label, s.P50, s.P90, s.N)
		}
	} else {
		fmt.Printf("  no figures: %v\n", pagesErr)
	}
	ratio := func(what, a, b string, limit float64) bound {
		if pagesErr != nil {
			return bound{what: what, limit: limit, missing: pagesErr.Error()}
		}
		x, y := pg.Cases[a].P50, pg.Cases[b].P50
		if y <= 0 {
			return bound{what: what, limit: limit, missing: "no " + b + " figure"}
		}
		return bound{what: what, figure: x / y, limit: limit, unit: "×"}
	}
	bounds = append(bounds,
		ratio("ClientArea big / floor (p50)", "client-big", "floor", 4),
		ratio("ClientArea big / 1-bucket server (p50)", "client-big", "client-small", 1.10),
		ratio("Admin tab big / floor (p50)", "admin-big", "floor", 4),
		ratio("Admin tab big / 1-bucket server (p50)", "admin-big", "admin-small", 1.10))

	fmt.Printf("\n%-46s %10s %10s %5s\n", "Binary, big server (ms)", "p50", "p90", "n")
	var lc lifecycleResult
	lcErr := readJSON(p("lifecycle.json"), &lc)
	if lcErr == nil && lc.Error != "" {
		lcErr = errors.New(lc.Error)
	}
	for _, a := range lifecycleActions {
		if s, ok := lc.Actions[a]; ok {
			fmt.Printf("%-46s %10.1f %10.1f %5d\n", a, s.P50, s.P90, s.N)
		}
	}
	if lcErr != nil {
		fmt.Printf("  lifecycle failed: %v\n", lcErr)
	}
	action := func(what, a string, limit float64) bound {
		s, ok := lc.Actions[a]
		if !ok {
			why := "not measured"
			if lcErr != nil {
				why = lcErr.Error()
			}
			return bound{what: what, limit: limit, unit: "ms", missing: why}
		}
		return bound{what: what, figure: s.P50, limit: limit, unit: "ms"}
	}
	bounds = append(bounds, action("account.create (p50)", "account.create", 200),
		action("account.terminate (p50)", "account.terminate", 150))
	if len(lc.Ops) > 0 {
		fmt.Println("  MinIO requests per action (first round, through a recording proxy):")
		for _, a := range lifecycleActions {
			fmt.Printf("    %-18s %s\n", a, formatOps(lc.Ops[a]))
		}
	}

	fmt.Printf("\n%-46s %10s %10s %9s %8s\n", "usage.update, scanner mode", "p50 ms", "p90 ms", "RSS MiB", "requests")
	for _, n := range []struct {
		services int
		limit    float64
	}{{10000, 1000}, {50000, 5000}} {
		var u usageResult
		label := fmt.Sprintf("usage.update %d services", n.services)
		err := readJSON(p(fmt.Sprintf("usage-%d.json", n.services)), &u)
		switch {
		case err != nil:
		case u.Error != "":
			err = errors.New(u.Error)
		case !u.OK:
			err = fmt.Errorf("refused: %s: %s", u.Code, u.Message)
		}
		total := 0
		for _, c := range u.Requests {
			total += c
		}
		if err != nil {
			fmt.Printf("%-46s request %.1f MiB: %v\n", label, u.RequestMiB, err)
			bounds = append(bounds,
				bound{what: label + ", wall (p50)", limit: n.limit, unit: "ms", missing: err.Error()},
				bound{what: label + ", MinIO requests", limit: 1, missing: err.Error()},
				bound{what: label + ", peak RSS", limit: 256, unit: "MiB", missing: err.Error()})
			continue
		}
		fmt.Printf("%-46s %10.0f %10.0f %9.1f %8d\n", label, u.Wall.P50, u.Wall.P90, u.MaxRSSMiB, total)
		fmt.Printf("  request %.1f MiB; %d services reported, %d with buckets, %d with bytes, %d errors\n",
			u.RequestMiB, u.Reported, u.WithBucket, u.WithBytes, u.Errors)
		fmt.Printf("  first run (through the recording proxy, not in p50): %.0f ms, requests: %s\n", u.FirstMs, formatOps(u.Requests))
		bounds = append(bounds,
			bound{what: label + ", wall (p50)", figure: u.Wall.P50, limit: n.limit, unit: "ms"},
			bound{what: label + ", MinIO requests", figure: float64(total), limit: 1},
			bound{what: label + ", peak RSS", figure: u.MaxRSSMiB, limit: 256, unit: "MiB"})
	}

	var rq requestsResult
	if err := readJSON(p("requests.json"), &rq); err == nil {
		fmt.Printf("\nMinIO requests of one view: client page %s; admin tab %s\n", formatOps(rq.Client), formatOps(rq.Admin))
		for _, pr := range rq.Probes {
			fmt.Printf("  %-14s alone, big server: p50 %7.1f ms, p90 %7.1f ms (n %d), answer %d KiB\n",
				pr.Op, pr.Wall.P50, pr.Wall.P90, pr.Wall.N, pr.Bytes>>10)
		}
		if rq.Error != "" {
			fmt.Printf("  failed: %s\n", rq.Error)
		}
	}

	fmt.Printf("\nMinIO CPU seconds per 1,000 page views (client stats page and admin tab in turn, big server)\n")
	for _, c := range []struct{ file, label string }{{"cpu-baseline.json", "before (" + *baseline + ")"}, {"cpu-current.json", "after (this tree)"}} {
		var r cpuResult
		if err := readJSON(p(c.file), &r); err != nil {
			if c.file == "cpu-current.json" || *baseline != "" {
				fmt.Printf("  %-22s no figure: %v\n", c.label, err)
			}
			continue
		}
		fmt.Printf("  %-22s %7.1f s; %.1f s above MinIO's idle rate of %.2f CPU s/s (%.2f–%.2f in %d windows, %.0f s)\n",
			c.label, r.CPUPer1000, r.NetCPUPer1000, r.IdleRate, r.IdleRateMin, r.IdleRateMax, r.Batches, r.IdleSeconds)
		fmt.Printf("  %-22s %d views in %.0f s; view p50 client %.0f ms, admin %.0f ms\n",
			"", r.Views, r.WallSeconds, r.Client.P50, r.Admin.P50)
	}

	fmt.Printf("\nBounds of issue 12\n")
	missed := 0
	for _, b := range bounds {
		verdict := "met"
		if !b.met() {
			verdict = "MISSED"
			missed++
		}
		fig := fmt.Sprintf("%.2f%s", b.figure, unitSuffix(b.unit))
		if b.unit == "" {
			fig = fmt.Sprintf("%.0f", b.figure) // a count
		}
		if b.missing != "" {
			fig = "no figure (" + firstLine(b.missing) + ")"
		}
		fmt.Printf("  %-6s %-46s %s (bound ≤ %g%s)\n", verdict, b.what, fig, b.limit, unitSuffix(b.unit))
	}
	if missed > 0 {
		fmt.Printf("%d of %d bounds missed.\n", missed, len(bounds))
		return errMissed
	}
	fmt.Println("All bounds met.")
	return nil
}

func unitSuffix(u string) string {
	if u == "" || u == "×" {
		return u
	}
	return " " + u
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}

// formatOps prints request counts as "op ×n, …".
func formatOps(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}
