package minioaudit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/puqminios3/puqminio/internal/domain"
)

// Limits bound one POST body. A body over a limit is refused with 413 and
// MinIO sends it again every few seconds, holding the batches behind it:
// the defaults are far above what MinIO sends (an entry is 1 to 5 KB; a
// DeleteObjects entry naming 1,000 objects about 1 MB), so only a
// batch_size above MaxEntries reaches them.
type Limits struct {
	MaxBodyBytes  int64 // the whole body
	MaxEntryBytes int   // one entry: the decoder's buffer never grows past it
	MaxEntries    int   // entries in one body
}

// DefaultLimits are the limits the receiver uses unless told otherwise.
var DefaultLimits = Limits{MaxBodyBytes: 64 << 20, MaxEntryBytes: 4 << 20, MaxEntries: 10000}

// maxDepth bounds the nesting of the values the decoder skips.
const maxDepth = 64

// readChunk is how much the decoder reads at a time.
const readChunk = 64 << 10

// errShort means the data ended inside an entry: read more, or the body
// is truncated.
var errShort = errors.New("short")

// Decoder reads the entries of one body as MinIO sends it: JSON objects
// one after another, each followed by a newline (json.Encoder's output).
// Its memory is one entry at most (plus a read chunk), not the body.
// Decoding is strict where it matters: a field this package reads must be
// given once, with its exact name and type; an entry of another version
// is refused. Unknown fields are skipped (MinIO adds fields over time),
// but they must be valid JSON.
type Decoder struct {
	r          io.Reader
	lim        Limits
	buf        []byte
	start, end int   // buf[start:end] is read but not decoded
	read       int64 // bytes read from r
	eof        bool
	n          int // entries decoded
}

// NewDecoder returns a decoder of the body r.
func NewDecoder(r io.Reader, lim Limits) *Decoder {
	return &Decoder{r: r, lim: lim}
}

// Next decodes the next entry into e. It returns io.EOF after the last
// one, and a *domain.Error otherwise: ETOOLARGE for a body, entry or count
// over the limits, EUNAVAILABLE when reading the body fails, EINVALIDJSON
// for anything else.
func (d *Decoder) Next(e *Entry) error {
	for {
		for d.start < d.end && isSpace(d.buf[d.start]) {
			d.start++
		}
		if d.start == d.end {
			if d.eof {
				if d.n == 0 {
					return domain.Errorf(domain.EINVALIDJSON, "the body holds no audit entry")
				}
				return io.EOF
			}
			if err := d.fill(); err != nil {
				return err
			}
			continue
		}
		used, err := parseEntry(d.buf[d.start:d.end], e)
		if errors.Is(err, errShort) {
			if d.end-d.start >= d.lim.MaxEntryBytes {
				return domain.Errorf(domain.ETOOLARGE, "entry %d is larger than %d bytes", d.n+1, d.lim.MaxEntryBytes)
			}
			if d.eof {
				return domain.Errorf(domain.EINVALIDJSON, "entry %d: the body ends inside it", d.n+1)
			}
			if err := d.fill(); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return domain.Errorf(domain.EINVALIDJSON, "entry %d: %s", d.n+1, domain.Printable(err.Error()))
		}
		if used > d.lim.MaxEntryBytes {
			return domain.Errorf(domain.ETOOLARGE, "entry %d is larger than %d bytes", d.n+1, d.lim.MaxEntryBytes)
		}
		d.start += used
		d.n++
		if d.n > d.lim.MaxEntries {
			return domain.Errorf(domain.ETOOLARGE, "the body holds more than %d entries; lower MinIO's batch_size", d.lim.MaxEntries)
		}
		return nil
	}
}

// fill reads more of the body, first moving what is left to the front of
// the buffer and growing it when an entry does not fit.
func (d *Decoder) fill() error {
	if d.start > 0 {
		d.end = copy(d.buf, d.buf[d.start:d.end])
		d.start = 0
	}
	if len(d.buf)-d.end < readChunk {
		size := max(2*len(d.buf), d.end+readChunk)
		size = min(size, d.lim.MaxEntryBytes+readChunk)
		if size > len(d.buf) {
			nb := make([]byte, size)
			copy(nb, d.buf[:d.end])
			d.buf = nb
		}
	}
	n, err := d.r.Read(d.buf[d.end:])
	d.end += n
	d.read += int64(n)
	if d.read > d.lim.MaxBodyBytes {
		return domain.Errorf(domain.ETOOLARGE, "the body is larger than %d bytes", d.lim.MaxBodyBytes)
	}
	switch {
	case err == io.EOF:
		d.eof = true
	case err != nil:
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return domain.Errorf(domain.ETOOLARGE, "the body is larger than %d bytes", d.lim.MaxBodyBytes)
		}
		// The connection failed (MinIO gave up waiting, or went away):
		// not the body's fault.
		return domain.Retryf(domain.EUNAVAILABLE, "cannot read the body: %s", domain.Printable(err.Error()))
	}
	return nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

// Field bits, to find a field given twice.
const (
	fVersion = 1 << iota
	fDeployment
	fTime
	fTrigger
	fAPI
	fRequestID
	fAccessKey
	fParentUser
	fRespHeader
	fName
	fBucket
	fObject
	fStatusCode
	fRX
	fTX
	fTxHeaders
	fNode
)

// fieldSet is the fields of one object that the decoder reads.
type fieldSet struct {
	bits  map[string]int
	names [][]byte // for the case-insensitive check
}

func newFieldSet(bits map[string]int) fieldSet {
	fs := fieldSet{bits: bits}
	for k := range bits {
		fs.names = append(fs.names, []byte(k))
	}
	return fs
}

var (
	topFields = newFieldSet(map[string]int{
		"version": fVersion, "deploymentid": fDeployment, "time": fTime, "trigger": fTrigger, "api": fAPI,
		"requestID": fRequestID, "accessKey": fAccessKey, "parentUser": fParentUser, "responseHeader": fRespHeader,
	})
	apiFields = newFieldSet(map[string]int{
		"name": fName, "bucket": fBucket, "object": fObject, "statusCode": fStatusCode,
		"rx": fRX, "tx": fTX, "txHeaders": fTxHeaders,
	})
	headerFields = newFieldSet(map[string]int{"X-Amz-Id-2": fNode})
)

// parseEntry decodes the entry at the start of data into e and returns the
// bytes it used. It returns errShort when data ends inside the entry.
func parseEntry(data []byte, e *Entry) (int, error) {
	*e = Entry{}
	p := parser{d: data}
	seen := 0
	err := p.object("", topFields, &seen, func(bit int) error {
		var err error
		switch bit {
		case fVersion:
			e.Version, err = p.stringValue("version")
		case fDeployment:
			e.DeploymentID, err = p.stringValue("deploymentid")
		case fTime:
			var s string
			if s, err = p.stringValue("time"); err == nil {
				if e.Time, err = time.Parse(time.RFC3339Nano, s); err != nil || e.Time.Unix() <= 0 {
					return fmt.Errorf("time %q is not an RFC 3339 time", s)
				}
			}
		case fTrigger:
			e.Trigger, err = p.stringValue("trigger")
		case fRequestID:
			e.RequestID, err = p.stringValue("requestID")
		case fAccessKey:
			e.AccessKey, err = p.stringValue("accessKey")
		case fParentUser:
			e.ParentUser, err = p.stringValue("parentUser")
		case fAPI:
			err = p.object("api.", apiFields, &seen, func(bit int) error {
				var err error
				switch bit {
				case fName:
					e.API.Name, err = p.stringValue("api.name")
				case fBucket:
					e.API.Bucket, err = p.stringValue("api.bucket")
				case fObject:
					e.API.Object, err = p.stringValue("api.object")
				case fStatusCode:
					var v int64
					v, err = p.intValue("api.statusCode")
					if err == nil && (v < 0 || v > 999) {
						err = fmt.Errorf("api.statusCode %d is not an HTTP status", v)
					}
					e.API.StatusCode = int(v)
				case fRX:
					e.API.RX, err = p.intValue("api.rx")
				case fTX:
					e.API.TX, err = p.intValue("api.tx")
				case fTxHeaders:
					e.API.TxHeaders, err = p.intValue("api.txHeaders")
				}
				return err
			})
		case fRespHeader:
			err = p.object("responseHeader.", headerFields, &seen, func(int) error {
				var err error
				e.Node, err = p.stringValue("responseHeader.X-Amz-Id-2")
				return err
			})
		}
		return err
	})
	if err != nil {
		return 0, err
	}
	switch {
	case seen&fVersion == 0:
		return 0, errors.New("no version")
	case e.Version != EntryVersion:
		return 0, fmt.Errorf("version %q is not the audit format this puqminio reads (%q)", e.Version, EntryVersion)
	case seen&fTime == 0:
		return 0, errors.New("no time")
	case e.Counted() && e.RequestID == "":
		return 0, errors.New("a request's entry without requestID")
	case e.Counted() && seen&fStatusCode == 0:
		return 0, errors.New("a request's entry without api.statusCode")
	}
	return p.i, nil
}

// parser reads JSON from d.
type parser struct {
	d []byte
	i int
}

// peek skips white space and returns the next byte.
func (p *parser) peek() (byte, error) {
	for p.i < len(p.d) && isSpace(p.d[p.i]) {
		p.i++
	}
	if p.i >= len(p.d) {
		return 0, errShort
	}
	return p.d[p.i], nil
}

func (p *parser) expect(c byte) error {
	got, err := p.peek()
	if err != nil {
		return err
	}
	if got != c {
		return fmt.Errorf("expected %q at byte %d, found %q", c, p.i, got)
	}
	p.i++
	return nil
}

// object reads an object whose fields named in known are handed to field
// (which reads the value) and whose other fields are skipped. A known field
// given twice, or a field matching one only when case is ignored, is an
// error: encoding/json would silently take one of them.
func (p *parser) object(path string, known fieldSet, seen *int, field func(bit int) error) error {
	if err := p.expect('{'); err != nil {
		if !errors.Is(err, errShort) && path != "" {
			return fmt.Errorf("%s must be an object", path[:len(path)-1])
		}
		return err
	}
	if c, err := p.peek(); err != nil {
		return err
	} else if c == '}' {
		p.i++
		return nil
	}
	for {
		if c, err := p.peek(); err != nil {
			return err
		} else if c != '"' {
			return fmt.Errorf("expected a field name at byte %d", p.i)
		}
		key, escaped, err := p.rawStr()
		if err != nil {
			return err
		}
		if escaped {
			s, err := unescape(key)
			if err != nil {
				return err
			}
			key = []byte(s)
		}
		if err := p.expect(':'); err != nil {
			return err
		}
		if bit, ok := known.bits[string(key)]; ok {
			if *seen&bit != 0 {
				return fmt.Errorf("%s%s is given twice", path, key)
			}
			*seen |= bit
			if err := field(bit); err != nil {
				return err
			}
		} else {
			for _, k := range known.names {
				if bytes.EqualFold(k, key) {
					return fmt.Errorf("%s%s is spelled %q", path, k, key)
				}
			}
			if err := p.skip(); err != nil {
				return err
			}
		}
		c, err := p.peek()
		if err != nil {
			return err
		}
		p.i++
		switch c {
		case ',':
		case '}':
			return nil
		default:
			return fmt.Errorf("expected ',' or '}' at byte %d", p.i-1)
		}
	}
}

// str reads a string and returns its value. Invalid UTF-8 is an error, not
// U+FFFD: a bucket or user name must not change on its way in.
func (p *parser) str() (string, error) {
	raw, escaped, err := p.rawStr()
	if err != nil {
		return "", err
	}
	if escaped {
		return unescape(raw)
	}
	if !utf8.Valid(raw) {
		return "", errors.New("a string is not valid UTF-8")
	}
	return string(raw), nil
}

// unescape decodes the raw bytes of a string holding escapes, which
// rawStr checked. A lone UTF-16 surrogate is an error, where encoding/json
// would put U+FFFD in its place.
func unescape(raw []byte) (string, error) {
	if !utf8.Valid(raw) {
		return "", errors.New("a string is not valid UTF-8")
	}
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		switch raw[i] {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := hex4(raw[i+1 : i+5])
			i += 4
			if utf16.IsSurrogate(r) {
				if i+6 >= len(raw) || raw[i+1] != '\\' || raw[i+2] != 'u' {
					return "", errors.New("a string holds a lone UTF-16 surrogate")
				}
				r = utf16.DecodeRune(r, hex4(raw[i+3:i+7]))
				if r == utf8.RuneError {
					return "", errors.New("a string holds a lone UTF-16 surrogate")
				}
				i += 6
			}
			out = utf8.AppendRune(out, r)
		default: // '"', '\\', '/'
			out = append(out, raw[i])
		}
	}
	return string(out), nil
}

// hex4 reads four hex digits that rawStr checked.
func hex4(h []byte) rune {
	var r rune
	for _, c := range h {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		default:
			r |= rune(c - 'A' + 10)
		}
	}
	return r
}

// rawStr reads a string, checking its escapes, and returns its bytes
// between the quotes and whether it holds escapes.
func (p *parser) rawStr() ([]byte, bool, error) {
	if err := p.expect('"'); err != nil {
		return nil, false, err
	}
	start, escaped := p.i, false
	for p.i < len(p.d) {
		c := p.d[p.i]
		switch {
		case c == '"':
			raw := p.d[start:p.i]
			p.i++
			return raw, escaped, nil
		case c == '\\':
			escaped = true
			if p.i+1 >= len(p.d) {
				return nil, false, errShort
			}
			switch p.d[p.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p.i += 2
			case 'u':
				if p.i+6 > len(p.d) {
					return nil, false, errShort
				}
				for _, h := range p.d[p.i+2 : p.i+6] {
					if !isHex(h) {
						return nil, false, fmt.Errorf("bad \\u escape at byte %d", p.i)
					}
				}
				p.i += 6
			default:
				return nil, false, fmt.Errorf("bad escape at byte %d", p.i)
			}
		case c < 0x20:
			return nil, false, fmt.Errorf("a control character in a string at byte %d", p.i)
		default:
			p.i++
		}
	}
	return nil, false, errShort
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// stringValue reads a string field; null or another type is an error.
func (p *parser) stringValue(name string) (string, error) {
	c, err := p.peek()
	if err != nil {
		return "", err
	}
	if c != '"' {
		return "", fmt.Errorf("%s must be a string", name)
	}
	return p.str()
}

// intValue reads a whole number field that fits an int64.
func (p *parser) intValue(name string) (int64, error) {
	c, err := p.peek()
	if err != nil {
		return 0, err
	}
	if c != '-' && (c < '0' || c > '9') {
		return 0, fmt.Errorf("%s must be a whole number", name)
	}
	raw, err := p.number()
	if err != nil {
		return 0, err
	}
	neg := raw[0] == '-'
	digits := raw
	if neg {
		digits = raw[1:]
	}
	var v int64
	for _, d := range digits {
		if d < '0' || d > '9' {
			return 0, fmt.Errorf("%s must be a whole number", name)
		}
		if v > (1<<63-1-int64(d-'0'))/10 {
			return 0, fmt.Errorf("%s is too large", name)
		}
		v = v*10 + int64(d-'0')
	}
	if neg {
		v = -v
	}
	return v, nil
}

// number reads a JSON number and returns its bytes. A number is never the
// last byte of an entry, so running out of data is errShort.
func (p *parser) number() ([]byte, error) {
	start := p.i
	at := func() (byte, bool) {
		if p.i < len(p.d) {
			return p.d[p.i], true
		}
		return 0, false
	}
	digits := func() (int, error) {
		n := 0
		for {
			c, ok := at()
			if !ok {
				return n, errShort
			}
			if c < '0' || c > '9' {
				return n, nil
			}
			p.i++
			n++
		}
	}
	if c, _ := at(); c == '-' {
		p.i++
	}
	c, ok := at()
	if !ok {
		return nil, errShort
	}
	switch {
	case c == '0':
		p.i++
	case c >= '1' && c <= '9':
		if _, err := digits(); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("bad number at byte %d", start)
	}
	if c, ok := at(); !ok {
		return nil, errShort
	} else if c == '.' {
		p.i++
		if n, err := digits(); err != nil {
			return nil, err
		} else if n == 0 {
			return nil, fmt.Errorf("bad number at byte %d", start)
		}
	}
	if c, ok := at(); !ok {
		return nil, errShort
	} else if c == 'e' || c == 'E' {
		p.i++
		if c, ok := at(); !ok {
			return nil, errShort
		} else if c == '+' || c == '-' {
			p.i++
		}
		if n, err := digits(); err != nil {
			return nil, err
		} else if n == 0 {
			return nil, fmt.Errorf("bad number at byte %d", start)
		}
	}
	return p.d[start:p.i], nil
}

// skip reads past one value of any kind, checking its syntax, without
// recursion: a deeply nested value cannot exhaust the stack.
func (p *parser) skip() error {
	var stack [maxDepth]byte
	depth := 0
	for {
		// A value.
		c, err := p.peek()
		if err != nil {
			return err
		}
		switch {
		case c == '{' || c == '[':
			if depth == maxDepth {
				return fmt.Errorf("values nested deeper than %d", maxDepth)
			}
			p.i++
			stack[depth] = c
			depth++
			end := byte('}')
			if c == '[' {
				end = ']'
			}
			n, err := p.peek()
			if err != nil {
				return err
			}
			if n == end {
				p.i++
				depth--
				break
			}
			if c == '{' {
				if err := p.key(); err != nil {
					return err
				}
			}
			continue
		case c == '"':
			_, _, err = p.rawStr()
		case c == 't':
			err = p.literal("true")
		case c == 'f':
			err = p.literal("false")
		case c == 'n':
			err = p.literal("null")
		default:
			_, err = p.number()
		}
		if err != nil {
			return err
		}
		// After a value: close containers or move to the next element.
		for {
			if depth == 0 {
				return nil
			}
			c, err := p.peek()
			if err != nil {
				return err
			}
			open := stack[depth-1]
			if c == ',' {
				p.i++
				if open == '{' {
					if err := p.key(); err != nil {
						return err
					}
				}
				break
			}
			if open == '{' && c == '}' || open == '[' && c == ']' {
				p.i++
				depth--
				continue
			}
			return fmt.Errorf("unexpected %q at byte %d", c, p.i)
		}
	}
}

// key reads an object's field name and its colon.
func (p *parser) key() error {
	c, err := p.peek()
	if err != nil {
		return err
	}
	if c != '"' {
		return fmt.Errorf("expected a field name at byte %d", p.i)
	}
	if _, _, err := p.rawStr(); err != nil {
		return err
	}
	return p.expect(':')
}

func (p *parser) literal(word string) error {
	n := min(len(word), len(p.d)-p.i)
	if string(p.d[p.i:p.i+n]) != word[:n] {
		return fmt.Errorf("bad literal at byte %d", p.i)
	}
	if n < len(word) {
		return errShort
	}
	p.i += n
	return nil
}
