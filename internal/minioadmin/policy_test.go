package minioadmin

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestCannedPolicyLifecycle(t *testing.T) {
	c := newClient(t)
	ctx := testCtx(t)
	name := mustAddPolicy(t, c, "bucket-one")

	doc, ok, err := srv.CannedPolicy(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if !ok || !bytes.Contains(doc, []byte("arn:aws:s3:::bucket-one/*")) {
		t.Fatalf("policy %s: %s (exists %t)", name, doc, ok)
	}

	// Replacing in place keeps the attachment.
	user, _ := mustAddUser(t, c)
	if err := c.AttachPolicy(ctx, user, name); err != nil {
		t.Fatal(err)
	}
	if err := c.AddCannedPolicy(ctx, name, policyDoc("bucket-two")); err != nil {
		t.Fatal(err)
	}
	if doc, _, err = srv.CannedPolicy(ctx, name); err != nil || !bytes.Contains(doc, []byte("bucket-two")) {
		t.Fatalf("after replace: %s, %v", doc, err)
	}
	if u, err := c.UserInfo(ctx, user); err != nil || !slices.Contains(u.Policies, name) {
		t.Fatalf("attachment lost on replace: %+v, %v", u, err)
	}

	if err := c.RemoveCannedPolicy(ctx, name); ErrorCodeOf(err) != CodePolicyInUse {
		t.Fatalf("remove attached policy: %v", err)
	}
	if err := c.SetUserPolicies(ctx, user, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveCannedPolicy(ctx, name); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := srv.CannedPolicy(ctx, name); err != nil || ok {
		t.Fatalf("the removed policy is still there (%t): %v", ok, err)
	}
	if err := c.AddCannedPolicy(ctx, unique("bad"), []byte(`{"Statement":[]}`)); err == nil {
		t.Fatal("policy without Version accepted")
	}
}

func TestAttachIdempotent(t *testing.T) {
	c := newClient(t)
	ctx := testCtx(t)
	user, _ := mustAddUser(t, c)
	p1, p2 := mustAddPolicy(t, c, "b1"), mustAddPolicy(t, c, "b2")
	t.Cleanup(func() { _ = c.SetUserPolicies(ctx, user, nil) })

	for range 2 { // the second round is a no-op and must not fail
		if err := c.AttachPolicy(ctx, user, p1, p2); err != nil {
			t.Fatal(err)
		}
	}
	u, err := c.UserInfo(ctx, user)
	if err != nil || !slices.Contains(u.Policies, p1) || !slices.Contains(u.Policies, p2) {
		t.Fatalf("after attach: %+v, %v", u, err)
	}

	if err := c.AttachPolicy(ctx, user, "no-such-policy"); ErrorCodeOf(err) != CodeNoSuchPolicy {
		t.Fatalf("attach missing policy: %v", err)
	}
	if err := c.AttachPolicy(ctx, unique("nouser"), p1); ErrorCodeOf(err) != CodeNoSuchUser {
		t.Fatalf("attach to missing user: %v", err)
	}
}

func TestSetUserPolicies(t *testing.T) {
	c := newClient(t)
	ctx := testCtx(t)
	user, _ := mustAddUser(t, c)
	p1 := mustAddPolicy(t, c, "b1")
	t.Cleanup(func() { _ = c.SetUserPolicies(ctx, user, nil) })

	if err := c.SetUserPolicies(ctx, user, []string{p1, "readonly"}); err != nil {
		t.Fatal(err)
	}
	u, err := c.UserInfo(ctx, user)
	if err != nil || !slices.Equal(u.Policies, []string{p1, "readonly"}) {
		t.Fatalf("after set: %+v, %v", u, err)
	}
	// The mapping is replaced, not merged.
	if err := c.SetUserPolicies(ctx, user, []string{"readonly"}); err != nil {
		t.Fatal(err)
	}
	if u, err = c.UserInfo(ctx, user); err != nil || !slices.Equal(u.Policies, []string{"readonly"}) {
		t.Fatalf("after replace: %+v, %v", u, err)
	}
	if err := c.SetUserPolicies(ctx, user, nil); err != nil {
		t.Fatal(err)
	}
	if u, err = c.UserInfo(ctx, user); err != nil || len(u.Policies) != 0 {
		t.Fatalf("after clear: %+v, %v", u, err)
	}
	if err := c.SetUserPolicies(ctx, user, []string{"a,b"}); err == nil {
		t.Fatal("policy name with a comma accepted")
	}
}

// fakeOldServer answers like a MinIO release without the attach route:
// 426 for idp/builtin/policy/*, user-info from a mapping it keeps, and
// set-user-or-group-policy replacing that mapping. A real server cannot be
// made to lack the route, so this is a stand-in.
type fakeOldServer struct {
	mu       sync.Mutex
	policies string
	sets     []string
}

func (f *fakeOldServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, _ = io.Copy(io.Discard, r.Body)
	switch {
	case strings.HasPrefix(r.URL.Path, "/minio/admin/v3/idp/builtin/policy/"):
		w.WriteHeader(http.StatusUpgradeRequired)
		_, _ = io.WriteString(w, `{"Code":"XMinioAdminVersionMismatch","Message":"This 'admin' API is not supported by server"}`)
	case r.URL.Path == "/minio/admin/v3/user-info":
		_ = json.NewEncoder(w).Encode(map[string]string{"policyName": f.policies, "status": "enabled"})
	case r.URL.Path == "/minio/admin/v3/set-user-or-group-policy":
		q := r.URL.Query()
		if q.Get("userOrGroup") != "alice" || q.Get("isGroup") != "false" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		f.policies = q.Get("policyName")
		f.sets = append(f.sets, f.policies)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func TestAttachFallsBackWithoutRoute(t *testing.T) {
	fake := &fakeOldServer{policies: "base"}
	ts := httptest.NewServer(fake)
	defer ts.Close()
	c, err := New(Config{Endpoint: strings.TrimPrefix(ts.URL, "http://"), AccessKey: "admin", SecretKey: "admin-secret"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	if err := c.AttachPolicy(ctx, "alice", "p1", "base"); err != nil {
		t.Fatal(err)
	}
	if err := c.AttachPolicy(ctx, "alice", "p1"); err != nil { // no-op: no write
		t.Fatal(err)
	}
	if !slices.Equal(fake.sets, []string{"base,p1"}) {
		t.Fatalf("set-user-or-group-policy calls = %q", fake.sets)
	}
}

func TestIsUnknownRoute(t *testing.T) {
	cases := []struct {
		err  *Error
		want bool
	}{
		{&Error{StatusCode: 426, Code: CodeVersionMismatch}, true},
		{&Error{StatusCode: 404, Code: "NotFound"}, true},
		{&Error{StatusCode: 400, Code: "BadRequest"}, true},
		{&Error{StatusCode: 404, Code: CodeNoSuchUser}, false},
		{&Error{StatusCode: 404, Code: CodeNoSuchPolicy}, false},
		{&Error{StatusCode: 400, Code: CodeBadJSON}, false},
		{&Error{StatusCode: 403, Code: CodeAccessDenied}, false},
	}
	for _, tc := range cases {
		if got := isUnknownRoute(tc.err); got != tc.want {
			t.Errorf("isUnknownRoute(%d %s) = %t", tc.err.StatusCode, tc.err.Code, got)
		}
	}
}
