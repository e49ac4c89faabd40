package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/puqminios3/puqminio/internal/bridge"
	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/sqlite"
)

// Commit is the source commit, set at build time with
// -ldflags "-X main.Commit=..."; without it the Go toolchain's VCS stamp is
// used when there is one.
var Commit = ""

// buildInfo is what `puqminio version` reports.
type buildInfo struct {
	Version  string       `json:"version"`
	Commit   string       `json:"commit"`
	Go       string       `json:"go"`
	Platform string       `json:"platform"`
	Schema   int          `json:"schema"` // the newest schema this build knows
	Database *databaseRef `json:"database,omitempty"`
}

// databaseRef is a usage database as this build sees it.
type databaseRef struct {
	sqlite.Info
	// State is "current", "older" (this build migrates it on its next use)
	// or "newer" (this build refuses it).
	State string `json:"state"`
}

func commit() string {
	if Commit != "" {
		return Commit
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	switch {
	case rev == "":
		return "unknown"
	case dirty:
		return rev + "-dirty"
	}
	return rev
}

func newVersionCmd(streams IO) *cobra.Command {
	var dbPath string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Show the build's version, commit, Go version and database schema",
		Long: `version prints this build's version, source commit, Go version, platform and
the newest usage-database schema it knows. With --db it also reads that
database, read-only and without migrating it: its schema version, the
puqminio version that last opened it and the one that last migrated it.

Exit status: 0; 2 when the database cannot be read or is newer than this build
(this build would refuse it).`,
		Example: "  puqminio version\n  puqminio version --db /var/lib/puqminio/usage.db --json",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			info := buildInfo{Version: Version, Commit: commit(), Go: runtime.Version(),
				Platform: runtime.GOOS + "/" + runtime.GOARCH, Schema: sqlite.SchemaVersion()}
			var failure error
			if dbPath != "" {
				di, err := sqlite.Inspect(c.Context(), dbPath)
				if err != nil {
					failure = err
				} else {
					ref := &databaseRef{Info: di, State: "current"}
					switch {
					case di.Schema < info.Schema:
						ref.State = "older"
					case di.Schema > info.Schema:
						ref.State = "newer"
						failure = domain.Errorf(domain.ESTORE, "the usage database %s has schema version %d, newer than this puqminio knows (%d): this build refuses it", dbPath, di.Schema, info.Schema)
					}
					info.Database = ref
				}
			}
			if asJSON {
				enc := json.NewEncoder(streams.Out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(info); err != nil {
					return err
				}
			} else {
				printVersion(streams, info)
			}
			if failure != nil {
				fmt.Fprintf(streams.Err, "Error (%s): %s\n", domain.ErrorCode(failure), domain.ErrorMessage(failure))
				return exitError{bridge.ExitFailed}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dbPath, "db", "", "also describe this usage database (read-only)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func printVersion(streams IO, info buildInfo) {
	w := tabwriter.NewWriter(streams.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "puqminio\t%s\n", info.Version)
	fmt.Fprintf(w, "commit\t%s\n", info.Commit)
	fmt.Fprintf(w, "go\t%s %s\n", info.Go, info.Platform)
	fmt.Fprintf(w, "schema\t%d\n", info.Schema)
	if d := info.Database; d != nil {
		fmt.Fprintf(w, "database\t%s\n", d.Path)
		note := map[string]string{
			"current": "current",
			"older":   fmt.Sprintf("older: migrated to %d on its next use", info.Schema),
			"newer":   "newer than this build: refused",
		}[d.State]
		fmt.Fprintf(w, "database schema\t%d (%s)\n", d.Schema, note)
		fmt.Fprintf(w, "last opened by\t%s\n", versionAt(d.LastVersion, d.LastVersionAt))
		fmt.Fprintf(w, "last migrated by\t%s\n", versionAt(d.MigratedBy, d.MigratedAt))
	}
	w.Flush()
}

func versionAt(v string, at time.Time) string {
	if v == "" {
		return "not recorded (schema 1 files do not record it)"
	}
	return v + " since " + at.UTC().Format(time.RFC3339)
}
