package minioaudit

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/puqminios3/puqminio/internal/domain"
)

// DecodeBody decodes a body held in memory, all of it.
func DecodeBody(body []byte, lim Limits) ([]Entry, error) {
	d := NewDecoder(bytes.NewReader(body), lim)
	var out []Entry
	for {
		var e Entry
		err := d.Next(&e)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
}

// A batch of three entries as MinIO posted it (batch_size 3, queue_dir
// set): PutBucket, GetBucketLocation, PutObject of 1000 bytes.
func realBatch(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/batch3.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeRealBatch(t *testing.T) {
	es, err := DecodeBody(realBatch(t), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 3 {
		t.Fatalf("%d entries", len(es))
	}
	put := es[2]
	want := Entry{
		Version: "1", DeploymentID: "9040fd47-007e-4167-a179-bd7bf67c918e",
		Time: time.Date(2026, 11, 29, 21, 26, 43, 619583481, time.UTC), Trigger: "incoming",
		API:       API{Name: "PutObject", Bucket: "bkt1", Object: "o1", StatusCode: 200, RX: 1000, TX: 0, TxHeaders: 405},
		RequestID: "18ECA135BE2B71E2", AccessKey: "puqadmin",
		Node: "6b39358982538afc529d4bc7ae71f9e2831e0ebd9f8afc8b8ab0967424bb849c",
	}
	if put != want {
		t.Fatalf("got  %+v\nwant %+v", put, want)
	}
	if es[0].API.Name != "PutBucket" || es[1].API.TX != 128 || !es[1].Counted() {
		t.Fatalf("%+v", es[:2])
	}
	r := put.Record()
	if r.Ingress != 1000 || r.Egress != 0 || r.Headers != 405 || r.Bucket != "bkt1" || r.AccessKey != "puqadmin" || !r.At.Equal(want.Time) || r.Key == 0 {
		t.Fatalf("record %+v", r)
	}
}

// entry builds one entry as MinIO would, with the fields changed by edit.
func entry(edit func(m map[string]any)) []byte {
	m := map[string]any{
		"version": "1", "deploymentid": "d", "time": "2026-03-01T10:00:00.5Z", "event": "", "trigger": "incoming",
		"api":       map[string]any{"name": "GetObject", "bucket": "12-34-data", "object": "o", "status": "OK", "statusCode": 200, "rx": 0, "tx": 1000, "txHeaders": 300},
		"requestID": "18ECA135BE2B71E2", "accessKey": "12-34",
		"requestHeader":  map[string]any{"Authorization": "AWS4-HMAC-SHA256 ..."},
		"responseHeader": map[string]any{"X-Amz-Id-2": "node1", "Content-Length": "1000"},
	}
	if edit != nil {
		edit(m)
	}
	b, _ := json.Marshal(m)
	return append(b, '\n')
}

func TestDecodeKeysAndValues(t *testing.T) {
	es, err := DecodeBody(entry(func(m map[string]any) {
		m["api"].(map[string]any)["rx"] = -1
		m["parentUser"] = "12-34"
		m["accessKey"] = "AKIA"
	}), DefaultLimits)
	if err != nil || len(es) != 1 {
		t.Fatal(err)
	}
	r := es[0].Record()
	if r.Ingress != 0 || es[0].API.RX != -1 || r.ParentUser != "12-34" || r.AccessKey != "AKIA" {
		t.Fatalf("%+v", r)
	}
	// Internal events are decoded but not counted.
	es, err = DecodeBody(entry(func(m map[string]any) { m["trigger"] = "scanner:manyversions"; delete(m, "requestID") }), DefaultLimits)
	if err != nil || es[0].Counted() {
		t.Fatalf("internal event: %v %+v", err, es)
	}
	// Concatenated without newlines, and with blank lines: both are JSON streams.
	body := append(append(bytes.TrimSpace(entry(nil)), entry(nil)...), []byte("\n\n  \n")...)
	if es, err := DecodeBody(body, DefaultLimits); err != nil || len(es) != 2 {
		t.Fatalf("stream: %v %d", err, len(es))
	}
	// Every field of the key matters; a redelivery has the same key.
	a, _ := DecodeBody(entry(nil), DefaultLimits)
	b, _ := DecodeBody(entry(nil), DefaultLimits)
	if a[0].Key() != b[0].Key() {
		t.Fatal("the same entry, two keys")
	}
	for name, edit := range map[string]func(m map[string]any){
		"node":    func(m map[string]any) { m["responseHeader"] = map[string]any{"X-Amz-Id-2": "node2"} },
		"time":    func(m map[string]any) { m["time"] = "2026-03-01T10:00:00.500000001Z" },
		"tx":      func(m map[string]any) { m["api"].(map[string]any)["tx"] = 1001 },
		"bucket":  func(m map[string]any) { m["api"].(map[string]any)["bucket"] = "12-34-datb" },
		"request": func(m map[string]any) { m["requestID"] = "18ECA135BE2B71E3" },
	} {
		c, err := DecodeBody(entry(edit), DefaultLimits)
		if err != nil || c[0].Key() == a[0].Key() {
			t.Errorf("%s: same key (%v)", name, err)
		}
	}
}

func TestDecodeRefusesBadBodies(t *testing.T) {
	good := string(entry(nil))
	cases := map[string]string{
		"empty":            "",
		"blank":            " \n ",
		"truncated":        good[:len(good)/2],
		"array":            "[" + strings.TrimSpace(good) + "]",
		"not json":         "hello",
		"trailing garbage": good + "x",
		"null":             "null",
		"twice":            strings.Replace(good, `"requestID":`, `"requestID":"a","requestID":`, 1),
		"twice in api":     strings.Replace(good, `"rx":0`, `"rx":0,"rx":5`, 1),
		"case folded":      strings.Replace(good, `"tx":1000`, `"tx":1000,"TX":99`, 1),
		"twice at the top": strings.Replace(good, `"accessKey":"12-34"`, `"accessKey":"12-34","accessKey":"x"`, 1),
		"kelvin sign":      strings.Replace(good, `"accessKey":"12-34"`, `"accessKey":"12-34","access\u212aey":"x"`, 1),
		"kelvin sign raw":  strings.Replace(good, `"accessKey":"12-34"`, "\"accessKey\":\"12-34\",\"access\u212aey\":\"x\"", 1),
		"fraction":         strings.Replace(good, `"tx":1000`, `"tx":1000.5`, 1),
		"string number":    strings.Replace(good, `"tx":1000`, `"tx":"1000"`, 1),
		"null bucket":      strings.Replace(good, `"bucket":"12-34-data"`, `"bucket":null`, 1),
		"huge number":      strings.Replace(good, `"tx":1000`, `"tx":99999999999999999999`, 1),
		"bad status":       strings.Replace(good, `"statusCode":200`, `"statusCode":1000`, 1),
		"version 2":        strings.Replace(good, `"version":"1"`, `"version":"2"`, 1),
		"no version":       string(entry(func(m map[string]any) { delete(m, "version") })),
		"low surrogate":    strings.Replace(good, `"12-34-data"`, `"12-34-\udc00\ud800"`, 1),
		"bad time":         strings.Replace(good, `"time":"2026-03-01T10:00:00.5Z"`, `"time":"yesterday"`, 1),
		"no request id":    strings.Replace(good, `"requestID":"18ECA135BE2B71E2",`, ``, 1),
		"bad utf8":         strings.Replace(good, `"12-34-data"`, "\"12-34-\xff\"", 1),
		"control char":     strings.Replace(good, `"12-34-data"`, "\"12-34-\x01\"", 1),
		"bad escape":       strings.Replace(good, `"12-34-data"`, `"12-34-\q"`, 1),
		"bad skipped":      strings.Replace(good, `"event":""`, `"event":[1,2,}`, 1),
		"api not object":   strings.Replace(good, `"api":{`, `"api":[{`, 1),
		"deep":             strings.Replace(good, `"event":""`, `"event":`+strings.Repeat("[", 100)+strings.Repeat("]", 100), 1),
		"missing comma":    strings.Replace(good, `,"trigger"`, ` "trigger"`, 1),
		"lone surrogate":   strings.Replace(good, `"12-34-data"`, `"12-34-\ud800"`, 1),
	}
	for name, body := range cases {
		_, err := DecodeBody([]byte(body), DefaultLimits)
		if domain.ErrorCode(err) != domain.EINVALIDJSON {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestDecodeLimits(t *testing.T) {
	one := entry(nil)
	lim := Limits{MaxBodyBytes: int64(3 * len(one)), MaxEntryBytes: len(one), MaxEntries: 2}
	if _, err := DecodeBody(bytes.Repeat(one, 2), lim); err != nil {
		t.Fatalf("within the limits: %v", err)
	}
	for name, body := range map[string][]byte{
		"entries": bytes.Repeat(one, 3),
		"body":    bytes.Repeat(one, 4),
		"entry": entry(func(m map[string]any) {
			m["requestHeader"] = map[string]any{"X-Pad": strings.Repeat("p", len(one))}
		}),
	} {
		if _, err := DecodeBody(body, lim); domain.ErrorCode(err) != domain.ETOOLARGE {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// endless is an unending stream of an open JSON array.
type endless struct{ n int64 }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '['
	}
	e.n += int64(len(p))
	return len(p), nil
}

// An endless entry stops at MaxEntryBytes: the decoder's buffer never grows
// past it, and it reads no further than that.
func TestDecoderStopsEndlessEntry(t *testing.T) {
	src := &endless{}
	r := io.MultiReader(strings.NewReader(`{"version":"1","event":`), src)
	d := NewDecoder(r, DefaultLimits)
	var e Entry
	if err := d.Next(&e); domain.ErrorCode(err) != domain.ETOOLARGE && domain.ErrorCode(err) != domain.EINVALIDJSON {
		t.Fatalf("%v", err)
	}
	if len(d.buf) > DefaultLimits.MaxEntryBytes+readChunk || src.n > int64(DefaultLimits.MaxEntryBytes+2*readChunk) {
		t.Fatalf("buffer %d, read %d", len(d.buf), src.n)
	}
}

// The decoder reads a body in chunks of any size the reader returns.
func TestDecodeAcrossReads(t *testing.T) {
	body := bytes.Repeat(realBatch(t), 50)
	d := NewDecoder(&oneByte{r: bytes.NewReader(body)}, DefaultLimits)
	n := 0
	for {
		var e Entry
		err := d.Next(&e)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("entry %d: %v", n, err)
		}
		n++
	}
	if n != 150 {
		t.Fatalf("%d entries", n)
	}
}

type oneByte struct{ r io.Reader }

func (o *oneByte) Read(p []byte) (int, error) { return o.r.Read(p[:min(len(p), 7)]) }

// FuzzDecode: any input is decoded or refused with a domain error, never a
// panic; what is decoded agrees with encoding/json on the fields it reads.
func FuzzDecode(f *testing.F) {
	f.Add(realBatch(f))
	f.Add(entry(nil))
	f.Add([]byte(`{"version":"1","time":"2026-03-01T10:00:00Z","trigger":"x"}`))
	f.Add([]byte(`{"version":"1","time":"2026-03-01T10:00:00Z","trigger":"incoming","requestID":"a","api":{"statusCode":200,"rx":1e3}}`))
	f.Add([]byte(`{"a":[{"b":null,"c":[true,false,-0.5e+7]}],"version":"1","time":"2026-03-01T10:00:00Z"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		lim := Limits{MaxBodyBytes: 1 << 20, MaxEntryBytes: 64 << 10, MaxEntries: 100}
		es, err := DecodeBody(body, lim)
		if err != nil {
			if c := domain.ErrorCode(err); c != domain.EINVALIDJSON && c != domain.ETOOLARGE {
				t.Fatalf("error code %s: %v", c, err)
			}
			return
		}
		if len(es) == 0 {
			t.Fatal("no entries and no error")
		}
		// Every accepted entry is valid JSON to encoding/json too, with the
		// same values.
		dec := json.NewDecoder(bytes.NewReader(body))
		for i, e := range es {
			var w struct {
				Version, Trigger, RequestID, AccessKey, ParentUser string
				Time                                               time.Time
				API                                                struct {
					Bucket     string
					StatusCode int
					RX, TX     int64
				}
			}
			if err := dec.Decode(&w); err != nil {
				t.Fatalf("entry %d accepted but encoding/json says %v", i, err)
			}
			if w.Version != e.Version || w.Trigger != e.Trigger || w.RequestID != e.RequestID || w.AccessKey != e.AccessKey ||
				!w.Time.Equal(e.Time) || w.API.Bucket != e.API.Bucket || w.API.StatusCode != e.API.StatusCode || w.API.RX != e.API.RX || w.API.TX != e.API.TX {
				t.Fatalf("entry %d: ours %+v, encoding/json %+v", i, e, w)
			}
		}
	})
}
