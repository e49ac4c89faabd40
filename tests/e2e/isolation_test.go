package e2e

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// TestIsolationAndSecrets is the whole run, in order: create the tenants,
// furnish their buckets and keys, try every principal on every other
// tenant's buckets (minio-go) and a sample with s3cmd, check nothing
// changed, drive every action for a sample of tenants, terminate some, and
// finally scan everything recorded for secrets. The figures are logged
// (go test -v) and, with PUQMINIO_E2E_REPORT=<file>, written as markdown.
func TestIsolationAndSecrets(t *testing.T) {
	sz := runSizes()
	start := time.Now()
	var report strings.Builder
	say := func(format string, args ...any) {
		fmt.Fprintf(&report, format, args...)
		report.WriteByte('\n')
	}
	mode := "CI (make test)"
	if fx.soak {
		mode = "soak (PUQMINIO_SOAK=1)"
	}
	say("### Run: %s, %s", mode, time.Now().UTC().Format("2006-01-02 15:04 UTC"))

	var cr *creation
	var phases []phaseFigures
	phase := func(name string, fn func(t *testing.T)) {
		self0, minio0 := cpuSeconds(fx.srv.Endpoint)
		began := time.Now()
		t.Run(name, fn)
		self1, minio1 := cpuSeconds(fx.srv.Endpoint)
		phases = append(phases, phaseFigures{name, time.Since(began), self1 - self0, minio1 - minio0})
	}
	phase("create", func(t *testing.T) {
		cr = createTenants(t, sz)
	})
	if cr == nil || len(cr.tenants) < 2 {
		t.Fatal("tenant creation failed; nothing to test")
	}
	tenants := cr.tenants
	say("\nTenants: %d (%d created through `puqminio rpc`, the rest through bridge.Run in process) in %s.", len(tenants), cr.viaBinary, cr.took.Round(time.Second))
	say("\n| username rule | tenants |\n|---|---|")
	for _, r := range sortedKeys(cr.byRule) {
		say("| `%s` | %d |", r, cr.byRule[r])
	}
	say("\nAdversarial creations: %d, refused as the namespace rules require: %v.", cr.adversarial, cr.refused)

	var keys int
	var esc map[string]int
	phase("furnish", func(t *testing.T) {
		keys, esc = furnish(t, tenants, sz)
	})
	say("\nAccess keys the tenants made for themselves (admin API, own credentials): %d (half inherit the user's policy, half ask for s3:* on every bucket).", keys)
	say("\nAdmin API attempts by tenants (each must be AccessDenied):\n\n| attempt | refused |\n|---|---|")
	for _, k := range sortedKeys(esc) {
		say("| %s | %d |", k, esc[k])
	}

	var controls, creates int
	phase("controls", func(t *testing.T) {
		controls = ownerControls(t, tenants, sz.workers)
		creates = bucketCreates(t, tenants)
	})
	say("\nOwner controls (the owner's own five operations, all must succeed): %d. Bucket creations in another tenant's namespace or outside any: %d, all refused.", controls, creates)

	phase("matrix", func(t *testing.T) {
		tl, took := matrix(t, tenants, sz.matrixWorkers)
		ps, ts := principalsOf(tenants), targetsOf(tenants)
		say("\nFull matrix with minio-go: %d principals (users and access keys) × %d buckets of other tenants, %d workers, %s (%.0f requests/s):\n",
			len(ps), len(ts), sz.matrixWorkers, took.Round(time.Second), float64(tl.total(tl.attempts))/took.Seconds())
		say("%s", opTable(tl))
		checkTally(t, "minio-go", tl)
	})
	phase("s3cmd", func(t *testing.T) {
		tl, ctrl, took := s3cmdSample(t, tenants, sz.s3cmdPairs, sz.workers)
		say("\ns3cmd sample: %d attacker → bucket pairs, five operations each, plus %d owner controls, in %s:\n", sz.s3cmdPairs, ctrl, took.Round(time.Second))
		say("%s", opTable(tl))
		checkTally(t, "s3cmd", tl)
	})
	phase("unchanged", func(t *testing.T) {
		n := verifyBuckets(t, tenants)
		say("\nAfterwards, as root: %d buckets each hold exactly their canary, unchanged, and their policy.", n)
	})

	perRole := 4
	if fx.soak {
		perRole = 12
	}
	phase("surface", func(t *testing.T) {
		tl, controls := surface(t, perRole)
		refusals := defaultProductRefusals(t)
		say("\nThe tenant-made surface: %d tenants per state, each with a public bucket, an access key, STS credentials and presigned GET and PUT URLs; %d owner controls before the change all worked. After it, through the bridge (half through the binary), every path was tried (a limited tenant's own reads are allowed, to free space):\n", perRole, controls)
		say("%s", tl.table())
		say("\nA tenant of a product without permissions tried to make an access key, publish its bucket and make a locked bucket: %d of 3 refused.", refusals)
	})

	selfN := 4
	if fx.soak {
		selfN = 8
	}
	phase("self", func(t *testing.T) {
		f := selfService(t, selfN, tenants)
		say("\nThe client area's self-service (issue 13): %d tenants each made a bucket and two access keys through the bridge (a read-only key for the bucket it made, a key for all its buckets): %d buckets, %d keys; %d owner controls all worked. Then:\n", f.tenants, f.buckets, f.keys, f.controls)
		say("| attempt | tried | got in |\n|---|---|---|")
		say("| a read-only key on its own tenant's other bucket, and writing its own | %d | %d |", f.scope.total(f.scope.attempts), f.scope.total(f.scope.success))
		say("| every made key on every other self-service tenant's buckets, five operations | %d | %d |", f.cross.total(f.cross.attempts), f.cross.total(f.cross.success))
		say("| the main run's %d principals on the made buckets (get) | %d | %d |", f.principalsMain, f.mainOnMade.total(f.mainOnMade.attempts), f.mainOnMade.total(f.mainOnMade.success))
		say("| the made keys on the main run's %d buckets (get) | %d | %d |", f.targetsM, f.madeOnMain.total(f.madeOnMain.attempts), f.madeOnMain.total(f.madeOnMain.success))
		say("| made keys after terminate | %d | %d |", f.madeKeysAfterTerminate, f.madeKeysAfterTerminate-f.refusedAfterTerminate)
	})

	n := 16
	if fx.soak {
		n = 60
	}
	sample := make([]*tenant, 0, n)
	for i := 0; i < len(tenants) && len(sample) < n; i += max(1, len(tenants)/n) {
		sample = append(sample, tenants[i])
	}
	var pc pageCheck
	phase("actions", func(t *testing.T) {
		pc = exercise(t, sample, tenants)
	})
	var ended []*tenant
	for _, tn := range tenants {
		if len(tn.keys) > 0 && len(ended) < n/2 {
			ended = append(ended, tn)
		}
	}
	var endedKeys int
	phase("terminate", func(t *testing.T) {
		endedKeys = terminate(t, ended)
	})
	say("\nActions driven for the secret scan: %d tenants × (render.client overview and stats, render.admin, account.info, policy.apply ×2, usage.recalculate, suspend, unsuspend, package, password, a refused password); server.check, account.list, usage.update and usage.metrics for all; a wrong admin secret; %d terminations (%d access keys removed with them).", len(sample), len(ended), endedKeys)
	say("Client pages: %d (%d hold the owner's password as its product allows, %d do not); admin pages: %d.", pc.client, pc.withSecret, pc.withoutSecret, pc.admin)

	phase("secrets", func(t *testing.T) {
		fig, found := scan(t)
		for _, f := range found {
			t.Errorf("secret of %s in %s: …%s…", f.owner, f.where, f.excerpt)
		}
		say("\nSecret scan: %d secrets (%s).", len(fx.secrets.all()), fmtCounts(fig.Secrets))
		say("- log lines: %d (%s; the binary ran %d times); MinIO's own log: %d lines, %d findings", sum(fig.LogLines), fmtCounts(fig.LogLines), fx.binaryRuns.Load(), fig.MinioLogLines, fig.MinioLogFindings)
		say("- command lines: %d distinct seen by the /proc sampler (%d ticks, %d processes), %d of them this test's own; %d exec argument lists; the sampler caught %d of the %d processes the test started",
			fig.Cmdlines, fig.Sampler.Ticks, fig.Sampler.ProcessesSeen, fig.Own, fig.ExecArgs, fig.Sampler.Caught, fig.Sampler.Started)
		say("- bridge answers: %d, of which %d rendered pages; own password allowed in %d create answers (password field only) and %d client pages", fig.Answers, fig.Pages, fig.CreatePasswords, fig.AllowedPasswords)
		say("- findings: %d", len(found))
		if fig.Sampler.Caught == 0 {
			t.Error("the /proc sampler saw none of the processes the test started; it cannot be trusted")
		}
	})
	say("\nTime and CPU per phase (CPU of the test process, which includes the in-process bridge and the sampler, and of MinIO; the binary's and s3cmd's own CPU are not counted):\n\n| phase | wall | CPU test | CPU MinIO |\n|---|---|---|---|")
	for _, p := range phases {
		say("| %s | %s | %.0f s | %.0f s |", p.name, p.wall.Round(time.Second), p.self, p.minio)
	}
	say("\nWhole test: %s.", time.Since(start).Round(time.Second))
	t.Log("\n" + report.String())
	if p := os.Getenv("PUQMINIO_E2E_REPORT"); p != "" {
		if err := os.WriteFile(p, []byte(report.String()), 0o644); err != nil {
			t.Error(err)
		}
	}
}

type phaseFigures struct {
	name        string
	wall        time.Duration
	self, minio float64
}

func checkTally(t *testing.T, client string, tl *tally) {
	if tl.total(tl.attempts) == 0 {
		t.Errorf("%s: no attempts were made", client)
	}
	if n := tl.total(tl.success); n != 0 {
		t.Errorf("%s: %d attempts on other tenants' buckets succeeded", client, n)
	}
	if n := tl.total(tl.other); n != 0 {
		t.Errorf("%s: %d attempts were refused with something other than AccessDenied: %v", client, n, tl.other)
	}
	for _, e := range tl.examples {
		t.Log(e)
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func fmtCounts(m map[string]int) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}
