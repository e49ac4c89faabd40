// Command benchscale is the Go side of scripts/bench-scale.sh, the scale
// benchmark of issue 12: one MinIO holding 10,000 tenants and 30,000
// buckets, and the module's pages, actions and usage run against it. It is
// a tool, not a test: nothing here runs in `go test ./...` but the check of
// its envelope encoder.
//
//	benchscale build     fill a MinIO data directory (cached by the script)
//	benchscale seed      the usage store with a year of history (cached)
//	benchscale serve     run MinIO on a data directory until stdin closes
//	benchscale tenant    the id, user name and password of one bench tenant (JSON)
//	benchscale lifecycle create, password, suspend, unsuspend, terminate through the binary
//	benchscale usage     usage.update for N services through the binary
//	benchscale requests  the MinIO requests of one client page and one admin tab
//	benchscale report    the table of figures and bounds; exit status 1 if one is missed
//	benchscale start     process starts of programs, interleaved (scripts/bench-start.sh)
//
// Each subcommand says its flags with -h. Figures go to JSON files the
// report reads; progress goes to stderr.
package main

import (
	"errors"
	"fmt"
	"os"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: benchscale build|seed|serve|tenant|lifecycle|usage|requests|report|start [flags]")
		os.Exit(2)
	}
	cmds := map[string]func([]string) error{
		"build":     cmdBuild,
		"seed":      cmdSeed,
		"serve":     cmdServe,
		"tenant":    cmdTenant,
		"lifecycle": cmdLifecycle,
		"usage":     cmdUsage,
		"requests":  cmdRequests,
		"report":    cmdReport,
		"start":     cmdStart,
	}
	run, ok := cmds[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "benchscale: unknown subcommand %q\n", os.Args[1])
		os.Exit(2)
	}
	if err := run(os.Args[2:]); err != nil {
		if errors.Is(err, errMissed) {
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "benchscale %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

// logLine prints progress on stderr with the time of day.
func logLine(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}
