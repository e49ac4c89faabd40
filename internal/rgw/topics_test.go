package rgw

import (
	"net/http"
	"net/url"
	"os"
	"testing"

	"github.com/puqminios3/puqminio/internal/rgwadmin"
	"github.com/puqminios3/puqminio/internal/testceph"
)

// A tenant's topics are an SSRF no user policy stops (see guards.go); the
// gateway's configuration does. With "notifications" left out of
// rgw_enable_apis, Check says so, a tenant's CreateTopic and
// PutBucketNotification are refused, and Terminate, which cannot list
// topics there, finishes without making its helper user.
func TestGatewayWithoutTopics(t *testing.T) {
	t.Parallel()
	c := testceph.Start(t, testceph.Options{})
	f, err := os.OpenFile(c.ConfPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("rgw enable apis = s3, admin, iam, sts\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.RestartGateway(); err != nil {
		t.Fatal(err)
	}
	g, err := New(Config{Endpoint: c.Endpoint, AccessKey: c.AccessKey, SecretKey: c.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	if ck, err := g.Check(ctx); err != nil || ck.Topics {
		t.Fatalf("Check = %+v, %v; want Topics false", ck, err)
	}
	a := newAccount()
	p, err := g.Provision(ctx, a, ProvisionReq{Secret: secret(), DefaultBucket: "data"})
	if err != nil {
		t.Fatal(err)
	}
	key := rgwadmin.Key{User: g.naming.UID(a), AccessKey: a.User, SecretKey: p.Secret}
	err = g.snsCall(ctx, key, url.Values{"Action": {"CreateTopic"}, "Name": {"events"},
		"Attributes.entry.1.key": {"push-endpoint"}, "Attributes.entry.1.value": {"http://127.0.0.1:1/inside"}}, nil)
	if !isCode(err, rgwadmin.CodeMethodNotAllowed) {
		t.Fatalf("the tenant's CreateTopic: %v", err)
	}
	conf := `<NotificationConfiguration><TopicConfiguration><Id>n</Id><Topic>arn:aws:sns:default:` + g.naming.Tenant(a) +
		`:events</Topic><Event>s3:ObjectCreated:*</Event></TopicConfiguration></NotificationConfiguration>`
	if _, err := g.s3Raw(ctx, key, http.MethodPut, "/data", url.Values{"notification": {""}}, []byte(conf)); err == nil {
		t.Fatal("a bucket notification to a topic that cannot exist was taken")
	}
	for range 2 {
		res, err := g.Terminate(ctx, a)
		if err != nil || res.Topics != 0 {
			t.Fatalf("Terminate = %+v, %v", res, err)
		}
	}
	admin, err := rgwadmin.New(rgwadmin.Config{Endpoint: c.Endpoint, AccessKey: c.AccessKey, SecretKey: c.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.UserInfo(ctx, g.naming.Tenant(a)+"$"+cleanupUser); !isCode(err, rgwadmin.CodeNoSuchUser) {
		t.Fatalf("the helper user: %v", err)
	}
}
