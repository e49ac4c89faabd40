// Command floor is the floor of issue 12's page bounds: the least a PHP
// module that runs a Go program per call can cost. It reads one JSON
// object from stdin, decodes it, and writes one JSON object back, as the
// bridge does, and nothing else. scripts/bench-scale.sh builds it with
// -ldflags='-s -w' (about 2 MB) and times it from PHP beside the pages.
package main

import (
	"encoding/json"
	"os"
)

func main() {
	var req map[string]any
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		os.Exit(1)
	}
	ans := map[string]any{"ok": true, "result": map[string]any{"html": "<p>floor</p>", "fields": len(req)}}
	if err := json.NewEncoder(os.Stdout).Encode(ans); err != nil {
		os.Exit(3)
	}
}
