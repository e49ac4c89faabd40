package bridge

// Hand-written bad input for every field of every action (docs/bridge.md):
// wrong JSON types, huge values, unicode and control characters in names,
// 1 MB policies and JSON bombs. Each case asserts the code, that the
// message names the field, the exit status, and that MinIO saw no request
// at all: refusals happen before anything is read or changed.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/puqminios3/puqminio/internal/domain"
)

// jobj is a JSON object with its keys in order; values are raw JSON
// strings, nested jobj or jlist.
type jobj []jkv

type jkv struct {
	k string
	v any
}

type jlist []any

func (o jobj) String() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, kv := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(quote(kv.k) + ":" + render(kv.v))
	}
	b.WriteByte('}')
	return b.String()
}

func render(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case jobj:
		return v.String()
	case jlist:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = render(e)
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	panic(fmt.Sprintf("render %T", v))
}

func clone(v any) any {
	switch v := v.(type) {
	case jobj:
		out := make(jobj, len(v))
		for i, kv := range v {
			out[i] = jkv{kv.k, clone(kv.v)}
		}
		return out
	case jlist:
		out := make(jlist, len(v))
		for i, e := range v {
			out[i] = clone(e)
		}
		return out
	}
	return v
}

// with returns a copy of o with the value at path (dots; list indexes as
// numbers) set to raw, adding the key when it is missing.
func with(o jobj, path string, raw any) jobj {
	c := clone(o).(jobj)
	set(c, strings.Split(path, "."), raw)
	return c
}

func set(v any, path []string, raw any) any {
	if len(path) == 0 {
		return raw
	}
	switch v := v.(type) {
	case jobj:
		for i := range v {
			if v[i].k == path[0] {
				v[i].v = set(v[i].v, path[1:], raw)
				return v
			}
		}
		panic("no key " + path[0])
	case jlist:
		i, _ := strconv.Atoi(path[0])
		v[i] = set(v[i], path[1:], raw)
		return v
	}
	panic(fmt.Sprintf("set into %T", v))
}

// kind of each field: s string, n number (whole), f number, b bool, o
// object, l list.
type fieldSpec struct {
	path string
	kind byte
}

var envelopeFields = []fieldSpec{
	{"v", 'n'}, {"action", 's'}, {"server", 'o'}, {"store", 'o'}, {"service", 'o'}, {"product", 'o'},
	{"server.id", 'n'}, {"server.endpoint", 's'}, {"server.secure", 'b'}, {"server.accessKey", 's'},
	{"server.secretKey", 's'}, {"server.caPem", 's'}, {"server.region", 's'}, {"server.timeoutSeconds", 'n'},
	{"store.path", 's'},
	{"service.id", 'n'}, {"service.clientId", 'n'}, {"service.username", 's'}, {"service.password", 's'},
	{"service.status", 's'}, {"service.lang", 's'},
}

var productFields = []fieldSpec{
	{"unit", 's'}, {"diskSpace", 'f'}, {"warnPercent", 'n'}, {"warnTemplate", 's'}, {"limitTemplate", 's'},
	{"group", 's'}, {"policy", 's'}, {"limitPolicy", 's'}, {"allowForeignResources", 'b'}, {"historyDays", 'n'},
	{"instructionUrl", 's'}, {"defaultBucket", 'b'}, {"bucketSuffix", 's'}, {"passwordDisplay", 's'},
	{"usernameRule", 's'}, {"passwordRule", 's'}, {"publicEndpoint", 's'}, {"usageMode", 's'},
	{"checkIntervalMinutes", 'n'}, {"permissions", 's'}, {"selfService", 's'},
	{"traffic", 'b'}, {"egressAllowanceGB", 'f'}, {"egressTemplate", 's'},
}

// paramFields are the params of each action that takes them.
var paramFields = map[string][]fieldSpec{
	"policy.apply": {{"params.mode", 's'}},
	"usage.update": {{"params.services", 'l'}, {"params.mode", 's'}, {"params.services.0", 'o'},
		{"params.services.0.id", 'n'}, {"params.services.0.clientId", 'n'}, {"params.services.0.username", 's'},
		{"params.services.0.status", 's'}, {"params.services.0.product", 'o'}, {"params.services.0.product.diskSpace", 'f'},
		{"params.services.0.product.unit", 's'}},
	"usage.notified": {{"params.notices", 'l'}, {"params.notices.0", 'o'}, {"params.notices.0.serviceId", 'n'}, {"params.notices.0.kind", 's'},
		{"params.notices.0.period", 's'}},
	"usage.metrics": {{"params.services", 'l'}, {"params.services.0", 'o'}, {"params.services.0.id", 'n'}, {"params.services.0.username", 's'},
		{"params.services.0.productKey", 's'}, {"params.products", 'l'}, {"params.products.0", 'o'}, {"params.products.0.key", 's'},
		{"params.products.0.product", 'o'}, {"params.products.0.product.traffic", 'b'}, {"params.products.0.product.egressAllowanceGB", 'f'}},
	"render.client": {{"params.page", 's'}, {"params.recalculateUrl", 's'}, {"params.csrf", 's'},
		{"params.statsUrl", 's'}, {"params.overviewUrl", 's'}, {"params.overridesDir", 's'},
		{"params.keysUrl", 's'}, {"params.bucketUrl", 's'}, {"params.actionUrls", 'o'},
		{"params.bucket", 's'}, {"params.newKey", 'o'}, {"params.newKey.accessKey", 's'}, {"params.newKey.secretKey", 's'}},
	"bucket.create":     {{"params.initiator", 's'}, {"params.name", 's'}, {"params.objectLock", 'b'}},
	"bucket.delete":     {{"params.initiator", 's'}, {"params.bucket", 's'}, {"params.confirm", 's'}},
	"bucket.versioning": {{"params.initiator", 's'}, {"params.bucket", 's'}, {"params.enabled", 'b'}},
	"bucket.lifecycle": {{"params.initiator", 's'}, {"params.bucket", 's'}, {"params.expireDays", 'n'},
		{"params.noncurrentDays", 'n'}, {"params.confirm", 'b'}},
	"bucket.public": {{"params.initiator", 's'}, {"params.bucket", 's'}, {"params.public", 'b'}, {"params.prefix", 's'}},
	"key.create": {{"params.initiator", 's'}, {"params.label", 's'}, {"params.buckets", 'l'}, {"params.buckets.0", 's'},
		{"params.readOnly", 'b'}, {"params.expires", 's'}},
	"key.revoke": {{"params.initiator", 's'}, {"params.accessKey", 's'}},
}

// selfActions are the self-service actions; each takes a service, a
// product and params.
var selfActions = []string{"bucket.create", "bucket.delete", "bucket.versioning", "bucket.lifecycle", "bucket.public", "key.create", "key.revoke"}

func init() {
	paramFields["render.admin"] = paramFields["render.client"]
}

// baseRequest is a valid request for action on the shared server.
func (w *world) baseRequest(action string) jobj {
	product := jobj{{"unit", `"GB"`}, {"diskSpace", `10`}}
	for _, f := range productFields {
		if f.path == "unit" || f.path == "diskSpace" {
			continue
		}
		switch f.kind {
		case 's':
			product = append(product, jkv{f.path, `""`})
		case 'n', 'f':
			product = append(product, jkv{f.path, `0`})
		case 'b':
			product = append(product, jkv{f.path, `false`})
		}
	}
	o := jobj{
		{"v", `1`}, {"action", quote(action)},
		{"server", jobj{{"id", `1`}, {"endpoint", quote(w.endpoint)}, {"secure", `false`}, {"accessKey", quote(w.srv.AccessKey)},
			{"secretKey", quote(w.srv.SecretKey)}, {"caPem", `""`}, {"region", `""`}, {"timeoutSeconds", `30`}}},
		{"store", jobj{{"path", quote(w.store)}}},
		{"service", jobj{{"id", `1`}, {"clientId", `1`}, {"username", quote(w.fixture.Username)}, {"password", `"new-Password-1"`},
			{"status", `"Active"`}, {"lang", `"english"`}}},
		{"product", product},
	}
	switch action {
	case "account.create":
		o = with(o, "service.id", `901`)
		o = with(o, "service.username", `""`)
	case "policy.apply":
		o = append(o, jkv{"params", jobj{{"mode", `"auto"`}}})
	case "usage.update":
		o = append(o, jkv{"params", jobj{{"services", jlist{jobj{{"id", `1`}, {"clientId", `1`}, {"username", quote(w.fixture.Username)},
			{"status", `"Active"`}, {"product", jobj{{"unit", `"GB"`}, {"diskSpace", `10`}}}}}}, {"mode", `"scanner"`}}})
	case "usage.notified":
		o = append(o, jkv{"params", jobj{{"notices", jlist{jobj{{"serviceId", `1`}, {"kind", `"egress"`}, {"period", `"2026-11"`}}}}}})
	case "usage.metrics":
		o = append(o, jkv{"params", jobj{{"services", jlist{jobj{{"id", `1`}, {"username", quote(w.fixture.Username)}, {"productKey", `"7"`}}}},
			{"products", jlist{jobj{{"key", `"7"`}, {"product", jobj{{"traffic", `true`}, {"egressAllowanceGB", `10`}}}}}}}})
	case "render.client", "render.admin":
		o = append(o, jkv{"params", jobj{{"page", `"overview"`}, {"recalculateUrl", `""`}, {"csrf", `""`},
			{"statsUrl", `""`}, {"overviewUrl", `""`}, {"overridesDir", `""`}, {"keysUrl", `""`}, {"bucketUrl", `""`},
			{"actionUrls", jobj{{"bucket.create", `""`}}}, {"bucket", `""`},
			{"newKey", jobj{{"accessKey", `"PQMAAAAAAAAAAAAAAAAA"`}, {"secretKey", `"new-key-secret-1"`}}}}})
	case "bucket.create":
		o = append(o, jkv{"params", jobj{{"initiator", `"client"`}, {"name", `"photos"`}, {"objectLock", `false`}}})
	case "bucket.delete":
		o = append(o, jkv{"params", jobj{{"initiator", `"client"`}, {"bucket", quote(w.fixture.Username + "-gone")}, {"confirm", `""`}}})
	case "bucket.versioning":
		o = append(o, jkv{"params", jobj{{"initiator", `"client"`}, {"bucket", quote(w.fixture.Username + "-data")}, {"enabled", `true`}}})
	case "bucket.lifecycle":
		o = append(o, jkv{"params", jobj{{"initiator", `"client"`}, {"bucket", quote(w.fixture.Username + "-data")},
			{"expireDays", `0`}, {"noncurrentDays", `0`}, {"confirm", `false`}}})
	case "bucket.public":
		o = append(o, jkv{"params", jobj{{"initiator", `"client"`}, {"bucket", quote(w.fixture.Username + "-data")}, {"public", `false`}, {"prefix", `""`}}})
	case "key.create":
		o = append(o, jkv{"params", jobj{{"initiator", `"client"`}, {"label", `"backup"`}, {"buckets", jlist{quote(w.fixture.Username + "-data")}},
			{"readOnly", `true`}, {"expires", `""`}}})
	case "key.revoke":
		o = append(o, jkv{"params", jobj{{"initiator", `"admin"`}, {"accessKey", `"PQMNOSUCHKEYATALL00"`}}})
	}
	return o
}

// wrongValues are JSON values of every type but kind.
func wrongValues(kind byte) []string {
	all := map[byte][]string{
		's': {`"text"`, `"\u202e\u200d😀"`},
		'n': {`1`, `-1`, `1e308`},
		'b': {`true`},
		'o': {`{}`},
		'l': {`[]`, `[1,"a"]`},
	}
	var out []string
	for k, vs := range all {
		if k == kind || (kind == 'f' && k == 'n') {
			continue
		}
		if kind == 'n' && k == 'n' {
			continue
		}
		out = append(out, vs...)
	}
	out = append(out, `null`)
	if kind == 'n' {
		// A whole number field refuses fractions, exponents and overflow.
		out = append(out, `1.5`, `1e3`, `9223372036854775808`, `-9223372036854775809`, `1e999999`)
	}
	if kind == 'f' {
		out = append(out, `1e999999`, `-1e999999`)
	}
	slices.Sort(out)
	return out
}

// runBad runs one bad request and checks everything a refusal promises.
func (w *world) runBad(t *testing.T, body []byte, code, field string) outcome {
	t.Helper()
	ctx, cancel := w.ctx()
	defer cancel()
	o := w.run(ctx, body)
	checkOutcome(t, body, o)
	if o.resp.OK || o.resp.Error.Code != code {
		t.Fatalf("got %.300s, want code %s (field %s); request %.300s", o.raw, code, field, body)
	}
	msg := strings.ReplaceAll(o.resp.Error.Message, "[0]", "")
	if !strings.Contains(msg, field) {
		t.Fatalf("message %q does not name %q", o.resp.Error.Message, field)
	}
	if o.status != ExitRejected {
		t.Fatalf("exit status %d, want %d", o.status, ExitRejected)
	}
	if len(o.calls) > 0 {
		t.Fatalf("refused (%s) after sending MinIO %v", o.resp.Error.Message, o.calls)
	}
	return o
}

// Every field of every action, given a value of each wrong JSON type, is
// refused with invalid_field naming it.
func TestBadInputWrongTypes(t *testing.T) {
	w := getWorld(t)
	n := 0
	for _, action := range Actions() {
		base := w.baseRequest(action)
		fields := slices.Clone(envelopeFields)
		for _, f := range productFields {
			fields = append(fields, fieldSpec{"product." + f.path, f.kind})
		}
		fields = append(fields, paramFields[action]...)
		if paramFields[action] != nil {
			fields = append(fields, fieldSpec{"params", 'o'})
		}
		for _, f := range fields {
			for _, bad := range wrongValues(f.kind) {
				name := strings.ReplaceAll(f.path, ".0", "")
				code := domain.EINVALID
				body := []byte(with(base, f.path, bad).String())
				t.Run(action+"/"+f.path+"="+bad, func(t *testing.T) {
					w.runBad(t, body, code, name)
				})
				n++
			}
		}
	}
	t.Logf("%d wrong-type requests refused", n)
}

// badCase is one hand-written bad request: field set to raw in the base
// request of each action in actions.
type badCase struct {
	name    string
	actions []string
	path    string // "" leaves the base request as it is
	raw     any
	code    string
	field   string // what the message must name
}

var (
	allActions     []string
	serverNeeders  []string // every action but product.defaults
	serviceNeeders = append([]string{"account.create", "account.suspend", "account.unsuspend", "account.terminate", "account.password",
		"account.package", "account.info", "policy.apply", "usage.recalculate", "render.client", "render.admin"}, selfActions...)
	userNeeders = append([]string{"account.suspend", "account.unsuspend", "account.terminate", "account.password",
		"account.package", "account.info", "policy.apply", "usage.recalculate"}, selfActions...)
	productNeeders = append([]string{"account.create", "account.unsuspend", "account.password", "account.package", "policy.apply", "usage.recalculate", "render.client", "render.admin"}, selfActions...)
	policyReaders  = append([]string{"account.create", "account.unsuspend", "account.password", "account.package", "policy.apply", "usage.recalculate"}, selfActions...)
	storeNeeders   = append([]string{"account.create", "account.suspend", "account.unsuspend", "account.terminate", "account.password",
		"account.package", "account.info", "policy.apply", "usage.update", "usage.recalculate", "usage.notified", "usage.metrics",
		"render.client", "render.admin"}, selfActions...)
	noParams = []string{"server.check", "account.create", "account.suspend", "account.unsuspend", "account.terminate",
		"account.password", "account.package", "account.info", "account.list", "usage.recalculate"}
)

func init() {
	allActions = Actions()
	for _, a := range allActions {
		if a != "product.defaults" {
			serverNeeders = append(serverNeeders, a)
		}
	}
}

// eleven is a list of eleven of user's buckets: one more than a key's
// scope may name.
func eleven(user string) jlist {
	var l jlist
	for i := range 11 {
		l = append(l, quote(fmt.Sprintf("%s-b%d", user, i)))
	}
	return l
}

// policyOf returns a valid-JSON policy of about size bytes: one statement
// repeated, every resource inside the tenant.
func policyOf(size int) string {
	st := `{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::<USER_ID>/*"]}`
	var b strings.Builder
	b.WriteString(`{"Version":"2012-10-17","Statement":[`)
	for b.Len() < size {
		if b.Len() > 40 {
			b.WriteByte(',')
		}
		b.WriteString(st)
	}
	b.WriteString(`]}`)
	return b.String()
}

func badValueCases() []badCase {
	huge := quote(strings.Repeat("x", MaxStringBytes+1))
	tooLong := func(field string, actions []string) badCase {
		return badCase{field + " 64 KiB+1", actions, field, huge, domain.ETOOLARGE, field}
	}
	names := map[string]string{
		"empty-ish":    `"ab"`,
		"space":        `"12 34"`,
		"slash":        `"12/34"`,
		"RTL override": `"\u202e43-21"`,
		"zero width":   `"12\u200d-34"`,
		"emoji":        `"😀😀😀"`,
		"NUL":          `"12\u0000-34"`,
		"newline":      `"12-34\n"`,
		"129 chars":    quote(strings.Repeat("a", 129)),
	}
	var cs []badCase
	for n, raw := range names {
		cs = append(cs, badCase{"username " + n, userNeeders, "service.username", raw, domain.EINVALIDNAME, "service.username"})
	}
	cs = append(cs,
		badCase{"username invalid UTF-8", userNeeders, "service.username", "\"12-\xff\xfe\"", domain.EINVALID, "service.username is not valid UTF-8"},
		badCase{"status invalid UTF-8", serviceNeeders, "service.status", "\"Act\xe9ve\"", domain.EINVALID, "service.status"},
		badCase{"key invalid UTF-8", allActions, "", nil, domain.EINVALIDJSON, "field name"},
		badCase{"username empty", userNeeders, "service.username", `""`, domain.EMISSING, "service.username"},
		tooLong("service.username", userNeeders),
		tooLong("service.password", serviceNeeders),
		tooLong("service.status", serviceNeeders),
		tooLong("service.lang", serviceNeeders),
		tooLong("action", allActions),
		tooLong("server.endpoint", serverNeeders),
		tooLong("server.accessKey", serverNeeders),
		tooLong("server.secretKey", serverNeeders),
		tooLong("server.region", serverNeeders),
		tooLong("store.path", storeNeeders),
		badCase{"version 0", allActions, "v", `0`, domain.EVERSION, "version 0"},
		badCase{"version 2", allActions, "v", `2`, domain.EVERSION, "version 2"},
		badCase{"version -1", allActions, "v", `-1`, domain.EVERSION, "version -1"},
		badCase{"action empty", allActions, "action", `""`, domain.EMISSING, "action"},
		badCase{"action case", allActions, "action", `"SERVER.CHECK"`, domain.EUNKNOWN, "SERVER.CHECK"},
		badCase{"action NUL", serverNeeders, "action", `"server.check\u0000"`, domain.EUNKNOWN, "server.check?"},
		badCase{"action RTL", allActions, "action", `"\u202eserver.check"`, domain.EUNKNOWN, "unknown action"},
		badCase{"server missing", serverNeeders, "server", `null`, domain.EINVALID, "server"},
		badCase{"server.id negative", serverNeeders, "server.id", `-1`, domain.EINVALID, "server.id"},
		badCase{"endpoint empty", serverNeeders, "server.endpoint", `""`, domain.EMISSING, "server.endpoint"},
		badCase{"endpoint scheme", serverNeeders, "server.endpoint", `"http://127.0.0.1:9000"`, domain.EINVALID, "server.endpoint"},
		badCase{"endpoint no port", serverNeeders, "server.endpoint", `"127.0.0.1"`, domain.EINVALID, "server.endpoint"},
		badCase{"endpoint port 0", serverNeeders, "server.endpoint", `"127.0.0.1:0"`, domain.EINVALID, "server.endpoint"},
		badCase{"endpoint port 65536", serverNeeders, "server.endpoint", `"127.0.0.1:65536"`, domain.EINVALID, "server.endpoint"},
		badCase{"endpoint NUL", serverNeeders, "server.endpoint", `"127.0.0.1\u0000:9000"`, domain.EINVALID, "server.endpoint"},
		badCase{"endpoint newline", serverNeeders, "server.endpoint", `"127.0.0.1:9000\n"`, domain.EINVALID, "server.endpoint"},
		badCase{"endpoint no host", serverNeeders, "server.endpoint", `":9000"`, domain.EINVALID, "server.endpoint"},
		badCase{"accessKey empty", serverNeeders, "server.accessKey", `""`, domain.EMISSING, "server.accessKey"},
		badCase{"accessKey CRLF", serverNeeders, "server.accessKey", `"admin\r\nX-Evil: 1"`, domain.EINVALID, "server.accessKey"},
		badCase{"accessKey invalid UTF-8", serverNeeders, "server.accessKey", "\"adm\xffin\"", domain.EINVALID, "server.accessKey"},
		badCase{"secretKey empty", serverNeeders, "server.secretKey", `""`, domain.EMISSING, "server.secretKey"},
		badCase{"secretKey NUL", serverNeeders, "server.secretKey", `"secret\u0000key"`, domain.EINVALID, "server.secretKey"},
		badCase{"region space", serverNeeders, "server.region", `"us east"`, domain.EINVALID, "server.region"},
		badCase{"region RTL", serverNeeders, "server.region", `"\u202eus"`, domain.EINVALID, "server.region"},
		badCase{"timeout -1", serverNeeders, "server.timeoutSeconds", `-1`, domain.EINVALID, "server.timeoutSeconds"},
		badCase{"timeout 601", serverNeeders, "server.timeoutSeconds", `601`, domain.EINVALID, "server.timeoutSeconds"},
		badCase{"caPem without secure", serverNeeders, "server.caPem", `"-----BEGIN CERTIFICATE-----"`, domain.EINVALID, "server.caPem"},
		badCase{"store path empty", storeNeeders, "store.path", `"  "`, domain.EMISSING, "store.path"},
		badCase{"store path NUL", storeNeeders, "store.path", `"/tmp/a\u0000b.db"`, domain.EINVALID, "store.path"},
		badCase{"service missing", serviceNeeders, "service", `null`, domain.EINVALID, "service"},
		badCase{"service.id 0", serviceNeeders, "service.id", `0`, domain.EMISSING, "service.id"},
		badCase{"service.id negative", serviceNeeders, "service.id", `-5`, domain.EINVALID, "service.id"},
		badCase{"clientId negative", serviceNeeders, "service.clientId", `-5`, domain.EINVALID, "service.clientId"},
		badCase{"create clientId 0", []string{"account.create"}, "service.clientId", `0`, domain.EMISSING, "service.clientId"},
		badCase{"password empty", []string{"account.password"}, "service.password", `""`, domain.EMISSING, "service.password"},
		badCase{"password short", []string{"account.password"}, "service.password", `"short"`, domain.EINVALID, "service.password"},
		badCase{"password unicode", []string{"account.password"}, "service.password", `"pässwörd-ünïcode"`, domain.EINVALID, "service.password"},
		badCase{"password newline", []string{"account.password"}, "service.password", `"password\n123"`, domain.EINVALID, "service.password"},
		badCase{"password 129", []string{"account.password"}, "service.password", quote(strings.Repeat("p", 129)), domain.EINVALID, "service.password"},
		badCase{"product missing", productNeeders, "product", `null`, domain.EINVALID, "product"},
		badCase{"unit XB", productNeeders, "product.unit", `"XB"`, domain.EINVALID, "product.unit"},
		badCase{"unit NUL", productNeeders, "product.unit", `"G\u0000B"`, domain.EINVALID, "product.unit"},
		badCase{"diskSpace negative", productNeeders, "product.diskSpace", `-1`, domain.EINVALID, "product.diskSpace"},
		badCase{"diskSpace 1e308", productNeeders, "product.diskSpace", `1e308`, domain.EINVALID, "product.diskSpace"},
		badCase{"diskSpace 2^63", productNeeders, "product.diskSpace", `9223372036854775808`, domain.EINVALID, "product.diskSpace"},
		badCase{"warnPercent -1", productNeeders, "product.warnPercent", `-1`, domain.EINVALID, "product.warnPercent"},
		badCase{"warnPercent 101", productNeeders, "product.warnPercent", `101`, domain.EINVALID, "product.warnPercent"},
		badCase{"historyDays 3661", productNeeders, "product.historyDays", `3661`, domain.EINVALID, "product.historyDays"},
		badCase{"historyDays -1", productNeeders, "product.historyDays", `-1`, domain.EINVALID, "product.historyDays"},
		badCase{"interval 4", productNeeders, "product.checkIntervalMinutes", `4`, domain.EINVALID, "product.checkIntervalMinutes"},
		badCase{"interval 1441", productNeeders, "product.checkIntervalMinutes", `1441`, domain.EINVALID, "product.checkIntervalMinutes"},
		badCase{"group space", productNeeders, "product.group", `"gold members"`, domain.EINVALID, "product.group"},
		badCase{"group zero width", productNeeders, "product.group", `"gold\u200d"`, domain.EINVALID, "product.group"},
		badCase{"group 65", productNeeders, "product.group", quote(strings.Repeat("g", 65)), domain.EINVALID, "product.group"},
		// The pages leave a bad display setting out instead (TestBadInstructionLinkKeepsThePage).
		badCase{"instructionUrl javascript", policyReaders, "product.instructionUrl", `"javascript:alert(1)"`, domain.EINVALID, "product.instructionUrl"},
		badCase{"instructionUrl ftp", policyReaders, "product.instructionUrl", `"ftp://example.com/"`, domain.EINVALID, "product.instructionUrl"},
		badCase{"bucketSuffix upper", productNeeders, "product.bucketSuffix", `"Data"`, domain.EINVALID, "product.bucketSuffix"},
		badCase{"bucketSuffix emoji", productNeeders, "product.bucketSuffix", `"😀"`, domain.EINVALID, "product.bucketSuffix"},
		badCase{"passwordDisplay", policyReaders, "product.passwordDisplay", `"maybe"`, domain.EINVALID, "product.passwordDisplay"},
		badCase{"passwordRule short", productNeeders, "product.passwordRule", `"4:abcdefghijk"`, domain.EINVALID, "product.passwordRule"},
		badCase{"passwordRule few", productNeeders, "product.passwordRule", `"16:abc"`, domain.EINVALID, "product.passwordRule"},
		badCase{"passwordRule unicode", productNeeders, "product.passwordRule", `"16:abcdefghijä"`, domain.EINVALID, "product.passwordRule"},
		badCase{"passwordRule no colon", productNeeders, "product.passwordRule", `"sixteen"`, domain.EINVALID, "product.passwordRule"},
		badCase{"usageMode", productNeeders, "product.usageMode", `"fast"`, domain.EINVALID, "product.usageMode"},
		badCase{"policy 1 MB valid JSON", productNeeders, "product.policy", quote(policyOf(1 << 20)), domain.EINVALIDPOL, "product.policy"},
		badCase{"policy 1 MB invalid", productNeeders, "product.policy", quote(strings.Repeat("{", 1<<20)), domain.EINVALIDPOL, "product.policy"},
		badCase{"limitPolicy 1 MB valid JSON", productNeeders, "product.limitPolicy", quote(policyOf(1 << 20)), domain.EINVALIDPOL, "product.limitPolicy"},
		badCase{"policy not JSON", policyReaders, "product.policy", `"not json"`, domain.EINVALIDPOL, "product.policy"},
		badCase{"policy two objects", policyReaders, "product.policy", quote(`{"Version":"1","Statement":[{"Effect":"Deny"}]} {}`), domain.EINVALIDPOL, "product.policy"},
		badCase{"policy foreign", policyReaders, "product.policy", quote(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":["arn:aws:s3:::*"]}]}`), domain.EINVALIDPOL, "product.policy"},
		badCase{"limitPolicy no statement", policyReaders, "product.limitPolicy", quote(`{"Version":"2012-10-17","Statement":[]}`), domain.EINVALIDPOL, "product.limitPolicy"},
		badCase{"limitPolicy NotResource", policyReaders, "product.limitPolicy", quote(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"NotResource":["arn:aws:s3:::x"]}]}`), domain.EINVALIDPOL, "product.limitPolicy"},
		badCase{"usernameRule macro", []string{"account.create"}, "product.usernameRule", `"{bogus}"`, domain.EINVALIDNAME, "product.usernameRule"},
		badCase{"usernameRule random 41", []string{"account.create"}, "product.usernameRule", `"{random_digit_41}"`, domain.EINVALIDNAME, "product.usernameRule"},
		badCase{"usernameRule 201", []string{"account.create"}, "product.usernameRule", quote(strings.Repeat("a", 201)), domain.EINVALIDNAME, "product.usernameRule"},
		badCase{"usernameRule RTL", []string{"account.create"}, "product.usernameRule", `"\u202e{client_id}-{service_id}"`, domain.EINVALIDNAME, "product.usernameRule"},
		badCase{"usernameRule space", []string{"account.create"}, "product.usernameRule", `"{client_id} {service_id}"`, domain.EINVALIDNAME, "product.usernameRule"},
		tooLong("product.warnTemplate", productNeeders),
		tooLong("product.limitTemplate", productNeeders),
		tooLong("product.publicEndpoint", productNeeders),
		tooLong("product.instructionUrl", productNeeders),
		tooLong("product.usernameRule", productNeeders),
		badCase{"mode", []string{"policy.apply"}, "params.mode", `"fast"`, domain.EINVALID, "params.mode"},
		badCase{"mode NUL", []string{"policy.apply"}, "params.mode", `"auto\u0000"`, domain.EINVALID, "params.mode"},
		badCase{"services missing", []string{"usage.update"}, "params.services", `null`, domain.EINVALID, "params.services"},
		badCase{"update mode", []string{"usage.update"}, "params.mode", `"fast"`, domain.EINVALID, "params.mode"},
		badCase{"notice kind", []string{"usage.notified"}, "params.notices.0.kind", `"spam"`, domain.EINVALID, "params.notices"},
		badCase{"notice service 0", []string{"usage.notified"}, "params.notices.0.serviceId", `0`, domain.EINVALID, "params.notices"},
		badCase{"metrics id 0", []string{"usage.metrics"}, "params.services.0.id", `0`, domain.EINVALID, "params.services"},
		badCase{"metrics productKey unknown", []string{"usage.metrics"}, "params.services.0.productKey", `"8"`, domain.EINVALID, "params.services.productKey"},
		badCase{"metrics products key empty", []string{"usage.metrics"}, "params.products.0.key", `""`, domain.EMISSING, "params.products.key"},
		badCase{"metrics products 60k", []string{"usage.metrics"}, "params.products", "[" + strings.TrimSuffix(strings.Repeat(`{"key":"k","product":{}},`, MaxListLen+1), ",") + "]", domain.ETOOLARGE, "params.products"},
		badCase{"notice egress without period", []string{"usage.notified"}, "params.notices.0.period", `""`, domain.EINVALID, "params.notices.period"},
		badCase{"notice egress period 13", []string{"usage.notified"}, "params.notices.0.period", `"2026-13"`, domain.EINVALID, "params.notices.period"},
		badCase{"notice egress period words", []string{"usage.notified"}, "params.notices.0.period", `"November 2026"`, domain.EINVALID, "params.notices.period"},
		badCase{"notice egress period RTL", []string{"usage.notified"}, "params.notices.0.period", `"‮2026-11"`, domain.EINVALID, "params.notices.period"},
		badCase{"notice egress period invalid UTF-8", []string{"usage.notified"}, "params.notices.0.period", "\"2026-\xff\"", domain.EINVALID, "params.notices.period"},
		badCase{"egressAllowanceGB negative", productNeeders, "product.egressAllowanceGB", `-1`, domain.EINVALID, "product.egressAllowanceGB"},
		badCase{"egressAllowanceGB 1e308", productNeeders, "product.egressAllowanceGB", `1e308`, domain.EINVALID, "product.egressAllowanceGB"},
		tooLong("product.egressTemplate", productNeeders),
		tooLong("params.notices.0.period", []string{"usage.notified"}),
		tooLong("params.services.0.productKey", []string{"usage.metrics"}),
		badCase{"page", []string{"render.client", "render.admin"}, "params.page", `"../../etc/passwd"`, domain.EINVALID, "params.page"},
		badCase{"overridesDir NUL", []string{"render.client", "render.admin"}, "params.overridesDir", `"/tmp/a\u0000b"`, domain.EINVALID, "overrides"},
		badCase{"overridesDir invalid UTF-8", []string{"render.client", "render.admin"}, "params.overridesDir", "\"/tmp/\xff\"", domain.EINVALID, "params.overridesDir"},
		badCase{"services username invalid UTF-8", []string{"usage.update", "usage.metrics"}, "params.services.0.username", "\"1-\xc0\xaf\"", domain.EINVALID, "params.services.0.username"},
		badCase{"selfService word", productNeeders, "product.selfService", `"buckets=10 disks=2"`, domain.EINVALID, "product.selfService"},
		badCase{"selfService too many", productNeeders, "product.selfService", `"keys=101"`, domain.EINVALID, "product.selfService"},
		badCase{"initiator missing", selfActions, "params.initiator", `""`, domain.EMISSING, "params.initiator"},
		badCase{"initiator other", selfActions, "params.initiator", `"tenant"`, domain.EINVALID, "params.initiator"},
		badCase{"bucket name empty", []string{"bucket.create"}, "params.name", `"  "`, domain.EMISSING, "params.name"},
		badCase{"bucket name upper", []string{"bucket.create"}, "params.name", `"Photos"`, domain.EINVALIDNAME, "params.name"},
		badCase{"bucket name path", []string{"bucket.create"}, "params.name", `"../1-10-data"`, domain.EINVALIDNAME, "params.name"},
		badCase{"bucket name dots", []string{"bucket.create"}, "params.name", `"a.b"`, domain.EINVALIDNAME, "params.name"},
		badCase{"bucket name RTL", []string{"bucket.create"}, "params.name", `"\u202eatad"`, domain.EINVALIDNAME, "params.name"},
		badCase{"bucket name 60", []string{"bucket.create"}, "params.name", quote(strings.Repeat("a", 60)), domain.EINVALIDNAME, "params.name"},
		badCase{"bucket of another tenant", []string{"bucket.delete", "bucket.versioning", "bucket.lifecycle", "bucket.public"}, "params.bucket", `"1-10-data"`, domain.EINVALIDNAME, "params.bucket"},
		badCase{"bucket outside any", []string{"bucket.delete", "bucket.versioning", "bucket.lifecycle", "bucket.public"}, "params.bucket", `"other"`, domain.EINVALIDNAME, "params.bucket"},
		badCase{"bucket not a name", []string{"bucket.delete", "bucket.versioning", "bucket.lifecycle", "bucket.public"}, "params.bucket", `"1-1-A_B"`, domain.EINVALIDNAME, "params.bucket"},
		badCase{"bucket empty", []string{"bucket.delete", "bucket.versioning", "bucket.lifecycle", "bucket.public"}, "params.bucket", `""`, domain.EMISSING, "params.bucket"},
		badCase{"enabled missing", []string{"bucket.versioning"}, "params.enabled", `null`, domain.EINVALID, "params.enabled"},
		badCase{"expireDays -1", []string{"bucket.lifecycle"}, "params.expireDays", `-1`, domain.EINVALID, "params.expireDays"},
		badCase{"noncurrentDays 36501", []string{"bucket.lifecycle"}, "params.noncurrentDays", `36501`, domain.EINVALID, "params.noncurrentDays"},
		badCase{"expiry unconfirmed", []string{"bucket.lifecycle"}, "params.expireDays", `30`, domain.EINVALID, "params.confirm"},
		badCase{"prefix wildcard", []string{"bucket.public"}, "params.prefix", `"*"`, domain.EINVALID, "params.prefix"},
		badCase{"prefix variable", []string{"bucket.public"}, "params.prefix", `"${aws:username}/"`, domain.EINVALID, "params.prefix"},
		badCase{"label control", []string{"key.create"}, "params.label", `"a\nb"`, domain.EINVALID, "params.label"},
		badCase{"label 61", []string{"key.create"}, "params.label", quote(strings.Repeat("é", 61)), domain.EINVALID, "params.label"},
		badCase{"scope of another tenant", []string{"key.create"}, "params.buckets.0", `"1-10-data"`, domain.EINVALIDNAME, "params.buckets"},
		badCase{"scope eleven", []string{"key.create"}, "params.buckets", eleven("1-1"), domain.EINVALID, "params.buckets"},
		badCase{"expires word", []string{"key.create"}, "params.expires", `"tomorrow"`, domain.EINVALID, "params.expires"},
		badCase{"expires past", []string{"key.create"}, "params.expires", `"2020-01-01"`, domain.EINVALID, "params.expires"},
		badCase{"expires ten years", []string{"key.create"}, "params.expires", `"2099-01-01"`, domain.EINVALID, "params.expires"},
		badCase{"access key empty", []string{"key.revoke"}, "params.accessKey", `""`, domain.EMISSING, "params.accessKey"},
		badCase{"access key space", []string{"key.revoke"}, "params.accessKey", `"PQM A"`, domain.EINVALID, "params.accessKey"},
		badCase{"access key short", []string{"key.revoke"}, "params.accessKey", `"PQ"`, domain.EINVALID, "params.accessKey"},
		badCase{"page bucket name", []string{"render.client"}, "params.page", `"bucket"`, domain.EMISSING, "params.bucket"},
		badCase{"newKey access", []string{"render.client"}, "params.newKey.accessKey", `"a b"`, domain.EINVALID, "params.newKey.accessKey"},
		badCase{"newKey secret", []string{"render.client"}, "params.newKey.secretKey", `"a\u0000b"`, domain.EINVALID, "params.newKey.secretKey"},
		badCase{"bucket on overview", []string{"render.client"}, "params.bucket", `"1-1-data"`, domain.EINVALID, "params.bucket"},
		tooLong("params.csrf", []string{"render.client", "render.admin"}),
		tooLong("params.services.0.username", []string{"usage.update", "usage.metrics"}),
		tooLong("params.services.0.product.unit", []string{"usage.update"}),
	)
	for _, a := range noParams {
		cs = append(cs, badCase{"params on " + a, []string{a}, "", nil, domain.EINVALID, "params"})
	}
	return cs
}

// Hand-written bad values, field by field and action by action.
func TestBadInputValues(t *testing.T) {
	w := getWorld(t)
	before := w.snapshot(t)
	for _, c := range badValueCases() {
		for _, action := range c.actions {
			base := w.baseRequest(action)
			var body []byte
			switch {
			case c.path == "" && c.field == "params":
				body = []byte(append(base, jkv{"params", jobj{{"x", `1`}}}).String())
			case c.path == "":
				body = []byte(strings.Replace(base.String(), `"action"`, "\"acti\xffon\"", 1))
			default:
				path := c.path
				if action == "account.create" && path == "service.username" {
					continue
				}
				body = []byte(with(base, path, c.raw).String())
			}
			t.Run(c.name+"/"+action, func(t *testing.T) {
				w.runBad(t, body, c.code, strings.ReplaceAll(c.field, ".0", ""))
			})
		}
	}
	if after := w.snapshot(t); !reflect.DeepEqual(before, after) {
		t.Fatalf("MinIO changed under refused requests:\nbefore %+v\nafter  %+v", before, after)
	}
}

// The create and package paths change nothing when refused: users, their
// policies and groups, the puqminio-* policies and the buckets are the same
// before and after. The create rule renders user "9-901", which must not
// appear.
func TestBadInputCreatePackageChangeNothing(t *testing.T) {
	w := getWorld(t)
	before := w.snapshot(t)
	bad := []struct{ path, raw string }{
		{"product.bucketSuffix", quote(strings.Repeat("s", 60))},
		{"product.policy", quote(policyOf(1 << 20))},
		{"product.limitPolicy", `"{\"Version\":\"1\"}"`},
		{"product.group", `"bad group"`},
		{"product.usernameRule", `"{client_id}--{service_id}"`},
		{"product.diskSpace", `1e308`},
		{"product.policy", quote(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":"arn:aws:s3:::other/*"}]}`)},
	}
	for _, action := range []string{"account.create", "account.package", "policy.apply"} {
		for _, b := range bad {
			if action != "account.create" && (b.path == "product.bucketSuffix" || b.path == "product.usernameRule") {
				continue // only create reads them
			}
			base := w.baseRequest(action)
			if action == "account.create" {
				base = with(base, "product.defaultBucket", `true`)
				base = with(base, "service.clientId", `9`)
			}
			body := []byte(with(base, b.path, b.raw).String())
			ctx, cancel := w.ctx()
			o := w.run(ctx, body)
			cancel()
			checkOutcome(t, body, o)
			if o.resp.OK || o.status != ExitRejected || len(o.calls) > 0 {
				t.Errorf("%s with %s=%.40s: %s (status %d, MinIO saw %v)", action, b.path, b.raw, o.raw, o.status, o.calls)
			}
		}
	}
	if after := w.snapshot(t); !reflect.DeepEqual(before, after) {
		t.Fatalf("MinIO changed:\nbefore %+v\nafter  %+v", before, after)
	}
}

// minioState is what a refused request must leave unchanged.
type minioState struct {
	Users    map[string]string // name -> "enabled policies groups"
	Buckets  []string
	Policies map[string]bool // puqminio-<user> for each user and for the create candidate
}

func (w *world) snapshot(t *testing.T) minioState {
	t.Helper()
	ctx, cancel := w.ctx()
	defer cancel()
	users, err := w.direct.Admin.ListUsers(ctx)
	if err != nil {
		t.Fatalf("list users: %v", err)
	}
	st := minioState{Users: map[string]string{}, Policies: map[string]bool{}}
	for name, u := range users {
		st.Users[name] = fmt.Sprintf("%t %v %v", u.Enabled, u.Policies, u.Groups)
	}
	bs, err := w.direct.S3.ListBuckets(ctx)
	if err != nil {
		t.Fatalf("list buckets: %v", err)
	}
	for _, b := range bs {
		st.Buckets = append(st.Buckets, b.Name)
	}
	for _, u := range append(slices.Sorted(mapsKeys(users)), "9-901", "1-901") {
		_, ok, err := w.srv.CannedPolicy(ctx, domain.PolicyName(u))
		if err != nil {
			t.Fatalf("read policy of %s: %v", u, err)
		}
		st.Policies[domain.PolicyName(u)] = ok
	}
	return st
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// jsonBombs are whole requests built to exhaust a parser.
func (w *world) jsonBombs() []struct{ name, body, code, field string } {
	valid := w.baseRequest("server.check").String()
	inner := strings.TrimSuffix(valid, "}")
	nested := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	manyObjects := strings.Repeat("{},", 2_000_000)
	manyObjects = "[" + manyObjects[:len(manyObjects)-1] + "]"
	manyNotices := strings.Repeat(`{"serviceId":1,"kind":"warn"},`, 60000)
	manyNotices = "[" + manyNotices[:len(manyNotices)-1] + "]"
	upd := w.baseRequest("usage.update")
	return []struct{ name, body, code, field string }{
		{"100k nested arrays", nested, domain.EINVALIDJSON, "request"},
		{"100k nested arrays in params", with(w.baseRequest("policy.apply"), "params", nested).String(), domain.EINVALIDJSON, "request"},
		{"100k nested objects", strings.Repeat(`{"a":`, 100000) + "1" + strings.Repeat("}", 100000), domain.EINVALIDJSON, "request"},
		{"2M-element services", with(upd, "params.services", manyObjects).String(), domain.ETOOLARGE, "params.services"},
		{"60k notices", with(w.baseRequest("usage.notified"), "params.notices", manyNotices).String(), domain.ETOOLARGE, "params.notices"},
		{"2M-element list as server", with(w.baseRequest("server.check"), "server", manyObjects).String(), domain.EINVALID, "server"},
		{"duplicate v", `{"v":1,"v":1,` + strings.TrimPrefix(valid, `{"v":1,`), domain.EINVALID, "v is given twice"},
		{"duplicate action", inner + `,"action":"account.terminate"}`, domain.EINVALID, "action is given twice"},
		{"duplicate endpoint", strings.Replace(valid, `"endpoint":`, `"endpoint":"evil:1","endpoint":`, 1), domain.EINVALID, "server.endpoint is given twice"},
		{"duplicate username", strings.Replace(w.baseRequest("account.terminate").String(), `"username":`, `"username":"12-34","username":`, 1), domain.EINVALID, "service.username is given twice"},
		{"duplicate diskSpace", strings.Replace(w.baseRequest("account.package").String(), `"diskSpace":10`, `"diskSpace":10,"diskSpace":1`, 1), domain.EINVALID, "product.diskSpace is given twice"},
		{"duplicate params mode", strings.Replace(w.baseRequest("policy.apply").String(), `"mode":"auto"`, `"mode":"auto","mode":"limited"`, 1), domain.EINVALID, "params.mode is given twice"},
		{"duplicate in services", replaceLast(upd.String(), `"username":`, `"username":"x-y","username":`), domain.EINVALID, "params.services.username is given twice"},
		{"key case", strings.Replace(valid, `"action"`, `"Action"`, 1), domain.EINVALID, "Action"},
		{"key case and duplicate", inner + `,"ACTION":"account.terminate"}`, domain.EINVALID, "ACTION"},
		{"key long s", strings.Replace(valid, `"secretKey"`, `"ſecretKey"`, 1), domain.EINVALID, "ſecretKey"},
		{"key Kelvin", strings.Replace(w.baseRequest("usage.notified").String(), `"kind"`, "\"\u212aind\"", 1), domain.EINVALID, "params.notices.\u212aind"},
		{"1e999999 version", strings.Replace(valid, `"v":1`, `"v":1e999999`, 1), domain.EINVALID, "v"},
		{"1e999999 diskSpace", strings.Replace(w.baseRequest("account.package").String(), `"diskSpace":10`, `"diskSpace":1e999999`, 1), domain.EINVALID, "product.diskSpace"},
		{"long number", strings.Replace(valid, `"v":1`, `"v":`+strings.Repeat("9", 100000), 1), domain.EINVALID, "v"},
		{"trailing garbage", valid + ` x`, domain.EINVALIDJSON, "request"},
		{"two objects", valid + valid, domain.EINVALIDJSON, "after its JSON object"},
		{"trailing comment", valid + ` // done`, domain.EINVALIDJSON, "request"},
		{"byte order mark", "\ufeff" + valid, domain.EINVALIDJSON, "request"},
		{"NUL after", valid + "\x00", domain.EINVALIDJSON, "request"},
		{"null request", `null`, domain.EINVALIDJSON, "request"},
		{"string request", `"{\"v\":1}"`, domain.EINVALIDJSON, "request"},
		{"empty", ``, domain.EINVALIDJSON, "request"},
		{"whitespace", " \n\t ", domain.EINVALIDJSON, "request"},
		{"unterminated string", `{"v":1,"action":"server.check`, domain.EINVALIDJSON, "request"},
		{"8 MiB + 1", `{"v":1,"action":"server.check","pad":"` + strings.Repeat("x", MaxRequestBytes) + `"}`, domain.ETOOLARGE, "request"},
		{"10 MB string", strings.Replace(valid, `"accessKey":`, `"accessKey":"`+strings.Repeat("a", 10<<20)+`","x":`, 1), domain.ETOOLARGE, "request"},
	}
}

func replaceLast(s, old, new string) string {
	i := strings.LastIndex(s, old)
	return s[:i] + new + s[i+len(old):]
}

func TestBadInputJSONBombs(t *testing.T) {
	w := getWorld(t)
	for _, b := range w.jsonBombs() {
		t.Run(b.name, func(t *testing.T) {
			w.runBad(t, []byte(b.body), b.code, b.field)
		})
	}
}

// requestSeeds seed FuzzRequest: valid requests of every action and the
// smaller nasty ones, with placeholders for the shared server.
var requestSeeds = []string{
	`{"v":1,"action":"server.check","server":{"id":1,"endpoint":"@ENDPOINT@","accessKey":"@ACCESS@","secretKey":"@SECRET@"}}`,
	`{"v":1,"action":"account.list","server":{"id":1,"endpoint":"@ENDPOINT@","accessKey":"@ACCESS@","secretKey":"@SECRET@"},"store":{"path":"@STORE@"}}`,
	`{"v":1,"action":"account.create","server":{"id":1,"endpoint":"@ENDPOINT@","accessKey":"@ACCESS@","secretKey":"@SECRET@"},"store":{"path":"@STORE@"},"service":{"id":900,"clientId":9},"product":{"unit":"GB","diskSpace":10,"defaultBucket":true,"group":"fz"}}`,
	`{"v":1,"action":"account.suspend","server":{"id":1,"endpoint":"@ENDPOINT@","accessKey":"@ACCESS@","secretKey":"@SECRET@"},"store":{"path":"@STORE@"},"service":{"id":1,"username":"@USER@"}}`,
	`{"v":1,"action":"account.unsuspend","server":{"id":1,"endpoint":"@ENDPOINT@","accessKey":"@ACCESS@","secretKey":"@SECRET@"},"store":{"path":"@STORE@"},"service":{"id":1,"username":"@USER@"}}`,
	`{"v":1,"action":"account.password","server":{"id":1,"endpoint":"@ENDPOINT@","accessKey":"@ACCESS@","secretKey":"@SECRET@"},"store":{"path":"@STORE@"},"service":{"id":1,"username":"@USER@","password":"Another-Pass-99"}}`,
	`{"v":1,"action":"account.package","server":{"id":1,"endpoint":"@ENDPOINT@","accessKey":"@ACCESS@","secretKey":"@SECRET@"},"store":{"path":"@STORE@"},"service":{"id":1,"username":"@USER@"},"product":{"diskSpace":50}}`,
	`{"v":1,"action":"account.info","server":{"id":1,"endpoint":"@ENDPOINT@","accessKey":"@ACCESS@","secretKey":"@SECRET@"},"store":{"path":"@STORE@"},"service":{"id":1,"username":"@USER@"},"product":{}}`,
	`{"v":1,"action":"policy.apply","server":{"id":1,"endpoint":"@ENDPOINT@","accessKey":"@ACCESS@","secretKey":"@SECRET@"},"store":{"path":"@STORE@"},"service":{"id":1,"username":"@USER@"},"product":{},"params":{"mode":"limited"}}`,
	`{"v":1,"action":"usage.update","server":{"id":1,"endpoint":"@ENDPOINT@","accessKey":"@ACCESS@","secretKey":"@SECRET@"},"store":{"path":"@STORE@"},"params":{"services":[{"id":1,"clientId":1,"username":"@USER@","product":{"diskSpace":1}}]}}`,
	`{"v":1,"action":"usage.recalculate","server":{"id":1,"endpoint":"@ENDPOINT@","accessKey":"@ACCESS@","secretKey":"@SECRET@"},"store":{"path":"@STORE@"},"service":{"id":1,"username":"@USER@"},"product":{"diskSpace":1}}`,
	`{"v":1,"action":"usage.notified","server":{"id":1,"endpoint":"@ENDPOINT@","accessKey":"@ACCESS@","secretKey":"@SECRET@"},"store":{"path":"@STORE@"},"params":{"notices":[{"serviceId":1,"kind":"limit"}]}}`,
	`{"v":1,"action":"usage.metrics","server":{"id":1,"endpoint":"@ENDPOINT@","accessKey":"@ACCESS@","secretKey":"@SECRET@"},"store":{"path":"@STORE@"},"params":{"services":[{"id":1,"username":"@USER@"}]}}`,
	`{"v":1,"action":"render.client","server":{"id":1,"endpoint":"@ENDPOINT@","accessKey":"@ACCESS@","secretKey":"@SECRET@"},"store":{"path":"@STORE@"},"service":{"id":1,"username":"@USER@","lang":"german"},"product":{},"params":{"page":"stats"}}`,
	`{"v":1,"action":"render.admin","server":{"id":1,"endpoint":"@ENDPOINT@","accessKey":"@ACCESS@","secretKey":"@SECRET@"},"store":{"path":"@STORE@"},"service":{"id":1,"username":"@USER@"},"product":{}}`,
	`{"v":1,"action":"account.terminate","server":{"id":1,"endpoint":"@ENDPOINT@","accessKey":"@ACCESS@","secretKey":"@SECRET@"},"store":{"path":"@STORE@"},"service":{"id":1,"username":"@USER@"}}`,
	`{"v":1,"action":"bucket.create","server":{"id":1,"endpoint":"@ENDPOINT@","accessKey":"@ACCESS@","secretKey":"@SECRET@"},"store":{"path":"@STORE@"},"service":{"id":1,"username":"@USER@","status":"Active"},"product":{"selfService":"buckets=3"},"params":{"initiator":"client","name":"fz"}}`,
	`{"v":1,"action":"bucket.delete","server":{"id":1,"endpoint":"@ENDPOINT@","accessKey":"@ACCESS@","secretKey":"@SECRET@"},"store":{"path":"@STORE@"},"service":{"id":1,"username":"@USER@"},"product":{},"params":{"initiator":"admin","bucket":"@USER@-fz","confirm":"@USER@-fz"}}`,
	`{"v":1,"action":"bucket.versioning","server":{"id":1,"endpoint":"@ENDPOINT@","accessKey":"@ACCESS@","secretKey":"@SECRET@"},"store":{"path":"@STORE@"},"service":{"id":1,"username":"@USER@"},"product":{},"params":{"initiator":"admin","bucket":"@USER@-data","enabled":true}}`,
	`{"v":1,"action":"bucket.lifecycle","server":{"id":1,"endpoint":"@ENDPOINT@","accessKey":"@ACCESS@","secretKey":"@SECRET@"},"store":{"path":"@STORE@"},"service":{"id":1,"username":"@USER@"},"product":{},"params":{"initiator":"admin","bucket":"@USER@-data","expireDays":3650,"confirm":true}}`,
	`{"v":1,"action":"bucket.public","server":{"id":1,"endpoint":"@ENDPOINT@","accessKey":"@ACCESS@","secretKey":"@SECRET@"},"store":{"path":"@STORE@"},"service":{"id":1,"username":"@USER@"},"product":{"permissions":"public"},"params":{"initiator":"client","bucket":"@USER@-data","public":true,"prefix":"site/"}}`,
	`{"v":1,"action":"key.create","server":{"id":1,"endpoint":"@ENDPOINT@","accessKey":"@ACCESS@","secretKey":"@SECRET@"},"store":{"path":"@STORE@"},"service":{"id":1,"username":"@USER@","lang":"arabic"},"product":{"selfService":"keys=2"},"params":{"initiator":"client","label":"fz","buckets":["@USER@-data"],"readOnly":true,"expires":"2020-01-01"}}`,
	`{"v":1,"action":"key.revoke","server":{"id":1,"endpoint":"@ENDPOINT@","accessKey":"@ACCESS@","secretKey":"@SECRET@"},"store":{"path":"@STORE@"},"service":{"id":1,"username":"@USER@"},"product":{},"params":{"initiator":"client","accessKey":"PQMAAAAAAAAAAAAAAAAA"}}`,
	`{"v":1,"action":"render.client","server":{"id":1,"endpoint":"@ENDPOINT@","accessKey":"@ACCESS@","secretKey":"@SECRET@"},"store":{"path":"@STORE@"},"service":{"id":1,"username":"@USER@"},"product":{},"params":{"page":"bucket","bucket":"@USER@-data","actionUrls":{"bucket.delete":"x"}}}`,
	`{"v":1,"v":1,"action":"server.check","server":{"id":1,"endpoint":"@ENDPOINT@","accessKey":"@ACCESS@","secretKey":"@SECRET@"}}`,
	`{"v":1,"action":"account.suspend","server":{"id":1,"endpoint":"@ENDPOINT@","accessKey":"@ACCESS@","secretKey":"@SECRET@"},"store":{"path":"@STORE@"},"service":{"id":1,"username":"12-34","Username":"@USER@"}}`,
	`{"v":1,"action":"account.terminate","server":{"id":1,"endpoint":"@ENDPOINT@","accessKey":"@ACCESS@","secretKey":"@SECRET@"},"store":{"path":"@STORE@"},"service":{"id":1,"username":"\u202e@USER@"}}`,
	`{"v":1,"action":"account.create","server":{"id":1,"endpoint":"@ENDPOINT@","accessKey":"@ACCESS@","secretKey":"@SECRET@"},"store":{"path":"@STORE@"},"service":{"id":900,"clientId":9},"product":{"defaultBucket":true,"bucketSuffix":"ssssssssssssssssssssssssssssssssssssssssssssssss"}}`,
	`{"v":1,"action":"policy.apply","server":{"id":1,"endpoint":"@ENDPOINT@","accessKey":"@ACCESS@","secretKey":"@SECRET@"},"store":{"path":"@STORE@"},"service":{"id":1,"username":"@USER@"},"product":{"policy":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"s3:*\"],\"Resource\":[\"arn:aws:s3:::*\"]}]}"},"params":{"mode":"standard"}}`,
	`{"v":1,"action":"usage.update","server":{"id":1,"endpoint":"@ENDPOINT@","accessKey":"@ACCESS@","secretKey":"@SECRET@"},"store":{"path":"@STORE@"},"params":{"services":[{},{},{}],"mode":"exact"}}`,
	`{"v":1,"action":"server.check","server":{"id":1,"endpoint":"@ENDPOINT@","accessKey":"@ACCESS@","secretKey":"@SECRET@","region":"x\r\ny"}}`,
	`{"v":1,"action":"server.check","server":{"id":1,"endpoint":"10.255.255.1:9","accessKey":"@ACCESS@","secretKey":"@SECRET@"}}`,
	`{"v":1,"action":"account.info","server":{"id":1,"endpoint":"@ENDPOINT@","accessKey":"@ACCESS@","secretKey":"@SECRET@"},"store":{"path":"@STORE@"},"service":{"id":1,"username":"@USER@"},"params":{}}`,
	`{"v":1,"action":"server.check","server":{"id":1,"endpoint":"@ENDPOINT@","accessKey":"@ACCESS@","secretKey":"@SECRET@"}} {}`,
	`{"v":1e999999,"action":"server.check"}`,
	`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
}

// A refusal touches nothing at all: not even the usage database is created.
// Each action gets a request refused by its own checks, the last ones made
// before the store is opened.
func TestBadInputLeavesNoStore(t *testing.T) {
	w := getWorld(t)
	bad := map[string][2]string{
		"account.create":    {"product.usernameRule", `"{bogus}"`},
		"account.password":  {"service.password", `"short"`},
		"account.package":   {"product.policy", `"not json"`},
		"usage.recalculate": {"product.limitPolicy", `"not json"`},
		"policy.apply":      {"params.mode", `"fast"`},
		"usage.update":      {"params.mode", `"fast"`},
		"usage.notified":    {"params.notices.0.kind", `"spam"`},
		"usage.metrics":     {"params.services.0.id", `-1`},
		"render.client":     {"params.page", `"admin"`},
		"render.admin":      {"params.overridesDir", `"/tmp/a\u0000b"`},
		"bucket.create":     {"params.name", `"../1-10-data"`},
		"bucket.delete":     {"params.bucket", `"1-10-data"`},
		"bucket.versioning": {"params.bucket", `"other"`},
		"bucket.lifecycle":  {"params.expireDays", `36501`},
		"bucket.public":     {"params.prefix", `"*"`},
		"key.create":        {"params.buckets.0", `"1-10-data"`},
		"key.revoke":        {"params.accessKey", `"a b"`},
	}
	for _, action := range storeNeeders {
		path := filepath.Join(t.TempDir(), "sub", "usage.db")
		base := with(w.baseRequest(action), "store.path", quote(path))
		b, ok := bad[action]
		if !ok {
			b = [2]string{"service.username", `"a b"`}
		}
		body := []byte(with(base, b[0], b[1]).String())
		ctx, cancel := w.ctx()
		o := w.run(ctx, body)
		cancel()
		checkOutcome(t, body, o)
		if o.resp.OK || o.status != ExitRejected || len(o.calls) > 0 {
			t.Errorf("%s with %s=%s: %.300s (MinIO saw %v)", action, b[0], b[1], o.raw, o.calls)
		}
		if _, err := os.Stat(filepath.Dir(path)); !os.IsNotExist(err) {
			t.Errorf("%s refused (%s) but created %s", action, o.resp.Error.Message, filepath.Dir(path))
		}
	}
}

// A usage update that lists a service id or a user name twice cannot say
// whose product decides: those entries get an error and are not measured,
// the others are, and MinIO is only read.
func TestUsageUpdateDuplicates(t *testing.T) {
	w := getWorld(t)
	services := jlist{
		jobj{{"id", `1`}, {"username", quote(w.fixture.Username)}, {"product", jobj{}}},
		jobj{{"id", `5`}, {"username", `"dup-user"`}, {"product", jobj{{"diskSpace", `0.001`}}}},
		jobj{{"id", `6`}, {"username", `"dup-user"`}, {"product", jobj{}}},
		jobj{{"id", `7`}, {"username", `"7-7"`}, {"product", jobj{}}},
		jobj{{"id", `7`}, {"username", `"7-8"`}, {"product", jobj{}}},
	}
	body := []byte(with(w.baseRequest("usage.update"), "params.services", services).String())
	ctx, cancel := w.ctx()
	defer cancel()
	o := w.run(ctx, body)
	checkOutcome(t, body, o)
	var res struct {
		Services []struct {
			ID       int64
			Username string
			State    string
			Error    *struct{ Code, Message string }
		}
	}
	if !o.resp.OK || json.Unmarshal(o.resp.Result, &res) != nil || len(res.Services) != 5 {
		t.Fatalf("usage.update: %.500s", o.raw)
	}
	if e := res.Services[0].Error; e != nil || res.Services[0].ID != 1 || res.Services[0].State != "normal" {
		t.Errorf("the unique service: %+v %+v", res.Services[0], e)
	}
	want := []string{"", domain.ECONFLICT, domain.ECONFLICT, domain.EINVALID, domain.EINVALID}
	for i := 1; i < 5; i++ {
		e := res.Services[i].Error
		if e == nil || e.Code != want[i] || !strings.Contains(e.Message, "params.services") {
			t.Errorf("entry %d (%d %s): %+v, want code %s", i, res.Services[i].ID, res.Services[i].Username, e, want[i])
		}
	}
	if ch := changing(o.calls); len(ch) > 0 {
		t.Errorf("MinIO was sent %v", ch)
	}
}
