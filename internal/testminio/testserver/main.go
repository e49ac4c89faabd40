// Command testserver runs a throwaway MinIO server for the PHP tests, the
// browser tests and `make demo`. It prints one JSON line with the endpoint and
// the root credentials, then serves until its standard input closes or it
// receives SIGTERM/SIGINT, and removes its data directory on the way out.
//
// The line also names laggingEndpoint: the same server behind a proxy whose
// data usage answer says the scanner last finished three hours ago, as a
// busy server's lagging scanner does; a real server cannot be made to lag
// on demand.
//
// With -backend rgw it runs a single-node Ceph cluster's RADOS Gateway
// instead (internal/testceph), and the line says "backend": "rgw".
//
// With -audit, MinIO sends its audit webhook (with a queue directory, in
// batches of up to 10) to http://<auditListen>/audit with "Bearer
// <auditToken>", both named on the line: start `puqminio traffic serve
// --listen <auditListen>` with PUQMINIO_TRAFFIC_TOKEN=<auditToken> to
// meter the server's traffic. Until it listens MinIO keeps the entries.
//
//	go run ./internal/testminio/testserver [-tls] [-backend rgw] [-audit]
package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/puqminios3/puqminio/internal/testceph"
	"github.com/puqminios3/puqminio/internal/testminio"
	"github.com/puqminios3/puqminio/internal/testport"
)

// serveCeph is main for -backend rgw.
func serveCeph(useTLS bool) int {
	dir, err := os.MkdirTemp("", "puqminio-testserver-ceph-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	s, err := testceph.Launch(dir, testceph.Options{TLS: useTLS})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer s.Stop()
	_ = json.NewEncoder(os.Stdout).Encode(map[string]any{
		"endpoint": s.Endpoint, "accessKey": s.AccessKey, "secretKey": s.SecretKey,
		"secure": s.Secure, "caPem": string(s.CAPEM), "backend": "rgw",
		"laggingEndpoint": s.Endpoint,
	})
	waitForStop()
	return 0
}

func main() {
	useTLS := flag.Bool("tls", false, "serve HTTPS with a fresh self-signed CA")
	backend := flag.String("backend", "minio", "minio or rgw (a Ceph RADOS Gateway)")
	audit := flag.Bool("audit", false, "send MinIO's audit webhook to auditListen (see the line printed)")
	flag.Parse()
	if *backend == "rgw" {
		os.Exit(serveCeph(*useTLS))
	}
	dir, err := os.MkdirTemp("", "puqminio-testserver-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer os.RemoveAll(dir)
	opts := testminio.Options{TLS: *useTLS}
	var auditListen, auditToken string
	if *audit {
		if auditListen, auditToken, opts.Env, err = auditWebhook(dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	s, err := testminio.Launch(dir, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer s.Stop()
	lagging, err := laggingScanner(s, 3*time.Hour)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer lagging.Close()
	line := map[string]any{
		"endpoint": s.Endpoint, "accessKey": s.AccessKey, "secretKey": s.SecretKey,
		"secure": s.Secure, "caPem": string(s.CAPEM), "dataDir": s.DataDir,
		"laggingEndpoint": lagging.Addr().String(),
	}
	if *audit {
		line["auditListen"], line["auditToken"], line["auditQueueDir"] = auditListen, auditToken, filepath.Join(dir, "audit-queue")
	}
	_ = json.NewEncoder(os.Stdout).Encode(line)
	waitForStop()
}

// waitForStop returns when standard input closes or a SIGTERM or SIGINT
// arrives.
func waitForStop() {
	done := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); close(done) }()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-done:
	case <-sig:
	}
}

// auditWebhook reserves a port for the traffic receiver, draws its token
// and returns MinIO's settings for a webhook to it.
func auditWebhook(dir string) (listen, token string, env []string, err error) {
	port, err := testport.Free()
	if err != nil {
		return "", "", nil, err
	}
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", "", nil, err
	}
	listen, token = net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), hex.EncodeToString(b)
	return listen, token, []string{
		"MINIO_AUDIT_WEBHOOK_ENABLE_PUQ=on",
		"MINIO_AUDIT_WEBHOOK_ENDPOINT_PUQ=http://" + listen + "/audit",
		"MINIO_AUDIT_WEBHOOK_AUTH_TOKEN_PUQ=Bearer " + token,
		"MINIO_AUDIT_WEBHOOK_QUEUE_DIR_PUQ=" + filepath.Join(dir, "audit-queue"),
		"MINIO_AUDIT_WEBHOOK_BATCH_SIZE_PUQ=10",
	}, nil
}
