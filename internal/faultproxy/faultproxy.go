// Package faultproxy is an HTTP/1.1 proxy for tests that sits between a
// client and a real MinIO and breaks one chosen request on purpose: it drops
// the connection before the request reaches MinIO, after MinIO applied it,
// or halfway through the answer; it stalls the request or its answer until
// the client gives up; or it calls a hook (which may stop or pause the real
// server) when the request arrives. It numbers every request that passes
// and names it (admin API call or S3 operation), so a test can first count
// the steps of an action and then break each step in turn.
//
// The proxy forwards requests byte for byte as far as signing is concerned:
// the Host header and every signed header are kept, so SigV4 signatures made
// for the proxy's address verify at MinIO.
package faultproxy

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/puqminios3/puqminio/internal/testport"
)

// Fault is what the proxy does to a request.
type Fault int

// Faults. "Applied" means MinIO received and carried out the request.
const (
	Pass          Fault = iota // forward as usual
	DropRequest                // reset the client connection; MinIO never sees the request
	DropResponse               // MinIO applies the request; reset the client connection before any answer byte
	CutResponse                // MinIO applies the request; send the first half of the answer's bytes, then reset
	StallRequest               // hold the request, unsent, until the client gives up; never applied
	StallResponse              // MinIO applies the request; hold the answer until the client gives up
	Hook                       // call the rule's hook, then forward (unless the proxy is down)
)

var faultNames = [...]string{"pass", "drop-request", "drop-response", "cut-response", "stall-request", "stall-response", "hook"}

// String names the fault as reports show it.
func (f Fault) String() string {
	if f >= 0 && int(f) < len(faultNames) {
		return faultNames[f]
	}
	return fmt.Sprintf("fault(%d)", int(f))
}

// Request is one request that reached the proxy.
type Request struct {
	N      int       // 1 for the first request since New or Reset
	Method string    // GET, PUT, ...
	Path   string    // URL path, without the query
	Op     string    // admin call ("add-user") or S3 operation ("make-bucket")
	Fault  Fault     // what the proxy did to it
	Status int       // MinIO's HTTP status, 0 when no answer came back
	At     time.Time // when the proxy had read it
}

// String is "N op" as step lists show it.
func (r Request) String() string { return fmt.Sprintf("%d %s", r.N, r.Op) }

// Rule says what to do with request number N.
type Rule struct {
	Fault Fault
	Hook  func(Request) // for Hook: runs in the proxy before forwarding
}

// Proxy listens on 127.0.0.1 and forwards to one upstream host:port.
type Proxy struct {
	upstream string
	addr     string

	mu       sync.Mutex
	ln       net.Listener
	down     bool
	closed   bool
	n        int
	log      []Request
	rules    map[int]Rule
	opRules  map[string]Rule
	conns    map[net.Conn]struct{} // client and upstream connections, reset by Down and Close
	wg       sync.WaitGroup
	acceptWG sync.WaitGroup
	release  func() // ends the port's reservation
}

// maxBody bounds a request or answer body the proxy holds in memory.
const maxBody = 64 << 20

// New starts a proxy to upstream (host:port) on a free local port. The port
// stays reserved for the proxy (internal/testport) until Close, Down
// included: clients retrying on it while it is down must never reach a
// proxy another test started meanwhile.
func New(upstream string) (*Proxy, error) {
	ln, release, err := testport.Listen()
	if err != nil {
		return nil, err
	}
	p := &Proxy{upstream: upstream, addr: ln.Addr().String(), ln: ln, release: release,
		rules: map[int]Rule{}, opRules: map[string]Rule{}, conns: map[net.Conn]struct{}{}}
	p.acceptWG.Add(1)
	go p.accept(ln)
	return p, nil
}

// Addr is the proxy's host:port; point clients here instead of at MinIO.
func (p *Proxy) Addr() string { return p.addr }

// Inject sets the rule for request number n (counted since New or Reset).
// Each rule fires once.
func (p *Proxy) Inject(n int, r Rule) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules[n] = r
}

// InjectOp sets the rule for the next request named op (see OpName). It
// fires once.
func (p *Proxy) InjectOp(op string, r Rule) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.opRules[op] = r
}

// Reset forgets the request log, the count and the rules.
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n, p.log, p.rules, p.opRules = 0, nil, map[int]Rule{}, map[string]Rule{}
}

// Requests returns the requests seen since New or Reset, in arrival order.
func (p *Proxy) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Request(nil), p.log...)
}

// Fired reports whether request n has arrived.
func (p *Proxy) Fired(n int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n >= n
}

// Down makes the proxy look like a stopped server: the port is closed, so
// new connections are refused, and every open connection is reset.
func (p *Proxy) Down() {
	p.mu.Lock()
	ln := p.ln
	p.down, p.ln = true, nil
	for c := range p.conns {
		reset(c)
	}
	p.mu.Unlock()
	if ln != nil {
		ln.Close()
		p.acceptWG.Wait()
	}
}

// Up listens again on the same port after Down.
func (p *Proxy) Up() error {
	p.mu.Lock()
	down := p.down && !p.closed
	p.mu.Unlock()
	if !down {
		return nil
	}
	var ln net.Listener
	var err error
	// The port is reserved for us, but a process outside the tests may
	// have taken it meanwhile, so try for a while.
	for i := 0; i < 50; i++ {
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("faultproxy: listen again on %s: %w", p.addr, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		ln.Close()
		return nil
	}
	p.ln, p.down = ln, false
	p.acceptWG.Add(1)
	go p.accept(ln)
	return nil
}

// Close stops the proxy and resets every connection.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	ln := p.ln
	p.ln = nil
	for c := range p.conns {
		reset(c)
	}
	p.mu.Unlock()
	if ln != nil {
		ln.Close()
	}
	p.acceptWG.Wait()
	p.wg.Wait()
	p.release()
	return nil
}

func (p *Proxy) accept(ln net.Listener) {
	defer p.acceptWG.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.closed || p.down {
			p.mu.Unlock()
			reset(c)
			continue
		}
		p.conns[c] = struct{}{}
		p.wg.Add(1)
		p.mu.Unlock()
		go p.serve(c)
	}
}

// reset closes c with an RST, as a crashed server's kernel would.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

// track registers an upstream connection, so Close and Down can end a
// request that a paused server never answers.
func (p *Proxy) track(c net.Conn) {
	p.mu.Lock()
	p.conns[c] = struct{}{}
	p.mu.Unlock()
}

func (p *Proxy) forget(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// next numbers the request and returns its rule.
func (p *Proxy) next(r *http.Request) (int, Rule) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	n := p.n
	op := OpName(r.Method, r.URL.Path, r.URL.RawQuery)
	rule, ok := p.rules[n]
	delete(p.rules, n)
	if !ok {
		rule = p.opRules[op]
		delete(p.opRules, op)
	}
	p.log = append(p.log, Request{N: n, Method: r.Method, Path: r.URL.Path, Op: op, Fault: rule.Fault, At: time.Now()})
	return n, rule
}

func (p *Proxy) setStatus(n, status int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n-1 < len(p.log) {
		p.log[n-1].Status = status
	}
}

func (p *Proxy) request(n int) Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n-1 < len(p.log) {
		return p.log[n-1]
	}
	return Request{N: n} // the log was Reset meanwhile
}

func (p *Proxy) isDown() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.down || p.closed
}

// serve relays one client connection, one request at a time, over one
// upstream connection of its own.
func (p *Proxy) serve(cc net.Conn) {
	defer p.wg.Done()
	defer p.forget(cc)
	defer cc.Close()
	var up net.Conn
	var ubr *bufio.Reader
	defer func() {
		if up != nil {
			p.forget(up)
			up.Close()
		}
	}()
	br := bufio.NewReader(cc)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		body, err := io.ReadAll(io.LimitReader(req.Body, maxBody))
		req.Body.Close()
		if err != nil {
			reset(cc)
			return
		}
		n, rule := p.next(req)
		switch rule.Fault {
		case DropRequest:
			reset(cc)
			return
		case StallRequest:
			waitGone(cc)
			return
		case Hook:
			if rule.Hook != nil {
				rule.Hook(p.request(n))
			}
		}
		if p.isDown() {
			reset(cc)
			return
		}
		if up == nil {
			if up, err = net.DialTimeout("tcp", p.upstream, 10*time.Second); err != nil {
				// The server is gone: the client sees its connection reset.
				up = nil
				reset(cc)
				return
			}
			ubr = bufio.NewReader(up)
			p.track(up)
		}
		out, status, keep, err := roundTrip(up, ubr, req, body)
		if err != nil {
			reset(cc)
			return
		}
		p.setStatus(n, status)
		if !keep {
			p.forget(up)
			up.Close()
			up = nil
		}
		switch rule.Fault {
		case DropResponse:
			reset(cc)
			return
		case CutResponse:
			_, _ = cc.Write(out[:len(out)/2])
			reset(cc)
			return
		case StallResponse:
			waitGone(cc)
			return
		}
		if _, err := cc.Write(out); err != nil {
			return
		}
	}
}

// roundTrip sends req to the upstream connection and returns the answer as
// the bytes to relay, its status and whether the upstream connection may be
// reused.
func roundTrip(up net.Conn, ubr *bufio.Reader, req *http.Request, body []byte) ([]byte, int, bool, error) {
	req.Body = nil
	req.ContentLength = int64(len(body))
	req.TransferEncoding = nil
	if len(body) > 0 {
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	// Request.Write keeps the Host and every header but the framing ones
	// (User-Agent, which it would otherwise default, is never signed).
	if err := req.Write(up); err != nil {
		return nil, 0, false, err
	}
	resp, err := http.ReadResponse(ubr, req)
	if err != nil {
		return nil, 0, false, err
	}
	rb, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	resp.Body.Close()
	if err != nil {
		return nil, 0, false, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(rb))
	resp.ContentLength = int64(len(rb))
	resp.TransferEncoding = nil
	keep := !resp.Close
	var buf bytes.Buffer
	if err := resp.Write(&buf); err != nil {
		return nil, 0, false, err
	}
	return buf.Bytes(), resp.StatusCode, keep, nil
}

// waitGone blocks until the client closes its connection (it gave up) or
// the proxy resets it. The client sends nothing while it waits for an
// answer, so any read result means it is gone.
func waitGone(c net.Conn) {
	var b [1]byte
	for {
		if _, err := c.Read(b[:]); err != nil {
			return
		}
	}
}

// OpName names a request: the admin API call for /minio/admin/v3/..., else
// the S3 operation as the S3 API reference calls it (in kebab case).
func OpName(method, path, rawQuery string) string {
	if rest, ok := strings.CutPrefix(path, "/minio/admin/v3/"); ok {
		return rest
	}
	if strings.HasPrefix(path, "/minio/") {
		return strings.ToLower(method) + " " + path
	}
	q := map[string]bool{}
	for _, kv := range strings.Split(rawQuery, "&") {
		k, _, _ := strings.Cut(kv, "=")
		if k != "" {
			q[k] = true
		}
	}
	bucket, object, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	switch {
	case bucket == "":
		if method == http.MethodGet {
			return "list-buckets"
		}
	case object == "":
		switch {
		case q["location"]:
			return "get-bucket-location"
		case q["object-lock"] && method == http.MethodGet:
			return "get-object-lock-config"
		case q["versions"]:
			return "list-object-versions"
		case q["delete"] && method == http.MethodPost:
			return "delete-objects"
		case q["versioning"] && method == http.MethodGet:
			return "get-bucket-versioning"
		case method == http.MethodPut:
			return "make-bucket"
		case method == http.MethodDelete:
			return "remove-bucket"
		case method == http.MethodHead:
			return "head-bucket"
		case method == http.MethodGet:
			return "list-objects"
		}
	default:
		switch {
		case q["retention"]:
			return "get-object-retention"
		case q["legal-hold"]:
			return "get-object-legal-hold"
		case method == http.MethodPut:
			return "put-object"
		case method == http.MethodGet:
			return "get-object"
		case method == http.MethodHead:
			return "head-object"
		case method == http.MethodDelete:
			return "delete-object"
		}
	}
	return strings.ToLower(method) + " " + path
}
