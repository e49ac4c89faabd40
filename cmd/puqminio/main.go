// Command puqminio is the Go core of the puqMinIOS3 WHMCS module. The PHP
// shim runs `puqminio rpc` once per WHMCS call with one JSON request on
// stdin; people use the other subcommands from a shell.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Execute(ctx, os.Args[1:], IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, Getenv: os.Getenv})
	stop()
	os.Exit(code)
}
