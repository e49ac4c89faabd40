package e2e

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
)

// The five operations every principal tries on every other tenant's bucket.
var ops = []string{"list", "get", "put", "delete", "get-policy"}

// principal is a set of credentials: a tenant's user or one of its keys.
type principal struct {
	name, access, secret string
	owner                *tenant
}

// target is a bucket and the tenant that owns it.
type target struct {
	bucket string
	owner  *tenant
}

func principalsOf(tenants []*tenant) []principal {
	var out []principal
	for _, tn := range tenants {
		out = append(out, principal{name: tn.user, access: tn.user, secret: tn.secret, owner: tn})
		for _, k := range tn.keys {
			out = append(out, principal{name: tn.user + " key (" + k.label + ")", access: k.access, secret: k.secret, owner: tn})
		}
	}
	return out
}

func targetsOf(tenants []*tenant) []target {
	var out []target
	for _, tn := range tenants {
		for _, b := range tn.buckets {
			out = append(out, target{bucket: b, owner: tn})
		}
	}
	return out
}

// tally counts attempts per operation and outcome.
type tally struct {
	mu       sync.Mutex
	attempts map[string]int
	denied   map[string]int
	success  map[string]int
	other    map[string]int // "op code" -> count: a refusal that is not AccessDenied
	examples []string
}

func newTally() *tally {
	return &tally{attempts: map[string]int{}, denied: map[string]int{}, success: map[string]int{}, other: map[string]int{}}
}

func (t *tally) record(op string, ok bool, code, example string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.attempts[op]++
	switch {
	case ok:
		t.success[op]++
	case code == "AccessDenied":
		t.denied[op]++
		return
	default:
		t.other[op+" "+code]++
	}
	if len(t.examples) < 20 {
		t.examples = append(t.examples, example)
	}
}

func (t *tally) total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// attempt runs op on bucket with c and says whether it succeeded and, if
// not, MinIO's error code.
func attempt(ctx context.Context, c *minio.Client, op, bucket, who string) (bool, string) {
	var err error
	switch op {
	case "list":
		_, err = minio.Core{Client: c}.ListObjectsV2(bucket, "", "", "", "", 100)
	case "get":
		var r io.ReadCloser
		r, _, _, err = minio.Core{Client: c}.GetObject(ctx, bucket, "canary.txt", minio.GetObjectOptions{})
		if err == nil {
			_, err = io.Copy(io.Discard, r)
			r.Close()
		}
	case "put":
		_, err = c.PutObject(ctx, bucket, "intrusion-"+who, strings.NewReader("x"), 1, minio.PutObjectOptions{DisableMultipart: true})
	case "delete":
		err = c.RemoveObject(ctx, bucket, "canary.txt", minio.RemoveObjectOptions{})
	case "get-policy":
		_, err = c.GetBucketPolicy(ctx, bucket)
	default:
		panic(op)
	}
	if err == nil {
		return true, ""
	}
	return false, minio.ToErrorResponse(err).Code
}

// ownerControls has each owner do the five operations on its own buckets
// (and each key on its parent's first bucket): they must all succeed, or a
// refusal to others would prove nothing.
func ownerControls(t *testing.T, tenants []*tenant, workers int) int {
	n := 0
	var mu sync.Mutex
	jobs := make(chan *tenant)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for tn := range jobs {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				checks := 0
				c := fx.s3(tn.user, tn.secret)
				for _, b := range tn.buckets {
					checks += controlBucket(t, ctx, c, tn.user, b, true)
				}
				for _, k := range tn.keys {
					checks += controlBucket(t, ctx, fx.s3(k.access, k.secret), tn.user+" key ("+k.label+")", tn.buckets[0], true)
				}
				cancel()
				mu.Lock()
				n += checks
				mu.Unlock()
			}
		}()
	}
	for _, tn := range tenants {
		jobs <- tn
	}
	close(jobs)
	wg.Wait()
	return n
}

// controlBucket runs the five operations as the owner and checks each
// result; it returns the number of operations run.
func controlBucket(t *testing.T, ctx context.Context, c *minio.Client, who, bucket string, full bool) int {
	res, err := minio.Core{Client: c}.ListObjectsV2(bucket, "", "", "", "", 100)
	if err != nil || len(res.Contents) == 0 {
		t.Errorf("control: %s cannot list its bucket %s: %v", who, bucket, err)
	}
	r, _, _, err := minio.Core{Client: c}.GetObject(ctx, bucket, "canary.txt", minio.GetObjectOptions{})
	if err != nil {
		t.Errorf("control: %s cannot read its canary in %s: %v", who, bucket, err)
	} else {
		body, _ := io.ReadAll(r)
		r.Close()
		if string(body) != canaryBody(bucket) {
			t.Errorf("control: canary of %s reads %q", bucket, body)
		}
	}
	key := "control-" + strings.ToLower(strings.NewReplacer(" ", "-", "(", "", ")", "", "*", "", ":", "").Replace(who))
	if _, err := c.PutObject(ctx, bucket, key, strings.NewReader("c"), 1, minio.PutObjectOptions{DisableMultipart: true}); err != nil {
		t.Errorf("control: %s cannot write %s/%s: %v", who, bucket, key, err)
	}
	if err := c.RemoveObject(ctx, bucket, key, minio.RemoveObjectOptions{}); err != nil {
		t.Errorf("control: %s cannot delete %s/%s: %v", who, bucket, key, err)
	}
	if p, err := c.GetBucketPolicy(ctx, bucket); err != nil || !strings.Contains(p, "canary") {
		t.Errorf("control: %s cannot read the policy of %s: %q, %v", who, bucket, p, err)
	}
	return 5
}

// matrix tries every principal against every bucket its tenant does not
// own, with all five operations, in parallel.
func matrix(t *testing.T, tenants []*tenant, workers int) (*tally, time.Duration) {
	start := time.Now()
	ps, ts := principalsOf(tenants), targetsOf(tenants)
	type job struct {
		p  int
		tg int
	}
	clients := make([]*minio.Client, len(ps))
	for i, p := range ps {
		clients[i] = fx.s3(p.access, p.secret)
	}
	tl := newTally()
	jobs := make(chan job, 1024)
	var wg sync.WaitGroup
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				p, tg := ps[j.p], ts[j.tg]
				who := strings.ToLower(strings.NewReplacer(" ", "-", "(", "", ")", "", "*", "", ":", "").Replace(p.name))
				for _, op := range ops {
					ok, code := attempt(ctx, clients[j.p], op, tg.bucket, who)
					tl.record(op, ok, code, fmt.Sprintf("%s %s on %s: ok=%v code=%s", p.name, op, tg.bucket, ok, code))
				}
			}
		}()
	}
	for i, p := range ps {
		for k, tg := range ts {
			if tg.owner != p.owner {
				jobs <- job{i, k}
			}
		}
	}
	close(jobs)
	wg.Wait()
	return tl, time.Since(start)
}

// verifyBuckets checks, as root, that every bucket holds exactly its
// canary, unchanged, and its policy: nothing the attempts did stuck.
func verifyBuckets(t *testing.T, tenants []*tenant) int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	root := fx.rootS3()
	n := 0
	for _, tg := range targetsOf(tenants) {
		n++
		var keys []string
		for o := range root.ListObjects(ctx, tg.bucket, minio.ListObjectsOptions{Recursive: true, WithVersions: true}) {
			if o.Err != nil {
				t.Errorf("list %s as root: %v", tg.bucket, o.Err)
				break
			}
			keys = append(keys, o.Key)
		}
		if len(keys) != 1 || keys[0] != "canary.txt" {
			t.Errorf("bucket %s holds %v, want only canary.txt", tg.bucket, keys)
		}
		obj, err := root.GetObject(ctx, tg.bucket, "canary.txt", minio.GetObjectOptions{})
		if err == nil {
			body, _ := io.ReadAll(obj)
			obj.Close()
			if string(body) != canaryBody(tg.bucket) {
				t.Errorf("canary of %s changed: %q", tg.bucket, body)
			}
		}
		if p, err := root.GetBucketPolicy(ctx, tg.bucket); err != nil || p == "" || !strings.Contains(p, "canary") {
			t.Errorf("policy of %s changed: %q, %v", tg.bucket, p, err)
		}
	}
	return n
}

// s3cmdClient is s3cmd with one principal's keys in a private config file.
type s3cmdClient struct{ cfg string }

func newS3cmd(t *testing.T, access, secret string) s3cmdClient {
	dir := filepath.Join(fx.dir, "s3cmd")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "cfg-"+access)
	body := fmt.Sprintf("[default]\nhost_base = %s\nhost_bucket = %s\nuse_https = False\nsignature_v2 = False\nbucket_location = us-east-1\naccess_key = %s\nsecret_key = %s\n",
		fx.srv.Endpoint, fx.srv.Endpoint, access, secret)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return s3cmdClient{cfg: cfg}
}

// run runs s3cmd and returns its output and exit status.
func (c s3cmdClient) run(args ...string) (string, int) {
	cmd := exec.Command("s3cmd", append([]string{"-c", c.cfg, "--no-progress"}, args...)...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	err := fx.procs.run(cmd)
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), ee.ExitCode()
	}
	if err != nil {
		return err.Error(), -1
	}
	return out.String(), 0
}

// s3cmdOp runs one of the five operations with s3cmd. For get-policy it
// runs `s3cmd info`, which reads the location first and the policy after;
// a refusal therefore comes at the first read, and success means the
// policy document was printed.
func (c s3cmdClient) op(op, bucket, who, tmp string) (bool, string, string) {
	var out string
	var code int
	switch op {
	case "list":
		out, code = c.run("ls", "s3://"+bucket)
	case "get":
		// s3cmd reads the object's head first; a refused HEAD has no body,
		// so its code is only in MinIO's x-minio-error-code header, which
		// --debug prints (s3cmd masks the secret key in its debug output).
		out, code = c.run("--debug", "get", "--force", "s3://"+bucket+"/canary.txt", filepath.Join(tmp, "dl-"+who))
	case "put":
		out, code = c.run("put", filepath.Join(tmp, "payload"), "s3://"+bucket+"/intrusion-"+who)
	case "delete":
		out, code = c.run("del", "s3://"+bucket+"/canary.txt")
	case "get-policy":
		out, code = c.run("info", "s3://"+bucket)
		if code == 0 && !strings.Contains(out, "canary") {
			return false, "policy not shown", out
		}
	}
	if code == 0 {
		return true, "", out
	}
	if strings.Contains(out, "(AccessDenied)") || strings.Contains(out, "x-minio-error-code: AccessDenied") {
		return false, "AccessDenied", out
	}
	return false, fmt.Sprintf("exit %d", code), out
}

// s3cmdSample runs pairs attacker -> victim with s3cmd, five operations
// each, and the owners' same operations as controls.
func s3cmdSample(t *testing.T, tenants []*tenant, pairs, workers int) (*tally, int, time.Duration) {
	start := time.Now()
	ps, ts := principalsOf(tenants), targetsOf(tenants)
	tmp := filepath.Join(fx.dir, "s3cmd-data")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "payload"), []byte("intruder\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(6, 6))
	type pair struct{ p, tg int }
	var list []pair
	for len(list) < pairs {
		p, tg := rng.IntN(len(ps)), rng.IntN(len(ts))
		if ps[p].owner != ts[tg].owner {
			list = append(list, pair{p, tg})
		}
	}
	cfgs := map[string]s3cmdClient{}
	cfg := func(access, secret string) s3cmdClient {
		if c, ok := cfgs[access]; ok {
			return c
		}
		c := newS3cmd(t, access, secret)
		cfgs[access] = c
		return c
	}
	type job struct {
		c        s3cmdClient
		who, op  string
		bucket   string
		control  bool
		tenantOf string
	}
	var jobs []job
	controlled := map[string]bool{}
	for i, pr := range list {
		p, tg := ps[pr.p], ts[pr.tg]
		who := fmt.Sprintf("s3cmd-%d", i)
		for _, op := range ops {
			jobs = append(jobs, job{c: cfg(p.access, p.secret), who: who, op: op, bucket: tg.bucket})
		}
		if !controlled[tg.bucket] && len(controlled) < pairs/2+1 {
			controlled[tg.bucket] = true
			for _, op := range []string{"list", "get", "get-policy"} {
				jobs = append(jobs, job{c: cfg(tg.owner.user, tg.owner.secret), who: "owner-" + who, op: op, bucket: tg.bucket, control: true})
			}
		}
	}
	attacks, controls := newTally(), 0
	var mu sync.Mutex
	ch := make(chan job)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ch {
				ok, code, out := j.c.op(j.op, j.bucket, j.who, tmp)
				if j.control {
					if !ok {
						t.Errorf("s3cmd control: the owner's %s on %s failed (%s): %s", j.op, j.bucket, code, out)
					}
					mu.Lock()
					controls++
					mu.Unlock()
					continue
				}
				attacks.record(j.op, ok, code, fmt.Sprintf("s3cmd %s on %s: ok=%v %s: %s", j.op, j.bucket, ok, code, strings.TrimSpace(out)))
			}
		}()
	}
	for _, j := range jobs {
		ch <- j
	}
	close(ch)
	wg.Wait()
	return attacks, controls, time.Since(start)
}

// opTable formats a tally as a markdown table row set.
func opTable(tl *tally) string {
	var b strings.Builder
	b.WriteString("| operation | attempts | AccessDenied | successes | other |\n|---|---|---|---|---|\n")
	for _, op := range ops {
		other := 0
		for k, v := range tl.other {
			if strings.HasPrefix(k, op+" ") {
				other += v
			}
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d |\n", op, tl.attempts[op], tl.denied[op], tl.success[op], other)
	}
	fmt.Fprintf(&b, "| all | %d | %d | %d | %d |\n", tl.total(tl.attempts), tl.total(tl.denied), tl.total(tl.success), tl.total(tl.other))
	return b.String()
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
