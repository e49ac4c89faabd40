package main

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/minioaudit"
	"github.com/puqminios3/puqminio/internal/sqlite"
)

// minTokenLen is the shortest webhook token accepted: 128 bits as hex.
const minTokenLen = 32

// shutdownGrace bounds a graceful stop: finishing the posts being answered
// and storing what is queued. What is left after it MinIO sends again.
const shutdownGrace = 30 * time.Second

// trafficServeOptions are the settings of `puqminio traffic serve`. The
// token comes from $PUQMINIO_TRAFFIC_TOKEN or a file, never from a flag,
// so it does not show in the process list or shell history.
type trafficServeOptions struct {
	listen    string
	db        string
	serverID  int64
	tokenFile string
}

func newTrafficCmd(streams IO) *cobra.Command {
	cmd := &cobra.Command{Use: "traffic", Short: "Meter S3 traffic from MinIO's audit webhook"}
	var o trafficServeOptions
	serve := &cobra.Command{
		Use:   "serve",
		Short: "Receive MinIO's audit webhook and count each service's traffic in the usage database",
		Long: `serve listens for MinIO's audit webhook (POST /audit) and adds each request's
bytes to the traffic of the WHMCS service that owns its bucket (or its key),
per hour and bucket, in the usage database. A batch is answered 200 only
once it is stored; anything else makes MinIO keep it and send it again, and
a batch sent twice is counted once. GET /health answers with the queue depth.
SIGTERM or SIGINT stops it gracefully. Logs are JSON lines on stderr.

The token is read from $PUQMINIO_TRAFFIC_TOKEN or --token-file (at least 32
characters). MinIO sends its auth_token verbatim, so give it "Bearer <token>":

  MINIO_AUDIT_WEBHOOK_ENABLE_PUQ=on
  MINIO_AUDIT_WEBHOOK_ENDPOINT_PUQ=http://127.0.0.1:9900/audit
  MINIO_AUDIT_WEBHOOK_AUTH_TOKEN_PUQ="Bearer <token>"
  MINIO_AUDIT_WEBHOOK_QUEUE_DIR_PUQ=/var/lib/minio-audit-queue
  MINIO_AUDIT_WEBHOOK_BATCH_SIZE_PUQ=100

See docs/traffic-notes.md.`,
		Example: `  PUQMINIO_TRAFFIC_TOKEN=$(cat /etc/puqminio/traffic.token) \
    puqminio traffic serve --listen 127.0.0.1:9900 --db /var/lib/puqminio/usage.db --server-id 3`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runTrafficServe(c.Context(), streams, o)
		},
	}
	serve.Flags().StringVar(&o.listen, "listen", "127.0.0.1:9900", "address to listen on (host:port)")
	serve.Flags().StringVar(&o.db, "db", "", "usage database path (default $PUQMINIO_DB)")
	serve.Flags().Int64Var(&o.serverID, "server-id", 0, "WHMCS server id of the MinIO server that sends the webhook")
	serve.Flags().StringVar(&o.tokenFile, "token-file", "", "file holding the webhook token (default $PUQMINIO_TRAFFIC_TOKEN)")
	cmd.AddCommand(serve)
	return cmd
}

// trafficToken reads the token from the file or the environment.
func trafficToken(streams IO, file string) (string, error) {
	token := streams.Getenv("PUQMINIO_TRAFFIC_TOKEN")
	if file != "" {
		fi, err := os.Stat(file)
		if err != nil {
			return "", domain.Errorf(domain.EINVALID, "--token-file: %v", err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			return "", domain.Errorf(domain.EINVALID, "--token-file %s can be read by other users (mode %v); chmod 600 it", file, fi.Mode().Perm())
		}
		data, err := os.ReadFile(file)
		if err != nil {
			return "", domain.Errorf(domain.EINVALID, "--token-file: %v", err)
		}
		token = strings.TrimSpace(string(data))
	}
	switch {
	case token == "":
		return "", domain.Errorf(domain.EMISSING, "set PUQMINIO_TRAFFIC_TOKEN or --token-file to the webhook token")
	case len(token) < minTokenLen:
		return "", domain.Errorf(domain.EINVALID, "the webhook token must be at least %d characters (e.g. openssl rand -hex 32)", minTokenLen)
	case strings.ContainsAny(token, " \t\r\n"):
		return "", domain.Errorf(domain.EINVALID, "the webhook token must not hold spaces; give MinIO \"Bearer <token>\" but puqminio the token alone")
	}
	return token, nil
}

// runTrafficServe runs the receiver until ctx ends, then stops it
// gracefully.
func runTrafficServe(ctx context.Context, streams IO, o trafficServeOptions) error {
	if o.serverID <= 0 {
		return requestError(streams, domain.Errorf(domain.EMISSING, "--server-id is required: the WHMCS server id of this MinIO"))
	}
	token, err := trafficToken(streams, o.tokenFile)
	if err != nil {
		return requestError(streams, err)
	}
	path := o.db
	if path == "" {
		path = streams.Getenv("PUQMINIO_DB")
	}
	log := newEnv(streams).Log
	db, err := sqlite.Open(path)
	if err != nil {
		return requestError(streams, err)
	}
	defer db.Close()
	rcv, err := minioaudit.New(minioaudit.Config{Token: token, Store: sqlite.TrafficStore{DB: db, ServerID: o.serverID}, Log: log})
	if err != nil {
		return requestError(streams, domain.Errorf(domain.EINTERNAL, "%v", err))
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		_ = rcv.Close(context.Background())
		return requestError(streams, domain.Errorf(domain.EINVALID, "--listen %s: %v", o.listen, err))
	}
	srv := &http.Server{
		Handler:           rcv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("traffic receiver listening", "addr", ln.Addr().String(), "db", db.Path(), "serverId", o.serverID)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	var failed error
	select {
	case <-ctx.Done():
		log.Info("traffic receiver stopping")
	case err := <-served:
		failed = domain.Errorf(domain.EUNAVAILABLE, "serving %s: %v", o.listen, err)
	}
	// Stop taking connections and finish the posts being answered (each
	// waits for its commit), then store what the writer still holds.
	stop, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(stop); err != nil {
		log.Warn("some posts were cut short; MinIO will send them again", "error", err.Error())
	}
	if err := rcv.Close(stop); err != nil {
		log.Warn("some queued traffic was not stored; MinIO will send it again", "error", err.Error())
	}
	h := rcv.Health()
	log.Info("traffic receiver stopped", "stored", h.Stored, "duplicates", h.Duplicates, "refused", h.Refused)
	if failed != nil {
		return requestError(streams, failed)
	}
	return nil
}
