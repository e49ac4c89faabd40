package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/puqminios3/puqminio/internal/faultproxy"
	"github.com/puqminios3/puqminio/internal/minioadmin"
	"github.com/puqminios3/puqminio/internal/testminio"
)

// deadlineSlack is how long past server.timeoutSeconds a call may take to
// answer: process start, the answer's encoding, a loaded machine.
const deadlineSlack = 3 * time.Second

// Through the real binary, as the PHP module runs it: a slow server (a
// stalled answer, a paused process) hits server.timeoutSeconds and the call
// answers within it; a stopped server and a lost answer give retryable JSON
// errors that say what happened; each re-run converges.
func TestRPCFaultsAnswerInTimeAndConverge(t *testing.T) {
	bin := puqminioBinary(t)
	srv := testminio.Start(t, testminio.Options{})
	p, err := faultproxy.New(srv.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	admin, err := minioadmin.New(minioadmin.Config{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(t.TempDir(), "usage.db")
	product := map[string]any{"defaultBucket": true, "bucketSuffix": "data", "group": "rpc-a"}
	request := func(action, endpoint string, timeout int, service map[string]any) map[string]any {
		return map[string]any{"v": 1, "action": action, "server": serverJSON(srv, endpoint, timeout),
			"store": map[string]any{"path": dbPath}, "service": service, "product": product}
	}
	var secrets []string
	// failed checks a failed answer: exit 2, the code, a retryable error
	// whose message names the step and the cause, no secret anywhere, and
	// for a deadline, an answer within it.
	failed := func(what string, a rpcAnswer, code string, says *regexp.Regexp, deadline time.Duration) {
		t.Helper()
		if a.OK || a.Error == nil || a.exit != 2 {
			t.Fatalf("%s: exit %d, answer %s", what, a.exit, a.stdout)
		}
		if a.Error.Code != code || !a.Error.Retryable || !says.MatchString(a.Error.Message) || !strings.Contains(a.Error.Message, "Retrying is safe") {
			t.Errorf("%s: got %s (retryable %t) %q; want %s matching %q and saying a retry is safe", what, a.Error.Code, a.Error.Retryable, a.Error.Message, code, says)
		}
		for _, s := range append([]string{srv.SecretKey}, secrets...) {
			if strings.Contains(a.stdout, s) || strings.Contains(a.stderr, s) {
				t.Errorf("%s: a secret is in the answer or the log", what)
			}
		}
		if deadline > 0 && a.took > deadline+deadlineSlack {
			t.Errorf("%s: answered after %s, deadline %s", what, a.took, deadline)
		}
		t.Logf("%s: %s after %s: %s", what, a.Error.Code, a.took.Round(10*time.Millisecond), a.Error.Message)
	}
	ok := func(what string, a rpcAnswer, out any) {
		t.Helper()
		if !a.OK || a.exit != 0 {
			t.Fatalf("%s: exit %d %s %s", what, a.exit, a.stdout, a.stderr)
		}
		if out != nil {
			if err := json.Unmarshal(a.Result, out); err != nil {
				t.Fatal(err)
			}
		}
	}
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// A stalled answer to add-user, with a 2 s deadline.
	svc := map[string]any{"id": 2, "clientId": 9}
	p.InjectOp("add-user", faultproxy.Rule{Fault: faultproxy.StallResponse})
	failed("create, add-user stalled, timeoutSeconds 2", rpc(t, bin, request("account.create", p.Addr(), 2, svc)),
		"timeout", regexp.MustCompile(`^create user 9-2: MinIO did not answer before the call's deadline`), 2*time.Second)
	var created struct{ Username, Password, Bucket, Group string }
	ok("create again", rpc(t, bin, request("account.create", p.Addr(), 30, svc)), &created)
	secrets = append(secrets, created.Password)
	info, err := admin.UserInfo(c, "9-2")
	if created.Username != "9-2" || created.Bucket != "9-2-data" || err != nil || !info.Enabled ||
		len(info.Policies) != 1 || info.Policies[0] != "puqminio-9-2" || len(info.Groups) != 1 || info.Groups[0] != "rpc-a" {
		t.Fatalf("after the re-run: %+v; user %+v %v", created, info, err)
	}
	svc["username"] = created.Username

	// The whole server paused: nothing answers, the 1 s deadline holds.
	svc["password"] = "Rpc-Fault-Pass-1"
	secrets = append(secrets, "Rpc-Fault-Pass-1")
	if err := srv.Pause(); err != nil {
		t.Fatal(err)
	}
	a := rpc(t, bin, request("account.password", srv.Endpoint, 1, svc))
	if err := srv.Resume(); err != nil {
		t.Fatal(err)
	}
	failed("password, server paused, timeoutSeconds 1", a, "timeout", regexp.MustCompile(`^read user 9-2: MinIO did not answer`), time.Second)
	ok("password again", rpc(t, bin, request("account.password", srv.Endpoint, 30, svc)), nil)

	// The answer to remove-user lost after MinIO removed the user.
	p.InjectOp("remove-user", faultproxy.Rule{Fault: faultproxy.DropResponse})
	failed("terminate, remove-user answer lost", rpc(t, bin, request("account.terminate", p.Addr(), 30, svc)),
		"unavailable", regexp.MustCompile(`^remove user 9-2: MinIO closed the connection before answering`), 0)

	// The server stopped: connections are refused.
	srv.Stop()
	failed("terminate, server stopped, timeoutSeconds 2", rpc(t, bin, request("account.terminate", srv.Endpoint, 2, svc)),
		"unavailable", regexp.MustCompile(`^read user 9-2: MinIO refused the connection`), 2*time.Second)
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	var term struct{ Username string }
	ok("terminate again", rpc(t, bin, request("account.terminate", srv.Endpoint, 30, svc)), &term)
	ok("terminate once more", rpc(t, bin, request("account.terminate", srv.Endpoint, 30, svc)), nil)
	if _, err := admin.UserInfo(c, "9-2"); minioadmin.ErrorCodeOf(err) != minioadmin.CodeNoSuchUser {
		t.Errorf("user 9-2 is left: %v", err)
	}
	if _, ok, err := srv.CannedPolicy(c, "puqminio-9-2"); err != nil || ok {
		t.Errorf("policy puqminio-9-2 is left: %v", err)
	}
	if members, _, err := srv.GroupMembers(c, "rpc-a"); err == nil && len(members) != 0 {
		t.Errorf("group rpc-a still has %v", members)
	}
}
