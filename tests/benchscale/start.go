package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// cmdStart times process starts: each -run is "name=program arg…", run
// with -stdin on its standard input, all interleaved round by round so
// the machine's load falls on each alike. It prints the medians and each
// one's difference from the first (the floor).
func cmdStart(args []string) error {
	fs := flag.NewFlagSet("start", flag.ExitOnError)
	rounds := fs.Int("rounds", 300, "runs of each program")
	stdin := fs.String("stdin", "", "file given to every program on stdin")
	var runs []string
	fs.Func("run", `"name=program arg…" (repeat; the first is the floor)`, func(s string) error {
		if !strings.Contains(s, "=") {
			return fmt.Errorf("%q: want name=program", s)
		}
		runs = append(runs, s)
		return nil
	})
	_ = fs.Parse(args)
	if len(runs) == 0 {
		return fmt.Errorf("no -run")
	}
	in := []byte{}
	if *stdin != "" {
		var err error
		if in, err = os.ReadFile(*stdin); err != nil {
			return err
		}
	}
	names := make([]string, len(runs))
	argv := make([][]string, len(runs))
	for i, r := range runs {
		name, cmd, _ := strings.Cut(r, "=")
		names[i], argv[i] = name, strings.Fields(cmd)
	}
	times := make([][]time.Duration, len(runs))
	for round := 0; round < *rounds; round++ {
		for i := range runs {
			cmd := exec.Command(argv[i][0], argv[i][1:]...)
			cmd.Stdin = bytes.NewReader(in)
			var out bytes.Buffer
			cmd.Stdout = &out
			t0 := time.Now()
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("%s: %v", names[i], err)
			}
			times[i] = append(times[i], time.Since(t0))
		}
	}
	floor := summarize(times[0]).P50
	fmt.Printf("%-28s %8s %8s %8s %10s\n", "program", "p50 ms", "p90 ms", "min ms", "p50-floor")
	for i, name := range names {
		s := summarize(times[i])
		fmt.Printf("%-28s %8.2f %8.2f %8.2f %+10.2f\n", name, s.P50, s.P90, s.Min, s.P50-floor)
	}
	return nil
}
