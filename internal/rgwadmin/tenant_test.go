package rgwadmin

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/signer"
)

// How tenants' buckets are named and reached over S3, measured on the
// real gateway: each tenant has its own bucket namespace; a tenant's user
// names its buckets plainly; anyone else names them "tenant:bucket" and
// still needs a policy to get in; the admin user's caps give no S3 access.
func TestTenantBucketNamespaces(t *testing.T) {
	c := newClient(t)
	ctx := testCtx(t)
	acmeT, betaT := unique("acme"), unique("beta")
	alice := mustCreateUser(t, c, acmeT)
	carol := mustCreateUser(t, c, betaT)
	admin := s3For(t, srv.AccessKey, srv.SecretKey) // outside any tenant
	name := unique("photos")

	// The same name in two tenants and in the global namespace.
	for who, s3 := range map[string]*minio.Client{"alice": alice.s3(t), "carol": carol.s3(t), "admin": admin} {
		if err := s3.MakeBucket(ctx, name, minio.MakeBucketOptions{}); err != nil {
			t.Fatalf("%s creating %s: %v", who, name, err)
		}
		if err := put(ctx, s3, name, "who", []byte(who)); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		_ = admin.RemoveObject(ctx, name, "who", minio.RemoveObjectOptions{})
		_ = admin.RemoveBucket(ctx, name)
	})
	for who, s3 := range map[string]*minio.Client{"alice": alice.s3(t), "carol": carol.s3(t), "admin": admin} {
		if got, err := get(ctx, s3, name, "who"); err != nil || string(got) != who {
			t.Fatalf("%s reading its own %s: %q, %v", who, name, got, err)
		}
	}
	all, err := c.BucketStats(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	owners := map[string]string{}
	for _, b := range all {
		if b.Bucket == name {
			owners[b.Tenant] = b.Owner
		}
	}
	if len(owners) != 3 || owners[acmeT] != alice.UID || owners[betaT] != carol.UID || owners[""] != "puqadmin" {
		t.Fatalf("owners of %s by tenant: %v", name, owners)
	}

	// Across tenants the name is "tenant:bucket"; without a policy the
	// owner's bucket refuses others, the admin user included.
	cross := acmeT + ":" + name
	for who, s3 := range map[string]*minio.Client{"carol": carol.s3(t), "admin": admin} {
		if _, err := get(ctx, s3, cross, "who"); s3Code(err) != "AccessDenied" {
			t.Fatalf("%s reading %s without a policy: %v", who, cross, err)
		}
	}
	// A bucket policy naming carol as "arn:aws:iam::TENANT:user/ID" lets
	// her read it under that name.
	carolID := strings.TrimPrefix(carol.UID, betaT+"$")
	policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",`+
		`"Principal":{"AWS":["arn:aws:iam::%s:user/%s"]},"Action":["s3:GetObject"],`+
		`"Resource":["arn:aws:s3:::%s/*"]}]}`, betaT, carolID, name)
	if err := alice.s3(t).SetBucketPolicy(ctx, name, policy); err != nil {
		t.Fatal(err)
	}
	if got, err := get(ctx, carol.s3(t), cross, "who"); err != nil || string(got) != "alice" {
		t.Fatalf("carol reading %s with a policy: %q, %v", cross, got, err)
	}
	// ":bucket" is the global namespace seen from inside a tenant (a name
	// minio-go refuses, so the request is signed by hand).
	global := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",`+
		`"Principal":{"AWS":["arn:aws:iam::%s:user/%s"]},"Action":["s3:GetObject"],`+
		`"Resource":["arn:aws:s3:::%s/*"]}]}`, betaT, carolID, name)
	if err := admin.SetBucketPolicy(ctx, name, global); err != nil {
		t.Fatal(err)
	}
	if status, body := rawGet(t, carol, "/:"+name+"/who"); status != 200 || body != "admin" {
		t.Fatalf("carol reading :%s: %d %q", name, status, body)
	}

	// The usage log charges each read to the bucket's owner, whoever sent
	// it, refused ones included: alice's bucket had her own read, carol's
	// and the admin's refused ones and carol's allowed one.
	want := Counters{BytesSent: 5 + 5, Ops: 4, SuccessfulOps: 2}
	us := waitUsage(t, c, UsageQuery{UID: alice.UID, SkipEntries: true}, func(us Usage) bool {
		return len(us.Summary) == 1 && category(us.Summary[0].Categories, "get_obj").Ops >= want.Ops
	})
	if got := category(us.Summary[0].Categories, "get_obj"); got.Ops != want.Ops || got.SuccessfulOps != want.SuccessfulOps ||
		got.BytesSent < want.BytesSent {
		t.Fatalf("alice's get_obj usage = %+v, want %d ops, %d successful", got, want.Ops, want.SuccessfulOps)
	}
	us, err = c.Usage(ctx, UsageQuery{UID: carol.UID, SkipEntries: true})
	if err != nil || len(us.Summary) != 1 || category(us.Summary[0].Categories, "get_obj").Ops != 1 {
		t.Fatalf("carol's usage = %+v, %v; want only her own read", us, err)
	}
}

// rawGet signs a GET of path with u's keys, for names minio-go refuses.
func rawGet(t *testing.T, u testUser, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(testCtx(t), http.MethodGet, "http://"+srv.Endpoint+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	req = signer.SignV4(*req, u.AccessKey, u.SecretKey, "", "us-east-1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}
