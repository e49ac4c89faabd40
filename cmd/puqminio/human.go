package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/puqminios3/puqminio/internal/bridge"
	"github.com/puqminios3/puqminio/internal/domain"
)

// serverFlags are the connection settings of the human commands. The admin
// secret comes only from the environment, never from a flag, so it does not
// show in the process list or shell history.
type serverFlags struct {
	endpoint string
	secure   bool
	caFile   string
	serverID int64
	timeout  int
	db       string
}

func (f *serverFlags) bind(cmd *cobra.Command, withDB bool) {
	cmd.Flags().StringVar(&f.endpoint, "endpoint", "", "MinIO host:port (default $PUQMINIO_ENDPOINT)")
	cmd.Flags().BoolVar(&f.secure, "secure", false, "use HTTPS with certificate verification")
	cmd.Flags().StringVar(&f.caFile, "ca-file", "", "PEM file of a CA to trust for a self-signed server")
	cmd.Flags().Int64Var(&f.serverID, "server-id", 1, "WHMCS server id the history is kept under")
	cmd.Flags().IntVar(&f.timeout, "timeout", bridge.DefaultTimeout, "seconds the whole action may take")
	if withDB {
		cmd.Flags().StringVar(&f.db, "db", "", "usage database path (default $PUQMINIO_DB)")
	}
}

func (f *serverFlags) request(streams IO, action string) (*bridge.Request, error) {
	endpoint := f.endpoint
	if endpoint == "" {
		endpoint = streams.Getenv("PUQMINIO_ENDPOINT")
	}
	s := &bridge.Server{ID: f.serverID, Endpoint: endpoint, Secure: f.secure, TimeoutSeconds: f.timeout,
		AccessKey: streams.Getenv("PUQMINIO_ACCESS_KEY"), SecretKey: streams.Getenv("PUQMINIO_SECRET_KEY")}
	if s.AccessKey == "" || s.SecretKey == "" {
		return nil, domain.Errorf(domain.EMISSING, "set PUQMINIO_ACCESS_KEY and PUQMINIO_SECRET_KEY in the environment")
	}
	if f.caFile != "" {
		pem, err := os.ReadFile(f.caFile)
		if err != nil {
			return nil, domain.Errorf(domain.EINVALID, "--ca-file: %s", err)
		}
		s.CAPem = string(pem)
	}
	req := &bridge.Request{V: bridge.Version, Action: action, Server: s}
	db := f.db
	if db == "" {
		db = streams.Getenv("PUQMINIO_DB")
	}
	if db != "" {
		req.Store = &bridge.Store{Path: db}
	}
	return req, nil
}

// run dispatches req and prints the result as indented JSON.
func run(cmd *cobra.Command, streams IO, req *bridge.Request) error {
	res, err := bridge.Dispatch(cmd.Context(), req, newEnv(streams))
	if err != nil {
		return requestError(streams, err)
	}
	enc := json.NewEncoder(streams.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}

func newServerCmd(streams IO) *cobra.Command {
	cmd := &cobra.Command{Use: "server", Short: "Look at a MinIO server"}
	var f serverFlags
	check := &cobra.Command{
		Use:     "check",
		Short:   "Show the server's version, mode and drives, and whether the credentials can manage users",
		Example: "  PUQMINIO_ACCESS_KEY=admin PUQMINIO_SECRET_KEY=... puqminio server check --endpoint s3.example.net:9000 --secure",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			req, err := f.request(streams, "server.check")
			if err != nil {
				return requestError(streams, err)
			}
			return run(c, streams, req)
		},
	}
	f.bind(check, false)
	cmd.AddCommand(check)
	return cmd
}

// accountFlags name the service and product of an account command.
type accountFlags struct {
	serverFlags
	serviceID   int64
	clientID    int64
	username    string
	productFile string
}

func (f *accountFlags) bind(cmd *cobra.Command) {
	f.serverFlags.bind(cmd, true)
	cmd.Flags().Int64Var(&f.serviceID, "service-id", 0, "WHMCS service id")
	cmd.Flags().Int64Var(&f.clientID, "client-id", 0, "WHMCS client id")
	cmd.Flags().StringVar(&f.username, "username", "", "MinIO user name of the account")
	cmd.Flags().StringVar(&f.productFile, "product", "", "JSON file with the product settings (docs/bridge.md)")
}

func (f *accountFlags) request(streams IO, action string) (*bridge.Request, error) {
	req, err := f.serverFlags.request(streams, action)
	if err != nil {
		return nil, err
	}
	req.Service = &domain.ServiceRef{ID: f.serviceID, ClientID: f.clientID, Username: f.username}
	req.Product = &domain.Product{}
	if f.productFile != "" {
		data, err := os.ReadFile(f.productFile)
		if err != nil {
			return nil, domain.Errorf(domain.EINVALID, "--product: %s", err)
		}
		dec := json.NewDecoder(strings.NewReader(string(data)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(req.Product); err != nil {
			return nil, domain.Errorf(domain.EINVALID, "--product %s: %s", f.productFile, err)
		}
	}
	return req, nil
}

func newAccountCmd(streams IO) *cobra.Command {
	cmd := &cobra.Command{Use: "account", Short: "Create and manage S3 storage accounts"}
	sub := []struct{ use, action, short string }{
		{"create", "account.create", "Create the user, its policy, group membership and default bucket"},
		{"suspend", "account.suspend", "Disable the user (its access keys stop working too)"},
		{"unsuspend", "account.unsuspend", "Enable the user again"},
		{"terminate", "account.terminate", "Delete every object version, the buckets, access keys, user and policy"},
		{"password", "account.password", "Set a new password, read from $PUQMINIO_NEW_PASSWORD"},
		{"package", "account.package", "Apply a new product: group, policies and limits"},
		{"info", "account.info", "Show the user's state on MinIO and its policy state"},
		{"policy", "policy.apply", "Apply the policy: --mode auto, standard or limited"},
	}
	for _, s := range sub {
		s := s
		var f accountFlags
		var mode string
		c := &cobra.Command{
			Use:   s.use,
			Short: s.short,
			Example: fmt.Sprintf("  export PUQMINIO_ACCESS_KEY=admin PUQMINIO_SECRET_KEY=... PUQMINIO_DB=/var/lib/puqminio/usage.db\n"+
				"  puqminio account %s --endpoint 127.0.0.1:9000 --service-id 34 --client-id 12 --username 12-34", s.use),
			Args: cobra.NoArgs,
			RunE: func(c *cobra.Command, _ []string) error {
				req, err := f.request(streams, s.action)
				if err != nil {
					return requestError(streams, err)
				}
				if s.action == "account.password" {
					req.Service.Password = streams.Getenv("PUQMINIO_NEW_PASSWORD")
				}
				if s.action == "policy.apply" {
					req.Params, _ = json.Marshal(map[string]string{"mode": mode})
				}
				return run(c, streams, req)
			},
		}
		f.bind(c)
		if s.action == "policy.apply" {
			c.Flags().StringVar(&mode, "mode", "auto", "auto, standard or limited")
		}
		cmd.AddCommand(c)
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List the server's users",
		Args:  cobra.NoArgs,
	}
	var lf serverFlags
	lf.bind(list, false)
	list.RunE = func(c *cobra.Command, _ []string) error {
		req, err := lf.request(streams, "account.list")
		if err != nil {
			return requestError(streams, err)
		}
		return run(c, streams, req)
	}
	cmd.AddCommand(list)
	return cmd
}

func newUsageCmd(streams IO) *cobra.Command {
	cmd := &cobra.Command{Use: "usage", Short: "Measure disk usage"}
	var f serverFlags
	var file string
	update := &cobra.Command{
		Use:   "update",
		Short: "Run a usage update for the services listed in a JSON file ({\"services\":[...]})",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			req, err := f.request(streams, "usage.update")
			if err != nil {
				return requestError(streams, err)
			}
			data, err := os.ReadFile(file)
			if err != nil {
				return requestError(streams, domain.Errorf(domain.EINVALID, "--services: %s", err))
			}
			req.Params = data
			return run(c, streams, req)
		},
	}
	f.bind(update, true)
	update.Flags().StringVar(&file, "services", "", "JSON file with the params of usage.update")
	cmd.AddCommand(update)
	return cmd
}
