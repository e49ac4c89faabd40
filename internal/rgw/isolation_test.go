package rgw

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/minio/minio-go/v7"
)

// Three tenants each own a bucket "data" with an object and a policy:
// each sees only its own, and no tenant reaches another's bucket, which it
// can name only as "tenant:data": list, get, put, delete and get-policy
// are refused for every ordered pair, with s3cmd and with minio-go.
func TestTenantsAreIsolated(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	ctx := testCtx(t)
	type tenant struct {
		a      Account
		secret string
		cli    *minio.Client
		cmd    *s3cmd
	}
	var ts []tenant
	for range 3 {
		a, p := provisioned(t, g, ProvisionReq{})
		tn := tenant{a: a, secret: p.Secret, cli: mc(t, a.User, p.Secret), cmd: newS3cmd(t, a.User, p.Secret)}
		if err := putObject(ctx, tn.cli, "data", "owner", len(a.User)); err != nil {
			t.Fatal(err)
		}
		// A policy that lets the owner alone read, so that reading it is
		// an attempt on something that exists.
		pol := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::%s:user/%s"]},"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::data/*"]}]}`,
			g.naming.Tenant(a), a.User)
		if err := tn.cli.SetBucketPolicy(ctx, "data", pol); err != nil {
			t.Fatal(err)
		}
		ts = append(ts, tn)
	}
	for _, tn := range ts {
		// The same name, each its own bucket.
		got, err := getObject(ctx, tn.cli, "data", "owner")
		if err != nil || len(got) != len(tn.a.User) {
			t.Fatalf("%s reading its own data/owner: %d bytes, %v", tn.a.User, len(got), err)
		}
		if out := tn.cmd.must("ls", "s3://data"); !strings.Contains(out, "s3://data/owner") || strings.Count(out, "s3://") != 1 {
			t.Fatalf("%s lists its data:\n%s", tn.a.User, out)
		}
	}
	tried := 0
	var runs []s3cmdRun
	for _, from := range ts {
		for _, to := range ts {
			if from.a == to.a {
				continue
			}
			theirs := g.naming.Tenant(to.a) + ":data"
			who := from.a.User + " on " + theirs
			for op, err := range map[string]error{
				"list": func() error {
					for o := range from.cli.ListObjects(ctx, theirs, minio.ListObjectsOptions{}) {
						return o.Err
					}
					return nil
				}(),
				"get":        func() error { _, err := getObject(ctx, from.cli, theirs, "owner"); return err }(),
				"put":        putObject(ctx, from.cli, theirs, "intruder", 7),
				"delete":     from.cli.RemoveObject(ctx, theirs, "owner", minio.RemoveObjectOptions{}),
				"get-policy": func() error { _, err := from.cli.GetBucketPolicy(ctx, theirs); return err }(),
			} {
				tried++
				if s3Code(err) != "AccessDenied" {
					t.Errorf("minio-go %s %s: %v, want AccessDenied", who, op, err)
				}
			}
			dir := t.TempDir()
			for op, args := range map[string][]string{
				"list":       {"ls", "s3://" + theirs},
				"get":        {"get", "s3://" + theirs + "/owner", dir + "/got"},
				"put":        {"put", file(t, 7), "s3://" + theirs + "/intruder"},
				"delete":     {"del", "s3://" + theirs + "/owner"},
				"get-policy": {"info", "s3://" + theirs},
			} {
				tried++
				runs = append(runs, s3cmdRun{what: who + " " + op, cmd: from.cmd, args: args})
			}
		}
	}
	// s3cmd is a Python program (0.15 s to start): the 30 attempts run
	// four at a time.
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i := range runs {
		wg.Add(1)
		go func(r *s3cmdRun) {
			defer wg.Done()
			sem <- struct{}{}
			r.out, r.ok = r.cmd.run(r.args...)
			<-sem
		}(&runs[i])
	}
	wg.Wait()
	for _, r := range runs {
		if r.ok || (!strings.Contains(r.out, "403") && !strings.Contains(r.out, "AccessDenied")) {
			t.Errorf("s3cmd %s: not refused by the gateway (ok %t):\n%s", r.what, r.ok, r.out)
		}
	}
	// Nothing changed: each bucket holds its owner's object alone.
	for _, tn := range ts {
		var keys []string
		for o := range tn.cli.ListObjects(ctx, "data", minio.ListObjectsOptions{}) {
			keys = append(keys, o.Key)
		}
		if strings.Join(keys, ",") != "owner" {
			t.Fatalf("%s's data after the attempts: %v", tn.a.User, keys)
		}
	}
	t.Logf("%d cross-tenant attempts, all refused", tried)
}

// s3cmdRun is one s3cmd attempt and its outcome.
type s3cmdRun struct {
	what string
	cmd  *s3cmd
	args []string
	out  string
	ok   bool
}
