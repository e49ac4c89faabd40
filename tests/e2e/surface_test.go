package e2e

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/minioadmin"
)

// The tenant-made surface (issue 11): tenants of their own, each with a
// public bucket, an access key, STS credentials and presigned URLs, are
// suspended, limited or terminated through the bridge; then every path
// they made is tried. Success means a write, or any read of a suspended or
// terminated tenant, or an anonymous read of a limited one (its public
// policy is withheld). Before the change, every path is tried by its owner
// and must work, or a refusal afterwards would prove nothing.

// surfaceTenant is a tenant of the surface phase and what it made.
type surfaceTenant struct {
	*tenant
	role      string // suspended, limited or terminated
	key       accessKey
	sts       *minio.Client
	presigned map[string]string // "get", "put" -> URL
}

// surfacePaths are the ways in, in the order of the report.
var surfacePaths = []string{"user get", "user put", "key get", "key put", "sts get", "sts put",
	"presigned get", "presigned put", "anonymous get", "anonymous put"}

// curlStatus sends an unsigned request (an anonymous caller, or a
// presigned URL) with curl and returns the HTTP status.
func curlStatus(method, url string) int {
	args := []string{"-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", method, "--max-time", "20"}
	if method == "PUT" {
		args = append(args, "--data-binary", "intrusion")
	}
	out, err := exec.Command("curl", append(args, url)...).Output()
	if err != nil {
		return 0
	}
	var code int
	fmt.Sscanf(string(out), "%d", &code)
	return code
}

// try attempts one path and reports whether it got in.
func (st *surfaceTenant) try(ctx context.Context, path string) bool {
	b := st.buckets[0]
	get := func(c *minio.Client) bool {
		r, _, _, err := minio.Core{Client: c}.GetObject(ctx, b, "canary.txt", minio.GetObjectOptions{})
		if err != nil {
			return false
		}
		defer r.Close()
		_, err = io.Copy(io.Discard, r)
		return err == nil
	}
	put := func(c *minio.Client) bool {
		_, err := c.PutObject(ctx, b, "intrusion.txt", strings.NewReader("x"), 1, minio.PutObjectOptions{DisableMultipart: true})
		return err == nil
	}
	switch path {
	case "user get":
		return get(fx.s3(st.user, st.secret))
	case "user put":
		return put(fx.s3(st.user, st.secret))
	case "key get":
		return get(fx.s3(st.key.access, st.key.secret))
	case "key put":
		return put(fx.s3(st.key.access, st.key.secret))
	case "sts get":
		return get(st.sts)
	case "sts put":
		return put(st.sts)
	case "presigned get":
		return curlStatus("GET", st.presigned["get"]) == 200
	case "presigned put":
		return curlStatus("PUT", st.presigned["put"]) == 200
	case "anonymous get":
		return curlStatus("GET", fx.srv.URL()+"/"+b+"/canary.txt") == 200
	case "anonymous put":
		return curlStatus("PUT", fx.srv.URL()+"/"+b+"/intrusion.txt") == 200
	}
	panic(path)
}

// allowed says whether path may still get in for role: a limited tenant
// keeps reading (and deleting) to free space.
func allowed(role, path string) bool {
	return role == "limited" && (path == "user get" || path == "key get" || path == "sts get" || path == "presigned get")
}

// surfaceTally counts the attempts after the change, by role.
type surfaceTally struct {
	attempts, success map[string]int
}

// table is the tally as a markdown table.
func (tl *surfaceTally) table() string {
	var b strings.Builder
	b.WriteString("| tenant | paths tried | got in |\n|---|---|---|\n")
	for _, role := range []string{"suspended", "limited", "terminated"} {
		fmt.Fprintf(&b, "| %s | %d | %d |\n", role, tl.attempts[role], tl.success[role])
	}
	return b.String()
}

// surface runs the phase with n tenants per role and returns the tally of
// attempts after the change (successes must be none) and the number of
// owner controls made before it.
func surface(t *testing.T, n int) (*surfaceTally, int) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	root := fx.s3(fx.srv.AccessKey, fx.srv.SecretKey)
	var all []*surfaceTenant
	for i, role := range []string{"suspended", "limited", "terminated"} {
		for k := range n {
			id := int64(8000 + i*100 + k)
			tn, a := fx.create(t, domain.ServiceRef{ID: id, ClientID: 800}, product("", k), k%2 == 0)
			if tn == nil {
				t.Fatalf("surface: create %d: %+v", id, a.Error)
			}
			st := &surfaceTenant{tenant: tn, role: role, presigned: map[string]string{}}
			b := tn.buckets[0]
			body := canaryBody(b)
			if _, err := root.PutObject(ctx, b, "canary.txt", strings.NewReader(body), int64(len(body)), minio.PutObjectOptions{}); err != nil {
				t.Fatal(err)
			}
			// A public bucket, as a product that lets tenants publish (or
			// a tenant before the upgrade) leaves it.
			pub := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:GetObject","s3:PutObject"],"Resource":["arn:aws:s3:::` + b + `/*"]}]}`
			if err := root.SetBucketPolicy(ctx, b, pub); err != nil {
				t.Fatal(err)
			}
			adm, err := minioadmin.New(minioadmin.Config{Endpoint: fx.srv.Endpoint, AccessKey: tn.user, SecretKey: tn.secret})
			if err != nil {
				t.Fatal(err)
			}
			cred, err := adm.AddServiceAccount(ctx, minioadmin.AddServiceAccountReq{TargetUser: tn.user, Name: "surface"})
			if err != nil {
				t.Fatalf("surface: %s cannot make an access key: %v", tn.user, err)
			}
			fx.secrets.add(cred.SecretKey, "key "+tn.user+"/"+cred.AccessKey)
			st.key = accessKey{access: cred.AccessKey, secret: cred.SecretKey, label: "surface"}
			creds, err := credentials.NewSTSAssumeRole(fx.srv.URL(), credentials.STSAssumeRoleOptions{AccessKey: tn.user, SecretKey: tn.secret, DurationSeconds: 3600})
			if err != nil {
				t.Fatal(err)
			}
			v, err := creds.GetWithContext(nil)
			if err != nil {
				t.Fatalf("surface: %s cannot assume a role: %v", tn.user, err)
			}
			fx.secrets.add(v.SecretAccessKey, "STS credentials of "+tn.user)
			if st.sts, err = minio.New(fx.srv.Endpoint, &minio.Options{Creds: creds, Region: "us-east-1"}); err != nil {
				t.Fatal(err)
			}
			user := fx.s3(tn.user, tn.secret)
			g, err := user.PresignedGetObject(ctx, b, "canary.txt", time.Hour, nil)
			if err != nil {
				t.Fatal(err)
			}
			p, err := user.PresignedPutObject(ctx, b, "presigned.txt", time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			st.presigned["get"], st.presigned["put"] = g.String(), p.String()
			all = append(all, st)
		}
	}
	controls := 0
	for _, st := range all {
		for _, path := range surfacePaths {
			if !st.try(ctx, path) {
				t.Errorf("surface control: %s's %s does not work before the change", st.user, path)
			}
			controls++
		}
	}
	for i, st := range all {
		bin := i%2 == 1
		switch st.role {
		case "suspended":
			fx.must(t, "surface suspend", fx.serviceReq("account.suspend", st.tenant, nil), bin)
		case "limited":
			fx.must(t, "surface limit", fx.serviceReq("policy.apply", st.tenant, map[string]string{"mode": "limited"}), bin)
		case "terminated":
			fx.must(t, "surface terminate", fx.serviceReq("account.terminate", st.tenant, nil), bin)
		}
	}
	tl := &surfaceTally{attempts: map[string]int{}, success: map[string]int{}}
	for _, st := range all {
		for _, path := range surfacePaths {
			if allowed(st.role, path) {
				continue
			}
			tl.attempts[st.role]++
			if st.try(ctx, path) {
				tl.success[st.role]++
				t.Errorf("surface: the %s tenant %s's %s got in", st.role, st.user, path)
			}
		}
	}
	// Back to normal where there is a normal: the product does not let
	// tenants publish, so the public policy stays off.
	for _, st := range all {
		switch st.role {
		case "suspended":
			fx.must(t, "surface unsuspend", fx.serviceReq("account.unsuspend", st.tenant, nil), false)
		case "limited":
			fx.must(t, "surface unlimit", fx.serviceReq("policy.apply", st.tenant, map[string]string{"mode": "auto"}), false)
		}
		if st.role != "terminated" {
			if !st.try(ctx, "user put") {
				t.Errorf("surface: %s (%s) cannot write after the change was undone", st.user, st.role)
			}
			if st.try(ctx, "anonymous get") {
				t.Errorf("surface: %s's public policy came back though its product does not let tenants publish", st.user)
			}
			fx.must(t, "surface cleanup", fx.serviceReq("account.terminate", st.tenant, nil), false)
		}
	}
	return tl, controls
}

// defaultProductRefusals has a tenant of a product without permissions try
// what it may not: make an access key with S3 tools, publish its bucket,
// lock data. Each must be refused; it returns the refusals.
func defaultProductRefusals(t *testing.T) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p := product("", 0)
	p.Permissions = ""
	tn, a := fx.create(t, domain.ServiceRef{ID: 8900, ClientID: 890}, p, true)
	if tn == nil {
		t.Fatalf("create: %+v", a.Error)
	}
	defer fx.must(t, "cleanup", fx.serviceReq("account.terminate", tn, nil), false)
	adm, err := minioadmin.New(minioadmin.Config{Endpoint: fx.srv.Endpoint, AccessKey: tn.user, SecretKey: tn.secret})
	if err != nil {
		t.Fatal(err)
	}
	c := fx.s3(tn.user, tn.secret)
	refused := 0
	for what, err := range map[string]error{
		"make an access key": func() error {
			_, err := adm.AddServiceAccount(ctx, minioadmin.AddServiceAccountReq{TargetUser: tn.user})
			return err
		}(),
		"publish its bucket":   c.SetBucketPolicy(ctx, tn.buckets[0], `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::`+tn.buckets[0]+`/*"]}]}`),
		"make a locked bucket": c.MakeBucket(ctx, tn.user+"-locked", minio.MakeBucketOptions{ObjectLocking: true}),
	} {
		if err == nil {
			t.Errorf("a tenant of a product without permissions could %s", what)
			continue
		}
		refused++
	}
	return refused
}
