package rgwadmin

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
)

func TestUserLifecycle(t *testing.T) {
	c := newClient(t)
	ctx := testCtx(t)
	tenant := unique("acme")
	uid := tenant + "$" + unique("alice")
	// A display name with a space and a plus, a secret with the characters
	// that need escaping in a query and in a signature.
	req := CreateUserReq{UID: uid, DisplayName: "Alice + Co", AccessKey: unique("AK"),
		SecretKey: "s+cr/t=" + unique("x"), MaxBuckets: 3}
	created, err := c.CreateUser(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.RemoveUser(context.Background(), uid, RemoveUserOptions{PurgeData: true}) })

	u, err := c.UserInfo(ctx, uid)
	if err != nil {
		t.Fatal(err)
	}
	if u.UID != uid || u.Tenant != tenant || u.DisplayName != "Alice + Co" || u.Suspended || u.MaxBuckets != 3 ||
		len(u.Keys) != 1 || u.Keys[0] != (Key{uid, req.AccessKey, req.SecretKey}) || u.UserQuota.Enabled {
		t.Fatalf("UserInfo = %+v", u)
	}
	if fmt.Sprint(created) != fmt.Sprint(u) {
		t.Fatalf("CreateUser answered %+v, UserInfo %+v", created, u)
	}

	// The key works over S3, escaping and all.
	s3 := s3For(t, req.AccessKey, req.SecretKey)
	bucket := unique("b")
	if err := s3.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("MakeBucket with the new key: %v", err)
	}

	// Creating it again, identical, is refused and changes nothing.
	if _, err := c.CreateUser(ctx, req); ErrorCodeOf(err) != CodeUserAlreadyExists {
		t.Fatalf("second CreateUser: %v", err)
	}
	// Another uid cannot take the access key.
	other := req
	other.UID = tenant + "$" + unique("mallory")
	other.SecretKey = "other-secret"
	if _, err := c.CreateUser(ctx, other); ErrorCodeOf(err) != CodeKeyExists {
		t.Fatalf("CreateUser with a taken access key: %v", err)
	}
	if _, err := c.UserInfo(ctx, other.UID); ErrorCodeOf(err) != CodeNoSuchUser {
		t.Fatalf("refused user exists: %v", err)
	}
	if again, err := c.UserInfo(ctx, uid); err != nil || fmt.Sprint(again) != fmt.Sprint(u) {
		t.Fatalf("after refused creates: %+v, %v", again, err)
	}

	// Suspended: S3 refuses the user with 403 UserSuspended; twice is fine.
	for range 2 {
		if err := c.Suspend(ctx, uid); err != nil {
			t.Fatal(err)
		}
	}
	if u, err := c.UserInfo(ctx, uid); err != nil || !u.Suspended {
		t.Fatalf("after Suspend: %+v, %v", u, err)
	}
	err = put(ctx, s3, bucket, "k", []byte("x"))
	if s3Code(err) != "UserSuspended" || minio.ToErrorResponse(err).StatusCode != 403 {
		t.Fatalf("PUT while suspended: %v", err)
	}
	for range 2 {
		if err := c.Unsuspend(ctx, uid); err != nil {
			t.Fatal(err)
		}
	}
	if err := put(ctx, s3, bucket, "k", []byte("x")); err != nil {
		t.Fatalf("PUT after Unsuspend: %v", err)
	}

	if err := c.RemoveUser(ctx, uid, RemoveUserOptions{PurgeData: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UserInfo(ctx, uid); ErrorCodeOf(err) != CodeNoSuchUser {
		t.Fatalf("UserInfo after RemoveUser: %v", err)
	}
	if err := c.RemoveUser(ctx, uid, RemoveUserOptions{PurgeData: true}); ErrorCodeOf(err) != CodeNoSuchUser {
		t.Fatalf("second RemoveUser: %v", err)
	}
}

// Every call on a uid that does not exist answers NoSuchUser, except the
// reads of buckets and usage, which answer empty.
func TestUnknownUser(t *testing.T) {
	c := newClient(t)
	ctx := testCtx(t)
	uid := unique("nobody") + "$" + unique("x")
	for name, call := range map[string]func() error{
		"UserInfo":     func() error { _, err := c.UserInfo(ctx, uid); return err },
		"Suspend":      func() error { return c.Suspend(ctx, uid) },
		"Unsuspend":    func() error { return c.Unsuspend(ctx, uid) },
		"SetUserQuota": func() error { return c.SetUserQuota(ctx, uid, Quota{Enabled: true, MaxSize: 1}) },
		"UserQuota":    func() error { _, err := c.UserQuota(ctx, uid); return err },
		"PutKey":       func() error { return c.PutKey(ctx, uid, "AKNOBODY", "nobody-secret") },
		"RemoveKey":    func() error { return c.RemoveKey(ctx, uid, "AKNOBODY") },
		"RemoveUser":   func() error { return c.RemoveUser(ctx, uid, RemoveUserOptions{PurgeData: true}) },
	} {
		err := call()
		var e *Error
		if ErrorCodeOf(err) != CodeNoSuchUser || !asError(err, &e) || e.StatusCode != 404 || e.RequestID == "" {
			t.Errorf("%s: %v", name, err)
		}
	}
	if bs, err := c.BucketStats(ctx, uid); err != nil || len(bs) != 0 {
		t.Errorf("BucketStats: %v, %v", bs, err)
	}
	if u, err := c.Usage(ctx, UsageQuery{UID: uid}); err != nil || len(u.Entries)+len(u.Summary) != 0 {
		t.Errorf("Usage: %+v, %v", u, err)
	}
}

func TestCreateUserRefusesBadInput(t *testing.T) {
	c := newClient(t)
	ctx := testCtx(t)
	good := CreateUserReq{UID: unique("t") + "$" + unique("u"), DisplayName: "d", AccessKey: unique("AK"), SecretKey: "s", MaxBuckets: 1}
	for name, mutate := range map[string]func(*CreateUserReq){
		"no uid":          func(r *CreateUserReq) { r.UID = "" },
		"no display name": func(r *CreateUserReq) { r.DisplayName = "" },
		"no access key":   func(r *CreateUserReq) { r.AccessKey = "" },
		// RGW would generate a secret nobody asked for.
		"no secret key": func(r *CreateUserReq) { r.SecretKey = "" },
	} {
		r := good
		mutate(&r)
		if _, err := c.CreateUser(ctx, r); err == nil || ErrorCodeOf(err) != "" {
			t.Errorf("%s: %v, want a refusal before any call", name, err)
		}
	}
	bad := good
	bad.UID = "bad-tenant$" + unique("u")
	if _, err := c.CreateUser(ctx, bad); ErrorCodeOf(err) != CodeInvalidTenantName {
		t.Fatalf("tenant with a dash: %v", err)
	}
	if _, err := c.UserInfo(ctx, good.UID); ErrorCodeOf(err) != CodeNoSuchUser {
		t.Fatalf("a refused create left a user: %v", err)
	}
}

// MaxBuckets is enforced over S3 with RGW's meaning: 0 no limit, a
// negative number no buckets at all.
func TestMaxBuckets(t *testing.T) {
	c := newClient(t)
	ctx := testCtx(t)
	for _, tc := range []struct {
		max, allowed int
		refusal      string
	}{
		{1, 1, "TooManyBuckets"},
		{0, 3, ""},
		{-1, 0, "AccessDenied"},
	} {
		uid := unique("t") + "$" + unique("u")
		ak, sk := unique("AK"), unique("sk")
		if _, err := c.CreateUser(ctx, CreateUserReq{UID: uid, DisplayName: "max buckets", AccessKey: ak, SecretKey: sk, MaxBuckets: tc.max}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.RemoveUser(context.Background(), uid, RemoveUserOptions{PurgeData: true}) })
		s3 := s3For(t, ak, sk)
		for i := range tc.allowed {
			if err := s3.MakeBucket(ctx, unique("b"), minio.MakeBucketOptions{}); err != nil {
				t.Fatalf("MaxBuckets %d, bucket %d: %v", tc.max, i+1, err)
			}
		}
		if tc.refusal == "" {
			continue
		}
		if err := s3.MakeBucket(ctx, unique("b"), minio.MakeBucketOptions{}); s3Code(err) != tc.refusal {
			t.Fatalf("MaxBuckets %d, bucket %d: %v, want %s", tc.max, tc.allowed+1, err, tc.refusal)
		}
	}
}

// RemoveUser without PurgeData keeps a user who owns buckets; with it the
// buckets and objects go too.
func TestRemoveUserPurgeData(t *testing.T) {
	c := newClient(t)
	ctx := testCtx(t)
	u := mustCreateUser(t, c, "")
	s3 := u.s3(t)
	bucket := unique("b")
	if err := s3.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := put(ctx, s3, bucket, "obj", []byte("data to purge")); err != nil {
		t.Fatal(err)
	}
	// RGW's code for this refusal is a misleading BucketAlreadyExists.
	if err := c.RemoveUser(ctx, u.UID, RemoveUserOptions{}); ErrorCodeOf(err) != CodeBucketAlreadyExists {
		t.Fatalf("RemoveUser without PurgeData of a user who owns a bucket: %v", err)
	}
	if _, err := c.UserInfo(ctx, u.UID); err != nil {
		t.Fatalf("user gone after a refused remove: %v", err)
	}

	if err := c.RemoveUser(ctx, u.UID, RemoveUserOptions{PurgeData: true}); err != nil {
		t.Fatal(err)
	}
	all, err := c.BucketStats(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range all {
		if b.Owner == u.UID || (b.Bucket == bucket && b.Tenant == strings.Split(u.UID, "$")[0]) {
			t.Fatalf("bucket left after purge: %+v", b)
		}
	}
	// The key went with the user.
	if _, err := s3For(t, u.AccessKey, u.SecretKey).ListBuckets(ctx); s3Code(err) != "InvalidAccessKeyId" {
		t.Fatalf("S3 with a removed user's key: %v", err)
	}
}

// A user created suspended is refused until unsuspended; ModifyUser
// changes only what it names, and lifts a suspension and renames in one
// call.
func TestCreateSuspendedAndModify(t *testing.T) {
	c := newClient(t)
	ctx := testCtx(t)
	uid := unique("t") + "$" + unique("u")
	ak, sk := unique("AK"), unique("sk")
	if _, err := c.CreateUser(ctx, CreateUserReq{UID: uid, DisplayName: "being made", AccessKey: ak, SecretKey: sk,
		MaxBuckets: 2, Suspended: true}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.RemoveUser(context.Background(), uid, RemoveUserOptions{PurgeData: true}) })
	if code := keyWorks(t, ak, sk); code != "UserSuspended" {
		t.Fatalf("S3 with a user created suspended: %q", code)
	}
	five := 5
	u, err := c.ModifyUser(ctx, uid, UserChange{MaxBuckets: &five})
	if err != nil || u.MaxBuckets != 5 || !u.Suspended || u.DisplayName != "being made" {
		t.Fatalf("ModifyUser(max buckets) = %+v, %v; want only max buckets changed", u, err)
	}
	name, no := "done", false
	if u, err = c.ModifyUser(ctx, uid, UserChange{DisplayName: &name, Suspended: &no}); err != nil || u.Suspended || u.DisplayName != "done" || u.MaxBuckets != 5 {
		t.Fatalf("ModifyUser(name, unsuspend) = %+v, %v", u, err)
	}
	if code := keyWorks(t, ak, sk); code != "" {
		t.Fatalf("S3 after the suspension was lifted: %q", code)
	}
	if u.OpMask != "read, write, delete" || u.Admin || u.System || len(u.Caps) != 0 {
		t.Fatalf("a plain user's mask and caps: %+v", u)
	}
	if _, err := c.ModifyUser(ctx, uid, UserChange{}); err == nil || ErrorCodeOf(err) != "" {
		t.Fatalf("ModifyUser with nothing to change: %v", err)
	}
	if _, err := c.ModifyUser(ctx, unique("t")+"$ghost", UserChange{Suspended: &no}); ErrorCodeOf(err) != CodeNoSuchUser {
		t.Fatalf("ModifyUser of a missing uid: %v", err)
	}
}

// UserByAccessKey finds the key's owner, caps and all; an access key
// nobody holds is answered AccessDenied, RGW's fall-back to the anonymous
// user.
func TestUserByAccessKey(t *testing.T) {
	c := newClient(t)
	ctx := testCtx(t)
	u := mustCreateUser(t, c, "")
	if by, err := c.UserByAccessKey(ctx, u.AccessKey); err != nil || by.UID != u.UID {
		t.Fatalf("UserByAccessKey = %s, %v", by.UID, err)
	}
	self, err := c.UserByAccessKey(ctx, srv.AccessKey)
	if err != nil || self.UID != "puqadmin" {
		t.Fatalf("the admin user by its key = %s, %v", self.UID, err)
	}
	caps := map[string]string{}
	for _, cp := range self.Caps {
		caps[cp.Type] = cp.Perm
	}
	for _, want := range []string{"users", "buckets", "usage", "metadata", "user-policy"} {
		if caps[want] != "*" {
			t.Errorf("admin caps %v lack %s=*", self.Caps, want)
		}
	}
	if _, err := c.UserByAccessKey(ctx, unique("NOSUCHKEY")); ErrorCodeOf(err) != CodeAccessDenied {
		t.Fatalf("UserByAccessKey of a key nobody holds: %v", err)
	}
}
