package rgwadmin

import (
	"slices"
	"testing"
)

// A subuser signs with its own S3 key and acts on its parent's buckets;
// User lists it, its key among the user's keys. Removed, its key goes too.
func TestSubusers(t *testing.T) {
	c := newClient(t)
	ctx := testCtx(t)
	u := mustCreateUser(t, c, "")
	ak, sk := unique("AKSUB"), unique("sub-")
	for range 2 { // creating it again changes nothing
		if err := c.CreateSubuser(ctx, u.UID, SubuserReq{Name: "tool", Access: "full", AccessKey: ak, SecretKey: sk}); err != nil {
			t.Fatal(err)
		}
	}
	info, err := c.UserInfo(ctx, u.UID)
	if err != nil {
		t.Fatal(err)
	}
	id := u.UID + ":tool"
	if len(info.Subusers) != 1 || info.Subusers[0] != (Subuser{ID: id, Permissions: "full-control"}) ||
		len(info.Keys) != 2 || !slices.Contains(info.Keys, Key{User: id, AccessKey: ak, SecretKey: sk}) {
		t.Fatalf("after CreateSubuser: subusers %+v, keys %v", info.Subusers, info.Keys)
	}
	if code := keyWorks(t, ak, sk); code != "" {
		t.Fatalf("subuser's key: %s", code)
	}
	// The subuser's key leads to its parent.
	if by, err := c.UserByAccessKey(ctx, ak); err != nil || by.UID != u.UID {
		t.Fatalf("UserByAccessKey(subuser's key) = %s, %v", by.UID, err)
	}

	for range 2 { // removing it again is not an error
		if err := c.RemoveSubuser(ctx, u.UID, id); err != nil {
			t.Fatal(err)
		}
	}
	if code := keyWorks(t, ak, sk); code != "InvalidAccessKeyId" {
		t.Fatalf("removed subuser's key: %q", code)
	}
	if info, err := c.UserInfo(ctx, u.UID); err != nil || len(info.Subusers) != 0 || len(info.Keys) != 1 {
		t.Fatalf("after RemoveSubuser: %+v, %v", info, err)
	}

	// A uid that does not exist is never sent with a key (RGW would fall
	// back to the key's owner).
	ghost := unique("t") + "$" + unique("ghost")
	if err := c.CreateSubuser(ctx, ghost, SubuserReq{Name: "x", Access: "full", AccessKey: u.AccessKey, SecretKey: "stolen-secret"}); ErrorCodeOf(err) != CodeNoSuchUser {
		t.Fatalf("CreateSubuser for a missing uid: %v", err)
	}
	if code := keyWorks(t, u.AccessKey, u.SecretKey); code != "" {
		t.Fatalf("the user's key after the attempt: %s", code)
	}
	for name, err := range map[string]error{
		"no name":       c.CreateSubuser(ctx, u.UID, SubuserReq{Access: "full", AccessKey: "a", SecretKey: "b"}),
		"colon":         c.CreateSubuser(ctx, u.UID, SubuserReq{Name: "a:b", Access: "full", AccessKey: "a", SecretKey: "b"}),
		"no secret":     c.CreateSubuser(ctx, u.UID, SubuserReq{Name: "a", Access: "full", AccessKey: "a"}),
		"another's sub": c.RemoveSubuser(ctx, u.UID, "other$u:tool"),
	} {
		if err == nil || ErrorCodeOf(err) != "" {
			t.Errorf("%s: %v, want a refusal before any call", name, err)
		}
	}
}
