package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/puqminios3/puqminio/internal/testminio"
)

func execute(t *testing.T, stdin string, env map[string]string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Execute(context.Background(), args, IO{In: strings.NewReader(stdin), Out: &out, Err: &errb, Getenv: func(k string) string { return env[k] }})
	return out.String(), errb.String(), code
}

func TestRPCRejectsBadInput(t *testing.T) {
	out, _, code := execute(t, `{"v":1,"action":"nope"}`, nil, "rpc")
	if code != 1 || !strings.Contains(out, `"code":"unknown_action"`) {
		t.Fatalf("code %d, out %s", code, out)
	}
}

func TestServerCheckNeedsSecretFromEnvironment(t *testing.T) {
	_, errOut, code := execute(t, "", nil, "server", "check", "--endpoint", "127.0.0.1:1")
	if code != 1 || !strings.Contains(errOut, "PUQMINIO_SECRET_KEY") {
		t.Fatalf("code %d, stderr %s", code, errOut)
	}
	if _, _, code := execute(t, "", nil, "server", "check", "--secret-key", "x"); code == 0 {
		t.Fatal("a --secret-key flag must not exist")
	}
}

func TestHumanCommandsAgainstMinIO(t *testing.T) {
	srv := testminio.Start(t, testminio.Options{})
	env := map[string]string{"PUQMINIO_ACCESS_KEY": srv.AccessKey, "PUQMINIO_SECRET_KEY": srv.SecretKey,
		"PUQMINIO_ENDPOINT": srv.Endpoint, "PUQMINIO_DB": t.TempDir() + "/u.db"}
	out, errOut, code := execute(t, "", env, "server", "check")
	if code != 0 || !strings.Contains(out, `"canManageUsers": true`) {
		t.Fatalf("server check: %d %s %s", code, out, errOut)
	}
	product := "../../testdata/product.json"
	out, errOut, code = execute(t, "", env, "account", "create", "--service-id", "5", "--client-id", "4", "--product", product)
	var created struct{ Username, Password, Bucket, Group string }
	if code != 0 || json.Unmarshal([]byte(out), &created) != nil || created.Username != "4-5" ||
		created.Bucket != "4-5-files" || created.Group != "cli-example" {
		t.Fatalf("account create: %d %s %s", code, out, errOut)
	}
	if strings.Contains(errOut, created.Password) || strings.Contains(errOut, srv.SecretKey) {
		t.Fatal("a secret reached the log")
	}
	for _, sub := range []string{"suspend", "unsuspend", "info", "package", "terminate"} {
		if out, errOut, code := execute(t, "", env, "account", sub, "--service-id", "5", "--username", "4-5", "--product", product); code != 0 {
			t.Fatalf("account %s: %d %s %s", sub, code, out, errOut)
		}
	}
	_, errOut, code = execute(t, "", env, "account", "suspend", "--service-id", "5", "--username", "4-5")
	if code != 2 || !strings.Contains(errOut, "not_found") {
		t.Fatalf("suspend after terminate: %d %s", code, errOut)
	}
}
