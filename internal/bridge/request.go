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
	"slices"
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
	Server  *Server            `json:"server,omitempty"`
	Store   *Store             `json:"store,omitempty"`
	Service *domain.ServiceRef `json:"service,omitempty"`
	Product *domain.Product    `json:"product,omitempty"`
	Params  json.RawMessage    `json:"params,omitempty"` // absent parts are left out when a Request is encoded: the bridge refuses null
}

// Server says how to reach MinIO's admin and S3 APIs.
type Server struct {
	ID        int64  `json:"id"`
	Endpoint  string `json:"endpoint"`
	Secure    bool   `json:"secure"`
	AccessKey string `json:"accessKey"`
	SecretKey string `json:"secretKey"`
	CAPem     string `json:"caPem"`
	Region    string `json:"region"`
	// Backend is the server's kind: BackendMinIO (the default) or
	// BackendRGW. WHMCS has no field for it: the Access Hash (caPem) may
	// name it on a line of its own, "backend: rgw", beside the CA.
	Backend        string `json:"backend"`
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
	// One pass of the scanner checks the syntax and the nesting depth
	// without building anything; the strict walk then runs on valid JSON,
	// and only then is it decoded into structs.
	dec := json.NewDecoder(bytes.NewReader(data))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, decodeError(err, "")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, domain.Errorf(domain.EINVALIDJSON, "the request holds data after its JSON object; send exactly one object")
	}
	if err := checkStrict(raw, reflect.TypeFor[Request](), ""); err != nil {
		return nil, err
	}
	var req Request
	if err := decodeStrict(raw, &req); err != nil {
		return nil, decodeError(err, "")
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

// checkStrict walks data, a valid JSON value that is to be decoded into a
// value of type t, and refuses what encoding/json would let pass silently:
// a key given twice (only the last would count), a key that matches a field
// only when case is ignored ("Username", "USERNAME"), null in place of a
// value, invalid UTF-8 (which would become U+FFFD), strings longer than
// MaxStringBytes and lists longer than MaxListLen. Errors name the field by
// its path. Type mismatches are left to the decoder, which runs after it.
// It reads bytes directly: a json.Decoder token loop costs ten times the
// decoding of a 10,000-service usage update.
func checkStrict(data []byte, t reflect.Type, path string) error {
	s := strictScan{data: data, checkUTF8: !utf8.Valid(data)}
	return s.walk(t, &fieldPath{key: path}, "")
}

// fieldPath names a value for messages ("params.services[3].product");
// it is built into a string only for an error.
type fieldPath struct {
	parent *fieldPath
	key    string
	elem   bool // a list element: index, not key
	index  int
}

func (p *fieldPath) String() string {
	if p == nil {
		return ""
	}
	if p.elem {
		return p.parent.String() + "[" + strconv.Itoa(p.index) + "]"
	}
	return joinPath(p.parent.String(), p.key)
}

// strictScan walks valid JSON.
type strictScan struct {
	data []byte
	i    int
	// checkUTF8: the input holds invalid UTF-8; find the string with it.
	checkUTF8 bool
}

func (s *strictScan) space() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// str reads the string at s.i and returns its raw bytes (without quotes)
// and whether it holds escapes.
func (s *strictScan) str() (raw []byte, escaped bool) {
	s.i++
	start := s.i
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case '\\':
			escaped = true
			s.i += 2
		case '"':
			raw = s.data[start:s.i]
			s.i++
			return raw, escaped
		default:
			s.i++
		}
	}
	// Only invalid JSON ends here (a fuzz target feeds it on purpose).
	return s.data[min(start, len(s.data)):], escaped
}

// skip reads past one value.
func (s *strictScan) skip() {
	s.space()
	if s.i >= len(s.data) {
		return
	}
	switch s.data[s.i] {
	case '"':
		s.str()
	case '{', '[':
		depth := 0
		for s.i < len(s.data) {
			switch s.data[s.i] {
			case '"':
				s.str()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			s.i++
			if depth == 0 {
				return
			}
		}
	default:
		for s.i < len(s.data) {
			switch s.data[s.i] {
			case ',', ']', '}', ' ', '\t', '\n', '\r':
				return
			}
			s.i++
		}
	}
}

// next is the byte at the next value or delimiter.
func (s *strictScan) next() byte {
	s.space()
	if s.i >= len(s.data) {
		return 0
	}
	return s.data[s.i]
}

func (s *strictScan) walk(t reflect.Type, at *fieldPath, key string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == rawMessageType {
		// Checked when the action decodes it (decodeParams), with the
		// paths of its fields.
		s.skip()
		return nil
	}
	switch c := s.next(); {
	case c == 'n':
		path := at.String()
		if path == "" {
			return domain.Errorf(domain.EINVALIDJSON, "the request must be a JSON object, not null")
		}
		return domain.Errorf(domain.EINVALID, "%s must be %s, not null", domain.Printable(path), jsonType(t.Kind().String()))
	case c == '"':
		raw, escaped := s.str()
		if s.checkUTF8 && !utf8.Valid(raw) {
			return domain.Errorf(domain.EINVALID, "%s is not valid UTF-8", domain.Printable(at.String()))
		}
		if len(raw) > MaxStringBytes && !longStrings[key] {
			if n := len(unescape(raw, escaped)); n > MaxStringBytes {
				return domain.Errorf(domain.ETOOLARGE, "%s is longer than %d bytes", domain.Printable(at.String()), MaxStringBytes)
			}
		}
	case c == '{' && t.Kind() == reflect.Struct:
		s.i++
		fields := jsonFields(t)
		// Objects have at most a few dozen fields: a slice beats a map.
		var seenBuf [32]string
		seen := seenBuf[:0]
		if s.next() == '}' {
			s.i++
			return nil
		}
		for s.i < len(s.data) {
			s.next()
			raw, escaped := s.str()
			if s.checkUTF8 && !utf8.Valid(raw) {
				if path := at.String(); path != "" {
					return domain.Errorf(domain.EINVALID, "%s holds a field name that is not valid UTF-8", domain.Printable(path))
				}
				return domain.Errorf(domain.EINVALIDJSON, "the request holds a field name that is not valid UTF-8")
			}
			k := unescape(raw, escaped)
			p := &fieldPath{parent: at, key: k}
			if slices.Contains(seen, k) {
				return domain.Errorf(domain.EINVALID, "%s is given twice; send each field once", domain.Printable(p.String()))
			}
			seen = append(seen, k)
			ft, ok := fields[k]
			if !ok {
				return domain.Errorf(domain.EINVALID, "unknown field %q (field names are case-sensitive)", domain.Printable(p.String()))
			}
			s.next() // the colon
			s.i++
			if err := s.walk(ft, p, k); err != nil {
				return err
			}
			if s.next() == ',' {
				s.i++
				continue
			}
			s.i++ // the closing brace
			break
		}
	case c == '[' && t.Kind() == reflect.Slice:
		s.i++
		if s.next() == ']' {
			s.i++
			return nil
		}
		for i := 0; s.i < len(s.data); i++ {
			if i == MaxListLen {
				return domain.Errorf(domain.ETOOLARGE, "%s holds more than %d entries", domain.Printable(at.String()), MaxListLen)
			}
			if err := s.walk(t.Elem(), &fieldPath{parent: at, elem: true, index: i}, key); err != nil {
				return err
			}
			if s.next() == ',' {
				s.i++
				continue
			}
			s.i++ // the closing bracket
			break
		}
	default:
		// A number, true or false, or the wrong type: the decoder names it.
		s.skip()
	}
	return nil
}

// unescape returns a JSON string's value from its raw bytes.
func unescape(raw []byte, escaped bool) string {
	if !escaped {
		return string(raw)
	}
	var v string
	q := make([]byte, 0, len(raw)+2)
	q = append(append(append(q, '"'), raw...), '"')
	if json.Unmarshal(q, &v) != nil {
		return string(raw)
	}
	return v
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
	if !regionName().MatchString(s.Region) {
		return domain.Errorf(domain.EINVALID, "server.region may hold letters, digits, '-', '_' and '.' only (at most 64), not %q", domain.Printable(s.Region))
	}
	if s.TimeoutSeconds == 0 {
		s.TimeoutSeconds = DefaultTimeout
	}
	if s.TimeoutSeconds < 1 || s.TimeoutSeconds > MaxTimeout {
		return domain.Errorf(domain.EINVALID, "server.timeoutSeconds must be between 1 and %d", MaxTimeout)
	}
	if err := s.takeBackend(); err != nil {
		return err
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

// Server backends.
const (
	BackendMinIO = "minio"
	BackendRGW   = "rgw"
)

// takeBackend settles Backend: a "backend: NAME" (or "backend=NAME") line
// in the Access Hash names it, and is taken out of the CA text; a backend
// named in both places must agree.
func (s *Server) takeBackend() error {
	var rest []string
	named := ""
	for _, line := range strings.Split(s.CAPem, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			k, v, ok = strings.Cut(line, "=")
		}
		if ok && strings.EqualFold(strings.TrimSpace(k), "backend") {
			if named != "" {
				return domain.Errorf(domain.EINVALID, "server.caPem (the Access Hash) names the backend twice")
			}
			named = strings.ToLower(strings.TrimSpace(v))
			continue
		}
		rest = append(rest, line)
	}
	if named != "" {
		s.CAPem = strings.Join(rest, "\n")
	}
	switch {
	case named != "" && s.Backend != "" && s.Backend != named:
		return domain.Errorf(domain.EINVALID, "server.backend is %q but the Access Hash names %q", domain.Printable(s.Backend), domain.Printable(named))
	case s.Backend == "":
		s.Backend = named
	}
	switch s.Backend {
	case "":
		s.Backend = BackendMinIO
	case BackendMinIO, BackendRGW:
	default:
		return domain.Errorf(domain.EINVALID, "the server's backend must be %s or %s, not %q (a line \"backend: rgw\" in the Access Hash for Ceph RGW)", BackendMinIO, BackendRGW, domain.Printable(s.Backend))
	}
	return nil
}

// RootCAs is the pool that verifies the server's certificate: the system
// pool plus the server's own CA when it has one, and nil (the system pool)
// otherwise.
func (s *Server) RootCAs() *x509.CertPool {
	if strings.TrimSpace(s.CAPem) == "" {
		return nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	pool.AppendCertsFromPEM([]byte(s.CAPem))
	return pool
}

// regionName is what MinIO accepts as a region: empty (the default) or a
// short name such as us-east-1. It is part of every request's signature.
var regionName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9._-]{0,64}$`) })

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

// checkService checks the shape of the service an action concerns: its id
// and client id. The user name and password rules are the account's.
func checkService(s *domain.ServiceRef, action string) error {
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
	if !json.Valid(raw) {
		// From the envelope it always is; a command may read it from a file.
		return domain.Errorf(domain.EINVALID, "params is not valid JSON")
	}
	if err := checkStrict(raw, reflect.TypeOf(v).Elem(), "params"); err != nil {
		return err
	}
	if err := decodeStrict(raw, v); err != nil {
		return decodeError(err, "params")
	}
	return nil
}

// decodeStrict decodes one valid JSON value, refusing unknown fields.
func decodeStrict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
