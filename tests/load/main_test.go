package load

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
)

// bin is the puqminio binary every call runs.
var bin string

// TestMain builds the real binary (as `make build` does) unless
// $PUQMINIO_BIN names one, so that the calls below go through exactly what
// the WHMCS module starts.
func TestMain(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tests/load:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	if p := os.Getenv("PUQMINIO_BIN"); p != "" {
		abs, err := filepath.Abs(p)
		if err != nil {
			return 0, err
		}
		if _, err := os.Stat(abs); err != nil {
			return 0, fmt.Errorf("PUQMINIO_BIN=%s: %w", p, err)
		}
		bin = abs
		return m.Run(), nil
	}
	dir, err := os.MkdirTemp("", "puqminio-load-bin-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	bin = filepath.Join(dir, "puqminio")
	gocmd, err := exec.LookPath("go")
	if err != nil {
		gocmd = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	build := exec.Command(gocmd, "build", "-trimpath", "-o", bin, "./cmd/puqminio")
	build.Dir = filepath.Join("..", "..")
	build.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := build.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("go build ./cmd/puqminio: %v\n%s", err, out)
	}
	return m.Run(), nil
}

// envInt reads a positive whole number from the environment.
func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive whole number", name, v)
	}
	return n
}
