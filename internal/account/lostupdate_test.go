package account

import (
	"testing"

	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/faultproxy"
	"github.com/puqminios3/puqminio/internal/minioadmin"
	"github.com/puqminios3/puqminio/internal/s3"
)

// An admin's click and a usage run working on the same account at once must
// not undo each other: while Update Policy is writing the policy on MinIO,
// the shim records that the warning email went out. Policy apply once saved
// the whole account record it had read before, and so set the notice flag
// back: the warning was sent again by the next run.
func TestApplyPolicyKeepsANoticeRecordedMeanwhile(t *testing.T) {
	m, c := newManager(t), ctx(t)
	prod := domain.Product{Unit: "MB", DiskSpace: 4, WarnPercent: 50, WarnTemplate: "warn"}
	got, err := m.Create(c, svc(90, 91), prod)
	if err != nil {
		t.Fatal(err)
	}
	ref := domain.ServiceRef{ID: 91, ClientID: 90, Username: got.Username}
	defer func() {
		if _, err := m.Terminate(c, ref); err != nil {
			t.Error(err)
		}
	}()

	// The click's admin calls go through a proxy that, when the policy
	// write arrives, records the sent notice as usage.notified would.
	p, err := faultproxy.New(srv.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	hooked := false
	p.InjectOp("add-canned-policy", faultproxy.Rule{Fault: faultproxy.Hook, Hook: func(faultproxy.Request) {
		hooked = true
		if err := m.Store.MarkNotified(c, m.ServerID, ref.ID, domain.NoticeWarn); err != nil {
			t.Error(err)
		}
	}})
	click := *m
	if click.Admin, err = minioadmin.New(minioadmin.Config{Endpoint: p.Addr(), AccessKey: srv.AccessKey, SecretKey: srv.SecretKey}); err != nil {
		t.Fatal(err)
	}
	if click.S3, err = s3.New(s3.Config{Endpoint: p.Addr(), AccessKey: srv.AccessKey, SecretKey: srv.SecretKey}); err != nil {
		t.Fatal(err)
	}
	if _, err := click.ApplyPolicy(c, ref, prod, "limited"); err != nil {
		t.Fatal(err)
	}
	if !hooked {
		t.Fatal("the policy write never reached the proxy")
	}
	rec, _, err := m.Store.Account(c, m.ServerID, ref.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !rec.State.Warned {
		t.Error("the warning recorded during Update Policy was lost: it would be sent again")
	}
	if rec.State.Policy != domain.PolicyLimited || rec.State.Forced != domain.PolicyLimited {
		t.Errorf("the click's own change is missing: %+v", rec.State)
	}
}
