package account

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/minioadmin"
)

// Self-service (issue 13), against the real MinIO with s3cmd and
// minio-go: buckets a client makes and deletes within its product's
// maximum, access keys scoped to buckets and read-only, public read, and
// what suspend, the limit, a password change and terminate do to them.

// selfAccount creates an account under prod and returns its service and
// credentials; it is terminated when the test ends.
func selfAccount(t *testing.T, m *Manager, id int64, prod domain.Product) (domain.ServiceRef, domain.Created) {
	t.Helper()
	got, err := m.Create(ctx(t), svc(id, id+1), prod)
	if err != nil {
		t.Fatal(err)
	}
	ref := domain.ServiceRef{ID: id + 1, ClientID: id, Username: got.Username, Password: got.Password, Status: "Active", Lang: "english"}
	t.Cleanup(func() { _, _ = m.Terminate(context.Background(), ref) })
	return ref, got
}

// wantRefusal checks err's code and refusal word.
func wantRefusal(t *testing.T, what string, err error, code, refusal string) {
	t.Helper()
	if domain.ErrorCode(err) != code || domain.ErrorRefusal(err) != refusal {
		t.Fatalf("%s: %v (code %s, refusal %q), want %s/%s", what, err, domain.ErrorCode(err), domain.ErrorRefusal(err), code, refusal)
	}
}

func storedBuckets(t *testing.T, m *Manager, ref domain.ServiceRef) []string {
	t.Helper()
	bs, err := m.Store.BucketUsage(ctx(t), m.ServerID, ref.ID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, b := range bs {
		out = append(out, b.Name)
	}
	return out
}

func TestSelfServiceBuckets(t *testing.T) {
	m, c := newManager(t), ctx(t)
	prod := domain.Product{DefaultBucket: true, SelfService: "buckets=3 keys=1", Permissions: "objectlock"}
	ref, got := selfAccount(t, m, 1300, prod)
	made, err := m.CreateBucket(c, ref, prod, NewBucket{Name: "photos"}, ByClient)
	if err != nil || made.Bucket != got.Username+"-photos" {
		t.Fatalf("%+v %v", made, err)
	}
	if ok, _ := m.S3.BucketExists(c, made.Bucket); !ok {
		t.Fatal("the bucket was not made")
	}
	if b := storedBuckets(t, m, ref); len(b) != 2 || b[1] != made.Bucket {
		t.Fatalf("stored buckets %v: the page would not show the new one", b)
	}
	_, err = m.CreateBucket(c, ref, prod, NewBucket{Name: "photos"}, ByClient)
	wantRefusal(t, "the same name again", err, domain.ECONFLICT, domain.RefuseTaken)
	_, err = m.CreateBucket(c, ref, prod, NewBucket{Name: "../" + "x"}, ByClient)
	wantRefusal(t, "a name outside the namespace", err, domain.EINVALIDNAME, domain.RefuseInput)
	locked, err := m.CreateBucket(c, ref, prod, NewBucket{Name: "vault", ObjectLock: true}, ByClient)
	if err != nil {
		t.Fatal(err)
	}
	if on, err := m.S3.ObjectLock(c, locked.Bucket); err != nil || !on {
		t.Fatalf("object lock of %s: %t %v", locked.Bucket, on, err)
	}
	_, err = m.CreateBucket(c, ref, prod, NewBucket{Name: "fourth"}, ByClient)
	wantRefusal(t, "a fourth bucket of three", err, domain.ELIMIT, domain.RefuseMaxBuckets)
	noLock := prod
	noLock.Permissions = ""
	_, err = m.CreateBucket(c, ref, noLock, NewBucket{Name: "vault2", ObjectLock: true}, ByClient)
	wantRefusal(t, "object lock on a product without it", err, domain.ENOTALLOWED, domain.RefuseNotPermitted)

	// Deleting: an empty bucket at once, one with objects only with its
	// name typed again, and then every version goes.
	if _, err := m.DeleteBucket(c, ref, prod, locked.Bucket, "", ByClient); err != nil {
		t.Fatalf("delete the empty bucket: %v", err)
	}
	tn := newTenant(t, got.Username, got.Password)
	tn.must("put", file(t, 10), "s3://"+made.Bucket+"/a.bin")
	if err := m.SetVersioning(c, ref, prod, made.Bucket, true, ByClient); err != nil {
		t.Fatal(err)
	}
	tn.must("put", file(t, 20), "s3://"+made.Bucket+"/a.bin")
	tn.must("put", file(t, 30), "s3://"+made.Bucket+"/a.bin")
	_, err = m.DeleteBucket(c, ref, prod, made.Bucket, "", ByClient)
	wantRefusal(t, "a bucket with objects, unconfirmed", err, domain.ENOTEMPTY, domain.RefuseNotEmpty)
	_, err = m.DeleteBucket(c, ref, prod, made.Bucket, got.Username+"-photo", ByClient)
	wantRefusal(t, "a bucket with objects, a wrong name typed", err, domain.ENOTEMPTY, domain.RefuseNotEmpty)
	if out := tn.must("ls", "s3://"+made.Bucket); !strings.Contains(out, "a.bin") {
		t.Fatalf("a refused delete deleted: %s", out)
	}
	del, err := m.DeleteBucket(c, ref, prod, made.Bucket, made.Bucket, ByClient)
	if err != nil || !del.Removed || del.Objects != 3 {
		t.Fatalf("confirmed delete: %+v %v", del, err)
	}
	if ok, _ := m.S3.BucketExists(c, made.Bucket); ok {
		t.Fatal("the bucket is still there")
	}
	if b := storedBuckets(t, m, ref); len(b) != 1 {
		t.Fatalf("stored buckets after deleting: %v", b)
	}
	if again, err := m.DeleteBucket(c, ref, prod, made.Bucket, "", ByClient); err != nil || again.Removed {
		t.Fatalf("deleting it again: %+v %v", again, err)
	}
	_, err = m.DeleteBucket(c, ref, prod, "1310-1311-data", "", ByClient)
	wantRefusal(t, "another tenant's bucket", err, domain.EINVALIDNAME, domain.RefuseNotFound)

	// Suspended: the client changes nothing; the admin still deletes.
	if err := m.Suspend(c, ref); err != nil {
		t.Fatal(err)
	}
	_, err = m.CreateBucket(c, ref, prod, NewBucket{Name: "late"}, ByClient)
	wantRefusal(t, "a suspended client's bucket", err, domain.ENOTALLOWED, domain.RefuseSuspended)
	if _, err := m.DeleteBucket(c, ref, prod, got.Bucket, "", ByAdmin); err != nil {
		t.Fatalf("the admin deletes a suspended tenant's bucket: %v", err)
	}
	if err := m.Unsuspend(c, ref, prod); err != nil {
		t.Fatal(err)
	}
	// At the limit no bucket is made: the limit policy makes none either.
	if _, err := m.ApplyPolicy(c, ref, prod, "limited"); err != nil {
		t.Fatal(err)
	}
	_, err = m.CreateBucket(c, ref, prod, NewBucket{Name: "late"}, ByClient)
	wantRefusal(t, "a bucket at the limit", err, domain.ELIMIT, domain.RefuseFull)
}

// Object lock keeps a bucket's versioning on and its locked objects keep
// it: refused before anything is deleted. Expiry rules that delete need a
// confirmation.
func TestSelfServiceBucketSettings(t *testing.T) {
	m, c := newManager(t), ctx(t)
	prod := domain.Product{Permissions: "objectlock"}
	ref, got := selfAccount(t, m, 1310, prod)
	vault, err := m.CreateBucket(c, ref, prod, NewBucket{Name: "vault", ObjectLock: true}, ByClient)
	if err != nil {
		t.Fatal(err)
	}
	err = m.SetVersioning(c, ref, prod, vault.Bucket, false, ByClient)
	wantRefusal(t, "versioning off under object lock", err, domain.ENOTALLOWED, domain.RefuseNotPermitted)
	mc := asTenant(t, got.Username, got.Password)
	retained := time.Now().Add(3 * time.Second)
	if _, err := mc.PutObject(c, vault.Bucket, "kept.txt", strings.NewReader("k"), 1, minio.PutObjectOptions{
		Mode: minio.Governance, RetainUntilDate: retained}); err != nil {
		t.Fatal(err)
	}
	_, err = m.DeleteBucket(c, ref, prod, vault.Bucket, vault.Bucket, ByClient)
	wantRefusal(t, "a bucket under retention", err, domain.ERETENTION, domain.RefuseRetention)
	if !canRead(c, mc, vault.Bucket, "kept.txt") {
		t.Fatal("a refused delete deleted the object")
	}
	defer func() {
		// Once the retention ends, the bucket goes.
		time.Sleep(time.Until(retained.Add(time.Second)))
		if _, err := m.DeleteBucket(c, ref, prod, vault.Bucket, vault.Bucket, ByClient); err != nil {
			t.Errorf("delete after the retention: %v", err)
		}
	}()

	err = m.SetLifecycle(c, ref, prod, vault.Bucket, domain.Lifecycle{ExpireDays: 30}, false, ByClient)
	wantRefusal(t, "an unconfirmed expiry rule", err, domain.EINVALID, domain.RefuseConfirm)
	if err := m.SetLifecycle(c, ref, prod, vault.Bucket, domain.Lifecycle{ExpireDays: 30, NoncurrentDays: 7}, true, ByClient); err != nil {
		t.Fatal(err)
	}
	s, err := m.BucketSettings(c, ref, vault.Bucket)
	if err != nil || s.Versioning != domain.VersioningEnabled || !s.ObjectLock || s.Lifecycle != (domain.Lifecycle{ExpireDays: 30, NoncurrentDays: 7}) || s.Public.On {
		t.Fatalf("settings %+v %v", s, err)
	}
	_, err = m.BucketSettings(c, ref, got.Username+"-missing")
	wantRefusal(t, "a bucket that does not exist", err, domain.ENOTFOUND, domain.RefuseNotFound)
}

// The proof of issue 13's keys: a key scoped to bucket A read-only reads A
// and nothing else, and cannot write; an all-buckets key writes in the
// tenant's buckets only; an expired key and a revoked key are refused; a
// suspended, limited or terminated tenant's keys are refused (a limited
// one's still read, so the tenant can free space); a password change ends
// them unless the product keeps keys.
func TestSelfServiceKeys(t *testing.T) {
	m, c := newManager(t), ctx(t)
	prod := domain.Product{Unit: "MB", DiskSpace: 100, DefaultBucket: true, SelfService: "keys=3", Permissions: "toolkeys"}
	ref, got := selfAccount(t, m, 1320, prod)
	a, err := m.CreateBucket(c, ref, prod, NewBucket{Name: "a"}, ByClient)
	if err != nil {
		t.Fatal(err)
	}
	b := got.Bucket
	neighbour, nb := selfAccount(t, m, 1330, prod)
	root := asRoot(t)
	for _, bucket := range []string{a.Bucket, b, nb.Bucket} {
		if _, err := root.PutObject(c, bucket, "o.txt", strings.NewReader("o"), 1, minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	ro, err := m.CreateKey(c, ref, prod, NewKey{Label: "Lecture seule – A", Buckets: []string{a.Bucket}, ReadOnly: true}, ByClient)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ro.AccessKey, domain.AccessKeyPrefix) || len(ro.SecretKey) != 40 {
		t.Fatalf("key %s", ro.AccessKey)
	}
	rw, err := m.CreateKey(c, ref, prod, NewKey{Label: "all"}, ByClient)
	if err != nil {
		t.Fatal(err)
	}
	// s3cmd, with the key in its config file.
	sro := newTenant(t, ro.AccessKey, ro.SecretKey)
	if out := sro.must("get", "s3://"+a.Bucket+"/o.txt", "-"); out != "o" {
		t.Errorf("the read-only key read %q from A", out)
	}
	sro.must("ls", "s3://"+a.Bucket)
	sro.mustFail("get", "s3://"+b+"/o.txt", "-")
	sro.mustFail("ls", "s3://"+b)
	sro.mustFail("put", file(t, 5), "s3://"+a.Bucket+"/w.txt")
	sro.mustFail("del", "s3://"+a.Bucket+"/o.txt")
	sro.mustFail("get", "s3://"+nb.Bucket+"/o.txt", "-")
	sro.mustFail("mb", "s3://"+got.Username+"-new")
	// minio-go, the same.
	cro := asTenant(t, ro.AccessKey, ro.SecretKey)
	if !canRead(c, cro, a.Bucket, "o.txt") || canRead(c, cro, b, "o.txt") || canRead(c, cro, nb.Bucket, "o.txt") {
		t.Error("the read-only key of A reads what it must not, or not A")
	}
	if _, err := cro.PutObject(c, a.Bucket, "w.txt", strings.NewReader("w"), 1, minio.PutObjectOptions{}); err == nil {
		t.Error("the read-only key wrote into A")
	}
	// It cannot make itself a wider key, though the product lets the
	// tenant make keys with S3 tools.
	keyAdmin, err := minioadmin.New(minioadmin.Config{Endpoint: srv.Endpoint, AccessKey: ro.AccessKey, SecretKey: ro.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	if wider, err := keyAdmin.AddServiceAccount(c, minioadmin.AddServiceAccountReq{TargetUser: got.Username}); err == nil {
		t.Errorf("the read-only key made itself key %s", wider.AccessKey)
	}
	crw := asTenant(t, rw.AccessKey, rw.SecretKey)
	for _, bucket := range []string{a.Bucket, b} {
		if _, err := crw.PutObject(c, bucket, "w.txt", strings.NewReader("w"), 1, minio.PutObjectOptions{}); err != nil {
			t.Errorf("the all-buckets key cannot write into %s: %v", bucket, err)
		}
	}
	if _, err := crw.PutObject(c, nb.Bucket, "w.txt", strings.NewReader("w"), 1, minio.PutObjectOptions{}); err == nil || canRead(c, crw, nb.Bucket, "o.txt") {
		t.Error("the all-buckets key reaches the neighbour's bucket")
	}
	// The key never exceeds the tenant's own policy: no bucket policy.
	if err := crw.SetBucketPolicy(c, b, publicPolicy(b)); err == nil {
		t.Error("the all-buckets key published a bucket")
	}

	// Expiry: MinIO holds the day asked for and refuses the key after it
	// (TestSelfServiceKeyExpires waits for that: MinIO's shortest expiry
	// is a quarter of an hour).
	day := time.Now().UTC().AddDate(0, 0, 30).Format(time.DateOnly)
	dated, err := m.CreateKey(c, ref, prod, NewKey{Expires: day}, ByClient)
	if err != nil {
		t.Fatal(err)
	}
	if !canRead(c, asTenant(t, dated.AccessKey, dated.SecretKey), b, "o.txt") {
		t.Fatal("the dated key does not work before its day")
	}
	onServer, err := m.Admin.ListServiceAccounts(c, got.Username)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range onServer {
		if k.AccessKey == dated.AccessKey && (k.Expiration.Format(time.RFC3339) != dated.Expires || !strings.HasPrefix(dated.Expires, time.Now().UTC().AddDate(0, 0, 31).Format(time.DateOnly))) {
			t.Errorf("MinIO holds the expiry %s, the client area made %s for the day %s", k.Expiration, dated.Expires, day)
		}
	}
	_, err = m.CreateKey(c, ref, prod, NewKey{}, ByClient)
	wantRefusal(t, "a fourth key of three", err, domain.ELIMIT, domain.RefuseMaxKeys)
	_, err = m.CreateKey(c, ref, prod, NewKey{Expires: time.Now().Add(10 * time.Minute).Format(time.RFC3339)}, ByClient)
	wantRefusal(t, "an expiry sooner than MinIO allows", err, domain.EINVALID, domain.RefuseInput)
	if err := m.RevokeKey(c, ref, prod, dated.AccessKey, ByClient); err != nil {
		t.Fatal(err)
	}
	err = m.RevokeKey(c, neighbour, prod, rw.AccessKey, ByClient)
	wantRefusal(t, "revoking the neighbour's key", err, domain.ENOTFOUND, domain.RefuseNotFound)
	if !canRead(c, crw, b, "o.txt") {
		t.Fatal("the neighbour revoked the key")
	}

	// Suspended: refused; back after unsuspend.
	if err := m.Suspend(c, ref); err != nil {
		t.Fatal(err)
	}
	if canRead(c, cro, a.Bucket, "o.txt") || canRead(c, crw, b, "o.txt") {
		t.Error("a suspended tenant's key reads")
	}
	_, err = m.CreateKey(c, ref, prod, NewKey{}, ByClient)
	wantRefusal(t, "a suspended client's key", err, domain.ENOTALLOWED, domain.RefuseSuspended)
	if err := m.Unsuspend(c, ref, prod); err != nil {
		t.Fatal(err)
	}
	if !canRead(c, cro, a.Bucket, "o.txt") {
		t.Error("the key does not work after unsuspend")
	}
	// Limited: reads, no writes.
	if _, err := m.ApplyPolicy(c, ref, prod, "limited"); err != nil {
		t.Fatal(err)
	}
	if _, err := crw.PutObject(c, b, "x.txt", strings.NewReader("x"), 1, minio.PutObjectOptions{}); err == nil {
		t.Error("a limited tenant's key wrote")
	}
	if !canRead(c, crw, b, "o.txt") {
		t.Error("a limited tenant's key cannot read to free space")
	}
	if _, err := m.ApplyPolicy(c, ref, prod, "auto"); err != nil {
		t.Fatal(err)
	}
	// Revoked.
	if err := m.RevokeKey(c, ref, prod, ro.AccessKey, ByClient); err != nil {
		t.Fatal(err)
	}
	if canRead(c, cro, a.Bucket, "o.txt") {
		t.Error("the revoked key reads")
	}
	keys, err := m.ListKeys(c, ref, prod)
	if err != nil || len(keys.Keys) != 1 || keys.Keys[0].AccessKey != rw.AccessKey || keys.Max != 3 {
		t.Fatalf("keys listed %+v %v", keys, err)
	}
	// A password change ends them, and the store forgets them.
	ref.Password = "New-Password-After-1"
	if err := m.ChangePassword(c, ref, prod); err != nil {
		t.Fatal(err)
	}
	if canRead(c, crw, b, "o.txt") {
		t.Error("a key made before the password change works")
	}
	if keys, _ := m.ListKeys(c, ref, prod); len(keys.Keys) != 0 {
		t.Fatalf("keys listed after the password change: %+v", keys.Keys)
	}
	// Terminated: refused.
	last, err := m.CreateKey(c, ref, prod, NewKey{}, ByClient)
	if err != nil {
		t.Fatal(err)
	}
	clast := asTenant(t, last.AccessKey, last.SecretKey)
	if !canRead(c, clast, b, "o.txt") {
		t.Fatal("the last key does not work")
	}
	if _, err := m.Terminate(c, ref); err != nil {
		t.Fatal(err)
	}
	if canRead(c, clast, b, "o.txt") {
		t.Error("a terminated tenant's key works")
	}
	_, err = m.CreateKey(c, ref, prod, NewKey{}, ByClient)
	if err == nil {
		t.Error("a key made for a terminated account")
	}
}

// Public read, where the product allows it: anonymous GETs of the prefix
// work only while the account is active, withdrawn while suspended or
// limited (also when set meanwhile) and restored after; a change to a
// product without public read withdraws it.
func TestSelfServicePublicRead(t *testing.T) {
	m, c := newManager(t), ctx(t)
	prod := domain.Product{DefaultBucket: true, Permissions: "public"}
	ref, got := selfAccount(t, m, 1340, prod)
	root := asRoot(t)
	for _, key := range []string{"site/index.html", "private.txt"} {
		if _, err := root.PutObject(c, got.Bucket, key, strings.NewReader("x"), 1, minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	page, other := srv.URL()+"/"+got.Bucket+"/site/index.html", srv.URL()+"/"+got.Bucket+"/private.txt"
	want := func(what string, pageCode, otherCode int) {
		t.Helper()
		if p, o := anon(t, "GET", page, ""), anon(t, "GET", other, ""); p != pageCode || o != otherCode {
			t.Errorf("%s: anonymous GET of the prefix %d, outside it %d; want %d, %d", what, p, o, pageCode, otherCode)
		}
	}
	want("private", 403, 403)
	set, err := m.SetPublicRead(c, ref, prod, got.Bucket, true, "site/", ByClient)
	if err != nil || set.Withheld != "" {
		t.Fatalf("%+v %v", set, err)
	}
	want("public prefix", 200, 403)
	if code := anon(t, "PUT", srv.URL()+"/"+got.Bucket+"/site/evil.html", "x"); code == 200 {
		t.Error("anonymous PUT into a public-read bucket")
	}
	s, _ := m.BucketSettings(c, ref, got.Bucket)
	if !s.Public.On || s.Public.Prefix != "site/" || !s.Public.Module || s.Public.Withheld != "" {
		t.Errorf("settings show %+v", s.Public)
	}
	if err := m.Suspend(c, ref); err != nil {
		t.Fatal(err)
	}
	want("suspended", 403, 403)
	if s, _ := m.BucketSettings(c, ref, got.Bucket); s.Public.Withheld != domain.WithheldSuspended || s.Public.Prefix != "site/" {
		t.Errorf("suspended, settings show %+v", s.Public)
	}
	if err := m.Unsuspend(c, ref, prod); err != nil {
		t.Fatal(err)
	}
	want("unsuspended", 200, 403)
	if _, err := m.ApplyPolicy(c, ref, prod, "limited"); err != nil {
		t.Fatal(err)
	}
	want("limited", 403, 403)
	// Made public while limited: kept, and applied once space is freed.
	if set, err := m.SetPublicRead(c, ref, prod, got.Bucket, true, "", ByClient); err != nil || set.Withheld != domain.WithheldLimited {
		t.Fatalf("public read set while limited: %+v %v", set, err)
	}
	want("limited, set meanwhile", 403, 403)
	if _, err := m.ApplyPolicy(c, ref, prod, "auto"); err != nil {
		t.Fatal(err)
	}
	want("space freed", 200, 200)
	// A product without public read: refused, and a change of package
	// to it withdraws what there is; back on a product with it, back.
	plain := prod
	plain.Permissions = ""
	_, err = m.SetPublicRead(c, ref, plain, got.Bucket, true, "", ByClient)
	wantRefusal(t, "public read on a product without it", err, domain.ENOTALLOWED, domain.RefuseNotPermitted)
	if _, err := m.ChangePackage(c, ref, plain); err != nil {
		t.Fatal(err)
	}
	want("package without public read", 403, 403)
	if _, err := m.ChangePackage(c, ref, prod); err != nil {
		t.Fatal(err)
	}
	want("package with public read again", 200, 200)
	if _, err := m.SetPublicRead(c, ref, prod, got.Bucket, false, "", ByClient); err != nil {
		t.Fatal(err)
	}
	want("made private", 403, 403)

	// A bucket the tenant made with S3 tools after the last measurement,
	// made public here: suspend, which looks at the buckets the store
	// knows, withdraws it too.
	if _, err := m.Recalculate(c, ref, prod); err != nil {
		t.Fatal(err)
	}
	tool := got.Username + "-tool"
	newTenant(t, got.Username, got.Password).must("mb", "s3://"+tool)
	if _, err := root.PutObject(c, tool, "x.txt", strings.NewReader("x"), 1, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.SetPublicRead(c, ref, prod, tool, true, "", ByClient); err != nil {
		t.Fatal(err)
	}
	toolObject := srv.URL() + "/" + tool + "/x.txt"
	if code := anon(t, "GET", toolObject, ""); code != 200 {
		t.Errorf("the tool-made bucket made public: HTTP %d", code)
	}
	if err := m.Suspend(c, ref); err != nil {
		t.Fatal(err)
	}
	if code := anon(t, "GET", toolObject, ""); code != 403 {
		t.Errorf("suspended, the tool-made public bucket answers HTTP %d", code)
	}
	if err := m.Unsuspend(c, ref, prod); err != nil {
		t.Fatal(err)
	}
	_, err = m.SetPublicRead(c, ref, prod, got.Bucket, true, "*", ByClient)
	wantRefusal(t, "a wildcard prefix", err, domain.EINVALID, domain.RefuseInput)
}

// A client's changes are rate limited per service; an admin's are not.
func TestSelfServiceRateLimit(t *testing.T) {
	m, c := newManager(t), ctx(t)
	prod := domain.Product{DefaultBucket: true}
	ref, got := selfAccount(t, m, 1350, prod)
	for i := range SelfRate {
		if err := m.SetVersioning(c, ref, prod, got.Bucket, i%2 == 0, ByClient); err != nil {
			t.Fatalf("change %d: %v", i+1, err)
		}
	}
	err := m.SetVersioning(c, ref, prod, got.Bucket, true, ByClient)
	wantRefusal(t, "one change too many", err, domain.ELIMIT, domain.RefuseRate)
	if err := m.SetVersioning(c, ref, prod, got.Bucket, true, ByAdmin); err != nil {
		t.Fatalf("the admin is rate limited: %v", err)
	}
}

// An expired key is refused. MinIO's shortest expiry is a quarter of an
// hour, so this waits 17 minutes: it runs under PUQMINIO_SOAK=1 (make
// soak), or with PUQMINIO_SLOW=1 (go test -timeout 30m -run
// TestSelfServiceKeyExpires ./internal/account).
func TestSelfServiceKeyExpires(t *testing.T) {
	if os.Getenv("PUQMINIO_SOAK") != "1" && os.Getenv("PUQMINIO_SLOW") != "1" {
		t.Skip("waits 17 minutes for MinIO's shortest expiry; PUQMINIO_SLOW=1 runs it")
	}
	m := newManager(t)
	c, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	prod := domain.Product{DefaultBucket: true}
	ref, got := selfAccount(t, m, 1360, prod)
	if _, err := asRoot(t).PutObject(c, got.Bucket, "o.txt", strings.NewReader("o"), 1, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	expires := time.Now().Add(domain.MinKeyExpiry + 5*time.Second).UTC().Truncate(time.Second)
	k, err := m.CreateKey(c, ref, prod, NewKey{Expires: expires.Format(time.RFC3339)}, ByClient)
	if err != nil {
		t.Fatal(err)
	}
	mc := asTenant(t, k.AccessKey, k.SecretKey)
	if !canRead(c, mc, got.Bucket, "o.txt") {
		t.Fatal("the key does not work before it expires")
	}
	time.Sleep(time.Until(expires.Add(2 * time.Second)))
	if canRead(c, mc, got.Bucket, "o.txt") {
		t.Fatal("the expired key still reads")
	}
	sc := newTenant(t, k.AccessKey, k.SecretKey)
	sc.mustFail("get", "s3://"+got.Bucket+"/o.txt", "-")
	t.Logf("key %s expired at %s and was refused at %s", k.AccessKey, expires.Format(time.RFC3339), time.Now().UTC().Format(time.RFC3339))
}
