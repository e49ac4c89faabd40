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

	if err := c.AddGroupMembers(ctx, group, u1, u2); err != nil {
		t.Fatal(err)
	}
	members, ok, err := srv.GroupMembers(ctx, group)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(members)
	want := []string{u1, u2}
	slices.Sort(want)
	if !ok || !slices.Equal(members, want) {
		t.Fatalf("group %s: members %v (exists %t)", group, members, ok)
	}
	if u, err := c.UserInfo(ctx, u1); err != nil || !slices.Contains(u.Groups, group) {
		t.Fatalf("UserInfo.Groups = %+v, %v", u, err)
	}

	if err := c.RemoveGroupMembers(ctx, group, u1, u2); err != nil {
		t.Fatal(err)
	}
	if members, ok, err = srv.GroupMembers(ctx, group); err != nil || !ok || len(members) != 0 {
		t.Fatalf("after removing members: %v %t %v", members, ok, err)
	}
	// Removing nobody from an empty group deletes it.
	if err := c.RemoveGroupMembers(ctx, group); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := srv.GroupMembers(ctx, group); err != nil || ok {
		t.Fatalf("the emptied group still exists (%t) or cannot be read: %v", ok, err)
	}
	// Removing from a group that does not exist is a not-found error.
	if err := c.RemoveGroupMembers(ctx, group, u1); ErrorCodeOf(err) != CodeNoSuchGroup {
		t.Fatalf("removing from a deleted group: %v", err)
	}
}
