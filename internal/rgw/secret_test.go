package rgw

import (
	"fmt"
	"strings"
	"testing"

	"github.com/puqminios3/puqminio/internal/rgwadmin"
)

// ChangeSecret: the old secret is refused, the new one works. Changing a
// key's secret alone leaves the user's other keys and subusers working
// (measured with rgwadmin.PutKey, what ChangeSecret sends); ChangeSecret
// removes them unless told to keep them.
func TestChangeSecret(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	ctx := testCtx(t)
	admin := adminClient(t)
	a, p := provisioned(t, g, ProvisionReq{})
	uid := g.naming.UID(a)
	// Credentials an admin made by hand: a second key, a subuser.
	extraAK, extraSK := unique("AKX"), secret()
	subAK, subSK := unique("AKS"), secret()
	if err := admin.PutKey(ctx, uid, extraAK, extraSK); err != nil {
		t.Fatal(err)
	}
	if err := admin.CreateSubuser(ctx, uid, rgwadmin.SubuserReq{Name: "tool", Access: "full", AccessKey: subAK, SecretKey: subSK}); err != nil {
		t.Fatal(err)
	}
	works := func(ak, sk string) bool {
		_, err := mc(t, ak, sk).ListBuckets(ctx)
		return err == nil
	}

	// RGW's own behaviour: a new secret for one key leaves the others.
	mid := secret()
	if err := admin.PutKey(ctx, uid, a.User, mid); err != nil {
		t.Fatal(err)
	}
	if works(a.User, p.Secret) || !works(a.User, mid) || !works(extraAK, extraSK) || !works(subAK, subSK) {
		t.Fatal("after a plain key change: want the old secret refused and the other keys working")
	}

	// Kept when asked.
	kept := secret()
	if ch, err := g.ChangeSecret(ctx, a, kept, SecretOptions{KeepOtherKeys: true}); err != nil || len(ch.KeysRemoved)+len(ch.SubusersRemoved) != 0 {
		t.Fatalf("ChangeSecret keeping keys = %+v, %v", ch, err)
	}
	if works(a.User, mid) || !works(a.User, kept) || !works(extraAK, extraSK) || !works(subAK, subSK) {
		t.Fatal("after ChangeSecret keeping keys")
	}

	// By default every other credential ends.
	final := secret()
	ch, err := g.ChangeSecret(ctx, a, final, SecretOptions{})
	if err != nil || fmt.Sprint(ch.KeysRemoved) != "["+extraAK+"]" || fmt.Sprint(ch.SubusersRemoved) != "["+uid+":tool]" {
		t.Fatalf("ChangeSecret = %+v, %v", ch, err)
	}
	newS3cmd(t, a.User, kept).refused("ls")
	newS3cmd(t, a.User, final).must("ls", "s3://data")
	if works(extraAK, extraSK) || works(subAK, subSK) {
		t.Fatal("the other key or the subuser's key works after ChangeSecret")
	}
	d, err := g.Details(ctx, a)
	if err != nil || fmt.Sprint(d.AccessKeys) != "["+a.User+"]" || len(d.Subusers) != 0 {
		t.Fatalf("Details after ChangeSecret: %+v, %v", d, err)
	}
	// Again: nothing else to remove.
	if ch, err := g.ChangeSecret(ctx, a, final, SecretOptions{}); err != nil || len(ch.KeysRemoved)+len(ch.SubusersRemoved) != 0 {
		t.Fatalf("second ChangeSecret = %+v, %v", ch, err)
	}

	// A suspended user stays suspended.
	if _, err := g.Suspend(ctx, a, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := g.ChangeSecret(ctx, a, secret(), SecretOptions{}); err != nil {
		t.Fatal(err)
	}
	if d, err := g.Details(ctx, a); err != nil || !d.Suspended {
		t.Fatalf("ChangeSecret lifted the suspension: %+v, %v", d, err)
	}
	for name, err := range map[string]error{
		"missing account": func() error { _, err := g.ChangeSecret(ctx, newAccount(), secret(), SecretOptions{}); return err }(),
		"short secret":    func() error { _, err := g.ChangeSecret(ctx, a, "short", SecretOptions{}); return err }(),
	} {
		if err == nil || strings.Contains(err.Error(), final) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
