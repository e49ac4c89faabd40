package domain

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Self-service: what a tenant may make in the client area (buckets, access
// keys, bucket settings) and the rules the module holds it to. The module
// carries these actions out with the server's admin credentials after
// checking them here, which is why the guards may deny tenants the same
// calls (bucket policies, object lock, access keys made with S3 tools).

// Why a self-service action was refused, in words the pages translate
// (Error.Refusal).
const (
	RefuseMaxBuckets   = "max_buckets"   // the product's maximum number of buckets is reached
	RefuseMaxKeys      = "max_keys"      // the product's maximum number of access keys is reached
	RefuseRate         = "rate"          // too many changes in a short time
	RefuseFull         = "full"          // the account is at its disk limit
	RefuseSuspended    = "suspended"     // the service is suspended (or being terminated)
	RefuseNotPermitted = "not_permitted" // the product does not allow it
	RefuseTaken        = "taken"         // a bucket of that name exists
	RefuseNotEmpty     = "not_empty"     // the bucket holds objects; type its name to delete them
	RefuseRetention    = "retention"     // objects under retention keep the bucket
	RefuseNotFound     = "not_found"     // no such bucket or key of this account
	RefuseInput        = "input"         // a value of the form is not valid
	RefuseConfirm      = "confirm"       // a destructive change was not confirmed
)

// Self-service limits: the product's "selfService" setting, words
// "buckets=N keys=N".
const (
	DefaultMaxBuckets = 10
	DefaultMaxKeys    = 10
	MaxSelfBuckets    = 1000 // the most a product may allow
	MaxSelfKeys       = 100
)

// SelfLimits is how many buckets and access keys a tenant may have when
// it makes them in the client area; 0 means it may make none.
type SelfLimits struct {
	Buckets int
	Keys    int
}

// String is the setting's canonical form.
func (l SelfLimits) String() string {
	return "buckets=" + strconv.Itoa(l.Buckets) + " keys=" + strconv.Itoa(l.Keys)
}

// DefaultSelfService is the product setting's default.
var DefaultSelfService = SelfLimits{Buckets: DefaultMaxBuckets, Keys: DefaultMaxKeys}.String()

// ParseSelfLimits reads "buckets=N keys=N" (either word may be left out for
// its default; spaces or commas between them).
func ParseSelfLimits(s string) (SelfLimits, error) {
	l := SelfLimits{Buckets: DefaultMaxBuckets, Keys: DefaultMaxKeys}
	seen := map[string]bool{}
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' || r == '\n' }) {
		k, v, ok := strings.Cut(strings.ToLower(w), "=")
		n, err := strconv.Atoi(v)
		max := map[string]int{"buckets": MaxSelfBuckets, "keys": MaxSelfKeys}[k]
		switch {
		case !ok || max == 0:
			return l, Errorf(EINVALID, "product.selfService: %q is not buckets=N or keys=N", Printable(w))
		case seen[k]:
			return l, Errorf(EINVALID, "product.selfService names %s twice", k)
		case err != nil || n < 0 || n > max:
			return l, Errorf(EINVALID, "product.selfService: %s must be a whole number from 0 to %d", k, max)
		}
		seen[k] = true
		if k == "buckets" {
			l.Buckets = n
		} else {
			l.Keys = n
		}
	}
	return l, nil
}

// SelfLimits returns the normalized product's self-service limits.
func (p *Product) SelfLimits() SelfLimits { return p.limits }

// bucketName is what S3 accepts as a bucket name that the module may act
// on: a tenant's buckets made with S3 tools may hold dots.
var bucketName = lazyRegexp(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// SelfBucketName returns the bucket a tenant asks for by the part after
// its prefix: "<user>-<part>". The part follows the user-name rule
// (lowercase letters, digits, inner single hyphens), so the full name is a
// valid bucket that lies in the tenant's namespace and nowhere else.
func SelfBucketName(user, part string) (string, error) {
	part = strings.TrimSpace(part)
	switch {
	case part == "":
		return "", Refusef(EMISSING, RefuseInput, "params.name (the bucket name after the prefix %s-) is required", user)
	case !utf8.ValidString(part) || !bucketPart().MatchString(part) || strings.Contains(part, "--"):
		return "", Refusef(EINVALIDNAME, RefuseInput, "params.name %q may hold only lowercase letters, digits and single inner hyphens", Printable(part))
	case part == "s3alias" || strings.HasSuffix(part, "-s3alias"):
		return "", Refusef(EINVALIDNAME, RefuseInput, "params.name may not end in s3alias, which S3 reserves")
	}
	full := user + "-" + part
	if len(full) > 63 {
		return "", Refusef(EINVALIDNAME, RefuseInput, "params.name makes the bucket %s %d characters long; S3 allows 63", Printable(full), len(full))
	}
	return full, nil
}

// CheckOwnBucket refuses a bucket name that is not a valid bucket in
// user's namespace, before anything asks the server about it: a tenant
// names only its own buckets. field is the request field, for the message.
func CheckOwnBucket(field, user, bucket string) error {
	if bucket == "" {
		return Refusef(EMISSING, RefuseInput, "%s (the bucket) is required", field)
	}
	if !bucketName().MatchString(bucket) || strings.Contains(bucket, "..") {
		return Refusef(EINVALIDNAME, RefuseInput, "%s %q is not a bucket name", field, Printable(bucket))
	}
	if !OwnsBucket(user, bucket) {
		return Refusef(EINVALIDNAME, RefuseNotFound, "%s %s is not a bucket of %s (its buckets are %s and %s-…)", field, bucket, user, user, user)
	}
	return nil
}

// Access keys made in the client area.

// AccessKeyPrefix starts the access key of every key the module makes: the
// module picks the name, in capitals, so a tenant can neither choose it
// nor take a user name with it (user names are lowercase).
const AccessKeyPrefix = "PQM"

// accessKeyChars are the characters of the random part of an access key
// and of a secret key's alphabet (Base32 without padding: unambiguous).
const (
	accessKeyChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	secretChars    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	accessKeyLen   = 20 // MinIO's longest access key for a service account
	secretLen      = 40
)

// NewAccessKeyPair draws an access key (AccessKeyPrefix and 17 random
// capitals and digits) and a 40-character secret with crypto/rand.
func NewAccessKeyPair() (access, secret string) {
	return AccessKeyPrefix + RandomString(accessKeyLen-len(AccessKeyPrefix), accessKeyChars), RandomString(secretLen, secretChars)
}

var accessKeyName = lazyRegexp(`^[A-Za-z0-9._@+-]{3,128}$`)

// CheckAccessKeyName refuses what cannot be an access key (MinIO's
// characters, 3 to 128 long), before the store or the server is asked.
func CheckAccessKeyName(field, key string) error {
	if key == "" {
		return Refusef(EMISSING, RefuseInput, "%s (the access key) is required", field)
	}
	if !accessKeyName().MatchString(key) {
		return Refusef(EINVALID, RefuseInput, "%s %q is not an access key", field, Printable(key))
	}
	return nil
}

// MaxKeyLabel bounds a key's label, in characters; MinIO keeps it as the
// key's description (at most 256 bytes).
const MaxKeyLabel = 60

// CleanKeyLabel trims a key's label and refuses control characters and
// labels longer than MaxKeyLabel characters. Any language is fine.
func CleanKeyLabel(label string) (string, error) {
	label = strings.TrimSpace(label)
	if !utf8.ValidString(label) {
		return "", Refusef(EINVALID, RefuseInput, "params.label is not valid UTF-8")
	}
	if utf8.RuneCountInString(label) > MaxKeyLabel {
		return "", Refusef(EINVALID, RefuseInput, "params.label is longer than %d characters", MaxKeyLabel)
	}
	for _, r := range label {
		if unicode.IsControl(r) || unicode.In(r, unicode.Cf) && r != '\u200d' {
			return "", Refusef(EINVALID, RefuseInput, "params.label may not hold control or formatting characters")
		}
	}
	return label, nil
}

// How far ahead a key's expiry may lie: MinIO refuses an access key that
// expires in less than 15 minutes or more than 365 days, by its own
// clock; a minute and a day of margin keep a request that takes time, or
// a server clock a little off, from being refused by MinIO after the
// module accepted it.
const (
	MinKeyExpiry = 16 * time.Minute
	MaxKeyExpiry = 364 * 24 * time.Hour
)

// ParseKeyExpiry reads a key's expiry: "" for none, a date ("2027-03-31":
// the key works through that day, UTC) or an RFC 3339 time. It must lie
// between MinKeyExpiry and MaxKeyExpiry after now; the result is whole
// seconds, UTC.
func ParseKeyExpiry(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err == nil {
		t = t.AddDate(0, 0, 1)
	} else if t, err = time.Parse(time.RFC3339, s); err != nil {
		return time.Time{}, Refusef(EINVALID, RefuseInput, "params.expires %q is not a date (2027-03-31) or an RFC 3339 time", Printable(s))
	}
	t = t.UTC().Truncate(time.Second)
	if t.Sub(now) < MinKeyExpiry {
		return time.Time{}, Refusef(EINVALID, RefuseInput, "params.expires %s is less than %d minutes ahead (MinIO's shortest expiry is 15 minutes)", t.Format(time.RFC3339), int(MinKeyExpiry.Minutes()))
	}
	if t.Sub(now) > MaxKeyExpiry {
		return time.Time{}, Refusef(EINVALID, RefuseInput, "params.expires lies more than %d days ahead (MinIO's longest expiry is a year); leave it empty for a key that does not expire", int(MaxKeyExpiry.Hours()/24))
	}
	return t, nil
}

// MaxScopeBuckets bounds the buckets a key may be limited to: MinIO keeps
// a key's policy to 4 KiB.
const MaxScopeBuckets = 10

// KeyScope is what an access key may reach: Buckets (none: every bucket
// of the tenant, those made later included) and whether it may only read.
// Whatever it says, a key never reaches beyond its tenant's own policy:
// MinIO intersects the two.
type KeyScope struct {
	Buckets  []string `json:"buckets"`
	ReadOnly bool     `json:"readOnly"`
}

// Normalize checks that each bucket lies in user's namespace, sorts them
// and drops repeats.
func (s *KeyScope) Normalize(user string) error {
	for i, b := range s.Buckets {
		if err := CheckOwnBucket(fmt.Sprintf("params.buckets[%d]", i), user, b); err != nil {
			return err
		}
	}
	s.Buckets = slices.Compact(slices.Sorted(slices.Values(s.Buckets)))
	if len(s.Buckets) > MaxScopeBuckets {
		return Refusef(EINVALID, RefuseInput, "params.buckets names %d buckets; a key may be limited to at most %d (or to none: every bucket)", len(s.Buckets), MaxScopeBuckets)
	}
	return nil
}

// readActions are what a read-only key may do.
var readActions = []string{"s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketVersions",
	"s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging", "s3:GetObjectVersionTagging"}

// maxKeyPolicy is MinIO's limit on a service account's own policy.
const maxKeyPolicy = 4096

// KeyPolicy is the policy an access key of user with scope s holds (s is
// normalized): s3 actions on the scope's buckets, or on the tenant's
// namespace, and a Deny of making further keys: MinIO checks only Deny
// statements when a key makes a key for its own user, so without it a
// read-only key for one bucket could make itself one with the user's whole
// policy where the product permits keys made with S3 tools.
func KeyPolicy(user string, s KeyScope) ([]byte, error) {
	var res []string
	if len(s.Buckets) == 0 {
		res = []string{"arn:aws:s3:::" + user, "arn:aws:s3:::" + user + "/*", "arn:aws:s3:::" + user + "-*"}
	}
	for _, b := range s.Buckets {
		res = append(res, "arn:aws:s3:::"+b, "arn:aws:s3:::"+b+"/*")
	}
	actions := []string{"s3:*"}
	if s.ReadOnly {
		actions = readActions
	}
	doc := map[string]any{"Version": "2012-10-17", "Statement": []Guard{
		{Sid: "PuqMinIOS3Key", Effect: "Allow", Action: actions, Resource: res},
		{Sid: "PuqMinIOS3KeyNoKeys", Effect: "Deny", Action: []string{"admin:CreateServiceAccount"}},
	}}
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	if len(out) > maxKeyPolicy {
		return nil, Refusef(EINVALID, RefuseInput, "params.buckets: the key's policy for these buckets is longer than MinIO's 4 KiB; choose fewer")
	}
	return out, nil
}

// AccessKey is an access key the module made in the client area, as the
// store keeps it: never its secret.
type AccessKey struct {
	AccessKey string
	Label     string
	Scope     KeyScope
	Expires   time.Time // zero: never
	Created   time.Time
}

// Expired reports whether the key no longer works at now.
func (k AccessKey) Expired(now time.Time) bool { return !k.Expires.IsZero() && !now.Before(k.Expires) }

// NewKeyRequest is what the server is asked to make: a key for Parent with
// the module's names, policy and expiry.
type NewKeyRequest struct {
	Parent      string
	AccessKey   string
	SecretKey   string
	Policy      []byte
	Description string
	Expires     time.Time // zero: never
}

// String hides the secret key.
func (r NewKeyRequest) String() string {
	return fmt.Sprintf("NewKeyRequest{Parent:%s AccessKey:%s SecretKey:[REDACTED] Expires:%s}", r.Parent, r.AccessKey, r.Expires.Format(time.RFC3339))
}

// GoString hides the secret key from %#v as well.
func (r NewKeyRequest) GoString() string { return r.String() }

// Bucket settings a tenant changes in the client area.

// MaxLifecycleDays bounds an expiry rule: a hundred years.
const MaxLifecycleDays = 36500

// Lifecycle is a bucket's expiry rules as the client area sets them: delete
// objects ExpireDays after they were written, earlier (noncurrent)
// versions NoncurrentDays after they were replaced; 0 keeps them.
type Lifecycle struct {
	ExpireDays     int `json:"expireDays"`
	NoncurrentDays int `json:"noncurrentDays"`
}

// Check refuses days out of range.
func (l Lifecycle) Check() error {
	for _, f := range []struct {
		name string
		v    int
	}{{"params.expireDays", l.ExpireDays}, {"params.noncurrentDays", l.NoncurrentDays}} {
		if f.v < 0 || f.v > MaxLifecycleDays {
			return Refusef(EINVALID, RefuseInput, "%s must be 0 (keep) to %d days", f.name, MaxLifecycleDays)
		}
	}
	return nil
}

// Deletes reports whether the rules delete anything.
func (l Lifecycle) Deletes() bool { return l.ExpireDays > 0 || l.NoncurrentDays > 0 }

// Versioning states of a bucket.
const (
	VersioningOff       = ""          // never enabled
	VersioningEnabled   = "Enabled"   // earlier versions are kept
	VersioningSuspended = "Suspended" // no new versions; earlier ones stay
)

// MaxPublicPrefix bounds the prefix of a public read, in bytes.
const MaxPublicPrefix = 512

// CheckPublicPrefix refuses a prefix that would widen a public read beyond
// what it names: the policy's wildcards (* ?) and variables ($), control
// characters, and a leading slash (no object key starts with one in the
// S3 addressing the tenant uses).
func CheckPublicPrefix(prefix string) error {
	switch {
	case !utf8.ValidString(prefix) || len(prefix) > MaxPublicPrefix:
		return Refusef(EINVALID, RefuseInput, "params.prefix must be valid UTF-8 of at most %d bytes", MaxPublicPrefix)
	case strings.ContainsAny(prefix, "*?$"):
		return Refusef(EINVALID, RefuseInput, "params.prefix may not hold * ? or $, which a policy reads as wildcards and variables")
	case strings.HasPrefix(prefix, "/"):
		return Refusef(EINVALID, RefuseInput, "params.prefix may not start with /")
	}
	for _, r := range prefix {
		if unicode.IsControl(r) {
			return Refusef(EINVALID, RefuseInput, "params.prefix may not hold control characters")
		}
	}
	return nil
}

// publicStatement is the one statement of a public read the module writes.
type publicStatement struct {
	Sid       string              `json:"Sid"`
	Effect    string              `json:"Effect"`
	Principal map[string][]string `json:"Principal"`
	Action    []string            `json:"Action"`
	Resource  []string            `json:"Resource"`
}

// PublicReadPolicy is the bucket policy of a public read of bucket's
// objects under prefix ("" for all of them): anyone may download them by
// name; nobody may list, write or delete without a key.
func PublicReadPolicy(bucket, prefix string) (string, error) {
	if err := CheckPublicPrefix(prefix); err != nil {
		return "", err
	}
	doc := map[string]any{"Version": "2012-10-17", "Statement": []publicStatement{{
		Sid: "PuqMinIOS3PublicRead", Effect: "Allow", Principal: map[string][]string{"AWS": {"*"}},
		Action: []string{"s3:GetObject"}, Resource: []string{"arn:aws:s3:::" + bucket + "/" + prefix + "*"},
	}}}
	b, err := json.Marshal(doc)
	return string(b), err
}

// PublicRead says what a bucket policy (as MinIO returns it, or as the
// module kept it) opens to anonymous callers: ok is false for no policy;
// module is true when it is the module's public read, with its prefix.
// Any other policy (set by an admin, or by a tenant before the guards) is
// reported as not the module's.
func PublicRead(bucket, policy string) (prefix string, module, ok bool) {
	if strings.TrimSpace(policy) == "" {
		return "", false, false
	}
	var doc struct {
		Statement []struct {
			Effect    string          `json:"Effect"`
			Principal json.RawMessage `json:"Principal"`
			Action    json.RawMessage `json:"Action"`
			Resource  json.RawMessage `json:"Resource"`
		} `json:"Statement"`
	}
	if json.Unmarshal([]byte(policy), &doc) != nil || len(doc.Statement) != 1 {
		return "", false, true
	}
	st := doc.Statement[0]
	var principal struct {
		AWS json.RawMessage `json:"AWS"`
	}
	actions, aerr := stringOrList(st.Action)
	res, rerr := stringOrList(st.Resource)
	anyone := string(st.Principal) == `"*"`
	if !anyone && json.Unmarshal(st.Principal, &principal) == nil {
		who, err := stringOrList(principal.AWS)
		anyone = err == nil && slices.Equal(who, []string{"*"})
	}
	base := "arn:aws:s3:::" + bucket + "/"
	if st.Effect != "Allow" || !anyone || aerr != nil || rerr != nil || !slices.Equal(actions, []string{"s3:GetObject"}) ||
		len(res) != 1 || !strings.HasPrefix(res[0], base) || !strings.HasSuffix(res[0], "*") {
		return "", false, true
	}
	prefix = strings.TrimSuffix(strings.TrimPrefix(res[0], base), "*")
	if CheckPublicPrefix(prefix) != nil {
		return "", false, true
	}
	return prefix, true, true
}

// BucketSettings is what the bucket page shows of one of the tenant's
// buckets, read from the server when the page is asked for.
type BucketSettings struct {
	Bucket     string
	Empty      bool   // holds no object version and no delete marker
	Versioning string // VersioningOff, VersioningEnabled or VersioningSuspended
	ObjectLock bool
	Lifecycle  Lifecycle
	// OtherRules counts lifecycle rules the client area did not make (set
	// with S3 tools); they are kept when the client area saves its own.
	OtherRules int
	Public     PublicState
}

// PublicState is a bucket's public read: applied on the bucket, withheld
// while the account is suspended or limited (or its product does not allow
// it), or none.
type PublicState struct {
	On       bool
	Prefix   string
	Module   bool   // the module's own public read (else a policy set outside the client area)
	Withheld string // "" or why it is withheld (Withheld* reasons)
}
