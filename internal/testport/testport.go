// Package testport hands out loopback TCP ports to the tests' servers and
// proxies so that a port is never given to a second one while its owner may
// still be reached on it.
//
// The kernel happily re-issues a port the moment it is closed. A test that
// stops a server (or takes a proxy down) to simulate an outage keeps
// clients retrying on that port; if another test's new server is handed the
// port meanwhile, those retries reach the wrong server. That is how
// TestFaultsAtEveryStep once saw a terminate in one lane answered "the
// specified user does not exist" by another lane's MinIO.
//
// A port is held with an exclusive lock on a file named after it in a
// directory every test process shares, so the reservation holds across the
// packages `go test ./...` runs in parallel and ends with the process at
// the latest.
package testport

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
)

// Dir is where the lock files live.
var Dir = filepath.Join(os.TempDir(), "puqminio-test-ports")

// listen opens a listener on a kernel-chosen port; tests replace it to
// replay the kernel handing out a port it just got back.
var listen = func() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }

var (
	mu   sync.Mutex
	held = map[int]*os.File{}
)

// maxTries bounds the search for a port nobody holds.
const maxTries = 200

// Listen returns a listener on 127.0.0.1 on a port that no other holder of
// a reservation has, and the function that ends the reservation. Close the
// listener when done; call release once nothing will connect to the port
// any more (a proxy that was taken down keeps its reservation until it is
// closed for good).
func Listen() (ln net.Listener, release func(), err error) {
	var rejected []net.Listener
	defer func() {
		for _, l := range rejected {
			l.Close()
		}
	}()
	for range maxTries {
		l, err := listen()
		if err != nil {
			return nil, nil, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		rel, err := reserve(port)
		if err != nil {
			l.Close()
			return nil, nil, err
		}
		if rel != nil {
			return l, rel, nil
		}
		// Keep it open while we ask again, so the kernel offers another.
		rejected = append(rejected, l)
	}
	return nil, nil, fmt.Errorf("testport: no free port after %d tries", maxTries)
}

// Free returns a reserved port with nothing listening on it, for a child
// process (MinIO) to bind, and keeps the reservation for the life of this
// process: a server that is stopped and started again on it keeps it.
func Free() (int, error) {
	ln, _, err := Listen()
	if err != nil {
		return 0, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port, nil
}

// reserve takes port for this process. It returns nil, nil when someone
// already holds it.
func reserve(port int) (func(), error) {
	mu.Lock()
	defer mu.Unlock()
	if _, ok := held[port]; ok {
		return nil, nil
	}
	if err := os.MkdirAll(Dir, 0o777); err != nil {
		return nil, fmt.Errorf("testport: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(Dir, strconv.Itoa(port)+".lock"), os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return nil, fmt.Errorf("testport: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, nil
		}
		return nil, fmt.Errorf("testport: lock port %d: %w", port, err)
	}
	held[port] = f
	var once sync.Once
	return func() {
		once.Do(func() {
			mu.Lock()
			defer mu.Unlock()
			delete(held, port)
			_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
			f.Close()
		})
	}, nil
}
