package domain

import (
	"strings"
	"testing"
	"time"
)

func TestParseSelfLimits(t *testing.T) {
	good := map[string]SelfLimits{
		"":                     {10, 10},
		"buckets=3":            {3, 10},
		"keys=0, buckets=1000": {1000, 0},
		"BUCKETS=2 KEYS=5":     {2, 5},
	}
	for in, want := range good {
		got, err := ParseSelfLimits(in)
		if err != nil || got != want {
			t.Errorf("%q: %+v %v, want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"buckets", "buckets=-1", "buckets=1001", "keys=101", "keys=1.5", "objects=3", "buckets=1 buckets=2", "keys=1e2"} {
		if _, err := ParseSelfLimits(in); ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), "product.selfService") {
			t.Errorf("%q: %v, want invalid_field naming product.selfService", in, err)
		}
	}
	p := Product{SelfService: " keys=4 ,buckets=2 "}
	if err := p.Normalize(); err != nil || p.SelfService != "buckets=2 keys=4" || p.SelfLimits() != (SelfLimits{2, 4}) {
		t.Errorf("normalized %q %+v %v", p.SelfService, p.SelfLimits(), err)
	}
	if d := DefaultProduct(); d.SelfService != "buckets=10 keys=10" {
		t.Errorf("default %q", d.SelfService)
	}
}

// A bucket a tenant asks for lies in its namespace and nowhere else, and
// a bucket it names must be its own: both are refused before any call.
func TestSelfBucketNames(t *testing.T) {
	if b, err := SelfBucketName("12-34", " photos-2026 "); err != nil || b != "12-34-photos-2026" {
		t.Errorf("%q %v", b, err)
	}
	for _, part := range []string{"", "Photos", "a_b", "-x", "x-", "a--b", "a.b", "../x", "ü", "s3alias", "x-s3alias", strings.Repeat("a", 58), "a b", "\u202ex"} {
		if b, err := SelfBucketName("12-34", part); err == nil || ErrorRefusal(err) != RefuseInput {
			t.Errorf("part %q gave %q %v", part, b, err)
		}
	}
	if err := CheckOwnBucket("params.bucket", "12-34", "12-34"); err != nil {
		t.Error(err)
	}
	if err := CheckOwnBucket("params.bucket", "12-34", "12-34-x.y"); err != nil {
		t.Error(err)
	}
	for _, b := range []string{"12-345", "12-3", "other", "12-34/x", "12-34-", "", "12-34-..x", "12-34-" + strings.Repeat("a", 60)} {
		if err := CheckOwnBucket("params.bucket", "12-34", b); err == nil {
			t.Errorf("bucket %q of 12-34 accepted", b)
		}
	}
}

func TestAccessKeyPair(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		a, s := NewAccessKeyPair()
		if len(a) != 20 || !strings.HasPrefix(a, AccessKeyPrefix) || strings.ToUpper(a) != a || len(s) != 40 || seen[a] {
			t.Fatalf("%q %d", a, len(s))
		}
		if ValidateUsername(a) == nil {
			t.Fatalf("access key %s is a valid user name: a key could take a future user's name", a)
		}
		seen[a] = true
	}
}

func TestKeyLabelAndExpiry(t *testing.T) {
	for _, ok := range []string{"", "backup – Büro", "写真のバックアップ", "نسخ احتياطي", "👩‍💻 laptop"} {
		if _, err := CleanKeyLabel(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"a\nb", "a\x00", "\u202eevil", strings.Repeat("x", 61), "\xff"} {
		if _, err := CleanKeyLabel(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	now := time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)
	if got, err := ParseKeyExpiry("2026-03-14", now); err != nil || !got.Equal(time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("today: %v %v", got, err)
	}
	if got, err := ParseKeyExpiry("2026-03-14T09:46:05.7Z", now); err != nil || !got.Equal(now.Add(16*time.Minute+5*time.Second)) {
		t.Errorf("in 16 min: %v %v", got, err)
	}
	if got, err := ParseKeyExpiry("2027-03-12", now); err != nil || !got.Equal(time.Date(2027, 3, 13, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("in 364 days: %v %v", got, err)
	}
	if got, err := ParseKeyExpiry(" ", now); err != nil || !got.IsZero() {
		t.Errorf("none: %v %v", got, err)
	}
	for _, bad := range []string{"2026-03-13", "2026-03-14T09:30:00Z", "2026-03-14T09:45:00Z", "2027-03-13", "2037-01-01", "tomorrow", "14.03.2027", "2026-02-30"} {
		if _, err := ParseKeyExpiry(bad, now); err == nil || !strings.Contains(ErrorMessage(err), "params.expires") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestKeyPolicy(t *testing.T) {
	s := KeyScope{Buckets: []string{"12-34-b", "12-34-a", "12-34-b"}, ReadOnly: true}
	if err := s.Normalize("12-34"); err != nil || len(s.Buckets) != 2 || s.Buckets[0] != "12-34-a" {
		t.Fatalf("%+v %v", s, err)
	}
	doc, err := KeyPolicy("12-34", s)
	if err != nil {
		t.Fatal(err)
	}
	// The policy allows s3 actions inside the tenant only, as a product's
	// policy must, and denies making keys.
	if err := checkPolicy(string(doc), "the key's policy", "12-34", false); err != nil {
		t.Errorf("%s: %v", doc, err)
	}
	for _, want := range []string{`"s3:GetObject"`, `"arn:aws:s3:::12-34-a/*"`, `"Deny"`, `"admin:CreateServiceAccount"`} {
		if !strings.Contains(string(doc), want) {
			t.Errorf("%s lacks %s", doc, want)
		}
	}
	if strings.Contains(string(doc), "s3:PutObject") || strings.Contains(string(doc), `"s3:*"`) {
		t.Errorf("read-only policy allows writes: %s", doc)
	}
	all, _ := KeyPolicy("12-34", KeyScope{})
	if !strings.Contains(string(all), `"arn:aws:s3:::12-34-*"`) || !strings.Contains(string(all), `"s3:*"`) {
		t.Errorf("all buckets: %s", all)
	}
	for _, bad := range [][]string{{"12-345"}, {"other"}, {"12-34-a", "12-3"}, {"12-34-1", "12-34-2", "12-34-3", "12-34-4", "12-34-5", "12-34-6", "12-34-7", "12-34-8", "12-34-9", "12-34-10", "12-34-11"}} {
		s := KeyScope{Buckets: bad}
		if err := s.Normalize("12-34"); err == nil {
			t.Errorf("scope %v accepted", bad)
		}
	}
	long := KeyScope{}
	for i := range MaxScopeBuckets {
		long.Buckets = append(long.Buckets, "12-34-"+strings.Repeat(string(rune('a'+i)), 57))
	}
	if err := long.Normalize("12-34"); err != nil {
		t.Fatal(err)
	}
	if doc, err := KeyPolicy("12-34", long); err != nil || len(doc) > 4096 {
		t.Errorf("ten long buckets: %d bytes, %v", len(doc), err)
	}
}

func TestPublicRead(t *testing.T) {
	for _, prefix := range []string{"", "site/", "docs/2026 report", "фото/"} {
		pol, err := PublicReadPolicy("12-34-web", prefix)
		if err != nil {
			t.Fatal(err)
		}
		got, module, ok := PublicRead("12-34-web", pol)
		if !ok || !module || got != prefix {
			t.Errorf("%q: read back %q %t %t from %s", prefix, got, module, ok, pol)
		}
	}
	minio := `{"Version":"2012-10-17","Statement":[{"Sid":"PuqMinIOS3PublicRead","Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::12-34-web/a/*"]}]}`
	if p, module, ok := PublicRead("12-34-web", minio); p != "a/" || !module || !ok {
		t.Errorf("MinIO's form: %q %t %t", p, module, ok)
	}
	for _, other := range []string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:PutObject"],"Resource":["arn:aws:s3:::12-34-web/*"]}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::12-34-other/*"}]}`,
		`not json`,
	} {
		if _, module, ok := PublicRead("12-34-web", other); module || !ok {
			t.Errorf("%s read as the module's (%t %t)", other, module, ok)
		}
	}
	if _, _, ok := PublicRead("12-34-web", ""); ok {
		t.Error("no policy read as one")
	}
	for _, bad := range []string{"*", "a?", "${aws:username}/", "/x", "a\nb", strings.Repeat("p", 513)} {
		if _, err := PublicReadPolicy("12-34-web", bad); err == nil {
			t.Errorf("prefix %q accepted", bad)
		}
	}
}

func TestLifecycleCheck(t *testing.T) {
	if err := (Lifecycle{ExpireDays: 36500, NoncurrentDays: 0}).Check(); err != nil {
		t.Error(err)
	}
	for _, l := range []Lifecycle{{-1, 0}, {0, 36501}} {
		if err := l.Check(); err == nil {
			t.Errorf("%+v accepted", l)
		}
	}
}
