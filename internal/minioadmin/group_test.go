package minioadmin

import (
	"slices"
	"testing"
)

func TestGroupMembers(t *testing.T) {
	c := newClient(t)
	ctx := testCtx(t)
	u1, _ := mustAddUser(t, c)
	u2, _ := mustAddUser(t, c)
	group := unique("grp")

	if err := c.UpdateGroupMembers(ctx, group, []string{u1, u2}, false); err != nil {
		t.Fatal(err)
	}
	g, err := c.GroupInfo(ctx, group)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(g.Members)
	want := []string{u1, u2}
	slices.Sort(want)
	if g.Name != group || g.Status != "enabled" || !slices.Equal(g.Members, want) {
		t.Fatalf("GroupInfo = %+v", g)
	}
	if u, err := c.UserInfo(ctx, u1); err != nil || !slices.Contains(u.MemberOf, group) {
		t.Fatalf("UserInfo.MemberOf = %+v, %v", u, err)
	}

	if err := c.UpdateGroupMembers(ctx, group, []string{u1, u2}, true); err != nil {
		t.Fatal(err)
	}
	if g, err = c.GroupInfo(ctx, group); err != nil || len(g.Members) != 0 {
		t.Fatalf("after removing members: %+v, %v", g, err)
	}
	// Removing nobody from an empty group deletes it.
	if err := c.UpdateGroupMembers(ctx, group, nil, true); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GroupInfo(ctx, group); ErrorCodeOf(err) != CodeNoSuchGroup {
		t.Fatalf("GroupInfo of deleted group: %v", err)
	}
}
