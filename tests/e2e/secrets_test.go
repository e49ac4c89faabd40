package e2e

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/puqminios3/puqminio/internal/account"
	"github.com/puqminios3/puqminio/internal/bridge"
	"github.com/puqminios3/puqminio/internal/domain"
)

// allowance is where a tenant's own secret may appear in an answer.
type allowance struct {
	secret   string
	overview bool // a client overview page with a visible or "show"-button password: it must be there
}

// pageCheck counts the client pages and whether each held the owner's
// password exactly when its product lets it.
type pageCheck struct {
	client, admin, withSecret, withoutSecret int
}

func (f *fixture) serviceReq(action string, tn *tenant, params any) *bridge.Request {
	svc, prod := tn.svc, tn.prod
	req := &bridge.Request{Action: action, Server: f.server(), Store: &bridge.Store{Path: f.store}, Service: &svc, Product: &prod}
	if params != nil {
		req.Params = json.RawMessage(jsonString(params))
	}
	return req
}

// exercise runs every service action on a sample of tenants, in process and
// through the binary, so that their logs, answers and pages are scanned.
// The pages are checked here: the owner's password is on its overview page
// exactly when the product shows it (or hides it behind a button).
func exercise(t *testing.T, sample, all []*tenant) pageCheck {
	var pc pageCheck
	for i, tn := range sample {
		bin := i%3 == 0
		tag := "service " + tn.user
		for _, page := range []string{"overview", "stats"} {
			a := fx.must(t, tag, fx.serviceReq("render.client", tn, map[string]string{"page": page}), bin)
			var r struct{ HTML string }
			_ = json.Unmarshal(a.Result, &r)
			pc.client++
			has := strings.Contains(r.HTML, tn.secret)
			shown := tn.prod.PasswordDisplay != domain.PasswordHide
			switch {
			case page == "overview" && shown && !has:
				t.Errorf("%s: the %s overview does not hold the password (display %s)", tn.user, page, tn.prod.PasswordDisplay)
			case !shown && has:
				t.Errorf("%s: the %s page holds the password though the product hides it", tn.user, page)
			}
			if has {
				pc.withSecret++
			} else {
				pc.withoutSecret++
			}
			if shown {
				fx.allow(a, tn.secret)
			}
		}
		fx.must(t, tag, fx.serviceReq("render.admin", tn, nil), bin)
		pc.admin++
		fx.must(t, tag, fx.serviceReq("account.info", tn, nil), bin)
		fx.must(t, tag, fx.serviceReq("policy.apply", tn, map[string]string{"mode": "limited"}), !bin)
		fx.must(t, tag, fx.serviceReq("policy.apply", tn, map[string]string{"mode": "auto"}), bin)
		fx.must(t, tag, fx.serviceReq("usage.recalculate", tn, nil), bin)
		fx.must(t, tag, fx.serviceReq("account.suspend", tn, nil), bin)
		fx.must(t, tag, fx.serviceReq("account.unsuspend", tn, nil), !bin)
		up := *tn
		up.prod.DiskSpace = 20
		fx.must(t, tag, fx.serviceReq("account.package", &up, nil), bin)

		// A new password: WHMCS sends it in service.password.
		next := "Pw" + domain.RandomString(22, alnum)
		fx.secrets.add(next, "tenant "+tn.user)
		changed := *tn
		changed.svc.Password = next
		fx.must(t, tag, fx.serviceReq("account.password", &changed, nil), bin)
		tn.svc.Password, tn.secret = next, next
		if !strings.Contains(tn.prod.Permissions, "keepkeys") {
			tn.keys = nil // a password change ends them
		}
		a := fx.must(t, tag, fx.serviceReq("render.client", tn, map[string]string{"page": "overview"}), !bin)
		pc.client++
		if tn.prod.PasswordDisplay != domain.PasswordHide {
			fx.allow(a, next)
			pc.withSecret++
		} else {
			pc.withoutSecret++
		}
		// A password MinIO would refuse: the refusal must not quote it.
		bad := *tn
		bad.svc.Password = "Rejected" + domain.RandomString(130, alnum)
		fx.secrets.add(bad.svc.Password, "rejected password of "+tn.user)
		if a := fx.rpc(t, tag, fx.serviceReq("account.password", &bad, nil), bin); a.OK {
			t.Errorf("%s: a 138-character password was accepted", tn.user)
		}
	}

	services := make([]account.UsageService, 0, len(all))
	metrics := make([]map[string]any, 0, len(all))
	for _, tn := range all {
		services = append(services, account.UsageService{ID: tn.svc.ID, ClientID: tn.svc.ClientID, Username: tn.user, Status: "Active", Product: &tn.prod})
		metrics = append(metrics, map[string]any{"id": tn.svc.ID, "username": tn.user})
	}
	for _, bin := range []bool{false, true} {
		base := &bridge.Request{Server: fx.server(), Store: &bridge.Store{Path: fx.store}}
		for _, r := range []struct {
			action string
			params any
		}{
			{"server.check", nil},
			{"account.list", nil},
			{"usage.update", map[string]any{"services": services}},
			{"usage.metrics", map[string]any{"services": metrics}},
		} {
			req := *base
			req.Action = r.action
			if r.params != nil {
				req.Params = json.RawMessage(jsonString(r.params))
			}
			fx.must(t, "all services", &req, bin)
		}
		// A wrong admin secret: the refusal must not quote it.
		wrong := "Wrong" + domain.RandomString(30, alnum)
		fx.secrets.add(wrong, "wrong admin secret")
		s := fx.server()
		s.SecretKey = wrong
		if a := fx.rpc(t, "wrong secret", &bridge.Request{Action: "server.check", Server: s}, bin); a.OK || a.Error.Code != domain.EUNAUTHORIZED {
			t.Errorf("server.check with a wrong secret: %+v", a.Error)
		}
	}
	return pc
}

// terminate ends the tenants (half through the binary) and checks that
// their access keys went with them and their credentials stopped working.
func terminate(t *testing.T, tenants []*tenant) int {
	keys := 0
	for i, tn := range tenants {
		a := fx.must(t, "terminate "+tn.user, fx.serviceReq("account.terminate", tn, nil), i%2 == 0)
		var r domain.Terminated
		_ = json.Unmarshal(a.Result, &r)
		if r.Buckets != len(tn.buckets) {
			t.Errorf("terminate %s removed %d buckets, want %d", tn.user, r.Buckets, len(tn.buckets))
		}
		for _, k := range append([]accessKey{{access: tn.user, secret: tn.secret, label: "user"}}, tn.keys...) {
			if _, err := fx.s3(k.access, k.secret).ListBuckets(t.Context()); err == nil {
				t.Errorf("%s's %s still works after terminate", tn.user, k.label)
			}
		}
		// The keys went with the user: the server no longer knows them.
		for _, k := range tn.keys {
			if _, err := fx.root.AccessKeyParent(t.Context(), k.access); domain.ErrorCode(err) != domain.ENOTFOUND {
				t.Errorf("%s's %s is still on the server after terminate (%v)", tn.user, k.label, err)
				continue
			}
			keys++
		}
	}
	return keys
}

// allow records that an answer may hold secret (the owner's password on its
// own page).
func (f *fixture) allow(a answer, secret string) {
	f.answers.mu.Lock()
	defer f.answers.mu.Unlock()
	f.allowed = append(f.allowed, allowedSecret{raw: string(a.Raw), secret: secret})
}

type allowedSecret struct{ raw, secret string }

// finding is a secret where it must not be.
type finding struct{ where, owner, excerpt string }

// scanFigures are the counts of the secret scan.
type scanFigures struct {
	Secrets           map[string]int
	LogLines          map[string]int
	Answers, Pages    int
	AllowedPasswords  int
	Cmdlines, Own     int
	ExecArgs          int
	Sampler           samplerFigures
	MinioLogLines     int
	MinioLogFindings  int
	CreatePasswords   int
	OtherAnswerChecks int
}

// scan searches every recorded log line, command line, answer and page for
// every secret of the run.
func scan(t *testing.T) (scanFigures, []finding) {
	secrets := fx.secrets.all()
	fig := scanFigures{Secrets: map[string]int{}, LogLines: map[string]int{}}
	for _, owner := range secrets {
		fig.Secrets[strings.Fields(owner)[0]]++
	}
	var found []finding
	look := func(where, text string, ownOnly bool) {
		for s, owner := range secrets {
			if ownOnly && owner == "root" {
				continue
			}
			if i := strings.Index(text, s); i >= 0 {
				lo, hi := max(0, i-60), min(len(text), i+len(s)+60)
				found = append(found, finding{where: where, owner: owner, excerpt: strings.ReplaceAll(text[lo:hi], s, "<"+owner+">")})
			}
		}
	}

	// Log lines: every slog record of the in-process runs and every line
	// the binary wrote to stderr.
	var logs strings.Builder
	for _, l := range fx.logs.all() {
		fig.LogLines[strings.Fields(l.source)[0]]++
		logs.WriteString(l.text)
		logs.WriteByte('\n')
	}
	look("log", logs.String(), false)
	minioLog := fx.srv.Log()
	fig.MinioLogLines = strings.Count(minioLog, "\n")
	before := len(found)
	look("MinIO's own log", minioLog, false)
	fig.MinioLogFindings = len(found) - before

	// Command lines: what the sampler saw (the root secret is shared by
	// every test MinIO on the machine, so it counts only in this test's own
	// processes) and the arguments this test passed to exec.
	cmdlines, execArgs := fx.procs.snapshot()
	fig.Cmdlines, fig.ExecArgs = len(cmdlines), len(execArgs)
	for c, own := range cmdlines {
		if own {
			fig.Own++
		}
		look("command line", c, !own)
	}
	for _, a := range execArgs {
		look("exec arguments", strings.Join(a, " "), false)
	}
	fig.Sampler = fx.procs.figures()

	// Answers and pages: the owner's password is allowed in its own create
	// answer's "password" field and on its own client page when shown.
	allowed := map[string][]string{}
	fx.answers.mu.Lock()
	for _, a := range fx.allowed {
		allowed[a.raw] = append(allowed[a.raw], a.secret)
	}
	fx.answers.mu.Unlock()
	for _, a := range fx.answers.all() {
		text := string(a.Raw)
		fig.Answers++
		if strings.HasPrefix(a.Action, "render.") {
			fig.Pages++
		}
		if a.Action == "account.create" && a.OK {
			var c domain.Created
			_ = json.Unmarshal(a.Result, &c)
			if secrets[c.Password] != "tenant "+c.Username {
				t.Errorf("create answer for %s holds a password that is not its own", c.Username)
			}
			field := `"password":"` + c.Password + `"`
			if strings.Count(text, field) != 1 {
				t.Errorf("create answer for %s does not hold its password exactly once in the password field", c.Username)
			}
			text = strings.Replace(text, field, `"password":"(own)"`, 1)
			fig.CreatePasswords++
		}
		for _, s := range allowed[string(a.Raw)] {
			if strings.Contains(text, s) {
				text = strings.ReplaceAll(text, s, "(own)")
				fig.AllowedPasswords++
			}
		}
		look(fmt.Sprintf("%s answer (%s)", a.Action, a.Tag), text, false)
		fig.OtherAnswerChecks++
	}
	sort.Slice(found, func(i, j int) bool { return found[i].where < found[j].where })
	return fig, found
}
