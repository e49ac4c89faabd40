// Package testminio starts a real MinIO server for tests: a separate process
// on 127.0.0.1, a free port, a temporary data directory with four drives (so
// it runs erasure-coded, as production does), optionally with TLS. It never
// skips: a test that needs MinIO fails when the binary is missing, so an
// integration run cannot pass without really talking to MinIO.
//
// The binary is found in $PUQMINIO_MINIO_BIN, else in
// ~/.cache/puqminio/minio-bin/minio, where `make minio` builds it.
package testminio

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/puqminios3/puqminio/internal/testcert"
	"github.com/puqminios3/puqminio/internal/testport"
)

// Root credentials of every test server. They are test-only values.
const (
	RootUser     = "puqadmin"
	RootPassword = "puqadmin-secret-key"
)

// Options choose how the server runs.
type Options struct {
	TLS bool // serve HTTPS with a fresh self-signed CA
	// Env is added to the server's environment, after the defaults, e.g.
	// MINIO_AUDIT_WEBHOOK_ENABLE_<ID>=on to send audit entries to a test's
	// receiver. It stays in force across Restart.
	Env []string
}

// Server is a running MinIO process.
type Server struct {
	Endpoint  string // host:port
	AccessKey string
	SecretKey string
	Secure    bool
	CAPEM     []byte // the CA that signed the server's certificate, when Secure
	DataDir   string
	Binary    string

	cmd  *exec.Cmd
	log  *bytes.Buffer
	mu   sync.Mutex
	args []string
	env  []string
}

// Binary returns the MinIO binary's path or an error that says how to build it.
func Binary() (string, error) {
	if p := os.Getenv("PUQMINIO_MINIO_BIN"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("PUQMINIO_MINIO_BIN=%s: %w", p, err)
		}
		return p, nil
	}
	home, _ := os.UserHomeDir()
	p := filepath.Join(home, ".cache", "puqminio", "minio-bin", "minio")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("no MinIO binary at %s: run `make minio` (or set PUQMINIO_MINIO_BIN)", p)
	}
	return p, nil
}

// TB is the part of testing.TB that Start needs.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
	TempDir() string
	Logf(format string, args ...any)
}

// Start runs a server for the test and stops it when the test ends.
func Start(t TB, opts Options) *Server {
	t.Helper()
	s, err := Launch(t.TempDir(), opts)
	if err != nil {
		t.Fatalf("testminio: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

// Launch runs a server with its data under dir. The caller must Stop it.
func Launch(dir string, opts Options) (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	port, err := testport.Free()
	if err != nil {
		return nil, err
	}
	s := &Server{
		Endpoint:  net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		AccessKey: RootUser,
		SecretKey: RootPassword,
		Secure:    opts.TLS,
		DataDir:   filepath.Join(dir, "data"),
		Binary:    bin,
	}
	certsDir := filepath.Join(dir, "certs")
	if err := os.MkdirAll(certsDir, 0o700); err != nil {
		return nil, err
	}
	if opts.TLS {
		if s.CAPEM, err = writeCerts(certsDir); err != nil {
			return nil, err
		}
	}
	for i := 1; i <= 4; i++ {
		if err := os.MkdirAll(filepath.Join(s.DataDir, fmt.Sprintf("d%d", i)), 0o700); err != nil {
			return nil, err
		}
	}
	s.args = []string{"server", "--quiet", "--address", s.Endpoint, "--certs-dir", certsDir,
		filepath.Join(s.DataDir, "d{1...4}")}
	s.env = append(os.Environ(),
		"MINIO_ROOT_USER="+RootUser,
		"MINIO_ROOT_PASSWORD="+RootPassword,
		"MINIO_BROWSER=off",
		"MINIO_SCANNER_SPEED=fastest",
		"MINIO_UPDATE=off",
		"MINIO_CI_CD=on",
	)
	s.env = append(s.env, opts.Env...)
	if err := s.start(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = &bytes.Buffer{}
	cmd := exec.Command(s.Binary, s.args...)
	cmd.Env = s.env
	cmd.Stdout = s.log
	cmd.Stderr = s.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	s.cmd = cmd
	if err := s.waitReady(60 * time.Second); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return fmt.Errorf("%w; server log:\n%s", err, s.log.String())
	}
	return nil
}

// URL returns the server's base URL.
func (s *Server) URL() string {
	if s.Secure {
		return "https://" + s.Endpoint
	}
	return "http://" + s.Endpoint
}

// HTTPClient returns a client that trusts the server's CA.
func (s *Server) HTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if s.Secure {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(s.CAPEM)
		tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	return &http.Client{Transport: tr, Timeout: 5 * time.Second}
}

// waitReady waits on /minio/health/cluster, which answers 200 only once IAM
// and metadata are up (/minio/health/live answers earlier).
func (s *Server) waitReady(limit time.Duration) error {
	c := s.HTTPClient()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		resp, err := c.Get(s.URL() + "/minio/health/cluster")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("MinIO at %s not ready after %s", s.Endpoint, limit)
}

// Stop ends the server process.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
	s.cmd = nil
}

// Restart stops the server and starts it again on the same port and data.
func (s *Server) Restart() error {
	s.Stop()
	return s.start()
}

// Pause stops the process with SIGSTOP, so connections hang; Resume
// continues it. It returns once every thread of the server has stopped:
// the signal alone is asynchronous, and a thread still running could
// answer one more request.
func (s *Server) Pause() error {
	if err := s.signal(syscall.SIGSTOP); err != nil {
		return err
	}
	s.mu.Lock()
	pid := s.cmd.Process.Pid
	s.mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for !allStopped(pid) {
		if time.Now().After(deadline) {
			return fmt.Errorf("MinIO (pid %d) did not stop within 10s of SIGSTOP", pid)
		}
		time.Sleep(time.Millisecond)
	}
	return nil
}

// allStopped reports whether every thread of pid is in the stopped state
// (Linux /proc).
func allStopped(pid int) bool {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil || len(tasks) == 0 {
		return false
	}
	for _, t := range tasks {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/stat", pid, t.Name()))
		if err != nil {
			return false
		}
		// The state follows the command name, which is in parentheses.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 || i+2 >= len(stat) || (stat[i+2] != 'T' && stat[i+2] != 't') {
			return false
		}
	}
	return true
}

// Resume continues a paused server.
func (s *Server) Resume() error { return s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig syscall.Signal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return fmt.Errorf("server not running")
	}
	return s.cmd.Process.Signal(sig)
}

// Log returns what the server printed so far.
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// WaitReady is exported for tests that restart the server themselves.
func (s *Server) WaitReady(ctx context.Context) error {
	d := 60 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		d = time.Until(dl)
	}
	return s.waitReady(d)
}

// writeCerts writes a CA-signed certificate for 127.0.0.1 and localhost in
// MinIO's certs layout (public.crt, private.key) and returns the CA PEM.
func writeCerts(dir string) ([]byte, error) {
	return testcert.Write(filepath.Join(dir, "public.crt"), filepath.Join(dir, "private.key"))
}

// Main runs a package's tests against one server they share: it launches
// the server into *srv with its data in a new temporary directory, runs m,
// stops the server, removes the directory and exits with m's status. A
// missing MinIO binary fails the package; it never skips.
func Main(m interface{ Run() int }, srv **Server) {
	dir, err := os.MkdirTemp("", "puqminio-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	s, err := Launch(dir, Options{})
	if err != nil {
		fmt.Fprintf(os.Stderr, "these tests need MinIO: %v\n", err)
		_ = os.RemoveAll(dir)
		os.Exit(1)
	}
	*srv = s
	code := m.Run()
	s.Stop()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}
