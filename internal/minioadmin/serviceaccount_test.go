package minioadmin

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/puqminios3/puqminio/internal/domain"
)

func TestServiceAccountLifecycle(t *testing.T) {
	c := newClient(t)
	ctx := testCtx(t)
	user, _ := mustAddUser(t, c)

	gen, err := c.AddServiceAccount(ctx, AddServiceAccountReq{TargetUser: user, Name: "generated", Description: "made by MinIO"})
	if err != nil {
		t.Fatal(err)
	}
	if gen.AccessKey == "" || len(gen.SecretKey) < 8 || !gen.Expiration.IsZero() {
		t.Fatalf("generated credentials = %+v", gen)
	}
	if strings.Contains(fmt.Sprint(gen), gen.SecretKey) || strings.Contains(fmt.Sprintf("%#v", gen), gen.SecretKey) {
		t.Fatal("Credentials printing leaks the secret key")
	}

	own := AddServiceAccountReq{TargetUser: user, AccessKey: unique("sa"), SecretKey: unique("sa-secret-"),
		Policy: json.RawMessage(policyDoc("only-this-bucket")), Name: "own"}
	cred, err := c.AddServiceAccount(ctx, own)
	if err != nil {
		t.Fatal(err)
	}
	if cred.AccessKey != own.AccessKey || cred.SecretKey != own.SecretKey {
		t.Fatalf("chosen credentials came back as %s", cred.AccessKey)
	}
	// The same access key twice is refused, and the refusal keeps the
	// secret out of the error.
	_, err = c.AddServiceAccount(ctx, own)
	if err == nil || strings.Contains(err.Error(), own.SecretKey) {
		t.Fatalf("duplicate service account: %v", err)
	}

	list, err := c.ListServiceAccounts(ctx, user)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]domain.AccessKeyInfo{}
	for _, a := range list {
		found[a.AccessKey] = a
	}
	g, o := found[gen.AccessKey], found[own.AccessKey]
	if g.ParentUser != user || !g.Enabled || !g.ImpliedPolicy || g.Name != "generated" || g.Description != "made by MinIO" {
		t.Fatalf("generated account = %+v", g)
	}
	if o.ParentUser != user || o.ImpliedPolicy || o.Name != "own" || !o.Expiration.IsZero() {
		t.Fatalf("own account = %+v", o)
	}

	for _, k := range []string{gen.AccessKey, own.AccessKey} {
		if err := c.DeleteServiceAccount(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	if list, err = c.ListServiceAccounts(ctx, user); err != nil || len(list) != 0 {
		t.Fatalf("after delete: %+v, %v", list, err)
	}
	if err := c.DeleteServiceAccount(ctx, own.AccessKey); ErrorCodeOf(err) != CodeInvalidCredentials {
		t.Fatalf("delete missing service account: %v", err)
	}
}

// Disabling a user must stop its service accounts too, or suspending an
// account would leave its access keys working. This checks what MinIO does
// with a real S3 call.
func TestDisabledUserServiceAccount(t *testing.T) {
	c := newClient(t)
	ctx := testCtx(t)
	user, _ := mustAddUser(t, c)
	if err := c.AttachPolicy(ctx, user, "readwrite"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.SetUserPolicies(ctx, user, nil) })
	cred, err := c.AddServiceAccount(ctx, AddServiceAccountReq{TargetUser: user})
	if err != nil {
		t.Fatal(err)
	}
	mc := s3Client(t, cred.AccessKey, cred.SecretKey)
	if _, err := mc.ListBuckets(ctx); err != nil {
		t.Fatalf("service account of an enabled user: %v", err)
	}

	if err := c.SetUserStatus(ctx, user, false); err != nil {
		t.Fatal(err)
	}
	// IAM changes apply at once on a single node; poll briefly anyway in
	// case the check is cached.
	var lbErr error
	start := time.Now()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		if _, lbErr = mc.ListBuckets(ctx); lbErr != nil {
			break
		}
	}
	if lbErr == nil {
		t.Fatal("service account of a disabled user still lists buckets")
	}
	t.Logf("service account of disabled user refused after %s: code %s: %v",
		time.Since(start).Round(time.Millisecond), minio.ToErrorResponse(lbErr).Code, lbErr)
	// The account itself still shows as "on": it is the parent that blocks.
	list, err := c.ListServiceAccounts(ctx, user)
	if err != nil || len(list) != 1 {
		t.Fatalf("ListServiceAccounts = %+v, %v", list, err)
	}
	t.Logf("service account status while parent disabled: enabled=%t", list[0].Enabled)

	if err := c.SetUserStatus(ctx, user, true); err != nil {
		t.Fatal(err)
	}
	if _, err := mc.ListBuckets(ctx); err != nil {
		t.Fatalf("service account after re-enabling the user: %v", err)
	}
}

// Removing a user takes its service accounts with it: the key stops
// working at once.
func TestRemoveUserRemovesServiceAccounts(t *testing.T) {
	c := newClient(t)
	ctx := testCtx(t)
	user, _ := mustAddUser(t, c)
	if err := c.AttachPolicy(ctx, user, "readwrite"); err != nil {
		t.Fatal(err)
	}
	cred, err := c.AddServiceAccount(ctx, AddServiceAccountReq{TargetUser: user})
	if err != nil {
		t.Fatal(err)
	}
	mc := s3Client(t, cred.AccessKey, cred.SecretKey)
	if _, err := mc.ListBuckets(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveUser(ctx, user); err != nil {
		t.Fatal(err)
	}
	if _, err := mc.ListBuckets(ctx); err == nil {
		t.Fatal("service account of a removed user still works")
	} else {
		t.Logf("service account of removed user: code %s", minio.ToErrorResponse(err).Code)
	}
	if err := c.DeleteServiceAccount(ctx, cred.AccessKey); ErrorCodeOf(err) != CodeInvalidCredentials {
		t.Fatalf("service account outlived its user: %v", err)
	}
}

// The module's own keys: its name, a label in any language as the
// description, an expiry MinIO keeps to the second, and a name that is
// taken answered as a conflict the caller can draw again on.
func TestCreateAccessKey(t *testing.T) {
	c := newClient(t)
	ctx := testCtx(t)
	user, _ := mustAddUser(t, c)
	access, secret := domain.NewAccessKeyPair()
	expires := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	req := domain.NewKeyRequest{Parent: user, AccessKey: access, SecretKey: secret, Description: "Sauvegarde – 写真",
		Policy: []byte(policyDoc("only-this-bucket")), Expires: expires}
	if strings.Contains(fmt.Sprint(req), secret) || strings.Contains(fmt.Sprintf("%#v", req), secret) {
		t.Fatal("printing the request leaks the secret key")
	}
	if err := c.CreateAccessKey(ctx, req); err != nil {
		t.Fatal(err)
	}
	list, err := c.ListServiceAccounts(ctx, user)
	if err != nil || len(list) != 1 {
		t.Fatalf("%+v %v", list, err)
	}
	k := list[0]
	if k.AccessKey != access || k.Name != KeyName || k.Description != req.Description || k.ImpliedPolicy || !k.Expiration.Equal(expires) {
		t.Fatalf("listed %+v, want expiry %s", k, expires)
	}
	other, _ := mustAddUser(t, c)
	req.Parent = other
	err = c.CreateAccessKey(ctx, req)
	if domain.ErrorCode(err) != domain.ECONFLICT || strings.Contains(err.Error(), secret) {
		t.Fatalf("a taken access key name: %v", err)
	}
	req.AccessKey = other
	if err := c.CreateAccessKey(ctx, req); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Fatalf("an access key named after a user: %v", err)
	}
}
