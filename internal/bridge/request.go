// Package bridge is the JSON protocol between the PHP shim and the Go core:
// one request on stdin, one response on stdout (docs/bridge.md). It decodes
// and checks requests strictly, so that a malformed one is refused before
// anything touches MinIO, and it never echoes a secret.
package bridge

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"

	"github.com/puqminios3/puqminio/internal/domain"
)

// Version is the envelope version this binary speaks.
const Version = 1

// MaxRequestBytes bounds a request. A usage update for 10,000 services with
// their product settings fits well inside it.
const MaxRequestBytes = 8 << 20

// Request is the envelope.
type Request struct {
	V       int                `json:"v"`
	Action  string             `json:"action"`
	Server  *Server            `json:"server"`
	Store   *Store             `json:"store"`
	Service *domain.ServiceRef `json:"service"`
	Product *domain.Product    `json:"product"`
	Params  json.RawMessage    `json:"params"`
}

// Server says how to reach MinIO's admin and S3 APIs.
type Server struct {
	ID             int64  `json:"id"`
	Endpoint       string `json:"endpoint"`
	Secure         bool   `json:"secure"`
	AccessKey      string `json:"accessKey"`
	SecretKey      string `json:"secretKey"`
	CAPem          string `json:"caPem"`
	Region         string `json:"region"`
	TimeoutSeconds int    `json:"timeoutSeconds"`
}

// Store locates the usage history database.
type Store struct {
	Path string `json:"path"`
}

// Decode reads one request from r: a single JSON object of at most
// MaxRequestBytes with no unknown fields.
func Decode(r io.Reader) (*Request, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxRequestBytes+1))
	if err != nil {
		return nil, domain.Errorf(domain.EINVALIDJSON, "cannot read the request: %s", domain.Printable(err.Error()))
	}
	if len(data) > MaxRequestBytes {
		return nil, domain.Errorf(domain.ETOOLARGE, "the request is larger than %d bytes", MaxRequestBytes)
	}
	return DecodeBytes(data)
}

// DecodeBytes decodes one request held in memory.
func DecodeBytes(data []byte) (*Request, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, domain.Errorf(domain.EINVALIDJSON, "the request is empty; send one JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var req Request
	if err := dec.Decode(&req); err != nil {
		return nil, decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, domain.Errorf(domain.EINVALIDJSON, "the request holds more than one JSON value")
	}
	if req.V != Version {
		return nil, domain.Errorf(domain.EVERSION, "envelope version %d is not supported; this puqminio speaks version %d", req.V, Version)
	}
	if req.Action == "" {
		return nil, domain.Errorf(domain.EMISSING, "action is required")
	}
	return &req, nil
}

func decodeError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			return domain.Errorf(domain.EINVALIDJSON, "the request must be a JSON object, not %s", te.Value)
		}
		return domain.Errorf(domain.EINVALID, "%s must be %s, not %s", domain.Printable(field), jsonType(te.Type.Kind().String()), te.Value)
	case errors.As(err, &se):
		return domain.Errorf(domain.EINVALIDJSON, "the request is not valid JSON at byte %d", se.Offset)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return domain.Errorf(domain.EINVALID, "unknown field %s", domain.Printable(strings.TrimPrefix(err.Error(), "json: unknown field ")))
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return domain.Errorf(domain.EINVALIDJSON, "the request ends before its JSON object does")
	}
	return domain.Errorf(domain.EINVALIDJSON, "the request is not valid JSON: %s", domain.Printable(err.Error()))
}

func jsonType(kind string) string {
	switch kind {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "a whole number"
	case "float32", "float64":
		return "a number"
	case "bool":
		return "true or false"
	case "string":
		return "a string"
	case "slice":
		return "a list"
	case "struct", "map", "ptr":
		return "an object"
	}
	return kind
}

// Timeout defaults and bounds, in seconds.
const (
	DefaultTimeout = 30
	MaxTimeout     = 600
)

func (s *Server) check() error {
	if s == nil {
		return domain.Errorf(domain.EMISSING, "server is required for this action")
	}
	if s.Endpoint == "" {
		return domain.Errorf(domain.EMISSING, "server.endpoint is required (host:port)")
	}
	host, port, err := net.SplitHostPort(s.Endpoint)
	if err != nil || host == "" || strings.ContainsAny(s.Endpoint, "/ \t\r\n") {
		return domain.Errorf(domain.EINVALID, "server.endpoint must be host:port without a scheme, not %q", domain.Printable(s.Endpoint))
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return domain.Errorf(domain.EINVALID, "server.endpoint has an invalid port %q", domain.Printable(port))
	}
	if s.AccessKey == "" {
		return domain.Errorf(domain.EMISSING, "server.accessKey (the server's username) is required")
	}
	if s.SecretKey == "" {
		return domain.Errorf(domain.EMISSING, "server.secretKey (the server's password) is required")
	}
	if s.TimeoutSeconds == 0 {
		s.TimeoutSeconds = DefaultTimeout
	}
	if s.TimeoutSeconds < 1 || s.TimeoutSeconds > MaxTimeout {
		return domain.Errorf(domain.EINVALID, "server.timeoutSeconds must be between 1 and %d", MaxTimeout)
	}
	if strings.TrimSpace(s.CAPem) != "" {
		if !s.Secure {
			return domain.Errorf(domain.EINVALID, "server.caPem is set but server.secure is false; tick \"Secure\" to use HTTPS")
		}
		if !x509.NewCertPool().AppendCertsFromPEM([]byte(s.CAPem)) {
			return domain.Errorf(domain.EINVALID, "server.caPem holds no PEM certificate")
		}
	}
	return nil
}

func (s *Store) check() error {
	if s == nil || strings.TrimSpace(s.Path) == "" {
		return domain.Errorf(domain.EMISSING, "store.path (the usage database) is required for this action")
	}
	if strings.ContainsRune(s.Path, 0) {
		return domain.Errorf(domain.EINVALID, "store.path holds a NUL byte")
	}
	return nil
}

// decodeParams decodes params strictly into v.
func decodeParams(raw json.RawMessage, v any) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return domain.Errorf(domain.EINVALID, "params.%s must be %s, not %s", domain.Printable(te.Field), jsonType(te.Type.Kind().String()), te.Value)
		}
		if strings.HasPrefix(err.Error(), "json: unknown field ") {
			return domain.Errorf(domain.EINVALID, "params: unknown field %s", domain.Printable(strings.TrimPrefix(err.Error(), "json: unknown field ")))
		}
		return domain.Errorf(domain.EINVALID, "params: %s", domain.Printable(err.Error()))
	}
	return nil
}
