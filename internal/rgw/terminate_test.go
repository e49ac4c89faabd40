package rgw

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/puqminios3/puqminio/internal/rgwadmin"
)

// makeTopic makes a notification topic in the account's tenant, pushing
// to endpoint, and notifications of the bucket "data" to it, with the
// tenant's key.
func makeTopic(t *testing.T, g *Gateway, a Account, secretKey, endpoint string) {
	t.Helper()
	ctx := testCtx(t)
	key := rgwadmin.Key{User: g.naming.UID(a), AccessKey: a.User, SecretKey: secretKey}
	if err := g.snsCall(ctx, key, url.Values{"Action": {"CreateTopic"}, "Name": {"events"},
		"Attributes.entry.1.key": {"push-endpoint"}, "Attributes.entry.1.value": {endpoint}}, nil); err != nil {
		t.Fatal(err)
	}
	conf := `<NotificationConfiguration><TopicConfiguration><Id>n</Id><Topic>arn:aws:sns:default:` + g.naming.Tenant(a) +
		`:events</Topic><Event>s3:ObjectCreated:*</Event></TopicConfiguration></NotificationConfiguration>`
	if _, err := g.s3Raw(ctx, key, http.MethodPut, "/data", url.Values{"notification": {""}}, []byte(conf)); err != nil {
		t.Fatal(err)
	}
}

// topicsOf lists the topics of a's tenant as a fresh user of that tenant
// sees them, and removes that user.
func topicsOf(t *testing.T, g *Gateway, a Account) []string {
	t.Helper()
	ctx := testCtx(t)
	admin := adminClient(t)
	uid := g.naming.Tenant(a) + "$" + unique("looker")
	ak, sk := unique("AKL"), secret()
	if _, err := admin.CreateUser(ctx, rgwadmin.CreateUserReq{UID: uid, DisplayName: "looker", AccessKey: ak, SecretKey: sk}); err != nil {
		t.Fatal(err)
	}
	defer admin.RemoveUser(context.Background(), uid, rgwadmin.RemoveUserOptions{PurgeData: true})
	arns, err := g.listTopics(ctx, rgwadmin.Key{User: uid, AccessKey: ak, SecretKey: sk})
	if err != nil {
		t.Fatal(err)
	}
	return arns
}

// A tenant's notification topic makes the gateway POST to any URL it can
// reach, and outlives the user: RGW's purge-data leaves it to the next
// user of the tenant.
func TestTopicsOutliveTheUser(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	ctx := testCtx(t)
	a, p := provisioned(t, g, ProvisionReq{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	posted := make(chan string, 10)
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		posted <- string(b)
	})}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	makeTopic(t, g, a, p.Secret, "http://"+ln.Addr().String()+"/inside")
	if err := putObject(ctx, mc(t, a.User, p.Secret), "data", "event", 3); err != nil {
		t.Fatal(err)
	}
	select {
	case b := <-posted:
		if !strings.Contains(b, "ObjectCreated") {
			t.Fatalf("the gateway posted %q", b)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the gateway posted nothing to the topic's endpoint")
	}
	if err := adminClient(t).RemoveUser(ctx, g.naming.UID(a), rgwadmin.RemoveUserOptions{PurgeData: true}); err != nil {
		t.Fatal(err)
	}
	if arns := topicsOf(t, g, a); len(arns) != 1 || !strings.HasSuffix(arns[0], ":events") {
		t.Fatalf("topics of the tenant after its user was purged: %v", arns)
	}
}

// Terminate removes the user, its buckets and objects (those under object
// lock too: RGW's purge is not bound by retention), its public policy and
// its tenant's topics; it confirms nothing of the tenant is left, and run
// again it finds nothing to do.
func TestTerminate(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	ctx := testCtx(t)
	a, p := provisioned(t, g, ProvisionReq{})
	publish(t, a, p.Secret)
	c := mc(t, a.User, p.Secret)
	if err := c.MakeBucket(ctx, "locked", minio.MakeBucketOptions{ObjectLocking: true}); err != nil {
		t.Fatal(err)
	}
	mode := minio.Compliance
	info, err := c.PutObject(ctx, "locked", "kept", bytes.NewReader([]byte("a day")), 5,
		minio.PutObjectOptions{Mode: mode, RetainUntilDate: time.Now().Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx, "locked", "held", bytes.NewReader([]byte("held")), 4,
		minio.PutObjectOptions{LegalHold: minio.LegalHoldEnabled}); err != nil {
		t.Fatal(err)
	}
	// The tenant itself cannot delete them.
	if err := c.RemoveObject(ctx, "locked", "kept", minio.RemoveObjectOptions{VersionID: info.VersionID}); s3Code(err) != "AccessDenied" {
		t.Fatalf("the tenant deleting a version under COMPLIANCE retention: %v", err)
	}
	makeTopic(t, g, a, p.Secret, "http://127.0.0.1:9/nowhere")

	got, err := g.Terminate(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	// data holds o; locked holds two versions.
	if got.Username != a.User || got.Buckets != 2 || got.Objects != 3 || fmt.Sprint(got.LockedBuckets) != "[locked]" || got.Topics != 1 {
		t.Fatalf("Terminate = %+v", got)
	}
	if d, err := g.Details(ctx, a); err != nil || d.Exists {
		t.Fatalf("Details after Terminate: %+v, %v", d, err)
	}
	names, err := adminClient(t).BucketNames(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if strings.HasPrefix(n, g.naming.Tenant(a)+"/") {
			t.Fatalf("bucket %s left after Terminate", n)
		}
	}
	if arns := topicsOf(t, g, a); len(arns) != 0 {
		t.Fatalf("topics left after Terminate: %v", arns)
	}
	if _, err := mc(t, a.User, p.Secret).ListBuckets(ctx); s3Code(err) != "InvalidAccessKeyId" {
		t.Fatalf("the key after Terminate: %v", err)
	}
	if status, _ := anonymous(t, http.MethodGet, "/"+g.naming.Tenant(a)+":data", ""); status != 404 {
		t.Fatalf("anonymous listing after Terminate: %d", status)
	}
	again, err := g.Terminate(ctx, a)
	if err != nil || again.Buckets != 0 || again.Objects != 0 || again.Topics != 0 {
		t.Fatalf("second Terminate = %+v, %v", again, err)
	}
}

// A bucket of the tenant left without its owner (unlinked by hand, or a
// purge cut short) is found and removed by Terminate's last check.
func TestTerminateRemovesABucketLeftWithoutItsOwner(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	ctx := testCtx(t)
	a, p := provisioned(t, g, ProvisionReq{})
	if err := putObject(ctx, mc(t, a.User, p.Secret), "data", "orphaned", 10); err != nil {
		t.Fatal(err)
	}
	bucket := g.naming.Tenant(a) + "/data"
	if _, err := srv.RadosgwAdmin(ctx, "bucket", "unlink", "--bucket="+bucket, "--uid="+g.naming.UID(a)); err != nil {
		t.Fatal(err)
	}
	got, err := g.Terminate(ctx, a)
	if err != nil || got.Buckets != 0 {
		t.Fatalf("Terminate = %+v, %v (the unlinked bucket is not the user's any more)", got, err)
	}
	names, err := adminClient(t).BucketNames(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if n == bucket {
			t.Fatalf("bucket %s left after Terminate", n)
		}
	}
}

// A user left without a key of its own (removed by hand) cannot have its
// policies removed with its key: Suspend suspends it and says the policy
// stays; Create gives it its key back, and Suspend then withdraws it.
// Terminate purges such a user all the same.
func TestUserWithoutKey(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	ctx := testCtx(t)
	a, p := provisioned(t, g, ProvisionReq{})
	publish(t, a, p.Secret)
	if err := adminClient(t).RemoveKey(ctx, g.naming.UID(a), a.User); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Suspend(ctx, a, nil); code(err) != "name_conflict" || !strings.Contains(err.Error(), "data") {
		t.Fatalf("Suspend of a public user without a key: %v", err)
	}
	if d, err := g.Details(ctx, a); err != nil || !d.Suspended {
		t.Fatalf("Details after that Suspend: %+v, %v", d, err)
	}
	if _, err := g.Provision(ctx, a, ProvisionReq{Secret: p.Secret, DefaultBucket: "data"}); err != nil {
		t.Fatal(err)
	}
	if w, err := g.Suspend(ctx, a, nil); err != nil || len(w) != 1 {
		t.Fatalf("Suspend once the key is back: %+v, %v", w, err)
	}
	if err := adminClient(t).RemoveKey(ctx, g.naming.UID(a), a.User); err != nil {
		t.Fatal(err)
	}
	got, err := g.Terminate(ctx, a)
	if err != nil || got.Buckets != 1 || got.Objects != 1 {
		t.Fatalf("Terminate = %+v, %v", got, err)
	}
	assertGone(t, g, a)
}
