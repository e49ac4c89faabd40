package testport

import (
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// kernelReissues replays what the kernel did to the fault test: it hands
// out, first, the port that was just given up, then whatever it likes.
func kernelReissues(t *testing.T, port int) {
	t.Helper()
	first := true
	listen = func() (net.Listener, error) {
		if first {
			first = false
			return net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		}
		return net.Listen("tcp", "127.0.0.1:0")
	}
	t.Cleanup(func() { listen = func() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") } })
}

// A port whose listener was closed (a proxy taken down to simulate an
// outage) is not handed to the next caller while its reservation lasts,
// even when the kernel offers it again at once.
func TestClosedPortIsNotReissuedWhileHeld(t *testing.T) {
	ln, release, err := Listen()
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // the outage: nothing listens, clients keep retrying

	kernelReissues(t, port)
	other, rel2, err := Listen()
	if err != nil {
		t.Fatal(err)
	}
	defer rel2()
	defer other.Close()
	if got := other.Addr().(*net.TCPAddr).Port; got == port {
		t.Fatalf("port %d was handed out again while its first owner still held it", port)
	}

	// Once released, the port may be used again.
	release()
	kernelReissues(t, port)
	again, rel3, err := Listen()
	if err != nil {
		t.Fatal(err)
	}
	defer rel3()
	defer again.Close()
	if got := again.Addr().(*net.TCPAddr).Port; got != port {
		t.Fatalf("a released port was not reused: got %d, want %d", got, port)
	}
}

// A reservation made by another process (another package's tests) holds
// here too.
func TestReservationHoldsAcrossProcesses(t *testing.T) {
	if os.Getenv("TESTPORT_CHILD") != "" {
		port, err := Free()
		if err != nil {
			os.Exit(2)
		}
		os.Stdout.WriteString(strconv.Itoa(port) + "\n")
		// Hold it until the parent closes our stdin.
		var b [1]byte
		os.Stdin.Read(b[:])
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestReservationHoldsAcrossProcesses$")
	cmd.Env = append(os.Environ(), "TESTPORT_CHILD=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out := &strings.Builder{}
	pr, pw, _ := os.Pipe()
	cmd.Stdout = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	buf := make([]byte, 16)
	for !strings.Contains(out.String(), "\n") {
		n, err := pr.Read(buf)
		if err != nil {
			t.Fatalf("child: %v (%q)", err, out.String())
		}
		out.WriteString(string(buf[:n]))
	}
	port, err := strconv.Atoi(strings.TrimSpace(out.String()))
	if err != nil {
		t.Fatal(err)
	}
	kernelReissues(t, port)
	ln, rel, err := Listen()
	if err != nil {
		t.Fatal(err)
	}
	defer rel()
	defer ln.Close()
	if got := ln.Addr().(*net.TCPAddr).Port; got == port {
		t.Fatalf("port %d, held by another process, was handed out here", port)
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
}
