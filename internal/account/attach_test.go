package account

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/minioadmin"
)

// recorder counts the admin API calls that pass through it.
type recorder struct {
	mu    sync.Mutex
	calls []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.calls = append(r.calls, req.Method+" "+req.URL.Path)
	r.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

func (r *recorder) count(part string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.calls {
		if strings.Contains(c, part) {
			n++
		}
	}
	return n
}

// Update Policy writes the document every time but attaches the policy
// only when it is not attached, with the plain mapping call (never the
// attach route, whose answer MinIO encrypts with an Argon2id); a policy
// detached behind our back is attached again, keeping the user's others.
func TestApplyPolicyAttachesOnlyWhenNeeded(t *testing.T) {
	m, c := newManager(t), ctx(t)
	prod := domain.Product{Unit: "GB", DiskSpace: 1}
	got, err := m.Create(c, svc(80, 81), prod)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	admin, err := minioadmin.New(minioadmin.Config{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, Transport: rec})
	if err != nil {
		t.Fatal(err)
	}
	m.Admin = admin
	ref := domain.ServiceRef{ID: 81, Username: got.Username}
	pol := domain.PolicyName(got.Username)

	for _, mode := range []string{"limited", "auto"} {
		if _, err := m.ApplyPolicy(c, ref, prod, mode); err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
	}
	if n := rec.count("/set-user-or-group-policy") + rec.count("/policy/attach"); n != 0 {
		t.Fatalf("%d attach calls for a policy that was attached all along", n)
	}
	if n := rec.count("/add-canned-policy"); n != 2 {
		t.Fatalf("%d document writes, want 2", n)
	}

	// Detached behind our back, and another policy attached by hand.
	if err := admin.AddCannedPolicy(c, "byhand-81", []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::nothing/*"]}]}`)); err != nil {
		t.Fatal(err)
	}
	defer admin.RemoveCannedPolicy(c, "byhand-81")
	if err := admin.SetUserPolicies(c, got.Username, []string{"byhand-81"}); err != nil {
		t.Fatal(err)
	}
	before := rec.count("/set-user-or-group-policy")
	if st, err := m.ApplyPolicy(c, ref, prod, "auto"); err != nil || st.Policy != domain.PolicyStandard {
		t.Fatalf("apply after detach: %v %v", st, err)
	}
	if n := rec.count("/set-user-or-group-policy") - before; n != 1 || rec.count("/policy/attach") != 0 {
		t.Fatalf("%d mapping writes and %d attach calls after the policy was detached, want 1 and 0", n, rec.count("/policy/attach"))
	}
	info, err := m.Admin.UserInfo(c, got.Username)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(info.Policies, ",") != "byhand-81,"+pol {
		t.Fatalf("policies after re-attach: %q, want byhand-81 and %q", info.Policies, pol)
	}
	if _, err := m.Terminate(c, ref); err != nil {
		t.Fatal(err)
	}
}
