package rgw

import "testing"

func TestNaming(t *testing.T) {
	n := Naming{Prefix: DefaultTenantPrefix}
	a := Account{Service: 42, User: "12-34"}
	if n.Tenant(a) != "s42" || n.UID(a) != "s42$12-34" {
		t.Fatalf("tenant %q, uid %q", n.Tenant(a), n.UID(a))
	}
	for uid, want := range map[string]bool{
		"s42$12-34":               true,
		"s1$a.b@c=d":              true,
		"s42$":                    false, // no user
		"s042$12-34":              false, // not a plain number
		"s0$12-34":                false,
		"s$12-34":                 false,
		"x42$12-34":               false, // another prefix
		"s4x$12-34":               false,
		"12-34":                   false, // no tenant
		"s42$12-34:sub":           false, // a subuser
		"puqadmin":                false,
		"s99999999999999999999$u": false, // too long for an id
	} {
		got, ok := n.Of(uid)
		if ok != want || (ok && n.UID(got) != uid) {
			t.Errorf("Of(%q) = %+v, %t; want ok %t", uid, got, ok, want)
		}
	}
	for _, p := range []string{"", "s1", "bad-prefix", "ü", "s$"} {
		if err := (Naming{Prefix: p}).Check(); code(err) != "invalid_field" {
			t.Errorf("prefix %q: %v", p, err)
		}
	}
	for _, p := range []string{"s", "whmcs_a_", "T"} {
		if err := (Naming{Prefix: p}).Check(); err != nil {
			t.Errorf("prefix %q: %v", p, err)
		}
	}
	for _, bad := range []Account{{0, "12-34"}, {-1, "12-34"}, {42, ""}, {42, "a$b"}, {42, "a:b"}, {42, "a b"}} {
		if err := n.check(bad); err == nil {
			t.Errorf("check(%+v) passed", bad)
		}
	}
}
