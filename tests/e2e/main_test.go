package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/puqminios3/puqminio/cmd/puqminio/wire"
	"github.com/puqminios3/puqminio/internal/bridge"
	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/minioadmin"
	"github.com/puqminios3/puqminio/internal/testminio"
)

// fx is the one environment the package's tests share.
var fx *fixture

// fixture is the MinIO server, the WHMCS-side admin credentials the bridge
// uses, the built binary and everything recorded for the secret scan.
type fixture struct {
	srv   *testminio.Server
	root  *minioadmin.Client
	dir   string
	bin   string
	store string

	// adminKey and adminSecret are the server credentials WHMCS holds: a
	// consoleAdmin user with a random secret made for this run, so that a
	// leak cannot hide behind a constant.
	adminKey, adminSecret string

	secrets *secretBook
	logs    *logBook
	answers *answerBook
	allowed []allowedSecret // guarded by answers.mu
	procs   *sampler
	soak    bool

	binaryRuns atomic.Int64 // `puqminio rpc` processes started
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "puqminio-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	f := &fixture{dir: dir, store: filepath.Join(dir, "store", "usage.db"),
		secrets: newSecretBook(), logs: &logBook{}, answers: &answerBook{},
		soak: os.Getenv("PUQMINIO_SOAK") != ""}
	// The sampler runs from before the first process starts to the end.
	f.procs = startSampler(4 * time.Millisecond)
	defer f.procs.stop()

	f.srv, err = testminio.Launch(dir, testminio.Options{})
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e tests need MinIO: %v\n", err)
		return 1
	}
	defer f.srv.Stop()
	f.secrets.add(f.srv.SecretKey, "root")

	if f.bin, err = buildBinary(f); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := f.makeAdmin(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fx = f
	code := m.Run()
	// MinIO's own log is scanned too, though it is not ours to fix.
	f.logs.addText("minio", f.srv.Log())
	return code
}

// buildBinary returns $PUQMINIO_BIN or builds cmd/puqminio once.
func buildBinary(f *fixture) (string, error) {
	if p := os.Getenv("PUQMINIO_BIN"); p != "" {
		abs, err := filepath.Abs(p)
		if err != nil {
			return "", err
		}
		if _, err := os.Stat(abs); err != nil {
			return "", fmt.Errorf("PUQMINIO_BIN=%s: %w", p, err)
		}
		return abs, nil
	}
	out := filepath.Join(f.dir, "puqminio")
	cmd := exec.Command("go", "build", "-o", out, "./cmd/puqminio")
	cmd.Dir = filepath.Join("..", "..")
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := f.procs.run(cmd); err != nil {
		return "", fmt.Errorf("go build ./cmd/puqminio: %v\n%s", err, log.String())
	}
	return out, nil
}

// makeAdmin creates the consoleAdmin user the bridge acts as.
func (f *fixture) makeAdmin() error {
	var err error
	f.root, err = minioadmin.New(minioadmin.Config{Endpoint: f.srv.Endpoint, AccessKey: f.srv.AccessKey, SecretKey: f.srv.SecretKey})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	f.adminKey = "whmcs-" + strings.ToLower(domain.RandomString(8, alnum))
	f.adminSecret = "Adm" + domain.RandomString(37, alnum)
	f.secrets.add(f.adminSecret, "admin")
	if err := f.root.AddUser(ctx, f.adminKey, f.adminSecret, true); err != nil {
		return fmt.Errorf("create the WHMCS admin user: %w", err)
	}
	if err := f.root.AttachPolicy(ctx, f.adminKey, "consoleAdmin"); err != nil {
		return fmt.Errorf("attach consoleAdmin: %w", err)
	}
	return nil
}

// alnum is the alphabet of the test's own secrets: characters no HTML, JSON
// or shell quoting changes, so a plain substring search finds every copy.
const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// server is the envelope's server object with the WHMCS admin credentials.
func (f *fixture) server() *bridge.Server {
	return &bridge.Server{ID: 1, Endpoint: f.srv.Endpoint, AccessKey: f.adminKey, SecretKey: f.adminSecret, TimeoutSeconds: 120}
}

// answer is one bridge response.
type answer struct {
	Action string
	Tag    string // what the answer is about, for messages
	Raw    []byte
	Code   int // exit status
	OK     bool
	Result json.RawMessage
	Error  *bridge.ErrorBody
}

// rpc runs one request, in process (bridge.Run, with its slog going into
// the log book) or through the binary (stderr into the log book), and
// records the answer for the scan.
func (f *fixture) rpc(t testing.TB, tag string, req *bridge.Request, binary bool) answer {
	t.Helper()
	req.V = bridge.Version
	body, err := json.Marshal(req)
	if err != nil {
		panic(err) // a Request always marshals
	}
	var out bytes.Buffer
	code := 0
	if binary {
		f.binaryRuns.Add(1)
		cmd := exec.Command(f.bin, "rpc")
		cmd.Env = append(os.Environ(), "PUQMINIO_DEBUG=1")
		cmd.Stdin = bytes.NewReader(body)
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &stderr
		err := f.procs.run(cmd)
		f.logs.addText("binary "+req.Action, stderr.String())
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Errorf("%s: run %s rpc: %v", tag, f.bin, err)
		}
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		log := slog.New(slog.NewJSONHandler(f.logs.writer("bridge "+req.Action), &slog.HandlerOptions{Level: slog.LevelDebug}))
		code = bridge.Run(ctx, bytes.NewReader(body), &out, wire.Env(log))
	}
	a := answer{Action: req.Action, Tag: tag, Raw: bytes.Clone(out.Bytes()), Code: code}
	var resp struct {
		OK     bool              `json:"ok"`
		Result json.RawMessage   `json:"result"`
		Error  *bridge.ErrorBody `json:"error"`
	}
	if err := json.Unmarshal(a.Raw, &resp); err != nil {
		t.Errorf("%s: %s answered no JSON (exit %d): %q", tag, req.Action, code, a.Raw)
		a.Error = &bridge.ErrorBody{Code: "no_json", Message: string(a.Raw)}
		f.answers.add(a)
		return a
	}
	a.OK, a.Result, a.Error = resp.OK, resp.Result, resp.Error
	f.answers.add(a)
	return a
}

// must runs rpc and marks the test failed unless the answer is ok. It never
// stops the goroutine, so workers may call it.
func (f *fixture) must(t testing.TB, tag string, req *bridge.Request, binary bool) answer {
	t.Helper()
	a := f.rpc(t, tag, req, binary)
	if !a.OK {
		t.Errorf("%s: %s failed: %+v", tag, req.Action, a.Error)
	}
	return a
}

// secretBook holds every secret of the run and whose it is: "root",
// "admin", "tenant <user>" or "key <user>/<access key>".
type secretBook struct {
	mu    sync.Mutex
	owner map[string]string
}

func newSecretBook() *secretBook { return &secretBook{owner: map[string]string{}} }

func (b *secretBook) add(secret, owner string) {
	if len(secret) < 8 {
		panic("secret too short to scan for: " + owner)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.owner[secret] = owner
}

// all returns a copy of the book.
func (b *secretBook) all() map[string]string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[string]string, len(b.owner))
	for k, v := range b.owner {
		out[k] = v
	}
	return out
}

// logBook collects every log line of the run with its source.
type logBook struct {
	mu    sync.Mutex
	lines []logLine
}

type logLine struct{ source, text string }

func (b *logBook) addText(source, text string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, l := range strings.Split(text, "\n") {
		if strings.TrimSpace(l) != "" {
			b.lines = append(b.lines, logLine{source, l})
		}
	}
}

// writer returns an io.Writer for slog that files each write (one record,
// one line) under source.
func (b *logBook) writer(source string) *bookWriter { return &bookWriter{b, source} }

type bookWriter struct {
	b      *logBook
	source string
}

func (w *bookWriter) Write(p []byte) (int, error) {
	w.b.addText(w.source, string(p))
	return len(p), nil
}

func (b *logBook) all() []logLine {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]logLine(nil), b.lines...)
}

// answerBook collects every bridge answer.
type answerBook struct {
	mu   sync.Mutex
	list []answer
}

func (b *answerBook) add(a answer) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.list = append(b.list, a)
}

func (b *answerBook) all() []answer {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]answer(nil), b.list...)
}
