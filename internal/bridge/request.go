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
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

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
	if err := checkStrict(data, reflect.TypeFor[Request](), ""); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var req Request
	if err := dec.Decode(&req); err != nil {
		return nil, decodeError(err, "")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, domain.Errorf(domain.EINVALIDJSON, "the request holds data after its JSON object; send exactly one object")
	}
	if req.V != Version {
		return nil, domain.Errorf(domain.EVERSION, "envelope version %d is not supported; this puqminio speaks version %d", req.V, Version)
	}
	if req.Action == "" {
		return nil, domain.Errorf(domain.EMISSING, "action is required")
	}
	return &req, nil
}

// decodeError turns an encoding/json error into a domain error. prefix is
// the path of the decoded value ("" for the envelope, "params").
func decodeError(err error, prefix string) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			if prefix != "" {
				return domain.Errorf(domain.EINVALID, "%s must be an object, not %s", prefix, domain.Printable(te.Value))
			}
			return domain.Errorf(domain.EINVALIDJSON, "the request must be a JSON object, not %s", domain.Printable(te.Value))
		}
		return domain.Errorf(domain.EINVALID, "%s must be %s, not %s", domain.Printable(joinPath(prefix, field)), jsonType(te.Type.Kind().String()), domain.Printable(te.Value))
	case errors.As(err, &se):
		if prefix != "" {
			return domain.Errorf(domain.EINVALID, "%s is not valid JSON at byte %d", prefix, se.Offset)
		}
		return domain.Errorf(domain.EINVALIDJSON, "the request is not valid JSON at byte %d", se.Offset)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return domain.Errorf(domain.EINVALID, "unknown field %q", domain.Printable(joinPath(prefix, name)))
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return domain.Errorf(domain.EINVALIDJSON, "the request ends before its JSON object does")
	}
	return domain.Errorf(domain.EINVALIDJSON, "the request is not valid JSON: %s", domain.Printable(err.Error()))
}

func joinPath(prefix, field string) string {
	if prefix == "" {
		return field
	}
	return prefix + "." + field
}

// MaxStringBytes bounds a string field. The raw policies and the CA are
// exempt: the product and server checks bound them with their own limits
// and messages.
const MaxStringBytes = 64 << 10

// MaxListLen bounds a list (params.services, params.notices), so a request
// of a million empty objects is refused before it is decoded into a
// million structs.
const MaxListLen = 50000

// Fields exempt from MaxStringBytes.
var longStrings = map[string]bool{"policy": true, "limitPolicy": true, "caPem": true}

var rawMessageType = reflect.TypeFor[json.RawMessage]()

// checkStrict walks data, which is to be decoded into a value of type t,
// and refuses what encoding/json would let pass silently: a key given twice
// (only the last would count), a key that matches a field only when case is
// ignored ("Username", "USERNAME"), null in place of a value, strings longer
// than MaxStringBytes and lists longer than MaxListLen. Errors name the
// field by its path. Type mismatches are left to the decoder, which runs
// after it.
func checkStrict(data []byte, t reflect.Type, path string) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	s := strictWalker{dec: dec, data: data, checkUTF8: !utf8.Valid(data)}
	return s.walk(t, path, "")
}

type strictWalker struct {
	dec  *json.Decoder
	data []byte
	// checkUTF8: the request holds invalid UTF-8, which the decoder would
	// silently turn into U+FFFD; find the string that holds it.
	checkUTF8 bool
}

// token reads the next token; a string's raw bytes must be valid UTF-8.
func (s *strictWalker) token(path string) (json.Token, error) {
	start := s.dec.InputOffset()
	tok, err := s.dec.Token()
	if err != nil {
		return nil, decodeError(err, "")
	}
	if _, ok := tok.(string); ok && s.checkUTF8 && !utf8.Valid(s.data[start:s.dec.InputOffset()]) {
		if path == "" {
			return nil, domain.Errorf(domain.EINVALIDJSON, "the request holds a field name that is not valid UTF-8")
		}
		return nil, domain.Errorf(domain.EINVALID, "%s is not valid UTF-8", domain.Printable(path))
	}
	return tok, nil
}

func (s *strictWalker) walk(t reflect.Type, path, key string) error {
	dec := s.dec
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == rawMessageType {
		// Checked when the action decodes it (decodeParams), with the
		// paths of its fields.
		check := s.checkUTF8
		s.checkUTF8 = false
		err := s.skipValue(nil, path)
		s.checkUTF8 = check
		return err
	}
	tok, err := s.token(path)
	if err != nil {
		return err
	}
	switch tok := tok.(type) {
	case nil:
		if path == "" {
			return domain.Errorf(domain.EINVALIDJSON, "the request must be a JSON object, not null")
		}
		return domain.Errorf(domain.EINVALID, "%s must be %s, not null", domain.Printable(path), jsonType(t.Kind().String()))
	case string:
		if len(tok) > MaxStringBytes && !longStrings[key] {
			return domain.Errorf(domain.ETOOLARGE, "%s is longer than %d bytes", domain.Printable(path), MaxStringBytes)
		}
	case json.Delim:
		switch {
		case tok == '{' && t.Kind() == reflect.Struct:
			fields := jsonFields(t)
			seen := make(map[string]bool, len(fields))
			for dec.More() {
				kt, err := s.token(path)
				if err != nil {
					return err
				}
				k, _ := kt.(string)
				p := joinPath(path, k)
				if seen[k] {
					return domain.Errorf(domain.EINVALID, "%s is given twice; send each field once", domain.Printable(p))
				}
				seen[k] = true
				ft, ok := fields[k]
				if !ok {
					return domain.Errorf(domain.EINVALID, "unknown field %q (field names are case-sensitive)", domain.Printable(p))
				}
				if err := s.walk(ft, p, k); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil {
				return decodeError(err, "")
			}
		case tok == '[' && t.Kind() == reflect.Slice:
			i := 0
			for ; dec.More(); i++ {
				if i == MaxListLen {
					return domain.Errorf(domain.ETOOLARGE, "%s holds more than %d entries", domain.Printable(path), MaxListLen)
				}
				if err := s.walk(t.Elem(), path+"["+strconv.Itoa(i)+"]", key); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil {
				return decodeError(err, "")
			}
		default:
			// The wrong type: the decoder names it.
			return s.skipValue(tok, path)
		}
	}
	return nil
}

// skipValue reads past one value, or the rest of the one opened by first.
func (s *strictWalker) skipValue(first json.Token, path string) error {
	depth := 0
	if d, ok := first.(json.Delim); ok && (d == '{' || d == '[') {
		depth = 1
	}
	for {
		if first == nil || depth > 0 {
			tok, err := s.token(path)
			if err != nil {
				return err
			}
			first = tok
			if d, ok := tok.(json.Delim); ok {
				if d == '{' || d == '[' {
					depth++
				} else {
					depth--
				}
			}
		}
		if depth == 0 {
			return nil
		}
	}
}

// jsonFields maps the exact JSON names of struct t's fields to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if f, ok := fieldCache.Load(t); ok {
		return f.(map[string]reflect.Type)
	}
	out := make(map[string]reflect.Type, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	fieldCache.Store(t, out)
	return out
}

var fieldCache sync.Map

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
	if err != nil || host == "" || strings.ContainsAny(s.Endpoint, "/ \t\r\n") || !printable(s.Endpoint) {
		return domain.Errorf(domain.EINVALID, "server.endpoint must be host:port without a scheme, not %q", domain.Printable(s.Endpoint))
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return domain.Errorf(domain.EINVALID, "server.endpoint has an invalid port %q", domain.Printable(port))
	}
	if s.ID < 0 {
		return domain.Errorf(domain.EINVALID, "server.id must be 0 or a positive whole number")
	}
	if s.AccessKey == "" {
		return domain.Errorf(domain.EMISSING, "server.accessKey (the server's username) is required")
	}
	if !printable(s.AccessKey) {
		return domain.Errorf(domain.EINVALID, "server.accessKey may hold printable characters only")
	}
	if s.SecretKey == "" {
		return domain.Errorf(domain.EMISSING, "server.secretKey (the server's password) is required")
	}
	if !printable(s.SecretKey) {
		// Never echo it.
		return domain.Errorf(domain.EINVALID, "server.secretKey may hold printable characters only")
	}
	if !regionName.MatchString(s.Region) {
		return domain.Errorf(domain.EINVALID, "server.region may hold letters, digits, '-', '_' and '.' only (at most 64), not %q", domain.Printable(s.Region))
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

// regionName is what MinIO accepts as a region: empty (the default) or a
// short name such as us-east-1. It is part of every request's signature.
var regionName = regexp.MustCompile(`^[A-Za-z0-9._-]{0,64}$`)

// printable reports whether s is valid UTF-8 without control characters.
// Such characters in a credential would end in a broken HTTP header, which
// the client would report as a network failure worth retrying.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) {
			return false
		}
	}
	return true
}

// checkService checks the service an action concerns. withUser: the action
// works on the existing user service.username.
func checkService(s *domain.ServiceRef, action string, withUser bool) error {
	if s == nil {
		return domain.Errorf(domain.EMISSING, "service is required for %s", action)
	}
	if s.ID < 0 {
		return domain.Errorf(domain.EINVALID, "service.id must be a positive whole number")
	}
	if s.ID == 0 {
		return domain.Errorf(domain.EMISSING, "service.id is required for %s", action)
	}
	if s.ClientID < 0 {
		return domain.Errorf(domain.EINVALID, "service.clientId must be a positive whole number")
	}
	if withUser {
		if err := domain.ValidateExistingUsername(s.Username); err != nil {
			return fieldError("service.username", err)
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

// decodeParams decodes params strictly into v, as the envelope is decoded.
// Absent params decode as an empty object.
func decodeParams(raw json.RawMessage, v any) error {
	if len(raw) == 0 {
		return nil
	}
	if err := checkStrict(raw, reflect.TypeOf(v).Elem(), "params"); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err, "params")
	}
	return nil
}
