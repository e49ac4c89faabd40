package bridge_test

import (
	"io"
	"log/slog"

	"github.com/puqminios3/puqminio/cmd/puqminio/wire"
	"github.com/puqminios3/puqminio/internal/bridge"
)

func init() {
	bridge.TestEnv = func() bridge.Env {
		return wire.Env(slog.New(slog.NewTextHandler(io.Discard, nil)))
	}
}
