package main

import (
	"bytes"
	"compress/gzip"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"time"

	"github.com/puqminios3/puqminio/internal/testminio"
	"github.com/puqminios3/puqminio/internal/testport"
)

// laggingScanner serves s through a reverse proxy on a free port that
// passes every request on unchanged (the Host header too, so signatures
// hold) and moves the lastUpdate of data usage answers lag into the past.
func laggingScanner(s *testminio.Server, lag time.Duration) (net.Listener, error) {
	target, err := url.Parse(s.URL())
	if err != nil {
		return nil, err
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	if s.Secure {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(s.CAPEM)
		proxy.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	}
	proxy.ModifyResponse = func(r *http.Response) error {
		if r.Request.URL.Path != "/minio/admin/v3/datausageinfo" || r.StatusCode != http.StatusOK {
			return nil
		}
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				return err
			}
			body = zr
		}
		data, err := io.ReadAll(body)
		r.Body.Close()
		if err != nil {
			return err
		}
		var usage map[string]json.RawMessage
		if err := json.Unmarshal(data, &usage); err != nil {
			return err
		}
		usage["lastUpdate"], _ = json.Marshal(time.Now().Add(-lag).UTC())
		if data, err = json.Marshal(usage); err != nil {
			return err
		}
		r.Header.Del("Content-Encoding")
		r.Header.Set("Content-Length", strconv.Itoa(len(data)))
		r.ContentLength = int64(len(data))
		r.Body = io.NopCloser(bytes.NewReader(data))
		return nil
	}
	ln, _, err := testport.Listen()
	if err != nil {
		return nil, err
	}
	// The proxy itself speaks plain HTTP, also in front of a TLS server:
	// what it is for is the scanner's age, not the transport.
	srv := &http.Server{Handler: proxy, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return ln, nil
}
