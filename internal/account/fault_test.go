package account

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/faultproxy"
	"github.com/puqminios3/puqminio/internal/minioadmin"
	"github.com/puqminios3/puqminio/internal/s3"
	"github.com/puqminios3/puqminio/internal/sqlite"
	"github.com/puqminios3/puqminio/internal/testminio"
)

// The fault harness: every step (MinIO request) of create, change
// password, change package and terminate is broken in turn, in every way
// below; the action must then fail with a retryable error that says what
// happened (or ride over the fault), and running it again must converge on
// the state a fault-free run leaves, with nothing orphaned.
//
// PUQMINIO_SOAK=1 runs more rounds and more lanes; PUQMINIO_FAULT_REPORT=path
// writes the table of cases as Markdown.

// faultMode is one way of breaking a step.
type faultMode struct {
	name   string
	proxy  faultproxy.Fault // for faults the proxy makes itself
	server string           // "pause", "stop" or "restart": done to the real MinIO when the step arrives
	// waits says the call is expected to run into its deadline, so the
	// deadline is kept short.
	waits bool
	// soak: only with PUQMINIO_SOAK. The default set holds one mode of
	// each kind the issue names (drop, stall past the deadline, server
	// stopped, server paused); the soak set adds the variants.
	soak bool
}

var faultModes = []faultMode{
	{name: "drop-request", proxy: faultproxy.DropRequest, soak: true},
	{name: "drop-response", proxy: faultproxy.DropResponse},
	{name: "cut-response", proxy: faultproxy.CutResponse, soak: true},
	{name: "stall-request", proxy: faultproxy.StallRequest, waits: true, soak: true},
	{name: "stall-response", proxy: faultproxy.StallResponse, waits: true},
	{name: "server-paused", server: "pause", waits: true},
	{name: "server-stopped", server: "stop", waits: true},
	{name: "server-restarted", server: "restart", soak: true},
}

// faultSoak turns on the long variant: every mode, more rounds, more
// buckets to purge.
var faultSoak = os.Getenv("PUQMINIO_SOAK") != ""

// faultLane is one real MinIO with a history database; cases on one lane
// run one at a time, because stopping or pausing the server hits all of them.
type faultLane struct {
	srv    *testminio.Server
	db     *sqlite.DB
	direct *Manager // talks to MinIO without the proxy
}

// startFaultLanes starts n servers side by side, each with its own store.
func startFaultLanes(t *testing.T, n int) []*faultLane {
	t.Helper()
	srvs := make([]*testminio.Server, n)
	errs := make([]error, n)
	dirs := make([]string, n)
	var wg sync.WaitGroup
	for i := range srvs {
		dirs[i] = t.TempDir()
		wg.Add(1)
		go func() {
			defer wg.Done()
			srvs[i], errs[i] = testminio.Launch(dirs[i], testminio.Options{})
		}()
	}
	wg.Wait()
	for _, s := range srvs {
		if s != nil {
			t.Cleanup(s.Stop)
		}
	}
	lanes := make([]*faultLane, n)
	for i, s := range srvs {
		if errs[i] != nil {
			t.Fatalf("testminio: %v", errs[i])
		}
		db, err := sqlite.Open(filepath.Join(dirs[i], "usage.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		lanes[i] = &faultLane{srv: s, db: db}
		lanes[i].direct = lanes[i].manager(t, s.Endpoint)
		// Creates check names against the server's listing, which they
		// take themselves when it is missing or old: taken here, every
		// case's create makes the same calls.
		if _, err := lanes[i].direct.RefreshNames(context.Background(), false); err != nil {
			t.Fatal(err)
		}
	}
	return lanes
}

// manager returns a Manager whose admin and S3 clients talk to endpoint
// (the server or a proxy in front of it), with the lane's store.
func (l *faultLane) manager(t *testing.T, endpoint string) *Manager {
	t.Helper()
	admin, err := minioadmin.New(minioadmin.Config{Endpoint: endpoint, AccessKey: l.srv.AccessKey, SecretKey: l.srv.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := s3.New(s3.Config{Endpoint: endpoint, AccessKey: l.srv.AccessKey, SecretKey: l.srv.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	return &Manager{Admin: admin, S3: sc, Store: l.db, ServerID: 1}
}

// minioAs is a minio-go client for the lane's server with any credentials.
func (l *faultLane) minioAs(t *testing.T, access, secret string) *minio.Client {
	t.Helper()
	mc, err := minio.New(l.srv.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(access, secret, "")})
	if err != nil {
		t.Fatal(err)
	}
	return mc
}

// adminGet reads an admin listing our client has no call for and decodes
// its JSON answer into out.
func (l *faultLane) adminGet(t *testing.T, op string, out any) {
	t.Helper()
	status, err := l.srv.AdminGet(ctx(t), op, nil, out)
	if err != nil || status != http.StatusOK {
		t.Fatalf("%s: HTTP %d: %v", op, status, err)
	}
}

// minioState is everything an account can leave behind on a server.
type minioState struct {
	Users    []string
	Policies []string
	Members  map[string][]string // group -> members, groups without members left out
	Buckets  []string
}

func (l *faultLane) state(t *testing.T) minioState {
	t.Helper()
	c := ctx(t)
	var st minioState
	users, err := l.direct.Admin.ListUsers(c)
	if err != nil {
		t.Fatal(err)
	}
	for u := range users {
		st.Users = append(st.Users, u)
	}
	sort.Strings(st.Users)
	var pols map[string]json.RawMessage
	l.adminGet(t, "list-canned-policies", &pols)
	for p := range pols {
		st.Policies = append(st.Policies, p)
	}
	sort.Strings(st.Policies)
	var groups []string
	l.adminGet(t, "groups", &groups)
	st.Members = map[string][]string{}
	for _, g := range groups {
		members, _, err := l.srv.GroupMembers(c, g)
		if err != nil {
			t.Fatal(err)
		}
		if len(members) > 0 {
			m := append([]string(nil), members...)
			sort.Strings(m)
			st.Members[g] = m
		}
	}
	bs, err := l.direct.S3.ListBuckets(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bs {
		st.Buckets = append(st.Buckets, b.Name)
	}
	return st
}

// problems collects what a check found wrong, so a caller can tell
// "did not converge" apart from other failures.
type problems []string

func (p *problems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

// noTrace checks that nothing of user is left: no user, no policy, no
// bucket in its namespace, no group membership and no store record.
func (l *faultLane) noTrace(t *testing.T, user string, serviceID int64) problems {
	t.Helper()
	c := ctx(t)
	var p problems
	if _, err := l.direct.Admin.UserInfo(c, user); minioadmin.ErrorCodeOf(err) != minioadmin.CodeNoSuchUser {
		p.add("user %s is left (%v)", user, err)
	}
	if _, ok, err := l.srv.CannedPolicy(c, domain.PolicyName(user)); err != nil || ok {
		p.add("policy %s is left (%v)", domain.PolicyName(user), err)
	}
	if bs, err := l.direct.S3.BucketsOf(c, user); err != nil || len(bs) != 0 {
		p.add("buckets of %s are left: %v %v", user, bs, err)
	}
	for _, g := range []string{faultProductA.Group, faultProductB.Group} {
		if members, _, err := l.srv.GroupMembers(c, g); err == nil && has(members, user) {
			p.add("%s is left in group %s", user, g)
		}
	}
	if _, found, err := l.db.Account(c, 1, serviceID); err != nil || found {
		p.add("store record of service %d is left (%v)", serviceID, err)
	}
	return p
}

// The products the actions move between. B's policy differs from the
// default, so a test can tell which document is in force.
var (
	faultProductA = domain.Product{DefaultBucket: true, BucketSuffix: "data", Group: "fault-a"}
	faultProductB = domain.Product{Group: "fault-b", Unit: "GB", DiskSpace: 5,
		Policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket","s3:GetBucketLocation"],"Resource":["arn:aws:s3:::<USER_ID>","arn:aws:s3:::<USER_ID>/*","arn:aws:s3:::<USER_ID>-*"]}]}`}
)

const faultClientID = 77

// faultAccount is the account a case works on, as WHMCS would know it.
type faultAccount struct {
	ref      domain.ServiceRef
	oldPass  string // the password before a change, which must stop working
	newPass  string // the password a change sets
	secrets  []string
	username string
}

// faultAction is one lifecycle action under test.
type faultAction struct {
	name string
	// prepare brings a new account to where the action starts, without
	// the proxy.
	prepare func(t *testing.T, l *faultLane, id int64) *faultAccount
	// run is the action as WHMCS calls it; a successful create fills in
	// the user name and password.
	run func(ctx context.Context, m *Manager, a *faultAccount) error
	// check returns what differs from the converged state.
	check func(t *testing.T, l *faultLane, a *faultAccount) problems
	// terminates says the action removes the account itself.
	terminates bool
}

func createDirect(t *testing.T, l *faultLane, id int64) *faultAccount {
	t.Helper()
	got, err := l.direct.Create(ctx(t), svc(faultClientID, id), faultProductA)
	if err != nil {
		t.Fatalf("prepare: create: %v", err)
	}
	return &faultAccount{
		ref:      domain.ServiceRef{ID: id, ClientID: faultClientID, Username: got.Username, Password: got.Password},
		username: got.Username,
		secrets:  []string{got.Password},
	}
}

// checkAccount checks the user exists, enabled, holding exactly its own
// policy (with the document of prod), in exactly prod's group, with its
// default bucket and nothing else, that password works, and that the store
// agrees.
func checkAccount(t *testing.T, l *faultLane, a *faultAccount, prod domain.Product, password string) problems {
	t.Helper()
	c := ctx(t)
	var p problems
	user := a.username
	info, err := l.direct.Admin.UserInfo(c, user)
	if err != nil {
		p.add("user %s: %v", user, err)
		return p
	}
	if !info.Enabled {
		p.add("user %s is disabled", user)
	}
	if got := info.Policies; len(got) != 1 || got[0] != domain.PolicyName(user) {
		p.add("user %s has policies %v, want exactly %s", user, got, domain.PolicyName(user))
	}
	if got := info.Groups; len(got) != 1 || got[0] != prod.Group {
		p.add("user %s is in groups %v, want exactly %s", user, got, prod.Group)
	}
	pol, ok, err := l.srv.CannedPolicy(c, domain.PolicyName(user))
	if err != nil || !ok {
		p.add("policy of %s: %v (exists %t)", user, err, ok)
	} else {
		norm := prod
		if err := norm.Normalize(); err != nil {
			t.Fatal(err)
		}
		want, err := norm.PolicyDocument(domain.PolicyStandard, user)
		if err != nil {
			t.Fatal(err)
		}
		if got, wantN := normalPolicy(t, pol), normalPolicy(t, want); got != wantN {
			p.add("policy of %s is %s, want %s", user, got, wantN)
		}
	}
	bs, err := l.direct.S3.BucketsOf(c, user)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range bs {
		names = append(names, b.Name)
	}
	if wantB := domain.DefaultBucketName(user, faultProductA.BucketSuffix); len(names) != 1 || names[0] != wantB {
		p.add("buckets of %s: %v, want exactly %s", user, names, wantB)
	} else if _, err := l.minioAs(t, user, password).BucketExists(c, names[0]); err != nil {
		// The password WHMCS holds is the one that works.
		p.add("user %s cannot use its password: %v", user, err)
	}
	rec, found, err := l.db.Account(c, 1, a.ref.ID)
	if err != nil || !found || rec.Username != user || rec.Group != prod.Group {
		p.add("store record %+v found=%t err=%v; want user %s group %s", rec, found, err, user, prod.Group)
	}
	return p
}

// normalPolicy returns a policy document in a form that compares equal
// however MinIO orders its lists.
func normalPolicy(t *testing.T, doc []byte) string {
	t.Helper()
	var d struct {
		Version   string
		Statement []map[string]any
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatalf("%v: %s", err, doc)
	}
	for _, st := range d.Statement {
		for k, v := range st {
			switch v := v.(type) {
			case string:
				st[k] = []string{v}
			case []any:
				l := make([]string, 0, len(v))
				for _, x := range v {
					l = append(l, fmt.Sprint(x))
				}
				sort.Strings(l)
				st[k] = l
			}
		}
	}
	out, _ := json.Marshal(d)
	return string(out)
}

var faultActions = []faultAction{
	{
		name: "create",
		prepare: func(t *testing.T, l *faultLane, id int64) *faultAccount {
			return &faultAccount{ref: svc(faultClientID, id)}
		},
		run: func(c context.Context, m *Manager, a *faultAccount) error {
			got, err := m.Create(c, domain.ServiceRef{ID: a.ref.ID, ClientID: a.ref.ClientID}, faultProductA)
			if got.Password != "" {
				a.secrets = append(a.secrets, got.Password)
			}
			if err != nil {
				return err
			}
			a.ref.Username, a.ref.Password, a.username = got.Username, got.Password, got.Username
			return nil
		},
		check: func(t *testing.T, l *faultLane, a *faultAccount) problems {
			return checkAccount(t, l, a, faultProductA, a.ref.Password)
		},
	},
	{
		name: "password",
		prepare: func(t *testing.T, l *faultLane, id int64) *faultAccount {
			a := createDirect(t, l, id)
			a.oldPass = a.ref.Password
			a.newPass = fmt.Sprintf("Fault-Pass-%d-x", id)
			a.ref.Password = a.newPass
			a.secrets = append(a.secrets, a.newPass)
			return a
		},
		run: func(c context.Context, m *Manager, a *faultAccount) error {
			return m.ChangePassword(c, a.ref, faultProductA)
		},
		check: func(t *testing.T, l *faultLane, a *faultAccount) problems {
			p := checkAccount(t, l, a, faultProductA, a.newPass)
			if _, err := l.minioAs(t, a.username, a.oldPass).BucketExists(ctx(t), domain.DefaultBucketName(a.username, "data")); err == nil {
				p.add("the old password of %s still works", a.username)
			}
			return p
		},
	},
	{
		name:    "package",
		prepare: createDirect,
		run: func(c context.Context, m *Manager, a *faultAccount) error {
			_, err := m.ChangePackage(c, a.ref, faultProductB)
			return err
		},
		check: func(t *testing.T, l *faultLane, a *faultAccount) problems {
			p := checkAccount(t, l, a, faultProductB, a.ref.Password)
			if rec, _, _ := l.db.Account(ctx(t), 1, a.ref.ID); rec.State.Policy != domain.PolicyStandard {
				p.add("policy state %q, want standard", rec.State.Policy)
			}
			return p
		},
	},
	{
		name: "terminate",
		prepare: func(t *testing.T, l *faultLane, id int64) *faultAccount {
			a := createDirect(t, l, id)
			c := ctx(t)
			// Something in every place terminate must clear: object
			// versions and a delete marker, an access key, and in soak
			// runs a second bucket.
			mc := l.minioAs(t, l.srv.AccessKey, l.srv.SecretKey)
			buckets := []string{domain.DefaultBucketName(a.username, "data")}
			if faultSoak {
				buckets = append(buckets, a.username+"-extra")
				if err := mc.MakeBucket(c, buckets[1], minio.MakeBucketOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			for _, b := range buckets {
				if err := mc.EnableVersioning(c, b); err != nil {
					t.Fatal(err)
				}
				for _, k := range []string{"gone.txt", "kept.txt"} {
					if _, err := mc.PutObject(c, b, k, strings.NewReader("fault"), 5, minio.PutObjectOptions{}); err != nil {
						t.Fatal(err)
					}
				}
				if err := mc.RemoveObject(c, b, "gone.txt", minio.RemoveObjectOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			key, err := adminOf(l.direct).AddServiceAccount(c, minioadmin.AddServiceAccountReq{TargetUser: a.username})
			if err != nil {
				t.Fatal(err)
			}
			a.secrets = append(a.secrets, key.SecretKey)
			return a
		},
		run: func(c context.Context, m *Manager, a *faultAccount) error {
			_, err := m.Terminate(c, a.ref)
			return err
		},
		check: func(t *testing.T, l *faultLane, a *faultAccount) problems {
			return l.noTrace(t, a.username, a.ref.ID)
		},
		terminates: true,
	},
}

// faultStep is one request of a fault-free run.
type faultStep struct {
	op    string
	after time.Duration // from the start of the action to the request
}

// faultResult is one injected fault and what came of it.
type faultResult struct {
	action  string
	step    int
	op      string
	mode    string
	outcome string // "rode over it" or the error code
	took    time.Duration
	message string
	retried []string // messages of re-runs that had to be run again
}

var nextFaultService atomic.Int64

func init() { nextFaultService.Store(1000) }

// countSteps runs the action once through a proxy without faults and
// returns its requests in order.
func countSteps(t *testing.T, l *faultLane, act faultAction) []faultStep {
	t.Helper()
	a := act.prepare(t, l, nextFaultService.Add(1))
	p, err := faultproxy.New(l.srv.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	m := l.manager(t, p.Addr())
	start := time.Now()
	if err := act.run(ctx(t), m, a); err != nil {
		t.Fatalf("%s without faults: %v", act.name, err)
	}
	if p := act.check(t, l, a); len(p) > 0 {
		t.Fatalf("%s without faults: %s", act.name, strings.Join(p, "; "))
	}
	var steps []faultStep
	for _, r := range p.Requests() {
		steps = append(steps, faultStep{op: r.Op, after: r.At.Sub(start)})
	}
	cleanupAccount(t, l, act, a)
	return steps
}

func cleanupAccount(t *testing.T, l *faultLane, act faultAction, a *faultAccount) {
	t.Helper()
	if !act.terminates && a.username != "" {
		if _, err := l.direct.Terminate(ctx(t), a.ref); err != nil {
			t.Fatalf("cleanup: terminate %s: %v", a.username, err)
		}
	}
	if a.username == "" {
		// A create that never answered: the store knows the name.
		rec, found, err := l.db.Account(ctx(t), 1, a.ref.ID)
		if err != nil {
			t.Fatal(err)
		}
		if found {
			a.username = rec.Username
		}
	}
	if a.username != "" {
		if p := l.noTrace(t, a.username, a.ref.ID); len(p) > 0 {
			t.Errorf("after terminate: %s", strings.Join(p, "; "))
		}
	}
}

// faultMessage is what an error returned during a fault must say: what
// happened, and that running the action again is safe.
var (
	faultCause = regexp.MustCompile(`did not answer|cannot reach|closed the connection|refused the connection|connection to MinIO failed|was cancelled|still starting|not ready|still lists`)
	faultRetry = regexp.MustCompile(`(?i)retrying is safe`)
)

// runFaultCase breaks step of act in mode on lane l and checks the outcome,
// the convergence of two re-runs and that nothing is left over.
func runFaultCase(t *testing.T, l *faultLane, act faultAction, steps []faultStep, step int, mode faultMode) faultResult {
	t.Helper()
	res := faultResult{action: act.name, step: step, op: steps[step-1].op, mode: mode.name}
	// A short deadline for faults that wait it out, long enough for the
	// steps before the broken one even on a slow machine; doubled when the
	// call ran out of time before reaching the step.
	slack := time.Second
	// A soak run outlives the listing of names: it is taken again (outside
	// the proxy) before it would be inside a case.
	if _, err := l.direct.RefreshNames(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	for attempt := 1; ; attempt++ {
		a := act.prepare(t, l, nextFaultService.Add(1))
		p, err := faultproxy.New(l.srv.Endpoint)
		if err != nil {
			t.Fatal(err)
		}
		m := l.manager(t, p.Addr())
		// hooked is closed once the hook has done its part to the server.
		hooked := make(chan struct{})
		restarted := make(chan error, 1)
		rule := faultproxy.Rule{Fault: mode.proxy}
		switch mode.server {
		case "pause":
			rule = faultproxy.Rule{Fault: faultproxy.Hook, Hook: func(faultproxy.Request) {
				defer close(hooked)
				if err := l.srv.Pause(); err != nil {
					t.Error(err)
				}
			}}
		case "stop":
			rule = faultproxy.Rule{Fault: faultproxy.Hook, Hook: func(faultproxy.Request) {
				defer close(hooked)
				l.srv.Stop()
				p.Down()
			}}
		case "restart":
			rule = faultproxy.Rule{Fault: faultproxy.Hook, Hook: func(faultproxy.Request) {
				defer close(hooked)
				l.srv.Stop()
				p.Down()
				go func() {
					err := l.srv.Restart()
					if err == nil {
						err = p.Up()
					}
					restarted <- err
				}()
			}}
		}
		p.Inject(step, rule)
		deadline := 60 * time.Second
		if mode.waits {
			deadline = slack + 3*steps[step-1].after
		}
		c, cancel := context.WithTimeout(context.Background(), deadline)
		start := time.Now()
		err = act.run(c, m, a)
		res.took = time.Since(start)
		cancel()
		fired := p.Fired(step)
		var gotOp string
		if reqs := p.Requests(); len(reqs) >= step {
			gotOp = reqs[step-1].Op
		}
		// Bring the server back before anything else.
		if fired && mode.server != "" {
			<-hooked
			var back error
			switch mode.server {
			case "pause":
				back = l.srv.Resume()
			case "stop":
				back = l.srv.Restart()
			case "restart":
				back = <-restarted
			}
			if back != nil {
				t.Fatal(back)
			}
		}
		p.Close()
		if err := l.srv.WaitReady(ctx(t)); err != nil {
			t.Fatalf("MinIO did not come back: %v\n%s", err, l.srv.Log())
		}
		if fired && gotOp != res.op {
			t.Errorf("%s step %d was %s in the counting run but %s now", act.name, step, res.op, gotOp)
		}
		if err != nil {
			res.outcome, res.message = domain.ErrorCode(err), domain.ErrorMessage(err)
			checkFaultError(t, err, a, res)
		} else {
			res.outcome = "rode over it"
		}
		if !fired && err == nil {
			t.Fatalf("%s: the action finished in %s without reaching step %d", act.name, res.took, step)
		}
		// Run it again, twice: the first converges, the second changes
		// nothing.
		for i := 0; i < 2; i++ {
			// A re-run that answers "retrying is safe" is run again after
			// a pause (1 s doubling, a minute in all), as WHMCS's next
			// attempt would: MinIO was seen to bring a just-removed tenant
			// bucket back, empty, for several seconds after a purge that
			// had been interrupted.
			var err error
			for try, wait := 0, time.Second; ; try, wait = try+1, wait*2 {
				if err = act.run(ctx(t), l.direct, a); err == nil || !domain.IsRetryable(err) || try == 6 {
					break
				}
				res.retried = append(res.retried, domain.ErrorMessage(err))
				t.Logf("re-run %d answered %v; running it again in %s", i+1, err, wait)
				time.Sleep(wait)
			}
			if err != nil {
				t.Fatalf("%s %s at step %d (%s): re-run %d: %v", act.name, mode.name, step, res.op, i+1, err)
			}
			if p := act.check(t, l, a); len(p) > 0 {
				t.Fatalf("%s %s at step %d (%s): re-run %d did not converge (the fault gave: %s %s): %s", act.name, mode.name, step, res.op, i+1, res.outcome, res.message, strings.Join(p, "; "))
			}
		}
		cleanupAccount(t, l, act, a)
		if fired {
			return res
		}
		if attempt == 4 {
			t.Fatalf("%s: step %d (%s) never reached within %s", act.name, step, res.op, deadline)
		}
		slack *= 2
	}
}

// checkFaultError asserts that an error returned while a fault was on is a
// retryable domain error that says what happened, and holds no secret.
func checkFaultError(t *testing.T, err error, a *faultAccount, res faultResult) {
	t.Helper()
	where := fmt.Sprintf("%s, %s at step %d (%s)", res.action, res.mode, res.step, res.op)
	if domain.ErrorCode(err) == domain.EINTERNAL {
		t.Errorf("%s: not a domain error: %v", where, err)
		return
	}
	if !domain.IsRetryable(err) {
		t.Errorf("%s: error is not retryable: %v", where, err)
	}
	msg := domain.ErrorMessage(err)
	if !faultCause.MatchString(msg) {
		t.Errorf("%s: the message does not say what happened: %q", where, msg)
	}
	if !faultRetry.MatchString(msg) {
		t.Errorf("%s: the message does not say a retry is safe: %q", where, msg)
	}
	for _, s := range append([]string{testminio.RootPassword}, a.secrets...) {
		if s != "" && strings.Contains(msg, s) {
			t.Errorf("%s: the message holds a secret: %q", where, msg)
		}
	}
}

func TestFaultsAtEveryStep(t *testing.T) {
	lanes, rounds := 3, 1
	if faultSoak {
		lanes, rounds = 4, 2
	}
	ls := startFaultLanes(t, lanes)
	baselines := make([]minioState, lanes)
	for i, l := range ls {
		baselines[i] = l.state(t)
	}

	type job struct {
		act   faultAction
		steps []faultStep
		step  int
		mode  faultMode
	}
	var jobs []job
	for _, act := range faultActions {
		steps := countSteps(t, ls[0], act)
		var ops []string
		for _, s := range steps {
			ops = append(ops, s.op)
		}
		t.Logf("%s has %d steps: %s", act.name, len(steps), strings.Join(ops, ", "))
		for r := 0; r < rounds; r++ {
			for i := range steps {
				for _, mode := range faultModes {
					if mode.soak && !faultSoak {
						continue
					}
					jobs = append(jobs, job{act, steps, i + 1, mode})
				}
			}
		}
	}

	queue := make(chan job)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var results []faultResult
	for i, l := range ls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range queue {
				var r faultResult
				ok := t.Run(fmt.Sprintf("%s/step%d-%s/%s/lane%d", j.act.name, j.step, j.steps[j.step-1].op, j.mode.name, i), func(t *testing.T) {
					r = runFaultCase(t, l, j.act, j.steps, j.step, j.mode)
				})
				mu.Lock()
				if ok && r.action != "" { // "" when -run filtered the case out
					results = append(results, r)
				}
				mu.Unlock()
			}
		}()
	}
	for _, j := range jobs {
		queue <- j
	}
	close(queue)
	wg.Wait()

	// Every lane is back to where it started: no user, policy, group
	// membership or bucket is orphaned.
	for i, l := range ls {
		if got := l.state(t); !sameState(got, baselines[i]) {
			t.Errorf("lane %d: MinIO differs from before the faults:\nbefore %+v\nafter  %+v", i, baselines[i], got)
		}
	}
	reportFaults(t, results, len(jobs))
}

func sameState(a, b minioState) bool {
	aj, _ := json.Marshal(a)
	bj, _ := json.Marshal(b)
	return bytes.Equal(aj, bj)
}

// reportFaults logs the table of cases and, with PUQMINIO_FAULT_REPORT set,
// writes it as Markdown.
func reportFaults(t *testing.T, results []faultResult, planned int) {
	sort.Slice(results, func(i, j int) bool {
		a, b := results[i], results[j]
		if a.action != b.action {
			return actionOrder(a.action) < actionOrder(b.action)
		}
		if a.step != b.step {
			return a.step < b.step
		}
		return modeOrder(a.mode) < modeOrder(b.mode)
	})
	// A matrix: one row per step, one column per fault mode; a cell holds
	// the outcomes (error code, or "rode over" when retries absorbed the
	// fault) and the longest time the faulted call took.
	type cell struct {
		outcomes []string
		took     time.Duration
	}
	type row struct {
		action, op string
		step       int
		cells      map[string]*cell
	}
	var rows []*row
	used := map[string]bool{}
	for _, r := range results {
		if len(rows) == 0 || rows[len(rows)-1].action != r.action || rows[len(rows)-1].step != r.step {
			rows = append(rows, &row{action: r.action, op: r.op, step: r.step, cells: map[string]*cell{}})
		}
		cur := rows[len(rows)-1]
		c := cur.cells[r.mode]
		if c == nil {
			c = &cell{}
			cur.cells[r.mode] = c
		}
		out := strings.Replace(r.outcome, "rode over it", "rode over", 1)
		if !slices.Contains(c.outcomes, out) {
			c.outcomes = append(c.outcomes, out)
		}
		c.took = max(c.took, r.took)
		used[r.mode] = true
	}
	var b strings.Builder
	b.WriteString("| action | step | request |")
	sep := "|---|---|---|"
	for _, m := range faultModes {
		if used[m.name] {
			b.WriteString(" " + m.name + " |")
			sep += "---|"
		}
	}
	b.WriteString("\n" + sep + "\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %d | %s |", r.action, r.step, r.op)
		for _, m := range faultModes {
			if !used[m.name] {
				continue
			}
			if c := r.cells[m.name]; c != nil {
				fmt.Fprintf(&b, " %s %s |", strings.Join(c.outcomes, "/"), c.took.Round(100*time.Millisecond))
			} else {
				b.WriteString(" – |")
			}
		}
		b.WriteString("\n")
	}
	// One line per message, with the user name and the like made generic.
	generic := regexp.MustCompile(fmt.Sprintf(`%d-\d+`, faultClientID))
	msgs := map[string]int{}
	var ms []string
	for _, r := range results {
		if r.message == "" {
			continue
		}
		m := generic.ReplaceAllString(r.message, "<user>")
		if msgs[m] == 0 {
			ms = append(ms, m)
		}
		msgs[m]++
	}
	sort.Strings(ms)
	var retried []string
	for _, r := range results {
		for _, m := range r.retried {
			retried = append(retried, fmt.Sprintf("%s %s at step %d (%s): %s", r.action, r.mode, r.step, r.op, generic.ReplaceAllString(m, "<user>")))
		}
	}
	fmt.Fprintf(&b, "\n%d of %d cases passed; %d re-runs answered a retryable error and were run again:\n\n", len(results), planned, len(retried))
	for _, m := range retried {
		fmt.Fprintf(&b, "- %s\n", m)
	}
	b.WriteString("\nMessages seen:\n\n")
	for _, m := range ms {
		fmt.Fprintf(&b, "- (%d×) %s\n", msgs[m], m)
	}
	t.Log("\n" + b.String())
	if p := os.Getenv("PUQMINIO_FAULT_REPORT"); p != "" {
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			t.Error(err)
		}
	}
}

func actionOrder(name string) int {
	for i, a := range faultActions {
		if a.name == name {
			return i
		}
	}
	return len(faultActions)
}

func modeOrder(name string) int {
	for i, m := range faultModes {
		if m.name == name {
			return i
		}
	}
	return len(faultModes)
}
