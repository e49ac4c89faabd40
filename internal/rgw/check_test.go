package rgw

import (
	"encoding/json"
	"net"
	"strings"
	"testing"

	"github.com/puqminios3/puqminio/internal/domain"
)

// adminUser makes an RGW user with radosgw-admin (extra flags: caps,
// --admin) and returns its keys, which radosgw-admin generates and prints:
// no secret is on a command line.
func adminUser(t *testing.T, args ...string) (string, string) {
	t.Helper()
	uid := unique("checker")
	out, err := srv.RadosgwAdmin(testCtx(t), append([]string{"user", "create", "--uid=" + uid, "--display-name=check"}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	var u struct {
		Keys []struct {
			AccessKey string `json:"access_key"`
			SecretKey string `json:"secret_key"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(out, &u); err != nil || len(u.Keys) != 1 {
		t.Fatalf("radosgw-admin user create: %v", err)
	}
	t.Cleanup(func() { _, _ = srv.RadosgwAdmin(testCtx(t), "user", "rm", "--uid="+uid) })
	return u.Keys[0].AccessKey, u.Keys[0].SecretKey
}

func gatewayAs(t *testing.T, endpoint, access, secretKey string) *Gateway {
	t.Helper()
	g, err := New(Config{Endpoint: endpoint, AccessKey: access, SecretKey: secretKey})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestCheck(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	c, err := newGateway(t).Check(ctx)
	if err != nil || c.Version != "16.2.15" || c.AdminUser != "puqadmin" || c.AllCaps || len(c.Missing) != 0 || !c.Topics ||
		!strings.Contains(c.Caps, "users=*") {
		t.Fatalf("Check with the test admin = %+v, %v", c, err)
	}

	for name, tc := range map[string]struct {
		args    []string
		missing string
	}{
		"no caps":          {nil, "users=read"},
		"read-only users":  {[]string{"--caps=users=read"}, "users=write buckets=read buckets=write usage=read usage=write metadata=read user-policy=read user-policy=write"},
		"all but metadata": {[]string{"--caps=users=*;buckets=*;usage=*;user-policy=*"}, "metadata=read"},
		"usage read only":  {[]string{"--caps=users=*;buckets=*;usage=read;metadata=read;user-policy=*"}, "usage=write"},
		"no user-policy":   {[]string{"--caps=users=*;buckets=*;usage=*;metadata=read"}, "user-policy=read user-policy=write"},
		"admin flag":       {[]string{"--admin"}, ""},
	} {
		ak, sk := adminUser(t, tc.args...)
		c, err := gatewayAs(t, srv.Endpoint, ak, sk).Check(ctx)
		if strings.Join(c.Missing, " ") != tc.missing {
			t.Errorf("%s: missing %v, want %q", name, c.Missing, tc.missing)
		}
		if tc.missing == "" {
			if err != nil || !c.AllCaps {
				t.Errorf("%s: %+v, %v", name, c, err)
			}
			continue
		}
		if domain.ErrorCode(err) != domain.EUNAUTHORIZED || !strings.Contains(err.Error(), strings.Fields(tc.missing)[0]) ||
			!strings.Contains(err.Error(), "radosgw-admin caps add") {
			t.Errorf("%s: %v", name, err)
		}
		if strings.Contains(err.Error(), sk) {
			t.Errorf("%s: the error holds the secret", name)
		}
	}

	// A wrong secret, and nothing listening.
	_, err = gatewayAs(t, srv.Endpoint, srv.AccessKey, "wrong-secret-123").Check(ctx)
	if domain.ErrorCode(err) != domain.EUNAUTHORIZED || strings.Contains(err.Error(), "wrong-secret") {
		t.Fatalf("Check with a wrong secret: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	_, err = gatewayAs(t, closed, srv.AccessKey, srv.SecretKey).Check(ctx)
	if domain.ErrorCode(err) != domain.EUNAVAILABLE || !domain.IsRetryable(err) || strings.Contains(err.Error(), "MinIO") {
		t.Fatalf("Check of a closed port: %v", err)
	}
}
