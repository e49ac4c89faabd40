package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/puqminios3/puqminio/cmd/puqminio/wire"
	"github.com/puqminios3/puqminio/internal/bridge"
	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/sqlite"
)

// Version is set at build time with -ldflags "-X main.Version=...".
var Version = "dev"

// IO carries the process's streams and environment, so tests can run
// commands without touching the real ones.
type IO struct {
	In     io.Reader
	Out    io.Writer
	Err    io.Writer
	Getenv func(string) string
}

// exitError carries an exit status out of a cobra command.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// Execute runs the command line args and returns the exit status.
func Execute(ctx context.Context, args []string, streams IO) int {
	sqlite.Software = Version
	root := NewRootCmd(streams)
	root.SetArgs(args)
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.Err)
	err := root.ExecuteContext(ctx)
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	default:
		fmt.Fprintln(streams.Err, "Error:", err)
		return bridge.ExitRejected
	}
}

// NewRootCmd builds the command tree.
func NewRootCmd(streams IO) *cobra.Command {
	root := &cobra.Command{
		Use:           "puqminio",
		Short:         "Provision and meter MinIO S3 storage accounts for WHMCS",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       Version,
	}
	root.AddCommand(newRPCCmd(streams), newServerCmd(streams), newAccountCmd(streams), newUsageCmd(streams), newTrafficCmd(streams), newVersionCmd(streams))
	return root
}

func newRPCCmd(streams IO) *cobra.Command {
	return &cobra.Command{
		Use:   "rpc",
		Short: "Read one JSON request on stdin, write one JSON response on stdout",
		Long: `rpc is what the WHMCS module runs: one JSON request on stdin, one JSON
response on stdout, logs on stderr. See docs/bridge.md for the protocol.

Exit status: 0 ok; 1 the request was refused before anything was touched;
2 the action failed (the response says whether a retry may succeed);
3 no response could be written.`,
		Example: `  echo '{"v":1,"action":"server.check","server":{...}}' | puqminio rpc`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if code := bridge.Run(cmd.Context(), streams.In, streams.Out, newEnv(streams)); code != 0 {
				return exitError{code}
			}
			return nil
		},
	}
}

// newEnv builds the bridge's environment with logs on stderr as JSON lines.
func newEnv(streams IO) bridge.Env {
	level := slog.LevelInfo
	if streams.Getenv("PUQMINIO_DEBUG") != "" {
		level = slog.LevelDebug
	}
	return wire.Env(slog.New(slog.NewJSONHandler(streams.Err, &slog.HandlerOptions{Level: level})))
}

// requestError reports a domain error from a human command and its status.
func requestError(streams IO, err error) error {
	fmt.Fprintf(streams.Err, "Error (%s): %s\n", domain.ErrorCode(err), domain.ErrorMessage(err))
	if domain.IsRetryable(err) {
		fmt.Fprintln(streams.Err, "Retrying is safe.")
	}
	switch domain.ErrorCode(err) {
	case domain.EINVALIDJSON, domain.EVERSION, domain.EUNKNOWN, domain.EMISSING, domain.EINVALID, domain.ETOOLARGE, domain.EINVALIDNAME, domain.EINVALIDPOL:
		return exitError{bridge.ExitRejected}
	}
	return exitError{bridge.ExitFailed}
}
