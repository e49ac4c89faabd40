package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/puqminios3/puqminio/internal/testminio"
	"github.com/puqminios3/puqminio/internal/testport"
)

// serverInfo is a running MinIO as the other subcommands and the script
// read it (the JSON line serve prints).
type serverInfo struct {
	Endpoint  string `json:"endpoint"`
	AccessKey string `json:"accessKey"`
	SecretKey string `json:"secretKey"`
	PID       int    `json:"pid"`
	DataDir   string `json:"dataDir"`
}

// readServer reads a serverInfo file.
func readServer(path string) (serverInfo, error) {
	var s serverInfo
	data, err := os.ReadFile(path)
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return s, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// minioProc is a MinIO process on a data directory with four drives
// (d1..d4, erasure-coded as internal/testminio runs it), on 127.0.0.1.
type minioProc struct {
	info serverInfo
	cmd  *exec.Cmd
	done chan struct{}
}

// startMinIO runs MinIO on dataDir and waits until it serves admin calls.
// scanner is MINIO_SCANNER_SPEED. MinIO's output goes to logPath. A server
// with 30,000 buckets reads every bucket's metadata before it is ready, so
// the wait is long.
func startMinIO(dataDir, scanner, logPath string, ready time.Duration) (*minioProc, error) {
	bin, err := testminio.Binary()
	if err != nil {
		return nil, err
	}
	port, err := testport.Free()
	if err != nil {
		return nil, err
	}
	for i := 1; i <= 4; i++ {
		if err := os.MkdirAll(filepath.Join(dataDir, fmt.Sprintf("d%d", i)), 0o700); err != nil {
			return nil, err
		}
	}
	logf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	endpoint := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cmd := exec.Command(bin, "server", "--quiet", "--address", endpoint,
		"--certs-dir", filepath.Join(dataDir, "certs"), filepath.Join(dataDir, "d{1...4}"))
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+testminio.RootUser,
		"MINIO_ROOT_PASSWORD="+testminio.RootPassword,
		"MINIO_BROWSER=off",
		"MINIO_SCANNER_SPEED="+scanner,
		"MINIO_UPDATE=off",
		"MINIO_CI_CD=on",
	)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group, and killed when this process dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &minioProc{cmd: cmd, done: make(chan struct{}), info: serverInfo{Endpoint: endpoint,
		AccessKey: testminio.RootUser, SecretKey: testminio.RootPassword, PID: cmd.Process.Pid, DataDir: dataDir}}
	go func() { _ = cmd.Wait(); close(p.done) }()
	if err := p.waitReady(ready); err != nil {
		p.stop()
		return nil, fmt.Errorf("%w (log: %s)", err, logPath)
	}
	logLine("MinIO on %s ready after %v (pid %d, scanner %s)", dataDir, time.Since(t0).Round(100*time.Millisecond), p.info.PID, scanner)
	return p, nil
}

// waitReady waits on /minio/health/cluster, which answers 200 once IAM
// and the bucket metadata are loaded.
func (p *minioProc) waitReady(limit time.Duration) error {
	c := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return errors.New("MinIO exited before it was ready")
		default:
		}
		resp, err := c.Get("http://" + p.info.Endpoint + "/minio/health/cluster")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("MinIO at %s not ready after %v", p.info.Endpoint, limit)
}

// stop ends MinIO: SIGTERM, then SIGKILL after 30 s.
func (p *minioProc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// cmdServe runs MinIO on a data directory, prints one JSON line (a
// serverInfo) and serves until its standard input closes or it gets
// SIGTERM or SIGINT; then it stops MinIO. With -populate it first puts
// the given tenants on the server (a small server for comparison).
func cmdServe(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	dir := fs.String("data", "", "MinIO data directory (four drives d1..d4 inside)")
	scanner := fs.String("scanner", "default", "MINIO_SCANNER_SPEED")
	logPath := fs.String("log", "", "MinIO's log file (default: minio.log beside the data directory)")
	ready := fs.Duration("ready", 15*time.Minute, "how long to wait for MinIO to be ready")
	var pop population
	fs.IntVar(&pop.FirstID, "first", 1, "populate: service id of the first tenant")
	fs.IntVar(&pop.Users, "users", 0, "populate: how many tenants 1-<first> … to create first (0: none)")
	suffixes := fs.String("suffixes", "data", "populate: bucket suffixes of each tenant")
	fs.IntVar(&pop.ObjectsEvery, "objects-every", 1, "populate: every Nth bucket holds objects")
	_ = fs.Parse(args)
	if *dir == "" {
		return errors.New("serve: -data is required")
	}
	if *logPath == "" {
		*logPath = filepath.Join(filepath.Dir(*dir), "minio.log")
	}
	p, err := startMinIO(*dir, *scanner, *logPath, *ready)
	if err != nil {
		return err
	}
	defer p.stop()
	if pop.Users > 0 {
		pop.Suffixes = splitList(*suffixes)
		if err := populate(context.Background(), p.info, pop); err != nil {
			return err
		}
		// Figures on the page, as on the big server; a scanner that is
		// late only leaves them at zero, which costs the page nothing.
		if err := waitScanner(context.Background(), p.info, pop, 5*time.Minute); err != nil {
			logLine("warning: %v", err)
		}
	}
	line, _ := json.Marshal(p.info)
	if _, err := fmt.Println(string(line)); err != nil {
		return err
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	eof := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, bufio.NewReader(os.Stdin)); close(eof) }()
	select {
	case <-sig:
	case <-eof:
	case <-p.done:
		return errors.New("MinIO exited while serving; see " + *logPath)
	}
	return nil
}
