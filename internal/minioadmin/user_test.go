package minioadmin

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestUserLifecycle(t *testing.T) {
	c := newClient(t)
	ctx := testCtx(t)
	user, secret := mustAddUser(t, c)

	info, err := c.UserInfo(ctx, user)
	if err != nil {
		t.Fatal(err)
	}
	// UpdatedAt dates the policy mapping, so a user without one has none.
	if !info.Enabled || !info.UpdatedAt.IsZero() || len(info.Policies) != 0 {
		t.Fatalf("new user info = %+v", info)
	}

	if err := c.SetUserStatus(ctx, user, false); err != nil {
		t.Fatal(err)
	}
	if info, err = c.UserInfo(ctx, user); err != nil || info.Enabled {
		t.Fatalf("after disable: %+v, %v", info, err)
	}
	// A password change on a suspended account must keep it suspended:
	// add-user sets the status from the body on every call.
	if err := c.AddUser(ctx, user, secret+"-new", false); err != nil {
		t.Fatal(err)
	}
	if info, err = c.UserInfo(ctx, user); err != nil || info.Enabled {
		t.Fatalf("after password change while disabled: %+v, %v", info, err)
	}
	if err := c.SetUserStatus(ctx, user, true); err != nil {
		t.Fatal(err)
	}
	if info, err = c.UserInfo(ctx, user); err != nil || !info.Enabled {
		t.Fatalf("after enable: %+v, %v", info, err)
	}

	users, err := c.ListUsers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if u, ok := users[user]; !ok || !u.Enabled {
		t.Fatalf("ListUsers[%s] = %+v, %v", user, u, ok)
	}

	if err := c.RemoveUser(ctx, user); err != nil {
		t.Fatal(err)
	}
	_, err = c.UserInfo(ctx, user)
	if ErrorCodeOf(err) != CodeNoSuchUser {
		t.Fatalf("UserInfo after remove: %v", err)
	}
	var e *Error
	if !errors.As(err, &e) || e.StatusCode != 404 || e.RequestID == "" || e.Resource == "" {
		t.Fatalf("error fields = %+v", e)
	}
}

func TestAddUserDisabled(t *testing.T) {
	c := newClient(t)
	ctx := testCtx(t)
	user := unique("dis")
	if err := c.AddUser(ctx, user, "disabled-secret", false); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.RemoveUser(ctx, user) })
	info, err := c.UserInfo(ctx, user)
	if err != nil || info.Enabled {
		t.Fatalf("user created disabled: %+v, %v", info, err)
	}
}

// MinIO's own error text must not carry the password even when the
// request is refused (here: too short a secret).
func TestAddUserErrorHasNoSecret(t *testing.T) {
	c := newClient(t)
	err := c.AddUser(testCtx(t), unique("short"), "seven77", true)
	if err == nil {
		t.Fatal("a 7-character secret was accepted")
	}
	if strings.Contains(err.Error(), "seven77") || strings.Contains(err.Error(), srv.SecretKey) {
		t.Fatalf("error leaks a secret: %v", err)
	}
	t.Logf("short secret: %v", err)
}

func TestUserPoliciesSplit(t *testing.T) {
	got := splitPolicies("a, b,,c")
	if !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("Policies() = %q", got)
	}
}
