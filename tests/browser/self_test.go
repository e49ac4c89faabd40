//go:build browser

package browser

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/puqminios3/puqminio/cmd/puqminio/wire"
	"github.com/puqminios3/puqminio/internal/bridge"
	"github.com/puqminios3/puqminio/internal/testminio"
	"github.com/puqminios3/puqminio/internal/testport"
)

// TestSelfService drives the client area's self-service (issue 13) in
// headless Chromium, live: Chromium → a WHMCS-like page → the real PHP
// module (php -S, tests/browser/whmcs.php) → the puqminio binary → a real
// MinIO. At desktop and phone sizes and in Arabic (right to left) it
// creates a bucket, creates a read-only key for it and copies its secret
// from the page, uses the key with s3cmd, revokes it, turns versioning on
// and deletes the bucket with its name typed again; every page must fit
// its screen and load nothing from elsewhere.
func TestSelfService(t *testing.T) {
	chromium := chromiumPath(t)
	for _, tool := range []string{"php", "s3cmd"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed (make deps)", tool)
		}
	}
	ms := testminio.Start(t, testminio.Options{})
	bin := puqminioBinary(t)
	dir := t.TempDir()
	store := filepath.Join(dir, "usage.db")

	type variant struct {
		name, lang, code, dir string
		vp                    viewport
		id                    int64
	}
	variants := []variant{
		{"desktop", "english", "en", "ltr", viewports[0], 101},
		{"phone", "english", "en", "ltr", viewports[1], 102},
		{"rtl-phone", "arabic", "ar", "rtl", viewports[1], 103},
	}
	product := map[string]any{"defaultBucket": true, "selfService": "buckets=5 keys=5", "permissions": "public objectlock"}
	server := map[string]any{"id": 1, "endpoint": ms.Endpoint, "accessKey": ms.AccessKey, "secretKey": ms.SecretKey}
	services := map[string]any{}
	users := map[int64]string{}
	for _, v := range variants {
		var created struct{ Username, Password string }
		runBridge(t, map[string]any{"v": 1, "action": "account.create", "server": server, "store": map[string]any{"path": store},
			"service": map[string]any{"id": v.id, "clientId": 7}, "product": product}, &created)
		users[v.id] = created.Username
		services[strconv.FormatInt(v.id, 10)] = map[string]any{"id": v.id, "clientId": 7, "username": created.Username,
			"password": created.Password, "language": v.lang, "product": product}
	}
	host, port, _ := net.SplitHostPort(ms.Endpoint)
	moduleLog := filepath.Join(dir, "module.log")
	cfg := map[string]any{"sessions": t.TempDir(), "moduleLog": moduleLog, "services": services,
		"server": map[string]any{"serverid": 1, "serverhostname": host, "serverip": "", "serverport": port, "serversecure": false,
			"serverusername": ms.AccessKey, "serverpassword": ms.SecretKey, "serveraccesshash": ""}}
	cfgFile := filepath.Join(dir, "whmcs.json")
	b, _ := json.Marshal(cfg)
	if err := os.WriteFile(cfgFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	phpAddr := startPHP(t, cfgFile, bin, store)

	lang := map[string][2]string{}
	for _, v := range variants {
		lang[strconv.FormatInt(v.id, 10)] = [2]string{v.code, v.dir}
	}
	front := httptest.NewServer(whmcsFront(t, phpAddr, lang))
	defer front.Close()

	rec := &recorder{}
	br, logs, err := launch(chromium, t.TempDir(), rec.event)
	if err != nil {
		t.Fatalf("start %s: %v", chromium, err)
	}
	defer br.close()
	ctx := context.Background()
	if err := br.call(ctx, "", "Browser.grantPermissions", map[string]any{
		"origin": front.URL, "permissions": []string{"clipboardReadWrite", "clipboardSanitizedWrite"}}, nil); err != nil {
		t.Fatal(err)
	}
	pg, err := br.newPage(ctx)
	if err != nil {
		t.Fatalf("%v\nchromium output:\n%s", err, logs.String())
	}
	root, err := minio.New(ms.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(ms.AccessKey, ms.SecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	keep := os.Getenv("PUQMINIO_SCREENSHOTS") == "1"
	var secrets []string
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			user := users[v.id]
			bucket := user + "-photos"
			shot := func(name string) {
				t.Helper()
				png, err := pg.screenshot(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if keep {
					if err := os.WriteFile(filepath.Join("..", "..", "docs", "screenshots", name), png, 0o644); err != nil {
						t.Fatal(err)
					}
					t.Logf("docs/screenshots/%s: %d bytes", name, len(png))
				}
			}
			step := func(what string, err error) {
				t.Helper()
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				checkLayout(ctx, t, pg, v.vp.w)
				if t.Failed() {
					t.FailNow()
				}
			}
			succeeded := func(what string) {
				t.Helper()
				var alert string
				_ = pg.eval(ctx, `(document.querySelector(".alert") || {}).textContent || ""`, &alert)
				if !strings.Contains(alert, "Action Completed Successfully") {
					t.Fatalf("%s: WHMCS says %q", what, alert)
				}
			}
			if err := pg.viewport(ctx, v.vp.w, v.vp.h, v.vp.mobile); err != nil {
				t.Fatal(err)
			}
			step("overview", pg.navigate(ctx, fmt.Sprintf("%s/clientarea.php?action=productdetails&id=%d", front.URL, v.id)))

			// Create a bucket: the client types the part after its prefix.
			step("type the bucket name", pg.typeInto(ctx, "#puqs3-bucket-name", "photos"))
			step("create the bucket", pg.clickAndWait(ctx, "#puqs3-newbucket button[type=submit]"))
			succeeded("create the bucket")
			if ok, err := root.BucketExists(ctx, bucket); err != nil || !ok {
				t.Fatalf("bucket %s was not made: %v", bucket, err)
			}
			if v.name == "phone" {
				shot("self-overview-phone.png")
			}

			// Create a read-only key for it and copy its secret from the page.
			step("open the keys page", pg.clickAndWait(ctx, ".puqs3-tab-keys"))
			step("type the label", pg.typeInto(ctx, "#puqs3-key-label", "Camera uploads"))
			step("scope", pg.click(ctx, `input[name="puqs3_buckets[]"][value="`+bucket+`"]`))
			step("read only", pg.click(ctx, `input[name="puqs3_readonly"][value="1"]`))
			step("create the key", pg.clickAndWait(ctx, "#puqs3-newkey button[type=submit]"))
			succeeded("create the key")
			access := copied(ctx, t, pg, "puqs3-newkey-access")
			secret := copied(ctx, t, pg, "puqs3-newkey-secret")
			secrets = append(secrets, secret)
			if !strings.HasPrefix(access, "PQM") || len(secret) != 40 {
				t.Fatalf("copied key %q and a %d-character secret", access, len(secret))
			}
			shot("self-keys-" + v.name + ".png")

			// s3cmd, with the key in its config file: it lists and reads the
			// bucket, and nothing else; it cannot write.
			if _, err := root.PutObject(ctx, bucket, "a.txt", strings.NewReader("hello"), 5, minio.PutObjectOptions{}); err != nil {
				t.Fatal(err)
			}
			tool := s3cmdAs(t, ms.Endpoint, access, secret)
			if out, ok := tool("get", "s3://"+bucket+"/a.txt", "-"); !ok || out != "hello" {
				t.Errorf("s3cmd with the key cannot read its bucket: %s", out)
			}
			if out, ok := tool("put", "-", "s3://"+bucket+"/b.txt"); ok {
				t.Errorf("s3cmd with the read-only key wrote: %s", out)
			}
			if out, ok := tool("ls", "s3://"+user+"-data"); ok {
				t.Errorf("s3cmd with the key lists another bucket: %s", out)
			}

			// Revoke it: two clicks.
			step("open revoke", pg.click(ctx, "#puqs3-key-"+access+" summary"))
			step("revoke", pg.clickAndWait(ctx, "#puqs3-key-"+access+" button[type=submit]"))
			succeeded("revoke")
			var listed bool
			_ = pg.eval(ctx, `!!document.getElementById("puqs3-key-`+access+`")`, &listed)
			if listed {
				t.Error("the revoked key is still listed")
			}
			if out, ok := tool("ls", "s3://"+bucket); ok {
				t.Errorf("s3cmd with the revoked key still works: %s", out)
			}

			// Versioning on, from the bucket's page.
			step("back to the overview", pg.clickAndWait(ctx, ".puqs3-tabs li:first-child a"))
			step("open the bucket", pg.clickAndWait(ctx, `a.puqs3-bucket-link[href$="puqs3bucket=`+bucket+`"]`))
			step("turn versioning on", pg.clickAndWait(ctx, "#puqs3-versioning button[type=submit]"))
			succeeded("versioning")
			if vc, err := root.GetBucketVersioning(ctx, bucket); err != nil || vc.Status != "Enabled" {
				t.Errorf("versioning of %s: %+v %v", bucket, vc, err)
			}
			var on bool
			_ = pg.eval(ctx, `!!document.querySelector("#puqs3-versioning .puqs3-state.puqs3-ok")`, &on)
			if !on {
				t.Error("the bucket page does not show versioning on")
			}
			shot("self-bucket-" + v.name + ".png")

			// Delete it: it holds an object, so its name is typed again.
			step("open delete", pg.click(ctx, "#puqs3-delete summary"))
			step("type the name", pg.typeInto(ctx, `#puqs3-delete input[name="puqs3_confirm"]`, bucket))
			step("delete", pg.clickAndWait(ctx, "#puqs3-delete button[type=submit]"))
			succeeded("delete")
			if ok, err := root.BucketExists(ctx, bucket); err != nil || ok {
				t.Errorf("bucket %s is still there: %v", bucket, err)
			}

			requests, problems := rec.take()
			for _, p := range problems {
				t.Errorf("%s", p)
			}
			for _, u := range requests {
				if !strings.HasPrefix(u, front.URL+"/") && !strings.HasPrefix(u, "data:") && !strings.HasPrefix(u, "about:") {
					t.Errorf("request leaves the machine: %s", u)
				}
			}
		})
	}
	logged, err := os.ReadFile(moduleLog)
	if err != nil || len(logged) == 0 {
		t.Fatalf("no Module Log recorded: %v", err)
	}
	for _, s := range append(secrets, ms.SecretKey) {
		if bytes.Contains(logged, []byte(s)) {
			t.Errorf("a secret is in the Module Log")
		}
	}
}

// runBridge runs one request through the bridge in process and decodes
// its result into out.
func runBridge(t *testing.T, req map[string]any, out any) {
	t.Helper()
	body, _ := json.Marshal(req)
	var buf bytes.Buffer
	bridge.Run(context.Background(), bytes.NewReader(body), &buf, wire.Env(slog.New(slog.NewTextHandler(io.Discard, nil))))
	var resp struct {
		OK     bool
		Result json.RawMessage
		Error  any
	}
	if err := json.Unmarshal(buf.Bytes(), &resp); err != nil || !resp.OK || json.Unmarshal(resp.Result, out) != nil {
		t.Fatalf("%s: %s", req["action"], buf.String())
	}
}

// puqminioBinary is $PUQMINIO_BIN, or cmd/puqminio built for the test.
func puqminioBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("PUQMINIO_BIN"); p != "" {
		return p
	}
	out := filepath.Join(t.TempDir(), "puqminio")
	cmd := exec.Command("go", "build", "-o", out, "./cmd/puqminio")
	cmd.Dir = filepath.Join("..", "..")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build puqminio: %v\n%s", err, b)
	}
	return out
}

// startPHP serves tests/browser/whmcs.php with PHP's built-in server and
// returns its address; the module runs bin against the store.
func startPHP(t *testing.T, cfgFile, bin, store string) string {
	t.Helper()
	port, err := testport.Free()
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command("php", "-S", addr, "whmcs.php")
	cmd.Env = append(os.Environ(), "PUQS3_BROWSER_CONFIG="+cfgFile, "PUQMINIO_BIN="+bin, "PUQMINIO_DB_PATH="+store)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("php -S said:\n%s", out.String())
		}
	})
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return addr
		}
		if time.Now().After(end) {
			t.Fatalf("php -S did not listen on %s: %s", addr, out.String())
		}
	}
}

// whmcsFront is the WHMCS-like site: the theme's stylesheet, and
// clientarea.php passed to PHP and its answer wrapped in the theme (a
// WHMCS alert for the custom function's result, then the module's page).
// lang gives each service's language code and direction.
func whmcsFront(t *testing.T, phpAddr string, lang map[string][2]string) http.Handler {
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch req.URL.Path {
		case "/whmcs.css":
			w.Header().Set("Content-Type", "text/css; charset=utf-8")
			fmt.Fprint(w, whmcsCSS)
			return
		case "/favicon.ico":
			w.WriteHeader(http.StatusNoContent)
			return
		case "/clientarea.php":
		default:
			http.NotFound(w, req)
			return
		}
		out, err := http.NewRequest(req.Method, "http://"+phpAddr+req.URL.RequestURI(), req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		for _, h := range []string{"Cookie", "Content-Type"} {
			out.Header[h] = req.Header[h]
		}
		resp, err := client.Do(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		var page struct {
			Alert *struct{ Kind, Text string }
			HTML  string
		}
		if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
			http.Error(w, "clientarea.php answered no JSON: "+err.Error(), http.StatusBadGateway)
			return
		}
		alert := ""
		if a := page.Alert; a != nil {
			alert = `<div class="alert alert-` + a.Kind + `">` + htmlEscape(a.Text) + `</div>`
		}
		l := lang[req.URL.Query().Get("id")]
		for _, c := range resp.Header["Set-Cookie"] {
			w.Header().Add("Set-Cookie", c)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'")
		fmt.Fprint(w, clientShell(l[0], l[1], alert+page.HTML))
	})
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;").Replace(s)
}

// s3cmdAs returns a runner of s3cmd with the key in a private config file
// (never on the command line); it answers the output and whether s3cmd
// succeeded. "-" as a local file puts stdin ("x").
func s3cmdAs(t *testing.T, endpoint, access, secret string) func(args ...string) (string, bool) {
	cfg := filepath.Join(t.TempDir(), "s3cfg")
	body := fmt.Sprintf("[default]\nhost_base = %s\nhost_bucket = %s\nuse_https = False\nsignature_v2 = False\naccess_key = %s\nsecret_key = %s\n",
		endpoint, endpoint, access, secret)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return func(args ...string) (string, bool) {
		cmd := exec.Command("s3cmd", append([]string{"-c", cfg, "--no-progress", "--no-check-md5"}, args...)...)
		cmd.Stdin = strings.NewReader("x")
		out, err := cmd.CombinedOutput()
		return string(out), err == nil
	}
}

// copied presses the copy button of the value with id and returns what
// the clipboard then holds.
func copied(ctx context.Context, t *testing.T, pg *page, id string) string {
	t.Helper()
	if err := pg.eval(ctx, `navigator.clipboard.writeText("puqs3-sentinel")`, nil); err != nil {
		t.Fatal(err)
	}
	btn := "[data-puqs3-copy=" + id + "]"
	if err := pg.click(ctx, btn); err != nil {
		t.Fatal(err)
	}
	sel := jsString(btn)
	if err := pg.waitFor(ctx, `(() => { const b = document.querySelector(`+sel+`);
		return b.querySelector(".puqs3-btn-label").textContent === b.getAttribute("data-puqs3-done"); })()`, 5*time.Second); err != nil {
		t.Fatalf("copy %s: %v", id, err)
	}
	var got string
	if err := pg.eval(ctx, `navigator.clipboard.readText()`, &got); err != nil {
		t.Fatal(err)
	}
	if got == "puqs3-sentinel" {
		t.Fatalf("copy %s: the clipboard was not written", id)
	}
	return got
}
