package rgw

import (
	"fmt"
	"strings"
	"testing"

	"github.com/puqminios3/puqminio/internal/rgwadmin"
)

// Details says what the gateway has, and never a secret.
func TestDetails(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	ctx := testCtx(t)
	a, p := provisioned(t, g, ProvisionReq{QuotaBytes: 3 << 20, MaxBuckets: 5, DisplayName: "Shop"})
	subSK := secret()
	if err := adminClient(t).CreateSubuser(ctx, g.naming.UID(a), rgwadmin.SubuserReq{Name: "ro", Access: "read", AccessKey: unique("AKR"), SecretKey: subSK}); err != nil {
		t.Fatal(err)
	}
	d, err := g.Details(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	want := Details{Exists: true, DisplayName: "Shop", QuotaBytes: 3 << 20, MaxBuckets: 5,
		AccessKeys: []string{a.User}, Subusers: []string{g.naming.UID(a) + ":ro (read)"}, OpMask: "read, write, delete"}
	if fmt.Sprintf("%+v", d) != fmt.Sprintf("%+v", want) {
		t.Fatalf("Details = %+v\nwant      %+v", d, want)
	}
	if s := fmt.Sprintf("%+v %#v", d, d); strings.Contains(s, p.Secret) || strings.Contains(s, subSK) {
		t.Fatal("Details holds a secret")
	}
	if d, err := g.Details(ctx, newAccount()); err != nil || d.Exists {
		t.Fatalf("Details of a missing account = %+v, %v", d, err)
	}
}
