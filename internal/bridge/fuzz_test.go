package bridge

// Fuzz targets of the bridge: the decoder on its own, and every action run
// in full (Run: decode, checks, MinIO calls, response) against a real MinIO
// behind a recording reverse proxy. Invariants for every input:
//
//   - no panic;
//   - stdout holds one JSON object: ok with a result, or an error whose code
//     is a domain code and whose message is short and holds no Go stack
//     trace (unless the input itself held those words, echoed back);
//   - the exit status matches the code (docs/bridge.md);
//   - the server's secret key is never in the response;
//   - a request refused as bad input (exit status 1) sent no changing
//     request (anything but GET and HEAD) to MinIO.
//
// `go test` runs the seeds (f.Add and testdata/fuzz/<Target>/); scripts/
// soak-fuzz.sh fuzzes each target in turn (`make soak`).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/puqminios3/puqminio/internal/account"
	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/minioadmin"
	"github.com/puqminios3/puqminio/internal/s3"
	"github.com/puqminios3/puqminio/internal/sqlite"
	"github.com/puqminios3/puqminio/internal/testminio"
	"github.com/puqminios3/puqminio/internal/testport"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if theWorld != nil {
		theWorld.close()
	}
	os.Exit(code)
}

// world is the MinIO the fuzz targets and bad-input tests share, started
// once per process on first use.
type world struct {
	dir      string
	srv      *testminio.Server
	proxy    *httptest.Server
	endpoint string // the proxy's host:port: what requests name
	store    string // the usage database requests name
	rec      *recorder
	direct   *account.Manager // straight to MinIO, for fixtures and cleanup
	db       *sqlite.DB
	fixture  domain.ServiceRef // an existing account (service 1, client 1)
}

var (
	worldOnce sync.Once
	theWorld  *world
	worldErr  error
)

// Fixed service ids: the fixture, and the service fuzzed creates use.
const (
	fixtureServiceID = 1
	createServiceID  = 900
	createClientID   = 9
)

func getWorld(t testing.TB) *world {
	t.Helper()
	worldOnce.Do(func() { theWorld, worldErr = startWorld() })
	if worldErr != nil {
		t.Fatalf("cannot start the shared MinIO: %v", worldErr)
	}
	return theWorld
}

// worldDirPrefix names the shared server's directory: the prefix, then the
// process id, so that a later run can remove what a fuzz worker left when
// it was stopped before its TestMain could clean up.
const worldDirPrefix = "puqminio-bridge-fuzz-"

func removeStaleWorlds() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), worldDirPrefix+"*"))
	for _, d := range dirs {
		pidText, _, _ := strings.Cut(strings.TrimPrefix(filepath.Base(d), worldDirPrefix), "-")
		pid, err := strconv.Atoi(pidText)
		if err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		if errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
			os.RemoveAll(d)
		}
	}
}

func startWorld() (*world, error) {
	removeStaleWorlds()
	dir, err := os.MkdirTemp("", worldDirPrefix+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		return nil, err
	}
	w := &world{dir: dir, rec: &recorder{}, store: filepath.Join(dir, "usage.db")}
	if w.srv, err = testminio.Launch(dir, testminio.Options{}); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	target, _ := url.Parse("http://" + w.srv.Endpoint)
	rp := httputil.NewSingleHostReverseProxy(target)
	w.proxy = httptest.NewUnstartedServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.rec.add(r)
		rp.ServeHTTP(rw, r)
	}))
	ln, _, err := testport.Listen()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	w.proxy.Listener.Close()
	w.proxy.Listener = ln
	w.proxy.Start()
	w.endpoint = strings.TrimPrefix(w.proxy.URL, "http://")
	admin, err := minioadmin.New(minioadmin.Config{Endpoint: w.srv.Endpoint, AccessKey: w.srv.AccessKey, SecretKey: w.srv.SecretKey})
	if err != nil {
		w.close()
		return nil, err
	}
	sc, err := s3.New(s3.Config{Endpoint: w.srv.Endpoint, AccessKey: w.srv.AccessKey, SecretKey: w.srv.SecretKey})
	if err != nil {
		w.close()
		return nil, err
	}
	if w.db, err = sqlite.Open(w.store); err != nil {
		w.close()
		return nil, err
	}
	w.direct = &account.Manager{Admin: admin, S3: sc, Store: w.db, ServerID: 1}
	w.fixture = domain.ServiceRef{ID: fixtureServiceID, ClientID: 1}
	if err := w.ensureFixture(); err != nil {
		w.close()
		return nil, err
	}
	return w, nil
}

func (w *world) close() {
	if w.proxy != nil {
		w.proxy.Close()
	}
	if w.db != nil {
		w.db.Close()
	}
	if w.srv != nil {
		w.srv.Stop()
	}
	os.RemoveAll(w.dir)
}

func (w *world) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 2*time.Minute)
}

// ensureFixture (re)creates the fixture account "1-1" with its bucket when
// it is missing, as after a fuzzed terminate.
func (w *world) ensureFixture() error {
	ctx, cancel := w.ctx()
	defer cancel()
	if _, err := w.direct.Admin.UserInfo(ctx, "1-1"); err == nil {
		w.fixture.Username = "1-1"
		return nil
	}
	created, err := w.direct.Create(ctx, domain.ServiceRef{ID: fixtureServiceID, ClientID: 1}, domain.Product{DefaultBucket: true})
	if err != nil {
		return fmt.Errorf("create the fixture account: %w", err)
	}
	w.fixture.Username, w.fixture.Password = created.Username, created.Password
	return nil
}

// cleanup undoes what a fuzzed input may have left that would pile up: the
// account of service createServiceID, groups, and a terminated fixture.
func (w *world) cleanup(t testing.TB, action string, serviceID int64, o outcome) {
	t.Helper()
	ctx, cancel := w.ctx()
	defer cancel()
	if action == "account.create" {
		if rec, found, err := w.db.Account(ctx, 1, serviceID); err == nil && found && rec.Username != "" {
			if _, err := w.direct.Terminate(ctx, domain.ServiceRef{ID: serviceID, Username: rec.Username}); err != nil {
				t.Logf("cleanup of %s: %v", rec.Username, err)
			}
		}
		var created domain.Created
		if o.resp.OK && json.Unmarshal(o.resp.Result, &created) == nil && created.Group != "" {
			_ = w.direct.Admin.RemoveGroupMembers(ctx, created.Group)
		}
	}
	if action == "account.package" && o.resp.OK {
		var res struct{ Group string }
		if json.Unmarshal(o.resp.Result, &res) == nil && res.Group != "" {
			_ = w.direct.Admin.RemoveGroupMembers(ctx, res.Group, w.fixture.Username)
			_ = w.direct.Admin.RemoveGroupMembers(ctx, res.Group)
		}
		// Forget the group, so the next package does not try to leave it.
		if rec, found, err := w.db.Account(ctx, 1, fixtureServiceID); err == nil && found && rec.Group != "" {
			rec.Group = ""
			_ = w.db.SaveAccounts(ctx, []domain.Account{rec})
		}
	}
	if action == "account.terminate" && o.resp.OK {
		if err := w.ensureFixture(); err != nil {
			t.Fatalf("%v", err)
		}
	}
	// What the self-service actions made, so buckets and keys do not pile
	// up on the fixture (and its maximums are not reached).
	if action == "bucket.create" && o.resp.OK {
		var made account.BucketMade
		if json.Unmarshal(o.resp.Result, &made) == nil && made.Bucket != "" {
			_, _ = w.direct.DeleteBucket(ctx, w.fixture, domain.Product{}, made.Bucket, made.Bucket, account.ByAdmin)
		}
	}
	if action == "bucket.public" && o.resp.OK {
		var set account.PublicSet
		if json.Unmarshal(o.resp.Result, &set) == nil && set.Public {
			_, _ = w.direct.SetPublicRead(ctx, w.fixture, domain.Product{}, set.Bucket, false, "", account.ByAdmin)
		}
	}
	if action == "key.create" && o.resp.OK {
		var made account.KeyMade
		if json.Unmarshal(o.resp.Result, &made) == nil && made.AccessKey != "" {
			_ = w.direct.RevokeKey(ctx, w.fixture, domain.Product{}, made.AccessKey, account.ByAdmin)
		}
	}
}

// recorder logs every request the proxy passes to MinIO.
type recorder struct {
	mu    sync.Mutex
	calls []string
}

func (r *recorder) add(req *http.Request) {
	r.mu.Lock()
	r.calls = append(r.calls, req.Method+" "+req.URL.Path)
	r.mu.Unlock()
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.calls
	r.calls = nil
	return out
}

// changing returns the calls that may change something on MinIO: every
// method but GET and HEAD (the admin API changes state only with PUT, POST
// and DELETE).
func changing(calls []string) []string {
	var out []string
	for _, c := range calls {
		if !strings.HasPrefix(c, "GET ") && !strings.HasPrefix(c, "HEAD ") {
			out = append(out, c)
		}
	}
	return out
}

// outcome is one Run seen from outside.
type outcome struct {
	raw    []byte
	resp   rpcResp
	status int
	calls  []string
}

// placeholders lets seeds name the shared server without knowing its port.
func (w *world) fill(body []byte) []byte {
	r := strings.NewReplacer("@ENDPOINT@", w.endpoint, "@ACCESS@", w.srv.AccessKey, "@SECRET@", w.srv.SecretKey,
		"@STORE@", w.store, "@USER@", w.fixture.Username)
	return []byte(r.Replace(string(body)))
}

// run runs one request through Run and records what MinIO saw.
func (w *world) run(ctx context.Context, body []byte) outcome {
	w.rec.take()
	var out bytes.Buffer
	status := Run(ctx, bytes.NewReader(body), &out, testEnv())
	o := outcome{raw: out.Bytes(), status: status, calls: w.rec.take()}
	_ = json.Unmarshal(o.raw, &o.resp)
	return o
}

var knownCodes = map[string]bool{
	domain.EINVALIDJSON: true, domain.EVERSION: true, domain.EUNKNOWN: true, domain.EMISSING: true,
	domain.EINVALID: true, domain.ETOOLARGE: true, domain.EINVALIDNAME: true, domain.EINVALIDPOL: true,
	domain.ECONFLICT: true, domain.ENOTFOUND: true, domain.ERETENTION: true, domain.EUNAUTHORIZED: true,
	domain.EUNAVAILABLE: true, domain.ETIMEOUT: true, domain.ETLS: true, domain.EREMOTE: true,
	domain.ESTORE: true, domain.EINTERNAL: true, domain.ELIMIT: true, domain.ENOTALLOWED: true, domain.ENOTEMPTY: true,
	domain.EUNSUPPORTED: true,
}

// traceMarks are what a Go panic or stack trace leaves in text.
var traceMarks = []string{"goroutine ", ".go:", "panic", "runtime error", "runtime.", "[signal "}

// maxMessage bounds an error message: inputs are echoed only shortened.
const maxMessage = 2048

// checkOutcome asserts the invariants every response keeps.
func checkOutcome(t testing.TB, input []byte, o outcome) {
	t.Helper()
	var strict struct {
		OK     *bool           `json:"ok"`
		Result json.RawMessage `json:"result"`
		Error  *ErrorBody      `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(o.raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&strict); err != nil || strict.OK == nil {
		t.Fatalf("the response is not one JSON object with ok (%v): %.500q", err, o.raw)
	}
	if dec.More() || !bytes.HasSuffix(o.raw, []byte("\n")) || bytes.Count(o.raw, []byte("\n")) != 1 {
		t.Fatalf("the response is not one line: %.500q", o.raw)
	}
	// The secret key, given as server.secretKey only, is never echoed. (The
	// fuzzer also moves it elsewhere, as a field name for example, where an
	// echo is no leak of the server's secret.)
	secret := []byte(testminio.RootPassword)
	if bytes.Count(input, secret) == 1 && bytes.Contains(input, []byte(`"secretKey":"`+testminio.RootPassword+`"`)) &&
		bytes.Contains(o.raw, secret) {
		t.Fatalf("the response holds the server's secret key: %.500q", o.raw)
	}
	if *strict.OK {
		if strict.Error != nil || o.status != ExitOK || len(strict.Result) == 0 {
			t.Fatalf("ok response with error %+v, status %d, result %.100q", strict.Error, o.status, strict.Result)
		}
		return
	}
	e := strict.Error
	if e == nil || strict.Result != nil {
		t.Fatalf("failed response without an error or with a result: %.500q", o.raw)
	}
	if !knownCodes[e.Code] {
		t.Fatalf("unknown error code %q: %.500q", e.Code, o.raw)
	}
	if e.Code == domain.EINTERNAL {
		t.Fatalf("internal error (a bug) for input %.300q: %s", input, e.Message)
	}
	if e.Message == "" || len(e.Message) > maxMessage {
		t.Fatalf("error message empty or %d bytes long: %.300q", len(e.Message), e.Message)
	}
	for _, m := range traceMarks {
		if strings.Contains(e.Message, m) && !bytes.Contains(input, []byte(m)) {
			t.Fatalf("error message holds %q: %s", m, e.Message)
		}
	}
	want := ExitFailed
	if rejected[e.Code] {
		want = ExitRejected
	}
	if o.status != want {
		t.Fatalf("exit status %d for code %s, want %d", o.status, e.Code, want)
	}
	if o.status == ExitRejected {
		if ch := changing(o.calls); len(ch) > 0 {
			t.Fatalf("refused with %s (%s) but MinIO was sent %v", e.Code, e.Message, ch)
		}
	}
}

// quote writes s as a JSON string, keeping invalid UTF-8 bytes as they are
// (json.Marshal would replace them), so the decoder meets them raw.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20:
			fmt.Fprintf(&b, `\u%04x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// num writes a float as JSON; NaN and infinities, which JSON lacks, become
// numbers too large for a float64.
func num(f float64) string {
	s := strconv.FormatFloat(f, 'g', -1, 64)
	switch s {
	case "NaN":
		return "1e999"
	case "+Inf":
		return "1e999"
	case "-Inf":
		return "-1e999"
	}
	return s
}

func (w *world) serverJSON() string {
	return `{"id":1,"endpoint":"` + w.endpoint + `","accessKey":"` + w.srv.AccessKey + `","secretKey":"` + w.srv.SecretKey + `"}`
}

func (w *world) storeJSON() string { return `{"path":` + quote(w.store) + `}` }

func (w *world) fixtureJSON() string {
	return `{"id":1,"clientId":1,"username":"` + w.fixture.Username + `","password":"fixture-password-1"}`
}

// pick chooses an action from list by a fuzzed byte.
func pick(list []string, n uint8) string { return list[int(n)%len(list)] }

// FuzzDecode feeds arbitrary bytes to the request decoder: it never panics,
// errors are domain errors with short messages, and whatever it accepts has
// a version and an action and passes the checks without a panic.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"v":1,"action":"server.check","server":{"endpoint":"h:1","accessKey":"a","secretKey":"s"}}`))
	f.Add([]byte(`{"v":1,"action":"account.create","service":{"id":1,"clientId":2},"product":{"diskSpace":1.5,"unit":"GB"}}`))
	f.Add([]byte(`{"v":1,"action":"usage.update","params":{"services":[{"id":1,"username":"a-b"}]}}`))
	f.Add([]byte(`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[`))
	f.Add([]byte("{\"v\":1,\"action\":\"\u0000\"}"))
	f.Add([]byte(`{"v":1,"v":1,"action":"server.check"}`))
	f.Add([]byte(`{"v":1,"Action":"server.check"}`))
	f.Add([]byte(`{"v":1,"action":"server.check","server":null}`))
	f.Add([]byte(`{"v":1e999999,"action":"server.check"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		// The strict walk meets only valid JSON in the bridge; on any
		// bytes it must still end without a panic.
		_ = checkStrict(data, reflect.TypeFor[Request](), "")
		req, err := DecodeBytes(data)
		if err != nil {
			code := domain.ErrorCode(err)
			if !rejected[code] {
				t.Fatalf("decode error %q is not a refusal code: %v", code, err)
			}
			if msg := domain.ErrorMessage(err); msg == "" || len(msg) > maxMessage {
				t.Fatalf("decode message empty or %d bytes", len(msg))
			}
			return
		}
		if req.V != Version || req.Action == "" {
			t.Fatalf("accepted %q", data)
		}
		if _, ok := actions[req.Action]; ok {
			// Checks before any network call must not panic either.
			if req.Server != nil {
				_ = req.Server.check()
			}
			if req.Store != nil {
				_ = req.Store.check()
			}
			_ = checkService(req.Service, req.Action)
			if req.Service != nil {
				_ = domain.ValidateExistingUsername(req.Service.Username)
				_ = domain.ValidatePassword(req.Service.Password)
			}
			if req.Product != nil {
				_ = req.Product.Normalize()
			}
		}
	})
}

// FuzzRequest runs whole requests, bytes as the fuzzer makes them, through
// Run. Seeds name the shared server by placeholders (@ENDPOINT@, @ACCESS@,
// @SECRET@, @STORE@, @USER@). A request naming another endpoint runs with
// a cancelled context, so it is checked in full but dials nothing; one
// naming another database file is only decoded, so the fuzzer creates no
// files outside the test's directory.
func FuzzRequest(f *testing.F) {
	for _, s := range requestSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		w := getWorld(t)
		body := w.fill(data)
		ctx, cancel := w.ctx()
		defer cancel()
		action, serviceID := "", int64(0)
		if req, err := DecodeBytes(body); err == nil {
			action = req.Action
			if req.Service != nil {
				serviceID = req.Service.ID
			}
			if req.Store != nil && req.Store.Path != w.store {
				return
			}
			if req.Server == nil || req.Server.Endpoint != w.endpoint {
				cancel()
			}
		}
		o := w.run(ctx, body)
		checkOutcome(t, body, o)
		w.cleanup(t, action, serviceID, o)
	})
}

var serverActions = []string{"server.check", "account.list"}

// FuzzServer fuzzes the server object's fields (the endpoint stays the
// proxy's, so nothing else is dialled).
func FuzzServer(f *testing.F) {
	f.Add(uint8(0), int64(1), "@ACCESS@", "@SECRET@", "", "", false, 30)
	f.Add(uint8(1), int64(1), "@ACCESS@", "@SECRET@", "us-east-1", "", false, 0)
	f.Add(uint8(0), int64(-1), "admin\r\nX-Evil: 1", "secret\x00", "", "", false, 30)
	f.Add(uint8(1), int64(0), "@ACCESS@", "wrong-secret", "eu\u202ewest", "", false, 601)
	f.Add(uint8(0), int64(1), "@ACCESS@", "@SECRET@", "", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----", true, 1)
	f.Add(uint8(0), int64(1), "\xff\xfe", "@SECRET@", "\u200d", "", true, -5)
	f.Fuzz(func(t *testing.T, act uint8, id int64, accessKey, secretKey, region, caPem string, secure bool, timeout int) {
		w := getWorld(t)
		action := pick(serverActions, act)
		body := fmt.Sprintf(`{"v":1,"action":%q,"server":{"id":%d,"endpoint":%q,"secure":%t,"accessKey":%s,"secretKey":%s,"caPem":%s,"region":%s,"timeoutSeconds":%d}}`,
			action, id, w.endpoint, secure, quote(accessKey), quote(secretKey), quote(caPem), quote(region), timeout)
		in := w.fill([]byte(body))
		ctx, cancel := w.ctx()
		defer cancel()
		o := w.run(ctx, in)
		checkOutcome(t, in, o)
	})
}

var serviceActions = []string{"account.suspend", "account.unsuspend", "account.terminate", "account.password",
	"account.info", "account.package", "policy.apply", "usage.recalculate", "render.client", "render.admin"}

// FuzzService fuzzes the service object's fields under every action about
// one service, on the fixture account when the username is @USER@.
func FuzzService(f *testing.F) {
	f.Add(uint8(0), int64(1), int64(1), "@USER@", "", "Active", "english")
	f.Add(uint8(1), int64(1), int64(1), "@USER@", "", "Suspended", "german")
	f.Add(uint8(3), int64(1), int64(1), "@USER@", "new-Password-123", "Active", "english")
	f.Add(uint8(3), int64(1), int64(1), "@USER@", "short", "", "")
	f.Add(uint8(3), int64(1), int64(1), "@USER@", "pässwörd-ünïcode", "", "")
	f.Add(uint8(4), int64(1), int64(1), "@USER@\u200d", "", "", "")
	f.Add(uint8(5), int64(-1), int64(-1), "12-34", "", "", "")
	f.Add(uint8(6), int64(1), int64(1), "\u202e43-21", "", "", "../../etc/passwd")
	f.Add(uint8(7), int64(1), int64(1), "a", "", "", "")
	f.Add(uint8(8), int64(1), int64(1), "@USER@", "<script>", "\x00", "english\x00")
	f.Add(uint8(9), int64(9223372036854775807), int64(0), "", "", "", "")
	f.Add(uint8(2), int64(1), int64(1), "nobody-here", "", "", "")
	f.Add(uint8(0), int64(1), int64(1), "1-1\xff", "", "", "")
	f.Add(uint8(4), int64(1), int64(1), "😀😀😀", "", "", "")
	f.Fuzz(func(t *testing.T, act uint8, id, clientID int64, username, password, status, lang string) {
		w := getWorld(t)
		action := pick(serviceActions, act)
		params := ""
		if action == "policy.apply" {
			params = `,"params":{"mode":"auto"}`
		}
		body := fmt.Sprintf(`{"v":1,"action":%q,"server":%s,"store":%s,"service":{"id":%d,"clientId":%d,"username":%s,"password":%s,"status":%s,"lang":%s},"product":{}%s}`,
			action, w.serverJSON(), w.storeJSON(), id, clientID, quote(username), quote(password), quote(status), quote(lang), params)
		in := w.fill([]byte(body))
		ctx, cancel := w.ctx()
		defer cancel()
		o := w.run(ctx, in)
		checkOutcome(t, in, o)
		w.cleanup(t, action, createServiceID, o)
	})
}

var productActions = []string{"account.create", "account.package", "policy.apply", "usage.recalculate", "render.client", "account.info"}

// FuzzProduct fuzzes the product's settings under every action that reads
// them. Creates use service 900 and are terminated after each input.
func FuzzProduct(f *testing.F) {
	add := func(act uint8, unit string, disk float64, warn, history, interval int, group, policy, limitPolicy, suffix, userRule, pwRule, display, mode, url, public string, bucket, foreign bool) {
		f.Add(act, unit, disk, warn, history, interval, group, policy, limitPolicy, suffix, userRule, pwRule, display, mode, url, public, bucket, foreign)
	}
	add(0, "GB", 10, 90, 365, 60, "", "", "", "data", "", "", "", "", "", "", true, false)
	add(0, "mb", 0.5, 0, 0, 0, "gold", "", "", "", "fz-{service_id}", "", "show", "exact", "https://example.com/help", "s3.example.com:443", false, false)
	add(0, "GB", 1, 90, 365, 60, "", "", "", strings.Repeat("x", 40), "", "", "", "", "", "", true, false)
	add(0, "GB", 1, 90, 365, 60, "", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":["arn:aws:s3:::*"]}]}`, "", "", "", "", "", "", "", "", false, false)
	add(0, "GB", 1, 90, 365, 60, "", `{"Version":"2012-10-17","Statement":[]}`, "", "", "{random_letter_41}", "", "", "", "", "", false, false)
	add(0, "GB", 1, 90, 365, 60, "", "", `not json`, "", "{client_id}", "4:abc", "", "", "javascript:alert(1)", "", false, true)
	add(1, "GB", 1e308, 90, 365, 60, "g\u200d", "", "", "", "", "", "", "", "", "", false, false)
	add(1, "TB", 1, 101, 3661, 4, "ok-group", "", "", "", "", "", "", "", "", "", false, false)
	add(2, "PB", 8191, -1, -1, 1441, "", "", "", "", "", "", "hide", "scanner", "", "", false, false)
	add(3, "GB", 0.000001, 1, 1, 5, "", "", "", "", "", "", "", "exact", "", "", false, false)
	add(4, "GB", 1, 90, 365, 60, "", "", "", "", "", "", "button", "", "http://[::1", "\u202eevil", false, false)
	add(5, "XB", -1, 0, 0, 0, "", "", "", "Data", "", "", "", "", "", "", false, false)
	f.Fuzz(func(t *testing.T, act uint8, unit string, disk float64, warn, history, interval int, group, policy, limitPolicy, suffix, userRule, pwRule, display, mode, instructionURL, public string, bucket, foreign bool) {
		w := getWorld(t)
		action := pick(productActions, act)
		product := fmt.Sprintf(`{"unit":%s,"diskSpace":%s,"warnPercent":%d,"historyDays":%d,"checkIntervalMinutes":%d,"group":%s,"policy":%s,"limitPolicy":%s,"bucketSuffix":%s,"usernameRule":%s,"passwordRule":%s,"passwordDisplay":%s,"usageMode":%s,"instructionUrl":%s,"publicEndpoint":%s,"defaultBucket":%t,"allowForeignResources":%t}`,
			quote(unit), num(disk), warn, history, interval, quote(group), quote(policy), quote(limitPolicy), quote(suffix), quote(userRule), quote(pwRule), quote(display), quote(mode), quote(instructionURL), quote(public), bucket, foreign)
		service := w.fixtureJSON()
		if action == "account.create" {
			service = fmt.Sprintf(`{"id":%d,"clientId":%d}`, createServiceID, createClientID)
		}
		params := ""
		if action == "policy.apply" {
			params = `,"params":{"mode":"auto"}`
		}
		body := fmt.Sprintf(`{"v":1,"action":%q,"server":%s,"store":%s,"service":%s,"product":%s%s}`, action, w.serverJSON(), w.storeJSON(), service, product, params)
		in := []byte(body)
		ctx, cancel := w.ctx()
		defer cancel()
		o := w.run(ctx, in)
		checkOutcome(t, in, o)
		w.cleanup(t, action, createServiceID, o)
	})
}

var paramsActions = []string{"policy.apply", "usage.update", "usage.notified", "usage.metrics", "render.client", "render.admin",
	"bucket.create", "bucket.delete", "bucket.versioning", "bucket.lifecycle", "bucket.public", "key.create", "key.revoke"}

// FuzzParams fuzzes the params object, as raw bytes, of every action that
// takes one.
func FuzzParams(f *testing.F) {
	f.Add(uint8(0), []byte(`{"mode":"limited"}`))
	f.Add(uint8(0), []byte(`{"mode":"standard"}`))
	f.Add(uint8(0), []byte(`{"mode":"auto","mode":"limited"}`))
	f.Add(uint8(0), []byte(`{"Mode":"limited"}`))
	f.Add(uint8(1), []byte(`{"services":[{"id":1,"clientId":1,"username":"@USER@","status":"Active","product":{"diskSpace":1}}],"mode":"scanner"}`))
	f.Add(uint8(1), []byte(`{"services":[{"id":1,"clientId":1,"username":"@USER@","product":{"diskSpace":1,"usageMode":"exact"}},{"id":2,"username":"bad name","product":{}}],"mode":"exact"}`))
	f.Add(uint8(1), []byte(`{"services":[{"id":1,"username":"@USER@","product":{"policy":"{}"}},{"id":1,"username":"@USER@","product":{}}]}`))
	f.Add(uint8(1), []byte(`{"services":null}`))
	f.Add(uint8(1), []byte(`{"services":[{}],"mode":"fast"}`))
	f.Add(uint8(2), []byte(`{"notices":[{"serviceId":1,"kind":"warn"},{"serviceId":1,"kind":"limit"}]}`))
	f.Add(uint8(2), []byte(`{"notices":[{"serviceId":-1,"kind":"warn"}]}`))
	f.Add(uint8(3), []byte(`{"services":[{"id":1,"username":"@USER@"},{"id":99999,"username":"\u202e"}]}`))
	f.Add(uint8(4), []byte(`{"page":"stats","recalculateUrl":"https://x/?a=1&b=2","csrf":"t","statsUrl":"/s","overviewUrl":"/o"}`))
	f.Add(uint8(4), []byte(`{"page":"../../etc/passwd"}`))
	f.Add(uint8(5), []byte(`{"overridesDir":"/nonexistent\u0000dir"}`))
	f.Add(uint8(5), []byte(`null`))
	f.Add(uint8(5), []byte(`[]`))
	f.Add(uint8(6), []byte(`{"initiator":"client","name":"fz-\u0000"}`))
	f.Add(uint8(7), []byte(`{"initiator":"admin","bucket":"1-10-data","confirm":"1-10-data"}`))
	f.Add(uint8(8), []byte(`{"initiator":"client","bucket":"@USER@-data","enabled":null}`))
	f.Add(uint8(9), []byte(`{"initiator":"client","bucket":"@USER@-data","expireDays":1,"noncurrentDays":-1,"confirm":true}`))
	f.Add(uint8(10), []byte(`{"initiator":"client","bucket":"@USER@-data","public":true,"prefix":"${aws:username}"}`))
	f.Add(uint8(11), []byte(`{"initiator":"client","label":"\u202e","buckets":["@USER@-data","@USER@-data"],"expires":"2026-13-01"}`))
	f.Add(uint8(12), []byte(`{"initiator":"client","accessKey":"@USER@"}`))
	f.Fuzz(func(t *testing.T, act uint8, params []byte) {
		w := getWorld(t)
		action := pick(paramsActions, act)
		body := []byte(fmt.Sprintf(`{"v":1,"action":%q,"server":%s,"store":%s,"service":%s,"product":{},"params":`, action, w.serverJSON(), w.storeJSON(), w.fixtureJSON()))
		body = append(body, w.fill(params)...)
		body = append(body, '}')
		ctx, cancel := w.ctx()
		defer cancel()
		o := w.run(ctx, body)
		checkOutcome(t, body, o)
		w.cleanup(t, action, fixtureServiceID, o)
	})
}
