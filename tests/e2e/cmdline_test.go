package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// sampler reads the command line of every process on the machine every few
// milliseconds while the tests run, so that a secret passed as an argument
// by anything the test starts (the binary, s3cmd, go build, MinIO, or
// something they start in turn) is seen. A new process is read again for
// its first 200 ms, because right after fork it still shows its parent's
// command line. Environments are not command lines and are not read.
type sampler struct {
	self int

	mu       sync.Mutex
	procs    map[int]*procInfo
	cmdlines map[string]bool  // distinct command line -> seen in a process this test started
	byPid    map[int][]string // command lines seen per pid, for the coverage figure
	started  []startedProc    // processes started through run
	ticks    int
	seen     int // processes seen
	done     chan struct{}
	finished chan struct{}
}

type procInfo struct {
	firstSeen time.Time
	ppid      int
	last      string
}

type startedProc struct {
	args   []string
	caught bool // the sampler saw its command line while it ran
}

func startSampler(every time.Duration) *sampler {
	s := &sampler{self: os.Getpid(), procs: map[int]*procInfo{}, cmdlines: map[string]bool{},
		byPid: map[int][]string{}, done: make(chan struct{}), finished: make(chan struct{})}
	go func() {
		defer close(s.finished)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			s.sample()
			select {
			case <-s.done:
				s.sample()
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

func (s *sampler) stop() {
	select {
	case <-s.done:
	default:
		close(s.done)
	}
	<-s.finished
}

func (s *sampler) sample() {
	f, err := os.Open("/proc")
	if err != nil {
		return
	}
	names, _ := f.Readdirnames(-1)
	f.Close()
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ticks++
	alive := make(map[int]bool, len(names))
	for _, n := range names {
		pid, err := strconv.Atoi(n)
		if err != nil {
			continue
		}
		alive[pid] = true
		info, known := s.procs[pid]
		if !known {
			info = &procInfo{firstSeen: now, ppid: readPPid(pid)}
			s.procs[pid] = info
			s.seen++
		}
		if known && now.Sub(info.firstSeen) > 200*time.Millisecond {
			continue
		}
		c := readCmdline(pid)
		if c == "" || c == info.last {
			continue
		}
		info.last = c
		s.cmdlines[c] = s.cmdlines[c] || s.descendant(pid)
		s.byPid[pid] = append(s.byPid[pid], c)
	}
	for pid := range s.procs {
		if !alive[pid] {
			delete(s.procs, pid)
		}
	}
}

// descendant reports whether pid is a child, grandchild, ... of the test.
func (s *sampler) descendant(pid int) bool {
	for i := 0; i < 64 && pid > 1; i++ {
		info, ok := s.procs[pid]
		if !ok {
			return false
		}
		if info.ppid == s.self {
			return true
		}
		pid = info.ppid
	}
	return false
}

func readPPid(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// pid (comm) state ppid ...; comm may hold spaces and parentheses.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	fields := strings.Fields(string(b[i+1:]))
	if len(fields) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(fields[1])
	return ppid
}

func readCmdline(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return ""
	}
	return strings.TrimRight(strings.ReplaceAll(string(b), "\x00", " "), " ")
}

// run starts cmd, records the arguments the test passes to exec, waits for
// it, and notes whether the sampler saw it running.
func (s *sampler) run(cmd *exec.Cmd) error {
	args := append([]string{cmd.Path}, cmd.Args[1:]...)
	if err := cmd.Start(); err != nil {
		s.mu.Lock()
		s.started = append(s.started, startedProc{args: args})
		s.mu.Unlock()
		return err
	}
	pid := cmd.Process.Pid
	err := cmd.Wait()
	want := filepath.Base(cmd.Path)
	tail := strings.Join(cmd.Args[1:], " ")
	s.mu.Lock()
	caught := false
	for _, c := range s.byPid[pid] {
		if strings.Contains(c, want) && strings.HasSuffix(c, tail) {
			caught = true
		}
	}
	delete(s.byPid, pid)
	s.started = append(s.started, startedProc{args: args, caught: caught})
	s.mu.Unlock()
	return err
}

// samplerFigures are the sampler's counts for the report.
type samplerFigures struct {
	Ticks, ProcessesSeen, DistinctCmdlines, OwnCmdlines, Started, Caught int
}

func (s *sampler) figures() samplerFigures {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := samplerFigures{Ticks: s.ticks, ProcessesSeen: s.seen, DistinctCmdlines: len(s.cmdlines), Started: len(s.started)}
	for _, own := range s.cmdlines {
		if own {
			f.OwnCmdlines++
		}
	}
	for _, p := range s.started {
		if p.caught {
			f.Caught++
		}
	}
	return f
}

// snapshot returns the distinct command lines (with whether they belong to
// the test's own processes) and the recorded exec arguments.
func (s *sampler) snapshot() (map[string]bool, [][]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := make(map[string]bool, len(s.cmdlines))
	for k, v := range s.cmdlines {
		c[k] = v
	}
	args := make([][]string, 0, len(s.started))
	for _, p := range s.started {
		args = append(args, p.args)
	}
	return c, args
}

// cpuSeconds returns the CPU time used so far by this test process and by
// the MinIO server (found by its address on the command line).
func cpuSeconds(endpoint string) (self, minio float64) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		self = float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
	}
	names, _ := os.ReadDir("/proc")
	for _, n := range names {
		pid, err := strconv.Atoi(n.Name())
		if err != nil {
			continue
		}
		c := readCmdline(pid)
		if !strings.Contains(c, " server ") || !strings.Contains(c, "--address "+endpoint) {
			continue
		}
		b, err := os.ReadFile("/proc/" + n.Name() + "/stat")
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(b, ')')
		f := strings.Fields(string(b[i+1:]))
		if len(f) > 13 {
			ut, _ := strconv.ParseFloat(f[11], 64)
			st, _ := strconv.ParseFloat(f[12], 64)
			minio = (ut + st) / 100 // USER_HZ is 100 on Linux
		}
	}
	return self, minio
}
