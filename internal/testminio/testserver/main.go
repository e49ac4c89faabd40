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
//	go run ./internal/testminio/testserver [-tls] [-backend rgw]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/puqminios3/puqminio/internal/testceph"
	"github.com/puqminios3/puqminio/internal/testminio"
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
	s, err := testminio.Launch(dir, testminio.Options{TLS: *useTLS})
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
	_ = json.NewEncoder(os.Stdout).Encode(map[string]any{
		"endpoint": s.Endpoint, "accessKey": s.AccessKey, "secretKey": s.SecretKey,
		"secure": s.Secure, "caPem": string(s.CAPEM), "dataDir": s.DataDir,
		"laggingEndpoint": lagging.Addr().String(),
	})
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
